"""Which exceptions are the user's to fix (shown as one line) rather than bugs (tracebacks),
and the one-line messages for a store that cannot be written or a Chroma server that says no."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.settings import Settings

# What SQLite (inside Chroma) says, and what it means for the user. Checked in this order:
# a full disk gives SQLITE_FULL; a write refused for another reason (a file-size limit, a
# failing disk) gives the generic SQLITE_IOERR "disk I/O error".
_SQLITE_REASONS = (
    (
        "readonly database",
        "the store is read-only (Chroma writes even to read: NEWSQA_HOME must be writable)",
    ),
    ("database or disk is full", "the disk is full"),
    ("disk i/o error", "a write failed (disk full, a file-size limit, or a failing disk)"),
    ("unable to open database file", "the database file cannot be opened"),
    # the same failures met while Chroma applies its write-ahead log to the index, which it
    # also does before a read: on a full disk even listing articles fails this way
    ("failed to apply logs", "Chroma could not apply a write to its index (is the disk full?)"),
    ("error in compaction", "Chroma could not apply a write to its index (is the disk full?)"),
)
_OS_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "a file-size limit was reached",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
_AFTER_WRITE_FAILURE = "what was stored before is kept; fix this and run the command again"


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
        # every LLMError (refused key, server down, HTTP 4xx) carries a one-line message
        from qa.llm import LLMError

        user_errors += (LLMError,)
    except ImportError:
        pass
    return isinstance(error, user_errors)


def user_message(error: BaseException, settings: Settings | None = None) -> str | None:
    """The one line to show for a failure the user can fix; None for a bug (show the traceback)."""
    if settings is not None:
        storage = store_failure(settings, error)
        if storage:
            return storage
    if is_user_error(error):
        return " ".join(str(error).split()) or type(error).__name__
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _storage_reason(error: BaseException) -> str | None:
    from chromadb.errors import ChromaError

    for link in _chain(error):
        if isinstance(link, OSError) and link.errno in _OS_REASONS:
            where = f" ({link.filename})" if link.filename else ""
            return _OS_REASONS[link.errno] + where
        if isinstance(link, ChromaError):
            text = str(link).lower()
            for marker, reason in _SQLITE_REASONS:
                if marker in text:
                    return reason
    return None


def store_failure(settings: Settings, error: BaseException) -> str | None:
    """One line naming the store and why it cannot be written, or None if `error` is not that."""
    reason = _storage_reason(error)
    if reason is None:
        return None
    if settings.chroma_host:
        where = f"the Chroma server at {_server_address(settings)}"
    else:
        where = f"{settings.chroma_path} (NEWSQA_HOME={settings.home})"
    return f"Cannot write to the store {where}: {reason}; {_AFTER_WRITE_FAILURE}."


def _server_url(settings: Settings) -> str:
    """Where Chroma's client sends requests: a full http(s) URL is used as given, port and all."""
    host = str(settings.chroma_host)
    if host.startswith(("http://", "https://")):
        return host.rstrip("/")
    return f"http://{host}:{settings.chroma_port}"


def _server_address(settings: Settings) -> str:
    from qa.llm import safe_url

    return safe_url(_server_url(settings)).removeprefix("http://")


def chroma_server_failure(settings: Settings, error: BaseException) -> str:
    """One line for a Chroma server that cannot be reached, refuses the token, or fails.

    Chroma's client reports a refusal from a proxy only as the body of the reply, so the
    server is asked once more for its heartbeat to learn the HTTP status.
    """
    import httpx

    where = f"the Chroma server at {_server_address(settings)}"
    url = f"{_server_url(settings)}/api/v2/heartbeat"
    token = settings.chroma_token
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
    try:
        reply = httpx.get(url, headers=headers, timeout=5.0)
    except httpx.HTTPError as probe_error:
        reason = " ".join(str(probe_error).split()) or type(probe_error).__name__
        return f"Cannot reach {where}: {reason}; is it running?"
    fix = "check NEWSQA_CHROMA_TOKEN" if token else "NEWSQA_CHROMA_TOKEN is not set"
    if reply.status_code in (401, 403):
        return (
            f"{where[0].upper()}{where[1:]} refused authentication (HTTP {reply.status_code} "
            f"{reply.reason_phrase}): {fix}."
        )
    detail = " ".join(str(error).split())[:300] or type(error).__name__
    return f"Cannot use {where} (heartbeat: HTTP {reply.status_code}): {detail}"
