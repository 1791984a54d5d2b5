"""LSH banding: choose bands and rows from the threshold, then turn equal band keys into candidate pairs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._arrays import decode_pairs, distinct, gather_ranges, ranks, run_bounds
from ._hash import POLY, mix64

if TYPE_CHECKING:
    from ._settings import Settings

__all__ = ["band_keys", "bucket", "candidate_codes", "candidate_pairs", "estimate", "estimate_margin", "group_pairs", "optimal_params"]

# Candidates are verified exactly afterwards, so a missed pair costs far more than
# a spurious one: false negatives weigh nine times as much as false positives.
FALSE_POSITIVE_WEIGHT = 0.1
FALSE_NEGATIVE_WEIGHT = 0.9
# A pair of exactly threshold similarity becomes a candidate at least this often.
MIN_RECALL = 0.99
# Candidate pairs decoded and estimated this many at a time by bucket (4 MB of pairs).
_CHUNK_PAIRS = 1 << 18


def _candidate_probability(similarity: np.ndarray, bands: int, rows: int) -> np.ndarray:
    return 1.0 - (1.0 - similarity**rows) ** bands


def optimal_params(threshold: float, num_perm: int, min_recall: float = MIN_RECALL,
                   false_positive_weight: float = FALSE_POSITIVE_WEIGHT,
                   false_negative_weight: float = FALSE_NEGATIVE_WEIGHT) -> tuple[int, int]:
    """The ``(bands, rows)`` with ``bands * rows <= num_perm`` that minimise the weighted error.

    As datasketch's ``_optimal_param``: the false-positive area is the chance of
    becoming a candidate below *threshold*, the false-negative area the chance of
    being missed above it. Unlike it, only settings that catch a pair of exactly
    *threshold* similarity with probability >= *min_recall* are considered (when
    none does, the one that catches it most often wins), because verification
    removes false positives but nothing brings back a missed pair.

    >>> optimal_params(0.5, 128)
    (35, 3)
    >>> optimal_params(0.8, 128, 0.0, 0.5, 0.5)
    (9, 13)
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1, not {threshold!r}")
    if not 2 <= num_perm <= 4096:
        raise ValueError(f"num_perm must be an integer from 2 to 4096, not {num_perm!r}")
    below = np.linspace(0.0, threshold, 201)
    above = np.linspace(threshold, 1.0, 201)
    best: tuple[bool, float, int, int] = (False, np.inf, 1, 1)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            at_threshold = float(_candidate_probability(np.array(threshold), bands, rows))
            fp = np.trapezoid(_candidate_probability(below, bands, rows), below)
            fn = np.trapezoid(1.0 - _candidate_probability(above, bands, rows), above)
            feasible = at_threshold >= min_recall
            error = false_positive_weight * fp + false_negative_weight * fn if feasible else -at_threshold
            if (feasible, -error) > (best[0], -best[1]):
                best = (feasible, error, bands, rows)
    return best[2], best[3]


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 key per band and text: ``(len(signatures), bands)``; equal keys mean an equal band.

    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], np.uint32)
    >>> k = band_keys(sig, 2, 2)
    >>> bool(k[0, 0] == k[1, 0]), bool(k[0, 1] == k[1, 1])
    (True, False)
    """
    n, num_perm = signatures.shape
    if bands * rows > num_perm:
        raise ValueError(f"bands * rows = {bands * rows} exceeds the signature length {num_perm}")
    grid = signatures[:, :bands * rows].reshape(n, bands, rows).astype(np.uint64)
    acc = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64), (n, bands)).copy()
    for r in range(rows):
        acc *= POLY
        acc += grid[:, :, r]
    return mix64(acc)


def candidate_pairs(keys: np.ndarray, max_bucket: int = 100) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, of rows that share a key in some band; an ``(m, 2)`` int64 array, sorted.

    A bucket of more than *max_bucket* rows (boilerplate repeated thousands of
    times) would give a quadratic number of pairs; its rows are instead paired
    with the bucket's first row only, so the work stays linear and the rows still
    end up in one cluster once verified.

    >>> keys = np.array([[5, 1], [5, 2], [7, 2]], np.uint64)
    >>> candidate_pairs(keys).tolist()
    [[0, 1], [1, 2]]
    """
    return decode_pairs(candidate_codes(keys, max_bucket), keys.shape[0])


def candidate_codes(keys: np.ndarray, max_bucket: int = 100) -> np.ndarray:
    """``candidate_pairs`` as distinct codes ``i * len(keys) + j``, ascending (int64).

    >>> candidate_codes(np.array([[5, 1], [5, 2], [7, 2]], np.uint64)).tolist()
    [1, 5]
    """
    if max_bucket < 2:
        raise ValueError(f"max_bucket must be at least 2, not {max_bucket!r}")
    n = keys.shape[0]
    found = [np.zeros(0, np.int64)]
    for band in range(keys.shape[1]):
        order = np.argsort(keys[:, band], kind="stable")
        ranked = keys[order, band]
        starts, sizes = run_bounds(ranked)
        shared = sizes > 1
        if shared.any():
            found.append(group_pairs(order, starts[shared], sizes[shared], max_bucket, n))
    return distinct(np.concatenate(found))


def group_pairs(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, max_bucket: int, n: int) -> np.ndarray:
    """Pair codes ``i * n + j`` (i < j) for the members ``order[start:start+size]`` of each group:
    every pair, or for a group of more than *max_bucket* a star around its smallest member.

    >>> group_pairs(np.array([4, 1, 2, 0, 3]), np.array([0, 2]), np.array([2, 3]), 2, 5).tolist()
    [9, 2, 3]
    """
    small = sizes <= max_bucket
    codes = [_all_pairs(order, starts[small], sizes[small], n)]
    for start, size in zip(starts[~small].tolist(), sizes[~small].tolist()):
        bucket = np.sort(order[start:start + size])
        codes.append(bucket[0] * n + bucket[1:])
    return np.concatenate(codes)


def _all_pairs(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int) -> np.ndarray:
    """Every pair within each bucket, vectorised over buckets: for member k, the members after it."""
    if len(starts) == 0:
        return np.zeros(0, np.int64)
    first = gather_ranges(starts, sizes)  # position of each member in `order`
    after = np.repeat(starts + sizes, sizes) - first - 1  # how many members follow it
    left = np.repeat(first, after)
    right = left + 1 + ranks(after)
    a, b = order[left], order[right]
    return np.minimum(a, b) * n + np.maximum(a, b)


def estimate(compact: np.ndarray, pairs: np.ndarray, chunk: int = 1 << 13) -> np.ndarray:
    """Share of equal bins of each pair's compact signatures, in chunks to bound memory (8,192 pairs: two
    gathers of 1 MB at 128 bins, in the cache).

    >>> estimate(np.array([[1, 2, 3, 4], [1, 2, 0, 0]], np.uint8), np.array([[0, 1]])).tolist()
    [0.5]
    """
    out = np.zeros(len(pairs))
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        out[start:start + chunk] = np.count_nonzero(compact[part[:, 0]] == compact[part[:, 1]], axis=1)
    out /= compact.shape[1]
    return out


def estimate_margin(threshold: float, num_perm: int) -> float:
    """How far below the threshold an estimate may fall and still be verified: four standard
    errors of a num_perm-bin estimate at the threshold, plus one bin (a pair at the threshold
    falls further one time in 30,000; pairs above it, far more rarely).

    >>> round(estimate_margin(0.5, 128), 4)
    0.1846
    """
    return 4 * float(np.sqrt(threshold * (1 - threshold) / num_perm)) + 1 / num_perm


def estimate_floor(settings: Settings) -> float:
    """The lowest MinHash estimate a candidate may have and stay one: with verification, the threshold
    less ``estimate_margin`` (the exact check decides); without, the threshold itself.

    >>> from dedup._settings import Settings
    >>> round(estimate_floor(Settings(threshold=0.5)), 4), estimate_floor(Settings(threshold=0.5, verify=False))
    (0.3154, 0.5)
    """
    return settings.threshold - estimate_margin(settings.threshold, settings.num_perm) if settings.verify \
        else settings.threshold


def bucket(settings: Settings, keys: np.ndarray, compact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (local row positions) from equal band keys, and their MinHash estimates.

    With verification, candidates whose estimate lies hopelessly below the threshold are
    dropped (see ``estimate_margin``); without it, only those that reach the threshold stay.

    >>> from dedup._settings import Settings
    >>> keys = np.array([[5, 1], [5, 2], [7, 3]], np.uint32)
    >>> compact = np.array([[1, 2], [1, 2], [3, 4]], np.uint8)
    >>> pairs, est = bucket(Settings(num_perm=2), keys, compact)
    >>> pairs.tolist(), est.tolist()
    ([[0, 1]], [1.0])
    """
    from ._kernel import band_pair_codes  # compiled when it pays (the same pairs as candidate_pairs)

    codes = band_pair_codes(keys, settings.max_bucket)
    floor = estimate_floor(settings)
    # Pairs and estimates a chunk at a time: most candidates are dropped here, and all of them at once
    # (24 bytes a candidate) would sit at the stage's peak.
    kept, estimates = [np.zeros((0, 2), np.int64)], [np.zeros(0)]
    for start in range(0, len(codes), _CHUNK_PAIRS):
        pairs = decode_pairs(codes[start:start + _CHUNK_PAIRS], len(keys))
        found = estimate(compact, pairs)
        keep = found >= floor
        kept.append(pairs[keep])
        estimates.append(found[keep])
    return np.concatenate(kept), np.concatenate(estimates)
