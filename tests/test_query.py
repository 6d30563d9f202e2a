"""Reading questions: date expressions, outlets, sections, recency (splitting: test_decompose)."""

from __future__ import annotations

from datetime import date

import pytest

from qa.query import (
    DateRange,
    find_outlets,
    find_sections,
    parse_date_range,
    read_question,
)

REF = date(2023, 9, 14)  # a Thursday


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who won the cup in 2023?", DateRange(date(2023, 1, 1), date(2023, 12, 31))),
        ("What happened in September 2022?", DateRange(date(2022, 9, 1), date(2022, 9, 30))),
        ("What did the council decide last month?", DateRange(date(2023, 8, 1), date(2023, 9, 1))),
        ("What happened yesterday in Riverton?", DateRange(date(2023, 9, 13), date(2023, 9, 14))),
        ("Which deal was signed this week?", DateRange(date(2023, 9, 7), date(2023, 9, 14))),
        ("What changed last week?", DateRange(date(2023, 9, 4), date(2023, 9, 11))),
        ("How did prices move since 2021?", DateRange(date(2021, 1, 1), None)),
        ("What was the rate before 2020?", DateRange(None, date(2019, 12, 31))),
        # a named event: the US general election nearest REF was on 8 Nov 2022 (reports of
        # what happened before it come up to a week later)
        ("What did the polls say before the election?", DateRange(None, date(2022, 11, 15))),
        ("Who has resigned since the election?", DateRange(date(2022, 11, 8), None)),
        ("Who leads the central bank?", None),
        # a capitalised month without a year is its latest occurrence up to the reference
        (
            "Who scored the record point in February?",
            DateRange(date(2023, 2, 1), date(2023, 2, 28)),
        ),
        ("What was agreed in Oct?", DateRange(date(2022, 10, 1), date(2022, 10, 31))),
        ("Which team may win in march?", None),  # lower case: a verb and a noun, not months
    ],
)
def test_date_expressions_become_publication_ranges(
    question: str, expected: DateRange | None
) -> None:
    assert parse_date_range(question, REF) == expected


def test_outlet_named_as_source_is_found_only_among_known_outlets() -> None:
    known = ["CNN", "The Verge", "Sport Wire"]
    assert find_outlets("According to The Verge, what did Apple launch?", known) == ("The Verge",)
    assert find_outlets("What has CNN reported about the storm?", known) == ("CNN",)
    assert find_outlets("What did the BBC say?", known) == ()
    assert find_outlets("What did CNN report yesterday?", known) == ("CNN",)
    assert find_outlets("What does The Verge say about the phone?", known) == ("The Verge",)
    # the noun, or the verb without did/does, names a topic, not the source
    assert find_outlets("Why was the CNN report on the storm criticised?", known) == ()
    assert find_outlets("Did the CNN reporting change?", known) == ()


def test_section_is_found_only_when_named_as_a_section() -> None:
    known = ["Sports", "Business"]
    assert find_sections("What was in the sports section about the final?", known) == ("Sports",)
    assert find_sections("What did the Business pages say?", known) == ()
    assert find_sections("What ran in the business pages this week?", known) == ("Business",)
    assert find_sections("Which sports news mattered most?", known) == ()
    assert find_sections("What was in the culture section?", known) == ()


def test_recency_words_mark_the_question_as_about_now() -> None:
    assert read_question(
        "What is the latest on the strike?", reference=REF, known_outlets=[]
    ).wants_recent
    assert not read_question(
        "Who won the 1998 final?", reference=REF, known_outlets=[]
    ).wants_recent
