"""Small text helpers shared by several stages: sentence splitting and word matching."""

from __future__ import annotations

import re
import threading

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*[A-Za-z0-9]|[A-Za-z0-9]")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "said",
        "says",
        "say",
        "according",
        "also",
        "new",
        "one",
        "two",
        "week",
        "year",
        "years",
        "last",
        "first",
        "latest",
    ]
)


_local = threading.local()


def _segmenter():
    # one per thread: a pysbd Segmenter keeps the text it is splitting on itself, so threads
    # sharing one (ingestion beside chat sessions) got each other's sentences, or none
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        import pysbd

        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False, char_span=False)
    return segmenter


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; paragraphs (blank lines, newlines) always end a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        sentences.extend(s.strip() for s in _segmenter().segment(paragraph) if s.strip())
    return sentences


def content_words(text: str) -> list[str]:
    """Lower-cased words of a text without stopwords (a cheap stand-in for keywords)."""
    words = (w.lower().strip(".'’-") for w in _WORD.findall(text))
    return [w for w in words if w and w not in STOPWORDS]


def word_count(text: str) -> int:
    return len(text.split())
