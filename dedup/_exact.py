"""Exact duplicates: passages whose normalised texts are equal, grouped once and expanded into pairs."""

from __future__ import annotations

import numpy as np

from ._arrays import decode_pairs, distinct, run_bounds
from ._lsh import group_pairs
from ._read import ReadError
from ._segment import Passages
from ._settings import Settings
from ._verify import Verified

__all__ = ["exact_groups", "expand_exact", "oversized", "representatives", "unique_pairs"]


def exact_groups(norms: list[str]) -> np.ndarray:
    """For each passage, the position of the first passage with the same normalised text (-1: empty).

    >>> exact_groups(["ab", "", "ab", "c", ""]).tolist()
    [0, -1, 0, 3, -1]
    """
    first: dict[str, int] = {}
    group = np.fromiter((first.setdefault(t, i) for i, t in enumerate(norms)), np.int64, len(norms))
    empty = first.get("")
    if empty is not None:
        group[group == empty] = -1
    return group


def representatives(settings: Settings, group: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Positions of the passages that are compared by MinHash: the first of each group of equal texts,
    with a normalised length from ``min_chars`` to ``max_chars``.

    >>> representatives(Settings(min_chars=2), np.array([0, 0, 2, 3]), np.array([5, 5, 1, 9])).tolist()
    [0, 3]
    """
    wanted = (lengths >= settings.min_chars) & (lengths <= settings.max_chars)
    return np.flatnonzero((group == np.arange(len(group))) & wanted)


def unique_pairs(pairs: np.ndarray, n: int) -> np.ndarray:
    """The distinct rows of an (m, 2) array of positions below *n*, sorted.

    >>> unique_pairs(np.array([[1, 2], [0, 1], [1, 2]]), 3).tolist()
    [[0, 1], [1, 2]]
    """
    return decode_pairs(distinct(pairs[:, 0] * n + pairs[:, 1]), n)


def expand_exact(settings: Settings, group: np.ndarray, found: Verified) -> Verified:
    """The pairs between representatives in *found*, plus the exact pairs within each group of equal
    texts, with every member given its group's pairs; sorted by position of a, then b.

    >>> found = Verified.empty()
    >>> expand_exact(Settings(), np.array([0, 0, -1]), found).index.tolist()
    [[0, 1]]
    """
    n = len(group)
    pairs = found.index
    # Equal texts form groups; their exact pairs come from the same all-pairs-or-star rule as LSH buckets.
    order = np.flatnonzero(group >= 0)
    order = order[np.argsort(group[order], kind="stable")]
    starts, sizes = run_bounds(group[order])
    starts, sizes = starts[sizes > 1], sizes[sizes > 1]
    within = decode_pairs(group_pairs(order, starts, sizes, settings.max_bucket, n), n)
    members = {int(order[s]): order[s:s + k].tolist() for s, k in zip(starts.tolist(), sizes.tolist())}
    parts = [found, Verified.exact(within)]
    grouped = np.zeros(n, bool)
    grouped[list(members)] = True
    for k in np.flatnonzero(grouped[pairs[:, 0]] | grouped[pairs[:, 1]]).tolist():
        a, b = int(pairs[k, 0]), int(pairs[k, 1])
        ga, gb = members.get(a, [a]), members.get(b, [b])
        across = np.array([(x, y) for x in ga for y in gb if (x, y) != (a, b)]
                          if len(ga) * len(gb) <= settings.max_bucket**2 else [], np.int64).reshape(-1, 2)
        parts.append(found.take([k] * len(across)).with_index(across))
    merged = Verified.concat(parts)
    return merged.oriented().sorted_by_position(n)


def oversized(settings: Settings, passages: Passages, lengths: np.ndarray) -> list[ReadError]:
    """An error entry for each passage over ``max_chars`` (it is compared for exact duplicates only).

    >>> from dedup import Settings
    >>> from dedup.stages import segment
    >>> from dedup._read import Document
    >>> p = segment([Document("a", "短\\n" + "长" * 30)])
    >>> [e.error for e in oversized(Settings(max_chars=20), p, np.array([1, 30]))]
    ["passage 1 (line 2) has 30 characters, over max_chars=20: compared for exact duplicates only; split it with unit='sentence'"]
    """
    return [ReadError(passages.documents[int(passages.doc_pos[i])].id,
                      f"passage {int(passages.index_in_doc[i])} (line {int(passages.line[i])}) has "
                      f"{int(lengths[i]):,} characters, over max_chars={settings.max_chars:,}: compared for exact "
                      f"duplicates only; split it with unit='sentence'")
            for i in np.flatnonzero(lengths > settings.max_chars)]
