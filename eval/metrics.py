"""Metrics: retrieval (ir-measures), answers (containment, EM, F1, MultiHop-RAG's rule), refusals,
latency, and the bootstrap intervals every aggregate carries."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from qa.verify import plain_text

HIT_KS = tuple(range(1, 11))  # Hit@1..10 for the curve; Hit@1/5/10 in tables
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240501

_ARTICLES = {"a", "an", "the"}
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
    "hundred": "100", "thousand": "1000", "first": "1st", "second": "2nd", "third": "3rd",
}  # fmt: skip
_MONTHS = {
    "january": "jan", "february": "feb", "march": "mar", "april": "apr", "june": "jun",
    "july": "jul", "august": "aug", "september": "sep", "sept": "sep", "october": "oct",
    "november": "nov", "december": "dec",
}  # fmt: skip


# ---- answers ----------------------------------------------------------------------------------
def normalise_answer(text: str) -> list[str]:
    """Tokens for answer matching: case, punctuation, articles, number words, thousands
    separators, ordinals, month names and '%' made uniform."""
    text = plain_text(text).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"(?<=\d)\.(?=\d)", "\x00", text)  # keep decimal points through punctuation
    text = re.sub(r"[^\w\s\x00]", " ", text).replace("\x00", ".")
    tokens = []
    for token in text.split():
        token = _NUMBER_WORDS.get(token, _MONTHS.get(token, token))
        token = re.sub(r"^(\d+)(st|nd|rd|th)$", r"\1", token)
        if token not in _ARTICLES:
            tokens.append(token)
    return tokens


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(
        list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1)
    )


def containment(answer: str, golds: Iterable[str]) -> float | None:
    """1.0 when a normalised gold answer (or alias) appears in the answer; None: nothing to score."""
    needles = [t for t in (normalise_answer(g) for g in golds) if t]
    if not needles:
        return None
    tokens = normalise_answer(answer)
    return 1.0 if any(_contains(tokens, needle) for needle in needles) else 0.0


def exact_match(answer: str, golds: Iterable[str]) -> float | None:
    needles = [t for t in (normalise_answer(g) for g in golds) if t]
    if not needles:
        return None
    return 1.0 if normalise_answer(answer) in needles else 0.0


def token_f1(answer: str, golds: Iterable[str]) -> float | None:
    """SQuAD-style token F1 against the best-matching gold alias."""
    needles = [t for t in (normalise_answer(g) for g in golds) if t]
    if not needles:
        return None
    tokens = normalise_answer(answer)
    best = 0.0
    for needle in needles:
        common = sum((Counter(tokens) & Counter(needle)).values())
        if common:
            precision, recall = common / len(tokens), common / len(needle)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def multihop_rag_accuracy(answer: str, gold: str) -> float | None:
    """MultiHop-RAG's own rule (qa_evaluate.py): the quoted answer, else the whole reply, shares
    any whitespace-separated lower-cased word with the gold answer."""
    if not gold.strip():
        return None
    match = re.search(r'The answer to the question is "(.*?)"', answer)
    prediction = match.group(1) if match else answer
    return 1.0 if set(prediction.lower().split()) & set(gold.lower().split()) else 0.0


# ---- retrieval --------------------------------------------------------------------------------
def retrieval_measures(recall_k: int) -> list[Any]:
    from ir_measures import RR, R, Success, nDCG

    return [*(Success @ k for k in HIT_KS), RR @ 10, nDCG @ 10, R @ recall_k, R @ 10]


def measure_name(measure: Any) -> str:
    return str(measure).replace("Success@", "Hit@").replace("RR@", "MRR@")


def retrieval_scores(
    qrels: Mapping[str, Mapping[str, int]], ranked: Mapping[str, Sequence[str]], recall_k: int
) -> dict[str, dict[str, float]]:
    """Per-query Hit@1..10, MRR@10, nDCG@10, R@k from ranked id lists, computed by ir-measures
    (pytrec_eval). A query with nothing retrieved scores 0, never disappears."""
    import ir_measures

    measures = retrieval_measures(recall_k)
    # ir-measures ranks by score: turn list order into strictly falling scores
    run = {
        q: {doc: float(len(docs) - i) for i, doc in enumerate(dict.fromkeys(docs))}
        for q, docs in ranked.items()
    }
    scored = {
        q: {d: int(r) for d, r in rels.items()}
        for q, rels in qrels.items()
        if any(r > 0 for r in rels.values())
    }
    result = {q: {measure_name(m): 0.0 for m in measures} for q in scored}
    nonempty = {q: docs for q, docs in run.items() if q in scored and docs}
    if nonempty:
        for metric in ir_measures.iter_calc(measures, scored, nonempty):
            result[metric.query_id][measure_name(metric.measure)] = float(metric.value)
    return result


# ---- aggregates -------------------------------------------------------------------------------
def bootstrap_ci(
    values: Sequence[float], *, seed: int = BOOTSTRAP_SEED, resamples: int = BOOTSTRAP_RESAMPLES
) -> tuple[float, float] | None:
    """Percentile bootstrap 95% interval of the mean; None for fewer than two values."""
    data = np.asarray([v for v in values if v is not None], dtype=float)
    if data.size < 2:
        return None
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def aggregate(values: Sequence[float | None], n_total: int | None = None) -> dict[str, Any]:
    """Mean with its 95% CI and how many questions it scored out of how many."""
    scored = [
        float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    ]
    ci = bootstrap_ci(scored)
    return {
        "mean": float(np.mean(scored)) if scored else None,
        "ci95": list(ci) if ci else None,
        "n": len(scored),
        "n_total": len(values) if n_total is None else n_total,
    }


def paired_delta(
    a: Sequence[float], b: Sequence[float], *, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    """Mean of b - a over paired questions, with a bootstrap 95% CI of that mean."""
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    ci = bootstrap_ci(diffs, seed=seed)
    return {
        "delta": float(np.mean(diffs)) if diffs else None,
        "ci95": list(ci) if ci else None,
        "n": len(diffs),
    }


def percentiles(values: Sequence[float]) -> dict[str, Any]:
    data = np.asarray([v for v in values if v is not None], dtype=float)
    if data.size == 0:
        return {"p50": None, "p95": None, "mean": None, "n": 0}
    return {
        "p50": float(np.percentile(data, 50)),
        "p95": float(np.percentile(data, 95)),
        "mean": float(data.mean()),
        "n": int(data.size),
    }


def refusal_summary(rows: Sequence[tuple[bool | None, bool]]) -> dict[str, Any]:
    """(should refuse, refused) pairs -> correct-refusal and false-refusal rates with CIs.

    `should refuse` is True for unanswerable questions (and negative-rejection probes), False
    for answerable ones, None when unknown (not counted)."""
    unanswerable = [1.0 if refused else 0.0 for expected, refused in rows if expected is True]
    answerable = [1.0 if refused else 0.0 for expected, refused in rows if expected is False]
    confusion = {
        "unanswerable_refused": int(sum(unanswerable)),
        "unanswerable_answered": len(unanswerable) - int(sum(unanswerable)),
        "answerable_refused": int(sum(answerable)),
        "answerable_answered": len(answerable) - int(sum(answerable)),
    }
    return {
        "correct_refusal_rate": aggregate(unanswerable, len(rows)),
        "false_refusal_rate": aggregate(answerable, len(rows)),
        "confusion": confusion,
    }
