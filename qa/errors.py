"""Which exceptions are the user's to fix (shown as one line) rather than bugs (tracebacks)."""

from __future__ import annotations


def is_user_error(error: BaseException) -> bool:
    from pydantic import ValidationError

    from qa.embed import EmbeddingModelMissing
    from qa.prompts import PromptError
    from qa.store import StoreError

    user_errors: tuple[type[BaseException], ...] = (
        StoreError,
        PromptError,
        EmbeddingModelMissing,
        ValidationError,
        ValueError,
    )
    try:
        from qa.llm import LLMConfigError, LLMUnavailableError

        user_errors += (LLMConfigError, LLMUnavailableError)
    except ImportError:
        pass
    return isinstance(error, user_errors)
