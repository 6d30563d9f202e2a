"""`load_articles`: files and folders in, a lazy stream of articles and failures out."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from qa.ingest.article import Article, IngestFailure
from qa.ingest.decode import UnreadableInput, read_text
from qa.ingest.formats import read_csv, read_html, read_json, read_jsonl, read_page_text
from qa.ingest.records import check_field_map

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".json", ".jsonl", ".csv")


def load_articles(
    inputs: Iterable[str | Path], *, field_map: dict[str, str] | None = None
) -> Iterator[Article | IngestFailure]:
    """Load every file or folder (recursively, sorted, hidden files skipped), lazily.

    A bad input yields an `IngestFailure` naming it and the reason; the others still load.
    `field_map` maps our record fields to a data set's keys, e.g. {"title": "headline"}.
    An unknown field in `field_map` is a ValueError here, before anything loads.
    """
    checked = check_field_map(field_map)
    return _load_all(inputs, checked)


def _load_all(
    inputs: Iterable[str | Path], field_map: Mapping[str, str]
) -> Iterator[Article | IngestFailure]:
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for found in _walk(path):
                if isinstance(found, IngestFailure):
                    yield found
                else:
                    yield from _load_file(found, field_map)
        elif path.is_file():
            yield from _load_file(path, field_map)
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


def _load_file(path: Path, field_map: Mapping[str, str]) -> Iterator[Article | IngestFailure]:
    origin = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        expected = ", ".join(SUPPORTED_SUFFIXES)
        shown = f"'{suffix}'" if suffix else "no extension"
        yield IngestFailure(origin, f"unsupported file type ({shown}); expected one of {expected}")
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
