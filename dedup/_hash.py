"""The one 64-bit hash family of dedup: stable across processes, runs and machines."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["POLY", "hash_token", "mix64", "rolling"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
# An odd multiplier with well spread bits (2**64 / golden ratio) for combining tokens.
POLY = np.uint64(0x9E3779B97F4A7C15)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser applied elementwise to a uint64 array (a bijection with good avalanche).

    >>> int(mix64(np.array([1], np.uint64))[0])
    6238072747940578789
    """
    x = x ^ (x >> np.uint64(30))
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def rolling(tokens: np.ndarray, n: int) -> np.ndarray:
    """The polynomial combination of every n consecutive tokens: one uint64 per start position.

    >>> t = np.array([1, 2, 3], np.uint64)
    >>> rolling(t, 2).tolist() == [int(POLY) + 2, (2 * int(POLY) + 3) % 2**64]
    True
    >>> len(rolling(t, 2)), len(rolling(t, 4))
    (2, 0)
    """
    m = len(tokens) - n + 1
    if m <= 0:
        return np.zeros(0, np.uint64)
    acc = tokens[:m].copy()
    for k in range(1, n):
        acc *= POLY
        acc += tokens[k:m + k]
    return acc


def hash_token(token: str) -> int:
    """A stable 64-bit hash of a string (BLAKE2b, 8 bytes); never Python's per-process ``hash()``.

    >>> hash_token("信息") == hash_token("信息")
    True
    """
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
