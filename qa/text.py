"""Small text helpers shared by several stages: sentence splitting and word matching."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

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


@lru_cache(maxsize=1)
def _segmenter_class() -> type:
    import pysbd
    from pysbd.utils import TextSpan

    class Segmenter(pysbd.Segmenter):
        """pysbd, finding each sentence back in the text by plain string search.

        pysbd locates every sentence in the original text with a regex made from that
        sentence (re.escape of it, then optional whitespace): one compile per sentence, a
        quarter of all splitting time on news text. `str.find` plus a whitespace scan finds
        the same spans: identical on 7,392 paragraphs (the RealTime QA passages, synthetic
        articles, the seed page and fixtures); tests/test_text.py keeps checking the last two.
        """

        def sentences_with_char_spans(self, sentences: list[str]) -> list[Any]:
            text = self.original_text
            spans = []
            prior_end = 0
            for sentence in sentences:
                position = text.find(sentence) if sentence else -1
                while position != -1:
                    end = position + len(sentence)
                    while end < len(text) and text[end].isspace():
                        end += 1
                    if end > prior_end:
                        spans.append(TextSpan(text[position:end], position, end))
                        prior_end = end
                        break
                    position = text.find(sentence, max(end, position + 1))
            return spans

    return Segmenter


def _segmenter():
    # one per thread: a pysbd Segmenter keeps the text it is splitting on itself, so threads
    # sharing one (ingestion beside chat sessions) got each other's sentences, or none
    segmenter = getattr(_local, "segmenter", None)
    if segmenter is None:
        segmenter = _local.segmenter = _segmenter_class()(
            language="en", clean=False, char_span=False
        )
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


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def describe_resolved_date(value: str) -> str:
    """A stored relative-date value as words: 2023-09-04 -> '4 Sep 2023',
    2023-08-28/2023-09-03 -> '28 Aug–3 Sep 2023', 2023-09 -> 'Sep 2023', 2023 -> '2023'."""
    if "/" in value:
        start, end = (describe_resolved_date(part) for part in value.split("/", 1))
        start_words, end_words = start.split(), end.split()
        if start_words[-1] == end_words[-1]:  # same year: say it once
            start = " ".join(start_words[:-1])
        return f"{start}–{end}"
    if not re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", value):
        raise ValueError(f"not a resolved date: {value!r}")
    parts = value.split("-")
    if len(parts) == 3:
        return f"{int(parts[2])} {_MONTH_ABBR[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{_MONTH_ABBR[int(parts[1]) - 1]} {parts[0]}"
    return value  # a year


def with_absolute_dates(text: str, resolved: dict[str, str]) -> str:
    """Each relative date of the text ("Monday", "last week") followed by the absolute date it
    stands for, resolved at ingest: "said Monday (4 Sep 2023)". First mention of each only."""
    phrases = sorted((p for p in resolved if p.strip()), key=len, reverse=True)
    if not phrases:
        return text
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(p) for p in phrases) + r")(?![\w-])(?!\s*\()",
        re.IGNORECASE,
    )
    by_lower = {p.lower(): v for p, v in resolved.items()}
    done: set[str] = set()

    def annotate(match: re.Match[str]) -> str:
        phrase = match.group(1)
        key = phrase.lower()
        if key in done or key not in by_lower:
            return phrase
        done.add(key)
        try:
            return f"{phrase} ({describe_resolved_date(by_lower[key])})"
        except (ValueError, IndexError):  # a malformed stored value is left out, not shown
            return phrase

    return pattern.sub(annotate, text)
