"""robots.txt, served by the real HTTP server on 127.0.0.1 of the web-ingest tests."""

from __future__ import annotations

import time

import pytest
import test_ingest_web
from test_ingest_web import STORY, Site, article_html, only, rss

from qa.ingest import Article, IngestFailure, load_articles
from qa.ingest.fetch import Fetcher, FetchError

ROBOTS = "text/plain; charset=utf-8"
site = test_ingest_web.site  # the same real HTTP server fixture


def fetcher(timeout_s: float = 5) -> Fetcher:
    """A fresh fetcher for each test: robots.txt is remembered per fetcher."""
    return Fetcher(allow_private=True, timeout_s=timeout_s)


def robots_reads(site: Site) -> int:
    return sum(path == "/robots.txt" for path, _ in site.requests)


def test_disallowed_url_is_a_one_line_failure_and_the_page_is_never_requested(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", ROBOTS)
    url = site.page("/private/story", article_html("Ferry terminal to close", STORY))
    failure = only(list(load_articles([url], fetcher=fetcher())))
    assert isinstance(failure, IngestFailure) and failure.input == url
    assert failure.reason == (
        f"disallowed by {site.base}/robots.txt for user agent 'newsqa'; "
        "set NEWSQA_RESPECT_ROBOTS=false to fetch it anyway"
    )
    assert [path for path, _ in site.requests] == ["/robots.txt"]


def test_rules_for_newsqa_apply_and_rules_for_other_agents_do_not(site: Site) -> None:
    site.page(
        "/robots.txt",
        "User-agent: otherbot\nDisallow: /\n\nUser-agent: newsqa\nDisallow: /drafts/\n",
        ROBOTS,
    )
    allowed = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    refused = site.page("/drafts/ferry", article_html("Ferry terminal to close", STORY))
    reader = fetcher()
    assert reader.fetch(allowed).url == allowed
    with pytest.raises(FetchError, match="disallowed by"):
        reader.fetch(refused)
    assert robots_reads(site) == 1  # read once per site, then remembered


def test_missing_robots_txt_allows_everything(site: Site) -> None:
    url = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    article = only(list(load_articles([url], fetcher=fetcher())))
    assert isinstance(article, Article)
    assert [path for path, _ in site.requests] == ["/robots.txt", "/news/ferry"]


@pytest.mark.parametrize("broken", ["server-error", "timeout"])
def test_unreadable_robots_txt_refuses_the_site_with_the_reason(site: Site, broken: str) -> None:
    if broken == "server-error":
        site.page("/robots.txt", "busy", ROBOTS, status=503)
    else:

        def slow() -> tuple[int, dict[str, str], bytes]:
            time.sleep(2)
            return 200, {"Content-Type": ROBOTS}, b"User-agent: *\nAllow: /\n"

        site.routes["/robots.txt"] = slow
    url = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    failure = only(list(load_articles([url], fetcher=fetcher(timeout_s=0.5))))
    assert isinstance(failure, IngestFailure) and failure.input == url
    expected = "HTTP 503" if broken == "server-error" else "timed out"
    assert failure.reason.startswith(f"refused: {site.base}/robots.txt could not be read (")
    assert expected in failure.reason and "NEWSQA_RESPECT_ROBOTS=false" in failure.reason
    assert "/news/ferry" not in [path for path, _ in site.requests]


def test_redirect_to_a_disallowed_path_is_not_followed(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", ROBOTS)
    site.page("/private/story", article_html("Ferry terminal to close", STORY))
    start = site.redirect("/go", "/private/story")
    with pytest.raises(FetchError, match="disallowed by"):
        fetcher().fetch(start)
    assert "/private/story" not in [path for path, _ in site.requests]


def test_setting_turns_robots_off(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.indexing import build_fetcher
    from qa.settings import Settings

    assert build_fetcher(Settings()).respect_robots is True
    monkeypatch.setenv("NEWSQA_RESPECT_ROBOTS", "false")
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "true")
    site.page("/robots.txt", "User-agent: *\nDisallow: /\n", ROBOTS)
    url = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    article = only(list(load_articles([url], fetcher=build_fetcher(Settings()))))
    assert isinstance(article, Article)
    assert robots_reads(site) == 0


def test_disallowed_feed_item_falls_back_to_its_summary_and_says_why(site: Site) -> None:
    site.page("/robots.txt", "User-agent: newsqa\nDisallow: /members/\n", ROBOTS)
    open_page = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    closed = site.base + "/members/bridge"
    feed = site.page(
        "/feed.xml",
        rss(
            [
                {"title": "Ferry terminal to close", "link": open_page},
                {"title": "Bridge to reopen", "link": closed,
                 "description": "The swing bridge reopens on Friday after two months of repairs."},
            ]
        ),
        "application/rss+xml",
    )  # fmt: skip
    first, second = list(load_articles([feed], fetcher=fetcher()))
    assert isinstance(first, Article) and "temporary pontoon" in first.body
    assert isinstance(second, Article) and second.extra["text_from"] == "feed-summary"
    assert second.extra["page_error"].startswith("disallowed by")
    assert "/members/bridge" not in [path for path, _ in site.requests]
    assert robots_reads(site) == 1


def test_disallowed_feed_is_a_one_line_failure(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\nDisallow: /feed.xml\n", ROBOTS)
    feed = site.page("/feed.xml", rss([{"title": "T", "link": site.base + "/x"}]),
                     "application/rss+xml")  # fmt: skip
    failure = only(list(load_articles([feed], fetcher=fetcher())))
    assert isinstance(failure, IngestFailure) and failure.input == feed
    assert failure.reason.startswith("disallowed by") and "\n" not in failure.reason
