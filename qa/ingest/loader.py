"""`load_articles`: files, folders, URLs and feeds in, a lazy stream of articles and failures out."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from qa.ingest.article import Article, IngestFailure
from qa.ingest.decode import UnreadableInput, read_text
from qa.ingest.feed_state import FeedMemory, FeedState
from qa.ingest.feeds import StoredLinks, looks_like_feed, read_feed
from qa.ingest.fetch import FEED_TYPES, HTML_TYPES, Fetched, Fetcher, FetchError
from qa.ingest.formats import read_csv, read_html, read_json, read_jsonl, read_page_text
from qa.ingest.records import check_field_map

FEED_SUFFIXES = (".rss", ".atom", ".xml")
SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".json", ".jsonl", ".csv", *FEED_SUFFIXES)
PAGE_SUFFIXES = (".txt", ".html", ".htm", *FEED_SUFFIXES)  # one page or feed: size-limited
# "https://...", "file:/...", "ftp://...": anything with a scheme is a URL (not "C:\\...")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:")


class ArticleStream(Iterator[Article | IngestFailure]):
    """The lazy stream `load_articles` returns. Before it is read, `attach` may give it what
    makes re-reading a feed cheap (see feed_state.py): the store's stored links and the feed
    memory; `commit` then records the feeds read in full, once their articles are stored."""

    def __init__(
        self, inputs: Iterable[str | Path], field_map: Mapping[str, str], fetcher: Fetcher
    ):
        self.fetcher = fetcher
        self.stored: StoredLinks | None = None
        self.feeds: FeedState | None = None
        self._items = _load_all(inputs, field_map, fetcher, self)

    def attach(self, *, stored: StoredLinks, feeds: FeedState | None) -> None:
        self.stored, self.feeds = stored, feeds

    def commit(self) -> None:
        if self.feeds is not None:
            self.feeds.commit()

    def __next__(self) -> Article | IngestFailure:
        return next(self._items)


def load_articles(
    inputs: Iterable[str | Path],
    *,
    field_map: dict[str, str] | None = None,
    fetcher: Fetcher | None = None,
) -> ArticleStream:
    """Load every file, folder (recursively, sorted, hidden files skipped), URL or feed, lazily.

    A bad input yields an `IngestFailure` naming it and the reason; the others still load.
    Files of other types found inside a folder are skipped (`IngestFailure.skipped`).
    `field_map` maps our record fields to a data set's keys, e.g. {"title": "headline"}.
    `fetcher` fetches URLs and feed items (default: public addresses only, see fetch.py);
    its size limit also applies to page and feed files.
    An unknown field in `field_map` is a ValueError here, before anything loads.
    """
    checked = check_field_map(field_map)
    return ArticleStream(inputs, checked, fetcher or Fetcher())


def is_url(item: str | Path) -> bool:
    """True for an input that names a URL rather than a local path."""
    return isinstance(item, str) and bool(_URL.match(item)) and not Path(item).exists()


def _load_all(
    inputs: Iterable[str | Path],
    field_map: Mapping[str, str],
    fetcher: Fetcher,
    stream: ArticleStream,
) -> Iterator[Article | IngestFailure]:
    for item in inputs:
        if is_url(item):
            yield from _load_url(str(item), fetcher, stream)
            continue
        path = Path(item)
        if path.is_dir():
            for found in _walk(path):
                if isinstance(found, IngestFailure):
                    yield found
                elif found.suffix.lower() not in SUPPORTED_SUFFIXES:
                    yield IngestFailure(str(found), _unsupported(found), skipped=True)
                else:
                    yield from _load_file(found, field_map, fetcher)
        elif path.is_file():
            yield from _load_file(path, field_map, fetcher)
        elif path.exists():
            yield IngestFailure(str(item), "not a regular file or folder")
        else:
            yield IngestFailure(str(item), "no such file or folder")


def _walk(folder: Path) -> Iterator[Path | IngestFailure]:
    """Files under a folder in sorted order, without hidden files or folders."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        yield IngestFailure(str(folder), f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):  # a linked folder could loop back on itself
            yield from _walk(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path)


def _unsupported(path: Path) -> str:
    suffix = path.suffix.lower()
    shown = f"'{suffix}'" if suffix else "no extension"
    return f"unsupported file type ({shown}); expected one of {', '.join(SUPPORTED_SUFFIXES)}"


def _load_url(
    url: str, fetcher: Fetcher, stream: ArticleStream
) -> Iterator[Article | IngestFailure]:
    """A web page, or a feed whose items are fetched in turn."""
    memory = stream.feeds.remembered(url) if stream.feeds and stream.stored else None
    try:
        headers = memory.request_headers() if memory else None
        fetched = fetcher.fetch(url, accept=HTML_TYPES | FEED_TYPES, headers=headers)
        if fetched.status == 304 and memory is not None and stream.stored is not None:
            if set(stream.stored(memory.links)) >= set(memory.links):
                for link in memory.links:
                    yield IngestFailure(link, "unchanged (feed not modified)", unchanged=True)
                return
            fetched = fetcher.fetch(url, accept=HTML_TYPES | FEED_TYPES)  # some were removed
        if looks_like_feed(fetched.data, fetched.content_type):
            yield from _read_remembered_feed(url, fetched, fetcher, stream)
            return
        text = fetched.text()
    except FetchError as exc:
        yield IngestFailure(url, str(exc))
        return
    for result in read_html(text, url, url=fetched.url):
        yield (
            replace(result, retrieved_at=fetched.fetched_at)
            if isinstance(result, Article)
            else result
        )


def _read_remembered_feed(
    url: str, fetched: Fetched, fetcher: Fetcher, stream: ArticleStream
) -> Iterator[Article | IngestFailure]:
    """A fetched feed's items; the feed is remembered if every item's page was had."""
    links: list[str] = []
    complete = True
    for result in read_feed(fetched.data, url, fetcher, stored=stream.stored):
        if isinstance(result, IngestFailure):
            complete = complete and result.unchanged
            if result.unchanged:
                links.append(result.input)
        elif result.extra.get("text_from") == "feed-summary" or "feed_link" not in result.extra:
            complete = False
        else:
            links.append(str(result.extra["feed_link"]))
        yield result
    if stream.feeds is not None and complete and (fetched.etag or fetched.last_modified):
        stream.feeds.stage(url, FeedMemory(fetched.etag, fetched.last_modified, tuple(links)))


def _load_file(
    path: Path, field_map: Mapping[str, str], fetcher: Fetcher
) -> Iterator[Article | IngestFailure]:
    origin = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield IngestFailure(origin, _unsupported(path))
        return
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield IngestFailure(origin, f"cannot read file: {exc.strerror or exc}")
        return
    if suffix in PAGE_SUFFIXES and size > fetcher.max_bytes:
        yield IngestFailure(origin, f"over the size limit ({size:,} > {fetcher.max_bytes:,} bytes)")
        return
    if suffix in FEED_SUFFIXES:
        yield from _load_feed_file(path, fetcher)
        return
    try:
        text, _encoding = read_text(path)
    except UnreadableInput as exc:
        yield IngestFailure(origin, str(exc))
        return
    if suffix == ".txt":
        yield from read_page_text(text, origin)
    elif suffix in (".html", ".htm"):
        yield from read_html(text, origin)
    elif suffix == ".json":
        yield from read_json(text, origin, field_map)
    elif suffix == ".jsonl":
        yield from read_jsonl(text, origin, field_map)
    else:
        yield from read_csv(text, origin, field_map)


def _load_feed_file(path: Path, fetcher: Fetcher) -> Iterator[Article | IngestFailure]:
    try:
        read_text(path)  # the same empty/binary checks as any text file
        data = path.read_bytes()  # feedparser honours the XML encoding declaration itself
    except (UnreadableInput, OSError) as exc:
        reason = str(exc) if isinstance(exc, UnreadableInput) else f"cannot read file: {exc}"
        yield IngestFailure(str(path), reason)
        return
    yield from read_feed(data, str(path), fetcher)
