"""Corpus page: upload files, add URLs and feeds, watch ingestion, browse and delete articles."""

from __future__ import annotations

import streamlit as st

from webui.corpus import add_files, add_links, browse, show_ingest_result
from webui.state import current_settings, open_newsqa, show_backend

qa = open_newsqa(current_settings())
with st.sidebar:
    st.header("newsqa")
    show_backend(qa)

st.title("Corpus")
adding, listing = st.columns([2, 3], gap="medium")
with adding:
    add_files(qa)
    add_links(qa)
    show_ingest_result()
with listing:
    browse(qa)
