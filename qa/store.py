"""The Chroma store behind LlamaIndex: open it, write articles' chunks, list and remove articles.

Everything known about an article lives in its chunks' metadata, so the store needs no other
file and several machines can share one Chroma server:
- every chunk: the article's metadata, `story_id` / `story_outlets` (near-duplicate group),
  `relative_dates` (JSON) and `history` (JSON list of the article's earlier versions);
- chunk 0 only, outside LlamaIndex's node JSON and hidden from readers by the leading "_":
  `_minhash` (the article's MinHash signature) and its LSH band keys `_lsh1_00`... (see
  qa/ingest/duplicates.py), which is how the duplicate index persists across runs (qa/stories.py
  keeps a cache of the band keys beside the store, checked against it at every run).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore

from qa.chunk import Chunk
from qa.ingest import Article
from qa.ingest.duplicates import BAND_KEY_PREFIX, Fingerprint, lsh_params
from qa.ingest.relative_dates import dumps_relative_dates
from qa.settings import Settings

# What the embedding sees besides the passage: the article's headline, outlet and date.
EMBEDDED_METADATA = ("title", "source", "published")
PAGE_SIZE = 5000
WRITE_SIZE = 5000  # below Chroma's largest batch
MINHASH_KEY = "_minhash"
BAND_KEY = "_" + BAND_KEY_PREFIX + "{:02d}"
OUTLET_SEPARATOR = "; "


class StoreError(RuntimeError):
    """The store cannot be opened or used as asked."""


class EmbeddingMismatchError(StoreError):
    """The collection was built with another embedding model."""


@dataclass(frozen=True)
class ArticleRecord:
    """What the store knows of one article (read back from its chunks' metadata)."""

    id: str
    title: str
    source: str | None
    published_at: str | None
    url: str | None
    chunks: int
    expected_chunks: int
    content_hash: str
    updated_at: str | None = None
    retrieved_at: str | None = None
    section: str | None = None
    story_id: str = ""
    story_outlets: tuple[str, ...] = ()
    history: tuple[dict[str, Any], ...] = ()
    # content hash -> one chunk's metadata, for each version whose chunks are present;
    # latest_hash: the version written last (it carries the longest history)
    versions: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    latest_hash: str = ""

    @property
    def complete(self) -> bool:
        return self.chunks == self.expected_chunks

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-able data (for `newsqa articles --json`)."""
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "section": self.section,
            "published_at": self.published_at,
            "updated_at": self.updated_at,
            "retrieved_at": self.retrieved_at,
            "url": self.url,
            "chunks": self.chunks,
            "expected_chunks": self.expected_chunks,
            "complete": self.complete,
            "content_hash": self.content_hash,
            "story_id": self.story_id,
            "story_outlets": list(self.story_outlets),
            "history": list(self.history),
        }


@dataclass(frozen=True)
class StoredPrint:
    """A stored article as the duplicate index sees it."""

    article_id: str
    story_id: str
    outlet: str
    fingerprint: Fingerprint
    band_keys: tuple[str, ...]  # as stored (an empty band is stored as "")
    published_ts: int = -1  # publication time (Unix seconds); -1 where unknown


@dataclass(frozen=True)
class ArticleWrite:
    """One article version to write: its chunks plus what the store keeps beside them."""

    article: Article
    chunks: Sequence[Chunk]
    fingerprint: Fingerprint
    story_id: str
    story_outlets: tuple[str, ...]
    history: tuple[dict[str, Any], ...] = ()
    replaces: ArticleRecord | None = None  # the version (or half-written one) now in the store


def make_chroma_client(settings: Settings) -> Any:
    """An embedded PersistentClient under NEWSQA_HOME, or an HttpClient for a Chroma server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_host:
        headers = {}
        if settings.chroma_token:
            headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                headers=headers,
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        except Exception as error:  # unreachable, token refused, or not a Chroma server
            from qa.errors import chroma_server_failure

            raise StoreError(chroma_server_failure(settings, error)) from error
    try:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"Cannot create the store folder {settings.chroma_path}: {error}"
        ) from error
    try:
        return chromadb.PersistentClient(
            path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as error:  # e.g. a read-only NEWSQA_HOME: Chroma writes when it opens
        from qa.errors import store_failure

        reason = store_failure(settings, error)
        if reason is None:
            raise
        raise StoreError(reason) from error


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _node_for(chunk: Chunk, write: ArticleWrite) -> TextNode:
    article = write.article
    published = article.published_at
    metadata: dict[str, Any] = {
        "article_id": article.id,
        "position": chunk.position,
        "n_chunks": len(write.chunks),
        "content_hash": article.content_hash(),
        "title": article.title,
        "source": article.source or "",
        "published": published.strftime("%d %b %Y") if published else "",
        "published_at": _iso(published),
        # Chroma filters compare numbers only: the date as a UTC timestamp (-1 = unknown)
        "published_ts": int(published.timestamp()) if published else -1,
        "updated_at": _iso(article.updated_at),
        "retrieved_at": _iso(article.retrieved_at),
        "date_origin": article.date_origin or "",
        "url": article.url or "",
        "authors": "; ".join(article.authors),
        "dateline": article.dateline or "",
        "section": article.section or "",
        "topics": "; ".join(article.topics),
        "language": article.language or "",
        "origin": article.origin,
        "relative_dates": dumps_relative_dates(chunk.relative_dates),
        "story_id": write.story_id,
        "story_outlets": OUTLET_SEPARATOR.join(write.story_outlets),
        "history": json.dumps(list(write.history), ensure_ascii=False) if write.history else "",
    }
    for key, value in article.extra.items():
        metadata.setdefault(f"x_{key}", str(value))
    return TextNode(
        id_=chunk.id,
        text=chunk.text,
        metadata=metadata,
        excluded_embed_metadata_keys=[k for k in metadata if k not in EMBEDDED_METADATA],
        excluded_llm_metadata_keys=list(metadata),
        metadata_template="{key}: {value}",
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.id)},
    )


def _fingerprint_metadata(fingerprint: Fingerprint) -> dict[str, Any]:
    keys = {BAND_KEY.format(i): key for i, key in enumerate(fingerprint.band_keys)}
    return {MINHASH_KEY: fingerprint.encode(), **keys}


class NewsStore:
    """One Chroma collection of article chunks, opened through LlamaIndex's ChromaVectorStore."""

    def __init__(self, settings: Settings, embed_model: BaseEmbedding, client: Any = None) -> None:
        from qa.embed import embedding_identity

        self.settings = settings
        self.embed_model = embed_model
        self.client = client if client is not None else make_chroma_client(settings)
        model_name, dimension = embedding_identity(settings)
        self.collection = self.client.get_or_create_collection(
            name=settings.collection,
            metadata={"hnsw:space": "cosine", "embed_model": model_name, "embed_dim": dimension},
            embedding_function=None,  # we always pass embeddings; never Chroma's downloader
        )
        found = self.collection.metadata or {}
        if (found.get("embed_model"), found.get("embed_dim")) != (model_name, dimension):
            raise EmbeddingMismatchError(
                f"Collection '{settings.collection}' was built with embedding model "
                f"{found.get('embed_model')!r} ({found.get('embed_dim')} dims), but the settings "
                f"use {model_name!r} ({dimension} dims). Use the same NEWSQA_EMBED_BACKEND, or "
                "another NEWSQA_COLLECTION."
            )
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)
        self.index = VectorStoreIndex.from_vector_store(self.vector_store, embed_model=embed_model)

    def count_chunks(self) -> int:
        return int(self.collection.count())

    # ---- writing ---------------------------------------------------------------------------
    def write_articles(self, writes: Sequence[ArticleWrite]) -> int:
        """Embed and write whole articles in one batch; returns the chunks written.

        Chunks are upserted over the ids of the version they replace, then that version's
        surplus chunks are deleted: a run killed in between leaves mixed versions, which
        `article_records` reports as incomplete and the next run repairs.
        """
        nodes: list[tuple[TextNode, ArticleWrite]] = []
        for write in writes:
            nodes.extend((_node_for(chunk, write), write) for chunk in write.chunks)
        if not nodes:
            return 0
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node, _ in nodes]
        embeddings = self.embed_model.get_text_embedding_batch(texts)
        metadatas = []
        for (node, write), embedding in zip(nodes, embeddings, strict=True):
            node.embedding = embedding
            metadata = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
            metadata = {k: ("" if v is None else v) for k, v in metadata.items()}
            if node.metadata["position"] == 0:
                metadata.update(_fingerprint_metadata(write.fingerprint))
            if write.replaces is not None:  # an upsert merges metadata: drop the old extras
                for version in write.replaces.versions.values():
                    metadata.update({k: None for k in version if k not in metadata})
            metadatas.append(metadata)
        for start in range(0, len(nodes), WRITE_SIZE):
            part = slice(start, start + WRITE_SIZE)
            self.collection.upsert(
                ids=[node.node_id for node, _ in nodes[part]],
                embeddings=[node.get_embedding() for node, _ in nodes[part]],
                metadatas=metadatas[part],
                documents=[node.get_content(MetadataMode.NONE) for node, _ in nodes[part]],
            )
        for write in writes:
            if write.replaces is not None:
                self.collection.delete(
                    where={
                        "$and": [
                            {"article_id": write.article.id},
                            {"position": {"$gte": len(write.chunks)}},
                        ]
                    }
                )
        return len(nodes)

    # ---- reading ---------------------------------------------------------------------------
    def article_records(
        self, article_ids: Iterable[str] | None = None, *, where: Mapping[str, Any] | None = None
    ) -> dict[str, ArticleRecord]:
        """Articles in the store, read back from their chunks (all, the ids given, or `where`)."""
        clauses: list[Mapping[str, Any]] = [where] if where else []
        if article_ids is not None:
            ids = list(article_ids)
            if not ids:
                return {}
            clauses.append({"article_id": {"$in": ids}})
        condition = _all_of(clauses)
        versions: dict[str, dict[str, dict[str, Any]]] = {}
        counts: dict[str, int] = {}
        for metadata in self._metadatas(condition):
            article_id = str(metadata["article_id"])
            counts[article_id] = counts.get(article_id, 0) + 1
            versions.setdefault(article_id, {}).setdefault(
                str(metadata.get("content_hash", "")), metadata
            )
        return {
            article_id: _record(article_id, counts[article_id], found)
            for article_id, found in versions.items()
        }

    def list_articles(
        self,
        *,
        sources: Sequence[str] = (),
        published_from: datetime | None = None,
        published_to: datetime | None = None,
    ) -> list[ArticleRecord]:
        """Articles of these outlets (any case; all when empty) published in the given range."""
        clauses: list[dict[str, Any]] = []
        if published_from is not None:
            clauses.append({"published_ts": {"$gte": int(published_from.timestamp())}})
        if published_to is not None:
            clauses.append({"published_ts": {"$lte": int(published_to.timestamp())}})
            clauses.append({"published_ts": {"$gte": 0}})  # undated is not "before" anything
        wanted = {s.casefold() for s in sources}
        records = self.article_records(where=_all_of(list(clauses)))
        return [r for r in records.values() if not wanted or (r.source or "").casefold() in wanted]

    def similar_articles(
        self, fingerprints: Sequence[Fingerprint], exclude: Iterable[str] = ()
    ) -> dict[str, StoredPrint]:
        """Stored articles sharing an LSH band with any fingerprint (one query, but Chroma scans
        every chunk for it: a run's later batches use qa/stories.py's band cache instead)."""
        if not fingerprints:
            return {}
        bands = [fp.band_keys for fp in fingerprints]
        clauses = [
            {BAND_KEY.format(i): {"$in": sorted({keys[i] for keys in bands})}}
            for i in range(len(bands[0]))
        ]
        skip = set(exclude)
        return {
            found.article_id: found
            for found in map(_stored_print, self._metadatas({"$or": clauses}))
            if found is not None and found.article_id not in skip
        }

    def stored_link_dates(self, links: Sequence[str]) -> dict[str, datetime | None]:
        """For each link stored completely from its page (as its URL or as the feed link it was
        read from), the date of the stored version: updated, else published, else retrieved."""
        if not links:
            return {}
        wanted = sorted(set(links))
        condition = {"$or": [{"url": {"$in": wanted}}, {"x_feed_link": {"$in": wanted}}]}
        found: dict[str, datetime | None] = {}
        for record in self.article_records(where=condition).values():
            meta = record.versions[record.latest_hash]
            if not record.complete or meta.get("x_text_from") == "feed-summary":
                continue  # half-written, or only the feed's summary: try the page again
            stamp = record.updated_at or record.published_at or record.retrieved_at
            for link in {str(meta.get("url") or ""), str(meta.get("x_feed_link") or "")}:
                if link in wanted:
                    found[link] = _parse_iso(stamp)
        return found

    def article_ids(self) -> set[str]:
        """The ids of the stored articles (read from chunk ids alone: no metadata)."""
        found: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(
                where={"position": 0}, include=[], limit=PAGE_SIZE, offset=offset
            )
            found.update(chunk_id.rsplit(":", 1)[0] for chunk_id in page["ids"])
            if len(page["ids"]) < PAGE_SIZE:
                return found
            offset += PAGE_SIZE

    def stored_prints(self, article_ids: Iterable[str]) -> dict[str, StoredPrint]:
        """These articles' MinHash, bands and story, read by chunk id (no scan); articles that
        are gone, or stored without a MinHash (older stores), are left out."""
        ids = sorted({f"{article_id}:0" for article_id in article_ids})
        found: dict[str, StoredPrint] = {}
        for start in range(0, len(ids), PAGE_SIZE):
            page = self.collection.get(ids=ids[start : start + PAGE_SIZE], include=["metadatas"])
            for metadata in page["metadatas"] or []:
                stored = _stored_print(metadata) if metadata else None
                if stored is not None:
                    found[stored.article_id] = stored
        return found

    def story_members(self, story_ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """{story id: {article id: outlet}} for the stored articles of these stories."""
        ids = sorted(set(story_ids))
        members: dict[str, dict[str, str]] = {story: {} for story in ids}
        if not ids:
            return members
        condition = {"$and": [{"position": 0}, {"story_id": {"$in": ids}}]}
        for metadata in self._metadatas(condition):
            members[str(metadata["story_id"])][str(metadata["article_id"])] = outlet_of(metadata)
        return members

    def set_story_outlets(self, outlets: Mapping[str, tuple[str, ...]]) -> None:
        """Rewrite `story_outlets` on every chunk of the given articles."""
        self.set_stories({article_id: (None, found) for article_id, found in outlets.items()})

    def set_stories(self, stories: Mapping[str, tuple[str | None, tuple[str, ...]]]) -> None:
        """Rewrite `story_id` (unless None) and `story_outlets` on every chunk of these articles."""
        if not stories:
            return
        page = self.collection.get(
            where={"article_id": {"$in": sorted(stories)}}, include=["metadatas"]
        )
        ids, metadatas = [], []
        for chunk_id, metadata in zip(page["ids"], page["metadatas"] or [], strict=False):
            story, outlets = stories[str(metadata["article_id"])]
            patch: dict[str, Any] = {"story_outlets": OUTLET_SEPARATOR.join(outlets)}
            if story is not None:
                patch["story_id"] = story
            if all(metadata.get(key) == value for key, value in patch.items()):
                continue
            if metadata.get("_node_content"):  # LlamaIndex reads nodes back from this copy
                node = json.loads(str(metadata["_node_content"]))
                node.setdefault("metadata", {}).update(patch)
                patch["_node_content"] = json.dumps(node, ensure_ascii=False)
            ids.append(chunk_id)
            metadatas.append(patch)
        for start in range(0, len(ids), WRITE_SIZE):
            self.collection.update(
                ids=ids[start : start + WRITE_SIZE], metadatas=metadatas[start : start + WRITE_SIZE]
            )

    def remove_articles(self, article_ids: Iterable[str]) -> None:
        """Delete articles and all their chunks; their stories' other copies are updated."""
        ids = sorted(set(article_ids))
        if not ids:
            return
        heads = self.collection.get(
            where={"$and": [{"position": 0}, {"article_id": {"$in": ids}}]}, include=["metadatas"]
        )
        stories = {str(m.get("story_id")) for m in heads["metadatas"] or [] if m.get("story_id")}
        self.collection.delete(where={"article_id": {"$in": ids}})
        remaining = self.story_members(stories)
        self.set_story_outlets(
            {
                article_id: story_outlets(members.values())
                for members in remaining.values()
                for article_id in members
            }
        )

    def chunks_of(self, article_id: str) -> list[TextNode]:
        """All chunks of one article in reading order."""
        page = self.collection.get(
            where={"article_id": article_id}, include=["metadatas", "documents"]
        )
        nodes = [
            TextNode(id_=i, text=d or "", metadata=_public_metadata(m))
            for i, d, m in zip(
                page["ids"], page["documents"] or [], page["metadatas"] or [], strict=False
            )
        ]
        return sorted(nodes, key=lambda n: int(n.metadata.get("position", 0)))

    def _metadatas(self, where: Mapping[str, Any] | None) -> Iterable[dict[str, Any]]:
        offset = 0
        while True:
            page = self.collection.get(
                where=where, include=["metadatas"], limit=PAGE_SIZE, offset=offset
            )
            yield from (dict(m) for m in page["metadatas"] or [] if m)
            if len(page["ids"]) < PAGE_SIZE:
                return
            offset += PAGE_SIZE


def _parse_iso(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _all_of(clauses: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _stored_print(metadata: Mapping[str, Any]) -> StoredPrint | None:
    fingerprint = Fingerprint.decode(str(metadata.get(MINHASH_KEY) or ""))
    if fingerprint is None or "article_id" not in metadata:
        return None
    article_id = str(metadata["article_id"])
    bands, _rows = lsh_params()
    keys = tuple(str(metadata.get(BAND_KEY.format(i)) or "") for i in range(bands))
    return StoredPrint(
        article_id=article_id,
        story_id=str(metadata.get("story_id") or article_id),
        outlet=outlet_of(metadata),
        fingerprint=fingerprint,
        band_keys=keys if all(keys) else tuple(fingerprint.band_keys),
        published_ts=int(metadata.get("published_ts", -1)),
    )


def _record(article_id: str, chunks: int, versions: dict[str, dict[str, Any]]) -> ArticleRecord:
    # the version written last carries the longest history (it adds its predecessor)
    histories = {h: history_of(m) for h, m in versions.items()}
    latest_hash = max(versions, key=lambda h: len(histories[h]))
    meta = versions[latest_hash]
    single = len(versions) == 1
    return ArticleRecord(
        id=article_id,
        title=str(meta.get("title", "")),
        source=str(meta.get("source") or "") or None,
        published_at=str(meta.get("published_at") or "") or None,
        url=str(meta.get("url") or "") or None,
        chunks=chunks,
        # two versions' chunks mixed together are never complete
        expected_chunks=int(meta.get("n_chunks", 0)) if single else -1,
        content_hash=latest_hash if single else "",
        updated_at=str(meta.get("updated_at") or "") or None,
        retrieved_at=str(meta.get("retrieved_at") or "") or None,
        section=str(meta.get("section") or "") or None,
        story_id=str(meta.get("story_id") or article_id),
        story_outlets=tuple(
            o for o in str(meta.get("story_outlets") or "").split(OUTLET_SEPARATOR) if o
        ),
        history=histories[latest_hash],
        versions=versions,
        latest_hash=latest_hash,
    )


def history_of(metadata: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """The earlier versions a chunk's metadata records (oldest first)."""
    raw = metadata.get("history")
    try:
        loaded = json.loads(str(raw)) if raw else []
    except json.JSONDecodeError:
        return ()
    return (
        tuple(item for item in loaded if isinstance(item, dict)) if isinstance(loaded, list) else ()
    )


def outlet_of(metadata: Mapping[str, Any]) -> str:
    """The outlet an article names, else its URL's host, else ""."""
    from urllib.parse import urlsplit

    source = str(metadata.get("source") or "")
    if source:
        return source
    try:
        return urlsplit(str(metadata.get("url") or "")).hostname or ""
    except ValueError:
        return ""


def story_outlets(outlets: Iterable[str]) -> tuple[str, ...]:
    """A story's outlets, each once, sorted case-insensitively."""
    return tuple(sorted({o for o in outlets if o}, key=str.casefold))


def _public_metadata(metadata: Any) -> dict[str, Any]:
    """Chunk metadata without LlamaIndex's or the store's private keys."""
    return {
        k: v
        for k, v in dict(metadata).items()
        if not k.startswith("_") and k not in {"document_id", "doc_id", "ref_doc_id"}
    }
