"""Follow-up rewriting: rules for the extractive backend, the LLM when there is one."""

from __future__ import annotations

import pytest

from qa.conversation import needs_rewrite, rewrite_by_rules, standalone_question


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        (
            [("What did Kim Jong Un say about Russia?", "...")],
            "What did he say next?",
            "What did Kim Jong Un say next?",
        ),
        (
            [("Who won the national cup final in 2023?", "...")],
            "and in 2024?",
            "Who won the national cup final in 2024?",
        ),
        (
            [("Did Lakeside United win the cup final?", "...")],
            "What about Harbor City?",
            "Did Harbor City win the cup final?",
        ),
        (
            [("Where will Vladimir Putin meet Kim?", "...")],
            "What is his plan for Ukraine?",
            "What is Vladimir Putin’s plan for Ukraine?",
        ),
    ],
)
def test_rule_based_rewrite(history, question: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert rewrite_by_rules(question, history) == expected


def test_standalone_question_is_left_alone() -> None:
    assert not needs_rewrite("Who won the national cup final in 2023?")
    assert (
        standalone_question("Who won the cup?", [("Earlier question about Kim?", "...")])
        == "Who won the cup?"
    )


def test_llm_rewrite_uses_the_conversation(openai_server) -> None:
    from qa.llm import build_llm
    from qa.settings import Settings

    openai_server.script("What did Kim Jong Un say after meeting Putin?")
    llm = build_llm(
        Settings(
            answer_backend="openai-compatible",
            llm_base_url=openai_server.base_url,
            llm_max_retries=0,
        )
    )
    rewritten = standalone_question(
        "What did he say after that?", [("Did Kim Jong Un meet Putin?", "Yes [1].")], llm
    )
    assert rewritten == "What did Kim Jong Un say after meeting Putin?"
    sent = openai_server.requests[-1]["messages"][-1]["content"]
    assert "Did Kim Jong Un meet Putin?" in sent and "What did he say after that?" in sent


def test_llm_down_falls_back_to_the_rules(openai_server) -> None:
    from openai_server import http_error

    from qa.llm import build_llm
    from qa.settings import Settings

    openai_server.script(http_error(500))
    llm = build_llm(
        Settings(
            answer_backend="openai-compatible",
            llm_base_url=openai_server.base_url,
            llm_max_retries=0,
        )
    )
    assert (
        standalone_question("and in 2024?", [("Who won the cup in 2023?", "...")], llm)
        == "Who won the cup in 2024?"
    )
