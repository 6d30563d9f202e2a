"""The README and .env.example stay true to the settings."""

from __future__ import annotations

from conftest import ROOT

from qa.settings import Settings


def env_names() -> list[str]:
    return [f"NEWSQA_{name.upper()}" for name in Settings.model_fields]


def test_readme_settings_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in env_names() if f"| `{name}` |" not in readme]
    assert not missing


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    missing = [name for name in env_names() if f"{name}=" not in example]
    assert not missing


def test_readme_starts_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text()[:1200]
    assert "make run" in head and "make test" in head
