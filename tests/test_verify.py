"""The offline support check: facts must be found, negation must agree, meaning must be close."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES

from qa.verify import check_support, key_items, plain_text

PASSAGE = "The Riverton city council voted 9-2 on Tuesday to approve a new tram line to the airport. Construction will cost about 420 million euros."


def test_verbatim_claim_is_supported(embed_model) -> None:
    verdict = check_support(
        "The Riverton city council voted 9-2 to approve a new tram line.", [PASSAGE], embed_model
    )
    assert verdict.supported and not verdict.missing and verdict.similarity > 0.7


@pytest.mark.parametrize(
    ("claim", "missing"),
    [
        ("The Riverton city council voted 8-3 to approve a new tram line.", ["8", "3"]),
        ("Construction will cost about 520 million euros.", ["520"]),
        ("The Millbrook city council voted 9-2 to approve a new tram line.", ["Millbrook"]),
    ],
)
def test_swapped_number_or_name_is_named_as_missing(
    embed_model, claim: str, missing: list[str]
) -> None:
    verdict = check_support(claim, [PASSAGE], embed_model)
    assert not verdict.supported
    assert verdict.missing == missing


def test_negated_claim_is_not_supported(embed_model) -> None:
    verdict = check_support(
        "The Riverton city council did not approve the tram line.", [PASSAGE], embed_model
    )
    assert not verdict.supported and verdict.negation_mismatch


def test_negation_in_another_clause_does_not_count(embed_model) -> None:
    passage = "The dam burst after three days of heavy rain, flooding farmland downstream; no deaths were reported."
    verdict = check_support(
        "Heavy rain for three days caused the dam to burst.", [passage], embed_model
    )
    assert verdict.supported and not verdict.negation_mismatch


def test_unrelated_and_empty_passages_support_nothing(embed_model) -> None:
    assert not check_support(
        "The film won the Palme d'Or at Cannes.", [PASSAGE], embed_model
    ).supported
    assert not check_support("The film won the Palme d'Or at Cannes.", [""], embed_model).supported
    assert not check_support("The film won the Palme d'Or at Cannes.", [], embed_model).supported


def test_html_anchors_and_number_formats_are_read_as_text(embed_model) -> None:
    passage = 'Officials <a href="https://x.example/2023/01/02/a">opened 2,000 shelters</a> and five clinics.'
    verdict = check_support("Officials opened 2000 shelters and 5 clinics.", [passage], embed_model)
    assert verdict.supported, verdict


def test_facts_may_come_from_several_passages(embed_model) -> None:
    passages = [
        "Northwind Robotics unveiled its Atlas-7 robot in Hanover.",
        "The company said the robot can lift 300 kilograms.",
    ]
    assert check_support(
        "Northwind Robotics said its Atlas-7 robot can lift 300 kilograms.", passages, embed_model
    ).supported
    assert not check_support(
        "Northwind Robotics said its Atlas-7 robot can lift 300 kilograms.",
        passages[:1],
        embed_model,
    ).supported


def test_works_without_an_embedding_model() -> None:
    assert check_support("The council voted 9-2 to approve a tram line.", [PASSAGE], None).supported
    assert not check_support(
        "The council voted 7-2 to approve a tram line.", [PASSAGE], None
    ).supported


def test_key_items_are_numbers_months_names_and_quotes() -> None:
    items = key_items("In March, Mayor Elena Ruiz called it “a turning point” for 3,500 commuters.")
    assert items == ["3500", "mar", "Mayor", "Elena", "Ruiz", "a turning point"]
    assert key_items("Hospitals reported a rise.") == []  # a capital that only opens the sentence
    assert plain_text("a <b>bold</b>&amp; 5%") == "a bold & 5 percent"


def test_judge_agrees_with_most_hand_labels(embed_model) -> None:
    rows = [
        json.loads(line)
        for line in (FIXTURES / "eval" / "support_labels.jsonl").read_text().splitlines()
    ]
    assert len(rows) >= 40
    assert {r["supported"] for r in rows} == {True, False}
    agree = sum(
        check_support(r["claim"], r["passages"], embed_model).supported == r["supported"]
        for r in rows
    )
    assert agree / len(rows) >= 0.85


@pytest.mark.parametrize(
    "claim",
    [
        "The Riverton city council cancelled the new tram line to the airport.",
        "The Riverton city council rejected the new tram line to the airport.",
    ],
)
def test_claim_stating_the_opposite_outcome_is_not_supported(embed_model, claim: str) -> None:
    verdict = check_support(claim, [PASSAGE], embed_model)
    assert not verdict.supported and verdict.negation_mismatch


def test_same_outcome_in_other_words_is_still_supported(embed_model) -> None:
    verdict = check_support(
        "The Riverton city council approved a new tram line to the airport.", [PASSAGE], embed_model
    )
    assert verdict.supported and not verdict.negation_mismatch


def test_date_note_after_a_relative_date_is_checked_against_the_publication_date(
    embed_model,
) -> None:
    passage = (
        "Kim to meet Putin. The Hindu. 5 Sep 2023.\n"
        "Mr. Shoigu said Monday that the two countries may hold joint war games."
    )
    right = "Mr. Shoigu said Monday (4 Sep 2023) that the two countries may hold joint war games."
    wrong = "Mr. Shoigu said Monday (28 Aug 2023) that the two countries may hold joint war games."
    assert check_support(right, [passage], embed_model).supported
    verdict = check_support(wrong, [passage], embed_model)
    assert not verdict.supported and "28" in verdict.missing
