"""Shared fixtures: every test gets its own NEWSQA_HOME and a real Chroma on a temp dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa.offline import prepare_offline_runtime

prepare_offline_runtime()

# the scripted OpenAI-protocol server (a real HTTP server on 127.0.0.1)
from chroma_server import chroma_server  # noqa: E402,F401
from openai_server import openai_server  # noqa: E402,F401

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT / "samples" / "thehindu-kim-putin-2023-09-05.txt"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """NEWSQA_HOME in a temp dir, and no LLM settings leaking in from the environment."""
    home = tmp_path / "home"
    monkeypatch.setenv("NEWSQA_HOME", str(home))
    for name in list(os.environ):
        if (name.startswith("NEWSQA_") and name != "NEWSQA_HOME") or name == "OPENAI_API_KEY":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # a stray ./.env or ./data of the developer is never read
    return home


def module_newsqa(tmp_path_factory: pytest.TempPathFactory, embed_model, name: str):  # type: ignore[no-untyped-def]
    """A NewsQA on a home of its own, for a module-scoped fixture: settings read as
    isolated_home reads them (no NEWSQA_ or OpenAI variables of the developer)."""
    from qa.pipeline import NewsQA
    from qa.settings import Settings

    home = tmp_path_factory.mktemp(name) / "home"
    with pytest.MonkeyPatch.context() as patch:
        for variable in list(os.environ):
            if variable.startswith("NEWSQA_") or variable == "OPENAI_API_KEY":
                patch.delenv(variable)
        patch.chdir(home.parent)
        settings = Settings(home=home)
    return NewsQA(settings, embed_model=embed_model)


@pytest.fixture(scope="session")
def embed_model():  # type: ignore[no-untyped-def]
    """The real MiniLM int8 ONNX model, loaded once per test session."""
    from qa.embed import MiniLMEmbedding

    return MiniLMEmbedding()


@pytest.fixture
def settings(isolated_home: Path):  # type: ignore[no-untyped-def]
    from qa.settings import Settings

    return Settings(home=isolated_home)


@pytest.fixture
def llm_settings(settings, openai_server):  # type: ignore[no-untyped-def]  # noqa: F811
    """Settings answering through the scripted OpenAI-protocol server on 127.0.0.1."""
    return settings.model_copy(
        update={
            "answer_backend": "openai-compatible",
            "llm_base_url": openai_server.base_url,
            "llm_model": "scripted",
            "llm_max_retries": 0,
            "llm_timeout_s": 5,
        }
    )


@pytest.fixture
def newsqa(settings, embed_model):  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    return NewsQA(settings, embed_model=embed_model)


@pytest.fixture
def loaded(newsqa):  # type: ignore[no-untyped-def]
    """A collection holding the seed page and the six fixture articles."""
    report = newsqa.ingest([SEED, FIXTURES / "articles.jsonl"])
    assert not report.failures, report.failures
    return newsqa
