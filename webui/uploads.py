"""Uploaded files: checked for type and size, saved only under NEWSQA_HOME/uploads, safely named."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

UPLOAD_SUFFIXES = (".txt", ".html", ".htm", ".json", ".jsonl", ".csv")
MAX_UPLOAD_MB = 50  # per file; .streamlit/config.toml's server.maxUploadSize says the same
MAX_NAME_CHARS = 80


class UploadRejected(ValueError):
    """An upload that is not saved: the message names the file and the reason."""


def safe_upload_name(name: str) -> str:
    """A file name that cannot leave its folder: last path part, [A-Za-z0-9._-] only, no dot first."""
    last = re.split(r"[/\\]", name)[-1]
    plain = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain)
    stem, dot, suffix = plain.rpartition(".")
    suffix = suffix.lower() if dot else ""
    if f".{suffix}" not in UPLOAD_SUFFIXES:
        shown = f".{suffix}" if suffix else "no extension"
        raise UploadRejected(
            f"{name!r}: unsupported file type ({shown}); expected one of {', '.join(UPLOAD_SUFFIXES)}"
        )
    # no leading dot (hidden file), no ".." anywhere
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")[:MAX_NAME_CHARS].rstrip("._-") or "upload"
    return f"{stem}.{suffix}"


def uploads_folder(home: Path) -> Path:
    return Path(home) / "uploads"


def save_upload(home: Path, name: str, data: bytes, *, max_mb: float = MAX_UPLOAD_MB) -> Path:
    """Write an upload under HOME/uploads as `<content hash>-<safe name>`; never outside it."""
    if len(data) > max_mb * 1024 * 1024:
        raise UploadRejected(
            f"{name!r}: {len(data) / 1024 / 1024:.1f} MB is over the {max_mb:g} MB limit"
        )
    if not data.strip():
        raise UploadRejected(f"{name!r}: the file is empty")
    safe = safe_upload_name(name)
    folder = uploads_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{hashlib.sha256(data).hexdigest()[:12]}-{safe}"
    if target.resolve().parent != folder.resolve():  # belt and braces: the name has no separators
        raise UploadRejected(f"{name!r}: unsafe file name")
    try:
        # O_NOFOLLOW/O_EXCL: never write through a link planted in the folder, never overwrite
        fd = os.open(
            target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644
        )
    except FileExistsError:
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            return target  # the same file uploaded again
        raise UploadRejected(f"{name!r}: {target.name} already exists with other content") from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return target
