"""What every benchmark result carries: the commit, the machine and the settings it ran with."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    memory_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """bench/results/<name>-<date>.json with commit and machine added."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    record = {
        "benchmark": name,
        "when": stamp.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
        **payload,
    }
    path = RESULTS / f"{name}-{stamp:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return path
