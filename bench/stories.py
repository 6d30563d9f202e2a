"""The near-duplicate lookup's cost per batch as the store grows: the direct store query
(`NewsStore.similar_articles`, one Chroma `$or` over 25 LSH bands, which scans every chunk)
against the band cache (`qa.stories.StoryIndex`: one scan of chunk ids per run to check it,
then band keys in memory and candidates read by chunk id).

The store is filled with bench/ingest.py's synthetic articles through the real pipeline, with a
hash "embedding" instead of the model (this measures the lookup, not the model); the lookups use
fingerprints of 32 other synthetic articles, as one ingestion batch would.

Run: .venv/bin/python bench/stories.py --sizes 1000 3000 6000 [--work DIR]
(--work keeps the store, so a later run with larger sizes only adds the difference.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write_result
from qa.offline import prepare_offline_runtime

BATCH = 32


def hash_embedding() -> Any:
    import numpy as np
    from llama_index.core.base.embeddings.base import BaseEmbedding

    class HashEmbedding(BaseEmbedding):
        """A fixed pseudo-random unit vector per text: costs nothing, stores like the real one."""

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            out = []
            for text in texts:
                raw = hashlib.sha512(text.encode()).digest() * 6
                vector = np.frombuffer(raw, dtype=np.uint8)[:384].astype(float)
                out.append((vector / np.linalg.norm(vector)).tolist())
            return out

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._get_text_embedding(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return HashEmbedding(model_name="hash")


def best_of(repeats: int, work: Any) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 6000])
    parser.add_argument("--work", type=Path, help="Folder for the store (kept between runs).")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    prepare_offline_runtime()
    from bench.ingest import synthetic_articles
    from qa.ingest.duplicates import fingerprint
    from qa.pipeline import NewsQA
    from qa.settings import Settings
    from qa.stories import LOAD_AFTER_BATCHES, StoryIndex

    work = args.work or Path(tempfile.mkdtemp(prefix="newsqa-bench-stories-"))
    work.mkdir(parents=True, exist_ok=True)
    qa = NewsQA(Settings(home=work / "home"), embed_model=hash_embedding())
    records = synthetic_articles(max(args.sizes), seed=11)
    probes = [fingerprint(r["body"]) for r in synthetic_articles(BATCH, seed=99)]
    results: dict[str, Any] = {}
    store = qa.store
    cache = work / "stories-cache.json"
    for size in sorted(args.sizes):
        have = len(qa.articles())
        if have < size:
            path = work / f"articles-{have}-{size}.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in records[have:size]), encoding="utf-8")
            report = qa.ingest([path])
            assert not report.failures, report.failures[:3]
        cache.unlink(missing_ok=True)
        direct_s = best_of(args.repeats, lambda: store.similar_articles(probes))

        def first_use() -> StoryIndex:
            index = StoryIndex(store, cache_path=cache, lookups=LOAD_AFTER_BATCHES)
            index.candidates(probes)  # reads the cache (and the store where it lacks articles)
            return index

        cold_s = best_of(1, lambda: first_use().save())  # no cache yet: every article read
        warm_s = best_of(args.repeats, first_use)  # the cache up to date: one scan of ids
        index = first_use()
        cached_s = best_of(args.repeats, lambda index=index: index.candidates(probes))
        assert index.candidates(probes).keys() == store.similar_articles(probes).keys()
        batches = -(-1000 // BATCH)  # a run adding 1,000 articles
        results[str(size)] = {
            "articles": len(qa.articles()),
            "chunks": store.count_chunks(),
            "direct_query_ms_per_batch": round(direct_s * 1000, 1),
            "cache_first_build_ms": round(cold_s * 1000, 1),
            "cache_check_ms_once_per_run": round(warm_s * 1000, 1),
            "cached_lookup_ms_per_batch": round(cached_s * 1000, 2),
            "run_of_1000_articles_lookup_s_before": round(batches * direct_s, 2),
            "run_of_1000_articles_lookup_s_after": round(
                direct_s + warm_s + (batches - 1) * cached_s, 2
            ),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps({size: results[str(size)]}), flush=True)
    path = write_result(
        "stories",
        {"batch": BATCH, "note": "shared 2-core machine under load", "results": results},
    )
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
