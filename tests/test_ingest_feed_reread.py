"""Reading a feed again: a conditional GET for the feed, and no page fetched again for an item
that is stored and not dated after the stored version (real HTTP server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_ingest_web
from test_ingest_web import STORY, Site, article_html, rss

site = test_ingest_web.site  # the same real HTTP server fixture
ETAG = '"v1"'


@pytest.fixture
def newsqa(isolated_home: Path, embed_model):  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA
    from qa.settings import Settings

    return NewsQA(Settings(home=isolated_home, allow_private_urls=True), embed_model=embed_model)


def serve_feed(site: Site, items: list[dict[str, str]], *, etag: str | None = ETAG) -> str:
    """The feed at /feed.xml; with an ETag, a matching If-None-Match gets 304 Not Modified."""
    body = rss(items).encode()

    def reply() -> tuple[int, dict[str, str], bytes]:
        _, headers = site.requests[-1]
        if etag and headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return (
            200,
            {"Content-Type": "application/rss+xml", **({"ETag": etag} if etag else {})},
            body,
        )

    site.routes["/feed.xml"] = reply
    return site.base + "/feed.xml"


def two_items(
    site: Site, second_date: str = "Tue, 05 Mar 2024 08:00:00 GMT"
) -> list[dict[str, str]]:
    first = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    second = site.page(
        "/news/bridge",
        article_html(
            "Bridge to reopen", [s.replace("ferry terminal", "swing bridge") for s in STORY]
        ),
    )
    return [
        {
            "title": "Ferry terminal to close",
            "link": first,
            "pubDate": "Mon, 04 Mar 2024 08:00:00 GMT",
        },
        {"title": "Bridge to reopen", "link": second, "pubDate": second_date},
    ]


def pages(site: Site) -> list[str]:
    return [path for path, _ in site.requests if path.startswith("/news/")]


def test_unchanged_feed_is_one_conditional_request_and_counts_its_items_unchanged(
    site: Site, newsqa
) -> None:  # type: ignore[no-untyped-def]
    feed = serve_feed(site, two_items(site))
    first = newsqa.ingest([feed])
    assert first.added == 2 and not first.failures
    assert sorted(pages(site)) == ["/news/bridge", "/news/ferry"]
    site.requests.clear()
    again = newsqa.ingest([feed])
    assert (again.added, again.updated, again.unchanged, again.failures) == (0, 0, 2, [])
    feed_requests = [h for path, h in site.requests if path == "/feed.xml"]
    assert len(feed_requests) == 1 and feed_requests[0]["If-None-Match"] == ETAG
    assert pages(site) == []
    assert "0 added, 0 updated, 2 unchanged" in again.summary()


def test_feed_without_validators_is_fetched_but_stored_items_are_not(site: Site, newsqa) -> None:  # type: ignore[no-untyped-def]
    feed = serve_feed(site, two_items(site), etag=None)
    assert newsqa.ingest([feed]).added == 2
    site.requests.clear()
    again = newsqa.ingest([feed])
    assert again.unchanged == 2 and again.added == again.updated == 0
    assert [path for path, _ in site.requests if path != "/robots.txt"] == ["/feed.xml"]


def test_item_dated_after_the_stored_version_is_fetched_again(site: Site, newsqa) -> None:  # type: ignore[no-untyped-def]
    feed = serve_feed(site, two_items(site), etag=None)
    newsqa.ingest([feed])
    items = two_items(site, second_date="Wed, 06 Mar 2024 09:00:00 GMT")  # the item was updated
    site.page("/news/bridge", article_html("Bridge to reopen on Friday", STORY[:2]))
    serve_feed(site, items, etag=None)
    site.requests.clear()
    again = newsqa.ingest([feed])
    assert (again.unchanged, again.updated, again.added) == (1, 1, 0)
    assert pages(site) == ["/news/bridge"]


def test_removed_article_is_fetched_again_even_when_the_feed_is_not_modified(
    site: Site, newsqa
) -> None:  # type: ignore[no-untyped-def]
    feed = serve_feed(site, two_items(site))
    newsqa.ingest([feed])
    (removed,) = [a for a in newsqa.articles() if a.url.endswith("/news/ferry")]
    newsqa.remove([removed.id])
    site.requests.clear()
    again = newsqa.ingest([feed])
    assert (again.added, again.unchanged) == (1, 1)
    assert pages(site) == ["/news/ferry"]


def test_feed_with_an_item_left_as_summary_is_read_in_full_next_time(site: Site, newsqa) -> None:  # type: ignore[no-untyped-def]
    items = two_items(site)
    items[1] = {**items[1], "link": site.base + "/news/gone",
                "description": "The swing bridge reopens on Friday after two months of repairs."}  # fmt: skip
    feed = serve_feed(site, items)
    first = newsqa.ingest([feed])
    assert first.added == 2  # one from its page, one from the feed summary
    site.requests.clear()
    newsqa.ingest([feed])
    (headers,) = [h for path, h in site.requests if path == "/feed.xml"]
    assert "If-None-Match" not in headers  # no validators were kept
    assert pages(site) == ["/news/gone"]  # the summary-only item is tried again
