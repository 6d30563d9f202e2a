"""Scraped page text: the story survives, page furniture does not, metadata comes from the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from qa.ingest import Article, parse_page_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "thehindu-kim-putin-2023-09-05.txt"
MERIDIAN = Path(__file__).parent / "fixtures" / "ingest" / "meridian-floods.txt"
IST = timezone(timedelta(hours=5, minutes=30))
BST = timezone(timedelta(hours=1))


@pytest.fixture(scope="module")
def seed() -> Article:
    return parse_page_text(SEED.read_text(encoding="utf-8"), origin=str(SEED))


@pytest.fixture(scope="module")
def meridian() -> Article:
    return parse_page_text(MERIDIAN.read_text(encoding="utf-8"), origin=str(MERIDIAN))


def test_seed_page_title_is_the_headline(seed: Article) -> None:
    assert (
        seed.title == "North Korea's Kim Jong Un to meet Putin in Russia this month: U.S. official"
    )


def test_seed_page_standfirst_becomes_summary(seed: Article) -> None:
    assert seed.summary == (
        "The two leaders are expected to meet as talks on a weapons sale are advancing"
    )


def test_seed_page_dates_come_from_the_page_in_ist(seed: Article) -> None:
    assert seed.published_at == datetime(2023, 9, 5, 6, 49, tzinfo=IST)
    assert seed.updated_at == datetime(2023, 9, 5, 6, 50, tzinfo=IST)
    assert seed.published_at.utcoffset() == timedelta(hours=5, minutes=30)
    assert seed.date_origin == "page"


def test_seed_page_dateline_source_byline_and_topics(seed: Article) -> None:
    assert seed.dateline == "WASHINGTON"
    assert seed.source == "The Hindu"
    assert seed.authors == ("AP",)
    assert seed.topics == ("Russia", "North Korea", "defence equipment")


def test_seed_page_body_runs_from_first_to_last_story_paragraph(seed: Article) -> None:
    assert seed.body.startswith(
        "A U.S. official said Monday that North Korean leader Kim Jong Un may travel to Russia soon"
    )
    assert seed.body.endswith("talks on a weapons sale were advancing.")


def test_seed_page_keeps_quoted_speech(seed: Article) -> None:
    assert "Ms. Watson said, “We have information that Kim Jong Un expects" in seed.body
    assert '"to cease its arms negotiations with Russia' in seed.body
    assert "“more at the surface level”" in seed.body


@pytest.mark.parametrize(
    "furniture",
    [
        "HamberMenu",
        "SEARCH Icon",
        "Crossword+",
        "CONNECT WITH US",
        "Sign in",
        "member-only",
        "Comments have to be in English",
        "Vuukle",
        "ALSO READ",
        "Photo Credit",
        "Related Topics",
        "Top News Today",
        "test-fires missiles",
    ],
)
def test_seed_page_drops_page_furniture(seed: Article, furniture: str) -> None:
    assert furniture not in seed.body


def test_seed_page_drops_photo_caption_and_its_repeat(seed: Article) -> None:
    assert "File picture of Russian President" not in seed.body


def test_seed_page_paragraphs_are_separated_by_blank_lines(seed: Article) -> None:
    paragraphs = seed.body.split("\n\n")
    assert len(paragraphs) == 8
    assert all(p.strip() == p and "\n" not in p for p in paragraphs)


def test_other_outlet_layout_title_summary_and_byline(meridian: Article) -> None:
    assert meridian.title == "Floods force thousands from homes in northern Valdoria"
    assert meridian.summary is not None and meridian.summary.startswith("Rescue teams worked")
    assert meridian.authors == ("Jane Doe", "Omar Rahman")


def test_other_outlet_layout_published_and_updated_lines_in_bst(meridian: Article) -> None:
    assert meridian.published_at == datetime(2023, 9, 5, 14, 30, tzinfo=BST)
    assert meridian.updated_at == datetime(2023, 9, 6, 9, 15, tzinfo=BST)
    assert meridian.date_origin == "page"


def test_other_outlet_layout_source_from_copyright_and_dateline_from_story(
    meridian: Article,
) -> None:
    assert meridian.source == "The Daily Meridian"
    assert meridian.dateline == "MARLOW"
    assert meridian.topics == ("Floods", "Valdoria", "Climate")


def test_other_outlet_layout_keeps_story_and_quotes(meridian: Article) -> None:
    assert meridian.body.startswith("MARLOW, Valdoria (Reuters) — Thousands of residents")
    assert '"We lost everything in an hour," said Petra Lind' in meridian.body
    assert meridian.body.endswith("keep rising for another two days.")


@pytest.mark.parametrize(
    "furniture",
    [
        "Skip to main content",
        "Subscribe",
        "Facebook",
        "wades through floodwater",  # a sentence-like caption, repeated with "Photo:"
        "Advertisement",
        "wettest autumn",  # inline "Read more:" teaser and the Most Read list
        "newsletter",
        "Most Read",
        "rail timetable",
        "cookie",
        "All rights reserved",
    ],
)
def test_other_outlet_layout_drops_page_furniture(meridian: Article, furniture: str) -> None:
    assert furniture not in meridian.body


def test_page_without_date_falls_back_to_file_header() -> None:
    text = (
        "date 2024-01-15\n\nRiver festival draws record crowds\n\n"
        "More than fifty thousand people came to the river festival on Sunday.\n"
    )
    article = parse_page_text(text, origin="t.txt")
    assert article.title == "River festival draws record crowds"
    assert article.published_at == datetime(2024, 1, 15, tzinfo=UTC)
    assert article.date_origin == "file-header"


def test_page_without_any_date_has_none_not_now() -> None:
    text = "Quiet day at the harbour\n\nThe boats stayed in port because of strong winds.\n"
    article = parse_page_text(text, origin="t.txt")
    assert article.published_at is None
    assert article.date_origin is None
    assert article.source is None


def test_leading_agency_dateline_gives_dateline_and_source() -> None:
    text = (
        "Storm closes airport\n\nSep 5, 2023 10:12 PM EDT\n\n"
        "MIAMI (AP) — The airport closed on Tuesday as the storm approached the coast.\n"
    )
    article = parse_page_text(text, origin="t.txt")
    assert article.dateline == "MIAMI"
    assert article.source == "AP"
    assert article.published_at == datetime(
        2023, 9, 5, 22, 12, tzinfo=timezone(-timedelta(hours=4))
    )


def test_page_of_only_menus_has_empty_body() -> None:
    text = "Home\nWorld\nBusiness\n1. Sport\n2. Culture\nSign in\n"
    assert parse_page_text(text, origin="t.txt").body == ""


def test_agency_layout_with_caps_byline_and_gmt_offset() -> None:
    text = "\n".join(
        [
            "Menu",
            "World News",
            "Kim Jong Un to visit Russia, US official says",
            "BY AAMER MADHANI",
            "Updated 10:49 PM GMT+5:30, September 4, 2023",
            "Share",
            "WASHINGTON (AP) — North Korean leader Kim Jong Un plans to travel to Russia this month.",
            "The official spoke on condition of anonymity to discuss the matter.",
            "Copyright 2023 The Associated Press. All rights reserved.",
        ]
    )
    article = parse_page_text(text, origin="ap.txt")
    assert article.title == "Kim Jong Un to visit Russia, US official says"
    assert article.authors == ("AAMER MADHANI",)
    assert article.published_at is None  # the page gives only an update time
    assert article.updated_at == datetime(2023, 9, 4, 22, 49, tzinfo=IST)
    assert article.source == "The Associated Press"
    assert article.dateline == "WASHINGTON"
    assert article.body.endswith("to discuss the matter.")


def test_date_printed_above_the_headline() -> None:
    text = "\n".join(
        [
            "Local news",
            "",
            "NEWS | 12 March 2024",
            "",
            "Council agrees budget after late-night vote",
            "",
            "Councillors agreed next year's budget shortly after midnight on Tuesday.",
            "The budget raises spending on roads and schools.",
        ]
    )
    article = parse_page_text(text, origin="local.txt")
    assert article.title == "Council agrees budget after late-night vote"
    assert article.published_at == datetime(2024, 3, 12, tzinfo=UTC)
    assert article.body.startswith("Councillors agreed next year's budget")
