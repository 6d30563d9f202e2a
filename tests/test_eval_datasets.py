"""Dataset adapters on small fixtures written for the tests (never benchmark data)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import FIXTURES

from eval.datasets import DatasetError, load_dataset

EVAL = FIXTURES / "eval"
REALTIMEQA = f"realtimeqa:{EVAL / 'realtimeqa'}"
MULTIHOP = f"multihop:{EVAL / 'multihop' / 'corpus.json'},{EVAL / 'multihop' / 'queries.json'}"
JSONL = f"jsonl:{EVAL / 'jsonl'}"


def test_realtimeqa_dedupes_by_question_id_and_counts() -> None:
    data = load_dataset(REALTIMEQA)
    ids = [q.id for q in data.questions]
    assert len(ids) == len(set(ids)) == 9
    assert data.stats["records"] == 11 and data.stats["unique_questions"] == 9
    assert data.stats["corpus_passages"] == len(data.corpus) == 6
    assert data.stats["with_evidence"] == 8 and data.stats["gold_none_of_the_above"] == 1


def test_realtimeqa_question_fields() -> None:
    questions = {q.id: q for q in load_dataset(REALTIMEQA).questions}
    q = questions["20200110_0"]
    assert q.as_of == date(2020, 1, 10) and q.answers == ("Valdora",)
    assert q.tags == {
        "outlet": "CNN",
        "year": "2020",
        "variant": "original",
        "date_origin": "url",
        "question_type": "which",
        "parts": "single",
    }
    assert questions["20220617_1"].tags["question_type"] == "how many"
    nota = questions["20220617_0_nota"]
    assert nota.answers == () and nota.not_answer_scored == "gold is None of the above"
    assert nota.gold_articles == questions["20220617_0"].gold_articles  # twins share their passage
    no_evidence = questions["20200110_3"]
    assert no_evidence.gold_articles == () and no_evidence.not_answer_scored == "no evidence"
    assert no_evidence.answerable is None


def test_realtimeqa_passages_keep_html_and_are_dated_by_their_link() -> None:
    data = load_dataset(REALTIMEQA)
    questions = {q.id: q for q in data.questions}
    by_id = {a.id: a for a in data.corpus}
    heat = by_id[questions["20200110_0"].gold_articles[0]]
    assert (
        '<a href="https://www.cnn.com/2020/01/08/weather/valdora-heat-record/index.html">'
        in heat.body
    )
    assert heat.published_at.date() == date(2020, 1, 8) and heat.date_origin == "url"
    assert heat.title == "Valdora heat record" and heat.source == "CNN"
    robot = by_id[questions["20200110_1"].gold_articles[0]]
    assert robot.published_at.date() == date(2020, 1, 10) and robot.date_origin == "quiz"


def test_realtimeqa_passages_sharing_a_link_stay_distinct() -> None:
    data = load_dataset(REALTIMEQA)
    questions = {q.id: q for q in data.questions}
    cooling, tram = (
        questions["20220617_1"].gold_articles[0],
        questions["20220617_2"].gold_articles[0],
    )
    assert cooling != tram
    by_id = {a.id: a for a in data.corpus}
    for article_id in (cooling, tram):
        assert by_id[article_id].url is None
        assert by_id[article_id].extra["link"] == "https://theweek.com/news/weekly-roundup"
    assert len({a.id for a in data.corpus}) == len(data.corpus)


def test_realtimeqa_ids_are_stable_across_loads() -> None:
    assert [a.id for a in load_dataset(REALTIMEQA).corpus] == [
        a.id for a in load_dataset(REALTIMEQA).corpus
    ]


def test_multihop_facts_and_null_queries() -> None:
    data = load_dataset(MULTIHOP)
    assert len(data.corpus) == 4 and len(data.questions) == 4
    comparison, *_, null = data.questions
    assert comparison.relevance_unit == "chunk" and len(comparison.gold_facts) == 2
    assert len(comparison.gold_articles) == 2 and comparison.as_of is None
    assert comparison.tags == {"question_type": "comparison_query"}
    assert null.answerable is False and null.answers == () and not null.retrieval_scored
    assert data.corpus[0].source == "Tech Daily" and data.corpus[0].authors == ("Priya Nair",)


def test_jsonl_maps_dataset_ids_to_article_ids() -> None:
    data = load_dataset(JSONL)
    by_doc = {a.extra["doc_id"]: a.id for a in data.corpus}
    questions = {q.id: q for q in data.questions}
    assert questions["j1"].gold_articles == (by_doc["tram"],)
    assert questions["j1"].answers == ("420 million euros", "€420 million")
    assert questions["j1"].gold_facts == ("cost about 420 million euros",)
    assert questions["j2"].as_of == date(2022, 6, 1)
    assert (
        questions["j5"].answerable is False and questions["j5"].not_answer_scored == "unanswerable"
    )


def test_jsonl_bad_lines_are_named_and_good_ones_kept(tmp_path: Path) -> None:
    (tmp_path / "articles.jsonl").write_text(
        '{"id": "a", "title": "T", "body": "Text here."}\n{broken\n{"id": "b"}\n'
    )
    (tmp_path / "questions.jsonl").write_text(
        '{"id": "q1", "question": "What?", "answers": ["x"], "evidence": [{"article_id": "a"}]}\n'
        '{"id": "q2", "question": "Who?", "evidence": [{"article_id": "zzz"}], "as_of": "someday"}\n'
        '{"id": "q3"}\n'
    )
    data = load_dataset(f"jsonl:{tmp_path}")
    assert [a.extra["doc_id"] for a in data.corpus] == ["a"]
    assert [q.id for q in data.questions] == ["q1", "q2"]
    joined = "\n".join(data.problems)
    assert "articles.jsonl:2: not JSON" in joined and "articles.jsonl:3" in joined
    assert (
        "unknown article 'zzz'" in joined
        and "'someday' is not a date" in joined
        and "questions.jsonl:3" in joined
    )
    assert data.questions[0].relevance_unit == "article"


@pytest.mark.parametrize("spec", ["nothing", "realtimeqa:", "weird:/x", "multihop:only-one.json"])
def test_bad_dataset_spec_says_why(spec: str) -> None:
    with pytest.raises(DatasetError, match="dataset"):
        load_dataset(spec)


def test_missing_realtimeqa_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no \*/YEAR/\*\.jsonl"):
        load_dataset(f"realtimeqa:{tmp_path}")
