"""The sources panel beside the answer: retrieved stories, newest first or by relevance."""

from __future__ import annotations

from typing import Any

import streamlit as st

from qa.answer import display_date
from qa.render import escape_markdown, group_sources, safe_link

ORDERS = {"By relevance": "relevance", "Newest first": "newest"}


def sources_panel(record: dict[str, Any] | None) -> None:
    """The retrieved sources of an answer, one entry per story, with dates and outlets."""
    st.subheader("Sources")
    if record is None:
        st.caption("The passages an answer is built from appear here, with outlet, date and link.")
        return
    order = st.radio(
        "Order", list(ORDERS), horizontal=True, key="source_order", label_visibility="collapsed"
    )
    cited = {c["n"] for c in record.get("citations", [])}
    groups = group_sources(record.get("sources", []), ORDERS[order or "By relevance"])
    if not groups:
        st.caption("No article matched the question within the filters.")
    for group in groups:
        lead = group.lead
        numbers = "".join(f"[{n}]" for n in group.numbers)
        date = display_date(group.newest) or "date unknown"
        is_cited = bool(cited & set(group.numbers))
        label = (
            f"{escape_markdown(numbers)} {escape_markdown(lead.get('title') or 'Untitled')}"
            f" · {escape_markdown(date)}"
        )
        icon = ":material/check_circle:" if is_cited else ":material/article:"
        with st.expander(label, expanded=is_cited, icon=icon):
            outlets = ", ".join(group.outlets)
            many = len(group.outlets) > 1
            st.caption(
                ("Same story from: " if many else "")
                + escape_markdown(outlets)
                + f" · published {escape_markdown(date)}"
                + (" · cited" if is_cited else " · retrieved, not cited")
            )
            for source in sorted(group.sources, key=lambda s: s["n"]):
                st.markdown(
                    f"**\\[{source['n']}\\]** " + escape_markdown(str(source.get("quote", "")))
                )
                link = safe_link(source.get("url"))
                if link:
                    st.markdown(
                        f"[{escape_markdown(source.get('source') or 'article')} ↗](<{link}>)"
                    )
