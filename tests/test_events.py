"""Named events that date a question: "before the election", "since Christmas"."""

from __future__ import annotations

from datetime import date

import pytest

from qa.events import event_bounds, find_event


@pytest.mark.parametrize(
    ("question", "reference", "bounds"),
    [
        # the 2024 US general election was on 5 Nov 2024; 2022's midterms on 8 Nov 2022; what
        # happened before an election is reported up to a week after it
        (
            "What did the polls say before the election?",
            date(2024, 11, 20),
            (None, date(2024, 11, 12)),
        ),
        ("Who has resigned since the election?", date(2025, 3, 1), (date(2024, 11, 5), None)),
        ("What changed after the midterms?", date(2024, 3, 1), (date(2022, 11, 8), None)),
        ("Who led before the presidential election?", date(2021, 6, 1), (None, date(2020, 11, 10))),
        # an election still to come, nearer than the last one: all the news so far is before it
        ("Who led the polls before the election?", date(2024, 10, 1), None),
        ("Which turkeys were pardoned before Thanksgiving this week?", date(2025, 11, 25), None),
        ("What sold out before Christmas?", date(2024, 3, 1), (None, date(2024, 1, 1))),
        ("Which stores opened after Thanksgiving?", date(2023, 12, 1), (date(2023, 11, 23), None)),
        ("What happened since July 4th?", date(2021, 8, 1), (date(2021, 7, 4), None)),
        ("Who won the election?", date(2024, 11, 20), None),  # no before/after/since
        ("What happened before the storm?", date(2024, 11, 20), None),  # not a known event
        # a thing named after the event, not a time
        ("Why are people sleepy after Thanksgiving dinner?", date(2024, 11, 26), None),
    ],
)
def test_named_events_bound_publication(question: str, reference: date, bounds) -> None:  # type: ignore[no-untyped-def]
    assert event_bounds(question, reference) == bounds


def test_the_event_named_is_the_nearest_for_before_and_the_last_for_since() -> None:
    assert find_event("before the election", date(2024, 11, 5)) == ("before", date(2024, 11, 5))
    assert find_event("before the election", date(2024, 11, 4)) == ("before", date(2024, 11, 5))
    assert find_event("before the election", date(2023, 9, 14)) == ("before", date(2022, 11, 8))
    assert find_event("since the election", date(2024, 11, 4)) == ("since", date(2022, 11, 8))
