"""Answer records (an Answer as plain data, with every retrieved source) and conversation exports."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from qa.answer import Answer, display_date
from qa.render import safe_link

AnswerRecord = dict[str, Any]


def answer_record(
    answer: Answer,
    *,
    filters: Mapping[str, Any] | None = None,
    stories: Mapping[str, Mapping[str, Any]] | None = None,
) -> AnswerRecord:
    """`Answer.to_dict()` plus an id, every retrieved source (with score and story) and the filters.

    `stories` maps a chunk id to its near-duplicate group: {"story_id", "story_outlets"}.
    """
    record = answer.to_dict()
    record["id"] = uuid.uuid4().hex
    known = stories or {}
    record["sources"] = [
        {
            **source.as_dict(),
            "score": source.score,
            "story_id": (known.get(source.chunk_id) or {}).get("story_id") or None,
            "story_outlets": list((known.get(source.chunk_id) or {}).get("story_outlets") or []),
        }
        for source in answer.sources
    ]
    record["filters"] = dict(filters or {})
    return record


def history_of(records: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Earlier exchanges as the (question, answer text) turns `NewsQA.ask_stream` takes."""
    return [(str(r["question"]), str(r["answer"])) for r in records]


def _inert(text: str) -> str:
    """Article text for a Markdown file: no HTML, links or images survive a Markdown viewer."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`\[\]!*_|])", r"\\\1", text)


def _filters_line(filters: Mapping[str, Any]) -> str:
    parts = []
    if filters.get("since"):
        parts.append(f"published from {filters['since']}")
    if filters.get("as_of"):
        parts.append(f"as of {filters['as_of']}")
    if filters.get("sources"):
        parts.append("outlets: " + ", ".join(_inert(str(s)) for s in filters["sources"]))
    if filters.get("sections"):
        parts.append("sections: " + ", ".join(_inert(str(s)) for s in filters["sections"]))
    if filters.get("top_k"):
        parts.append(f"{filters['top_k']} sources")
    return " · ".join(parts)


def conversation_markdown(records: Sequence[Mapping[str, Any]], *, collection: str = "") -> str:
    """The conversation as Markdown: each question, its answer with [n] and the cited passages."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# newsqa conversation", ""]
    lines += [f"Exported {now}" + (f" from collection `{collection}`" if collection else ""), ""]
    for number, record in enumerate(records, start=1):
        lines += [f"## {number}. {_inert(str(record['question']))}", ""]
        meta = _filters_line(record.get("filters") or {})
        lines += [
            f"_{meta} · backend: {record.get('backend', '')}_"
            if meta
            else f"_backend: {record.get('backend', '')}_",
            "",
        ]
        sentences = []
        for sentence in record.get("sentences", []):
            text = _inert(str(sentence["text"]))
            if sentence.get("supported") is False:
                text += " _(unsupported)_"
            markers = "".join(f"[{n}]" for n in sentence.get("citations") or [])
            sentences.append(f"{text} {markers}".rstrip())
        lines += [" ".join(sentences) or "_(no answer)_", ""]
        if record.get("notice"):
            lines += [f"> Note: {_inert(str(record['notice']))}", ""]
        cited = record.get("citations") or []
        if cited:
            lines += ["Sources:", ""]
        for source in cited:
            date = display_date(source.get("published_at")) or "date unknown"
            outlet = _inert(str(source.get("source") or "unknown outlet"))
            link = safe_link(source.get("url"))
            title = _inert(str(source.get("title") or "Untitled"))
            lines.append(
                f"[{source['n']}] {title} — {outlet}, {date}" + (f" <{link}>" if link else "")
            )
            quote = " ".join(str(source.get("quote", "")).split())
            lines += [f"> {_inert(quote)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def conversation_json(records: Sequence[Mapping[str, Any]], *, collection: str = "") -> str:
    """The conversation as JSON: every answer record with its sentences, citations and sources."""
    document = {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "collection": collection,
        "turns": list(records),
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
