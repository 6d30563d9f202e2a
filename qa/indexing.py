"""Ingestion into the store: chunk and embed new or changed articles, skip unchanged ones."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from qa.chunk import Chunk, chunk_article
from qa.ingest import Article, IngestFailure
from qa.settings import Settings
from qa.store import NewsStore

ARTICLES_PER_CHECK = 32  # articles looked up in the store at once
BATCH_CHUNKS = 64  # chunks embedded per batch: big enough for throughput, small for progress


@dataclass
class IngestReport:
    """What one ingestion run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    failures: list[IngestFailure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.failures)

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.failures)} failed; {self.chunks} chunks in {self.seconds:.1f}s"
            + (f" ({self.chunks_per_second:.1f} chunks/s)" if self.chunks else "")
        )


ProgressCallback = Callable[[IngestReport], None]


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
            report.failures.append(item)
            continue
        if item.id in seen:
            report.unchanged += 1
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
    batch: list[tuple[Article, list[Chunk]]] = []
    replaced: list[str] = []
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
        if record:
            replaced.append(article.id)
            report.updated += 1
        else:
            report.added += 1
        batch.append((article, chunks))
    # old versions (and half-written ones from a killed run) go before the new chunks land
    store.remove_articles(replaced)
    group: list[tuple[Article, list[Chunk]]] = []
    size = 0
    for article, chunks in batch:
        group.append((article, chunks))
        size += len(chunks)
        if size >= BATCH_CHUNKS:
            report.chunks += store.add_chunks(group)
            group, size = [], 0
    report.chunks += store.add_chunks(group)
