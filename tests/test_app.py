"""The Streamlit chat through AppTest: ask, see a cited answer and its sources."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, ROOT, SEED
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "app.py")


@pytest.fixture
def app_with_articles(settings, embed_model):  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    NewsQA(settings, embed_model=embed_model).ingest([SEED, FIXTURES / "articles.jsonl"])
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception
    return app


def test_chat_answers_with_citations_and_shows_sources(app_with_articles) -> None:
    app = app_with_articles
    app.chat_input[0].set_value("How much will the airport tram line cost?").run()
    assert not app.exception
    markdown = " ".join(m.value for m in app.markdown)
    assert "420 million euros" in markdown and "**\\[1\\]**" in markdown
    headers = [e.label for e in app.expander]
    assert any("City council approves new tram line" in h for h in headers)


def test_sidebar_names_the_active_backend(app_with_articles) -> None:
    captions = " ".join(c.value for c in app_with_articles.sidebar.caption)
    assert "extractive" in captions


def test_history_is_kept_and_new_chat_clears_it(app_with_articles) -> None:
    app = app_with_articles
    app.chat_input[0].set_value("How much will the airport tram line cost?").run()
    app.chat_input[0].set_value("What was the record temperature in Valdora?").run()
    assert len(app.session_state["messages"]) == 4
    app.sidebar.button[0].click().run()
    assert app.session_state["messages"] == []
