"""Ingestion: article files, pages, records, URLs and feeds in; clean `Article`s (or failures) out."""

from qa.ingest.article import Article, IngestFailure, normalise_url
from qa.ingest.dates import parse_datetime
from qa.ingest.fetch import Fetcher, FetchError
from qa.ingest.html import parse_html
from qa.ingest.loader import SUPPORTED_SUFFIXES, load_articles
from qa.ingest.page_text import parse_page_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Article",
    "FetchError",
    "Fetcher",
    "IngestFailure",
    "load_articles",
    "normalise_url",
    "parse_datetime",
    "parse_html",
    "parse_page_text",
]
