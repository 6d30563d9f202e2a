"""Property tests: the page parsers and the date parser never raise, whatever text they get."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.ingest import Article, parse_datetime, parse_html, parse_page_text

# Lines built from page-like pieces reach the interesting branches more often than raw text.
_PIECES = st.sampled_from(
    [
        "date 2023-09-05",
        "September 05, 2023 06:49 am | Updated 06:50 am IST - WASHINGTON",
        "Published: 5 Sep 2023 14:30 BST",
        "Updated:",
        "By Jane Doe and",
        "AP",
        "ALSO READ",
        "Related Topics",
        "Tags:",
        "© 2023",
        "Copyright",
        "A caption | Photo Credit: Reuters",
        "WASHINGTON (AP) —",
        "The official said the talks would continue.",
        "“We will see,” she said.",
        "1. Data",
        "",
    ]
)
_PAGE = st.lists(st.one_of(_PIECES, st.text(max_size=80)), max_size=25).map("\n".join)
_HTML = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<html>",
                '<html lang="en">',
                "<head>",
                '<script type="application/ld+json">',
                '{"@type": "NewsArticle", "headline": "H", "datePublished": ',
                '"@graph": [',
                "</script>",
                '<meta property="article:published_time" content="',
                '<link rel="canonical" href="',
                "https://x.example/2023/09/05/a",
                '<time datetime="',
                "<p>",
                "</p>",
                "<article>",
                "<body>",
                "The official said the talks would continue on Monday in the capital.",
                "<!--",
                "<![CDATA[",
                '<?xml version="1.0" encoding="utf-8"?>',
            ]
        ),
        st.text(max_size=60),
    ),
    max_size=30,
).map("".join)


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.one_of(_PAGE, st.text()))
def test_parse_page_text_never_raises(text: str) -> None:
    article = parse_page_text(text, origin="prop.txt")
    assert isinstance(article, Article)
    assert article.published_at is None or article.date_origin in ("page", "file-header")


@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.one_of(_HTML, st.text()), st.sampled_from([None, "https://x.example/2023/09/05/a"]))
def test_parse_html_never_raises(html: str, url: str | None) -> None:
    article = parse_html(html, origin="prop.html", url=url)
    assert isinstance(article, Article)
    assert (article.published_at is None) == (article.date_origin is None)


@settings(max_examples=200, deadline=None, database=None)
@given(st.one_of(st.none(), st.text(max_size=60), st.integers(), st.floats()))
def test_parse_datetime_never_raises(value: str | int | float | None) -> None:
    parsed = parse_datetime(value)
    assert parsed is None or 1800 <= parsed.year <= 2200
