"""Read a corpus: files under a folder, or ``(id, text)`` pairs in memory."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ._progress import steps

__all__ = ["Document", "ReadError", "decode", "encode", "read_corpus", "read_folder"]

_SNIFF_BYTES = 8192
# Share of C0 control characters (other than tab, newline, carriage return, form
# feed) above which decoded text is taken for binary data decoded by accident.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class Document:
    """One text of the corpus: its id, decoded text and the encoding it came in."""

    id: str
    text: str
    encoding: str = "utf-8"


@dataclass(frozen=True, slots=True)
class ReadError:
    """A path that could not be used, and why; the run goes on without it."""

    path: str
    error: str


def decode(data: bytes) -> tuple[str, str]:
    """Decode *data* as UTF-8 (BOM or not), UTF-16 with a BOM, or GB18030; return ``(text, encoding)``.

    Raises ``ValueError`` with the reason for binary or undecodable data.

    >>> decode("中文".encode("gbk"))
    ('中文', 'gb18030')
    >>> decode(codecs.BOM_UTF8 + b"abc")
    ('abc', 'utf-8-sig')
    """
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data, "utf-8-sig"), "utf-8-sig"
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return _checked(data[len(bom):], encoding), encoding
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise ValueError("binary file (NUL bytes); not text")
    for encoding in ("utf-8", "gb18030"):
        try:
            return _checked(data, encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValueError("not UTF-8, UTF-16 (with BOM) or GB18030/GBK text; re-encode it as UTF-8")


def _checked(data: bytes, encoding: str) -> str:
    text = data.decode(encoding)
    sample = text[:_SNIFF_BYTES]
    controls = len(_CONTROL.findall(sample))
    if sample and controls / len(sample) > _MAX_CONTROL_SHARE:
        raise ValueError(f"binary file ({controls} control characters in the first {len(sample)}); not text")
    return text


def encode(text: str, encoding: str) -> bytes:
    """The bytes of *text* in the encoding ``decode`` reported, BOM included, so a round trip is exact.

    >>> data = codecs.BOM_UTF16_BE + "中文".encode("utf-16-be")
    >>> encode(*decode(data)) == data
    True
    """
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    return bom + text.encode(encoding)


def read_folder(folder: str | Path, glob: str = "*.txt",
                progress: bool = False) -> tuple[list[Document], list[ReadError]]:
    """Read every file matching *glob* under *folder* (recursively), in sorted id order.

    A document's id is its POSIX path relative to *folder*. Files that cannot be
    read or decoded become ``ReadError`` entries; the others are returned.

    >>> read_folder("no/such/folder")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no/such/folder: no such folder
    """
    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(f"{folder}: no such folder")
    if not root.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder (give the folder that holds the text files)")
    documents: list[Document] = []
    errors: list[ReadError] = []
    paths = sorted((p for p in root.rglob(glob) if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
    for path in steps(paths, total=len(paths), desc="read", enabled=progress):
        doc_id = path.relative_to(root).as_posix()
        try:
            text, encoding = decode(path.read_bytes())
        except (OSError, ValueError) as exc:
            errors.append(ReadError(doc_id, _reason(exc)))
            continue
        documents.append(Document(doc_id, text, encoding))
    return documents, errors


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc)


def read_corpus(corpus: str | Path | Iterable[tuple[str, str]] | Iterable[Document],
                glob: str = "*.txt", progress: bool = False) -> tuple[list[Document], list[ReadError]]:
    """Turn a folder path or an iterable of ``(id, text)`` / ``Document`` into sorted documents.

    >>> docs, errors = read_corpus([("b", "x"), ("a", "y")])
    >>> [d.id for d in docs], errors
    (['a', 'b'], [])
    """
    if isinstance(corpus, (str, Path)):
        return read_folder(corpus, glob, progress)
    documents = list(_documents(corpus))
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise ValueError("document ids must be unique")
    documents.sort(key=lambda d: d.id)
    return documents, []


def _documents(items: Iterable[tuple[str, str]] | Iterable[Document]) -> Iterator[Document]:
    for item in items:
        if isinstance(item, Document):
            yield item
        else:
            doc_id, text = item
            if not isinstance(text, str):
                raise TypeError(f"document {doc_id!r}: text must be str, not {type(text).__name__}")
            yield Document(str(doc_id), text)
