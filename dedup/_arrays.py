"""Small array idioms shared by the stages, and the heap that large temporary arrays leave behind."""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["decode_pairs", "distinct", "first_of_runs", "gather_ranges", "in_top_bits", "item_owners",
           "prefix_shift", "ranks", "run_bounds", "run_offsets", "text_lengths", "top_bits_bitmap", "trim_heap", "weighted_ranges"]


def trim_heap() -> None:
    """Hand the heap that freed arrays leave back to the OS (glibc's ``malloc_trim``; nothing elsewhere).

    glibc keeps freed memory below its moving mmap threshold (up to 32 MB a block) for reuse, so a
    stage's temporaries stay in the process's RSS after it: at zh 1M, 90 MB under the containment
    search's second round, or unmanaged memory that a Dask worker cannot spill. A trim costs milliseconds.

    >>> trim_heap()
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _glibc() -> Any:
    """glibc, where it has ``malloc_trim``; None elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6") if sys.platform.startswith("linux") else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def run_offsets(counts: np.ndarray, dtype: type[np.integer] = np.int64) -> np.ndarray:
    """Where each run of *counts* items laid end to end starts, and the end: ``len(counts) + 1`` offsets.

    >>> run_offsets(np.array([2, 0, 3])).tolist()
    [0, 2, 2, 5]
    """
    out: np.ndarray = np.zeros(len(counts) + 1, dtype)
    np.cumsum(counts, out=out[1:])
    return out


def text_lengths(texts: Sequence[str]) -> np.ndarray:
    """The length of each text, as int64.

    >>> text_lengths(["ab", "", "中文字"]).tolist()
    [2, 0, 3]
    """
    return np.fromiter(map(len, texts), np.int64, len(texts))


def item_owners(counts: Any, dtype: Any = np.int64) -> np.ndarray:
    """For items laid end to end, *counts* of them per owner, the owner of each: 0 *counts[0]* times, then 1...

    >>> item_owners(np.array([2, 0, 3])).tolist()
    [0, 0, 2, 2, 2]
    """
    return np.repeat(np.arange(len(counts), dtype=dtype), counts)


def ranks(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ..., size-1 for each size, laid end to end.

    >>> ranks(np.array([2, 0, 3])).tolist()
    [0, 1, 0, 1, 2]
    """
    sizes = np.asarray(sizes, np.int64)
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def gather_ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions ``start, ..., start+size-1`` of each range, laid end to end.

    >>> gather_ranges(np.array([10, 0]), np.array([2, 3])).tolist()
    [10, 11, 0, 1, 2]
    """
    return np.repeat(np.asarray(starts, np.int64), sizes) + ranks(sizes)


def first_of_runs(values: np.ndarray) -> np.ndarray:
    """True where a sorted array starts a run of equal values.

    >>> first_of_runs(np.array([1, 1, 2, 5, 5])).tolist()
    [True, False, True, True, False]
    """
    out = np.ones(len(values), bool)
    out[1:] = values[1:] != values[:-1]
    return out


def run_bounds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values of the sorted array *values* starts, and its length.

    >>> [x.tolist() for x in run_bounds(np.array([1, 1, 2, 5, 5, 5]))]
    [[0, 2, 3], [2, 1, 3]]
    """
    starts = np.flatnonzero(first_of_runs(values))
    return starts, np.diff(np.append(starts, len(values)))


def decode_pairs(codes: np.ndarray, n: int) -> np.ndarray:
    """An ``(m, 2)`` array of pairs from codes ``i * n + j``.

    >>> decode_pairs(np.array([7, 2]), 5).tolist()
    [[1, 2], [0, 2]]
    """
    codes, n = np.asarray(codes).ravel(), int(n)  # a numpy n would send uint64 codes through float64
    pairs = np.empty((len(codes), 2), np.int64)  # written in place: no quotient, remainder and stacked copies
    np.floor_divide(codes, n, out=pairs[:, 0], casting="unsafe")
    np.remainder(codes, n, out=pairs[:, 1], casting="unsafe")
    return pairs


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique`` by one sort. (numpy 2.4's ``np.unique`` without
    ``return_counts`` hashes instead: 20 times slower on 5 million distinct int64.)

    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    values = np.sort(np.asarray(values).ravel())
    return values[first_of_runs(values)]


def weighted_ranges(weights: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive ranges ``(start, end)`` of items covering them all, of about *budget* weight each: a
    range ends with the item that brings the running total to a multiple of *budget* or past it (a
    heavy item ends the range it is in); none for no items. How work is cut into cache-sized chunks.

    >>> weighted_ranges(np.array([3, 3, 3, 10, 1]), 5)
    [(0, 2), (2, 4), (4, 5)]
    >>> weighted_ranges(np.zeros(0, np.int64), 5), weighted_ranges(np.array([0, 0]), 5)
    ([], [(0, 2)])
    """
    if budget < 1:
        raise ValueError(f"budget must be at least 1, not {budget!r}")
    ends = np.cumsum(np.asarray(weights, np.int64))
    if len(ends) == 0:
        return []
    closing = np.searchsorted(ends, np.arange(budget, int(ends[-1]) + budget, budget, dtype=np.int64), "left") + 1
    edges = np.concatenate(([0], closing, [len(ends)])).clip(0, len(ends))  # ascending already: no sort
    edges = edges[first_of_runs(edges)]
    return [(int(a), int(b)) for a, b in zip(edges[:-1].tolist(), edges[1:].tolist())]


def top_bits_bitmap(hashes: np.ndarray, bits: int) -> np.ndarray:
    """A bitmap of ``2**bits`` bits (uint8, little-endian bits) with the bit of each uint64 hash's top
    *bits* bits set: a set of hashes by prefix, with no false negatives.

    >>> top_bits_bitmap(np.array([0, 2**63, 2**63 + 5], np.uint64), 4).tolist()  # prefixes 0 and 8
    [1, 1]
    """
    if not 3 <= bits <= 40:
        raise ValueError(f"bits must lie in 3..40, not {bits!r}")
    slots = distinct(np.asarray(hashes, np.uint64) >> np.uint64(64 - bits))
    byte = slots >> np.uint64(3)
    masks = (np.uint8(1) << (slots & np.uint64(7)).astype(np.uint8)).astype(np.uint8)
    runs = np.flatnonzero(first_of_runs(byte))
    bitmap = np.zeros(1 << (bits - 3), np.uint8)
    if len(runs):
        bitmap[byte[runs]] = np.bitwise_or.reduceat(masks, runs)
    return bitmap


def in_top_bits(bitmap: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Whether each uint64 hash's top bits are set in *bitmap* (``top_bits_bitmap``).

    >>> in_top_bits(top_bits_bitmap(np.array([2**63], np.uint64), 4), np.array([2**63 + 9, 2**62], np.uint64)).tolist()
    [True, False]
    """
    slots = np.asarray(hashes, np.uint64) >> np.uint64(prefix_shift(bitmap))
    return ((bitmap[slots >> np.uint64(3)] >> (slots & np.uint64(7)).astype(np.uint8)) & 1).astype(bool)


def prefix_shift(bitmap: np.ndarray) -> int:
    """How far a uint64 hash is shifted right to give its slot in *bitmap* (``top_bits_bitmap``: a power
    of two of bits, at least 8).

    >>> prefix_shift(np.zeros(2, np.uint8))  # 16 bits: the top 4 bits of a hash
    60
    """
    bits = len(bitmap) * 8
    if bits < 8 or bits & (bits - 1):
        raise ValueError(f"a bitmap holds a power of two of bytes, not {len(bitmap)}")
    return 65 - bits.bit_length()
