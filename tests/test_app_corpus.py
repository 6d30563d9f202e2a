"""The corpus page through AppTest: upload, URLs and feeds, progress and errors, browse, delete."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from app_testkit import APP, UPLOAD, build_corpus, copy_corpus
from streamlit.testing.v1 import AppTest

CORPUS_PAGE = "pages/corpus.py"


@pytest.fixture(scope="module")
def corpus_template(tmp_path_factory, embed_model):  # type: ignore[no-untyped-def]
    return build_corpus(tmp_path_factory.mktemp("corpus-page") / "home", embed_model)


@pytest.fixture
def home(isolated_home, corpus_template):  # type: ignore[no-untyped-def]
    return copy_corpus(corpus_template, isolated_home)


def open_corpus_page(home: Path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(CORPUS_PAGE).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def page(home) -> AppTest:  # type: ignore[no-untyped-def]
    return open_corpus_page(home)


def table(at: AppTest, column: str = "title") -> list[dict]:
    """The rows of the table with this column: "title" for articles, "input" for failures."""
    frame = next(d.value for d in at.dataframe if column in d.value.columns)
    return frame.to_dict("records")


def article_id(at: AppTest, title_start: str) -> str:
    return next(row["id"] for row in table(at) if row["title"].startswith(title_start))


def titles(at: AppTest) -> list[str]:
    return [row["title"] for row in table(at)]


def test_articles_are_listed_with_title_outlet_date_and_chunks(page) -> None:
    rows = {row["title"]: row for row in table(page)}
    tram = rows["City council approves new tram line to the airport"]
    assert (tram["outlet"], tram["published"], tram["chunks"]) == (
        "Riverton Gazette",
        "3 Oct 2023",
        1,
    )
    assert "10 of 10 articles" in " ".join(c.value for c in page.caption)


def test_search_finds_articles_by_title_or_outlet(page) -> None:
    page.text_input(key="article_search").input("valdora times").run()
    assert {row["outlet"] for row in table(page)} == {"Valdora Times"}
    page.text_input(key="article_search").input("tram").run()
    assert titles(page) == ["City council approves new tram line to the airport"]


def test_choosing_an_article_shows_its_passages(page) -> None:
    page.selectbox(key="inspect_article").select(article_id(page, "City council approves")).run()
    assert any("420 million euros" in m.value for m in page.markdown)


def test_uploaded_file_is_saved_safely_ingested_and_listed_with_progress(page, home) -> None:
    page.file_uploader[0].upload(UPLOAD.name, UPLOAD.read_bytes(), "application/json").run()
    page.button(key="ingest_uploads").click().run()
    assert not page.exception
    [saved] = (home / "uploads").iterdir()
    assert saved.name.endswith("-upload-lighthouse.json")
    assert "Kellport lighthouse restored to working order" in titles(page)
    [bar] = page.get("progress")
    assert bar.proto.value == 100 and "1 added" in bar.proto.text
    assert any("1 added" in s.value for s in page.success)


def test_upload_named_to_escape_the_folder_stays_under_uploads(page, home, tmp_path) -> None:
    for name in ["../../escape.json", "..\\..\\escape2.json", "/tmp/escape3.json"]:
        page.file_uploader[0].upload(name, UPLOAD.read_bytes(), "application/json")
    page.run()
    page.button(key="ingest_uploads").click().run()
    written = [p for p in tmp_path.rglob("*escape*")]
    assert written and all(p.parent == home / "uploads" for p in written)
    assert all(".." not in p.name and "\\" not in p.name for p in written)
    assert not Path("/tmp/escape3.json").exists() or Path(
        "/tmp/escape3.json"
    ).stat().st_size != len(UPLOAD.read_bytes())


def test_each_bad_upload_is_named_with_its_reason_and_the_good_ones_still_load(page) -> None:
    page.file_uploader[0].upload("broken.json", b"{not json", "application/json")
    page.file_uploader[0].upload("empty.csv", b"   ", "text/csv")
    page.file_uploader[0].upload(UPLOAD.name, UPLOAD.read_bytes(), "application/json")
    page.run()
    page.button(key="ingest_uploads").click().run()
    failures = {row["input"]: row["reason"] for row in table(page, "input")}
    assert set(failures) == {"broken.json", "empty.csv"}
    assert "empty" in failures["empty.csv"]
    assert "Kellport lighthouse restored to working order" in titles(page)


def test_oversized_upload_is_refused(home, monkeypatch) -> None:
    from webui import uploads

    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 0.0001)
    page = open_corpus_page(home)
    page.file_uploader[0].upload(UPLOAD.name, UPLOAD.read_bytes(), "application/json").run()
    page.button(key="ingest_uploads").click().run()
    [(name, reason)] = page.session_state["ingest_result"]["failures"]
    assert name == UPLOAD.name and "limit" in reason


# ---- URLs and feeds, from a real HTTP server on 127.0.0.1 ----------------------------------

ARTICLE = """<html><head><title>Night trains return to Brell</title>
<meta property="og:title" content="Night trains return to Brell">
<meta property="article:published_time" content="2023-09-28T07:00:00+00:00">
<meta property="og:site_name" content="Rail Journal"></head>
<body><article><h1>Night trains return to Brell</h1>
<p>Night trains between Brell and Kellport will run again from December, the rail operator said on Thursday, ending a gap of eleven years.</p>
<p>The service will leave Brell at 22:40 and reach Kellport at 06:15 the next morning.</p>
</article></body></html>"""

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Rail Journal</title>
<link>http://HOST/</link><description>Rail news</description>
<item><title>Night trains return to Brell</title><link>http://HOST/night-trains.html</link>
<pubDate>Thu, 28 Sep 2023 07:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.fixture
def site() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = f"127.0.0.1:{self.server.server_address[1]}"
            pages = {
                "/night-trains.html": ("text/html; charset=utf-8", ARTICLE),
                "/feed.xml": ("application/rss+xml", FEED.replace("HOST", host)),
            }
            if self.path not in pages:
                self.send_error(404)
                return
            kind, body = pages[self.path]
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_urls_and_feeds_are_fetched_and_ingested(home, site, monkeypatch) -> None:
    monkeypatch.setenv("NEWSQA_ALLOW_PRIVATE_URLS", "true")  # the test site is on 127.0.0.1
    at = open_corpus_page(home)
    at.text_area(key="links").input(f"{site}/feed.xml\n{site}/night-trains.html").run()
    at.button(key="ingest_links").click().run()
    assert not at.exception
    assert "Night trains return to Brell" in titles(at)
    result = at.session_state["ingest_result"]
    assert result["failures"] == [] and "1 added" in result["summary"]


def test_each_bad_url_line_is_reported_on_its_own(page, site) -> None:
    page.text_area(key="links").input(
        f"ftp://example.org/x\n/etc/passwd\n{site}/night-trains.html\n"
    ).run()
    page.button(key="ingest_links").click().run()
    failures = {row["input"]: row["reason"] for row in table(page, "input")}
    assert failures["ftp://example.org/x"] == "not an http(s) URL"
    assert failures["/etc/passwd"] == "not an http(s) URL"  # never read as a local file
    assert f"{site}/night-trains.html" in failures  # loopback is refused by default (SSRF guard)
    assert "Night trains return to Brell" not in titles(page)


def test_articles_can_be_deleted_after_confirming(page, home) -> None:
    assert page.button(key="delete").disabled
    page.multiselect(key="delete_ids").select(article_id(page, "City council approves")).run()
    assert page.button(key="delete").disabled  # not before confirming
    page.checkbox(key="confirm_delete").check().run()
    page.button(key="delete").click().run()
    assert "City council approves new tram line to the airport" not in titles(page)
    assert any("Deleted 1 article" in s.value for s in page.success)
    assert page.multiselect(key="delete_ids").value == []
