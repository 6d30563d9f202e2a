"""End to end in real headless Chromium: `newsqa app` on a free port, ask, open a citation,
see the highlighted passage, upload files on the corpus page (one of them a hostile article),
and check that the hostile article stays inert in the chat.

Screenshots go to test-artifacts/ (git-ignored). With UPDATE_SCREENSHOTS=1 the chat screenshot
is also copied to docs/screenshots/chat.png for the README.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from app_testkit import HOSTILE, UPLOAD, WIRE, build_corpus
from conftest import FIXTURES, ROOT, SEED

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "docs" / "screenshots" / "chat.png"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 90_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`newsqa app` exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"`newsqa app` did not answer at {url} within 90 s:\n{log.read_text()}")


@pytest.fixture
def app_url(isolated_home: Path, embed_model, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is not installed: run `bash scripts/install-browser.sh` "
            "(Debian's chromium via apt) to run the browser test"
        )
    build_corpus(isolated_home, embed_model, [SEED, FIXTURES / "articles.jsonl", WIRE])
    port = free_port()
    newsqa = Path(sys.executable).with_name("newsqa")
    command = (
        [str(newsqa), "app", "--port", str(port)]
        if newsqa.exists()
        else [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
              "--server.port", str(port), "--server.address", "127.0.0.1"]
    )  # fmt: skip
    log = tmp_path / "app.log"
    env = {**os.environ, "NEWSQA_HOME": str(isolated_home)}
    with log.open("w") as out:
        # its own process group: `newsqa app` starts streamlit as a child, both must go
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, log)
        yield url
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM the app's process group, then SIGKILL whatever is left after 10 s."""
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        process.poll()  # reap the group leader, or it lingers as a zombie member
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(group, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def browser_page() -> Iterator:  # type: ignore[type-arg]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1050})
        page.set_default_timeout(TIMEOUT_MS)
        try:
            yield page
        finally:
            browser.close()


def ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_placeholder("Ask about the news…")
    box.fill(question)
    box.press("Enter")


def shoot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def test_chat_citation_passage_hostile_article_and_upload_in_chromium(
    app_url, browser_page
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    outside: list[str] = []
    dialogs: list[str] = []

    def only_local(route) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS or route.request.url.startswith(
            ("data:", "blob:")
        ):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app_url)

    # ask, click the [1] chip, see the passage with the answer's words highlighted
    ask(page, "How much will the airport tram line cost?")
    chip = page.get_by_role("radio", name="[1] Riverton Gazette")
    chip.click()
    passage = page.locator("[class*='st-key-passage']").first
    highlight = passage.locator(".stMarkdownColoredBackground")
    highlight.first.wait_for()
    assert "420 million euros" in highlight.first.inner_text()
    assert "City council approves new tram line to the airport" in passage.inner_text()
    assert "Riverton Gazette · 3 Oct 2023" in passage.inner_text()
    link = passage.get_by_role("link", name="Open the article")
    assert link.get_attribute("href") == "https://gazette.example/2023/10/03/tram-airport"
    sources = page.locator("[data-testid='stExpander']")
    assert sources.count() >= 3
    chat_png = shoot(page, "chat.png")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(chat_png, README_SHOT)

    # corpus page: upload two files (one a hostile article), watch them ingest, find one
    page.get_by_role("link", name="Corpus").click()
    page.get_by_text("Upload files").wait_for()
    page.locator("input[type='file']").set_input_files([str(UPLOAD), str(HOSTILE)])
    ingest = page.get_by_role("button", name="Ingest uploaded files")
    expect(ingest).to_be_enabled()
    ingest.click()
    result = page.locator("[data-testid='stMain'] [data-testid='stAlert']", has_text="Ingested:")
    result.wait_for()
    assert "2 added" in result.inner_text()
    page.get_by_label("Search title or outlet").fill("lighthouse")
    page.get_by_label("Search title or outlet").press("Enter")
    page.get_by_text("1 of 11 articles", exact=True).wait_for()
    shoot(page, "corpus.png")

    # back in the chat, the hostile article is shown as text: nothing runs, nothing is fetched
    page.get_by_role("link", name="Chat").click()
    ask(page, "When will the harbour bridge in Portavel reopen?")
    page.get_by_text("harbour bridge in Portavel will reopen", exact=False).first.wait_for()
    page.get_by_role("radio", name="Portavel", exact=False).last.click()
    hostile = page.locator("[class*='st-key-passage']").last
    hostile.get_by_text("<script>", exact=False).first.wait_for()
    page.wait_for_timeout(1500)  # time for any injected handler or image load to fire
    shoot(page, "hostile.png")
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert [u for u in outside if "evil.example" in u] == []
    assert outside == [], f"the page fetched from outside 127.0.0.1: {outside}"
    page.get_by_role("combobox", name="Outlets").click()  # lists the hostile outlet's name
    page.get_by_role("option", name="Portavel", exact=False).first.wait_for()
    body = page.locator("body")
    assert body.locator("img[src*='evil'], iframe, [data-testid='stMain'] script").count() == 0
    assert body.locator("[onerror], [onmouseover], b").count() == 0
    assert body.locator("a[href^='javascript:'], a[href*='evil.example']").count() == 0
    page.keyboard.press("Escape")
    assert page.evaluate("window.__pwned") is None and outside == []
