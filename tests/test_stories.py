"""Near-duplicate stories through both lookup paths (direct store query; the run's band table),
and stories merged by an article that bridges them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.vector_stores.utils import metadata_dict_to_node

# three passages with no sentence in common; "bridge" articles are built from them
PART_X = (
    "Rescue teams in the mountain province of Kalvar pulled twelve survivors from the rubble of "
    "a collapsed school on Wednesday, two days after a strong earthquake struck the region. The "
    "provincial governor said at least 48 people had died and more than 300 were injured, and "
    "warned that the toll could rise as crews reached remote villages cut off by landslides."
)
PART_Y = (
    "Aid agencies said roads into the valley remained blocked and that helicopters were carrying "
    "water, blankets and medical supplies to a field hospital set up beside the football stadium. "
    "Aftershocks continued through the night, and many families slept outdoors in freezing "
    "temperatures rather than return to their damaged homes in the old town."
)
PART_Z = (
    "The national government declared three days of mourning and promised funds to rebuild "
    "schools and clinics before the winter. Engineers from the capital arrived on Thursday to "
    "inspect two dams upstream of the valley, and the army opened a second supply route over "
    "the northern pass for trucks carrying tents and fuel for the generators."
)
UNRELATED = (
    "The city council voted on Tuesday to turn the old tram depot into a covered market with "
    "sixty stalls for local growers, bakers and cheesemakers. The project will cost about nine "
    "million euros and should open in the spring of next year, the mayor said, adding that the "
    "building's iron roof and brick walls would be restored rather than replaced by new ones."
)


def article(body: str, outlet: str, slug: str) -> dict[str, Any]:
    host = outlet.lower().replace(" ", "")
    return {"title": f"Story {slug}", "body": body, "url": f"https://{host}.example/{slug}",
            "source": outlet}  # fmt: skip


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return path


@pytest.fixture(params=["direct-query", "band-table"])
def lookup(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both lookup paths: a run's first batch asks the store; later batches use the table."""
    import qa.indexing
    import qa.stories

    if request.param == "band-table":
        monkeypatch.setattr(qa.stories, "LOAD_AFTER_BATCHES", 0)
        monkeypatch.setattr(qa.indexing, "ARTICLES_PER_CHECK", 1)  # one batch per article
    return str(request.param)


def stories_by_outlet(newsqa) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {a.source: a for a in newsqa.articles()}


def test_syndicated_copies_are_grouped_and_other_stories_are_not(
    newsqa, tmp_path: Path, lookup: str
) -> None:  # type: ignore[no-untyped-def]
    wire = PART_X + "\n\n" + PART_Y
    copy = "KALVAR (AP) — " + wire.replace("Aid agencies", "Relief agencies") + " Staff report."
    newsqa.ingest([jsonl(tmp_path / "a.jsonl", [article(wire, "Global Wire", "quake"),
                                                article(UNRELATED, "City Post", "market")])])  # fmt: skip
    newsqa.ingest([jsonl(tmp_path / "b.jsonl", [article(PART_Z, "Valley News", "mourning"),
                                                article(copy, "Daily Meridian", "quake")])])  # fmt: skip
    found = stories_by_outlet(newsqa)
    assert found["Daily Meridian"].story_id == found["Global Wire"].story_id
    assert found["Global Wire"].story_outlets == ("Daily Meridian", "Global Wire")
    for outlet in ("City Post", "Valley News"):
        assert found[outlet].story_id == found[outlet].id
        assert found[outlet].story_outlets == (outlet,)


def test_article_bridging_two_stories_merges_them(newsqa, tmp_path: Path, lookup: str) -> None:  # type: ignore[no-untyped-def]
    first = PART_X + "\n\n" + PART_Y  # shares a third of its shingles with `second`: not a copy
    second = PART_Y + "\n\n" + PART_Z
    bridge = PART_X + "\n\n" + PART_Y + "\n\n" + PART_Z  # a copy of both
    newsqa.ingest([jsonl(tmp_path / "a.jsonl", [article(first, "Global Wire", "a"),
                                                article(second, "Valley News", "b"),
                                                article(UNRELATED, "City Post", "c")])])  # fmt: skip
    before = stories_by_outlet(newsqa)
    assert before["Global Wire"].story_id != before["Valley News"].story_id
    report = newsqa.ingest([jsonl(tmp_path / "b.jsonl", [article(bridge, "Daily Meridian", "d")])])
    assert report.added == 1
    after = stories_by_outlet(newsqa)
    merged = {after[o].story_id for o in ("Global Wire", "Valley News", "Daily Meridian")}
    assert len(merged) == 1 and merged < {
        before["Global Wire"].story_id,
        before["Valley News"].story_id,
    }
    everyone = ("Daily Meridian", "Global Wire", "Valley News")
    for outlet in everyone:
        assert after[outlet].story_outlets == everyone
    assert after["City Post"].story_outlets == ("City Post",)
    # the moved copy's chunks say so too, in the node LlamaIndex reads back
    (story,) = merged
    for outlet in ("Global Wire", "Valley News"):
        page = newsqa.store.collection.get(
            where={"article_id": after[outlet].id}, include=["metadatas"]
        )
        for metadata in page["metadatas"]:
            assert metadata["story_id"] == story
            assert metadata_dict_to_node(metadata).metadata["story_id"] == story


def test_bridge_in_one_run_merges_the_stories_of_that_run(
    newsqa, tmp_path: Path, lookup: str
) -> None:  # type: ignore[no-untyped-def]
    records = [
        article(PART_X + "\n\n" + PART_Y, "Global Wire", "a"),
        article(PART_Y + "\n\n" + PART_Z, "Valley News", "b"),
        article(PART_X + "\n\n" + PART_Y + "\n\n" + PART_Z, "Daily Meridian", "d"),
    ]
    # with the band table, each article is its own batch: the later ones find the earlier
    # ones through the entries the run added to the table as it wrote them
    newsqa.ingest([jsonl(tmp_path / "a.jsonl", records)])
    found = stories_by_outlet(newsqa)
    assert len({a.story_id for a in found.values()}) == 1
    assert found["Valley News"].story_outlets == ("Daily Meridian", "Global Wire", "Valley News")


def test_band_table_reads_the_stored_prints_and_agrees_with_the_direct_query(
    newsqa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from qa.ingest.duplicates import fingerprint
    from qa.stories import StoryIndex

    wire = PART_X + "\n\n" + PART_Y
    newsqa.ingest([jsonl(tmp_path / "a.jsonl", [article(wire, "Global Wire", "quake")])])
    index = StoryIndex(newsqa.store, lookups=1)  # past the direct query: reads the table
    (stored,) = index.candidates([fingerprint(wire)]).values()
    assert index.loaded and stored.outlet == "Global Wire"
    assert index.candidates([fingerprint(UNRELATED)]) == {}
    assert index.candidates([fingerprint(wire)], exclude=[stored.article_id]) == {}
    # the direct query and the table agree
    assert newsqa.store.similar_articles([fingerprint(wire)]).keys() == {stored.article_id}


def test_band_cache_follows_writes_from_elsewhere_and_removals(
    newsqa, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import qa.indexing
    import qa.stories

    cache = qa.indexing.story_cache_path(settings)

    def cached_ids() -> set[str]:
        return set(json.loads(cache.read_text(encoding="utf-8"))["articles"])

    def run(records: list[dict[str, Any]], name: str, *, use_cache: bool) -> None:
        monkeypatch.setattr(qa.stories, "LOAD_AFTER_BATCHES", 0 if use_cache else 10**6)
        newsqa.ingest([jsonl(tmp_path / f"{name}.jsonl", records)])

    run([article(PART_X + "\n\n" + PART_Y, "Global Wire", "a")], "a", use_cache=True)
    wire = stories_by_outlet(newsqa)["Global Wire"]
    assert cached_ids() == {wire.id}
    # written by a run that never reads the cache (as another machine would): not cached yet
    run([article(PART_Y + "\n\n" + PART_Z, "Valley News", "b")], "b", use_cache=False)
    valley = stories_by_outlet(newsqa)["Valley News"]
    assert cached_ids() == {wire.id}
    # the next cached run finds it through the store's ids, and the bridge merges both stories
    bridge = PART_X + "\n\n" + PART_Y + "\n\n" + PART_Z
    run([article(bridge, "Daily Meridian", "d")], "d", use_cache=True)
    found = stories_by_outlet(newsqa)
    assert len({a.story_id for a in found.values()}) == 1
    assert cached_ids() == {a.id for a in found.values()}
    newsqa.remove([valley.id])
    run([article(UNRELATED, "City Post", "c")], "c", use_cache=True)
    assert valley.id not in cached_ids() and len(cached_ids()) == 3
    # an unreadable cache is rebuilt from the store
    cache.write_text("{not json", encoding="utf-8")
    run([article(PART_Z, "Harbour Times", "e")], "e", use_cache=True)
    assert cached_ids() == {a.id for a in newsqa.articles()}


def test_cache_that_cannot_be_written_costs_time_not_articles(
    newsqa,
    settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # type: ignore[no-untyped-def]
    import qa.indexing
    import qa.stories

    monkeypatch.setattr(qa.stories, "LOAD_AFTER_BATCHES", 0)
    blocked = qa.indexing.story_cache_path(settings).parent
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    report = newsqa.ingest([jsonl(tmp_path / "a.jsonl", [article(UNRELATED, "City Post", "c")])])
    assert report.added == 1 and not report.failures
    assert "could not save an ingestion cache" in caplog.text


@pytest.mark.parametrize("same_run", [True, False])
def test_the_same_text_weeks_apart_is_another_edition_not_a_copy(
    newsqa, tmp_path: Path, same_run: bool
) -> None:  # type: ignore[no-untyped-def]
    """A recurring report (the same template every week or year) is not one wire story: each
    edition must stay findable, and one hit per story would hide all but one."""
    edition = PART_X + "\n\n" + PART_Y

    def dated(slug: str, day: str) -> dict[str, Any]:
        return {**article(edition, "Global Wire", slug), "published_at": day}

    first, copy, later = (dated("quake-1", "2023-09-04"), dated("quake-1-copy", "2023-09-06"),
                          dated("quake-6", "2023-10-09"))  # fmt: skip
    if same_run:
        newsqa.ingest([jsonl(tmp_path / "all.jsonl", [first, copy, later])])
    else:
        for n, record in enumerate((first, copy, later)):
            newsqa.ingest([jsonl(tmp_path / f"{n}.jsonl", [record])])
    story = {a.url.rsplit("/", 1)[1]: a.story_id for a in newsqa.articles()}
    assert story["quake-1-copy"] == story["quake-1"]  # two days apart: a copy
    assert story["quake-6"] != story["quake-1"]  # five weeks apart: another edition
