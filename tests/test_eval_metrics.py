"""Every metric on hand-checked cases, including empty retrievals and unresolvable citations."""

from __future__ import annotations

import pytest

from eval.citations import citation_scores, passage_text
from eval.metrics import (
    aggregate,
    bootstrap_ci,
    containment,
    exact_match,
    multihop_rag_accuracy,
    normalise_answer,
    paired_delta,
    percentiles,
    refusal_summary,
    retrieval_scores,
    token_f1,
)


def test_normalise_answer_unifies_case_punctuation_numbers_and_dates() -> None:
    assert normalise_answer("The U.S. spent $1,200!") == ["u", "s", "spent", "1200"]
    assert normalise_answer("Five percent") == normalise_answer("5%")
    assert normalise_answer("September 3rd") == normalise_answer("3 Sept.")[::-1]
    assert normalise_answer("46.1 degrees") == ["46.1", "degrees"]


@pytest.mark.parametrize(
    ("answer", "golds", "expected"),
    [
        ("As of 3 Oct 2023: it will cost 420 million euros [1].", ["420 million euros"], 1.0),
        ("It will cost 420 million euros.", ["€420m", "420 million euros"], 1.0),  # any alias
        ("It will cost four hundred", ["420"], 0.0),
        ("Harbour City won.", ["Harbour"], 1.0),
        ("Harbourside won.", ["Harbour"], 0.0),  # whole tokens only
        ("The articles do not say.", ["Lakeside United"], 0.0),
        ("anything", [], None),  # nothing to score is not a zero
        ("anything", ["  ", "the"], None),
    ],
)
def test_containment(answer: str, golds: list[str], expected: float | None) -> None:
    assert containment(answer, golds) == expected


def test_exact_match_and_token_f1() -> None:
    assert exact_match("The Lakeside United!", ["lakeside united"]) == 1.0
    assert exact_match("Lakeside United won", ["Lakeside United"]) == 0.0
    assert token_f1("Lakeside United won", ["Lakeside United"]) == pytest.approx(0.8)
    assert token_f1("Harbour City", ["Lakeside United", "Harbour City FC"]) == pytest.approx(0.8)
    assert token_f1("nothing shared", ["Lakeside"]) == 0.0
    assert token_f1("x", []) is None and exact_match("x", []) is None


def test_multihop_rag_rule_is_any_shared_word_of_the_quoted_answer() -> None:
    assert multihop_rag_accuracy('The answer to the question is "Atlas-7 robot"', "atlas-7") == 1.0
    assert (
        multihop_rag_accuracy(
            'The answer to the question is "No" but Atlas-7 appears later', "Atlas-7"
        )
        == 0.0
    )
    assert (
        multihop_rag_accuracy("Yes, it did.", "Yes") == 0.0
    )  # "yes," keeps its comma, as upstream
    assert multihop_rag_accuracy("yes it did", "Yes") == 1.0
    assert multihop_rag_accuracy("x", " ") is None


def test_retrieval_scores_by_hand() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1, "c": 1}, "q3": {"z": 1}, "q4": {"d": 1}}
    ranked = {"q1": ["x", "a", "y"], "q2": ["c", "e", "b"], "q3": [], "q4": ["d", "d", "e"]}
    scores = retrieval_scores(qrels, ranked, recall_k=2)
    assert (
        scores["q1"]["Hit@1"] == 0.0
        and scores["q1"]["Hit@2"] == 1.0
        and scores["q1"]["MRR@10"] == 0.5
    )
    assert (
        scores["q2"]["Hit@1"] == 1.0 and scores["q2"]["R@2"] == 0.5 and scores["q2"]["R@10"] == 1.0
    )
    # nDCG@10 for relevant at ranks 1 and 3 of 2 relevant: (1 + 1/log2(4)) / (1 + 1/log2(3))
    assert scores["q2"]["nDCG@10"] == pytest.approx((1 + 0.5) / (1 + 1 / 1.5849625), rel=1e-6)
    # an empty retrieval is scored zero, not dropped
    assert all(value == 0.0 for value in scores["q3"].values())
    # repeated ids (several chunks of one article) count once, at their first rank
    assert scores["q4"]["MRR@10"] == 1.0 and scores["q4"]["R@2"] == 1.0


def test_queries_without_relevant_units_are_not_scored() -> None:
    assert retrieval_scores({"q": {}}, {"q": ["a"]}, recall_k=5) == {}
    assert retrieval_scores({"q": {"a": 1}}, {}, recall_k=5)["q"]["Hit@10"] == 0.0


def test_bootstrap_ci_and_aggregates() -> None:
    assert bootstrap_ci([1.0]) is None
    assert bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    low, high = bootstrap_ci([0.0, 1.0] * 50)
    assert 0.38 < low < 0.5 < high < 0.62
    assert bootstrap_ci([0.0, 1.0] * 50) == (low, high)  # seeded: the same every time
    summary = aggregate([1.0, 0.0, None, 1.0], n_total=10)
    assert (
        summary["mean"] == pytest.approx(2 / 3) and summary["n"] == 3 and summary["n_total"] == 10
    )
    assert aggregate([], n_total=4) == {"mean": None, "ci95": None, "n": 0, "n_total": 4}
    delta = paired_delta([0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0])
    assert delta["delta"] == 0.25 and delta["n"] == 4


def test_percentiles() -> None:
    stats = percentiles([10.0, 20.0, 30.0, 40.0, None])  # type: ignore[list-item]
    assert stats["p50"] == 25.0 and stats["n"] == 4 and 38 < stats["p95"] <= 40
    assert percentiles([])["p50"] is None


def test_refusal_rates() -> None:
    rows = [
        (True, True),
        (True, False),
        (False, False),
        (False, True),
        (False, False),
        (None, True),
    ]
    summary = refusal_summary(rows)
    assert (
        summary["correct_refusal_rate"]["mean"] == 0.5 and summary["correct_refusal_rate"]["n"] == 2
    )
    assert (
        summary["false_refusal_rate"]["mean"] == pytest.approx(1 / 3)
        and summary["false_refusal_rate"]["n"] == 3
    )
    assert summary["confusion"] == {
        "unanswerable_refused": 1,
        "unanswerable_answered": 1,
        "answerable_refused": 1,
        "answerable_answered": 2,
    }


def _source(n: int, quote: str) -> dict:  # type: ignore[type-arg]
    return {
        "n": n,
        "title": "Tram vote",
        "source": "Riverton Gazette",
        "published_at": "2023-10-03T09:00:00+02:00",
        "quote": quote,
    }


TRAM = "The Riverton city council voted 9-2 on Tuesday to approve a new tram line to the airport."
COST = "Construction is expected to begin in March 2024 and cost about 420 million euros."
ROBOT = "Northwind Robotics unveiled its Atlas-7 warehouse robot in Hanover."


def test_citation_recall_and_precision_alce_rules(embed_model) -> None:
    answer = {
        "refused": False,
        "invalid_markers": 1,  # one marker named no source and was removed
        "sources": [_source(1, TRAM), _source(2, COST), _source(3, ROBOT)],
        "sentences": [
            {
                "text": "As of 3 Oct 2023 (Riverton Gazette): The council voted 9-2 to approve a tram line to the airport.",
                "citations": [1, 3],
            },
            {"text": "Construction should cost about 420 million euros.", "citations": [2]},
            {
                "text": "The council voted 12-0 to approve a tram line.",
                "citations": [1],
            },  # wrong number
            {"text": "The tram will open in 2026.", "citations": []},
        ],
    }
    scores = citation_scores(answer, embed_model)
    assert scores is not None
    assert scores["citation_recall"] == pytest.approx(2 / 4)
    # sentence 1: [1] needed, [3] irrelevant; sentence 2: [2] precise; sentence 3: [1] imprecise
    assert scores["citation_precision"] == pytest.approx(2 / 4)
    assert scores["markers_resolved"] == pytest.approx(4 / 5)
    assert scores["citations"] == 4 and scores["sentences"] == 4


def test_unresolvable_citation_counts_against_precision_and_recall(embed_model) -> None:
    answer = {
        "refused": False,
        "invalid_markers": 0,
        "sources": [_source(1, TRAM)],
        "sentences": [{"text": "The council voted 9-2.", "citations": [7]}],
    }
    scores = citation_scores(answer, embed_model)
    assert scores == {
        "markers_resolved": 1.0,
        "citation_recall": 0.0,
        "citation_precision": 0.0,
        "sentences": 1,
        "citations": 1,
        "invalid_markers": 0,
    }


def test_refusals_and_empty_answers_have_no_citation_scores(embed_model) -> None:
    assert (
        citation_scores(
            {
                "refused": True,
                "sentences": [{"text": "The articles do not say.", "citations": []}],
                "sources": [],
            },
            embed_model,
        )
        is None
    )
    assert citation_scores({"refused": False, "sentences": [], "sources": []}, embed_model) is None


def test_passage_text_carries_headline_outlet_and_date() -> None:
    text = passage_text(_source(1, TRAM))
    assert text.startswith("Tram vote. Riverton Gazette. 3 Oct 2023.\n") and text.endswith(TRAM)
    assert passage_text({"quote": "Only text."}) == "Only text."
