"""Crash safety: `newsqa ingest` killed with SIGKILL at random points, then run to completion."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import random
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

ARTICLES = 300
COPIES = 20  # of the first articles, syndicated again by another outlet
WORDS = [
    "harbour",
    "council",
    "minister",
    "river",
    "storm",
    "market",
    "school",
    "bridge",
    "election",
    "court",
    "hospital",
    "budget",
    "police",
    "festival",
    "railway",
    "museum",
    "farmers",
    "strike",
    "report",
    "vote",
    "tax",
    "ferry",
    "energy",
    "water",
    "union",
    "airport",
    "museum",
    "library",
    "protest",
    "drought",
    "fire",
    "forest",
    "coast",
    "mayor",
    "senator",
    "trial",
    "exports",
    "prices",
    "workers",
    "students",
    "doctors",
    "engineers",
    "clinic",
    "station",
    "pier",
    "village",
    "valley",
]


def generated_articles(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records = []
    for i in range(ARTICLES):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
            for _ in range(rng.randint(3, 12))
        ]
        records.append(
            {
                "title": f"Article {i}",
                "body": f"Story number {i}. " + " ".join(sentences),
                "url": f"https://outlet{i % 7}.example/news/{i}",
                "source": f"Outlet {i % 7}",
                "published_at": f"2024-0{1 + i % 9}-{1 + i % 28:02d}T08:00:00Z",
            }
        )
    for i in range(COPIES):
        original = records[i]
        records.append(
            {
                **original,
                "body": original["body"].replace("Story number", "Wire story number"),
                "url": f"https://syndicator.example/{i}",
                "source": "Syndicator",
            }
        )
    return records


def write(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.pop("OPENAI_API_KEY", None)
    env["NEWSQA_HOME"] = str(home)
    return env


def ingest_and_kill(path: Path, home: Path, after_articles: int, extra_s: float) -> int:
    """Run the ingest with its progress bar on a terminal; SIGKILL it once it reports
    `after_articles` done (plus `extra_s`). Returns the last count it reported."""
    controller, terminal = pty.openpty()  # tqdm draws its bar only on a terminal...
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # ...with width
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "ingest", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env=environment(home),
        cwd=ROOT,
    )
    os.close(terminal)
    seen, output = 0, ""
    deadline = time.monotonic() + 240
    try:
        while seen < after_articles and process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    output += os.read(controller, 4096).decode("utf-8", "replace")
                except OSError:  # the terminal closed: the process ended
                    break
                counts = re.findall(r"(\d+) articles", output)
                seen = int(counts[-1]) if counts else 0
        time.sleep(extra_s)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        os.close(controller)
    return seen


@pytest.mark.slow
def test_ingest_killed_mid_run_then_rerun_holds_every_article_exactly_once(
    isolated_home: Path, tmp_path: Path
) -> None:
    rng = random.Random(20230905)
    records = generated_articles(seed=4)
    path = tmp_path / "generated.jsonl"
    write(path, records)
    reached = []
    for attempt in range(4):
        reached.append(ingest_and_kill(path, isolated_home, rng.randrange(32, 200), rng.random()))
        if attempt == 0:  # later runs meet changed articles: updates get killed too
            for record in records[100:140]:
                record["body"] += " A correction was appended to this story."
            write(path, records)
    assert any(0 < count < len(records) for count in reached), reached

    final = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ingest", "--quiet", str(path)],
        capture_output=True,
        text=True,
        env=environment(isolated_home),
        cwd=ROOT,
        timeout=600,
    )
    assert final.returncode == 0, final.stderr
    assert "0 failed" in final.stdout

    # a fresh process opens the store cleanly and lists every article once, complete
    listed = subprocess.run(
        [sys.executable, "-m", "qa.cli", "articles", "--json"],
        capture_output=True,
        text=True,
        env=environment(isolated_home),
        cwd=ROOT,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr
    articles = json.loads(listed.stdout)
    assert len(articles) == len(records)
    assert len({a["id"] for a in articles}) == len(records)
    assert all(a["complete"] for a in articles)

    from qa.pipeline import NewsQA
    from qa.settings import Settings

    store = NewsQA(Settings(home=isolated_home)).store
    page = store.collection.get(include=["metadatas", "documents"])
    expected = {a["id"]: a for a in articles}
    per_article: dict[str, int] = {}
    for chunk_id, metadata in zip(page["ids"], page["metadatas"], strict=True):
        article = expected[metadata["article_id"]]  # no chunk of an unknown article
        assert chunk_id == f"{metadata['article_id']}:{metadata['position']}"
        assert metadata["position"] < article["expected_chunks"]
        assert metadata["content_hash"] == article["content_hash"]
        per_article[metadata["article_id"]] = per_article.get(metadata["article_id"], 0) + 1
    assert per_article == {i: a["expected_chunks"] for i, a in expected.items()}
    assert len(page["ids"]) == sum(a["expected_chunks"] for a in articles)

    by_url = {a["url"]: a for a in articles}
    corrected = by_url[records[120]["url"]]
    texts = " ".join(c.text for c in store.chunks_of(corrected["id"]))
    assert "A correction was appended" in texts
    for i in range(COPIES):
        original, copy = by_url[records[i]["url"]], by_url[f"https://syndicator.example/{i}"]
        assert original["story_id"] == copy["story_id"]
        assert (
            set(original["story_outlets"])
            == set(copy["story_outlets"])
            == {
                records[i]["source"],
                "Syndicator",
            }
        )
