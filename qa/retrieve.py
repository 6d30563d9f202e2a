"""LlamaIndex retrievers over the store: dense, BM25, and their fusion with time and outlet awareness.

Fusion score of a candidate chunk (the normalisation, written down):
    dense_weight * cosine(question, chunk)            cosine of MiniLM unit vectors, as is
  + lexical_weight * bm25 / max_bm25                  BM25 divided by the best BM25 among candidates
  + recency_weight * 0.5 ** (age_days / half_life)    only when the question has an as-of date
Candidates are the union of the dense and BM25 top `candidates`; both scores are computed for all.
With pseudo-relevance feedback on (`prf_terms`), BM25 is scored again with the query plus the
terms typical of the first `prf_docs` fused hits (weight `prf_weight`), and the fusion is redone.

The hybrid path scores in memory over the lexical index's snapshot of the collection (BM25, unit
vectors, dates, outlets, sections; rebuilt when the collection changes, see qa/lexical.py),
filtered by the same mask that mirrors the Chroma `where` filters, and reads only the best
candidates' texts and metadata from Chroma. A Chroma query with a `where` filter cost 150-300 ms here at 5k chunks.
The dense-only mode keeps LlamaIndex's VectorIndexRetriever with the filters executed by Chroma.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

from qa.lexical import LexicalIndex, LexicalIndexCache
from qa.query import QueryIntent
from qa.store import NewsStore, _public_metadata

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from qa.settings import Settings


@dataclass(frozen=True)
class RetrievalFilters:
    """Which articles a question may be answered from."""

    as_of: datetime | None = None  # nothing published after this moment
    published_from: datetime | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)
    # exact stored names: NewsQA.retrieve maps what a user typed to them (case-insensitively)
    sections: tuple[str, ...] = field(default_factory=tuple)

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
        if self.sections:
            filters.append(
                MetadataFilter(key="section", value=list(self.sections), operator=FilterOperator.IN)
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
        if self.sections:
            keep &= np.isin(index.section_names, list(self.sections))
        return keep

    def narrowed(self, intent: QueryIntent, *, period_open_end: bool = True) -> RetrievalFilters:
        """These filters, further limited by what the question itself says (dates, outlets,
        sections).

        With `period_open_end`, a period with a start ("in 2020", "last year") only sets the
        earliest publication date; a range with no start ("before 2023") still sets the latest.
        """
        narrowed = self
        dates = intent.dates
        if dates and dates.start and period_open_end:
            dates = replace(dates, end=None)
        if dates and dates.end:
            end = end_of_day(dates.end)
            narrowed = replace(narrowed, as_of=min(end, narrowed.as_of) if narrowed.as_of else end)
        if dates and dates.start:
            start = start_of_day(dates.start)
            current = narrowed.published_from
            narrowed = replace(narrowed, published_from=max(start, current) if current else start)
        if intent.outlets and not narrowed.sources:
            narrowed = replace(narrowed, sources=intent.outlets)
        if intent.sections and not narrowed.sections:
            narrowed = replace(narrowed, sections=intent.sections)
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
    prf_terms: int = 0  # pseudo-relevance feedback: BM25 terms added from the first hits (off:
    # +2.7 points Hit@1 without dates on the tuning sample, -3.7 on the held-out one)
    prf_docs: int = 3
    prf_weight: float = 0.3
    # a period the question names ("in 2020", "last year", "in February") bounds publication
    # from below only: its news is published in it or after it (follow-ups, statistics, reviews)
    period_open_end: bool = True
    fetch: int = 0  # fused candidates whose text is read from Chroma; 0 = 2 * top_k + 4
    # a multi-part question is searched whole and part by part, the lists merged round-robin
    decompose: bool = True

    @classmethod
    def from_settings(cls, settings: Settings, top_k: int | None = None) -> RetrievalConfig:
        """The configuration the settings describe (top_k overrides settings.top_k)."""
        s = settings
        return cls(
            mode=s.retriever,
            top_k=top_k or s.top_k,
            candidates=s.retrieval_candidates,
            dense_weight=s.fusion_dense_weight,
            lexical_weight=s.fusion_lexical_weight,
            recency_weight=s.recency_weight,
            recency_half_life_days=s.recency_half_life_days,
            max_chunks_per_article=s.max_chunks_per_article,
            prf_terms=s.query_expansion_terms,
            prf_weight=s.query_expansion_weight,
            decompose=s.decompose != "off",
        )


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
    """Dense and BM25 candidates, each scored both ways, combined by weights (see module doc).

    Scoring runs in memory over the rows of the lexical index (BM25, unit vectors, dates,
    outlets: one snapshot of the collection, filtered by the same mask); only the best
    `fetch` candidates' texts and metadata are then read from Chroma.
    """

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
        config = self._config
        query = query_bundle.query_str
        index = self._lexical.current()
        if not index.chunk_ids:
            return []
        if len(index.vectors) != len(index.chunk_ids):  # a collection stored without vectors
            log.warning("lexical index holds no vectors; hybrid retrieval falls back to dense")
            return DenseRetriever(self._store, config.top_k, self._filters).retrieve(query_bundle)
        if query_bundle.embedding is None:
            query_bundle.embedding = self._store.embed_model.get_query_embedding(query)
        query_vector = np.asarray(query_bundle.embedding, dtype=np.float32)
        mask = self._filters.mask(index)
        if not mask.any():
            return []
        # einsum, not BLAS: a multi-threaded matrix-vector product stalls on a busy machine
        cosine = np.einsum("ij,j->i", index.vectors, query_vector)
        lexical = (
            index.scores(query, mask)
            if config.lexical_weight
            else np.zeros(len(index.chunk_ids), dtype=np.float32)
        )
        rows, scores = self._fuse(index, mask, cosine, lexical)
        nodes: dict[str, tuple[TextNode, Any]] = {}
        if config.prf_terms and config.lexical_weight:
            # pseudo-relevance feedback: BM25 again, adding the terms typical of the first hits
            nodes = _nodes_by_id(self._store, [index.chunk_ids[r] for r in rows[: config.prf_docs]])
            texts = [_lexical_text(node) for node, _ in nodes.values()]
            terms = index.expansion_terms(texts, query, config.prf_terms)
            if terms:
                lexical = lexical + config.prf_weight * index.token_scores(terms, mask)
                rows, scores = self._fuse(index, mask, cosine, lexical)
        fetch = max(config.fetch or 2 * config.top_k + 4, config.top_k)
        wanted = [index.chunk_ids[r] for r in rows[:fetch]]
        nodes.update(_nodes_by_id(self._store, [c for c in wanted if c not in nodes]))
        results = []
        for row, score in zip(rows[:fetch], scores[:fetch], strict=False):
            found = nodes.get(index.chunk_ids[row])
            if found is not None:  # else deleted since the lexical index was built
                results.append(NodeWithScore(node=found[0], score=float(score)))
        return results

    def _fuse(
        self, index: LexicalIndex, mask: np.ndarray, cosine: np.ndarray, lexical: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the candidates (dense top + BM25 top, within the mask), best first, and scores."""
        config = self._config
        allowed = np.flatnonzero(mask)
        k = min(config.candidates, len(allowed))
        dense_top = allowed[np.argpartition(-cosine[allowed], k - 1)[:k]]
        positive = allowed[lexical[allowed] > 0]
        k_lex = min(config.candidates, len(positive))
        lexical_top = (
            positive[np.argpartition(-lexical[positive], k_lex - 1)[:k_lex]] if k_lex else positive
        )
        rows = np.union1d(dense_top, lexical_top)
        best_lexical = float(lexical[rows].max()) if len(rows) else 0.0
        scores = config.dense_weight * cosine[rows].astype(np.float64)
        if best_lexical > 0:
            scores += config.lexical_weight * lexical[rows] / best_lexical
        if self._recency_from is not None and config.recency_weight:
            published = index.published_ts[rows]
            age_days = np.maximum(0.0, (self._recency_from.timestamp() - published) / 86400)
            prior = np.where(published >= 0, 0.5 ** (age_days / config.recency_half_life_days), 0.0)
            scores += config.recency_weight * prior
        order = np.argsort(-scores, kind="stable")
        return rows[order], scores[order]


def _lexical_text(node: BaseNode) -> str:
    return f"{node.metadata.get('title', '')}\n{node.get_content()}"


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
        rerankers: Sequence[BaseNodePostprocessor] = (),
        finishers: Sequence[BaseNodePostprocessor] = (),
    ) -> None:
        super().__init__()
        self._store = store
        self._lexical = lexical
        self._config = config
        self._intent = intent
        self._rerankers = tuple(rerankers)
        self._finishers = tuple(finishers)
        top_n = max((int(getattr(r, "top_n", 0)) for r in self._rerankers), default=0)
        if top_n > (config.fetch or 2 * config.top_k + 4):
            self._config = config = replace(config, fetch=top_n)  # rerankers see their top_n
        self._caller_filters = filters
        self._filters = filters.narrowed(intent, period_open_end=config.period_open_end)
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
        # the whole question keeps the first place; each part adds its own best passages
        parts = self._intent.parts if self._config.decompose else ()
        questions = (query_bundle.query_str, *parts)
        lists = []
        for question in questions:
            bundle = query_bundle if question == query_bundle.query_str else QueryBundle(question)
            results = self._base(self._filters).retrieve(bundle)
            if not results and self._filters != self._caller_filters:
                # the question's own date/outlet words were too strict: fall back to the caller's filters
                results = self._base(self._caller_filters).retrieve(bundle)
            lists.append(results)
        merged = merge_round_robin(lists)
        for reranker in self._rerankers:  # before the cap: a reranker may lift a deeper candidate
            merged = reranker.postprocess_nodes(merged, query_bundle)
        hits = self._diversity.postprocess_nodes(merged, query_bundle)
        for finisher in self._finishers:
            hits = finisher.postprocess_nodes(hits, query_bundle)
        return hits


def build_retriever(
    store: NewsStore,
    lexical: LexicalIndexCache,
    *,
    config: RetrievalConfig,
    filters: RetrievalFilters | None = None,
    intent: QueryIntent | None = None,
    rerankers: Sequence[BaseNodePostprocessor] = (),
    finishers: Sequence[BaseNodePostprocessor] = (),
) -> BaseRetriever:
    """The retriever for one question: the configured ranking, filters and the question's own hints.

    `rerankers` reorder the fused candidates before the per-article cap; `finishers` (e.g. the
    neighbour window) run on the final hits. qa.rerank.build_postprocessors makes both from settings.
    """
    return NewsRetriever(
        store,
        lexical,
        config,
        filters or RetrievalFilters(),
        intent or QueryIntent(text=""),
        rerankers,
        finishers,
    )
