"""The corpus page: add files, URLs and feeds with progress and per-item errors; browse; delete."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from qa.answer import display_date
from qa.render import escape_markdown
from webui import uploads
from webui.state import forget_corpus_facts
from webui.uploads import UPLOAD_SUFFIXES, UploadRejected, save_upload

_WEB_LINK = re.compile(r"(?i)^https?://[^\s/?#]+[^\s]*$")


def add_files(qa: Any) -> None:
    """Upload article files; they are saved under NEWSQA_HOME/uploads, then ingested."""
    st.subheader("Upload files")
    round_ = st.session_state.setdefault("upload_round", 0)  # a new key empties the uploader
    files = st.file_uploader(
        f"Article files ({', '.join(s.lstrip('.') for s in UPLOAD_SUFFIXES)}; "
        f"up to {uploads.MAX_UPLOAD_MB:g} MB each)",
        type=[s.lstrip(".") for s in UPLOAD_SUFFIXES],
        accept_multiple_files=True,
        key=f"uploads-{round_}",
        max_upload_size=max(1, round(uploads.MAX_UPLOAD_MB)),
    )
    if st.button("Ingest uploaded files", key="ingest_uploads", disabled=not files):
        saved: list[str] = []
        labels: dict[str, str] = {}
        rejected: list[tuple[str, str]] = []
        for upload in files or []:
            try:
                path = save_upload(
                    qa.settings.home, upload.name, upload.getvalue(), max_mb=uploads.MAX_UPLOAD_MB
                )
            except UploadRejected as error:
                rejected.append((upload.name, str(error)))
                continue
            saved.append(str(path))
            labels[str(path)] = upload.name
        run_ingest(qa, saved, labels, rejected)
        st.session_state.upload_round = round_ + 1  # the next run shows an empty uploader


def add_links(qa: Any) -> None:
    """Article URLs and RSS/Atom feed URLs, one per line."""
    st.subheader("Add URLs and feeds")
    text = st.text_area(
        "Article or RSS/Atom feed URLs, one per line",
        key="links",
        placeholder="https://example.com/news/story.html\nhttps://example.com/rss.xml",
    )
    if st.button("Fetch and ingest", key="ingest_links", disabled=not (text or "").strip()):
        links, rejected = [], []
        for line in (text or "").splitlines():
            line = line.strip()
            if not line:
                continue
            if _WEB_LINK.match(line):
                links.append(line)
            else:
                rejected.append((line, "not an http(s) URL"))
        run_ingest(qa, links, {}, rejected)


def run_ingest(
    qa: Any, inputs: list[str], labels: dict[str, str], rejected: list[tuple[str, str]]
) -> None:
    """Ingest with a progress bar; keep the summary and every failure for the page to show."""
    failures = list(rejected)
    summary = "nothing to ingest"
    if inputs:
        bar = st.progress(0.0, text=f"Ingesting {len(inputs)} item(s)…")

        def progress(report: Any) -> None:
            expected = max(len(inputs), report.done, 1)
            bar.progress(
                min(report.done / expected, 1.0),
                text=f"{report.done} processed: {report.added} added, {report.updated} updated, "
                f"{report.unchanged} unchanged, {len(report.failures)} failed; "
                f"{report.chunks} passages",
            )

        report = qa.ingest(inputs, progress=progress)
        bar.progress(1.0, text=f"Done: {report.summary()}")
        summary = report.summary()
        failures += [(labels.get(f.input, f.input), f.reason) for f in report.failures]
        forget_corpus_facts()
    st.session_state.ingest_result = {"summary": summary, "failures": failures}


def show_ingest_result() -> None:
    result = st.session_state.get("ingest_result")
    if not result:
        return
    if result["failures"]:
        st.warning(
            f"Ingested: {escape_markdown(result['summary'])}. "
            f"{len(result['failures'])} item(s) failed:"
        )
        st.dataframe(
            [{"input": name, "reason": reason} for name, reason in result["failures"]],
            hide_index=True,
            key="ingest_failures",
        )
    else:
        st.success(f"Ingested: {escape_markdown(result['summary'])}")


def _label(record: Any) -> str:
    date = display_date(record.published_at) or "date unknown"
    return f"{record.title or 'Untitled'} · {record.source or 'unknown outlet'} · {date}"


def browse(qa: Any) -> None:
    """Search the articles by title or outlet; see their passages; delete some."""
    st.subheader("Articles")
    records = qa.articles()
    query = st.text_input("Search title or outlet", key="article_search").strip().casefold()
    shown = [
        r for r in records if not query or query in f"{r.title} {r.source or ''} {r.id}".casefold()
    ]
    st.caption(f"{len(shown)} of {len(records)} articles")
    st.dataframe(
        [
            {
                "title": r.title,
                "outlet": r.source or "",
                "published": display_date(r.published_at),
                "chunks": r.chunks,
                "url": r.url or "",
                "id": r.id,
            }
            for r in shown
        ],
        hide_index=True,
        key="articles_table",
        column_config={
            "title": st.column_config.TextColumn("title", width="medium"),
            "chunks": st.column_config.NumberColumn("chunks", width="small"),
        },
    )
    by_id = {r.id: r for r in shown}
    chosen = st.selectbox(
        "Show the passages of",
        options=list(by_id),
        index=None,
        format_func=lambda i: _label(by_id[i]),
        key="inspect_article",
        placeholder="Choose an article",
    )
    if chosen:
        for node in qa.store.chunks_of(chosen):
            with st.container(border=True):
                st.caption(f"passage {int(node.metadata.get('position', 0)) + 1}")
                st.markdown(escape_markdown(node.get_content()))
    _delete(qa, by_id)


def _delete(qa: Any, by_id: dict[str, Any]) -> None:
    ids = st.multiselect(
        "Articles to delete",
        options=list(by_id),
        format_func=lambda i: _label(by_id[i]),
        key="delete_ids",
    )
    confirm = st.checkbox("Yes, delete them and all their passages", key="confirm_delete")
    st.button(
        f"Delete {len(ids)} article(s)",
        key="delete",
        type="primary",
        disabled=not (ids and confirm),
        on_click=_delete_chosen,
        args=(qa,),
    )
    if st.session_state.get("deleted"):
        st.success(f"Deleted {st.session_state.pop('deleted')} article(s).")


def _delete_chosen(qa: Any) -> None:
    ids = list(st.session_state.get("delete_ids") or [])
    qa.remove(ids)
    forget_corpus_facts()
    st.session_state.deleted = len(ids)
    st.session_state.delete_ids = []
    st.session_state.confirm_delete = False
