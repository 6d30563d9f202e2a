"""Near-duplicate stories at ingest time: which stored or incoming articles each new one copies.

The store is the record: chunk 0 of every article carries its MinHash, its LSH band keys and
its story (qa/store.py), so every process and machine writing to one Chroma server sees the
same stories. Chroma answers a metadata filter by scanning every chunk of the collection,
though, and the 25-band `$or` tests 25 lists per chunk: asking it once per batch made a long
run quadratic, and reading every article's metadata once per run costs about a hundred such
queries. So the band keys are also cached beside the store, in NEWSQA_HOME
(`stories/<collection>.json`: article id -> its 25 band keys), and a run uses the cache like
this (from its second batch on; its first batch asks the store directly, which is cheapest for
the usual run of a few URLs):
- it checks the cache against the store's list of article ids (one scan of chunk ids, no
  metadata): articles removed since are dropped, articles written since (by any process or
  machine, or by a run killed before it saved the cache) are read by chunk id and added;
- band keys in memory give the candidates; each candidate's MinHash and story are then read
  from the store by chunk id, so the similarity and the story always come from the record;
- what the run writes is added, and the cache is saved (atomically) at the end of the run.
The cache can only be stale for an article another process changed in place while keeping its
id (its old bands stay cached until it is removed): such a copy may be missed as a duplicate,
never wrongly grouped, since every match is checked against the stored MinHash. A missing,
unreadable or foreign cache is rebuilt from the store.

Bridging: a new article that matches articles of two or more stories merges those stories into
one (the story of its closest match), so a story is a connected group of near-duplicates.
Copies are published within three days of each other (COPY_WINDOW_S); the same text weeks
apart is another edition of a recurring report and starts a story of its own.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qa.chunk import Chunk
from qa.ingest import Article
from qa.ingest.duplicates import BAND_KEY_PREFIX, THRESHOLD, Fingerprint, fingerprint, lsh_params
from qa.store import ArticleRecord, ArticleWrite, NewsStore, StoredPrint, outlet_of, story_outlets

# copies of one wire story come out within days of each other; a near-identical text weeks or a
# year apart is another edition of a recurring report (a weekly quake report, a holiday notice)
COPY_WINDOW_S = 3 * 24 * 3600
LOAD_AFTER_BATCHES = 1  # batches answered by a direct store query before the cache is used
CACHE_FORMAT = 1

Planned = tuple[Article, list[Chunk], ArticleRecord | None]


@dataclass
class StoryIndex:
    """The stored articles' LSH bands for one ingestion run (see the module docstring)."""

    store: NewsStore
    cache_path: Path | None = None
    lookups: int = 0
    _bands_of: dict[str, tuple[str, ...]] | None = None  # article -> band keys; None: not read
    _articles: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    _changed: bool = False

    @property
    def loaded(self) -> bool:
        return self._bands_of is not None

    def candidates(
        self, prints: Sequence[Fingerprint], exclude: Iterable[str] = ()
    ) -> dict[str, StoredPrint]:
        """Stored articles sharing at least one LSH band with any of these fingerprints."""
        self.lookups += 1
        if self._bands_of is None and self.lookups <= LOAD_AFTER_BATCHES:
            return self.store.similar_articles(prints, exclude)
        if self._bands_of is None:
            self._load()
        skip = set(exclude)
        ids = {
            article_id
            for print_ in prints
            for band, key in enumerate(print_.band_keys)
            for article_id in self._articles.get((band, key), ())
            if article_id not in skip
        }
        return self.store.stored_prints(ids) if ids else {}

    def remember(self, written: Iterable[StoredPrint]) -> None:
        """Articles this run wrote (new, or replacing a version), once the cache is in use."""
        if self._bands_of is None:
            return
        for stored in written:
            self._forget(stored.article_id)
            self._add(stored.article_id, stored.band_keys)
            self._changed = True

    def save(self) -> None:
        """Write the cache if this run read and changed it (atomically: readers see all or none)."""
        if self._bands_of is None or not self._changed or self.cache_path is None:
            return
        payload = {
            "format": CACHE_FORMAT,
            "bands": BAND_KEY_PREFIX,
            "articles": {k: ",".join(v) for k, v in self._bands_of.items()},
        }
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.cache_path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(payload, out, separators=(",", ":"))
            os.replace(temporary, self.cache_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._changed = False

    def _load(self) -> None:
        self._bands_of = {}
        cached = self._read_cache()
        present = self.store.article_ids()
        for article_id in present & cached.keys():
            self._add(article_id, cached[article_id])
        missing = present - cached.keys()
        for stored in self.store.stored_prints(missing).values():
            self._add(stored.article_id, stored.band_keys)
        self._changed = bool(missing) or bool(cached.keys() - present)

    def _read_cache(self) -> dict[str, tuple[str, ...]]:
        if self.cache_path is None:
            return {}
        try:
            loaded = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # missing or unreadable: rebuilt from the store
        if not isinstance(loaded, dict) or loaded.get("format") != CACHE_FORMAT:
            return {}
        if loaded.get("bands") != BAND_KEY_PREFIX or not isinstance(loaded.get("articles"), dict):
            return {}
        bands, _rows = lsh_params()
        found = {}
        for article_id, joined in loaded["articles"].items():
            keys = tuple(str(joined).split(","))
            if len(keys) == bands:
                found[str(article_id)] = keys
        return found

    def _add(self, article_id: str, keys: tuple[str, ...]) -> None:
        assert self._bands_of is not None
        self._bands_of[article_id] = keys
        for band, key in enumerate(keys):
            self._articles.setdefault((band, key), set()).add(article_id)

    def _forget(self, article_id: str) -> None:
        assert self._bands_of is not None
        for band, key in enumerate(self._bands_of.pop(article_id, ())):
            members = self._articles.get((band, key))
            if members is not None:
                members.discard(article_id)
                if not members:
                    del self._articles[(band, key)]


def group_stories(
    store: NewsStore, index: StoryIndex, planned: Sequence[Planned]
) -> list[tuple[Fingerprint, str, tuple[str, ...]]]:
    """Assign each article to a story (its best near-duplicate's, else its own), merge the
    stories it bridges, and update the stored copies' story and outlets before the writes.
    Returns each article's (fingerprint, story id, story outlets)."""
    from datasketch import MinHash, MinHashLSH

    from qa.ingest.duplicates import NUM_PERM, SCHEME

    prints = [fingerprint(article.body) for article, _, _ in planned]
    batch_ids = {article.id for article, _, _ in planned}
    stored = index.candidates(prints, exclude=batch_ids)
    in_batch = MinHashLSH(num_perm=NUM_PERM, params=lsh_params())
    merged_into: dict[str, str] = {}  # story -> the story it was merged into

    def final(story: str) -> str:
        while story in merged_into:
            story = merged_into[story]
        return story

    published = [_timestamp(article) for article, _, _ in planned]
    stories: list[str] = []
    for index_in_batch, ((article, _, _), print_) in enumerate(zip(planned, prints, strict=True)):
        when = published[index_in_batch]
        matches = [
            (similarity, other.story_id)
            for other in stored.values()
            if within_copy_window(when, other.published_ts)
            and (similarity := print_.similarity(other.fingerprint)) >= THRESHOLD
        ]
        probe = MinHash(num_perm=NUM_PERM, hashvalues=print_.signature, scheme=SCHEME)
        for key in in_batch.query(probe):
            other_index = int(key)
            if not within_copy_window(when, published[other_index]):
                continue
            similarity = print_.similarity(prints[other_index])
            if similarity >= THRESHOLD:
                matches.append((similarity, stories[other_index]))
        story = article.id
        if matches:
            story = final(max(matches)[1])
            for _, other_story in matches:
                if final(other_story) != story:
                    merged_into[final(other_story)] = story
        stories.append(story)
        in_batch.insert(str(index_in_batch), probe)
    stories = [final(story) for story in stories]

    previous = {record.story_id for _, _, record in planned if record is not None}
    # only stories that can have stored members are looked up (the query scans the collection)
    stored_stories = {other.story_id for other in stored.values()} | previous
    members = store.story_members(((set(stories) | set(merged_into)) & stored_stories) | previous)
    grouped: dict[str, dict[str, str]] = {}
    moved: dict[str, str] = {}  # stored article -> the story it now belongs to
    for story, found in members.items():
        target = final(story)
        for article_id, outlet in found.items():
            if article_id in batch_ids:
                continue  # their new version decides
            grouped.setdefault(target, {})[article_id] = outlet
            if target != story:
                moved[article_id] = target
    for (article, _, _), story in zip(planned, stories, strict=True):
        grouped.setdefault(story, {})[article.id] = outlet_of(
            {"source": article.source, "url": article.url}
        )
    outlets = {story: story_outlets(found.values()) for story, found in grouped.items()}
    store.set_stories(
        {
            article_id: (moved.get(article_id), outlets[story])
            for story, found in grouped.items()
            for article_id in found
            if article_id not in batch_ids
        }
    )
    return [(print_, story, outlets[story]) for print_, story in zip(prints, stories, strict=True)]


def _timestamp(article: Article) -> int:
    return int(article.published_at.timestamp()) if article.published_at else -1


def within_copy_window(first_ts: int, second_ts: int) -> bool:
    """Whether two publication times can be copies of one story (an unknown time can)."""
    return first_ts < 0 or second_ts < 0 or abs(first_ts - second_ts) <= COPY_WINDOW_S


def stored_print(write: ArticleWrite) -> StoredPrint:
    """How the duplicate index sees an article once written."""
    return StoredPrint(
        article_id=write.article.id,
        story_id=write.story_id,
        outlet=outlet_of({"source": write.article.source, "url": write.article.url}),
        fingerprint=write.fingerprint,
        band_keys=tuple(write.fingerprint.band_keys),
        published_ts=_timestamp(write.article),
    )
