"""Group verified pairs into clusters and pick the passage each cluster keeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._arrays import first_of_runs
from ._result import Kind
from ._segment import Passages
from ._settings import Settings
from ._verify import Verified

__all__ = ["centres", "cluster_labels", "components", "keep_key", "keep_order"]


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


def centres(rank: np.ndarray, pairs: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Label each item with the item it is kept as a duplicate of (itself when it is kept).

    Walk the items in keep order (*rank*, lower first): an item is kept unless one of its
    neighbours ranked before it is kept; an item that is not kept joins its most similar
    kept neighbour ranked before it (ties: the better ranked). So every member of a cluster
    is directly, verifiably similar to the passage its cluster keeps: no chains. The answer
    depends on the pairs and the ranks only, and costs one pass over the pairs.

    >>> # 0-1 and 1-2 are similar, 0-2 are not: components would join all three.
    >>> centres(np.arange(3), np.array([[0, 1], [1, 2]]), np.array([0.7, 0.7])).tolist()
    [0, 0, 2]
    """
    n = len(rank)
    label = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return label
    # Each edge from its later-ranked end to its earlier-ranked end, grouped by the later end.
    a, b = pairs[:, 0], pairs[:, 1]
    later = np.where(rank[a] > rank[b], a, b)
    earlier = np.where(rank[a] > rank[b], b, a)
    order = np.lexsort((rank[earlier], -similarity, rank[later]))
    later, earlier = later[order], earlier[order]
    kept = np.ones(n, bool)
    # Items in keep order; each item's candidate partners are sorted best first.
    bounds = np.flatnonzero(np.r_[True, later[1:] != later[:-1], True])
    for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        item = int(later[start])
        for other in earlier[start:end].tolist():
            if kept[other]:
                kept[item] = False
                label[item] = other
                break
    return label


def cluster_labels(settings: Settings, rank: np.ndarray, verified: Verified, group: np.ndarray) -> np.ndarray:
    """Each passage's cluster label under ``settings.clusters``: exact and near pairs link passages
    (contained pairs never do), and so does equality of normalised text (*group*).

    ``centres``: the label is the kept passage (see ``centres``); ``components``: the smallest
    position of the connected component.

    >>> from dedup import Settings
    >>> from dedup._verify import Verified
    >>> pairs = Verified(np.array([[0, 1], [1, 2]]), np.array([0.9, 0.9]), np.ones((2, 2)), np.array([1, 1], np.int8))
    >>> rank, group = np.arange(3), np.full(3, -1)
    >>> cluster_labels(Settings(), rank, pairs, group).tolist()  # centres: 2 is no duplicate of 0, the kept one
    [0, 0, 2]
    >>> cluster_labels(Settings(clusters="components"), rank, pairs, group).tolist()
    [0, 0, 0]
    """
    linking = verified.kind != Kind.CONTAINED
    pairs, similarity = verified.index[linking], verified.similarity[linking]
    # Equal texts are all alike, even where a giant group was expanded only as a star.
    members = np.flatnonzero(group >= 0)
    best = np.full(len(group), -1, np.int64)
    if len(members):
        # Each group's best-ranked member: sort by (group, rank) and take the first of each run.
        order = members[np.lexsort((rank[members], group[members]))]
        starts = first_of_runs(group[order])
        leader = order[starts][np.cumsum(starts) - 1]
        best[order] = leader
    extra = np.flatnonzero((best >= 0) & (best != np.arange(len(group))))
    pairs = np.concatenate([pairs, np.stack([best[extra], extra], axis=1)]).astype(np.int64).reshape(-1, 2)
    similarity = np.concatenate([similarity, np.ones(len(extra))])
    if settings.clusters == "components":
        return components(len(rank), pairs)
    return centres(rank, pairs, np.nan_to_num(similarity, nan=0.0))


def keep_order(key: np.ndarray) -> np.ndarray:
    """Rank of each item when sorted by *key*, ties broken by position (lower rank is kept first).

    >>> keep_order(np.array([1, 0, 1])).tolist()
    [1, 0, 2]
    """
    order = np.argsort(key, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


def keep_key(settings: Settings, passages: Passages) -> np.ndarray:
    """One sort key per passage for the keep rule; a stable sort breaks ties by corpus position.

    >>> from dedup._read import Document
    >>> from dedup._segment import segment
    >>> keep_key(Settings(keep="longest"), segment([Document("a", "ab\\nabcd")])).tolist()
    [-2, -4]
    """
    keep: str | Callable[[Any], Any] = settings.keep
    if keep == "first":
        return np.arange(len(passages))
    if keep == "longest":
        return -passages.lengths()
    # A user key is any sortable value: rank the passages by it once, in Python.
    keyed = sorted(range(len(passages)), key=lambda i: (keep(passages[i]), i))  # type: ignore[operator]
    user_rank = np.empty(len(passages), np.int64)
    user_rank[keyed] = np.arange(len(keyed))
    return user_rank
