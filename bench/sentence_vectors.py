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

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write_result
from bench.embedding_text import chunk_texts, embed_all
from bench.tune_retrieval import open_store, rescoring_parser, sweep_rescoring
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
    args = rescoring_parser(__doc__.splitlines()[0], [0.0, 0.25, 0.5, 1.0]).parse_args()
    prepare_offline_runtime()

    qa = open_store(args.store, args.stores)
    index = qa.lexical.current()
    row_of = {chunk_id: row for row, chunk_id in enumerate(index.chunk_ids)}
    texts, _metas = chunk_texts(qa, list(index.chunk_ids))
    model = qa.store.embed_model
    started = time.perf_counter()
    vectors, owners = sentence_vectors(model, texts)
    embed_s = round(time.perf_counter() - started, 1)
    sentences_of = {row: vectors[owners == row] for row in range(len(texts))}

    def best_sentence_gain(question: Any, hits: list[Any]) -> list[float]:
        """Best sentence cosine minus the passage's own, per hit."""
        query = np.asarray(model.embed([question.question])[0], dtype=np.float32)
        gains = []
        for hit in hits:
            row = row_of.get(hit.node.node_id)
            if row is None or not len(sentences_of[row]):
                gains.append(0.0)
                continue
            passage = float(index.vectors[row] @ query)
            gains.append(float(np.max(sentences_of[row] @ query)) - passage)
        return gains

    results = sweep_rescoring(qa, args, best_sentence_gain)
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
