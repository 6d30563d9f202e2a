"""Metadata read from article text: bylines, datelines, the outlet's name and topic lists."""

from __future__ import annotations

import re

from qa.ingest.lines import words

_CONNECTOR = {"and", "&", "de", "van", "von", "der", "da", "del", "la", "le", "bin", "al"}
# "WASHINGTON (AP) —", "LONDON, Sept 5 (Reuters) -", "NEW DELHI:" at the start of a story.
_LEADING_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’ -]{2,40}?)(?:,\s*[A-Z][\w. ]{0,30}?)?\s*"
    r"(?:\((?P<agency>[A-Z][\w .&-]{0,30})\)\s*)?(?:[—–-]{1,2}|:)\s+\S"
)
_OUTLET = r"(?:The\s+)?[A-Z][\w&'’.-]*(?:\s+(?:of\s+|&\s+|on\s+)?[A-Z][\w&'’.-]*){0,5}"
_SOURCE_PATTERNS = (
    re.compile(rf"(?:registered|subscribed|existing)\s+(?:user|reader|member)\s+of\s+({_OUTLET})"),
    re.compile(rf"©\s*(?:(?:19|20)\d{{2}}(?:\s*[-–]\s*(?:19|20)?\d{{2}})?,?\s*)?({_OUTLET})"),
    re.compile(
        rf"(?i:copyright)\s*(?:©|\(c\))?\s*(?:(?:19|20)\d{{2}}(?:\s*[-–]\s*(?:19|20)?\d{{2}})?,?\s*)?"
        rf"({_OUTLET})"
    ),
)
_NOT_AN_OUTLET = {"All", "All Rights", "Copyright", "The", "Rights"}


def parse_byline(line: str) -> tuple[str, ...]:
    """Author names from a byline ("By Jane Doe and John Roe", "AP"); () if it is not one."""
    text = " ".join(line.split()).strip(" |-–—")
    explicit = bool(re.match(r"(?i)^(?:written\s+)?by\s+", text))
    text = re.sub(r"(?i)^(?:written\s+)?by\s+", "", text)
    text = re.sub(r"\s*[|•·].*$", "", text)  # "Jane Doe | Reuters staff": keep the name
    if not text or len(text) > 120 or re.search(r"[\d@:;!?]", text):
        return ()
    names = [n.strip(" .,") for n in re.split(r"\s*,\s*|\s+and\s+|\s*&\s*", text) if n.strip()]
    if not names or len(names) > 6:
        return ()
    for name in names:
        tokens = name.split()
        if not 1 <= len(tokens) <= 5 and not explicit:
            return ()
        if not all(t[0].isupper() or t.lower() in _CONNECTOR for t in tokens):
            return ()
        if len(tokens) == 1 and not explicit and not (tokens[0].isupper() and len(tokens[0]) >= 2):
            return ()  # a lone capitalised word is a menu label, a lone "AP" is an agency
    return tuple(names)


def leading_dateline(paragraph: str) -> tuple[str | None, str | None]:
    """Place and agency from a story's opening ("WASHINGTON (AP) — ..."), else (None, None)."""
    match = _LEADING_DATELINE.match(paragraph)
    if not match:
        return None, None
    place = match.group("place").strip(" .-")
    if len(re.sub(r"[^A-Z]", "", place)) < 3:
        return None, None
    agency = match.group("agency")
    # Without an agency the place must be followed by a dash or colon and be all caps.
    return place, agency.strip() if agency else None


def find_source(text: str) -> str | None:
    """The outlet's name as the page states it ("© 2023 The Hindu"), else None."""
    for pattern in _SOURCE_PATTERNS:
        for match in pattern.finditer(text):
            name = _clean_outlet(match.group(1))
            if name:
                return name
    return None


def _clean_outlet(name: str) -> str | None:
    name = re.split(r"\s+(?:All|and|Ltd|Limited|Inc|LLC|PLC)\b", name)[0]
    name = re.sub(r"[.’']+$", "", name.strip())
    if name in _NOT_AN_OUTLET or not words(name):
        return None
    return name


def split_topics(line: str) -> list[str]:
    """Topics from a list line ("Russia / North Korea / defence equipment")."""
    line = re.sub(r"(?i)^(?:related\s+)?(?:topics|tags|keywords)\s*:\s*", "", line)
    parts = re.split(r"\s+/\s+|\s*[|,;•·]\s*", line)
    return [p.strip(" #.") for p in parts if p.strip(" #.") and len(words(p)) <= 6]


def split_names(value: str) -> list[str]:
    """Names from an author field ("Jane Doe, John Roe and Ann Poe")."""
    value = re.sub(r"(?i)^\s*by\s+", "", value)
    parts = re.split(r"\s*[,;]\s*|\s+and\s+|\s*&\s*", value)
    return [p.strip() for p in parts if p.strip()]
