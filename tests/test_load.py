"""Eight chat sessions asking while 1,000 articles are ingested into the same store (bounded, local)."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest
from conftest import FIXTURES

EXPECTED = {
    "How much will the airport tram line cost?": "420 million euros",
    "What was the record temperature in Valdora?": "46.1 degrees Celsius",
    "How much does the Atlas-7 robot cost?": "85,000 dollars",
}


def synthetic_articles(path: Path, count: int) -> Path:
    rng = random.Random(7)
    towns = ["Arlen", "Brisk", "Corva", "Dunmore", "Estel", "Farrow", "Gilden", "Hollis"]
    topics = [
        "water board",
        "school district",
        "harbour authority",
        "rail operator",
        "hospital trust",
    ]
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            town, topic = rng.choice(towns), rng.choice(topics)
            body = f"The {topic} of {town} reported item {i} on Monday. Officials said the figure for case {i} was {rng.randint(10, 999)}."
            out.write(
                json.dumps(
                    {
                        "title": f"{town} {topic} update {i}",
                        "body": body,
                        "url": f"https://local.example/{i}",
                        "published_at": "2022-05-01",
                    }
                )
                + "\n"
            )
    return path


@pytest.mark.slow
def test_eight_sessions_ask_while_a_thousand_articles_are_ingested(newsqa, tmp_path: Path) -> None:
    newsqa.ingest([FIXTURES / "articles.jsonl"])
    dump = synthetic_articles(tmp_path / "bulk.jsonl", 1000)
    errors: list[BaseException] = []
    wrong: list[str] = []
    asked = 0
    lock = threading.Lock()
    ingest_done = threading.Event()
    deadline = time.monotonic() + 600  # bounded whatever happens

    def ingest() -> None:
        try:
            report = newsqa.ingest([dump])
            assert report.added == 1000 and not report.failures
        except BaseException as error:  # reported below; a thread must not die silently
            errors.append(error)
        finally:
            ingest_done.set()

    def session(seed: int) -> None:
        nonlocal asked
        rng = random.Random(seed)
        while not ingest_done.is_set() and time.monotonic() < deadline:
            question = rng.choice(list(EXPECTED))
            try:
                answer = newsqa.ask(question)
            except BaseException as error:
                errors.append(error)
                return
            with lock:
                asked += 1
                if EXPECTED[question] not in answer.text:
                    wrong.append(f"{question} -> {answer.text}")

    threads = [threading.Thread(target=ingest)] + [
        threading.Thread(target=session, args=(i,)) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=660)
    assert not errors, errors[:3]
    assert not wrong, wrong[:3]
    assert asked >= 8
    records = newsqa.articles()
    assert len(records) == 1006 and all(r.complete for r in records)
    ids = newsqa.store.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == sum(r.expected_chunks for r in records)
