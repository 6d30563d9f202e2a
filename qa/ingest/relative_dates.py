"""An article's own relative dates ("Monday", "last week", "this month") as absolute dates.

Resolved against the article's publication date, in the zone the article gave it; an
article without one gets nothing (a missing anchor is never "now"). A bare weekday is the
latest such day on or before publication ("said Monday"), unless the words just before it
speak of the future ("will meet on Friday"), then the next one after it.
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10}  # fmt: skip
_DAY = "|".join(WEEKDAYS)
_PHRASE = re.compile(
    rf"\b(?P<weekday_q>(?i:last|next|this))\s+(?P<weekday>{_DAY})\b"
    rf"|\b(?P<bare>{_DAY})\b"
    r"|\b(?P<span_q>(?i:last|this|next))\s+(?P<span>(?i:week|month|year|weekend))\b"
    r"|\b(?P<day>(?i:the day before yesterday|yesterday|today|tomorrow|tonight|last night"
    r"|this morning|this afternoon|this evening))\b"
    r"|\b(?P<count>\d{1,2}|(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten))"
    r"\s+(?P<unit>(?i:days?|weeks?))\s+(?i:ago)\b"
)
_FUTURE = re.compile(
    r"\b(?:will|'ll|shall|would|scheduled|set (?:for|to)|due|expected|plans?|planned|planning"
    r"|going to|upcoming|until|starting|begins?|resumes?|opens?|later)\b[^.;!?]{0,40}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RelativeDate:
    """A relative phrase as written, and the calendar days it stands for (inclusive)."""

    phrase: str
    start: date
    end: date
    unit: str  # "day", "week", "weekend", "month" or "year"

    @property
    def value(self) -> str:
        """Compact form: 2023-09-04, 2023-08-28/2023-09-03, 2023-09 or 2023."""
        if self.unit == "day":
            return self.start.isoformat()
        if self.unit == "month":
            return self.start.strftime("%Y-%m")
        if self.unit == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def find_relative_dates(text: str, published: datetime | date | None) -> list[RelativeDate]:
    """Every relative date in the text, resolved against the publication date, in order."""
    if published is None:
        return []
    anchor = published.date() if isinstance(published, datetime) else published
    found = []
    for match in _PHRASE.finditer(text):
        resolved = _resolve(match, text, anchor)
        if resolved is not None:
            found.append(resolved)
    return found


def resolve_relative_dates(text: str, published: datetime | date | None) -> dict[str, str]:
    """{phrase: compact value} for the relative dates in a text, e.g. {"Monday": "2023-09-04"}.

    A phrase that occurs twice with different meanings keeps its first.
    """
    resolved: dict[str, str] = {}
    for item in find_relative_dates(text, published):
        resolved.setdefault(item.phrase, item.value)
    return resolved


def dumps_relative_dates(resolved: dict[str, str]) -> str:
    """The compact JSON stored with a chunk ("" when there are none)."""
    return json.dumps(resolved, ensure_ascii=False, separators=(",", ":")) if resolved else ""


def _resolve(match: re.Match[str], text: str, anchor: date) -> RelativeDate | None:
    if match["bare"]:
        weekday = match["bare"]
        future = bool(_FUTURE.search(text[max(0, match.start() - 60) : match.start()]))
        return _day(weekday, _weekday(anchor, weekday, "next" if future else "bare"))
    if match["weekday"]:
        qualifier = match["weekday_q"].lower()
        return _day(
            f"{qualifier} {match['weekday']}", _weekday(anchor, match["weekday"], qualifier)
        )
    if match["span"]:
        return _span(match["span_q"].lower(), match["span"].lower(), anchor)
    if match["day"]:
        phrase = match["day"].lower()
        offsets = {"yesterday": -1, "last night": -1, "tomorrow": 1, "the day before yesterday": -2}
        return _day(phrase, anchor + timedelta(days=offsets.get(phrase, 0)))
    count = _NUMBERS.get(match["count"].lower()) or int(match["count"])
    days = count * (7 if match["unit"].lower().startswith("week") else 1)
    phrase = " ".join(match.group(0).lower().split())
    return _day(phrase, anchor - timedelta(days=days))


def _day(phrase: str, day: date) -> RelativeDate:
    return RelativeDate(phrase, day, day, "day")


def _weekday(anchor: date, name: str, qualifier: str) -> date:
    target = WEEKDAYS.index(name)
    back = (anchor.weekday() - target) % 7
    if qualifier == "bare":
        return anchor - timedelta(days=back)  # the same weekday as the anchor is the anchor
    if qualifier == "last":
        return anchor - timedelta(days=back or 7)
    if qualifier == "next":
        return anchor + timedelta(days=(target - anchor.weekday()) % 7 or 7)
    return anchor + timedelta(days=target - anchor.weekday())  # "this": in the anchor's week


def _span(qualifier: str, unit: str, anchor: date) -> RelativeDate:
    step = {"last": -1, "this": 0, "next": 1}[qualifier]
    phrase = f"{qualifier} {unit}"
    if unit in ("week", "weekend"):
        monday = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=step)
        if unit == "weekend":
            return RelativeDate(
                phrase, monday + timedelta(days=5), monday + timedelta(days=6), unit
            )
        return RelativeDate(phrase, monday, monday + timedelta(days=6), unit)
    if unit == "month":
        month_index = anchor.year * 12 + anchor.month - 1 + step
        year, month = divmod(month_index, 12)
        first = date(year, month + 1, 1)
        return RelativeDate(phrase, first, first.replace(day=monthrange(year, month + 1)[1]), unit)
    year = anchor.year + step
    return RelativeDate(phrase, date(year, 1, 1), date(year, 12, 31), unit)
