"""Evaluation datasets: a corpus of `Article`s and the questions asked of it, from three formats.

`load_dataset("KIND:PATH")` picks the adapter: `realtimeqa:DIR`, `multihop:CORPUS,QUERIES`,
`jsonl:DIR` or `jsonl:QUESTIONS,ARTICLES` (formats in eval/README.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from qa.ingest import Article, parse_datetime


class DatasetError(ValueError):
    """A dataset spec or file that cannot be read (the message names it and says why)."""


@dataclass(frozen=True)
class EvalQuestion:
    """One question with everything needed to score the answer to it."""

    id: str
    question: str
    as_of: date | None = None
    answers: tuple[str, ...] = ()  # gold answer and its aliases; empty = not answer-scored
    answerable: bool | None = True  # False: the corpus cannot answer it (refusal expected)
    gold_articles: tuple[str, ...] = ()  # newsqa ids of the articles holding the gold evidence
    gold_facts: tuple[str, ...] = ()  # when given, a chunk is relevant iff it holds one of them
    facts_anywhere: bool = True  # False: only chunks of gold_articles can hold the facts
    tags: dict[str, str] = field(default_factory=dict)
    not_answer_scored: str | None = None  # why the answer is not scored, when it is not
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def relevance_unit(self) -> str:
        """'chunk' when relevance is fact containment, else 'article'."""
        return "chunk" if self.gold_facts else "article"

    @property
    def retrieval_scored(self) -> bool:
        return bool(self.gold_facts or self.gold_articles) and self.answerable is not False


@dataclass
class EvalDataset:
    """A corpus and its questions, plus counts and problems met while reading them."""

    kind: str
    spec: str
    corpus: list[Article]
    questions: list[EvalQuestion]
    stats: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Hash of the corpus as the index sees it (ids and content), order-independent."""
        digest = hashlib.sha256()
        for key in sorted(f"{a.id}:{a.content_hash()}:{a.source}:{a.url}" for a in self.corpus):
            digest.update(key.encode())
        return digest.hexdigest()

    def questions_hash(self) -> str:
        digest = hashlib.sha256()
        for q in sorted(self.questions, key=lambda q: q.id):
            digest.update(
                json.dumps(
                    [q.id, q.question, str(q.as_of), q.answers, q.gold_articles, q.gold_facts]
                ).encode()
            )
        return digest.hexdigest()


def load_dataset(spec: str) -> EvalDataset:
    """Read a dataset from 'KIND:PATH'."""
    kind, sep, path = spec.partition(":")
    if not sep or not path:
        raise DatasetError(
            f"--dataset {spec!r}: expected KIND:PATH, e.g. realtimeqa:../shared/benchmarks/realtimeqa"
        )
    if kind == "realtimeqa":
        from eval.realtimeqa import load_realtimeqa

        return load_realtimeqa(Path(path), spec=spec)
    if kind == "multihop":
        corpus, _, queries = path.partition(",")
        if not queries:
            raise DatasetError(f"--dataset {spec!r}: multihop needs CORPUS_JSON,QUERIES_JSON")
        return load_multihop(Path(corpus), Path(queries), spec=spec)
    if kind == "jsonl":
        questions, _, articles = path.partition(",")
        if not articles:
            questions, articles = (
                str(Path(path) / "questions.jsonl"),
                str(Path(path) / "articles.jsonl"),
            )
        return load_jsonl(Path(questions), Path(articles), spec=spec)
    raise DatasetError(f"--dataset {spec!r}: unknown kind {kind!r} (realtimeqa, multihop, jsonl)")


def parse_day(value: Any) -> date | None:
    """'2022/08/31', '2022-08-31' or an ISO timestamp -> date; None when empty or unreadable."""
    if not value:
        return None
    moment = parse_datetime(str(value).replace("/", "-"))
    return moment.date() if moment else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path}: cannot read JSON: {error}") from error


def read_jsonl(path: Path, problems: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each good line; bad lines are named in `problems`, not fatal."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DatasetError(f"{path}: cannot read: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            problems.append(f"{path}:{number}: not JSON ({error})")
            continue
        if not isinstance(record, dict):
            problems.append(f"{path}:{number}: expected a JSON object")
            continue
        yield number, record


def load_multihop(corpus_path: Path, queries_path: Path, *, spec: str) -> EvalDataset:
    """MultiHop-RAG: corpus [{title, author, source, published_at, category, url, body}], queries."""
    records = _read_json(corpus_path)
    queries = _read_json(queries_path)
    if not isinstance(records, list) or not isinstance(queries, list):
        raise DatasetError(f"{spec}: corpus and queries must both be JSON lists")
    corpus: list[Article] = []
    problems: list[str] = []
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not str(record.get("body") or "").strip():
            problems.append(f"{corpus_path}[{i}]: no body, skipped")
            continue
        published = parse_datetime(record.get("published_at"))
        corpus.append(
            Article(
                title=str(record.get("title") or "").strip() or f"Article {i}",
                body=str(record["body"]),
                source=str(record.get("source") or "") or None,
                published_at=published,
                date_origin="record" if published else None,
                url=str(record.get("url") or "") or None,
                authors=(str(record["author"]),) if record.get("author") else (),
                section=str(record.get("category") or "") or None,
                origin=str(corpus_path),
            )
        )
    by_url = {a.url: a.id for a in corpus if a.url}
    questions = []
    for i, query in enumerate(queries):
        if not isinstance(query, dict) or not str(query.get("query") or "").strip():
            problems.append(f"{queries_path}[{i}]: no query, skipped")
            continue
        qtype = str(query.get("question_type") or "unknown")
        evidence = [e for e in query.get("evidence_list") or [] if isinstance(e, dict)]
        null = qtype == "null_query"
        questions.append(
            EvalQuestion(
                id=f"mh{i:04d}",
                question=str(query["query"]),
                answers=() if null else (str(query.get("answer") or ""),),
                answerable=not null,
                gold_articles=tuple(
                    dict.fromkeys(by_url[e["url"]] for e in evidence if e.get("url") in by_url)
                ),
                gold_facts=() if null else tuple(str(e["fact"]) for e in evidence if e.get("fact")),
                tags={"question_type": qtype},
                not_answer_scored="null query (refusal expected)" if null else None,
            )
        )
    stats = {
        "corpus_articles": len(corpus),
        "questions": len(questions),
        "null_queries": sum(q.answerable is False for q in questions),
    }
    return EvalDataset("multihop", spec, corpus, questions, stats, problems)


def load_jsonl(questions_path: Path, articles_path: Path, *, spec: str) -> EvalDataset:
    """Our own format: articles.jsonl and questions.jsonl (see eval/README.md)."""
    problems: list[str] = []
    corpus: list[Article] = []
    doc_ids: dict[str, str] = {}  # the dataset's article id -> newsqa's Article.id
    for number, record in read_jsonl(articles_path, problems):
        doc_id, body = str(record.get("id") or ""), str(record.get("body") or "")
        if not doc_id or not body.strip():
            problems.append(f"{articles_path}:{number}: an article needs an 'id' and a 'body'")
            continue
        published = parse_datetime(record.get("published_at"))
        authors = record.get("authors") or ()
        article = Article(
            title=str(record.get("title") or doc_id),
            body=body,
            source=str(record.get("source") or "") or None,
            published_at=published,
            date_origin="record" if published else None,
            url=str(record.get("url") or "") or None,
            authors=tuple(authors) if isinstance(authors, list) else (str(authors),),
            origin=f"{articles_path}:{number}",
            extra={"doc_id": doc_id},
        )
        if doc_id in doc_ids or article.id in doc_ids.values():
            problems.append(
                f"{articles_path}:{number}: article {doc_id!r} repeats an id or URL, skipped"
            )
            continue
        doc_ids[doc_id] = article.id
        corpus.append(article)
    questions: list[EvalQuestion] = []
    for number, record in read_jsonl(questions_path, problems):
        question = _jsonl_question(record, doc_ids, f"{questions_path}:{number}", problems)
        if question is not None:
            questions.append(question)
    stats = {
        "corpus_articles": len(corpus),
        "questions": len(questions),
        "unanswerable": sum(q.answerable is False for q in questions),
    }
    return EvalDataset("jsonl", spec, corpus, questions, stats, problems)


def _jsonl_question(
    record: dict[str, Any], doc_ids: dict[str, str], where: str, problems: list[str]
) -> EvalQuestion | None:
    text = str(record.get("question") or "").strip()
    if not text:
        problems.append(f"{where}: no 'question', skipped")
        return None
    answers = record.get("answers") or ()
    answers = (answers,) if isinstance(answers, str) else tuple(str(a) for a in answers)
    answerable = bool(record.get("answerable", True))
    articles: list[str] = []
    spans: list[str] = []
    for item in record.get("evidence") or ():
        doc_id = str(item.get("article_id") or "") if isinstance(item, dict) else ""
        if doc_id not in doc_ids:
            problems.append(f"{where}: evidence names unknown article {doc_id!r}")
            continue
        articles.append(doc_ids[doc_id])
        if item.get("span"):
            spans.append(str(item["span"]))
    as_of = parse_day(record.get("as_of"))
    if record.get("as_of") and as_of is None:
        problems.append(f"{where}: as_of {record['as_of']!r} is not a date; asked without one")
    return EvalQuestion(
        id=str(record.get("id") or where.rsplit(":", 1)[-1]),
        question=text,
        as_of=as_of,
        answers=answers if answerable else (),
        answerable=answerable,
        gold_articles=tuple(dict.fromkeys(articles)),
        gold_facts=tuple(spans),
        facts_anywhere=False,
        tags={str(k): str(v) for k, v in (record.get("tags") or {}).items()},
        not_answer_scored=None
        if answerable and answers
        else ("unanswerable" if not answerable else "no gold answer"),
    )
