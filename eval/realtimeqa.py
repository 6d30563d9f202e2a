"""RealTime QA in its raw upstream layout: weekly quiz questions, their evidence passages as corpus.

Choices made here (see eval/README.md):
- Questions are deduplicated by `question_id` over every file, read in sorted path order; the
  first record wins, and ids whose records disagree are counted (`id_conflicts`).
- The corpus is the distinct evidence passages (text as published, HTML anchors and all;
  runs of whitespace collapsed).
- A passage's date is the /YYYY/MM/DD/ in its first link (date_origin "url"), else the earliest
  quiz date that used it (date_origin "quiz").
- A passage gets its link (or the quiz page) as `Article.url` only when no other passage shares
  that address: `Article.id` derives from the URL, and two passages quoting one article must
  stay two. Otherwise the address is kept in `extra["link"]` and the id comes from the content.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from eval.datasets import DatasetError, EvalDataset, EvalQuestion, parse_day, read_jsonl
from qa.decompose import split_by_rules
from qa.ingest import Article, normalise_url
from qa.ingest.dates import date_from_url

NONE_OF_THE_ABOVE = "none of the above"
WH_WORDS = (
    "how many",
    "how much",
    "which",
    "who",
    "whom",
    "whose",
    "what",
    "where",
    "when",
    "why",
    "how",
)
_LINK = re.compile(r"""<a\s[^>]*?href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def passage_key(record: dict[str, Any]) -> str:
    """The evidence passage a record quotes, whitespace-normalised (passages differing only in
    spacing are one passage: their Article ids would collide anyway)."""
    return " ".join(str(record.get("evidence") or "").split())


def first_link(evidence: str) -> str | None:
    match = _LINK.search(evidence)
    return match.group(1).strip() if match else None


def title_for(link: str | None, evidence: str) -> str:
    """A short headline: the words of the link's slug, else the passage's first words."""
    if link:
        segments = [s for s in re.split(r"[/?#]", link.split("://", 1)[-1])[1:] if s]
        for segment in reversed(segments):
            words = re.sub(r"\.(html?|php|aspx?)$", "", segment).replace("_", "-").split("-")
            words = [
                w
                for w in words
                if w and not w.isdigit() and w not in ("index", "intl", "hnk", "scli", "trnd")
            ]
            if len(words) >= 3:
                return " ".join(words)[:1].upper() + " ".join(words)[1:100]
    text = " ".join(_TAG.sub(" ", evidence).split())
    words = text.split()
    return " ".join(words[:10]) + ("…" if len(words) > 10 else "")


def _records(root: Path, problems: list[str]) -> tuple[dict[str, dict[str, Any]], int, int]:
    files = sorted(root.glob("*/*/*.jsonl"))
    if not files:
        raise DatasetError(
            f"realtimeqa:{root}: no */YEAR/*.jsonl files found (expected backnumber/ and past/)"
        )
    unique: dict[str, dict[str, Any]] = {}
    total = conflicts = 0
    conflicted: set[str] = set()
    for path in files:
        for number, record in read_jsonl(path, problems):
            total += 1
            qid = str(record.get("question_id") or "")
            if not qid:
                problems.append(f"{path}:{number}: no question_id, skipped")
                continue
            if qid not in unique:
                unique[qid] = record
            elif qid not in conflicted and json.dumps(unique[qid], sort_keys=True) != json.dumps(
                record, sort_keys=True
            ):
                conflicted.add(qid)
                conflicts += 1
    return unique, total, conflicts


def load_realtimeqa(root: Path, *, spec: str) -> EvalDataset:
    """Questions deduplicated by id; corpus = their distinct evidence passages."""
    problems: list[str] = []
    unique, total, conflicts = _records(root, problems)
    quiz_dates: dict[str, list[date]] = defaultdict(list)
    outlets: dict[str, str] = {}
    fallback_urls: dict[str, str] = {}
    for record in unique.values():
        evidence = passage_key(record)
        day = parse_day(record.get("question_date"))
        if evidence and day:
            quiz_dates[evidence].append(day)
            outlets.setdefault(evidence, str(record.get("question_source") or ""))
            fallback_urls.setdefault(evidence, str(record.get("question_url") or ""))
    address = {e: first_link(e) or fallback_urls[e] or None for e in quiz_dates}
    sharing: dict[str, int] = defaultdict(int)  # counted by identity: what Article.id hashes
    for value in address.values():
        if value:
            sharing[normalise_url(value)] += 1
    articles: dict[str, Article] = {}
    for evidence in sorted(quiz_dates):
        link = first_link(evidence)
        url_day = date_from_url(link)
        published = url_day or datetime.combine(min(quiz_dates[evidence]), datetime.min.time(), UTC)
        where = address[evidence]
        unique_address = where is not None and sharing[normalise_url(where)] == 1
        articles[evidence] = Article(
            title=title_for(link, evidence),
            body=evidence,
            source=outlets[evidence] or None,
            published_at=published,
            date_origin="url" if url_day else "quiz",
            url=where if unique_address else None,
            origin=f"realtimeqa:{where or 'quiz'}",
            extra={} if unique_address or not where else {"link": where},
        )
    questions = [_question(record, articles, problems) for record in unique.values()]
    kept = [q for q in questions if q is not None]
    kept.sort(key=lambda q: q.id)
    stats = {
        "records": total,
        "unique_questions": len(unique),
        "id_conflicts": conflicts,
        "questions": len(kept),
        "with_evidence": sum(bool(q.gold_articles) for q in kept),
        "answer_scored": sum(q.not_answer_scored is None for q in kept),
        "gold_none_of_the_above": sum(
            q.not_answer_scored == "gold is None of the above" for q in kept
        ),
        "corpus_passages": len(articles),
        "passages_dated_by_url": sum(a.date_origin == "url" for a in articles.values()),
        "passages_sharing_an_address": sum(1 for a in articles.values() if a.url is None),
        "evidence_dated_after_question": sum(
            1
            for q in kept
            if q.gold_articles
            and q.as_of
            and q.extra.get("evidence_date", "") > q.as_of.isoformat()
        ),
    }
    return EvalDataset("realtimeqa", spec, list(articles.values()), kept, stats, problems)


def _question(
    record: dict[str, Any], articles: dict[str, Article], problems: list[str]
) -> EvalQuestion | None:
    qid = str(record["question_id"])
    text = str(record.get("question_sentence") or "").strip()
    if not text:
        problems.append(f"realtimeqa {qid}: no question_sentence, skipped")
        return None
    as_of = parse_day(record.get("question_date"))
    choices = [str(c) for c in record.get("choices") or []]
    gold = _gold_choice(record, choices)
    evidence = passage_key(record)
    article = articles.get(evidence) if evidence and as_of else None
    if article is None:
        reason = "no evidence"
    elif gold is None:
        reason = "no gold choice"
    elif gold.strip().lower() == NONE_OF_THE_ABOVE:
        reason = "gold is None of the above"
    else:
        reason = None
    return EvalQuestion(
        id=qid,
        question=text,
        as_of=as_of,
        answers=(gold,) if reason is None and gold else (),
        answerable=True if article else None,
        gold_articles=(article.id,) if article else (),
        tags={
            "outlet": str(record.get("question_source") or "unknown"),
            "year": str(as_of.year) if as_of else "unknown",
            "variant": "nota" if qid.endswith("_nota") else "original",
            "date_origin": article.date_origin or "" if article else "no evidence",
            "question_type": question_type(text),
            # split into sub-questions by newsqa's rules: the harness's multi-part questions
            "parts": "multi" if split_by_rules(text) else "single",
        },
        not_answer_scored=reason,
        extra={
            "choices": choices,
            "gold_choice": gold,
            "question_url": record.get("question_url"),
            "evidence_date": article.published_at.date().isoformat()
            if article and article.published_at
            else "",
        },
    )


def question_type(text: str) -> str:
    """The question's wh-word ("how many", "which", ...), or "other": a coarse question type."""
    lowered = text.lower()
    hits = ((re.search(rf"\b{w}\b", lowered), w) for w in WH_WORDS)
    found = [(match.start(), -len(w), w) for match, w in hits if match]
    return min(found)[2] if found else "other"


def _gold_choice(record: dict[str, Any], choices: list[str]) -> str | None:
    try:
        index = int(record.get("answer")[0])  # type: ignore[index]
        return choices[index]
    except (TypeError, ValueError, IndexError):
        return None
