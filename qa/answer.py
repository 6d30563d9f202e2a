"""Answers: the `Answer` type, the LLM answerer, and the choice between LLM and extractive."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.schema import NodeWithScore

from qa.cite import Citation, CitedSentence, citation_for, neutralise_markers, parse_answer
from qa.prompts import render_prompt

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
        }


def display_date(value: str | datetime | None) -> str:
    """'2023-09-05T06:49:00+05:30' -> '5 Sep 2023' (empty when unknown)."""
    if not value:
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return f"{moment.day} {moment:%b %Y}"


def _attribute(value: object) -> str:
    return re.sub(r"[\"<>\n]", " ", str(value or "unknown")).strip()


def format_sources(nodes: list[NodeWithScore]) -> str:
    """Numbered <source> blocks; article text is neutralised so it cannot fake markers or tags."""
    blocks = []
    for n, node in enumerate(nodes, start=1):
        meta = node.node.metadata
        text = neutralise_markers(node.node.get_content())
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


class StreamingAnswer:
    """Text deltas as the model writes them; `.answer` holds the finished Answer afterwards."""

    def __init__(self, deltas: Iterator[str], finish: Callable[[str], Answer]) -> None:
        self._deltas = deltas
        self._finish = finish
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        parts: list[str] = []
        for delta in self._deltas:
            parts.append(delta)
            yield delta
        self.answer = self._finish("".join(parts))

    def result(self) -> Answer:
        """Drain the stream (if not yet) and return the finished answer."""
        if self.answer is None:
            for _ in self:
                pass
        assert self.answer is not None
        return self.answer
