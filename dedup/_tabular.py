"""Tables as corpora: JSON Lines, CSV/TSV and Parquet files (plain or compressed, one file or a
folder of shards), data frames, Arrow tables and Hugging Face datasets in; annotated copies,
cleaned copies, passage tables and restores out, each in the input's own format.

A row becomes a ``Document`` whose ``source`` and ``row`` say where it came from and whose
``key`` is its id as the table had it (``Document.id == str(key)``). Ids come from the id
field (default: a field ``id`` when there is one), else from the row number, counted from 0
across the whole input (files in path order). A row whose text is null or not a string is an
error entry naming its file and row; the run goes on.

JSON Lines and CSV are read with the standard library, line by line: memory stays bounded,
every row keeps its exact bytes (so a cleaned file differs from its input only where
something was cut, and ``restore_tabular`` gives the input back byte for byte), a broken
row is one error entry instead of a failed block, and no type is inferred (an id stays what
the row says). Parquet needs pyarrow (``pip install 'dedup[arrow]'``) and is read in record
batches of ``BATCH_ROWS``; ``.zst`` needs zstandard. pandas, polars and datasets are never
imported unless the caller passes one of their objects.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import dataclasses
import gzip
import hashlib
import importlib
import io
import itertools
import json
import math
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import numpy as np

from ._clean import Removal, restore
from ._errors import InputError, IntegrityError, OutputError, UsageError
from ._output import (
    LOG_NAME,
    MANIFEST_NAME,
    TABLES_FORMAT,
    StagedFile,
    Staging,
    Written,
    _SourceError,
    _target_arg,
    _target_mode,
    atomic_file,
    check_folder_target,
    check_outside,
    check_own_names,
    check_stored,
    json_reason,
    left_out,
    log_line,
    manifest_bytes,
    manifest_format,
    note_left_out,
    open_stored,
    read_manifest,
    record_problem,
    restore_target,
)
from ._read import Document, ReadError, _codec, _reason, folder_root, read_file
from ._report import counted

__all__ = [
    "BATCH_ROWS",
    "PassageLinks",
    "TableFormat",
    "TableSet",
    "check_annotated",
    "check_table_name",
    "passage_links",
    "read_objects",
    "read_path",
    "read_text_file",
    "restore_tabular",
    "row_annotations",
    "table_files",
    "table_format",
    "warn_if_jsonl",
    "write_annotated",
    "write_cleaned_tabular",
    "write_table",
]

# Rows per record batch: a batch of long documents is a few tens of MB at most.
BATCH_ROWS = 4096
# A cleaned Parquet file's dropped rows go to this folder of the output, under the file's own name.
REMOVED_ROWS = "removed_rows"
INPUT = "<input>"  # the "path" of error entries for data in memory

_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv",
            ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\x28\xb5\x2f\xfd", "zstd"))
_DEDUP_FIELDS = ("dedup_cluster", "dedup_keep", "dedup_duplicate_of", "dedup_kind", "dedup_similarity")
_PASSAGES_FIELD = "dedup_passages"
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


# ---------------------------------------------------------------------------------------- formats
@dataclass(frozen=True, slots=True)
class TableFormat:
    """How a table file is stored: ``jsonl``, ``csv``, ``tsv`` or ``parquet``, and its compression."""

    format: str
    compression: str | None = None

    @property
    def delimiter(self) -> str:
        """The field separator of CSV and TSV."""
        return "\t" if self.format == "tsv" else ","


def table_format(path: str | os.PathLike[str]) -> TableFormat | None:
    """The table format a file name announces, or ``None`` when it announces none.

    >>> table_format("data/train.jsonl.gz"), table_format("notes.txt")
    (TableFormat(format='jsonl', compression='gzip'), None)
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = _COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes.pop()
    fmt = _FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None or (fmt == "parquet" and compression):
        return None
    return TableFormat(fmt, compression)


def _sniff(path: Path) -> TableFormat | None:
    """The table format of a file whose name says nothing, from its first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
        if head == b"PAR1":
            return TableFormat("parquet")
        compression = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
        with _reading(path, compression) as (stream, _):
            first = stream.readline(1 << 20)
    except (OSError, EOFError, ImportError, ValueError):
        return None
    return TableFormat("jsonl", compression) if _json_object_line(first) else None


def _json_object_line(line: bytes | str) -> bool:
    stripped = line.strip()
    if stripped[:1] not in (b"{", "{"):
        return False
    try:
        return isinstance(json.loads(stripped), dict)
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class TableSet:
    """The table files of an input in corpus order (``(name, path, format)``; names are POSIX paths
    relative to the folder, the file name for a single file), what could not be walked, and
    the files left out."""

    files: list[tuple[str, Path, TableFormat]]
    errors: list[ReadError] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)


def check_table_encoding(encoding: str | None) -> None:
    """Refuse (``UsageError``) an *encoding* other than UTF-8 for a table: JSON Lines, CSV and Parquet are read as
    UTF-8, and a table given another encoding would be read as rows that are all errors.

    >>> check_table_encoding("utf8")
    >>> check_table_encoding("gb18030")
    Traceback (most recent call last):
    ...
    dedup._errors.UsageError: --encoding gb18030 applies to text files; tables (JSON Lines, CSV, Parquet) are read as UTF-8: convert the table first, e.g. iconv -f gb18030 -t UTF-8
    """
    if encoding is not None and _codec(encoding) not in ("utf-8", "utf-8-sig"):
        raise UsageError(f"--encoding {encoding} applies to text files; tables (JSON Lines, CSV, Parquet) are read "
                         f"as UTF-8: convert the table first, e.g. iconv -f {encoding} -t UTF-8")


def table_files(corpus: str | os.PathLike[str], include: str | Iterable[str] | None = None) -> TableSet | None:
    """The table files *corpus* names; ``None`` when it is not a table: a folder of text files,
    a text file, or a folder or file that does not exist.

    A file is a table by its name (``.jsonl``, ``.ndjson``, ``.json``, ``.csv``, ``.tsv``,
    ``.parquet``, each but Parquet also ``.gz``/``.bz2``/``.zst``) or, when its name says
    nothing and it is not ``.txt``, by its content. A folder is a folder of shards when the
    files *include* matches are tables, or when no file matches *include* (default: the
    text patterns of ``read_folder``, README files not counted) and table files are there.
    Hidden files are skipped.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "part-0.jsonl").write_text('{"text": "一"}\\n', "utf-8")
    >>> _ = (folder / "README.md").write_text("about the data", "utf-8")
    >>> found = table_files(folder)
    >>> [name for name, _, _ in found.files], found.skipped
    (['part-0.jsonl'], ['README.md'])
    """
    from ._read import include_matcher, walk_folder

    root = Path(corpus)
    if root.is_file():
        fmt = table_format(root)
        if fmt is None and root.suffix.lower() != ".txt":
            fmt = _sniff(root)
        return TableSet([(root.name, root, fmt)]) if fmt else None
    if not root.is_dir():
        if table_format(root) is not None:
            raise InputError(f"{corpus}: no such file")
        return None
    entries, errors = walk_folder(root)
    visible = [e for e in entries if not any(part.startswith(".") for part in e.id.split("/"))]
    if manifest_format(root) == TABLES_FORMAT:  # a --clean output: its manifest and log are no data
        visible = [e for e in visible if e.id not in (MANIFEST_NAME, LOG_NAME)
                   and not e.id.startswith(f"{REMOVED_ROWS}/")]
    matches = include_matcher(include)
    chosen = [e for e in visible if matches(e.id)]
    if include is None:
        # A dataset's README is no corpus: a folder of shards and a README is a folder of shards.
        chosen = [e for e in chosen if not e.id.rsplit("/", 1)[-1].lower().startswith("readme")]
    if not chosen:
        chosen = [e for e in visible if table_format(e.id) is not None]
    kinds = [(e, table_format(e.id)) for e in chosen]
    if not any(fmt for _, fmt in kinds):
        return None
    text = [e.id for e, fmt in kinds if fmt is None]
    if text:
        shown = ", ".join(text[:3]) + (", ..." if len(text) > 3 else "")
        raise UsageError(f"{corpus}: the files to read are tables and other files ({shown}); choose one kind "
                         f"with --include")
    files = [(e.id, Path(e.path), fmt) for e, fmt in kinds if fmt is not None]
    taken = {e.id for e in chosen}
    return TableSet(files, list(errors), [e.id for e in entries if e.id not in taken])


@contextmanager
def _reading(path: Path, compression: str | None, guarded: bool = False) -> Iterator[tuple[Any, BinaryIO]]:
    """The decompressed content of *path* as a buffered stream, and the raw file (whose position
    tells how far reading has come). *guarded*: a file that cannot be opened raises ``_ReadFailure``
    (an output being written from it copies what it can, and says so), not ``OSError``."""
    with ExitStack() as stack:
        with _read_failures() if guarded else nullcontext():
            raw = stack.enter_context(open(path, "rb"))
        if compression is None:
            yield raw, raw
        elif compression == "gzip":
            yield stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb")), raw
        elif compression == "bz2":
            yield stack.enter_context(bz2.BZ2File(raw, "rb")), raw
        else:
            reader = _zstandard().ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)
            yield stack.enter_context(io.BufferedReader(reader, 1 << 16)), raw


@contextmanager
def _compressing(handle: BinaryIO, compression: str | None) -> Iterator[Any]:
    """A stream that writes into *handle*, compressed as asked."""
    if compression is None:
        yield handle
    elif compression == "gzip":
        # mtime 0 and no file name: the same content always compresses to the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, compresslevel=6, mtime=0) as out:
            yield out
    elif compression == "bz2":
        with bz2.BZ2File(handle, "wb") as out:
            yield out
    else:
        with _zstandard().ZstdCompressor().stream_writer(handle, closefd=False) as out:
            yield out


def _extra(module: str, needed_for: str) -> Any:
    """The optional *module* of the ``arrow`` extra, or an ``ImportError`` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{needed_for} need {module.split('.')[0]}: pip install 'dedup[arrow]'") from None


def _zstandard() -> Any:
    return _extra("zstandard", ".zst files")


def _parquet() -> Any:
    return _extra("pyarrow.parquet", "Parquet files")


def _pyarrow() -> Any:
    return _extra("pyarrow", "Arrow tables")


# ------------------------------------------------------------------------------------ row scanning
@dataclass(frozen=True, slots=True)
class _Segment:
    """A stretch of a JSON Lines or CSV file in order: a row, the CSV header, or a blank line.

    ``raw`` is its exact bytes; ``number`` counts segments from 0 (blank lines and the header too),
    so a removed row can be put back exactly where it was. A row has ``row`` (0-based), ``line``
    (1-based, where it starts), and either ``fields`` or an ``error``.
    """

    raw: bytes
    number: int
    kind: str  # "row", "header" or "blank"
    row: int = -1
    line: int = 0
    fields: dict[str, Any] | None = None
    values: list[str] | None = None  # CSV: the row's fields in order
    error: str | None = None


def _segments(stream: BinaryIO, fmt: TableFormat) -> Iterator[_Segment]:
    return _jsonl_segments(stream) if fmt.format == "jsonl" else _csv_segments(stream, fmt.delimiter)


_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _jsonl_segments(stream: BinaryIO) -> Iterator[_Segment]:
    row = 0
    for number, raw in enumerate(stream):
        if not raw.strip():
            yield _Segment(raw, number, "blank")
            continue
        fields, error = None, None
        try:
            value = json.loads(raw)
        except ValueError as exc:  # bad JSON or bad UTF-8
            # (Some of json's messages end in "at" already: "Invalid control character at".)
            error = f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.pos + 1})" \
                if isinstance(exc, json.JSONDecodeError) \
                else "not UTF-8"
        else:
            if isinstance(value, dict):
                fields = value
            else:
                error = f"a JSON {_JSON_TYPES.get(type(value), 'value')}, not an object"
        yield _Segment(raw, number, "row", row, number + 1, fields, None, error)
        row += 1


def _csv_segments(stream: BinaryIO, delimiter: str) -> Iterator[_Segment]:
    consumed: list[bytes] = []
    undecodable = [False]

    def lines() -> Iterator[str]:
        # Fed to csv.reader one line at a time; a record's bytes are the lines it took.
        for position, raw in enumerate(stream):
            consumed.append(raw)
            if position == 0 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                undecodable[0] = True
                yield raw.decode("utf-8", "replace")

    _allow_long_fields()
    reader = csv.reader(lines(), delimiter=delimiter, strict=False)
    header: list[str] | None = None
    row, line, number = 0, 1, -1
    for number, values in enumerate(reader):
        raw, bad = b"".join(consumed), undecodable[0]
        consumed.clear()
        undecodable[0] = False
        start, line = line, reader.line_num + 1
        if not values:
            yield _Segment(raw, number, "blank")
        elif header is None:
            header = values
            yield _Segment(raw, number, "header", values=values)
        else:
            error = "not UTF-8" if bad else (f"has {counted(len(values), 'field')} where the header has {len(header)}"
                                             if len(values) != len(header) else None)
            yield _Segment(raw, number, "row", row, start, None if error else dict(zip(header, values, strict=True)),
                           values, error)
            row += 1
    if consumed:  # only an unterminated quote leaves lines behind; keep their bytes
        yield _Segment(b"".join(consumed), number + 1, "blank")


def _allow_long_fields() -> None:
    # A document is one CSV field; the csv module's default cap (131,072 characters) is too small.
    if csv.field_size_limit() < 2**31 - 1:
        csv.field_size_limit(2**31 - 1)


# ------------------------------------------------------------------------------------ rows to documents
def _where(row: int, line: int = 0, key: Any = _MISSING) -> str:
    notes = ([f"line {line}"] if line else []) + ([f"id {key!r}"] if key is not _MISSING else [])
    return f"row {row}" + (f" ({', '.join(notes)})" if notes else "")


def _row_item(source: str, row: int, text: Any, key: Any, text_field: str, id_field: str | None,
              line: int = 0, numbered: bool = False) -> Document | ReadError:
    """The document of one row, or the error entry saying why it is none. A *numbered* row's id (*key*)
    is its number across all the tables read: its error entry leaves it out (``row`` and ``line`` say
    where the row is), so that what one file's rows say does not depend on the files before it."""
    path = source or INPUT
    if not numbered:
        if key is _MISSING:
            return ReadError(path, f"{_where(row, line)}: no id field {id_field!r}")
        if key is None or (isinstance(key, float) and math.isnan(key)):
            return ReadError(path, f"{_where(row, line)}: id is null")
        if isinstance(key, (list, tuple, dict, set, bytearray)):
            return ReadError(path, f"{_where(row, line)}: id is {_a(type(key).__name__)}, not a scalar")
    where = _where(row, line) if numbered else _where(row, line, key)
    if text is _MISSING:
        return ReadError(path, f"{where}: no field {text_field!r}")
    if not isinstance(text, str):
        what = "null" if text is None else "missing (NaN)" if isinstance(text, float) and math.isnan(text) \
            else _a(type(text).__name__)
        return ReadError(path, f"{where}: text is {what}, not a string")
    return Document(str(key), text, "utf-8", source, row, key)


_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _scalar(value: Any) -> Any:
    # numpy scalars (from frames) become plain Python values, so ids print and serialise as usual.
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


def read_path(tables: list[tuple[str, Path, TableFormat]], text_field: str = "text", id_field: str | None = None,
              progress: bool = False, numbers: Iterator[int] | None = None) -> Iterator[Document | ReadError]:
    """Every row of the table files *tables* (from ``table_files``), in order, as documents or error entries.

    A file that cannot be opened or breaks off (truncated, corrupt) is one error entry; the
    rows read from it before stay. Rows of a table without an id column take their id from
    *numbers*, which every row of every file advances (default: 0, 1, 2, ...).
    """
    numbers = itertools.count() if numbers is None else numbers
    bar = _ByteBar(sum(path.stat().st_size for _, path, _ in tables), progress)
    try:
        for name, path, fmt in tables:
            try:
                if fmt.format == "parquet":
                    yield from _read_parquet(name, path, text_field, id_field, numbers)
                else:
                    yield from _read_lines(name, path, fmt, text_field, id_field, numbers, bar)
            except ImportError:
                raise
            except Exception as exc:
                if not _cannot_read(exc):
                    raise
                yield ReadError(name, _reason(exc) if isinstance(exc, _READ_ERRORS) else f"cannot be read: {exc}")
            bar.done_file(path)
    finally:
        bar.close()


class _ByteBar:
    """A progress bar over the bytes of the input files (compressed bytes for compressed files)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        self.base = 0
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="read", unit="B", unit_scale=True, file=sys.stderr, leave=False,
                            dynamic_ncols=True)

    def at(self, position: int) -> None:
        if self.bar is not None:
            self.bar.update(self.base + position - self.bar.n)

    def done_file(self, path: Path) -> None:
        if self.bar is not None:
            self.base += path.stat().st_size
            self.at(0)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _read_lines(name: str, path: Path, fmt: TableFormat, text_field: str, id_field: str | None,
                numbers: Iterator[int], bar: _ByteBar) -> Iterator[Document | ReadError]:
    id_key: str | None = id_field or None  # "": the rows are numbered
    decided = id_field is not None or fmt.format != "jsonl"
    # Rows without the text field wait here until one has it: if none has, the file gets one entry. So do rows
    # without the id field.
    waiting: list[ReadError] = []
    id_waiting: list[ReadError] = []
    id_seen = False
    good = False
    first_fields: list[str] = []
    with _reading(path, fmt.compression) as (stream, raw):
        for segment in _segments(stream, fmt):
            if segment.kind == "header":
                header = segment.values or []
                if id_field is None:
                    id_key = "id" if "id" in header else None
                _check_columns(header, text_field, id_key, id_field is not None)
                continue
            if segment.kind != "row":
                continue
            if segment.row == 0 and segment.raw.lstrip().startswith(b"["):
                raise ValueError("a JSON array, not JSON Lines (one object a line); convert it, e.g. jq -c '.[]'")
            number = next(numbers)
            if segment.row % 1024 == 0:
                bar.at(raw.tell())
            if segment.error is not None:
                yield ReadError(name, f"{_where(segment.row, segment.line)}: {segment.error}")
                continue
            fields = segment.fields or {}
            first_fields = first_fields or list(fields)
            if not decided:
                id_key, decided = ("id" if "id" in fields else None), True
            key = fields.get(id_key, _MISSING) if id_key is not None else number
            text = fields.get(text_field, _MISSING)
            if fmt.format == "jsonl" and _LONE_SURROGATE.search(segment.raw):
                # An escape such as \udfff decodes to no character: no output could write it.
                broken = [field for field, value in ((text_field, text), (id_key, key))
                          if isinstance(value, str) and not _encodable(value)]
                if broken:
                    where = _where(segment.row, segment.line, *(() if id_key is None or id_key in broken else (key,)))
                    yield ReadError(name, f"{where}: {broken[0]} holds an unpaired "
                                          f"surrogate escape (\\ud800-\\udfff), not a character")
                    continue
            item = _row_item(name, segment.row, text, key, text_field, id_key, segment.line, id_key is None)
            if id_key is not None and not id_seen:  # rows without the id field wait as those without the text do
                if key is _MISSING:
                    id_waiting.append(item)  # type: ignore[arg-type]
                    continue
                id_seen = True
                yield from id_waiting
                id_waiting.clear()
            if text is _MISSING and key is not _MISSING and not good:
                waiting.append(item)  # type: ignore[arg-type]
                continue
            if isinstance(item, Document) and not good:
                good = True
                yield from waiting
                waiting.clear()
            yield item
    if waiting:
        yield ReadError(name, f"no row has the field {text_field!r} ({counted(len(waiting), 'row')}; fields of the first: "
                              f"{', '.join(first_fields)}); name the text field with --text-field")
    if id_waiting:
        yield ReadError(name, f"no row has the id field {id_key!r} ({counted(len(id_waiting), 'row')}; fields of the first: "
                              f"{', '.join(first_fields)}); name the id field with --id-field, or give '' to number "
                              f"the rows")


def _check_columns(names: list[str], text_field: str, id_key: str | None, id_named: bool) -> None:
    """``ValueError`` when a table's columns *names* lack the text or id column, or name the text column, or an id
    column the user named (*id_named*), twice (which of the two holds it would be anyone's guess; a column
    found by its name 'id' alone is taken as it was, its last)."""
    for column, option in ((text_field, "--text-field"), (id_key, "--id-field")):
        if column is None:
            continue
        if column not in names:
            raise ValueError(f"no column {column!r} (columns: {', '.join(names)}); name it with {option}")
        if names.count(column) > 1 and (column == text_field or id_named):
            raise ValueError(f"the header names {column!r} {names.count(column)} times; rename the columns apart")


def _encodable(text: str) -> bool:
    """Whether *text* can be written as UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_parquet(name: str, path: Path, text_field: str, id_field: str | None,
                  numbers: Iterator[int]) -> Iterator[Document | ReadError]:
    parquet = _parquet().ParquetFile(path)
    names = parquet.schema_arrow.names
    id_key = (id_field or None) if id_field is not None else ("id" if "id" in names else None)
    _check_columns(names, text_field, id_key, id_field is not None)
    columns = [text_field] + ([id_key] if id_key not in (None, text_field) else [])
    row = 0
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        texts = batch.column(text_field).to_pylist()
        keys = batch.column(id_key).to_pylist() if id_key is not None else None
        for i, text in enumerate(texts):
            number = next(numbers)
            yield _row_item(name, row, text, keys[i] if keys is not None else number, text_field, id_key, 0,
                            keys is None)
            row += 1


def read_text_file(path: Path, encoding: str | None = None) -> Iterator[Document | ReadError]:
    """A single text file as a corpus of one document (id: its file name), warning when it looks like JSON Lines."""
    found = read_file(path.name, path, encoding)
    warn_if_jsonl([item for item in found if isinstance(item, Document)])
    yield from found


def warn_if_jsonl(documents: Iterable[Document]) -> None:
    """Warn when text files look like JSON Lines: read as text, their ids and URLs would be paragraphs too.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_jsonl([Document("a.txt", '{"id": 1, "text": "x"}\\n{"id": 2, "text": "y"}\\n')])
    >>> "a.txt looks like JSON Lines" in str(caught[0].message)
    True
    """
    names = [d.id for d in documents if _looks_like_jsonl(d.text)]
    if names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        verb = "looks" if len(names) == 1 else "look"
        warnings.warn(f"{shown} {verb} like JSON Lines (a JSON object a line) but {'is' if verb == 'looks' else 'are'} "
                      f"read as plain text, field names, ids and URLs included; name such files *.jsonl to read "
                      f"one document a row", UserWarning, stacklevel=4)


def _looks_like_jsonl(text: str, lines: int = 3) -> bool:
    start, seen = 0, 0
    while seen < lines and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        start = end + 1
        if not line.strip():
            continue
        if not _json_object_line(line):
            return False
        seen += 1
    return seen > 0


# ------------------------------------------------------------------------------------ data in memory
def read_objects(corpus: Any, text_field: str = "text", id_field: str | None = None) -> Iterator[Document | ReadError]:
    """Rows of data in memory, in order: a pandas or polars DataFrame, a pyarrow Table, RecordBatch or
    reader, a Hugging Face ``Dataset``/``IterableDataset``, a mapping of id to text, or an iterable
    of dicts, ``(id, text)`` pairs and ``Document`` objects (passed on as they are).

    The row number (the default id) is the position: a DataFrame's index is not used.

    >>> [d.key for d in read_objects([{"text": "a"}, {"text": "b"}])]
    [0, 1]
    >>> [str(item) if isinstance(item, ReadError) else item.id for item in read_objects([("a", "x"), "stray"])]
    ['a', "ReadError(path='<input>', error='row 1: a str, not a dict, an (id, text) pair or a Document')"]
    """
    if corpus is None or isinstance(corpus, (bytes, bytearray, memoryview)):
        raise UsageError(f"{type(corpus).__name__} is no corpus: give a folder or file path (a str or Path), data "
                         f"rows ((id, text) pairs, dicts, a data frame) or Documents")
    batches = _frame_batches(corpus, text_field, id_field)
    if batches is not None:
        id_key, parts = batches
        row = 0
        for texts, keys in parts:
            for i, text in enumerate(texts):
                key = _scalar(keys[i]) if keys is not None else row
                yield _row_item("", row, text, key, text_field, id_key)
                row += 1
        return
    if not isinstance(corpus, Iterable):
        finished = type(corpus).__name__ in ("Result", "Cleaned")
        raise UsageError(f"{_a(type(corpus).__name__)} is no corpus" + (
            " (a finished run: give it to clean, explain or a report writer, or give the corpus again)" if finished
            else ": give a folder or file path (a str or Path), data rows ((id, text) pairs, dicts, a data frame) "
                 "or Documents"))
    if isinstance(corpus, Mapping):
        corpus = corpus.items()
    id_key, decided = id_field or None, id_field is not None
    # Dict rows without the text field wait until one has it: if none has, the field was misnamed (one error).
    waiting: list[Document | ReadError] | None = []
    first_fields: list[str] = []
    for row, item in enumerate(corpus):
        if waiting and not isinstance(item, Mapping):  # rows of other kinds: the field is not misnamed for all
            yield from waiting
        if not isinstance(item, Mapping):
            waiting = None
        if isinstance(item, Document):
            yield item
        elif isinstance(item, Mapping):
            if not decided:
                id_key, decided = ("id" if "id" in item else None), True
            key = item.get(id_key, _MISSING) if id_key is not None else row
            found = _row_item("", row, item.get(text_field, _MISSING), key, text_field, id_key)
            first_fields = first_fields or [str(k) for k in item]
            if waiting is not None and text_field not in item:
                waiting.append(found)
                continue
            if waiting:
                yield from waiting
            waiting = None
            yield found
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            yield _row_item("", row, item[1], item[0], text_field, id_key)
        elif row == 0 and isinstance(item, str):  # texts, or paths? neither is guessed
            if hasattr(corpus, "columns"):  # a table dedup does not read (dask, modin): its column names
                raise UsageError(f"a {type(corpus).__module__.split('.')[0]} {type(corpus).__name__} is not read "
                                 f"directly: pass it as pandas (e.g. .compute() or .to_pandas()), or its rows as dicts")
            raise UsageError(f"a {type(corpus).__name__} of strings: give (id, text) pairs, e.g. "
                             f"list(enumerate(texts)), or dicts, or a folder or file path as one string")
        else:
            yield ReadError(INPUT, f"row {row}: {_a(type(item).__name__)}, not a dict, an (id, text) pair or a "
                                   f"Document")
    if waiting:
        raise UsageError(f"no row has the field {text_field!r} ({counted(len(waiting), 'row')}; "
                         f"fields of the first: {', '.join(first_fields)}); name the text field with text_field=")


Batches = Iterator[tuple[list[Any], list[Any] | None]]


def _frame_batches(obj: Any, text_field: str, id_field: str | None) -> tuple[str | None, Batches] | None:
    """``(id column, batches of (texts, ids))`` of a data frame, table or dataset; ``None`` for anything else.

    Recognised by the class's module, so pandas, polars, pyarrow and datasets are only
    ever used when the caller has them already.
    """
    module, name = type(obj).__module__.split(".")[0], type(obj).__name__
    if module == "datasets" and name in ("DatasetDict", "IterableDatasetDict"):
        raise TypeError(f"a {name} holds several splits ({', '.join(obj)}); pass one, "
                        f"e.g. dataset[{next(iter(obj))!r}]")
    if module == "polars" and name == "LazyFrame":
        raise TypeError("a polars LazyFrame: pass frame.collect() (or collect it in slices)")
    columns = {"pandas": "columns", "polars": "columns", "pyarrow": "schema", "datasets": "column_names"}.get(module)
    if columns is None or not hasattr(obj, columns):  # a Series, an array: not a table
        return None
    if module == "datasets" and getattr(obj, "column_names", None) is None:
        return None  # an IterableDataset of unknown features: read it row by row, as dicts
    names = [str(c) for c in (obj.column_names if module == "datasets" else
                              obj.schema.names if module == "pyarrow" else obj.columns)]
    id_key = (id_field or None) if id_field is not None else ("id" if "id" in names else None)
    for column, option in ((text_field, "text_field"), (id_key, "id_field")):
        if column is not None and column not in names:
            raise UsageError(f"no column {column!r} (columns: {', '.join(names)}); name it with {option}=")
    wanted = [text_field] + ([id_key] if id_key not in (None, text_field) else [])

    def parts() -> Batches:
        if module == "pandas":
            for start in range(0, len(obj), BATCH_ROWS):
                part = obj.iloc[start:start + BATCH_ROWS]
                yield part[text_field].tolist(), part[id_key].tolist() if id_key is not None else None
        elif module == "polars":
            for part in obj.iter_slices(BATCH_ROWS):
                yield part[text_field].to_list(), part[id_key].to_list() if id_key is not None else None
        elif module == "pyarrow":
            batches = obj.to_batches(max_chunksize=BATCH_ROWS) if name == "Table" else [obj] \
                if name == "RecordBatch" else obj if name == "RecordBatchReader" \
                else obj.to_batches(columns=wanted, batch_size=BATCH_ROWS)  # a pyarrow.dataset
            for batch in batches:
                yield batch.column(text_field).to_pylist(), \
                    batch.column(id_key).to_pylist() if id_key is not None else None
        else:
            for batch in obj.select_columns(wanted).with_format(None).iter(batch_size=BATCH_ROWS):
                yield batch[text_field], batch[id_key] if id_key is not None else None

    return id_key, parts()


# ------------------------------------------------------------------------------------ what each passage is
@dataclass(frozen=True)
class PassageLinks:
    """Per passage of a result: ``cluster`` (its number: the index into ``result.clusters``,
    then ``result.boilerplate_clusters`` after them; -1 when in none), ``kept`` (the position of
    the passage its cluster keeps; itself when kept or alone), ``kind`` (``Kind`` code of its
    pair with the kept passage; -1 when kept or alone) and ``similarity`` (that pair's; NaN).
    """

    cluster: np.ndarray
    kept: np.ndarray
    kind: np.ndarray
    similarity: np.ndarray


def passage_links(result: Any) -> PassageLinks:
    """What each passage of *result* is: cluster number (from 1, in the order of ``Result.clusters``, then
    ``Result.boilerplate_clusters``; -1 for none), kept passage, and how it relates to it.

    The kind and similarity are those of the passage's own pair with the kept passage; a
    member linked to it only through others (a chain of near pairs) gets its strongest pair
    inside the cluster instead.
    """
    # Where to switch: once Result carries a per-passage duplicate_of, kind and similarity
    # (issue #12), take kept/kind/similarity from there and drop the pair look-ups below.
    n = len(result.passages)
    positions = np.arange(n)
    kept = np.asarray(result.kept_positions(), np.int64)
    cluster = np.full(n, -1, np.int64)
    groups = list(result.cluster_members()) + list(result.cluster_members(boilerplate=True))
    for number, members in enumerate(groups, start=1):  # as the text report and the HTML page number them
        cluster[members] = number
    kept = np.where(cluster >= 0, kept, positions)
    kind = np.full(n, -1, np.int8)
    similarity = np.full(n, np.nan)
    dup = np.flatnonzero(kept != positions)
    if len(dup) == 0 or len(result.pair_index) == 0:
        return PassageLinks(cluster, kept, kind, similarity)
    pairs = np.asarray(result.pair_index, np.int64).reshape(-1, 2)
    codes = np.asarray(result.kind)
    sims = np.asarray(result.similarity, np.float64)
    keys = np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1])
    order = np.argsort(keys, kind="stable")
    wanted = np.minimum(dup, kept[dup]) * n + np.maximum(dup, kept[dup])
    at = np.minimum(np.searchsorted(keys, wanted, sorter=order), len(keys) - 1)
    rows = order[at]
    direct = keys[rows] == wanted
    kind[dup[direct]] = codes[rows[direct]]
    similarity[dup[direct]] = sims[rows[direct]]
    chained = dup[~direct]
    if len(chained):
        # The strongest linking pair inside the cluster, for members with no pair to the kept one.
        linking = np.flatnonzero((cluster[pairs[:, 0]] == cluster[pairs[:, 1]]) & (cluster[pairs[:, 0]] >= 0))
        ends = np.concatenate((pairs[linking, 0], pairs[linking, 1]))
        rows_of = np.concatenate((linking, linking))
        best = np.lexsort((sims[rows_of], ends))
        last = np.flatnonzero(np.append(ends[best][1:] != ends[best][:-1], True))
        strongest = np.full(n, -1, np.int64)
        strongest[ends[best][last]] = rows_of[best][last]
        found = strongest[chained]
        kind[chained[found >= 0]] = codes[found[found >= 0]]
        similarity[chained[found >= 0]] = sims[found[found >= 0]]
    return PassageLinks(cluster, kept, kind, similarity)


class _Annotator:
    """The ``dedup_*`` values of each document of a result, computed from arrays on demand."""

    def __init__(self, result: Any, typed: bool = False) -> None:
        from ._result import Kind

        self.documents = result.documents
        self.passages = result.passages
        self.links = passage_links(result)
        self.labels = {int(k): k.label for k in Kind}
        doc_pos = np.asarray(self.passages.doc_pos)
        positions = np.arange(len(self.documents))
        self.first = np.searchsorted(doc_pos, positions, side="left")
        self.stop = np.searchsorted(doc_pos, positions, side="right")
        self.by_passage = result.config.get("unit") != "document"
        self.key_of = _key_function(self.documents, typed)

    def fields(self, d: int | None) -> dict[str, Any]:
        """The annotation of document *d* (``None``: a row that is an error entry)."""
        if self.by_passage:
            return {_PASSAGES_FIELD: [] if d is None else
                    [self._passage(i) for i in range(int(self.first[d]), int(self.stop[d]))]}
        if d is None or self.first[d] == self.stop[d]:
            return {**dict.fromkeys(_DEDUP_FIELDS), "dedup_keep": True}
        p = self._passage(int(self.first[d]))
        return {name: p[name.removeprefix("dedup_")] for name in _DEDUP_FIELDS}

    def _passage(self, i: int) -> dict[str, Any]:
        links, passages = self.links, self.passages
        k = int(links.kept[i])
        duplicate = k != i
        cluster = int(links.cluster[i])
        similarity = float(links.similarity[i])
        return {"index": int(passages.index_in_doc[i]), "line": int(passages.line[i]),
                "start": int(passages.start[i]), "end": int(passages.end[i]),
                "cluster": cluster if cluster >= 0 else None, "keep": not duplicate,
                "duplicate_of": self.key_of(self.documents[int(passages.doc_pos[k])]) if duplicate else None,
                "duplicate_of_index": int(passages.index_in_doc[k]) if duplicate else None,
                "kind": self.labels.get(int(links.kind[i])) if duplicate else None,
                "similarity": round(similarity, 6) if duplicate and not math.isnan(similarity) else None}


def _key_function(documents: list[Document], typed: bool) -> Callable[[Document], Any]:
    """The id to show for a document: its key (its str id when it has none). For a *typed* column
    (Parquet), keys of more than one type give way to the str ids."""
    if typed:
        kinds = {type(d.key) for d in documents}
        if len(kinds) > 1 or type(None) in kinds:
            return lambda d: d.id
    return lambda d: d.id if d.key is None else d.key


def row_annotations(result: Any) -> list[dict[str, Any]]:
    """One dict per document of *result*, in corpus order: ``id`` (the row's id value) and the
    ``dedup_*`` fields ``--annotate`` adds, ready for ``pandas.DataFrame(...)`` and a join.

    >>> import dedup
    >>> text = "同一段文字出现了两次。"
    >>> r = dedup.find_duplicates([{"id": 9, "text": text}, {"id": 10, "text": text}], unit="document")
    >>> [(a["id"], a["dedup_keep"], a["dedup_duplicate_of"]) for a in row_annotations(r)]
    [(9, True, None), (10, False, 9)]
    """
    annotator = _Annotator(result)
    return [{"id": annotator.key_of(d), **annotator.fields(i)} for i, d in enumerate(result.documents)]


# ------------------------------------------------------------------------------------ annotate
def _by_source(documents: list[Document]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, d in enumerate(documents):
        out.setdefault(d.source, []).append(i)
    return out


class _Cursor:
    """Walks the documents of one file in row order alongside a second reading of that file."""

    def __init__(self, documents: list[Document], positions: list[int]) -> None:
        self.documents, self.positions, self.at = documents, positions, 0

    def take(self, row: int) -> int | None:
        """The position of the document read from *row*, or ``None`` (the row was an error entry)."""
        while self.at < len(self.positions) and self.documents[self.positions[self.at]].row < row:
            self.at += 1
        if self.at < len(self.positions) and self.documents[self.positions[self.at]].row == row:
            self.at += 1
            return self.positions[self.at - 1]
        return None


def write_annotated(result: Any, source: str | os.PathLike[str], out: str | os.PathLike[str], *,
                    include: str | Iterable[str] | None = None, force: bool = False) -> list[Path]:
    """Write every row of the table *source* again to *out* with all its columns plus ``dedup_*`` ones;
    return the files written.

    Document unit: ``dedup_cluster``, ``dedup_keep``, ``dedup_duplicate_of`` (the kept row's id),
    ``dedup_kind``, ``dedup_similarity``. Other units: one list column ``dedup_passages`` with
    those values (and index, line, start, end) per passage. JSON Lines rows keep their
    bytes, the fields are added at the end; CSV gets columns on the right (lists as JSON);
    Parquet keeps its schema and gains typed columns. *out* is a file when *source* is one
    (its name's compression is used), a folder for a folder of shards: written as a unit
    (as ``--clean`` writes its output), into an empty folder, or with *force* in place of an earlier
    ``--annotate`` folder, whole (it holds the hidden ``ANNOTATED_MARK``; no other folder is replaced).

    >>> import json, pathlib, tempfile
    >>> from dedup import find_duplicates
    >>> table = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> _ = table.write_text("".join(f'{{"id": {k}, "text": "同一段文字，出现了两次。"}}\\n' for k in range(2)), "utf-8")
    >>> [p.name for p in write_annotated(find_duplicates(table, unit="document"), table, table.parent / "a.jsonl")]
    ['a.jsonl']
    >>> [(r["dedup_keep"], r["dedup_duplicate_of"]) for r in map(json.loads, (table.parent / "a.jsonl").read_text("utf-8").splitlines())]
    [(True, None), (False, 0)]
    """
    tables = check_annotated(source, out, include=include, force=force)
    source_path, target = Path(source), Path(out)
    # Parquet columns hold one type: ids of mixed types are written as strings there.
    annotator = _Annotator(result, typed=any(fmt.format == "parquet" for _, _, fmt in tables))
    groups = _by_source(result.documents)

    def annotate(name: str, path: Path, fmt: TableFormat, handle: BinaryIO, compression: str | None) -> None:
        cursor = _Cursor(result.documents, groups.get(name, []))
        if fmt.format == "parquet":
            _annotate_parquet(path, handle, cursor, annotator)
        else:
            _annotate_lines(path, fmt, handle, compression, cursor, annotator)

    if source_path.is_file():
        name, path, fmt = tables[0]
        out_fmt = table_format(target)
        assert out_fmt is not None  # check_annotated
        try:
            with atomic_file(target) as handle:
                annotate(name, path, fmt, handle, out_fmt.compression)
        except _ReadFailure as failure:
            raise InputError(f"{path}: cannot be read ({_failure_reason(failure)}); "
                             f"nothing was annotated") from None
        return [target]
    out_path, out_real = _target_arg(target)
    mode = _target_mode(out_path, out_real, force, replace=True, earlier=_annotated_before, what="--annotate")
    with Staging(out_path, out_real) as staging:
        staging.write(ANNOTATED_MARK, json.dumps({"format": "dedup-annotated", "files": [n for n, _, _ in tables]},
                                                 ensure_ascii=False).encode("utf-8") + b"\n")
        for name, path, fmt in tables:
            try:
                with staging.open(name) as handle:
                    annotate(name, path, fmt, handle, fmt.compression)
            except _ReadFailure as failure:
                # As --clean does: a shard that breaks off (as when it was read) is copied as it is.
                _copy_as_is(staging, name, path)
                warnings.warn(f"{name}: cannot be read ({_failure_reason(failure)}); "
                              f"copied unchanged, not annotated", stacklevel=2)
        staging.commit(mode)
    return [target / name for name, _, _ in tables]


def check_annotated(source: str | os.PathLike[str], out: str | os.PathLike[str], *,
                    include: str | Iterable[str] | None = None, force: bool = False) -> list[tuple[str, Path, TableFormat]]:
    """The table files ``write_annotated`` would annotate from *source* into *out*, once it is known that it can:
    ``UsageError`` when *source* is no table, *out* meets it, a file is named unlike the input, or a folder
    is not empty and *force* is not given. Nothing is written."""
    tables = _tables(source, include, "--annotate", out).files
    target = Path(out)
    if Path(source).is_file():
        if target.is_dir():
            raise OutputError(f"{target}: cannot write (is a folder, not a file)")
        fmt, out_fmt = tables[0][2], table_format(target)
        if out_fmt is None or out_fmt.format != fmt.format:
            raise UsageError(f"{target}: name the annotated file like the input ({fmt.format}), "
                             f"e.g. {Path(source).name}")
    else:
        check_folder_target(target, force, earlier=_annotated_before, what="--annotate")
    return tables


# A folder of annotated shards holds this hidden file: --force replaces such a folder (whole), and no other.
ANNOTATED_MARK = ".dedup-annotated.json"


def _annotated_before(folder: Path) -> bool:
    """Whether *folder* is an earlier ``--annotate`` output (it holds ``ANNOTATED_MARK``)."""
    mark = folder / ANNOTATED_MARK
    return mark.is_file() and not mark.is_symlink()


def check_table_name(path: str | os.PathLike[str]) -> TableFormat:
    """The format ``write_table`` writes *path* in, from its name; ``UsageError`` for a name it cannot write."""
    fmt = table_format(Path(path))
    if fmt is None:
        raise UsageError(f"{path}: name the passage table *.parquet, *.csv, *.tsv or *.jsonl")
    return fmt


def _tables(source: str | os.PathLike[str], include: str | Iterable[str] | None, option: str, target: Any
            ) -> TableSet:
    """The table files of *source* for *option*'s output *target*: ``UsageError`` when *source* is no table or
    *target* meets it."""
    found = table_files(source, include)
    if found is None:
        raise UsageError(f"{source}: {option} needs a table (JSON Lines, CSV/TSV or Parquet)")
    check_outside(target, source)
    return found



def _annotate_lines(path: Path, fmt: TableFormat, handle: BinaryIO, compression: str | None, cursor: _Cursor,
                    annotator: _Annotator) -> None:
    names = [_PASSAGES_FIELD] if annotator.by_passage else list(_DEDUP_FIELDS)
    # CSV: the dedup_ columns come after the longest row's fields (rows longer than the header are error
    # entries, but their fields stay), every row padded to them, so that each cell falls under its header.
    width = 0 if fmt.format == "jsonl" else _widest_row(path, fmt)
    with _reading(path, fmt.compression, guarded=True) as (stream, _), _compressing(handle, compression) as out:
        for segment in _read_guarded(_segments(stream, fmt)):
            if segment.kind == "header":
                clash = sorted(set(names) & set(segment.values or []))
                if clash:
                    raise UsageError(f"{path}: already has {', '.join(clash)} (an annotated file?); "
                                     f"annotate the original")
                header = len(segment.values or [])
                width = max(width, header)
                out.write(_csv_append(segment.raw, [""] * (width - header) + names, fmt.delimiter))
            elif segment.kind == "blank" or (fmt.format == "jsonl" and segment.fields is None):
                out.write(segment.raw)  # blank lines and rows that are not JSON objects stay as they are
            else:
                values = annotator.fields(cursor.take(segment.row))
                if fmt.format == "jsonl":
                    if _PASSAGES_FIELD in segment.fields or "dedup_keep" in segment.fields:  # type: ignore[operator]
                        raise UsageError(f"{path}: {_where(segment.row, segment.line)} already has dedup_ fields "
                                         f"(an annotated file?); annotate the original")
                    out.write(_json_append(segment.raw, values, bool(segment.fields)))
                else:
                    cells = [json.dumps(v, ensure_ascii=False) if isinstance(v, list) else
                             "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                             for v in values.values()]
                    out.write(_csv_append(segment.raw, [""] * (width - len(segment.values or [])) + cells,
                                          fmt.delimiter))


def _widest_row(path: Path, fmt: TableFormat) -> int:
    """The most fields a row of the CSV file *path* has (a first reading of it)."""
    with _reading(path, fmt.compression, guarded=True) as (stream, _):
        return max((len(segment.values or []) for segment in _read_guarded(_segments(stream, fmt))
                    if segment.kind == "row"), default=0)


def _json_append(raw: bytes, values: dict[str, Any], has_fields: bool) -> bytes:
    """*raw* (one JSON object and its line end) with *values* added as its last fields; nothing else changes."""
    body = raw.rstrip()
    close = body.rindex(b"}")
    added = json.dumps(values, ensure_ascii=raw.isascii(), separators=(", ", ": "))[1:-1].encode("utf-8")
    return body[:close].rstrip() + (b", " if has_fields else b"") + added + body[close:] + raw[len(body):]


def _csv_append(raw: bytes, cells: list[str], delimiter: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow(cells)
    body = raw.rstrip(b"\r\n")
    return body + delimiter.encode() + buffer.getvalue().encode("utf-8") + raw[len(body):]


def _annotate_parquet(path: Path, handle: BinaryIO, cursor: _Cursor, annotator: _Annotator) -> None:
    pa, pq = _pyarrow(), _parquet()
    parquet = _open_parquet(path)
    schema = parquet.schema_arrow
    id_type = _id_type(pa, annotator)
    if annotator.by_passage:
        passage = pa.struct([("index", pa.int32()), ("line", pa.int32()), ("start", pa.int64()),
                             ("end", pa.int64()), ("cluster", pa.int64()), ("keep", pa.bool_()),
                             ("duplicate_of", id_type), ("duplicate_of_index", pa.int32()),
                             ("kind", pa.string()), ("similarity", pa.float64())])
        added = [pa.field(_PASSAGES_FIELD, pa.list_(passage))]
    else:
        added = [pa.field("dedup_cluster", pa.int64()), pa.field("dedup_keep", pa.bool_()),
                 pa.field("dedup_duplicate_of", id_type), pa.field("dedup_kind", pa.string()),
                 pa.field("dedup_similarity", pa.float64())]
    clash = sorted({f.name for f in added} & set(schema.names))
    if clash:
        raise UsageError(f"{path}: already has {', '.join(clash)} (an annotated file?); annotate the original")
    out_schema = pa.schema(list(schema) + added, metadata=schema.metadata)
    with pq.ParquetWriter(handle, out_schema, compression=_parquet_codec(parquet)) as writer:
        row = 0
        for batch in _read_guarded(parquet.iter_batches(batch_size=BATCH_ROWS)):
            rows = [annotator.fields(cursor.take(row + i)) for i in range(batch.num_rows)]
            row += batch.num_rows
            columns = [pa.array([r[f.name] for r in rows], type=f.type) for f in added]
            writer.write_batch(pa.RecordBatch.from_arrays(list(batch.columns) + columns, schema=out_schema))


def _id_type(pa: Any, annotator: _Annotator) -> Any:
    documents = annotator.documents
    sample = [annotator.key_of(d) for d in documents[:1]]
    return pa.array(sample).type if sample and sample[0] is not None else pa.int64()


def _parquet_codec(parquet: Any) -> str:
    metadata = parquet.metadata
    if metadata.num_row_groups and metadata.num_columns:
        codec = str(metadata.row_group(0).column(0).compression).lower()
        return codec if codec in ("snappy", "gzip", "brotli", "zstd", "lz4", "none") else "snappy"
    return "snappy"


# ------------------------------------------------------------------------------------ passage table
_TABLE_COLUMNS = ("doc", "file", "row", "index", "line", "start", "end", "cluster", "kept", "duplicate_of",
                  "duplicate_of_index", "kind", "similarity", "boilerplate")


def write_table(result: Any, path: str | os.PathLike[str], chunk: int = 1 << 16) -> None:
    """Write one row per passage of *result* to *path* (``.parquet``, ``.csv``/``.tsv`` or ``.jsonl``,
    the last two also compressed): ``doc`` (the document's id value), ``file`` and ``row`` (a table row's
    file, relative to the input folder, and its row in it from 0; null for other documents), ``index``, ``line``,
    ``start``, ``end``, ``cluster`` (null: in none), ``kept``, ``duplicate_of`` and
    ``duplicate_of_index`` (the passage kept in its stead), ``kind``, ``similarity`` and
    ``boilerplate``. Written in chunks of *chunk* passages: time and memory grow linearly.

    >>> import pathlib, tempfile
    >>> from dedup import find_duplicates
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> write_table(find_duplicates([("a", "同一段文字，出现了两次。"), ("b", "同一段文字，出现了两次。")]), path)
    >>> path.read_text("utf-8").splitlines()[2]
    'b,,,0,1,0,12,1,false,a,0,exact,1.0,false'
    """
    target = Path(path)
    fmt = check_table_name(target)
    annotator = _Annotator(result, typed=fmt.format == "parquet")

    def chunks() -> Iterator[dict[str, list[Any]]]:
        passages, documents, key_of = result.passages, result.documents, annotator.key_of
        boilerplate = np.asarray(result.boilerplate, bool)
        for start in range(0, len(passages), chunk):
            stop = min(start + chunk, len(passages))
            rows = [annotator._passage(i) for i in range(start, stop)]
            columns = {name: [r[name] for r in rows] for name in _TABLE_COLUMNS[3:-1] if name != "kept"}
            docs = [documents[int(d)] for d in passages.doc_pos[start:stop]]
            yield {"doc": [key_of(d) for d in docs], "file": [d.source or None for d in docs],
                   "row": [d.row if d.source else None for d in docs], **columns,
                   "kept": [r["keep"] for r in rows], "boilerplate": boilerplate[start:stop].tolist()}

    if fmt.format == "parquet":
        pa, pq = _pyarrow(), _parquet()
        id_type = _id_type(pa, annotator)
        schema = pa.schema([("doc", id_type), ("file", pa.string()), ("row", pa.int64()), ("index", pa.int32()), ("line", pa.int32()), ("start", pa.int64()),
                            ("end", pa.int64()), ("cluster", pa.int64()), ("kept", pa.bool_()),
                            ("duplicate_of", id_type), ("duplicate_of_index", pa.int32()), ("kind", pa.string()),
                            ("similarity", pa.float64()), ("boilerplate", pa.bool_())])
        with atomic_file(target) as handle, pq.ParquetWriter(handle, schema) as writer:
            for columns in chunks():
                writer.write_table(pa.table({name: pa.array(columns[name], type=schema.field(name).type)
                                             for name in _TABLE_COLUMNS}, schema=schema))
            if not len(result.passages):
                writer.write_table(schema.empty_table())
        return
    with atomic_file(target) as handle, _compressing(handle, fmt.compression) as out:
        if fmt.format == "jsonl":
            for columns in chunks():
                lines = (json.dumps(dict(zip(_TABLE_COLUMNS, values, strict=True)), ensure_ascii=False) + "\n"
                         for values in zip(*(columns[name] for name in _TABLE_COLUMNS), strict=True))
                out.write("".join(lines).encode("utf-8"))
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=fmt.delimiter, lineterminator="\n")
            writer.writerow(_TABLE_COLUMNS)
            for columns in chunks():
                writer.writerows([("" if v is None else str(v).lower() if isinstance(v, bool) else v for v in values)
                                  for values in zip(*(columns[name] for name in _TABLE_COLUMNS), strict=True)])
                out.write(buffer.getvalue().encode("utf-8"))
                buffer.seek(0)
                buffer.truncate()
            out.write(buffer.getvalue().encode("utf-8"))


# ------------------------------------------------------------------------------------ clean and restore
_JSON_STYLES = ("utf8", "ascii", "ascii-slash", "utf8-slash")
_DECODER = json.JSONDecoder()


def _json_string(text: str, style: str) -> str:
    """*text* as a JSON string token in one of the styles writers use (pandas escapes ``/`` and non-ASCII)."""
    token = json.dumps(text, ensure_ascii=style.startswith("ascii"))
    return token.replace("/", "\\/") if style.endswith("slash") else token


def _json_field_span(line: str, field: str) -> tuple[int, int] | None:
    """Where the value of the top-level *field* sits in the JSON object *line* (its last occurrence, as
    ``json.loads`` takes), or ``None``.

    >>> line = '{"id": 1, "text": "a\\\\nb", "x": [1]}'
    >>> s, e = _json_field_span(line, "text"); line[s:e]
    '"a\\\\nb"'
    """
    i = _skip(line, 1 if line.startswith("\ufeff") else 0)
    if line[i:i + 1] != "{":
        return None
    i = _skip(line, i + 1)
    found = None
    while line[i:i + 1] == '"':
        key, i = _DECODER.raw_decode(line, i)
        i = _skip(line, i)
        if line[i:i + 1] != ":":
            return None
        i = _skip(line, i + 1)
        _, end = _DECODER.raw_decode(line, i)
        if key == field:
            found = (i, end)
        i = _skip(line, end)
        if line[i:i + 1] != ",":
            break
        i = _skip(line, i + 1)
    return found if line[i:i + 1] == "}" else None


def _skip(line: str, i: int) -> int:
    """The position of the first character at or after *i* that is not JSON whitespace."""
    while i < len(line) and line[i] in " \t\n\r":
        i += 1
    return i


def _text_span(line: str, field: str) -> tuple[int, int]:
    span = _json_field_span(line, field)
    if span is None:  # the row was read as an object with this field: the scanner must find it
        raise AssertionError(f"field {field!r} not found in a JSON row; please report this as a bug: {line[:200]!r}")
    return span


def _csv_record(values: list[str], delimiter: str, raw: bytes) -> bytes:
    """*values* as one CSV record the way Python's and pandas' writers put it, ending as *raw* ends."""
    ending = "\r\n" if raw.endswith(b"\r\n") else "\n" if raw.endswith(b"\n") else ""
    return (_csv_fields(values, delimiter) + ending).encode("utf-8")


def _csv_fields(values: list[str], delimiter: str, quote_all: bool = False) -> str:
    r"""*values* as the fields of one CSV record, no line end; any field holding a line break quoted (the writer
    quotes only the characters of its own line end: with ``\n`` it left a ``\r`` bare, and readers split there).

    >>> _csv_fields(["a\rb", "c"], ","), _csv_fields(["x"], ",", quote_all=True)
    ('"a\rb",c', '"x"')
    """
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n",
               quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerow(values)
    return buffer.getvalue()[:-2]


def _csv_with_text(raw: bytes, values: list[str], column: int, text: str, delimiter: str) -> bytes:
    r"""The CSV record *raw* (read as *values*) with *text* in field *column*; the other fields keep their
    bytes (a quoted empty field ``""`` stays quoted: some loaders read an unquoted one as NULL), and the
    field keeps its quotes if it had them. A record of a form the field scan does not follow is written
    whole again, as Python's writer puts it.

    >>> _csv_with_text(b'1,"",x y,"old text"\r\n', ["1", "", "x y", "old text"], 3, "new", ",")
    b'1,"",x y,"new"\r\n'
    >>> _csv_with_text(b'1,"",old\n', ["1", "", "old"], 2, "a, b", ",")
    b'1,"","a, b"\n'
    """
    line = raw.decode("utf-8")
    body = line.rstrip("\r\n")
    spans = _csv_field_spans(body, delimiter, values)
    if spans is None:
        return _csv_record([text if k == column else v for k, v in enumerate(values)], delimiter, raw)
    start, end = spans[column]
    field = _csv_fields([text], delimiter, quote_all=body[start:start + 1] == '"')
    return (body[:start] + field + body[end:] + line[len(body):]).encode("utf-8")


def _csv_field_spans(body: str, delimiter: str, values: list[str]) -> list[tuple[int, int]] | None:
    """Where each field of the CSV record *body* (no line end) lies, or None when the record is not of the
    plain form (fields quoted whole, or holding no quote) or its fields are not *values*.

    >>> _csv_field_spans('a,"b,""c"" d",', ",", ["a", 'b,"c" d', ""])
    [(0, 1), (2, 13), (14, 14)]
    >>> _csv_field_spans('a,b"c', ",", ["a", 'b"c'])  # a quote inside an unquoted field is a character
    [(0, 1), (2, 5)]
    >>> _csv_field_spans('a,"b"c', ",", ["a", "bc"]) is None  # text after a closing quote: not followed
    True
    """
    # Quoted whole, or not starting with a quote (then a quote inside is a character, as Python's reader takes it).
    d = re.escape(delimiter)
    field = re.compile(f'"[^"]*(?:""[^"]*)*"|(?:[^"{d}\\r\\n][^{d}\\r\\n]*)?')
    spans: list[tuple[int, int]] = []
    position = 0
    while True:
        found = field.match(body, position)
        assert found is not None  # the unquoted alternative matches the empty string
        spans.append(found.span())
        position = found.end()
        if position == len(body):
            break
        if body[position] != delimiter:
            return None
        position += 1
    fields = [body[a + 1:b - 1].replace('""', '"') if body[a:a + 1] == '"' else body[a:b] for a, b in spans]
    return spans if fields == values else None


def _text_column(header: list[str], field: str) -> int:
    """The column of *field* in a CSV header: the last of that name, the one a row's dict holds."""
    return len(header) - 1 - header[::-1].index(field)


@dataclass
class _FileLog:
    """What cleaning one file did: its log entries (spooled), rows kept and removed, and the digest of the
    original content (what restore must give back)."""

    entries: Any  # spooled: a file's entries reach the log only once the whole file was cleaned
    rows: int = 0
    dropped: int = 0
    edited: int = 0
    original: Any = dataclasses.field(default_factory=hashlib.sha256)

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.write(log_line(entry))


def write_cleaned_tabular(cleaned: Any, source: str | os.PathLike[str], target: str | os.PathLike[str], *,
                          text_field: str = "text", include: str | Iterable[str] | None = None,
                          force: bool = False) -> Written:
    """Write the cleaned table(s) of *cleaned* to the folder *target*, in the input's format, plus the log
    ``removed.jsonl`` and the manifest ``files.json`` for ``restore_tabular``.

    Document unit: a removed document's row is left out. Other units: the cut passages are
    taken out of the row's text field; the row stays (its other fields untouched). JSON
    Lines and CSV rows that change nothing keep their exact bytes, and an edited one changes in its text field
    only; Parquet keeps its schema.
    Rows that were error entries are copied unchanged. Each removal is logged with the row
    (JSON Lines and CSV: the removed row's bytes; Parquet: in ``removed_rows/``).

    The folder is a unit, as ``write_cleaned`` writes one: staged beside *target* and moved
    into place whole; an existing non-empty *target* needs *force* and must be an earlier
    ``--clean`` output. The manifest (format ``dedup-clean-tables``) records the hash and size
    of every file written and of the log, and the digest of what restore must give back (JSON
    Lines and CSV: the uncompressed bytes; Parquet: its text column).

    The folder's files that are no table read are copied as they are; so is a table that breaks off
    when read again (a warning says so: none of its removals is made). Returns what was written:
    ``Written.copied`` names the files copied unchanged.

    >>> import pathlib, tempfile
    >>> from dedup import clean
    >>> table = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> _ = table.write_text('{"text": "同一段文字，出现了两次。"}\\n' * 2, "utf-8")
    >>> write_cleaned_tabular(clean(table, unit="document"), table, table.parent / "out").files
    1
    >>> (table.parent / "out" / "t.jsonl").read_text("utf-8").count("\\n")  # the second row goes
    1
    """
    found = _tables(source, include, "--clean", target)
    tables = found.files
    # The folder's other files (no --include pattern matches them) are copied as they are, as for text files.
    others = [name for name in found.skipped if (Path(source) / name).is_file()] if Path(source).is_dir() else []
    check_own_names([*(name for name, _, _ in tables), *others], (LOG_NAME, MANIFEST_NAME, REMOVED_ROWS))
    result = cleaned.result
    removals: dict[str, list[Any]] = {}
    for r in cleaned.removed:
        removals.setdefault(r.doc, []).append(r)
    by_row = result.config.get("unit") == "document"
    groups = _by_source(result.documents)
    out, out_real = _target_arg(target)
    mode = _target_mode(out, out_real, force, replace=True)
    records = []
    with Staging(out, out_real) as staging:
        with staging.open(LOG_NAME) as log:
            for name, path, fmt in tables:
                cursor = _Cursor(result.documents, groups.get(name, []))
                records.append(_clean_file(staging, log, name, path, fmt, cursor, cleaned, removals, by_row,
                                           text_field))
        for name in others:
            digest, size = _copy_as_is(staging, name, Path(source) / name)
            records.append({"path": name, "format": None, "compression": None, "copied": True,
                            "why": "not a table read (no --include pattern matches it)", "removals": 0,
                            "sha256": digest, "cleaned_sha256": digest, "cleaned_size": size})
        staging.write(MANIFEST_NAME, manifest_bytes(TABLES_FORMAT, records, log.sha256, log.size,
                                                    sum(r["removals"] for r in records), text_field=text_field,
                                                    unit=result.config.get("unit"),
                                                    left_out=left_out([*found.errors, *result.errors], records)))
        staging.commit(mode)
    unmade: list[str] = []  # documents of tables copied unchanged, whose removals were planned
    for record in records:
        docs = [result.documents[k].id for k in groups.get(record["path"], []) if record.get("copied")]
        planned = sum(len(removals.get(doc, [])) for doc in docs)
        if planned:
            unmade += docs
            warnings.warn(f"{record['path']}: cannot be read to its end ({record['why']}); copied unchanged, so "
                          f"{counted(planned, 'planned removal')} not made", stacklevel=2)
    return Written(len(records), len(result.documents), [r["path"] for r in records if r.get("copied")],
                   unmade=unmade)


def _clean_file(staging: Staging, log: BinaryIO, name: str, path: Path, fmt: TableFormat, cursor: _Cursor,
                cleaned: Any, removals: dict[str, list[Any]], by_row: bool, text_field: str) -> dict[str, Any]:
    """Clean one table into *staging* and its entries onto *log*; return its record for the manifest."""
    record: dict[str, Any] = {"path": name, "format": fmt.format, "compression": fmt.compression}
    with tempfile.SpooledTemporaryFile(max_size=1 << 24) as spool:
        file_log = _FileLog(spool)
        try:
            if fmt.format == "parquet":
                written, record["removed_rows"] = _clean_parquet(name, path, staging, cursor, cleaned, removals,
                                                                 by_row, text_field, file_log)
            else:
                written = _clean_lines(name, path, fmt, staging, cursor, cleaned, removals, by_row, text_field,
                                       file_log)
        except _ReadFailure as failure:
            # The input breaks off (as when it was read): copy it as it is, cut nothing from it.
            digest, size = _copy_as_is(staging, name, path)
            return {**record, "copied": True, "why": _failure_reason(failure), "removals": 0,
                    "sha256": digest, "cleaned_sha256": digest, "cleaned_size": size}
        spool.seek(0)
        shutil.copyfileobj(spool, log)
    return {**record, "removals": file_log.dropped + file_log.edited, "rows": file_log.rows,
            "dropped": file_log.dropped, "edited": file_log.edited, "sha256": file_log.original.hexdigest(),
            "cleaned_sha256": written.sha256, "cleaned_size": written.size}


def _failure_reason(failure: _ReadFailure) -> str:
    """Why an input could not be read, from the error behind *failure*."""
    return _reason(failure.__cause__ or failure)


def _copy_as_is(staging: Staging, name: str, path: Path) -> tuple[str, int]:
    """Copy the input *path* to *name* in *staging*; its SHA-256 and size. ``InputError`` when it cannot be read."""
    try:
        return staging.copy(name, path)
    except _SourceError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None


_Item = TypeVar("_Item")


class _ReadFailure(Exception):
    """Reading an input again failed (its cause says why); writing failures are not this."""


# What reading a file raises when it cannot be read (to its end), beside decompressors' and pyarrow's own.
_READ_ERRORS = (OSError, EOFError, ValueError, csv.Error)


def _cannot_read(exc: BaseException) -> bool:
    """Whether *exc*, raised while reading an input, says it cannot be read (to its end): a system
    error, a truncated or corrupt stream, or a decompressor's or pyarrow's own error class."""
    return isinstance(exc, _READ_ERRORS) or \
        (isinstance(exc, Exception) and type(exc).__module__.split(".")[0] in ("zstandard", "pyarrow"))


@contextmanager
def _read_failures() -> Iterator[None]:
    """Raise what says an input cannot be read (``_cannot_read``) as ``_ReadFailure``; anything else as it is."""
    try:
        yield
    except Exception as exc:
        if not _cannot_read(exc):
            raise
        raise _ReadFailure() from exc


def _read_guarded(items: Iterable[_Item]) -> Iterator[_Item]:
    """*items*, a failure to read them raised as ``_ReadFailure`` (only the reading is guarded: what the
    caller does with each item is not)."""
    with _read_failures():
        yield from items


def _open_parquet(path: Path) -> Any:
    """``ParquetFile(path)``, a file that cannot be opened as one raised as ``_ReadFailure``."""
    parquet = _parquet()
    with _read_failures():
        return parquet.ParquetFile(path)


def _plan_row(document: Document | None, removals: dict[str, list[Any]], by_row: bool) -> str | None:
    """``drop``, ``edit`` or ``None`` (unchanged) for a row and its document."""
    if document is None or document.id not in removals:
        return None
    return "drop" if by_row and any(r.kind != "span" for r in removals[document.id]) else "edit"


def _log_entry(name: str, document: Document, action: str, removals: dict[str, list[Any]],
               **extra: Any) -> dict[str, Any]:
    cuts = [r.to_dict() for r in removals[document.id]]
    if action == "drop":
        for cut in cuts:
            cut.pop("text", None)  # the whole row is kept already: its bytes here, or in removed_rows/
    return {"file": name, "row": document.row, "id": document.key if _jsonable(document.key) else document.id,
            "action": action, **extra, "removals": cuts}


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _clean_lines(name: str, path: Path, fmt: TableFormat, staging: Staging, cursor: _Cursor, cleaned: Any,
                 removals: dict[str, list[Any]], by_row: bool, text_field: str, file_log: _FileLog) -> StagedFile:
    header: list[str] = []
    with _reading(path, fmt.compression, guarded=True) as (stream, _), staging.open(name) as written, \
            _compressing(written, fmt.compression) as out:
        for segment in _read_guarded(_segments(stream, fmt)):
            file_log.original.update(segment.raw)
            if segment.kind == "header":
                header = segment.values or []
            if segment.kind != "row":
                out.write(segment.raw)
                continue
            file_log.rows += 1
            d = cursor.take(segment.row)
            document = None if d is None else cursor.documents[d]
            action = _plan_row(document, removals, by_row)
            if action is None or document is None:
                out.write(segment.raw)
                continue
            if action == "drop":
                file_log.add(_log_entry(name, document, "drop", removals, segment=segment.number,
                                        raw=segment.raw.decode("utf-8")))
                file_log.dropped += 1
                continue
            new_text = cleaned.texts[document.id]
            if fmt.format == "jsonl":
                line = segment.raw.decode("utf-8")
                start, end = _text_span(line, text_field)
                token = line[start:end]
                style = next((s for s in _JSON_STYLES if _json_string(document.text, s) == token), None)
                new = (line[:start] + _json_string(new_text, style or "utf8") + line[end:]).encode("utf-8")
                extra = {"style": style} if style else {"style": "utf8", "raw": line}
            else:
                column = _text_column(header, text_field)
                values = list(segment.values or [])
                new = _csv_with_text(segment.raw, values, column, new_text, fmt.delimiter)
                values[column] = new_text
                if next(csv.reader(io.StringIO(new.decode("utf-8")), delimiter=fmt.delimiter, strict=False),
                        None) != values:  # what a reader of the cleaned file will take it for
                    raise IntegrityError(f"{name}: row {segment.row} would not read back as written; nothing was "
                                         f"written (please report this as a bug)")
                # Restore puts the text back the same way: the row's bytes are logged when that would not
                # give them back.
                same = _csv_with_text(new, values, column, document.text, fmt.delimiter) == segment.raw
                extra = {} if same else {"raw": segment.raw.decode("utf-8")}
            file_log.add(_log_entry(name, document, "edit", removals, segment=segment.number, **extra))
            file_log.edited += 1
            out.write(new)
    return written


def _clean_parquet(name: str, path: Path, staging: Staging, cursor: _Cursor, cleaned: Any,
                   removals: dict[str, list[Any]], by_row: bool, text_field: str, file_log: _FileLog
                   ) -> tuple[StagedFile, dict[str, Any] | None]:
    """Clean one Parquet file; return the file written and the record of its dropped rows' file (or ``None``)."""
    pa, pq = _pyarrow(), _parquet()
    parquet = _open_parquet(path)
    schema, codec = parquet.schema_arrow, _parquet_codec(parquet)
    column = schema.get_field_index(text_field)
    removed_name = f"{REMOVED_ROWS}/{name}"
    removed = None
    with ExitStack() as stack:
        written = stack.enter_context(staging.open(name))
        writer = stack.enter_context(pq.ParquetWriter(written, schema, compression=codec))
        removed_writer = None
        row = 0
        for batch in _read_guarded(parquet.iter_batches(batch_size=BATCH_ROWS)):
            texts = batch.column(column).to_pylist()
            keep = [True] * batch.num_rows
            changed = False
            for i, text in enumerate(texts):
                _digest_text(file_log.original, text)
                d = cursor.take(row + i)
                document = None if d is None else cursor.documents[d]
                action = _plan_row(document, removals, by_row)
                if action is None or document is None:
                    continue
                if action == "drop":
                    keep[i] = False
                    file_log.dropped += 1
                else:
                    texts[i] = cleaned.texts[document.id]
                    changed = True
                    file_log.edited += 1
                file_log.add(_log_entry(name, document, action, removals))
            row += batch.num_rows
            table = pa.Table.from_batches([batch])
            if not all(keep):
                if removed_writer is None:
                    removed = stack.enter_context(staging.open(removed_name))
                    removed_writer = stack.enter_context(pq.ParquetWriter(removed, schema, compression=codec))
                removed_writer.write_table(table.filter(pa.array([not k for k in keep])))
            if changed:
                table = table.set_column(column, schema.field(column), pa.array(texts, type=schema.field(column).type))
            writer.write_table(table.filter(pa.array(keep)) if not all(keep) else table)
        file_log.rows = row
    return written, None if removed is None else {"path": removed_name, "sha256": removed.sha256,
                                                  "size": removed.size}


def _digest_text(digest: Any, text: Any) -> None:
    # Parquet is restored value for value: the digest covers the text column, the field that changes.
    data = b"\x00" if text is None else text.encode("utf-8", "surrogatepass") if isinstance(text, str) \
        else repr(text).encode("utf-8")
    digest.update(len(data).to_bytes(8, "little") + data)


def restore_tabular(cleaned_dir: str | os.PathLike[str], target: str | os.PathLike[str], force: bool = False) -> int:
    """Rebuild the original tables of a folder written by ``write_cleaned_tabular`` into *target*; return
    how many files were written.

    JSON Lines and CSV come back byte for byte (their uncompressed content: a ``.gz`` is
    compressed again, so its container bytes may differ), Parquet value for value. Checked as
    ``restore_folder`` checks: the manifest and the log's hash first, every file against its
    hash before it is read, every restored file against the digest taken when it was cleaned.
    A mismatch or a damaged log or manifest is an ``IntegrityError`` naming the file (and the
    log's line), and nothing is written: *target* is built beside itself and moved into place
    (with *force*, into an existing non-empty *target*, never through a symbolic link).

    >>> import pathlib, tempfile
    >>> from dedup import clean
    >>> table = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> _ = table.write_text('{"text": "同一段文字，出现了两次。"}\\n' * 2, "utf-8")
    >>> _ = write_cleaned_tabular(clean(table, unit="document"), table, table.parent / "out")
    >>> restore_tabular(table.parent / "out", table.parent / "back")
    1
    >>> (table.parent / "back" / "t.jsonl").read_bytes() == table.read_bytes()
    True
    """
    source = folder_root(cleaned_dir, "cleaned folder")
    files, manifest = read_manifest(source, TABLES_FORMAT, _record_problem)
    text_field = manifest.get("text_field")
    if not isinstance(text_field, str):
        raise IntegrityError(f"{source / MANIFEST_NAME}: 'text_field' is missing or not a string")
    out, out_real, mode = restore_target(source, target, force)
    log_path = source / LOG_NAME
    check_stored(log_path, manifest["log"]["sha256"], manifest["log"]["size"], "the log")
    with open_stored(log_path) as log, Staging(out, out_real) as staging:
        entries = _Peek(_log_entries(log_path, log))
        for name, info in files.items():
            check_stored(source / name, info["cleaned_sha256"], info["cleaned_size"])
            removed = info.get("removed_rows")
            if removed is not None:
                check_stored(source / removed["path"], removed["sha256"], removed["size"], "the removed rows")
            mine = _Peek(_while_file(entries, name))
            if info.get("copied"):
                try:
                    staging.copy(name, source / name)
                except _SourceError as exc:
                    raise IntegrityError(f"{source / name}: cannot be read ({exc})") from None
            elif info["format"] == "parquet":
                _restore_parquet(source, staging, info, text_field, mine)
            else:
                _restore_lines(source, staging, info, text_field, mine)
            if mine.peek() is not None:
                raise IntegrityError(f"{log_path}: entries for {name} do not fit its rows (was it edited?)")
        left = entries.peek()
        if left is not None:
            raise IntegrityError(f"{log_path}: an entry for {left['file']!r}, a file not in {MANIFEST_NAME}")
        staging.commit(mode)
    note_left_out(manifest)
    return len(files)


def recompressed(cleaned_dir: str | os.PathLike[str]) -> list[str]:
    """The compressed tables a restore of *cleaned_dir* writes anew from their rows (their content byte for byte,
    the compressed bytes maybe not), from its manifest; files copied as they are never count.

    >>> recompressed("no/such/folder")
    []
    """
    try:
        records = json.loads((Path(cleaned_dir) / MANIFEST_NAME).read_bytes()).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    return sorted(r["path"] for r in records if isinstance(r, dict) and r.get("compression") and not r.get("copied"))


def _record_problem(entry: dict[str, Any]) -> str:
    """What is wrong with a table's record in the manifest (its path, counts and hashes checked already), or ''."""
    name = entry["path"]
    fmt = entry.get("format")
    if fmt is None and entry.get("copied"):  # a file of the folder that is not a table read: copied as it is
        return ""
    if fmt not in set(_FORMATS.values()) or entry.get("compression") not in {None, *_COMPRESSIONS.values()}:
        return f"{name!r}: 'format' or 'compression' is not one dedup reads"
    if entry.get("copied"):
        return ""
    problem = record_problem(entry, counts=("rows", "dropped", "edited"))
    removed = entry.get("removed_rows")
    if problem or removed is None:
        return problem
    if not isinstance(removed, dict) or fmt != "parquet" or removed.get("path") != f"{REMOVED_ROWS}/{name}":
        return f"{name!r}: 'removed_rows' must be null, or name {REMOVED_ROWS}/{name} for a Parquet file"
    return record_problem(removed, counts=("size",), hashes=("sha256",))


def _log_entries(path: Path, log: BinaryIO) -> Iterator[dict[str, Any]]:
    """The entries of a cleaned folder's log in order, an edit's removals as ``Removal``s; ``IntegrityError``
    naming the line of one out of shape."""
    for number, line in enumerate(log, 1):
        try:
            entry = json.loads(line)
            problem = _log_entry_problem(entry)
            if not problem and entry["action"] == "edit":
                entry["removals"] = [Removal.from_dict(r) for r in entry["removals"]]
        except (ValueError, UnicodeError) as exc:
            raise IntegrityError(f"{path} line {number}: {json_reason(exc)}") from None
        if problem:
            raise IntegrityError(f"{path} line {number}: {problem}")
        yield entry


def _log_entry_problem(entry: Any) -> str:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
        return "not a row entry (a JSON object naming its 'file')"
    if entry.get("action") not in ("drop", "edit") or not isinstance(entry.get("removals"), list) \
            or not entry["removals"]:
        return "'action' must be drop or edit, with a list of removals"
    if not all(isinstance(entry.get(key, 0), int) for key in ("row", "segment")) \
            or not isinstance(entry.get("raw", ""), str) or entry.get("style", "utf8") not in _JSON_STYLES:
        return "'row', 'segment', 'raw' or 'style' is out of shape"
    return ""


class _Peek:
    """An iterator that can look one item ahead (``None`` at the end)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items, self.ahead = iter(items), None
        self.advance()

    def advance(self) -> Any:
        current, self.ahead = self.ahead, next(self.items, None)
        return current

    def peek(self) -> Any:
        return self.ahead


def _while_file(entries: _Peek, name: str) -> Iterator[dict[str, Any]]:
    while entries.peek() is not None and entries.peek()["file"] == name:
        yield entries.advance()


def _restored_text(text: str, entry: dict[str, Any]) -> str:
    cuts = entry["removals"]
    return restore({cuts[0].doc: text}, cuts)[cuts[0].doc]


def _restore_lines(source: Path, staging: Staging, info: dict[str, Any], text_field: str, entries: _Peek) -> None:
    fmt = TableFormat(info["format"], info["compression"])
    digest = hashlib.sha256()
    name = info["path"]
    with _reading(source / name, fmt.compression) as (stream, _), staging.open(name) as handle, \
            _compressing(handle, fmt.compression) as target:
        number = 0  # segment number in the original file

        def emit(data: bytes) -> None:
            nonlocal number
            digest.update(data)
            target.write(data)
            number += 1

        def put_back_dropped() -> None:
            while entries.peek() is not None and entries.peek()["action"] == "drop" \
                    and entries.peek().get("segment") == number and "raw" in entries.peek():
                emit(entries.advance()["raw"].encode("utf-8"))

        header: list[str] = []
        for segment in _segments(stream, fmt):
            if segment.kind == "header":
                header = segment.values or []
            put_back_dropped()
            entry = entries.peek()
            if segment.kind != "row" or entry is None or entry["action"] != "edit" or entry.get("segment") != number:
                emit(segment.raw)
                continue
            entries.advance()
            if "raw" in entry:
                emit(entry["raw"].encode("utf-8"))
            elif fmt.format == "jsonl":
                line = segment.raw.decode("utf-8")
                start, end = _text_span(line, text_field)
                text = _restored_text(json.loads(line[start:end]), entry)
                emit((line[:start] + _json_string(text, entry.get("style", "utf8")) + line[end:]).encode("utf-8"))
            else:
                values = list(segment.values or [])
                column = _text_column(header, text_field)
                emit(_csv_with_text(segment.raw, values, column, _restored_text(values[column], entry), fmt.delimiter))
        put_back_dropped()
    if digest.hexdigest() != info["sha256"]:
        raise IntegrityError(f"{source / name}: the restored file differs from the original recorded in "
                             f"{MANIFEST_NAME}; nothing was restored")


def _restore_parquet(source: Path, staging: Staging, info: dict[str, Any], text_field: str, entries: _Peek) -> None:
    pa, pq = _pyarrow(), _parquet()
    name = info["path"]
    parquet = pq.ParquetFile(source / name)
    schema = parquet.schema_arrow
    column = schema.get_field_index(text_field)
    drops: list[int] = []
    edits: dict[int, dict[str, Any]] = {}
    while entries.peek() is not None:
        entry = entries.advance()
        if entry["action"] == "drop":
            drops.append(entry.get("row", -1))
        else:
            edits[entry.get("row", -1)] = entry
    removed_rows = info.get("removed_rows")
    removed = _one_row_batches(pq.ParquetFile(source / removed_rows["path"])) if removed_rows else iter(())
    digest = hashlib.sha256()
    written = 0
    with staging.open(name) as handle, pq.ParquetWriter(handle, schema,
                                                         compression=_parquet_codec(parquet)) as writer:
        def flush(pieces: list[Any]) -> None:
            nonlocal written
            if not pieces:
                return
            table = pa.Table.from_batches(pieces, schema=schema)
            texts = table.column(column).to_pylist()
            mine = [i for i in range(len(texts)) if written + i in edits]
            for i in mine:
                texts[i] = _restored_text(texts[i], edits[written + i])
            for text in texts:
                _digest_text(digest, text)
            if mine:
                table = table.set_column(column, schema.field(column), pa.array(texts, type=schema.field(column).type))
            writer.write_table(table)
            written += len(texts)

        def put_back(pieces: list[Any]) -> None:
            piece = next(removed, None)
            if piece is None:
                raise IntegrityError(f"{source / name}: {REMOVED_ROWS} holds fewer rows than {LOG_NAME} removed")
            pieces.append(piece)

        d, position = 0, 0  # the next drop, and the original row of the next row placed
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            pieces: list[Any] = []
            i = 0
            while i < batch.num_rows:
                if d < len(drops) and drops[d] == position:
                    put_back(pieces)
                    d, position = d + 1, position + 1
                    continue
                run = batch.num_rows - i if d == len(drops) else min(batch.num_rows - i, drops[d] - position)
                pieces.append(batch.slice(i, run))
                i, position = i + run, position + run
            flush(pieces)
        pieces = []
        for _ in range(d, len(drops)):
            put_back(pieces)
        flush(pieces)
    if written != info["rows"] or digest.hexdigest() != info["sha256"]:
        raise IntegrityError(f"{source / name}: the restored table differs from the original recorded in "
                             f"{MANIFEST_NAME} ({written} rows, text digest); nothing was restored")


def _one_row_batches(parquet: Any) -> Iterator[Any]:
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
        for i in range(batch.num_rows):
            yield batch.slice(i, 1)
