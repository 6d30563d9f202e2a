"""Citation metrics in the ALCE sense (Gao et al., 2023), judged by qa.verify's offline support
check, and that judge's agreement with a hand-labelled set."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from qa.answer import display_date
from qa.verify import check_support

LABELS = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "eval" / "support_labels.jsonl"
)


@lru_cache(maxsize=1)
def judge_embed_model() -> Any:
    """The support judge's model: local MiniLM whatever the pipeline embeds with (loaded once)."""
    from qa.embed import MiniLMEmbedding

    return MiniLMEmbedding()


def passage_text(source: dict[str, Any]) -> str:
    """What a citation points at: the passage, under its headline, outlet and date (answers
    may say "As of 5 Sep 2023 (The Hindu): ..." and the judge must find that too)."""
    try:
        when = display_date(source.get("published_at"))
    except ValueError:
        when = str(source.get("published_at") or "")
    header = ". ".join(str(p) for p in (source.get("title"), source.get("source"), when) if p)
    return f"{header}.\n{source.get('quote') or ''}" if header else str(source.get("quote") or "")


def citation_scores(answer: dict[str, Any], embed_model: Any) -> dict[str, Any] | None:
    """Marker resolution share, citation recall and precision for one answer (None if refused).

    Recall: share of sentences whose cited passages together support them (0 when uncited).
    Precision: share of citations that are needed, ALCE's rule: in a supported sentence with
    several citations, one that alone does not support it while the others still do is
    irrelevant; every citation of an unsupported sentence counts as imprecise."""
    sentences = answer.get("sentences") or []
    if answer.get("refused") or not sentences:
        return None
    passages = {int(s["n"]): passage_text(s) for s in answer.get("sources") or []}
    cache: dict[tuple[str, tuple[int, ...]], bool] = {}

    def supports(claim: str, numbers: list[int]) -> bool:
        key = (claim, tuple(sorted(numbers)))
        if key not in cache:
            cache[key] = check_support(claim, [passages[n] for n in numbers], embed_model).supported
        return cache[key]

    resolved = sum(len(s.get("citations") or []) for s in sentences)
    invalid = int(answer.get("invalid_markers") or 0)
    supported_sentences = precise = total_citations = 0
    for sentence in sentences:
        claim = str(sentence.get("text") or "")
        cited = [int(n) for n in sentence.get("citations") or []]
        usable = [n for n in cited if n in passages]
        joint = bool(usable) and supports(claim, usable)
        supported_sentences += joint
        total_citations += len(cited)
        if joint and len(usable) > 1:
            for n in usable:
                irrelevant = not supports(claim, [n]) and supports(
                    claim, [m for m in usable if m != n]
                )
                precise += not irrelevant
        else:
            precise += int(joint)
    return {
        "markers_resolved": resolved / (resolved + invalid) if resolved + invalid else None,
        "citation_recall": supported_sentences / len(sentences),
        "citation_precision": precise / total_citations if total_citations else 0.0,
        "sentences": len(sentences),
        "citations": total_citations,
        "invalid_markers": invalid,
    }


_AGREEMENT: dict[tuple[str, int, int], dict[str, Any]] = {}  # per labels file version and model


def judge_agreement(embed_model: Any, labels_path: Path = LABELS) -> dict[str, Any]:
    """How often check_support agrees with the hand labels (and where it does not)."""
    if not labels_path.is_file():
        return {"available": False, "reason": f"{labels_path} not found"}
    key = (str(labels_path), labels_path.stat().st_mtime_ns, id(embed_model))
    if key not in _AGREEMENT:
        _AGREEMENT[key] = _agreement(embed_model, labels_path)
    return _AGREEMENT[key]


def _agreement(embed_model: Any, labels_path: Path) -> dict[str, Any]:
    rows = [
        json.loads(line)
        for line in labels_path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    agree = 0
    disagreements = []
    confusion = {"tp": 0, "tn": 0, "fp": 0, "fn": 0}
    for row in rows:
        verdict = check_support(row["claim"], row["passages"], embed_model).supported
        label = bool(row["supported"])
        agree += verdict == label
        confusion[("t" if verdict == label else "f") + ("p" if verdict else "n")] += 1
        if verdict != label:
            disagreements.append(
                {"id": row.get("id"), "kind": row.get("kind"), "label": label, "judge": verdict}
            )
    n = len(rows)
    return {
        "available": True,
        "agreement": agree / n if n else None,
        "n": n,
        "confusion": confusion,
        "disagreements": disagreements,
        "labels": str(labels_path.name),
    }
