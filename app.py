"""newsqa web app (Streamlit): the chat and the corpus pages. Start it with `newsqa app`."""

from __future__ import annotations

import streamlit as st

from qa.offline import prepare_offline_runtime


def main() -> None:
    prepare_offline_runtime()
    st.set_page_config(page_title="newsqa", page_icon="📰", layout="wide")
    page = st.navigation(
        [
            st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
            st.Page(
                "pages/corpus.py",
                title="Corpus",
                icon=":material/library_books:",
                url_path="corpus",
            ),
        ]
    )
    page.run()


main()
