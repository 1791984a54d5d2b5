"""The pipeline on a Dask cluster: the local engine's stages, run per partition of documents, same answer.

``find_duplicates(corpus, engine="dask")`` lands here. The documents are cut into partitions
of about ``partition_size`` passages (a folder of text files or of table shards is read on the
workers when they share this machine's files); each partition is segmented, normalised, signed and verified on a worker, with the
stage functions of the local engine. What crosses partitions
goes through a shuffle of arrays, keyed so that the global answer is the local one:

- boilerplate: the short lines of every partition (all ``find_boilerplate`` looks at) meet in
  one task that calls ``flag_boilerplate`` over the whole corpus;
- exact groups: ``exact_groups`` per partition, then a 128-bit BLAKE2b digest of each distinct
  text is shuffled by digest; the smallest position of each digest is its group;
- LSH candidates: band keys are shuffled by band; each reducer calls ``band_candidates`` on its
  bands over all representatives (giant buckets become stars around their first member there,
  as locally), and sends each pair to the partition of its first member;
- containment candidates: one task makes the table of the hashes the partitions' queries ask
  (``_asked_table``, less those asked too often to be usable); each partition finds its texts'
  postings of those hashes with the local engine's kernel, and the postings travel as (slot,
  owner) pairs to a reducer a range of slots, which sends each partition the postings of the
  slots it asks; the partition calls ``sample_search`` on them (the global inverted index is never
  in one place). When some text had no usable query, the driver waits for the count and a second
  round asks again for those texts (``_second_queries``), its table first cut to the hashes held
  by few enough texts (``_held_count``), as locally;
- verification: each partition fetches the compact signatures of the other sides of its LSH
  pairs from their partitions (a join by representative number), drops the pairs whose
  estimate is hopeless as ``bucket`` does, then fetches the normal forms of the other sides
  of what is left and of its containment candidates, and calls ``judge``. The all-to-all
  exchanges go through relay tasks (``_Run.exchange``: one a reducer, or one a partition up to
  ``WIDE_TASKS`` for the texts), not a task a pair of
  partitions.
The driver holds arrays (about 60 bytes a passage), the documents the ``Result`` refers to,
and the verified pairs; it runs ``expand_exact``, the keep rule and ``cluster_labels`` as the
local engine does. With ``clusters="components"`` and more linking pairs than
``driver_edges``, connected components are found on the cluster instead, by min-label
propagation (see ``_components_on_cluster``).

Every task is a pure function of its inputs (a folder's read tasks, of its files: a read done
again checks that they did not change), so a worker lost mid-run only costs the recomputation of
what it held: Dask reruns those tasks from their inputs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import os
import pickle
import sys
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import getitem
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _kernel
from ._arrays import (
    decode_pairs,
    distinct,
    first_of_runs,
    gather_ranges,
    item_owners,
    ranks,
    run_bounds,
    run_offsets,
    text_lengths,
    trim_heap,
)
from ._boilerplate import flag_boilerplate, matching_texts, on_short_lines
from ._contain import (
    MAX_POSTING,
    Sample,
    asked_again,
    containment_queries,
    ignored_bits,
    sample_batch,
    sample_search,
    slot_search,
    smallest_of,
    smallest_queries,
)
from ._errors import DedupError, InputError, UsageError
from ._exact import exact_groups, representatives, unique_pairs
from ._find import decide
from ._kernel import band_candidates
from ._lsh import estimate, estimate_floor
from ._minhash import Signed, sign_passages
from ._normalize import normalize_passages
from ._progress import Clock
from ._read import (
    TEXT_PATTERN,
    Document,
    FolderEntry,
    ReadError,
    check_unique_ids,
    list_folder,
    read_corpus,
    read_entries,
)
from ._result import Kind, Result
from ._segment import Passages, line_breaks, segment
from ._settings import Settings
from ._verify import Verified, judge

if TYPE_CHECKING:
    from ._tabular import TableFormat, TableSet

__all__ = ["CONNECT_TIMEOUT", "PARTITION_SIZE", "SchedulerError", "find_duplicates_dask", "local_cluster",
           "plan_partitions"]

# 10k-50k passages a partition: big enough that a task's work (about a second) dwarfs Dask's
# few milliseconds of overhead per task, small enough for many tasks per worker and cheap retries.
PARTITION_SIZE = 50_000
WIDE_TASKS = 32  # at most this many reducers or relays for the largest exchanges (see _pipeline)
# A folder (of text files or table shards) read on the workers is read by tasks of about this many
# bytes of files each; the partitions are then cut from the documents as for a corpus read on the driver.
READ_BYTES = 32 << 20
# Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT = 10.0
CONNECT_GRACE = 5.0  # beyond it, the wait for a scheduler that took the connection but never answered
# Local clusters: one single-threaded process per core (the stages hold the GIL).
DEFAULT_WORKERS = max(1, os.cpu_count() or 1)
# Above this many linking pairs, components are found on the cluster rather than on the driver.
DRIVER_EDGES = 50_000_000


def _trimmed(function: Any) -> Any:
    """*function* as a task that hands its freed heap back to the OS when it ends (glibc's
    ``malloc_trim``): its temporaries would otherwise stay in the worker as unmanaged memory,
    which Dask cannot spill, and a worker near its memory limit would pause for good.
    (``local_cluster`` turns off glibc's own trimming, which makes every large array cost
    fresh pages; one trim a task costs milliseconds.)"""

    @functools.wraps(function)
    def task(*args: Any) -> Any:
        try:
            return function(*args)
        finally:
            trim_heap()

    return task


class SchedulerError(DedupError, ConnectionError):
    """The Dask scheduler named by address could not be reached in time (exit 1: check ``--scheduler``)."""

    exit_code = 1


# ---------------------------------------------------------------- partitions and the cluster
def plan_partitions(documents: Sequence[Document], unit: str, size: int = PARTITION_SIZE) -> list[int]:
    """Document positions where partitions start, plus the end: consecutive documents of about *size*
    passages each (counted as lines, or one per document for ``unit="document"``); never empty.

    >>> docs = [Document(str(i), "a\\nb\\nc") for i in range(5)]
    >>> plan_partitions(docs, "paragraph", 6), plan_partitions(docs, "document", 2), plan_partitions([], "paragraph")
    ([0, 2, 4, 5], [0, 2, 4, 5], [0, 0])
    """
    _check_partition_size(size)
    bounds, filled = [0], 0
    for i, document in enumerate(documents):
        filled += 1 if unit == "document" else line_breaks(document.text) + 1
        if filled >= size and i + 1 < len(documents):
            bounds.append(i + 1)
            filled = 0
    bounds.append(len(documents))
    return bounds


def _check_partition_size(size: int) -> None:
    if size < 1:
        raise UsageError(f"partition_size must be a positive number of passages, not {size!r}")


def local_cluster(workers: int = DEFAULT_WORKERS, memory_limit: str | float = "auto",
                  dashboard_address: str = "127.0.0.1:0") -> Any:
    """A ``distributed.LocalCluster`` as dedup wants it: *workers* single-threaded processes (the
    stages hold the GIL) on loopback, *memory_limit* each (workers spill to disk beyond it), no
    fixed dashboard port (the scheduler's web server, which Dask starts whatever it is told, takes a free loopback
    port unless *dashboard_address* says otherwise: 8787 taken by another cluster gave a warning a run), no profiler
    sampling the workers, and glibc's allocator left as it is.

    Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also pins glibc's
    mmap threshold at 128 KiB: every array above that size then comes fresh from the kernel, and
    the signing and verification stages, which make many such temporaries, took 1.5 to 2 times
    the CPU. Trimming is only a way to show lower memory; the memory limit still holds.
    """
    import dask
    import distributed

    key = "MALLOC_TRIM_THRESHOLD_"
    # An earlier nanny of this process put Dask's value into os.environ, which workers inherit.
    inherited = os.environ.pop(key, None) if os.environ.get(key) == "65536" else None
    try:
        # No statistical profiler in the workers either: it samples every thread's stack every 10 ms.
        with dask.config.set({f"distributed.nanny.pre-spawn-environ.{key}": None,
                              "distributed.worker.profile.enabled": False}):
            try:
                return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                host="127.0.0.1", dashboard_address=dashboard_address,
                                                memory_limit=memory_limit)
            except RuntimeError as exc:
                script = getattr(sys.modules.get("__main__"), "__file__", None)
                if script is None or os.path.isfile(script):
                    raise
                # Worker processes are spawned: each imports the main script again, which a script read from
                # stdin is not (Dask only says "Nanny failed to start").
                raise UsageError(f"the local Dask cluster's workers could not start ({exc}): each imports the main "
                                 f"script again, and {script!r} is no file; run the code from a file (the call under "
                                 f"if __name__ == '__main__':), or pass client= a running cluster") from exc
    finally:
        if inherited is not None:
            os.environ[key] = inherited


def _check_address(address: str) -> None:
    """Refuse (``UsageError``) a scheduler *address* that Dask cannot connect to (a number of workers as text, a
    protocol Dask lacks such as http://, no host and port, a port out of range), before anything is read or
    connected."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    if not address.strip():
        raise UsageError("scheduler address is empty; give one such as tcp://host:8786, or none for a local cluster")
    if address.strip().isdigit():  # "4": a number of workers given as text
        raise UsageError(f"scheduler address {address!r} is a number: for that many local workers give "
                         f"--workers {address.strip()} (client={address.strip()} in Python), or an address such as "
                         f"tcp://host:8786")
    try:
        protocol, location = parse_address(address)
        try:  # the protocols Dask has here, add-on packages' too: http:// (the dashboard's, say) failed after 20 s
            get_backend(protocol)
        except ValueError:
            raise ValueError(f"{protocol}:// is no Dask protocol here") from None
        if protocol in ("tcp", "tls"):  # host and port (inproc:// and others address otherwise)
            _, port = parse_host_port(location)
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is out of range")
    except ValueError as exc:
        raise UsageError(f"scheduler address {address!r} is no address Dask takes ({exc}); give one such as "
                         f"tcp://host:8786") from None


@contextmanager
def _connect(client: Any, memory_limit: str | float, timeout: float) -> Iterator[tuple[Any, bool]]:
    """A ``distributed.Client`` for *client*: itself, one connected to an address, or one on a
    local cluster of that many workers (default: one per core) started here and closed after;
    and whether the workers belong to a local cluster of this process (they see its files)."""
    try:
        import distributed
    except ImportError:
        raise UsageError("engine='dask' needs Dask: pip install 'dedup[dask]'") from None
    if isinstance(client, distributed.Client):
        yield client, isinstance(getattr(client, "cluster", None), distributed.LocalCluster)
        return
    if isinstance(client, str):  # checked by find_duplicates_dask before anything was read
        connected = _client_at(client, timeout)
        try:
            yield connected, False
        finally:
            connected.close()
        return
    if client is not None and (isinstance(client, bool) or not isinstance(client, int) or client < 1):
        raise UsageError(f"client must be a distributed.Client, a scheduler address or a number of local "
                         f"workers, not {client!r}")
    cluster = local_cluster(client or DEFAULT_WORKERS, memory_limit)
    try:
        with distributed.Client(cluster, set_as_default=False) as local:
            yield local, True
    finally:
        cluster.close()


def _client_at(address: str, timeout: float) -> Any:
    """A ``distributed.Client`` connected to the scheduler at *address*, or ``SchedulerError`` within about
    *timeout* seconds: Dask's own timeout covers reaching the host, not a server there that never answers its
    handshake (a web server, the dashboard's port), on which the connection waited for good."""
    import distributed

    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            outcome["client"] = distributed.Client(address, timeout=timeout, set_as_default=False)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="dedup-connect", daemon=True)
    thread.start()
    thread.join(timeout + CONNECT_GRACE)
    error = outcome.get("error")
    if thread.is_alive() or isinstance(error, MemoryError):  # no answer, or an answer no Dask message
        raise SchedulerError(f"something listens at {address}, but no Dask scheduler answered within {timeout:g} s; "
                             f"is the address that of the scheduler (port 8786 by default), not of its dashboard?")
    if isinstance(error, (OSError, TimeoutError)):
        raise SchedulerError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({error}); "
                             f"is it running, and is the address right?") from None
    if isinstance(error, Exception):  # a protocol Dask names but cannot connect with (ucx:// without its package)
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address}: {type(error).__name__}: {error}"
                             ) from error
    if error is not None:
        raise error
    return outcome["client"]


# ---------------------------------------------------------------- worker side: one partition
@dataclass(frozen=True, slots=True)
class _Part:
    """One partition on its worker: where its passages are (``Passages`` arrays, document positions
    local to it) and their normal forms; not the documents, which the driver holds."""

    layout: tuple[np.ndarray, ...]
    norms: list[str]
    lengths: np.ndarray


@dataclass(frozen=True, slots=True)
class _Signed:
    """A partition's representatives (local positions), what signing left for them, and their normal
    forms where the containment search reads them with the compiled kernels (None without the
    containment search, or where signing made the postings)."""

    reps: np.ndarray
    signed: Signed
    texts: list[str] | None = None


_SETTINGS: dict[Settings, Settings] = {}


def _here(settings: Settings) -> Settings:
    """This process's instance of *settings*: a task gets a fresh unpickled copy, whose normaliser
    tables (0.1 s) would otherwise be built again in every task."""
    if len(_SETTINGS) > 64:  # a keep function unpickled per task never compares equal: stay small
        _SETTINGS.clear()
    return _SETTINGS.setdefault(settings, settings)


@_trimmed
def _load(settings: Settings, documents: list[Document] | str) -> _Part:
    """Segment and normalise one partition's documents (given, or pickled in a file), as the local
    engine does."""
    settings = _here(settings)
    if isinstance(documents, str):
        with open(documents, "rb") as f:
            documents = pickle.load(f)
    p = segment(documents, settings.unit, settings.repair_breaks)  # type: ignore[arg-type]
    norms = normalize_passages(settings, p)
    return _Part((p.doc_pos, p.index_in_doc, p.line, p.start, p.end), norms,
                 text_lengths(norms))


def _layout(part: _Part) -> tuple[np.ndarray, ...]:
    """The per-passage arrays the driver's ``Passages`` and stages need."""
    return (*part.layout, part.lengths)


def _skeleton(settings: Settings, part: _Part) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """What boilerplate detection reads of a partition: every passage's document, line and normalised length,
    and the texts of those on short lines (no other is ever boilerplate; a partition holds whole documents,
    so its lines are whole)."""
    doc_pos, _, line = part.layout[:3]
    short = np.flatnonzero(on_short_lines(doc_pos, line, part.lengths, settings.boilerplate_chars))
    return part.layout[0], part.layout[2], part.lengths, short, [part.norms[i] for i in short.tolist()]


@_trimmed
def _boilerplate(settings: Settings, doc_starts: np.ndarray, *skeletons: tuple[Any, ...]) -> np.ndarray:
    """``flag_boilerplate`` over the whole corpus, from the partitions' skeletons."""
    doc_pos = _cat([s[0].astype(np.int64) + start for s, start in zip(skeletons, doc_starts.tolist())], np.int64)
    line = _cat([s[1] for s in skeletons], np.int64)
    lengths = _cat([s[2] for s in skeletons], np.int64)
    norms = [""] * len(doc_pos)  # only the short texts are read: the lengths say which
    offset = 0
    for positions, _, _, short, texts in skeletons:
        for i, text in zip((short + offset).tolist(), texts):
            norms[i] = text
        offset += len(positions)
    # Only the document and line of each passage are read from the passages.
    passages = Passages([], doc_pos, doc_pos, line, doc_pos, doc_pos)
    return flag_boilerplate(settings, passages, norms, lengths)


def _slice(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``values[start:stop]`` as a task, so a partition receives only its part."""
    return values[start:stop]


@dataclass(frozen=True, slots=True)
class _ExactSplit:
    """A partition's exact groups in local positions, its distinct texts (heads) and where each was sent."""

    group: np.ndarray
    heads: np.ndarray
    route: np.ndarray
    pieces: list[tuple[np.ndarray, np.ndarray]]


@_trimmed
def _exact_split(settings: Settings, part: _Part, flags: np.ndarray | None, reducers: int) -> _ExactSplit:
    """Local exact groups, and each distinct text's 128-bit digest with its first local position, by reducer."""
    texts = matching_texts(settings, part.norms, flags) if flags is not None else part.norms
    group = exact_groups(texts)
    heads = np.flatnonzero(group == np.arange(len(group)))
    # 128 bits: two different texts share a digest with odds of 1 in 10**20 among 10**9 passages.
    data = b"".join(hashlib.blake2b(texts[h].encode("utf-8", "surrogatepass"), digest_size=16).digest()
                    for h in heads.tolist())
    digests = np.frombuffer(data, np.uint64).reshape(-1, 2)
    route = (digests[:, 0] % np.uint64(reducers)).astype(np.int64)
    return _ExactSplit(group, heads, route, [(digests[route == r], heads[route == r]) for r in range(reducers)])


def _exact_piece(split: _ExactSplit, r: int) -> tuple[np.ndarray, np.ndarray]:
    """What reducer *r* receives from one partition."""
    return split.pieces[r]


@_trimmed
def _exact_reduce(starts: np.ndarray, *pieces: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """For every digest sent here: the smallest global position holding it; answered per partition,
    in the order each sent its digests."""
    digests = _cat([d for d, _ in pieces], np.uint64).reshape(-1, 2)
    positions = _cat([h + start for (_, h), start in zip(pieces, starts.tolist())], np.int64)
    order = np.lexsort((positions, digests[:, 1], digests[:, 0]))
    ranked = digests[order]
    new = np.ones(len(order), bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    first = positions[order][np.flatnonzero(new)][np.cumsum(new) - 1]
    answer = np.empty(len(order), np.int64)
    answer[order] = first
    return np.split(answer, np.cumsum([len(h) for _, h in pieces])[:-1])


def _exact_join(split: _ExactSplit, *answers: np.ndarray) -> np.ndarray:
    """The partition's exact groups in global positions (-1: empty text)."""
    first = np.full(len(split.group), -1, np.int64)
    for r, answer in enumerate(answers):
        first[split.heads[split.route == r]] = answer
    return np.where(split.group >= 0, first[np.maximum(split.group, 0)], -1) if len(first) else first


@_trimmed
def _sign(settings: Settings, part: _Part, reps: np.ndarray, batch_size: int) -> _Signed:
    """``sign_passages`` for the partition's representatives."""
    settings = _here(settings)
    texts = [part.norms[i] for i in reps.tolist()]
    # Character shingles with the kernels: the containment search reads the texts in compiled passes
    # (``_queries``, ``_contain_split``), as locally; otherwise signing makes every posting.
    compiled = settings.shingle_kind == "char" and _kernel.use_kernels(sum(map(len, texts)))
    contain = settings.containment and settings.verify
    signed = sign_passages(settings, part.norms, reps, batch_size, every_shingle=contain and not compiled)
    return _Signed(reps, signed, texts if contain and compiled else None)


def _band_piece(signed: _Signed, bands: list[int]) -> np.ndarray:
    """The partition's band keys of the bands one reducer handles."""
    return np.ascontiguousarray(signed.signed.keys[:, bands])


@_trimmed
def _band_reduce(settings: Settings, rep_starts: np.ndarray, *pieces: np.ndarray) -> list[np.ndarray]:
    """The LSH candidates of these bands for every representative (rows in global order, since the
    partitions are), by the local engine's ``band_candidates`` (``candidate_pairs``, compiled), as
    codes ``a * m + b`` split by the partition of ``a``."""
    keys = np.concatenate(pieces) if pieces else np.zeros((0, 1), np.uint32)
    m = int(rep_starts[-1])
    pairs = band_candidates(keys, settings.max_bucket) if len(keys) else np.zeros((0, 2), np.int64)
    codes = pairs[:, 0] * m + pairs[:, 1]
    # Codes are sorted by a, so each partition's codes are one run.
    cuts = np.searchsorted(codes, rep_starts[1:-1] * m)
    return np.split(codes, cuts)


@_trimmed
def _lsh_pairs(m: int, *pieces: np.ndarray) -> np.ndarray:
    """The distinct candidate pairs (representative numbers) whose first member lies in this partition."""
    return decode_pairs(distinct(_cat(list(pieces), np.int64)), max(m, 1))


def _samples(signed: _Signed, rep_start: int) -> list[Sample]:
    """The containment samples signing made of the partition, texts numbered globally."""
    return [sample._replace(first=sample.first + rep_start, owner=sample.owner + rep_start,
                            askers=sample.askers + rep_start) for sample in signed.signed.samples]


@_trimmed
def _queries(settings: Settings, signed: _Signed, rep_start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The partition's queries, their askers (numbered globally), and how many queries each of its texts
    asks in a second round (``second_counts``): each text's ``query_counts`` smallest shingle hashes
    (``containment_queries``)."""
    if signed.texts is not None and _kernel.HAVE_NUMBA:
        _kernel._load()  # this worker may not have loaded them yet (a moved or retried task)
        queries, counts, second = containment_queries(signed.texts, settings.shingle_size)
        return queries, item_owners(counts) + rep_start, second
    samples = _text_samples(settings, signed, rep_start)
    return (_cat([s.queries for s in samples], np.uint64), _cat([s.askers for s in samples], np.int64),
            _cat([s.second for s in samples], np.int64))


@_trimmed
def _second_queries(settings: Settings, signed: _Signed, rep_start: int, asked: tuple[np.ndarray, ...],
                    found: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The second round's queries of the partition's texts none of whose first queries was usable (*found*:
    the first round's pairs and usable queries a text), in the form of ``_queries``: as the local engine asks."""
    wanted = asked_again(found[1], asked[2])
    skip = np.bincount(asked[1] - rep_start, minlength=len(wanted))  # the first round's queries, known common
    if signed.texts is not None and _kernel.HAVE_NUMBA:
        _kernel._load()
        queries, counts = smallest_queries(signed.texts, settings.shingle_size, wanted, skip)
        return queries, item_owners(counts) + rep_start, wanted[:0]
    more = [smallest_of(s, wanted[s.first - rep_start:s.first - rep_start + s.size],
                        skip[s.first - rep_start:s.first - rep_start + s.size])
            for s in _text_samples(settings, signed, rep_start)]
    return _cat([q for q, _ in more], np.uint64), _cat([a for _, a in more], np.int64), wanted[:0]


def _text_samples(settings: Settings, signed: _Signed, rep_start: int) -> list[Sample]:
    """The partition's containment samples: signing's, or made from its texts by the numpy stages (a task
    on a worker without numba, in a mixed cluster, where signing left the texts; the same answer)."""
    if signed.texts is None:
        return _samples(signed, rep_start)
    return [sample_batch(_here(settings).shingler(signed.texts), rep_start)]


@_trimmed
def _asked_table(m: int, *queries: np.ndarray) -> np.ndarray:
    """The hashes the partitions' *queries* ask (low bits cleared, ``ignored_bits``), less those asked by
    more than ``MAX_POSTING`` texts (each asker holds its own query: never usable), distinct and sorted:
    the containment search's table, as locally (``rare_values``); about 10 MB at zh 1M, sent to every
    partition.

    >>> _asked_table(4, np.array([5, 9], np.uint64), np.array([4], np.uint64)).tolist()
    [4, 8]
    """
    drop = np.uint64(ignored_bits(m))
    asked = _cat(list(queries), np.uint64) >> drop << drop
    if _kernel.HAVE_NUMBA:
        _kernel._load()
        table = _kernel.rare_values(asked, MAX_POSTING)
    else:
        values, counts = np.unique(asked, return_counts=True)
        table = values[counts <= MAX_POSTING]
    if len(table) >= 2**31:  # its slots travel as int32
        raise ValueError(f"{len(table):,} distinct containment queries, too many for one search (under 2**31)")
    return table


def _in_table(hashes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Where each of *hashes* sits in the sorted *table*, -1 where it is not there (int64).

    >>> _in_table(np.array([4, 5, 9], np.uint64), np.array([4, 9], np.uint64)).tolist()
    [0, -1, 1]
    """
    if _kernel.HAVE_NUMBA:
        _kernel._load()
        return _kernel.slots_in(hashes, table).astype(np.int64)
    at = np.searchsorted(table, hashes)
    found = at < len(table)
    found[found] = table[at[found]] == hashes[found]
    return np.where(found, at, -1)


def _held(settings: Settings, signed: _Signed, rep_start: int, table: np.ndarray, m: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """``(slots, owners)``: each hash of *table* that a text of the partition holds (low bits cleared, once
    a text), and the text (numbered globally); read from the texts with the kernels, as locally
    (``held_slot_chunks``), or from the containment samples."""
    drop = ignored_bits(m)
    if signed.texts is not None and _kernel.HAVE_NUMBA:
        _kernel._load()
        chunks = _kernel.held_slot_chunks(signed.texts, settings.shingle_size, table, drop)
        per_text = _cat([chunk[1] for chunk in chunks], np.int64)
        return _cat([chunk[0] for chunk in chunks], np.int32), item_owners(per_text) + rep_start  # int32: the split sends them so
    samples = _text_samples(settings, signed, rep_start)
    slots = _in_table(_cat([s.hashes for s in samples], np.uint64) >> np.uint64(drop) << np.uint64(drop), table)
    owners = _cat([s.owner for s in samples], np.int64)
    found = slots >= 0
    # Once a text: two of its hashes may differ only in the cleared bits.
    owner, slot = decode_pairs(distinct(owners[found] * len(table) + slots[found]), len(table)).T
    return slot, owner


@_trimmed
def _held_count(settings: Settings, signed: _Signed, rep_start: int, table: np.ndarray, m: int) -> np.ndarray:
    """How many texts of the partition hold each hash of *table*, counted no further than past
    ``MAX_POSTING`` (``held_counts``); ``_usable_table`` adds them up."""
    if signed.texts is not None and _kernel.HAVE_NUMBA:
        _kernel._load()
        return _kernel.held_counts(signed.texts, settings.shingle_size, table, MAX_POSTING, ignored_bits(m))
    slots, _ = _held(settings, signed, rep_start, table, m)
    return np.bincount(slots, minlength=len(table)).astype(np.int32)


@_trimmed
def _usable_table(table: np.ndarray, *counts: np.ndarray) -> np.ndarray:
    """The hashes of *table* held by at most ``MAX_POSTING`` texts in all (*counts*: a partition's each).

    >>> _usable_table(np.array([4, 8], np.uint64), np.array([30, 1], np.int32), np.array([3, 0], np.int32)).tolist()
    [8]
    """
    total = np.zeros(len(table), np.int64)
    for partition in counts:  # added in place: a sum over the stacked counts would copy them all again
        total += partition
    return table[total <= MAX_POSTING]


def _query_slots(m: int, table: np.ndarray, asked: tuple[np.ndarray, ...]) -> np.ndarray:
    """Where each of the partition's queries (*asked*) sits in the asked *table*, its ignored low bits cleared
    (``ignored_bits``); -1 for a hash asked by too many texts to be there (never usable)."""
    drop = np.uint64(ignored_bits(m))
    return _in_table(asked[0] >> drop << drop, table)


@_trimmed
def _contain_split(settings: Settings, signed: _Signed, rep_start: int, reducers: int, m: int, table: np.ndarray,
                   at: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """The partition's postings ``(slot, owner)`` of the asked hashes (*table*) and the slots its queries
    ask (*at*: ``_query_slots``), by reducer (a range of slots): as locally, only the postings of hashes some
    text asks about (less the common ones) are made, and they travel as int32 pairs."""
    slots, owners = _held(settings, signed, rep_start, table, m)
    ask = distinct(at[at >= 0])
    width = max(1, len(table))
    by_slot = np.argsort(slots, kind="stable")
    slots, owners = slots[by_slot].astype(np.int32), owners[by_slot].astype(np.int32 if m < 2**31 else np.int64)
    cuts = [-(-width * r // reducers) for r in range(1, reducers)]  # reducer r: slot * reducers // width == r
    post, want = np.searchsorted(slots, cuts), np.searchsorted(ask, cuts)
    return list(zip(np.split(slots, post), np.split(owners, post), np.split(ask, want)))


@_trimmed
def _contain_reduce(*pieces: tuple[np.ndarray, ...]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each partition: the postings ``(slot, owner)`` of this range's slots that it asks, each list
    cut to ``MAX_POSTING + 1`` holders (a list that long is over the limit, whatever follows)."""
    slots = _cat([p[0] for p in pieces], np.int64)
    owners = _cat([p[1] for p in pieces], np.int64)
    order = np.argsort(slots, kind="stable")
    slots, owners = slots[order], owners[order]
    keep = ranks(run_bounds(slots)[1]) <= MAX_POSTING
    slots, owners = slots[keep], owners[keep]
    out = []
    for piece in pieces:
        lo, hi = np.searchsorted(slots, piece[2], "left"), np.searchsorted(slots, piece[2], "right")
        take = gather_ranges(lo, hi - lo)
        out.append((slots[take], owners[take]))
    return out


@_trimmed
def _contain_pairs(settings: Settings, rep_start: int, count: int, table: np.ndarray, asked: tuple[np.ndarray, ...],
                   at: np.ndarray, *answers: tuple[np.ndarray, np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``sample_search`` (``slot_search`` with the kernels) for the partition's queries against the postings they
    ask about, by slot of *table* (*at*: each query's, ``_query_slots``): the global answer's pairs in which a
    text of this partition asked (the local engine's, but where two hashes differ only in the ignored low
    bits, ``ignored_bits``), and how many usable queries each of its *count* texts asked."""
    slots = _cat([a[0] for a in answers], np.int64)
    owners = _cat([a[1] for a in answers], np.int64)
    # The texts are numbered here among those that ask or hold (sorted, so a pair keeps its order): the
    # search's arrays a text are then sized by the partition and its postings, not by the whole corpus.
    texts, number = np.unique(np.concatenate((asked[1], owners)), return_inverse=True)
    askers, holders = number[:len(asked[1])], number[len(asked[1]):]
    if _kernel.HAVE_NUMBA:  # the answers are slots already: no table to build, nothing to look up again
        _kernel._load()
        pairs, usable = slot_search(len(table), slots, holders, at.copy(), askers, len(texts),
                                    settings.contained_ratio, MAX_POSTING)
    else:
        known = at >= 0
        pairs, usable = sample_search([table[slots]], [holders], table[at[known]], askers[known], len(texts),
                                      settings.contained_ratio, MAX_POSTING)
    mine = (texts >= rep_start) & (texts < rep_start + count)
    usable_here = np.zeros(count, np.int64)
    usable_here[texts[mine] - rep_start] = usable[mine]
    return texts[pairs].reshape(-1, 2), usable_here


def _query_total(asked: tuple[np.ndarray, ...]) -> int:
    """How many queries a partition asks."""
    return len(asked[0])


def _contain_round(run: _Run, stage: str, signed: list[Any], rep_starts: np.ndarray, m: int, wide: int,
                   asked: list[Any], count_first: bool = False) -> list[Any]:
    """One round of the containment search on the cluster, the partitions' queries *asked*, as locally
    (``_contain._text_search``): one task makes the table of asked hashes, every partition its postings
    of them, shuffled by slot over *wide* tasks, then ``_contain_pairs`` a partition. *count_first*:
    the table is cut to the hashes held by at most ``MAX_POSTING`` texts before any posting is made."""
    submit, settings, P = run.submit, run.settings, len(asked)
    table = submit(f"{stage}-table", _asked_table, m, *[submit(f"{stage}-hashes", getitem, a, 0, key=(p,))
                                                        for p, a in enumerate(asked)])
    if count_first:
        table = submit(f"{stage}-usable", _usable_table, table,
                       *[submit(f"{stage}-count", _held_count, settings, signed[p], int(rep_starts[p]), table, m,
                                key=(p,)) for p in range(P)])
    at = [submit(f"{stage}-slots", _query_slots, m, table, asked[p], key=(p,)) for p in range(P)]
    split = [submit(f"{stage}-split", _contain_split, settings, signed[p], int(rep_starts[p]), wide, m, table, at[p],
                    key=(p,)) for p in range(P)]
    found = run.shuffle(stage, split, getitem, range(wide), _contain_reduce)
    return [submit(stage, _contain_pairs, settings, int(rep_starts[p]), int(rep_starts[p + 1] - rep_starts[p]),
                   table, asked[p], at[p],
                   *[submit(f"{stage}-answer", getitem, found[r], p, key=(p, r)) for r in range(wide)], key=(p,))
            for p in range(P)]


def _foreign(ids: np.ndarray, rep_starts: np.ndarray, p: int) -> list[np.ndarray]:
    """The distinct *ids* not in partition *p*, by owning partition."""
    ids = distinct(ids)
    owner = np.searchsorted(rep_starts, ids, "right") - 1
    return [ids[owner == q] if q != p else ids[:0] for q in range(len(rep_starts) - 1)]


@dataclass(frozen=True, slots=True)
class _Candidates:
    """A partition's candidate pairs (representative numbers), and the other sides of its LSH
    pairs, by owning partition, whose compact signatures it needs for the estimates."""

    lsh: np.ndarray
    contain: np.ndarray
    need: list[np.ndarray]


def _by_first(rep_starts: np.ndarray, *found: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """The partition's containment pairs ``(i, j)``, i < j (*found*: each round's pairs and usable queries),
    split by the partition of i, where the LSH pairs of i are: each pair is then judged once, in one
    partition (a pair whose two texts each found the other, or LSH found too, was judged in two: at zh
    100k in 20 partitions, 19% of the pairs judged and of the texts fetched for them)."""
    return _by_partition(_cat([f[0] for f in found], np.int64).reshape(-1, 2), rep_starts)


def _by_partition(rows: np.ndarray, starts: np.ndarray) -> list[np.ndarray]:
    """*rows* split by the partition (bounds *starts*) of their first column, each part in the rows' order.

    >>> [part.tolist() for part in _by_partition(np.array([[5, 0], [1, 1], [3, 2]]), np.array([0, 2, 4, 6]))]
    [[[1, 1]], [[3, 2]], [[5, 0]]]
    """
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    return np.split(rows, np.searchsorted(rows[:, 0], starts[1:-1]))


@_trimmed
def _candidates(rep_starts: np.ndarray, p: int, lsh: np.ndarray, contain: list[np.ndarray]) -> _Candidates:
    """Collect the partition's candidates (*contain*: the containment pairs whose first text is here, from
    every partition) and list what it must fetch for the estimates."""
    return _Candidates(lsh, _cat(contain, np.int64).reshape(-1, 2), _foreign(lsh.ravel(), rep_starts, p))


def _serve_compact(signed: _Signed, rep_start: int, requests: list[np.ndarray]) -> list[tuple[np.ndarray, ...]]:
    """Answer each partition's request: the compact signatures of those representatives."""
    return [(ids, signed.signed.compact[ids - rep_start]) for ids in requests]


def _rows(ids: np.ndarray, rep_start: int, count: int, fetched: list[tuple[Any, ...]]) -> tuple[np.ndarray, ...]:
    """Where each of the sorted *ids* is: local (row ``id - rep_start``) or at ``at`` in the
    concatenated *fetched* answers."""
    local = (ids >= rep_start) & (ids < rep_start + count)
    foreign = _cat([f[0] for f in fetched], np.int64)
    order = np.argsort(foreign, kind="stable")
    at = order[np.searchsorted(foreign, ids[~local], sorter=order)] if len(order) else order
    return local, at


@dataclass(frozen=True, slots=True)
class _Estimated:
    """The pairs of a partition that go to verification (or, without it, the answer), and the
    other sides whose normal forms it needs, by owning partition."""

    pairs: np.ndarray
    estimates: np.ndarray
    need: list[np.ndarray]


@_trimmed
def _estimate(settings: Settings, signed: _Signed, rep_start: int, rep_starts: np.ndarray, p: int,
              candidates: _Candidates, fetched: list[tuple[np.ndarray, np.ndarray]]) -> _Estimated:
    """MinHash estimates of the partition's LSH candidates; the hopeless ones are dropped, as ``bucket``
    does, and the rest join the containment candidates (without verification: the estimate decides)."""
    involved = distinct(candidates.lsh.ravel())
    local, at = _rows(involved, rep_start, len(signed.reps), fetched)
    compact = np.zeros((len(involved), settings.num_perm), np.uint8)
    compact[local] = signed.signed.compact[involved[local] - rep_start]
    if len(at):
        compact[~local] = np.concatenate([f[1] for f in fetched if len(f[0])])[at]
    estimates = estimate(compact, np.searchsorted(involved, candidates.lsh).reshape(-1, 2))
    kept = estimates >= estimate_floor(settings)
    if not settings.verify:
        return _Estimated(candidates.lsh[kept], estimates[kept], [])
    m = int(rep_starts[-1])
    pairs = unique_pairs(np.concatenate((candidates.lsh[kept], candidates.contain)), max(m, 1))
    return _Estimated(pairs, estimates[:0], _foreign(pairs.ravel(), rep_starts, p))


def _serve_texts(part: _Part, signed: _Signed, rep_start: int, requests: list[np.ndarray]) -> list[tuple[Any, ...]]:
    """Answer each partition's request: the normal forms of those representatives."""
    return [(ids, [part.norms[i] for i in signed.reps[ids - rep_start].tolist()]) for ids in requests]


@_trimmed
def _judge(settings: Settings, part: _Part, signed: _Signed, rep_start: int, estimated: _Estimated,
           fetched: list[tuple[np.ndarray, list[str]]]) -> tuple[np.ndarray, ...]:
    """``judge`` the partition's pairs, with the normal forms of their other sides fetched; pairs in
    representative numbers."""
    settings = _here(settings)
    involved = distinct(estimated.pairs.ravel())
    local, at = _rows(involved, rep_start, len(signed.reps), fetched)
    texts = [""] * len(involved)
    for k, i in zip(np.flatnonzero(local).tolist(), signed.reps[involved[local] - rep_start].tolist()):
        texts[k] = part.norms[i]
    foreign = [t for f in fetched for t in f[1]]
    for k, j in zip(np.flatnonzero(~local).tolist(), at.tolist()):
        texts[k] = foreign[j]
    found = judge(settings, np.searchsorted(involved, estimated.pairs).reshape(-1, 2), texts)
    return involved[found.index].reshape(-1, 2), found.similarity, found.containment, found.kind


def _unverified(estimated: _Estimated) -> tuple[np.ndarray, ...]:
    """Without verification, the estimated pairs are the answer: Jaccard estimates, no containment."""
    found = Verified.estimated(estimated.pairs, estimated.estimates)
    return found.index, found.similarity, found.containment, found.kind


def _cat(arrays: Sequence[np.ndarray], dtype: Any) -> np.ndarray:
    """``np.concatenate`` that accepts no arrays."""
    return np.concatenate(arrays).astype(dtype, copy=False) if len(arrays) else np.zeros(0, dtype)


def _pick(pieces: Any, start: int, stop: int) -> list[Any]:
    """The pieces for destinations ``start`` to ``stop`` (a list, or the requests of ``_Candidates``
    and ``_Estimated``)."""
    return (pieces.need if isinstance(pieces, (_Candidates, _Estimated)) else pieces)[start:stop]


def _relay(*picks: list[Any]) -> list[list[Any]]:
    """For each destination of this relay, the pieces of every source, in source order."""
    return [[pick[k] for pick in picks] for k in range(len(picks[0]))] if picks else []


# ---------------------------------------------------------------- components on the cluster
def _edge_split(pairs: np.ndarray, starts: np.ndarray) -> list[np.ndarray]:
    """Both directions of each edge, as ``(to, from)`` rows, split by the partition of ``to``."""
    return _by_partition(np.concatenate((pairs, pairs[:, ::-1])) if len(pairs) else pairs.reshape(0, 2), starts)


def _edge_join(pieces: list[np.ndarray]) -> np.ndarray:
    """The edges ending in one partition."""
    return np.concatenate(pieces) if pieces else np.zeros((0, 2), np.int64)


def _send_labels(labels: np.ndarray, start: int, edges: np.ndarray, starts: np.ndarray) -> list[np.ndarray]:
    """Offer each neighbour this partition's label of the edge's end here: ``(neighbour, label)``
    rows, split by the neighbour's partition."""
    return _by_partition(np.stack((edges[:, 1], labels[edges[:, 0] - start]), axis=1) if len(edges) else edges,
                         starts)


def _take_labels(labels: np.ndarray, start: int, offers: list[np.ndarray]) -> tuple[np.ndarray, int]:
    """Each passage's smallest label among its own and its neighbours' offers; and how many changed."""
    new = labels.copy()
    rows = np.concatenate(offers) if offers else np.zeros((0, 2), np.int64)
    if len(rows):
        np.minimum.at(new, rows[:, 0] - start, rows[:, 1])
    return new, int(np.count_nonzero(new != labels))


def _components_on_cluster(run: _Run, edges: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``components(n, edges)`` by min-label propagation over the partitions: each passage starts
    as its own label and takes the smallest label a neighbour offers, round after round, until no
    label changes (as many rounds as the largest distance from a component's smallest member, plus
    one). The edges are split once by partition; a round moves two labels an edge. The answer is
    the smallest position of each component, as ``components`` gives.
    """
    P = len(starts) - 1
    own = _by_partition(edges, starts)
    sent = [run.submit("edges-split", _edge_split, own[p], starts, key=(p,)) for p in range(P)]
    del own
    ends = [run.submit("edges", _edge_join, pieces, key=(q,)) for q, pieces in enumerate(run.exchange("edges", sent))]
    del sent
    labels = [run.submit("label-0", np.arange, int(starts[p]), int(starts[p + 1]), key=(p,)) for p in range(P)]
    for round_ in range(1, int(starts[-1]) + 2):
        offers = [run.submit(f"offer-{round_}", _send_labels, labels[p], int(starts[p]), ends[p], starts, key=(p,))
                  for p in range(P)]
        taken = [run.submit(f"take-{round_}", _take_labels, labels[q], int(starts[q]), pieces, key=(q,))
                 for q, pieces in enumerate(run.exchange(f"offers-{round_}", offers))]
        changed = sum(run.client.gather([run.submit(f"changed-{round_}", getitem, t, 1, key=(q,))
                                         for q, t in enumerate(taken)]))
        labels = [run.submit(f"label-{round_}", getitem, t, 0, key=(q,)) for q, t in enumerate(taken)]
        if changed == 0:
            break
    return _cat(run.client.gather(labels), np.int64)


# ---------------------------------------------------------------- the driver
class _Run:
    """One run's bookkeeping on the driver: the client, a unique key prefix, partition boundaries."""

    def __init__(self, client: Any, settings: Settings, reducers: int | None) -> None:
        self.client = client
        self.settings = settings
        self.token = uuid.uuid4().hex[:12]
        workers = len(client.scheduler_info().get("workers", {})) or 1
        self.reducers = max(1, reducers or workers)

    def submit(self, stage: str, function: Any, *args: Any, key: tuple[Any, ...] = ()) -> Any:
        # Keys name the stage (Dask's task stream groups by it) and are unique per run: no hashing of
        # large arguments, and a retried task is found by its key.
        with warnings.catch_warnings():
            # Documents given in memory to a remote cluster travel inside their load tasks, so that a
            # lost partition can be made again from its task; Dask warns about such large tasks.
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            return self.client.submit(function, *args, key=(f"dedup-{stage}-{self.token}", *key), pure=False)

    def shuffle(self, stage: str, split: list[Any], piece: Any, choices: Sequence[Any], reduce: Any,
                *args: Any) -> list[Any]:
        """Reducer r gets ``piece(s, choices[r])`` of every split s: one small task a piece, so that
        only that piece travels to the reducer, not the whole split."""
        return [self.submit(f"{stage}-reduce", reduce, *args,
                            *[self.submit(f"{stage}-piece", piece, s, choice, key=(p, r)) for p, s in enumerate(split)],
                            key=(r,))
                for r, choice in enumerate(choices)]

    def exchange(self, stage: str, sources: list[Any], relays: int | None = None) -> list[Any]:
        """All to all: destination d receives ``[source[d] for source in sources]`` (each source a
        list with one piece a destination), through *relays* relay tasks (default: one a reducer),
        so that the tasks number about ``2 * partitions * relays``, not ``partitions ** 2``. A relay
        holds what its destinations receive: more relays, less of it in one place."""
        P = len(sources)
        R = max(1, min(relays or self.reducers, P))
        cuts = [P * r // R for r in range(R + 1)]
        held = [self.submit(f"{stage}-relay", _relay,
                            *[self.submit(f"{stage}-pick", _pick, source, cuts[r], cuts[r + 1], key=(p, r))
                              for p, source in enumerate(sources)], key=(r,))
                for r in range(R)]
        return [self.submit(f"{stage}-get", getitem, held[r], d - cuts[r], key=(d,))
                for r in range(R) for d in range(cuts[r], cuts[r + 1])]


def find_duplicates_dask(corpus: Any, settings: Settings | None = None, *, client: Any = None,
                         partition_size: int = PARTITION_SIZE, include: str | Sequence[str] = TEXT_PATTERN,
                         encoding: str | None = None, text_field: str = "text", id_field: str | None = None,
                         glob: str | None = None, batch_size: int = 4096, progress: bool = False,
                         timings: dict[str, float] | None = None, memory_limit: str | float = "auto",
                         timeout: float = CONNECT_TIMEOUT, reducers: int | None = None,
                         driver_edges: int = DRIVER_EDGES, read_on_workers: bool | None = None,
                         **overrides: Any) -> Result:
    """``find_duplicates`` on a Dask cluster: the same ``Result``, array for array, for any partitioning.

    *client*: a ``distributed.Client``; a scheduler address (``"tcp://host:8786"``; an
    unreachable one raises ``SchedulerError`` after *timeout* seconds); or a number of
    workers for a local cluster started and closed here (default: one a core; single-threaded
    processes on loopback, the dashboard on a free loopback port, *memory_limit* each, beyond which workers spill to
    disk). *partition_size*: passages a partition (about; partitions hold whole documents).
    *reducers*: tasks a shuffle is spread over (default: one a worker). *driver_edges*: with
    ``clusters="components"``, above this many linking pairs components are found on the
    cluster. *read_on_workers*: whether a folder of text files, or a table or folder of table
    shards, is read and decoded on the workers (tasks of about ``READ_BYTES`` of files; the
    documents come back for the ``Result``; ids of rows without one are numbered across the
    shards, as locally), which needs the files at the same paths there; default: when the cluster
    is a local one, whose workers share this machine's files. Other corpora (a text file, data in
    memory) are read on the driver. The other arguments
    are those of ``find_duplicates``.

    >>> r = find_duplicates_dask([("a", "重复的一段话，足够长。"), ("b", "重复的一段话,足够长。")], client=1)  # doctest: +SKIP
    >>> [(p.a.doc, p.b.doc, p.kind) for p in r.pairs]  # doctest: +SKIP
    [('a', 'b', 'exact')]
    """
    from ._find import resolve_settings

    settings = resolve_settings(settings, overrides)
    _check_partition_size(partition_size)  # before any cluster starts, or anything is read
    if isinstance(client, str):
        _check_address(client)
    clock = Clock(timings)
    # A folder of text files or of tables is listed here (a missing folder fails before any cluster
    # starts) and read on the workers when they see this machine's files; anything else is read here,
    # as locally.
    listing = _listing(corpus, glob or include, encoding)
    scan = None if listing is not None else read_corpus(corpus, glob or include, progress, encoding=encoding,
                                                        text_field=text_field, id_field=id_field)
    with _connect(client, memory_limit, timeout) as (dask_client, local), _dedup_importable(), \
            tempfile.TemporaryDirectory(prefix="dedup-dask-") as spool:
        run = _Run(dask_client, settings, reducers)
        clock("connect")
        if listing is not None and (local if read_on_workers is None else read_on_workers):
            skipped = listing.skipped
            documents, errors, reads = _read_on_workers(run, listing, encoding, text_field, id_field)
            bounds = plan_partitions(documents, settings.unit, partition_size)
            sources = _read_slices(run, reads, bounds)
            del reads  # the load tasks hold them now: freed on the workers once loaded
        else:
            if scan is None:  # files the workers cannot see: read here, as the local engine reads them
                scan = read_corpus(corpus, glob or include, progress, encoding=encoding, text_field=text_field,
                                   id_field=id_field)
            documents, errors, skipped = scan.documents, scan.errors, scan.skipped
            bounds = plan_partitions(documents, settings.unit, partition_size)
            sources = _document_sources(documents, bounds, Path(spool) if local else None)
        clock("read")
        result = _pipeline(run, documents, errors, bounds, sources, batch_size, driver_edges, clock)
    return dataclasses.replace(result, skipped=skipped)


@contextmanager
def _dedup_importable() -> Iterator[None]:
    """``SchedulerError`` for Dask's error when the scheduler cannot unpickle the tasks (dedup's functions): dedup is
    not installed where the scheduler and workers run, or not the same version."""
    try:
        yield
    except RuntimeError as exc:
        if "different environments" not in str(exc):
            raise
        raise SchedulerError("the Dask scheduler could not read dedup's tasks: dedup must be importable where the "
                             "scheduler and the workers run, the same version as here (pip install 'dedup[dask]' "
                             f"there); Dask said: {str(exc).splitlines()[0]}") from None


def _listing(corpus: Any, include: Any, encoding: str | None) -> TableSet | _Folder | None:
    """What the workers can read: the table files of a table or folder of shards (``table_files``), or
    the files of a folder of text files (``list_folder``); None for any other corpus (a text file,
    data in memory). Only names are read here."""
    from ._tabular import check_table_encoding, table_files

    if not isinstance(corpus, (str, os.PathLike)):
        return None
    tables = table_files(corpus, include)
    if tables is not None:
        check_table_encoding(encoding)
        return tables
    if not Path(corpus).is_dir():
        return None
    return _Folder(*list_folder(corpus, include, encoding))


@dataclass(frozen=True, slots=True)
class _Folder:
    """``list_folder``'s answer: the files to read, the walk's error entries, the files left out."""

    files: list[FolderEntry]
    errors: list[ReadError]
    skipped: list[str]


@dataclass(frozen=True, slots=True)
class _Read:
    """What a read task found: documents, error entries, and each file's size and modification time
    as they were before it was read (to tell, when a lost worker's read is done again, whether the
    files changed meanwhile); for tables, the rows it read and how many of its documents are
    numbered (``_RowNumber``)."""

    documents: list[Document]
    errors: list[ReadError]
    stamps: list[tuple[int, int] | None]
    rows: int = 0
    numbered: int = 0


class _RowNumber(int):
    """The id of a table row without one, counted within its read task: ``_numbered`` adds the rows of
    the read tasks before it, so that ids are row numbers across the whole input, as read in one go."""


def _stamps(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[int, int] | None]:
    """Each file's size and modification time (None for one that cannot be reached)."""
    stamps: list[tuple[int, int] | None] = []
    for path in paths:
        try:
            info = os.stat(path)
            stamps.append((info.st_size, info.st_mtime_ns))
        except OSError:
            stamps.append(None)
    return stamps


def _read_files(entries: list[FolderEntry], encoding: str | None) -> _Read:
    """``read_entries`` on a worker, with the files' stamps."""
    stamps = _stamps(entry.path for entry in entries)
    return _Read(*read_entries(entries, encoding), stamps)


def _read_tables(files: list[tuple[str, Path, TableFormat]], text_field: str, id_field: str | None) -> _Read:
    """``read_path`` on a worker, rows without an id numbered from 0 as ``_RowNumber``."""
    from ._tabular import read_path

    stamps = _stamps(path for _, path, _ in files)
    counter = itertools.count()
    documents: list[Document] = []
    errors: list[ReadError] = []
    for item in read_path(files, text_field, id_field, numbers=map(_RowNumber, counter)):
        (errors if isinstance(item, ReadError) else documents).append(item)  # type: ignore[arg-type]
    # map draws from counter one row at a time, so its next value is the number of rows read.
    return _Read(documents, errors, stamps, next(counter), sum(type(d.key) is _RowNumber for d in documents))


def _numbered(read: _Read, first: int, stamps: list[tuple[int, int] | None]) -> _Read:
    """*read* with its row numbers counted from *first*, the rows of the reads before it, as plain ints;
    an error if the read was done again (a lost worker) on files changed since the driver counted
    its rows (*stamps*: theirs then), which would shift every number after them."""
    _check_stamps(read, stamps)
    documents = [d if type(d.key) is not _RowNumber else
                 dataclasses.replace(d, id=str(int(d.key) + first), key=int(d.key) + first)
                 for d in read.documents]
    return dataclasses.replace(read, documents=documents, numbered=0)


def _read_counts(read: _Read) -> tuple[int, int, list[tuple[int, int] | None]]:
    return read.rows, read.numbered, read.stamps


def _read_groups(paths: list[str]) -> list[list[int]]:
    """Positions of *paths* in runs of about ``READ_BYTES`` of files (at least one file a run)."""
    groups: list[list[int]] = [[]]
    filled = 0
    for position, path in enumerate(paths):
        if filled >= READ_BYTES:
            groups.append([])
            filled = 0
        groups[-1].append(position)
        with contextlib.suppress(OSError):  # its read task reports it
            filled += os.path.getsize(path)
    return groups


def _read_on_workers(run: _Run, listing: TableSet | _Folder, encoding: str | None, text_field: str,
                     id_field: str | None) -> tuple[list[Document], list[ReadError], list[tuple[Any, _Read]]]:
    """The listed files read and decoded by tasks of about ``READ_BYTES`` each (absolute paths: the
    workers' working folder may be another); the documents come back to the driver, which the
    ``Result`` needs. Returns them, the error entries as ``read_corpus`` orders them, and each read's
    future with what it gave. Ids of table rows without one are numbered across all reads, and must
    be unique across them, as when read in one go."""
    from ._tabular import warn_if_jsonl

    if isinstance(listing, _Folder):
        entries = [dataclasses.replace(e, path=os.path.abspath(e.path)) for e in listing.files]
        reads = [run.submit("read", _read_files, [entries[i] for i in group], encoding, key=(r,))
                 for r, group in enumerate(_read_groups([e.path for e in entries]))]
    else:
        files = [(name, Path(os.path.abspath(path)), fmt) for name, path, fmt in listing.files]
        reads = [run.submit("read", _read_tables, [files[i] for i in group], text_field, id_field, key=(r,))
                 for r, group in enumerate(_read_groups([str(path) for _, path, _ in files]))]
        counts = run.client.gather([run.submit("read-rows", _read_counts, read, key=(r,))
                                    for r, read in enumerate(reads)])
        firsts = run_offsets(np.array([rows for rows, _, _ in counts], np.int64)).tolist()
        reads = [run.submit("read-numbered", _numbered, read, firsts[r], stamps, key=(r,)) if numbered else read
                 for r, (read, (_, numbered, stamps)) in enumerate(zip(reads, counts))]
    gathered: list[_Read] = run.client.gather(reads)
    documents = [d for read in gathered for d in read.documents]
    read_errors = [e for read in gathered for e in read.errors]
    if isinstance(listing, _Folder):
        # As read_folder: the walk's entries, then the reads' in file order, sorted by path (stably).
        errors = sorted(listing.errors + read_errors, key=lambda e: e.path)
        warn_if_jsonl(documents)
    else:
        errors = listing.errors + read_errors  # as read_corpus: the walk's, then the rows' in order
        check_unique_ids(documents)
    return documents, errors, list(zip(reads, gathered))


def _read_slices(run: _Run, reads: list[tuple[Any, _Read]], bounds: list[int]) -> list[Any]:
    """Each partition's documents (``bounds``, from ``plan_partitions`` over all of them) as a task over
    the read results that hold them: the partitions are those of a corpus read on the driver."""
    ends = np.cumsum([len(read.documents) for _, read in reads]).tolist()
    firsts = [end - len(read.documents) for end, (_, read) in zip(ends, reads)]
    sources = []
    for p in range(len(bounds) - 1):
        lo, hi = bounds[p], bounds[p + 1]
        pieces = [(r, max(lo, first) - first, min(hi, end) - first) for r, (first, end) in enumerate(zip(firsts, ends))
                  if first < hi and end > lo]
        sources.append(run.submit("documents", _documents_of, [(a, b) for _, a, b in pieces],
                                  [reads[r][1].stamps for r, _, _ in pieces], *[reads[r][0] for r, _, _ in pieces],
                                  key=(p,)))
    return sources


def _documents_of(ranges: list[tuple[int, int]], stamps: list[list[tuple[int, int] | None]], *reads: _Read
                  ) -> list[Document]:
    """One partition's documents from the reads that hold them; an error if a read done again (a lost
    worker) found its files changed since the driver received them."""
    for read, expected in zip(reads, stamps):
        _check_stamps(read, expected)
    return [d for read, (a, b) in zip(reads, ranges) for d in read.documents[a:b]]


def _check_stamps(read: _Read, expected: list[tuple[int, int] | None]) -> None:
    """An error if *read* found its files with other sizes or times than *expected* (a read done again)."""
    if read.stamps != expected:
        raise InputError("input files changed while the run was reading them (a lost worker read them again); "
                         "run it again on files that stay as they are")


def _document_sources(documents: list[Document], bounds: list[int], spool: Path | None) -> list[Any]:
    """Each partition's documents, as its load task receives them."""
    sources: list[Any] = [documents[bounds[p]:bounds[p + 1]] for p in range(len(bounds) - 1)]
    if spool is not None:
        # Workers started here share this machine's files: each partition's documents go to a
        # file its load task reads (again, if a worker is lost), instead of travelling inside the
        # task through the scheduler (at 1M paragraphs, 8 s of the driver's CPU).
        for p, part in enumerate(sources):
            path = spool / f"{p}.pickle"
            with open(path, "wb") as f:
                pickle.dump(part, f, protocol=pickle.HIGHEST_PROTOCOL)
            sources[p] = str(path)
    return sources


def _pipeline(run: _Run, documents: list[Document], errors: list[Any], bounds: list[int], sources: list[Any],
              batch_size: int, driver_edges: int, clock: Clock) -> Result:
    settings, submit, P = run.settings, run.submit, len(bounds) - 1
    parts = [submit("load", _load, settings, sources[p], key=(p,)) for p in range(P)]
    sources.clear()  # handed over: the documents' futures are the load tasks' alone now
    layouts = run.client.gather([submit("layout", _layout, part, key=(p,)) for p, part in enumerate(parts)])
    doc_starts = np.array(bounds[:-1], np.int64)
    starts = run_offsets(np.array([len(lay[0]) for lay in layouts], np.int64))
    n = int(starts[-1])
    doc_pos = _cat([lay[0].astype(np.int64) + d for lay, d in zip(layouts, doc_starts.tolist())], np.int64)
    passages = Passages(documents, doc_pos.astype(np.int32), *(_cat([lay[k] for lay in layouts], layouts[0][k].dtype)
                                                               for k in range(1, 5)))
    lengths = _cat([lay[5] for lay in layouts], np.int64)
    del layouts
    clock("normalize")

    # Boilerplate: one task over the short lines of all partitions.
    skeletons = [submit("skeleton", _skeleton, settings, part, key=(p,)) for p, part in enumerate(parts)]
    flags_future = submit("boilerplate", _boilerplate, settings, doc_starts, *skeletons)
    del skeletons
    if settings.boilerplate == "ignore":
        flags = [submit("flags", _slice, flags_future, int(starts[p]), int(starts[p + 1]), key=(p,)) for p in range(P)]
    else:
        flags = [None] * P  # flags only change what is matched with boilerplate="ignore"

    # Exact groups: digests shuffled by value.
    R = run.reducers
    # The two largest exchanges (containment postings, 2.8 KB a passage at zh 1M; verification texts,
    # 2.3-2.6 KB) spread over a task a partition, up to WIDE_TASKS, so that none holds more than about a
    # partition's share: with one a worker, zh 1M with containment lost 4 GiB workers in both.
    wide = max(R, min(P, WIDE_TASKS))
    splits = [submit("exact-split", _exact_split, settings, parts[p], flags[p], R, key=(p,)) for p in range(P)]
    answers = run.shuffle("exact", splits, _exact_piece, range(R), _exact_reduce, starts[:-1])
    group_futures = [submit("exact-join", _exact_join, splits[p],
                            *[submit("exact-answer", getitem, answers[r], p, key=(p, r)) for r in range(R)], key=(p,))
                     for p in range(P)]
    group = _cat(run.client.gather(group_futures), np.int64)
    del splits, answers, group_futures, flags
    flagged = run.client.gather(flags_future)
    del flags_future
    clock("exact")

    reps = representatives(settings, group, lengths)
    rep_starts = np.searchsorted(reps, starts).astype(np.int64)
    m = len(reps)
    signed = [submit("sign", _sign, settings, parts[p], reps[rep_starts[p]:rep_starts[p + 1]] - starts[p],
                     batch_size, key=(p,)) for p in range(P)]

    # LSH candidates: band keys shuffled by band.
    band_sets = [b for b in (list(range(r, settings.bands, R)) for r in range(R)) if b]
    codes = run.shuffle("band", signed, _band_piece, band_sets, _band_reduce, settings, rep_starts)
    pieces = [[submit("band-codes", getitem, codes[r], p, key=(p, r)) for r in range(len(band_sets))]
              for p in range(P)]
    lsh = [submit("lsh", _lsh_pairs, m, *pieces[p], key=(p,)) for p in range(P)]
    del codes, pieces

    # Containment candidates: postings and queries shuffled by hash, in a second round for the texts with
    # no usable query when there are any (a wait for a few numbers on the driver).
    contain: list[list[Any]] = [[] for _ in range(P)]
    if settings.containment and settings.verify:
        asked = [submit("contain-queries", _queries, settings, signed[p], int(rep_starts[p]), key=(p,))
                 for p in range(P)]
        found = _contain_round(run, "contain", signed, rep_starts, m, wide, asked)
        more = [submit("contain-more", _second_queries, settings, signed[p], int(rep_starts[p]), asked[p], found[p],
                       key=(p,)) for p in range(P)]
        for p in range(P):
            contain[p].append(found[p])
        if sum(run.client.gather([submit("contain-more-total", _query_total, q, key=(p,))
                                  for p, q in enumerate(more)])):
            for p, again in enumerate(_contain_round(run, "contain-again", signed, rep_starts, m, wide, more,
                                                     count_first=True)):
                contain[p].append(again)
        del asked, found, more

    # Verification: fetch the other sides of each partition's pairs from their partitions.
    if settings.containment and settings.verify:
        routed = run.exchange("contain-route", [submit("contain-route-split", _by_first, rep_starts, *contain[p],
                                                       key=(p,)) for p in range(P)])
    else:
        routed = [[] for _ in range(P)]
    del contain
    candidates = [submit("candidates", _candidates, rep_starts, p, lsh[p], routed[p], key=(p,)) for p in range(P)]
    del lsh, routed
    # Compact signatures for the estimates, then normal forms for verification: most LSH
    # candidates are dropped by their estimate, so their texts never travel.
    compact = run.exchange("compact", [submit("serve-compact", _serve_compact, signed[q], int(rep_starts[q]), need,
                                              key=(q,)) for q, need in enumerate(run.exchange("need", candidates))])
    estimated = [submit("estimate", _estimate, settings, signed[p], int(rep_starts[p]), rep_starts, p,
                        candidates[p], compact[p], key=(p,)) for p in range(P)]
    del compact, candidates
    if settings.verify:
        texts = run.exchange("texts", [submit("serve-texts", _serve_texts, parts[q], signed[q], int(rep_starts[q]),
                                              need, key=(q,))
                                       for q, need in enumerate(run.exchange("need-texts", estimated))],
                             relays=wide)
        verified_futures = [submit("judge", _judge, settings, parts[p], signed[p], int(rep_starts[p]), estimated[p],
                                   texts[p], key=(p,)) for p in range(P)]
        del texts
    else:
        verified_futures = [submit("unverified", _unverified, e, key=(p,)) for p, e in enumerate(estimated)]
    del estimated
    verified_parts = run.client.gather(verified_futures)
    del verified_futures, signed, parts
    clock("verify")  # signing, buckets, containment and verification overlap on the cluster

    index = _cat([v[0] for v in verified_parts], np.int64).reshape(-1, 2)
    # A pair judged in two partitions is one: keep its first row, in order of pair.
    codes = index[:, 0] * max(m, 1) + index[:, 1]
    by_code = np.argsort(codes, kind="stable")
    first = by_code[first_of_runs(codes[by_code])]
    found_pairs = Verified(reps[index[first]].reshape(-1, 2), _cat([v[1] for v in verified_parts], np.float64)[first],
                           _cat([v[2].ravel() for v in verified_parts], np.float64).reshape(-1, 2)[first],
                           _cat([v[3] for v in verified_parts], np.int8)[first])
    del verified_parts
    def on_cluster(verified: Verified, rank: np.ndarray) -> np.ndarray | None:
        # The edges of cluster_labels' components: linking pairs, and each member of a group of equal
        # texts to the group's first (any edges joining a group give the same components).
        grouped = np.flatnonzero((group >= 0) & (group != np.arange(n)))
        linking = verified.kind != Kind.CONTAINED
        if settings.clusters != "components" or int(linking.sum()) + len(grouped) <= driver_edges:
            return None  # cluster_labels, on the driver
        edges = np.concatenate((verified.index[linking], np.stack((group[grouped], grouped), axis=1)))
        return _components_on_cluster(run, edges, starts)

    result = decide(settings, documents, passages, list(errors), lengths, flagged, group, found_pairs,
                    components=on_cluster)
    clock("cluster")
    return result

