"""What a chunk's embedding sees (headline, outlet, date, passage) against what readers see
(the passage alone), on an article stored through the real pipeline."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from conftest import module_newsqa
from llama_index.core.schema import MetadataMode
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from qa.chunk import chunk_article
from qa.ingest import Article

TITLE = "Rescuers free four miners after Kestrel quarry flood"
OUTLET = "Valdora Times"
SHOWN_DATE = "11 Mar 2024"
URL = "https://valdoratimes.example/2024/03/11/zq-pit-drama-update/"
SLUG = "zq-pit-drama-update"
DATELINE = "PELLMORE"
BODY = "\n\n".join(
    [
        "Rescue teams reached the flooded lower gallery of the Kestrel quarry early on Monday, "
        "two days after heavy rain broke through an old drainage wall. Four miners were brought "
        "out alive, the regional fire service said, and were taken to hospital with mild "
        "hypothermia. Dr. Ilse Varga, who treated them, said all four were expected to recover "
        "fully within a week.",
        "The quarry's owner, Kestrel Aggregates, said it had suspended work at the site and "
        "would pay for an independent inspection of every wall and pump. The company employs "
        "about 300 people in the valley, most of them on rotating shifts that start at 6 a.m. "
        "Union leaders said they had warned about the drainage wall last autumn and asked the "
        "mining inspectorate to explain why no repairs were ordered.",
        "The inspectorate said it would publish its findings within a month. Pumping continued "
        "through the night, and engineers expect the lower gallery to be dry by the weekend. "
        "Families of the rescued men thanked the divers who spent eleven hours in cold, muddy "
        "water to reach them, and the mayor promised a civic reception for the rescue teams.",
    ]
)
ARTICLE = Article(
    title=TITLE,
    body=BODY,
    source=OUTLET,
    published_at=datetime(2024, 3, 11, 8, 30, tzinfo=UTC),
    date_origin="record",
    url=URL,
    authors=("Dana Reyes",),
    dateline=DATELINE,
    section="Regional news",
    topics=("Extractive industries",),
    extra={"slug": SLUG},
)
# What the embedding must not see: values of keys outside EMBEDDED_METADATA.
HIDDEN = [URL, SLUG, DATELINE, "Dana Reyes", "Regional news", "Extractive industries",
          ARTICLE.id, ARTICLE.content_hash(), "2024-03-11"]  # fmt: skip


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, embed_model):  # type: ignore[no-untyped-def]
    """A NewsQA on its own home holding ARTICLE, and its Chroma rows (embeddings included)."""
    qa = module_newsqa(tmp_path_factory, embed_model, "embedded-text")
    report = qa.ingest_articles([ARTICLE])
    assert report.added == 1 and not report.failures, report
    page = qa.store.collection.get(include=["documents", "metadatas", "embeddings"])
    order = np.argsort([m["position"] for m in page["metadatas"]])
    rows = [(page["documents"][i], page["metadatas"][i], page["embeddings"][i]) for i in order]
    return qa, rows


def embed_text(document: str, metadata: dict) -> str:  # type: ignore[type-arg]
    """The text LlamaIndex hands the embedding model for a stored chunk (its node, as stored)."""
    node = metadata_dict_to_node(metadata, text=document)
    return node.get_content(metadata_mode=MetadataMode.EMBED)


def cosine(a: object, b: object) -> float:
    u, v = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def test_article_is_stored_as_several_chunks_of_passage_text(stored) -> None:  # type: ignore[no-untyped-def]
    _, rows = stored
    passages = [c.text for c in chunk_article(ARTICLE)]
    assert len(passages) >= 2  # the header must be on every chunk, not only the first
    assert [document for document, _, _ in rows] == passages


def test_embedding_text_holds_headline_outlet_date_and_passage(stored) -> None:  # type: ignore[no-untyped-def]
    _, rows = stored
    for document, metadata, _ in rows:
        text = embed_text(document, metadata)
        header, _, passage = text.partition("\n\n")
        assert passage == document
        assert header.splitlines() == [
            f"title: {TITLE}",
            f"source: {OUTLET}",
            f"published: {SHOWN_DATE}",
        ]


def test_embedding_text_leaves_out_url_slug_dateline_and_bookkeeping(stored) -> None:  # type: ignore[no-untyped-def]
    _, rows = stored
    for document, metadata, _ in rows:
        text = embed_text(document, metadata)
        for value in HIDDEN:
            assert value not in text
        for key in ("url", "x_slug", "dateline", "authors", "article_id", "published_at"):
            assert f"{key}:" not in text


def test_stored_vector_is_the_embedding_of_the_header_and_passage(stored, embed_model) -> None:  # type: ignore[no-untyped-def]
    _, rows = stored
    for document, metadata, vector in rows:
        text = embed_text(document, metadata)
        assert cosine(vector, embed_model.get_text_embedding(text)) > 0.999
        # measurably not the passage alone, nor the header with the URL, slug and dateline too
        assert cosine(vector, embed_model.get_text_embedding(document)) < 0.99
        header, _, passage = text.partition("\n\n")
        hidden = f"url: {URL}\nx_slug: {SLUG}\ndateline: {DATELINE}"
        assert (
            cosine(vector, embed_model.get_text_embedding(f"{header}\n{hidden}\n\n{passage}"))
            < 0.99
        )


def test_retrieved_and_cited_text_is_the_passage_alone(stored) -> None:  # type: ignore[no-untyped-def]
    qa, rows = stored
    passages = {document for document, _, _ in rows}
    question = "How many miners were rescued from the Kestrel quarry?"
    results = qa.retrieve(question)
    assert results and results[0].node.metadata["title"] == TITLE
    for result in results:
        assert result.node.get_content() in passages
    answer = qa.ask(question)
    assert answer.citations and not answer.refused
    for citation in answer.citations:
        assert citation.quote in passages
        assert TITLE not in citation.quote and URL not in citation.quote
