"""Node postprocessors after fusion: an optional reranker (LLM or local cross-encoder), and the
neighbour window that shows the answerer the passages around a hit.

The reranker slot is off by default (NEWSQA_RERANKER=none): no cross-encoder ships offline,
and an LLM call per question costs more than it earned on the harness (docs/retrieval.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import ConfigDict, Field, PrivateAttr

if TYPE_CHECKING:
    from qa.settings import Settings
    from qa.store import NewsStore

log = logging.getLogger(__name__)

RERANK_PROMPT = "rerank.v1"
CROSS_ENCODER_FILES = ("model.onnx", "tokenizer.json")
_SCORE_LINE = re.compile(r"^\s*\[?(\d+)\]?\s*[:=.)-]\s*(-?\d+(?:\.\d+)?)", re.M)


class RerankerConfigError(ValueError):
    """The settings ask for a reranker that cannot be built."""


def _question(query_bundle: QueryBundle | None) -> str:
    return query_bundle.query_str if query_bundle is not None else ""


def _reorder(
    nodes: list[NodeWithScore], top_n: int, scores: dict[int, float]
) -> list[NodeWithScore]:
    """The first top_n nodes by the new scores (unscored ones after, in their order); the rest as is."""
    head, tail = nodes[:top_n], nodes[top_n:]
    order = sorted(range(len(head)), key=lambda i: (i not in scores, -scores.get(i, 0.0), i))
    reranked = []
    for i in order:
        result = head[i]
        if i in scores:
            result.node.metadata["rerank_score"] = scores[i]
        reranked.append(result)
    return reranked + tail


class LLMReranker(BaseNodePostprocessor):
    """Asks the configured LLM to score the first top_n passages 0-10 and reorders them.

    A failing LLM leaves the order as it was: the failure is logged and kept in `notices`.
    Its tokens are added to `usage` (a qa.llm.TokenUsage) when one is given.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    llm: Any = Field(description="a LlamaIndex LLM, called through qa.llm.chat")
    top_n: int = 20
    prompt_name: str = RERANK_PROMPT
    max_passage_chars: int = 1200
    notices: list[str] = Field(default_factory=list)
    usage: Any = None

    @classmethod
    def class_name(cls) -> str:
        return "LLMReranker"

    def build_messages(self, question: str, nodes: Sequence[NodeWithScore]) -> list[ChatMessage]:
        """The rerank prompt with the passages as untrusted, tag-neutralised data."""
        from qa.prompts import render_prompt

        passages = []
        for result in nodes:
            meta = result.node.metadata
            text = result.node.get_content()[: self.max_passage_chars]
            header = " · ".join(
                str(meta.get(k)) for k in ("title", "source", "published") if meta.get(k)
            )
            passages.append(
                {"header": _neutralise(header), "text": _neutralise(text)},
            )
        prompt = render_prompt(self.prompt_name, question=question, passages=passages)
        return [
            ChatMessage(role=MessageRole.SYSTEM, content=prompt.system),
            ChatMessage(role=MessageRole.USER, content=prompt.user),
        ]

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        from qa.llm import LLMError, chat

        head = nodes[: self.top_n]
        if len(head) < 2:
            return nodes
        try:
            reply = chat(self.llm, self.build_messages(_question(query_bundle), head), self.usage)
        except LLMError as error:
            return self._keep(
                nodes, f"LLM reranker skipped, passages kept in retrieval order: {error}"
            )
        scores = parse_scores(reply, len(head))
        if not scores:
            return self._keep(
                nodes,
                f"LLM reranker skipped: no 'N: SCORE' lines in its reply ({reply[:80]!r})",
            )
        return _reorder(nodes, self.top_n, scores)

    def _keep(self, nodes: list[NodeWithScore], notice: str) -> list[NodeWithScore]:
        log.warning("%s", notice)
        self.notices.append(notice)
        return nodes


def parse_scores(reply: str, n_passages: int) -> dict[int, float]:
    """'N: SCORE' lines of a reply as {0-based passage index: score}; out-of-range N ignored."""
    scores: dict[int, float] = {}
    for number, score in _SCORE_LINE.findall(reply):
        index = int(number) - 1
        if 0 <= index < n_passages and index not in scores:
            scores[index] = float(score)
    return scores


def _neutralise(text: str) -> str:
    # article text must not close its passage tag or open a fake one
    return re.sub(r"(?i)</?\s*passage\b[^>]*>?", " ", text)


class CrossEncoderReranker(BaseNodePostprocessor):
    """Scores (question, passage) pairs with a local ONNX cross-encoder and reorders the first top_n.

    The folder holds `model.onnx` (inputs input_ids, attention_mask[, token_type_ids]; output
    logits of shape (batch,) or (batch, k), the last column read as relevance) and the
    model's `tokenizer.json`, e.g. an ms-marco MiniLM cross-encoder exported with optimum.
    """

    model_path: Path
    top_n: int = 20
    max_tokens: int = 512
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()
    _inputs: list[str] = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._session, self._tokenizer, self._inputs = _load_cross_encoder(
            str(self.model_path), self.max_tokens
        )

    @classmethod
    def class_name(cls) -> str:
        return "CrossEncoderReranker"

    def score(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """Relevance of each passage to the question (higher is better)."""
        encodings = self._tokenizer.encode_batch([(question, p or " ") for p in passages])
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        logits = np.asarray(
            self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        )
        return logits.reshape(len(passages), -1)[:, -1].astype(np.float64)

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        head = nodes[: self.top_n]
        if len(head) < 2:
            return nodes
        # the headline with the passage, as the chunk is embedded
        texts = [f"{r.node.metadata.get('title', '')}\n{r.node.get_content()}" for r in head]
        scores = self.score(_question(query_bundle), texts)
        return _reorder(nodes, self.top_n, {i: float(s) for i, s in enumerate(scores)})


@lru_cache(maxsize=2)
def _load_cross_encoder(model_path: str, max_tokens: int) -> tuple[Any, Any, list[str]]:
    import onnxruntime
    from tokenizers import Tokenizer

    folder = Path(model_path)
    if not folder.is_dir():
        raise RerankerConfigError(
            f"NEWSQA_RERANKER_MODEL_PATH: no such folder: {folder}"
            f" (it must hold {' and '.join(CROSS_ENCODER_FILES)} of an ONNX cross-encoder)"
        )
    missing = [name for name in CROSS_ENCODER_FILES if not (folder / name).is_file()]
    if missing:
        raise RerankerConfigError(
            f"NEWSQA_RERANKER_MODEL_PATH: {folder} has no {' and no '.join(missing)}"
            f" (an ONNX cross-encoder folder holds {' and '.join(CROSS_ENCODER_FILES)})"
        )
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime and tokenizers raise their own exception types
        raise RerankerConfigError(
            f"NEWSQA_RERANKER_MODEL_PATH: cannot load the cross-encoder in {folder}: {error}"
        ) from error
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return session, tokenizer, [i.name for i in session.get_inputs()]


class NeighbourWindowPostprocessor(BaseNodePostprocessor):
    """Widens each hit with the `window` chunks before and after it in its article.

    The hit keeps its id, metadata and score; its text becomes the window (the overlapping
    sentence between chunks shown once), and `window_positions` records which chunks it spans.
    A neighbour that is itself a hit is left to that hit.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    store: Any = Field(description="the NewsStore the hits came from")
    window: int = 1

    @classmethod
    def class_name(cls) -> str:
        return "NeighbourWindowPostprocessor"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if self.window < 1 or not nodes:
            return nodes
        hits = {r.node.node_id for r in nodes}
        wanted: dict[str, list[str]] = {}
        for result in nodes:
            meta = result.node.metadata
            article, position = meta.get("article_id"), meta.get("position")
            if article is None or position is None:
                continue
            ids = [
                f"{article}:{p}"
                for p in range(int(position) - self.window, int(position) + self.window + 1)
                if p >= 0 and p < int(meta.get("n_chunks", 1 << 30))
            ]
            wanted[result.node.node_id] = ids
        needed = sorted({i for ids in wanted.values() for i in ids if i not in hits})
        found = _fetch_texts(self.store, needed) if needed else {}
        widened = []
        for result in nodes:
            own = result.node.node_id
            ids = wanted.get(own, [])
            if not ids:
                widened.append(result)
                continue
            parts = [
                (i, result.node.get_content() if i == own else found[i])
                for i in ids
                if i == own or i in found
            ]
            if len(parts) == 1:
                widened.append(result)
                continue
            metadata = {
                **result.node.metadata,
                "window_positions": ",".join(i.rsplit(":", 1)[-1] for i, _ in parts),
            }
            node = TextNode(id_=own, text=join_passages([t for _, t in parts]), metadata=metadata)
            widened.append(NodeWithScore(node=node, score=result.score))
        return widened


def _fetch_texts(store: NewsStore, ids: Sequence[str]) -> dict[str, str]:
    page = store.collection.get(ids=list(ids), include=["documents"])
    return {i: d or "" for i, d in zip(page["ids"], page["documents"] or [], strict=False)}


def join_passages(texts: Sequence[str]) -> str:
    """Consecutive chunks as one text, the sentences two chunks share shown once."""
    from qa.text import split_sentences

    sentences: list[str] = []
    for text in texts:
        incoming = split_sentences(text)
        overlap = 0
        for k in range(min(len(sentences), len(incoming)), 0, -1):
            if sentences[-k:] == incoming[:k]:
                overlap = k
                break
        sentences.extend(incoming[overlap:])
    return " ".join(sentences)


def build_postprocessors(
    settings: Settings, store: NewsStore, llm: Callable[[], Any], usage: Any = None
) -> tuple[list[BaseNodePostprocessor], list[BaseNodePostprocessor]]:
    """(rerankers run on the fused candidates, postprocessors run on the final hits) from settings.

    `llm` is called only when the LLM reranker is asked for; its tokens go to `usage`.
    """
    rerankers: list[BaseNodePostprocessor] = []
    if settings.reranker == "llm":
        model = llm()
        if model is None:
            raise RerankerConfigError(
                "NEWSQA_RERANKER=llm needs an LLM: set NEWSQA_LLM_BASE_URL (or an API key or"
                " NEWSQA_LLM_MODEL_PATH) and an answer backend other than extractive"
            )
        rerankers.append(LLMReranker(llm=model, top_n=settings.reranker_top_n, usage=usage))
    elif settings.reranker == "cross-encoder":
        if settings.reranker_model_path is None:
            raise RerankerConfigError(
                "NEWSQA_RERANKER=cross-encoder needs NEWSQA_RERANKER_MODEL_PATH"
                f" (a folder with {' and '.join(CROSS_ENCODER_FILES)})"
            )
        rerankers.append(
            CrossEncoderReranker(
                model_path=settings.reranker_model_path, top_n=settings.reranker_top_n
            )
        )
    finishers: list[BaseNodePostprocessor] = []
    if settings.neighbour_window:
        finishers.append(
            NeighbourWindowPostprocessor(store=store, window=settings.neighbour_window)
        )
    return rerankers, finishers


__all__ = [
    "CrossEncoderReranker",
    "LLMReranker",
    "NeighbourWindowPostprocessor",
    "RerankerConfigError",
    "build_postprocessors",
    "join_passages",
    "parse_scores",
]
