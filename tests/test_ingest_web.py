"""Web pages and RSS/Atom feeds, served by a real HTTP server on 127.0.0.1; and the SSRF guard."""

from __future__ import annotations

import contextlib
import gzip
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest import Article, IngestFailure, load_articles
from qa.ingest.feeds import html_to_text, looks_like_feed, read_feed
from qa.ingest.fetch import Fetcher, FetchError

HTML_DIR = Path(__file__).parent / "fixtures" / "ingest" / "html"
FEEDS = Path(__file__).parent / "fixtures" / "ingest" / "feeds"

Reply = tuple[int, dict[str, str], bytes]


class Site:
    """A tiny web site: path -> reply (or a function making one), with a log of requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[], Reply]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.base = ""

    def page(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
             status: int = 200, **headers: str) -> str:  # fmt: skip
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, {"Content-Type": content_type, **headers}, data)
        return self.base + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = (status, {"Location": location}, b"")
        return self.base + path


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append((self.path, dict(self.headers)))
            route = served.routes.get(self.path)
            if route is None:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            else:
                status, headers, body = route() if callable(route) else route
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # the client may give up early (size limit, timeout): expected in those tests
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()


LOCAL = Fetcher(allow_private=True, timeout_s=5)


def page_requests(site: Site) -> list[str]:
    """The paths requested, without the robots.txt read before a site's first page."""
    return [path for path, _ in site.requests if path != "/robots.txt"]


def article_html(title: str, paragraphs: list[str], head: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>{head}</head>"
        f"<body><main><h1>{title}</h1>{body}</main></body></html>"
    )


STORY = [
    "The harbour authority said on Monday that the old ferry terminal would close for repairs.",
    "Engineers found cracks in the pier supports during a routine inspection last week.",
    "Passengers will board at the temporary pontoon beside the fish market until the work ends.",
]


def only(results: list[Article | IngestFailure]) -> Article | IngestFailure:
    assert len(results) == 1, results
    return results[0]


# ---- pages ------------------------------------------------------------------------------------


def test_url_is_fetched_with_a_newsqa_user_agent_and_parsed_as_html(site: Site) -> None:
    head = (
        '<meta property="og:site_name" content="Harbour Times">'
        '<meta property="article:published_time" content="2024-03-04T09:30:00+01:00">'
    )
    url = site.page("/news/ferry", article_html("Ferry terminal to close", STORY, head))
    before = datetime.now(UTC)
    article = only(list(load_articles([url], fetcher=LOCAL)))
    assert isinstance(article, Article), article
    assert article.title == "Ferry terminal to close"
    assert article.source == "Harbour Times"
    assert article.published_at == datetime(2024, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert article.retrieved_at is not None and article.retrieved_at >= before
    assert "temporary pontoon" in article.body
    assert article.url == url and article.origin == url
    (headers,) = [h for path, h in site.requests if path == "/news/ferry"]
    assert headers["User-Agent"].startswith("newsqa/")


def test_gzip_page_is_decoded(site: Site) -> None:
    body = gzip.compress(article_html("Ferry terminal to close", STORY).encode())
    url = site.page("/gz", body, **{"Content-Encoding": "gzip"})
    article = only(list(load_articles([url], fetcher=LOCAL)))
    assert isinstance(article, Article) and "fish market" in article.body


def test_redirects_are_followed_to_the_page(site: Site) -> None:
    final = site.page("/final", article_html("Ferry terminal to close", STORY))
    site.redirect("/b", "/final", status=301)
    start = site.redirect("/a", site.base + "/b")
    fetched = LOCAL.fetch(start)
    assert fetched.url == final
    assert page_requests(site) == ["/a", "/b", "/final"]


def test_redirect_loop_stops_at_the_limit(site: Site) -> None:
    site.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        LOCAL.fetch(site.base + "/loop")
    assert len(page_requests(site)) == 6


@pytest.mark.parametrize(
    ("path", "reply", "reason"),
    [
        ("/missing", None, "HTTP 404 Not Found"),
        ("/pdf", (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"), "unsupported content type 'application/pdf'"),
        ("/big", (200, {"Content-Type": "text/html"}, b"<p>x</p>" * 20_000), "over the size limit"),
        ("/big-stream", (200, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}, b""), "over the size limit"),
        ("/empty", (200, {"Content-Type": "text/html"}, b"   "), "empty response"),
        ("/binary", (200, {"Content-Type": "text/html"}, b"\x89PNG\x00\x00\x01" * 50), "binary"),
        ("/menus", (200, {"Content-Type": "text/html"}, b"<nav><a href='/'>Home</a></nav>"), "no article text"),
    ],
)  # fmt: skip
def test_bad_pages_fail_with_a_one_line_reason(
    site: Site, path: str, reply: tuple[int, dict[str, str], bytes] | None, reason: str
) -> None:
    if path == "/big-stream":
        chunk = b"<p>x</p>" * 1000
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
        reply = (200, reply[1], body) if reply else None
    if reply is not None:
        site.routes[path] = reply
    fetcher = Fetcher(allow_private=True, timeout_s=5, max_bytes=100_000)
    failure = only(list(load_articles([site.base + path], fetcher=fetcher)))
    assert isinstance(failure, IngestFailure)
    assert failure.input == site.base + path
    assert reason in failure.reason and "\n" not in failure.reason


def test_slow_page_times_out(site: Site) -> None:
    def slow() -> Reply:
        time.sleep(2)
        return 200, {"Content-Type": "text/html"}, b"<p>late</p>"

    site.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        Fetcher(allow_private=True, timeout_s=0.5).fetch(site.base + "/slow")
    assert time.monotonic() - started < 1.5


# ---- the SSRF guard ---------------------------------------------------------------------------


def test_loopback_url_is_refused_by_default_and_nothing_is_requested(site: Site) -> None:
    url = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    for target in (url, url.replace("127.0.0.1", "localhost")):
        failure = only(list(load_articles([target])))
        assert isinstance(failure, IngestFailure)
        assert "refused" in failure.reason and "NEWSQA_ALLOW_PRIVATE_URLS" in failure.reason
    assert site.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://10.0.0.8/admin",
        "http://192.168.1.1/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://240.0.0.1/",  # reserved
    ],
)
def test_private_link_local_and_reserved_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match=r"refused: .* non-public address"):
        Fetcher().fetch(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://ftp.example.org/x", "gopher://127.0.0.1/", "data:,hi"]
)
def test_non_http_schemes_are_refused_even_when_private_urls_are_allowed(url: str) -> None:
    failure = only(list(load_articles([url], fetcher=LOCAL)))
    assert isinstance(failure, IngestFailure)
    assert "only http and https" in failure.reason


def test_redirect_to_a_refused_address_or_scheme_is_not_followed(site: Site) -> None:
    # 127.0.0.1 counts as public here, so the first hop is allowed and the redirect is checked
    fetcher = Fetcher(address_allowed=lambda ip: ip == ipaddress.ip_address("127.0.0.1"))
    port = site.base.rsplit(":", 1)[1]
    site.page("/secret", "internal")
    start = site.redirect("/to-private", f"http://127.0.0.2:{port}/secret")
    with pytest.raises(FetchError, match=r"refused: 127\.0\.0\.2"):
        fetcher.fetch(start)
    with pytest.raises(FetchError, match="only http and https"):
        fetcher.fetch(site.redirect("/to-file", "file:///etc/passwd"))
    assert "/secret" not in [path for path, _ in site.requests]


def test_private_urls_setting_reaches_the_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.indexing import build_fetcher
    from qa.settings import Settings

    assert build_fetcher(Settings()).allow_private is False
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("NEWSQA_FETCH_TIMEOUT_S", "3")
    fetcher = build_fetcher(Settings())
    assert fetcher.allow_private is True and fetcher.timeout_s == 3


# ---- feeds ------------------------------------------------------------------------------------


def rss(items: list[dict[str, str]], title: str = "Harbour Times - Local") -> str:
    def item(fields: dict[str, str]) -> str:
        return "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</item>"

    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://harbour.example/</link>"
        + "".join(item(i) for i in items)
        + "</channel></rss>"
    )


def test_rss_items_are_fetched_in_full_with_feed_dates_where_pages_have_none(site: Site) -> None:
    dated_head = '<meta property="article:published_time" content="2024-03-05T08:00:00Z">'
    undated = site.page("/a", article_html("Ferry terminal to close", STORY))
    dated = site.page(
        "/b",
        article_html(
            "Fish market extends hours",
            [
                "The fish market will stay open until nine in the evening from next month.",
                "Traders asked for longer hours after visitor numbers rose through the winter.",
                "The council agreed to a trial and will review it after the summer season.",
            ],
            dated_head,
        ),
    )
    feed = site.page(
        "/feed.xml",
        rss(
            [
                {"title": "Ferry terminal to close", "link": undated, "description": "Short.",
                 "pubDate": "Mon, 04 Mar 2024 10:15:00 +0100"},
                {"title": "Fish market extends hours", "link": dated, "description": "Short.",
                 "pubDate": "Tue, 05 Mar 2024 09:00:00 +0000"},
            ]
        ),
        content_type="application/rss+xml",
    )  # fmt: skip
    first, second = list(load_articles([feed], fetcher=LOCAL))
    assert isinstance(first, Article) and isinstance(second, Article)
    assert "temporary pontoon" in first.body and "text_from" not in first.extra
    assert first.published_at == datetime(2024, 3, 4, 10, 15, tzinfo=timezone(timedelta(hours=1)))
    assert first.date_origin == "feed"
    assert first.source == "Harbour Times - Local"  # the page names no outlet: the feed does
    assert first.retrieved_at is not None and first.extra["feed"] == feed
    assert second.published_at == datetime(2024, 3, 5, 8, tzinfo=UTC)  # the page's own date
    assert second.date_origin == "meta"


def test_feed_summary_is_used_only_when_the_page_cannot_be_fetched_and_is_marked(
    site: Site,
) -> None:
    feed = site.page(
        "/feed",
        rss(
            [
                {
                    "title": "Lighthouse keeper retires",
                    "link": site.base + "/gone",
                    "description": "&lt;p&gt;After forty years the lighthouse keeper retired on "
                    "Friday.&lt;/p&gt;&lt;p&gt;A party was held at the harbour.&lt;/p&gt;",
                    "pubDate": "Fri, 01 Mar 2024 17:00:00 GMT",
                    "author": "desk@harbour.example (Ana Ruiz)",
                }
            ]
        ),
        content_type="text/xml",
    )
    (article,) = list(load_articles([feed], fetcher=LOCAL))
    assert isinstance(article, Article)
    assert article.body == (
        "After forty years the lighthouse keeper retired on Friday.\n\n"
        "A party was held at the harbour."
    )
    assert article.extra["text_from"] == "feed-summary"
    assert "HTTP 404" in article.extra["page_error"]
    assert article.published_at == datetime(2024, 3, 1, 17, tzinfo=UTC)
    assert article.date_origin == "feed"
    assert article.url == site.base + "/gone"


def test_feed_item_without_page_or_summary_fails_alone(site: Site) -> None:
    good = site.page("/a", article_html("Ferry terminal to close", STORY))
    feed = site.page(
        "/feed",
        rss(
            [{"title": "Nothing here", "link": site.base + "/gone"}, {"title": "Ok", "link": good}]
        ),
    )
    failure, article = list(load_articles([feed], fetcher=LOCAL))
    assert isinstance(failure, IngestFailure) and isinstance(article, Article)
    assert failure.input == f"{feed} item 1 ({site.base}/gone)"
    assert "HTTP 404" in failure.reason and "no summary" in failure.reason


def test_feed_that_404s_is_one_line_failure(site: Site) -> None:
    failure = only(list(load_articles([site.base + "/no-feed.xml"], fetcher=LOCAL)))
    assert isinstance(failure, IngestFailure)
    assert failure.reason == "HTTP 404 Not Found"


def test_atom_feed_file_falls_back_to_summaries_when_links_are_refused() -> None:
    # the links point at 127.0.0.1, which the default fetcher refuses: no request is made
    articles = list(load_articles([FEEDS / "harbour.atom"]))
    assert [type(a) for a in articles] == [Article, Article]
    first, second = articles
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.title == "Tide gauge records highest spring tide"
    assert first.authors == ("Ana Ruiz",)
    assert first.published_at == datetime(2024, 3, 8, 6, 30, tzinfo=timezone(timedelta(hours=1)))
    assert first.updated_at == datetime(2024, 3, 8, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    assert first.extra["text_from"] == "feed-summary"
    assert "refused" in first.extra["page_error"]
    # an entry with only <updated> takes it as its publication date
    assert second.published_at == datetime(2024, 3, 7, 12, tzinfo=UTC)
    assert second.topics == ("weather",)


def test_xml_file_that_is_not_a_feed_fails(tmp_path: Path) -> None:
    path = tmp_path / "config.xml"
    path.write_text('<?xml version="1.0"?><settings><a>1</a></settings>')
    failure = only(list(load_articles([path])))
    assert isinstance(failure, IngestFailure)
    assert failure.reason.startswith(("not an RSS or Atom feed", "the feed has no items"))


def test_feed_sniffing() -> None:
    assert looks_like_feed(b'<?xml version="1.0"?>\n<rss version="2.0">', "text/xml")
    assert looks_like_feed(b"<feed xmlns='http://www.w3.org/2005/Atom'>", "")
    assert not looks_like_feed(b"<!DOCTYPE html><html>", "")
    assert looks_like_feed(b"<rss version='2.0'>", "text/html")  # mislabelled, still a feed


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<p>One &amp; two.</p><p>Three<br>four.</p>") == (
        "One & two.\n\nThree\n\nfour."
    )
    assert html_to_text("plain text") == "plain text"


_FEEDISH = st.lists(
    st.sampled_from(
        ["<rss>", "<channel>", "<item>", "<title>T</title>", "<link>http://127.0.0.1/x</link>",
         "<description>&lt;p&gt;Text.&lt;/p&gt;</description>", "</item>", "<feed>", "<entry>",
         "<pubDate>Mon, 99 Foo 2024</pubDate>", "\x00", "é", "<![CDATA[", "]]>", "&bogus;"]
    ),
    max_size=25,
).map("".join)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(data=st.one_of(_FEEDISH, st.text(max_size=200)))
def test_feed_reader_never_raises_on_garbage(data: str) -> None:
    results = list(read_feed(data.encode("utf-8", "replace"), "fuzz.xml", Fetcher()))
    assert results and all(isinstance(r, Article | IngestFailure) for r in results)
    looks_like_feed(data.encode("utf-8", "replace"), "text/xml")
