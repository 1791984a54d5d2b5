"""Candidates for containment: texts whose shingles lie mostly inside another, longer text."""

from __future__ import annotations

import numpy as np

from ._arrays import gather_ranges
from ._shingle import ShingleBatch
from ._verify import SetIndex

__all__ = ["containment_candidates"]


def containment_candidates(batch: ShingleBatch, contained: float = 0.8, sample: int = 16,
                           max_posting: int = 100) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, where one text may hold at least *contained* of the other's shingles.

    Each text queries its *sample* smallest shingle hashes (a random sample, the
    same whichever text it sits in) against an inverted index of every shingle
    of every text. If x is contained in y at level c, each sampled shingle of x is
    in y with chance >= c, so y must answer at least ``(c - 0.25) * k`` of x's k
    queries. Shingles held by more than *max_posting* texts (boilerplate phrases)
    are not queried: they say little and would cost a quadratic number of pairs.
    The candidates still have to be verified.

    >>> from dedup._shingle import Shingler
    >>> containment_candidates(Shingler("char", 3)(["abcdefgh", "xxabcdefghyyyyyyyy", "zzzzzz"])).tolist()
    [[0, 1]]
    """
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    index = SetIndex(batch)
    n = len(batch)
    hashes = index.keys & index.low
    owners = (index.keys >> index.hash_bits).astype(np.int64)
    by_hash = np.argsort(hashes, kind="stable")
    sorted_hashes, sorted_owners = hashes[by_hash], owners[by_hash]

    k = np.minimum(index.size, sample)
    query_owner = np.repeat(np.arange(n), k)
    query = hashes[gather_ranges(index.start, k)]
    lo = np.searchsorted(sorted_hashes, query, "left")
    hi = np.searchsorted(sorted_hashes, query, "right")
    usable = (hi - lo) <= max_posting
    asked = np.bincount(query_owner[usable], minlength=n)
    query_owner, lo, hi = query_owner[usable], lo[usable], hi[usable]
    span = hi - lo
    holder = sorted_owners[gather_ranges(lo, span)]
    asker = np.repeat(query_owner, span)
    other = holder != asker
    codes, hits = np.unique(asker[other] * n + holder[other], return_counts=True)
    x, y = np.divmod(codes, n)
    needed = np.maximum(1, np.floor((contained - 0.25) * asked[x]))
    x, y = x[hits >= needed], y[hits >= needed]
    pairs = np.unique(np.minimum(x, y) * n + np.maximum(x, y))
    return np.stack(np.divmod(pairs, n), axis=1) if len(pairs) else np.zeros((0, 2), np.int64)
