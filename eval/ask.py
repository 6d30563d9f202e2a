"""Asking one question: retrieve to depth 10, answer as a user would, and record everything the
scores need (the response is self-contained: scoring never reopens the store)."""

from __future__ import annotations

import time
from typing import Any

from eval.baselines import EvalNewsQA, store_chunks
from eval.datasets import EvalQuestion
from eval.metrics import containment

RETRIEVAL_DEPTH = 10  # passages retrieved for the retrieval metrics (Hit@10, MRR@10, nDCG@10)
NEGATIVE_SUFFIX = "::negative"


def ask_question(
    qa: EvalNewsQA,
    question: EvalQuestion,
    *,
    ignore_dates: bool,
    bodies: dict[str, str],
    chunks: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    """Retrieve to depth 10 for the retrieval metrics, then ask as a user would; one record."""
    as_of = None if ignore_dates else question.as_of
    negative = question.id.endswith(NEGATIVE_SUFFIX)
    qa.excluded = frozenset(question.gold_articles) if negative else frozenset()
    record: dict[str, Any] = {
        "id": question.id, "probe": "negative" if negative else "main", "question": question.question,
        "as_of": as_of.isoformat() if as_of else None, "question_date": question.as_of.isoformat() if question.as_of else None,
        "tags": question.tags, "answers": list(question.answers), "answerable": question.answerable,
        "should_refuse": {True: False, False: True, None: None}[question.answerable],
        "not_answer_scored": question.not_answer_scored, "relevance_unit": question.relevance_unit,
        "gold_units": [] if negative else gold_units(question, chunks),
        "gold_in_evidence": _gold_in_evidence(question, bodies), "error": None,
    }  # fmt: skip
    try:
        tick = time.perf_counter()
        nodes = qa.retrieve(question.question, as_of=as_of, top_k=RETRIEVAL_DEPTH)
        depth_ms = (time.perf_counter() - tick) * 1000
        record["retrieved"] = [
            {
                "rank": i,
                "chunk_id": n.node.node_id,
                "article_id": str(n.node.metadata.get("article_id", "")),
                "score": n.score,
            }
            for i, n in enumerate(nodes, start=1)
        ]
        answer = qa.ask(question.question, as_of=as_of, top_k=qa.settings.top_k)
        record["answer"] = {
            "text": answer.text, "refused": answer.refused, "backend": answer.backend, "notice": answer.notice,
            "invalid_markers": answer.invalid_markers,
            "usage": answer.usage,
            "answer_score": getattr(answer, "answer_score", None),
            "evidence": getattr(answer, "evidence", None) or {},
            "sentences": [{"text": s.text, "citations": s.citations, "supported": s.supported} for s in answer.sentences],
            "sources": [{**c.as_dict(), "score": c.score} for c in answer.sources],
        }  # fmt: skip
        record["timings_ms"] = {
            **{k: round(v, 2) for k, v in answer.timings_ms.items()},
            "retrieve_depth10": round(depth_ms, 2),
        }
    except Exception as error:  # one failing question is recorded, and the run goes on
        record.update(
            error=f"{type(error).__name__}: {error}", retrieved=[], answer=None, timings_ms={}
        )
    finally:
        qa.excluded = frozenset()
    return record


def gold_units(question: EvalQuestion, chunks: dict[str, tuple[str, str]]) -> list[str]:
    """The ids relevance is judged on: gold article ids, or the chunks holding a gold fact
    (whitespace-insensitive, MultiHop-RAG's rule)."""
    if not question.gold_facts:
        return list(question.gold_articles)
    facts = ["".join(f.split()) for f in question.gold_facts if f.strip()]
    allowed = set(question.gold_articles)
    return [
        chunk_id
        for chunk_id, (article_id, text) in chunks.items()
        if (question.facts_anywhere or article_id in allowed) and any(f in text for f in facts)
    ]


def chunk_texts(qa: EvalNewsQA) -> dict[str, tuple[str, str]]:
    return {
        n.node_id: (str(n.metadata.get("article_id", "")), "".join(n.get_content().split()))
        for n in store_chunks(qa.store)
    }


def _gold_in_evidence(question: EvalQuestion, bodies: dict[str, str]) -> bool | None:
    """Whether a gold answer appears in the gold evidence itself: the ceiling for containment."""
    if not question.answers or not question.gold_articles:
        return None
    text = " ".join(bodies.get(a, "") for a in question.gold_articles)
    return containment(text, question.answers) == 1.0
