"""BM25 over a collection's chunks (bm25s), with their embedding vectors, persisted beside the
store and rebuilt when it changes."""

from __future__ import annotations

import json
import logging
import math
import shutil
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

GENERATION_KEY = "newsqa_generation"
PAGE_SIZE = 5000
FORMAT_VERSION = 3  # 2: the chunks' unit embedding vectors are kept beside BM25; 3: sections
# (an index saved in an older format is not loaded: it is rebuilt from the collection)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> Any:
    import bm25s

    return bm25s.tokenize(
        texts, stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False
    )


def store_generation(collection: Any) -> str:
    """A stamp that changes whenever newsqa writes to the collection (see bump_generation)."""
    metadata = collection.metadata or {}
    return f"{metadata.get(GENERATION_KEY, 0)}:{collection.count()}"


_local_writes = 0  # bumps made by this process: its caches re-check at once after one


def bump_generation(collection: Any) -> None:
    """Mark the collection as changed, so every replica's lexical index rebuilds."""
    global _local_writes
    _local_writes += 1
    metadata = dict(collection.metadata or {})
    metadata[GENERATION_KEY] = int(metadata.get(GENERATION_KEY, 0)) + 1
    metadata.pop("hnsw:space", None)  # the distance function cannot be 'changed', even to itself
    collection.modify(metadata=metadata)


def _counter(generation: str) -> str:
    return generation.split(":", 1)[0]


@dataclass
class LexicalIndex:
    """BM25 scores for every chunk, with the metadata needed to filter them."""

    generation: str
    chunk_ids: list[str]
    published_ts: np.ndarray  # -1 where unknown
    sources: np.ndarray  # outlet per chunk (object array)
    bm25: Any
    # each chunk's unit embedding, row for row: fusion scores every candidate's cosine in
    # memory instead of asking Chroma for the vectors (see qa/retrieve.py)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    # section per chunk ('' where the article has none), row for row (object array)
    section_names: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    @cached_property
    def outlets(self) -> list[str]:
        """The distinct outlets in the collection."""
        return sorted({str(s) for s in self.sources if s})

    @cached_property
    def sections(self) -> list[str]:
        """The distinct sections in the collection."""
        return sorted({str(s) for s in self.section_names if s})

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for the query; 0 where the mask is False."""
        if not self.chunk_ids:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize([query])[0]
        if not tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        weights = mask.astype(np.float32) if mask is not None else None
        return np.asarray(self.bm25.get_scores(tokens, weight_mask=weights), dtype=np.float32)

    def expansion_terms(self, texts: list[str], query: str, n_terms: int) -> list[str]:
        """Pseudo-relevance feedback: stemmed terms that at least two of `texts` (the first hits)
        share and the query lacks, best first by (texts holding the term) * idf."""
        if not self.chunk_ids or n_terms < 1 or len(texts) < 2:
            return []
        asked = set(tokenize([query])[0])
        vocab = self.bm25.vocab_dict
        indptr = self.bm25.scores["indptr"]
        n_docs = max(1, len(self.chunk_ids))
        held: dict[str, int] = {}
        for tokens in tokenize(texts):
            for token in set(tokens):
                if token not in asked and token in vocab:
                    held[token] = held.get(token, 0) + 1
        weighted = []
        for token, count in held.items():
            if count < 2:
                continue  # a term of one hit only says nothing about the topic
            i = vocab[token]
            df = int(indptr[i + 1] - indptr[i]) if i + 1 < len(indptr) else 0
            weighted.append((count * math.log(1 + (n_docs - df + 0.5) / (df + 0.5)), token))
        weighted.sort(reverse=True)
        return [token for _, token in weighted[:n_terms]]

    def token_scores(self, tokens: list[str], mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for already-tokenised (stemmed) terms."""
        ids = self.bm25.get_tokens_ids(tokens) if tokens and self.chunk_ids else []
        if not ids:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        weights = mask.astype(np.float32) if mask is not None else None
        return np.asarray(self.bm25.get_scores_from_ids(ids, weight_mask=weights), dtype=np.float32)


def build_lexical_index(collection: Any, generation: str) -> LexicalIndex:
    """Read every chunk of the collection and index its embedded text with BM25."""
    import bm25s

    ids: list[str] = []
    texts: list[str] = []
    published: list[int] = []
    sources: list[str] = []
    sections: list[str] = []
    vectors: list[np.ndarray] = []
    offset = 0
    while True:
        page = collection.get(
            include=["documents", "metadatas", "embeddings"], limit=PAGE_SIZE, offset=offset
        )
        embeddings = page.get("embeddings")
        if embeddings is not None and len(embeddings):
            vectors.append(np.asarray(embeddings, dtype=np.float32))
        for chunk_id, document, metadata in zip(
            page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False
        ):
            metadata = metadata or {}
            ids.append(chunk_id)
            # the same view of a chunk the embedding gets: headline, outlet and passage
            texts.append(
                f"{metadata.get('title', '')}\n{metadata.get('source', '')}\n{document or ''}"
            )
            published.append(int(metadata.get("published_ts", -1)))
            sources.append(str(metadata.get("source", "")))
            sections.append(str(metadata.get("section", "")))
        if len(page["ids"]) < PAGE_SIZE:
            break
        offset += PAGE_SIZE
    bm25 = bm25s.BM25()
    if texts:
        bm25.index(tokenize(texts), show_progress=False)
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
    if len(matrix):
        matrix /= np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)
    return LexicalIndex(
        generation,
        ids,
        np.array(published, dtype=np.int64),
        np.array(sources, dtype=object),
        bm25,
        matrix,
        np.array(sections, dtype=object),
    )


def save_lexical_index(index: LexicalIndex, directory: Path) -> None:
    """Write the index atomically: a half-written folder is never read."""
    staging = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if index.chunk_ids:
        index.bm25.save(str(staging / "bm25"), show_progress=False)
    np.save(staging / "published_ts.npy", index.published_ts)
    np.save(staging / "vectors.npy", index.vectors)
    meta = {
        "version": FORMAT_VERSION,
        "generation": index.generation,
        "chunk_ids": index.chunk_ids,
        "sources": list(index.sources),
        "sections": list(index.section_names),
    }
    (staging / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    staging.rename(directory)


def load_lexical_index(directory: Path) -> LexicalIndex | None:
    """The saved index, or None when there is none or it is unreadable (then it is rebuilt)."""
    import bm25s

    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("version") != FORMAT_VERSION:
            return None
        bm25 = bm25s.BM25.load(str(directory / "bm25")) if meta["chunk_ids"] else bm25s.BM25()
        published = np.load(directory / "published_ts.npy")
        vectors = np.load(directory / "vectors.npy")
        if len(vectors) != len(meta["chunk_ids"]) or len(meta["sections"]) != len(
            meta["chunk_ids"]
        ):
            return None
        return LexicalIndex(
            meta["generation"],
            meta["chunk_ids"],
            published,
            np.array(meta["sources"], dtype=object),
            bm25,
            vectors,
            np.array(meta["sections"], dtype=object),
        )
    except (OSError, ValueError, KeyError) as error:
        log.info("lexical index at %s not usable (%s); rebuilding", directory, error)
        return None


class LexicalIndexCache:
    """The current lexical index of one collection: loaded from disk, rebuilt when stale.

    After an ingestion or a removal finishes (the generation counter moves) it is rebuilt at
    once. While an ingestion is under way (only the chunk count moves), it is rebuilt at most
    every `min_rebuild_s` seconds: BM25 lags a little, dense retrieval sees new chunks at once,
    and chunks deleted since the build are dropped when their text is fetched.
    """

    def __init__(
        self,
        collection: Any,
        directory: Path,
        min_rebuild_s: float = 20.0,
        recheck_s: float = 1.0,
    ) -> None:
        self._collection = collection
        self._directory = directory
        self._min_rebuild_s = min_rebuild_s
        # the generation stamp costs a Chroma call: within recheck_s of the last check (and
        # with no write by this process since) the index is reused, so one question asks once
        self._recheck_s = recheck_s
        self._checked: tuple[float, int] = (-1e9, -1)
        self._index: LexicalIndex | None = None
        self._built_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> LexicalIndex:
        checked_at, writes = self._checked
        if (
            self._index is not None
            and writes == _local_writes
            and time.monotonic() - checked_at < self._recheck_s
        ):
            return self._index
        writes = _local_writes
        generation = store_generation(self._collection)
        self._checked = (time.monotonic(), writes)
        with self._lock:
            if self._index is not None and self._index.generation == generation:
                return self._index
            if (
                self._index is not None
                and _counter(self._index.generation) == _counter(generation)
                and time.monotonic() - self._built_at < self._min_rebuild_s
            ):
                return self._index  # only the chunk count moved: an ingestion is under way
            index = load_lexical_index(self._directory)
            if index is None or index.generation != generation:
                index = build_lexical_index(self._collection, generation)
                try:
                    save_lexical_index(index, self._directory)
                except OSError as error:  # a read-only home still answers, just rebuilds each start
                    log.warning("cannot save the lexical index to %s: %s", self._directory, error)
            self._index = index
            self._built_at = time.monotonic()
            return index
