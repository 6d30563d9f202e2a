"""Named events a question can date itself by ("before the election", "since Christmas").

Each event is a rule giving its date in a year; a question means its most recent occurrence
up to the as-of date. The calendar is the US one (the general election is the Tuesday after
the first Monday of November in even years); other countries' elections have no fixed date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from dateutil.relativedelta import TH, TU, relativedelta


def _us_general_election(year: int) -> date | None:
    if year % 2:
        return None
    first_monday = date(year, 11, 1) + relativedelta(weekday=0)
    return first_monday + relativedelta(weekday=TU)


def _us_presidential_election(year: int) -> date | None:
    return _us_general_election(year) if year % 4 == 0 else None


def _us_midterm_election(year: int) -> date | None:
    return _us_general_election(year) if year % 4 == 2 else None


def _thanksgiving(year: int) -> date:
    return date(year, 11, 1) + relativedelta(weekday=TH(4))


EVENTS: dict[str, Callable[[int], date | None]] = {
    r"(?:the\s+)?presidential\s+election": _us_presidential_election,
    r"(?:the\s+)?midterms?(?:\s+elections?)?": _us_midterm_election,
    r"(?:the\s+)?(?:general\s+)?election(?:\s+day)?": _us_general_election,
    r"christmas(?:\s+day)?": lambda year: date(year, 12, 25),
    r"new\s+year'?s?(?:\s+day)?": lambda year: date(year, 1, 1),
    r"thanksgiving": _thanksgiving,
    r"(?:independence\s+day|july\s+4(?:th)?|the\s+fourth\s+of\s+july)": lambda year: date(
        year, 7, 4
    ),
    r"halloween": lambda year: date(year, 10, 31),
}
_EVENT_PATTERN = "|".join(f"(?:{pattern})" for pattern in EVENTS)
_DATED_BY_EVENT = re.compile(rf"\b(before|after|since)\s+({_EVENT_PATTERN})\b", re.I)


def last_occurrence(rule: Callable[[int], date | None], reference: date) -> date | None:
    """The event's latest date on or before the reference, looking back up to four years."""
    for year in range(reference.year, reference.year - 5, -1):
        day = rule(year)
        if day is not None and day <= reference:
            return day
    return None


def find_event(question: str, reference: date) -> tuple[str, date] | None:
    """('before' | 'after' | 'since', the event's date) for the first event the question names."""
    match = _DATED_BY_EVENT.search(question)
    if not match:
        return None
    name = match.group(2)
    rule = next(rule for pattern, rule in EVENTS.items() if re.fullmatch(pattern, name, re.I))
    day = last_occurrence(rule, reference)
    return (match.group(1).lower(), day) if day else None


def event_bounds(question: str, reference: date) -> tuple[date | None, date | None] | None:
    """The publication range a dated event gives: before it ends the day before; after or
    since it starts on the day itself (results are reported that night)."""
    found = find_event(question, reference)
    if found is None:
        return None
    relation, day = found
    if relation == "before":
        return (None, day - timedelta(days=1))
    return (day, None)
