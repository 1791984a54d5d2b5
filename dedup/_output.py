"""Write a cleaned corpus as a unit, and restore its originals only when every byte checks out.

A cleaned folder OUT (format ``dedup-clean``, version 1) holds:

- the cleaned files, mirroring FOLDER: documents with their duplicates cut out, and every
  other file of FOLDER (not matching the include patterns, or not decodable) copied unchanged;
- ``removed.jsonl``: one removal per line, JSON with ASCII escapes only (``\\u2028`` is six
  characters, never a raw line separator), every line ending in ``\\n``; read back by
  splitting on ``\\n`` and nothing else;
- ``files.json``, the manifest: format and version, and for every file its path, encoding,
  removal count and the SHA-256 and size of the original and of the cleaned file, plus the
  hash of the log.

A cleaned folder of tables (format ``dedup-clean-tables``, written by ``_tabular``) is the
same unit: its cleaned tables, its own log lines (a row each) and a ``files.json`` of the
same shape, written and restored through the same staging, checks and hashes.

OUT is built in a hidden staging folder beside it (``.OUT.dedup-PID-XXXX``) and moved into
place by one rename when complete; a ``--force`` run swaps the new folder with the old one
in one ``renameat2(RENAME_EXCHANGE)`` where the system has it. So an interrupted run (Ctrl-C,
SIGKILL, disk full) leaves OUT as it was, or absent; staging folders of killed runs are
removed by the next run for the same OUT. ``restore`` checks every cleaned file against the
manifest before and every restored file after, refuses (``IntegrityError``) on any mismatch,
and writes only inside its target, staged the same way. The input is never written: real
paths (links resolved) of every input file and of the output are compared first.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import itertools
import json
import os
import re
import signal
import stat
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ._clean import Cleaned, Removal, restore
from ._errors import DedupError, InputError, IntegrityError, OutputError, UsageError
from ._read import ESCAPED, ReadError, decode_as, encode, folder_root, walk_folder

__all__ = ["FORMAT", "FORMAT_VERSION", "LOG_NAME", "MANIFEST_NAME", "TABLES_FORMAT", "Written", "atomic_file",
           "atomic_write", "check_apart", "check_folder_target", "check_outside", "manifest_format", "restore_folder", "text_file", "write_cleaned"]

LOG_NAME = "removed.jsonl"
# The manifest: written last, so a folder without it is incomplete; restore ignores files it does not list.
MANIFEST_NAME = "files.json"
FORMAT = "dedup-clean"
TABLES_FORMAT = "dedup-clean-tables"
FORMAT_VERSION = 1
_CHUNK = 1 << 20
# Beside a staging folder while it is one (and beside an old output on its way out), named after it with this
# ending: what a sweep looks for. Beside, not inside: a folder inside holds the input's own names.
STAGING_MARK = ".mark"
_HEX64 = re.compile("[0-9a-f]{64}")


@dataclass(frozen=True)
class Written:
    """What ``write_cleaned`` wrote: file counts, the files copied unchanged, the files it could not copy, and
    the documents whose planned removals were not made (copied unchanged: a table that broke off when read
    again, a text whose cut would join undecodable bytes into a character)."""

    files: int
    documents: int
    copied: list[str] = field(default_factory=list)
    failed: list[ReadError] = field(default_factory=list)
    unmade: list[str] = field(default_factory=list)


def write_cleaned(cleaned: Cleaned, source: str | os.PathLike[str] | None, target: str | os.PathLike[str],
                  force: bool = False) -> Written:
    """Write *cleaned* to the folder *target* as a unit: cleaned documents, every other file of *source*, log, manifest.

    *source* is the folder the corpus was read from (``None`` for a corpus given in
    memory: then only its documents are written). An existing non-empty *target* needs
    *force*, and must itself be an earlier output of ``write_cleaned``: it is replaced
    whole, never merged into. Refuses (``UsageError``) when *target* and *source* meet:
    one inside the other, or an input file (through a link) inside *target*. A failure
    while writing raises ``OutputError`` naming the path; nothing is left half-written.
    Files of *source* that cannot be read are not copied but listed in ``Written.failed``.

    >>> import pathlib, tempfile
    >>> from dedup import clean
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "in").mkdir()
    >>> _ = (folder / "in" / "a.txt").write_text("同一段文字，出现了两次。\\n同一段文字，出现了两次。\\n", "utf-8")
    >>> write_cleaned(clean(folder / "in"), folder / "in", folder / "out").files
    1
    >>> (folder / "out" / "a.txt").read_text("utf-8")
    '同一段文字，出现了两次。\\n'
    """
    if not isinstance(cleaned, Cleaned):
        raise UsageError(f"cleaned must be the Cleaned that clean() returned, not {type(cleaned).__name__}")
    # Rows read from table files name their file; documents given in memory are rows too, but of no file.
    if source is not None and any(d.source for d in cleaned.result.documents):
        raise UsageError(f"{source} holds tables: write them back as tables with write_cleaned_tabular "
                         "(what `dedup --clean` does), not a file a row")
    out, out_real = _target_arg(target)
    entries = _inputs(source, out, out_real)
    documents = {d.id: d for d in cleaned.result.documents}
    for doc_id in documents:
        problem = _relpath_problem(doc_id)
        if problem:
            raise UsageError(f"document id {doc_id!r} {problem}; it cannot name a file in {out}")
    others = [e for e in entries if e.id not in documents]
    check_own_names([*documents, *(e.id for e in others)])
    by_doc: dict[str, list[Removal]] = {}
    for r in cleaned.removed:
        by_doc.setdefault(r.doc, []).append(r)
    unknown = sorted(set(by_doc) - set(documents))
    if unknown:
        raise UsageError(f"removals name documents the corpus does not have: {', '.join(map(repr, unknown[:5]))}")
    mode = _target_mode(out, out_real, force, replace=True)
    with Staging(out, out_real) as staging:
        records: list[dict[str, Any]] = []
        copied, failed, unmade = [], [], []
        for doc_id in sorted(documents):
            document, text = documents[doc_id], cleaned.texts[doc_id]
            removals = by_doc.get(doc_id, [])
            # Check the round trip before anything is published: nothing goes out that would not come back.
            if restore({doc_id: text}, removals)[doc_id] != document.text:
                raise IntegrityError(f"{doc_id}: the cleaned text and its removals do not give the original back; "
                                     "nothing was written (please report this as a bug)")
            original = _encoded(document.text, document.encoding, doc_id)
            data = _encoded(text, document.encoding, doc_id)
            # Bytes UTF-8 could not decode, kept as they were (lone surrogates), can meet across a cut and make a
            # character: restore would read other text than was cut. The file goes out as it is, nothing cut.
            if removals and ESCAPED.search(text) and decode_as(data, document.encoding) != text:
                from ._report import counted  # (_report imports this module)

                warnings.warn(f"{doc_id}: {counted(len(removals), 'planned removal')} not made: a cut would join "
                              f"undecodable bytes on either side of it into a character; copied unchanged",
                              stacklevel=2)
                unmade.append(doc_id)
                del by_doc[doc_id]
                removals, data = [], original
            digest, size = staging.write(doc_id, data)
            records.append({"path": doc_id, "encoding": document.encoding, "removals": len(removals),
                            "sha256": hashlib.sha256(original).hexdigest(), "size": len(original),
                            "cleaned_sha256": digest, "cleaned_size": size})
        for entry in others:
            try:
                digest, size = staging.copy(entry.id, entry.path)
            except _SourceError as exc:
                failed.append(ReadError(entry.id, f"not copied: {exc}"))
                continue
            copied.append(entry.id)
            records.append({"path": entry.id, "encoding": None, "removals": 0, "sha256": digest, "size": size,
                            "cleaned_sha256": digest, "cleaned_size": size})
        removals_total = sum(len(v) for v in by_doc.values())
        digest, size = staging.write(LOG_NAME, b"".join(
            log_line(r.to_dict()) for doc_id in sorted(by_doc) for r in sorted(by_doc[doc_id], key=lambda r: r.cut_start)))
        records.sort(key=lambda r: r["path"])
        staging.write(MANIFEST_NAME, manifest_bytes(FORMAT, records, digest, size, removals_total,
                                                    left_out=left_out([*cleaned.result.errors, *failed], records)))
        staging.commit(mode)
    return Written(len(records), len(documents), copied, failed, unmade)


def left_out(errors: Iterable[ReadError], records: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The input's entries that a cleaned folder does not hold (a link that leads nowhere, a special or unreadable
    file), with why, from the read *errors* less the paths of its *records*: the manifest lists them, and restore
    says it cannot bring them back.

    >>> left_out([ReadError("fifo", "not a regular file"), ReadError("a.txt", "3 bad bytes")], [{"path": "a.txt"}])
    [{'path': 'fifo', 'why': 'not a regular file'}]
    """
    written = {r["path"] for r in records}
    found = {e.path: e.error for e in errors if e.path not in written}
    return [{"path": path, "why": why} for path, why in sorted(found.items())]


def note_left_out(manifest: Mapping[str, Any]) -> None:
    """Warn of the input's entries a cleaned folder's *manifest* lists as left out (checked by ``read_manifest``):
    restore cannot give them back."""
    entries = manifest.get("left_out", [])
    if entries:
        shown = ", ".join(e["path"] for e in entries[:5]) + (", ..." if len(entries) > 5 else "")
        warnings.warn(f"not in the cleaned folder, so not restored ({len(entries)} left out by --clean: links that "
                      f"lead nowhere, special or unreadable files; {MANIFEST_NAME} says why): {shown}", stacklevel=3)


def check_own_names(names: Iterable[str], own: Iterable[str] = (LOG_NAME, MANIFEST_NAME)) -> None:
    """``UsageError`` when one of the input's files (*names*, paths inside it) would be written where a cleaned
    folder has its own log, manifest or other *own* file or folder.

    >>> check_own_names(["a.txt", "sub/files.json"])
    >>> check_own_names(["files.json"])
    Traceback (most recent call last):
    ...
    dedup._errors.UsageError: the input holds files.json, which would clash with dedup's own files.json in the cleaned folder (every file of the input goes there); rename it or move it out
    """
    taken = set(own)
    for name in names:
        top = name.split("/")[0]
        if name in taken or (top in taken and top != name):
            raise UsageError(f"the input holds {top}, which would clash with dedup's own {top} in the cleaned folder "
                             f"(every file of the input goes there); rename it or move it out")


def _encoded(text: str, encoding: str, doc_id: str) -> bytes:
    try:
        return encode(text, encoding)
    except (UnicodeError, LookupError) as exc:
        raise UsageError(f"{doc_id}: its text cannot be written as {encoding} ({exc})") from None


def log_line(record: Mapping[str, Any]) -> bytes:
    """One line of a removal log: JSON with ASCII escapes only, ending in its one ``\\n``."""
    return (json.dumps(record, ensure_ascii=True) + "\n").encode("ascii")


def manifest_bytes(fmt: str, records: list[dict[str, Any]], log_sha256: str, log_size: int, removals: int,
                   **head: Any) -> bytes:
    """The manifest of a cleaned folder of format *fmt*: *head* fields, the log's hash, size and removal count
    (the sum of the records' ``removals``), and *records*, one file each, in the order given."""
    top = {"format": fmt, "version": FORMAT_VERSION, **head,
           "log": {"path": LOG_NAME, "sha256": log_sha256, "size": log_size, "removals": removals}}
    # One file a line: a diff of two manifests reads well. ASCII only, like the log.
    lines = ",\n".join(json.dumps(r, ensure_ascii=True) for r in records)
    return (json.dumps(top, ensure_ascii=True)[:-1] + ', "files": [\n' + lines + "\n]}\n").encode("ascii")


def restore_folder(cleaned_dir: str | os.PathLike[str], target: str | os.PathLike[str], force: bool = False) -> int:
    """Rebuild the original files of a folder written by ``write_cleaned`` (or ``write_cleaned_tabular``,
    handed to ``restore_tabular``) into *target*; return how many.

    Every cleaned file is checked against the manifest's hash before, every restored
    file against the original's hash after; any mismatch, a damaged log or manifest, or
    a path that would leave *target* raises ``IntegrityError`` naming the file (and the
    line of the log) and writes nothing. *target* is built beside itself and moved into
    place; with *force* an existing non-empty *target* gets the files moved into it (never
    through a symbolic link). Runs in time linear in files + removals.

    >>> import pathlib, tempfile
    >>> from dedup import clean
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "in").mkdir()
    >>> _ = (folder / "in" / "a.txt").write_text("同一段文字，出现了两次。\\n同一段文字，出现了两次。\\n", "utf-8")
    >>> _ = write_cleaned(clean(folder / "in"), folder / "in", folder / "out")
    >>> restore_folder(folder / "out", folder / "back")
    1
    >>> (folder / "back" / "a.txt").read_bytes() == (folder / "in" / "a.txt").read_bytes()
    True
    """
    source = folder_root(cleaned_dir, "cleaned folder")
    if manifest_format(source) == TABLES_FORMAT:
        from ._tabular import restore_tabular  # here: _tabular builds on this module

        return restore_tabular(cleaned_dir, target, force)
    files, head = read_manifest(source, FORMAT, _entry_problem)
    removals = _read_log(source, files, head["log"])
    out, out_real, mode = restore_target(source, target, force)
    with Staging(out, out_real) as staging:
        for path, entry in files.items():
            data = _read_cleaned(source, path, entry)
            if entry["removals"]:
                lines = removals[path]
                try:
                    text = decode_as(data, entry["encoding"])
                    data = encode(restore({path: text}, [r for _, r in lines])[path], entry["encoding"])
                except (ValueError, UnicodeError, LookupError) as exc:
                    raise IntegrityError(f"{source / path}: {LOG_NAME} lines {lines[0][0]}-{lines[-1][0]} do not "
                                         f"fit it: {exc}") from None
            if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise IntegrityError(f"{source / path}: the restored file differs from the original recorded in "
                                     f"{MANIFEST_NAME}; nothing was restored")
            staging.write(path, data)
        staging.commit(mode)
    note_left_out(head)
    return len(files)


def restore_target(source: Path, target: object, force: bool) -> tuple[Path, Path, str]:
    """The target of a restore from the cleaned folder *source*: its path, real path and mode ('new' or 'merge').

    ``UsageError`` when one lies inside the other, or *target* is not empty and *force* not given.
    """
    out, out_real = _target_arg(target)
    source_real = Path(os.path.realpath(source))
    if _within(out_real, source_real) or _within(source_real, out_real):
        raise UsageError(f"{out}: the restored files may not be written inside {source}, nor it inside them")
    return out, out_real, _target_mode(out, out_real, force, replace=False)


def read_manifest(source: Path, fmt: str, entry_problem: Callable[[dict[str, Any]], str]
                  ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The manifest of a cleaned folder of format *fmt*: its files (by path, in order) and the whole manifest,
    its log entry checked; ``IntegrityError`` on anything out of shape, *entry_problem* saying what is wrong
    with a file's record beyond its path (or '')."""
    path = source / MANIFEST_NAME
    if not path.is_file():
        if (source / LOG_NAME).exists():
            raise IntegrityError(f"{source}: no {MANIFEST_NAME}: this folder is incomplete (the run that wrote it "
                                 "was interrupted); nothing was restored")
        raise InputError(f"{source}: no {MANIFEST_NAME} here; is this a folder written by dedup --clean?")
    try:
        data = json.loads(_read_bytes(path))
    except (ValueError, UnicodeError) as exc:
        raise IntegrityError(f"{path}: not valid JSON ({json_reason(exc)}); it is damaged") from None
    if not isinstance(data, dict):
        raise IntegrityError(f"{path}: not a dedup manifest (a JSON object was expected)")
    if data.get("format") != fmt:
        if "files" in data and "format" not in data:
            raise IntegrityError(f"{path}: written by an earlier dedup, without content hashes; it cannot be checked, "
                                 "so restore refuses it (clean the input folder again to get a checkable output)")
        raise IntegrityError(f"{path}: not a dedup manifest (format {data.get('format')!r}, not {fmt!r})")
    left = data.get("left_out", [])
    if not isinstance(left, list) or not all(isinstance(e, dict) and isinstance(e.get("path"), str) for e in left):
        raise IntegrityError(f"{path}: 'left_out' is not a list of entries; it is damaged")
    if data.get("version") != FORMAT_VERSION:
        raise IntegrityError(f"{path}: format version {data.get('version')!r}; this dedup reads version "
                             f"{FORMAT_VERSION} (use the dedup that wrote it)")
    log = data.get("log")
    if not (isinstance(log, dict) and log.get("path") == LOG_NAME and _is_hash(log.get("sha256"))
            and _is_count(log.get("size")) and _is_count(log.get("removals"))):
        raise IntegrityError(f"{path}: the 'log' entry is missing or out of shape")
    entries = data.get("files")
    if not isinstance(entries, list):
        raise IntegrityError(f"{path}: the 'files' list is missing")
    files: dict[str, dict[str, Any]] = {}
    for number, entry in enumerate(entries):
        problem = _common_problem(entry) or entry_problem(entry)
        if problem:
            raise IntegrityError(f"{path}: files[{number}]: {problem}")
        name = entry["path"]
        if name in files or name in (LOG_NAME, MANIFEST_NAME):
            raise IntegrityError(f"{path}: files[{number}]: {name!r} is listed twice or is dedup's own file")
        files[name] = entry
    # "a" and "a/b" cannot both be files.
    for name in files:
        for prefix in _prefixes(name):
            if prefix in files:
                raise IntegrityError(f"{path}: {name!r} lies under {prefix!r}, which is a file too")
    if sum(e["removals"] for e in files.values()) != log["removals"]:
        raise IntegrityError(f"{path}: the files' removal counts do not add up to the log's")
    return files, data


def _common_problem(entry: object) -> str:
    """What is wrong with the record of a file in any manifest: not an object, or its path, removal count and
    hashes of the cleaned file and of what restore gives back; or ''."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    name = entry.get("path")
    if not isinstance(name, str):
        return "'path' is missing or not a string"
    problem = _relpath_problem(name)
    if problem:
        return f"path {name!r} {problem}; restore writes only inside its target"
    return record_problem(entry, counts=("removals", "cleaned_size"), hashes=("sha256", "cleaned_sha256"))


def record_problem(entry: Mapping[str, Any], counts: tuple[str, ...] = (), hashes: tuple[str, ...] = ()) -> str:
    """Which of the fields *counts* of a manifest record is not a count, or of *hashes* not a SHA-256; or ''."""
    name = entry.get("path")
    for key in counts:
        if not _is_count(entry.get(key)):
            return f"{name!r}: {key!r} must be a count"
    for key in hashes:
        if not _is_hash(entry.get(key)):
            return f"{name!r}: {key!r} must be 64 lower-case hex digits"
    return ""


def _entry_problem(entry: dict[str, Any]) -> str:
    name, encoding = entry["path"], entry.get("encoding")
    if encoding is not None and not isinstance(encoding, str):
        return f"{name!r}: 'encoding' must be a string or null"
    if not _is_count(entry.get("size")):
        return f"{name!r}: 'size' must be a count"
    if encoding is None and entry["removals"]:
        return f"{name!r}: removals from a file copied unchanged (no encoding)"
    return ""


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _relpath_problem(name: str) -> str:
    """Why *name* is not a plain relative POSIX path inside a folder, or ''."""
    if not name:
        return "is empty"
    if "\x00" in name:
        return "holds a NUL character"
    if name.startswith("/"):
        return "is absolute"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "has an empty, '.' or '..' part"
    return ""


def _read_log(source: Path, files: Mapping[str, dict[str, Any]],
              log: Mapping[str, Any]) -> dict[str, list[tuple[int, Removal]]]:
    """The removals by file, each with its line number; ``IntegrityError`` naming the line of any damage."""
    path = source / LOG_NAME
    if not path.is_file():
        raise IntegrityError(f"{path}: missing; {MANIFEST_NAME} lists {log['removals']} removals")
    raw = _read_bytes(path)
    lines = raw.split(b"\n")  # only \n ends a line: U+2028, U+0085 or \r inside a record cannot split it
    if lines[-1]:
        raise IntegrityError(f"{path} line {len(lines)}: cut short (the file does not end with a newline)")
    by_file: dict[str, list[tuple[int, Removal]]] = {}
    for number, line in enumerate(lines[:-1], 1):
        try:
            removal = Removal.from_dict(json.loads(line))
        except (ValueError, UnicodeError) as exc:
            raise IntegrityError(f"{path} line {number}: {json_reason(exc)}") from None
        entry = files.get(removal.doc)
        if entry is None or entry["encoding"] != removal.encoding:
            raise IntegrityError(f"{path} line {number}: a removal from {removal.doc!r} ({removal.encoding}), "
                                 f"which {MANIFEST_NAME} does not list with that encoding")
        by_file.setdefault(removal.doc, []).append((number, removal))
    for name, entry in files.items():
        if len(by_file.get(name, ())) != entry["removals"]:
            raise IntegrityError(f"{path}: {len(by_file.get(name, ()))} removals from {name!r}, "
                                 f"{MANIFEST_NAME} records {entry['removals']}")
    if len(raw) != log["size"] or hashlib.sha256(raw).hexdigest() != log["sha256"]:
        raise IntegrityError(f"{path}: differs from the hash recorded in {MANIFEST_NAME} (edited or damaged)")
    return by_file


def json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    return str(exc)


def open_stored(path: Path) -> BinaryIO:
    """A file of a cleaned folder, open for reading; ``IntegrityError`` for a link (never followed), a pipe or a
    device (never opened), or a file that cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise IntegrityError(f"{path}: a symbolic link; a cleaned folder holds regular files only") from None
        raise IntegrityError(f"{path}: listed in {MANIFEST_NAME} but cannot be read ({exc.strerror})") from None
    handle = open(fd, "rb")  # noqa: SIM115 - returned open
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise IntegrityError(f"{path}: not a regular file")
    return handle


def check_stored(path: Path, sha256: str, size: int, what: str = "the cleaned file") -> None:
    """Refuse (``IntegrityError``) a file of a cleaned folder whose bytes are not those the manifest records
    (read in chunks: tables may be large)."""
    digest, length = hashlib.sha256(), 0
    with open_stored(path) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            length += len(chunk)
    _check_hash(path, digest.hexdigest(), length, sha256, size, what)


def _check_hash(path: Path, digest: str, length: int, sha256: str, size: int, what: str) -> None:
    if length != size or digest != sha256:
        raise IntegrityError(f"{path}: differs from {what} recorded in {MANIFEST_NAME} (edited after cleaning?); "
                             "nothing was restored")


def _read_cleaned(source: Path, name: str, entry: Mapping[str, Any]) -> bytes:
    """The bytes of a cleaned file, checked against the manifest; links are not followed, pipes not opened."""
    with open_stored(source / name) as handle:
        data = handle.read()
    _check_hash(source / name, hashlib.sha256(data).hexdigest(), len(data), entry["cleaned_sha256"],
                entry["cleaned_size"], "the cleaned file")
    return data


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IntegrityError(f"{path}: cannot be read ({exc.strerror})") from None


def atomic_write(path: str | os.PathLike[str], data: bytes) -> None:
    """Write *data* to *path* through a temporary file and a rename: readers never see half a file.

    ``OutputError`` names the path when writing fails; the temporary file is removed.
    """
    with atomic_file(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """The file *path*, to write in the block: written to a temporary file beside it, synced, and renamed into
    place when the block ends, so readers never see half a file (``atomic_write`` streamed: an output as large
    as the corpus never sits in memory). Left by an exception, the temporary file is removed and *path* is as
    it was; an ``OSError`` becomes ``OutputError`` naming *path*. A symbolic link is followed (the file it
    names is replaced, the link stays); a path that is not a regular file (``/dev/null``, a named pipe, a
    terminal) is written to in place, as ``open`` would: a rename would put a file where the device was.
    """
    path = Path(path)
    tmp = None
    try:
        try:
            mode = os.stat(path).st_mode  # through links: /dev/stdout is a link to a pipe or a terminal
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file")
        if mode is not None and not stat.S_ISREG(mode):
            with open(path, "wb") as stream:
                yield stream
            return
        if path.is_symlink():  # to a file, or to none yet: that file is replaced, the link stays
            path = Path(os.path.realpath(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode a plain open() would
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, DedupError):
            raise
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def text_file(path: str | os.PathLike[str]) -> Iterator[io.TextIOWrapper]:
    """``atomic_file`` as a UTF-8 text stream (no newline translation): the file appears whole when the block ends."""
    with atomic_file(path) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        try:
            yield text
            text.flush()
        finally:
            text.detach()  # the file is atomic_file's to sync, close and rename


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_outside(target: str | os.PathLike[str], source: str | os.PathLike[str]) -> None:
    """Refuse (``UsageError``) an output path that meets the input: inside *source*, or the real path of an input file.

    >>> import pathlib, tempfile
    >>> corpus = pathlib.Path(tempfile.mkdtemp())
    >>> check_outside(corpus.parent / "elsewhere", corpus)
    >>> check_outside(corpus / "out", corpus)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dedup._errors.UsageError: .../out: output may not be written inside the input folder ...
    """
    out, out_real = _target_arg(target)
    _inputs(source, out, out_real)


def check_apart(outputs: dict[str, str | os.PathLike[str] | None], folders: Iterable[str] = ()) -> None:
    """Refuse (``UsageError``) outputs that meet each other: two options (the keys of *outputs*) naming one
    path, or an output inside the folder of one of *folders* (written whole: a report there would be lost
    or, worse, replace its manifest or log). None values are outputs not asked for.

    >>> check_apart({"--clean": "out", "--json": "out/r.json"}, folders=["--clean"])
    Traceback (most recent call last):
    ...
    dedup._errors.UsageError: --json out/r.json lies inside the --clean folder out, which is written whole: put it elsewhere
    """
    named = [(option, *_target_arg(path)) for option, path in outputs.items() if path is not None]
    for (option, out, real), (other, other_out, other_real) in itertools.permutations(named, 2):
        if real == other_real:
            raise UsageError(f"{option} and {other} both name {out}: give each output its own path")
        if option in folders and other_real.is_relative_to(real):
            raise UsageError(f"{other} {other_out} lies inside the {option} folder {out}, which is written whole: "
                             f"put it elsewhere")


def check_folder_target(target: str | os.PathLike[str], force: bool, earlier: Callable[[Path], bool] | None = None,
                        what: str = "--clean") -> None:
    """Refuse (``UsageError``) a folder output, replaced whole, that cannot be written: one that exists and is no
    folder, a non-empty one without *force*, or one that is no earlier output of *what* (*earlier* tells;
    default: a ``--clean`` output, by its manifest)."""
    _target_mode(*_target_arg(target), force, True, earlier, what)


def _inputs(source: str | os.PathLike[str] | None, out: Path, out_real: Path) -> list[Any]:
    """The files of the input *source* (a folder; a file such as a table has none to copy), once they are
    known not to meet the output; ``UsageError`` when they do."""
    if source is None:
        return []
    if isinstance(source, (str, os.PathLike)) and os.path.isfile(source):
        source_real = Path(os.path.realpath(source))
        if _within(source_real, out_real):
            raise UsageError(f"{out}: it is, or holds, the input {source}; writing it would overwrite the input")
        return []
    root = folder_root(source, "source")
    entries, _ = walk_folder(root)  # what cannot be walked is in the report already
    _refuse_meeting(out, out_real, root, entries)
    return entries


def _target_arg(target: object) -> tuple[Path, Path]:
    if not isinstance(target, (str, os.PathLike)):
        raise UsageError(f"target must be a path (str or os.PathLike), not {type(target).__name__}")
    # The real path: a link to the output, or in its parents, is followed once, here, and never again.
    return Path(target), Path(os.path.realpath(target))


def _within(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _refuse_meeting(out: Path, out_real: Path, source: Path, entries: list[Any]) -> None:
    source_real = Path(os.path.realpath(source))
    if _within(out_real, source_real):
        raise UsageError(f"{out}: output may not be written inside the input folder {source}")
    if _within(source_real, out_real):
        raise UsageError(f"{out}: the input folder {source} lies inside it; writing it would overwrite the input")
    for entry in entries:
        if _within(Path(entry.real), out_real):
            raise UsageError(f"{source}/{entry.id}: this input file is (through a symbolic link) {entry.real}, "
                             f"inside the output {out}; writing there would change the input")


def _target_mode(out: Path, out_real: Path, force: bool, replace: bool, earlier: Callable[[Path], bool] | None = None,
                 what: str = "--clean") -> str:
    """How the staged folder goes into place: 'new' (absent or empty), 'replace' (whole: *replace*, and only an
    earlier output of *what*, as *earlier* tells, by default a ``--clean`` manifest) or 'merge' (file by file)."""
    if not isinstance(force, bool):
        raise UsageError(f"force must be True or False, not {force!r}")
    try:
        info = os.stat(out_real)
        if stat.S_ISDIR(info.st_mode):
            with os.scandir(out_real) as listing:
                empty = next(listing, None) is None
    except FileNotFoundError:
        return "new"
    except OSError as exc:
        raise OutputError(f"{out}: cannot be used ({exc.strerror})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{out}: exists and is not a folder")
    if empty:
        return "new"
    if not force:
        raise UsageError(f"{out}: folder is not empty; choose another or pass --force (force=True) to replace it")
    if not replace:
        return "merge"
    if not (earlier(out_real) if earlier is not None else manifest_format(out_real) is not None):
        raise UsageError(f"{out}: not empty and not an earlier dedup {what} output; --force "
                         "replaces only those, whole. Choose another folder or empty it yourself")
    return "replace"


def manifest_format(folder: str | os.PathLike[str]) -> str | None:
    """``FORMAT`` or ``TABLES_FORMAT`` when *folder* holds the manifest of a dedup ``--clean`` output; else ``None``
    (a ``files.json`` of anyone else's, with a list of files but not dedup's format, is no such manifest: ``--force``
    would have replaced that folder)."""
    manifest = Path(folder) / MANIFEST_NAME
    if manifest.is_symlink() or not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_bytes())
    except (OSError, ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    found = data.get("format")
    return found if found in (FORMAT, TABLES_FORMAT) else None


class _SourceError(Exception):
    """An input file that could not be read for copying (the run goes on without it)."""


class _Sink(io.RawIOBase):
    """The descriptor under a staged file: writes what it is given, and hashes and counts what it wrote."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd, self.digest, self.size = fd, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def tell(self) -> int:
        return self.size

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        written = os.write(self.fd, view)
        self.digest.update(view[:written])
        self.size += written
        return written

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self.fd)
            finally:
                super().close()


class StagedFile(io.BufferedWriter):
    """A file being written into a staging folder; once closed, ``sha256`` and ``size`` say what it holds."""

    def __init__(self, fd: int) -> None:
        self.sink = _Sink(fd)
        super().__init__(self.sink, _CHUNK)

    @property
    def sha256(self) -> str:
        return self.sink.digest.hexdigest()

    @property
    def size(self) -> int:
        return self.sink.size


class Staging:
    """A hidden folder beside the output, filled file by file and moved into place whole by ``commit``.

    Leaving the ``with`` block without a commit (an error, Ctrl-C) removes it; an
    ``OSError`` becomes ``OutputError`` naming the output path.
    """

    def __init__(self, out: Path, out_real: Path) -> None:
        self.out, self.out_real = out, out_real
        self.path: Path | None = None
        self.dirs: set[str] = set()
        self.names: list[str] = []

    def __enter__(self) -> Staging:
        parent = self.out_real.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            _sweep_stale(parent, self.out_real.name)
            # Ctrl-C waits until the folder exists and is known; if it came meanwhile, it is raised
            # when the mask is lifted, still inside this try, which removes the folder again.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                self.path = Path(tempfile.mkdtemp(dir=parent, prefix=f".{self.out_real.name}.dedup-{os.getpid()}-"))
                os.chmod(self.path, 0o777 & ~_umask())  # mkdtemp makes 0700
                _mark_staging(self.path)
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            except BaseException:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                if self.path is not None:
                    _remove_tree(self.path, ignore_errors=True)
                    _unmark(self.path)
                raise
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot create a folder beside it ({exc.strerror or exc})") from exc
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self.path is not None and self.path.exists():
            _remove_tree(self.path, ignore_errors=True)
        if self.path is not None:
            _unmark(self.path)
        if isinstance(exc, OSError) and not isinstance(exc, (OutputError, InputError)):
            where = self.out / exc.filename if isinstance(exc.filename, str) else self.out
            raise OutputError(f"{where}: cannot write ({exc.strerror or exc}); {self.out} is as it was") from exc

    def _parent(self, name: str) -> Path:
        assert self.path is not None
        # Parents first, one mkdir each: no recursion, whatever the depth.
        for prefix in _prefixes(name):
            if prefix not in self.dirs:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(self.path / prefix)
                self.dirs.add(prefix)
        return self.path / name

    def _open(self, name: str) -> int:
        try:
            fd = os.open(self._parent(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            exc.filename = name
            raise
        self.names.append(name)
        return fd

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[StagedFile]:
        """The new file *name* (a relative POSIX path), to write in the block; ``commit`` syncs it to disk.

        Left by an exception, the file is removed again (the rest of the folder stays): a
        caller that goes on puts nothing half-written into the output.
        """
        handle = StagedFile(self._open(name))
        try:
            with handle:
                yield handle
        except BaseException as exc:
            self._discard(name)
            if isinstance(exc, OSError) and not isinstance(exc, DedupError) and exc.filename is None:
                exc.filename = name  # a system error writing this file; dedup's own errors say what they mean
            raise

    def write(self, name: str, data: bytes) -> tuple[str, int]:
        """Write the file *name* with *data*; return its SHA-256 and size."""
        with self.open(name) as handle:
            handle.write(data)
        return handle.sha256, handle.size

    def copy(self, name: str, source: str | os.PathLike[str]) -> tuple[str, int]:
        """Copy the file at *source* to *name*; return its SHA-256 and size. ``_SourceError`` when it cannot be read."""
        try:
            original = open(source, "rb")  # noqa: SIM115 - closed below, after the target is open too
        except OSError as exc:
            raise _SourceError(exc.strerror or str(exc)) from None
        with original, self.open(name) as handle:
            while True:
                try:
                    chunk = original.read(_CHUNK)
                except OSError as exc:
                    raise _SourceError(exc.strerror or str(exc)) from None
                if not chunk:
                    break
                handle.write(chunk)
        return handle.sha256, handle.size

    def _discard(self, name: str) -> None:
        assert self.path is not None
        self.names.remove(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path / name)

    def commit(self, mode: str) -> None:
        """Move the staged folder into place: rename ('new'), exchange ('replace') or file by file ('merge')."""
        assert self.path is not None
        staged, target = self.path, self.out_real
        _sync([staged / name for name in self.names], [staged / d for d in self.dirs] + [staged])
        old = None
        with _uninterrupted():
            if mode == "new":
                os.rename(staged, target)  # onto nothing, or onto an empty folder
                _unmark(staged)  # a mark left behind by a kill here marks nothing: a sweep removes it
            elif mode == "replace":
                old = _swap(staged, target)
                if old != staged:  # renamed aside (no atomic exchange): else the old output took the staged name
                    _mark_staging(old)
                    _unmark(staged)
            else:
                self._merge()
            _fsync_dir(target.parent)
        self.path = None if mode != "merge" else staged
        if old is not None:
            _remove_tree(old, ignore_errors=True)  # the previous output; a leftover is swept next time
            _unmark(old)

    def _merge(self) -> None:
        """Move every staged file into the existing target, never through a link, all checks before any move."""
        assert self.path is not None
        staged, target = self.path, self.out_real
        folders: dict[str, bool] = {}  # prefix -> it exists already (as a real folder)
        for name in self.names:
            for prefix in _prefixes(name):
                if prefix not in folders:
                    try:
                        info = os.lstat(target / prefix)
                    except FileNotFoundError:
                        folders[prefix] = False
                        continue
                    if not stat.S_ISDIR(info.st_mode):
                        raise UsageError(f"{self.out / prefix}: a symbolic link or a file where {name} needs a "
                                         f"folder; restore writes only inside {self.out}, never through a link")
                    folders[prefix] = True
            if os.path.isdir(target / name) and not os.path.islink(target / name):
                raise UsageError(f"{self.out / name}: a folder where a file goes")
        for prefix, exists in folders.items():  # parents come before their children
            if not exists:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(target / prefix)
        for name in self.names:
            os.replace(staged / name, target / name)


def _prefixes(name: str) -> Iterator[str]:
    """The folders above a relative POSIX path, outermost first: 'a/b/c' gives 'a', 'a/b'."""
    end = name.find("/")
    while end >= 0:
        yield name[:end]
        end = name.find("/", end + 1)


def _swap(staged: Path, target: Path) -> Path:
    """Put *staged* where *target* is in one step where possible; return where the old folder went."""
    if _exchange(staged, target):
        return staged
    # No atomic exchange: two renames. Killed between them, the old output is at `old`.
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.dedup-{os.getpid()}-old-"))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(staged, target)
    except BaseException:
        os.rename(old, target)  # put the old output back: replaced whole or not at all
        raise
    return old


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False when the system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, ImportError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), os.fspath(b))


def _sync(files: list[Path], folders: list[Path]) -> None:
    """Make every staged file and folder durable before the rename publishes them.

    The fsync calls run from a pool of threads: the file system commits its journal once
    for many of them (20,000 files: about 2 s, against 2 minutes one after another on this
    machine's disk). ``syncfs`` would be quicker still but waits for every other process's
    writes to the same disk too.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(32, len(files) or 1)) as pool:
        list(pool.map(_fsync_file, files))
    for folder in folders:  # after their files
        _fsync_dir(folder)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM back until the block is done; then deliver them. Only the main thread can."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda number, frame: caught.append(number)) for number in held}
    try:
        yield
    finally:
        for number in held:
            signal.signal(number, previous[number])
        for number in dict.fromkeys(caught):
            handler = previous[number]
            if callable(handler):
                handler(number, None)  # Python's own or the command's handler: an exception, now
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), number)


def _mark_staging(folder: Path) -> None:
    """Mark *folder* as dedup's own staging (or outgoing) folder, by a file beside it: only a marked folder is ever
    swept."""
    with open(_mark_of(folder), "wb"):
        pass


def _mark_of(folder: Path | str) -> str:
    return os.fspath(folder) + STAGING_MARK


def _unmark(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_mark_of(folder))


def _sweep_stale(parent: Path, name: str) -> None:
    """Remove staging folders beside *name* left by runs that were killed (their process is gone): folders named
    as dedup names them and marked by a file beside them, never a folder that only has such a name (an input, say);
    then the marks of folders no longer there."""
    pattern = re.compile(rf"\.{re.escape(name)}\.dedup-(\d+)-")
    with os.scandir(parent) as listing:
        entries = [(e.path, e.is_dir(follow_symlinks=False)) for e in listing
                   if (m := pattern.match(e.name)) and not _alive(int(m.group(1)))]
    for path, is_dir in entries:
        mark = _mark_of(path)
        if is_dir and os.path.isfile(mark) and not os.path.islink(mark):
            _remove_tree(Path(path), ignore_errors=True)
            _unmark(Path(path))
        elif not is_dir and path.endswith(STAGING_MARK) and not os.path.lexists(path[:-len(STAGING_MARK)]):
            with contextlib.suppress(OSError):
                os.unlink(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _remove_tree(path: Path, ignore_errors: bool = False) -> None:
    """Remove a folder and everything in it, links as links; iterative: no depth limit (unlike shutil.rmtree)."""
    folders, stack = [], [os.fspath(path)]
    try:
        while stack:
            folder = stack.pop()
            folders.append(folder)
            with os.scandir(folder) as listing:
                for entry in listing:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        os.unlink(entry.path)
        for folder in reversed(folders):
            os.rmdir(folder)
    except OSError:
        if not ignore_errors:
            raise
