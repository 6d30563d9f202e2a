"""What each chunk's embedding should see: the passage alone, or with its article's headline,
outlet and date (the default), or with its URL slug and dateline too. Retrieval only.

Opens the harness's cached RealTime QA store (as bench/tune_retrieval.py does), re-embeds every
chunk's text in each variant with the same MiniLM model, puts the vectors in place of the
stored ones in the in-memory index that hybrid retrieval scores, and measures Hit@1/5/10 and
MRR@10 on the harness's question samples, with and without the quiz dates. The stored vectors
are the default variant; a sample is re-embedded first to check it reproduces them.

Run: .venv/bin/python bench/embedding_text.py [--seeds 1 0] [--variants passage slug]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
from llama_index.core.schema import MetadataMode, TextNode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, git_commit, machine
from bench.tune_retrieval import load_questions, open_store, score_retrieval
from qa.offline import prepare_offline_runtime
from qa.store import EMBEDDED_METADATA

BATCH = 64


def header(meta: dict[str, Any]) -> str:
    """The lines LlamaIndex puts before the passage today (qa/store.py EMBEDDED_METADATA)."""
    shown = {key: meta[key] for key in EMBEDDED_METADATA if meta.get(key) not in (None, "")}
    node = TextNode(text="", metadata=shown, metadata_template="{key}: {value}")
    return node.get_metadata_str(MetadataMode.EMBED)


def slug_words(url: str | None) -> str:
    """The words of a URL's last meaningful path segment ('/2023/02/07/lebron-breaks-record/')."""
    if not url:
        return ""
    parts = [
        p for p in urlparse(url).path.split("/") if p and not p.isdigit() and p != "index.html"
    ]
    return parts[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ") if parts else ""


def with_slug_and_dateline(text: str, meta: dict[str, Any]) -> str:
    extra = [f"slug: {slug}" for slug in [slug_words(meta.get("url"))] if slug]
    extra += [f"dateline: {meta['dateline']}"] if meta.get("dateline") else []
    return "\n".join([header(meta), *extra]) + "\n\n" + text


VARIANTS: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "default": lambda text, meta: header(meta) + "\n\n" + text,
    "passage": lambda text, meta: text,
    "slug": with_slug_and_dateline,
}


def chunk_texts(qa: Any, chunk_ids: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    texts, metas = [], []
    for start in range(0, len(chunk_ids), 2000):
        page = qa.store.collection.get(
            ids=chunk_ids[start : start + 2000], include=["documents", "metadatas"]
        )
        found = {
            i: (d or "", m or {})
            for i, d, m in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        }
        for chunk_id in chunk_ids[start : start + 2000]:
            text, meta = found[chunk_id]
            texts.append(text)
            metas.append(meta)
    return texts, metas


def embed_all(model: Any, texts: list[str], label: str) -> np.ndarray:
    rows = []
    for start in range(0, len(texts), BATCH):
        rows.append(model.embed(texts[start : start + BATCH]))
        print(
            f"  {label}: {min(start + BATCH, len(texts))}/{len(texts)}", file=sys.stderr, end="\r"
        )
    print(file=sys.stderr)
    return np.vstack(rows).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--store", default="df0d9469590cfa28396b")
    parser.add_argument(
        "--variants", nargs="+", default=["passage", "slug"], choices=sorted(VARIANTS)
    )
    args = parser.parse_args()
    prepare_offline_runtime()

    qa = open_store(args.store)
    index = qa.lexical.current()
    stored = index.vectors.copy()
    texts, metas = chunk_texts(qa, list(index.chunk_ids))
    model = qa.store.embed_model
    sample = list(range(0, len(texts), max(1, len(texts) // 64)))
    again = model.embed([VARIANTS["default"](texts[i], metas[i]) for i in sample])
    reproduced = float(np.min(np.sum(again * stored[sample], axis=1)))
    print(
        f"default variant reproduces the stored vectors: min cosine {reproduced:.4f}",
        file=sys.stderr,
    )
    questions = {seed: load_questions(seed, args.limit) for seed in args.seeds}

    results: dict[str, Any] = {}
    for variant in ["stored", *args.variants]:
        started = time.perf_counter()
        if variant == "stored":
            index.vectors = stored
        else:
            build = VARIANTS[variant]
            index.vectors = embed_all(
                model, [build(t, m) for t, m in zip(texts, metas, strict=True)], variant
            )
        embed_s = round(time.perf_counter() - started, 1)
        for seed, sample_questions in questions.items():
            for ignore_dates in (False, True):
                row = score_retrieval(qa, sample_questions, ignore_dates)
                key = f"{variant} seed {seed} {'no dates' if ignore_dates else 'dates'}"
                results[key] = {**row, "embed_s": embed_s}
                print(json.dumps({key: results[key]}), flush=True)

    stamp = datetime.now(UTC)
    path = RESULTS / f"embedding-text-{stamp:%Y%m%d-%H%M%S}.json"
    path.write_text(
        json.dumps(
            {
                "benchmark": "embedding_text",
                "when": stamp.isoformat(timespec="seconds"),
                "commit": git_commit(),
                "machine": machine(),
                "store": args.store,
                "chunks": len(texts),
                "chunks_with_url": sum(1 for m in metas if m.get("url")),
                "chunks_with_dateline": sum(1 for m in metas if m.get("dateline")),
                "default_reproduces_stored_min_cosine": round(reproduced, 4),
                "results": results,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
