"""Conversation exports (Markdown, JSON) and answer feedback stored under NEWSQA_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.export import answer_record, conversation_json, conversation_markdown, history_of
from qa.feedback import feedback_for, read_feedback, record_feedback

TRAM = "How much will the airport tram line cost?"


@pytest.fixture
def record(loaded) -> dict:  # type: ignore[no-untyped-def]
    answer = loaded.ask(TRAM)
    chunk = answer.sources[0].chunk_id
    return answer_record(
        answer,
        filters={"as_of": "2023-10-05", "since": None, "sources": ["Riverton Gazette"], "top_k": 6},
        stories={chunk: {"story_id": "s1", "story_outlets": ["Riverton Gazette", "Wire"]}},
    )


def test_answer_record_keeps_every_source_with_score_story_and_filters(record) -> None:
    assert len(record["id"]) == 32 and record["question"] == TRAM
    first = record["sources"][0]
    assert first["score"] is not None and first["story_id"] == "s1"
    assert first["story_outlets"] == ["Riverton Gazette", "Wire"]
    assert all(s["story_id"] is None for s in record["sources"][1:])
    assert record["filters"]["as_of"] == "2023-10-05"
    assert history_of([record]) == [(TRAM, record["answer"])]


def test_markdown_export_has_questions_answers_markers_and_cited_passages(record) -> None:
    text = conversation_markdown([record, record], collection="news")
    assert text.startswith("# newsqa conversation")
    assert f"## 1. {TRAM}" in text and f"## 2. {TRAM}" in text
    assert "420 million euros" in text and "[1]" in text
    assert (
        "[1] City council approves new tram line to the airport — Riverton Gazette, 3 Oct 2023"
        in text
    )
    assert "<https://gazette.example/2023/10/03/tram-airport>" in text
    assert "as of 2023-10-05" in text and "outlets: Riverton Gazette" in text


def test_markdown_export_marks_unsupported_sentences_and_disarms_article_markup() -> None:
    record = {
        "question": "Q <b>?</b>",
        "backend": "extractive",
        "sentences": [{"text": "Claim ![x](http://evil/x.png).", "citations": [1], "supported": False}],
        "citations": [{"n": 1, "title": "<script>t</script>", "source": "S", "published_at": None,
                       "url": "javascript:alert(1)", "quote": "[a](javascript:b) <img src=x>"}],
    }  # fmt: skip
    text = conversation_markdown([record])
    assert "_(unsupported)_ [1]" in text
    assert "<script>" not in text and "<img" not in text and "![x]" not in text
    assert "javascript:alert" not in text  # not a link: dropped
    assert "\\[a\\](javascript:b)" in text


def test_json_export_round_trips_the_records(record) -> None:
    document = json.loads(conversation_json([record], collection="news"))
    assert document["collection"] == "news"
    assert document["turns"] == [json.loads(json.dumps(record))]


def test_feedback_is_appended_as_json_lines_and_the_latest_per_answer_wins(
    record, tmp_path: Path
) -> None:
    path = record_feedback(tmp_path, feedback_for(record, "up", collection="news"))
    record_feedback(
        tmp_path, feedback_for(record, "down", comment="  wrong year ", collection="news")
    )
    assert path == tmp_path / "feedback" / "feedback.jsonl"
    assert len(path.read_text().splitlines()) == 2
    [entry] = read_feedback(tmp_path)
    assert (entry["rating"], entry["comment"], entry["collection"]) == (
        "down",
        "wrong year",
        "news",
    )
    assert entry["citations"][0] == {
        "n": 1, "article_id": record["citations"][0]["article_id"],
        "chunk_id": record["citations"][0]["chunk_id"],
    }  # fmt: skip
    assert entry["at"].endswith("+00:00") and entry["filters"]["top_k"] == 6


def test_feedback_rejects_an_unknown_rating_and_reports_a_broken_line(
    record, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="rating"):
        record_feedback(tmp_path, feedback_for(record, "meh"))  # type: ignore[arg-type]
    (tmp_path / "feedback").mkdir(exist_ok=True)
    (tmp_path / "feedback" / "feedback.jsonl").write_text('{"answer_id": "a"}\nnot json\n')
    with pytest.raises(ValueError, match=r"feedback.jsonl:2"):
        read_feedback(tmp_path)
    assert read_feedback(tmp_path / "nothing") == []
