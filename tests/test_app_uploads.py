"""Uploads are saved only under NEWSQA_HOME/uploads, with safe names, within the size limit."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webui.uploads import UploadRejected, safe_upload_name, save_upload

SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(txt|html|htm|json|jsonl|csv)$")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("story.txt", "story.txt"),
        ("../../x.json", "x.json"),
        ("..\\..\\windows\\evil.csv", "evil.csv"),
        ("/etc/cron.d/job.txt", "job.txt"),
        ("....//....//x.jsonl", "x.jsonl"),
        (".hidden.html", "hidden.html"),
        ("Café Über news!.HTML", "Cafe_Uber_news.html"),
        ("a\x00b.txt", "a_b.txt"),
        ("%2e%2e%2fx.txt", "2e_2e_2fx.txt"),
        (".json", "upload.json"),
    ],
)
def test_upload_names_are_reduced_to_one_safe_file_name(name: str, expected: str) -> None:
    assert safe_upload_name(name) == expected


@pytest.mark.parametrize("name", ["x.exe", "x.txt.sh", "noextension", "../x.py", ""])
def test_other_file_types_are_refused(name: str) -> None:
    with pytest.raises(UploadRejected, match="unsupported file type"):
        safe_upload_name(name)


@given(st.text(max_size=120), st.sampled_from(["txt", "html", "json", "jsonl", "csv"]))
def test_any_name_becomes_a_plain_name_or_is_refused(stem: str, suffix: str) -> None:
    try:
        name = safe_upload_name(f"{stem}.{suffix}")
    except UploadRejected:
        return
    assert SAFE.match(name), name
    assert len(name) <= 90 and ".." not in name


@pytest.mark.parametrize("name", ["../../escape.txt", "..\\..\\escape.txt", "/tmp/escape.txt"])
def test_traversal_names_are_written_inside_the_uploads_folder(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    saved = save_upload(home, name, b"Some article text.")
    assert saved.parent == home / "uploads"
    assert saved.read_bytes() == b"Some article text."
    assert [p for p in tmp_path.rglob("*escape*")] == [saved]


def test_same_upload_twice_is_one_file_and_other_content_gets_its_own(tmp_path: Path) -> None:
    first = save_upload(tmp_path, "a.txt", b"one")
    assert save_upload(tmp_path, "a.txt", b"one") == first
    second = save_upload(tmp_path, "a.txt", b"two")
    assert second != first and second.read_bytes() == b"two"


def test_a_link_planted_in_the_uploads_folder_is_not_written_through(tmp_path: Path) -> None:
    import hashlib

    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    folder = tmp_path / "home" / "uploads"
    folder.mkdir(parents=True)
    planted = folder / f"{hashlib.sha256(b'evil').hexdigest()[:12]}-a.txt"
    os.symlink(outside, planted)
    with pytest.raises(UploadRejected, match=r"unsafe file name|already exists"):
        save_upload(tmp_path / "home", "a.txt", b"evil")
    assert outside.read_text() == "precious"


def test_too_big_and_empty_uploads_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected, match=r"over the 0\.001 MB limit"):
        save_upload(tmp_path, "big.txt", b"x" * 2000, max_mb=0.001)
    with pytest.raises(UploadRejected, match="empty"):
        save_upload(tmp_path, "blank.txt", b" \n ")
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
