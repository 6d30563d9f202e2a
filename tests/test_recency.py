"""The recency prior of hybrid retrieval, and query expansion being off by default.

Two editions of a weekly earthquake report, five weeks apart. On content alone the older one
is the closer match to the plain question, so whenever the newer one comes first it is the
recency prior (or a date filter) that put it there. Dates are relative to today because a
question with no as-of date measures recency from now.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from conftest import FIXTURES, module_newsqa

from qa.ingest import Article

TODAY = datetime.now(UTC).date()
OLDER_DAY = TODAY - timedelta(days=35)
NEWER_DAY = TODAY - timedelta(days=2)
OLDER = Article(
    title="Weekly earthquake report: a quiet week along Valdora's coast",
    body="A magnitude 3.2 earthquake was felt along the southern coast of Valdora on Sunday, "
    "the seismology office said in its weekly report. Nobody was hurt. Four smaller tremors "
    "were recorded during the week.",
    source="Valdora Times",
    published_at=datetime.combine(OLDER_DAY, time(9), tzinfo=UTC),
    url="https://valdoratimes.example/earthquakes/week-1",
)
NEWER = Article(
    title="Weekly earthquake report: tremors shake Valdora's northern hills",
    body="A magnitude 4.1 earthquake shook the northern hills of Valdora on Tuesday night, "
    "the seismology office said in its weekly earthquake report. No damage was reported. "
    "Eleven smaller tremors were recorded during the week.",
    source="Valdora Times",
    published_at=datetime.combine(NEWER_DAY, time(9), tzinfo=UTC),
    url="https://valdoratimes.example/earthquakes/week-6",
)
QUESTION = "What did the weekly earthquake report say?"


@pytest.fixture(scope="module")
def weekly(tmp_path_factory: pytest.TempPathFactory, embed_model):  # type: ignore[no-untyped-def]
    """A NewsQA on its own home with both editions and the six fixture articles around them."""
    qa = module_newsqa(tmp_path_factory, embed_model, "recency")
    assert not qa.ingest([FIXTURES / "articles.jsonl"]).failures
    assert qa.ingest_articles([OLDER, NEWER]).added == 2
    # two separate stories, else the one-hit-per-story rule would hide one edition entirely
    stories = {r.id: r.story_id for r in qa.articles()}
    assert stories[OLDER.id] != stories[NEWER.id]
    return qa


def article_ids(results) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.node.metadata["article_id"] for r in results]


def test_as_of_just_after_the_newer_edition_ranks_it_first(weekly) -> None:  # type: ignore[no-untyped-def]
    found = article_ids(weekly.retrieve(QUESTION, as_of=NEWER_DAY + timedelta(days=1)))
    assert found[0] == NEWER.id
    assert OLDER.id in found  # outranked, not filtered out


def test_as_of_between_the_editions_ranks_the_older_first_and_hides_the_newer(weekly) -> None:  # type: ignore[no-untyped-def]
    found = article_ids(weekly.retrieve(QUESTION, as_of=OLDER_DAY + timedelta(days=1)))
    assert found[0] == OLDER.id
    assert NEWER.id not in found


def test_latest_without_as_of_measures_recency_from_now(weekly) -> None:  # type: ignore[no-untyped-def]
    found = article_ids(weekly.retrieve("What did the latest weekly earthquake report say?"))
    assert found[0] == NEWER.id
    assert OLDER.id in found  # "latest" is a prior, not a date filter


def test_this_week_without_as_of_finds_the_newer_edition(weekly) -> None:  # type: ignore[no-untyped-def]
    found = article_ids(weekly.retrieve("What did the earthquake report say this week?"))
    assert found[0] == NEWER.id


def test_no_date_words_and_no_as_of_rank_by_content_alone(weekly, embed_model) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    results = weekly.retrieve(QUESTION)
    assert article_ids(results)[0] == OLDER.id  # closer in content, though five weeks older
    no_prior = NewsQA(
        weekly.settings.model_copy(update={"recency_weight": 0.0}), embed_model=embed_model
    )
    expected = no_prior.retrieve(QUESTION)
    assert [(r.node.node_id, r.score) for r in results] == [
        (r.node.node_id, r.score) for r in expected
    ]


def test_query_expansion_is_off_by_default() -> None:
    from qa.retrieve import RetrievalConfig
    from qa.settings import Settings

    assert Settings().query_expansion_terms == 0
    assert RetrievalConfig.from_settings(Settings()).prf_terms == 0


def test_default_retrieval_scores_are_those_without_query_expansion(weekly, embed_model) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    def ranked(qa: NewsQA) -> list[tuple[str, float]]:
        return [(r.node.node_id, r.score) for r in qa.retrieve(QUESTION, top_k=8)]

    def with_terms(terms: int) -> NewsQA:
        update = {"query_expansion_terms": terms}
        return NewsQA(weekly.settings.model_copy(update=update), embed_model=embed_model)

    default = ranked(weekly)
    assert default == ranked(with_terms(0))
    assert default != ranked(with_terms(5))  # expansion, were it on, would show in the scores
