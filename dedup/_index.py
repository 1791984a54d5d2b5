"""A persistent, incremental index in one SQLite file: add documents as they arrive, ask what they duplicate.

The index keeps what matching needs, not the documents: for each distinct normalised text
(a *group*: passages whose normal forms are equal) a hash of it, its text (GB18030, 16 texts
to a zlib block), its LSH band keys and a fixed-rate sample of its shingles for the
containment search; for each passage its document, line and offsets; and every verified
pair of groups (a *link*). Of its MinHash signature only the low four bits of each bin
are stored (``num_perm / 2`` bytes, not ``num_perm``): enough to drop most LSH candidates
without their texts (``_without_hopeless``); a stored group that stays a candidate is signed
again from its text (signing is deterministic, and linear in the text's length). An option
keeps the document texts too. Each
``add`` is one SQLite transaction (WAL mode), so a reader always sees the index before or
after an add, never during, and a killed writer leaves it as it was.

Rules, each a function of the stored state only (so, without the containment search, adding
a corpus in any number of batches gives what adding it at once gives; with it, the contained
pairs across adds depend on the split, see the last rule; ``export`` always equals the union of
what the adds returned):

- ranks: passages are numbered in insertion order (``pid``), groups in order of their
  first passage (``gid``); passages of earlier adds are kept before later ones.
- LSH buckets: a group is a candidate of every group before it in a bucket while it is
  among the bucket's first ``max_bucket``; after that, of the bucket's first group only
  (the batch engine pairs a bucket of more than ``max_bucket`` as a star around its first
  member; the index cannot know a bucket's final size, so it reports a superset).
- equal texts: the j-th passage of a group pairs with every earlier one while
  ``j < max_bucket``, then with the first only.
- a link between groups g and h gives the pair of their first passages, and a pair
  (x, y), y the later, when ``(rank of y in its group + 1) * (passages of the other group
  before y) <= max_bucket**2`` (the batch engine expands a link to all member pairs when
  ``|g| * |h| <= max_bucket**2``, else to the first pair only).
- containment candidates: among the passages of one add, the batch engine's own search
  (``with_contained``), so a corpus added at once gives exactly the batch engine's pairs;
  between an add and what is stored, shared sampled shingles (``_containment_candidates``),
  as the batch engine's index of every shingle is more than the file can afford (an
  estimate, not measured: about 230 shingle rows a paragraph at some 12 bytes, 2.8 KB): across adds the index finds most, not all, of the batch engine's
  contained pairs (measured in benchmarks/INDEX.md). Every pair is verified as the batch
  engine verifies it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import sqlite3
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence, Sized
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import numpy as np

from . import __version__
from ._arrays import distinct, gather_ranges, item_owners, ranks, run_bounds, text_lengths, top_bits_bitmap
from ._boilerplate import flag_boilerplate
from ._cluster import cluster_labels
from ._contain import prefix_sample, required_hits, with_contained
from ._errors import DedupError, UsageError
from ._exact import exact_groups, oversized, unique_pairs
from ._find import Corpus
from ._lsh import estimate, estimate_floor
from ._minhash import sign_passages
from ._normalize import normalize_passages
from ._read import Document, FolderScan, ReadError, no_text, read_corpus
from ._report import counted
from ._result import Result
from ._segment import Passages, segment
from ._settings import Settings, SettingsError
from ._verify import Verified, judge

__all__ = ["SCHEMA_VERSION", "Index", "IndexFileError", "IndexStats", "IndexWriteError", "passage_rows"]

# Bumped whenever the tables change; a file of another version gets a clear message, never a crash.
SCHEMA_VERSION = 2
_APPLICATION_ID = 0x64656475  # "dedu": tells an index from any other SQLite file
# Containment samples (between adds): the shingles whose 64-bit hash lies in the lowest 1/16 of
# the range. A fixed-rate sample depends on the shingle only, never on the text it sits in, so a
# short text's sampled shingles are sampled in every longer text that holds them. 1/16 rather
# than 1/8: half the rows (181-186 bytes a paragraph in benchmarks/INDEX.md). What it costs in
# contained pairs across adds is in INDEX.md (zh 100k in two adds, the seeds a document an add); a
# hand run while choosing, not recorded there: ten adds of zh 100k, 0.9994 of the batch engine's
# contained pairs at 1/16 against 0.9998 at 1/8, the seeds 47 against 49 of 59.
_SAMPLE_BITMAP = top_bits_bitmap(np.zeros(1, np.uint64), 4)  # the hashes whose top four bits are zero
_SAMPLE_SHIFT = 29  # stored as 31 bits: a chance collision only adds a candidate, which is verified
_MAX_POSTING = 32  # sampled shingles held by more groups say little (common phrases): not used
# Normal forms are stored 16 to a zlib block (by gid): one short text compresses poorly alone, and
# zlib's set-up per call costs more than the compression; 16 save a third of GB18030's bytes.
_BLOCK_BITS = 4
_BLOCK = 1 << _BLOCK_BITS

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE docs(did INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, first INTEGER NOT NULL,
                  count INTEGER NOT NULL, batch INTEGER NOT NULL, chars INTEGER NOT NULL,
                  encoding TEXT NOT NULL, text BLOB);
CREATE TABLE passages(pid INTEGER PRIMARY KEY, did INTEGER NOT NULL, line INTEGER NOT NULL,
                      start INTEGER NOT NULL, end INTEGER NOT NULL, gid INTEGER);
CREATE INDEX passages_gid ON passages(gid, pid);
CREATE TABLE groups(gid INTEGER PRIMARY KEY, hash INTEGER NOT NULL, size INTEGER NOT NULL,
                    length INTEGER NOT NULL, nsample INTEGER NOT NULL, nibbles BLOB);
CREATE INDEX groups_hash ON groups(hash);
CREATE TABLE texts(block INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE bands(key INTEGER NOT NULL, gid INTEGER NOT NULL, PRIMARY KEY(key, gid)) WITHOUT ROWID;
CREATE TABLE samples(key INTEGER NOT NULL, gid INTEGER NOT NULL, PRIMARY KEY(key, gid)) WITHOUT ROWID;
CREATE TABLE links(a INTEGER NOT NULL, b INTEGER NOT NULL, similarity REAL, cab REAL, cba REAL,
                   kind INTEGER NOT NULL, PRIMARY KEY(a, b)) WITHOUT ROWID;
CREATE INDEX links_b ON links(b);
"""


class IndexFileError(DedupError, OSError):
    """The index file cannot be used as asked: missing, not an index, of another schema version,
    corrupt, locked by a writer, or read-only; the message names the file and what to do; exit 2."""

    exit_code = 2


class IndexWriteError(IndexFileError):
    """The index cannot be changed: read-only, its disk full, or locked by another writer past the wait; the
    change was not made (the index is as it was); exit 3, as for any output that cannot be written."""

    exit_code = 3


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What an index holds and what it costs on disk."""

    path: str
    schema: int
    documents: int
    passages: int
    groups: int
    banded: int
    links: int
    batches: int
    keep_text: bool
    bytes: int
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The statistics as plain data."""
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------- small helpers
def _encode_text(text: str) -> bytes:
    """The normalised text as stored: GB18030 (two bytes a Han character, one for ASCII).

    >>> _decode_text(_encode_text("中文abc")), len(_encode_text("中文abc"))
    ('中文abc', 7)
    """
    try:
        return text.encode("gb18030")
    except UnicodeEncodeError:
        # Lone surrogates: 0xFF never starts a GB18030 sequence, so it marks UTF-8 instead.
        return b"\xff" + text.encode("utf-8", "surrogatepass")


def _decode_text(data: bytes) -> str:
    if data[:1] == b"\xff":
        return data[1:].decode("utf-8", "surrogatepass")
    return data.decode("gb18030")


def _pack(texts: Sequence[str | None]) -> bytes:
    """A block of ``_BLOCK`` normal forms (None: no text in that slot), compressed.

    >>> _unpack(_pack(["甲乙", None, "abc"] + [None] * 13))[:4]
    ['甲乙', None, 'abc', None]
    """
    encoded = [b"" if t is None else _encode_text(t) for t in texts]
    header = np.array([-1 if t is None else len(e) for t, e in zip(texts, encoded)], "<i4")
    return zlib.compress(header.tobytes() + b"".join(encoded), 6)


def _unpack(data: bytes, slots: Iterable[int] = range(_BLOCK)) -> list[str | None]:
    """The texts of a block at *slots* (all by default); only those are decoded."""
    raw = zlib.decompress(data)
    sizes = np.frombuffer(raw[:4 * _BLOCK], "<i4")
    ends = 4 * _BLOCK + np.cumsum(np.maximum(sizes, 0))
    starts = ends - np.maximum(sizes, 0)
    return [None if sizes[k] < 0 else _decode_text(raw[starts[k]:ends[k]]) for k in slots]


def _insert_rows(con: sqlite3.Connection, table: str, columns: Sequence[Iterable[Any]] | np.ndarray,
                 verb: str = "INSERT") -> None:
    """Insert rows given column by column (the first with a length; the others may be iterators) or as
    the rows of a 2-D int64 array into *table*, many rows a statement.

    ``executemany`` with one row a statement spends most of its time binding and stepping row
    by row: 1.7M band rows took 1.6 s that way and 0.6 s two hundred rows a statement.

    >>> con = sqlite3.connect(":memory:")
    >>> _ = con.execute("CREATE TABLE t(a, b)")
    >>> _insert_rows(con, "t", [range(250), ["x"] * 250])
    >>> _insert_rows(con, "t", np.array([[1, 2], [3, 4]]))
    >>> con.execute("SELECT count(*), sum(a), min(b) FROM t").fetchone()
    (252, 31129, 2)
    """
    if isinstance(columns, np.ndarray):
        if columns.dtype != np.int64:
            raise TypeError(f"rows as an array are int64 (what SQLite stores exactly), not {columns.dtype}")
        rows, width = columns.shape
        values: Iterator[Any] = iter(columns.ravel().tolist())  # one list of Python ints, made in C
    else:
        width, rows = len(columns), len(cast(Sized, columns[0]))
        values = chain.from_iterable(zip(*columns))  # lazily: a column may be made row by row (texts)
    # 400 values a statement at most: under the 999 of the oldest SQLite Python ships with; more rows
    # a statement gained nothing measured.
    per_statement = max(1, 400 // width)
    row = "(" + ",".join("?" * width) + ")"
    full, rest = divmod(rows, per_statement)
    if full:
        con.executemany(f"{verb} INTO {table} VALUES " + ",".join([row] * per_statement),
                        (list(islice(values, per_statement * width)) for _ in range(full)))
    if rest:
        con.execute(f"{verb} INTO {table} VALUES " + ",".join([row] * rest), list(values))


def _pack_blocks(blocks: dict[int, list[str | None]]) -> dict[int, bytes | None]:
    """Each block packed (``_pack``), or None for a block with no text left.

    >>> {b: data is None for b, data in _pack_blocks({0: ["甲"] + [None] * 15, 1: [None] * 16}).items()}
    {0: False, 1: True}
    """
    return {b: _pack(slots) if any(t is not None for t in slots) else None for b, slots in blocks.items()}


def _text_hash(text: str) -> int:
    """A 64-bit hash of a normalised text as a signed integer (what SQLite stores)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _samples(settings: Settings, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(owner, key)`` of each distinct sampled shingle of each text (see ``_SAMPLE_BITMAP``).

    >>> rng = np.random.default_rng(0)
    >>> text = "".join(chr(c) for c in rng.integers(0x4E00, 0x9FA5, 20_000))
    >>> owner, key = _samples(Settings(), [text, ""])
    >>> bool((owner == 0).all()), 0.05 < len(key) / 20_000 < 0.075, bool(key.max() < 2**31)
    (True, True, True)
    """
    owner, key = prefix_sample(settings, texts, _SAMPLE_BITMAP, _SAMPLE_SHIFT)
    return owner, key.astype(np.int64)


def _nibbles(compact: np.ndarray) -> np.ndarray:
    """The low four bits of each compact bin, two bins a byte: ``(m, num_perm)`` to ``(m, ceil(num_perm / 2))``.

    >>> _nibbles(np.array([[0x12, 0x34, 0xF5]], np.uint8)).tolist()
    [[66, 5]]
    """
    low = compact & np.uint8(0x0F)
    if low.shape[1] % 2:
        low = np.concatenate([low, np.zeros((len(low), 1), np.uint8)], axis=1)
    return low[:, 0::2] | (low[:, 1::2] << np.uint8(4))


def _unpack_nibbles(packed: np.ndarray, num_perm: int) -> np.ndarray:
    """``_nibbles`` undone: the low four bits of each bin, ``(m, num_perm)`` uint8.

    >>> compact = np.array([[0x12, 0x34, 0xF5]], np.uint8)
    >>> _unpack_nibbles(_nibbles(compact), 3).tolist() == (compact & 15).tolist()
    True
    """
    return np.stack([packed & np.uint8(0x0F), packed >> np.uint8(4)], axis=-1).reshape(len(packed), -1)[:, :num_perm]


def _link_pairs(a: np.ndarray, old_a: int, b: np.ndarray, old_b: int, base: int, limit: int) -> np.ndarray:
    """The passage pairs a link between groups a and b gives (see the module's rules) whose later
    passage has a pid of at least *base*, as ``(earlier, later)`` pids.

    *a*, *b*: sorted pids of each group's members: a prefix of its ``old_*`` members below *base*
    (all of them, or at least ``limit + 1``), then all its members from *base* on.

    >>> _link_pairs(np.array([1, 5]), 0, np.array([3]), 0, 0, 4).tolist()
    [[1, 3], [3, 5]]
    >>> # Two groups of 100 interleaved passages, limit 100: only the first ten or so of each pair up.
    >>> len(_link_pairs(np.arange(0, 200, 2), 0, np.arange(1, 200, 2), 0, 0, 100))
    100
    >>> _link_pairs(np.array([1, 5]), 1, np.array([3]), 1, 4, 4).tolist()
    [[3, 5]]
    """
    out = [np.array([[min(a[0], b[0]), max(a[0], b[0])]], np.int64)]  # the first passages: always
    for later, old_later, other, old_other in ((b, old_b, a, old_a), (a, old_a, b, old_b)):
        new = later[later >= base]
        rank = old_later + np.arange(len(new))
        # Passages of the other group before each new one: its old ones, and its new ones before it.
        before = old_other + np.searchsorted(other[other >= base], new)
        k = np.flatnonzero((before > 0) & ((rank + 1) * before <= limit))
        # `before` is within the limit there, so the prefix holds every old passage it counts.
        out.append(np.stack([other[ranks(before[k])], np.repeat(new[k], before[k])], axis=1))
    pairs = np.concatenate(out).astype(np.int64).reshape(-1, 2)
    return np.unique(pairs[pairs[:, 1] >= base], axis=0)


def _equal_pairs(groups: Sequence[np.ndarray], old: Sequence[int], base: int, max_bucket: int) -> np.ndarray:
    """Exact pairs within groups of equal texts whose later passage has a pid of at least *base*:
    the j-th member of a group pairs with every earlier one while ``j < max_bucket``, then with
    the first only. Vectorised over the groups.

    Each group: sorted pids, a prefix of its *old* members below *base* (all, or at least
    *max_bucket*), then every member from *base* on.

    >>> _equal_pairs([np.array([4, 7, 9])], [0], 0, 2).tolist()
    [[4, 7], [4, 9]]
    >>> _equal_pairs([np.array([4, 7, 9]), np.array([1, 12])], [2, 1], 9, 5).tolist()
    [[4, 9], [7, 9], [1, 12]]
    """
    if not groups:
        return np.zeros((0, 2), np.int64)
    flat = np.concatenate(groups)
    sizes = np.array([len(g) for g in groups], np.int64)
    starts = np.cumsum(sizes) - sizes
    owner = item_owners(sizes)
    new = flat >= base
    listed_old = np.bincount(owner[~new], minlength=len(groups))
    # True rank in the group: its old members (fetched or not), then its place among the new.
    rank = np.asarray(old, np.int64)[owner] + ranks(sizes) - listed_old[owner]
    count = np.where(rank < max_bucket, rank, np.minimum(rank, 1))[new]
    left = flat[gather_ranges(starts[owner[new]], count)]
    return np.stack([left, np.repeat(flat[new], count)], axis=1).reshape(-1, 2)


@dataclass
class _Groups:
    """Data of some groups, by gid: what candidates and expansions need."""

    norm: dict[int, str]
    compact: dict[int, np.ndarray]


@dataclass
class _Plan:
    """Everything an add computes before it writes, and what its result shows."""

    documents: list[Document]
    errors: list[ReadError]
    passages: Passages
    norms: list[str]
    base_pid: int
    batch: int
    gid: np.ndarray  # per new passage: its group, -1 for an empty normal form
    new_gids: np.ndarray  # the groups this add creates, in order
    new_first: np.ndarray  # position (in the add) of each new group's first passage
    new_hash: list[int]  # per new group: the hash of its text
    banded: np.ndarray  # per new group: compared by MinHash (length within min_chars..max_chars)
    band_key: np.ndarray  # band keys of the banded new groups (band number in the high bits), sorted
    band_gid: np.ndarray  # their groups (ascending within a key)
    compact: np.ndarray  # (banded groups, num_perm) uint8
    sample_owner: np.ndarray  # index into new_gids
    sample_key: np.ndarray
    old_growth: dict[int, int]  # old gid -> passages this add gives it
    links: Verified  # new verified pairs of groups (gid pairs, a < b)
    pairs: Verified  # the pairs of passages this add reports (pid pairs)
    groups: _Groups
    skipped: list[str] = dataclasses.field(default_factory=list)  # files of a folder that match no pattern


# ---------------------------------------------------------------------------- the index
class Index:
    """A persistent, incremental index of passages in one SQLite file; a context manager.

    ``Index(path, settings)`` creates the file (storing *settings*) or opens it (checking
    that *settings*, if given, equal the stored ones); ``add`` indexes documents and returns
    what their passages duplicate, ``query`` does the same without adding. Passages already
    indexed are always kept before new ones. *keep_text* (creation only) also stores
    each document's text, so old passages show their own text in results (without it they
    show their normal form). *readonly* opens for queries only (as does a file one cannot
    write); *timeout* is how long to wait for another writer before giving up.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "news.db")
    >>> with Index(path) as index:
    ...     _ = index.add([("7f3a-old", "同一段文字出现了两次，足够长。")])
    ...     r = index.add([("1b9c-new", "同一段文字出现了两次，足够长！")])
    >>> [(p.a.doc, p.b.doc, p.kind) for p in r.pairs], [c.kept.doc for c in r.clusters]
    ([('7f3a-old', '1b9c-new', 'near')], ['7f3a-old'])
    """

    def __init__(self, path: str | os.PathLike[str], settings: Settings | None = None, *,
                 keep_text: bool | None = None, readonly: bool = False, timeout: float = 10.0,
                 create: bool = True) -> None:
        self.path = Path(path)
        if settings is not None and not isinstance(settings, Settings):
            raise SettingsError(f"settings must be a dedup.Settings, not {type(settings).__name__}")
        exists = self.path.exists() and self.path.stat().st_size > 0
        if not exists and not create:
            raise IndexFileError(f"{self.path}: no such index (create it with 'dedup index add')")
        if readonly and not exists:
            raise IndexFileError(f"{self.path}: no such index to open read-only")
        self.readonly = exists and (readonly or not os.access(self.path, os.W_OK))
        self._timeout = timeout
        self._con = self._connect(timeout)
        try:
            if exists:
                self._check_header()
                stored = self._load_settings()
                stored_keep = self._meta("keep_text") == "1"
                differs = (settings is not None and settings != stored) or (keep_text is not None
                                                                             and keep_text != stored_keep)
                wanted_keep = stored_keep if keep_text is None else keep_text
                if differs and not self.readonly and self._adopted(settings or stored, wanted_keep):
                    stored, stored_keep = settings or stored, wanted_keep
                if settings is not None and settings != stored:
                    raise SettingsError(self._difference(stored, settings))
                self.settings = stored
                self.keep_text = stored_keep
                if keep_text is not None and keep_text != self.keep_text:
                    raise SettingsError(f"{self.path} was created with keep_text={self.keep_text}; it cannot change")
            else:
                self.settings = settings or Settings()
                self.keep_text = bool(keep_text)
                self._check_storable(self.settings)
                self._create()
        except BaseException:
            self._con.close()
            raise
        # Signing stored texts again (for their estimates, or to delete their keys) needs no containment samples.
        self._signing = self.settings.replace(containment=False)
        self._limit = self.settings.max_bucket ** 2
        # Groups of these lengths are compared by MinHash and have band keys (as in the batch engine).
        self._banded_lengths = (self.settings.min_chars, self.settings.max_chars)

    # ------------------------------------------------------------------ opening
    def _connect(self, timeout: float) -> sqlite3.Connection:
        try:
            if self.readonly:
                con = self._read_only(timeout)
            else:
                con = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
                mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise IndexFileError(f"{self.path}: cannot switch to WAL mode (journal mode {mode})")
            # An add is durable once it returns; a killed writer leaves the last committed state.
            con.execute("PRAGMA synchronous=FULL")
            con.execute("PRAGMA temp_store=MEMORY")
            con.execute("PRAGMA journal_size_limit=67108864")  # the WAL shrinks back to 64 MiB after a big add
            con.execute("PRAGMA cache_size=-262144")  # up to 256 MiB of pages: band lookups stay in memory
            con.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            return con
        except sqlite3.DatabaseError as exc:
            raise self._file_error(exc) from None

    def _read_only(self, timeout: float) -> sqlite3.Connection:
        """A connection that only reads. A WAL file needs its shared-memory file (``-shm``) beside it even to be
        read: on read-only media, where none can be made, it is read as unchanging (``immutable``: nothing
        writes there), or every command failed with "unable to open database file"."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            con = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
            try:
                con.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            except BaseException:
                con.close()
                raise
            return con
        except sqlite3.OperationalError as exc:
            if "unable to open" not in str(exc):
                raise
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            warnings.warn(f"{self.path}: read-only media, read as the file holds it; the last adds, still in "
                          f"{wal.name}, are not seen (an add folds them in once it can write there)", stacklevel=3)
        return sqlite3.connect(f"{uri}&immutable=1", uri=True, timeout=timeout, isolation_level=None)

    def _file_error(self, exc: Exception) -> IndexFileError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return IndexWriteError(f"{self.path}: locked by another process writing to it (waited {self._timeout:g} "
                                   f"s); try again when it is done")
        if "readonly" in text or "read-only" in text:
            return IndexWriteError(f"{self.path}: the file (or its folder) is read-only; it can be queried, "
                                   f"not changed")
        if "full" in text:
            return IndexWriteError(f"{self.path}: no room left on its disk ({text}); nothing of this change was "
                                   f"kept: free some space and run it again")
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return IndexFileError(f"{self.path}: corrupt or not an index file ({text}); "
                                  f"rebuild it from the documents")
        if "unable to open" in text:
            return IndexFileError(f"{self.path}: cannot open ({text})")
        return IndexFileError(f"{self.path}: {text}")

    def _check_header(self) -> None:
        try:
            app = self._con.execute("PRAGMA application_id").fetchone()[0]
            if app != _APPLICATION_ID:
                raise IndexFileError(f"{self.path}: not a dedup index (an SQLite file of something else)")
            version = int(self._meta("schema") or 0)
        except sqlite3.DatabaseError as exc:
            raise self._file_error(exc) from None
        if version < SCHEMA_VERSION:
            raise IndexFileError(f"{self.path}: written by an older dedup (index schema {version}, this dedup "
                                 f"reads {SCHEMA_VERSION}); rebuild it with 'dedup index add' from the documents")
        if version > SCHEMA_VERSION:
            raise IndexFileError(f"{self.path}: written by a newer dedup (index schema {version}, this dedup "
                                 f"reads {SCHEMA_VERSION}); upgrade dedup to use it")

    def _meta(self, key: str) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _load_settings(self) -> Settings:
        raw = self._meta("settings")
        if raw is None:
            raise IndexFileError(f"{self.path}: corrupt index (no stored settings)")
        return Settings.from_dict(json.loads(raw))

    @property
    def pinned(self) -> bool:
        """Whether anything was ever added: then the settings are fixed (an index whose first add failed takes the
        next add's)."""
        return self._meta("batches") != "0" or self._con.execute("SELECT count(*) FROM docs").fetchone()[0] > 0

    def _adopted(self, settings: Settings, keep_text: bool) -> bool:
        """Store *settings* and *keep_text* in place of the stored ones if nothing was ever added (an index whose
        first add failed: its settings pin nothing yet); whether they were. One write transaction, so that an
        add that another process is making is either seen whole or waited for."""
        self._check_storable(settings)
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            empty = not self.pinned
            if empty:
                con.executemany("UPDATE meta SET value = ? WHERE key = ?", [
                    (json.dumps(settings.to_dict()), "settings"), ("1" if keep_text else "0", "keep_text")])
            con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise self._file_error(exc) from None
        return empty

    def _difference(self, stored: Settings, given: Settings) -> str:
        a, b = stored.to_dict(), given.to_dict()
        changed = [f"{k}={b[k]!r} (the index has {a[k]!r})" for k in Settings.names() if a[k] != b[k]]
        return (f"{self.path} was built with other settings: {', '.join(changed)}; open it without settings to "
                f"use the stored ones, or build a new index")

    @staticmethod
    def _check_storable(settings: Settings) -> None:
        if callable(settings.keep):
            raise SettingsError("an index stores its settings, and a keep key function cannot be stored: "
                                "use keep='first' or keep='longest'")
        if settings.boilerplate == "ignore":
            raise SettingsError("boilerplate='ignore' depends on the whole corpus (which lines recur), which an "
                                "index does not know when a passage arrives: use 'mark' or 'remove'")

    def _create(self) -> None:
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                con.execute(statement)
            con.execute(f"PRAGMA application_id={_APPLICATION_ID}")
            con.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema", str(SCHEMA_VERSION)), ("settings", json.dumps(self.settings.to_dict())),
                ("keep_text", "1" if self.keep_text else "0"), ("created_by", f"dedup {__version__}"),
                ("created", time.strftime("%Y-%m-%dT%H:%M:%S%z")), ("batches", "0")])
            con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise self._file_error(exc) from None

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> Index:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (an add in progress is rolled back)."""
        self._con.close()

    # ------------------------------------------------------------------ public operations
    def add(self, corpus: Corpus, *, include: str | Sequence[str] | None = None, encoding: str | None = None,
            text_field: str = "text", id_field: str | None = None, batch_size: int = 4096,
            progress: bool = False, prefix: str = "") -> Result:
        """Index the documents of *corpus* in one transaction; return the pairs of their passages
        with passages already indexed and among themselves (earlier passages are kept first).

        *corpus* is anything ``find_duplicates`` reads, with the same reading options
        (*include*, *encoding*, *text_field*, *id_field*). Document ids must be new to the index
        (``remove`` them first to replace them); *prefix* goes before each (``"day2/"``: a day's
        files or numbered rows named as the day before's are other documents).
        """
        self._writable()
        if not isinstance(prefix, str):
            raise UsageError(f"prefix must be a str, not {type(prefix).__name__}")
        # Read before the transaction: another writer waits for the index's work, not for the disk.
        scan = read_corpus(corpus, include, progress, encoding=encoding, text_field=text_field, id_field=id_field)
        if prefix:
            # The key too: a table row's id as reports and annotations show it (id == str(key)).
            scan = FolderScan([dataclasses.replace(d, id=prefix + d.id, key=None if d.key is None else prefix + d.id)
                               for d in scan.documents], scan.errors, scan.skipped)
        if not scan.documents:  # nothing to add: no add is recorded (an index never added to pins no settings)
            unmatched = f"; no include pattern matches {counted(len(scan.skipped), 'file')}" if scan.skipped else ""
            raise no_text(corpus, scan.errors, f"no documents{unmatched}")
        try:
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._file_error(exc) from None
        try:
            plan = self._plan(scan, batch_size, progress, adding=True)
            self._write(plan)
            result = self._result(plan)  # read in the same transaction: no other writer in between
            self._con.execute("COMMIT")
        except BaseException as exc:
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._file_error(exc) from None
            raise
        return result

    def query(self, corpus: Corpus, *, include: str | Sequence[str] | None = None, encoding: str | None = None,
              text_field: str = "text", id_field: str | None = None, batch_size: int = 4096,
              progress: bool = False) -> Result:
        """What ``add`` would return for *corpus*, without adding it (readers never wait for a writer).
        A document whose id the index holds too is named ``ID (query)``: both sides of its pairs stay apart."""
        scan = read_corpus(corpus, include, progress, encoding=encoding, text_field=text_field, id_field=id_field)
        try:
            self._con.execute("BEGIN")  # one snapshot for every read of this query
            try:
                return self._result(self._plan(self._apart(scan), batch_size, progress, adding=False))
            finally:
                self._con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise self._file_error(exc) from None

    def _apart(self, scan: FolderScan) -> FolderScan:
        """*scan* with each document whose id the index holds named ``ID (query)`` (``ID (query 2)``... should
        that be taken too), so that a report never shows two documents under one id."""
        ids = [d.id for d in scan.documents]
        held = {row[0] for row in self._select_in("SELECT id FROM docs WHERE id IN ({})", ids, text=True)}
        if not held:
            return scan
        taken = set(ids) | held
        documents = []
        for d in scan.documents:
            if d.id in held:
                name = next(n for n in (f"{d.id} (query{f' {k}' if k > 1 else ''})" for k in itertools.count(1))
                            if n not in taken and not self._select_in("SELECT id FROM docs WHERE id IN ({})", [n],
                                                                      text=True))
                taken.add(name)
                d = dataclasses.replace(d, id=name, key=None)
            documents.append(d)
        return dataclasses.replace(scan, documents=documents)

    def remove(self, doc_ids: Iterable[str]) -> int:
        """Remove the documents *doc_ids* (all or none: an unknown id is an error); return the
        number of passages removed. Their texts stay matchable while another passage has them."""
        self._writable()
        ids = list(dict.fromkeys(str(d) for d in doc_ids))
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                found = {row[0]: row[1:] for row in self._select_in(
                    "SELECT d.id, d.did, d.first, d.count FROM docs d WHERE d.id IN ({})", ids, text=True)}
                missing = [d for d in ids if d not in found]
                if missing:
                    raise KeyError(f"not in the index: {', '.join(map(repr, missing[:10]))}"
                                   f"{' and more' if len(missing) > 10 else ''}")
                removed = self._delete(list(found.values()))
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise self._file_error(exc) from None
        return removed

    def stats(self) -> IndexStats:
        """Counts of documents, passages, groups of equal texts, links, and the bytes on disk."""
        con = self._con
        count = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("docs", "passages", "links")}
        groups, banded = con.execute("SELECT count(*), coalesce(sum(length BETWEEN ? AND ?), 0) FROM groups",
                                     self._banded_lengths).fetchone()
        size = sum(os.path.getsize(f) for f in (self.path, Path(f"{self.path}-wal")) if os.path.exists(f))
        return IndexStats(str(self.path), SCHEMA_VERSION, count["docs"], count["passages"], groups, banded,
                          count["links"], int(self._meta("batches") or 0), self.keep_text, size,
                          self.settings.to_dict())

    def check(self) -> list[str]:
        """Problems found by SQLite's ``PRAGMA integrity_check`` and by checking the index's own
        invariants (group sizes, band keys of every compared group); empty when sound."""
        try:
            problems = [r[0] for r in self._con.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
            if problems:
                return problems
            con = self._con
            wrong = con.execute("SELECT count(*) FROM groups g WHERE size != "
                                "(SELECT count(*) FROM passages p WHERE p.gid = g.gid)").fetchone()[0]
            if wrong:
                problems.append(f"{wrong} groups have a wrong passage count")
            bands = self.settings.bands
            # Band keys counted in one pass (bands is keyed by key, then gid: a count a group scanned the
            # table each time, and check took 91 s at 10,000 passages).
            short = con.execute("SELECT count(*) FROM groups g LEFT JOIN (SELECT gid, count(*) AS n FROM bands "
                                "GROUP BY gid) b ON b.gid = g.gid WHERE g.length BETWEEN ? AND ? AND "
                                "coalesce(b.n, 0) != ?", (*self._banded_lengths, bands)).fetchone()[0]
            if short:
                problems.append(f"{short} groups lack some of their {bands} band keys")
            bare = con.execute("SELECT count(*) FROM groups WHERE length BETWEEN ? AND ? AND "
                               "(nibbles IS NULL OR length(nibbles) != ?)",
                               (*self._banded_lengths, (self.settings.num_perm + 1) // 2)).fetchone()[0]
            if bare:
                problems.append(f"{bare} compared groups have no signature nibbles, or nibbles of a wrong length")
            orphans = con.execute("SELECT count(*) FROM passages p WHERE p.gid IS NOT NULL AND NOT EXISTS "
                                  "(SELECT 1 FROM groups g WHERE g.gid = p.gid)").fetchone()[0]
            if orphans:
                problems.append(f"{orphans} passages point to no group")
            gids = [g for (g,) in con.execute("SELECT gid FROM groups")]
            missing = len(gids) - len(self._texts(gids))
            if missing:
                problems.append(f"{missing} groups have no stored text")
            return problems
        except sqlite3.DatabaseError as exc:
            return [str(exc)]

    def vacuum(self) -> None:
        """Rewrite the file compactly (B-trees filled by random keys are about 70% full)."""
        self._writable()
        try:
            self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._con.execute("VACUUM")
            self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError as exc:
            raise self._file_error(exc) from None

    def export(self) -> Result:
        """The whole index as one ``Result``: every pair, the clusters, and per passage its cluster,
        keep rank and boilerplate flag (see ``passage_rows`` for a per-passage table)."""
        con = self._con
        try:
            con.execute("BEGIN")
            try:
                rows = np.array(con.execute("SELECT pid, did, line, start, end, coalesce(gid, -1) FROM passages "
                                            "ORDER BY pid").fetchall(), np.int64).reshape(-1, 6)
                groups = self._fetch_groups(distinct(rows[rows[:, 5] >= 0, 5]))
                links = self._links_of(None)
                docs = self._docs(None)
            finally:
                con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise self._file_error(exc) from None
        pid, gid = rows[:, 0], rows[:, 5]
        grouped = gid >= 0
        order = np.argsort(gid[grouped], kind="stable")
        gids, starts = np.unique(gid[grouped][order], return_index=True)
        members = dict(zip(gids.tolist(), np.split(pid[grouped][order], starts[1:])))
        several = [m for m in members.values() if len(m) > 1]
        equal = _equal_pairs(several, [0] * len(several), 0, self.settings.max_bucket)
        pairs = Verified.concat([Verified.exact(equal), self._expand(links, members, {}, 0)])
        norms = [groups.norm[int(g)] if g >= 0 else "" for g in gid.tolist()]
        first = {d: row[1] for d, row in docs.items()}
        index_in_doc = pid - np.array([first[d] for d in rows[:, 1].tolist()], np.int64)
        documents = self._stored_documents(docs, rows, norms)
        return self._assemble(rows, index_in_doc, documents, norms, pairs, [], None)

    # ------------------------------------------------------------------ planning an add or a query
    def _writable(self) -> None:
        if self.readonly:
            raise IndexWriteError(f"{self.path}: the file is read-only; it can be queried, not changed")

    def _counters(self) -> tuple[int, int, int]:
        con = self._con
        base_pid = con.execute("SELECT coalesce(max(pid), -1) + 1 FROM passages").fetchone()[0]
        base_gid = con.execute("SELECT coalesce(max(gid), -1) + 1 FROM groups").fetchone()[0]
        return int(base_pid), int(base_gid), int(self._meta("batches") or 0) + 1

    def _plan(self, scan: FolderScan, batch_size: int, progress: bool, adding: bool) -> _Plan:
        s = self.settings
        documents, errors = scan
        if adding and documents:
            taken = [row[0] for row in self._select_in("SELECT id FROM docs WHERE id IN ({})",
                                                        [d.id for d in documents], text=True)]
            if taken:
                raise UsageError(f"already in the index: {', '.join(map(repr, taken[:10]))}"
                                 f"{' and more' if len(taken) > 10 else ''} (an earlier add holds them: the same "
                                 f"data again?); remove them first to replace them, or give these other ids with a "
                                 f"prefix no earlier add used (--prefix)")
        passages = segment(documents, s.unit, s.repair_breaks)  # type: ignore[arg-type]
        norms = normalize_passages(s, passages)
        n = len(norms)
        lengths = text_lengths(norms)
        base_pid, base_gid, batch = self._counters()

        # Equal texts: the first passage of each text in this add, then the stored group of that text.
        local = exact_groups(norms)
        firsts = np.flatnonzero(local == np.arange(n))
        hashes = np.fromiter((_text_hash(norms[i]) for i in firsts.tolist()), np.int64, len(firsts))
        # A hash match is confirmed by the text itself: equal hashes of different texts stay apart.
        matched = self._select_in("SELECT hash, gid FROM groups WHERE hash IN ({})", distinct(hashes).tolist())
        texts = self._texts([g for _, g in matched])
        stored = {(h, texts.get(g)): g for h, g in matched}
        gid_of_first = np.full(len(firsts), -1, np.int64)
        for k in np.flatnonzero(np.isin(hashes, [h for h, _ in matched])).tolist():
            gid_of_first[k] = stored.get((int(hashes[k]), norms[int(firsts[k])]), -1)
        is_new = gid_of_first < 0
        gid_of_first[is_new] = base_gid + np.arange(int(is_new.sum()))
        new_first_arr = firsts[is_new]
        new_hash = hashes[is_new].tolist()
        gid = np.full(n, -1, np.int64)
        lookup = np.full(n, -1, np.int64)
        lookup[firsts] = gid_of_first
        gid[local >= 0] = lookup[local[local >= 0]]
        new_gids = gid_of_first[is_new]
        new_len = lengths[new_first_arr]
        banded = (new_len >= s.min_chars) & (new_len <= s.max_chars)
        old_growth = {int(g): int(c) for g, c in zip(*np.unique(gid[(gid >= 0) & (gid < base_gid)],
                                                                return_counts=True))}

        # Sign the new texts that are compared by MinHash, and sample them for containment.
        reps = new_first_arr[banded]
        signed = sign_passages(s, norms, reps, batch_size, progress)
        bands = s.bands
        band_key = ((np.arange(bands, dtype=np.int64) << 32) | signed.keys.astype(np.int64)).ravel()
        band_gid = np.repeat(new_gids[banded], bands)
        # Sorted rows: the bucket search walks them, and they fill the table's B-tree page by page.
        order = np.lexsort((band_gid, band_key))
        band_key, band_gid = band_key[order], band_gid[order]
        contain = s.containment and s.verify
        if contain:
            owner, skey = _samples(s, [norms[i] for i in reps.tolist()])
            owner = np.flatnonzero(banded)[owner]
        else:
            owner, skey = np.zeros(0, np.int64), np.zeros(0, np.int64)

        # Candidates: LSH buckets (estimated first); for containment, the batch engine's search among
        # the new texts and shared samples between new and stored ones.
        banded_gids = new_gids[banded]
        lsh = self._without_hopeless(self._band_candidates(band_key, band_gid, base_gid), base_gid, banded_gids,
                                     signed.compact & np.uint8(0x0F))
        nsample_new = np.bincount(owner, minlength=len(new_gids))
        cont = np.zeros((0, 2), np.int64)
        if contain:
            within = with_contained(s, signed.samples, cont, [norms[i] for i in reps.tolist()])
            cont = np.concatenate([banded_gids[within], self._containment_candidates(
                new_gids[owner], skey, base_gid, nsample_new, new_gids)]) if len(skey) else banded_gids[within]
        # Texts of the stored groups that are candidates (not of every group sharing a sample).
        old_lsh = distinct(lsh[lsh < base_gid])
        groups = self._fetch_groups(distinct(np.concatenate([old_lsh, cont[cont < base_gid]])))
        if len(old_lsh):
            again = sign_passages(self._signing, [groups.norm[g] for g in old_lsh.tolist()], np.arange(len(old_lsh)))
            groups.compact.update(zip(old_lsh.tolist(), again.compact))
        groups.norm.update(zip(new_gids.tolist(), [norms[i] for i in new_first_arr.tolist()]))
        groups.compact.update(zip(banded_gids.tolist(), signed.compact))
        links = self._verify(lsh, cont, groups)

        # The passage pairs this add gives: equal texts, and links expanded to members.
        plan = _Plan(documents, errors, passages, norms, base_pid, batch, gid, new_gids, new_first_arr, new_hash, banded,
                     band_key, band_gid, signed.compact, owner, skey, old_growth, links, Verified.empty(), groups)
        plan.pairs = self._new_pairs(plan, base_gid)
        plan.skipped = scan.skipped
        return plan

    def _select_in(self, sql: str, values: Sequence[Any], params: Sequence[Any] = (),
                   text: bool = False) -> list[tuple[Any, ...]]:
        """Rows of *sql*, whose ``{}`` stands for a list of *values* (fetched through a temporary table)
        and whose ``?`` take *params*."""
        if len(values) == 0:
            return []
        con = self._con
        table = "q_text" if text else "q_int"
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table}(v {'TEXT' if text else 'INTEGER'} PRIMARY KEY)")
        con.execute(f"DELETE FROM temp.{table}")
        con.executemany(f"INSERT OR IGNORE INTO temp.{table} VALUES (?)", ((v,) for v in values))
        return con.execute(sql.format(f"SELECT v FROM temp.{table}"), params).fetchall()

    def _members_of(self, table: str, keys: np.ndarray,
                    limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each distinct key of *table* (bands or samples) that has gids: how many (counted up to
        *limit*), and the gids themselves in gid order, all of them when fewer than *limit*, else
        the first only (the bucket rule needs no more, and a full posting is not used).

        Returns ``(keys, counts, starts, gids)``: the keys found, their counts, where each key's
        gids start in ``gids``, and the gids laid end to end.
        """
        nothing = np.zeros(0, np.int64)
        if len(keys) == 0 or self._con.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None:
            return nothing, nothing, nothing, nothing
        # Bounded look-ups: a giant bucket or a common shingle costs `limit` rows, not its size.
        rows = self._select_in(
            f"SELECT v, c, CASE WHEN c < {int(limit)} THEN (SELECT group_concat(gid) FROM (SELECT gid FROM {table} "
            f"WHERE key = v ORDER BY gid)) ELSE (SELECT min(gid) FROM {table} WHERE key = v) END FROM "
            f"(SELECT v, (SELECT count(*) FROM (SELECT 1 FROM {table} WHERE key = v LIMIT {int(limit)})) AS c "
            f"FROM ({{}})) WHERE c > 0", distinct(keys).tolist())
        if not rows:
            return nothing, nothing, nothing, nothing
        found = np.array([r[0] for r in rows], np.int64)
        counts = np.array([r[1] for r in rows], np.int64)
        lists = [r[2].split(",") if isinstance(r[2], str) else [r[2]] for r in rows]
        sizes = np.array([len(x) for x in lists], np.int64)
        gids = np.array([g for x in lists for g in x], np.int64)
        return found, counts, np.cumsum(sizes) - sizes, gids

    def _band_candidates(self, key: np.ndarray, owner: np.ndarray, base_gid: int) -> np.ndarray:
        """Group pairs ``(a, b)``, a < b, b new, that share a band key, under the bucket rule; the new
        groups' band rows are ``(key, owner)``, sorted by key, then group."""
        limit = self.settings.max_bucket
        if len(key) == 0:
            return np.zeros((0, 2), np.int64)
        found, counts, starts, old = self._members_of("bands", key, limit)
        old_count = old_start = np.zeros(len(key), np.int64)
        if len(found):
            at = np.searchsorted(found, key)
            at[at == len(found)] = 0
            hit = found[at] == key
            old_count, old_start = np.where(hit, counts[at], 0), np.where(hit, starts[at], 0)
        # Only buckets with two members or more (counting the stored ones) give pairs: most have one.
        # Neighbours compared directly: run sizes spread back over 1.7M rows took 0.09 s, this 0.01 s.
        shared = np.zeros(len(key), bool)
        shared[1:] = key[1:] == key[:-1]
        shared[:-1] |= shared[1:]
        take = np.flatnonzero(shared | (old_count > 0))
        key, pos_owner, o, o_start = key[take], owner[take], old_count[take], old_start[take]
        # New members of each bucket in gid order; rank k counts the old members too.
        run_start, sizes = run_bounds(key)
        r = ranks(sizes)
        start_of = np.repeat(run_start, sizes)
        k = o + r
        pairs = []
        small = k < limit
        # with every new member before it ...
        w = np.flatnonzero(small & (r > 0))
        pairs.append(np.stack([pos_owner[gather_ranges(start_of[w], r[w])], np.repeat(pos_owner[w], r[w])], 1))
        # ... and every old member of its bucket
        w = np.flatnonzero(small & (o > 0))
        pairs.append(np.stack([old[gather_ranges(o_start[w], o[w])], np.repeat(pos_owner[w], o[w])], 1))
        # past the limit: the bucket's first member only
        w = np.flatnonzero(~small)
        first = np.where(o[w] > 0, old[np.minimum(o_start[w], max(len(old) - 1, 0))] if len(old) else 0,
                         pos_owner[start_of[w]])
        pairs.append(np.stack([first, pos_owner[w]], 1))
        out = np.concatenate(pairs).astype(np.int64).reshape(-1, 2)
        out = out[out[:, 0] != out[:, 1]]
        return unique_pairs(np.sort(out, axis=1), int(owner.max()) + 1)

    def _without_hopeless(self, lsh: np.ndarray, base_gid: int, new_gids: np.ndarray, new_low: np.ndarray
                          ) -> np.ndarray:
        """LSH candidates less those with a stored group whose estimate cannot reach the floor.

        Two signatures' low nibbles agree wherever their compact bins do (and by chance more
        often), so too few agreeing nibbles prove too few agreeing bins: the batch engine's
        estimate filter would drop the pair too. The survivors' stored texts are fetched and
        signed again for their estimates; most LSH candidates never need a text.
        """
        stored = lsh[:, 0] < base_gid
        if not stored.any():
            return lsh
        rows = self._select_in("SELECT gid, nibbles FROM groups WHERE gid IN ({}) ORDER BY gid",
                               distinct(lsh[stored, 0]).tolist())
        old_low = _unpack_nibbles(np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(len(rows), -1),
                                  self.settings.num_perm)
        # Stored gids all come before new ones: one sorted row index for both. ``estimate`` on the low
        # nibbles is the share of agreeing nibbles, never below the share of agreeing bins.
        ids = np.concatenate([np.array([r[0] for r in rows], np.int64), new_gids])
        low = np.concatenate([old_low, new_low])
        keep = np.ones(len(lsh), bool)
        keep[np.flatnonzero(stored)] = estimate(low, np.searchsorted(ids, lsh[stored])) >= estimate_floor(self.settings)
        return lsh[keep]

    def _containment_candidates(self, owner_gid: np.ndarray, skey: np.ndarray, base_gid: int,
                                nsample_new: np.ndarray, new_gids: np.ndarray) -> np.ndarray:
        """Group pairs (a stored, b new) whose sampled shingles say one may lie inside the other.

        This is the index's containment search, in one place: it assumes only the shingler and
        the settings' ``contained_ratio``. Each compared group stores its fixed-rate sample
        (``_SAMPLE_BITMAP``); two groups sharing a sampled shingle are counted, and a pair is a
        candidate when the shared samples reach the batch engine's bar (``required_hits``) for either
        side. Sampled shingles held by more than ``_MAX_POSTING`` groups are not counted.
        """
        if base_gid == 0:  # nothing stored to lie in or to hold
            return np.zeros((0, 2), np.int64)
        contained = self.settings.contained_ratio
        found, counts, starts, old = self._members_of("samples", skey, _MAX_POSTING + 1)
        uniq, inverse = np.unique(skey, return_inverse=True)
        at = np.searchsorted(found, uniq) if len(found) else np.zeros(len(uniq), np.int64)
        at[at == len(found)] = 0
        hit = (found[at] == uniq) if len(found) else np.zeros(len(uniq), bool)
        old_count = np.where(hit, counts[at] if len(found) else 0, 0)
        new_count = np.bincount(inverse, minlength=len(uniq))
        usable = (old_count + new_count) <= _MAX_POSTING
        # Holders of each usable sampled shingle: its old groups, then its new ones.
        old_start = starts[at] if len(found) else np.zeros(len(uniq), np.int64)
        u = np.flatnonzero(usable & hit)
        new = usable[inverse]
        key = np.concatenate([np.repeat(u, old_count[u]), inverse[new]])
        gid = np.concatenate([old[gather_ranges(old_start[u], old_count[u])], owner_gid[new]])
        order = np.lexsort((gid, key))
        key, gid = key[order], gid[order]
        # Each new holder with every old holder of its shingle (they come first in its run).
        first, sizes = run_bounds(key)
        run_start = np.repeat(first, sizes)
        olds = np.repeat(np.add.reduceat((gid < base_gid).astype(np.int64), first) if len(first) else first, sizes)
        w = np.flatnonzero((gid >= base_gid) & (olds > 0))
        n = int(max(base_gid + len(new_gids), 1))
        codes = gid[gather_ranges(run_start[w], olds[w])] * n + np.repeat(gid[w], olds[w])
        codes, shared = np.unique(codes, return_counts=True)
        a, b = np.divmod(codes, n)
        old_gids = distinct(a[a < base_gid])
        stored = np.array(self._select_in("SELECT gid, nsample FROM groups WHERE gid IN ({}) ORDER BY gid",
                                          old_gids.tolist()), np.int64).reshape(-1, 2)
        table = np.concatenate([stored[:, 1], nsample_new])  # sample counts of old gids, then new ones
        ab = np.concatenate([a, b])
        at = np.where(ab < base_gid, np.searchsorted(stored[:, 0], ab), len(stored) + ab - base_gid)
        nsample = table[at].reshape(2, -1)
        ok = (shared >= required_hits(nsample[0], contained)) | (shared >= required_hits(nsample[1], contained))
        return np.stack([a[ok], b[ok]], axis=1)

    def _fetch_groups(self, gids: np.ndarray) -> _Groups:
        """The normal forms and sample counts of stored groups *gids*."""
        groups = _Groups({}, {})
        if len(gids) == 0:
            return groups
        groups.norm.update(self._texts(gids.tolist()))
        return groups

    def _texts(self, gids: Sequence[int]) -> dict[int, str]:
        """The normal forms of groups *gids*, from their blocks."""
        out: dict[int, str] = {}
        wanted = sorted(set(gids))
        if not wanted:
            return out
        slots: dict[int, list[int]] = {}
        for g in wanted:
            slots.setdefault(g >> _BLOCK_BITS, []).append(g)
        for b, data in self._select_in("SELECT block, data FROM texts WHERE block IN ({})", sorted(slots)):
            texts = _unpack(data, [g & (_BLOCK - 1) for g in slots[b]])
            out.update((g, t) for g, t in zip(slots[b], texts) if t is not None)
        return out

    def _store_texts(self, texts: dict[int, str | None]) -> None:
        """Set (or with None, clear) the normal forms of groups, block by block; an emptied block goes."""
        self._write_blocks(_pack_blocks(self._text_blocks(texts)))

    def _text_blocks(self, texts: dict[int, str | None]) -> dict[int, list[str | None]]:
        """The blocks that hold groups *texts* once they are set (None: cleared), by block number."""
        blocks: dict[int, list[str | None]] = {}
        for g in texts:
            blocks.setdefault(g >> _BLOCK_BITS, [None] * _BLOCK)
        # Blocks that already hold texts (the last block of the previous add, or after a removal).
        for b, data in self._select_in("SELECT block, data FROM texts WHERE block IN ({})", sorted(blocks)):
            blocks[b] = _unpack(data)
        for g, text in texts.items():
            blocks[g >> _BLOCK_BITS][g & (_BLOCK - 1)] = text
        return blocks

    def _write_blocks(self, packed: dict[int, bytes | None]) -> None:
        """Write packed blocks; a block of None goes."""
        full = [(b, data) for b, data in packed.items() if data is not None]
        _insert_rows(self._con, "texts", [[b for b, _ in full], [data for _, data in full]], "INSERT OR REPLACE")
        self._con.executemany("DELETE FROM texts WHERE block = ?", ((b,) for b, data in packed.items() if data is None))

    def _verify(self, lsh: np.ndarray, cont: np.ndarray, groups: _Groups) -> Verified:
        """Estimate the LSH candidates (as ``bucket`` does), then judge them with the containment
        candidates by their exact shingle sets (``judge``); gid pairs, a < b."""
        s = self.settings
        if len(lsh):
            involved, local = np.unique(lsh, return_inverse=True)
            compact = np.stack([groups.compact[g] for g in involved.tolist()])
            estimates = estimate(compact, local.reshape(-1, 2))
            floor = estimate_floor(s)
            keep = estimates >= floor
            lsh, estimates = lsh[keep], estimates[keep]
        else:
            estimates = np.zeros(0)
        if not s.verify:
            return Verified.estimated(lsh, estimates)
        candidates = np.concatenate([lsh, cont]).astype(np.int64).reshape(-1, 2)
        if len(candidates) == 0:
            return Verified.empty()
        candidates = np.unique(candidates, axis=0)
        involved, local = np.unique(candidates, return_inverse=True)
        texts = [groups.norm[int(g)] for g in involved.tolist()]
        found = judge(s, local.reshape(-1, 2), texts)
        return found.with_index(involved[found.index])

    # ------------------------------------------------------------------ pairs of passages
    def _links_of(self, gids: np.ndarray | None) -> Verified:
        """Stored links touching *gids* (all links for None)."""
        if gids is None:
            rows = self._con.execute("SELECT a, b, similarity, cab, cba, kind FROM links").fetchall()
        else:
            rows = self._select_in("SELECT a, b, similarity, cab, cba, kind FROM links WHERE a IN ({0}) "
                                   "UNION SELECT a, b, similarity, cab, cba, kind FROM links WHERE b IN ({0})",
                                   gids.tolist())
        if not rows:
            return Verified.empty()
        data = np.array(rows, np.float64).reshape(-1, 6)
        return Verified(data[:, :2].astype(np.int64), data[:, 2], data[:, 3:5], data[:, 5].astype(np.int8))

    def _old_members(self, gids: Sequence[int]) -> tuple[dict[int, np.ndarray], dict[int, int]]:
        """The first ``max_bucket**2 + 1`` pids of each stored group (enough for every rule), and its size."""
        members: dict[int, np.ndarray] = {}
        sizes: dict[int, int] = {}
        rows = self._select_in(f"SELECT v, (SELECT size FROM groups WHERE gid = v), (SELECT group_concat(pid) FROM "
                               f"(SELECT pid FROM passages WHERE gid = v ORDER BY pid LIMIT {self._limit + 1})) "
                               f"FROM ({{}})", sorted(set(gids)))
        for g, size, pids in rows:
            members[int(g)] = np.array(str(pids).split(","), np.int64) if pids is not None else np.zeros(0, np.int64)
            sizes[int(g)] = int(size or 0)
        return members, sizes

    def _expand(self, links: Verified, members: dict[int, np.ndarray], old: dict[int, int], base: int) -> Verified:
        """The passage pairs of each link whose later passage is at or after *base* (``_link_pairs``),
        measured as their link; containment oriented as the pair."""
        empty = np.zeros(0, np.int64)
        sizes = np.array([[len(members.get(g, empty)) for g in pair] for pair in links.index.tolist()],
                         np.int64).reshape(-1, 2)
        # Most links join two groups of one passage each: their one pair, without a loop.
        single = np.flatnonzero((sizes == 1).all(axis=1))
        firsts = np.array([[members[a][0], members[b][0]] for a, b in links.index[single].tolist()],
                          np.int64).reshape(-1, 2)
        part = links.take(single)
        swap = firsts[:, 0] > firsts[:, 1]
        keep = firsts.max(axis=1) >= base
        parts = [Verified(np.sort(firsts, axis=1), part.similarity,
                          np.where(swap[:, None], part.containment[:, ::-1], part.containment), part.kind).take(keep)]
        for row in np.flatnonzero(~(sizes == 1).all(axis=1)).tolist():
            a, b = (int(x) for x in links.index[row])
            ma, mb = members.get(a), members.get(b)
            if ma is None or mb is None or len(ma) == 0 or len(mb) == 0:
                continue
            pairs = _link_pairs(ma, old.get(a, 0), mb, old.get(b, 0), base, self._limit)
            if len(pairs) == 0:
                continue
            part = links.take(np.full(len(pairs), row))
            # A link stores (a in b, b in a); swap where the pair's earlier passage belongs to b.
            containment = np.where(np.isin(pairs[:, 0], ma)[:, None], part.containment, part.containment[:, ::-1])
            parts.append(Verified(pairs, part.similarity, containment, part.kind))
        return Verified.concat(parts)

    def _new_pairs(self, plan: _Plan, base_gid: int) -> Verified:
        """The passage pairs whose later passage is new in this add, under the module's rules."""
        gid, base = plan.gid, plan.base_pid
        pids = base + np.arange(len(gid), dtype=np.int64)
        touched = distinct(gid[gid >= 0])
        old_touched = touched[touched < base_gid]
        # Links of stored groups that gain passages, and the new links.
        links = Verified.concat([self._links_of(old_touched), plan.links]) if len(old_touched) else plan.links
        involved = distinct(np.concatenate([touched, links.index.ravel()]))
        members, old = self._old_members(involved[involved < base_gid].tolist())
        grouped = gid >= 0
        order = np.argsort(gid[grouped], kind="stable")
        new_pids = pids[grouped][order]
        new_gids, starts, counts = np.unique(gid[grouped][order], return_index=True, return_counts=True)
        # Only stored groups, groups with several passages and linked ones need their members (most
        # groups are new with one passage).
        needed = (counts > 1) | (new_gids < base_gid) | np.isin(new_gids, links.index)
        for g, at, count in zip(new_gids[needed].tolist(), starts[needed].tolist(), counts[needed].tolist()):
            members[g] = np.concatenate([members.get(g, np.zeros(0, np.int64)), new_pids[at:at + count]])
        several = [g for g in new_gids[needed].tolist() if len(members[g]) > 1]
        equal = _equal_pairs([members[g] for g in several], [old.get(g, 0) for g in several], base,
                             self.settings.max_bucket)
        return Verified.concat([Verified.exact(equal), self._expand(links, members, old, base)])

    # ------------------------------------------------------------------ writing
    def _write(self, plan: _Plan) -> None:
        # The texts are packed on a thread of their own while the rows go in: zlib and SQLite's
        # steps both let go of the GIL.
        blocks = self._text_blocks({g: plan.norms[i] for g, i in zip(plan.new_gids.tolist(), plan.new_first.tolist())})
        with ThreadPoolExecutor(1) as pool:
            packing = pool.submit(_pack_blocks, blocks)
            self._write_rows(plan)
            self._write_blocks(packing.result())

    def _write_rows(self, plan: _Plan) -> None:
        """Every row of an add but its texts."""
        con = self._con
        documents, passages = plan.documents, plan.passages
        counts = np.bincount(passages.doc_pos, minlength=len(documents))
        first = plan.base_pid + np.cumsum(counts) - counts
        base_did = con.execute("SELECT coalesce(max(did), -1) + 1 FROM docs").fetchone()[0]
        _insert_rows(con, "docs", [range(base_did, base_did + len(documents)), [d.id for d in documents],
                                   first.tolist(), counts.tolist(), [plan.batch] * len(documents),
                                   [len(d.text) for d in documents], [d.encoding for d in documents],
                                   (_encode_text(d.text) if self.keep_text else None for d in documents)])
        gid = plan.gid
        _insert_rows(con, "passages", [
            range(plan.base_pid, plan.base_pid + len(gid)), (base_did + passages.doc_pos).tolist(),
            passages.line.tolist(), passages.start.tolist(), passages.end.tolist(),
            [None if g < 0 else g for g in gid.tolist()]])
        new_count = len(plan.new_gids)
        if new_count:  # new groups are numbered on from the stored ones
            sizes = np.bincount(gid[gid >= plan.new_gids[0]] - plan.new_gids[0], minlength=new_count)
            nibbles: list[bytes | None] = [None] * new_count
            for k, row in zip(np.flatnonzero(plan.banded).tolist(), _nibbles(plan.compact)):
                nibbles[k] = row.tobytes()
            _insert_rows(con, "groups", [
                plan.new_gids.tolist(), plan.new_hash, sizes.tolist(), [len(plan.norms[i]) for i in plan.new_first.tolist()],
                np.bincount(plan.sample_owner, minlength=new_count).tolist(), nibbles])
        con.executemany("UPDATE groups SET size = size + ? WHERE gid = ?",
                        ((c, g) for g, c in plan.old_growth.items()))
        # Sorted keys fill the B-trees page by page.
        _insert_rows(con, "bands", np.stack([plan.band_key, plan.band_gid], axis=1))
        if len(plan.sample_key):
            owner = plan.new_gids[plan.sample_owner]
            order = np.lexsort((owner, plan.sample_key))
            _insert_rows(con, "samples", np.stack([plan.sample_key[order], owner[order]], axis=1))
        links = plan.links
        _insert_rows(con, "links", [
            links.index[:, 0].tolist(), links.index[:, 1].tolist(), _nullable(links.similarity),
            _nullable(links.containment[:, 0]), _nullable(links.containment[:, 1]), links.kind.tolist()])
        con.execute("UPDATE meta SET value = ? WHERE key = 'batches'", (str(plan.batch),))

    def _delete(self, docs: list[tuple[int, int, int]]) -> int:
        """Delete documents ``(did, first pid, count)`` with their passages; drop groups left empty."""
        con = self._con
        removed = 0
        shrink: dict[int, int] = {}
        for did, first, count in docs:
            for g, c in con.execute("SELECT gid, count(*) FROM passages WHERE pid >= ? AND pid < ? AND gid IS NOT "
                                    "NULL GROUP BY gid", (first, first + count)):
                shrink[g] = shrink.get(g, 0) + c
            con.execute("DELETE FROM passages WHERE pid >= ? AND pid < ?", (first, first + count))
            con.execute("DELETE FROM docs WHERE did = ?", (did,))
            removed += count
        con.executemany("UPDATE groups SET size = size - ? WHERE gid = ?", ((c, g) for g, c in shrink.items()))
        empty = [r[0] for r in self._select_in("SELECT gid FROM groups WHERE gid IN ({}) AND size <= 0",
                                               sorted(shrink))]
        if not empty:
            return removed
        # An empty group's keys are made again from its text: signing is deterministic.
        rows = self._select_in("SELECT gid FROM groups WHERE gid IN ({}) AND length BETWEEN ? AND ?", empty,
                               self._banded_lengths)
        stored = self._texts(empty)
        banded = [(g, stored[g]) for (g,) in rows]
        if banded:
            texts = [t for _, t in banded]
            gids = np.array([g for g, _ in banded], np.int64)
            signed = sign_passages(self._signing, texts, np.arange(len(texts)))
            keys = (np.arange(self.settings.bands, dtype=np.int64) << 32) | signed.keys.astype(np.int64)
            con.executemany("DELETE FROM bands WHERE key = ? AND gid = ?",
                            zip(keys.ravel().tolist(), np.repeat(gids, keys.shape[1]).tolist()))
            if self.settings.containment and self.settings.verify:
                owner, skey = _samples(self.settings, texts)
                con.executemany("DELETE FROM samples WHERE key = ? AND gid = ?",
                                zip(skey.tolist(), gids[owner].tolist()))
        con.executemany("DELETE FROM links WHERE a = ?", ((g,) for g in empty))
        con.executemany("DELETE FROM links WHERE b = ?", ((g,) for g in empty))
        con.executemany("DELETE FROM groups WHERE gid = ?", ((g,) for g in empty))
        self._store_texts(dict.fromkeys(empty))
        return removed

    # ------------------------------------------------------------------ results
    def _docs(self, dids: Sequence[int] | None) -> dict[int, tuple[Any, ...]]:
        """``did -> (id, first pid, batch, chars, encoding, text)``."""
        column = "text" if self.keep_text else "NULL"
        sql = f"SELECT did, id, first, batch, chars, encoding, {column} FROM docs"
        rows = self._con.execute(sql).fetchall() if dids is None else \
            self._select_in(sql + " WHERE did IN ({})", list(dids))
        return {r[0]: tuple(r[1:]) for r in rows}

    def _result(self, plan: _Plan) -> Result:
        """The Result of an add or query: the new passages and the stored ones they pair with."""
        passages, n = plan.passages, len(plan.gid)
        pairs = plan.pairs
        old_pids = distinct(pairs.index[pairs.index < plan.base_pid])
        rows = np.zeros((0, 6), np.int64)
        docs: dict[int, Any] = {}
        if len(old_pids):
            rows = np.array(self._select_in("SELECT pid, did, line, start, end, coalesce(gid, -1) FROM passages "
                                            "WHERE pid IN ({}) ORDER BY pid", old_pids.tolist()),
                            np.int64).reshape(-1, 6)
            docs = self._docs(sorted(set(rows[:, 1].tolist())))
        # Stored passages show the text of their group: a new passage's, fetched, or read now.
        known = dict(plan.groups.norm)
        gids, firsts = np.unique(plan.gid, return_index=True)  # each group's first passage in this add
        known.update((g, plan.norms[i]) for g, i in zip(gids.tolist(), firsts.tolist()) if g >= 0)
        missing = sorted({int(g) for g in rows[:, 5].tolist() if g >= 0 and int(g) not in known})
        known.update(self._fetch_groups(np.array(missing, np.int64)).norm if missing else {})
        old_norms = [known.get(int(g), "") for g in rows[:, 5].tolist()]
        documents = self._stored_documents(docs, rows, old_norms)
        # New documents get dids past every stored one, in input order.
        base_did = max(docs, default=-1) + 1
        for k, d in enumerate(plan.documents):
            documents[base_did + k] = (d, plan.batch)
        new_rows = np.stack([plan.base_pid + np.arange(n), base_did + passages.doc_pos, passages.line,
                             passages.start, passages.end, plan.gid], axis=1).astype(np.int64).reshape(-1, 6)
        first = {d: row[1] for d, row in docs.items()}
        old_index = rows[:, 0] - np.array([first[d] for d in rows[:, 1].tolist()], np.int64)
        result = self._assemble(np.concatenate([rows, new_rows]),
                                np.concatenate([old_index, passages.index_in_doc]).astype(np.int64),
                                documents, old_norms + plan.norms, pairs, plan.errors, plan.base_pid)
        return dataclasses.replace(result, skipped=plan.skipped)

    def _stored_documents(self, docs: dict[int, tuple[Any, ...]], rows: np.ndarray,
                          norms: list[str]) -> dict[int, tuple[Document, int]]:
        """``did -> (Document, batch)`` for stored documents: their text when it was kept, else a sketch."""
        out: dict[int, tuple[Document, int]] = {}
        by_doc: dict[int, list[int]] = {}
        for k, d in enumerate(rows[:, 1].tolist()):
            by_doc.setdefault(d, []).append(k)
        for d, (doc_id, _first, batch, chars, encoding, text) in docs.items():
            at = by_doc.get(d, [])
            shown = _decode_text(text) if text is not None else _sketch(chars, rows[at], [norms[k] for k in at])
            out[d] = (Document(doc_id, shown, encoding), batch)
        return out

    def _assemble(self, rows: np.ndarray, index_in_doc: np.ndarray, documents: dict[int, tuple[Document, int]],
                  norms: list[str], pairs: Verified, errors: list[ReadError], new_from: int | None) -> Result:
        """A Result from passage rows ``(pid, did, line, start, end, gid)`` in pid order, their documents
        ``did -> (Document, batch)`` and normal forms, and pid pairs (passages from pid *new_from*
        on are the new ones: only they are reported as oversized)."""
        s = self.settings
        pid, did, gid = rows[:, 0], rows[:, 1], rows[:, 5]
        dids = sorted(documents)
        doc_pos = np.searchsorted(np.array(dids, np.int64), did).astype(np.int32)
        passages = Passages([documents[d][0] for d in dids], doc_pos, index_in_doc.astype(np.int32),
                            rows[:, 2].astype(np.int32), rows[:, 3].copy(), rows[:, 4].copy())
        position = np.searchsorted(pid, pairs.index).reshape(-1, 2)
        verified = Verified(position, pairs.similarity, pairs.containment, pairs.kind)
        verified = verified.oriented().sorted_by_position(max(len(pid), 1))
        # Keep rule: passages of earlier adds first; within an add, settings.keep (first: insertion order).
        batch = np.array([documents[d][1] for d in dids], np.int64)[doc_pos] if dids else np.zeros(0, np.int64)
        secondary = -(rows[:, 4] - rows[:, 3]) if s.keep == "longest" else np.zeros(len(pid), np.int64)
        rank = np.empty(len(pid), np.int64)
        rank[np.lexsort((pid, secondary, batch))] = np.arange(len(pid))
        # Equal texts: the position of the group's first passage shown (pid order: its earliest).
        group = np.full(len(pid), -1, np.int64)
        has = np.flatnonzero(gid >= 0)
        _, first_at, inverse = np.unique(gid[has], return_index=True, return_inverse=True)
        group[has] = has[first_at][inverse]
        labels = cluster_labels(s, rank, verified, group)
        lengths = text_lengths(norms)
        flagged = flag_boilerplate(s, passages, norms, lengths)
        if new_from is not None:
            lengths = np.where(pid >= new_from, lengths, 0)
        return Result(settings=s, documents=passages.documents, passages=passages,  # type: ignore[arg-type]
                      errors=errors + oversized(s, passages, lengths), pair_index=verified.index,
                      similarity=verified.similarity, containment=verified.containment, kind=verified.kind,
                      cluster_label=labels, keep_rank=rank, boilerplate=flagged)


def _sketch(chars: int, rows: np.ndarray, norms: list[str]) -> str:
    """A stand-in text for a stored document whose text was not kept: each known passage's normal
    form at its offsets (cut, or padded with spaces, which normalisation removes).

    >>> _sketch(8, np.array([[0, 0, 1, 2, 6, 0]]), ["abcdef"])
    '  abcd  '
    """
    pieces, at = [], 0
    for (_, _, _, start, end, _), norm in sorted(zip(rows.tolist(), norms), key=lambda x: x[0][3]):
        if start < at:
            continue
        pieces += [" " * (start - at), norm[:end - start].ljust(end - start)]
        at = end
    pieces.append(" " * (int(chars) - at))
    return "".join(pieces)


def _nullable(values: np.ndarray) -> list[float | None]:
    return [None if v != v else float(v) for v in values.tolist()]


def passage_rows(result: Result) -> list[dict[str, Any]]:
    """One row per passage: where it is, its cluster's kept passage, whether it is kept, boilerplate.

    >>> import dedup
    >>> r = dedup.find_duplicates([("a", "同一段文字出现了两次。"), ("b", "同一段文字出现了两次。")])
    >>> [(row["doc"], row["kept"], row["cluster"]["doc"]) for row in passage_rows(r)]
    [('a', True, 'a'), ('b', False, 'a')]
    """
    kept = result.kept_positions()
    p = result.passages
    out = []
    for i in range(len(p)):
        k = int(kept[i])
        out.append({"doc": p.documents[int(p.doc_pos[i])].id, "index": int(p.index_in_doc[i]),
                    "line": int(p.line[i]), "start": int(p.start[i]), "end": int(p.end[i]),
                    "cluster": {"doc": p.documents[int(p.doc_pos[k])].id, "index": int(p.index_in_doc[k])},
                    "kept": k == i, "boilerplate": bool(result.boilerplate[i])})
    return out
