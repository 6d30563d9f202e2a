"""App start time: `newsqa app` on a free 127.0.0.1 port, timed from launch until
/_stcore/health answers and until headless Chromium shows the rendered chat page.

"Rendered" means the chat input is on screen: the page script has run to its end, so the
embedding model is loaded and the store is open. A second browser session then loads the
page again (what every later user of the same replica waits for: the model and store are
cached). Each repeat is a fresh `newsqa app` process. The store is `--home` if given, else a
temporary one holding samples/ and the test fixtures. The load average is recorded beside
the numbers (these machines are shared).

Run: .venv/bin/python bench/app_start.py [--repeats 3] [--home DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import write_result  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
CHAT_INPUT = "Ask about the news…"
TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_home(home: Path) -> None:
    """A small store to start against: the sample article and the test fixtures."""
    inputs = [ROOT / "samples", ROOT / "tests" / "fixtures" / "articles.jsonl"]
    env = {**os.environ, "NEWSQA_HOME": str(home)}
    subprocess.run(
        [sys.executable, "-m", "qa.cli", "ingest", "--quiet", *map(str, inputs)],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def count_chunks(home: Path) -> int:
    code = (
        "from qa.offline import prepare_offline_runtime; prepare_offline_runtime()\n"
        "from qa.pipeline import NewsQA; from qa.settings import load_settings\n"
        "print(NewsQA(load_settings()).store.count_chunks())"
    )
    env = {**os.environ, "NEWSQA_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return int(done.stdout.strip().splitlines()[-1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], started: float) -> float:
    while time.perf_counter() - started < TIMEOUT_S:
        if process.poll() is not None:
            raise RuntimeError(f"`newsqa app` exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
                if reply.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no health answer from {url} within {TIMEOUT_S:.0f} s")


def stop_group(process: subprocess.Popen[bytes]) -> None:
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        process.wait(timeout=15)


def render_s(browser: Any, url: str) -> float:
    """Seconds from opening a new browser session on `url` until the chat input is visible."""
    page = browser.new_page()
    try:
        started = time.perf_counter()
        page.goto(url, timeout=TIMEOUT_S * 1000)
        page.get_by_placeholder(CHAT_INPUT).wait_for(state="visible", timeout=TIMEOUT_S * 1000)
        return time.perf_counter() - started
    finally:
        page.close()


def one_start(browser: Any, home: Path) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "NEWSQA_HOME": str(home), "NEWSQA_ANSWER_BACKEND": "extractive"}
    newsqa = Path(sys.executable).with_name("newsqa")
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(newsqa), "app", "--port", str(port)], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        health = wait_healthy(url, process, started)
        first = render_s(browser, url)
        second = render_s(browser, url)
    finally:
        stop_group(process)
    return {
        "health_s": round(health, 2),
        "first_render_s": round(health + first, 2),  # from launch
        "first_render_after_health_s": round(first, 2),
        "later_session_render_s": round(second, 2),
    }


def summarise(runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {
        key: {
            "median": round(statistics.median(r[key] for r in runs), 2),
            "min": min(r[key] for r in runs),
            "max": max(r[key] for r in runs),
        }
        for key in runs[0]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--home", type=Path, help="NEWSQA_HOME to start against (default: a small store)"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="newsqa-app-start-") as scratch:
        home = args.home or Path(scratch) / "home"
        if args.home is None:
            prepare_home(home)
        chunks = count_chunks(home)
        runs, loads = [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                for _ in range(args.repeats):
                    loads.append([round(x, 2) for x in os.getloadavg()])
                    runs.append(one_start(browser, home))
                    print(json.dumps(runs[-1]), file=sys.stderr)
            finally:
                browser.close()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    path = write_result(
        "app-start",
        {
            "uncommitted_changes": bool(dirty),
            "settings": {"store_chunks": chunks, "home": "given" if args.home else "samples+fixtures",
                         "answer_backend": "extractive", "repeats": args.repeats},
            "load_average_before_each_run": loads,
            "runs": runs,
            "summary": summarise(runs),
        },
    )  # fmt: skip
    print(path)


if __name__ == "__main__":
    main()
