"""The extractive answerer: no LLM; the retrieved sentences that best answer the question, cited."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from llama_index.core.schema import NodeWithScore
from rapidfuzz import fuzz

from qa.answer import REFUSAL, Answer, display_date, relative_dates_of, sources_from_nodes
from qa.cite import CitedSentence, neutralise_markers
from qa.embed import MiniLMEmbedding
from qa.text import content_words, split_sentences, with_absolute_dates
from qa.verify import missing_key_items, opposed_outcomes

LEXICAL_WEIGHT = 0.45
ANSWER_TYPE_BONUS = 0.15  # the sentence holds the kind of thing the question asks for

_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|dozen)\b",
    re.I,
)
_MONEY = re.compile(
    r"[$€£¥₹]\s?\d|\d[\d,.]*\s*(?:million|billion|trillion|thousand|crore|lakh)?\s*"
    r"(?:dollars?|euros?|pounds?|yen|rupees?|yuan|francs?|USD|EUR|GBP)\b|\b\d[\d,.]*\s*(?:million|billion|trillion)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(?:19|20)\d{2}\b|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b|"
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday|tomorrow|week|month|year)\b"
)
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_STRAY_CLOSE = re.compile(r"^[”’]+\s*")  # a quote's closing mark split off onto the next sentence
_FIGURE = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w-])")
# rapidfuzz token_set_ratio (figures masked) above which two sentences report the same thing
SAME_MATTER = 60
CONFLICT_RANGE = 0.7  # a conflicting report is considered down to this share of the best score
EMBED_SHORTLIST = 12  # sentences scored by the model per question
EMBED_WORDS = 60  # a sentence's first words are enough to judge what it is about
NEAR_DUPLICATE = 88  # rapidfuzz token_set_ratio above which two sentences say the same


@dataclass(frozen=True)
class ScoredSentence:
    source_n: int  # 1-based number of the passage it comes from
    index: int  # order within that passage
    text: str
    score: float


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _stems(text: str) -> set[str]:
    return set(_stemmer().stemWords(content_words(text)))


def expected_answer_type(question: str) -> str | None:
    """What kind of answer a question asks for: number, date, name, or None when unclear."""
    q = question.lower()
    if re.search(
        r"\bhow much\b.*\b(?:cost|pay|paid|spend|spent|worth|price|raise|fine|budget)|\b(?:price|cost)\b|\bhow much money\b",
        q,
    ):
        return "money"
    if re.search(
        r"\bhow (?:much|many|long|far|old|big|large|high|often)\b|\bwhat (?:percentage|share|amount|number)\b",
        q,
    ):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (?:year|date|day|month|time)\b", q):
        return "date"
    if re.search(
        r"\b(?:who|whom|whose|where|which (?:country|city|company|team|person|state))\b", q
    ):
        return "name"
    return None


def holds_answer_type(sentence: str, question: str, kind: str | None) -> bool:
    """True when the sentence has a number/date/name of the asked kind that the question lacks."""
    if kind is None:
        return False
    pattern = {"money": _MONEY, "number": _NUMBER, "date": _DATE, "name": _NAME}[kind]
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in asked for m in pattern.finditer(sentence))


def score_sentences(
    question: str, nodes: list[NodeWithScore], embed: MiniLMEmbedding | None
) -> list[ScoredSentence]:
    """Each retrieved sentence scored by the question's words it holds, the kind of answer it
    carries and (for the most promising ones) its meaning (MiniLM cosine)."""
    question_stems = _stems(question)
    kind = expected_answer_type(question)
    cheap: list[ScoredSentence] = []
    for n, node in enumerate(nodes, start=1):
        # a sentence is read in its article's context: the headline's words count as its own
        title_stems = _stems(str(node.node.metadata.get("title") or ""))
        for i, sentence in enumerate(split_sentences(node.node.get_content())):
            if len(sentence.split()) < 4:
                continue
            text = neutralise_markers(_STRAY_CLOSE.sub("", sentence))
            overlap = (
                len(question_stems & (_stems(text) | title_stems)) / len(question_stems)
                if question_stems
                else 0.0
            )
            score = LEXICAL_WEIGHT * overlap + (
                ANSWER_TYPE_BONUS if holds_answer_type(text, question, kind) else 0.0
            )
            cheap.append(ScoredSentence(n, i, text, score))
    if embed is None or not cheap:
        return cheap
    # only the most promising sentences go through the model: it is the expensive part
    ranked = sorted(cheap, key=lambda s: (s.score, -s.source_n), reverse=True)
    shortlist, rest = ranked[:EMBED_SHORTLIST], ranked[EMBED_SHORTLIST:]
    vectors = embed.embed([question] + [" ".join(s.text.split()[:EMBED_WORDS]) for s in shortlist])
    semantic = vectors[1:] @ vectors[0]
    weight = 1.0 - LEXICAL_WEIGHT
    scored = [
        replace(s, score=s.score + weight * float(c))
        for s, c in zip(shortlist, semantic, strict=True)
    ]
    return scored + rest


def refusal_evidence(
    question: str, nodes: list[NodeWithScore], best: ScoredSentence, retrieval_offset: float = 0.0
) -> dict[str, float]:
    """What the refusal decision weighs: the support check of the best sentence (its score:
    the question's words it holds, whether it holds the kind of answer asked for, its meaning)
    and the retrieval score of the passage it comes from (plus `retrieval_offset`, see
    NewsQA._retrieval_offset). The share of the question's names, numbers and dates that
    passage holds is recorded too (it did not separate answerable questions on the harness)."""
    from qa.grounding import passage_context

    node = nodes[best.source_n - 1]
    items, missing = missing_key_items(question, [passage_context(node)])
    return {
        "sentence": best.score,
        "retrieval": float(node.score or 0.0) + retrieval_offset,
        "key_items": (len(items) - len(missing)) / len(items) if items else 1.0,
    }


# answerability = logistic(SENTENCE * sentence score + RETRIEVAL * retrieval score + BIAS),
# fitted (class-balanced logistic regression) on the evaluation harness: RealTime QA, sample
# seed 1, 300 answerable questions and 100 probes asked without their evidence (the fit and
# the threshold sweep: README "Refusal threshold")
ANSWERABILITY_SENTENCE = 3.04
ANSWERABILITY_RETRIEVAL = 3.56
ANSWERABILITY_BIAS = -5.45


def answer_score(evidence: dict[str, float]) -> float:
    """How likely the passages answer the question (0..1): the score `min_answer_score` is
    compared with."""
    z = (
        ANSWERABILITY_SENTENCE * evidence["sentence"]
        + ANSWERABILITY_RETRIEVAL * evidence["retrieval"]
        + ANSWERABILITY_BIAS
    )
    return 1.0 / (1.0 + math.exp(-z))


def _anchor(node: NodeWithScore) -> str:
    meta = node.node.metadata
    when = display_date(meta.get("published_at"))
    outlet = str(meta.get("source") or "").strip()
    label = ", ".join(part for part in (outlet, when) if part)
    if when:
        return f"As of {when} ({outlet or 'unknown outlet'}): " if outlet else f"As of {when}: "
    return f"({label}) " if label else ""


def answer_extractively(
    question: str,
    nodes: list[NodeWithScore],
    embed: MiniLMEmbedding | None,
    *,
    min_score: float,
    max_sentences: int,
    retrieval_offset: float = 0.0,
) -> Answer:
    """Pick the sentences that best answer the question, cite each, or refuse when the
    answerability score (see `answer_score`) is below `min_score`."""
    sources = sources_from_nodes(nodes)
    scored = sorted(score_sentences(question, nodes, embed), key=lambda s: s.score, reverse=True)
    if not scored:
        return _refusal(question, nodes, sources)
    evidence = refusal_evidence(question, nodes, scored[0], retrieval_offset)
    score = answer_score(evidence)
    if score < min_score:
        refusal = _refusal(question, nodes, sources)
        refusal.answer_score, refusal.evidence = score, evidence
        return refusal
    chosen: list[ScoredSentence] = []
    floor = scored[0].score * 0.8
    for candidate in scored:
        if len(chosen) == max_sentences or candidate.score < floor:
            break
        if any(fuzz.token_set_ratio(candidate.text, c.text) >= NEAR_DUPLICATE for c in chosen):
            continue
        chosen.append(candidate)
    conflict = find_conflict(scored, nodes, scored[0].score * CONFLICT_RANGE)
    if conflict:
        older, newer = conflict
        rest = [c for c in chosen if c not in conflict][: max(0, max_sentences - 2)]
        chosen = [*rest, older, newer]
    # read in source order, then in each passage's own order: a coherent account; reports that
    # disagree close it, oldest first, so the newer one is read last and said to be newer
    chosen.sort(
        key=lambda s: (
            s in (conflict or ()),
            _published(nodes, s) if conflict and s in conflict else "",
            s.source_n,
            s.index,
        )
    )
    sentences = []
    anchored: set[int] = set()
    for sentence in chosen:
        if conflict and sentence in conflict:
            prefix = _conflict_anchor(nodes[sentence.source_n - 1], newer=sentence == conflict[1])
        else:
            prefix = "" if sentence.source_n in anchored else _anchor(nodes[sentence.source_n - 1])
        anchored.add(sentence.source_n)
        node = nodes[sentence.source_n - 1]
        text = prefix + with_absolute_dates(sentence.text, relative_dates_of(node))
        sentences.append(CitedSentence(text=text, citations=[sentence.source_n], supported=True))
    answer = Answer(
        question=question,
        text=" ".join(s.render() for s in sentences),
        sentences=sentences,
        sources=sources,
        refused=False,
        backend="extractive",
        answer_score=score,
        evidence=evidence,
    )
    return answer


def _published(nodes: list[NodeWithScore], sentence: ScoredSentence) -> str:
    return str(nodes[sentence.source_n - 1].node.metadata.get("published_at") or "")


def _figures(text: str) -> set[str]:
    return {m.group(0).replace(",", "") for m in _FIGURE.finditer(text)}


def find_conflict(
    scored: list[ScoredSentence], nodes: list[NodeWithScore], floor: float
) -> tuple[ScoredSentence, ScoredSentence] | None:
    """Two well-scored sentences from articles published on different days that report the
    same thing differently: other figures (a toll of 120, later 150) or the opposite outcome
    (a plan approved, later rejected). (older, newer), or None."""
    candidates = [s for s in scored if s.score >= floor][:EMBED_SHORTLIST]
    for i, first in enumerate(candidates):
        for second in candidates[i + 1 :]:
            a, b = nodes[first.source_n - 1].node.metadata, nodes[second.source_n - 1].node.metadata
            day_a, day_b = (str(m.get("published_at") or "")[:10] for m in (a, b))
            if (
                a.get("article_id") == b.get("article_id")
                or not day_a
                or not day_b
                or day_a == day_b
            ):
                continue
            if _figures_differ(first.text, second.text) or _outcomes_differ(
                first.text, second.text
            ):
                return (first, second) if day_a < day_b else (second, first)
    return None


def _figures_differ(first: str, second: str) -> bool:
    figures_a, figures_b = _figures(first), _figures(second)
    if not figures_a or not figures_b or figures_a <= figures_b or figures_b <= figures_a:
        return False  # no figures, or one repeats the other's: no disagreement
    masked = [_FIGURE.sub("#", text) for text in (first, second)]
    return fuzz.token_set_ratio(*masked) >= SAME_MATTER


def _outcomes_differ(first: str, second: str) -> bool:
    """The same matter with opposite outcome words ("approved" / "rejected")."""
    return opposed_outcomes(first, second) and fuzz.token_set_ratio(first, second) >= SAME_MATTER


def _conflict_anchor(node: NodeWithScore, *, newer: bool) -> str:
    meta = node.node.metadata
    when = display_date(meta.get("published_at"))
    outlet = str(meta.get("source") or "").strip() or "unknown outlet"
    if newer:
        return f"The newer report, as of {when} ({outlet}): "
    return f"An earlier report, as of {when} ({outlet}): "


def _refusal(question: str, nodes: list[NodeWithScore], sources: list) -> Answer:
    if nodes:
        meta = nodes[0].node.metadata
        detail = ", ".join(
            p for p in (str(meta.get("source") or ""), display_date(meta.get("published_at"))) if p
        )
        title = re.sub(r"\s+", " ", str(meta.get("title") or "")).strip()
        closest = f" The closest article I have is “{title}”" + (f" ({detail})." if detail else ".")
    else:
        closest = " No articles matched the question."
    text = REFUSAL + closest
    return Answer(
        question=question,
        text=text,
        sentences=[CitedSentence(text=text)],
        sources=sources,
        refused=True,
        backend="extractive",
    )
