"""Group verified pairs into clusters and pick the passage each cluster keeps."""

from __future__ import annotations

import numpy as np

__all__ = ["components", "keep_order"]


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Label each of *n* items with the smallest item of its connected component (union-find result).

    Deterministic by construction: the label depends only on the set of pairs, not their order.

    >>> components(5, np.array([[3, 4], [1, 3]])).tolist()
    [0, 1, 2, 1, 1]
    """
    label = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return label
    a, b = pairs[:, 0], pairs[:, 1]
    while True:
        # Hook each edge's larger root onto the smaller one, then compress paths fully.
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, label[a], low)
        np.minimum.at(label, label[b], low)
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


def keep_order(key: np.ndarray) -> np.ndarray:
    """Rank of each item when sorted by *key*, ties broken by position (lower rank is kept first).

    >>> keep_order(np.array([1, 0, 1])).tolist()
    [1, 0, 2]
    """
    order = np.argsort(key, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank
