"""The store on a full disk or a read-only NEWSQA_HOME: one clear line, nothing lost, no half article.

Real OS-level failures, no mocks: the ingestion runs in a child process whose file-size limit
(RLIMIT_FSIZE, with SIGXFSZ ignored) makes SQLite's writes fail with EFBIG part-way through,
and a read-only home is a folder without write permission (as root, the child also gives up
the capabilities that let root write anyway).
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, SEED

BASELINE = 32  # articles stored before the disk fills up (one ingestion batch)
LATER = 64  # articles the run on the full disk tries to add
ROOM_BYTES = 400_000  # what the store's largest file may still grow: less than one batch
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
    "ferry",
    "energy",
    "water",
    "union",
    "airport",
]


def articles(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "title": f"Report {i}",
            "body": f"Report number {i}. "
            + " ".join(
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
                for _ in range(rng.randint(3, 10))
            ),
            "url": f"https://outlet{i % 5}.example/report/{i}",
            "source": f"Outlet {i % 5}",
            "published_at": f"2024-0{1 + i % 9}-{1 + i % 28:02d}T08:00:00Z",
        }
        for i in range(count)
    ]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.pop("OPENAI_API_KEY", None)
    env["NEWSQA_HOME"] = str(home)
    return env


def newsqa(home: Path, *args: str, preexec=None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        env=environment(home),
        cwd=ROOT,
        timeout=600,
        preexec_fn=preexec,
    )


def listed(home: Path) -> dict[str, dict[str, Any]]:
    result = newsqa(home, "articles", "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    by_url = {r["url"]: r for r in records}
    assert len(by_url) == len(records), "an article is listed twice"
    return by_url


def largest_file(folder: Path) -> int:
    return max(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def assert_one_clear_line(stderr: str, *names: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("newsqa: ")]
    assert len(lines) == 1, stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


@pytest.mark.slow
def test_disk_full_during_ingest_is_one_clear_line_and_loses_no_article(
    isolated_home: Path, tmp_path: Path
) -> None:
    records = articles(BASELINE + LATER, seed=11)
    first = write_jsonl(tmp_path / "first.jsonl", records[:BASELINE])
    everything = write_jsonl(tmp_path / "all.jsonl", records)
    baseline = newsqa(isolated_home, "ingest", "--quiet", str(first))
    assert baseline.returncode == 0, baseline.stderr
    before = listed(isolated_home)
    assert len(before) == BASELINE

    limit = largest_file(isolated_home) + ROOM_BYTES

    def full_disk() -> None:  # in the child: writes past `limit` bytes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = newsqa(isolated_home, "ingest", "--quiet", str(everything), preexec=full_disk)
    assert full.returncode == 2, (full.returncode, full.stdout, full.stderr)
    line = assert_one_clear_line(full.stderr, str(isolated_home / "chroma"), "write")
    assert "file-size limit" in line or "disk" in line

    # the store opens cleanly: every earlier article intact, no half-written one
    after = listed(isolated_home)
    assert all(record["complete"] for record in after.values()), after
    for url, record in before.items():
        assert after[url]["content_hash"] == record["content_hash"]
        assert after[url]["chunks"] == record["chunks"]
    assert BASELINE <= len(after) <= len(records)

    # with room again the same command finishes the job
    resumed = newsqa(isolated_home, "ingest", "--quiet", str(everything))
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(after)} unchanged" in resumed.stdout and "0 failed" in resumed.stdout
    final = listed(isolated_home)
    assert sorted(final) == sorted(r["url"] for r in records)
    assert all(record["complete"] for record in final.values())


libc = ctypes.CDLL(None, use_errno=True)
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3


def without_root_overrides() -> None:
    """In the child, as root: drop the capabilities that let root write into read-only folders."""
    if os.geteuid() != 0:
        return
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"cannot drop capability {capability}")


def set_writable(folder: Path, writable: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~0o222)


@pytest.mark.slow
def test_read_only_home_is_one_clear_line_and_changes_nothing(
    isolated_home: Path, settings, embed_model
) -> None:
    from qa.pipeline import NewsQA

    NewsQA(settings, embed_model=embed_model).ingest([FIXTURES / "articles.jsonl"])
    store = settings.chroma_path
    files = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    set_writable(isolated_home, False)
    try:
        for command in (
            ["ingest", "--quiet", str(SEED)],
            ["ask", "How much will the airport tram line cost?"],
        ):
            result = newsqa(isolated_home, *command, preexec=without_root_overrides)
            assert result.returncode == 2, (command, result.stdout, result.stderr)
            line = assert_one_clear_line(result.stderr, str(store), "read-only")
            assert "NEWSQA_HOME" in line
    finally:
        set_writable(isolated_home, True)
    assert {p: p.read_bytes() for p in store.rglob("*") if p.is_file()} == files
    reopened = NewsQA(settings, embed_model=embed_model)
    assert "420 million euros" in reopened.ask("How much will the airport tram line cost?").text


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        # messages seen from chromadb 1.5 on a file-size limit, a full tmpfs and a read-only home
        ("Query error: Database error: error returned from database: (code: 778) disk I/O error",
         "a write failed"),
        ("Error in compaction: Failed to apply logs to the metadata segment", "disk full"),
        ("Error executing plan: Error sending backfill request to compactor: Failed to apply "
         "logs to the metadata segment", "disk full"),
        ("error returned from database: (code: 13) database or disk is full", "the disk is full"),
        ("error returned from database: (code: 8) attempt to write a readonly database",
         "read-only"),
    ],
)  # fmt: skip
def test_store_write_failures_become_one_line_naming_the_store(settings, raised, reason) -> None:  # type: ignore[no-untyped-def]
    from chromadb.errors import InternalError

    from qa.errors import store_failure, user_message

    error = RuntimeError("while ingesting")
    error.__cause__ = InternalError(raised)  # found anywhere in the chain
    message = user_message(error, settings)
    assert message == store_failure(settings, error)
    assert message is not None and "\n" not in message
    assert str(settings.chroma_path) in message and reason in message


def test_os_level_write_errors_name_the_file_and_other_errors_are_left_alone(settings) -> None:  # type: ignore[no-untyped-def]
    import errno

    from chromadb.errors import NotFoundError

    from qa.errors import store_failure, user_message

    full = OSError(errno.ENOSPC, "No space left on device", str(settings.home / "lexical" / "x"))
    message = store_failure(settings, full)
    assert message and "the disk is full" in message and "lexical" in message
    assert store_failure(settings, NotFoundError("Collection news does not exist")) is None
    assert user_message(KeyError("a bug"), settings) is None  # a bug keeps its traceback
