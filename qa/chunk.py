"""Sentence-aware chunks of an article, with stable ids and the article's metadata."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.ingest import Article
from qa.ingest.relative_dates import resolve_relative_dates
from qa.text import split_sentences, word_count


@dataclass(frozen=True)
class Chunk:
    """A passage of one article: what is shown and cited (`text`) and where it sits."""

    id: str  # "<article id>:<position>"
    article_id: str
    position: int  # 0-based order within the article
    text: str
    # the passage's relative dates resolved against the article's date: {"Monday": "2023-09-04"}
    relative_dates: dict[str, str] = field(default_factory=dict)


def chunk_article(
    article: Article, *, chunk_words: int = 120, overlap_sentences: int = 1
) -> list[Chunk]:
    """Pack whole sentences into chunks of about `chunk_words` words, sharing a sentence or so."""
    sentences = split_sentences(article.body)
    groups: list[list[str]] = []
    current: list[str] = []
    for sentence in sentences:
        if current and word_count(" ".join([*current, sentence])) > chunk_words:
            groups.append(current)
            current = current[-overlap_sentences:] if overlap_sentences else []
            # an overlap that alone fills the chunk would repeat forever
            if word_count(" ".join([*current, sentence])) > chunk_words:
                current = []
        current.append(sentence)
    if current and (not groups or current != groups[-1][-len(current) :]):
        groups.append(current)
    texts = [" ".join(group) for group in groups]
    return [
        Chunk(
            id=f"{article.id}:{i}",
            article_id=article.id,
            position=i,
            text=text,
            relative_dates=resolve_relative_dates(text, article.published_at),
        )
        for i, text in enumerate(texts)
    ]
