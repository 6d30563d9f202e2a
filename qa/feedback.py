"""Thumbs up/down on answers, with an optional comment, kept as JSON lines for later evaluation."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Rating = Literal["up", "down"]
FEEDBACK_FILE = "feedback.jsonl"


@dataclass
class Feedback:
    """One judgement of one answer. A later entry with the same `answer_id` replaces it."""

    answer_id: str
    rating: Rating
    question: str
    answer: str
    comment: str = ""
    backend: str = ""
    collection: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)  # n, article_id, chunk_id
    filters: dict[str, Any] = field(default_factory=dict)
    at: str = ""  # UTC ISO time; set when recorded


def feedback_path(home: Path) -> Path:
    return Path(home) / "feedback" / FEEDBACK_FILE


def feedback_for(
    record: dict[str, Any], rating: Rating, *, comment: str = "", collection: str = ""
) -> Feedback:
    """Feedback on an answer record (as kept by the app and exported): what was asked and cited."""
    return Feedback(
        answer_id=str(record["id"]),
        rating=rating,
        question=str(record.get("question", "")),
        answer=str(record.get("answer", "")),
        comment=comment.strip(),
        backend=str(record.get("backend", "")),
        collection=collection,
        citations=[
            {"n": c["n"], "article_id": c["article_id"], "chunk_id": c["chunk_id"]}
            for c in record.get("citations", [])
        ],
        filters=dict(record.get("filters") or {}),
    )


def record_feedback(home: Path, feedback: Feedback) -> Path:
    """Append the feedback as one JSON line under NEWSQA_HOME/feedback/; returns the file."""
    if feedback.rating not in ("up", "down"):
        raise ValueError(f"rating must be 'up' or 'down', not {feedback.rating!r}")
    path = feedback_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = asdict(feedback)
    entry["at"] = feedback.at or datetime.now(UTC).isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return path


def read_feedback(home: Path) -> list[dict[str, Any]]:
    """The latest feedback per answer, oldest first; unreadable lines are reported, not hidden."""
    path = feedback_path(home)
    if not path.exists():
        return []
    latest: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not a JSON line ({error.msg})") from error
            latest.pop(str(entry.get("answer_id")), None)  # re-insert: keeps time order
            latest[str(entry.get("answer_id"))] = entry
    return list(latest.values())
