"""Structured records (JSON, JSONL, CSV rows) to `Article`s, whatever a data set calls its fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from qa.ingest.article import Article
from qa.ingest.dates import parse_datetime
from qa.ingest.text_meta import split_names

# Our field -> the keys data sets use for it, in order of preference (matched ignoring case).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline"),
    "body": ("body", "text", "content", "article"),
    "published_at": (
        "published_at",
        "date",
        "published",
        "pubDate",
        "publishedAt",
        "datePublished",
    ),
    "updated_at": ("updated_at", "updated", "modified", "dateModified"),
    "source": ("source", "outlet", "publisher"),
    "url": ("url", "link"),
    "authors": ("author", "authors", "byline"),
    "section": ("section", "category"),
    "topics": ("topics", "tags", "keywords"),
    "summary": ("summary", "description", "standfirst"),
    "language": ("language", "lang"),
    "dateline": ("dateline",),
}
_FIELD_NAMES = {**{f: f for f in FIELD_ALIASES}, "author": "authors"}


class RecordError(Exception):
    """A record that cannot become an article; the message is the reason."""


def check_field_map(field_map: Mapping[str, str] | None) -> dict[str, str]:
    """Validate a {our field: their key} map; ValueError names an unknown field."""
    checked: dict[str, str] = {}
    for ours, theirs in (field_map or {}).items():
        if ours not in _FIELD_NAMES:
            known = ", ".join(sorted(FIELD_ALIASES))
            raise ValueError(f"field_map: unknown field {ours!r} (known: {known})")
        if not isinstance(theirs, str) or not theirs:
            raise ValueError(f"field_map: the key for {ours!r} must be a non-empty string")
        checked[_FIELD_NAMES[ours]] = theirs
    return checked


def body_keys(field_map: Mapping[str, str]) -> tuple[str, ...]:
    """The keys a record's body is looked for under, mapped key first."""
    mapped = (field_map["body"],) if "body" in field_map else ()
    return mapped + FIELD_ALIASES["body"]


def record_to_article(
    record: Mapping[str, Any], *, origin: str, field_map: Mapping[str, str]
) -> Article:
    """Build an Article from one record; RecordError when it has no body text."""
    lowered = {str(k).strip().lower(): k for k in record}
    used: set[Any] = set()

    def get(field: str) -> Any:
        keys = ((field_map[field],) if field in field_map else ()) + FIELD_ALIASES[field]
        for key in keys:
            original = lowered.get(key.lower())
            if original is not None and record[original] not in (None, "", []):
                used.add(original)
                return record[original]
        return None

    body = _body(get("body"))
    if not body:
        keys = ", ".join(dict.fromkeys(body_keys(field_map)))
        raise RecordError(f"record has no body text (looked for: {keys})")
    raw_date = get("published_at")
    published = parse_datetime(raw_date if isinstance(raw_date, str | int | float) else None)
    raw_updated = get("updated_at")
    fields: dict[str, Any] = {
        "title": _text(get("title")) or "",
        "source": _text(get("source")),
        "updated_at": parse_datetime(
            raw_updated if isinstance(raw_updated, str | int | float) else None
        ),
        "url": _text(get("url")),
        "authors": tuple(dict.fromkeys(_names(get("authors")))),
        "dateline": _text(get("dateline")),
        "section": _text(get("section")),
        "topics": tuple(dict.fromkeys(_list(get("topics")))),
        "language": _text(get("language")),
        "summary": _text(get("summary")),
    }
    # Whatever else the record carries stays with the article, as text.
    extra = {
        str(k): str(v)
        for k, v in record.items()
        if k not in used and isinstance(v, str | int | float) and not isinstance(v, bool)
    }
    if raw_date is not None and published is None:
        extra["unparsed_published_at"] = str(raw_date)
    return Article(
        body=body,
        published_at=published,
        date_origin="record" if published else None,
        origin=origin,
        extra=extra,
        **fields,
    )


def _body(value: Any) -> str:
    if isinstance(value, list):
        value = "\n\n".join(str(v) for v in value if isinstance(v, str))
    if not isinstance(value, str):
        return ""
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return re.sub(r"\n\s*\n\s*(?:\n\s*)+", "\n\n", text)


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        return text or None
    return None


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return split_names(value)
    if isinstance(value, list):
        return [n for item in value if (t := _text(item)) for n in split_names(t)]
    name = _text(value)
    return [name] if name else []


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[,;|]", value) if p.strip()]
    if isinstance(value, list):
        return [t for item in value if (t := _text(item))]
    return []
