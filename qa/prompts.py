"""Versioned prompt files from prompts/, rendered with strict variables."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
USER_MARKER = "<!-- user -->"


class PromptError(RuntimeError):
    """A prompt file is missing or a variable it needs was not given."""


@dataclass(frozen=True)
class ChatPrompt:
    system: str
    user: str


@lru_cache(maxsize=16)
def _template_text(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in PROMPTS_DIR.glob("*.v*.md")))
        raise PromptError(f"Prompt {name!r} not found in {PROMPTS_DIR} (available: {available}).")
    return path.read_text(encoding="utf-8")


def render_prompt(name: str, **variables: object) -> ChatPrompt:
    """Render `prompts/<name>.md`; a variable the file uses but the caller left out is an error."""
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    text = _template_text(name)
    system_text, _, user_text = text.partition(USER_MARKER)
    try:
        system = environment.from_string(system_text).render(**variables)
        user = environment.from_string(user_text).render(**variables)
    except jinja2.UndefinedError as error:
        raise PromptError(f"Prompt {name!r}: {error.message}") from error
    return ChatPrompt(system=system.strip(), user=user.strip())
