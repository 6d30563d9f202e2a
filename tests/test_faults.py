"""Faults the user must survive: a misbehaving LLM server, a restarted Chroma server, a blocked home."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, SEED
from openai_server import drop_stream, garbage, hang, http_error
from pydantic import SecretStr

QUESTION = "How much will the airport tram cost?"


@pytest.fixture
def llm_qa(settings, embed_model, openai_server):  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    update = {
        "answer_backend": "openai-compatible",
        "llm_base_url": openai_server.base_url,
        "llm_max_retries": 0,
        "llm_timeout_s": 1.5,
        "llm_api_key": SecretStr("sk-test-SECRET-KEY"),
    }
    qa = NewsQA(settings.model_copy(update=update), embed_model=embed_model)
    qa.ingest([SEED, FIXTURES / "articles.jsonl"])
    return qa


@pytest.mark.parametrize(
    "fault",
    [http_error(500), hang(10), garbage(), drop_stream("The tram will co")],
    ids=["500", "hang", "garbage", "dropped-stream"],
)
def test_misbehaving_llm_gives_a_clear_notice_and_the_extractive_answer(
    llm_qa, openai_server, fault
) -> None:  # type: ignore[no-untyped-def]
    openai_server.script(fault)
    answer = llm_qa.ask(QUESTION)
    assert answer.notice and "extractive" in answer.notice
    assert "420 million euros" in answer.text and answer.citations
    assert "SECRET" not in answer.notice and "SECRET" not in str(answer.to_dict())


def test_llm_server_that_is_down_is_named_in_the_notice(settings, embed_model) -> None:
    from openai_server import unused_base_url

    from qa.pipeline import NewsQA

    url = unused_base_url()
    qa = NewsQA(
        settings.model_copy(
            update={
                "answer_backend": "openai-compatible",
                "llm_base_url": url,
                "llm_max_retries": 0,
                "llm_timeout_s": 2,
            }
        ),
        embed_model=embed_model,
    )
    qa.ingest([FIXTURES / "articles.jsonl"])
    answer = qa.ask(QUESTION)
    assert answer.notice and url.split("/v1")[0].replace("http://", "") in answer.notice
    assert "420 million euros" in answer.text


def test_chroma_server_restart_mid_session_recovers_on_the_next_question(
    chroma_server, settings, embed_model
) -> None:
    from qa.pipeline import NewsQA

    qa = NewsQA(
        settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server.port}),
        embed_model=embed_model,
    )
    qa.ingest([FIXTURES / "articles.jsonl"])
    assert "420 million euros" in qa.ask(QUESTION).text
    chroma_server.stop()
    chroma_server.start()
    assert "420 million euros" in qa.ask(QUESTION).text


def test_home_where_the_store_cannot_be_created_is_a_clear_error_and_the_store_stays_readable(
    tmp_path: Path, settings, embed_model
) -> None:
    """A file where the store folder should be; a truly read-only home: tests/test_disk_full.py."""
    from qa.pipeline import NewsQA
    from qa.store import StoreError

    NewsQA(settings, embed_model=embed_model).ingest([FIXTURES / "articles.jsonl"])
    blocked = settings.model_copy(update={"home": tmp_path / "blocked"})
    blocked.home.mkdir()
    (blocked.home / "chroma").write_text("not a folder")  # the store cannot be created here
    with pytest.raises(StoreError, match="chroma"):
        NewsQA(blocked, embed_model=embed_model)
    # what the user already had is untouched and still answers
    assert "420 million euros" in NewsQA(settings, embed_model=embed_model).ask(QUESTION).text


def test_unwritable_lexical_index_folder_still_answers(settings, embed_model) -> None:
    from qa.pipeline import NewsQA

    qa = NewsQA(settings, embed_model=embed_model)
    qa.ingest([FIXTURES / "articles.jsonl"])
    (settings.home / "lexical").write_text("a file where the index folder should be")
    assert "420 million euros" in qa.ask(QUESTION).text
