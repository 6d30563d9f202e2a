"""The one place that builds the answering LLM from settings, and calls it with clear errors."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import openai
from llama_index.core.llms import LLM, ChatMessage, MessageRole

if TYPE_CHECKING:
    from qa.settings import Settings

KEY_ENV_VARS = "NEWSQA_LLM_API_KEY or OPENAI_API_KEY"
LLAMACPP_INSTALL = "pip install -e '.[llamacpp]'"
GEMMA_STOP = "<end_of_turn>"
# ask OpenAI-protocol servers for a final usage chunk on streams (LlamaIndex drops it when not streaming)
STREAM_USAGE = {"stream_options": {"include_usage": True}}


@dataclass
class TokenUsage:
    """Tokens one answer cost, added up over its LLM calls; priced when the settings carry prices.

    `estimated` is true when some call's server reported no usage and the count was made here
    (tiktoken's cl100k_base for OpenAI-protocol servers)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, prompt: int, completion: int, *, estimated: bool = False) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.calls += 1
        self.estimated = self.estimated or estimated

    def cost_usd(self, settings: Settings) -> float | None:
        """Price from NEWSQA_LLM_PRICE_PROMPT / _COMPLETION (USD per million tokens); None unpriced."""
        if settings.llm_price_prompt is None or settings.llm_price_completion is None:
            return None
        return (
            self.prompt_tokens * settings.llm_price_prompt
            + self.completion_tokens * settings.llm_price_completion
        ) / 1_000_000

    def as_dict(self, settings: Settings | None = None) -> dict[str, object]:
        cost = self.cost_usd(settings) if settings is not None else None
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "calls": self.calls,
            "estimated": self.estimated,
            "cost_usd": None if cost is None else round(cost, 8),
        }


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
            additional_kwargs=STREAM_USAGE,
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
        additional_kwargs=STREAM_USAGE,
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


def chat(llm: LLM, messages: Sequence[ChatMessage], usage: TokenUsage | None = None) -> str:
    """Send messages and return the whole reply text; its tokens are added to `usage`."""
    try:
        response = llm.chat(list(messages))
    except Exception as exc:
        _raise_translated(llm, exc)
        raise
    reply = response.message.content or ""
    if usage is not None:
        _count(llm, messages, reply, response.additional_kwargs or _raw_usage(response.raw), usage)
    return reply


def chat_prompt(llm: LLM, name: str, usage: TokenUsage | None = None, **variables: object) -> str:
    """Render `prompts/<name>.md` as a system and a user message, send them, return the reply."""
    from qa.prompts import render_prompt

    prompt = render_prompt(name, **variables)
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, content=prompt.system),
        ChatMessage(role=MessageRole.USER, content=prompt.user),
    ]
    return chat(llm, messages, usage)


def chat_stream(
    llm: LLM, messages: Sequence[ChatMessage], usage: TokenUsage | None = None
) -> Iterator[str]:
    """Send messages and yield the reply as text deltas; its tokens are added to `usage` at the end."""
    reported: dict[str, object] = {}
    parts: list[str] = []
    try:
        for response in llm.stream_chat(list(messages)):
            if response.additional_kwargs.get("prompt_tokens") is not None:
                reported = dict(response.additional_kwargs)
            if response.delta:
                parts.append(response.delta)
                yield response.delta
    except Exception as exc:
        _raise_translated(llm, exc)
        raise
    if usage is not None:
        _count(llm, messages, "".join(parts), reported, usage)


def _raw_usage(raw: object) -> dict[str, object]:
    """llama-cpp-python's completion dict carries OpenAI-style usage."""
    found = raw.get("usage") if isinstance(raw, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def _count(
    llm: LLM,
    messages: Sequence[ChatMessage],
    reply: str,
    reported: dict[str, object],
    usage: TokenUsage,
) -> None:
    """The server's own count when it gave one; else the model's tokenizer (llama.cpp), else
    tiktoken's cl100k_base as an estimate."""
    prompt, completion = reported.get("prompt_tokens"), reported.get("completion_tokens")
    if isinstance(prompt, int) and isinstance(completion, int):
        usage.add(prompt, completion)
        return
    tokenize = _local_tokenizer(llm)
    if tokenize is not None:
        render = llm.messages_to_prompt or gemma_messages_to_prompt  # what the model was given
        prompt_text = render(messages)
        usage.add(len(tokenize(prompt_text)), len(tokenize(reply)))
        return
    encoding = _cl100k()
    prompt_count = sum(len(encoding.encode(m.content or "")) + 4 for m in messages)
    usage.add(prompt_count, len(encoding.encode(reply)), estimated=True)


def _local_tokenizer(llm: LLM) -> Callable[[str], list[int]] | None:
    model = getattr(llm, "_model", None)  # LlamaCPP keeps its llama_cpp.Llama here
    if model is None or not hasattr(model, "tokenize"):
        return None
    return lambda text: model.tokenize(text.encode("utf-8"), add_bos=False, special=True)


def _cl100k() -> Any:
    import tiktoken

    from qa.offline import prepare_offline_runtime

    prepare_offline_runtime()
    return tiktoken.get_encoding("cl100k_base")


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
