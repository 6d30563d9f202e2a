"""Dates found in articles: one parser for every loader, plus page date lines and URL dates."""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

log = logging.getLogger(__name__)

# dateparser reads some abbreviations differently (it takes IST as Israel time), so the zones
# news sites print are resolved here, before dateparser sees the text.
_ZONE_HOURS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "BST": 1, "IST": 5.5, "CET": 1, "CEST": 2, "WAT": 1, "WEST": 1,
    "EET": 2, "EEST": 3, "SAST": 2, "CAT": 2, "EAT": 3, "MSK": 3,
    "PKT": 5, "NPT": 5.75, "ICT": 7, "WIB": 7, "HKT": 8, "SGT": 8, "PHT": 8,
    "AWST": 8, "JST": 9, "KST": 9, "ACST": 9.5, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}  # fmt: skip

_ZONE_RE = re.compile(
    r"(?<![\w+-])(" + "|".join(sorted(_ZONE_HOURS, key=len, reverse=True)) + r")\b"
)
# "GMT+5:30", "UTC-04:00": a named zone followed by its offset; the offset wins.
_OFFSET_ZONE = re.compile(r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|\d\s*[ap]\.?m\b|T\d{2}", re.IGNORECASE)
_DATEPARSER_SETTINGS = {
    # Relative phrases ("today", "2 hours ago") would turn into the time of ingestion.
    "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
    "REQUIRE_PARTS": ["day", "month", "year"],
    # RETURN_AS_TIMEZONE_AWARE left at its default: aware only when the text names a zone.
}
_MIN_YEAR, _MAX_YEAR = 1800, 2200


def _zone_offset(abbreviation: str) -> timezone | None:
    """The fixed offset for a zone abbreviation news pages print ("IST", "EDT"), else None."""
    hours = _ZONE_HOURS.get(abbreviation.upper())
    return None if hours is None else timezone(timedelta(hours=hours))


def _offset(match: re.Match[str]) -> timezone | None:
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(value: str | int | float | None) -> datetime | None:
    """Parse ISO, RFC 2822, epoch seconds/milliseconds or a human date; None for anything else.

    Aware when the value names a zone; a date alone becomes midnight UTC; never raises.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = _strip_labels(" ".join(value.split()))
    if not text or len(text) > 200:
        return None
    if re.fullmatch(r"-?\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    parsed = _parse_iso(text) or _parse_rfc2822(text) or _parse_human(text)
    if parsed is None or not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        return None
    if parsed.tzinfo is None and not _HAS_TIME.search(text):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _from_epoch(seconds: float) -> datetime | None:
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    if abs(seconds) > 1e11:  # milliseconds, as JavaScript writes them
        seconds /= 1000
    try:
        parsed = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return parsed if _MIN_YEAR <= parsed.year <= _MAX_YEAR else None


def _parse_iso(text: str) -> datetime | None:
    if not re.match(r"\d{4}-?\d{2}-?\d{2}", text):
        return None
    try:
        return datetime.fromisoformat(text.replace(" UTC", "Z").replace(" GMT", "Z"))
    except ValueError:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    # Only with a zone email.utils understands; "BST" or "IST" go to the zone table instead.
    if not re.search(r"\d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}.*(?:[+-]\d{4}|GMT|UTC?|Z)$", text):
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_human(text: str) -> datetime | None:
    import dateparser  # slow to import; only human-written dates need it

    zone = None
    offset = _OFFSET_ZONE.search(text)
    match = offset or _ZONE_RE.search(text)
    if offset:
        zone = _offset(offset)
    elif match:
        zone = _zone_offset(match.group(1))
    if match:
        text = (text[: match.start()] + " " + text[match.end() :]).strip(" ,")
    text = re.sub(r"\b(?:a\.m\.|a\.m)(?=\s|$)", "am", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:p\.m\.|p\.m)(?=\s|$)", "pm", text, flags=re.IGNORECASE)
    try:
        parsed = dateparser.parse(text, languages=["en"], settings=_DATEPARSER_SETTINGS)
    except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as exc:
        # dateparser has raised all of these on odd input; garbage means "no date" here.
        log.debug("dateparser failed on %r: %s", text, exc)
        return None
    if parsed is not None and zone is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


# --- date lines on scraped pages -------------------------------------------------------------

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE_PATTERN = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_MONTH},?\s+\d{{4}}\b"
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
    r"|\b\d{1,2}/\d{1,2}/\d{4}\b",
    re.IGNORECASE,
)
_TIME = re.compile(r"\b\d{1,2}(?::\d{2}){1,2}\s*(?:[ap]\.?m\.?)?|\b\d{1,2}\s*[ap]\.?m\.?", re.I)
_LABEL = re.compile(
    r"\b(?:first\s+)?(?:published|posted|updated|modified|edited|last|on|at|date|time)\b:?",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b\.?,?", re.IGNORECASE)
_TRAILING_DATELINE = re.compile(r"\s[-–—]\s*([A-Z][A-Z .,'’-]{1,40}?)\s*$")
_UPDATE_LABEL = re.compile(
    r"\s*\|?\s*\b(?:last\s+)?(?:updated|modified|edited)\b\s*:?\s*(?:on\s+|at\s+)?",
    re.IGNORECASE,
)


def looks_like_date_line(line: str) -> bool:
    """True for a short line that is mostly a date ("Published: 5 Sep 2023 14:30 BST")."""
    if len(line) > 160 or not DATE_PATTERN.search(line):
        return False
    rest = _TRAILING_DATELINE.sub("", line)
    for pattern in (_OFFSET_ZONE, DATE_PATTERN, _TIME, _LABEL, _WEEKDAY, _ZONE_RE):
        rest = pattern.sub(" ", rest)
    words = re.findall(r"[A-Za-z]{2,}", rest)
    return len(words) <= 2


def parse_date_line(line: str) -> tuple[datetime | None, datetime | None, str | None]:
    """Published time, updated time and dateline from a page's date line.

    "September 05, 2023 06:49 am | Updated 06:50 am IST - WASHINGTON" gives both times in
    +05:30 (the zone is printed once for both) and "WASHINGTON".
    """
    dateline = None
    match = _TRAILING_DATELINE.search(line)
    if match and not _ZONE_RE.fullmatch(match.group(1).strip()):
        dateline = match.group(1).strip(" ,.-")
        line = line[: match.start()]
    offset = _OFFSET_ZONE.search(line)
    zones = _ZONE_RE.findall(line)
    zone = offset.group(0) if offset else (zones[-1] if zones else "")
    line = _ZONE_RE.sub(" ", _OFFSET_ZONE.sub(" ", line))
    published_part, _, updated_part = _UPDATE_LABEL.sub("\x00", line, count=1).partition("\x00")
    published_date = DATE_PATTERN.search(published_part)
    published = _compose(published_part, zone, None)
    updated = None
    if updated_part.strip():
        fallback = published_date.group(0) if published_date else None
        updated = _compose(updated_part, zone, fallback)
    return published, updated, dateline


def _compose(part: str, zone: str, fallback_date: str | None) -> datetime | None:
    """Parse the date and time found in part of a date line, ignoring the words around them."""
    found = DATE_PATTERN.search(part)
    date_text = found.group(0) if found else fallback_date
    if date_text is None:
        return None
    rest = part.replace(found.group(0), " ") if found else part
    time = _TIME.search(rest)
    time_text = f" {time.group(0)}" if time and not re.search(r"\d:\d\d", date_text) else ""
    has_offset = re.search(r"(?:Z|[+-]\d{2}:?\d{2})$", date_text)
    return parse_datetime(date_text + time_text + ("" if has_offset or not zone else f" {zone}"))


def _strip_labels(text: str) -> str:
    text = re.sub(
        r"^\W*(?:first\s+)?(?:published|posted|updated|modified|date)\b\s*:?\s*(?:on\s+|at\s+)?",
        "",
        text.strip(),
        flags=re.IGNORECASE,
    )
    return text.strip(" |,-–—:")


_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)"
)


def date_from_url(url: str | None) -> datetime | None:
    """A date written in a URL path such as /2023/09/05/ (midnight UTC), else None."""
    if not url:
        return None
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
