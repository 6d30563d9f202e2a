"""The chat column: answers with [n] chips that open the cited passage, feedback, streaming."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from qa.answer import SentenceChecked, display_date
from qa.export import answer_record, history_of
from qa.feedback import Rating, feedback_for, record_feedback
from qa.render import (
    answer_markdown,
    escape_markdown,
    highlighted_markdown,
    safe_link,
    sentences_citing,
    story_outlets,
    streaming_markdown,
    support_spans,
)
from qa.store import OUTLET_SEPARATOR
from webui.controls import Filters

THUMBS: dict[int, Rating] = {0: "down", 1: "up"}  # st.feedback("thumbs") values
log = logging.getLogger(__name__)


def show_user(text: str) -> None:
    with st.chat_message("user"):
        st.markdown(escape_markdown(text))


def show_answer(record: dict[str, Any], qa: Any) -> None:
    """One assistant turn: the answer, its citation chips, the opened passage, feedback."""
    with st.chat_message("assistant"):
        st.markdown(answer_markdown(record["sentences"]) or "_(no answer)_")
        if record.get("standalone_question"):
            st.caption(f"Searched for: {escape_markdown(str(record['standalone_question']))}")
        if any(s.get("supported") is False for s in record["sentences"]):
            st.caption("Sentences marked *unsupported* are not backed by the passage they cite.")
        if record.get("notice"):
            st.warning(escape_markdown(str(record["notice"])))
        if record.get("invalid_markers"):
            st.caption(
                f"{record['invalid_markers']} citation marker(s) named no source and were removed."
            )
        _citation_chips(record)
        _feedback(record, qa)


def _citation_chips(record: dict[str, Any]) -> None:
    by_number = {s["n"]: s for s in record.get("sources", [])}
    cited = [c["n"] for c in record.get("citations", []) if c["n"] in by_number]
    if not cited:
        return
    chosen = st.pills(
        "Cited passages",
        options=cited,
        format_func=lambda n: f"[{n}] {escape_markdown(by_number[n].get('source') or 'source')}",
        key=f"cite-{record['id']}",
        label_visibility="collapsed",
    )
    if chosen is not None:
        show_passage(by_number[chosen], sentences_citing(record["sentences"], chosen), record)


def show_passage(source: dict[str, Any], claims: list[str], record: dict[str, Any]) -> None:
    """The cited passage with the words that back the answer highlighted, and where it is from."""
    with st.container(border=True, key=f"passage-{record['id']}-{source['n']}"):
        st.markdown(f"**\\[{source['n']}\\] {escape_markdown(source.get('title') or 'Untitled')}**")
        outlets = story_outlets([source])
        date = display_date(source.get("published_at")) or "date unknown"
        st.caption(f"{escape_markdown(', '.join(outlets))} · {escape_markdown(date)}")
        spans = support_spans(str(source.get("quote", "")), claims)
        st.markdown(highlighted_markdown(str(source.get("quote", "")), spans))
        if not spans:
            st.caption("No words of the answer were found in this passage.")
        link = safe_link(source.get("url"))
        if link:
            st.link_button("Open the article", link, icon=":material/open_in_new:")


def _feedback(record: dict[str, Any], qa: Any) -> None:
    key = f"fb-{record['id']}"
    st.feedback("thumbs", key=key, on_change=_save_rating, args=(record, qa, key))
    given = record.get("feedback")
    if not given:
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.text_input("Comment (optional)", key=f"fbc-{record['id']}", max_chars=2000)
        if st.button("Send comment", key=f"fbs-{record['id']}"):
            comment = st.session_state.get(f"fbc-{record['id']}", "")
            _store(record, qa, given["rating"], comment)
    st.caption(f"Thanks: feedback saved (thumbs {given['rating']}).")


def _save_rating(record: dict[str, Any], qa: Any, key: str) -> None:
    value = st.session_state.get(key)
    if value in THUMBS:
        _store(record, qa, THUMBS[value], (record.get("feedback") or {}).get("comment", ""))


def _store(record: dict[str, Any], qa: Any, rating: Rating, comment: str) -> None:
    entry = feedback_for(record, rating, comment=comment, collection=qa.settings.collection)
    record_feedback(qa.settings.home, entry)
    record["feedback"] = {"rating": rating, "comment": entry.comment}


def stories_of(qa: Any, answer: Any) -> dict[str, dict[str, Any]]:
    """chunk id -> its near-duplicate group (story_id, story_outlets), for the answer's sources."""
    stories: dict[str, dict[str, Any]] = {}
    for article_id in {s.article_id for s in answer.sources}:
        for node in qa.store.chunks_of(article_id):
            meta = node.metadata
            outlets = str(meta.get("story_outlets") or "").split(OUTLET_SEPARATOR)
            stories[node.node_id] = {
                "story_id": str(meta.get("story_id") or "") or None,
                "story_outlets": [o.strip() for o in outlets if o.strip()],
            }
    return stories


def ask_and_show(
    qa: Any, question: str, filters: Filters, earlier: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Ask with the filters and the conversation so far, streaming the text, then show the answer.

    Returns the answer record, or None when the question could not be answered (shown why).
    """
    placeholder = st.empty()
    try:
        with placeholder.container(), st.chat_message("assistant"):
            with st.spinner("Searching the articles…"):
                stream = qa.ask_stream(
                    question,
                    as_of=filters.as_of,
                    since=filters.since,
                    sources=filters.sources,
                    sections=filters.sections,
                    top_k=filters.top_k,
                    history=history_of(earlier),
                )
            text = st.empty()
            written = ""
            checked: list[Any] = []
            # each finished sentence is shown checked (chips, or marked unsupported) while
            # the next one streams in
            for event in stream.events():
                if isinstance(event, SentenceChecked):
                    checked.append(event.sentence)
                else:
                    written += event
                text.markdown(streaming_markdown(written, checked, filters.top_k) + " ▌")
        answer = stream.result()
    except Exception as error:  # the page must say what went wrong, not die
        log.exception("answering %r failed", question)
        placeholder.empty()
        st.error(f"Could not answer: {escape_markdown(str(error) or type(error).__name__)}")
        return None
    placeholder.empty()
    record = answer_record(answer, filters=filters.as_dict(), stories=stories_of(qa, answer))
    show_answer(record, qa)
    return record
