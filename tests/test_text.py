"""Sentence splitting: newsqa's pysbd subclass finds exactly the sentences pysbd finds."""

from __future__ import annotations

import pysbd
from conftest import FIXTURES, SEED

from qa.text import _segmenter_class, split_sentences


def _paragraphs() -> list[str]:
    texts = [SEED.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*")) if p.is_file()
              and p.suffix in {".txt", ".html", ".json", ".jsonl", ".xml", ".csv"}]  # fmt: skip
    texts.append("Mr. Okafor said the U.S. plan was worth 3.5 million. It passed.  It passed.  ")
    return [p.strip() for text in texts for p in text.splitlines() if p.strip()]


def test_spans_found_by_string_search_equal_pysbd_regex_spans() -> None:
    reference = pysbd.Segmenter(language="en", clean=False, char_span=True)
    ours = _segmenter_class()(language="en", clean=False, char_span=True)
    paragraphs = _paragraphs()
    assert len(paragraphs) > 200
    for paragraph in paragraphs:
        assert ours.segment(paragraph) == reference.segment(paragraph), paragraph


def test_repeated_sentences_keep_their_own_positions() -> None:
    spans = _segmenter_class()(language="en", clean=False, char_span=True).segment(
        "It rained. It rained. Then it stopped."
    )
    assert [(s.sent, s.start, s.end) for s in spans] == [
        ("It rained. ", 0, 11),
        ("It rained. ", 11, 22),
        ("Then it stopped.", 22, 38),
    ]
    assert split_sentences("It rained. It rained.\nThen it stopped.") == [
        "It rained.",
        "It rained.",
        "Then it stopped.",
    ]
