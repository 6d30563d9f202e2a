"""One reader per file format; each yields articles and failures for the records inside."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

from qa.ingest.article import Article, IngestFailure
from qa.ingest.html import parse_html
from qa.ingest.page_text import parse_page_text
from qa.ingest.records import RecordError, body_keys, record_to_article

Result = Article | IngestFailure


def read_page_text(text: str, origin: str) -> Iterator[Result]:
    """A scraped page saved as text."""
    article = parse_page_text(text, origin=origin)
    if article.body:
        yield article
    else:
        yield IngestFailure(origin, "no story text found (every line looked like page furniture)")


def read_html(text: str, origin: str, *, url: str | None = None) -> Iterator[Result]:
    """An HTML page (`url`: where it was fetched from, if it was)."""
    article = parse_html(text, origin=origin, url=url)
    if article.body:
        yield article
    else:
        yield IngestFailure(origin, "no article text found in the HTML")


def read_json(text: str, origin: str, field_map: Mapping[str, str]) -> Iterator[Result]:
    """One record, a list of records, or {"articles": [...]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield IngestFailure(
            origin, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        )
        return
    except RecursionError:
        yield IngestFailure(origin, "invalid JSON: nested too deeply")
        return
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if isinstance(data, dict):
        yield _record(data, origin, field_map)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield _record(item, f"{origin}[{index}]", field_map)
    else:
        yield IngestFailure(origin, f"expected a JSON object or list, found {type(data).__name__}")


def read_jsonl(text: str, origin: str, field_map: Mapping[str, str]) -> Iterator[Result]:
    """One JSON record per line; a bad line fails alone."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label = f"{origin}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield IngestFailure(label, f"invalid JSON on this line: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield IngestFailure(label, "invalid JSON on this line: nested too deeply")
            continue
        yield _record(record, label, field_map)


def read_csv(text: str, origin: str, field_map: Mapping[str, str]) -> Iterator[Result]:
    """Records with a header row."""
    # Article bodies overflow csv's default 128 KiB field limit; raising it is process-wide
    # but harmless, and cheaper than failing long articles.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if not any(key.lower() in header for key in body_keys(field_map)):
        keys = ", ".join(dict.fromkeys(body_keys(field_map)))
        yield IngestFailure(origin, f"CSV header has no body column (looked for: {keys})")
        return
    line = 2
    try:
        for row in reader:
            record = {k: v for k, v in row.items() if k is not None}
            yield _record(record, f"{origin}:{line}", field_map)
            line = reader.line_num + 1
    except csv.Error as exc:
        yield IngestFailure(f"{origin}:{reader.line_num}", f"malformed CSV: {exc}")


def _record(record: Any, label: str, field_map: Mapping[str, str]) -> Result:
    if not isinstance(record, dict):
        return IngestFailure(label, f"expected a JSON object, found {type(record).__name__}")
    try:
        return record_to_article(record, origin=label, field_map=field_map)
    except RecordError as exc:
        return IngestFailure(label, str(exc))
