"""Candidates for containment: texts whose shingles lie mostly inside another, longer text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from ._arrays import decode_pairs, first_of_runs, gather_ranges
from ._shingle import ShingleBatch

__all__ = ["Sample", "candidates_from_samples", "containment_candidates", "sample_batch"]

SAMPLE = 16


class Sample(NamedTuple):
    """One batch's part of the containment index: its texts' distinct shingles and query shingles."""

    size: int
    hashes: np.ndarray
    owner: np.ndarray
    queries: np.ndarray
    askers: np.ndarray


def sample_batch(batch: ShingleBatch, first: int, sample: int = SAMPLE) -> Sample:
    """The index part of *batch*, whose texts are numbered from *first*: every distinct shingle,
    and each text's *sample* smallest shingle hashes as its queries.

    >>> from dedup._shingle import Shingler
    >>> part = sample_batch(Shingler("char", 3)(["abcd", "xy"]), first=10, sample=1)
    >>> part.size, part.owner.tolist(), part.askers.tolist()
    (2, [10, 10, 11], [10, 11])
    """
    n = len(batch)
    # Distinct shingles of each text, smallest hash first: one sort of (text, hash) keys,
    # the hash cut to the bits left beside the text number.
    local_bits = np.uint64(max(1, (n - 1).bit_length()))
    keys = np.sort((np.repeat(np.arange(n, dtype=np.uint64), batch.counts()) << (np.uint64(64) - local_bits))
                   | (batch.hashes >> local_bits))
    keys = keys[first_of_runs(keys)]
    owner = (keys >> (np.uint64(64) - local_bits)).astype(np.int64) + first
    hashes = keys << local_bits
    sizes = np.bincount(owner - first, minlength=n)
    take = gather_ranges(np.cumsum(sizes) - sizes, np.minimum(sizes, sample))
    return Sample(n, hashes, owner, hashes[take], owner[take])


def candidates_from_samples(samples: Sequence[Sample], contained: float = 0.8, max_posting: int = 32) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, where one text may hold at least *contained* of the other's shingles.

    Each text queries its sampled shingles (the smallest hashes: a random sample, the
    same whichever text it sits in) against an inverted index of every shingle of
    every text. If x is contained in y at level c, each sampled shingle of x is in y
    with chance >= c, so y must answer at least ``(c - 0.25) * k`` of x's k queries.
    Shingles held by more than *max_posting* texts (boilerplate phrases) are not
    queried: they say little and would cost a quadratic number of pairs. The
    candidates still have to be verified.
    """
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    total = sum(s.size for s in samples)
    if total == 0:
        return np.zeros((0, 2), np.int64)
    owner_bits = max(1, (total - 1).bit_length())
    shift, owner_mask = np.uint64(owner_bits), np.uint64((1 << owner_bits) - 1)
    # One sorted array of (hash, text) keys: a shingle's texts are a contiguous run.
    index = np.sort(np.concatenate([(s.hashes >> shift << shift) | s.owner.astype(np.uint64) for s in samples]))
    queries = np.concatenate([s.queries for s in samples]) >> shift << shift
    askers = np.concatenate([s.askers for s in samples])
    # Sorted queries make the binary searches walk the index in one direction (far fewer cache misses).
    by_query = np.argsort(queries)
    queries, askers = queries[by_query], askers[by_query]
    lo = np.searchsorted(index, queries, "left")
    hi = np.searchsorted(index, queries | owner_mask, "right")
    usable = (hi - lo) <= max_posting
    asked = np.bincount(askers[usable], minlength=total)
    span = (hi - lo)[usable]
    holder = (index[gather_ranges(lo[usable], span)] & owner_mask).astype(np.int64)
    asker = np.repeat(askers[usable], span)
    other = holder != asker
    codes, hits = np.unique(asker[other] * total + holder[other], return_counts=True)
    x, y = decode_pairs(codes, total).T
    needed = np.maximum(1, np.floor((contained - 0.25) * asked[x]))
    x, y = x[hits >= needed], y[hits >= needed]
    return decode_pairs(np.unique(np.minimum(x, y) * total + np.maximum(x, y)), total)


def containment_candidates(batches: Iterable[ShingleBatch], contained: float = 0.8, sample: int = SAMPLE,
                           max_posting: int = 32) -> np.ndarray:
    """Containment candidates of texts given as consecutive shingle batches (see ``candidates_from_samples``).

    >>> from dedup._shingle import Shingler
    >>> containment_candidates([Shingler("char", 3)(["abcdefgh", "xxabcdefghyyyyyyyy", "zzzzzz"])]).tolist()
    [[0, 1]]
    """
    samples, first = [], 0
    for batch in batches:
        samples.append(sample_batch(batch, first, sample))
        first += len(batch)
    return candidates_from_samples(samples, contained, max_posting)
