"""The web app with NEWSQA_CHROMA_HOST/_PORT: a real `chroma run` holds the store, not NEWSQA_HOME."""

from __future__ import annotations

import secrets

import pytest
from app_testkit import APP, UPLOAD
from chroma_server import ChromaServer, TokenProxy
from streamlit.testing.v1 import AppTest

LIGHTHOUSE = "When did the Kellport lighthouse shine again?"


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error]
    parts += [c.value for c in at.caption] + [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts).replace("\\", "")


def test_app_ingests_into_and_answers_from_a_chroma_server(
    chroma_server: ChromaServer, isolated_home, monkeypatch, embed_model
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEWSQA_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSQA_CHROMA_PORT", str(chroma_server.port))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    at.switch_page("pages/corpus.py").run()
    at.file_uploader[0].upload(UPLOAD.name, UPLOAD.read_bytes(), "application/json").run()
    at.button(key="ingest_uploads").click().run()
    assert not at.exception, at.exception
    assert any("1 added" in s.value for s in at.success)

    at.switch_page("pages/chat.py").run()
    at.chat_input[0].set_value(LIGHTHOUSE).run()
    assert not at.exception, at.exception
    record = at.session_state["messages"][-1]["answer"]
    assert "shone again on Wednesday" in record["answer"] and record["citations"]
    assert record["citations"][0]["title"] == "Kellport lighthouse restored to working order"

    # the server holds the article; nothing was written to a local store
    assert not (isolated_home / "chroma").exists()
    from qa.pipeline import NewsQA
    from qa.settings import Settings

    server_store = NewsQA(
        Settings(home=isolated_home, chroma_host="127.0.0.1", chroma_port=chroma_server.port),
        embed_model=embed_model,
    )
    assert [r.title for r in server_store.articles()] == [
        "Kellport lighthouse restored to working order"
    ]


@pytest.mark.parametrize("token", [None, "a-wrong-token"], ids=["missing", "wrong"])
def test_app_with_a_refused_token_says_so_and_shows_no_token(
    chroma_server: ChromaServer, isolated_home, monkeypatch, token
) -> None:  # type: ignore[no-untyped-def]
    proxy = TokenProxy(chroma_server.port, token=secrets.token_urlsafe(24))
    proxy.start()
    try:
        monkeypatch.setenv("NEWSQA_CHROMA_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSQA_CHROMA_PORT", str(proxy.port))
        if token:
            monkeypatch.setenv("NEWSQA_CHROMA_TOKEN", token)
        at = AppTest.from_file(APP, default_timeout=180).run()
    finally:
        proxy.stop()
    assert not at.exception, at.exception
    [error] = at.error
    shown = error.value.replace("\\", "")  # the page escapes Markdown
    assert f"127.0.0.1:{proxy.port}" in shown and "refused authentication" in shown
    text = page_text(at)
    assert proxy.token not in text and (token is None or token not in text)
