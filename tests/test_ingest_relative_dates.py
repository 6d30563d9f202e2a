"""Relative dates in an article ("Monday", "last week") resolved against its publication date."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone

from conftest import SEED
from hypothesis import given
from hypothesis import strategies as st

from qa.chunk import chunk_article
from qa.ingest import Article, load_articles
from qa.ingest.relative_dates import find_relative_dates, resolve_relative_dates

TUESDAY = date(2023, 9, 5)  # the seed's publication day


def test_seed_monday_is_the_day_before_publication_and_stored_with_its_chunk() -> None:
    (article,) = load_articles([SEED])
    assert isinstance(article, Article)
    resolved = resolve_relative_dates(article.body, article.published_at)
    assert resolved["Monday"] == "2023-09-04"
    assert resolved["last week"] == "2023-08-28/2023-09-03"
    assert resolved["this month"] == "2023-09"
    chunks = chunk_article(article)
    with_monday = [c for c in chunks if "Monday" in c.text]
    assert with_monday and all(c.relative_dates["Monday"] == "2023-09-04" for c in with_monday)
    assert all("Monday" not in c.relative_dates for c in chunks if "Monday" not in c.text)


def test_publication_date_is_read_in_the_articles_own_zone() -> None:
    # 00:30 on Tuesday in Delhi is still Monday in UTC; "Monday" is the day before Tuesday
    published = datetime(2023, 9, 5, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert resolve_relative_dates("He spoke Monday.", published) == {"Monday": "2023-09-04"}


def test_future_tense_weekday_is_the_next_one() -> None:
    text = "Officials said Sunday that the two leaders will meet on Friday in Vladivostok."
    assert resolve_relative_dates(text, TUESDAY) == {"Sunday": "2023-09-03", "Friday": "2023-09-08"}


def test_same_weekday_as_publication_is_that_day() -> None:
    assert resolve_relative_dates("The minister said Tuesday.", TUESDAY) == {
        "Tuesday": "2023-09-05"
    }


def test_days_weeks_months_and_years() -> None:
    text = (
        "Yesterday the port reopened. Talks resume tomorrow. Last month exports fell; "
        "next week a report is due and next month a vote. Prices rose last year. "
        "Two days ago a ship ran aground; a week ago another. Last weekend it rained. "
        "Last Friday and next Monday were named."
    )
    assert resolve_relative_dates(text, TUESDAY) == {
        "yesterday": "2023-09-04",
        "tomorrow": "2023-09-06",
        "last month": "2023-08",
        "next week": "2023-09-11/2023-09-17",
        "next month": "2023-10",
        "last year": "2022",
        "two days ago": "2023-09-03",
        "a week ago": "2023-08-29",
        "last weekend": "2023-09-02/2023-09-03",
        "last Friday": "2023-09-01",
        "next Monday": "2023-09-11",
    }


def test_month_arithmetic_crosses_years() -> None:
    assert resolve_relative_dates("last month and next month", date(2024, 1, 15)) == {
        "last month": "2023-12",
        "next month": "2024-02",
    }


def test_no_publication_date_means_nothing_is_resolved() -> None:
    assert resolve_relative_dates("He spoke Monday and last week.", None) == {}


def test_weekday_names_inside_other_words_or_lower_case_are_ignored() -> None:
    assert resolve_relative_dates("Mondays are busy; monday is lower case.", TUESDAY) == {}


def test_stored_form_is_compact_json(newsqa) -> None:  # type: ignore[no-untyped-def]
    newsqa.ingest([SEED])
    metadatas = newsqa.store.collection.get(include=["metadatas"])["metadatas"]
    stored = [json.loads(m["relative_dates"]) for m in metadatas if m["relative_dates"]]
    assert {"Monday": "2023-09-04"}.items() <= stored[0].items()


_VALUE = re.compile(r"^\d{4}(-\d{2}(-\d{2}(/\d{4}-\d{2}-\d{2})?)?)?$")


_WORDS = ["Monday", "last", "next", "this", "week", "month", "two", "days", "ago", "will",
          "Friday", "yesterday", ".", "year", "weekend", "x", "a", "Sunday", "12"]  # fmt: skip


@given(
    words=st.lists(st.sampled_from(_WORDS), max_size=30),
    published=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_resolution_never_fails_and_stays_within_a_year_of_publication(
    words: list[str], published: datetime
) -> None:
    for found in find_relative_dates(" ".join(words), published):
        assert _VALUE.match(found.value)
        assert found.start <= found.end
        assert abs((found.start - published.date()).days) <= 731
