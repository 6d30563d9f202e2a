"""API keys never leave the settings: not in logs, CLI output, error messages, exports, the eval
manifest or the page, even when the LLM server fails or echoes the key back in its error."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from app_testkit import APP
from conftest import FIXTURES, ROOT
from openai_server import Fault, OpenAIServer, drop_stream, garbage, hang, http_error
from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

KEY = "sk-newsqa-test-7f3c9a2e51d04b8f"
TRAM = "How much will the airport tram line cost?"
TRAM_ANSWER = "The tram line will cost 420 million euros [1]."


def echoing(status: int) -> Fault:
    """A server error whose message repeats the key it was sent (some gateways do)."""
    return Fault("http_error", status=status, text=f"invalid key {KEY} for this deployment")


FAULTS = [http_error(500), echoing(400), echoing(401), hang(10), garbage(), drop_stream("The tr")]
FAULT_IDS = ["500", "400-echo", "401-echo", "hang", "garbage", "dropped-stream"]


def llm_settings(settings, server: OpenAIServer):  # type: ignore[no-untyped-def]
    return settings.model_copy(
        update={
            "answer_backend": "openai-compatible",
            "llm_base_url": server.base_url,
            "llm_api_key": SecretStr(KEY),
            "llm_max_retries": 0,
            "llm_timeout_s": 1.5,
        }
    )


def key_was_sent(server: OpenAIServer) -> bool:
    """The test means something only if the key did reach the server."""
    return any(h.get("Authorization") == f"Bearer {KEY}" for h in server.headers)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_key_is_in_no_log_record_message_or_export_when_the_llm_fails(
    fault, settings, embed_model, openai_server, caplog
) -> None:  # type: ignore[no-untyped-def]
    from qa.export import answer_record, conversation_json, conversation_markdown
    from qa.pipeline import NewsQA

    caplog.set_level(logging.DEBUG)  # openai, httpx, llama_index and ours, all of it
    qa = NewsQA(llm_settings(settings, openai_server), embed_model=embed_model)
    qa.ingest([FIXTURES / "articles.jsonl"])
    openai_server.script(TRAM_ANSWER, fault)
    records = [answer_record(qa.ask(TRAM))]  # a good answer, then the failing one
    try:
        records.append(answer_record(qa.ask(TRAM)))
        failure = records[-1]["notice"] or ""
    except Exception as error:  # a refused key is an error, not an extractive fallback
        failure = str(error)
    assert key_was_sent(openai_server)
    assert failure, "the fault went unnoticed"
    assert KEY not in failure
    assert KEY not in caplog.text
    assert KEY not in conversation_json(records, collection="news")
    assert KEY not in conversation_markdown(records, collection="news")


def cli_environment(home: Path, server: OpenAIServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.pop("OPENAI_API_KEY", None)
    env.update(
        NEWSQA_HOME=str(home),
        NEWSQA_LLM_BASE_URL=server.base_url,
        NEWSQA_LLM_API_KEY=KEY,
        NEWSQA_LLM_MAX_RETRIES="0",
        NEWSQA_LLM_TIMEOUT_S="1.5",
    )
    return env


@pytest.mark.slow
def test_key_is_not_in_cli_output_when_the_llm_fails(
    settings, embed_model, openai_server, isolated_home
) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    NewsQA(settings, embed_model=embed_model).ingest([FIXTURES / "articles.jsonl"])
    env = cli_environment(isolated_home, openai_server)
    outputs = []
    for fault, expect_code in ((echoing(400), 2), (echoing(401), 2), (TRAM_ANSWER, 0)):
        openai_server.script(fault)
        result = subprocess.run(
            [sys.executable, "-m", "qa.cli", "ask", TRAM],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=300,
        )
        assert result.returncode == expect_code, result.stderr
        assert "Traceback" not in result.stderr
        outputs.append(result.stdout + result.stderr)
    assert key_was_sent(openai_server)
    assert "HTTP 400" in outputs[0] and "the API key was refused" in outputs[1]
    assert "420 million euros" in outputs[2]
    assert all(KEY not in output for output in outputs), outputs


def test_key_and_chroma_token_are_not_in_the_eval_manifest(
    tmp_path, embed_model, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from eval.run import RunConfig, run_eval

    token = "chroma-token-5b1e0c77"
    monkeypatch.setenv("NEWSQA_LLM_API_KEY", KEY)
    monkeypatch.setenv("NEWSQA_CHROMA_TOKEN", token)
    monkeypatch.setenv("NEWSQA_ANSWER_BACKEND", "extractive")  # no LLM calls: the key is idle
    out = tmp_path / "runs" / "secret"
    config = RunConfig(
        dataset=f"jsonl:{FIXTURES / 'eval' / 'jsonl'}",
        out=out,
        limit=2,
        stores_dir=tmp_path,
        judge_url="http://judge:pw-in-url-3d9@127.0.0.1:9/v1",  # recorded, never called here
        extra_settings={  # `newsqa eval run --set` overrides are recorded too
            "llm_api_key": KEY,
            "chroma_token": token,
            "llm_base_url": "http://user:pw-in-url-3d9@127.0.0.1:9/v1",
        },
    )
    run_eval(config, embed_model=embed_model, quiet=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["top_k"]  # the settings are recorded...
    assert manifest["config"]["extra_settings"]["llm_api_key"] == "***"
    assert manifest["judge"]["url"] == "http://127.0.0.1:9/v1"
    assert manifest["settings"]["llm_base_url"] == "http://127.0.0.1:9/v1"
    for path in out.rglob("*"):  # ...but no file of the run holds a secret
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert KEY not in text and token not in text and "pw-in-url" not in text, path


def everything_shown(at: AppTest) -> str:
    """Every element of the page (main and sidebar), as its full protobuf text."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(parts)


def test_key_is_not_on_the_page_after_answers_and_failures(
    settings, embed_model, openai_server, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    NewsQA(settings, embed_model=embed_model).ingest([FIXTURES / "articles.jsonl"])
    monkeypatch.setenv("NEWSQA_LLM_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("NEWSQA_LLM_API_KEY", KEY)
    monkeypatch.setenv("NEWSQA_LLM_MAX_RETRIES", "0")
    monkeypatch.setenv("NEWSQA_LLM_TIMEOUT_S", "1.5")
    openai_server.script(TRAM_ANSWER, echoing(400), echoing(401))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    for _ in range(3):
        at.chat_input[0].set_value(TRAM).run()
        assert not at.exception, at.exception
        assert KEY not in everything_shown(at)
    assert key_was_sent(openai_server)
    shown = everything_shown(at)
    assert "420 million euros" in shown  # the page did show the answers and the errors
    assert "the API key was refused" in shown.replace("\\", "")
