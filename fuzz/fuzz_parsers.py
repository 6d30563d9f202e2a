"""Coverage-guided fuzzing (atheris) of every parser that reads untrusted input.

Run one target for a bounded time:
    .venv/bin/python fuzz/fuzz_parsers.py TARGET -max_total_time=20 -rss_limit_mb=2048
Targets: page_text, html, records, feed, citations, dates, question, csv. A crash, a hang
(-timeout, seconds per input) or memory past the limit makes libFuzzer exit non-zero.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

# Third-party libraries are imported first so that only newsqa's own code is instrumented
# (instrumenting lxml, trafilatura and LlamaIndex would take minutes before the first run).
import charset_normalizer  # noqa: F401
import dateparser  # noqa: F401
import feedparser  # noqa: F401
import htmldate  # noqa: F401
import llama_index.core
import llama_index.core.schema  # noqa: F401
import pysbd  # noqa: F401
import rapidfuzz  # noqa: F401
import trafilatura  # noqa: F401

with atheris.instrument_imports(include=["qa"]):
    from qa.cite import parse_answer
    from qa.ingest import load_articles, parse_datetime, parse_html, parse_page_text
    from qa.query import read_question
    from qa.render import escape_markdown

_TMP = Path(tempfile.mkdtemp(prefix="newsqa-fuzz-"))


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def fuzz_page_text(data: bytes) -> None:
    parse_page_text(_text(data), origin="fuzz.txt")


def fuzz_html(data: bytes) -> None:
    parse_html(_text(data), origin="fuzz.html", url="https://fuzz.example/2023/09/05/a")


def _load(data: bytes, suffix: str) -> None:
    path = _TMP / f"input{suffix}"
    path.write_bytes(data)
    for _ in load_articles([path]):
        pass


def fuzz_records(data: bytes) -> None:
    _load(data, ".jsonl")
    _load(data, ".json")


def fuzz_csv(data: bytes) -> None:
    _load(data, ".csv")


def fuzz_feed(data: bytes) -> None:
    from qa.ingest import feeds

    parse = getattr(feeds, "parse_feed", None)
    if parse is not None:
        parse(data, origin="fuzz.xml")


def fuzz_citations(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    n = provider.ConsumeIntInRange(0, 30)
    parsed = parse_answer(provider.ConsumeUnicodeNoSurrogates(4000), n_sources=n)
    assert all(1 <= c <= n for s in parsed.sentences for c in s.citations)
    escape_markdown(parsed.text)


def fuzz_dates(data: bytes) -> None:
    parse_datetime(_text(data)[:500])


def fuzz_question(data: bytes) -> None:
    from datetime import date

    read_question(
        _text(data)[:2000],
        reference=date(2023, 9, 5),
        known_outlets=["CNN", "The Hindu"],
        known_sections=["Sports", "World (Asia)"],
    )


TARGETS = {
    "page_text": fuzz_page_text,
    "html": fuzz_html,
    "records": fuzz_records,
    "csv": fuzz_csv,
    "feed": fuzz_feed,
    "citations": fuzz_citations,
    "dates": fuzz_dates,
    "question": fuzz_question,
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: fuzz_parsers.py {{{','.join(TARGETS)}}} [libFuzzer flags]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
