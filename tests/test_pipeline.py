"""End to end through the real MiniLM model and a real Chroma: ingest, retrieve, answer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED

BOILERPLATE = [
    "HamberMenu",
    "SEARCH Icon",
    "Sign in",
    "member-only",
    "Comments have to be",
    "Vuukle",
    "CONNECT WITH US",
    "Crossword",
]


def all_chunk_texts(newsqa) -> list[str]:  # type: ignore[no-untyped-def]
    return newsqa.store.collection.get(include=["documents"])["documents"]


def test_seed_page_is_indexed_with_title_date_and_no_boilerplate(newsqa) -> None:
    report = newsqa.ingest([SEED])
    assert report.added == 1 and not report.failures
    (record,) = newsqa.articles()
    assert (
        record.title
        == "North Korea's Kim Jong Un to meet Putin in Russia this month: U.S. official"
    )
    assert record.published_at.startswith("2023-09-05T06:49")
    assert record.source == "The Hindu"
    texts = all_chunk_texts(newsqa)
    joined = "\n".join(texts)
    assert "Vladivostok would be a likely possibility" in joined
    for furniture in BOILERPLATE:
        assert furniture not in joined, furniture


def test_reingest_same_article_adds_no_chunks(newsqa) -> None:
    first = newsqa.ingest([SEED, FIXTURES / "articles.jsonl"])
    chunks = newsqa.store.count_chunks()
    second = newsqa.ingest([SEED, FIXTURES / "articles.jsonl"])
    assert first.added == 7
    assert second.added == 0 and second.unchanged == 7 and second.chunks == 0
    assert newsqa.store.count_chunks() == chunks


def test_bad_file_among_good_ones_is_named_and_the_rest_ingested(newsqa, tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    report = newsqa.ingest([SEED, bad, FIXTURES / "articles.jsonl"])
    assert report.added == 7
    assert len(report.failures) == 1 and "broken.json" in str(report.failures[0])


def test_changed_article_replaces_its_chunks(newsqa, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        '{"title": "T", "body": "The bridge will open on Friday after two years of work.", "url": "https://x.example/a", "published_at": "2023-01-02"}'
    )
    newsqa.ingest([path])
    path.write_text(
        '{"title": "T", "body": "The bridge opening was delayed to March because of a strike.", "url": "https://x.example/a", "published_at": "2023-01-02"}'
    )
    report = newsqa.ingest([path])
    assert report.updated == 1
    texts = all_chunk_texts(newsqa)
    assert texts == ["The bridge opening was delayed to March because of a strike."]


def test_half_written_article_is_repaired_on_rerun(newsqa) -> None:
    newsqa.ingest([SEED])
    (record,) = newsqa.articles()
    assert record.expected_chunks > 1
    # a run killed mid-write leaves only some chunks behind
    newsqa.store.collection.delete(ids=[f"{record.id}:0"])
    assert not newsqa.articles()[0].complete
    report = newsqa.ingest([SEED])
    assert report.updated == 1
    assert newsqa.articles()[0].complete


@pytest.mark.parametrize(
    ("question", "expected_title"),
    [
        (
            "When will construction of the airport tram start?",
            "City council approves new tram line to the airport",
        ),
        (
            "What was the record temperature in Valdora?",
            "Heatwave breaks temperature record in Valdora",
        ),
        ("How much does the Atlas-7 robot cost?", "Northwind Robotics unveils warehouse robot"),
        (
            "Where might Kim Jong Un meet Vladimir Putin?",
            "North Korea's Kim Jong Un to meet Putin in Russia this month: U.S. official",
        ),
    ],
)
def test_retrieval_finds_the_right_article_among_several(
    loaded, question: str, expected_title: str
) -> None:
    results = loaded.retrieve(question, top_k=3)
    assert results[0].node.metadata["title"] == expected_title


def test_as_of_never_returns_articles_published_later(loaded) -> None:
    results = loaded.retrieve("Who won the national cup final?", as_of=date(2023, 12, 31), top_k=10)
    assert results
    assert all(r.node.metadata["published_at"] <= "2023-12-31T23:59:59" for r in results)
    titles = [r.node.metadata["title"] for r in results]
    assert "Lakeside United lose the national cup final" not in titles


def test_extractive_answer_cites_the_passage_that_holds_the_answer(loaded) -> None:
    answer = loaded.ask("How much will the airport tram line cost?")
    assert not answer.refused
    assert "420 million euros" in answer.text
    cited = answer.citations
    assert cited and cited[0].title == "City council approves new tram line to the airport"
    assert any("420 million euros" in c.quote for c in cited)
    assert answer.text.startswith("As of 3 Oct 2023 (Riverton Gazette):")
    assert all(s.citations for s in answer.sentences)


def test_extractive_answer_refuses_when_articles_do_not_cover_the_question(loaded) -> None:
    answer = loaded.ask("What is the recipe for a sourdough starter?")
    assert answer.refused
    assert answer.text.startswith("The articles do not say.")
    assert not answer.citations


def test_empty_collection_refuses(newsqa) -> None:
    answer = newsqa.ask("Who won the cup final?")
    assert answer.refused and not answer.sources


def test_store_built_with_another_embedding_model_is_a_clear_error(
    newsqa, settings, embed_model
) -> None:
    from qa.pipeline import NewsQA
    from qa.store import EmbeddingMismatchError

    newsqa.ingest([SEED])
    newsqa.store.collection.modify(metadata={"embed_model": "other-model", "embed_dim": 768})
    with pytest.raises(EmbeddingMismatchError, match="other-model"):
        NewsQA(settings, embed_model=embed_model)


def test_remove_deletes_article_and_chunks(loaded) -> None:
    before = {r.id: r for r in loaded.articles()}
    victim = next(r for r in before.values() if r.source == "Tech Daily")
    loaded.remove([victim.id])
    after = {r.id for r in loaded.articles()}
    assert victim.id not in after and len(after) == len(before) - 1
    assert not loaded.store.collection.get(where={"article_id": victim.id})["ids"]
