"""What a run finds: documents, passages, verified pairs and clusters, in one shape everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ._arrays import first_of_runs
from ._read import Document, ReadError
from ._normalize import Normalizer
from ._segment import Passage, Passages
from ._shingle import Shingler

__all__ = ["KINDS", "Cluster", "Pair", "Result", "passage_dict"]

KINDS: tuple[str, ...] = ("exact", "near", "contained")


@dataclass(frozen=True, slots=True)
class Pair:
    """Two passages (``a`` first in corpus order) and how alike they are.

    ``similarity`` is the Jaccard similarity of their shingle sets (exact unless
    verification was turned off), ``containment_ab`` the share of a's shingles
    found in b. ``kind``: ``exact`` (equal after normalisation), ``near``, or
    ``contained`` (one carries the other plus a whole extra block).
    """

    a: Passage
    b: Passage
    similarity: float
    containment_ab: float
    containment_ba: float
    kind: str


@dataclass(frozen=True, slots=True)
class Cluster:
    """Passages joined by exact or near pairs; ``kept`` is the one the keep rule keeps (also in members)."""

    kept: Passage
    members: tuple[Passage, ...]


@dataclass(frozen=True)
class Result:
    """The outcome of ``find_duplicates``; pair and cluster objects are built from arrays on first use.

    Arrays: ``pair_index`` (m, 2) global passage positions, ``similarity``,
    ``containment`` (m, 2), ``kind`` (codes into ``KINDS``), ``cluster`` (per
    passage: the smallest position of its cluster), ``keep_rank`` (per passage:
    its place under the keep rule, lower is kept first), ``boilerplate`` (per
    passage: flagged as boilerplate).
    """

    documents: list[Document]
    passages: Passages
    errors: list[ReadError]
    config: dict[str, Any]
    pair_index: np.ndarray
    similarity: np.ndarray
    containment: np.ndarray
    kind: np.ndarray
    cluster: np.ndarray
    keep_rank: np.ndarray
    normalizer: Normalizer
    shingler: Shingler
    boilerplate: np.ndarray

    @cached_property
    def pairs(self) -> list[Pair]:
        """Every verified pair, sorted by corpus position of a, then b."""
        p = self.passages
        return [Pair(p[int(i)], p[int(j)], float(s), float(ab), float(ba), KINDS[int(k)])
                for (i, j), s, (ab, ba), k in zip(self.pair_index, self.similarity, self.containment, self.kind)]

    @cached_property
    def clusters(self) -> list[Cluster]:
        """Clusters of two or more passages, not all boilerplate; largest first, then by first member."""
        return [self._cluster(g) for g in self.cluster_members()]

    @cached_property
    def boilerplate_clusters(self) -> list[Cluster]:
        """Clusters made only of boilerplate passages (mastheads and the like), kept apart."""
        return [self._cluster(g) for g in self.cluster_members(boilerplate=True)]

    def _cluster(self, group: np.ndarray) -> Cluster:
        kept = group[np.argmin(self.keep_rank[group])]
        return Cluster(self.passages[int(kept)], tuple(self.passages[int(m)] for m in group))

    def cluster_members(self, boilerplate: bool = False) -> list[np.ndarray]:
        """Global positions of the members of each cluster (same order as ``clusters``,
        or as ``boilerplate_clusters`` with *boilerplate*)."""
        labels = self.cluster
        order = np.argsort(labels, kind="stable")
        ranked = labels[order]
        starts = np.flatnonzero(first_of_runs(ranked))
        groups = [g for g in np.split(order, starts[1:])
                  if len(g) > 1 and bool(self.boilerplate[g].all()) == boilerplate]
        groups.sort(key=lambda g: (-len(g), int(g[0])))
        return groups

    def inner_is_a(self) -> np.ndarray:
        """Per pair: whether a is the side lying inside the other (its containment is the larger)."""
        return self.containment[:, 0] >= self.containment[:, 1]

    def kept_positions(self) -> np.ndarray:
        """Global position of the kept passage of each passage's cluster (itself when alone)."""
        best = np.full(len(self.cluster), np.iinfo(np.int64).max)
        np.minimum.at(best, self.cluster, self.keep_rank)
        by_rank = np.argsort(self.keep_rank)
        return by_rank[best[self.cluster]]


def passage_dict(p: Passage) -> dict[str, Any]:
    """The location of a passage as plain data."""
    return {"doc": p.doc, "index": p.index, "line": p.line, "start": p.start, "end": p.end}
