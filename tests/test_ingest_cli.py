"""`newsqa ingest / articles / remove` run as real subprocesses: URLs, collections, filters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT, SEED
from test_ingest_web import STORY, Site, article_html, site  # noqa: F401


def newsqa(*args: str, home: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI like a user would, with NEWSQA_<NAME> settings from keyword arguments."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.pop("OPENAI_API_KEY", None)
    env["NEWSQA_HOME"] = str(home)
    env.update({f"NEWSQA_{name}": value for name, value in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_ingest_url_needs_private_urls_allowed_for_a_local_server(
    site: Site,  # noqa: F811
    isolated_home: Path,
) -> None:
    url = site.page("/news/ferry", article_html("Ferry terminal to close", STORY))
    refused = newsqa("ingest", "--quiet", url, home=isolated_home)
    assert refused.returncode == 1
    assert f"failed: {url}: refused" in refused.stderr and "Traceback" not in refused.stderr
    assert "0 added" in refused.stdout and "1 failed" in refused.stdout
    assert site.requests == []

    allowed = newsqa("ingest", "--quiet", url, home=isolated_home, ALLOW_PRIVATE_URLS="1")
    assert allowed.returncode == 0, allowed.stderr
    assert "1 added" in allowed.stdout
    (listed,) = json.loads(newsqa("articles", "--json", home=isolated_home).stdout)
    assert listed["title"] == "Ferry terminal to close" and listed["retrieved_at"]


def test_every_bad_input_gets_one_line_and_the_summary_counts_them(
    isolated_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.html").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "latin1.txt").write_bytes(SEED.read_text().encode("cp1252", errors="replace"))
    (tmp_path / "lines.jsonl").write_text('{"title": "x", "body": "Some text here."}\n{oops\n')
    (tmp_path / "big.html").write_bytes(b"<p>words</p>" * 2000)
    (tmp_path / "cut.html").write_text("<html><head><title>Cut short</title></head><body><nav>")
    result = newsqa(
        "ingest",
        "--quiet",
        str(tmp_path / "empty.txt"),
        str(tmp_path / "binary.html"),
        str(tmp_path / "latin1.txt"),
        str(tmp_path / "lines.jsonl"),
        str(tmp_path / "big.html"),
        str(tmp_path / "cut.html"),
        str(tmp_path / "missing.json"),
        home=isolated_home,
        MAX_PAGE_BYTES="20000",
    )
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 6, result.stderr
    for name, reason in [
        ("empty.txt", "empty file"),
        ("binary.html", "binary file"),
        ("lines.jsonl:2", "invalid JSON"),
        ("big.html", "over the size limit"),
        ("cut.html", "no article text"),
        ("missing.json", "no such file or folder"),
    ]:
        assert any(name in line and reason in line for line in failed), (name, failed)
    assert "2 added, 0 updated, 0 unchanged, 0 skipped, 6 failed" in result.stdout


def test_collection_flag_keeps_archives_apart(isolated_home: Path) -> None:
    assert (
        newsqa(
            "--collection", "archive-b", "ingest", "--quiet", str(SEED), home=isolated_home
        ).returncode
        == 0
    )
    # the flag is also accepted after the command, and NEWSQA_COLLECTION selects one too
    jsonl = str(FIXTURES / "articles.jsonl")
    assert (
        newsqa(
            "ingest", "--quiet", jsonl, "--collection", "archive-a", home=isolated_home
        ).returncode
        == 0
    )

    def listed(*args: str, **env: str) -> list[dict[str, object]]:
        return json.loads(newsqa("articles", "--json", *args, home=isolated_home, **env).stdout)

    assert listed() == []
    assert len(listed("--collection", "archive-a")) == 6
    (seed,) = listed(COLLECTION="archive-b")
    removed = newsqa("remove", str(seed["id"]), "--collection", "archive-b", home=isolated_home)
    assert removed.returncode == 0 and "removed 1" in removed.stdout
    assert listed(COLLECTION="archive-b") == []
    assert len(listed("--collection", "archive-a")) == 6


def test_articles_filters_on_the_command_line(isolated_home: Path) -> None:
    newsqa("ingest", "--quiet", str(SEED), str(FIXTURES / "articles.jsonl"), home=isolated_home)
    everything = json.loads(newsqa("articles", "--json", home=isolated_home).stdout)
    hindu = newsqa("articles", "--source", "the hindu", home=isolated_home)
    assert hindu.returncode == 0 and hindu.stdout.count("\n") == 1 and "Kim Jong Un" in hindu.stdout
    dated = [a for a in everything if a["published_at"]]
    early = min(a["published_at"][:10] for a in dated)
    only_first_day = json.loads(
        newsqa("articles", "--json", "--since", early, "--until", early, home=isolated_home).stdout
    )
    assert only_first_day and all(a["published_at"][:10] == early for a in only_first_day)
    bad = newsqa("articles", "--since", "yesterday", home=isolated_home)
    assert bad.returncode == 2 and "not a date" in bad.stderr
