"""Corpora as they come: mixed and damaged encodings, binary files, odd names, links, patterns, missing paths."""

from __future__ import annotations

import codecs
import io
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup import InputError, UsageError
from dedup.stages import DEFAULT_INCLUDE, FolderScan, decode, encode, read_folder

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
    (tmp_path / "ignored.dat").write_text(REPORT, "utf-8")
    return tmp_path


def test_mixed_folder_reads_text_and_reports_binary(mixed):
    documents, errors = read_folder(mixed, "*.txt")
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


def test_include_patterns_ignore_case_and_skipped_files_are_listed(tmp_path):
    for name in ("a.TXT", "b.Md", "c.rst", "d.dat", "sub/e.txt", "sub/f.log", "notes/g.dat"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(REPORT, "utf-8")
    scan = read_folder(tmp_path)
    assert isinstance(scan, FolderScan) and "*.txt" in DEFAULT_INCLUDE and "*.md" in DEFAULT_INCLUDE
    assert [d.id for d in scan.documents] == ["a.TXT", "b.Md", "c.rst", "sub/e.txt"]
    assert scan.skipped == ["d.dat", "notes/g.dat", "sub/f.log"] and scan.errors == []
    documents, errors = scan  # unpacks as the (documents, errors) pair of earlier versions
    assert documents == scan.documents and errors == []
    scan = read_folder(tmp_path, ["*.LOG", "notes/*.dat"])  # with a '/': the path inside the folder
    assert [d.id for d in scan.documents] == ["notes/g.dat", "sub/f.log"]
    assert "d.dat" in scan.skipped and "a.TXT" in scan.skipped
    with pytest.warns(DeprecationWarning, match="glob"):
        assert [d.id for d in read_folder(tmp_path, glob="*.dat").documents] == ["d.dat", "notes/g.dat"]


@pytest.mark.parametrize("pattern", ["../*.txt", "/etc/*", "sub/../../*.txt", "", 7])
def test_patterns_stay_inside_the_folder(tmp_path, pattern):
    with pytest.raises(UsageError, match="include"):
        read_folder(tmp_path, [pattern])


def test_links_loops_and_special_files_are_reported_not_skipped(tmp_path):
    (tmp_path / "real.txt").write_text(REPORT, "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)  # a loop
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would hang
    started = time.monotonic()
    scan = read_folder(tmp_path)
    assert time.monotonic() - started < 30
    assert [d.id for d in scan.documents] == ["alias.txt", "real.txt"]
    errors = {e.path: e.error for e in scan.errors}
    assert set(errors) == {"dangling.txt", "self.txt", "pipe.txt", "sub/up"}
    assert "broken symbolic link" in errors["dangling.txt"] and "gone.txt" in errors["dangling.txt"]
    assert "symbolic link loop" in errors["self.txt"] and "symbolic link loop" in errors["sub/up"]
    assert "not a regular file" in errors["pipe.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_unreadable_folder_is_reported(tmp_path):
    (tmp_path / "a.txt").write_text(REPORT, "utf-8")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text(REPORT, "utf-8")
    (tmp_path / "locked").chmod(0)
    try:
        scan = read_folder(tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert [d.id for d in scan.documents] == ["a.txt"]
    assert [(e.path, "cannot open folder" in e.error) for e in scan.errors] == [("locked", True)]


def test_names_that_are_not_utf8_are_kept_as_surrogate_escapes(tmp_path):
    with open(os.fsencode(tmp_path) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(REPORT.encode("utf-8"))
    scan = read_folder(tmp_path)
    assert [d.id for d in scan.documents] == ["caf\udce9.txt"]
    assert os.fsencode(scan.documents[0].id) == b"caf\xe9.txt"


def test_utf8_cut_mid_character_stays_utf8_and_says_so(tmp_path):
    data = (REPORT.strip() * 20).encode("utf-8")[:-2]  # the last character loses two of its three bytes
    text, encoding = decode(data)
    assert encoding == "utf-8" and text.endswith("\udce3") and encode(text, encoding) == data
    (tmp_path / "cut.txt").write_bytes(data)
    scan = read_folder(tmp_path)
    assert [d.encoding for d in scan.documents] == ["utf-8"]
    assert [e.path for e in scan.errors] == ["cut.txt"]
    assert "cut short mid-character" in scan.errors[0].error


def test_a_few_bad_bytes_inside_utf8_stay_utf8():
    data = (REPORT * 20).encode("utf-8")
    data = data[:300] + b"\xff\xfe" + data[300:]
    text, encoding = decode(data)
    assert encoding == "utf-8" and "\udcff\udcfe" in text and encode(text, encoding) == data


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=300),
       st.integers(1, 3))
def test_any_utf8_chinese_cut_at_any_byte_is_read_as_utf8(text, cut):
    data = (text + "。").encode("utf-8")[:-cut]
    decoded, encoding = decode(data)
    assert encoding == "utf-8" and encode(decoded, encoding) == data


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_decoded_bytes_always_encode_back_exactly(data):
    try:
        text, encoding = decode(data)
    except ValueError:
        return
    assert encode(text, encoding) == data


BIG5_TEXT = "全國工業和信息化工作會議在京召開，部署明年重點工作任務。會議要求抓好八個方面工作，推動製造業高質量發展。\n"


def test_big5_is_told_from_gb18030():
    assert decode((BIG5_TEXT * 3).encode("big5")) == (BIG5_TEXT * 3, "big5")
    assert decode(REPORT.encode("gb18030")) == (REPORT, "gb18030")
    assert decode("中文".encode("gbk")) == ("中文", "gb18030")  # too short to tell: Simplified first


def test_other_legacy_encodings_must_be_named():
    data = "Café au lait, naïve résumé; déjà vu. Größe und Straße.\n".encode("cp1252") * 4
    with pytest.raises(ValueError, match="name its encoding with --encoding"):
        decode(data)
    text, encoding = decode(data, "windows-1252")
    assert (text[:4], encoding) == ("Café", "cp1252") and encode(text, encoding) == data


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_latin_text_that_decodes_as_chinese_is_refused_not_misread(codec):
    # An accented letter and the plain one after it form a GB18030 (or Big5) character: the file was read as
    # "Les 閘鑦es 閠udient ..." without a word, and its duplicate in UTF-8 went unfound.
    text = "Les élèves étudient la littérature générale et les sciences économiques depuis longtemps.\n"
    with pytest.raises(ValueError, match=r"Chinese characters inside Latin words.*--encoding"):
        decode(text.encode(codec))
    assert decode(text.encode(codec), codec) == (text, codecs.lookup(codec).name)
    mixed = "中文里有English词语，比如ECMO和C919，也有mtv的网络功能。国产首艘大型邮轮正式命名交付。\n" * 3
    for encoding in ("gbk", "gb18030"):  # Chinese with Latin words in it still reads
        assert decode(mixed.encode(encoding)) == (mixed, "gb18030")


def test_encoding_override(tmp_path):
    (tmp_path / "short.txt").write_bytes("中文".encode("big5"))
    (tmp_path / "bom.txt").write_bytes(codecs.BOM_UTF8 + REPORT.encode("utf-8"))
    (tmp_path / "gbk.txt").write_bytes(REPORT.encode("gbk"))
    scan = read_folder(tmp_path, encoding="big5")
    assert [(d.id, d.text, d.encoding) for d in scan.documents] == [
        ("bom.txt", REPORT, "utf-8-sig"), ("short.txt", "中文", "big5")]  # a byte-order mark still wins
    assert [e.path for e in scan.errors] == ["gbk.txt"] and "not valid big5" in scan.errors[0].error
    with pytest.raises(UsageError, match="encoding: unknown encoding 'klingon'"):
        read_folder(tmp_path, encoding="klingon")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match=r"nope: no such file or folder$"):
        dedup.find_duplicates(tmp_path / "nope")
    with pytest.raises(InputError, match=r"nope\.txt: no such file or folder$"):  # it said "folder" of a file
        dedup.find_duplicates(str(tmp_path / "nope.txt"))
    # A text given where a path goes is named on one line, cut short, with what to give instead.
    with pytest.raises(InputError, match=r"^'同一段文字\\n另一段': no such file or folder; a string is a path: give "
                                         r"texts as \(id, text\) pairs"):
        dedup.find_duplicates("同一段文字\n另一段")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        read_folder(tmp_path / "file.txt")


def test_undecodable_bytes_say_what_to_do():
    with pytest.raises(ValueError, match="re-encode"):
        decode("文本".encode() + b"\x80 and \xff")


def test_in_memory_corpus_needs_unique_ids():
    with pytest.raises(ValueError, match="unique"):
        dedup.find_duplicates([("a", "x"), ("a", "y")])


def test_oversized_passage_is_compared_exactly_and_reported():
    long_line = "长" * 200
    result = dedup.find_duplicates([("a", long_line), ("b", long_line)], max_chars=100)
    assert [p.kind for p in result.pairs] == ["exact"]
    assert len(result.errors) == 2 and "max_chars=100" in result.errors[0].error


def test_a_single_damaged_file_is_reported_as_in_a_folder(tmp_path):
    # One bad byte in UTF-8: read as a file or inside a folder, the document and the same error entry.
    path = tmp_path / "in" / "a.txt"
    path.parent.mkdir()
    path.write_bytes("一段足够长的中文文字，".encode() * 20 + b"\xff" + "后面还有文字。".encode())
    alone = dedup.stages.read_corpus(path)
    in_folder = dedup.stages.read_corpus(path.parent)
    assert [d.id for d in alone.documents] == [d.id for d in in_folder.documents] == ["a.txt"]
    assert [e.error for e in alone.errors] == [e.error for e in in_folder.errors]
    assert len(alone.errors) == 1 and "not UTF-8" in alone.errors[0].error


def test_wrong_things_given_to_the_api_are_usage_errors_that_say_what_to_give(seeds):
    # Each was a bare TypeError or AttributeError from deep inside.
    result = dedup.find_duplicates(seeds)
    cleaned = dedup.clean(result)
    calls = {
        "an int is no corpus: give a folder or file path": lambda: dedup.find_duplicates(5),
        "a Result is no corpus \\(a finished run": lambda: dedup.find_duplicates(result),
        "a Cleaned is no corpus \\(a finished run": lambda: dedup.clean(cleaned),
        "a report is written of a Result .* not NoneType": lambda: dedup.write_json(None, io.StringIO()),
        "a report is written of a Result .* not int": lambda: dedup.write_text_report(3, io.StringIO()),
        "removed must be the removal log": lambda: dedup.restore(cleaned.texts, None),
    }
    for message, call in calls.items():
        with pytest.raises(UsageError, match=message):
            call()
