"""LlamaIndex retrievers over the store: dense, BM25, and their fusion with time and outlet awareness.

Fusion score of a candidate chunk (the normalisation, written down):
    dense_weight * cosine(question, chunk)            cosine of MiniLM unit vectors, as is
  + lexical_weight * bm25 / max_bm25                  BM25 divided by the best BM25 among candidates
  + recency_weight * 0.5 ** (age_days / half_life)    only when the question has an as-of date
Candidates are the union of the dense and BM25 top `candidates`; both scores are computed for all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

from qa.lexical import LexicalIndex, LexicalIndexCache
from qa.query import QueryIntent
from qa.store import NewsStore, _public_metadata


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

    def mask(self, index: LexicalIndex) -> np.ndarray:
        """The same filters over the lexical index's chunks."""
        keep = np.ones(len(index.chunk_ids), dtype=bool)
        if self.as_of is not None:
            keep &= (index.published_ts >= 0) & (index.published_ts <= int(self.as_of.timestamp()))
        if self.published_from is not None:
            keep &= index.published_ts >= int(self.published_from.timestamp())
        if self.sources:
            keep &= np.isin(index.sources, list(self.sources))
        return keep

    def narrowed(self, intent: QueryIntent) -> RetrievalFilters:
        """These filters, further limited by what the question itself says (dates, outlets)."""
        narrowed = self
        if intent.dates and intent.dates.end:
            end = end_of_day(intent.dates.end)
            narrowed = replace(narrowed, as_of=min(end, narrowed.as_of) if narrowed.as_of else end)
        if intent.dates and intent.dates.start:
            start = start_of_day(intent.dates.start)
            current = narrowed.published_from
            narrowed = replace(narrowed, published_from=max(start, current) if current else start)
        if intent.outlets and not narrowed.sources:
            narrowed = replace(narrowed, sources=intent.outlets)
        return narrowed


def start_of_day(day: date) -> datetime:
    """The first moment of a calendar day, in UTC."""
    return datetime.combine(day, time(0, 0, 0), tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The last moment of a calendar day, in UTC (an as-of date includes its whole day)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


@dataclass(frozen=True)
class RetrievalConfig:
    """How retrieval ranks; chosen on the evaluation harness (docs/retrieval.md)."""

    mode: str = "hybrid"  # hybrid | dense | bm25
    top_k: int = 6
    candidates: int = 50
    dense_weight: float = 1.0
    lexical_weight: float = 0.3
    recency_weight: float = 1.0
    recency_half_life_days: float = 7.0
    max_chunks_per_article: int = 2


def _cosine(chroma_score: float | None) -> float:
    # ChromaVectorStore reports exp(-cosine distance); give back the cosine itself
    return 1.0 + math.log(chroma_score) if chroma_score and chroma_score > 0 else -1.0


class DenseRetriever(BaseRetriever):
    """Nearest chunks by embedding in Chroma (LlamaIndex vector retrieval), scored by cosine."""

    def __init__(
        self, store: NewsStore, top_k: int, filters: RetrievalFilters | None = None
    ) -> None:
        super().__init__()
        self._store = store
        self._top_k = top_k
        self._filters = filters or RetrievalFilters()

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        retriever = self._store.index.as_retriever(
            similarity_top_k=self._top_k, filters=self._filters.to_metadata_filters()
        )
        results = retriever.retrieve(query_bundle)
        for result in results:
            result.node.metadata = _public_metadata(result.node.metadata)
            result.score = _cosine(result.score)
        return results


def _nodes_by_id(
    store: NewsStore, ids: Sequence[str], include_embeddings: bool = False
) -> dict[str, tuple[TextNode, Any]]:
    if not ids:
        return {}
    include = ["documents", "metadatas"] + (["embeddings"] if include_embeddings else [])
    page = store.collection.get(ids=list(ids), include=include)
    embeddings = page.get("embeddings") if include_embeddings else None
    found = {}
    for i, chunk_id in enumerate(page["ids"]):
        node = TextNode(
            id_=chunk_id,
            text=page["documents"][i] or "",
            metadata=_public_metadata(page["metadatas"][i] or {}),
        )
        found[chunk_id] = (node, embeddings[i] if embeddings is not None else None)
    return found


class LexicalRetriever(BaseRetriever):
    """BM25 over the chunks (title, outlet and passage), filtered like the dense retriever."""

    def __init__(
        self,
        store: NewsStore,
        lexical: LexicalIndexCache,
        top_k: int,
        filters: RetrievalFilters | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._lexical = lexical
        self._top_k = top_k
        self._filters = filters or RetrievalFilters()

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        index = self._lexical.current()
        scores = index.scores(query_bundle.query_str, self._filters.mask(index))
        if not len(scores):
            return []
        top = [int(i) for i in np.argsort(-scores)[: self._top_k] if scores[i] > 0]
        nodes = _nodes_by_id(self._store, [index.chunk_ids[i] for i in top])
        return [
            NodeWithScore(node=nodes[index.chunk_ids[i]][0], score=float(scores[i]))
            for i in top
            if index.chunk_ids[i] in nodes
        ]


class FusionRetriever(BaseRetriever):
    """Dense and BM25 candidates, each scored both ways, combined by weights (see module doc)."""

    def __init__(
        self,
        store: NewsStore,
        lexical: LexicalIndexCache,
        config: RetrievalConfig,
        filters: RetrievalFilters,
        recency_from: datetime | None,
    ) -> None:
        super().__init__()
        self._store = store
        self._lexical = lexical
        self._config = config
        self._filters = filters
        self._recency_from = recency_from

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if query_bundle.embedding is None:
            query_bundle.embedding = self._store.embed_model.get_query_embedding(
                query_bundle.query_str
            )
        query_vector = np.asarray(query_bundle.embedding, dtype=np.float32)
        dense = DenseRetriever(self._store, self._config.candidates, self._filters).retrieve(
            query_bundle
        )
        index = self._lexical.current()
        lexical_scores = (
            index.scores(query_bundle.query_str, self._filters.mask(index))
            if self._config.lexical_weight
            else np.zeros(len(index.chunk_ids))
        )
        position = {chunk_id: i for i, chunk_id in enumerate(index.chunk_ids)}
        candidates: dict[str, tuple[BaseNode, float]] = {
            r.node.node_id: (r.node, float(r.score or 0.0)) for r in dense
        }
        if len(lexical_scores):
            top = [
                int(i)
                for i in np.argsort(-lexical_scores)[: self._config.candidates]
                if lexical_scores[i] > 0
            ]
            missing = [index.chunk_ids[i] for i in top if index.chunk_ids[i] not in candidates]
            for chunk_id, (found, embedding) in _nodes_by_id(
                self._store, missing, include_embeddings=True
            ).items():
                candidates[chunk_id] = (
                    found,
                    float(np.dot(np.asarray(embedding, dtype=np.float32), query_vector)),
                )
        best_lexical = max(
            (lexical_scores[position[c]] for c in candidates if c in position), default=0.0
        )
        fused = []
        for chunk_id, (node, cosine) in candidates.items():
            lexical = (
                lexical_scores[position[chunk_id]] / best_lexical
                if best_lexical > 0 and chunk_id in position
                else 0.0
            )
            score = self._config.dense_weight * cosine + self._config.lexical_weight * float(
                lexical
            )
            score += self._config.recency_weight * recency(
                node, self._recency_from, self._config.recency_half_life_days
            )
            fused.append(NodeWithScore(node=node, score=score))
        fused.sort(key=lambda r: r.score or 0.0, reverse=True)
        return fused


def recency(node: Any, reference: datetime | None, half_life_days: float) -> float:
    """1 for a chunk published at the reference moment, halving every half-life before it."""
    if reference is None:
        return 0.0
    published = int(node.metadata.get("published_ts", -1))
    if published < 0:
        return 0.0
    age_days = max(0.0, (reference.timestamp() - published) / 86400)
    return float(0.5 ** (age_days / half_life_days))


class DiversityPostprocessor(BaseNodePostprocessor):
    """At most N chunks per article, and one hit per near-duplicate wire story (its `story_id`)."""

    max_per_article: int = 2
    top_k: int = 6

    @classmethod
    def class_name(cls) -> str:
        return "DiversityPostprocessor"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        per_article: dict[str, int] = {}
        story_article: dict[str, str] = {}
        kept = []
        for result in nodes:
            meta = result.node.metadata
            article = str(meta.get("article_id", result.node.node_id))
            story = str(meta.get("story_id") or article)
            if story_article.setdefault(story, article) != article:
                continue  # another outlet's copy of a story already shown
            if per_article.get(article, 0) >= self.max_per_article:
                continue
            per_article[article] = per_article.get(article, 0) + 1
            kept.append(result)
            if len(kept) == self.top_k:
                break
        return kept


def merge_round_robin(lists: Sequence[list[NodeWithScore]]) -> list[NodeWithScore]:
    """Interleave the results of sub-questions, best first, without repeats."""
    merged: list[NodeWithScore] = []
    seen: set[str] = set()
    for rank in range(max((len(results) for results in lists), default=0)):
        for results in lists:
            if rank < len(results) and results[rank].node.node_id not in seen:
                seen.add(results[rank].node.node_id)
                merged.append(results[rank])
    return merged


class NewsRetriever(BaseRetriever):
    """The retriever the answerers use: reads the question, filters, fuses, diversifies."""

    def __init__(
        self,
        store: NewsStore,
        lexical: LexicalIndexCache,
        config: RetrievalConfig,
        filters: RetrievalFilters,
        intent: QueryIntent,
    ) -> None:
        super().__init__()
        self._store = store
        self._lexical = lexical
        self._config = config
        self._intent = intent
        self._caller_filters = filters
        self._filters = filters.narrowed(intent)
        self._diversity = DiversityPostprocessor(
            max_per_article=config.max_chunks_per_article, top_k=config.top_k
        )

    def _base(self, filters: RetrievalFilters) -> BaseRetriever:
        wide = max(self._config.candidates, self._config.top_k)
        if self._config.mode == "dense":
            return DenseRetriever(self._store, wide, filters)
        if self._config.mode == "bm25":
            return LexicalRetriever(self._store, self._lexical, wide, filters)
        # recency counts when the question is asked as of a date, or asks about the present
        reference = (
            filters.as_of
            if filters.as_of is not None
            else (datetime.now(UTC) if self._intent.wants_recent else None)
        )
        return FusionRetriever(self._store, self._lexical, self._config, filters, reference)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        questions = self._intent.parts or (query_bundle.query_str,)
        lists = []
        for question in questions:
            bundle = query_bundle if question == query_bundle.query_str else QueryBundle(question)
            results = self._base(self._filters).retrieve(bundle)
            if not results and self._filters != self._caller_filters:
                # the question's own date/outlet words were too strict: fall back to the caller's filters
                results = self._base(self._caller_filters).retrieve(bundle)
            lists.append(results)
        return self._diversity.postprocess_nodes(merge_round_robin(lists), query_bundle)


def build_retriever(
    store: NewsStore,
    lexical: LexicalIndexCache,
    *,
    config: RetrievalConfig,
    filters: RetrievalFilters | None = None,
    intent: QueryIntent | None = None,
) -> BaseRetriever:
    """The retriever for one question: the configured ranking, filters and the question's own hints."""
    return NewsRetriever(
        store, lexical, config, filters or RetrievalFilters(), intent or QueryIntent(text="")
    )
