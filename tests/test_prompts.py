"""Prompts are versioned files rendered with strict variables."""

from __future__ import annotations

import pytest

from qa.prompts import PROMPTS_DIR, PromptError, render_prompt


def test_missing_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(PromptError, match="question"):
        render_prompt("answer.v1", sources="", as_of="", today="1 Jan 2024", max_sentences=3)


def test_unknown_prompt_names_the_available_ones() -> None:
    with pytest.raises(PromptError, match=r"answer\.v1"):
        render_prompt("answer.v99")


def test_every_prompt_file_is_in_the_changelog() -> None:
    changelog = (PROMPTS_DIR / "CHANGELOG.md").read_text()
    for path in PROMPTS_DIR.glob("*.v*.md"):
        assert f"`{path.stem}`" in changelog, path.name
