"""Exact similarity of candidate pairs from their shingle sets, vectorised over all pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import first_of_runs, gather_ranges
from ._shingle import ShingleBatch

__all__ = ["Overlap", "SetIndex", "longest_extra_run", "overlap"]

# Pairs are processed in chunks of about this many shingle look-ups, to bound memory.
_CHUNK = 1 << 22


@dataclass(frozen=True, slots=True)
class Overlap:
    """Set sizes and intersection of each pair's shingle sets, and the similarities they give."""

    size_a: np.ndarray
    size_b: np.ndarray
    shared: np.ndarray

    @property
    def jaccard(self) -> np.ndarray:
        union = self.size_a + self.size_b - self.shared
        return np.divide(self.shared, union, out=np.zeros(len(union)), where=union > 0)

    @property
    def containment_ab(self) -> np.ndarray:
        """Share of a's shingles found in b."""
        return np.divide(self.shared, self.size_a, out=np.zeros(len(self.shared)), where=self.size_a > 0)

    @property
    def containment_ba(self) -> np.ndarray:
        """Share of b's shingles found in a."""
        return np.divide(self.shared, self.size_b, out=np.zeros(len(self.shared)), where=self.size_b > 0)


class SetIndex:
    """All texts' distinct shingles in one sorted array of ``(text << hash_bits) | hash`` keys.

    A shingle of text i is looked up in text j by replacing i with j in its key.
    The hash keeps its top ``64 - text_bits`` bits (at least 40 for 16 million texts),
    so two different shingles of one pair coincide with odds below one in 10**8.
    """

    def __init__(self, batch: ShingleBatch) -> None:
        n = len(batch)
        text_bits = max(1, (n - 1).bit_length())
        if text_bits > 24:
            raise ValueError(f"at most 2**24 texts per verification batch, not {n}")
        self.hash_bits = np.uint64(64 - text_bits)
        self.low = np.uint64((1 << (64 - text_bits)) - 1)
        owner = np.repeat(np.arange(n, dtype=np.uint64), batch.counts())
        self.truncated = batch.hashes >> np.uint64(text_bits)
        keys = np.sort((owner << self.hash_bits) | self.truncated)
        self.keys = keys[first_of_runs(keys)]
        inner = np.searchsorted(self.keys, np.arange(1, n, dtype=np.uint64) << self.hash_bits)
        bounds = np.concatenate(([0], inner, [len(self.keys)])).astype(np.int64)
        self.start = bounds[:-1]
        self.size = np.diff(bounds)

    def contains(self, texts: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Whether each truncated hash occurs in the given text's set."""
        query = (texts.astype(np.uint64) << self.hash_bits) | (hashes & self.low)
        found = np.searchsorted(self.keys, query)
        found[found == len(self.keys)] = 0
        return self.keys[found] == query


def overlap(batch: ShingleBatch, pairs: np.ndarray) -> Overlap:
    """Exact shingle-set overlap of each pair ``(i, j)`` of texts in *batch*.

    >>> from dedup._shingle import Shingler
    >>> o = overlap(Shingler("char", 2)(["abcd", "abce", "xy"]), np.array([[0, 1], [0, 2]]))
    >>> o.shared.tolist(), o.jaccard.tolist()
    ([2, 0], [0.5, 0.0])
    """
    index = SetIndex(batch)
    a, b = pairs[:, 0], pairs[:, 1]
    size_a, size_b = index.size[a], index.size[b]
    # Look up the smaller set's shingles in the larger set.
    swap = size_a > size_b
    small, large = np.where(swap, b, a), np.where(swap, a, b)
    shared = np.zeros(len(pairs), np.int64)
    for chunk in _chunks(index.size[small]):
        shared[chunk] = _count_shared(index, small[chunk], large[chunk])
    return Overlap(size_a.astype(np.int64), size_b.astype(np.int64), shared)


def _chunks(weights: np.ndarray) -> list[slice]:
    bounds = np.searchsorted(np.cumsum(weights), np.arange(_CHUNK, int(weights.sum()) + _CHUNK, _CHUNK))
    edges = np.unique(np.concatenate(([0], bounds + 1, [len(weights)])).clip(0, len(weights)))
    return [slice(int(s), int(e)) for s, e in zip(edges[:-1], edges[1:])]


def _count_shared(index: SetIndex, small: np.ndarray, large: np.ndarray) -> np.ndarray:
    sizes = index.size[small]
    position = gather_ranges(index.start[small], sizes)
    hit = index.contains(np.repeat(large, sizes), index.keys[position])
    return np.bincount(np.repeat(np.arange(len(small)), sizes), weights=hit, minlength=len(small)).astype(np.int64)


def longest_extra_run(batch: ShingleBatch, pairs: np.ndarray) -> np.ndarray:
    """For each pair ``(i, j)``: the longest run of consecutive shingles of i that are not in j.

    A long run is a whole block (a sentence, a paragraph) that i carries and j lacks.

    >>> from dedup._shingle import Shingler
    >>> longest_extra_run(Shingler("char", 1)(["abXYZc", "abc"]), np.array([[0, 1], [1, 0]])).tolist()
    [3, 0]
    """
    index = SetIndex(batch)
    counts = batch.counts()[pairs[:, 0]]
    out = np.zeros(len(pairs), np.int64)
    if counts.sum() == 0:
        return out
    position = gather_ranges(batch.offsets[pairs[:, 0]], counts)
    owner = np.repeat(np.arange(len(pairs)), counts)
    miss = ~index.contains(pairs[owner, 1], index.truncated[position])
    # The run of misses ending at p starts after the last hit, or at the pair's first shingle.
    positions = np.arange(len(miss))
    last_stop = np.full(len(miss), -1, np.int64)
    pair_starts = np.cumsum(counts) - counts
    last_stop[pair_starts[counts > 0]] = pair_starts[counts > 0] - 1
    last_stop[~miss] = positions[~miss]
    run = positions - np.maximum.accumulate(last_stop)
    np.maximum.at(out, owner, run)
    return out
