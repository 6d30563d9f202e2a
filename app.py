"""newsqa web chat (Streamlit): ask about the ingested news, see the cited passages beside the answer."""

from __future__ import annotations

from datetime import date

import streamlit as st

from qa.offline import prepare_offline_runtime
from qa.render import answer_markdown, escape_markdown

prepare_offline_runtime()


@st.cache_resource(show_spinner="Loading the news index…")
def open_newsqa(collection: str):  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA
    from qa.settings import load_settings

    return NewsQA(load_settings(collection=collection))


def describe_backend(qa) -> str:  # type: ignore[no-untyped-def]
    if qa.backend == "extractive":
        return "extractive (no LLM configured: answers quote the articles)"
    from qa.llm import describe_llm

    return describe_llm(qa.settings)


def show_sources(answer: dict) -> None:
    cited = {c["n"] for c in answer["citations"]}
    for source in answer["sources"]:
        marker = "cited" if source["n"] in cited else "retrieved"
        header = f"[{source['n']}] {source['title'] or 'Untitled'} — {source['source'] or 'unknown outlet'}"
        with st.expander(header, expanded=source["n"] in cited):
            st.caption(f"{marker} · published {source['published_at'] or 'date unknown'}")
            st.markdown(escape_markdown(source["quote"]))
            if source["url"] and source["url"].startswith(("http://", "https://")):
                st.link_button("Open article", source["url"])


def render_answer(answer: dict) -> None:
    st.markdown(
        answer_markdown([(s["text"], s["citations"], s["supported"]) for s in answer["sentences"]])
    )
    if answer.get("notice"):
        st.warning(answer["notice"])
    if answer["invalid_markers"]:
        st.caption(
            f"{answer['invalid_markers']} citation marker(s) named no source and were removed."
        )


def answer_record(answer) -> dict:  # type: ignore[no-untyped-def]
    record = answer.to_dict()
    record["sources"] = [c.as_dict() for c in answer.sources]
    return record


def main() -> None:
    st.set_page_config(page_title="newsqa", page_icon="📰", layout="wide")
    from qa.settings import load_settings

    settings = load_settings()
    qa = open_newsqa(settings.collection)
    with st.sidebar:
        st.header("newsqa")
        st.caption(f"Answer backend: {describe_backend(qa)}")
        use_as_of = st.checkbox("Answer as of a date", key="use_as_of")
        as_of = st.date_input("As of", value=date.today(), key="as_of", disabled=not use_as_of)
        top_k = st.slider("Sources to retrieve", 1, 20, settings.top_k, key="top_k")
        if st.button("New chat"):
            st.session_state.messages = []
        st.caption(f"{qa.store.count_chunks()} passages indexed in '{settings.collection}'.")

    messages = st.session_state.setdefault("messages", [])
    chat, sources = st.columns([3, 2])
    with chat:
        st.title("Ask the news")
        for message in messages:
            with st.chat_message(message["role"]):
                if message["role"] == "user":
                    st.markdown(escape_markdown(message["content"]))
                else:
                    render_answer(message["answer"])
    question = st.chat_input("Ask about the news…")
    if question:
        messages.append({"role": "user", "content": question})
        with chat:
            with st.chat_message("user"):
                st.markdown(escape_markdown(question))
            with st.chat_message("assistant"):
                stream = qa.ask_stream(question, as_of=as_of if use_as_of else None, top_k=top_k)
                if qa.backend != "extractive":
                    placeholder = st.empty()
                    written = ""
                    for delta in stream:
                        written += delta
                        placeholder.markdown(escape_markdown(written))
                    placeholder.empty()
                answer = answer_record(stream.result())
                render_answer(answer)
        messages.append({"role": "assistant", "answer": answer})
    last = next((m["answer"] for m in reversed(messages) if m["role"] == "assistant"), None)
    with sources:
        st.subheader("Sources")
        if last is None:
            st.caption("Cited passages appear here, with title, outlet, date and link.")
        else:
            show_sources(last)


main()
