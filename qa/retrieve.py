"""LlamaIndex retrievers over the store: dense retrieval with date and outlet filters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

from qa.store import NewsStore


@dataclass(frozen=True)
class RetrievalFilters:
    """Which articles a question may be answered from."""

    as_of: datetime | None = None  # nothing published after this moment
    published_from: datetime | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)

    def to_metadata_filters(self) -> MetadataFilters | None:
        filters: list[MetadataFilter | MetadataFilters] = []
        if self.as_of is not None:
            filters.append(
                MetadataFilter(
                    key="published_ts",
                    value=int(self.as_of.timestamp()),
                    operator=FilterOperator.LTE,
                )
            )
            # undated articles cannot be shown to predate anything
            filters.append(MetadataFilter(key="published_ts", value=0, operator=FilterOperator.GTE))
        if self.published_from is not None:
            filters.append(
                MetadataFilter(
                    key="published_ts",
                    value=int(self.published_from.timestamp()),
                    operator=FilterOperator.GTE,
                )
            )
        if self.sources:
            filters.append(
                MetadataFilter(key="source", value=list(self.sources), operator=FilterOperator.IN)
            )
        return MetadataFilters(filters=filters) if filters else None


def start_of_day(day: date) -> datetime:
    """The first moment of a calendar day, in UTC."""
    return datetime.combine(day, time(0, 0, 0), tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The last moment of a calendar day, in UTC (an as-of date includes its whole day)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


class DenseRetriever(BaseRetriever):
    """Nearest chunks by embedding in Chroma, scores reported as cosine similarity."""

    def __init__(
        self, store: NewsStore, top_k: int, filters: RetrievalFilters | None = None
    ) -> None:
        super().__init__()
        self._store = store
        self._top_k = top_k
        self._filters = filters or RetrievalFilters()

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if self._store.count_chunks() == 0:
            return []
        retriever = self._store.index.as_retriever(
            similarity_top_k=self._top_k, filters=self._filters.to_metadata_filters()
        )
        results = retriever.retrieve(query_bundle)
        for result in results:
            # ChromaVectorStore reports exp(-cosine distance); give back the cosine itself
            if result.score is not None and result.score > 0:
                result.score = 1.0 + math.log(result.score)
        return results


def build_retriever(
    store: NewsStore, *, top_k: int, filters: RetrievalFilters | None = None
) -> BaseRetriever:
    """The retriever the answerers use."""
    return DenseRetriever(store, top_k=top_k, filters=filters)
