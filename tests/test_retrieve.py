"""Retrieval behaviour on a real Chroma with the real model: time, outlets, sections, diversity,
BM25 sync."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED


def titles(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.node.metadata["title"] for r in results]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_as_of_never_leaks_a_later_article(settings, embed_model, mode: str) -> None:
    from qa.pipeline import NewsQA

    qa = NewsQA(settings.model_copy(update={"retriever": mode}), embed_model=embed_model)
    qa.ingest([SEED, FIXTURES / "articles.jsonl"])
    for as_of in (date(2023, 5, 1), date(2023, 6, 30), date(2024, 1, 1)):
        results = qa.retrieve("Who won the national cup final?", as_of=as_of, top_k=10)
        assert all(r.node.metadata["published_at"][:10] <= as_of.isoformat() for r in results)


def test_as_of_picks_the_edition_of_a_recurring_story_current_at_that_date(loaded) -> None:
    question = "Who won the national cup final?"
    assert (
        titles(loaded.retrieve(question, as_of=date(2023, 6, 1)))[0]
        == "Lakeside United win the national cup final"
    )
    assert (
        titles(loaded.retrieve(question, as_of=date(2024, 6, 1)))[0]
        == "Lakeside United lose the national cup final"
    )


def test_year_in_the_question_filters_by_publication_date(loaded) -> None:
    results = loaded.retrieve("Who won the national cup final in 2024?")
    assert titles(results)[0] == "Lakeside United lose the national cup final"
    assert all(r.node.metadata["published_at"] >= "2024" for r in results)


def test_a_named_period_is_reported_in_it_or_after_it(newsqa, tmp_path: Path) -> None:
    """'last year' bounds publication from below: the figures for a year come out the next one."""
    records = [
        {"title": "Valdora counts its births", "published_at": "2024-08-20",
         "body": "About 41,000 babies were born in Valdora in 2023, the statistics office said on Tuesday. "
                 "That was 900 fewer than the year before."},
        {"title": "Valdora maternity ward opens", "published_at": "2023-03-02",
         "body": "A new maternity ward opened in Valdora, where the hospital expects more births."},
        {"title": "Valdora birth rate in 2021", "published_at": "2022-06-01",
         "body": "About 43,500 babies were born in Valdora in 2021, the statistics office said."},
    ]  # fmt: skip
    path = tmp_path / "births.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    newsqa.ingest([path])
    question = "Roughly how many babies were born in Valdora last year?"
    results = newsqa.retrieve(question, as_of=date(2024, 8, 22), top_k=3)
    assert titles(results)[0] == "Valdora counts its births"
    assert all(
        "2023-01-01" <= r.node.metadata["published_at"][:10] <= "2024-08-22" for r in results
    )
    # "before" still bounds from above, and the closed period of the ablation drops the report
    before = newsqa.retrieve("How many babies were born in Valdora before 2023?", top_k=3)
    assert titles(before) == ["Valdora birth rate in 2021"]
    closed = replace(newsqa.retrieval_config(3), period_open_end=False)
    newsqa.retrieval_config = lambda top_k=None: closed
    results = newsqa.retrieve(question, as_of=date(2024, 8, 22), top_k=3)
    assert "Valdora counts its births" not in titles(results)


def test_outlet_filter_and_outlet_named_in_the_question(loaded) -> None:
    results = loaded.retrieve("What happened to interest rates?", sources=("Valdora Times",))
    assert results and {r.node.metadata["source"] for r in results} == {"Valdora Times"}
    named = loaded.retrieve("What has Tech Daily reported about robots?")
    assert {r.node.metadata["source"] for r in named} == {"Tech Daily"}


def test_outlet_named_in_the_question_filters_in_dense_mode_too(loaded) -> None:
    loaded.settings = loaded.settings.model_copy(update={"retriever": "dense"})
    named = loaded.retrieve("What did Tech Daily report about robots?")
    assert named and {r.node.metadata["source"] for r in named} == {"Tech Daily"}


STADIUM = "What happened at the Kessel Park stadium?"


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_section_filter_keeps_only_the_chosen_sections(settings, embed_model, mode: str) -> None:
    from qa.pipeline import NewsQA

    qa = NewsQA(settings.model_copy(update={"retriever": mode}), embed_model=embed_model)
    qa.ingest([FIXTURES / "sections.jsonl", FIXTURES / "articles.jsonl"])
    everything = qa.retrieve(STADIUM, top_k=10)
    assert {r.node.metadata["section"] for r in everything} >= {"Sports", "Business", ""}
    # any case: the names are matched to the stored ones
    sports = qa.retrieve(STADIUM, sections=("sports",), top_k=10)
    assert len(sports) == 2 and {r.node.metadata["section"] for r in sports} == {"Sports"}
    two = qa.retrieve(STADIUM, sections=("Business", "Politics"), top_k=10)
    assert {r.node.metadata["title"] for r in two} == {
        "Stadium builder Kestrel reports record profit",
        "Council questions stadium subsidy",
    }
    combined = qa.retrieve(STADIUM, sections=("Sports",), sources=("Riverton Gazette",))
    assert titles(combined) == ["Rovers stadium to get a roof"]
    assert qa.retrieve(STADIUM, sections=("Weather",)) == []  # an unknown section matches nothing
    named = qa.retrieve("What was in the business section about the stadium?")
    assert named and {r.node.metadata["section"] for r in named} == {"Business"}


def test_lexical_index_saved_without_sections_is_rebuilt(newsqa, settings, embed_model) -> None:
    from qa.lexical import load_lexical_index
    from qa.pipeline import NewsQA

    newsqa.ingest([FIXTURES / "sections.jsonl"])
    newsqa.lexical.current()
    meta_path = settings.lexical_path / "meta.json"
    meta = json.loads(meta_path.read_text())
    del meta["sections"]  # as the previous format saved it
    meta["version"] = 2
    meta_path.write_text(json.dumps(meta))
    assert load_lexical_index(settings.lexical_path) is None
    reopened = NewsQA(settings, embed_model=embed_model)
    results = reopened.retrieve(STADIUM, sections=("Business",))
    assert titles(results) == ["Stadium builder Kestrel reports record profit"]
    assert load_lexical_index(settings.lexical_path).sections == ["Business", "Politics", "Sports"]


def test_at_most_n_chunks_per_article(newsqa, tmp_path: Path) -> None:
    body = " ".join(
        f"Sentence {i} about the long budget debate in the Valdora parliament." for i in range(80)
    )
    path = tmp_path / "long.json"
    path.write_text(
        json.dumps({"title": "Budget debate", "body": body, "published_at": "2023-03-01"})
    )
    newsqa.ingest([path, FIXTURES / "articles.jsonl"])
    results = newsqa.retrieve("What happened in the budget debate?", top_k=6)
    per_article = [r.node.metadata["article_id"] for r in results].count(
        results[0].node.metadata["article_id"]
    )
    assert per_article == newsqa.settings.max_chunks_per_article


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_bm25_stays_in_sync_after_remove_and_update(
    settings, embed_model, tmp_path: Path, mode: str
) -> None:
    from qa.pipeline import NewsQA

    qa = NewsQA(settings.model_copy(update={"retriever": mode}), embed_model=embed_model)
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps(
            {
                "title": "Bridge",
                "body": "The zebrafish bridge opens on Friday.",
                "url": "https://x.example/b",
            }
        )
    )
    qa.ingest([path, FIXTURES / "articles.jsonl"])
    assert titles(qa.retrieve("zebrafish bridge"))[0] == "Bridge"
    path.write_text(
        json.dumps(
            {
                "title": "Bridge",
                "body": "The okapi bridge opening was delayed.",
                "url": "https://x.example/b",
            }
        )
    )
    qa.ingest([path])
    assert not any("zebrafish" in r.node.get_content() for r in qa.retrieve("zebrafish"))
    assert titles(qa.retrieve("okapi bridge"))[0] == "Bridge"
    # a second process (another replica) sees the change too
    other = NewsQA(settings.model_copy(update={"retriever": mode}), embed_model=embed_model)
    assert titles(other.retrieve("okapi bridge"))[0] == "Bridge"
    bridge = next(r.id for r in qa.articles() if r.title == "Bridge")
    qa.remove([bridge])
    assert "Bridge" not in titles(qa.retrieve("okapi bridge"))
    assert "Bridge" not in titles(other.retrieve("okapi bridge"))


def test_multi_part_question_retrieves_for_each_part(loaded) -> None:
    results = loaded.retrieve(
        "How much will the airport tram cost and what was the record temperature in Valdora?",
        top_k=4,
    )
    found = set(titles(results))
    assert "City council approves new tram line to the airport" in found
    assert "Heatwave breaks temperature record in Valdora" in found


def test_hybrid_scores_the_cosine_chroma_stores_for_every_candidate(loaded) -> None:
    import numpy as np

    index = loaded.lexical.current()
    page = loaded.store.collection.get(include=["embeddings"])
    stored = {
        i: np.asarray(e, dtype=np.float32)
        for i, e in zip(page["ids"], page["embeddings"], strict=True)
    }
    assert len(index.vectors) == len(index.chunk_ids) == len(stored)
    for row, chunk_id in enumerate(index.chunk_ids):
        assert np.allclose(
            index.vectors[row], stored[chunk_id] / np.linalg.norm(stored[chunk_id]), atol=1e-6
        )
    question = "Who won the national cup final?"
    dense = loaded.settings.model_copy(update={"fusion_lexical_weight": 0.0})
    loaded.settings = dense
    results = loaded.retrieve(question, top_k=3)
    query = np.asarray(loaded.embed_model.get_query_embedding(question), dtype=np.float32)
    for result in results:
        assert result.score == pytest.approx(float(stored[result.node.node_id] @ query), abs=1e-4)


def test_chunk_deleted_behind_the_lexical_index_is_dropped_not_shown(loaded) -> None:
    question = "Who won the national cup final?"
    first = loaded.retrieve(question, top_k=3)[0]
    loaded.lexical.current()  # the index is built; now a chunk disappears without a generation bump
    loaded.store.collection.delete(ids=[first.node.node_id])
    loaded.lexical._min_rebuild_s = 3600.0  # only the chunk count moved: the index is kept
    results = loaded.retrieve(question, top_k=3)
    assert first.node.node_id not in {r.node.node_id for r in results} and results


def test_query_expansion_takes_rare_terms_shared_by_the_first_hits(loaded) -> None:
    index = loaded.lexical.current()
    hits = [
        "Lakeside United win the national cup final against Harbor City.",
        "Harbor City beat Lakeside United in the national cup final.",
        "The tram line to the airport was approved.",
    ]
    terms = index.expansion_terms(hits, "Who won the cup final?", 3)
    # shared by two hits and not asked: the club names; 'cup'/'final' are in the question, 'tram' in one hit only
    assert set(terms) <= {"lakesid", "unit", "harbor", "citi", "nation"} and {
        "harbor",
        "lakesid",
    } <= set(terms)
    assert index.expansion_terms(hits[:1], "Who won the cup final?", 3) == []


def test_query_expansion_setting_changes_bm25_scores_not_the_filters(loaded) -> None:
    from datetime import date

    question = "Who won the national cup final?"
    plain = {r.node.node_id: r.score for r in loaded.retrieve(question, top_k=5)}
    loaded.settings = loaded.settings.model_copy(update={"query_expansion_terms": 5})
    expanded = {r.node.node_id: r.score for r in loaded.retrieve(question, top_k=5)}
    # the two cup-final reports share their club names: expansion adds BM25 score to both
    assert any(expanded[i] > plain[i] + 1e-6 for i in expanded if i in plain)
    results = loaded.retrieve(question, as_of=date(2023, 6, 1), top_k=5)
    assert results and all(r.node.metadata["published_at"][:10] <= "2023-06-01" for r in results)
    assert results[0].node.metadata["title"] == "Lakeside United win the national cup final"
