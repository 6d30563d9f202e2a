"""HTML pages: trafilatura's story text plus metadata from JSON-LD, OpenGraph, URL or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from qa.ingest import Article, parse_html

HTML = Path(__file__).parent / "fixtures" / "ingest" / "html"


def _parse(name: str, url: str | None = None) -> Article:
    path = HTML / name
    return parse_html(path.read_text(encoding="utf-8"), origin=str(path), url=url)


def test_jsonld_graph_supplies_headline_dates_people_and_publisher() -> None:
    article = _parse("jsonld-graph.html")
    cest = timezone(timedelta(hours=2))
    assert article.title == "Valdoria rail strike halts trains across the north"
    assert article.published_at == datetime(2023, 10, 2, 7, 15, tzinfo=cest)
    assert article.updated_at == datetime(2023, 10, 2, 11, 40, tzinfo=cest)
    assert article.date_origin == "meta"
    assert article.authors == ("Ines Varga", "Tom Hale")
    assert article.source == "The Daily Meridian"  # resolved through the @graph @id
    assert article.section == "Business"
    assert article.topics == ("rail", "strikes", "Valdoria")
    assert article.language == "en-GB"
    assert article.summary == "Unions say the walkout will last 48 hours."


def test_jsonld_beats_opengraph_for_title_and_date() -> None:
    article = _parse("jsonld-graph.html")
    assert article.title != "OG title that JSON-LD should beat"
    assert article.published_at is not None and article.published_at.year == 2023


def test_html_body_is_the_story_without_headline_or_navigation() -> None:
    article = _parse("jsonld-graph.html")
    assert article.body.startswith("LUNDMARK, Valdoria — Train drivers walked out at dawn")
    assert '"We did not want to strike, but management left us no choice," said' in article.body
    assert "Home" not in article.body and "Sign in" not in article.body
    assert "All rights reserved" not in article.body
    assert article.body.count("\n\n") == 3
    assert article.dateline == "LUNDMARK"


def test_canonical_link_gives_url_and_a_stable_id() -> None:
    article = _parse("jsonld-graph.html")
    assert article.url is not None
    assert article.url.startswith("https://meridian.example/business/2023/10/02/rail-strike")
    again = _parse("jsonld-graph.html", url="https://meridian.example/amp/rail-strike")
    assert article.id == again.id


def test_opengraph_only_page_gives_metadata() -> None:
    article = _parse("opengraph-only.html")
    assert article.title == "Harbour reopens after storm damage is cleared"
    assert article.source == "Coastal Courier"
    assert article.url == "https://courier.example/news/harbour-reopens"
    assert article.published_at == datetime(2024, 3, 14, 13, 30, tzinfo=UTC)
    assert article.updated_at == datetime(2024, 3, 14, 16, 0, tzinfo=UTC)
    assert article.date_origin == "meta"
    assert article.authors == ("Lee Park", "Ana Ruiz")
    assert article.section == "Local"
    assert article.topics == ("harbour", "storms")
    assert article.language == "fr"
    assert article.summary == "Fishing boats returned to sea on Thursday."
    assert article.body.startswith("The town harbour reopened on Thursday morning")


def test_date_only_in_url_path_is_used_and_labelled_url() -> None:
    article = _parse("url-date-only.html")
    assert article.published_at == datetime(2022, 11, 8, tzinfo=UTC)
    assert article.date_origin == "url"


def test_fetch_url_date_is_the_last_resort() -> None:
    article = _parse("no-date.html", url="https://example.org/news/2021/06/30/trees")
    assert article.published_at == datetime(2021, 6, 30, tzinfo=UTC)
    assert article.date_origin == "url"


def test_page_without_date_keeps_none_not_now() -> None:
    article = _parse("no-date.html")
    assert article.published_at is None
    assert article.date_origin is None
    assert article.title == "Volunteers plant a thousand trees"
    assert article.body.startswith("More than two hundred volunteers")


def test_time_element_is_a_date_fallback() -> None:
    html = (
        "<html><body><article><h1>Bridge reopens</h1>"
        '<time datetime="2024-07-01T08:00:00+00:00">1 July</time>'
        "<p>The old bridge reopened to traffic on Monday after two years of repairs and "
        "strengthening work by the county.</p></article></body></html>"
    )
    article = parse_html(html, origin="t.html")
    assert article.published_at == datetime(2024, 7, 1, 8, tzinfo=UTC)
    assert article.date_origin == "page"


def test_truncated_html_still_yields_the_text_it_has() -> None:
    html = (HTML / "jsonld-graph.html").read_text(encoding="utf-8")
    cut = html[: html.index("Talks between") + 20]
    article = parse_html(cut, origin="cut.html")
    assert article.title == "Valdoria rail strike halts trains across the north"
    assert "Train drivers walked out at dawn" in article.body


def test_html_cut_before_the_story_has_empty_body() -> None:
    html = (HTML / "jsonld-graph.html").read_text(encoding="utf-8")
    article = parse_html(html[: html.index("<article>") + 30], origin="cut.html")
    assert article.body == ""


def test_page_with_only_navigation_has_empty_body() -> None:
    assert _parse("no-text.html").body == ""


def test_malformed_jsonld_is_skipped_and_opengraph_used() -> None:
    html = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", </script>'
        '<meta property="og:title" content="Schools close early">'
        '<meta property="article:published_time" content="2024-06-20">'
        "</head><body><p>Schools across the region closed two hours early on Thursday "
        "because of the heatwave, the education office said.</p></body></html>"
    )
    article = parse_html(html, origin="t.html")
    assert article.title == "Schools close early"
    assert article.published_at == datetime(2024, 6, 20, tzinfo=UTC)


def test_text_that_is_only_a_url_is_not_fetched() -> None:
    # htmldate downloads strings that look like URLs; parse_html must never let it.
    article = parse_html("https://example.org/2023/09/05/story", origin="t.html")
    assert article.body == ""


def test_same_page_parsed_repeatedly_keeps_its_body() -> None:
    bodies = {_parse("no-date.html").body for _ in range(4)}
    assert len(bodies) == 1 and bodies != {""}
