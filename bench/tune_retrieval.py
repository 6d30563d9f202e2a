"""Retrieval-only tuning on RealTime QA: Hit@1/5/10 and MRR@10 per configuration, no answering.

Opens the harness's cached store (as eval/stores.py `open_pipeline` does), samples the
questions the harness would (eval.run.select_questions) and retrieves each to depth 10 with
`NewsQA.retrieve`, article-level relevance. Configurations are RetrievalConfig overrides:

  .venv/bin/python bench/tune_retrieval.py --seed 1 --limit 300 --ignore-dates \
      --config base: --config prf lexical_prf_docs=3

Tune on one sample seed, report the harness on another.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.offline import prepare_offline_runtime

DATASET = "realtimeqa:/work/shared/benchmarks/realtimeqa"
STORES = Path("eval/runs/.stores")


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_config(spec: str) -> tuple[str, dict[str, Any]]:
    """'name:key=value,key=value' (or 'name key=value ...')."""
    name, _, rest = spec.partition(":") if ":" in spec else spec.partition(" ")
    overrides = {}
    for item in rest.replace(" ", ",").split(","):
        if item:
            key, _, value = item.partition("=")
            overrides[key] = parse_value(value)
    return name, overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--ignore-dates", action="store_true")
    parser.add_argument(
        "--multipart",
        action="store_true",
        help="instead of a sample: every question with evidence that the rules split into parts",
    )
    parser.add_argument(
        "--ids", type=Path, help="instead of a sample: the questions whose ids this JSON list holds"
    )
    parser.add_argument("--store", default="df0d9469590cfa28396b")
    parser.add_argument(
        "--stores", type=Path, default=STORES, help="the harness's --stores folder holding --store"
    )
    parser.add_argument("--config", action="append", default=[], help="name:key=value,...")
    parser.add_argument("--out", type=Path, help="append one JSON line per configuration here")
    args = parser.parse_args()
    prepare_offline_runtime()

    qa = open_store(args.store, args.stores)
    if args.multipart or args.ids:
        questions = select_by_id(json.loads(args.ids.read_text()) if args.ids else None)
    else:
        questions = load_questions(args.seed, args.limit)
    base_config = qa.retrieval_config
    for spec in args.config or ["default:"]:
        name, overrides = parse_config(spec)
        qa.retrieval_config = lambda top_k=None, o=overrides: replace(base_config(top_k), **o)
        row = {
            "name": name, "overrides": overrides, "seed": args.seed,
            "ignore_dates": args.ignore_dates,
            **score_retrieval(qa, questions, args.ignore_dates),
        }  # fmt: skip
        print(json.dumps(row), flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as sink:
                sink.write(json.dumps(row) + "\n")


def open_store(store: str, stores: Path = STORES) -> Any:
    """NewsQA on the harness's cached RealTime QA store."""
    from qa.pipeline import NewsQA
    from qa.settings import load_settings

    settings = load_settings(home=stores / store, collection="eval", chroma_host=None)
    return NewsQA(settings)


def load_questions(seed: int, limit: int) -> list[Any]:
    """The questions with gold evidence that the harness samples with this seed."""
    from eval.datasets import load_dataset
    from eval.run import RunConfig, select_questions

    dataset = load_dataset(DATASET)
    config = RunConfig(dataset=DATASET, out=Path("unused"), limit=limit, sample_seed=seed)
    return [q for q in select_questions(dataset, config) if q.gold_articles]


def select_by_id(ids: list[str] | None) -> list[Any]:
    """Every question with gold evidence whose id is listed; None: those the rules split into parts."""
    from eval.datasets import load_dataset
    from qa.decompose import split_by_rules

    questions = [q for q in load_dataset(DATASET).questions if q.gold_articles]
    if ids is None:
        return [q for q in questions if split_by_rules(q.question)]
    wanted = set(ids)
    return [q for q in questions if q.id in wanted]


def first_gold_rank(ranked: list[tuple[Any, ...]], gold: set[str]) -> int | None:
    """The 1-based rank of the first gold article in (article id, ...) order; None: absent."""
    return next((i for i, (article, *_rest) in enumerate(ranked, 1) if article in gold), None)


def summarise_ranks(ranks: list[int | None]) -> dict[str, Any]:
    """Hit@1/5/10 and MRR@10 from each question's 1-based rank of its first gold hit (None: not found)."""
    n = len(ranks)
    return {
        **{f"hit@{k}": round(sum(1 for r in ranks if r and r <= k) / n, 3) for k in (1, 5, 10)},
        "mrr@10": round(sum(1 / r for r in ranks if r and r <= 10) / n, 3),
        "n": n,
    }


def score_retrieval(qa: Any, questions: list[Any], ignore_dates: bool) -> dict[str, Any]:
    """Hit@1/5/10 and MRR@10 (article-level relevance), and milliseconds per question."""
    ranks = []
    started = time.perf_counter()
    for q in questions:
        nodes = qa.retrieve(q.question, as_of=None if ignore_dates else q.as_of, top_k=10)
        articles = [(str(n.node.metadata.get("article_id")),) for n in nodes]
        ranks.append(first_gold_rank(articles, set(q.gold_articles)))
    return {
        **summarise_ranks(ranks),
        "ms_per_query": round((time.perf_counter() - started) * 1000 / len(questions), 1),
    }


def rescoring_parser(description: str, weights: list[float]) -> argparse.ArgumentParser:
    """The options of a bench that re-scores the default retrieval's first hits."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--weights", type=float, nargs="+", default=weights)
    parser.add_argument("--store", default="df0d9469590cfa28396b")
    parser.add_argument("--stores", type=Path, default=STORES)
    return parser


def sweep_rescoring(
    qa: Any, args: argparse.Namespace, extra: Callable[[Any, list[Any]], list[float]]
) -> dict[str, Any]:
    """For each sample seed, with and without dates, and each weight w: Hit@k and MRR@10 when the
    default retrieval's first `args.depth` hits are re-scored as fused score + w * extra, where
    `extra(question, hits)` gives one number per hit. w = 0 is today's ranking."""
    results: dict[str, Any] = {}
    for seed in args.seeds:
        questions = load_questions(seed, args.limit)
        for ignore_dates in (False, True):
            ranks: dict[float, list[int | None]] = {w: [] for w in args.weights}
            for q in questions:
                hits = qa.retrieve(
                    q.question, as_of=None if ignore_dates else q.as_of, top_k=args.depth
                )
                scored = [
                    (str(hit.node.metadata.get("article_id")), hit.score or 0.0, bonus)
                    for hit, bonus in zip(hits, extra(q, hits), strict=True)
                ]
                for w in args.weights:
                    order = sorted(scored, key=lambda s, w=w: -(s[1] + w * s[2]))
                    ranks[w].append(first_gold_rank(order, set(q.gold_articles)))
            for w, found in ranks.items():
                key = f"w={w} seed {seed} {'no dates' if ignore_dates else 'dates'}"
                results[key] = summarise_ranks(found)
                print(json.dumps({key: results[key]}), flush=True)
    return results


if __name__ == "__main__":
    main()
