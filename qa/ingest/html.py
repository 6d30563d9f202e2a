"""HTML pages to `Article`s: trafilatura finds the story, the markup supplies the metadata."""

from __future__ import annotations

import re
from datetime import datetime

from lxml.html import HtmlElement

from qa.ingest.article import Article, DateOrigin
from qa.ingest.dates import date_from_url, parse_datetime
from qa.ingest.html_meta import PageMeta, read_page_meta
from qa.ingest.lines import caption_lines, is_prompt, is_sentence_like, normalise_line
from qa.ingest.text_meta import leading_dateline


def parse_html(html: str, *, origin: str, url: str | None = None) -> Article:
    """Extract the story and its metadata from an HTML page; never raises on bad markup.

    `url` is where the page was fetched, used for relative links and as a last-resort date.
    The body is empty when no story text was found.
    """
    import trafilatura  # heavy import, needed only when HTML is loaded

    html = html.replace("\x00", "")
    tree = trafilatura.load_html(html) if html.strip() else None
    meta = read_page_meta(tree, url=url) if tree is not None else PageMeta()
    paragraphs = _story_paragraphs(html, url)

    title = _clean_title(meta.title, meta.source)
    if paragraphs and title and _is_title_line(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # trafilatura keeps the <h1> (or, cut short, part of it)
    published, date_origin = _published(tree, meta, url)
    place, agency = leading_dateline(paragraphs[0]) if paragraphs else (None, None)
    return Article(
        title=title,
        body="\n\n".join(paragraphs),
        source=meta.source or agency,
        published_at=published,
        updated_at=meta.updated,
        date_origin=date_origin,
        url=meta.url,
        authors=meta.authors,
        dateline=place,
        section=meta.section,
        topics=meta.topics,
        language=meta.language,
        summary=meta.summary,
        origin=origin,
    )


def _story_paragraphs(html: str, url: str | None) -> list[str]:
    import trafilatura

    if not html.strip():
        return []
    # No deduplicate=True: trafilatura keeps that cache across calls, so loading a page twice
    # (or two pages sharing paragraphs) would silently empty the later copies.
    # Precision first (fewer menus and teasers); recall for short pages precision rejects.
    text = trafilatura.extract(
        html, url=url, favor_precision=True, include_comments=False, include_tables=False
    )
    if not text:
        text = trafilatura.extract(
            html, url=url, favor_recall=True, include_comments=False, include_tables=False
        )
    lines = [normalise_line(line) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    captions = caption_lines(lines)
    kept = [line for line in lines if line not in captions and not is_prompt(line)]
    # A page whose "text" is only links and labels ("Home") has no story.
    return kept if any(is_sentence_like(line) for line in kept) else []


def _published(
    tree: HtmlElement | None, meta: PageMeta, url: str | None
) -> tuple[datetime | None, DateOrigin | None]:
    if meta.published is not None:
        return meta.published, meta.date_origin
    from_url = date_from_url(meta.url) or date_from_url(url)
    found = _htmldate_original(tree) if tree is not None else None
    if found is not None and (from_url is None or found.date() != from_url.date()):
        return found, "page"
    # htmldate also reads the canonical URL; a date that only the URL gives is labelled so.
    return (from_url, "url") if from_url else (None, None)


def _htmldate_original(tree: HtmlElement) -> datetime | None:
    from htmldate import find_date

    # Given a string, htmldate downloads it when it looks like a URL: always pass the parsed
    # tree (htmldate copies it before pruning). extensive_search would guess from copyright
    # years and free text, which is not a publication date.
    found = find_date(tree, original_date=True, extensive_search=False, outputformat="%Y-%m-%d")
    return parse_datetime(found) if found else None


def _clean_title(title: str | None, source: str | None) -> str:
    if not title:
        return ""
    if source:  # "Floods hit Marlow | The Daily Meridian" -> "Floods hit Marlow"
        pattern = rf"\s*[|\-–—:·]\s*{re.escape(source)}\s*$"
        title = re.sub(pattern, "", title, flags=re.IGNORECASE) or title
    return title.strip()


def _is_title_line(line: str, title: str) -> bool:
    def key(s: str) -> str:
        return re.sub(r"\W+", "", s).casefold()

    return bool(key(line)) and key(title).startswith(key(line))
