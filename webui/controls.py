"""The chat's sidebar: backend, filters (as-of, since, outlets, sections, sources), conversation tools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from qa.export import conversation_json, conversation_markdown
from qa.render import escape_markdown
from webui.state import corpus_facts, show_backend


@dataclass(frozen=True)
class Filters:
    """What the next question is asked with."""

    as_of: date | None = None
    since: date | None = None
    sources: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    top_k: int = 6

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "since": self.since.isoformat() if self.since else None,
            "sources": list(self.sources),
            "sections": list(self.sections),
            "top_k": self.top_k,
        }


def _first_date(value: str | None) -> date:
    try:
        return date.fromisoformat(value[:10]) if value else date.today()
    except ValueError:
        return date.today()


def sidebar_controls(qa: Any) -> Filters:
    """Draw the sidebar and return the filters it sets."""
    facts = corpus_facts(qa)
    st.header("newsqa")
    show_backend(qa)

    st.subheader("Filters")
    use_since = st.checkbox("Only articles published from…", key="use_since")
    since = st.date_input(
        "Published from", value=_first_date(facts.earliest), key="since", disabled=not use_since
    )
    use_as_of = st.checkbox("Answer as of a date", key="use_as_of")
    as_of = st.date_input("As of", value=date.today(), key="as_of", disabled=not use_as_of)
    if use_since and use_as_of and since > as_of:
        st.warning("“Published from” is after “As of”: no article can match.")
    outlets = st.multiselect(
        "Outlets", options=list(facts.outlets), key="outlets", placeholder="All outlets"
    )
    sections = (  # most collections have no sections: no control that could only say so
        st.multiselect(
            "Sections", options=list(facts.sections), key="sections", placeholder="All sections"
        )
        if facts.sections
        else []
    )
    top_k = st.slider("Sources per answer", 1, 20, qa.settings.top_k, key="top_k")

    return Filters(
        as_of=as_of if use_as_of else None,
        since=since if use_since else None,
        sources=tuple(outlets),
        sections=tuple(sections),
        top_k=int(top_k),
    )


def _new_chat() -> None:
    st.session_state.messages = []


def conversation_tools(qa: Any, records: list[dict[str, Any]]) -> None:
    """New chat, and the conversation with its citations as Markdown or JSON."""
    st.subheader("Conversation")
    st.button("New chat", key="new_chat", icon=":material/add_comment:", on_click=_new_chat)
    collection = qa.settings.collection
    st.download_button(
        "Export Markdown",
        data=conversation_markdown(records, collection=collection),
        file_name="newsqa-conversation.md",
        mime="text/markdown",
        key="export_md",
        disabled=not records,
        on_click="ignore",
    )
    st.download_button(
        "Export JSON",
        data=conversation_json(records, collection=collection),
        file_name="newsqa-conversation.json",
        mime="application/json",
        key="export_json",
        disabled=not records,
        on_click="ignore",
    )
    st.caption(
        f"{corpus_facts(qa).articles} articles · {qa.store.count_chunks()} passages in "
        f"'{escape_markdown(collection)}'"
    )
