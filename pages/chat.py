"""Chat page: ask about the news, open the cited passages, see the sources beside the answer."""

from __future__ import annotations

import streamlit as st

from webui.chat import ask_and_show, show_answer, show_user
from webui.controls import conversation_tools, sidebar_controls
from webui.sources import sources_panel
from webui.state import current_settings, open_newsqa

qa = open_newsqa(current_settings())
with st.sidebar:
    filters = sidebar_controls(qa)

messages = st.session_state.setdefault("messages", [])
chat, side = st.columns([3, 2], gap="large")
with chat:
    st.title("Ask the news")
    if not messages:
        st.caption(
            "Answers cite the articles they come from: click a [n] chip to read the passage."
        )
    for message in messages:
        if message["role"] == "user":
            show_user(message["content"])
        else:
            show_answer(message["answer"], qa)

question = st.chat_input("Ask about the news…")
if question:
    earlier = [m["answer"] for m in messages if m["role"] == "assistant"]
    with chat:
        show_user(question)
        record = ask_and_show(qa, question, filters, earlier)
    if record is not None:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "answer": record}]

records = [m["answer"] for m in messages if m["role"] == "assistant"]
with side:
    sources_panel(records[-1] if records else None)
with st.sidebar:
    conversation_tools(qa, records)
