"""Named events a question can date itself by ("before the election", "since Christmas").

Each event is a rule giving its date in a year. "after"/"since" an event means its latest
occurrence up to the as-of date; "before" it means the occurrence nearest the as-of date, and
bounds nothing when that one is still to come (all the news so far is before it). The calendar
is the US one (the general election is the Tuesday after the first Monday of November in even
years); other countries' elections have no fixed date.
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
# "after Thanksgiving dinner", "before the Christmas parade": a thing named after the event
_THING = (
    r"dinner|lunch|meal|feast|turkey|leftovers|trees?|decorations|lights|markets?|parades?"
    r"|party|parties|shopping|sales?|menus?|cards?|gifts?|eve|movies?|songs?|specials?|episodes?"
)
_DATED_BY_EVENT = re.compile(
    rf"\b(before|after|since)\s+({_EVENT_PATTERN})\b(?!\s+(?:{_THING})\b)", re.I
)


# what happened before an event is still reported in the days after it (a campaign incident,
# the week's polls), as a period's news comes out during it and after it
REPORTING_GRACE = timedelta(days=7)


def last_occurrence(rule: Callable[[int], date | None], reference: date) -> date | None:
    """The event's latest date on or before the reference, looking back up to four years."""
    for year in range(reference.year, reference.year - 5, -1):
        day = rule(year)
        if day is not None and day <= reference:
            return day
    return None


def next_occurrence(rule: Callable[[int], date | None], reference: date) -> date | None:
    """The event's first date after the reference, looking ahead up to four years."""
    for year in range(reference.year, reference.year + 5):
        day = rule(year)
        if day is not None and day > reference:
            return day
    return None


def find_event(question: str, reference: date) -> tuple[str, date] | None:
    """('before' | 'after' | 'since', the event's date) for the first event the question names:
    the nearest occurrence for 'before' (it may be to come), else the latest one so far."""
    match = _DATED_BY_EVENT.search(question)
    if not match:
        return None
    relation, name = match.group(1).lower(), match.group(2)
    rule = next(rule for pattern, rule in EVENTS.items() if re.fullmatch(pattern, name, re.I))
    last = last_occurrence(rule, reference)
    upcoming = next_occurrence(rule, reference) if relation == "before" else None
    if upcoming and (last is None or upcoming - reference < reference - last):
        return (relation, upcoming)
    return (relation, last) if last else None


def event_bounds(question: str, reference: date) -> tuple[date | None, date | None] | None:
    """The publication range a dated event gives: before it, up to a week after it (see
    REPORTING_GRACE), and nothing when it is still to come; after or since it, from the day
    itself (results are reported that night)."""
    found = find_event(question, reference)
    if found is None:
        return None
    relation, day = found
    if relation == "before":
        return None if day > reference else (None, day + REPORTING_GRACE)
    return (day, None)
