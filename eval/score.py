"""Score a run folder: per-question scores.jsonl and the aggregates in summary.json."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from eval.citations import citation_scores, judge_agreement, judge_embed_model
from eval.metrics import (
    HIT_KS,
    aggregate,
    containment,
    exact_match,
    multihop_rag_accuracy,
    percentiles,
    refusal_summary,
    retrieval_scores,
    token_f1,
)
from eval.run import read_responses

HEADLINE = ("Hit@1", "Hit@5", "Hit@10", "MRR@10", "nDCG@10")
ANSWER_METRICS = ("containment", "exact_match", "token_f1", "multihop_rag_accuracy")
CITATION_METRICS = ("markers_resolved", "citation_recall", "citation_precision")
TAG_METRICS = ("Hit@1", "Hit@5", "MRR@10", "containment")
STAGES = ("retrieve", "answer", "total")


def score_responses(
    responses: list[dict[str, Any]], *, recall_k: int, embed_model: Any
) -> list[dict[str, Any]]:
    """One score record per response; a metric that does not apply is None (never 0)."""
    qrels = {
        r["id"]: {unit: 1 for unit in r["gold_units"]}
        for r in responses
        if r["gold_units"] and r["should_refuse"] is not True and not r.get("error")
    }
    ranked = {r["id"]: _ranked_units(r) for r in responses if r["id"] in qrels}
    retrieval = retrieval_scores(qrels, ranked, recall_k)
    rows = []
    for r in responses:
        answer = r.get("answer") or {}
        text = str(answer.get("text") or "")
        scored_answer = bool(r["answers"]) and not r.get("not_answer_scored") and not r.get("error")
        golds = r["answers"]
        row: dict[str, Any] = {
            "id": r["id"],
            "probe": r["probe"],
            "tags": r["tags"],
            "error": r.get("error"),
            "retrieval": retrieval.get(r["id"]),
            "answer": {
                "containment": containment(text, golds),
                "exact_match": exact_match(text, golds),
                "token_f1": token_f1(text, golds),
                "multihop_rag_accuracy": multihop_rag_accuracy(text, golds[0]) if golds else None,
                "gold_in_evidence": r.get("gold_in_evidence"),
            }
            if scored_answer
            else None,
            "citations": citation_scores(answer, embed_model)
            if answer and not r.get("error")
            else None,
            "refusal": {"should_refuse": r["should_refuse"], "refused": bool(answer.get("refused"))}
            if answer
            else None,
            "timings_ms": r.get("timings_ms") or {},
            "usage": answer.get("usage"),
        }
        rows.append(row)
    return rows


def _ranked_units(response: dict[str, Any]) -> list[str]:
    key = "chunk_id" if response["relevance_unit"] == "chunk" else "article_id"
    return [item[key] for item in response.get("retrieved") or []]


def summarise(
    rows: list[dict[str, Any]], manifest: dict[str, Any], *, embed_model: Any
) -> dict[str, Any]:
    """Every aggregate with n scored / n total and a bootstrap 95% CI, overall and per tag."""
    main = [r for r in rows if r["probe"] == "main"]
    n_main = len(main)

    def values(section: str, metric: str, subset: list[dict[str, Any]]) -> list[Any]:
        return [(r[section] or {}).get(metric) for r in subset]

    retrieval = {
        m: aggregate([v for v in values("retrieval", m, main) if v is not None], n_main)
        for m in _retrieval_names(rows)
    }
    answers = {
        m: aggregate([v for v in values("answer", m, main) if v is not None], n_main)
        for m in (*ANSWER_METRICS, "gold_in_evidence")
    }
    citations = {
        m: aggregate([v for v in values("citations", m, rows) if v is not None], len(rows))
        for m in CITATION_METRICS
    }
    refusal_rows = [
        (r["refusal"]["should_refuse"], r["refusal"]["refused"]) for r in rows if r["refusal"]
    ]
    refusals = refusal_summary(refusal_rows)
    refusals["refused_any"] = aggregate(
        [1.0 if refused else 0.0 for _, refused in refusal_rows], len(rows)
    )
    latency = {
        stage: percentiles([r["timings_ms"].get(stage) for r in rows if r["timings_ms"]])
        for stage in STAGES
    }
    latency["retrieve_depth10"] = percentiles(
        [r["timings_ms"].get("retrieve_depth10") for r in rows if r["timings_ms"]]
    )
    by_tag: dict[str, dict[str, dict[str, Any]]] = {}
    for key in sorted({k for r in main for k in r["tags"]}):
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in main:
            groups[str(r["tags"].get(key, "unknown"))].append(r)
        by_tag[key] = {
            value: {
                m: aggregate(
                    [
                        v
                        for v in values("retrieval" if m != "containment" else "answer", m, group)
                        if v is not None
                    ],
                    len(group),
                )
                for m in TAG_METRICS
            }
            for value, group in sorted(groups.items())
        }
    return {
        "run": manifest.get("config"),
        "answer_backend": manifest.get("answer_backend"),
        "counts": {
            "responses": len(rows),
            "main_questions": n_main,
            "negative_probes": len(rows) - n_main,
            "errors": sum(1 for r in rows if r["error"]),
            "retrieval_scored": sum(1 for r in main if r["retrieval"]),
            "answer_scored": sum(1 for r in main if r["answer"]),
            "selected": (manifest.get("selection") or {}).get("total"),
        },
        "retrieval": retrieval,
        "hit_curve": {k: retrieval.get(f"Hit@{k}", {}).get("mean") for k in HIT_KS},
        "answers": answers,
        "citations": citations,
        "judge_agreement": judge_agreement(embed_model),
        "refusals": refusals,
        "latency_ms": latency,
        "tokens_and_cost": tokens_and_cost(rows),
        "by_tag": by_tag,
    }


def tokens_and_cost(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """LLM tokens per answer (p50/p95, totals) and cost where the run had a price table.

    `answers_with_usage` of `responses` says how many answers were made by an LLM (an extractive
    answer, or an LLM failure answered extractively, has no usage); `estimated` counts answers
    whose tokens were counted here because the server reported none."""
    usages = [r["usage"] for r in rows if r.get("usage")]
    summary: dict[str, Any] = {"responses": len(rows), "answers_with_usage": len(usages)}
    if not usages:
        summary["note"] = "no LLM tokens: the extractive backend needs none"
        return summary
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        counts = [int(u.get(key) or 0) for u in usages]
        summary[key] = {"total": sum(counts), **percentiles(counts)}
    summary["estimated"] = sum(1 for u in usages if u.get("estimated"))
    costs = [u.get("cost_usd") for u in usages]
    if all(c is not None for c in costs):
        total = sum(float(c) for c in costs)
        summary["cost_usd"] = {"total": round(total, 6), "per_answer": round(total / len(costs), 8)}
    else:
        summary["cost_usd"] = None
        summary["note"] = "unpriced: set NEWSQA_LLM_PRICE_PROMPT and NEWSQA_LLM_PRICE_COMPLETION"
    return summary


def _retrieval_names(rows: list[dict[str, Any]]) -> list[str]:
    for r in rows:
        if r["retrieval"]:
            return list(r["retrieval"])
    return list(HEADLINE)


def score_run(run_dir: Path, *, embed_model: Any = None) -> dict[str, Any]:
    """Write scores.jsonl and summary.json for a run folder; returns the summary."""
    embed_model = embed_model if embed_model is not None else judge_embed_model()
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    responses = list(read_responses(run_dir / "responses.jsonl").values())
    recall_k = int((manifest.get("settings") or {}).get("top_k") or 6)
    rows = score_responses(responses, recall_k=recall_k, embed_model=embed_model)
    with (run_dir / "scores.jsonl").open("w", encoding="utf-8") as sink:
        for row in rows:
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    summary = summarise(rows, manifest, embed_model=embed_model)
    summary["status"] = manifest.get("status")
    summary["dataset"] = {
        k: manifest["dataset"].get(k) for k in ("spec", "kind", "stats", "corpus_hash")
    }
    judged = run_dir / "judge.json"
    if judged.is_file():  # the optional LLM judge: reported on its own, never mixed in
        summary["llm_judge"] = json.loads(judged.read_text(encoding="utf-8"))
    (run_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return summary
