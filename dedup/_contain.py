"""Candidates for containment: texts whose shingles lie mostly inside another, longer text."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._arrays import decode_pairs, first_of_runs, gather_ranges
from ._shingle import ShingleBatch

__all__ = ["containment_candidates"]


def containment_candidates(batches: Iterable[ShingleBatch], contained: float = 0.8, sample: int = 16,
                           max_posting: int = 32) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, where one text may hold at least *contained* of the other's shingles.

    *batches* are consecutive chunks of the texts (text numbers run on across them).
    Each text queries its *sample* smallest shingle hashes (a random sample, the
    same whichever text it sits in) against an inverted index of every shingle
    of every text. If x is contained in y at level c, each sampled shingle of x is
    in y with chance >= c, so y must answer at least ``(c - 0.25) * k`` of x's k
    queries. Shingles held by more than *max_posting* texts (boilerplate phrases)
    are not queried: they say little and would cost a quadratic number of pairs.
    The candidates still have to be verified.

    >>> from dedup._shingle import Shingler
    >>> containment_candidates([Shingler("char", 3)(["abcdefgh", "xxabcdefghyyyyyyyy", "zzzzzz"])]).tolist()
    [[0, 1]]
    """
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    index_parts, query_parts, owner_parts, asked_parts = [], [], [], []
    first = 0
    for batch in batches:
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
        k = np.minimum(sizes, sample)
        take = gather_ranges(np.cumsum(sizes) - sizes, k)
        query_parts.append(hashes[take])
        owner_parts.append(owner[take])
        asked_parts.append(k)
        index_parts.append((hashes, owner))
        first += n
    if first == 0:
        return np.zeros((0, 2), np.int64)
    owner_bits = max(1, (first - 1).bit_length())
    shift = np.uint64(owner_bits)
    # One sorted array of (hash, text) keys: a shingle's texts are a contiguous run.
    index = np.sort(np.concatenate([(h >> shift << shift) | o.astype(np.uint64) for h, o in index_parts]))
    queries = np.concatenate(query_parts) >> shift << shift
    askers = np.concatenate(owner_parts)
    # Sorted queries make the binary searches walk the index in one direction (far fewer cache misses).
    by_query = np.argsort(queries)
    queries, askers = queries[by_query], askers[by_query]
    lo = np.searchsorted(index, queries, "left")
    hi = np.searchsorted(index, queries | np.uint64((1 << owner_bits) - 1), "right")
    usable = (hi - lo) <= max_posting
    asked = np.bincount(askers[usable], minlength=first)
    span = (hi - lo)[usable]
    holder = (index[gather_ranges(lo[usable], span)] & np.uint64((1 << owner_bits) - 1)).astype(np.int64)
    asker = np.repeat(askers[usable], span)
    other = holder != asker
    codes, hits = np.unique(asker[other] * first + holder[other], return_counts=True)
    x, y = np.divmod(codes, first)
    needed = np.maximum(1, np.floor((contained - 0.25) * asked[x]))
    x, y = x[hits >= needed], y[hits >= needed]
    pairs = np.unique(np.minimum(x, y) * first + np.maximum(x, y))
    return decode_pairs(pairs, first)
