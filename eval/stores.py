"""The harness's own stores (one per corpus and index settings, reused across runs) and the
provenance every manifest records: git state, source hashes, machine."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.embed import embedding_identity

if TYPE_CHECKING:
    from eval.baselines import EvalNewsQA
    from eval.datasets import EvalDataset
    from eval.run import RunConfig

STORE_FORMAT = 1  # bump when the way the harness fills a store changes
ROOT = Path(__file__).resolve().parent.parent
# the code that decides what an index holds: a store built by other code is flagged
INDEX_CODE = ("qa/chunk.py", "qa/store.py", "qa/indexing.py", "qa/ingest/article.py")


def source_hash(patterns: tuple[str, ...]) -> str:
    """sha256 over the named source files (globs allowed), in path order; missing ones skipped."""
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file():
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def store_key(dataset: EvalDataset, settings: Any) -> str:
    """Hash of what the index depends on: the corpus and the chunking and embedding settings."""
    model, dims = embedding_identity(settings)
    parts = [
        STORE_FORMAT,
        dataset.fingerprint(),
        settings.chunk_words,
        settings.chunk_overlap_sentences,
        model,
        dims,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


def open_pipeline(
    dataset: EvalDataset,
    config: RunConfig,
    *,
    embed_model: Any = None,
    quiet: bool = False,
    rebuild: bool = False,
) -> tuple[EvalNewsQA, dict[str, Any]]:
    """The pipeline over this corpus' own store, ingesting it unless a finished copy exists."""
    from eval.baselines import EvalNewsQA
    from qa.settings import load_settings

    overrides: dict[str, Any] = {"collection": "eval", "chroma_host": None, **config.extra_settings}
    if config.backend:
        overrides["answer_backend"] = config.backend
    if config.top_k:
        overrides["top_k"] = config.top_k
    stores = config.stores_dir or config.out.parent / ".stores"
    home = stores / store_key(dataset, load_settings(**overrides))
    if rebuild and home.exists():
        shutil.rmtree(home)
    settings = load_settings(home=home, **overrides)
    qa = EvalNewsQA(settings, retriever=config.retriever, embed_model=embed_model)
    ready = home / "ready.json"
    if ready.is_file():
        info = json.loads(ready.read_text(encoding="utf-8"))
    else:
        info = {**_ingest(qa, dataset, quiet), "index_code": source_hash(INDEX_CODE)}
        ready.write_text(json.dumps(info, indent=2), encoding="utf-8")
    current = source_hash(INDEX_CODE)
    if info.get("index_code") != current:
        print(
            f"note: the store {home} was built by other indexing code ({info.get('index_code')} != {current}); "
            "pass --rebuild-store to rebuild it",
            file=sys.stderr,
        )
    return qa, {**info, "path": str(home), "key": home.name, "index_code_now": current}


def _ingest(qa: EvalNewsQA, dataset: EvalDataset, quiet: bool) -> dict[str, Any]:
    from tqdm import tqdm

    bar = tqdm(
        total=len(dataset.corpus),
        desc="ingest corpus",
        unit=" articles",
        disable=quiet,
        file=sys.stderr,
        mininterval=2,
    )

    def progress(report: Any) -> None:
        bar.update(report.added + report.updated + report.unchanged + len(report.failures) - bar.n)

    report = qa.ingest_articles(dataset.corpus, progress=progress)
    bar.close()
    return {
        "articles": len(qa.store.article_records()),
        "chunks": qa.store.count_chunks(),
        "failures": [str(f) for f in report.failures][:50],
        "ingest_seconds": round(report.seconds, 1),
        "chunks_per_second": round(report.chunks_per_second, 1),
    }


def provenance() -> dict[str, Any]:
    """Git commit and state (read-only git calls), hashes of the code and prompts, the machine."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read-only: never refresh the index

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, env=env
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "git": {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(status) if status is not None else None,
        },
        # with uncommitted work the commit alone does not say which code ran
        "code": {
            "qa": source_hash(("qa/**/*.py",)),
            "prompts": source_hash(("prompts/*.md",)),
            "eval": source_hash(("eval/*.py",)),
        },
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "host": platform.node(),
        },
    }
