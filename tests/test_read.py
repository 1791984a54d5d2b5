"""Corpora as they come: mixed encodings, binary files, empty files, missing paths."""

from __future__ import annotations

import codecs

import pytest

import dedup
from dedup.stages import decode, read_folder

REPORT = "全国工业和信息化工作会议在京召开，部署明年重点工作任务。\n会议要求抓好八个方面工作。\n"


@pytest.fixture()
def mixed(tmp_path):
    (tmp_path / "gbk.txt").write_bytes(REPORT.encode("gbk"))
    (tmp_path / "utf16.txt").write_bytes(REPORT.encode("utf-16"))
    (tmp_path / "bom.txt").write_bytes(codecs.BOM_UTF8 + REPORT.encode("utf-8"))
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "plain.txt").write_text(REPORT, "utf-8")
    (tmp_path / "ignored.md").write_text(REPORT, "utf-8")
    return tmp_path


def test_mixed_folder_reads_text_and_reports_binary(mixed):
    documents, errors = read_folder(mixed)
    assert [(d.id, d.encoding) for d in documents] == [
        ("bom.txt", "utf-8-sig"), ("empty.txt", "utf-8"), ("gbk.txt", "gb18030"),
        ("sub/plain.txt", "utf-8"), ("utf16.txt", "utf-16-le")]
    assert all(d.text == REPORT for d in documents if d.id != "empty.txt")
    assert [e.path for e in errors] == ["binary.txt"]
    assert "binary" in errors[0].error


def test_mixed_folder_duplicates_found_across_encodings(mixed):
    result = dedup.find_duplicates(mixed)
    assert [e.path for e in result.errors] == ["binary.txt"]
    biggest = result.clusters[0]
    assert {m.doc for m in biggest.members} == {"bom.txt", "gbk.txt", "sub/plain.txt", "utf16.txt"}
    assert biggest.kept.doc == "bom.txt"


def test_glob_option(mixed):
    documents, _ = read_folder(mixed, "*.md")
    assert [d.id for d in documents] == ["ignored.md"]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        dedup.find_duplicates(tmp_path / "nope")


def test_undecodable_bytes_say_what_to_do():
    with pytest.raises(ValueError, match="re-encode"):
        decode("文本".encode("utf-8") + b"\x80 and \xff")


def test_in_memory_corpus_needs_unique_ids():
    with pytest.raises(ValueError, match="unique"):
        dedup.find_duplicates([("a", "x"), ("a", "y")])


def test_oversized_passage_is_compared_exactly_and_reported():
    long_line = "长" * 200
    result = dedup.find_duplicates([("a", long_line), ("b", long_line)], max_chars=100)
    assert [p.kind for p in result.pairs] == ["exact"]
    assert len(result.errors) == 2 and "max_chars=100" in result.errors[0].error
