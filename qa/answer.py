"""Answers: the `Answer` type, the LLM answerer, and the choice between LLM and extractive."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.schema import NodeWithScore

from qa.cite import Citation, CitedSentence, citation_for, neutralise_markers, parse_answer
from qa.prompts import render_prompt
from qa.text import with_absolute_dates

REFUSAL = "The articles do not say."


@dataclass
class Answer:
    """An answer with its cited sentences, the sources behind it and how it was made."""

    question: str
    text: str
    sentences: list[CitedSentence]
    sources: list[Citation]  # every retrieved passage, numbered as the answer cites them
    refused: bool
    backend: str
    invalid_markers: int = 0
    as_of: str | None = None
    notice: str | None = None  # e.g. "the LLM server is down; extractive answer shown"
    standalone_question: str | None = None  # the follow-up as rewritten for retrieval
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: dict[str, Any] | None = (
        None  # LLM tokens and cost (TokenUsage.as_dict); None without LLM
    )
    # what the refusal decision saw: the combined score and its parts (extractive backend)
    answer_score: float | None = None
    evidence: dict[str, float] = field(default_factory=dict)

    @property
    def citations(self) -> list[Citation]:
        """The sources the answer actually cites, in order of first use."""
        by_number = {c.n: c for c in self.sources}
        used: list[Citation] = []
        for sentence in self.sentences:
            for n in sentence.citations:
                if n in by_number and by_number[n] not in used:
                    used.append(by_number[n])
        return used

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.text,
            "refused": self.refused,
            "backend": self.backend,
            "as_of": self.as_of,
            "notice": self.notice,
            "sentences": [
                {"text": s.text, "citations": s.citations, "supported": s.supported}
                for s in self.sentences
            ],
            "citations": [c.as_dict() for c in self.citations],
            "invalid_markers": self.invalid_markers,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "usage": self.usage,
            "answer_score": None if self.answer_score is None else round(self.answer_score, 4),
            "evidence": {k: round(v, 4) for k, v in self.evidence.items()},
        }


def display_date(value: str | datetime | None) -> str:
    """'2023-09-05T06:49:00+05:30' -> '5 Sep 2023' (empty when unknown)."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return f"{moment.day} {moment:%b %Y}"


def _attribute(value: object) -> str:
    return re.sub(r"[\"<>\n]", " ", str(value or "unknown")).strip()


def relative_dates_of(node: NodeWithScore) -> dict[str, str]:
    """The passage's relative dates resolved at ingest ({"Monday": "2023-09-04"}; {} if none)."""
    raw = node.node.metadata.get("relative_dates")
    if not raw:
        return {}
    try:
        resolved = json.loads(str(raw))
    except ValueError:
        return {}  # a damaged value only costs the annotation
    return {str(k): str(v) for k, v in resolved.items()} if isinstance(resolved, dict) else {}


def format_sources(nodes: list[NodeWithScore]) -> str:
    """Numbered <source> blocks; article text is neutralised so it cannot fake markers or tags,
    and its relative dates carry the absolute date resolved at ingest: "Monday (4 Sep 2023)"."""
    blocks = []
    for n, node in enumerate(nodes, start=1):
        meta = node.node.metadata
        text = neutralise_markers(
            with_absolute_dates(node.node.get_content(), relative_dates_of(node))
        )
        text = re.sub(r"(?i)</?\s*source\b[^>]*>?", " ", text)
        blocks.append(
            f'<source n="{n}" outlet="{_attribute(meta.get("source"))}" '
            f'published="{_attribute(display_date(meta.get("published_at")))}" '
            f'title="{_attribute(meta.get("title"))}">\n{text}\n</source>'
        )
    return "\n\n".join(blocks)


def build_messages(
    question: str,
    nodes: list[NodeWithScore],
    *,
    prompt_name: str,
    as_of: date | None,
    today: date,
    max_sentences: int,
) -> list[ChatMessage]:
    prompt = render_prompt(
        prompt_name,
        question=question,
        sources=format_sources(nodes),
        as_of=display_date(datetime.combine(as_of, datetime.min.time())) if as_of else "",
        today=display_date(datetime.combine(today, datetime.min.time())),
        max_sentences=max_sentences,
    )
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=prompt.system),
        ChatMessage(role=MessageRole.USER, content=prompt.user),
    ]


def sources_from_nodes(nodes: list[NodeWithScore]) -> list[Citation]:
    return [citation_for(n, node) for n, node in enumerate(nodes, start=1)]


def finish_llm_answer(
    question: str, reply: str, nodes: list[NodeWithScore], backend: str
) -> Answer:
    """Turn an LLM's reply into an Answer: markers resolved, impossible ones removed and counted."""
    parsed = parse_answer(reply, n_sources=len(nodes))
    refused = reply.strip().lower().startswith(REFUSAL.lower().rstrip("."))
    return Answer(
        question=question,
        text=parsed.text,
        sentences=parsed.sentences,
        sources=sources_from_nodes(nodes),
        refused=refused or not nodes,
        backend=backend,
        invalid_markers=parsed.invalid_markers,
    )


STALE_AFTER_DAYS = 30


def add_staleness_notice(answer: Answer, nodes: list[NodeWithScore], as_of: date | None) -> None:
    """For questions about the present, say how old the newest source is when it is not recent."""
    from qa.query import read_question

    if (
        answer.refused
        or not nodes
        or not read_question(answer.question, reference=date.today(), known_outlets=[]).wants_recent
    ):
        return
    # the sources the answer rests on: its citations (unrelated retrieved passages say nothing)
    dates = [c.published_at or "" for c in answer.citations] or [
        str(node.node.metadata.get("published_at") or "") for node in nodes
    ]
    newest = max((d for d in dates if d), default="")
    if not newest:
        return
    reference = as_of or date.today()
    age = (reference - datetime.fromisoformat(newest).date()).days
    if age > STALE_AFTER_DAYS:
        note = f"The newest article I have on this is from {display_date(newest)}, {age} days before {'the as-of date' if as_of else 'today'}."
        answer.notice = f"{answer.notice} {note}" if answer.notice else note


@dataclass(frozen=True)
class SentenceChecked:
    """A stream event: sentence `index` of the answer is complete and was checked against the
    sources (its citations resolved, moved to the passage that backs it, or removed)."""

    index: int
    sentence: CitedSentence


StreamEvent = str | SentenceChecked  # a text delta, or a sentence checked as it completed


class StreamingAnswer:
    """Text deltas as the model writes them, and each sentence checked as soon as it completes;
    `.answer` holds the finished Answer afterwards."""

    def __init__(self, events: Iterator[StreamEvent], finish: Callable[[str], Answer]) -> None:
        self._events = events
        self._finish = finish
        self.answer: Answer | None = None

    def events(self) -> Iterator[StreamEvent]:
        """Text deltas (str) interleaved with a SentenceChecked event per completed sentence."""
        parts: list[str] = []
        for event in self._events:
            if isinstance(event, str):
                parts.append(event)
            yield event
        self.answer = self._finish("".join(parts))

    def __iter__(self) -> Iterator[str]:
        for event in self.events():
            if isinstance(event, str):
                yield event

    def result(self) -> Answer:
        """Drain the stream (if not yet) and return the finished answer."""
        if self.answer is None:
            for _ in self.events():
                pass
        assert self.answer is not None
        return self.answer


def checked_sentences(answer: Answer) -> Iterator[StreamEvent]:
    """A finished answer as a stream: each sentence's text, then its SentenceChecked event."""
    for index, sentence in enumerate(answer.sentences):
        yield ("" if index == 0 else " ") + sentence.render()
        yield SentenceChecked(index, sentence)
