"""Tables as corpora: JSON Lines (plain and compressed), CSV, Parquet, shard folders, data frames and
datasets in; annotated copies, cleaned copies, passage tables and byte-exact restores out."""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup import (
    IntegrityError,
    UsageError,
    read_corpus,
    restore_tabular,
    row_annotations,
    write_annotated,
    write_cleaned_tabular,
    write_table,
)
from dedup.stages import read_objects, table_files

A = "全国工业和信息化工作会议在京召开，会议总结了今年的工作并部署明年的重点任务。"
B = "会议指出，今年以来全国工业经济运行呈现回升向好态势，主要指标好于预期。"
B_NEAR = "会议指出，今年以来全国工业经济运行呈现回升向好的态势，主要指标好于预期。"
C = "会议要求抓好八个方面的工作，确保完成全年目标任务，推动高质量发展。"
D = "与会代表围绕如何推进新型工业化进行了深入讨论，提出了许多建议。/路径"
E = "这是一段与其他内容都不相同的文字，用来检验没有重复的行会原样保留。"

# Ids out of string order (9 before 10), a URL, a duplicate document, a paragraph-level near
# duplicate, an exact paragraph repeated inside another row, and a null text.
ROWS = [
    {"id": 9, "text": A, "url": "http://example.com/a/b"},
    {"id": 10, "text": A, "url": "http://example.com/c"},
    {"id": 11, "text": B + "\n" + C, "url": "http://example.com/d"},
    {"id": 12, "text": None, "url": "http://example.com/e"},
    {"id": 13, "text": B_NEAR + "\n" + D + "\n" + C, "url": "http://example.com/f"},
    {"id": 14, "text": E, "url": "http://example.com/g"},
]


def _jsonl(rows: list[dict], ascii_: bool = False) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=ascii_) + "\n" for r in rows).encode("utf-8")


def _csv(rows: list[dict], terminator: str = "\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["id", "text", "url"], lineterminator=terminator)
    writer.writeheader()
    writer.writerows([{**r, "text": "" if r["text"] is None else r["text"]} for r in rows])
    return buffer.getvalue().encode("utf-8")


def _write(tmp_path: Path, name: str, rows: list[dict] = ROWS) -> Path:
    path = tmp_path / name
    if name.endswith(".parquet"):
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    elif ".csv" in name:
        path.write_bytes(_compress(_csv([r for r in rows if r["text"] is not None]), name))
    else:
        path.write_bytes(_compress(_jsonl(rows), name))
    return path


def _compress(data: bytes, name: str) -> bytes:
    if name.endswith(".gz"):
        return gzip.compress(data, mtime=0)
    if name.endswith(".bz2"):
        return bz2.compress(data)
    if name.endswith(".zst"):
        return pytest.importorskip("zstandard").ZstdCompressor().compress(data)
    return data


def _content(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".bz2"):
        return bz2.decompress(data)
    return data


def _links(result: dedup.Result) -> list[tuple]:
    return [(p.a.doc, p.a.index, p.b.doc, p.b.index, p.kind, round(p.similarity, 6)) for p in result.pairs]


# ------------------------------------------------------------------------------------ reading
def test_jsonl_file_is_read_row_by_row_in_input_order(tmp_path):
    result = dedup.find_duplicates(_write(tmp_path, "corpus.jsonl"), unit="document")
    assert [(d.id, d.key, d.row, d.source) for d in result.documents] == [
        ("9", 9, 0, "corpus.jsonl"), ("10", 10, 1, "corpus.jsonl"), ("11", 11, 2, "corpus.jsonl"),
        ("13", 13, 4, "corpus.jsonl"), ("14", 14, 5, "corpus.jsonl")]
    # First in corpus order is row 9, not the string-smallest id '10'; the URLs are not text.
    assert [(c.kept.doc, [m.doc for m in c.members]) for c in result.clusters] == [("9", ["9", "10"])]
    assert all("http" not in d.text for d in result.documents)
    assert [(e.path, e.error) for e in result.errors] == [
        ("corpus.jsonl", "row 3 (line 4, id 12): text is null, not a string")]


@pytest.mark.parametrize("name", ["c.jsonl", "c.jsonl.gz", "c.jsonl.bz2", "c.jsonl.zst", "c.ndjson", "c.csv",
                                  "c.csv.gz", "c.parquet"])
def test_every_format_gives_the_same_pairs(tmp_path, name):
    expected = _links(dedup.find_duplicates([r for r in ROWS if r["text"] is not None]))
    assert _links(dedup.find_duplicates(_write(tmp_path, name))) == expected
    assert expected and {k for *_, k, _ in expected} == {"exact", "near"}


def test_format_from_content_when_the_name_says_nothing(tmp_path):
    path = tmp_path / "export.data"
    path.write_bytes(gzip.compress(_jsonl(ROWS)))
    assert table_files(path).files[0][2].format == "jsonl"
    assert len(dedup.find_duplicates(path).documents) == 5


def test_text_file_that_looks_like_jsonl_warns_and_stays_text(tmp_path):
    (tmp_path / "rows.txt").write_bytes(_jsonl(ROWS))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        documents, _ = read_corpus(tmp_path, "*.txt")
    assert [d.id for d in documents] == ["rows.txt"]
    assert any("rows.txt looks like JSON Lines" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        documents, _ = read_corpus(tmp_path / "rows.txt")
    assert [d.id for d in documents] == ["rows.txt"] and caught


def test_pandas_escaped_jsonl_gives_the_same_pairs(tmp_path):
    pd = pytest.importorskip("pandas")
    plain = _write(tmp_path, "plain.jsonl")
    escaped = tmp_path / "escaped.jsonl"
    pd.DataFrame(ROWS).to_json(escaped, orient="records", lines=True, force_ascii=True)
    raw = escaped.read_text("ascii")
    assert "\\u4f1a" in raw and "\\/" in raw  # escaped non-ASCII characters and slashes
    assert _links(dedup.find_duplicates(escaped)) == _links(dedup.find_duplicates(plain))


def test_shards_that_break_off_are_copied_by_annotate_and_clean(tmp_path, capsys):
    # A truncated gzip shard and a Parquet file cut short: read as error entries; --annotate and
    # --clean copy them as they are (with a warning from annotate) and annotate or clean the rest.
    # A single such file cannot be annotated: a clear error, nothing written.
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_bytes(_jsonl(ROWS))
    whole = gzip.compress(_jsonl([{"id": f"g{i}", "text": f"{A}{i}"} for i in range(2000)]), mtime=0)
    (data / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": [A, A + "。"]}), buffer)
    (data / "short.parquet").write_bytes(buffer.getvalue()[:-40])
    result = dedup.find_duplicates(data)
    assert sorted(e.path for e in result.errors) == ["a.jsonl", "cut.jsonl.gz", "short.parquet"]
    with pytest.warns(UserWarning) as caught:
        write_annotated(result, data, tmp_path / "notes")
    assert sorted(str(w.message).split(":")[0] for w in caught) == ["cut.jsonl.gz", "short.parquet"]
    assert all("copied unchanged, not annotated" in str(w.message) for w in caught)
    for name in ("cut.jsonl.gz", "short.parquet"):
        assert (tmp_path / "notes" / name).read_bytes() == (data / name).read_bytes()
    assert all("dedup_passages" in json.loads(line) for line in (tmp_path / "notes" / "a.jsonl").read_text().splitlines()
               if line.strip().startswith("{"))
    cleaned = dedup.clean(data)
    planned = sum(r.doc.startswith("g") for r in cleaned.removed)
    assert planned > 0  # rows read before the break take part, and some would go
    with pytest.warns(UserWarning, match=f"cut.jsonl.gz: cannot be read to its end .*; copied unchanged, so "
                                         f"{planned} planned removals not made"):
        written = write_cleaned_tabular(cleaned, data, tmp_path / "clean")
    assert written.copied == ["cut.jsonl.gz", "short.parquet"]
    assert (tmp_path / "clean" / "short.parquet").read_bytes() == (data / "short.parquet").read_bytes()
    restore_tabular(tmp_path / "clean", tmp_path / "back")
    assert {f.name: f.read_bytes() for f in (tmp_path / "back").iterdir()} == \
        {f.name: f.read_bytes() for f in data.iterdir()}
    from dedup.__main__ import main

    assert main([str(data), "--clean", str(tmp_path / "clean2")]) == 0  # its summary counts what was removed
    assert f"{len(cleaned.removed) - planned} passages removed into" in capsys.readouterr().out
    assert main([str(data), "--annotate", str(tmp_path / "notes2"), "--quiet"]) == 0  # the command says so
    said = capsys.readouterr().err
    assert "dedup: warning: cut.jsonl.gz: cannot be read (Compressed file ended" in said
    assert "dedup: warning: short.parquet: cannot be read (" in said and "copied unchanged, not annotated" in said
    with pytest.raises(dedup.InputError, match=r"cannot be read \(Compressed file ended.*\); nothing was annotated"):
        write_annotated(dedup.find_duplicates(data / "cut.jsonl.gz"), data / "cut.jsonl.gz", tmp_path / "one.jsonl.gz")
    assert not (tmp_path / "one.jsonl.gz").exists()


def test_a_shard_that_cannot_be_opened_stops_annotate_and_clean_clearly(tmp_path, monkeypatch, capsys):
    # Readable when scanned, then refused (permissions changed meanwhile; root reads any file, so open
    # is made to refuse it): neither output can copy it, so each stops with an input error naming it,
    # and nothing is written.
    import builtins

    from dedup.__main__ import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_bytes(_jsonl(ROWS))
    (data / "b.jsonl").write_bytes(_jsonl([{"id": 100 + i, "text": row["text"]} for i, row in enumerate(ROWS[:2])]))
    result = dedup.find_duplicates(data)

    def refusing(path, *args, **kwargs):
        if Path(path).name == "b.jsonl":
            raise PermissionError(13, "Permission denied", str(path))
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr("dedup._tabular.open", refusing, raising=False)
    monkeypatch.setattr("dedup._output.open", refusing, raising=False)
    for write in (lambda: write_annotated(result, data, tmp_path / "notes"),
                  lambda: write_cleaned_tabular(dedup.clean(result), data, tmp_path / "clean")):
        with pytest.raises(dedup.InputError, match=r"b\.jsonl: cannot be read \(Permission denied\)"):
            write()
    assert not (tmp_path / "notes").exists() and not (tmp_path / "clean").exists()
    for option in ("--annotate", "--clean"):  # the command: its scan lists the shard as an error entry, then stops
        assert main([str(data), option, str(tmp_path / "out"), "--quiet"]) == 2
        said = capsys.readouterr().err
        assert "b.jsonl: cannot be read (Permission denied)" in said and "None" not in said, said
        assert not (tmp_path / "out").exists()


def test_numbered_rows_errors_do_not_name_their_number(tmp_path):
    # A row without an id takes its number across the files as its id; an entry for a bad row says
    # where it is, not that number, so one file's entries do not depend on the files before it.
    (tmp_path / "a.jsonl").write_text('{"text": "甲"}\n{"text": "乙"}\n', "utf-8")
    (tmp_path / "b.jsonl").write_text('{"text": "丙"}\n{"text": null}\n{"body": 1}\n', "utf-8")
    documents, errors = read_corpus(tmp_path)
    assert [(d.id, d.key, d.source, d.row) for d in documents] == [
        ("0", 0, "a.jsonl", 0), ("1", 1, "a.jsonl", 1), ("2", 2, "b.jsonl", 0)]
    assert [(e.path, e.error) for e in errors] == [("b.jsonl", "row 1 (line 2): text is null, not a string"),
                                                   ("b.jsonl", "row 2 (line 3): no field 'text'")]


def test_bad_rows_are_error_entries_and_the_run_goes_on(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(_jsonl(ROWS[:2]) + b'{"id": 20, "text": 5}\n[1, 2]\n{"id": 21\n\n{"id": 22}\n'
                     + b'{"id": 23, "text": "\\ud800 lone"}\n{"text": "no id"}\n{"id": 24, "text": "\xff"}\n'
                     + b'{"id": null, "text": "x"}\n{"id": "\\udfff", "text": "id that no output could write"}\n')
    documents, errors = read_corpus(path)
    assert [d.id for d in documents] == ["9", "10"]
    assert [e.error for e in errors] == [
        "row 2 (line 3, id 20): text is an int, not a string",
        "row 3 (line 4): a JSON array, not an object",
        "row 4 (line 5): not valid JSON (Expecting ',' delimiter at column 11)",
        "row 5 (line 7, id 22): no field 'text'",
        "row 6 (line 8, id 23): text holds an unpaired surrogate escape (\\ud800-\\udfff), not a character",
        "row 7 (line 9): no id field 'id'",
        "row 8 (line 10): not UTF-8",
        "row 9 (line 11): id is null",
        "row 10 (line 12): id holds an unpaired surrogate escape (\\ud800-\\udfff), not a character",
    ]


def test_tables_that_say_nothing_clearly(tmp_path, capsys):
    """A column named twice, a control character, an empty table: each said as it is."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dedup.__main__ import main

    (tmp_path / "twice.csv").write_text(f"id,text,text\n1,{A},x\n", "utf-8")
    pq.write_table(pa.Table.from_arrays([pa.array(["1"]), pa.array([A]), pa.array(["x"])], names=["id", "text", "text"]),
                   tmp_path / "twice.parquet")
    for name in ("twice.csv", "twice.parquet"):
        assert main([str(tmp_path / name)]) == 2
        assert "the header names 'text' 2 times" in capsys.readouterr().err
    # An id column found by its name alone is taken as it was (its last); one the user names must be one.
    (tmp_path / "ids.csv").write_text(f"id,text,id\n1,{A},x\n2,{A},y\n", "utf-8")
    assert [d.id for d in read_corpus(tmp_path / "ids.csv").documents] == ["x", "y"]
    assert main([str(tmp_path / "ids.csv"), "--id-field", "id"]) == 2
    assert "the header names 'id' 2 times" in capsys.readouterr().err
    (tmp_path / "ctl.jsonl").write_bytes(b'{"id": 1, "text": "a\tb\x01"}\n')
    assert [e.error for e in read_corpus(tmp_path / "ctl.jsonl").errors] == [
        "row 0 (line 1): not valid JSON (Invalid control character at column 21)"]
    for name, content in (("e.jsonl", b""), ("h.csv", b"id,text\n")):
        (tmp_path / name).write_bytes(content)
        assert main([str(tmp_path / name)]) == 2
        assert f"{name}: no text to work on (no rows)" in capsys.readouterr().err


def test_json_array_and_truncated_files_are_one_entry_each(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "array.json").write_text(json.dumps(ROWS, indent=1))
    whole = gzip.compress(_jsonl([{"id": i, "text": f"{A}{i}"} for i in range(2000)]), mtime=0)
    (tmp_path / "data" / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    documents, errors = read_corpus(tmp_path / "data")
    assert [(e.path, e.error) for e in errors] == [
        ("array.json", "a JSON array, not JSON Lines (one object a line); convert it, e.g. jq -c '.[]'"),
        ("cut.jsonl.gz", "Compressed file ended before the end-of-stream marker was reached")]
    # The rows before the cut stay, in order.
    assert 0 < len(documents) < 2000 and [d.key for d in documents] == list(range(len(documents)))
    cleaned = dedup.clean(tmp_path / "data")
    with pytest.warns(UserWarning, match=r"cut\.jsonl\.gz: cannot be read to its end .* copied unchanged"):
        write_cleaned_tabular(cleaned, tmp_path / "data", tmp_path / "out")
    assert (tmp_path / "out" / "cut.jsonl.gz").read_bytes() == whole[: len(whole) // 2]  # copied, nothing cut
    restore_tabular(tmp_path / "out", tmp_path / "back")
    assert (tmp_path / "back" / "cut.jsonl.gz").read_bytes() == whole[: len(whole) // 2]


def test_wrong_text_field_is_one_entry_per_file(tmp_path):
    rows = [{"id": i, "body": f"第{i}行"} for i in range(1000)]
    path = tmp_path / "body.jsonl"
    path.write_bytes(_jsonl(rows))
    documents, errors = read_corpus(path)
    assert documents == [] and len(errors) == 1
    assert "no row has the field 'text'" in errors[0].error and "fields of the first: id, body" in errors[0].error
    documents, errors = read_corpus(path, text_field="body")
    assert len(documents) == 1000 and errors == []


def test_text_and_id_fields_and_row_numbers(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"name,body\nx,alpha\ny,beta\n")
    documents, _ = read_corpus(path, text_field="body", id_field="name")
    assert [(d.id, d.text) for d in documents] == [("x", "alpha"), ("y", "beta")]
    documents, _ = read_corpus(path, text_field="body")  # no column "id": row numbers
    assert [(d.id, d.key) for d in documents] == [("0", 0), ("1", 1)]
    _, errors = read_corpus(path)
    assert len(errors) == 1 and "no column 'text' (columns: name, body)" in errors[0].error


def test_duplicate_id_names_it_and_both_rows(tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_bytes(_jsonl([{"id": "x", "text": "a"}, {"id": "y", "text": "b"}, {"id": "x", "text": "c"}]))
    with pytest.raises(UsageError, match=r"id 'x' is used by dup.jsonl row 0 and by dup.jsonl row 2"):
        read_corpus(path)


def test_dicts_pairs_and_null_texts_in_memory():
    documents, errors = read_corpus([{"id": 10, "text": "x"}, {"id": 9, "text": None}, (2, "y")])
    assert [(d.id, d.key) for d in documents] == [("10", 10), ("2", 2)]  # input order, not sorted
    assert [e.error for e in errors] == ["row 1 (id 9): text is null, not a string"]
    documents, errors = read_corpus({"b": "x", "a": "y"})
    assert [d.id for d in documents] == ["b", "a"] and errors == []
    # Rows none of which has the text field: the field is misnamed (as for a data frame); bytes and None are no corpus.
    with pytest.raises(UsageError, match=re.escape("no row has the field 'text' (2 rows; fields of the first: id, "
                                                   "body); name the text field with text_field=")):
        read_corpus([{"id": "a", "body": "x"}, {"id": "b", "body": "y"}])
    documents, errors = read_corpus([{"id": "a", "body": "x"}, {"id": "b", "text": "y"}])
    assert [d.id for d in documents] == ["b"] and [e.error for e in errors] == ["row 0 (id 'a'): no field 'text'"]
    documents, errors = read_corpus([("b", "hello"), {"id": "a", "body": "x"}])  # rows of other kinds: read on
    assert [d.id for d in documents] == ["b"] and [e.error for e in errors] == ["row 1 (id 'a'): no field 'text'"]
    for corpus in (b"corpus", None):
        with pytest.raises(UsageError, match="is no corpus"):
            read_corpus(corpus)


def test_shard_folder_reads_files_in_path_order_then_rows(tmp_path):
    (tmp_path / "data").mkdir()
    _write(tmp_path / "data", "part-1.jsonl", [{"text": A}, {"text": B}])
    _write(tmp_path / "data", "part-0.jsonl.gz", [{"text": C}, {"text": A}])
    (tmp_path / "data" / "README.md").write_text("about the data")
    scan = read_corpus(tmp_path / "data")
    assert [(d.source, d.row, d.key) for d in scan.documents] == [
        ("part-0.jsonl.gz", 0, 0), ("part-0.jsonl.gz", 1, 1), ("part-1.jsonl", 0, 2), ("part-1.jsonl", 1, 3)]
    assert scan.skipped == ["README.md"]
    result = dedup.find_duplicates(tmp_path / "data")
    assert [(c.kept.doc, [m.doc for m in c.members]) for c in result.clusters] == [("1", ["1", "2"])]


def test_data_frames_tables_and_datasets_give_the_jsonl_result(tmp_path):
    pd = pytest.importorskip("pandas")
    pa = pytest.importorskip("pyarrow")
    path = _write(tmp_path, "c.jsonl")
    expected = dedup.find_duplicates(path)
    frame = pd.read_json(path, lines=True, dtype=False)
    inputs = {"pandas": frame, "arrow": pa.Table.from_pylist(ROWS), "dicts": ROWS}
    try:
        import polars as pl

        inputs["polars"] = pl.DataFrame(ROWS)
    except ImportError:
        pass
    try:
        import datasets

        inputs["dataset"] = datasets.Dataset.from_list(ROWS)
        inputs["iterable"] = datasets.Dataset.from_list(ROWS).to_iterable_dataset()
        # Features unknown until read: taken row by row, as dicts.
        inputs["generator"] = datasets.IterableDataset.from_generator(lambda: iter(ROWS))
    except ImportError:
        pass
    for name, corpus in inputs.items():
        result = dedup.find_duplicates(corpus)
        assert _links(result) == _links(expected), name
        assert [d.key for d in result.documents] == [d.key for d in expected.documents], name
        null = "missing (NaN)" if name == "pandas" else "null"  # pandas stores a missing string as NaN
        assert [e.error for e in result.errors] == [f"row 3 (id 12): text is {null}, not a string"], name


def test_every_arrow_shape_is_read_in_batches(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{"id": f"r{i}", "text": f"第{i}段"} for i in range(10_000)])
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=3000)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=1000))
    for corpus in (table, table.to_batches()[0], reader, ds.dataset(tmp_path / "t.parquet")):
        documents, errors = read_corpus(corpus)
        assert [d.key for d in documents] == [f"r{i}" for i in range(10_000)] and not errors, type(corpus)


def test_dataset_dict_asks_for_a_split():
    datasets = pytest.importorskip("datasets")
    splits = datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)})
    with pytest.raises(TypeError, match=r"pass one, e.g. dataset\['train'\]"):
        list(read_objects(splits))


def test_local_paths_import_no_heavy_library(tmp_path):
    (tmp_path / "a.txt").write_text(A + "\n" + A, "utf-8")
    _write(tmp_path, "c.jsonl")
    _write(tmp_path, "c.csv.gz")
    code = ("import sys, dedup\n"
            f"dedup.find_duplicates({str(tmp_path)!r}, glob='*.txt')\n"
            f"dedup.find_duplicates({str(tmp_path / 'c.jsonl')!r})\n"
            f"dedup.find_duplicates({str(tmp_path / 'c.csv.gz')!r})\n"
            "heavy = sorted({'pyarrow', 'pandas', 'polars', 'datasets'} & set(sys.modules))\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------ outputs
FORMATS = ["c.jsonl", "c.jsonl.gz", "c.csv", "c.parquet"]


def _rows_of(path: Path) -> list[dict]:
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    if ".csv" in path.name:
        return list(csv.DictReader(io.StringIO(_content(path).decode("utf-8"))))
    return [json.loads(line) for line in _content(path).splitlines() if line.strip()]


@pytest.mark.parametrize("name", FORMATS)
def test_annotate_document_unit(tmp_path, name):
    source = _write(tmp_path, name)
    result = dedup.find_duplicates(source, unit="document")
    out = tmp_path / "out" / name
    write_annotated(result, source, out)
    rows = _rows_of(out)
    keep = {str(r["id"]): str(r["dedup_keep"]).lower() for r in rows}
    assert keep == {"9": "true", "10": "false", "11": "true", "13": "true", "14": "true"} | (
        {} if ".csv" in name else {"12": "true"})
    row_10 = next(r for r in rows if str(r["id"]) == "10")
    assert str(row_10["dedup_duplicate_of"]) == "9" and row_10["dedup_kind"] == "exact"
    assert float(row_10["dedup_similarity"]) == 1.0 and str(row_10["dedup_cluster"]) == "1"
    assert all(r["url"].startswith("http") for r in rows)  # every column is still there
    if ".csv" in name:
        assert row_10["dedup_keep"] == "false"
    else:
        assert isinstance(row_10["dedup_keep"], bool) and row_10["dedup_duplicate_of"] == 9


def test_annotated_csv_cells_stay_under_their_headers_on_ragged_rows(tmp_path):
    """The dedup_ columns come after the longest row's fields: a row short of the header (an error entry) is
    padded before its dedup_ cells, and so is every row shorter than the longest (whose fields all stay)."""
    source = tmp_path / "odd.csv"
    source.write_bytes(f"id,text,extra\r\n1,{A},a\r\n2,{A}\r\n3,{B},b,c\r\n5\r\n6,{A}。,z\r\n".encode())
    write_annotated(dedup.find_duplicates(source, unit="document"), source, tmp_path / "an.csv")
    with open(tmp_path / "an.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header == ["id", "text", "extra", "", "dedup_cluster", "dedup_keep", "dedup_duplicate_of", "dedup_kind",
                      "dedup_similarity"]
    assert {len(row) for row in rows} == {len(header)}
    by_id = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert by_id["2"]["extra"] == "" and by_id["2"]["dedup_keep"] == "true"
    assert by_id["5"]["text"] == by_id["5"]["extra"] == "" and by_id["5"]["dedup_keep"] == "true"
    assert rows[3][:4] == ["3", B, "b", "c"] and by_id["3"]["dedup_keep"] == "true"
    assert by_id["6"]["dedup_keep"] == "false" and by_id["6"]["dedup_duplicate_of"] == "1"


@pytest.mark.parametrize("name", FORMATS)
def test_annotate_paragraph_unit(tmp_path, name):
    source = _write(tmp_path, name)
    result = dedup.find_duplicates(source)
    out = tmp_path / "out" / name
    write_annotated(result, source, out)
    rows = {str(r["id"]): r for r in _rows_of(out)}
    passages = rows["13"]["dedup_passages"]
    passages = json.loads(passages) if isinstance(passages, str) else passages
    eleven = "11" if ".csv" in name else 11  # CSV has no numbers: its ids are strings
    assert [(p["index"], p["keep"], p["duplicate_of"], p["duplicate_of_index"], p["kind"]) for p in passages] == [
        (0, False, eleven, 0, "near"), (1, True, None, None, None), (2, False, eleven, 1, "exact")]
    assert 0.6 <= passages[0]["similarity"] < 1
    text = rows["13"]["text"]
    assert text[passages[1]["start"]:passages[1]["end"]] == D


def test_annotated_jsonl_keeps_each_rows_bytes(tmp_path):
    source = tmp_path / "c.jsonl"
    source.write_bytes(b'{"text": "' + A.encode() + b'", "id": 1.5}\r\n\n{"id": 2, "text":"' + A.encode() + b'"}')
    result = dedup.find_duplicates(source, unit="document")
    out = tmp_path / "a.jsonl"
    write_annotated(result, source, out)
    lines = out.read_bytes().split(b"\n")
    assert lines[0].startswith(b'{"text": "' + A.encode() + b'", "id": 1.5, "dedup_cluster": 1,')
    assert lines[0].endswith(b"}\r") and lines[1] == b""
    assert json.loads(lines[2])["dedup_duplicate_of"] == 1.5


def test_a_table_in_another_encoding_is_refused_and_its_errors_counted(tmp_path, capsys):
    # --encoding is for text files: given for a table it is refused, not ignored; without it, a table in
    # GB18030 fails row by row, and the command shows the first errors and how many more.
    from dedup.__main__ import main
    from dedup._report import SHOWN_ERRORS

    source = tmp_path / "gb.jsonl"
    source.write_bytes(_jsonl([{"id": i, "text": f"{A}{i}"} for i in range(SHOWN_ERRORS + 5)]).decode().encode("gb18030"))
    assert main([str(source), "--encoding", "gb18030", "--quiet"]) == 1
    assert "--encoding gb18030 applies to text files" in capsys.readouterr().err
    assert main([str(source), "--encoding", "utf-8", "--quiet"]) == 2
    said = capsys.readouterr().err.splitlines()
    assert len([line for line in said if line.endswith("not UTF-8")]) == SHOWN_ERRORS
    assert "dedup: ... and 5 more read errors (--json lists every one)" in said


@pytest.mark.parametrize("name", ["t.jsonl", "t.csv"])
def test_an_empty_id_field_numbers_the_rows(tmp_path, name, capsys):
    # Two rows with one id: refused, saying how to number the rows instead, which works in the API and the
    # command; a named id field the first row lacks is one message, not one a row.
    from dedup.__main__ import main

    source = tmp_path / name
    rows = [{"id": 7, "text": A}, {"id": 7, "text": A}]
    source.write_bytes(_jsonl(rows) if name.endswith(".jsonl") else f"id,text\n7,{A}\n7,{A}\n".encode())
    with pytest.raises(dedup.UsageError, match="id_field='', to number the rows"):
        dedup.find_duplicates(source)
    assert [d.key for d in dedup.find_duplicates(source, id_field="").documents] == [0, 1]
    assert [d.key for d in dedup.find_duplicates(rows, id_field="").documents] == [0, 1]
    assert main([str(source), "--id-field", "", "--quiet"]) == 0
    capsys.readouterr()
    assert main([str(source), "--id-field", "nope", "--quiet"]) == 2
    said = capsys.readouterr().err
    assert said.count("'nope'") == 1


def test_restore_says_a_compressed_table_is_compressed_again(tmp_path, capsys):
    # gzip's header holds a time: the restored file's content is the original's, its container need not be.
    from dedup.__main__ import main

    (tmp_path / "in").mkdir()
    source = tmp_path / "in" / "c.jsonl.gz"
    source.write_bytes(gzip.compress(_jsonl(ROWS), mtime=1234567890))
    assert main([str(source), "--clean", str(tmp_path / "out"), "--quiet"]) == 0
    assert main(["restore", str(tmp_path / "out"), "--out", str(tmp_path / "back")]) == 0
    said = capsys.readouterr().out
    assert "(1 compressed, e.g. c.jsonl.gz: their content byte for byte, compressed again" in said
    assert gzip.decompress((tmp_path / "back" / "c.jsonl.gz").read_bytes()) == gzip.decompress(source.read_bytes())
    # Counted from the manifest: a compressed file of the folder copied as it is, or one already in a --force
    # target, is not compressed again.
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "a.jsonl").write_bytes(_jsonl(ROWS))
    (shards / "notes.txt.gz").write_bytes(gzip.compress(b"not a table"))
    assert main([str(shards), "--clean", str(tmp_path / "out2"), "--quiet"]) == 0
    (tmp_path / "back2").mkdir()
    (tmp_path / "back2" / "old.jsonl.gz").write_bytes(b"")
    assert main(["restore", str(tmp_path / "out2"), "--out", str(tmp_path / "back2"), "--force"]) == 0
    said = capsys.readouterr().out
    assert "restored 2 files" in said and "compressed again" not in said


@pytest.mark.parametrize("unit", ["document", "paragraph"])
@pytest.mark.parametrize("name", FORMATS)
def test_clean_and_restore_round_trip(tmp_path, name, unit):
    (tmp_path / "in").mkdir()
    source = _write(tmp_path / "in", name)
    cleaned = dedup.clean(source, unit=unit)
    out = tmp_path / "clean"
    write_cleaned_tabular(cleaned, source, out)
    rows = {str(r["id"]): r for r in _rows_of(out / name)}
    if unit == "document":
        assert "10" not in rows and rows["9"]["text"] == A  # the duplicate row is gone, the kept one stays
    else:
        assert rows["10"]["text"] == "" and rows["13"]["text"] == D + "\n"
        assert rows["11"]["text"] == B + "\n" + C
    assert all(r["url"].startswith("http") for r in rows.values())
    if ".csv" not in name:
        assert rows["12"]["text"] is None  # an error row is copied as it was
    log = [json.loads(line) for line in (out / "removed.jsonl").read_text("ascii").splitlines()]
    assert {str(e["id"]) for e in log} == ({"10"} if unit == "document" else {"10", "13"})
    back = tmp_path / "back"
    assert restore_tabular(out, back) == 1
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        assert pq.read_table(back / name).equals(pq.read_table(source))
    else:
        assert _content(back / name) == _content(source)


def test_unchanged_rows_keep_their_bytes_and_csv_stays_csv(tmp_path):
    source = tmp_path / "c.csv"
    source.write_bytes(_csv([r for r in ROWS if r["text"]], terminator="\r\n"))
    cleaned = dedup.clean(source)
    write_cleaned_tabular(cleaned, source, tmp_path / "out")
    original = source.read_bytes().split(b"\r\n")
    after = (tmp_path / "out" / "c.csv").read_bytes().split(b"\r\n")
    assert after[0] == original[0] and after[1] == original[1]  # header and an untouched row
    assert [r["id"] for r in csv.DictReader(io.StringIO((tmp_path / "out" / "c.csv").read_text()))] == [
        "9", "10", "11", "13", "14"]


def _rehash(folder: Path, name: str, field: str = "cleaned_sha256") -> None:
    """Record the present hash and size of *name* in the manifest, as a careful forger would."""
    manifest = json.loads((folder / "files.json").read_text("ascii"))
    data = (folder / name).read_bytes()
    entry = manifest["log"] if name == "removed.jsonl" else next(f for f in manifest["files"] if f["path"] == name)
    size_field = "size" if field == "sha256" else "cleaned_size"
    entry.update({field: hashlib.sha256(data).hexdigest(), size_field: len(data)})
    (folder / "files.json").write_text(json.dumps(manifest), "ascii")


def _edit(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


TAMPERING = {
    "cleaned file edited": (lambda out: _edit(out / "c.jsonl", E.encode(), "改过的文字".encode()),
                            r"c\.jsonl: differs from the cleaned file recorded in files\.json"),
    "log edited": (lambda out: _edit(out / "removed.jsonl", b'"id": 10', b'"id": 99'),
                   r"removed\.jsonl: differs from the log recorded in files\.json"),
    "cleaned file and its hash edited": (
        lambda out: (_edit(out / "c.jsonl", E.encode(), "改过的文字".encode()), _rehash(out, "c.jsonl")),
        r"c\.jsonl: the restored file differs from the original recorded in files\.json"),
    "log and its hash edited": (
        lambda out: ((out / "removed.jsonl").write_bytes(b"{not json\n"), _rehash(out, "removed.jsonl", "sha256")),
        r"removed\.jsonl line 1: not valid JSON"),
    "a path that leaves the target": (
        lambda out: (out / "files.json").write_text(
            (out / "files.json").read_text("ascii").replace('"path": "c.jsonl"', '"path": "../c.jsonl"'), "ascii"),
        r"files\.json: files\[0\]: path '\.\./c\.jsonl' has an empty, '\.' or '\.\.' part; restore writes only inside"),
}


@pytest.mark.parametrize("tampering", TAMPERING)
def test_restore_refuses_a_tampered_cleaned_folder(tmp_path, tampering):
    (tmp_path / "in").mkdir()
    source = _write(tmp_path / "in", "c.jsonl")
    out, back = tmp_path / "out", tmp_path / "work" / "back"
    write_cleaned_tabular(dedup.clean(source), source, out)
    assert json.loads((out / "files.json").read_text("ascii"))["format"] == "dedup-clean-tables"
    change, message = TAMPERING[tampering]
    change(out)
    with pytest.raises(IntegrityError, match=message):
        restore_tabular(out, back)
    # Nothing written: no restored file, no staging folder, nothing outside the target.
    assert not (tmp_path / "work").exists() or list((tmp_path / "work").iterdir()) == []


def test_restore_refuses_a_parquet_file_edited_outside_its_text(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    source = _write(tmp_path, "c.parquet")
    out = tmp_path / "out"
    write_cleaned_tabular(dedup.clean(source, unit="document"), source, out)
    table = pq.read_table(out / "c.parquet")
    urls = table.column("url").to_pylist()
    pq.write_table(table.set_column(2, "url", pa_array([u.replace("http:", "https:") for u in urls])), out / "c.parquet")
    with pytest.raises(IntegrityError, match=r"c\.parquet: differs from the cleaned file recorded"):
        restore_tabular(out, tmp_path / "back")
    assert not (tmp_path / "back").exists()


def pa_array(values: list) -> object:
    import pyarrow as pa

    return pa.array(values)


def test_clean_force_replaces_only_an_earlier_output_whole(tmp_path):
    source = _write(tmp_path, "c.jsonl")
    cleaned = dedup.clean(source)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    with pytest.raises(UsageError, match="not an earlier dedup --clean output"):
        write_cleaned_tabular(cleaned, source, mine, force=True)
    assert [p.name for p in mine.iterdir()] == ["thesis.txt"]
    out = tmp_path / "out"
    write_cleaned_tabular(cleaned, source, out)
    (out / "stale.jsonl").write_text("from an earlier run")
    write_cleaned_tabular(cleaned, source, out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["c.jsonl", "files.json", "removed.jsonl"]
    assert restore_tabular(out, tmp_path / "back") == 1
    assert (tmp_path / "back" / "c.jsonl").read_bytes() == source.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if ".dedup-" in p.name] == []  # no staging folder left


def test_annotate_force_replaces_only_an_earlier_annotated_folder_whole(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    _write(tmp_path / "data", "a.jsonl", ROWS[:3])
    _write(tmp_path / "data" / "sub", "b.jsonl", ROWS[3:])
    result = dedup.find_duplicates(tmp_path / "data", unit="document")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    with pytest.raises(UsageError, match="not an earlier dedup --annotate output"):
        write_annotated(result, tmp_path / "data", mine, force=True)
    assert [p.name for p in mine.iterdir()] == ["thesis.txt"]
    out = tmp_path / "out"
    write_annotated(result, tmp_path / "data", out)
    with pytest.raises(UsageError, match="not empty"):
        write_annotated(result, tmp_path / "data", out)
    (tmp_path / "data" / "a.jsonl").unlink()  # the next run has fewer shards: none of the last run's stays
    write_annotated(dedup.find_duplicates(tmp_path / "data", unit="document"), tmp_path / "data", out, force=True)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        ".dedup-annotated.json", "sub/b.jsonl"]
    assert table_files(out).files[0][0] == "sub/b.jsonl"  # the mark is hidden: no shard


def test_shard_folder_clean_and_restore(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    _write(tmp_path / "data", "a.jsonl.gz", ROWS[:3])
    _write(tmp_path / "data" / "sub", "b.jsonl", [*ROWS[3:], {"id": 15, "text": A}])
    # The folder's other files are no corpus, and nothing is lost: copied as they are, and restored.
    (tmp_path / "data" / "README.md").write_bytes(b"# shards\n")
    (tmp_path / "data" / "sub" / "meta.yaml").write_bytes(b"rows: 6\r\n\xff")
    cleaned = dedup.clean(tmp_path / "data", unit="document")
    assert cleaned.result.skipped == ["README.md", "sub/meta.yaml"]
    write_cleaned_tabular(cleaned, tmp_path / "data", tmp_path / "out")
    assert [r["id"] for r in _rows_of(tmp_path / "out" / "sub" / "b.jsonl")] == [12, 13, 14]
    assert (tmp_path / "out" / "sub" / "meta.yaml").read_bytes() == b"rows: 6\r\n\xff"
    assert restore_tabular(tmp_path / "out", tmp_path / "back") == 4
    for name in ("a.jsonl.gz", "sub/b.jsonl"):  # compressed again: the content byte for byte
        assert _content(tmp_path / "back" / name) == _content(tmp_path / "data" / name)
    for name in ("README.md", "sub/meta.yaml"):
        assert (tmp_path / "back" / name).read_bytes() == (tmp_path / "data" / name).read_bytes()
    # The cleaned folder scanned again: its rows, not its manifest and log (skipped, as the other files).
    again = dedup.find_duplicates(tmp_path / "out", unit="document")
    assert {e.path for e in again.errors} == {"sub/b.jsonl"}  # its row with a null text, as in the input
    assert sorted({d.source for d in again.documents}) == ["a.jsonl.gz", "sub/b.jsonl"]
    assert again.skipped == ["README.md", "files.json", "removed.jsonl", "sub/meta.yaml"]
    with pytest.raises(UsageError, match="not empty"):
        write_cleaned_tabular(cleaned, tmp_path / "data", tmp_path / "out")
    with pytest.raises(UsageError, match="inside the input"):
        write_cleaned_tabular(cleaned, tmp_path / "data", tmp_path / "data" / "out")


def test_outputs_never_overwrite_the_input_file(tmp_path):
    source = _write(tmp_path, "c.jsonl")
    before = source.read_bytes()
    with pytest.raises(UsageError, match="would overwrite the input"):
        write_cleaned_tabular(dedup.clean(source), source, tmp_path, force=True)
    with pytest.raises(UsageError, match="would overwrite the input"):
        write_annotated(dedup.find_duplicates(source), source, source)
    assert source.read_bytes() == before


@pytest.mark.parametrize("name", ["t.parquet", "t.csv", "t.jsonl.gz"])
def test_passage_table(tmp_path, name):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    result = dedup.find_duplicates(_write(tmp_path, "c.jsonl"))
    write_table(result, tmp_path / name)
    rows = _rows_of(tmp_path / name)
    assert len(rows) == len(result.passages)
    by_place = {(str(r["doc"]), int(r["index"])): r for r in rows}
    near = by_place[("13", 0)]
    assert str(near["duplicate_of"]) == "11" and int(near["duplicate_of_index"]) == 0 and near["kind"] == "near"
    # Each passage names its row's file and place, which the document's id need not tell.
    assert near["file"] == "c.jsonl" and int(near["row"]) == [str(r["id"]) for r in ROWS].index("13")
    assert str(by_place[("11", 0)]["kept"]).lower() == "true" and str(near["kept"]).lower() == "false"
    # The near pair shares a cluster label; the table's labels are as many as the result's clusters.
    assert _int_or_none(near["cluster"]) is not None
    assert _int_or_none(near["cluster"]) == _int_or_none(by_place[("11", 0)]["cluster"])
    # The annotations written into the rows say the same of each passage as the table.
    per_document = {a["id"]: a["dedup_passages"] for a in row_annotations(result)}
    assert [p["cluster"] for p in per_document[13]] == [_int_or_none(by_place[("13", i)]["cluster"]) for i in range(3)]
    clusters = {str(r["cluster"]) for r in rows if str(r["cluster"]) not in ("", "None")}
    assert len(clusters) == len(result.clusters) + len(result.boilerplate_clusters)


def _int_or_none(value: object) -> int | None:
    return None if value in (None, "") else int(value)  # type: ignore[call-overload]


# ------------------------------------------------------------------------------------ properties
_LINES = st.sampled_from([A, B, B_NEAR, C, D, E, "短行", "  " + C + "  ", "引号\"和\\反斜杠/斜杠\t制表"])
_TEXTS = st.lists(_LINES, min_size=0, max_size=4).map("\n".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXTS, min_size=1, max_size=8), ascii_=st.booleans(), slash=st.booleans(),
       spaced=st.booleans(), unit=st.sampled_from(["document", "paragraph"]))
def test_jsonl_clean_restore_is_byte_exact(tmp_path_factory, texts, ascii_, slash, spaced, unit):
    folder = tmp_path_factory.mktemp("prop")
    lines = []
    for i, text in enumerate(texts):
        token = json.dumps(text, ensure_ascii=ascii_)
        token = token.replace("/", "\\/") if slash else token
        lines.append(f'{{"id": {i}, "text" : {token}}}' if spaced else f'{{"text":{token},"id":{i}}}')
    source = folder / "p.jsonl"
    source.write_bytes(("\n".join(lines) + "\n\n").encode("utf-8"))
    cleaned = dedup.clean(source, unit=unit)
    write_cleaned_tabular(cleaned, source, folder / "out")
    for row in _rows_of(folder / "out" / "p.jsonl"):  # every cleaned row is still JSON with the cleaned text
        assert row["text"] == cleaned.texts[str(row["id"])]
    restore_tabular(folder / "out", folder / "back")
    assert (folder / "back" / "p.jsonl").read_bytes() == source.read_bytes()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXTS, min_size=1, max_size=8), terminator=st.sampled_from(["\n", "\r\n"]),
       quote_all=st.booleans())
def test_csv_clean_restore_is_byte_exact(tmp_path_factory, texts, terminator, quote_all):
    folder = tmp_path_factory.mktemp("prop")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=terminator, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(["id", "text"])
    writer.writerows([i, text] for i, text in enumerate(texts))
    source = folder / "p.csv"
    source.write_bytes(buffer.getvalue().encode("utf-8"))
    cleaned = dedup.clean(source)
    write_cleaned_tabular(cleaned, source, folder / "out")
    assert [r["text"] for r in _rows_of(folder / "out" / "p.csv")] == [cleaned.texts[str(i)] for i in range(len(texts))]
    restore_tabular(folder / "out", folder / "back")
    assert (folder / "back" / "p.csv").read_bytes() == source.read_bytes()


_RAW_FIELDS = st.sampled_from(['""', "", "x", '"x"', '"a, b"', '"say ""hi"""', "3.10", '5" screen', '"a\rb"',
                              '"b"c'])  # the last no scan follows: its row is written whole again, and restored


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_RAW_FIELDS, _TEXTS | _TEXTS.map(lambda t: t.replace("\n", "\r")), st.booleans()),
                     min_size=1, max_size=8),
       terminator=st.sampled_from(["\n", "\r\n"]), last_ended=st.booleans())
def test_csv_clean_keeps_every_other_field_as_written(tmp_path_factory, rows, terminator, last_ended):
    """An edited row changes in its text field only: a quoted empty field stays ``""`` (an unquoted one
    reads as NULL in some loaders), unneeded quotes stay; the text keeps its quotes if it had them."""
    folder = tmp_path_factory.mktemp("prop")
    lines = ["id,extra,text"]
    for i, (extra, text, quoted) in enumerate(rows):
        needs = quoted or not text or any(c in text for c in ',"\r\n')
        lines.append(f"{i},{extra}," + ('"' + text.replace('"', '""') + '"' if needs else text))
    source = folder / "p.csv"
    source.write_bytes((terminator.join(lines) + (terminator if last_ended else "")).encode("utf-8"))
    cleaned = dedup.clean(source)
    write_cleaned_tabular(cleaned, source, folder / "out")
    written = (folder / "out" / "p.csv").read_bytes().decode("utf-8")
    assert [r["text"] for r in _rows_of(folder / "out" / "p.csv")] == [cleaned.texts[str(i)] for i in range(len(rows))]
    for i, (extra, text, quoted) in enumerate(rows):
        if extra == '"b"c':
            continue
        assert f"{terminator}{i},{extra}," in written
        if quoted and cleaned.texts[str(i)] != text:
            assert f'{terminator}{i},{extra},"' in written
    restore_tabular(folder / "out", folder / "back")
    assert (folder / "back" / "p.csv").read_bytes() == source.read_bytes()


def test_the_folder_functions_handle_tables_rightly(tmp_path):
    # write_cleaned refuses table rows (it would write a file a row); restore_folder restores tables.
    source = _write(tmp_path, "c.jsonl")
    cleaned = dedup.clean(source)
    with pytest.raises(UsageError, match="holds tables: write them back as tables with write_cleaned_tabular"):
        dedup.write_cleaned(cleaned, source, tmp_path / "rows")
    assert not (tmp_path / "rows").exists()
    write_cleaned_tabular(cleaned, source, tmp_path / "out")
    assert dedup.restore_folder(tmp_path / "out", tmp_path / "back") == 1
    assert (tmp_path / "back" / "c.jsonl").read_bytes() == source.read_bytes()
