"""`parse_datetime` and page date lines: every format loaders meet, None for garbage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from qa.ingest.dates import date_from_url, looks_like_date_line, parse_date_line, parse_datetime


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-09-05T06:49:00Z", datetime(2023, 9, 5, 6, 49, tzinfo=UTC)),
        ("2023-11-27T08:45:59+00:00", datetime(2023, 11, 27, 8, 45, 59, tzinfo=UTC)),
        ("2023-09-05", datetime(2023, 9, 5, tzinfo=UTC)),
        ("Tue, 05 Sep 2023 06:49:00 +0530", datetime(2023, 9, 5, 6, 49, tzinfo=tz(5.5))),
        ("Tue, 05 Sep 2023 06:49:00 GMT", datetime(2023, 9, 5, 6, 49, tzinfo=UTC)),
        (1693896540, datetime(2023, 9, 5, 6, 49, tzinfo=UTC)),
        (1693896540000, datetime(2023, 9, 5, 6, 49, tzinfo=UTC)),
        ("1693896540", datetime(2023, 9, 5, 6, 49, tzinfo=UTC)),
        ("Sep 5, 2023", datetime(2023, 9, 5, tzinfo=UTC)),
        ("5 September 2023", datetime(2023, 9, 5, tzinfo=UTC)),
        ("September 05, 2023 06:49 am IST", datetime(2023, 9, 5, 6, 49, tzinfo=tz(5.5))),
        ("5 Sep 2023 14:30 BST", datetime(2023, 9, 5, 14, 30, tzinfo=tz(1))),
        ("Sep 5, 2023 10:12 PM EDT", datetime(2023, 9, 5, 22, 12, tzinfo=tz(-4))),
        ("Sep 5, 2023 10:12 PM EST", datetime(2023, 9, 5, 22, 12, tzinfo=tz(-5))),
        ("Sep 5, 2023 9:00 a.m. PST", datetime(2023, 9, 5, 9, 0, tzinfo=tz(-8))),
        ("5 Sep 2023 09:00 CET", datetime(2023, 9, 5, 9, 0, tzinfo=tz(1))),
        ("5 Sep 2023 09:00 UTC", datetime(2023, 9, 5, 9, 0, tzinfo=UTC)),
        ("Published: 5 Sep 2023 14:30 GMT", datetime(2023, 9, 5, 14, 30, tzinfo=UTC)),
        ("Updated: Sep 6, 2023", datetime(2023, 9, 6, tzinfo=UTC)),
    ],
)
def test_parse_datetime_reads_common_formats(value: str | int, expected: datetime) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


def test_time_without_zone_stays_naive() -> None:
    assert parse_datetime("2023-09-05 06:49:00") == datetime(2023, 9, 5, 6, 49)


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "garbage", "today", "now", "2 hours ago", "12", True, float("nan"), 10**30,
     "2023-13-45", "Sept 2023", "x" * 500],
)  # fmt: skip
def test_parse_datetime_returns_none_for_garbage_and_relative_phrases(value: object) -> None:
    assert parse_datetime(value) is None  # type: ignore[arg-type]


def test_date_line_with_shared_zone_and_dateline() -> None:
    line = "September 05, 2023 06:49 am | Updated 06:50 am IST - WASHINGTON"
    assert looks_like_date_line(line)
    published, updated, dateline = parse_date_line(line)
    assert published == datetime(2023, 9, 5, 6, 49, tzinfo=tz(5.5))
    assert updated == datetime(2023, 9, 5, 6, 50, tzinfo=tz(5.5))
    assert dateline == "WASHINGTON"


def test_date_line_with_full_updated_date() -> None:
    published, updated, _ = parse_date_line("Published 5 Sep 2023 | Last updated 7 Sep 2023")
    assert published == datetime(2023, 9, 5, tzinfo=UTC)
    assert updated == datetime(2023, 9, 7, tzinfo=UTC)


def test_story_sentence_with_a_date_is_not_a_date_line() -> None:
    assert not looks_like_date_line(
        "The talks, first held on September 5, 2023, ended without agreement."
    )


def test_date_from_url_path() -> None:
    assert date_from_url("https://x.example/2023/09/05/story") == datetime(2023, 9, 5, tzinfo=UTC)
    assert date_from_url("https://x.example/news/2023-09-05-story") == datetime(
        2023, 9, 5, tzinfo=UTC
    )
    assert date_from_url("https://x.example/2023/13/45/story") is None
    assert date_from_url(None) is None
