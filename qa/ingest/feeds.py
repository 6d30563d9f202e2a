"""RSS and Atom feeds: each item's full article is fetched from its link; the feed's summary
is kept only when the page cannot be had, and such an article says so (extra["text_from"])."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from qa.ingest.article import Article, IngestFailure
from qa.ingest.dates import parse_datetime
from qa.ingest.fetch import FEED_TYPES, HTML_TYPES, Fetched, Fetcher, FetchError
from qa.ingest.html import parse_html

Result = Article | IngestFailure
PAGE_FETCHES_AT_ONCE = 4  # one feed's item pages fetched in parallel; polite to one host
# links -> the date of the version stored for each stored link (None: the store has no date)
StoredLinks = Callable[[Sequence[str]], Mapping[str, datetime | None]]


def looks_like_feed(data: bytes, content_type: str = "") -> bool:
    """A feed by its declared type, or by its first tag (servers often call feeds text/html)."""
    if content_type in FEED_TYPES - {"application/xml", "text/xml"}:
        return True
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    head = re.sub(rb"<\?xml[^>]*\?>|<!--.*?-->|<!doctype[^>]*>", b"", head, flags=re.S).lstrip()
    return head.startswith((b"<rss", b"<feed", b"<rdf:rdf", b"<rdf"))


def read_feed(
    data: bytes, origin: str, fetcher: Fetcher, stored: StoredLinks | None = None
) -> Iterator[Result]:
    """Articles for a feed's items (pages fetched with `fetcher`), or one failure for the feed.

    With `stored`, an item whose link is stored already is not fetched again unless the feed
    dates it after the stored version; it comes back as an `unchanged` IngestFailure.
    """
    import feedparser

    # A file-like object: given a str, feedparser would fetch it if it looked like a URL.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=True)
    entries = list(parsed.entries)
    if not entries:
        if parsed.get("bozo") and not parsed.get("version"):
            reason = str(parsed.get("bozo_exception") or "unparseable")
            yield IngestFailure(origin, f"not an RSS or Atom feed ({reason.splitlines()[0]})")
        else:
            yield IngestFailure(origin, "the feed has no items")
        return
    feed_title = _clean(parsed.feed.get("title"))
    retrieved = datetime.now(UTC)

    def one(numbered: tuple[int, Any]) -> Result:
        index, entry = numbered
        return _entry_article(entry, index, origin, feed_title, fetcher, retrieved)

    numbered = list(enumerate(entries, start=1))
    if stored is not None:
        links = [link for _, entry in numbered if (link := _clean(entry.get("link")))]
        versions = stored(links) if links else {}
        wanted = []
        for index, entry in numbered:
            link = _clean(entry.get("link"))
            if link is not None and link in versions and not _newer(entry, versions[link]):
                yield IngestFailure(link, "unchanged since stored", unchanged=True)
            else:
                wanted.append((index, entry))
        numbered = wanted
    with ThreadPoolExecutor(max_workers=PAGE_FETCHES_AT_ONCE) as pool:
        yield from pool.map(one, numbered)


def _newer(entry: Mapping[str, Any], stored_at: datetime | None) -> bool:
    """Whether the feed dates the item after the stored version (no date: not newer)."""
    published, updated = _entry_dates(entry)
    latest = updated or published
    if latest is None or stored_at is None:
        return False
    try:
        return latest > stored_at
    except TypeError:  # one of them without a zone: compare as UTC
        return latest.replace(tzinfo=latest.tzinfo or UTC) > stored_at.replace(
            tzinfo=stored_at.tzinfo or UTC
        )


def _entry_article(
    entry: Mapping[str, Any],
    index: int,
    origin: str,
    feed_title: str | None,
    fetcher: Fetcher,
    retrieved: datetime,
) -> Result:
    link = _clean(entry.get("link"))
    label = f"{origin} item {index}" + (f" ({link})" if link else "")
    page: Article | None = None
    why_not = "the item has no link"
    if link:
        try:
            fetched = fetcher.fetch(link, accept=HTML_TYPES)
            page = _page_article(fetched, link)
            why_not = "" if page else "no article text found on the page"
        except FetchError as error:
            why_not = str(error)
    published, updated = _entry_dates(entry)
    if page is not None:
        return _with_feed_facts(page, entry, origin, feed_title, published, updated)
    summary = _summary_text(entry)
    if not summary:
        return IngestFailure(label, f"page not fetched ({why_not}) and the feed has no summary")
    return Article(
        title=_clean(entry.get("title")) or "",
        body=summary,
        source=feed_title,
        published_at=published,
        updated_at=updated,
        date_origin="feed" if published else None,
        url=link,
        authors=_entry_authors(entry),
        topics=_entry_tags(entry),
        summary=summary,
        origin=link or label,
        retrieved_at=retrieved,
        extra={"text_from": "feed-summary", "page_error": why_not, "feed": origin}
        | ({"feed_link": link} if link else {}),
    )


def _page_article(fetched: Fetched, link: str) -> Article | None:
    article = parse_html(fetched.text(), origin=link, url=fetched.url)
    return replace(article, retrieved_at=fetched.fetched_at) if article.body else None


def _with_feed_facts(
    page: Article,
    entry: Mapping[str, Any],
    origin: str,
    feed_title: str | None,
    published: datetime | None,
    updated: datetime | None,
) -> Article:
    """The fetched page, with what the feed knows filling what the page left empty."""
    link = _clean(entry.get("link"))
    extra = {**page.extra, "feed": origin} | ({"feed_link": link} if link else {})
    changes: dict[str, Any] = {"extra": extra}
    # the feed's own date beats a date guessed from the URL path, never the page's own
    if published and (page.published_at is None or page.date_origin == "url"):
        changes.update(published_at=published, date_origin="feed")
    if updated and page.updated_at is None:
        changes["updated_at"] = updated
    if not page.title:
        changes["title"] = _clean(entry.get("title")) or ""
    if not page.source and feed_title:
        changes["source"] = feed_title
    if not page.authors:
        changes["authors"] = _entry_authors(entry)
    if not page.topics:
        changes["topics"] = _entry_tags(entry)
    if not page.url:
        changes["url"] = _clean(entry.get("link"))
    if not page.summary:
        changes["summary"] = _summary_text(entry) or None
    return replace(page, **changes)


def _entry_dates(entry: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    published = _entry_date(entry, "published") or _entry_date(entry, "created")
    updated = _entry_date(entry, "updated")
    if published is None:  # an Atom entry may carry only <updated>, set when it was issued
        return updated, None
    return published, updated if updated and updated != published else None


def _entry_date(entry: Mapping[str, Any], key: str) -> datetime | None:
    # the raw text keeps the zone the feed wrote; feedparser's parsed tuple is UTC
    found = parse_datetime(entry.get(key)) if isinstance(entry.get(key), str) else None
    if found is not None:
        return found
    parsed = entry.get(f"{key}_parsed")
    if parsed:
        try:
            year, month, day, hour, minute, second = parsed[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except (TypeError, ValueError):
            return None
    return None


def _entry_authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names = [_clean(a.get("name")) for a in entry.get("authors") or [] if isinstance(a, dict)]
    if not any(names) and entry.get("author"):
        names = [_clean(entry.get("author"))]
    return tuple(dict.fromkeys(n for n in names if n))


def _entry_tags(entry: Mapping[str, Any]) -> tuple[str, ...]:
    terms = [_clean(t.get("term")) for t in entry.get("tags") or [] if isinstance(t, dict)]
    return tuple(dict.fromkeys(t for t in terms if t))


def _summary_text(entry: Mapping[str, Any]) -> str:
    """The item's longest text (content or summary), as plain paragraphs."""
    candidates = [c.get("value", "") for c in entry.get("content") or [] if isinstance(c, dict)]
    candidates.append(entry.get("summary") or "")
    texts = [html_to_text(c) for c in candidates if isinstance(c, str)]
    return max(texts, key=len, default="")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, one paragraph per block element."""
    if "<" not in fragment:
        paragraphs = re.split(r"\n\s*\n", fragment)
    else:
        from lxml import html

        marked = re.sub(r"(?i)<\s*(?:br|/p|/div|/li|/h\d|/blockquote)\b[^>]*>", "\n\n", fragment)
        try:
            text = html.fromstring(f"<div>{marked}</div>").text_content()
        except (ValueError, TypeError):  # lxml rejects some odd input outright
            text = re.sub(r"<[^>]+>", " ", marked)
        paragraphs = re.split(r"\n\s*\n", text)
    cleaned = (" ".join(p.split()) for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None
