"""Safe rendering of untrusted article text for the web page (Markdown without its tricks)."""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """Escape every Markdown/HTML control character so the text renders literally, inert."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def answer_markdown(sentences: list[tuple[str, list[int], bool | None]]) -> str:
    """An answer as Markdown: the sentence text escaped, citations as bold [n], unsupported flagged."""
    parts = []
    for text, citations, supported in sentences:
        piece = escape_markdown(text)
        if citations:
            piece += " " + "".join(f"**\\[{n}\\]**" for n in citations)
        if supported is False:
            piece += " _(unsupported)_"
        parts.append(piece)
    return " ".join(parts)
