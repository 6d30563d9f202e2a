"""Shared set-up for the web app tests: a ready-made store copied into each test's NEWSQA_HOME."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, ROOT, SEED

APP = str(ROOT / "app.py")
APP_FIXTURES = FIXTURES / "app"
HOSTILE = APP_FIXTURES / "hostile.jsonl"
WIRE = APP_FIXTURES / "wire.jsonl"
UPLOAD = APP_FIXTURES / "upload-lighthouse.json"
CORPUS_INPUTS = [SEED, FIXTURES / "articles.jsonl", HOSTILE, WIRE]


def build_corpus(home: Path, embed_model, inputs: list[Path] = CORPUS_INPUTS) -> Path:  # type: ignore[no-untyped-def]
    """Ingest the app fixtures (or `inputs`) into a store under `home`, and return it."""
    from qa.pipeline import NewsQA
    from qa.settings import Settings

    qa = NewsQA(Settings(home=home), embed_model=embed_model)
    report = qa.ingest(inputs)
    assert not report.failures, report.failures
    return home


def copy_corpus(template: Path, home: Path) -> Path:
    """A private copy of the ready-made store: tests may change it freely."""
    shutil.copytree(template, home, dirs_exist_ok=True)
    return home
