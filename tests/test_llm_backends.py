"""qa.llm against a real OpenAI-protocol server on 127.0.0.1, through the real clients.

The `openai_server` fixture comes from tests/openai_server.py via conftest.py, which also
clears NEWSQA_* / OPENAI_API_KEY from the environment and runs each test in a temp dir.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_index.core.llms import ChatMessage, MessageRole
from openai_server import (
    OpenAIServer,
    drop_stream,
    garbage,
    hang,
    http_error,
    unused_base_url,
)

from qa.llm import (
    LLMConfigError,
    LLMError,
    LLMUnavailableError,
    build_llm,
    chat,
    chat_stream,
    describe_llm,
    gemma_messages_to_prompt,
)
from qa.settings import Settings

FAKE_KEY = "sk-test-SECRET"
MESSAGES = [
    ChatMessage(role=MessageRole.SYSTEM, content="Answer from the passages only."),
    ChatMessage(role=MessageRole.USER, content="Who won the election?"),
]


def make_settings(tmp_path: Path, base_url: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "home": tmp_path,
        "answer_backend": "openai-compatible",
        "llm_base_url": base_url,
        "llm_model": "scripted",
        "llm_max_retries": 0,
        "NEWSQA_LLM_API_KEY": FAKE_KEY,  # the field is only settable through its aliases
    }
    values.update(overrides)
    return Settings(**values)


def test_chat_returns_scripted_reply(tmp_path: Path, openai_server: OpenAIServer) -> None:
    openai_server.script("Alice won [1].")
    llm = build_llm(make_settings(tmp_path, openai_server.base_url))
    assert llm is not None
    assert chat(llm, MESSAGES) == "Alice won [1]."


def test_chat_stream_yields_deltas_that_join_to_reply(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    reply = "Alice won the election with 52 percent [1]."
    openai_server.script(reply)
    llm = build_llm(make_settings(tmp_path, openai_server.base_url))
    assert llm is not None
    deltas = list(chat_stream(llm, MESSAGES))
    assert len(deltas) > 3
    assert "".join(deltas) == reply
    assert openai_server.requests[0]["stream"] is True


def test_request_carries_our_messages_model_and_settings(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    openai_server.respond_with(lambda body: f"echo: {body['messages'][-1]['content']}")
    settings = make_settings(
        tmp_path, openai_server.base_url, llm_temperature=0.2, llm_max_tokens=77
    )
    llm = build_llm(settings)
    assert llm is not None
    assert chat(llm, MESSAGES) == "echo: Who won the election?"
    [body] = openai_server.requests
    assert body["messages"] == [
        {"role": "system", "content": "Answer from the passages only."},
        {"role": "user", "content": "Who won the election?"},
    ]
    assert body["model"] == "scripted"
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 77
    assert openai_server.headers[0]["Authorization"] == f"Bearer {FAKE_KEY}"


def test_openai_compatible_without_key_sends_placeholder(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    openai_server.script("ok")
    settings = make_settings(tmp_path, openai_server.base_url, NEWSQA_LLM_API_KEY=None)
    llm = build_llm(settings)
    assert llm is not None
    assert chat(llm, MESSAGES) == "ok"
    assert openai_server.headers[0]["Authorization"] == "Bearer not-needed"


def test_openai_backend_talks_to_its_base_url_with_the_key(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    openai_server.script("from the openai backend")
    settings = make_settings(
        tmp_path, openai_server.base_url, answer_backend="openai", llm_model="gpt-4o-mini"
    )
    llm = build_llm(settings)
    assert type(llm).__name__ == "OpenAI"
    assert chat(llm, MESSAGES) == "from the openai backend"
    assert openai_server.headers[0]["Authorization"] == f"Bearer {FAKE_KEY}"


def test_server_error_then_reply_is_retried(tmp_path: Path, openai_server: OpenAIServer) -> None:
    openai_server.script(http_error(500), "second time lucky")
    llm = build_llm(make_settings(tmp_path, openai_server.base_url, llm_max_retries=1))
    assert llm is not None
    assert chat(llm, MESSAGES) == "second time lucky"
    assert len(openai_server.requests) == 2


def assert_unavailable(error: pytest.ExceptionInfo[LLMUnavailableError], *words: str) -> None:
    message = str(error.value)
    assert FAKE_KEY not in message
    assert "\n" not in message
    assert "openai-compatible" in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("streaming", [False, True], ids=["chat", "stream"])
def test_http_500_raises_unavailable_naming_url_not_key(
    tmp_path: Path, openai_server: OpenAIServer, streaming: bool
) -> None:
    openai_server.script(http_error(500))
    llm = build_llm(make_settings(tmp_path, openai_server.base_url))
    assert llm is not None
    with pytest.raises(LLMUnavailableError) as error:
        list(chat_stream(llm, MESSAGES)) if streaming else chat(llm, MESSAGES)
    assert_unavailable(error, "HTTP 500", openai_server.base_url)


@pytest.mark.parametrize("streaming", [False, True], ids=["chat", "stream"])
def test_down_server_raises_unavailable(tmp_path: Path, streaming: bool) -> None:
    url = unused_base_url()
    llm = build_llm(make_settings(tmp_path, url))
    assert llm is not None
    with pytest.raises(LLMUnavailableError) as error:
        list(chat_stream(llm, MESSAGES)) if streaming else chat(llm, MESSAGES)
    assert_unavailable(error, "cannot connect", url)


def test_hanging_server_raises_unavailable_after_timeout(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    openai_server.script(hang(30))
    llm = build_llm(make_settings(tmp_path, openai_server.base_url, llm_timeout_s=1))
    assert llm is not None
    with pytest.raises(LLMUnavailableError) as error:
        chat(llm, MESSAGES)
    assert_unavailable(error, "no reply within 1s", openai_server.base_url)


@pytest.mark.parametrize("streaming", [False, True], ids=["chat", "stream"])
def test_garbage_reply_raises_unavailable(
    tmp_path: Path, openai_server: OpenAIServer, streaming: bool
) -> None:
    openai_server.script(garbage())
    llm = build_llm(make_settings(tmp_path, openai_server.base_url))
    assert llm is not None
    with pytest.raises(LLMUnavailableError) as error:
        list(chat_stream(llm, MESSAGES)) if streaming else chat(llm, MESSAGES)
    assert_unavailable(error, "not valid")


def test_stream_closed_midway_raises_after_partial_deltas(
    tmp_path: Path, openai_server: OpenAIServer
) -> None:
    openai_server.script(drop_stream("Alice won the"))
    llm = build_llm(make_settings(tmp_path, openai_server.base_url))
    assert llm is not None
    received: list[str] = []
    with pytest.raises(LLMUnavailableError) as error:
        for delta in chat_stream(llm, MESSAGES):
            received.append(delta)
    assert "".join(received) == "Alice won the"
    assert_unavailable(error, "connection lost mid-reply")


@pytest.mark.parametrize(
    ("status", "error_type", "words"),
    [
        (401, LLMConfigError, "API key was refused"),
        (404, LLMConfigError, "unknown model or wrong URL"),
        (400, LLMError, "scripted HTTP 400"),
        (429, LLMUnavailableError, "rate limited"),
    ],
)
def test_client_errors_raise_llm_errors_naming_status_not_key(
    tmp_path: Path,
    openai_server: OpenAIServer,
    status: int,
    error_type: type[LLMError],
    words: str,
) -> None:
    openai_server.script(http_error(status))
    llm = build_llm(make_settings(tmp_path, openai_server.base_url))
    assert llm is not None
    with pytest.raises(error_type) as error:
        chat(llm, MESSAGES)
    message = str(error.value)
    assert f"HTTP {status}" in message
    assert words in message
    assert FAKE_KEY not in message


def test_openai_backend_without_key_raises_config_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, answer_backend="openai", NEWSQA_LLM_API_KEY=None)
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        build_llm(settings)


def test_openai_compatible_without_base_url_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(LLMConfigError, match="NEWSQA_LLM_BASE_URL"):
        build_llm(make_settings(tmp_path, None))


def test_llamacpp_with_missing_model_file_raises_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    settings = make_settings(tmp_path, None, answer_backend="llamacpp", llm_model_path=missing)
    with pytest.raises(LLMConfigError, match="no such file"):
        build_llm(settings)


def test_llamacpp_without_the_extra_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setitem(sys.modules, "llama_index.llms.llama_cpp", None)  # import fails
    settings = make_settings(tmp_path, None, answer_backend="llamacpp", llm_model_path=model)
    with pytest.raises(LLMConfigError, match=re.escape("pip install -e '.[llamacpp]'")):
        build_llm(settings)


def test_extractive_backend_builds_no_llm(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, answer_backend="extractive")
    assert build_llm(settings) is None
    assert describe_llm(settings).startswith("extractive")


@pytest.mark.parametrize("backend", ["openai", "openai-compatible", "llamacpp", "auto"])
def test_describe_llm_never_includes_key(tmp_path: Path, backend: str) -> None:
    url = "http://127.0.0.1:11434/v1"
    settings = make_settings(tmp_path, url, answer_backend=backend, llm_model="llama3")
    description = describe_llm(settings)
    assert FAKE_KEY not in description
    assert description.startswith("openai" if backend == "auto" else backend)


def test_describe_llm_names_model_and_url_without_credentials(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "http://user:pw@127.0.0.1:11434/v1", llm_model="llama3")
    assert describe_llm(settings) == "openai-compatible · llama3 @ http://127.0.0.1:11434/v1"


def test_models_endpoint_lists_the_scripted_model(openai_server: OpenAIServer) -> None:
    response = httpx.get(f"{openai_server.base_url}/models")
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["data"]] == ["scripted"]


def test_gemma_prompt_puts_system_into_first_user_turn_and_opens_model_turn() -> None:
    history = [
        *MESSAGES,
        ChatMessage(role=MessageRole.ASSISTANT, content="Alice."),
        ChatMessage(role=MessageRole.USER, content="By how much?"),
    ]
    assert gemma_messages_to_prompt(history) == (
        "<start_of_turn>user\nAnswer from the passages only.\n\nWho won the election?"
        "<end_of_turn>\n"
        "<start_of_turn>model\nAlice.<end_of_turn>\n"
        "<start_of_turn>user\nBy how much?<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
