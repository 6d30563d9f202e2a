"""Every answer sentence checked against the passages it cites: kept, re-cited, or marked unsupported."""

from __future__ import annotations

from typing import Any

from llama_index.core.schema import NodeWithScore
from rapidfuzz import fuzz

from qa.cite import CitedSentence
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
