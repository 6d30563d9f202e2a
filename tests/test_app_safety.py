"""A hostile article (script, img onerror, Markdown images and links) renders inert in the app."""

from __future__ import annotations

import re

import pytest
from app_testkit import APP, build_corpus, copy_corpus
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

HOSTILE_QUESTION = "When will the harbour bridge in Portavel reopen?"
# raw HTML allowed here on purpose: anything we failed to escape would come through as a tag
RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_TAG = re.compile(r"<\s*([a-zA-Z][\w-]*)([^>]*)>")
_ALLOWED_TAGS = {"p", "strong", "em", "br", "a", "code"}


@pytest.fixture(scope="module")
def corpus_template(tmp_path_factory, embed_model):  # type: ignore[no-untyped-def]
    return build_corpus(tmp_path_factory.mktemp("safety-corpus") / "home", embed_model)


@pytest.fixture
def home(isolated_home, corpus_template):  # type: ignore[no-untyped-def]
    return copy_corpus(corpus_template, isolated_home)


def rendered_strings(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown: bodies, captions, alerts, labels, chips."""
    texts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("title", "subheader", "warning", "success", "info", "error"):
        texts += [e.value for e in getattr(at, kind)]
    texts += [e.label for e in at.expander]
    for pills in at.pills:
        texts += list(pills.options)
    return texts


def assert_inert(text: str) -> None:
    """The Markdown renders to plain text, bold, line breaks and our own https links only."""
    html = RENDER.render(text)
    for name, attributes in _TAG.findall(html):
        assert name.lower() in _ALLOWED_TAGS, f"<{name}> from {text!r}"
        if name.lower() == "a":
            assert re.fullmatch(r'\s*href="https://[^"]+"\s*', attributes), attributes
    assert "evil.example" not in "".join(a for _, a in _TAG.findall(html))
    # a Streamlit directive from the article (":red[...]") must stay escaped text
    assert not re.search(r"(?<!\\):red\[", text)


@pytest.fixture
def hostile_answer(home) -> AppTest:  # type: ignore[no-untyped-def]
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.chat_input[0].set_value(HOSTILE_QUESTION).run()
    assert not at.exception
    record = at.session_state["messages"][-1]["answer"]
    hostile = [s for s in record["sources"] if "Harbour" in s["title"]]
    assert hostile and "<script>" in hostile[0]["quote"]  # the article really is in the answer
    at.pills[0].set_value(record["citations"][0]["n"]).run()  # open its passage
    return at


def test_hostile_article_renders_inert_in_the_chat(hostile_answer) -> None:
    texts = rendered_strings(hostile_answer)
    assert any("\\<script\\>" in t for t in texts)  # shown, as text
    for text in texts:
        assert_inert(text)
    assert not hostile_answer.get("link_button")  # its javascript: URL is never a link


def test_hostile_article_title_is_text_on_the_corpus_page(home) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/corpus.py").run()
    rows = next(d.value for d in at.dataframe if "title" in d.value.columns).to_dict("records")
    hostile = next(r for r in rows if "Harbour" in r["title"])
    assert hostile["title"].startswith("<img src=x onerror=")  # the dataframe shows it verbatim
    at.selectbox(key="inspect_article").select(hostile["id"]).run()
    for text in rendered_strings(at):
        assert_inert(text)


def test_exported_markdown_keeps_the_hostile_article_inert(hostile_answer) -> None:
    from qa.export import conversation_markdown

    records = [
        m["answer"] for m in hostile_answer.session_state["messages"] if m["role"] == "assistant"
    ]
    exported = conversation_markdown(records)
    assert "Harbour" in exported
    html = RENDER.render(exported)
    assert not re.search(r"<(img|script|iframe)\b", html)
    assert "javascript:" not in "".join(a for _, a in _TAG.findall(html))
