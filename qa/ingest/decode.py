"""Bytes from a file to text: UTF-8 when it is, a detected encoding when not, a reason if hopeless."""

from __future__ import annotations

import codecs
from pathlib import Path


class UnreadableInput(Exception):
    """An input that is not usable text; the message is the one-line reason for the user."""


def read_text(path: Path) -> tuple[str, str]:
    """The text of a file and the encoding it was read with; UnreadableInput if it is not text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"cannot read file: {exc.strerror or exc}") from exc
    return decode_bytes(data)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8, a BOM's encoding, or what charset-normalizer detects."""
    if not data.strip():
        raise UnreadableInput("empty file")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            try:
                return _non_empty(data.decode(encoding)), encoding
            except UnicodeDecodeError as exc:
                raise UnreadableInput(f"not valid {encoding} despite its byte-order mark") from exc
    if b"\x00" in data[:65536]:
        raise UnreadableInput("binary file (contains NUL bytes), not text")
    try:
        return _non_empty(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass  # not UTF-8: most often cp1252/latin-1 from older sites; detect below
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableInput("not text: no character encoding decodes it sensibly")
    return _non_empty(str(best)), best.encoding


def _non_empty(text: str) -> str:
    if not text.strip():
        raise UnreadableInput("empty file")
    return text
