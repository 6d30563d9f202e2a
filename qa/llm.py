"""The one place that builds the answering LLM from settings, and calls it with clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx
import openai
from llama_index.core.llms import LLM, ChatMessage, MessageRole

if TYPE_CHECKING:
    from qa.settings import Settings

KEY_ENV_VARS = "NEWSQA_LLM_API_KEY or OPENAI_API_KEY"
LLAMACPP_INSTALL = "pip install -e '.[llamacpp]'"
GEMMA_STOP = "<end_of_turn>"


class LLMError(RuntimeError):
    """An LLM could not be built or did not answer."""


class LLMConfigError(LLMError):
    """The settings do not describe an LLM that can be built or used."""


class LLMUnavailableError(LLMError):
    """The LLM server could not be reached, timed out, or failed (after retries)."""


def build_llm(settings: Settings) -> LLM | None:
    """Build the LLM the settings ask for; None for the extractive backend."""
    backend = settings.resolved_answer_backend()
    if backend == "extractive":
        return None
    if backend == "openai":
        return _build_openai(settings)
    if backend == "openai-compatible":
        return _build_openai_compatible(settings)
    if backend == "llamacpp":
        return _build_llamacpp(settings)
    raise LLMConfigError(f"answer_backend: unknown backend {backend!r}")


def describe_llm(settings: Settings) -> str:
    """One line naming the backend, model and where it runs; never the API key."""
    backend = settings.resolved_answer_backend()
    if backend == "extractive":
        return "extractive (no LLM)"
    if backend == "llamacpp":
        return f"llamacpp · {settings.llm_model_path or '(no NEWSQA_LLM_MODEL_PATH)'}"
    where = f" @ {safe_url(settings.llm_base_url)}" if settings.llm_base_url else ""
    return f"{backend} · {settings.llm_model}{where}"


def _api_key(settings: Settings) -> str | None:
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    return key or None


def _build_openai(settings: Settings) -> LLM:
    from llama_index.llms.openai import OpenAI

    key = _api_key(settings)
    if key is None:
        raise LLMConfigError(f"answer_backend=openai needs an API key: set {KEY_ENV_VARS}")
    try:
        return OpenAI(
            model=settings.llm_model,
            api_key=key,
            api_base=settings.llm_base_url,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    except ValueError as exc:  # e.g. a model only served by the Responses API
        raise LLMConfigError(f"llm_model={settings.llm_model!r}: {exc}") from None


def _build_openai_compatible(settings: Settings) -> LLM:
    from llama_index.llms.openai_like import OpenAILike

    if not settings.llm_base_url:
        raise LLMConfigError(
            "answer_backend=openai-compatible needs NEWSQA_LLM_BASE_URL"
            " (e.g. http://127.0.0.1:11434/v1)"
        )
    return OpenAILike(
        model=settings.llm_model,
        api_base=settings.llm_base_url,
        api_key=_api_key(settings) or "not-needed",
        is_chat_model=True,
        context_window=settings.llm_context_window,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )


def _build_llamacpp(settings: Settings) -> LLM:
    path = settings.llm_model_path
    if path is None:
        raise LLMConfigError("answer_backend=llamacpp needs NEWSQA_LLM_MODEL_PATH (a .gguf file)")
    if not Path(path).is_file():
        raise LLMConfigError(f"NEWSQA_LLM_MODEL_PATH: no such file: {path}")
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError as exc:
        raise LLMConfigError(
            f"answer_backend=llamacpp needs the llamacpp extra ({exc.name} is missing):"
            f" {LLAMACPP_INSTALL}"
        ) from None
    try:
        return LlamaCPP(
            model_path=str(path),
            temperature=settings.llm_temperature,
            max_new_tokens=settings.llm_max_tokens,
            context_window=settings.llm_context_window,
            messages_to_prompt=gemma_messages_to_prompt,
            completion_to_prompt=gemma_completion_to_prompt,
            generate_kwargs={"stop": [GEMMA_STOP]},
            verbose=False,
        )
    except ValueError as exc:  # llama.cpp's "Failed to load model from file"
        raise LLMConfigError(f"NEWSQA_LLM_MODEL_PATH: cannot load {path}: {exc}") from None


def gemma_messages_to_prompt(messages: Sequence[ChatMessage]) -> str:
    """Render chat messages in Gemma's turn format, ending with an open model turn."""
    system = "\n\n".join(m.content or "" for m in messages if m.role == MessageRole.SYSTEM)
    turns: list[str] = []
    for message in messages:
        if message.role == MessageRole.SYSTEM:
            continue
        role = "model" if message.role == MessageRole.ASSISTANT else "user"
        text = message.content or ""
        if system and role == "user" and not any(t.startswith("user") for t in turns):
            text = f"{system}\n\n{text}"  # Gemma has no system role: it leads the first user turn
        turns.append(f"{role}\n{text}")
    if not turns and system:
        turns.append(f"user\n{system}")
    rendered = "".join(f"<start_of_turn>{turn}{GEMMA_STOP}\n" for turn in turns)
    return f"{rendered}<start_of_turn>model\n"


def gemma_completion_to_prompt(completion: str, system_prompt: str | None = None) -> str:
    """Wrap a bare prompt as one Gemma user turn followed by an open model turn."""
    messages = [ChatMessage(role=MessageRole.USER, content=completion)]
    if system_prompt:
        messages.insert(0, ChatMessage(role=MessageRole.SYSTEM, content=system_prompt))
    return gemma_messages_to_prompt(messages)


def chat(llm: LLM, messages: Sequence[ChatMessage]) -> str:
    """Send messages and return the whole reply text."""
    try:
        return llm.chat(list(messages)).message.content or ""
    except Exception as exc:
        _raise_translated(llm, exc)
        raise


def chat_stream(llm: LLM, messages: Sequence[ChatMessage]) -> Iterator[str]:
    """Send messages and yield the reply as text deltas."""
    try:
        for response in llm.stream_chat(list(messages)):
            if response.delta:
                yield response.delta
    except Exception as exc:
        _raise_translated(llm, exc)
        raise


def safe_url(url: str) -> str:
    """The URL without any user:password part."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _describe_instance(llm: LLM) -> str:
    name = type(llm).__name__
    backend = {"OpenAILike": "openai-compatible", "OpenAI": "openai", "LlamaCPP": "llamacpp"}
    base = getattr(llm, "api_base", None) or getattr(llm, "model_path", None) or "?"
    return f"{backend.get(name, name)} LLM {getattr(llm, 'model', '')!s} at {safe_url(str(base))}"


def _redact(text: str, llm: LLM) -> str:
    key = getattr(llm, "api_key", None)
    if isinstance(key, str) and len(key) >= 4:
        text = text.replace(key, "***")
    return " ".join(text.split())[:300]


def _raise_translated(llm: LLM, exc: Exception) -> None:
    """Re-raise an OpenAI-protocol failure as an LLMError with a one-line message."""
    if isinstance(exc, LLMError) or not hasattr(llm, "api_base"):
        return  # local backends raise their own errors; ours pass through
    where = _describe_instance(llm)
    retries = f"after {getattr(llm, 'max_retries', 0)} retries"
    reason: str | None = None
    if isinstance(exc, openai.APITimeoutError):
        reason = f"no reply within {getattr(llm, 'timeout', 0):g}s ({retries})"
    elif isinstance(exc, openai.APIConnectionError):
        reason = f"cannot connect ({retries})"
    elif isinstance(exc, openai.APIStatusError) and exc.status_code in (408, 429):
        reason = f"HTTP {exc.status_code}, server busy or rate limited ({retries})"
    elif isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        reason = f"HTTP {exc.status_code} ({retries})"
    elif isinstance(exc, openai.APIStatusError):
        raise _status_error(llm, where, exc) from exc
    elif isinstance(exc, httpx.TransportError):
        reason = f"connection lost mid-reply ({type(exc).__name__})"
    elif isinstance(exc, json.JSONDecodeError | openai.APIResponseValidationError):
        reason = "the reply is not valid OpenAI-protocol JSON"
    if reason is None:
        return
    raise LLMUnavailableError(f"{where} is unavailable: {reason}") from exc


def _status_error(llm: LLM, where: str, exc: openai.APIStatusError) -> LLMError:
    status = exc.status_code
    body = exc.body if isinstance(exc.body, dict) else {}
    detail = _redact(str(body.get("message") or exc.message), llm)
    if status in (401, 403):
        return LLMConfigError(f"{where}: HTTP {status}, the API key was refused ({KEY_ENV_VARS})")
    if status == 404:
        return LLMConfigError(f"{where}: HTTP 404, unknown model or wrong URL: {detail}")
    return LLMError(f"{where}: HTTP {status}: {detail}")
