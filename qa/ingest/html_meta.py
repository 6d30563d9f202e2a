"""Article metadata from an HTML page's markup: JSON-LD first, then OpenGraph and other tags."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from qa.ingest.article import DateOrigin
from qa.ingest.dates import parse_datetime
from qa.ingest.text_meta import split_names

log = logging.getLogger(__name__)

_ARTICLE_TYPES = {
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting",
    "LiveBlogPosting", "Report", "SatiricalArticle", "TechArticle",
}  # fmt: skip
_PUBLISHED_KEYS = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate",
    "publishdate", "publish-date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
    "dcterms.created", "dc.date", "date", "citation_publication_date",
)  # fmt: skip
_MODIFIED_KEYS = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
    "last-modified", "lastmod",
)  # fmt: skip
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "byl",
    "parsely-author",
    "dc.creator",
    "sailthru.author",
)


@dataclass
class PageMeta:
    """What a page's markup says about its article; None where it says nothing."""

    title: str | None = None
    published: datetime | None = None
    date_origin: DateOrigin | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    source: str | None = None
    section: str | None = None
    topics: tuple[str, ...] = ()
    language: str | None = None
    url: str | None = None
    summary: str | None = None


def read_page_meta(tree: HtmlElement, *, url: str | None = None) -> PageMeta:
    """Collect metadata from JSON-LD, meta tags, <link rel=canonical>, <html lang> and <time>."""
    node, by_id = _jsonld_article(tree)
    tags = _meta_tags(tree)
    meta = PageMeta()
    meta.title = _text(node.get("headline") or node.get("name")) or _first(
        tags, "og:title", "twitter:title"
    )
    if meta.title is None:
        titles = tree.xpath("//title/text()")
        meta.title = " ".join(str(titles[0]).split()) if titles else None

    published = parse_datetime(_text(node.get("datePublished")))
    if published is None:
        published = _first_date(tags, _PUBLISHED_KEYS)
    meta.date_origin = "meta" if published else None
    if published is None:
        published = _time_element_date(tree)
        meta.date_origin = "page" if published else None
    meta.published = published
    meta.updated = parse_datetime(_text(node.get("dateModified"))) or _first_date(
        tags, _MODIFIED_KEYS
    )

    names = _names(node.get("author"), by_id)
    if not names:
        for key in _AUTHOR_KEYS:
            for value in tags.get(key, []):
                if not value.startswith(("http://", "https://")):
                    names.extend(split_names(value))
            if names:
                break
    meta.authors = tuple(dict.fromkeys(names))
    publisher = _names(node.get("publisher"), by_id)
    meta.source = publisher[0] if publisher else _first(tags, "og:site_name", "application-name")
    meta.section = _text(node.get("articleSection")) or _first(tags, "article:section", "section")
    meta.topics = tuple(dict.fromkeys(_keywords(node.get("keywords")) or _tag_keywords(tags)))
    meta.language = _text(node.get("inLanguage")) or _html_lang(tree, tags)
    meta.summary = _text(node.get("description")) or _first(tags, "og:description", "description")
    meta.url = _canonical_url(tree, tags, node, url)
    return meta


def _jsonld_nodes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _jsonld_nodes(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _jsonld_nodes(data["@graph"])


def _jsonld_article(tree: HtmlElement) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    nodes: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            nodes.extend(_jsonld_nodes(json.loads(script.text or "", strict=False)))
        except (json.JSONDecodeError, RecursionError) as exc:
            log.debug("skipping unreadable JSON-LD block: %s", exc)
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    for node in nodes:
        types = node.get("@type")
        types = {types} if isinstance(types, str) else set(types or [])
        if types & _ARTICLE_TYPES:
            return node, by_id
    return {}, by_id


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("alternateName")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        return text or None
    return None


def _names(value: Any, by_id: dict[str, dict[str, Any]]) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = by_id.get(item["@id"], {})
        if isinstance(item, str):
            names.extend(split_names(item))
        elif (name := _text(item)) is not None:
            names.append(name)
    return names


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [t for v in value if (t := _text(v))]
    return []


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content and content.strip():
            tags.setdefault(key.strip().lower(), []).append(" ".join(content.split()))
        if (element.get("http-equiv") or "").lower() == "content-language" and content:
            tags.setdefault("content-language", []).append(content.strip())
    return tags


def _first(tags: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if tags.get(key):
            return tags[key][0]
    return None


def _first_date(tags: dict[str, list[str]], keys: tuple[str, ...]) -> datetime | None:
    for key in keys:
        for value in tags.get(key, []):
            if (parsed := parse_datetime(value)) is not None:
                return parsed
    return None


def _tag_keywords(tags: dict[str, list[str]]) -> list[str]:
    if tags.get("article:tag"):
        return [t for value in tags["article:tag"] for t in _keywords(value)]
    return _keywords(_first(tags, "news_keywords", "keywords") or "")


def _time_element_date(tree: HtmlElement) -> datetime | None:
    times = [t for t in tree.iter("time") if t.get("datetime")]
    preferred = [
        t for t in times if t.get("pubdate") is not None or t.get("itemprop") == "datePublished"
    ]
    for element in preferred or times:
        if (parsed := parse_datetime(element.get("datetime"))) is not None:
            return parsed
    return None


def _html_lang(tree: HtmlElement, tags: dict[str, list[str]]) -> str | None:
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang and lang.strip():
        return lang.strip()
    locale = _first(tags, "og:locale", "content-language")
    return locale.replace("_", "-") if locale else None


def _canonical_url(
    tree: HtmlElement, tags: dict[str, list[str]], node: dict[str, Any], fetched: str | None
) -> str | None:
    candidates = [
        link.get("href")
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    candidates.append(_first(tags, "og:url"))
    entity = node.get("mainEntityOfPage")
    candidates += [_text(node.get("url")), entity.get("@id") if isinstance(entity, dict) else None]
    candidates += [entity if isinstance(entity, str) else None, fetched]
    for candidate in candidates:
        if not candidate or not isinstance(candidate, str):
            continue
        try:
            absolute = urljoin(fetched, candidate.strip()) if fetched else candidate.strip()
            scheme = urlsplit(absolute).scheme
        except ValueError:  # e.g. a malformed IPv6 host; try the next candidate
            continue
        if scheme in ("http", "https") and re.search(r"//[^/]+\.", absolute):
            return absolute
    return None
