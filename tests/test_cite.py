"""Citation markers: parsed per sentence, out-of-range ones removed and counted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qa.cite import neutralise_markers, parse_answer


def test_markers_attach_to_their_sentences() -> None:
    parsed = parse_answer(
        "Kim may travel to Russia [1]. Putin wants arms [2][3]. Talks advance [1, 3].", n_sources=3
    )
    assert [s.citations for s in parsed.sentences] == [[1], [2, 3], [1, 3]]
    assert [s.text for s in parsed.sentences] == [
        "Kim may travel to Russia.",
        "Putin wants arms.",
        "Talks advance.",
    ]
    assert parsed.invalid_markers == 0


def test_out_of_range_marker_is_removed_and_counted() -> None:
    parsed = parse_answer("The meeting is in Vladivostok [7]. It is this month [1].", n_sources=3)
    assert parsed.invalid_markers == 1
    assert parsed.sentences[0].citations == []
    assert "[7]" not in parsed.text
    assert parsed.cited_numbers == [1]


def test_zero_is_never_a_source() -> None:
    parsed = parse_answer("Nothing [0].", n_sources=2)
    assert parsed.invalid_markers == 1 and parsed.sentences[0].citations == []


def test_marker_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    parsed = parse_answer("Kim will travel. [2] Putin will host.", n_sources=2)
    assert parsed.sentences[0].citations == [2]
    assert parsed.sentences[1].citations == []


def test_article_text_markers_are_neutralised() -> None:
    assert neutralise_markers("as reported [3] and [1, 2]") == "as reported (3) and (1, 2)"


@given(st.text(max_size=400), st.integers(min_value=0, max_value=20))
def test_parser_never_crashes_and_keeps_citations_in_range(text: str, n_sources: int) -> None:
    parsed = parse_answer(text, n_sources=n_sources)
    for sentence in parsed.sentences:
        assert all(1 <= n <= n_sources for n in sentence.citations)
    assert parsed.invalid_markers >= 0
