"""Scraped page text (a page saved as plain text, menus and all) to a clean `Article`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from qa.ingest.article import Article, DateOrigin
from qa.ingest.dates import looks_like_date_line, parse_date_line, parse_datetime
from qa.ingest.lines import (
    caption_lines,
    is_bulleted,
    is_end_marker,
    is_heading_like,
    is_inline_teaser,
    is_prompt,
    is_sentence_like,
    is_teaser_heading,
    normalise_line,
)
from qa.ingest.text_meta import find_source, leading_dateline, parse_byline, split_topics

# Scrapers write "date 2023-09-05" as the first line; page text may follow on the same line.
_FILE_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b\s*(.*)$", re.IGNORECASE)
_TOPICS_HEADING = re.compile(r"^(?:related\s+)?(?:topics|tags|keywords)\s*:?\s*$", re.I)
_TOPICS_INLINE = re.compile(r"^(?:related\s+)?(?:topics|tags|keywords)\s*:\s*\S", re.I)


@dataclass
class _Header:
    """Where the headline block sits on the page, and what it says."""

    title_i: int | None = None
    summary_i: int | None = None
    date_i: int | None = None
    used: set[int] = field(default_factory=set)
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    dateline: str | None = None


def parse_page_text(text: str, *, origin: str) -> Article:
    """Clean a scraped page: keep the story, drop menus, prompts, captions and teasers.

    The body is empty when no line looks like story text; callers decide if that is a failure.
    """
    raw = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n")
    file_date = None
    if raw and (match := _FILE_HEADER.match(raw[0])):
        file_date = parse_datetime(match.group(1))
        raw[0] = match.group(2)
    lines = [normalise_line(line) for line in raw]
    captions = caption_lines([line for line in lines if line])

    header = _find_header(lines, captions)
    body_i = _story_lines(lines, header, captions)
    body_lines = [lines[i] for i in body_i]
    story = set(body_i)
    furniture = "\n".join(line for i, line in enumerate(lines) if i not in story)

    place, agency = leading_dateline(body_lines[0]) if body_lines else (None, None)
    published = header.published or file_date
    origin_kind: DateOrigin | None = "page" if header.published else None
    if header.published is None and file_date is not None:
        origin_kind = "file-header"
    return Article(
        title=lines[header.title_i] if header.title_i is not None else "",
        body="\n\n".join(body_lines),
        source=find_source(furniture) or agency,
        published_at=published,
        updated_at=header.updated,
        date_origin=origin_kind,
        authors=header.authors,
        dateline=header.dateline or place,
        topics=tuple(_topics(lines)),
        summary=lines[header.summary_i] if header.summary_i is not None else None,
        origin=origin,
    )


def _nonblank(lines: list[str], start: int, step: int, limit: int) -> list[int]:
    found: list[int] = []
    i = start
    while 0 <= i < len(lines) and len(found) < limit:
        if lines[i]:
            found.append(i)
        i += step
    return found


def _find_header(lines: list[str], captions: set[str]) -> _Header:
    """Locate the date line, then the headline, standfirst and byline around it."""
    header = _Header()
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    date_i = next((i for i, line in enumerate(lines) if line and looks_like_date_line(line)), None)
    if date_i is not None:
        header.date_i = date_i
        _read_dates(lines, date_i, header)
        _read_headline(lines, date_i, header, captions, counts)
        if not header.authors:
            _read_byline_below(lines, date_i, header, captions)
    if header.title_i is None:
        header.title_i = _first_heading(lines, captions, counts)
    header.used.update(i for i in (header.title_i, header.summary_i) if i is not None)
    return header


def _read_dates(lines: list[str], date_i: int, header: _Header) -> None:
    """The date line, and an "Updated ..." line right below it if the page prints one."""
    for i in [date_i, *_nonblank(lines, date_i + 1, 1, 3)]:
        if not looks_like_date_line(lines[i]):
            continue
        published, updated, dateline = parse_date_line(lines[i])
        header.used.add(i)
        header.dateline = header.dateline or dateline
        header.published = header.published or published
        header.updated = header.updated or updated


def _read_headline(
    lines: list[str], date_i: int, header: _Header, captions: set[str], counts: dict[str, int]
) -> None:
    """Headline and standfirst: the heading lines just above the date (a byline may sit between)."""
    heads: list[int] = []
    for i in _nonblank(lines, date_i - 1, -1, 6):
        line = lines[i]
        if not heads and not header.authors and (names := parse_byline(line)):
            header.authors = names
            header.used.add(i)
        elif _is_headline(line, captions, counts):
            heads.append(i)
            if len(heads) == 2:
                break
        else:
            break
    if not heads:  # some layouts print the date above the headline
        below = _nonblank(lines, date_i + 1, 1, 3)
        heads = [
            i
            for i in below[:1]
            if i not in header.used and _is_headline(lines[i], captions, counts)
        ]
    if heads:
        header.title_i = heads[-1]
        header.summary_i = heads[0] if len(heads) == 2 else None


def _read_byline_below(lines: list[str], date_i: int, header: _Header, captions: set[str]) -> None:
    """A byline on the first line under the date ("AP"), skipping captions."""
    for i in _nonblank(lines, date_i + 1, 1, 3):
        if i in header.used or lines[i] in captions:
            continue
        if names := parse_byline(lines[i]):
            header.authors = names
            header.used.add(i)
        return


def _is_headline(line: str, captions: set[str], counts: dict[str, int]) -> bool:
    return is_heading_like(line) and line not in captions and counts[line] == 1


def _first_heading(lines: list[str], captions: set[str], counts: dict[str, int]) -> int | None:
    """Without a date line, the headline is the first heading-like line before the story."""
    for i, line in enumerate(lines):
        if not line or line in captions or counts[line] > 1:
            continue
        if is_sentence_like(line) and not line.endswith(("?", "!")):
            return None  # the story starts before anything looks like a headline
        if is_heading_like(line):
            return i
    return None


def _story_lines(lines: list[str], header: _Header, captions: set[str]) -> list[int]:
    """Indices of story paragraphs, from below the headline block to the first end marker."""
    anchors = [i for i in (header.title_i, header.date_i) if i is not None]
    start = min(anchors) if anchors else 0
    kept: list[int] = []
    seen: set[str] = set()
    skip_teaser = False
    for i in range(start, len(lines)):
        line = lines[i]
        if not line or i in header.used:
            continue
        if kept and is_end_marker(line):
            break
        if skip_teaser:
            skip_teaser = False
            continue
        if is_teaser_heading(line):
            skip_teaser = True
            continue
        if line in seen or line in captions or is_inline_teaser(line) or is_prompt(line):
            continue
        # Short bulleted sentences are menus and promo lists; long ones are story key points.
        if not is_sentence_like(line) or (is_bulleted(line) and len(line.split()) < 6):
            continue
        seen.add(line)
        kept.append(i)
    return kept


def _topics(lines: list[str]) -> list[str]:
    topics: list[str] = []
    for i, line in enumerate(lines):
        if _TOPICS_INLINE.match(line):
            topics.extend(split_topics(line))
        elif _TOPICS_HEADING.match(line):
            for j in _nonblank(lines, i + 1, 1, 10):
                nxt = lines[j]
                if is_end_marker(nxt) or is_prompt(nxt) or is_sentence_like(nxt):
                    break
                if len(nxt.split()) > 12:  # a teaser headline, not a list of topics
                    break
                topics.extend(split_topics(nxt))
        if topics:
            break
    return list(dict.fromkeys(topics))
