"""All of newsqa's settings in one place: read once from the environment (prefix NEWSQA_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

AnswerBackend = Literal["auto", "extractive", "openai", "openai-compatible", "llamacpp"]
EmbedBackend = Literal["local", "openai"]
RetrieverMode = Literal["hybrid", "dense", "bm25"]


class Settings(BaseSettings):
    """newsqa configuration. Every field is documented in README.md and .env.example."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    home: Path = Field(Path("data"), description="Folder for everything newsqa writes.")
    collection: str = Field(
        "news", pattern=r"^[a-zA-Z0-9._-]{3,63}$", description="Chroma collection name."
    )

    # Embeddings
    embed_backend: EmbedBackend = Field("local", description="local MiniLM ONNX, or openai.")
    embed_model: str = Field(
        "text-embedding-3-small", description="OpenAI embedding model (embed_backend=openai)."
    )
    embed_batch_size: int = Field(32, ge=1, le=512, description="Texts per embedding batch.")

    # Chroma server (embedded PersistentClient under home when host is unset)
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_token: SecretStr | None = Field(None, description="Chroma server auth token.")

    # Chunking and retrieval
    chunk_words: int = Field(120, ge=20, le=400, description="Target words per chunk.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences shared by chunks.")
    top_k: int = Field(6, ge=1, le=50, description="Passages retrieved per question.")
    retriever: RetrieverMode = Field(
        "hybrid", description="hybrid (dense + BM25 fused), dense, or bm25."
    )
    retrieval_candidates: int = Field(
        50, ge=5, le=500, description="Candidates per retriever before fusion."
    )
    fusion_dense_weight: float = Field(
        1.0, ge=0.0, description="Weight of the dense cosine in fusion."
    )
    fusion_lexical_weight: float = Field(
        0.3, ge=0.0, description="Weight of normalised BM25 in fusion."
    )
    recency_weight: float = Field(
        1.0, ge=0.0, description="Weight of the recency prior (as-of questions)."
    )
    recency_half_life_days: float = Field(
        7.0, gt=0.0, description="Days after which the recency prior halves."
    )
    max_chunks_per_article: int = Field(
        2, ge=1, le=20, description="Most passages one article may fill."
    )
    query_expansion_terms: int = Field(
        0, ge=0, le=50, description="BM25 terms added from the first hits (0 = no expansion)."
    )
    query_expansion_weight: float = Field(
        0.3, ge=0.0, description="Weight of the expansion terms' BM25 score."
    )
    reranker: Literal["none", "cross-encoder", "llm"] = Field(
        "none", description="Rerank fused candidates: none, cross-encoder (local ONNX), or llm."
    )
    reranker_model_path: Path | None = Field(
        None, description="Folder with model.onnx and tokenizer.json of a cross-encoder."
    )
    reranker_top_n: int = Field(20, ge=2, le=100, description="Candidates the reranker scores.")
    neighbour_window: int = Field(
        0, ge=0, le=3, description="Chunks before and after each hit shown to the answerer."
    )
    decompose: Literal["auto", "rules", "off"] = Field(
        "auto",
        description="Split multi-part questions: auto (the LLM when one answers, else rules), rules, off.",
    )

    # Answering
    answer_backend: AnswerBackend = Field(
        "auto", description="auto picks an LLM when one is configured, else extractive."
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name for openai / openai-compatible.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible server URL (…/v1).")
    llm_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("NEWSQA_LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key (falls back to OPENAI_API_KEY).",
    )
    llm_model_path: Path | None = Field(None, description="GGUF file for the llamacpp backend.")
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    llm_max_tokens: int = Field(512, ge=16, le=8192, description="Longest answer in tokens.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds before an LLM call gives up.")
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries on LLM server errors.")
    llm_context_window: int = Field(
        8192, ge=512, description="Context window the LLM is given (GGUF and OpenAI-compatible)."
    )
    llm_price_prompt: float | None = Field(
        None,
        ge=0,
        description="Price of prompt tokens, USD per million (prices answers and eval runs).",
    )
    llm_price_completion: float | None = Field(
        None, ge=0, description="Price of completion tokens, USD per million."
    )
    answer_prompt: str = Field("answer.v2", description="Prompt file in prompts/ (no .md).")
    min_answer_score: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Extractive: refuse below this answerability (0-1, from the best sentence"
        " and its retrieval score; set on the harness).",
    )
    max_answer_sentences: int = Field(3, ge=1, le=10, description="Extractive: sentences used.")

    # Ingestion from the web
    fetch_timeout_s: float = Field(
        15.0, gt=0, le=300, description="Seconds one URL fetch may take, redirects included."
    )
    max_page_bytes: int = Field(
        10_000_000, ge=10_000, description="Largest page or feed fetched or read, in bytes."
    )
    allow_private_urls: bool = Field(
        False,
        description="Fetch URLs on loopback, private or link-local addresses (off: SSRF guard).",
    )
    respect_robots: bool = Field(
        True, description="Honour each site's robots.txt for the newsqa user agent when fetching."
    )

    # App
    app_host: str = Field("127.0.0.1", description="Address the web app binds.")
    app_port: int = Field(8501, description="Port of the web app.")

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def lexical_path(self) -> Path:
        return self.home / "lexical" / self.collection

    def resolved_answer_backend(self) -> str:
        """The backend `auto` stands for: an LLM when one is configured, else extractive."""
        if self.answer_backend != "auto":
            return self.answer_backend
        if self.llm_base_url:
            return "openai-compatible"
        if self.llm_model_path:
            return "llamacpp"
        if self.llm_api_key:
            return "openai"
        return "extractive"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and .env), with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
