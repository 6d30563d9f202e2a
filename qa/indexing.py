"""Ingestion into the store: chunk and embed new or changed articles, skip unchanged ones,
keep each changed article's earlier versions in its history, and group near-duplicates
(qa/stories.py)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.chunk import Chunk, chunk_article
from qa.ingest import Article, IngestFailure
from qa.ingest.feed_state import FeedState
from qa.ingest.fetch import Fetcher
from qa.ingest.loader import ArticleStream
from qa.settings import Settings
from qa.store import ArticleRecord, ArticleWrite, NewsStore, history_of
from qa.stories import StoryIndex, group_stories, stored_print

log = logging.getLogger(__name__)
# Articles looked up, grouped and written per step, and the chunks per Chroma write. Each
# step costs one metadata scan of the store and each write a fixed ~50 ms in Chroma besides
# its per-chunk work, so these are as large as a progress update every ~15 s allows.
ARTICLES_PER_CHECK = 100
BATCH_CHUNKS = 320
HISTORY_LIMIT = 10  # earlier versions kept per article
HISTORY_FIELDS = ("title", "published_at", "updated_at", "retrieved_at", "url", "source")


@dataclass
class IngestReport:
    """What one ingestion run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    failures: list[IngestFailure] = field(default_factory=list)
    skipped: list[IngestFailure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.failures) + len(self.skipped)

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.skipped)} skipped, {len(self.failures)} failed; "
            f"{self.chunks} chunks in {self.seconds:.1f}s"
            + (f" ({self.chunks_per_second:.1f} chunks/s)" if self.chunks else "")
        )


ProgressCallback = Callable[[IngestReport], None]


def build_fetcher(settings: Settings) -> Fetcher:
    """The URL fetcher the settings ask for (time and size limits, SSRF guard, robots.txt)."""
    return Fetcher(
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.max_page_bytes,
        allow_private=settings.allow_private_urls,
        respect_robots=settings.respect_robots,
    )


def story_cache_path(settings: Settings) -> Path:
    """Where the near-duplicate band cache of the settings' collection lives (qa/stories.py)."""
    return settings.home / "stories" / _cache_name(settings)


def feed_state_path(settings: Settings) -> Path:
    """Where what was read of feeds into the settings' collection is remembered."""
    return settings.home / "feeds" / _cache_name(settings)


def _cache_name(settings: Settings) -> str:
    # one file per collection, and per Chroma server when there is one
    host = re.sub(r"[^A-Za-z0-9.-]", "_", settings.chroma_host or "")
    server = f"{host}-{settings.chroma_port}-" if host else ""
    return f"{server}{settings.collection}.json"


def index_articles(
    store: NewsStore,
    items: Iterable[Article | IngestFailure],
    settings: Settings,
    *,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Chunk, embed and store articles; failures are recorded, never raised."""
    report = IngestReport()
    started = time.perf_counter()
    pending: list[Article] = []
    seen: set[str] = set()
    stories = StoryIndex(store, cache_path=story_cache_path(settings))
    if isinstance(items, ArticleStream):  # feeds re-read cheaply: see qa/ingest/feed_state.py
        feeds = FeedState(feed_state_path(settings))
        items.attach(stored=store.stored_link_dates, feeds=feeds)

    def flush() -> None:
        _store_batch(store, stories, pending, settings, report)
        pending.clear()
        report.seconds = time.perf_counter() - started
        if progress:
            progress(report)

    for item in items:
        if isinstance(item, IngestFailure):
            if item.unchanged:
                report.unchanged += 1
            else:
                (report.skipped if item.skipped else report.failures).append(item)
            continue
        if item.id in seen:
            reason = f"the same article ({item.id}) came earlier in this run"
            report.skipped.append(IngestFailure(item.origin or item.id, reason, skipped=True))
            continue
        seen.add(item.id)
        pending.append(item)
        if len(pending) >= ARTICLES_PER_CHECK:
            flush()
    flush()
    # both are caches beside the store: failing to write one costs the next run time, no data
    try:
        stories.save()
        if isinstance(items, ArticleStream):
            items.commit()  # only now: every feed item read is stored
    except OSError as error:
        log.warning("newsqa: could not save an ingestion cache under %s: %s", settings.home, error)
    return report


def _store_batch(
    store: NewsStore,
    stories: StoryIndex,
    articles: list[Article],
    settings: Settings,
    report: IngestReport,
) -> None:
    if not articles:
        return
    # one metadata query per batch (Chroma scans for it): an article whose chunk 0 is missing
    # may still have other chunks from a run killed mid-write, and they must be replaced
    known = store.article_records(a.id for a in articles)
    planned: list[tuple[Article, list[Chunk], ArticleRecord | None]] = []
    for article in articles:
        record = known.get(article.id)
        if record and record.complete and record.content_hash == article.content_hash():
            report.unchanged += 1
            continue
        chunks = chunk_article(
            article,
            chunk_words=settings.chunk_words,
            overlap_sentences=settings.chunk_overlap_sentences,
        )
        if not chunks:
            report.failures.append(
                IngestFailure(article.origin or article.id, "no story text left after cleaning")
            )
            continue
        planned.append((article, chunks, record))
    if not planned:
        return
    writes = [
        ArticleWrite(
            article=article,
            chunks=chunks,
            fingerprint=print_,
            story_id=story,
            story_outlets=outlets,
            history=_history(article, record),
            replaces=record,
        )
        for (article, chunks, record), (print_, story, outlets) in zip(
            planned, group_stories(store, stories, planned), strict=True
        )
    ]
    group: list[ArticleWrite] = []
    size = 0
    for write in writes:
        group.append(write)
        size += len(write.chunks)
        if size >= BATCH_CHUNKS:
            report.chunks += store.write_articles(group)
            group, size = [], 0
    report.chunks += store.write_articles(group)
    stories.remember(stored_print(write) for write in writes)
    for write in writes:  # counted once written, so a crash never reports work not done
        if write.replaces is None:
            report.added += 1
        else:
            report.updated += 1


def _history(article: Article, record: ArticleRecord | None) -> tuple[dict[str, Any], ...]:
    """The history the new version carries: the old one's, plus the old version itself."""
    if record is None:
        return ()
    new_hash = article.content_hash()
    if new_hash in record.versions:  # repairing a half-written copy of this same version
        return history_of(record.versions[new_hash])
    previous = record.versions[record.latest_hash]
    entry = {key: previous.get(key) or None for key in HISTORY_FIELDS}
    entry.update(
        content_hash=record.latest_hash,
        n_chunks=previous.get("n_chunks"),
        replaced_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return (*history_of(previous), entry)[-HISTORY_LIMIT:]
