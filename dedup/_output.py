"""Write a cleaned corpus and its removal log to a folder, atomically, and read it back."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ._clean import Cleaned, Removal, restore
from ._read import encode

__all__ = ["LOG_NAME", "MANIFEST_NAME", "atomic_write", "check_outside", "restore_folder", "write_cleaned"]

LOG_NAME = "removed.jsonl"
# The files a cleaning wrote, so that restore ignores anything else left in the folder.
MANIFEST_NAME = "files.json"


def atomic_write(path: Path, data: bytes) -> None:
    """Write *data* to *path* through a temporary file and a rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode a plain open() would
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_outside(target: Path, source: Path) -> None:
    """Refuse an output path inside the input folder: the input is never written to."""
    resolved, root = target.resolve(), source.resolve()
    if resolved == root or root in resolved.parents:
        raise ValueError(f"{target}: output may not be written inside the input folder {source}")


def _check_target(target: Path, force: bool, source: Path | None = None) -> None:
    if source is not None:
        check_outside(target, source)
    if target.exists() and not target.is_dir():
        raise ValueError(f"{target}: exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not force:
        raise ValueError(f"{target}: folder is not empty; choose another or pass --force to write over it")


def write_cleaned(cleaned: Cleaned, source: Path, target: Path, force: bool = False) -> None:
    """Write every document of *cleaned* under *target* (mirroring *source*) plus ``removed.jsonl``.

    Files that could not be read are copied unchanged, so the folder is complete.
    The input folder is never written to.
    """
    _check_target(target, force, source)
    result = cleaned.result
    for name in (LOG_NAME, MANIFEST_NAME):
        if name in cleaned.texts:
            raise ValueError(f"an input file is named {name}, which would clash with dedup's own {name}")
    written = []
    for document in result.documents:
        atomic_write(target / document.id, encode(cleaned.texts[document.id], document.encoding))
        written.append(document.id)
    for error in result.errors:
        original = source / error.path
        if original.is_file():
            try:
                atomic_write(target / error.path, original.read_bytes())
                written.append(error.path)
            except OSError:
                continue  # unreadable: it is listed in the report's errors already
    log = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in cleaned.removed)
    atomic_write(target / LOG_NAME, log.encode("utf-8"))
    atomic_write(target / MANIFEST_NAME, json.dumps({"files": sorted(written)}, ensure_ascii=False).encode("utf-8"))


def restore_folder(cleaned_dir: Path, target: Path, force: bool = False) -> int:
    """Rebuild the original files of a cleaned folder into *target*; return how many files were written."""
    log_path = cleaned_dir / LOG_NAME
    if not log_path.is_file():
        raise FileNotFoundError(f"{cleaned_dir}: no {LOG_NAME} here; is this a folder written by --clean?")
    _check_target(target, force, cleaned_dir)
    removals = [Removal.from_dict(json.loads(line)) for line in log_path.read_text("utf-8").splitlines() if line]
    encodings = {r.doc: r.encoding for r in removals}
    manifest = cleaned_dir / MANIFEST_NAME
    if manifest.is_file():
        names = json.loads(manifest.read_text("utf-8"))["files"]
    else:  # a folder from before the manifest: every file but dedup's own and temporary leftovers
        names = sorted(p.relative_to(cleaned_dir).as_posix() for p in cleaned_dir.rglob("*")
                       if p.is_file() and p.name != LOG_NAME and not p.name.endswith(".tmp"))
    written = 0
    for doc_id in names:
        path = cleaned_dir / doc_id
        data = path.read_bytes()
        if doc_id in encodings:
            text = _decode_as(data, encodings[doc_id])
            original = restore({doc_id: text}, [r for r in removals if r.doc == doc_id])[doc_id]
            data = encode(original, encodings[doc_id])
        atomic_write(target / doc_id, data)
        written += 1
    missing = set(encodings) - set(names)
    if missing:
        raise FileNotFoundError(f"{cleaned_dir}: files named in {LOG_NAME} are missing: {', '.join(sorted(missing))}")
    return written


def _decode_as(data: bytes, encoding: str) -> str:
    bom = len(encode("", encoding)) if encoding.startswith("utf-16") else 0
    return data[bom:].decode(encoding)
