"""Ingestion throughput (articles/s, chunks/s) against the embedding model alone on the same texts.

The pipeline is `NewsQA.ingest` on a JSONL file of synthetic news articles: reading records,
chunking, relative dates, MinHash near-duplicate grouping, embedding and Chroma writes.
"Model alone" embeds exactly the texts the pipeline embedded (recorded as it ran), in the
same batch size, with the same model instance. The ratio model-alone-time / pipeline-time
is the share of the model's throughput the pipeline keeps (target >= 0.8).

These machines are shared and noisy, so the work is cut into rounds that alternate pipeline
and model-alone on each slice; the load average is recorded beside the numbers.

Run: .venv/bin/python bench/ingest.py [--sizes 1000 10000] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, git_commit, machine
from qa.offline import prepare_offline_runtime

OUTLETS = ["Riverton Gazette", "Valdora Times", "Harbour Times", "Tech Daily", "Sport Wire",
           "The Daily Meridian", "City Post", "Global Wire"]  # fmt: skip
PEOPLE = ["Mr. Okafor", "Ms. Varga", "Dr. Chen", "Gov. Ruiz", "Sen. Hale", "Prof. Lindqvist",
          "Mrs. Haddad", "Gen. Moreau"]  # fmt: skip
PLACES = ["Riverton", "Valdora", "Kalvar", "the U.S.", "Marlow", "the harbour district",
          "Lakeside", "the northern province"]  # fmt: skip
NOUNS = ["council", "budget", "strike", "bridge", "election", "court", "hospital", "market",
         "railway", "airport", "school", "union", "storm", "harvest", "museum", "ferry",
         "pipeline", "festival", "tariff", "reservoir", "clinic", "stadium", "factory"]  # fmt: skip
VERBS = ["approved", "delayed", "rejected", "announced", "reviewed", "expanded", "cut",
         "postponed", "defended", "criticised", "funded", "opened"]  # fmt: skip
WHEN = ["on Monday", "last week", "on Tuesday", "this month", "yesterday", "on Friday",
        "earlier this year", "at 9 a.m."]  # fmt: skip


def synthetic_articles(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """News-like articles of 150-450 words in 3-6 paragraphs; about 5% are syndicated copies."""
    rng = random.Random(seed)

    def sentence() -> str:
        kind = rng.random()
        noun, other = rng.sample(NOUNS, 2)
        if kind < 0.3:
            return (
                f'"{rng.choice(["We", "They", "The city"])} {rng.choice(VERBS)} the {noun} '
                f'because the {other} needed it," {rng.choice(PEOPLE)} said {rng.choice(WHEN)}.'
            )
        if kind < 0.6:
            amount = f"{rng.randint(2, 950)}.{rng.randint(1, 9)} million"
            return (
                f"The {noun} in {rng.choice(PLACES)} {rng.choice(VERBS)} a plan worth {amount} "
                f"euros for the {other} {rng.choice(WHEN)}, officials said."
            )
        return (
            f"{rng.choice(PEOPLE)} told reporters the {noun} would be {rng.choice(VERBS)} "
            f"after the {other} in {rng.choice(PLACES)} was {rng.choice(VERBS)} {rng.choice(WHEN)}."
        )

    records: list[dict[str, Any]] = []
    for i in range(count):
        if i > 20 and rng.random() < 0.05:  # a wire story carried again by another outlet
            original = records[rng.randrange(len(records))]
            records.append(
                {**original, "url": f"https://copy.example/{i}", "source": rng.choice(OUTLETS)}
            )
            continue
        paragraphs = [
            " ".join(sentence() for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(3, 6))
        ]
        day = 1 + i % 28
        records.append(
            {
                "title": f"{rng.choice(NOUNS).capitalize()} {rng.choice(VERBS)} in "
                f"{rng.choice(PLACES)} ({i})",
                "body": "\n\n".join(paragraphs),
                "url": f"https://{rng.choice(OUTLETS).lower().replace(' ', '')}.example/{i}",
                "source": rng.choice(OUTLETS),
                "published_at": f"2024-{1 + i % 12:02d}-{day:02d}T{6 + i % 12:02d}:15:00+01:00",
                "author": rng.choice(PEOPLE).split(". ", 1)[1],
            }
        )
    return records


def run_size(
    size: int, rounds: int, profile: bool, save: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Run one size; `save` gets the numbers so far after every round (a long run killed
    midway still leaves them)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    from qa.embed import MiniLMEmbedding
    from qa.pipeline import NewsQA
    from qa.settings import Settings

    class RecordingEmbedding(BaseEmbedding):
        """The real model, recording the texts it is given and the time it spends."""

        _model: Any = PrivateAttr()
        _texts: list[str] = PrivateAttr(default_factory=list)
        _seconds: float = PrivateAttr(default=0.0)

        def __init__(self, model: MiniLMEmbedding) -> None:
            super().__init__(model_name=model.model_name, embed_batch_size=model.embed_batch_size)
            self._model = model

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            started = time.perf_counter()
            vectors = self._model.embed(texts).tolist()
            self._seconds += time.perf_counter() - started
            self._texts.extend(texts)
            return vectors

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._get_text_embedding(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    records = synthetic_articles(size)
    workdir = Path(tempfile.mkdtemp(prefix=f"newsqa-bench-ingest-{size}-"))
    settings = Settings(home=workdir / "home")
    model = MiniLMEmbedding(embed_batch_size=settings.embed_batch_size)
    recorder = RecordingEmbedding(model)
    qa = NewsQA(settings, embed_model=recorder)
    model.embed(["warm-up"] * 4)  # first-run allocations belong to neither side
    per_round = -(-size // rounds)
    pipeline_s = model_s = embed_in_pipeline_s = 0.0
    chunks = articles = 0
    profiler = cProfile.Profile() if profile else None
    load_before = [round(x, 2) for x in os.getloadavg()]

    def numbers() -> dict[str, Any]:
        found = _numbers(articles, chunks, pipeline_s, model_s, embed_in_pipeline_s)
        return {**found, "load_average_before": load_before}

    for start in range(0, size, per_round):
        path = workdir / f"slice-{start}.jsonl"
        path.write_text(
            "\n".join(json.dumps(r) for r in records[start : start + per_round]), encoding="utf-8"
        )
        recorder._texts, recorder._seconds = [], 0.0
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        report = qa.ingest([path])
        pipeline_s += time.perf_counter() - started
        if profiler:
            profiler.disable()
        assert not report.failures, report.failures[:3]
        embed_in_pipeline_s += recorder._seconds
        chunks += report.chunks
        articles += report.added + report.updated
        texts = recorder._texts
        started = time.perf_counter()
        for offset in range(0, len(texts), settings.embed_batch_size):
            model.embed(texts[offset : offset + settings.embed_batch_size])
        model_s += time.perf_counter() - started
        print(
            f"  {size}: {start + per_round} articles, pipeline {pipeline_s:.0f}s, "
            f"model alone {model_s:.0f}s",
            file=sys.stderr,
            flush=True,
        )
        if start + per_round < size:
            save({"complete": False, **numbers()})
    result = {"complete": True, **numbers(), "stories": len({r.story_id for r in qa.articles()})}
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        result["profile_top"] = out.getvalue().splitlines()[:60]
    return result


def _numbers(
    articles: int, chunks: int, pipeline_s: float, model_s: float, embed_in_pipeline_s: float
) -> dict[str, Any]:
    return {
        "articles": articles,
        "chunks": chunks,
        "pipeline_seconds": round(pipeline_s, 1),
        "pipeline_articles_per_s": round(articles / pipeline_s, 2),
        "pipeline_chunks_per_s": round(chunks / pipeline_s, 2),
        "model_alone_seconds": round(model_s, 1),
        "model_alone_chunks_per_s": round(chunks / model_s, 2),
        "ratio": round(model_s / pipeline_s, 3),
        # the same question asked inside one run (immune to load changing between rounds):
        # the share of pipeline time spent in the model
        "embedding_share_of_pipeline": round(embed_in_pipeline_s / pipeline_s, 3),
        "embedding_inside_pipeline_seconds": round(embed_in_pipeline_s, 1),
        "overhead_seconds": round(pipeline_s - embed_in_pipeline_s, 1),
        "load_average_now": [round(x, 2) for x in os.getloadavg()],
    }


def uncommitted_changes() -> bool | None:
    """Whether the working tree differs from the commit (read-only: no index refresh)."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(done.stdout.strip()) if done.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=5, help="Alternations per size.")
    parser.add_argument("--profile", action="store_true", help="cProfile the pipeline side.")
    args = parser.parse_args()
    prepare_offline_runtime()
    from qa.embed import LOCAL_MODEL_NAME
    from qa.settings import Settings

    settings = Settings()
    stamp = datetime.now(UTC)
    path = RESULTS / f"ingest-{stamp:%Y%m%d-%H%M%S}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "benchmark": "ingest",
        "when": stamp.isoformat(timespec="seconds"),
        "commit": git_commit(),
        "uncommitted_changes": uncommitted_changes(),
        "machine": {**machine(), "model": LOCAL_MODEL_NAME},
        "settings": {
            "chunk_words": settings.chunk_words,
            "chunk_overlap_sentences": settings.chunk_overlap_sentences,
            "embed_batch_size": settings.embed_batch_size,
            "rounds": args.rounds,
        },
        "note": "shared 2-core machine: other jobs ran alongside; compare the ratio, not absolutes",
        "results": {},
    }
    for size in args.sizes:

        def save(numbers: dict[str, Any], size: int = size) -> None:
            record["results"][str(size)] = numbers
            path.write_text(json.dumps(record, indent=2), encoding="utf-8")

        save(run_size(size, args.rounds, args.profile, save))
        print(json.dumps({size: record["results"][str(size)]}, indent=2, default=str))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
