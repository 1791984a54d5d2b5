"""Read a corpus: text files under a folder, tables (see ``_tabular``), or rows in memory, in input order."""

from __future__ import annotations

import codecs
import errno
import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import InputError, UsageError
from ._progress import steps

__all__ = ["DEFAULT_INCLUDE", "ESCAPED", "TEXT_PATTERN", "Document", "FolderEntry", "FolderScan", "ReadError", "check_unique_ids", "decode",
           "decode_as", "encode", "folder_root", "include_matcher", "no_text", "read_corpus", "read_file", "read_folder",
           "walk_folder"]

_SNIFF_BYTES = 8192
# Share of C0 control characters (other than tab, newline, carriage return, form
# feed) above which decoded text is taken for binary data decoded by accident.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class Document:
    """One text of the corpus: its id, decoded text and the encoding it came in.

    Rows of a table also say where they came from: ``source`` (the file, relative to
    the input folder; empty for data in memory), ``row`` (0-based, within that file or
    object) and ``key`` (the id value as the table had it, of any scalar type;
    ``id == str(key)``).
    """

    id: str
    text: str
    encoding: str = "utf-8"
    source: str = ""
    row: int = -1
    key: object = None


@dataclass(frozen=True, slots=True)
class ReadError:
    """A path that could not be used, and why; the run goes on without it."""

    path: str
    error: str


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode *data* into ``(text, encoding)`` such that ``encode(text, encoding) == data`` exactly.

    A byte-order mark decides first (UTF-8, UTF-16). Then UTF-8; a file that is UTF-8
    but for a few bytes (cut mid-character, say) stays UTF-8, its bad bytes kept as
    lone surrogates U+DC80-U+DCFF (``surrogateescape``) so they are written back as they
    were. Then GB18030/GBK, or Big5 when only Big5 fits or when charset-normalizer
    prefers it (every Big5 text is valid GB18030 too). Any other encoding must be named:
    *encoding* (any Python codec name) replaces the guessing; a BOM still wins. Raises
    ``ValueError`` with the reason for binary or undecodable data, or for data that would
    not be written back byte for byte.

    >>> decode("中文".encode("gbk"))
    ('中文', 'gb18030')
    >>> decode(codecs.BOM_UTF8 + b"abc")
    ('abc', 'utf-8-sig')
    >>> decode("中文".encode("utf-8")[:-1])  # cut mid-character: UTF-8 still, damage kept
    ('中\\udce6\\udc96', 'utf-8')
    """
    for bom, label in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            return _checked(data, _utf8(body) if label == "utf-8-sig" else _strict(body, label), label)
    if encoding is not None and _codec(encoding) != "utf-8":
        return _checked(data, _strict(data, _codec(encoding)), _codec(encoding))
    if encoding is None and b"\x00" in data[:_SNIFF_BYTES]:
        raise ValueError("binary file (NUL bytes); not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        damaged = _damaged_utf8(data, exc)
        if damaged is not None:
            return _checked(data, damaged, "utf-8")
        if encoding is not None:
            raise ValueError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
        return _checked(data, *_legacy(data))
    return _checked(data, text, "utf-8")


# Checked in this order; UTF-32 is left out on purpose (its BOM starts with UTF-16's).
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Bytes UTF-8 could not decode, as the text keeps them (surrogateescape).
ESCAPED = re.compile("[\udc80-\udcff]")
# A UTF-8 file with bad bytes stays UTF-8 when its well-formed multi-byte characters
# outnumber the bad bytes this many times: GBK text read as UTF-8 has about as many bad
# bytes as characters, a damaged UTF-8 file a handful among thousands.
_UTF8_MAJORITY = 8


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = _damaged_utf8(data, exc)
        if text is None:
            raise ValueError(f"not valid UTF-8 ({exc.reason} at byte {exc.start}) after a UTF-8 byte-order mark") from None
        return text


def _damaged_utf8(data: bytes, exc: UnicodeDecodeError) -> str | None:
    """*data* as UTF-8 with its bad bytes escaped, when it is UTF-8 but for a few bytes; else None."""
    text = data.decode("utf-8", "surrogateescape")
    bad = len(ESCAPED.findall(text))
    wide = len(text) - len(text.encode("ascii", "ignore")) - bad  # well-formed non-ASCII characters
    # Cut mid-character at the end: the first bad byte starts an incomplete last character.
    cut_short = exc.reason == "unexpected end of data" and exc.start >= len(data) - 3
    if wide and (cut_short or wide >= _UTF8_MAJORITY * bad):
        return text
    return None


def _strict(data: bytes, label: str) -> str:
    try:
        return data.decode(label)
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid {label} ({exc.reason} at byte {exc.start})") from None


def _codec(encoding: str) -> str:
    """The canonical name of a Python codec, or ``UsageError`` naming the option."""
    if not isinstance(encoding, str):
        raise UsageError(f"encoding must be a codec name (str), not {type(encoding).__name__}")
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"encoding: unknown encoding {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UsageError(f"encoding: {encoding!r} is not a text encoding")
    return info.name


def _legacy(data: bytes) -> tuple[str, str]:
    """Not UTF-8: GB18030 or Big5; the detector decides when both fit.

    The detector is not asked about other encodings: on short or mixed data its guesses
    range over every code page (UTF-8 with a few bad bytes came out as Greek cp737), and
    a wrong guess reads as mojibake without a word. Such files are errors that say to
    name the encoding.
    """
    readings = [_exact(data, "gb18030"), _exact(data, "big5")]
    gb, big5 = (t if t is not None and _reads_as_chinese(t) else None for t in readings)
    if gb is None and big5 is None and readings != [None, None]:
        raise ValueError("not UTF-8; as GB18030 or Big5 it reads as Chinese characters inside Latin words (as a "
                         "single-byte encoding such as Latin-1 or Windows-1252 does): re-encode it as UTF-8 or name "
                         "its encoding with --encoding")
    if gb is not None and big5 is None:
        return gb, "gb18030"  # the common case (GBK corpora) never pays for the detector
    if big5 is not None and gb is None:
        return big5, "big5"
    if gb is not None and big5 is not None:
        # Every Big5 byte pair is also a GBK pair: only the detector can tell them apart. On
        # a tie (short texts) GB18030 stays, as before: Simplified Chinese first.
        scores = _detect(data, ["gb18030", "big5"])
        if "big5" in scores and scores["big5"] < scores.get("gb18030", (float("inf"),)):
            return big5, "big5"
        return gb, "gb18030"
    raise ValueError("not UTF-8, UTF-16 (with BOM), GB18030/GBK or Big5 text; re-encode it as UTF-8 or name its "
                     "encoding with --encoding")


# A Chinese character beside a Latin letter, as a single-byte encoding read as GB18030 or Big5 gives: an accented
# letter and the plain one after it become one character ("élèves": E9 6C E8 76 -> 閘鑦es).
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_IN_WORD = re.compile("(?<=[A-Za-z])[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|"
                          "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff](?=[A-Za-z])")


def _reads_as_chinese(text: str, least: int = 4) -> bool:
    """Whether a reading as GB18030 or Big5 looks like Chinese: fewer than half of its Han characters (when it
    has *least* or more) touch a Latin letter. Chinese text with English words in it has a few that do;
    Latin-1 text read so has most.

    >>> _reads_as_chinese("中文的文字，mtv的网络"), _reads_as_chinese("Les 閘鑦es 閠udient la litt閞ature")
    (True, False)
    """
    sample = text[:_SNIFF_BYTES]  # the sign shows from the start; a GBK corpus is not read twice over
    han = len(_HAN.findall(sample))
    return han < least or 2 * len(_HAN_IN_WORD.findall(sample)) < han


def _exact(data: bytes, label: str) -> str | None:
    """*data* decoded as *label* when that decodes and encodes back to the same bytes, else None."""
    try:
        text = data.decode(label)
        return text if text.encode(label) == data else None
    except (UnicodeError, LookupError):
        return None


def _detect(data: bytes, candidates: list[str]) -> dict[str, tuple[float, float]]:
    """charset-normalizer's scores for *candidates* that fit: codec name -> (chaos, -coherence), lower is better.

    Asked only when UTF-8 and UTF-16 failed and more than one candidate decodes.
    """
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # a dependency, but reading should not fail without it: then no candidate is preferred
        return {}
    scores: dict[str, tuple[float, float]] = {}
    for match in from_bytes(data, cp_isolation=candidates):
        try:
            scores.setdefault(codecs.lookup(match.encoding).name, (match.chaos, -match.coherence))
        except LookupError:
            continue
    return scores


def _checked(data: bytes, text: str, label: str) -> tuple[str, str]:
    sample = text[:_SNIFF_BYTES]
    controls = len(_CONTROL.findall(sample))
    if sample and controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError(f"binary file ({controls} control characters in the first {len(sample)}); not text")
    # UTF-8 decoding is one to one by construction (bad bytes escaped); other codecs may
    # map two byte sequences to one character (Big5 does), and a file must come back as it was.
    if label != "utf-8" and encode(text, label) != data:
        raise ValueError(f"decodes as {label} but would not be written back byte for byte; "
                         "re-encode it as UTF-8 or name another encoding with --encoding")
    return text, label


def encode(text: str, encoding: str) -> bytes:
    """The bytes of *text* in the encoding ``decode`` reported, BOM and damaged bytes included: a round trip is exact.

    >>> data = codecs.BOM_UTF16_BE + "中文".encode("utf-16-be")
    >>> encode(*decode(data)) == data
    True
    >>> data = "中文".encode("utf-8")[:-1]
    >>> encode(*decode(data)) == data
    True
    """
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    # Bytes UTF-8 could not decode are lone surrogates in the text; they go back as the bytes they were.
    errors = "surrogateescape" if encoding in ("utf-8", "utf-8-sig") else "strict"
    return bom + text.encode(encoding, errors)


def reader_codec(encoding: str) -> str:
    """The Python codec that decodes a file ``decode`` read as *encoding*, byte-order mark and all, to the
    text that offsets count in: what reports name (``decode``'s UTF-16 labels keep the byte order for writing
    back, and Python's ``utf-16-le`` would keep the mark as a character).

    >>> [reader_codec(e) for e in ("utf-16-le", "utf-16-be", "utf-8-sig", "gb18030")]
    ['utf-16', 'utf-16', 'utf-8-sig', 'gb18030']
    """
    return "utf-16" if encoding in ("utf-16-le", "utf-16-be") else encoding


def decode_as(data: bytes, encoding: str) -> str:
    """The inverse of ``encode``: *data* (BOM included) as text in *encoding*; ``ValueError`` when it is not.

    >>> decode_as(encode("中文", "utf-16-le"), "utf-16-le")
    '中文'
    """
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    if not data.startswith(bom):
        raise ValueError(f"does not start with the byte-order mark of {encoding}")
    errors = "surrogateescape" if encoding in ("utf-8", "utf-8-sig") else "strict"
    try:
        return data[len(bom):].decode(encoding, errors)
    except (UnicodeError, LookupError) as exc:
        raise ValueError(f"not valid {encoding}: {exc}") from None


# Read by default: plain-text formats. Anything else is listed as skipped (and copied
# unchanged by --clean); --include widens or narrows the set.
# What find_duplicates and the command read in a folder unless given --include (include=): other files are listed
# as skipped, and a folder of tables is read when no file matches.
TEXT_PATTERN = "*.txt"
DEFAULT_INCLUDE: tuple[str, ...] = ("*.txt", "*.text", "*.md", "*.markdown", "*.rst", "*.org", "*.adoc", "*.tex")


@dataclass(frozen=True, slots=True)
class FolderEntry:
    """A regular file under the folder: its id (POSIX path relative to the folder), a path to open, its real path."""

    id: str
    path: str
    real: str


@dataclass(frozen=True, slots=True)
class FolderScan:
    """What ``read_folder`` found: documents, paths that could not be used (and why), files not matching.

    ``skipped`` holds the ids of regular files that match no include pattern. Unpacking
    gives ``(documents, errors)``, the pair earlier versions returned.
    """

    documents: list[Document]
    errors: list[ReadError]
    skipped: list[str]

    def __iter__(self) -> Iterator[Any]:
        return iter((self.documents, self.errors))


def read_folder(folder: str | os.PathLike[str], include: str | Iterable[str] | None = None, progress: bool = False,
                *, encoding: str | None = None, glob: str | None = None) -> FolderScan:
    """Read every file under *folder* (recursively, symbolic links followed) whose name matches *include*.

    *include*: patterns (``fnmatch``, case-insensitive; default ``DEFAULT_INCLUDE``); one
    without ``/`` matches a file name at any depth, one with ``/`` the path relative to
    *folder*; no pattern can reach outside it. A document's id is its POSIX path relative
    to *folder* (bytes of a name that are not UTF-8 appear as surrogate escapes, as
    ``os.fsdecode`` gives them). Files that cannot be read or decoded, unreadable folders,
    broken or looping links and special files become ``ReadError`` entries; a file read
    as UTF-8 with some bad bytes is a document and an entry. *encoding* replaces the
    guessing (see ``decode``); *glob* is the deprecated single pattern. Ids are sorted.

    >>> read_folder("no/such/folder")
    Traceback (most recent call last):
    ...
    dedup._errors.InputError: no/such/folder: no such folder
    """
    if glob is not None:
        import warnings

        warnings.warn("read_folder(glob=...) is deprecated; use include=", DeprecationWarning, stacklevel=2)
        include = glob if include is None else include
    wanted, errors, skipped = list_folder(folder, include, encoding)
    documents, read_errors = read_entries(steps(wanted, total=len(wanted), desc="read", enabled=progress), encoding)
    return FolderScan(documents, sorted(errors + read_errors, key=lambda e: e.path), skipped)


def list_folder(folder: str | os.PathLike[str], include: str | Iterable[str] | None = None,
                encoding: str | None = None) -> tuple[list[FolderEntry], list[ReadError], list[str]]:
    """What ``read_folder`` reads, before reading it: the files *include* matches (in id order), the
    entries for what cannot be walked, and the ids of the files it skips. *encoding* is checked here.

    >>> list_folder("no/such/folder")
    Traceback (most recent call last):
    ...
    dedup._errors.InputError: no/such/folder: no such folder
    """
    matches = include_matcher(include)
    if encoding is not None:
        _codec(encoding)
    files, errors = walk_folder(folder)
    wanted = [entry for entry in files if matches(entry.id)]
    return wanted, errors, [entry.id for entry in files if not matches(entry.id)]


def read_entries(entries: Iterable[FolderEntry], encoding: str | None = None) -> tuple[list[Document], list[ReadError]]:
    """``read_file`` for each of *entries*, in order: the documents, and the entries for what could not be read.

    >>> read_entries([])
    ([], [])
    """
    documents: list[Document] = []
    errors: list[ReadError] = []
    for entry in entries:
        for item in read_file(entry.id, entry.path, encoding):
            (documents if isinstance(item, Document) else errors).append(item)  # type: ignore[arg-type]
    return documents, errors


def read_file(doc_id: str, path: str | os.PathLike[str], encoding: str | None = None) -> list[Document | ReadError]:
    """One text file as the document *doc_id*, with an error entry beside it when its UTF-8 was damaged;
    or only an error entry when it cannot be read or decoded."""
    try:
        with open(path, "rb") as handle:
            text, label = decode(handle.read(), encoding)
    except (OSError, ValueError) as exc:
        return [ReadError(doc_id, _reason(exc))]
    damage = _damage(text)
    return [Document(doc_id, text, label)] + ([ReadError(doc_id, damage)] if damage else [])


def _damage(text: str) -> str:
    """What a document read as UTF-8 with bad bytes should report, or ''."""
    bad = ESCAPED.search(text)
    if bad is None:
        return ""
    count = len(ESCAPED.findall(text))
    if bad.start() >= len(text) - 3 and ESCAPED.match(text[-1]):
        where = "at its end: the file is cut short mid-character"
    else:
        where = f"the first at character {bad.start()}"
    return (f"read as UTF-8 with {count} byte{'s' if count > 1 else ''} that are not UTF-8, {where}; "
            "they are kept as they are and written back unchanged")


def include_matcher(include: str | Iterable[str] | None) -> Callable[[str], bool]:
    """A test of a relative POSIX path against *include* patterns (default ``DEFAULT_INCLUDE``), case-insensitive.

    ``UsageError`` names a pattern that is empty or would leave the folder.

    >>> matches = include_matcher(["*.TXT", "notes/*.md"])
    >>> matches("a/B.txt"), matches("notes/x.md"), matches("x.md")
    (True, True, False)
    >>> include_matcher("../*.txt")
    Traceback (most recent call last):
    ...
    dedup._errors.UsageError: include: pattern '../*.txt' leaves the folder; patterns match paths inside it
    """
    if include is None:
        include = DEFAULT_INCLUDE
    patterns = [include] if isinstance(include, str) else include
    try:
        patterns = list(patterns)
    except TypeError:
        raise UsageError(f"include must be a pattern or a list of patterns, not {type(include).__name__}") from None
    if not patterns:
        raise UsageError("include: no patterns given; nothing would be read")
    names: list[str] = []
    paths: list[str] = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise UsageError(f"include: patterns must be str, not {type(pattern).__name__} ({pattern!r})")
        if not pattern or "\x00" in pattern:
            raise UsageError(f"include: pattern {pattern!r} is empty or holds a NUL character")
        parts = pattern.split("/")
        if pattern.startswith("/") or ".." in parts:
            raise UsageError(f"include: pattern {pattern!r} leaves the folder; patterns match paths inside it")
        (paths if "/" in pattern else names).append(fnmatch.translate(pattern))
    name_re = re.compile("|".join(names), re.IGNORECASE) if names else None
    path_re = re.compile("|".join(paths), re.IGNORECASE) if paths else None

    def matches(doc_id: str) -> bool:
        if name_re is not None and name_re.match(doc_id.rpartition("/")[2]):
            return True
        return path_re is not None and path_re.match(doc_id) is not None

    return matches


def folder_root(folder: str | os.PathLike[str], what: str = "folder") -> Path:
    """*folder* as a ``Path`` once it is known to be an existing folder; ``UsageError``/``InputError`` otherwise."""
    if not isinstance(folder, (str, os.PathLike)):
        raise UsageError(f"{what} must be a path (str or os.PathLike), not {type(folder).__name__}")
    root = Path(folder)
    try:
        info = root.stat()
    except FileNotFoundError:
        raise InputError(f"{folder}: no such folder") from None
    except OSError as exc:
        raise InputError(f"{folder}: cannot open ({_reason(exc)})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise InputError(f"{folder}: not a folder (give the folder that holds the text files)")
    return root


def walk_folder(folder: str | os.PathLike[str]) -> tuple[list[FolderEntry], list[ReadError]]:
    """Every regular file under *folder* (sorted by id), and entries for what cannot be walked.

    Symbolic links are followed; a link that leads back to a folder above it, a broken
    link, a folder that cannot be opened and a special file (pipe, socket, device) each
    become a ``ReadError``. The walk keeps its own stack: no depth limit.
    """
    root = folder_root(folder)
    files: list[FolderEntry] = []
    errors: list[ReadError] = []
    top = os.stat(root)
    # (id prefix, path to open, real path, keys of the folders above it: loop detection)
    stack = [("", os.fspath(root), os.path.realpath(root), frozenset({(top.st_dev, top.st_ino)}))]
    while stack:
        prefix, path, real, above = stack.pop()
        try:
            with os.scandir(path) as listing:
                entries = list(listing)
        except OSError as exc:
            errors.append(ReadError(prefix.rstrip("/") or ".", f"cannot open folder: {_reason(exc)}"))
            continue
        for entry in entries:
            doc_id = prefix + entry.name
            link = entry.is_symlink()
            try:
                info = entry.stat()  # follows links
            except OSError as exc:
                errors.append(ReadError(doc_id, _link_problem(entry.path, exc) if link else _reason(exc)))
                continue
            entry_real = os.path.realpath(entry.path) if link else os.path.join(real, entry.name)
            if stat.S_ISDIR(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if key in above:
                    errors.append(ReadError(doc_id, "symbolic link loop: it leads back to a folder above it"))
                else:
                    stack.append((doc_id + "/", entry.path, entry_real, above | {key}))
            elif stat.S_ISREG(info.st_mode):
                files.append(FolderEntry(doc_id, entry.path, entry_real))
            else:
                errors.append(ReadError(doc_id, "not a regular file (pipe, socket or device); left out"))
    files.sort(key=lambda f: f.id)
    errors.sort(key=lambda e: e.path)
    return files, errors


def _link_problem(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return f"broken symbolic link (to {os.readlink(path)!r}, which does not exist)"
    return f"symbolic link that cannot be followed: {_reason(exc)}"


def _reason(exc: BaseException) -> str:
    """Why *exc* happened, in a few words: the system's reason for an ``OSError``, else its message or type."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def no_text(source: object, errors: Sequence[ReadError], why: str = "no documents", listed: bool = False) -> InputError:
    """The error of a read that found no document: why (its read errors when it had any: the first, or their
    count when *listed* already), else *why*.

    >>> str(no_text("in", [ReadError("a.txt", "not UTF-8")]))
    'in: no text to work on (none could be read; 1 error, the first a.txt: not UTF-8)'
    >>> str(no_text("in", [ReadError("a.txt", "not UTF-8")], listed=True))
    'in: no text to work on (none could be read; 1 error, above)'
    >>> str(no_text("in", [], "no rows"))
    'in: no text to work on (no rows)'
    """
    from ._report import counted

    if errors:
        first = "above" if listed else f"the first {errors[0].path}: {errors[0].error}"
        why = f"none could be read; {counted(len(errors), 'error')}, {first}"
    return InputError(f"{source}: no text to work on ({why})")


def read_corpus(corpus: str | os.PathLike[str] | Iterable[Any], include: str | Iterable[str] | None = None,
                progress: bool = False, *, encoding: str | None = None, text_field: str = "text",
                id_field: str | None = None) -> FolderScan:
    """Read *corpus* into documents in input order, and error entries for what could not be read.

    *corpus*: a folder of text files (``read_folder``, with *include* and *encoding*); a
    JSON Lines, CSV/TSV or Parquet file (``.gz``, ``.bz2``, ``.zst`` too) or a folder of
    such shards (see ``_tabular.table_files``); a single text file;
    a pandas or polars DataFrame, pyarrow Table or Hugging Face ``Dataset``; or an iterable
    of dicts, ``(id, text)`` pairs or ``Document`` objects. Rows take their text from
    *text_field* and their id from *id_field* (default: a field ``id`` when there is one,
    else the row number; ``""``: the row number always). A row whose text is null or not a string is an error entry;
    two rows with one id are an error (``UsageError``). Corpus order is input order:
    files in path order, then rows.

    >>> docs, errors = read_corpus([{"id": 9, "text": "x"}, {"id": 10, "text": None}, ("b", "y")])
    >>> [(d.id, d.key, d.row) for d in docs], [e.error for e in errors]
    ([('9', 9, 0), ('b', 'b', 2)], ['row 1 (id 10): text is null, not a string'])
    """
    from ._tabular import check_table_encoding, read_objects, read_path, read_text_file, table_files, warn_if_jsonl

    if isinstance(corpus, (str, os.PathLike)):
        tables = table_files(corpus, include)
        if tables is not None:
            check_table_encoding(encoding)
            return _collect(read_path(tables.files, text_field, id_field, progress), tables.errors, tables.skipped)
        if Path(corpus).is_file():
            return _collect(read_text_file(Path(corpus), encoding))
        if not os.path.lexists(corpus):
            text = isinstance(corpus, str) and (len(corpus) > 255 or any(c.isspace() for c in corpus))
            raise InputError(f"{_shown(corpus) if text else corpus}: no such file or folder" + (
                "; a string is a path: give texts as (id, text) pairs, e.g. list(enumerate(texts))" if text else ""))
        scan = read_folder(corpus, include, progress, encoding=encoding)
        warn_if_jsonl(scan.documents)
        return scan
    return _collect(read_objects(corpus, text_field, id_field))


def _shown(path: str | os.PathLike[str], most: int = 60) -> str:
    """*path* as an error names it: cut to *most* characters (a text given where a path goes can be long)."""
    name = os.fsdecode(path)
    name = name if len(name) <= most else name[:most] + "…"
    return repr(name) if any(not c.isprintable() for c in name) else name  # a line break stays on the line


def _collect(items: Iterable[Document | ReadError], errors: Iterable[ReadError] = (),
             skipped: Iterable[str] = ()) -> FolderScan:
    """Split *items* into documents and errors, refusing an id used twice (naming both rows)."""
    documents: list[Document] = []
    errors = list(errors)
    for item in items:
        (errors if isinstance(item, ReadError) else documents).append(item)  # type: ignore[arg-type]
    check_unique_ids(documents)
    return FolderScan(documents, errors, list(skipped))


def check_unique_ids(documents: Sequence[Document]) -> None:
    """Raise ``UsageError`` naming the first two documents that share an id.

    >>> check_unique_ids([Document("a", "x"), Document("b", "y")])
    """
    seen: dict[str, int] = {}
    for position, document in enumerate(documents):
        first = seen.setdefault(document.id, position)
        if first != position:
            raise UsageError(f"document ids must be unique: id {document.id!r} is used by {_where(documents[first])} "
                             f"and by {_where(document)} (give unique ids; for table or dict rows, name another id "
                             f"field, or give an empty one, --id-field '' or id_field='', to number the rows)")


def _where(document: Document) -> str:
    if document.row < 0:
        return f"document {document.id!r}"
    return f"{document.source} row {document.row}" if document.source else f"row {document.row}"
