"""NEWSQA_CHROMA_HOST/_PORT: the same pipeline against a real Chroma server."""

from __future__ import annotations

from conftest import FIXTURES, SEED


def test_ingest_and_answer_through_a_chroma_server(chroma_server, settings, embed_model) -> None:
    from qa.pipeline import NewsQA

    server_settings = settings.model_copy(
        update={"chroma_host": "127.0.0.1", "chroma_port": chroma_server.port}
    )
    qa = NewsQA(server_settings, embed_model=embed_model)
    report = qa.ingest([SEED, FIXTURES / "articles.jsonl"])
    assert report.added == 7
    # nothing was written locally: the server holds the store
    assert not server_settings.chroma_path.exists()
    again = NewsQA(server_settings, embed_model=embed_model)
    assert len(again.articles()) == 7
    answer = again.ask("How much will the airport tram line cost?")
    assert "420 million euros" in answer.text and answer.citations
