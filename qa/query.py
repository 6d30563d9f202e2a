"""Reading a question: the dates, outlets, sections and parts it names, and whether it asks
about now."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from qa.decompose import split_by_rules
from qa.events import event_bounds

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

_RECENT = re.compile(
    r"\b(?:latest|most recent(?:ly)?|recent(?:ly)?|now|currently|current|this week|so far|as of now|today|tonight|newest|still)\b",
    re.I,
)
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_NAMES_CASED = "|".join(
    sorted(
        {n for n in (*calendar.month_name, *calendar.month_abbr, "Sept") if n},
        key=len,
        reverse=True,
    )
)


@dataclass(frozen=True)
class DateRange:
    start: date | None = None  # inclusive
    end: date | None = None  # inclusive


@dataclass(frozen=True)
class QueryIntent:
    """What a question says beyond its words: a date range, outlets, sections, a wish for the
    newest news."""

    text: str
    dates: DateRange | None = None
    outlets: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    wants_recent: bool = False
    parts: tuple[str, ...] = field(default_factory=tuple)  # sub-questions of a multi-part question


def _month_range(year: int, month: int) -> DateRange:
    return DateRange(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def parse_date_range(question: str, reference: date) -> DateRange | None:
    """Date expressions in a question as a range of publication dates, relative to `reference`."""
    q = question.lower()
    if match := re.search(rf"\b(?:in|during|of)\s+({_MONTH_NAMES})\.?\s+((?:19|20)\d\d)\b", q):
        return _month_range(int(match.group(2)), MONTHS[match.group(1)])
    if match := re.search(rf"\b(?:in|during|of)\s+({_MONTH_NAMES_CASED})\b(?!\.?\s+\d)", question):
        month = MONTHS[match.group(1).lower()]  # a capitalised month without a year: the last one
        return _month_range(reference.year - (month > reference.month), month)
    if match := re.search(r"\bsince\s+((?:19|20)\d\d)\b", q):
        return DateRange(date(int(match.group(1)), 1, 1), None)
    if match := re.search(r"\bbefore\s+((?:19|20)\d\d)\b", q):
        return DateRange(None, date(int(match.group(1)) - 1, 12, 31))
    if bounds := event_bounds(question, reference):  # "before the election", "since Christmas"
        return DateRange(*bounds)
    if match := re.search(r"\b(?:in|during|of)\s+((?:19|20)\d\d)\b", q):
        year = int(match.group(1))
        return DateRange(date(year, 1, 1), date(year, 12, 31))
    if re.search(r"\byesterday\b", q):
        return DateRange(reference - timedelta(days=1), reference)
    if re.search(r"\btoday\b|\btonight\b", q):
        return DateRange(reference - timedelta(days=1), reference)
    if re.search(r"\blast week\b", q):
        monday = reference - timedelta(days=reference.weekday())
        return DateRange(monday - timedelta(days=7), monday)  # reports can follow a day later
    if re.search(r"\bthis week\b", q):
        return DateRange(reference - timedelta(days=7), reference)
    if re.search(r"\blast month\b", q):
        previous = reference.replace(day=1) - timedelta(days=1)
        span = _month_range(previous.year, previous.month)
        return DateRange(span.start, span.end + timedelta(days=1) if span.end else None)
    if re.search(r"\bthis month\b", q):
        return DateRange(reference.replace(day=1), reference)
    if re.search(r"\blast year\b", q):
        return DateRange(date(reference.year - 1, 1, 1), date(reference.year - 1, 12, 31))
    if re.search(r"\bthis year\b", q):
        return DateRange(date(reference.year, 1, 1), reference)
    return None


def find_outlets(question: str, known_outlets: Sequence[str]) -> tuple[str, ...]:
    """Outlets the question names as its source ('according to CNN', 'CNN reported',
    'what did CNN report')."""
    found = []
    for outlet in sorted({o for o in known_outlets if o}, key=len, reverse=True):
        name = re.escape(outlet)
        pattern = (
            rf"(?:according to|reported by|in|from|per)\s+(?:the\s+)?{name}\b"
            rf"|\b{name}\s+(?:reported|reports|said|says|wrote|writes)\b"
            # the bare verb only after did/does: 'the CNN report' names a report, not a source
            rf"|\b(?:did|does)\s+(?:the\s+)?{name}\s+(?:report|say|write)\b"
        )
        if re.search(pattern, question, re.I) and outlet not in found:
            found.append(outlet)
    return tuple(found)


def find_sections(question: str, known_sections: Sequence[str]) -> tuple[str, ...]:
    """Sections the question names as such ('in the Sports section'), among the known ones;
    a bare 'sports news' is not taken: too many questions use such words as their topic."""
    found = []
    for section in sorted({s for s in known_sections if s}, key=len, reverse=True):
        pattern = rf"\b(?:in|from)\s+the\s+{re.escape(section)}\s+(?:section|pages)\b"
        if re.search(pattern, question, re.I) and section not in found:
            found.append(section)
    return tuple(found)


def read_question(
    question: str,
    *,
    reference: date,
    known_outlets: Sequence[str],
    known_sections: Sequence[str] = (),
) -> QueryIntent:
    """Everything retrieval can use from the question's wording."""
    return QueryIntent(
        text=question,
        dates=parse_date_range(question, reference),
        outlets=find_outlets(question, known_outlets),
        sections=find_sections(question, known_sections),
        wants_recent=bool(_RECENT.search(question)),
        parts=split_by_rules(question),
    )
