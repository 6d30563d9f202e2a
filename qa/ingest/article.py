"""The `Article` every loader produces, and the failure record for an input that could not load."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DateOrigin = Literal["page", "meta", "record", "url", "file-header", "feed", "quiz"]


@dataclass(frozen=True)
class Article:
    """One news article, cleaned: story text plus the metadata found for it (never invented)."""

    title: str
    body: str  # the story only; paragraphs separated by blank lines
    source: str | None = None  # the outlet, e.g. "The Hindu"
    published_at: datetime | None = None  # timezone-aware where the page says the zone
    updated_at: datetime | None = None
    date_origin: DateOrigin | None = None  # where published_at came from
    url: str | None = None  # canonical URL where known
    authors: tuple[str, ...] = ()
    dateline: str | None = None  # e.g. "WASHINGTON"
    section: str | None = None
    topics: tuple[str, ...] = ()
    language: str | None = None
    summary: str | None = None  # standfirst / feed summary
    origin: str = ""  # the file path or URL this came from
    retrieved_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable id: from the canonical URL when there is one, else from the content."""
        if self.url:
            return "u" + hashlib.sha1(normalise_url(self.url).encode()).hexdigest()[:15]
        return "c" + self.content_hash()[:15]

    def content_hash(self) -> str:
        """Hash of what the reader sees: title, dates and text (whitespace-insensitive)."""
        parts = [
            self.title,
            self.published_at.isoformat() if self.published_at else "",
            self.updated_at.isoformat() if self.updated_at else "",
            re.sub(r"\s+", " ", self.body).strip(),
        ]
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


def normalise_url(url: str) -> str:
    """The form of a URL used for identity: no fragment, no tracking query, no trailing slash."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(("utm_", "fbclid", "gclid", "ref"))
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


@dataclass(frozen=True)
class IngestFailure:
    """An input that could not be ingested, and why (one line for the user).

    `skipped` marks an input passed over on purpose (a file of another type inside a folder),
    which is reported but does not make the run fail. `unchanged` marks a feed item known to be
    stored already and not changed since (so not fetched again); it counts as unchanged.
    """

    input: str
    reason: str
    skipped: bool = False
    unchanged: bool = False

    def __str__(self) -> str:
        return f"{self.input}: {self.reason}"
