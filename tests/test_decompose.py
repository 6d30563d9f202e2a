"""Multi-part questions: rule-based and LLM splits, and what retrieval does with them."""

from __future__ import annotations

import logging

import pytest
from conftest import module_newsqa

from qa.decompose import looks_compound, parse_parts, split_by_rules, split_question


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Who won the cup final and who scored twice?",
            ("Who won the cup final?", "who scored twice?"),
        ),
        (
            "Did both Lakeside United and Harbor City win a cup final?",
            ("Did Lakeside United win a cup final?", "Did Harbor City win a cup final?"),
        ),
        (
            "Which robot is heavier, Atlas-7 or Atlas-6?",
            ("Which robot is heavier Atlas-7?", "Which robot is heavier Atlas-6?"),
        ),
        # a named party may hold "of the"
        (
            "Who won both Song of the Year and Record of the Year at the Grammys?",
            (
                "Who won Song of the Year at the Grammys?",
                "Who won Record of the Year at the Grammys?",
            ),
        ),
        # a pronoun in the second part gets the first part's subject named beside it
        (
            "Who is Wally, and why did he attend the Flyers game?",
            ("Who is Wally?", "why did he attend the Flyers game (Wally)?"),
        ),
        # an auxiliary and a name begin a second question
        (
            "Did Lakeside United win the final and did Harbor City win the league?",
            ("Did Lakeside United win the final?", "did Harbor City win the league?"),
        ),
        ("How much will the tram cost?", ()),
        # one claim about both parties is one question
        ("Who told the summit that both Norland and Estmark need new ports?", ()),
        # two clues about one thing are one question
        (
            "Which company is scrapping plans for the Badger truck and is giving up its stake?",
            (),
        ),
        # a pronoun with no subject to name: the part cannot be searched alone
        ("What is scrapple made from and how is it typically prepared?", ()),
    ],
)
def test_split_by_rules(question: str, parts: tuple[str, ...]) -> None:
    assert split_by_rules(question) == parts


def test_only_questions_with_a_joining_word_look_compound() -> None:
    assert looks_compound("Which is bigger, Atlas-7 or Atlas-6?")
    assert looks_compound("How does the tram compare with the bus?")
    assert not looks_compound("How much will the airport tram cost?")
    assert not looks_compound("Who won the cup final?")


def test_llm_replies_are_read_one_question_a_line() -> None:
    reply = "1. Did Lakeside United win the cup final?\n- Did Harbor City win the cup final?\n\n"
    assert parse_parts(reply) == (
        "Did Lakeside United win the cup final?",
        "Did Harbor City win the cup final?",
    )
    assert parse_parts("Who won the cup final?") == ()  # kept whole
    assert parse_parts("ok") == ()
    many = "\n".join(f"Question number {n} about the tram?" for n in range(9))
    assert len(parse_parts(many)) == 4


def _llm(openai_server):  # type: ignore[no-untyped-def]
    from qa.llm import build_llm
    from qa.settings import Settings

    return build_llm(
        Settings(
            answer_backend="openai-compatible",
            llm_base_url=openai_server.base_url,
            llm_max_retries=0,
        )
    )


def test_llm_split_counts_its_tokens(openai_server) -> None:  # type: ignore[no-untyped-def]
    from qa.llm import TokenUsage

    openai_server.script("How heavy is Atlas-7?\nHow heavy is Atlas-6?")
    usage = TokenUsage()
    parts = split_question(
        "Which robot is heavier, Atlas-7 or Atlas-6?", _llm(openai_server), usage
    )
    assert parts == ("How heavy is Atlas-7?", "How heavy is Atlas-6?")
    sent = openai_server.requests[-1]["messages"]
    assert "Which robot is heavier, Atlas-7 or Atlas-6?" in sent[-1]["content"]
    assert "at most 4 lines" in sent[0]["content"]
    assert usage.calls == 1 and usage.prompt_tokens > 0


def test_a_simple_question_is_not_sent_to_the_llm(openai_server) -> None:  # type: ignore[no-untyped-def]
    assert split_question("How much will the airport tram cost?", _llm(openai_server)) == ()
    assert openai_server.requests == []


def test_llm_down_splits_by_rules_and_says_so(openai_server, caplog) -> None:  # type: ignore[no-untyped-def]
    from openai_server import http_error

    openai_server.script(http_error(500))
    with caplog.at_level(logging.WARNING, logger="qa.decompose"):
        parts = split_question("Who won the cup final and who scored twice?", _llm(openai_server))
    assert parts == ("Who won the cup final?", "who scored twice?")
    assert "the LLM failed" in caplog.text


# ---- what retrieval and the LLM answer path do with the parts ---------------------------------

TRAM_REPORTS = [
    (
        "Tram line to the airport approved",
        "The city council approved a tram line to the airport. The airport tram will cost 420 million euros, the council said.",
    ),
    (
        "Airport tram: what the 420 million euros buys",
        "The airport tram's budget covers twelve stops and new trams. The cost of the airport tram line was set at 420 million euros.",
    ),
    (
        "Airport tram cost questioned by auditors",
        "Auditors asked whether the airport tram could be built for its cost of 420 million euros. The council defended the tram budget.",
    ),
    (
        "Airport tram construction starts in March",
        "Work on the airport tram begins in March. The tram line to the airport costs 420 million euros in all.",
    ),
]
BRIDGE = (
    "Harbor City works department update",
    "Repairs to the Old Harbor bridge ended on Friday and it reopened to traffic, two weeks"
    " early, the works department said.",
)
COMPOUND = "How much will the new airport tram line cost in euros, and when did the bridge reopen?"


@pytest.fixture(scope="module")
def trams(tmp_path_factory: pytest.TempPathFactory, embed_model):  # type: ignore[no-untyped-def]
    """Four reports on the tram, one on the bridge: the whole question's best hits are trams."""
    from datetime import UTC, datetime

    from qa.ingest import Article

    qa = module_newsqa(tmp_path_factory, embed_model, "decompose")
    articles = [
        Article(
            title=title,
            body=body,
            source="Valdora Times",
            published_at=datetime(2023, 9, day, 9, tzinfo=UTC),
            url=f"https://valdoratimes.example/news/{day}",
        )
        for day, (title, body) in enumerate([*TRAM_REPORTS, BRIDGE], start=1)
    ]
    assert qa.ingest_articles(articles).added == 5
    return qa


def titles(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.node.metadata["title"] for r in results]


def test_each_part_finds_its_article_and_the_whole_question_keeps_first_place(trams) -> None:  # type: ignore[no-untyped-def]
    trams.settings = trams.settings.model_copy(update={"decompose": "off"})
    whole = titles(trams.retrieve(COMPOUND, top_k=3))
    assert BRIDGE[0] not in whole  # the tram reports crowd out the second question's answer
    trams.settings = trams.settings.model_copy(update={"decompose": "auto"})
    split = titles(trams.retrieve(COMPOUND, top_k=3))
    assert BRIDGE[0] in split
    assert split[0] == whole[0]


def test_llm_split_drives_retrieval_and_its_tokens_count_in_the_answer(  # type: ignore[no-untyped-def]
    trams, llm_settings, openai_server
) -> None:
    from qa.pipeline import NewsQA

    qa = NewsQA(
        llm_settings.model_copy(update={"home": trams.settings.home}), embed_model=trams.embed_model
    )
    openai_server.script(
        "How much will the airport tram cost?\nWhen did the Old Harbor bridge reopen?",
        "The airport tram will cost 420 million euros [1].",
    )
    answer = qa.ask(COMPOUND, top_k=3)
    split_request, answer_request = openai_server.requests[-2:]
    assert COMPOUND in split_request["messages"][-1]["content"]
    assert "standalone search question" in split_request["messages"][0]["content"]
    assert BRIDGE[0] in answer_request["messages"][-1]["content"]  # the part's passage was sent
    assert answer.usage is not None and answer.usage["calls"] == 2


def test_rewrite_and_split_tokens_count_in_the_answer(trams, llm_settings, openai_server) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    qa = NewsQA(
        llm_settings.model_copy(update={"home": trams.settings.home}), embed_model=trams.embed_model
    )
    openai_server.script(
        COMPOUND,  # the rewrite of the follow-up
        "How much will the airport tram cost?\nWhen did the Old Harbor bridge reopen?",
        "The airport tram will cost 420 million euros [1].",
    )
    answer = qa.ask(
        "and what about it and the bridge?", history=[("Tell me about the airport tram.", "...")]
    )
    assert answer.standalone_question == COMPOUND
    assert answer.usage is not None and answer.usage["calls"] == 3
