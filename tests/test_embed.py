"""The local MiniLM embedding model: real ONNX weights, no network, sane vectors."""

from __future__ import annotations

import numpy as np


def test_vectors_are_unit_length_and_384_wide(embed_model) -> None:
    vectors = embed_model.embed(["Kim Jong Un will meet Putin.", "", "a " * 1000])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_related_texts_are_closer_than_unrelated(embed_model) -> None:
    query = embed_model.get_query_embedding("Where will the leaders meet?")
    related = embed_model.get_text_embedding("The summit will take place in Vladivostok.")
    unrelated = embed_model.get_text_embedding("Wheat prices fell on the commodity exchange.")
    assert np.dot(query, related) > np.dot(query, unrelated) + 0.1


def test_batch_embedding_matches_single_embedding(embed_model) -> None:
    texts = ["short text", "a much longer text " * 20]
    batch = embed_model.get_text_embedding_batch(texts)
    single = [embed_model.get_text_embedding(t) for t in texts]
    # dynamic padding must not change a text's vector
    assert np.allclose(batch, single, atol=1e-4)
