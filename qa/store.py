"""The Chroma store behind LlamaIndex: open it, add articles' chunks, list and remove articles."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.vector_stores.chroma import ChromaVectorStore

from qa.chunk import Chunk
from qa.ingest import Article
from qa.settings import Settings

# What the embedding sees besides the passage: the article's headline, outlet and date.
EMBEDDED_METADATA = ("title", "source", "published")
PAGE_SIZE = 5000


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

    @property
    def complete(self) -> bool:
        return self.chunks == self.expected_chunks


def make_chroma_client(settings: Settings) -> Any:
    """An embedded PersistentClient under NEWSQA_HOME, or an HttpClient for a Chroma server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_host:
        headers = {}
        if settings.chroma_token:
            headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
        return chromadb.HttpClient(
            host=settings.chroma_host,
            port=settings.chroma_port,
            headers=headers,
            settings=ChromaSettings(anonymized_telemetry=False),
        )
    try:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"Cannot create the store folder {settings.chroma_path}: {error}"
        ) from error
    return chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False)
    )


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _node_for(chunk: Chunk, article: Article, expected_chunks: int, content_hash: str) -> TextNode:
    published = article.published_at
    metadata: dict[str, Any] = {
        "article_id": article.id,
        "position": chunk.position,
        "n_chunks": expected_chunks,
        "content_hash": content_hash,
        "title": article.title,
        "source": article.source or "",
        "published": published.strftime("%d %b %Y") if published else "",
        "published_at": _iso(published),
        # Chroma filters compare numbers only: the date as a UTC timestamp (-1 = unknown)
        "published_ts": int(published.timestamp()) if published else -1,
        "updated_at": _iso(article.updated_at),
        "date_origin": article.date_origin or "",
        "url": article.url or "",
        "authors": "; ".join(article.authors),
        "dateline": article.dateline or "",
        "origin": article.origin,
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

    def add_chunks(self, items: Sequence[tuple[Article, Sequence[Chunk]]]) -> int:
        """Embed and write whole articles' chunks in one batch; returns chunks written."""
        nodes: list[BaseNode] = []
        for article, chunks in items:
            content_hash = article.content_hash()
            nodes.extend(_node_for(c, article, len(chunks), content_hash) for c in chunks)
        if not nodes:
            return 0
        texts = [n.get_content(metadata_mode="embed") for n in nodes]  # type: ignore[arg-type]
        embeddings = self.embed_model.get_text_embedding_batch(texts)
        for node, embedding in zip(nodes, embeddings, strict=True):
            node.embedding = embedding
        self.vector_store.add(nodes)
        return len(nodes)

    def article_records(self, article_ids: Iterable[str] | None = None) -> dict[str, ArticleRecord]:
        """Articles in the store, read back from their chunks (all of them, or the ids given)."""
        where: dict[str, Any] | None = None
        if article_ids is not None:
            ids = list(article_ids)
            if not ids:
                return {}
            where = {"article_id": {"$in": ids}}
        records: dict[str, dict[str, Any]] = {}
        offset = 0
        while True:
            page = self.collection.get(
                where=where, include=["metadatas"], limit=PAGE_SIZE, offset=offset
            )
            for metadata in page["metadatas"] or []:
                entry = records.setdefault(
                    str(metadata["article_id"]), {"meta": metadata, "chunks": 0, "hashes": set()}
                )
                entry["chunks"] += 1
                entry["hashes"].add(metadata.get("content_hash", ""))
            if len(page["ids"]) < PAGE_SIZE:
                break
            offset += PAGE_SIZE
        result = {}
        for article_id, entry in records.items():
            meta = entry["meta"]
            hashes = entry["hashes"]
            result[article_id] = ArticleRecord(
                id=article_id,
                title=str(meta.get("title", "")),
                source=str(meta.get("source")) or None,
                published_at=str(meta.get("published_at")) or None,
                url=str(meta.get("url")) or None,
                chunks=entry["chunks"],
                # two versions' chunks mixed together are never complete
                expected_chunks=int(meta.get("n_chunks", 0)) if len(hashes) == 1 else -1,
                content_hash=str(next(iter(hashes))) if len(hashes) == 1 else "",
            )
        return result

    def remove_articles(self, article_ids: Iterable[str]) -> None:
        """Delete articles and all their chunks."""
        ids = list(article_ids)
        if ids:
            self.collection.delete(where={"article_id": {"$in": ids}})

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


def _public_metadata(metadata: Any) -> dict[str, Any]:
    """Chunk metadata without LlamaIndex's private serialisation keys."""
    return {
        k: v
        for k, v in dict(metadata).items()
        if not k.startswith("_") and k not in {"document_id", "doc_id", "ref_doc_id"}
    }


def describe_store(settings: Settings) -> str:
    if settings.chroma_host:
        return (
            f"Chroma server {settings.chroma_host}:{settings.chroma_port} / {settings.collection}"
        )
    return f"Chroma at {settings.chroma_path} / {settings.collection}"


def dumps_metadata(metadata: dict[str, Any]) -> str:
    return json.dumps(_public_metadata(metadata), ensure_ascii=False, sort_keys=True)
