"""`load_articles`: dispatch by file type, records in any shape, and failures that never stop the rest."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qa.ingest import Article, IngestFailure, load_articles

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "thehindu-kim-putin-2023-09-05.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
RECORDS = FIXTURES / "records"


def _split(results: list[Article | IngestFailure]) -> tuple[list[Article], list[IngestFailure]]:
    articles = [r for r in results if isinstance(r, Article)]
    failures = [r for r in results if isinstance(r, IngestFailure)]
    assert len(articles) + len(failures) == len(results)
    return articles, failures


def test_load_articles_is_lazy() -> None:
    results = load_articles([SEED, "/definitely/missing"])
    assert not isinstance(results, list)
    first = next(iter(results))
    assert isinstance(first, Article)


def test_folder_is_walked_recursively_in_sorted_order_skipping_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    shutil.copy(SEED, tmp_path / "b" / "seed.txt")
    shutil.copy(FIXTURES / "meridian-floods.txt", tmp_path / "a.txt")
    shutil.copy(SEED, tmp_path / ".hidden" / "seed.txt")
    shutil.copy(SEED, tmp_path / ".secret.txt")
    articles, failures = _split(list(load_articles([tmp_path])))
    assert failures == []
    assert [Path(a.origin).relative_to(tmp_path).as_posix() for a in articles] == [
        "a.txt",
        "b/seed.txt",
    ]


def test_html_file_loads_through_trafilatura() -> None:
    (article,) = load_articles([FIXTURES / "html" / "jsonld-graph.html"])
    assert isinstance(article, Article)
    assert article.source == "The Daily Meridian"


def test_html_without_story_is_a_failure() -> None:
    (failure,) = load_articles([FIXTURES / "html" / "no-text.html"])
    assert isinstance(failure, IngestFailure)
    assert "no article text" in failure.reason


def test_json_list_of_multihop_style_records() -> None:
    articles, failures = _split(list(load_articles([RECORDS / "multihop-style.json"])))
    assert [a.title for a in articles] == [
        "Chipmaker Nortrel beats profit forecasts on data-centre demand",
        "Grand Prix of Lakeside ends in a dramatic final-lap overtake",
    ]
    first, second = articles
    assert first.source == "Tech Ledger"
    assert first.authors == ("Sam Okafor",)
    assert first.published_at == datetime(2023, 11, 27, 8, 45, 59, tzinfo=UTC)
    assert first.date_origin == "record"
    assert first.section == "technology"
    assert first.url == "https://techledger.example/2023/11/27/nortrel-profit/"
    assert first.body.startswith("Nortrel reported quarterly profit")
    assert second.authors == ("Rita Gomez", "Paul Chen")
    (failure,) = failures
    assert failure.input.endswith("multihop-style.json[2]")
    assert "no body" in failure.reason


def test_json_single_record_with_aliased_fields() -> None:
    (article,) = load_articles([RECORDS / "single-record.json"])
    assert isinstance(article, Article)
    assert article.title == "Museum returns stolen mask"
    assert article.body.startswith("The city museum returned a carved mask")
    assert article.source == "Culture Wire"
    assert article.authors == ("Noor Haddad",)
    assert article.published_at == datetime(2023, 12, 1, 10, tzinfo=UTC)
    assert article.topics == ("museums", "repatriation")


def test_json_articles_wrapper() -> None:
    (article,) = load_articles([RECORDS / "wrapped.json"])
    assert isinstance(article, Article)
    assert article.source == "Harbour News"
    assert article.published_at == datetime(2024, 2, 6, 6, tzinfo=UTC)


def test_jsonl_bad_line_fails_alone_naming_path_and_line() -> None:
    results = list(load_articles([RECORDS / "lines.jsonl"]))
    articles, failures = _split(results)
    assert [a.title for a in articles] == [
        "Town votes to pedestrianise market square",
        "Ferry timetable changes for summer",
    ]
    assert articles[0].source == "Town Crier"
    assert articles[1].authors == ("Kim Lee", "Jo Park")
    assert articles[1].published_at == datetime(2024, 5, 2, 9, tzinfo=UTC)  # epoch seconds
    assert [f.input for f in failures] == [
        f"{RECORDS / 'lines.jsonl'}:2",
        f"{RECORDS / 'lines.jsonl'}:5",
    ]
    assert "invalid JSON" in failures[0].reason
    assert "expected a JSON object" in failures[1].reason


def test_csv_with_field_map() -> None:
    field_map = {
        "title": "headline",
        "body": "story",
        "published_at": "when",
        "source": "newspaper",
        "author": "writer",
    }
    results = list(load_articles([RECORDS / "headlines.csv"], field_map=field_map))
    articles, failures = _split(results)
    assert [a.title for a in articles] == [
        "Council approves new cycle lanes",
        "Bakery wins national prize",
    ]
    assert articles[0].published_at == datetime(2024, 4, 10, tzinfo=UTC)
    assert articles[1].authors == ("Ella Stone", "Max Brandt")
    assert "It is the first win for the region." in articles[1].body  # a quoted multi-line field
    (failure,) = failures
    assert failure.input == f"{RECORDS / 'headlines.csv'}:5"
    assert "no body" in failure.reason


def test_csv_without_body_column_fails_once(tmp_path: Path) -> None:
    path = tmp_path / "no-body.csv"
    path.write_text("title,date\nA,2024-01-01\nB,2024-01-02\n", encoding="utf-8")
    (failure,) = load_articles([path])
    assert isinstance(failure, IngestFailure)
    assert "no body column" in failure.reason


def test_unknown_field_map_key_is_rejected_before_loading() -> None:
    with pytest.raises(ValueError, match="unknown field 'headline'"):
        load_articles([SEED], field_map={"headline": "title"})


def test_bad_inputs_each_fail_with_a_reason_while_good_ones_load(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 10)
    unknown = tmp_path / "report.pdf"
    unknown.write_bytes(b"%PDF-1.4")
    bad_json = tmp_path / "broken.json"
    bad_json.write_text('{"title": "x", ', encoding="utf-8")
    missing = tmp_path / "missing.txt"
    inputs = [empty, SEED, binary, unknown, missing, bad_json, RECORDS / "wrapped.json"]

    results = list(load_articles(inputs))

    articles, failures = _split(results)
    assert len(articles) == 2
    reasons = {Path(f.input).name: f.reason for f in failures}
    assert reasons == {
        "empty.txt": "empty file",
        "image.txt": "binary file (contains NUL bytes), not text",
        "report.pdf": reasons["report.pdf"],
        "missing.txt": "no such file or folder",
        "broken.json": reasons["broken.json"],
    }
    assert "unsupported file type ('.pdf')" in reasons["report.pdf"]
    assert reasons["broken.json"].startswith("invalid JSON at line 1")
    assert all("\n" not in str(f) and str(f).startswith(f.input) for f in failures)


def test_cp1252_text_is_decoded_not_rejected(tmp_path: Path) -> None:
    text = (
        "date 2023-03-02\n\nCafé owners protest new façade rules\n\n"
        "Owners of the city’s cafés said on Thursday that the new rules for façades and "
        "terraces would cost each of them thousands of euros – “a tax on small business”.\n\n"
        "The mayor’s office said the rules protect the old town’s character and will be "
        "reviewed after one year.\n"
    )
    path = tmp_path / "cafes.txt"
    path.write_bytes(text.encode("cp1252"))
    (article,) = load_articles([path])
    assert isinstance(article, Article)
    assert article.title == "Café owners protest new façade rules"
    assert "the city’s cafés said" in article.body
    assert "“a tax on small business”" in article.body


def test_latin1_html_is_decoded(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Fête de la musique</title></head><body><article>"
        "<p>La fête de la musique a réuni des milliers de personnes dans les rues du "
        "vieux quartier, où les cafés sont restés ouverts très tard.</p>"
        "<p>Les élus ont salué une édition réussie et sans incident majeur.</p>"
        "</article></body></html>"
    )
    path = tmp_path / "fete.html"
    path.write_bytes(html.encode("latin-1"))
    (article,) = load_articles([path])
    assert isinstance(article, Article)
    assert "où les cafés sont restés ouverts" in article.body


def test_page_text_with_no_story_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "menu.txt"
    path.write_text("Home\nWorld\nSign in\n", encoding="utf-8")
    (failure,) = load_articles([path])
    assert isinstance(failure, IngestFailure)
    assert "no story text" in failure.reason


def test_article_id_is_stable_across_loads(tmp_path: Path) -> None:
    inputs = [SEED, RECORDS / "multihop-style.json", FIXTURES / "html" / "no-date.html"]
    first = [a.id for a in load_articles(inputs) if isinstance(a, Article)]
    copy = tmp_path / "copy-of-seed.txt"
    shutil.copy(SEED, copy)
    second = [a.id for a in load_articles([copy, *inputs[1:]]) if isinstance(a, Article)]
    assert first == second
    assert len(set(first)) == len(first) == 4
    assert first[0].startswith("c") and first[1].startswith("u")


def test_record_extra_keeps_unmapped_fields(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    record = {"title": "T", "body": "Some story text here.", "region": "north", "score": 3}
    path.write_text(json.dumps(record), encoding="utf-8")
    (article,) = load_articles([path])
    assert isinstance(article, Article)
    assert article.extra == {"region": "north", "score": "3"}
