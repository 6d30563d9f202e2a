"""A short atheris run over every parser: no crash, no hang, bounded memory (slow; CI runs it)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

TARGETS = ["page_text", "html", "records", "csv", "feed", "citations", "dates", "question"]


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_parser_survives_a_fuzzing_run(target: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "fuzz" / "fuzz_parsers.py"),
            target,
            "-max_total_time=12",
            "-timeout=10",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr or "done" in result.stderr.lower()
