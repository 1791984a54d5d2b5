"""Slow, plain references the fast paths are tested against (test code: never imported by the package)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MASK64 = 2**64 - 1
# dedup's one-permutation MinHash: an odd multiplier per seed, bins from the high 32 bits,
# values from the low 32 bits, empty bins filled by a seeded probe sequence (optimal densification).
PROBE_SALT = 0x5851F42D4C957F2D
EMPTY = 0xFFFFFFFF


def splitmix64(x: int) -> int:
    """SplitMix64's finaliser on one integer."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def sign_reference(shingle_sets: Sequence[Sequence[int]], num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """The signatures ``dedup.stages.sign`` must give, one text and one shingle at a time."""
    multiplier = splitmix64(seed) | 1
    out = np.full((len(shingle_sets), num_perm), EMPTY, np.uint32)
    for row, shingles in enumerate(shingle_sets):
        bins: dict[int, int] = {}
        for s in shingles:
            h = (int(s) * multiplier) & MASK64
            b = ((h >> 32) * num_perm) >> 32
            bins[b] = min(bins.get(b, 2**32), h & 0xFFFFFFFF)
        if not bins:
            continue
        for b in range(num_perm):
            attempt, source = 0, b
            while source not in bins:
                attempt += 1
                key = ((b << 32) + attempt) & MASK64
                mixed = splitmix64(key ^ ((seed * PROBE_SALT) % 2**64))
                source = ((mixed >> 32) * num_perm) >> 32
            out[row, b] = bins[source]
    return out
