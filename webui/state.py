"""The app's shared resources: settings, one cached NewsQA per configuration, the outlet list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from qa.render import escape_markdown
from qa.settings import Settings, load_settings

LLM_SETTINGS_HINT = (
    "No LLM is configured, so answers quote the articles (extractive mode). For written "
    "answers set `NEWSQA_LLM_BASE_URL` (an OpenAI-compatible server such as Ollama or "
    "llama.cpp), `OPENAI_API_KEY` (OpenAI), or `NEWSQA_LLM_MODEL_PATH` (a local GGUF file), "
    "then restart the app."
)


def current_settings() -> Settings:
    """Settings as the environment (and .env) give them now."""
    return load_settings()


@st.cache_resource(show_spinner="Loading the embedding model…")
def _embed_model(embed_backend: str, embed_model: str, _settings: Settings) -> Any:
    from qa.embed import build_embed_model

    return build_embed_model(_settings)


@st.cache_resource(show_spinner="Opening the news index…")
def _open_newsqa(settings_json: str, _settings: Settings) -> Any:
    from qa.pipeline import NewsQA

    embed = _embed_model(_settings.embed_backend, _settings.embed_model, _settings)
    return NewsQA(_settings, embed_model=embed)


def open_newsqa(settings: Settings) -> Any:
    """The NewsQA for these settings (one per configuration, shared by pages and sessions)."""
    try:
        return _open_newsqa(settings.model_dump_json(), settings)
    except Exception as error:  # a broken store or model: say what, never a blank page
        st.error(f"Cannot open the news index: {escape_markdown(str(error))}")
        st.stop()


@dataclass(frozen=True)
class CorpusFacts:
    """What the filters offer: the outlets, sections and date span of the articles in the store."""

    outlets: tuple[str, ...]
    earliest: str | None
    articles: int
    sections: tuple[str, ...] = ()


@st.cache_data(show_spinner=False, max_entries=16)
def _corpus_facts(settings_json: str, chunks: int, _qa: Any) -> CorpusFacts:
    records = _qa.articles()
    outlets = sorted({r.source for r in records if r.source}, key=str.lower)
    sections = sorted({r.section for r in records if r.section}, key=str.lower)
    dates = sorted(r.published_at for r in records if r.published_at)
    return CorpusFacts(tuple(outlets), dates[0] if dates else None, len(records), tuple(sections))


def corpus_facts(qa: Any) -> CorpusFacts:
    """Outlets, sections and dates of the store, recomputed only when its size changes."""
    return _corpus_facts(qa.settings.model_dump_json(), qa.store.count_chunks(), qa)


def describe_backend(qa: Any) -> str:
    """The active answer backend and model, in one line (never a key)."""
    from qa.llm import describe_llm

    return describe_llm(qa.settings)


def show_backend(qa: Any) -> None:
    """Backend and model; when no LLM is configured, which setting turns one on."""
    backend = describe_backend(qa).replace("`", "'")
    st.caption(f"Answer backend: `{backend}`")
    if qa.backend == "extractive" and qa.settings.answer_backend == "auto":
        st.info(LLM_SETTINGS_HINT, icon=":material/info:")


def forget_corpus_facts() -> None:
    """After ingesting or deleting: the outlet and section lists and dates are read again."""
    _corpus_facts.clear()
