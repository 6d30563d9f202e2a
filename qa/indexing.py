"""Ingestion into the store: chunk and embed new or changed articles, skip unchanged ones,
keep each changed article's earlier versions in its history, and group near-duplicates."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qa.chunk import Chunk, chunk_article
from qa.ingest import Article, IngestFailure
from qa.ingest.duplicates import NUM_PERM, SCHEME, THRESHOLD, fingerprint, lsh_params
from qa.ingest.fetch import Fetcher
from qa.settings import Settings
from qa.store import (
    ArticleRecord,
    ArticleWrite,
    NewsStore,
    history_of,
    outlet_of,
    story_outlets,
)

ARTICLES_PER_CHECK = 32  # articles looked up in the store at once
BATCH_CHUNKS = 64  # chunks embedded per batch: big enough for throughput, small for progress
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
    """The URL fetcher the settings ask for (time and size limits, SSRF guard)."""
    return Fetcher(
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.max_page_bytes,
        allow_private=settings.allow_private_urls,
    )


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

    def flush() -> None:
        _store_batch(store, pending, settings, report)
        pending.clear()
        report.seconds = time.perf_counter() - started
        if progress:
            progress(report)

    for item in items:
        if isinstance(item, IngestFailure):
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
    return report


def _store_batch(
    store: NewsStore, articles: list[Article], settings: Settings, report: IngestReport
) -> None:
    if not articles:
        return
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
    writes = _group_stories(store, planned)
    group: list[ArticleWrite] = []
    size = 0
    for write in writes:
        group.append(write)
        size += len(write.chunks)
        if size >= BATCH_CHUNKS:
            report.chunks += store.write_articles(group)
            group, size = [], 0
    report.chunks += store.write_articles(group)
    for write in writes:  # counted once written, so a crash never reports work not done
        if write.replaces is None:
            report.added += 1
        else:
            report.updated += 1


def _group_stories(
    store: NewsStore, planned: Sequence[tuple[Article, list[Chunk], ArticleRecord | None]]
) -> list[ArticleWrite]:
    """Assign each article to a story (its best near-duplicate's, else its own) and compute
    every touched story's outlets; the stored copies' outlets are updated before writing."""
    from datasketch import MinHash, MinHashLSH

    prints = [fingerprint(article.body) for article, _, _ in planned]
    batch_ids = {article.id for article, _, _ in planned}
    stored = store.similar_articles(prints, exclude=batch_ids)
    in_batch = MinHashLSH(num_perm=NUM_PERM, params=lsh_params())
    stories: list[str] = []
    for index, ((article, _, _), print_) in enumerate(zip(planned, prints, strict=True)):
        best: tuple[float, str] = (THRESHOLD, article.id)
        for story, _outlet, other in stored.values():
            best = _better(best, print_.similarity(other), story)
        probe = MinHash(num_perm=NUM_PERM, hashvalues=print_.signature, scheme=SCHEME)
        for key in in_batch.query(probe):
            other_index = int(key)
            best = _better(best, print_.similarity(prints[other_index]), stories[other_index])
        stories.append(best[1])
        in_batch.insert(str(index), probe)

    touched = set(stories) | {
        record.story_id for _, _, record in planned if record is not None and record.story_id
    }
    members = store.story_members(touched)
    for members_of_story in members.values():
        for article_id in batch_ids & members_of_story.keys():
            del members_of_story[article_id]  # their new version decides
    for (article, _, _), story in zip(planned, stories, strict=True):
        members.setdefault(story, {})[article.id] = outlet_of(
            {"source": article.source, "url": article.url}
        )
    outlets = {story: story_outlets(found.values()) for story, found in members.items()}
    store.set_story_outlets(
        {
            article_id: outlets[story]
            for story, found in members.items()
            for article_id in found
            if article_id not in batch_ids
        }
    )
    return [
        ArticleWrite(
            article=article,
            chunks=chunks,
            fingerprint=print_,
            story_id=story,
            story_outlets=outlets[story],
            history=_history(article, record),
            replaces=record,
        )
        for (article, chunks, record), print_, story in zip(planned, prints, stories, strict=True)
    ]


def _better(best: tuple[float, str], similarity: float, story: str) -> tuple[float, str]:
    return (similarity, story) if similarity >= best[0] and similarity > 0 else best


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
