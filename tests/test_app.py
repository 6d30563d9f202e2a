"""The chat page through AppTest: cited answers, passages, sources panel, filters, conversation."""

from __future__ import annotations

import json
from datetime import date

import pytest
from app_testkit import APP, build_corpus, copy_corpus
from conftest import FIXTURES
from streamlit.testing.v1 import AppTest

TRAM = "How much will the airport tram line cost?"


@pytest.fixture(scope="module")
def corpus_template(tmp_path_factory, embed_model):  # type: ignore[no-untyped-def]
    return build_corpus(tmp_path_factory.mktemp("chat-corpus") / "home", embed_model)


@pytest.fixture
def home(isolated_home, corpus_template):  # type: ignore[no-untyped-def]
    return copy_corpus(corpus_template, isolated_home)


@pytest.fixture
def app(home) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def ask(at: AppTest, question: str) -> dict:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at.session_state["messages"][-1]["answer"]


def markdown_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_answer_shows_citation_chips_and_the_sources_panel(app) -> None:
    record = ask(app, TRAM)
    assert "420 million euros" in record["answer"]
    text = markdown_text(app)
    assert "420 million euros" in text and ":blue-badge[1]" in text
    assert app.pills[0].options == ["[1] Riverton Gazette"]
    assert app.subheader[0].value == "Sources"
    labels = [e.label for e in app.expander]
    assert any("City council approves new tram line" in label for label in labels)
    assert all("·" in label for label in labels)  # every source shows its date


def test_citation_chip_opens_the_passage_with_the_supporting_words_highlighted(app) -> None:
    ask(app, TRAM)
    app.pills[0].set_value(1).run()
    text = markdown_text(app)
    assert "**\\[1\\] City council approves new tram line to the airport**" in text
    assert ":yellow-background[" in text
    highlighted = text.split(":yellow-background[", 1)[1].split("]", 1)[0]
    assert "420 million euros" in highlighted.replace("\\", "")
    assert any("Riverton Gazette · 3 Oct 2023" in c.value for c in app.caption)
    link = app.get("link_button")[0]
    assert link.proto.url == "https://gazette.example/2023/10/03/tram-airport"


def unsupported_record() -> dict:
    return {
        "id": "r1",
        "question": "Q?",
        "answer": "Backed. Not backed.",
        "backend": "extractive",
        "sentences": [
            {"text": "Backed.", "citations": [1], "supported": True},
            {"text": "Not backed.", "citations": [1], "supported": False},
        ],
        "citations": [
            {
                "n": 1,
                "article_id": "a",
                "chunk_id": "c",
                "title": "T",
                "source": "S",
                "published_at": None,
                "url": None,
                "quote": "Backed.",
            }
        ],
        "sources": [
            {
                "n": 1,
                "article_id": "a",
                "chunk_id": "c",
                "title": "T",
                "source": "S",
                "published_at": None,
                "url": None,
                "quote": "Backed.",
                "score": 0.9,
            }
        ],
        "invalid_markers": 0,
        "filters": {},
    }


def test_unsupported_sentences_are_visibly_marked(app) -> None:
    app.session_state["messages"] = [
        {"role": "user", "content": "Q?"},
        {"role": "assistant", "answer": unsupported_record()},
    ]
    app.run()
    text = markdown_text(app)
    assert ":red-background[Not backed\\.] :red-badge[unsupported]" in text
    assert ":red-background[Backed" not in text
    assert any("unsupported" in c.value for c in app.caption)


def test_sources_panel_orders_by_relevance_or_newest_first(app) -> None:
    record = ask(app, "Which leaders are expected to meet, and what happened at the cup final?")
    assert app.radio(key="source_order").value == "By relevance"
    app.radio(key="source_order").set_value("Newest first").run()
    dates = [
        max(
            s["published_at"] or ""
            for s in record["sources"]
            if f"[{s['n']}]" in label.replace("\\", "")
        )
        for label in (e.label for e in app.expander)
    ]
    assert dates == sorted(dates, reverse=True)


def test_one_wire_story_from_two_outlets_is_one_source_listing_both(app) -> None:
    record = ask(app, "Why did the ferry workers end their strike?")
    ferry = [s for s in record["sources"] if "Ferry" in s["title"]]
    assert len(ferry) == 1  # near-duplicates are retrieved once...
    assert set(ferry[0]["story_outlets"]) == {"Coast Herald", "Bay Times"}
    [entry] = [e for e in app.expander if "Ferry" in e.label]
    captions = " ".join(c.value for c in entry.caption)
    assert "Same story from:" in captions  # ...and shown as one source with both outlets
    assert "Coast Herald" in captions and "Bay Times" in captions
    app.pills[0].set_value(ferry[0]["n"]).run()
    assert any("Coast Herald" in c.value and "Bay Times" in c.value for c in app.caption)


def test_outlet_filter_keeps_only_the_chosen_outlets(app) -> None:
    assert "Valdora Times" in app.multiselect(key="outlets").options
    app.multiselect(key="outlets").select("Valdora Times").run()
    record = ask(app, TRAM)
    assert record["sources"] and {s["source"] for s in record["sources"]} == {"Valdora Times"}
    assert record["filters"]["sources"] == ["Valdora Times"]


def test_section_filter_is_offered_only_when_the_collection_has_sections(app) -> None:
    assert "outlets" in [m.key for m in app.multiselect]
    assert "sections" not in [m.key for m in app.multiselect]


def test_section_filter_keeps_only_the_chosen_sections(isolated_home, embed_model) -> None:
    from qa.pipeline import NewsQA
    from qa.settings import Settings

    build_corpus(isolated_home, embed_model, [FIXTURES / "sections.jsonl"])
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert at.multiselect(key="sections").options == ["Business", "Politics", "Sports"]
    at.multiselect(key="sections").select("Sports").run()
    record = ask(at, "What happened at the Kessel Park stadium?")
    qa = NewsQA(Settings(home=isolated_home), embed_model=embed_model)
    section = {r.id: r.section for r in qa.articles()}
    assert record["sources"] and {section[s["article_id"]] for s in record["sources"]} == {"Sports"}
    assert record["filters"]["sections"] == ["Sports"]


def test_as_of_date_leaves_out_later_articles(app) -> None:
    app.checkbox(key="use_as_of").check().run()
    app.date_input(key="as_of").set_value(date(2023, 9, 1)).run()
    record = ask(app, TRAM)
    assert all((s["published_at"] or "") < "2023-09-02" for s in record["sources"])
    assert not any("tram" in s["title"].lower() for s in record["sources"])
    assert record["as_of"] == "2023-09-01"


def test_since_date_leaves_out_earlier_articles(app) -> None:
    app.checkbox(key="use_since").check().run()
    app.date_input(key="since").set_value(date(2023, 10, 1)).run()
    record = ask(app, TRAM)
    assert record["sources"]
    assert all(s["published_at"] >= "2023-10-01" for s in record["sources"])
    assert record["filters"]["since"] == "2023-10-01"


def test_since_after_as_of_warns(app) -> None:
    app.checkbox(key="use_since").check().run()
    app.checkbox(key="use_as_of").check().run()
    app.date_input(key="since").set_value(date(2023, 10, 1)).run()
    app.date_input(key="as_of").set_value(date(2023, 9, 1)).run()
    assert any("no article can match" in w.value for w in app.sidebar.warning)


def test_number_of_sources_slider_limits_the_sources(app) -> None:
    app.slider(key="top_k").set_value(2).run()
    record = ask(app, TRAM)
    assert len(record["sources"]) == 2
    assert len(app.expander) <= 2


def test_sidebar_names_the_backend_and_the_settings_that_enable_an_llm(app) -> None:
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "extractive" in captions
    hint = " ".join(i.value for i in app.sidebar.info)
    for setting in ("NEWSQA_LLM_BASE_URL", "OPENAI_API_KEY", "NEWSQA_LLM_MODEL_PATH"):
        assert setting in hint


def test_llm_backend_is_named_and_its_answer_streams_in(home, openai_server, monkeypatch) -> None:
    monkeypatch.setenv("NEWSQA_LLM_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("NEWSQA_LLM_MODEL", "scripted")
    monkeypatch.setenv("NEWSQA_LLM_MAX_RETRIES", "0")
    openai_server.script("The tram line will cost about 420 million euros [1].")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert "openai-compatible · scripted" in " ".join(c.value for c in at.sidebar.caption)
    assert not at.sidebar.info
    record = ask(at, TRAM)
    assert openai_server.requests[-1]["stream"] is True
    assert record["backend"] == "openai-compatible"
    assert ":blue-badge[1]" in markdown_text(at)
    at.pills[0].set_value(1).run()
    assert ":yellow-background[cost about 420 million euros]" in markdown_text(at)


def test_a_misconfigured_llm_is_reported_with_the_setting_to_fix(home, monkeypatch) -> None:
    monkeypatch.setenv("NEWSQA_ANSWER_BACKEND", "openai")  # and no API key
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.chat_input[0].set_value(TRAM).run()
    assert not at.exception
    [error] = at.error
    assert "OPENAI\\_API\\_KEY" in error.value  # escaped Markdown: shows as OPENAI_API_KEY
    assert at.session_state["messages"] == []  # nothing half-answered is kept


def test_follow_up_questions_carry_the_conversation(app, monkeypatch) -> None:
    from qa.pipeline import NewsQA

    seen: list = []
    original = NewsQA.ask_stream

    def recording(self, question, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs["history"])
        return original(self, question, **kwargs)

    monkeypatch.setattr(NewsQA, "ask_stream", recording)
    first = ask(app, TRAM)
    ask(app, "When does construction start?")
    assert seen[0] == []
    assert seen[1] == [(TRAM, first["answer"])]


def test_new_chat_clears_the_conversation(app) -> None:
    ask(app, TRAM)
    ask(app, "What was the record temperature in Valdora?")
    assert len(app.session_state["messages"]) == 4
    app.button(key="new_chat").click().run()
    assert app.session_state["messages"] == []
    assert not app.pills


def test_export_buttons_offer_markdown_and_json_once_there_is_an_answer(app) -> None:
    buttons = {b.label: b for b in app.get("download_button")}
    assert set(buttons) == {"Export Markdown", "Export JSON"}
    assert all(b.proto.disabled for b in buttons.values())
    ask(app, TRAM)
    buttons = {b.label: b for b in app.get("download_button")}
    assert not any(b.proto.disabled for b in buttons.values())


def test_thumbs_and_comment_are_stored_under_newsqa_home(app, home) -> None:
    from qa.feedback import read_feedback

    record = ask(app, TRAM)
    app.feedback[0].set_value(0).run()  # thumbs down
    [entry] = read_feedback(home)
    assert (entry["answer_id"], entry["rating"], entry["question"]) == (record["id"], "down", TRAM)
    assert entry["citations"][0]["chunk_id"] == record["citations"][0]["chunk_id"]
    app.text_input(key=f"fbc-{record['id']}").input("Cites the right article").run()
    app.button(key=f"fbs-{record['id']}").click().run()
    [entry] = read_feedback(home)
    assert entry["comment"] == "Cites the right article" and entry["rating"] == "down"
    lines = (home / "feedback" / "feedback.jsonl").read_text().splitlines()
    assert [json.loads(line)["rating"] for line in lines] == ["down", "down"]


def test_streamed_llm_answer_marks_the_unsupported_sentence(
    home, openai_server, monkeypatch
) -> None:
    monkeypatch.setenv("NEWSQA_LLM_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("NEWSQA_LLM_MODEL", "scripted")
    monkeypatch.setenv("NEWSQA_LLM_MAX_RETRIES", "0")
    openai_server.script(
        "The tram line will cost about 420 million euros [1]. "
        "The tram will carry 9 million passengers in its first year [1]."
    )
    at = AppTest.from_file(APP, default_timeout=120).run()
    record = ask(at, TRAM)
    assert [s["supported"] for s in record["sentences"]] == [True, False]
    text = markdown_text(at)
    assert ":red-background[The tram will carry 9 million passengers in its first year\\.]" in text
    assert ":red-badge[unsupported]" in text and ":blue-badge[1]" in text
