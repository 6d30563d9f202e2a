"""Every answer sentence checked against the passages it cites: kept, re-cited, or marked unsupported."""

from __future__ import annotations

import re
from typing import Any

from llama_index.core.schema import NodeWithScore
from rapidfuzz import fuzz

from qa.cite import CitedSentence, parse_answer
from qa.text import content_words
from qa.verify import check_support

RECITE_CANDIDATES = 3  # other passages tried for a sentence whose own citation fails


def passage_context(node: NodeWithScore) -> str:
    """A passage as evidence: its text plus the headline, outlet and date it was published under."""
    from qa.answer import display_date

    meta = node.node.metadata
    header = ". ".join(
        str(part)
        for part in (
            meta.get("title"),
            meta.get("source"),
            display_date(meta.get("published_at")),
            meta.get("published_at"),
        )
        if part
    )
    return f"{header}.\n{node.node.get_content()}"


def is_checkable(sentence: CitedSentence) -> bool:
    """Sentences that state something (not the refusal line, not empty phrasing)."""
    from qa.answer import REFUSAL

    return bool(content_words(sentence.text)) and not sentence.text.startswith(REFUSAL.rstrip("."))


def verify_sentences(
    sentences: list[CitedSentence], nodes: list[NodeWithScore], embed_model: Any
) -> None:
    """Mark each sentence supported or not, moving a citation to the passage that really backs it."""
    passages = [passage_context(node) for node in nodes]
    for sentence in sentences:
        if not is_checkable(sentence):
            continue
        cited = [n for n in sentence.citations if 1 <= n <= len(passages)]
        if (
            cited
            and check_support(
                sentence.text, [passages[n - 1] for n in cited], embed_model
            ).supported
        ):
            if len(cited) > 1:
                alone = [
                    n
                    for n in cited
                    if check_support(sentence.text, [passages[n - 1]], embed_model).supported
                ]
                sentence.citations = alone or cited
            sentence.supported = True
            continue
        others = sorted(
            (n for n in range(1, len(passages) + 1) if n not in cited),
            key=lambda n: fuzz.token_set_ratio(sentence.text, passages[n - 1]),
            reverse=True,
        )[:RECITE_CANDIDATES]
        backing = next(
            (
                n
                for n in others
                if check_support(sentence.text, [passages[n - 1]], embed_model).supported
            ),
            None,
        )
        # never force a citation onto a sentence no passage supports
        sentence.citations = [backing] if backing else []
        sentence.supported = backing is not None


_SENTENCE_END = re.compile(r"[.!?\]\n]")
_OPEN_MARKER = re.compile(r"\[[\d,\s]*$")


class SentenceVerifier:
    """Checks an answer's sentences while it streams: a sentence counts as complete once the
    next one has begun (or the stream ended), and is verified then, once."""

    def __init__(self, nodes: list[NodeWithScore], embed_model: Any) -> None:
        self.nodes = nodes
        self.embed_model = embed_model
        self.checked: list[CitedSentence] = []
        self._verdicts: dict[tuple[str, tuple[int, ...]], CitedSentence] = {}
        self._parsed_upto = 0

    def feed(self, text: str, *, final: bool = False) -> list[tuple[int, CitedSentence]]:
        """The sentences of `text` (the reply so far) that completed since the last call, checked."""
        # a sentence can only have completed if an end mark arrived since the last parse
        if not final and not _SENTENCE_END.search(text, max(0, self._parsed_upto - 1)):
            return []
        self._parsed_upto = len(text)
        # a marker still being written ("... end. [1") must not pass for the next sentence
        view = text if final else _OPEN_MARKER.sub("", text)
        sentences = parse_answer(view, n_sources=len(self.nodes)).sentences
        complete = sentences if final else sentences[:-1]
        fresh = []
        for index in range(len(self.checked), len(complete)):
            sentence = complete[index]
            key = (sentence.text, tuple(sentence.citations))
            verify_sentences([sentence], self.nodes, self.embed_model)
            self._verdicts[key] = sentence
            self.checked.append(sentence)
            fresh.append((index, sentence))
        return fresh

    def apply(self, sentences: list[CitedSentence]) -> None:
        """Check a finished answer's sentences, reusing the verdicts given while it streamed."""
        unchecked = []
        for sentence in sentences:
            done = self._verdicts.get((sentence.text, tuple(sentence.citations)))
            if done is None:
                unchecked.append(sentence)
            else:
                sentence.citations, sentence.supported = list(done.citations), done.supported
        verify_sentences(unchecked, self.nodes, self.embed_model)
