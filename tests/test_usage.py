"""Token usage and cost of LLM answers, through a real OpenAI-protocol server on 127.0.0.1,
and their totals in an evaluation run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED
from llama_index.core.llms import ChatMessage, MessageRole

from eval.run import RunConfig, run_eval
from eval.score import score_run
from qa.llm import TokenUsage, build_llm, chat, chat_stream

REPLY = "Kim Jong Un plans to visit Russia [1]."


def _messages() -> list[ChatMessage]:
    return [
        ChatMessage(role=MessageRole.SYSTEM, content="Answer from the sources."),
        ChatMessage(role=MessageRole.USER, content="Who plans to visit Russia?"),
    ]


def test_streamed_answer_asks_for_and_keeps_the_servers_usage(llm_settings, openai_server) -> None:
    openai_server.script(REPLY)
    usage = TokenUsage()
    reply = "".join(chat_stream(build_llm(llm_settings), _messages(), usage))
    assert reply == REPLY
    assert openai_server.requests[-1]["stream_options"] == {"include_usage": True}
    # the scripted server counts words: 4 + 5 prompt words, 8 reply words
    assert (usage.prompt_tokens, usage.completion_tokens, usage.calls) == (9, 8, 1)
    assert usage.estimated is False


def test_plain_chat_keeps_the_servers_usage(llm_settings, openai_server) -> None:
    openai_server.script(REPLY)
    usage = TokenUsage()
    chat(build_llm(llm_settings), _messages(), usage)
    assert "stream_options" not in openai_server.requests[-1]  # not allowed without stream
    assert (usage.prompt_tokens, usage.completion_tokens) == (9, 8)


def test_server_without_usage_is_counted_here_and_marked_estimated(
    llm_settings, openai_server
) -> None:
    openai_server.report_usage = False
    openai_server.script(REPLY)
    usage = TokenUsage()
    "".join(chat_stream(build_llm(llm_settings), _messages(), usage))
    assert usage.estimated is True
    # cl100k_base: the reply is about a token per word, the prompt a few more with overhead
    assert 8 <= usage.completion_tokens <= 16
    assert usage.prompt_tokens > 9


def test_answer_carries_usage_and_cost_from_the_price_settings(
    llm_settings, embed_model, openai_server
) -> None:
    from qa.pipeline import NewsQA

    priced = llm_settings.model_copy(update={"llm_price_prompt": 2.0, "llm_price_completion": 10.0})
    qa = NewsQA(priced, embed_model=embed_model)
    assert not qa.ingest([SEED]).failures
    openai_server.script(REPLY)
    answer = qa.ask("Who plans to visit Russia?")
    usage = answer.usage
    assert usage is not None and usage["calls"] == 1 and not usage["estimated"]
    sent = openai_server.requests[-1]["messages"]
    prompt_words = sum(len(m["content"].split()) for m in sent)
    assert usage["prompt_tokens"] == prompt_words and usage["completion_tokens"] == 8
    expected = (prompt_words * 2.0 + 8 * 10.0) / 1_000_000
    assert usage["cost_usd"] == pytest.approx(expected)
    assert answer.to_dict()["usage"] == usage


def test_extractive_answer_has_no_usage(newsqa) -> None:  # type: ignore[no-untyped-def]
    newsqa.ingest([SEED])
    assert newsqa.ask("Who plans to visit Russia?").usage is None


def test_eval_run_reports_tokens_and_cost(tmp_path: Path, embed_model, openai_server) -> None:
    openai_server.respond_with(lambda body: "The articles do not say.")
    config = RunConfig(
        dataset=f"jsonl:{FIXTURES / 'eval' / 'jsonl'}",
        out=tmp_path / "runs" / "llm",
        backend="openai-compatible",
        extra_settings={
            "llm_base_url": openai_server.base_url,
            "llm_model": "scripted",
            "llm_max_retries": 0,
            "llm_price_prompt": 1.0,
            "llm_price_completion": 4.0,
        },
    )
    out = run_eval(config, embed_model=embed_model, quiet=True)
    summary = score_run(out, embed_model=embed_model)
    tokens = summary["tokens_and_cost"]
    responses = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
    usages = [r["answer"]["usage"] for r in responses if r["answer"] and r["answer"]["usage"]]
    assert usages and tokens["answers_with_usage"] == len(usages)
    assert tokens["completion_tokens"]["total"] == sum(u["completion_tokens"] for u in usages)
    expected = sum(u["prompt_tokens"] * 1.0 + u["completion_tokens"] * 4.0 for u in usages) / 1e6
    assert tokens["cost_usd"]["total"] == pytest.approx(expected, rel=1e-6)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["extra_settings"]["llm_price_prompt"] == 1.0
    from eval.report import write_report

    write_report(out)
    report = (out / "report.md").read_text()
    assert "| cost | $" in report
