"""Multi-vector retrieval, measured before it is built: does the best-matching *sentence* of a
passage say more than the passage's one vector? Retrieval only.

Opens the harness's cached RealTime QA store (as bench/tune_retrieval.py does), splits every
chunk into sentences (qa.text.split_sentences) and embeds each sentence with the same MiniLM
model, once. Then, for each question of the harness samples, the default retrieval's first
`--depth` hits are re-scored as  fused score + w * (max sentence cosine - passage cosine)
and Hit@1/5/10 and MRR@10 are measured for each weight w, with and without the quiz dates.
w = 0 is today's ranking. A gain would justify storing sentence vectors at ingestion.

Run: .venv/bin/python bench/sentence_vectors.py [--seeds 1 0] [--weights 0 0.25 0.5 1]
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
from bench.embedding_text import chunk_texts, embed_all
from bench.tune_retrieval import (
    STORES,
    first_gold_rank,
    load_questions,
    open_store,
    summarise_ranks,
)
from qa.offline import prepare_offline_runtime


def sentence_vectors(model: Any, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(one unit vector per sentence, the chunk row each sentence belongs to)."""
    from qa.text import split_sentences

    sentences, owners = [], []
    for row, text in enumerate(texts):
        for sentence in split_sentences(text) or [text]:
            sentences.append(sentence)
            owners.append(row)
    return embed_all(model, sentences, "sentences"), np.asarray(owners)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.25, 0.5, 1.0])
    parser.add_argument("--store", default="df0d9469590cfa28396b")
    parser.add_argument("--stores", type=Path, default=STORES)
    args = parser.parse_args()
    prepare_offline_runtime()

    qa = open_store(args.store, args.stores)
    index = qa.lexical.current()
    row_of = {chunk_id: row for row, chunk_id in enumerate(index.chunk_ids)}
    texts, _metas = chunk_texts(qa, list(index.chunk_ids))
    model = qa.store.embed_model
    started = time.perf_counter()
    vectors, owners = sentence_vectors(model, texts)
    embed_s = round(time.perf_counter() - started, 1)
    sentences_of: dict[int, np.ndarray] = {}
    for row in range(len(texts)):
        sentences_of[row] = vectors[owners == row]

    results: dict[str, Any] = {}
    for seed in args.seeds:
        questions = load_questions(seed, args.limit)
        for ignore_dates in (False, True):
            ranks: dict[float, list[int | None]] = {w: [] for w in args.weights}
            for q in questions:
                hits = qa.retrieve(
                    q.question, as_of=None if ignore_dates else q.as_of, top_k=args.depth
                )
                query = np.asarray(model.embed([q.question])[0], dtype=np.float32)
                scored = []
                for hit in hits:
                    row = row_of.get(hit.node.node_id)
                    passage = float(index.vectors[row] @ query) if row is not None else 0.0
                    best = (
                        float(np.max(sentences_of[row] @ query))
                        if row is not None and len(sentences_of[row])
                        else passage
                    )
                    scored.append(
                        (str(hit.node.metadata.get("article_id")), hit.score or 0.0, best - passage)
                    )
                gold = set(q.gold_articles)
                for w in args.weights:
                    order = sorted(scored, key=lambda s, w=w: -(s[1] + w * s[2]))
                    ranks[w].append(first_gold_rank(order, gold))
            for w, found in ranks.items():
                row_result = summarise_ranks(found)
                key = f"w={w} seed {seed} {'no dates' if ignore_dates else 'dates'}"
                results[key] = row_result
                print(json.dumps({key: row_result}), flush=True)

    path = write_result(
        "sentence-vectors",
        {
            "store": args.store,
            "chunks": len(texts),
            "sentences": len(owners),
            "sentence_embed_s": embed_s,
            "depth": args.depth,
            "results": results,
        },
    )
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
