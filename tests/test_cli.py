"""The command line: report, JSON shape, cleaning to a folder, restore, bad input and exit codes."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

import dedup
from dedup.__main__ import main

REPORT = "全国工业和信息化工作会议在京召开，部署明年重点工作任务。\n会议要求抓好八个方面工作，推动制造业高质量发展。\n"


def test_report_on_seeds(seeds, capsys):
    assert main([str(seeds)]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("5 documents, 176 passages, 30 clusters (and 8 of boilerplate), 42 passages would be removed (")
    assert "2017-report-doubled.txt:" in out and "kept" in out



def test_report_says_where_the_cleaned_copy_went(seeds, tmp_path, capsys):
    assert main([str(seeds), "--clean", str(tmp_path / "out")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(f"42 passages removed into {tmp_path / 'out'} (26.5% of characters)")


@pytest.mark.parametrize("level", ["exact", "near", "contained", "span"])
def test_json_and_html_count_the_removals_of_the_level_asked(seeds, tmp_path, capsys, level):
    # The summary counted clean()'s defaults (near) whatever --level said: --level exact showed 42 removals.
    cleaned = dedup.clean(str(seeds), level=level)
    assert main([str(seeds), "--level", level, "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html"),
                 "--quiet"]) == 0
    summary = json.loads((tmp_path / "r.json").read_text("utf-8"))["summary"]
    assert (summary["removed_passages"], summary["removed_chars"]) == (len(cleaned.removed), cleaned.chars_removed)
    assert summary["cleaning"] == {"level": level, "scope": "corpus"}
    page = (tmp_path / "r.html").read_text("utf-8")
    assert f'"removed_passages":{len(cleaned.removed)},' in page.replace(" ", "")
    counts = {lvl: len(dedup.clean(str(seeds), level=lvl).removed) for lvl in ("exact", "span")}
    assert counts["exact"] < 42 < counts["span"]  # the levels differ on the seeds, so the test can tell them apart


def test_text_report_lists_removals_inside_kept_passages(seeds, capsys):
    # --level contained said "N passages would be removed" but showed only the clusters' members: the passages
    # removed inside others were counted and never named.
    inside = [r for r in dedup.clean(str(seeds), level="span").removed if r.kind in ("contained", "span")]
    assert main([str(seeds), "--level", "span"]) == 0
    out = capsys.readouterr().out
    assert f"removed inside passages kept before them ({len(inside)} removals):" in out
    first = inside[0]
    assert f"{first.doc}:{first.line}  inside {first.kept['doc']}:{first.kept['line']}" in out
    assert main([str(seeds)]) == 0
    assert "removed inside" not in capsys.readouterr().out  # near removes none such


def test_json_shape_is_pinned(seeds, tmp_path, capsys):
    target = tmp_path / "report.json"
    assert main([str(seeds), "--json", str(target), "--quiet"]) == 0
    report = json.loads(target.read_text("utf-8"))
    assert set(report) == {"version", "input", "reading", "config", "summary", "documents", "pairs", "clusters",
                           "errors", "skipped", "boilerplate"}
    assert report["reading"] == {"include": "*.txt", "encoding": None, "text_field": "text", "id_field": None}
    assert "README.md" in report["skipped"] and report["summary"]["skipped"] == len(report["skipped"])
    assert report["input"] == str(seeds) and report["summary"]["duplicates"] == 42
    assert report["summary"]["cleaning"] == {"level": "near", "scope": "corpus"}
    assert set(report["documents"][0]) == {"id", "passages", "chars", "text_chars", "encoding"}
    assert [d["id"] for d in report["documents"]] == sorted(p.name for p in seeds.glob("*.txt"))
    pair = report["pairs"][0]
    assert set(pair) == {"a", "b", "similarity", "containment_ab", "containment_ba", "kind"}
    assert set(pair["a"]) == {"doc", "index", "line", "start", "end"}
    cluster = report["clusters"][0]
    assert set(cluster) == {"number", "kept", "members"} and set(cluster["kept"]) == {"doc", "index", "line"}
    assert set(cluster["members"][0]) == {"doc", "index", "line", "similarity", "kind"}
    assert report["errors"] == []
    assert capsys.readouterr().out == ""
    assert main([str(seeds), "--json", "-", "--unit", "document"]) == 0
    by_doc = json.loads(capsys.readouterr().out)
    assert all(p["a"]["index"] == 0 for p in by_doc["pairs"])


def test_outputs_go_through_links_pipes_and_refuse_folders(seeds, tmp_path, capsys):
    # A link is followed (the file it names is written, the link stays); a named pipe is written to in place,
    # as open() would (a rename would leave a file where the pipe was and its reader with nothing); a folder
    # is an error that names it.
    import os
    import threading

    assert main([str(seeds), "--json", str(tmp_path / "want.json"), "--quiet"]) == 0
    want = (tmp_path / "want.json").read_bytes()
    (tmp_path / "link.json").symlink_to("named.json")
    assert main([str(seeds), "--json", str(tmp_path / "link.json"), "--quiet"]) == 0
    assert (tmp_path / "link.json").is_symlink() and (tmp_path / "named.json").read_bytes() == want
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()), daemon=True)
    reader.start()
    assert main([str(seeds), "--json", str(pipe), "--quiet"]) == 0
    reader.join(30)
    assert got == [want] and pipe.is_fifo()
    (tmp_path / "folder").mkdir()
    assert main([str(seeds), "--json", str(tmp_path / "folder"), "--quiet"]) == 3
    assert "folder: cannot write (is a folder, not a file)" in capsys.readouterr().err
    # A loop of links, or a link into a folder that is not there, fails as open() would: nothing is replaced.
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    (tmp_path / "dangling.json").symlink_to("sub/deep/x.json")
    for name in ("loop1", "dangling.json"):
        assert main([str(seeds), "--json", str(tmp_path / name), "--quiet"]) == 3
        assert (tmp_path / name).is_symlink()
    assert not (tmp_path / "sub").exists()


@pytest.mark.parametrize("scope,key", [("corpus", "cross_file"), ("document", "within_file")])
def test_clean_folder_and_restore(seeds, tmp_path, scope, key):
    source = tmp_path / "in"
    shutil.copytree(seeds, source)
    before = {p.name: p.read_bytes() for p in source.iterdir()}
    out, back = tmp_path / "out", tmp_path / "back"
    assert main([str(source), "--clean", str(out), "--scope", scope, "--quiet"]) == 0
    assert {p.name: p.read_bytes() for p in source.iterdir()} == before  # input untouched
    log = [json.loads(line) for line in (out / "removed.jsonl").read_text("utf-8").splitlines()]
    expected = json.loads((seeds / "clean_expected.json").read_text("utf-8"))[key]
    for name, spec in expected.items():
        dropped = sorted(r["index"] for r in log if r["doc"] == name)
        assert dropped == spec["drop"]
        original = before[name].decode("utf-8")
        lines = [r for r in log if r["doc"] == name]
        kept = original
        for r in sorted(lines, key=lambda r: -r["cut_start"]):
            assert original[r["cut_start"]:r["cut_end"]] == r["text"]
            kept = kept[:r["cut_start"]] + kept[r["cut_end"]:]
        assert (out / name).read_bytes() == kept.encode("utf-8")
    assert main(["restore", str(out), "--out", str(back)]) == 0
    for name in expected:
        assert (back / name).read_bytes() == before[name]


@pytest.fixture()
def messy(tmp_path):
    folder = tmp_path / "messy"
    folder.mkdir()
    (folder / "gbk.txt").write_bytes(REPORT.encode("gbk"))
    (folder / "utf16.txt").write_bytes(REPORT.encode("utf-16"))
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "huge.txt").write_bytes(("无换行的超长文本" * 2_200_000).encode("utf-8"))  # ~53 MB, one line
    return folder


def test_messy_folder_processes_the_rest(messy, tmp_path, capsys):
    out = tmp_path / "clean"
    assert main([str(messy), "--clean", str(out), "--json", str(tmp_path / "r.json")]) == 0
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("dedup: ")]
    assert any("binary.txt: binary file" in line for line in errors)
    assert any("huge.txt: passage 0 (line 1) has 17,600,000 characters" in line for line in errors)
    assert all(len(line) < 300 for line in errors)
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert {d["id"]: d["encoding"] for d in report["documents"]} == {
        "empty.txt": "utf-8", "gbk.txt": "gb18030", "huge.txt": "utf-8", "utf16.txt": "utf-16"}
    # The codec named decodes the file, mark and all, to the text the offsets count in.
    for pair in report["pairs"]:
        for side in (pair["a"], pair["b"]):
            (document,) = [d for d in report["documents"] if d["id"] == side["doc"]]
            text = (messy / side["doc"]).read_bytes().decode(document["encoding"])
            assert text[side["start"]:side["end"]] in REPORT and side["end"] > side["start"]
    removed = [json.loads(line) for line in (out / "removed.jsonl").read_text("utf-8").splitlines()]
    assert {(r["doc"], r["kept"]["doc"]) for r in removed} == {("utf16.txt", "gbk.txt")}
    assert (out / "gbk.txt").read_bytes() == REPORT.encode("gbk")
    assert (out / "utf16.txt").read_bytes() == "".encode("utf-16")  # BOM, both lines removed
    assert (out / "binary.txt").read_bytes() == (messy / "binary.txt").read_bytes()
    back = tmp_path / "back"
    assert main(["restore", str(out), "--out", str(back)]) == 0
    for path in messy.iterdir():
        assert (back / path.name).read_bytes() == path.read_bytes()


def test_missing_path_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.strip().endswith("nope: no such file or folder")


def test_folder_without_text_files_exit_2(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("hi", "utf-8")
    assert main([str(tmp_path)]) == 2
    assert "no files match *.txt" in capsys.readouterr().err


def test_folder_with_only_unreadable_files_exit_2(tmp_path, capsys):
    (tmp_path / "a.txt").write_bytes(b"\x00\x01" * 100)
    assert main([str(tmp_path)]) == 2
    assert "none could be read" in capsys.readouterr().err


def test_outdir_inside_input_is_refused(seeds, tmp_path, capsys):
    source = tmp_path / "in"
    shutil.copytree(seeds, source)
    assert main([str(source), "--clean", str(source / "out"), "--quiet"]) == 1
    assert "may not be written inside the input folder" in capsys.readouterr().err
    assert not (source / "out").exists()
    assert main([str(source), "--json", str(source / "report.json"), "--quiet"]) == 1
    assert not (source / "report.json").exists()


def test_outputs_that_meet_each_other_are_refused_before_any_is_written(seeds, tmp_path, capsys):
    """Two outputs on one path, a report inside the --clean folder (it would replace its manifest or log and
    leave a folder restore cannot undo), an option the input cannot take: refused up front, nothing written."""
    out = tmp_path / "out"
    cases = [
        (["--clean", str(out), "--json", str(out / "files.json")], "lies inside the --clean folder"),
        (["--clean", str(out), "--table", str(out / "removed.jsonl")], "lies inside the --clean folder"),
        (["--json", str(tmp_path / "x.jsonl"), "--table", str(tmp_path / "x.jsonl")], "both name"),
        (["--clean", str(out), "--json", str(tmp_path / "r.json"), "--annotate", str(tmp_path / "a.jsonl")],
         "--annotate needs a table"),
        (["--clean", str(out), "--table", str(tmp_path / "t.xlsx")], "name the passage table"),
    ]
    for options, message in cases:
        assert main([str(seeds), "--quiet", *options]) == 1
        assert message in capsys.readouterr().err
        assert sorted(p.name for p in tmp_path.iterdir()) == [], options
    (tmp_path / "first").mkdir()  # a --clean output cleaned again: its manifest and log would clash, said at once
    (tmp_path / "first" / "files.json").write_text('{"format": "dedup-clean", "files": []}', "utf-8")
    assert main([str(tmp_path / "first"), "--quiet", "--clean", str(out)]) == 1
    assert "is a --clean output" in capsys.readouterr().err and not out.exists()
    shutil.rmtree(tmp_path / "first")
    (tmp_path / "somedir").mkdir()  # a file output that is a folder: exit 3, and --clean not written either
    assert main([str(seeds), "--quiet", "--clean", str(out), "--json", str(tmp_path / "somedir")]) == 3
    assert "somedir: cannot write (is a folder, not a file)" in capsys.readouterr().err and not out.exists()


def test_outputs_get_ordinary_file_modes(seeds, tmp_path):
    import os
    import stat

    mask = os.umask(0o022)
    try:
        assert main([str(seeds), "--clean", str(tmp_path / "out"), "--json", str(tmp_path / "r.json"), "--quiet"]) == 0
    finally:
        os.umask(mask)
    for path in (tmp_path / "r.json", tmp_path / "out" / "2014-report.txt", tmp_path / "out" / "removed.jsonl"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_unwritable_output_is_a_clean_error(seeds, tmp_path, capsys):
    assert main([str(seeds), "--json", str(tmp_path), "--quiet"]) == 3  # a failure while writing
    assert "cannot write" in capsys.readouterr().err


def test_restore_ignores_files_it_did_not_write(seeds, tmp_path):
    out = tmp_path / "out"
    assert main([str(seeds), "--clean", str(out), "--quiet"]) == 0
    (out / "stray.txt").write_text("not ours")
    assert main(["restore", str(out), "--out", str(tmp_path / "back")]) == 0
    assert not (tmp_path / "back" / "stray.txt").exists()


def test_non_empty_outdir_needs_force(seeds, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.me").write_text("x")
    assert main([str(seeds), "--clean", str(out), "--quiet"]) == 1
    assert "--force" in capsys.readouterr().err
    # --force replaces only an earlier dedup output, whole: never someone's folder.
    assert main([str(seeds), "--clean", str(out), "--quiet", "--force"]) == 1
    assert (out / "keep.me").exists() and not (out / "removed.jsonl").exists()
    assert main([str(seeds), "--clean", str(out / "new"), "--quiet"]) == 0
    assert main([str(seeds), "--clean", str(out / "new"), "--quiet", "--force", "--threshold", "0.5"]) == 0
    assert (out / "new" / "removed.jsonl").exists()


@pytest.mark.parametrize("argv", [["--threshold", "2"], ["--shingle", "bogus:x"], ["--unit", "chapter"], ["--bogus"],
                                  ["--shingle", "word:2", "--user-dict", "/no/such/dict.txt"]])
def test_usage_errors_exit_1(seeds, argv, capsys):
    assert main([str(seeds), *argv]) == 1
    assert "dedup: error:" in capsys.readouterr().err


def test_real_subprocess(seeds):
    done = subprocess.run([sys.executable, "-m", "dedup", str(seeds), "--json", "-"],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["clusters"]) == 30
    # /dev/stdout is a link to the pipe: written to, not replaced (it resolves to no file at all).
    piped = subprocess.run([sys.executable, "-m", "dedup", str(seeds), "--json", "/dev/stdout", "--quiet"],
                           capture_output=True, text=True, encoding="utf-8", check=False)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["clusters"] == json.loads(done.stdout)["clusters"]


def test_no_containment_flag(seeds, capsys):
    assert main([str(seeds), "--json", "-", "--no-containment"]) == 0
    without = json.loads(capsys.readouterr().out)
    assert main([str(seeds), "--json", "-"]) == 0
    with_ = json.loads(capsys.readouterr().out)
    assert without["config"]["containment"] is False
    kinds = [p["kind"] for p in without["pairs"]]
    assert kinds.count("contained") < [p["kind"] for p in with_["pairs"]].count("contained")


def test_html_report_from_a_scan_and_from_a_saved_report(seeds, tmp_path):
    page, report, again = tmp_path / "r.html", tmp_path / "r.json", tmp_path / "again.html"
    assert main([str(seeds), "--quiet", "--json", str(report), "--html", str(page)]) == 0
    assert main(["report", str(report), "--html", str(again)]) == 0
    for html in (page, again):
        text = html.read_text("utf-8")
        assert text.startswith("<!DOCTYPE html>") and "2017-report-doubled.txt" in text
    assert main(["report", str(report), "--html", str(again), "--corpus", str(tmp_path)]) == 1  # wrong folder


def test_report_and_restore_exit_codes(tmp_path, capsys):
    # A missing input exits 2, and so does one that is not a report (no input could be read), each with its
    # message.
    assert main(["report", str(tmp_path / "none.json"), "--html", str(tmp_path / "r.html")]) == 2
    assert "none.json" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text('{"a": 1}', "utf-8")
    assert main(["report", str(tmp_path / "bad.json"), "--html", str(tmp_path / "r.html")]) == 2
    assert "bad.json: not a dedup --json report" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "none"), "--out", str(tmp_path / "back")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_reading_errors_are_the_inputs_only_when_a_file_failed():
    from dedup import InputError, OutputError
    from dedup._cli import exit_codes

    with pytest.raises(InputError, match="No such file"), exit_codes("/no/such", reading=True):
        open("/no/such/dir/x.txt")  # noqa: SIM115
    with pytest.raises(InputError, match=r"cannot read /in/x\.txt: Permission denied"), exit_codes("/in", reading=True):
        raise PermissionError(13, "Permission denied", "/in/x.txt")
    # A file of dedup's own that failed (a Dask spool in a full /tmp) is a write error, not the input's.
    with pytest.raises(OutputError, match=r"cannot write /tmp/spool/0\.pickle"), exit_codes("/in", reading=True):
        raise OSError(28, "No space left on device", "/tmp/spool/0.pickle")
    # Not a file of the input's (a lost connection, a bug): passed on as it is, not blamed on the input.
    with pytest.raises(ConnectionResetError), exit_codes("corpus", reading=True):
        raise ConnectionResetError("peer went away")
    with pytest.raises(ValueError, match="a bug"), exit_codes("corpus", reading=True):
        raise ValueError("a bug")


def test_library_writers_take_what_users_pass(seeds, tmp_path):
    # write_json takes a path as write_html and write_table do; write_text_report takes a Result as well as a
    # Cleaned; a list of bare strings is refused with what to pass (texts or paths: neither is guessed).
    import io

    import dedup

    result = dedup.find_duplicates(seeds)
    dedup.write_json(result, tmp_path / "r.json")
    stream = io.StringIO()
    dedup.write_json(result, stream)
    assert json.loads((tmp_path / "r.json").read_text("utf-8")) == json.loads(stream.getvalue())
    from_result, from_cleaned = io.StringIO(), io.StringIO()
    dedup.write_text_report(result, from_result)
    dedup.write_text_report(dedup.clean(result), from_cleaned)
    assert from_result.getvalue() == from_cleaned.getvalue()
    with pytest.raises(dedup.UsageError, match=r"list\(enumerate\(texts\)\)"):
        dedup.find_duplicates(["同一段文字出现了两次。", "同一段文字出现了两次。"])


def test_clusters_have_one_numbering_in_every_output(seeds, tmp_path, capsys):
    """The text report's "cluster N", the JSON's number and --table's cluster column name the same cluster."""
    assert main([str(seeds), "--json", str(tmp_path / "r.json"), "--table", str(tmp_path / "t.csv")]) == 0
    text = capsys.readouterr().out
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    with open(tmp_path / "t.csv", encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert [c["number"] for c in report["clusters"]] == list(range(1, len(report["clusters"]) + 1))
    for cluster in report["clusters"]:
        members = {(m["doc"], m["index"]) for m in cluster["members"]}
        assert {(r["doc"], int(r["index"])) for r in table if r["cluster"] == str(cluster["number"])} == members
    first = report["clusters"][0]
    assert f"cluster 1: {len(first['members'])} passages" in text


def test_a_folder_read_as_text_beside_tables_says_so(tmp_path, capsys):
    """A folder of shards with a LICENSE.txt is read as that text file (the default patterns match it): the
    command says which tables it left unread, --quiet or not; with --include, the user chose, and it is quiet."""
    folder = tmp_path / "hf"
    folder.mkdir()
    (folder / "LICENSE.txt").write_text("Licensed under CC-BY 4.0, see the full text for details.\n", "utf-8")
    (folder / "a.jsonl").write_text('{"text": "重复的一段话，足够长了。"}\n' * 2, "utf-8")
    assert main([str(folder), "--quiet"]) == 0
    assert "read as 1 text file; 1 table file not read (a.jsonl)" in capsys.readouterr().err
    assert main([str(folder), "--quiet", "--include", "*.jsonl", "--json", str(tmp_path / "r.json")]) == 0
    assert "not read" not in capsys.readouterr().err
    assert main([str(folder), "--quiet", "--include", "*.txt", "--text-field", "body"]) == 0
    assert "--text-field applies to tables; " in capsys.readouterr().err
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["summary"]["duplicates"] == 1


def test_explain_says_ids_are_paths_inside_the_input(seeds, capsys):
    assert main(["explain", str(seeds), str(seeds / "2014-report.txt") + ":3", "2017-report-abridged.txt:3"]) == 1
    assert "ids are paths inside the input folder: 2014-report.txt:3?" in capsys.readouterr().err


def test_the_text_report_counts_spans_and_says_what_document_shares_are(tmp_path, capsys):
    text = "重复的一段话，足够长了，而且还要更长一些才好。\n"
    (tmp_path / "a.txt").write_text(text + "别的话，也足够长了，内容完全不同于上面。\n" + text, "utf-8")
    (tmp_path / "b.txt").write_text(text, "utf-8")
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "repeat earlier text, in 1 span\n" in out
    assert "among documents with passages found in each other (share of a's text aligned in b" in out


def test_an_input_file_named_as_the_cleaned_folders_own_is_refused_before_the_scan(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("重复的一段话，足够长了。\n重复的一段话，足够长了。\n", "utf-8")
    (folder / "removed.jsonl").write_text("{}\n", "utf-8")  # not read (no pattern matches it), but copied
    assert main([str(folder), "--clean", str(tmp_path / "out"), "--quiet"]) == 1
    assert "the input holds removed.jsonl, which would clash with dedup's own" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(dedup.UsageError, match="rename it or move it out"):
        dedup.write_cleaned(dedup.clean(folder), folder, tmp_path / "out")
    shards = tmp_path / "shards"
    (shards / "removed_rows").mkdir(parents=True)
    (shards / "removed_rows" / "x.jsonl").write_text('{"text": "别的"}\n', "utf-8")
    (shards / "a.jsonl").write_text('{"text": "重复的一段话，足够长了。"}\n' * 2, "utf-8")
    with pytest.raises(dedup.UsageError, match="the input holds removed_rows"):
        dedup.write_cleaned_tabular(dedup.clean(shards / "a.jsonl"), shards, tmp_path / "out2")
    capsys.readouterr()
    assert main([str(shards), "--clean", str(tmp_path / "out2"), "--quiet"]) == 1
    assert "the input holds removed_rows" in capsys.readouterr().err and not (tmp_path / "out2").exists()
    # A text folder may hold a folder of that name: no cleaned folder of text files has one.
    (folder / "removed_rows").mkdir()
    (folder / "removed.jsonl").unlink()
    assert main([str(folder), "--clean", str(tmp_path / "out3"), "--quiet"]) == 0


def test_an_unknown_option_is_refused_with_its_command_usage(tmp_path, capsys):
    # argparse refused it with the top level's usage line ("usage: dedup [-h] [--version] COMMAND ...").
    for argv, usage in ((["index", "query", str(tmp_path / "x.db"), "in", "--threshold", "0.5"], "dedup index query"),
                        (["scan", "in", "--bogus"], "dedup scan"), (["in", "--bogus"], "dedup scan")):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"usage: {usage} [-h]") and "unrecognized arguments: " in err
