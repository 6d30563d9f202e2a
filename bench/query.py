"""Query latency (retrieve, answer, total: p50/p95) and memory at 1k, 10k and 100k chunks.

Synthetic articles make the scale: chunk texts are drawn from a news-like vocabulary and
their vectors are random unit vectors (the model would take hours to embed 100k chunks on
2 cores; retrieval cost depends on index size, not on vector realism). Questions are real
MiniLM embeddings. Run: .venv/bin/python bench/query.py [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write_result
from qa.offline import prepare_offline_runtime

WORDS = [
    "government",
    "minister",
    "election",
    "court",
    "police",
    "market",
    "shares",
    "inflation",
    "storm",
    "flood",
    "wildfire",
    "president",
    "senate",
    "vote",
    "strike",
    "union",
    "hospital",
    "vaccine",
    "school",
    "budget",
    "tax",
    "oil",
    "energy",
    "climate",
    "summit",
    "treaty",
    "border",
    "missile",
    "troops",
    "ceasefire",
    "talks",
    "deal",
    "company",
    "profit",
    "chief",
    "executive",
    "football",
    "final",
    "championship",
    "coach",
    "player",
    "record",
    "season",
    "city",
    "council",
    "mayor",
    "tram",
    "airport",
]
OUTLETS = ["Riverton Gazette", "Valdora Times", "Sport Wire", "Tech Daily", "CNN", "The Hindu"]
QUESTIONS = [
    "What did the minister say about the budget?",
    "Who won the football championship final?",
    "How much did inflation rise last month?",
    "Where did the wildfire spread?",
    "What deal did the union strike?",
    "When will the summit on the border ceasefire take place?",
]


def fill_store(qa, size: int, rng: np.random.Generator) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    batch = 5000
    for offset in range(0, size, batch):
        n = min(batch, size - offset)
        vectors = rng.standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids, docs, metas = [], [], []
        for i in range(offset, offset + n):
            words = rng.choice(WORDS, size=110)
            published = 1_577_836_800 + int(rng.integers(0, 5 * 365 * 86400))
            ids.append(f"a{i}:0")
            docs.append(" ".join(words).capitalize() + ".")
            metas.append({
                "article_id": f"a{i}", "position": 0, "n_chunks": 1, "content_hash": str(i),
                "title": " ".join(words[:8]), "source": OUTLETS[i % len(OUTLETS)],
                "published_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(published)),
                "published_ts": published, "url": f"https://bench.example/{i}",
            })  # fmt: skip
        qa.store.collection.add(ids=ids, embeddings=vectors, documents=docs, metadatas=metas)
    from qa.lexical import bump_generation

    bump_generation(qa.store.collection)
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1)


def measure(size: int, repeats: int) -> dict[str, object]:
    from qa.pipeline import NewsQA
    from qa.settings import Settings

    rng = np.random.default_rng(size)
    with tempfile.TemporaryDirectory() as home:
        qa = NewsQA(Settings(home=Path(home)))
        fill_seconds = fill_store(qa, size, rng)
        started = time.perf_counter()
        qa.lexical.current()
        lexical_build = time.perf_counter() - started
        qa.ask(QUESTIONS[0])  # warm-up: model sessions, caches
        load_before = os.getloadavg()[0]
        timings: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
        for i in range(repeats):
            answer = qa.ask(QUESTIONS[i % len(QUESTIONS)])
            for key in timings:
                timings[key].append(answer.timings_ms[key])
        return {
            "chunks": size,
            "store_fill_s": round(fill_seconds, 1),
            "lexical_index_build_s": round(lexical_build, 2),
            "queries": repeats,
            **{
                f"{key}_ms": {"p50": percentile(v, 50), "p95": percentile(v, 95)}
                for key, v in timings.items()
            },
            "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            # the machine is shared: the 1-minute load average around the timed queries
            "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    prepare_offline_runtime()
    results = []
    for size in args.sizes:
        result = measure(size, args.repeats)
        print(result, flush=True)
        results.append(result)
    path = write_result(
        "query",
        {
            "settings": {"retriever": "hybrid", "backend": "extractive", "top_k": 6},
            "results": results,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
