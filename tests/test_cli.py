"""The newsqa command, run as a real subprocess, the way a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT


def newsqa(
    *args: str, home: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_") and k != "OPENAI_API_KEY"
    }
    env["NEWSQA_HOME"] = str(home)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_ingest_samples_then_ask_returns_a_cited_answer_about_the_seed(isolated_home: Path) -> None:
    ingested = newsqa("ingest", "--quiet", "samples/", home=isolated_home)
    assert ingested.returncode == 0, ingested.stderr
    assert "1 added" in ingested.stdout
    asked = newsqa("ask", "Where might Kim Jong Un meet Putin?", "--json", home=isolated_home)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert set(answer) >= {"question", "answer", "refused", "backend", "citations", "timings_ms"}
    assert answer["backend"] == "extractive" and not answer["refused"]
    assert "Vladivostok" in answer["answer"]
    citation = answer["citations"][0]
    assert set(citation) == {
        "n",
        "article_id",
        "chunk_id",
        "title",
        "source",
        "published_at",
        "url",
        "quote",
    }
    assert citation["source"] == "The Hindu" and citation["published_at"].startswith("2023-09-05")
    assert f"[{citation['n']}]" in answer["answer"]
    assert "Vladivostok" in citation["quote"]


def test_ingest_exits_nonzero_naming_the_bad_input_after_loading_the_good(
    isolated_home: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    result = newsqa(
        "ingest", "--quiet", str(bad), str(FIXTURES / "articles.jsonl"), home=isolated_home
    )
    assert result.returncode == 1
    assert "empty.txt" in result.stderr
    assert "6 added" in result.stdout
    listed = newsqa("articles", "--json", home=isolated_home)
    assert len(json.loads(listed.stdout)) == 6


def test_missing_llm_key_is_a_one_line_error_not_a_traceback(isolated_home: Path) -> None:
    result = newsqa("ask", "anything", "--backend", "openai", home=isolated_home)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "OPENAI_API_KEY" in result.stderr


def test_ask_streams_the_reply_and_tags_each_sentence_as_soon_as_it_is_verified(
    isolated_home: Path, openai_server
) -> None:
    ingested = newsqa("ingest", "--quiet", str(FIXTURES / "articles.jsonl"), home=isolated_home)
    assert ingested.returncode == 0, ingested.stderr
    openai_server.script(
        "The tram line will cost about 420 million euros [1]. "
        "The tram will carry 9 million passengers in its first year [1]. "
        "Mayor Elena Ruiz said the journey would take 18 minutes [1]."
    )
    llm = {
        "NEWSQA_LLM_BASE_URL": openai_server.base_url,
        "NEWSQA_LLM_MODEL": "scripted",
        "NEWSQA_LLM_MAX_RETRIES": "0",
    }
    asked = newsqa("ask", "How much will the airport tram cost?", home=isolated_home, extra_env=llm)
    assert asked.returncode == 0, asked.stderr
    streamed, _, verified = asked.stdout.partition("Verified answer:")
    assert "420 million euros [1]. ⟨verified [1]⟩ The tram will carry" in streamed
    assert "first year [1]. ⟨unsupported⟩ Mayor Elena Ruiz" in streamed
    assert "18 minutes [1]. ⟨verified [1]⟩" in streamed
    assert "9 million passengers in its first year." in verified  # shown without a citation


STADIUM = "What happened at the Kessel Park stadium?"


@pytest.fixture(scope="module")
def stadium_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the stadium articles (several outlets, sections and dates) and the others."""
    home = tmp_path_factory.mktemp("cli-filters") / "home"
    inputs = [str(FIXTURES / "sections.jsonl"), str(FIXTURES / "articles.jsonl")]
    ingested = newsqa("ingest", "--quiet", *inputs, home=home)
    assert ingested.returncode == 0, ingested.stderr
    return home


def cited(home: Path, *flags: str) -> list[dict]:
    asked = newsqa("ask", STADIUM, "--json", *flags, home=home)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and answer["citations"], answer
    return answer["citations"]


def test_ask_as_of_cites_nothing_published_after_the_date(stadium_home: Path) -> None:
    citations = cited(stadium_home, "--as-of", "2023-07-01")
    assert all(c["published_at"][:10] <= "2023-07-01" for c in citations)


def test_ask_since_cites_nothing_published_before_the_date(stadium_home: Path) -> None:
    citations = cited(stadium_home, "--since", "2024-01-01")
    assert all(c["published_at"][:10] >= "2024-01-01" for c in citations)


def test_ask_source_cites_only_that_outlet_named_in_any_case(stadium_home: Path) -> None:
    citations = cited(stadium_home, "--source", "riverton gazette")
    assert {c["source"] for c in citations} == {"Riverton Gazette"}


def test_ask_section_cites_only_those_sections(stadium_home: Path) -> None:
    listed = newsqa("articles", "--json", home=stadium_home)
    section = {a["id"]: a["section"] for a in json.loads(listed.stdout)}
    citations = cited(stadium_home, "--section", "sports", "--section", "Politics")
    assert {section[c["article_id"]] for c in citations} <= {"Sports", "Politics"}
    assert "Sports" in {section[c["article_id"]] for c in citations}
