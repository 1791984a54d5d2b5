"""Compiled per-passage kernels: shingle -> hash -> sign -> band keys in one pass, and exact
verification by merging sorted hash arrays.

The numpy stages (``Shingler``, ``sign``, ``band_keys``, ``overlap``) each make a pass over
arrays of every shingle of a batch; here one loop per passage does all of it while the
passage's shingles sit in the cache. The results are bit for bit those of the numpy stages
(the same hash family, bins, densification probes and band keys), and the numpy stages stay
the reference: without numba every function here runs them instead.

Kernels are compiled by numba on first use and cached on disk (``cache=True``), so only the
first run on a machine pays the compilation; a later process still pays about half a second
to import numba and load them (measured in ``benchmarks/ENGINE.md``), so inputs smaller than
``KERNEL_MIN_CHARS`` take the numpy stages unless the kernels are already loaded. Either way
the results are the same.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import NamedTuple, TypeVar, no_type_check

import numpy as np

from ._arrays import decode_pairs, distinct, prefix_shift, run_offsets, text_lengths, trim_heap, weighted_ranges
from ._hash import _M1, _M2, POLY
from ._shingle import GRAM_TAG, SHORT_TAG, ShingleBatch, Shingler

__all__ = [
    "HAVE_NUMBA",
    "KERNEL_MIN_CHARS",
    "SignedTexts",
    "band_candidates",
    "band_pair_codes",
    "each",
    "held_slot_chunks",
    "map_characters",
    "overlap_texts",
    "rare_values",
    "sampled_hashes",
    "sign_texts",
    "slots_in",
    "smallest_hashes",
]

# numba is optional: the numpy stages compute the same results, more slowly.
HAVE_NUMBA = importlib.util.find_spec("numba") is not None
# Below this many characters a call takes the numpy stages, unless the kernels are loaded already:
# importing numba and loading the kernels costs about 0.5 s, what the kernels save on a million.
KERNEL_MIN_CHARS = 1 << 20
_loaded: list[bool] = []
# Threads that run chunks side by side (the kernels hold no lock): one a core this process may use.
_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
T = TypeVar("T")

# Characters per compiled call: bounds the UTF-32 copy of the texts (8 MB) and the buffers of their hashes.
_CHUNK_CHARS = 1 << 21


class SignedTexts(NamedTuple):
    """What signing leaves for bucketing and estimating, one row a text.

    ``keys`` (m, bands) uint32: the low 32 bits of each band key. ``compact`` (m, num_perm)
    uint8: the low 8 bits of each bin. 268 bytes a text with 35 bands and 128 bins.
    """

    keys: np.ndarray
    compact: np.ndarray


def use_kernels(chars: int) -> bool:
    """Whether a call on *chars* characters should run the compiled kernels: numba is there and
    the kernels are loaded already or the input is large enough (``KERNEL_MIN_CHARS``) to pay for
    loading them, which this does (compiling them the first time on a machine).

    >>> use_kernels(0) in (True, False)
    True
    """
    if not HAVE_NUMBA:
        return False
    if not _loaded and chars >= KERNEL_MIN_CHARS:
        _load()
    return bool(_loaded)


def _load() -> None:
    """Compile the kernels (or load them from numba's cache) in place of their Python definitions."""
    if _loaded:
        return
    import numba

    jit = numba.njit(cache=True, nogil=True)
    names = ("_mix", "_longest", "_run_end", "_radix_pass", "_sort_in_place",
             "_text_hashes", "_sign_kernel", "_sort_hashes", "_sorted_sets", "_extra_kernel", "_merge_counts", "_sampled_kernel",
             "_map_lengths", "_map_write", "_band_codes", "_smallest_kernel", "_slot_of", "_text_held", "_held_kernel",
             "_held_count_kernel",
             "_slots_kernel", "_pack_rows", "_first_of_sparse_runs", "_values_in")
    space = globals()
    for name in names:  # callees first: a kernel compiles against the compiled functions it calls
        if not hasattr(space[name], "py_func"):
            space[name] = jit(space[name])
    for hook in _on_load:
        hook(jit)
    _loaded.append(True)


# Other modules' kernels, compiled when these are (``_contain`` registers its own).
_on_load: list[Callable[..., None]] = []


def register(compile_kernels: Callable[..., None]) -> None:
    """Have *compile_kernels* (given numba's ``njit`` decorator) called when the kernels load, or now if they have."""
    _on_load.append(compile_kernels)
    if _loaded:
        import numba

        compile_kernels(numba.njit(cache=True, nogil=True))


def _shingle_counts(lengths: np.ndarray, n: int) -> np.ndarray:
    """Shingles (repeats included) of texts of *lengths* tokens: n-grams, or one for a short non-empty text."""
    return np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))


def _codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of *texts* laid end to end (uint32) and each text's offsets into them."""
    lengths = text_lengths(texts)
    offsets = run_offsets(lengths)
    # surrogatepass: a lone surrogate (possible in text made in memory) is one code point, as len() counts it.
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    return codes, offsets


def _chunks(texts: Sequence[str]) -> list[tuple[int, int]]:
    """Consecutive ranges of texts of about ``_CHUNK_CHARS`` characters each (one empty range for no texts)."""
    return weighted_ranges(text_lengths(texts), _CHUNK_CHARS) or [(0, 0)]


def each(work: Callable[[tuple[int, int]], T], chunks: Sequence[tuple[int, int]]) -> list[T]:
    """``[work(c) for c in chunks]``, on a thread a core: the kernels release the GIL (``nogil``), so
    chunks run side by side; the results come back in chunk order, whatever finishes first."""
    if len(chunks) < 2 or _THREADS < 2:
        return [work(chunk) for chunk in chunks]
    with ThreadPoolExecutor(min(_THREADS, len(chunks))) as pool:
        return list(pool.map(work, chunks))


def sign_texts(texts: Sequence[str], shingle_size: int, num_perm: int, seed: int, bands: int, rows: int
               ) -> SignedTexts:
    """Band keys and compact signatures of texts' character n-grams.

    The keys equal ``band_keys(sign(Shingler("char", n)(texts), num_perm, seed), bands, rows)``
    as uint32 and ``compact`` equals the signatures as uint8. One compiled pass per text
    (numba), or the numpy stages when numba is missing. Give it the whole corpus at once: it
    works in chunks of a few MB itself, and whether the kernels pay for their loading is
    judged on the whole input.

    >>> s = sign_texts(["同一段文字出现了两次", "同一段文字出现了两次", "另外一段"], 5, 16, 1, 4, 2)
    >>> s.keys.shape, bool((s.keys[0] == s.keys[1]).all()), bool((s.keys[0] == s.keys[2]).all())
    ((3, 4), True, False)
    """
    from ._minhash import check_signing  # here: _minhash imports the containment search, which imports this

    check_signing(num_perm, seed)
    if shingle_size < 1:
        raise ValueError(f"shingle size must be a positive integer, not {shingle_size!r}")
    if bands * rows > num_perm:
        raise ValueError(f"bands * rows = {bands * rows} exceeds the signature length {num_perm}")
    if not use_kernels(sum(map(len, texts))):
        return _sign_numpy(texts, shingle_size, num_perm, seed, bands, rows)
    m = len(texts)
    keys = np.zeros((m, bands), np.uint32)
    compact = np.zeros((m, num_perm), np.uint8)
    consts = _constants(shingle_size, num_perm, seed)

    def work(chunk: tuple[int, int]) -> None:
        start, end = chunk
        codes, offsets = _codes(texts[start:end])
        _sign_kernel(codes, offsets, shingle_size, num_perm, *consts, bands, rows, keys[start:end], compact[start:end])

    each(work, _chunks(texts))
    return SignedTexts(keys, compact)


def _constants(n: int, num_perm: int, seed: int) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """The seeded constants of the hash family: the gram tag, the short-text tag base, the
    signing multiplier (odd, drawn from the seed) and the probe salt, as ``_shingle`` and ``_minhash``."""
    from ._minhash import _PROBE_SALT, _multiplier  # here: _minhash imports the containment search, which imports this

    return (np.uint64(n * GRAM_TAG % 2**64), np.uint64(SHORT_TAG), np.uint64(_multiplier(seed)),
            np.uint64(seed * _PROBE_SALT % 2**64))


def _sign_numpy(texts: Sequence[str], n: int, num_perm: int, seed: int, bands: int, rows: int) -> SignedTexts:
    """``sign_texts`` by the numpy stages: the reference, and the path without numba."""
    from ._lsh import band_keys
    from ._minhash import sign

    keys = np.zeros((len(texts), bands), np.uint32)
    compact = np.zeros((len(texts), num_perm), np.uint8)
    shingler = Shingler("char", n)
    for start, end in _chunks(texts):
        signatures = sign(shingler(texts[start:end]), num_perm, seed)
        keys[start:end] = band_keys(signatures, bands, rows).astype(np.uint32)
        compact[start:end] = signatures.astype(np.uint8)
    return SignedTexts(keys, compact)


class _TextSets(NamedTuple):
    """Texts' code points (``codes``, ``text_offsets``) and each one's distinct shingle hashes, sorted, at
    ``hashes[offsets[i]:][:sizes[i]]``."""

    codes: np.ndarray
    text_offsets: np.ndarray
    hashes: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray


def _text_sets(texts: Sequence[str], shingle_size: int) -> _TextSets:
    """Each of *texts* hashed into the sorted set of its distinct character n-grams (``_sorted_sets``)."""
    gram_tag, short_tag, _, _ = _constants(shingle_size, 2, 0)
    codes, text_offsets = _codes(texts)
    offsets = run_offsets(_shingle_counts(np.diff(text_offsets), shingle_size))
    hashes = np.zeros(int(offsets[-1]), np.uint64)
    sizes = np.zeros(len(texts), np.int64)
    widest = max(1, int(np.diff(offsets).max(initial=0)))
    _sorted_sets(codes, text_offsets, shingle_size, gram_tag, short_tag, offsets, hashes, sizes,
                 np.empty(widest, np.uint64), np.zeros((1 << widest.bit_length()) + 1, np.int64))
    return _TextSets(codes, text_offsets, hashes, offsets, sizes)


def overlap_texts(texts: Sequence[str], pairs: np.ndarray, shingle_size: int,
                  least: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct shingles of each side and shared shingles of each pair ``(i, j)`` of *texts*
    (character n-grams): ``(size_a, size_b, shared)``, int64 arrays, as ``_verify.overlap`` gives.

    Each text involved is hashed once into a sorted array of its distinct shingle hashes; a
    pair's shared shingles are counted by merging the two arrays. With *least* (the fewest shared
    shingles pairs of these set sizes need to be kept: ``_verify.needed_shared``), a pair that cannot
    reach it may stop its merge early: its ``shared`` is then a count below it, not the exact one
    (what verification needs, at a fraction of the merge).

    >>> [a.tolist() for a in overlap_texts(["abcd", "abce", "xy"], np.array([[0, 1], [0, 2]]), 2)]
    [[3, 3], [3, 1], [2, 0]]
    """
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    if shingle_size < 1:
        raise ValueError(f"shingle size must be a positive integer, not {shingle_size!r}")
    lengths = text_lengths(texts)
    if not use_kernels(int(lengths[distinct(pairs)].sum())):
        from ._verify import overlap

        found = _on_shingles(texts, pairs, shingle_size, overlap)
        return found.size_a, found.size_b, found.shared
    size_a = np.zeros(len(pairs), np.int64)
    size_b = np.zeros(len(pairs), np.int64)
    shared = np.zeros(len(pairs), np.int64)
    if len(pairs) == 0:
        return size_a, size_b, shared

    def work(chunk: tuple[int, int]) -> None:
        rows = slice(*chunk)
        involved, local = np.unique(pairs[rows], return_inverse=True)
        sets = _text_sets([texts[i] for i in involved], shingle_size)
        local = local.reshape(-1, 2)
        size_a[rows], size_b[rows] = sets.sizes[local[:, 0]], sets.sizes[local[:, 1]]
        shared[rows] = _merge_counts(sets.hashes, sets.offsets, sets.sizes, local,
                                     np.zeros(len(local), np.int64) if least is None else
                                     least(size_a[rows], size_b[rows]))

    each(work, _pair_chunks(lengths, pairs))
    return size_a, size_b, shared


def smallest_hashes(texts: Sequence[str], shingle_size: int, k: int | np.ndarray, skip: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Each text's *k* smallest distinct character n-gram hashes (*k*: one number for every text, or one
    a text), ascending, less its *skip* smallest (one number a text: what an earlier round asked), and
    how many it has (fewer when it has fewer shingles): ``(hashes, counts)``. Compiled kernels only.

    >>> _load()
    >>> hashes, counts = smallest_hashes(["abcd", "xy"], 3, 1)
    >>> counts.tolist(), len(hashes)
    ([1, 1], 2)
    >>> smallest_hashes(["abcd", "abcdefg"], 3, np.array([1, 3]))[1].tolist()
    [1, 3]
    >>> smallest_hashes(["abcd", "abcdefg"], 3, 3, skip=np.array([1, 1]))[1].tolist()
    [1, 2]
    """
    gram_tag, short_tag, _, _ = _constants(shingle_size, 2, 0)
    counts = np.zeros(len(texts), np.int64)
    wanted = np.broadcast_to(np.asarray(k, np.int64), (len(texts),))
    first = np.zeros(len(texts), np.int64) if skip is None else np.minimum(skip, wanted)
    row_starts = run_offsets(wanted - first)  # the skipped hashes are never stored: rows of k - skip
    if row_starts[-1] == 0:
        return np.zeros(0, np.uint64), counts
    flat = np.zeros(int(row_starts[-1]), np.uint64)  # each chunk fills its own rows: no copies to join

    def work(chunk: tuple[int, int]) -> None:
        start, end = chunk
        codes, offsets = _codes(texts[start:end])
        scratch = np.zeros(max(1, int(np.diff(offsets).max(initial=0))), np.uint64)
        row = np.zeros(max(1, int(wanted[start:end].max(initial=0))), np.uint64)
        _smallest_kernel(codes, offsets, shingle_size, gram_tag, short_tag, wanted[start:end], first[start:end],
                         row_starts[start:end + 1] - row_starts[start], scratch, row,
                         flat[row_starts[start]:row_starts[end]], counts[start:end])

    each(work, _chunks(texts))
    if (counts == wanted - first).all():
        return flat, counts
    # Texts with fewer shingles than their k: their rows packed to the front in place (a masked copy would
    # hold the rows twice, at the containment search's peak).
    return flat[:_pack_rows(flat, counts, row_starts)], counts


def sampled_hashes(texts: Sequence[str], shingle_size: int, bitmap: np.ndarray, shift: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each text's character n-gram hashes whose top bits are set in *bitmap* (``_arrays.top_bits_bitmap``),
    shifted right by *shift*, distinct and ascending, laid end to end, and how many each text has:
    ``(values, counts)``. A sample of the shingles that depends on the shingle only (the same in
    every text that holds it), at a fixed rate: the persistent index's. Compiled kernels only.

    >>> _load()
    >>> every = np.full(2, 255, np.uint8)  # a 16-bit bitmap of every prefix
    >>> values, counts = sampled_hashes(["abcd", "xy", ""], 3, every)
    >>> counts.tolist(), bool(values[0] < values[1])
    ([2, 1, 0], True)
    """
    gram_tag, short_tag, _, _ = _constants(shingle_size, 2, 0)
    counts = np.zeros(len(texts), np.int64)
    top_shift = np.uint64(prefix_shift(bitmap))

    def work(chunk: tuple[int, int]) -> np.ndarray:
        start, end = chunk
        codes, offsets = _codes(texts[start:end])
        scratch = np.zeros(max(1, int(np.diff(offsets).max(initial=0))), np.uint64)
        out = np.empty(max(1, len(codes)), np.uint64)  # a text has no more shingles than characters
        filled = _sampled_kernel(codes, offsets, shingle_size, gram_tag, short_tag, bitmap, top_shift,
                                 np.uint64(shift), scratch, out, counts[start:end])
        return out[:filled].copy()

    return np.concatenate(each(work, _chunks(texts))), counts


def held_slot_chunks(texts: Sequence[str], shingle_size: int, table: np.ndarray, drop: int = 0
                     ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where every text's distinct character n-gram hashes that are in *table* (sorted, distinct uint64
    hashes) sit in it: ``(slots, counts)`` (int32) a chunk of texts at a time, in text order: the slots
    text by text, ascending within each, and how many each text of the chunk has. A caller that
    consumes the chunks one by one never holds them twice (joined, they are the containment search's
    largest array). *drop*: low bits cleared from each hash before it is looked for (the Dask engine
    compares hashes without them). Compiled kernels only.

    >>> _load()
    >>> hashes, counts = smallest_hashes(["abcd"], 3, 1)
    >>> [[a.tolist() for a in chunk] for chunk in held_slot_chunks(["abcd", "zzabcd", "xy"], 3, hashes)]
    [[[0, 0], [1, 1, 0]]]
    """
    look_up = _LookUp.of(table, shingle_size, drop)

    def work(chunk: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        start, end = chunk
        codes, offsets = _codes(texts[start:end])
        return _held_kernel(codes, offsets, *look_up, *_held_buffers(offsets))

    return each(work, _chunks(texts))


def held_counts(texts: Sequence[str], shingle_size: int, table: np.ndarray, most: int | None = None, drop: int = 0
                ) -> np.ndarray:
    """How many of *texts* hold each hash of *table* (sorted, distinct uint64) among their character
    n-grams: int32 counts, made without laying out who holds what (``held_slot_chunks`` would, and a
    table of common hashes is held hundreds of times a hash). With *most*, a hash is no longer looked
    for once more than *most* texts are known to hold it (its count is then some number above *most*):
    the texts are read in ``_COUNT_BLOCKS`` blocks, in order, and such hashes dropped after each (the
    second containment round's count at zh 1M: 5.9 s in one block, 3.6 s in 8, 4.6 s in 16, where
    each block's look-up table costs more than it saves). *drop*: as for ``held_slot_chunks``. Compiled
    kernels only.

    >>> _load()
    >>> hashes, counts = smallest_hashes(["abcd"], 3, 2)
    >>> sorted(held_counts(["abcd", "zzabcd", "xy", "abcabc"], 3, hashes).tolist())  # abc thrice, bcd twice
    [2, 3]
    """
    chunks = _chunks(texts)
    total = np.zeros(len(table), np.int32)
    counted = np.arange(len(table))  # the slots still looked for
    for block in np.array_split(np.arange(len(chunks)), 1 if most is None else _COUNT_BLOCKS):
        if len(block) and len(counted):
            look_up = _LookUp.of(table[counted], shingle_size, drop)
            total[counted] += _count_held(texts, [chunks[b] for b in block], look_up)
            del look_up
            trim_heap()  # the threads' text buffers, which glibc's arenas would keep block after block
            if most is not None:
                counted = counted[total[counted] <= most]
    return total


# Blocks of texts between which held_counts drops the hashes already counted past its limit.
_COUNT_BLOCKS = 8


def _count_held(texts: Sequence[str], chunks: list[tuple[int, int]], look_up: _LookUp) -> np.ndarray:
    """How many texts of *chunks* hold each hash of the look-up's table: one count array a thread (a
    thread's chunks every lanes-th), added up at the end."""
    lanes = max(1, min(_THREADS, len(chunks)))

    def work(lane: tuple[int, int]) -> np.ndarray:
        counts = np.zeros(len(look_up.table), np.int32)
        for start, end in chunks[lane[0]::lane[1]]:
            codes, offsets = _codes(texts[start:end])
            _held_count_kernel(codes, offsets, *look_up, *_held_buffers(offsets), counts)
        return counts

    total = np.zeros(len(look_up.table), np.int32)
    for counts in each(work, [(lane, lanes) for lane in range(lanes)]):
        total += counts
    return total


class _LookUp(NamedTuple):
    """What the held kernels need to find a text's n-gram hashes in a table: the n-gram constants, the
    table, its buckets (``_buckets``) and a bitmap of its low bits."""

    n: int
    gram_tag: np.uint64
    short_tag: np.uint64
    table: np.ndarray
    starts: np.ndarray
    shift: np.uint64
    bitmap: np.ndarray
    mask: np.uint64
    drop: np.uint64

    @classmethod
    def of(cls, table: np.ndarray, shingle_size: int, drop: int = 0) -> _LookUp:
        gram_tag, short_tag, _, _ = _constants(shingle_size, 2, 0)
        starts, shift = _buckets(table)
        # A bitmap of the table's low bits (above the dropped ones, which are zero in the table), small enough
        # for the cache, turns most misses away before the table itself is read (with a tenth of its bits
        # set, nine hashes in ten).
        filter_bits = max(16, min(26, (len(table) * 10).bit_length()))
        bitmap = np.zeros(1 << (filter_bits - 6), np.uint64)
        low = ((table >> np.uint64(drop)) & np.uint64((1 << filter_bits) - 1)).astype(np.int64)
        np.bitwise_or.at(bitmap, low >> 6, np.left_shift(np.uint64(1), (low & 63).astype(np.uint64)))
        return cls(shingle_size, gram_tag, short_tag, table, starts, shift, bitmap, np.uint64((1 << filter_bits) - 1),
                   np.uint64(drop))


def _held_buffers(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scratch for the held kernels: room for the hashes of the chunk's longest text, and for its hits."""
    longest = max(1, int(np.diff(offsets).max(initial=0)))
    return np.zeros(longest, np.uint64), np.zeros(longest, np.int32)


def _buckets(table: np.ndarray) -> tuple[np.ndarray, np.uint64]:
    """Where each bucket of the top bits starts in the sorted *table*, and the shift to a value's bucket:
    with random hashes a look-up scans a few entries."""
    bits = max(1, min(24, len(table).bit_length()))
    shift = np.uint64(64 - bits)
    return np.searchsorted(table >> shift, np.arange((1 << bits) + 1, dtype=np.uint64)).astype(np.int64), shift


def slots_in(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The position of each of *values* (uint64) in the sorted, distinct *table* (random hashes, or
    hashes cut to their top bits), or -1 where it is not there: int32 while the table allows (half
    the memory of the containment search's largest array but one), else int64. Compiled kernels only.

    >>> _load()
    >>> slots_in(np.array([7, 5, 2**63], np.uint64), np.array([5, 2**63], np.uint64)).tolist()
    [-1, 0, 1]
    """
    starts, shift = _buckets(table)
    out = np.empty(len(values), np.int32 if len(table) < 2**31 else np.int64)
    _slots_kernel(np.ascontiguousarray(values, np.uint64), table, starts, shift, out)
    return out


@no_type_check  # typed by numba, not by mypy
def _slots_kernel(values, table, starts, shift, out):
    for k in range(len(values)):
        out[k] = _slot_of(table, starts, shift, values[k])


@no_type_check  # typed by numba, not by mypy
def _slot_of(table, starts, shift, value):
    """Where *value* sits in the sorted *table* (-1: not there), through its bucket (``_buckets``)."""
    b = value >> shift
    for j in range(starts[b], starts[b + 1]):
        if table[j] >= value:
            return j if table[j] == value else -1
    return -1


@no_type_check  # typed by numba, not by mypy
def _smallest_kernel(codes, offsets, n, gram_tag, short_tag, ks, first, row_starts, scratch, buffer, out, counts):
    """Each text's ``ks[i]`` smallest distinct hashes, ascending, less its ``first[i]`` smallest, into its row
    ``out[row_starts[i]:row_starts[i + 1]]`` (insertion into a sorted row of k in *buffer*, which most hashes
    fail to enter at its first comparison)."""
    for i in range(len(offsets) - 1):
        k = ks[i]
        if k - first[i] <= 0:
            continue
        row = buffer[:k]
        total = _text_hashes(codes, offsets[i], offsets[i + 1] - offsets[i], n, gram_tag, short_tag, scratch)
        filled = 0
        for p in range(total):
            h = scratch[p]
            if filled == k and h >= row[k - 1]:
                continue
            at = filled
            while at > 0 and row[at - 1] > h:
                at -= 1
            if at > 0 and row[at - 1] == h:
                continue  # a repeated shingle
            last = min(filled, k - 1)
            for q in range(last, at, -1):
                row[q] = row[q - 1]
            row[at] = h
            if filled < k:
                filled += 1
        kept = max(0, filled - first[i])
        out[row_starts[i]:row_starts[i] + kept] = row[first[i]:filled]
        counts[i] = kept


@no_type_check  # typed by numba, not by mypy
def _sampled_kernel(codes, offsets, n, gram_tag, short_tag, bitmap, top_shift, shift, scratch, out, counts):
    """Each text's hashes whose prefix (``h >> top_shift``) is set in *bitmap*, shifted, sorted and made
    distinct in place in ``out``; returns how many were written in all."""
    filled = 0
    for i in range(len(offsets) - 1):
        total = _text_hashes(codes, offsets[i], offsets[i + 1] - offsets[i], n, gram_tag, short_tag, scratch)
        first = filled
        for p in range(total):
            slot = scratch[p] >> top_shift
            if (bitmap[slot >> np.uint64(3)] >> (slot & np.uint64(7))) & 1:
                out[filled] = scratch[p] >> shift
                filled += 1
        out[first:filled].sort()
        counts[i] = _first_of_sparse_runs(out[first:filled], filled - first)
        filled = first + counts[i]
    return filled


@no_type_check  # typed by numba, not by mypy
def _text_held(codes, start, length, n, gram_tag, short_tag, table, starts, shift, bitmap, mask, drop, scratch, hits):
    """Where one text's distinct hashes (their low *drop* bits cleared) found in *table* sit in it: written
    ascending to the front of *hits* (as long as the text); returns how many."""
    total = _text_hashes(codes, start, length, n, gram_tag, short_tag, scratch)
    found = 0
    for p in range(total):
        h = scratch[p] >> drop
        low = h & mask
        if not (bitmap[low >> np.uint64(6)] >> (low & np.uint64(63))) & np.uint64(1):
            continue
        j = _slot_of(table, starts, shift, h << drop)
        if j >= 0:
            hits[found] = j
            found += 1
    part = hits[:found]  # sorted and repeats dropped (a handful)
    part.sort()
    return _first_of_sparse_runs(part, found)


@no_type_check  # typed by numba, not by mypy
def _held_kernel(codes, offsets, n, gram_tag, short_tag, table, starts, shift, bitmap, mask, drop, scratch, hits):
    """Where each text's distinct hashes found in *table* sit in it, ascending within a text, and how
    many each text has (int32: a table and a chunk of texts stay far below 2**31 entries; counts, not
    an owner an entry, since the slots are the containment search's peak)."""
    cap = 1024
    slots = np.empty(cap, np.int32)
    counts = np.zeros(len(offsets) - 1, np.int32)
    found = 0
    for i in range(len(offsets) - 1):
        k = _text_held(codes, offsets[i], offsets[i + 1] - offsets[i], n, gram_tag, short_tag, table, starts, shift,
                       bitmap, mask, drop, scratch, hits)
        if found + k > cap:
            cap = max(2 * cap, found + k)
            slots = np.concatenate((slots[:found], np.empty(cap - found, np.int32)))
        slots[found:found + k] = hits[:k]
        found += k
        counts[i] = k
    return slots[:found].copy(), counts


@no_type_check  # typed by numba, not by mypy
def _held_count_kernel(codes, offsets, n, gram_tag, short_tag, table, starts, shift, bitmap, mask, drop, scratch,
                       hits, counts):
    """Add one to *counts* at each slot of *table* a text of the chunk holds (once a text)."""
    for i in range(len(offsets) - 1):
        k = _text_held(codes, offsets[i], offsets[i + 1] - offsets[i], n, gram_tag, short_tag, table, starts, shift,
                       bitmap, mask, drop, scratch, hits)
        for q in range(k):
            counts[hits[q]] += 1


def _on_shingles(texts: Sequence[str], pairs: np.ndarray, n: int, stage: Callable[[ShingleBatch, np.ndarray], T]) -> T:
    """The numpy stage *stage* (``_verify.overlap``, ``longest_extra_run``) of *pairs*, on the character
    n-grams of only the texts they name: the kernels' fallback."""
    involved, local = np.unique(np.asarray(pairs, np.int64).reshape(-1, 2), return_inverse=True)
    return stage(Shingler("char", n)([texts[i] for i in involved]), local.reshape(-1, 2))


def _pair_chunks(lengths: np.ndarray, pairs: np.ndarray) -> list[tuple[int, int]]:
    """Ranges of pairs whose texts (of these *lengths*) hold about ``_CHUNK_CHARS`` characters together."""
    return weighted_ranges(lengths[pairs].sum(axis=1), _CHUNK_CHARS)


def band_candidates(keys: np.ndarray, max_bucket: int = 100) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, of rows that share a key in some band: ``_lsh.candidate_pairs``
    (the same pairs, sorted), with each band's keys grouped by a radix sort and the pairs of all
    bands deduplicated by another, compiled; ``candidate_pairs`` itself without the kernels.

    >>> band_candidates(np.array([[5, 1], [5, 2], [7, 2]], np.uint32)).tolist()
    [[0, 1], [1, 2]]
    """
    return decode_pairs(band_pair_codes(keys, max_bucket), len(keys))


def band_pair_codes(keys: np.ndarray, max_bucket: int = 100) -> np.ndarray:
    """``band_candidates`` as codes ``i * len(keys) + j`` (uint64, ascending): half the memory of the pairs.

    >>> band_pair_codes(np.array([[5, 1], [5, 2], [7, 2]], np.uint32)).tolist()
    [1, 5]
    """
    from ._lsh import candidate_codes

    keys = np.asarray(keys)
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be at least 2, not {max_bucket!r}")
    n = len(keys)
    # About 200 characters a passage: the kernels pay for their loading from about 5,000 passages.
    if keys.dtype != np.uint32 or not use_kernels(200 * n):
        return candidate_codes(keys, max_bucket).astype(np.uint64)
    # Read a band at a time from the rows as they are: a transposed copy would cost 4 bytes a band a row
    # at the bucket stage's peak, for the same strided pass over them.
    codes = _band_codes(np.ascontiguousarray(keys), max_bucket)
    _sort_in_place(codes, np.uint64(max(n, 1)) * np.uint64(max(n, 1)))
    return codes[:_first_of_sparse_runs(codes, len(codes))]  # each code once, moved to the front in place


def map_characters(texts: Sequence[str], table: np.ndarray, pieces: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each text with every character replaced by what *table* maps it to, and which texts need
    the text-by-text path instead (their entry is ``""``): the per-character step of
    ``Normalizer.batch``, in one compiled pass (numba is required).

    *table* and *pieces* are ``Normalizer._vector_tables()``: for each BMP character, packed,
    where its output starts in *pieces* (bits 6+), how long it is (bits 1-5) and whether it
    forces the text-by-text path (bit 0); a character beyond the BMP forces it too.

    >>> from dedup._normalize import Normalizer
    >>> map_characters(["Ａ，b c", "ﬁ…", "x\U00020000"], *Normalizer()._vector_tables())
    (['a,bc', 'fi...', ''], array([False, False,  True]))
    """
    if not use_kernels(KERNEL_MIN_CHARS):
        raise RuntimeError("map_characters needs numba; Normalizer.batch has the numpy path")
    mapped: list[str] = []
    slow = np.zeros(len(texts), np.bool_)
    for start, end in _chunks(texts):  # chunks of a few MB stay in the cache: three times faster than one pass
        codes, offsets = _codes(texts[start:end])
        out_offsets = np.zeros(end - start + 1, np.int64)
        _map_lengths(codes, offsets, table, out_offsets, slow[start:end])
        out = np.empty(int(out_offsets[-1]), np.uint32)
        _map_write(codes, offsets, table, pieces, out_offsets, slow[start:end], out)
        joined = out.tobytes().decode("utf-32-le", "surrogatepass")
        bounds = out_offsets.tolist()
        mapped += [joined[a:b] for a, b in pairwise(bounds)]
    return mapped, slow


# ---------------------------------------------------------------------------------------------------- kernels
# Written as plain Python over numpy scalars; ``_load`` has numba compile them (without numba they
# are never called). All arithmetic is on uint64 and wraps modulo 2**64, as numpy's does.

@no_type_check  # typed by numba, not by mypy
def _mix(x):
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


@no_type_check  # typed by numba, not by mypy
def _text_hashes(codes, start, length, n, gram_tag, short_tag, out):
    """The shingle hashes of one text, in text order, into ``out``; returns how many."""
    poly = np.uint64(POLY)
    if length == 0:
        return 0
    if length < n:
        acc = np.uint64(0)
        for k in range(length):
            acc = acc * poly + np.uint64(codes[start + k])
        acc += np.uint64(length) * short_tag
        out[0] = _mix(acc + gram_tag)
        return 1
    # A rolling polynomial: drop the leading token's term, shift, add the next (exact mod 2**64).
    lead = np.uint64(1)
    for _ in range(n - 1):
        lead *= poly
    acc = np.uint64(0)
    for k in range(n):
        acc = acc * poly + np.uint64(codes[start + k])
    out[0] = _mix(acc + gram_tag)
    for p in range(1, length - n + 1):
        acc = (acc - np.uint64(codes[start + p - 1]) * lead) * poly + np.uint64(codes[start + p + n - 1])
        out[p] = _mix(acc + gram_tag)
    return length - n + 1


@no_type_check  # typed by numba, not by mypy
def _sign_kernel(codes, offsets, n, num_perm, gram_tag, short_tag, multiplier, probe_xor, bands, rows, keys, compact):
    m = len(offsets) - 1
    longest = max(1, _longest(offsets))
    hashes = np.zeros(longest, np.uint64)
    signature = np.zeros(num_perm, np.uint32)
    filled = np.zeros(num_perm, np.bool_)
    perm = np.uint64(num_perm)
    low32 = np.uint64(0xFFFFFFFF)
    for i in range(m):
        count = _text_hashes(codes, offsets[i], offsets[i + 1] - offsets[i], n, gram_tag, short_tag, hashes)
        signature[:] = np.uint32(0xFFFFFFFF)
        filled[:] = False
        for p in range(count):
            h = hashes[p] * multiplier
            b = np.int64(((h >> np.uint64(32)) * perm) >> np.uint64(32))
            filled[b] = True
            signature[b] = min(signature[b], np.uint32(h & low32))
        if count > 0:
            # Optimal densification: an empty bin takes the value of the first filled bin its probe sequence reaches.
            for b in range(num_perm):
                if filled[b]:
                    continue
                attempt = 0
                while True:
                    attempt += 1
                    key = (np.uint64(b) << np.uint64(32)) + np.uint64(attempt)
                    mixed = _mix(key ^ probe_xor)
                    source = np.int64(((mixed >> np.uint64(32)) * perm) >> np.uint64(32))
                    if filled[source]:
                        signature[b] = signature[source]
                        break
        for band in range(bands):
            acc = np.uint64(band + 1)
            for r in range(rows):
                acc = acc * np.uint64(POLY) + np.uint64(signature[band * rows + r])
            keys[i, band] = np.uint32(_mix(acc) & low32)
        for b in range(num_perm):
            compact[i, b] = np.uint8(signature[b] & np.uint32(0xFF))


@no_type_check  # typed by numba, not by mypy
def _sorted_sets(codes, offsets, n, gram_tag, short_tag, set_offsets, hashes, set_sizes, scratch, count):
    """Each text's distinct shingle hashes, ascending, at ``hashes[set_offsets[i]:][:set_sizes[i]]``
    (*scratch* and *count*: ``_sort_hashes``'s, for the longest text)."""
    for i in range(len(offsets) - 1):
        start = set_offsets[i]
        total = _text_hashes(codes, offsets[i], offsets[i + 1] - offsets[i], n, gram_tag, short_tag,
                             hashes[start:set_offsets[i + 1]])
        part = hashes[start:start + total]
        _sort_hashes(part, scratch, count)
        set_sizes[i] = _first_of_sparse_runs(part, total)


@no_type_check  # typed by numba, not by mypy
def _sort_hashes(part, scratch, count):
    """Sort *part* (uniform 64-bit hashes) in place: a counting pass on their top bits (as many buckets as
    values, about one value a bucket) into *scratch*, then each bucket sorted, by insertion when small
    (almost nothing to move), else by quicksort (a crafted text whose hashes crowd one bucket stays
    n log n), and copied back. 3.6 times numba's quicksort of the whole on zh 1M's verification (a
    text's 233 shingles on average), where the sort was three quarters of the time. *scratch* holds
    ``len(part)`` values, *count* ``2 ** bits + 1`` for the least ``bits`` with ``2 ** bits >= len(part)``."""
    n = len(part)
    if n < 16:
        part.sort()
        return
    bits = 1
    while (1 << bits) < n:
        bits += 1
    shift = np.uint64(64 - bits)
    buckets = 1 << bits
    count[:buckets + 1] = 0
    for v in part:
        count[np.int64(v >> shift) + 1] += 1
    for d in range(buckets):
        count[d + 1] += count[d]
    for v in part:
        d = np.int64(v >> shift)
        scratch[count[d]] = v
        count[d] += 1
    start = 0  # count[d] is now where bucket d ends
    for d in range(buckets):
        end = count[d]
        if end - start > 32:
            scratch[start:end].sort()
        else:
            for i in range(start + 1, end):
                v = scratch[i]
                j = i
                while j > start and scratch[j - 1] > v:
                    scratch[j] = scratch[j - 1]
                    j -= 1
                scratch[j] = v
        start = end
    part[:] = scratch[:n]


def extra_runs(texts: Sequence[str], pairs: np.ndarray, shingle_size: int, pad: int = 0) -> np.ndarray:
    """``_verify.longest_extra_run`` for character n-grams of *texts*, compiled: for each pair ``(i, j)``,
    the longest run of consecutive shingles of text i not among text j's, a run touching either end of
    i counting *pad* more for each. Each text involved is hashed into a sorted set once a chunk of
    pairs; i's shingles are looked up in j's by binary search. Shingles compare by their whole hash
    (the numpy path by its top bits: they differ only where two shingles' hashes collide there).
    The numpy stages (``longest_extra_run``) where numba is missing or the input is small.

    >>> extra_runs(["abXYZc", "abc"], np.array([[0, 1], [1, 0]]), 1).tolist()
    [3, 0]
    >>> extra_runs(["XYZabc", "abc"], np.array([[0, 1]]), 2, pad=1).tolist()
    [4]
    """
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    out = np.zeros(len(pairs), np.int64)
    if len(pairs) == 0:
        return out
    lengths = text_lengths(texts)
    if not use_kernels(int(lengths[distinct(pairs)].sum())):
        from ._verify import longest_extra_run

        return _on_shingles(texts, pairs, shingle_size, lambda batch, local: longest_extra_run(batch, local, pad))
    gram_tag, short_tag, _, _ = _constants(shingle_size, 2, 0)

    def work(chunk: tuple[int, int]) -> None:
        rows = slice(*chunk)
        involved, local = np.unique(pairs[rows], return_inverse=True)
        sets = _text_sets([texts[i] for i in involved], shingle_size)
        out[rows] = _extra_kernel(sets.codes, sets.text_offsets, shingle_size, gram_tag, short_tag, sets.hashes,
                                  sets.offsets, sets.sizes, local.reshape(-1, 2), pad,
                                  np.empty(max(1, int(np.diff(sets.offsets).max())), np.uint64))

    each(work, _pair_chunks(lengths, pairs))
    return out


@no_type_check  # typed by numba, not by mypy
def _extra_kernel(codes, offsets, n, gram_tag, short_tag, hashes, set_offsets, set_sizes, pairs, pad, scratch):
    """``extra_runs`` of each pair ``(a, b)`` of texts given by *codes* and *offsets*, b's distinct
    hashes sorted in ``hashes[set_offsets[b]:][:set_sizes[b]]``."""
    out = np.zeros(len(pairs), np.int64)
    for k in range(len(pairs)):
        a, b = pairs[k, 0], pairs[k, 1]
        total = _text_hashes(codes, offsets[a], offsets[a + 1] - offsets[a], n, gram_tag, short_tag, scratch)
        table = hashes[set_offsets[b]:set_offsets[b] + set_sizes[b]]
        best = 0
        run = 0
        for p in range(total):
            if len(table) and table[min(np.searchsorted(table, scratch[p]), len(table) - 1)] == scratch[p]:
                if run:
                    best = max(best, run + (pad if run == p else 0))
                run = 0
            else:
                run += 1
        if run:
            best = max(best, run + pad + (pad if run == total else 0))
        out[k] = best
    return out


@no_type_check  # typed by numba, not by mypy
def _merge_counts(hashes, set_offsets, set_sizes, pairs, least):
    """Shared values of each pair's two sorted distinct arrays, by one merge, which stops once the
    values left could not bring the count to ``least[k]`` (the count so far is then returned)."""
    out = np.zeros(len(pairs), np.int64)
    for k in range(len(pairs)):
        a, b = pairs[k, 0], pairs[k, 1]
        i, i_end = set_offsets[a], set_offsets[a] + set_sizes[a]
        j, j_end = set_offsets[b], set_offsets[b] + set_sizes[b]
        shared = 0
        while i < i_end and j < j_end:
            if shared + min(i_end - i, j_end - j) < least[k]:
                break
            x, y = hashes[i], hashes[j]
            if x == y:
                shared += 1
                i += 1
                j += 1
            elif x < y:
                i += 1
            else:
                j += 1
        out[k] = shared
    return out


@no_type_check  # typed by numba, not by mypy
def _band_codes(table, max_bucket):
    """Pair codes ``i * n + j`` of every band (*table*: a row of band keys a passage), duplicates kept:
    every pair of a bucket of at most *max_bucket* rows, else its rows paired with its first."""
    n, bands = table.shape
    out = np.empty(max(1024, 4 * n), np.uint64)
    found = 0
    rows = np.empty(n, np.int64)
    spare_rows = np.empty(n, np.int64)
    keys = np.empty(n, np.uint32)
    spare_keys = np.empty(n, np.uint32)
    count = np.zeros(2049, np.int64)
    un = np.uint64(n)
    for band in range(bands):
        for i in range(n):
            rows[i] = i
            keys[i] = table[i, band]
        for digit in range(3):  # stable: rows stay ascending among equal keys
            _radix_pass(keys, rows, np.uint64(11 * digit), spare_keys, spare_rows, count)
            rows, spare_rows = spare_rows, rows
            keys, spare_keys = spare_keys, keys
        p = 0
        while p < n:
            q = _run_end(keys, p, n)
            size = q - p
            if size > 1:
                more = size * (size - 1) // 2 if size <= max_bucket else size - 1
                if found + more > len(out):
                    grown = np.empty(max(2 * len(out), found + more), np.uint64)
                    grown[:found] = out[:found]
                    out = grown
                if size <= max_bucket:
                    for a in range(p, q):
                        for b in range(a + 1, q):
                            out[found] = np.uint64(rows[a]) * un + np.uint64(rows[b])
                            found += 1
                else:  # a star around the bucket's first (smallest) row: linear, not quadratic
                    for b in range(p + 1, q):
                        out[found] = np.uint64(rows[p]) * un + np.uint64(rows[b])
                        found += 1
            p = q
    return out[:found]


@no_type_check  # typed by numba, not by mypy
def _sort_in_place(values, bound):
    """Sort *values* (uint64, all below *bound*) in place: an in-place counting pass on the top 12 bits
    (American flag sort: each value swapped along its cycle into its bucket), then each bucket by
    11-bit digits from the lowest with a scratch the size of the largest bucket. An LSD radix sort of
    the whole array is a little faster (0.12 s against 0.15 for zh 1M's 5.4 million band codes) but
    needs a second array as large (41 MB at the bucket stage's peak); numba's sort of each bucket
    instead of the radix passes takes 0.27 s."""
    top = 0
    while top < 64 and (bound - np.uint64(1)) >> np.uint64(top) > np.uint64(0):
        top += 1
    digit_bits = min(top, 12)
    shift = np.uint64(top - digit_bits)
    buckets = 1 << digit_bits
    ends = np.zeros(buckets + 1, np.int64)
    for v in values:
        ends[np.int64(v >> shift) + 1] += 1
    for d in range(buckets):
        ends[d + 1] += ends[d]
    fill = ends[:-1].copy()
    for d in range(buckets):
        while fill[d] < ends[d + 1]:
            v = values[fill[d]]
            b = np.int64(v >> shift)
            while b != d:  # put v where its bucket fills next and carry on with the value that was there
                values[fill[b]], v = v, values[fill[b]]
                fill[b] += 1
                b = np.int64(v >> shift)
            values[fill[d]] = v
            fill[d] += 1
    widest = 0
    for d in range(buckets):
        widest = max(widest, ends[d + 1] - ends[d])
    spare = np.empty(widest, np.uint64)
    count = np.zeros(2049, np.int64)
    for d in range(buckets):
        part = values[ends[d]:ends[d + 1]]
        if len(part) < 512:  # a radix pass costs 4,096 steps of counters whatever the bucket's size
            part.sort()
            continue
        source, target = part, spare[:len(part)]
        low, passes = np.uint64(0), 0
        while low < shift:
            count[:] = 0
            for v in source:
                count[np.int64((v >> low) & np.uint64(2047)) + 1] += 1
            for k in range(2048):
                count[k + 1] += count[k]
            for v in source:
                k = np.int64((v >> low) & np.uint64(2047))
                target[count[k]] = v
                count[k] += 1
            source, target = target, source
            low += np.uint64(11)
            passes += 1
        if passes % 2:
            part[:] = source


@no_type_check  # typed by numba, not by mypy
def _pack_rows(flat, counts, row_starts):
    """Move the first ``counts[i]`` values of each row (``flat[row_starts[i]:row_starts[i + 1]]``) to the
    front, in order, in place; the number moved."""
    filled = 0
    for i in range(len(counts)):
        for j in range(counts[i]):
            flat[filled] = flat[row_starts[i] + j]
            filled += 1
    return filled


@no_type_check  # typed by numba, not by mypy
def _first_of_sparse_runs(values, most):
    """Move the values of the sorted *values* that occur at most *most* times, once each, to the front
    in place; how many there are."""
    kept = 0
    p = 0
    while p < len(values):
        q = p + 1
        while q < len(values) and values[q] == values[p]:
            q += 1
        if q - p <= most:
            values[kept] = values[p]
            kept += 1
        p = q
    return kept


def rare_values(values: np.ndarray, most: int, parts: int = 4) -> np.ndarray:
    """The distinct values of *values* that occur at most *most* times, sorted. Made a range of values
    at a time (*parts* ranges of about equal counts, cut at a sample's quantiles), each a sorted copy
    packed in place: no more than about one range of *values* is held beside it (the whole would double
    the containment search's queries at its peak: 100 MB at zh 1M). Compiled kernels only.

    >>> _load()
    >>> rare_values(np.array([5, 1, 5, 5, 2, 1], np.uint64), 2).tolist()
    [1, 2]
    """
    cuts = np.unique(np.sort(values[::max(1, len(values) // (64 * parts))])[::64][1:])  # ~parts - 1 cuts
    bounds = [np.uint64(0), *cuts.tolist(), None]
    found = []
    for low, high in pairwise(bounds):
        ordered = _values_in(values, np.uint64(low), np.uint64(0 if high is None else high), high is None)
        ordered.sort()
        found.append(ordered[:_first_of_sparse_runs(ordered, most)].copy())  # a copy: the range's buffer goes
        del ordered
    return np.concatenate(found)


@no_type_check  # typed by numba, not by mypy
def _values_in(values, low, high, to_the_end):
    """The values from *low* up to *high* (excluded; or to the end of the range), in order."""
    count = 0
    for v in values:
        if v >= low and (to_the_end or v < high):
            count += 1
    out = np.empty(count, np.uint64)
    k = 0
    for v in values:
        if v >= low and (to_the_end or v < high):
            out[k] = v
            k += 1
    return out


@no_type_check  # typed by numba, not by mypy
def _radix_pass(keys, items, shift, out_keys, out_items, count):
    """One stable counting-sort pass of *keys* (with *items* moving along) by their 11-bit digit at
    *shift* (uint64) into *out_keys* and *out_items*; *count* is scratch of 2049 counters."""
    count[:] = 0
    for i in range(len(keys)):
        count[np.int64((np.uint64(keys[i]) >> shift) & np.uint64(2047)) + 1] += 1
    for d in range(2048):
        count[d + 1] += count[d]
    for i in range(len(keys)):
        d = np.int64((np.uint64(keys[i]) >> shift) & np.uint64(2047))
        out_keys[count[d]] = keys[i]
        out_items[count[d]] = items[i]
        count[d] += 1


@no_type_check  # typed by numba, not by mypy
def _run_end(values, p, end):
    """The end of the run of values equal to ``values[p]`` that starts at *p* (at most *end*)."""
    q = p + 1
    while q < end and values[q] == values[p]:
        q += 1
    return q


@no_type_check  # typed by numba, not by mypy
def _longest(offsets):
    """The longest of the ranges ``offsets[i]:offsets[i + 1]`` (0 for none)."""
    longest = 0
    for i in range(len(offsets) - 1):
        longest = max(longest, offsets[i + 1] - offsets[i])
    return longest


_BMP = 0x10000


@no_type_check  # typed by numba, not by mypy
def _map_lengths(codes, offsets, table, out_offsets, slow):
    """Output length of each text (0 for one that needs the text-by-text path), as running offsets."""
    for i in range(len(offsets) - 1):
        length = 0
        for p in range(offsets[i], offsets[i + 1]):
            c = codes[p]
            info = table[c] if c < _BMP else 1
            if info & 1:
                slow[i] = True
                length = 0
                break
            length += (info >> 1) & 31
        out_offsets[i + 1] = out_offsets[i] + length


@no_type_check  # typed by numba, not by mypy
def _map_write(codes, offsets, table, pieces, out_offsets, slow, out):
    for i in range(len(offsets) - 1):
        if slow[i]:
            continue
        w = out_offsets[i]
        for p in range(offsets[i], offsets[i + 1]):
            info = table[codes[p]]
            first = info >> 6
            for k in range((info >> 1) & 31):
                out[w] = pieces[first + k]
                w += 1
