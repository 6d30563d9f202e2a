"""Time in answers: relative dates given as absolute dates, and sources that disagree over time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SEED

from qa.text import describe_resolved_date, with_absolute_dates


def write_article(folder: Path, name: str, **fields: str) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


def test_relative_dates_are_followed_by_the_absolute_date_once() -> None:
    resolved = {"Monday": "2023-09-04", "last Monday": "2023-08-28", "this month": "2023-09"}
    text = "He said Monday that she left last Monday, and again on Monday, this month (Sep 2023)."
    assert with_absolute_dates(text, resolved) == (
        "He said Monday (4 Sep 2023) that she left last Monday (28 Aug 2023), and again on"
        " Monday, this month (Sep 2023)."
    )
    assert describe_resolved_date("2023-08-28/2023-09-03") == "28 Aug–3 Sep 2023"
    assert describe_resolved_date("2022-12-26/2023-01-01") == "26 Dec 2022–1 Jan 2023"
    assert with_absolute_dates("Monday.", {"Monday": "not a date"}) == "Monday."


def test_extractive_answer_about_the_seed_gives_monday_as_4_september(newsqa) -> None:
    newsqa.ingest([SEED])
    answer = newsqa.ask("When did Sergei Shoigu say the two countries may hold joint war games?")
    assert not answer.refused
    assert (
        "Mr. Shoigu said Monday (4 Sep 2023) that the two countries may hold joint war games"
        in (answer.text)
    )
    # the date note is checked against the passage, so the sentence stays supported
    from qa.grounding import verify_sentences

    nodes = newsqa.retrieve(answer.question)
    verify_sentences(answer.sentences, nodes, newsqa.embed_model)
    assert all(s.supported for s in answer.sentences)


def test_llm_sources_show_the_resolved_dates(newsqa) -> None:
    from llama_index.core.schema import NodeWithScore

    from qa.answer import format_sources

    newsqa.ingest([SEED])
    (record,) = newsqa.articles()
    sources = format_sources([NodeWithScore(node=n) for n in newsqa.store.chunks_of(record.id)])
    assert "A U.S. official said Monday (4 Sep 2023) that North Korean leader" in sources
    assert "The White House said last week (28 Aug–3 Sep 2023) that" in sources


@pytest.fixture
def flood_reports(newsqa, tmp_path):  # type: ignore[no-untyped-def]
    first = write_article(
        tmp_path,
        "early",
        title="Flood death toll rises in Derna",
        body="The death toll from the floods in the Libyan city of Derna has risen to 120, "
        "officials said. Rescue teams are searching for survivors in the mud.",
        published_at="2023-09-05T10:00:00+00:00",
        source="Coast Times",
    )
    later = write_article(
        tmp_path,
        "later",
        title="Derna flood toll climbs",
        body="The death toll from the Derna floods has climbed to 150, the health ministry "
        "said. Aid convoys reached the city overnight.",
        published_at="2023-09-07T10:00:00+00:00",
        source="Metro Daily",
    )
    report = newsqa.ingest([first, later])
    assert report.added == 2
    return newsqa


def test_disagreeing_sources_are_both_given_dated_and_the_newer_named(flood_reports) -> None:
    answer = flood_reports.ask("What is the death toll from the Derna floods?")
    text = answer.text
    assert "An earlier report, as of 5 Sep 2023 (Coast Times): " in text
    assert "The newer report, as of 7 Sep 2023 (Metro Daily): " in text
    assert text.index("120") < text.index("150")  # oldest first, the newer one last
    by_figure = {("120" in s.text): s for s in answer.sentences}
    cited = {c.n: c.source for c in answer.sources}
    assert cited[by_figure[True].citations[0]] == "Coast Times"
    assert cited[by_figure[False].citations[0]] == "Metro Daily"


def test_sources_repeating_the_same_figure_are_not_a_disagreement(newsqa, tmp_path) -> None:
    paths = [
        write_article(
            tmp_path,
            f"copy{day}",
            title=f"Derna toll report {day}",
            body=f"The death toll from the Derna floods stands at 120, officials said on {'Tuesday' if day == 5 else 'Thursday'}.",
            published_at=f"2023-09-0{day}T10:00:00+00:00",
            source=f"Outlet {day}",
        )
        for day in (5, 7)
    ]
    newsqa.ingest(paths)
    answer = newsqa.ask("What is the death toll from the Derna floods?")
    assert "newer report" not in answer.text and "earlier report" not in answer.text


def test_answer_prompt_asks_for_dated_attributed_updates(settings) -> None:
    from qa.prompts import render_prompt

    prompt = render_prompt(
        settings.answer_prompt,
        question="q",
        sources="",
        as_of="",
        today="1 Jan 2024",
        max_sentences=3,
    )
    assert "say which is newer" in prompt.system and "outlet" in prompt.system
    assert "resolved" in prompt.system  # the sources' relative dates carry absolute dates


def test_opposite_outcomes_are_both_given_dated_and_the_newer_named(newsqa, tmp_path) -> None:
    early = write_article(
        tmp_path,
        "approved",
        title="Council approves Riverside stadium plan",
        body="The city council approved the Riverside stadium plan on Tuesday, officials said. "
        "Construction crews are expected next spring.",
        published_at="2024-03-05T10:00:00+00:00",
        source="Coast Times",
    )
    later = write_article(
        tmp_path,
        "rejected",
        title="Council rejects Riverside stadium plan",
        body="The city council rejected the Riverside stadium plan on Thursday, officials said. "
        "Supporters vowed to try again next year.",
        published_at="2024-03-07T10:00:00+00:00",
        source="Metro Daily",
    )
    assert newsqa.ingest([early, later]).added == 2
    answer = newsqa.ask("What did the city council decide about the Riverside stadium plan?")
    text = answer.text
    assert "An earlier report, as of 5 Mar 2024 (Coast Times): " in text
    assert "The newer report, as of 7 Mar 2024 (Metro Daily): " in text
    assert text.index("approved") < text.index("rejected")


def test_same_outcome_on_two_days_is_not_a_disagreement() -> None:
    from qa.extractive import _outcomes_differ

    assert _outcomes_differ(
        "The city council approved the stadium plan.", "The city council rejected the stadium plan."
    )
    assert not _outcomes_differ(
        "The city council approved the stadium plan.", "The council approved the stadium plan."
    )
    assert not _outcomes_differ(  # opposite words about unrelated matters
        "Prices rose in March.", "The team lost the final in Madrid after extra time."
    )
