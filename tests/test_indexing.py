"""Indexing into the real store: chunk metadata, version history, near-duplicate stories, listing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED
from llama_index.core.vector_stores.utils import metadata_dict_to_node

WIRE = (
    "Rescue teams in the mountain province of Kalvar pulled twelve survivors from the rubble of a "
    "collapsed school on Wednesday, two days after a magnitude 6.4 earthquake struck the region. "
    "The provincial governor said at least 48 people had died and more than 300 were injured, "
    "and warned that the toll could rise as crews reached remote villages cut off by landslides. "
    "Aid agencies said roads into the valley remained blocked and that helicopters were carrying "
    "water, blankets and medical supplies to a field hospital set up beside the football stadium. "
    "Aftershocks continued through the night, and many families slept outdoors in freezing "
    "temperatures rather than return to damaged homes. The national government declared three "
    "days of mourning and promised funds to rebuild schools and clinics before the winter."
)
OTHER = (
    "The city council voted on Tuesday to turn the old tram depot into a covered market with "
    "sixty stalls for local growers, bakers and cheesemakers. The project will cost about nine "
    "million euros and should open in the spring of next year, the mayor said, adding that "
    "the building's iron roof and brick walls would be restored rather than replaced."
)


def record(
    body: str, *, url: str, source: str, title: str = "Quake survivors rescued", **more: Any
) -> dict[str, Any]:
    return {"title": title, "body": body, "url": url, "source": source, **more}


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return path


def metadatas_of(newsqa, article_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    page = newsqa.store.collection.get(where={"article_id": article_id}, include=["metadatas"])
    return sorted(page["metadatas"], key=lambda m: m["position"])


# ---- chunk metadata ----------------------------------------------------------------------------


def test_every_chunk_carries_the_article_metadata(newsqa) -> None:  # type: ignore[no-untyped-def]
    newsqa.ingest([SEED])
    (article,) = newsqa.articles()
    metadatas = metadatas_of(newsqa, article.id)
    assert len(metadatas) == article.expected_chunks > 1
    for metadata in metadatas:
        assert metadata["published_at"] == "2023-09-05T06:49:00+05:30"
        assert metadata["updated_at"] == "2023-09-05T06:50:00+05:30"
        assert metadata["source"] == "The Hindu" and metadata["dateline"] == "WASHINGTON"
        assert metadata["topics"] == "Russia; North Korea; defence equipment"
        assert metadata["story_id"] == article.id and metadata["story_outlets"] == "The Hindu"
        assert metadata["history"] == "" and metadata["retrieved_at"] == ""
        assert "relative_dates" in metadata
    # the duplicate index lives on chunk 0 only, and is hidden from readers
    assert "_minhash" in metadatas[0] and "_lsh1_00" in metadatas[0]
    assert not any(k.startswith("_lsh") for m in metadatas[1:] for k in m)
    chunk = newsqa.store.chunks_of(article.id)[0]
    assert not any(k.startswith("_") for k in chunk.metadata)


# ---- updates and history -----------------------------------------------------------------------


def test_changed_article_keeps_earlier_versions_in_its_history(newsqa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    url = "https://wire.example/quake"
    versions = [
        record(WIRE, url=url, source="Wire", published_at="2024-01-10T08:00:00Z"),
        record(WIRE + " The death toll rose to 52.", url=url, source="Wire",
               published_at="2024-01-10T08:00:00Z", updated_at="2024-01-10T14:00:00Z"),
        record(WIRE + " The death toll rose to 61.", url=url, source="Wire",
               title="Quake toll rises", published_at="2024-01-10T08:00:00Z",
               updated_at="2024-01-11T09:00:00Z"),
    ]  # fmt: skip
    reports = [newsqa.ingest([write_jsonl(path, [v])]) for v in versions]
    assert [(r.added, r.updated) for r in reports] == [(1, 0), (0, 1), (0, 1)]
    (article,) = newsqa.articles()
    assert article.title == "Quake toll rises"
    assert [h["updated_at"] for h in article.history] == [None, "2024-01-10T14:00:00+00:00"]
    assert [h["title"] for h in article.history] == ["Quake survivors rescued"] * 2
    assert all(h["replaced_at"] and h["content_hash"] for h in article.history)
    texts = " ".join(newsqa.store.collection.get(include=["documents"])["documents"])
    assert "61" in texts and "52" not in texts
    for metadata in metadatas_of(newsqa, article.id):
        assert len(json.loads(metadata["history"])) == 2


def test_new_updated_at_alone_is_an_update(newsqa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    first = record(OTHER, url="https://city.example/market", source="City Post")
    newsqa.ingest([write_jsonl(path, [first])])
    report = newsqa.ingest([write_jsonl(path, [{**first, "updated_at": "2024-02-01T10:00:00Z"}])])
    assert report.updated == 1
    (article,) = newsqa.articles()
    assert article.updated_at == "2024-02-01T10:00:00+00:00" and len(article.history) == 1


def test_update_to_a_shorter_version_leaves_no_orphan_chunks(newsqa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    url = "https://wire.example/quake"
    newsqa.ingest([write_jsonl(path, [record(WIRE + " " + WIRE, url=url, source="Wire")])])
    (long,) = newsqa.articles()
    assert long.expected_chunks >= 3
    newsqa.ingest([write_jsonl(path, [record(OTHER, url=url, source="Wire")])])
    (short,) = newsqa.articles()
    assert short.complete and short.chunks == short.expected_chunks == 1
    assert newsqa.store.count_chunks() == 1


def test_update_killed_mid_write_is_repaired_with_its_history(
    newsqa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    url = "https://wire.example/quake"
    newsqa.ingest([write_jsonl(path, [record(WIRE + " " + WIRE, url=url, source="Wire")])])
    changed = write_jsonl(path, [record(WIRE + " The toll rose. " + WIRE, url=url, source="Wire")])
    collection = newsqa.store.collection
    real_upsert = collection.upsert

    def upsert_first_chunk_then_die(**kwargs: Any) -> None:
        real_upsert(**{k: v[:1] for k, v in kwargs.items()})
        raise KeyboardInterrupt  # stands in for SIGKILL between two writes

    monkeypatch.setattr(collection, "upsert", upsert_first_chunk_then_die)
    with pytest.raises(KeyboardInterrupt):
        newsqa.ingest([changed])
    monkeypatch.setattr(collection, "upsert", real_upsert)
    (mixed,) = newsqa.articles()
    assert not mixed.complete
    report = newsqa.ingest([changed])
    assert report.updated == 1
    (repaired,) = newsqa.articles()
    assert repaired.complete and len(repaired.history) == 1
    assert "The toll rose." in " ".join(c.text for c in newsqa.store.chunks_of(repaired.id))


# ---- near-duplicates ---------------------------------------------------------------------------


def syndicated(tmp_path: Path) -> tuple[Path, Path]:
    first = write_jsonl(
        tmp_path / "first.jsonl",
        [
            record(WIRE, url="https://wire.example/quake", source="Global Wire"),
            record(OTHER, url="https://city.example/market", source="City Post",
                   title="Tram depot to become market"),
        ],
    )  # fmt: skip
    copy = (
        "KALVAR (GW) — "
        + WIRE.replace("Aid agencies", "Relief agencies").replace("rebuild", "repair")
        + " Reporting by staff."
    )
    second = write_jsonl(
        tmp_path / "second.jsonl",
        [record(copy, url="https://daily.example/world/quake", source="The Daily Meridian")],
    )
    return first, second


def test_syndicated_copy_joins_the_stored_story_and_both_list_every_outlet(
    newsqa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    first, second = syndicated(tmp_path)
    newsqa.ingest([first])
    newsqa.ingest([second])
    by_source = {a.source: a for a in newsqa.articles()}
    wire, copy, other = (
        by_source["Global Wire"],
        by_source["The Daily Meridian"],
        by_source["City Post"],
    )
    assert copy.story_id == wire.story_id == wire.id
    assert wire.story_outlets == copy.story_outlets == ("Global Wire", "The Daily Meridian")
    assert other.story_id == other.id and other.story_outlets == ("City Post",)
    # every stored chunk of the first copy was updated, in the node LlamaIndex reads back too
    for metadata in metadatas_of(newsqa, wire.id):
        node = metadata_dict_to_node(metadata)
        assert node.metadata["story_outlets"] == "Global Wire; The Daily Meridian"


def test_copies_in_one_run_are_grouped(newsqa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = syndicated(tmp_path)
    newsqa.ingest([first, second])
    stories = {a.source: a.story_id for a in newsqa.articles()}
    assert stories["Global Wire"] == stories["The Daily Meridian"] != stories["City Post"]


def test_removing_a_copy_updates_the_story(newsqa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = syndicated(tmp_path)
    newsqa.ingest([first, second])
    by_source = {a.source: a for a in newsqa.articles()}
    newsqa.remove([by_source["The Daily Meridian"].id])
    by_source = {a.source: a for a in newsqa.articles()}
    assert by_source["Global Wire"].story_outlets == ("Global Wire",)


def test_duplicate_index_persists_across_store_reopens(
    settings, embed_model, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from qa.pipeline import NewsQA

    first, second = syndicated(tmp_path)
    NewsQA(settings, embed_model=embed_model).ingest([first])
    reopened = NewsQA(settings, embed_model=embed_model)
    reopened.ingest([second])
    stories = {a.source: a.story_id for a in reopened.articles()}
    assert stories["Global Wire"] == stories["The Daily Meridian"]


# ---- reports and listing -----------------------------------------------------------------------


def test_repeats_in_one_run_and_other_files_in_folders_are_skipped_not_failed(
    newsqa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [record(OTHER, url="https://city.example/m", source="C")] * 2)
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n")
    (folder / "README.md").write_text("notes")
    report = newsqa.ingest([folder])
    assert report.added == 1 and not report.failures
    assert sorted(Path(s.input).name for s in report.skipped) == [
        "README.md",
        "a.jsonl:2",
        "photo.png",
    ]
    assert "3 skipped, 0 failed" in report.summary()


def test_articles_filter_by_outlet_and_dates(newsqa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            record(
                WIRE, url="https://w.example/1", source="Global Wire", published_at="2024-01-10"
            ),
            record(OTHER, url="https://c.example/2", source="City Post", published_at="2024-02-01"),
            record(OTHER + " More.", url="https://c.example/3", source="City Post"),
        ],
    )
    newsqa.ingest([path])

    def titles(**filters: Any) -> list[str]:
        return sorted(a.url for a in newsqa.articles(**filters))

    assert titles(sources=["city post"]) == ["https://c.example/2", "https://c.example/3"]
    assert titles(since=date(2024, 1, 11)) == ["https://c.example/2"]
    assert titles(until=date(2024, 1, 31)) == ["https://w.example/1"]
    assert titles(sources=["City Post"], until=date(2024, 3, 1)) == ["https://c.example/2"]


def test_chunking_beside_threads_splitting_sentences_loses_nothing() -> None:
    # ingestion runs beside chat sessions that split sentences too (one pysbd per thread)
    import threading

    from qa.chunk import chunk_article
    from qa.ingest import Article
    from qa.text import split_sentences

    articles = [
        Article(title=f"T{i}", body=f"The council met on day {i}. Mr. Lee said the vote passed.")
        for i in range(300)
    ]
    expected = [[c.text for c in chunk_article(a)] for a in articles]
    results: list[list[str]] = []

    def chunk_all() -> None:
        results.extend([c.text for c in chunk_article(a)] for a in articles)

    def split_often() -> None:
        for _ in range(200):
            split_sentences("How much will it cost? Dr. Smith said 420 million euros. It rose.")

    threads = [threading.Thread(target=chunk_all)] + [
        threading.Thread(target=split_often) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected
