"""The retrievers a run can use: newsqa's own, or the plain baselines a user would build
(BM25 with bm25s + PyStemmer, LlamaIndex vector retrieval without filters), all over the
same store, answered by the same answerer."""

from __future__ import annotations

from datetime import date
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from qa.pipeline import NewsQA
from qa.store import NewsStore

RETRIEVERS = ("default", "dense", "bm25")
EXCLUSION_MARGIN = 30  # extra passages fetched when some articles are held out of the answer
PAGE = 5000


def store_chunks(store: NewsStore) -> list[TextNode]:
    """Every chunk in the store with its text and public metadata."""
    nodes: list[TextNode] = []
    offset = 0
    while True:
        page = store.collection.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
        for chunk_id, text, meta in zip(
            page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False
        ):
            public = {
                k: v
                for k, v in dict(meta or {}).items()
                if not k.startswith("_") and k not in {"document_id", "doc_id", "ref_doc_id"}
            }
            nodes.append(TextNode(id_=chunk_id, text=text or "", metadata=public))
        if len(page["ids"]) < PAGE:
            return sorted(nodes, key=lambda n: n.node_id)
        offset += PAGE


class BM25Retriever(BaseRetriever):
    """Okapi BM25 (bm25s, English stopwords, Snowball stemmer) over the store's chunks; no filters."""

    def __init__(self, nodes: list[TextNode], top_k: int = 10) -> None:
        super().__init__()
        import bm25s
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        self._nodes = nodes
        self._top_k = top_k
        self._index = bm25s.BM25()
        if nodes:
            tokens = bm25s.tokenize(
                [n.get_content() for n in nodes],
                stopwords="en",
                stemmer=self._stemmer,
                show_progress=False,
            )
            self._index.index(tokens, show_progress=False)

    def retrieve_top(self, question: str, top_k: int) -> list[NodeWithScore]:
        import bm25s

        if not self._nodes:
            return []
        query = bm25s.tokenize(
            [question], stopwords="en", stemmer=self._stemmer, show_progress=False
        )
        if not query.vocab:  # every word a stopword: nothing to match
            return []
        k = min(top_k, len(self._nodes))
        documents, scores = self._index.retrieve(query, k=k, show_progress=False)
        return [
            NodeWithScore(node=self._nodes[int(i)], score=float(s))
            for i, s in zip(documents[0], scores[0], strict=True)
            if float(s) > 0  # a chunk sharing no word with the question was not found
        ]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.retrieve_top(query_bundle.query_str, self._top_k)


def dense_retrieve(store: NewsStore, question: str, top_k: int) -> list[NodeWithScore]:
    """Plain LlamaIndex vector retrieval over the same Chroma collection: no date, no outlet filter."""
    if store.count_chunks() == 0:
        return []
    return store.index.as_retriever(similarity_top_k=top_k).retrieve(QueryBundle(question))


class EvalNewsQA(NewsQA):
    """NewsQA whose retrieval can be swapped for a baseline, or hold some articles out.

    Overriding `retrieve` keeps `ask` (answering, timing, citations) exactly the pipeline's own.
    Held-out articles (RGB-style negative rejection) are removed from the retrieved list:
    EXCLUSION_MARGIN more passages are fetched, the held-out ones dropped, the list cut to k.
    """

    def __init__(
        self, settings: Any, *, retriever: str = "default", embed_model: Any = None
    ) -> None:
        if retriever not in RETRIEVERS:
            raise ValueError(f"--retriever {retriever!r}: choose one of {', '.join(RETRIEVERS)}")
        super().__init__(settings, embed_model=embed_model)
        self.retriever_kind = retriever
        self.excluded: frozenset[str] = frozenset()
        self._bm25: BM25Retriever | None = None

    @property
    def bm25(self) -> BM25Retriever:
        if self._bm25 is None:
            self._bm25 = BM25Retriever(store_chunks(self.store))
        return self._bm25

    def retrieve(
        self,
        question: str,
        *,
        as_of: date | None = None,
        top_k: int | None = None,
        **options: Any,
    ) -> list[NodeWithScore]:
        """The pipeline's retrieval (its other options passed through), or a baseline's."""
        k = top_k or self.settings.top_k
        fetch = k + EXCLUSION_MARGIN if self.excluded else k
        if self.retriever_kind == "bm25":
            nodes = self.bm25.retrieve_top(question, fetch)
        elif self.retriever_kind == "dense":
            nodes = dense_retrieve(self.store, question, fetch)
        else:
            nodes = super().retrieve(question, as_of=as_of, top_k=fetch, **options)
        if self.excluded:
            nodes = [
                n for n in nodes if str(n.node.metadata.get("article_id")) not in self.excluded
            ]
        return nodes[:k]
