"""Named events that date a question: "before the election", "since Christmas"."""

from __future__ import annotations

from datetime import date

import pytest

from qa.events import event_bounds, find_event


@pytest.mark.parametrize(
    ("question", "reference", "bounds"),
    [
        # the 2024 US general election was on 5 Nov 2024; 2022's midterms on 8 Nov 2022
        (
            "What did the polls say before the election?",
            date(2024, 11, 20),
            (None, date(2024, 11, 4)),
        ),
        ("Who has resigned since the election?", date(2025, 3, 1), (date(2024, 11, 5), None)),
        ("What changed after the midterms?", date(2024, 3, 1), (date(2022, 11, 8), None)),
        ("Who led before the presidential election?", date(2023, 6, 1), (None, date(2020, 11, 2))),
        # before this year's election day, "the election" is the last one held
        ("Who won before the election?", date(2024, 10, 1), (None, date(2022, 11, 7))),
        ("What sold out before Christmas?", date(2024, 3, 1), (None, date(2023, 12, 24))),
        ("Which stores opened after Thanksgiving?", date(2023, 12, 1), (date(2023, 11, 23), None)),
        ("What happened since July 4th?", date(2021, 8, 1), (date(2021, 7, 4), None)),
        ("Who won the election?", date(2024, 11, 20), None),  # no before/after/since
        ("What happened before the storm?", date(2024, 11, 20), None),  # not a known event
    ],
)
def test_named_events_bound_publication(question: str, reference: date, bounds) -> None:  # type: ignore[no-untyped-def]
    assert event_bounds(question, reference) == bounds


def test_the_event_named_is_the_most_recent_one() -> None:
    assert find_event("before the election", date(2024, 11, 5)) == ("before", date(2024, 11, 5))
    assert find_event("before the election", date(2024, 11, 4)) == ("before", date(2022, 11, 8))
