"""Chunking: whole sentences packed to a word budget, sharing sentences, nothing lost, in order.

The articles are written here sentence by sentence, so a chunk is checked against the sentences
a reader sees, not against the splitter's own output: a split inside "U.S." or "Dr." shows up
as a chunk that starts or ends mid-sentence.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunk import Chunk, chunk_article
from qa.ingest import Article
from qa.text import word_count

PARAGRAPHS = [
    [
        "Dr. Amara Okafor told reporters in Valdora on Monday that the U.S. team had arrived "
        "with 14 engineers.",
        "The delegation, led by Mr. James T. Whitfield Jr., will stay until the end of the month.",
        "Officials said the new bridge will cost about $3.5 million, or 2.7 percent of the city "
        "budget.",
    ],
    [
        "Construction starts at 9 a.m. on the north bank, near St. Mary's church.",
        "Residents of No. 12 Harbour Road were asked to leave their cars elsewhere.",
        'Prof. Lin of the U.K. Institute of Civil Engineers called the plan "ambitious but sound."',
        "The council meets again on Thursday at 5 p.m.",
    ],
    [
        "Critics say the money would be better spent on schools.",
        "The mayor disagreed.",
        "She said the bridge would cut the commute from the eastern suburbs by roughly twenty "
        "minutes each way, a saving local businesses have demanded for more than a decade.",
        "Gov. Maria Estevez of the neighbouring province, a former U.N. adviser, has promised "
        "to match the city's funding.",
    ],
    [
        "Work is expected to finish in the spring of next year.",
        "The old ferry, in service since 1962, will then be retired.",
    ],
]
SENTENCES = [sentence for paragraph in PARAGRAPHS for sentence in paragraph]
LONGEST = max(word_count(s) for s in SENTENCES)


def article_of(sentences_by_paragraph: list[list[str]]) -> Article:
    return Article(
        title="Valdora bridge plan",
        body="\n\n".join(" ".join(paragraph) for paragraph in sentences_by_paragraph),
        source="Valdora Times",
        published_at=datetime(2024, 3, 4, 8, 0, tzinfo=UTC),
        url="https://valdoratimes.example/2024/03/04/bridge-plan",
    )


def sentence_run(chunk: Chunk, sentences: list[str]) -> tuple[int, int]:
    """(start, end) such that the chunk is exactly sentences[start:end], or AssertionError."""
    for start, first in enumerate(sentences):
        if not chunk.text.startswith(first):
            continue
        for end in range(start + 1, len(sentences) + 1):
            if chunk.text == " ".join(sentences[start:end]):
                return start, end
    raise AssertionError(f"chunk {chunk.position} is not a run of whole sentences: {chunk.text!r}")


def runs(chunks: list[Chunk], sentences: list[str]) -> list[tuple[int, int]]:
    return [sentence_run(chunk, sentences) for chunk in chunks]


def test_chunks_start_and_end_at_sentence_boundaries_despite_abbreviations() -> None:
    for budget in (20, 35, 60, 120):
        chunks = chunk_article(article_of(PARAGRAPHS), chunk_words=budget, overlap_sentences=1)
        assert len(runs(chunks, SENTENCES)) == len(chunks)


def test_chunks_respect_the_word_budget_and_are_filled_greedily() -> None:
    for budget in (LONGEST, 35, 60, 120):
        chunks = chunk_article(article_of(PARAGRAPHS), chunk_words=budget, overlap_sentences=1)
        found = runs(chunks, SENTENCES)
        assert all(word_count(chunk.text) <= budget for chunk in chunks)
        # full, not merely under budget: the next new sentence would not have fitted
        for chunk, (_, end) in zip(chunks[:-1], found[:-1], strict=True):
            assert word_count(f"{chunk.text} {SENTENCES[end]}") > budget


def test_consecutive_chunks_share_the_configured_number_of_sentences() -> None:
    for overlap in (0, 1, 2):
        budget = 45
        chunks = chunk_article(
            article_of(PARAGRAPHS), chunk_words=budget, overlap_sentences=overlap
        )
        found = runs(chunks, SENTENCES)
        assert len(chunks) >= 4
        for (start, end), (next_start, next_end) in itertools.pairwise(found):
            assert next_end > end  # every chunk brings at least one new sentence
            # the last `overlap` sentences of this chunk (all of it, if it holds fewer)
            shared_from = max(start, end - overlap) if overlap else end
            if word_count(" ".join([*SENTENCES[shared_from:end], SENTENCES[end]])) > budget:
                assert next_start == end  # the overlap plus the next sentence overflow: dropped
            else:
                assert next_start == shared_from


def test_every_sentence_lands_in_a_chunk_in_article_order() -> None:
    article = article_of(PARAGRAPHS)
    chunks = chunk_article(article, chunk_words=30, overlap_sentences=1)
    found = runs(chunks, SENTENCES)
    covered = sorted({i for start, end in found for i in range(start, end)})
    assert covered == list(range(len(SENTENCES)))
    assert [start for start, _ in found] == sorted({start for start, _ in found})
    assert [end for _, end in found] == sorted({end for _, end in found})
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert [c.id for c in chunks] == [f"{article.id}:{i}" for i in range(len(chunks))]
    assert {c.article_id for c in chunks} == {article.id}
    # stable: the same article gives the same chunks and ids again
    assert chunk_article(article, chunk_words=30, overlap_sentences=1) == chunks


def test_a_sentence_longer_than_the_budget_becomes_a_chunk_of_its_own_uncut() -> None:
    long = (
        "The report, which Dr. Okafor presented to the U.S. embassy and to the city's "
        "planning board on Tuesday, lists every bridge, tunnel, ferry landing and road "
        "junction along the river that engineers from both countries inspected over the "
        "past three months, together with the repairs each of them needs before winter."
    )
    before = ["The council met on Tuesday.", "It heard the engineers first."]
    after = ["Members then voted.", "The plan passed by nine votes to two."]
    budget = 20
    assert word_count(long) > budget
    sentences = [*before, long, *after]
    chunks = chunk_article(article_of([before, [long, *after]]), chunk_words=budget)
    found = runs(chunks, sentences)
    long_index = len(before)
    # the long sentence is kept whole, alone, and neither neighbour chunk repeats it
    assert (long_index, long_index + 1) in found
    assert [c.text for c in chunks].count(long) == 1
    assert sum(long in c.text for c in chunks) == 1
    assert all(word_count(c.text) <= budget for c in chunks if c.text != long)
    covered = {i for start, end in found for i in range(start, end)}
    assert covered == set(range(len(sentences)))


# Sentences to shuffle into articles: abbreviations, decimals and initials throughout.
POOL = [*SENTENCES, "Dr. Okafor left on Friday.", "The U.S. ambassador did not comment."]


@settings(max_examples=40, deadline=None)
@given(
    order=st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=14, unique=True),
    breaks=st.sets(st.integers(min_value=1, max_value=13)),
    budget=st.integers(min_value=20, max_value=140),
    overlap=st.integers(min_value=0, max_value=3),
)
def test_chunks_cover_the_text_in_whole_sentences_within_budget(
    order: list[int], breaks: set[int], budget: int, overlap: int
) -> None:
    sentences = [POOL[i] for i in order]
    cuts = [0, *sorted(b for b in breaks if b < len(sentences)), len(sentences)]
    paragraphs = [sentences[a:b] for a, b in itertools.pairwise(cuts)]
    chunks = chunk_article(article_of(paragraphs), chunk_words=budget, overlap_sentences=overlap)
    found = runs(chunks, sentences)
    assert {i for start, end in found for i in range(start, end)} == set(range(len(sentences)))
    assert all(b > a for (a, _), (b, _) in itertools.pairwise(found))
    assert all(
        word_count(c.text) <= budget or end - start == 1
        for c, (start, end) in zip(chunks, found, strict=True)
    )
