"""Citations: parse the [n] markers of an answer, resolve them to the passages they name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llama_index.core.schema import NodeWithScore

from qa.text import split_sentences

# [1], [1, 2], [1][2], [1-2] is not a citation form we ask for and is left as text
MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
# markers and their leading space, for removing them from a sentence
_LEADING_MARKERS = re.compile(r"^\s*(?:\[\d{1,3}(?:\s*,\s*\d{1,3})*\]\s*)+")
_MARKER_WITH_SPACE = re.compile(r"\s*\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


@dataclass(frozen=True)
class Citation:
    """A source the answer cites: `n` is its number in the answer, the rest says what it is."""

    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str | None
    published_at: str | None
    url: str | None
    quote: str  # the passage text shown to the user
    score: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "article_id": self.article_id,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "source": self.source,
            "published_at": self.published_at,
            "url": self.url,
            "quote": self.quote,
        }


@dataclass
class CitedSentence:
    """One sentence of an answer and the source numbers it cites."""

    text: str  # without its markers
    citations: list[int] = field(default_factory=list)
    supported: bool | None = None  # None = not checked

    def render(self) -> str:
        markers = "".join(f"[{n}]" for n in self.citations)
        return f"{self.text} {markers}".rstrip() if markers else self.text


@dataclass
class ParsedAnswer:
    sentences: list[CitedSentence]
    invalid_markers: int  # markers naming no source: removed, never shown

    @property
    def text(self) -> str:
        return " ".join(s.render() for s in self.sentences)

    @property
    def cited_numbers(self) -> list[int]:
        seen: list[int] = []
        for sentence in self.sentences:
            for n in sentence.citations:
                if n not in seen:
                    seen.append(n)
        return seen


def parse_answer(text: str, n_sources: int) -> ParsedAnswer:
    """Split an answer into sentences with their markers; drop markers outside 1..n_sources."""
    invalid = 0
    sentences: list[CitedSentence] = []
    # a marker that opens the next "sentence" belongs to the one before ("... end. [2] Next")
    pending_tail: list[int] = []
    for raw in split_sentences(text):
        leading = _LEADING_MARKERS.match(raw)
        if leading and sentences:
            # "... end. [2] Next": the marker closes the sentence before
            numbers_here = _numbers(leading.group(0))
            tail = [n for n in numbers_here if 1 <= n <= n_sources]
            invalid += len(numbers_here) - len(tail)
            sentences[-1].citations.extend(n for n in tail if n not in sentences[-1].citations)
            raw = raw[leading.end() :]
        numbers: list[int] = []
        for match in MARKER.finditer(raw):
            for part in match.group(1).split(","):
                n = int(part)
                if 1 <= n <= n_sources:
                    if n not in numbers:
                        numbers.append(n)
                else:
                    invalid += 1
        clean = _MARKER_WITH_SPACE.sub("", raw).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if not clean or not re.search(r"\w", clean):
            if sentences:
                sentences[-1].citations.extend(
                    n for n in numbers if n not in sentences[-1].citations
                )
            else:
                pending_tail.extend(numbers)
            continue
        sentence = CitedSentence(text=clean, citations=numbers)
        sentences.append(sentence)
    if pending_tail and sentences:
        sentences[0].citations.extend(n for n in pending_tail if n not in sentences[0].citations)
    return ParsedAnswer(sentences=sentences, invalid_markers=invalid)


def _numbers(text: str) -> list[int]:
    return [int(part) for match in MARKER.finditer(text) for part in match.group(1).split(",")]


def neutralise_markers(text: str) -> str:
    """Article text must not carry citation markers of its own: [3] becomes (3)."""
    return MARKER.sub(lambda m: f"({m.group(1)})", text)


def citation_for(n: int, node: NodeWithScore) -> Citation:
    """The citation for source number n, from its retrieved node."""
    meta = node.node.metadata
    return Citation(
        n=n,
        article_id=str(meta.get("article_id", "")),
        chunk_id=node.node.node_id,
        title=str(meta.get("title", "")),
        source=str(meta.get("source") or "") or None,
        published_at=str(meta.get("published_at") or "") or None,
        url=str(meta.get("url") or "") or None,
        quote=node.node.get_content(),
        score=node.score,
    )
