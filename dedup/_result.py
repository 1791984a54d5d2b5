"""What a run finds: documents, passages, verified pairs and clusters, in one shape everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any

import numpy as np

from ._arrays import first_of_runs
from ._normalize import Normalizer
from ._read import Document, ReadError
from ._segment import Passage, Passages
from ._settings import Settings
from ._shingle import Shingler

__all__ = ["Cluster", "Kind", "Pair", "Result", "passage_dict"]


class Kind(IntEnum):
    """How two passages of a pair relate; the code is what ``Result.kind`` stores.

    >>> Kind.NEAR.label, Kind.from_label("contained")
    ('near', <Kind.CONTAINED: 2>)
    """

    EXACT = 0  # equal after normalisation
    NEAR = 1  # Jaccard similarity at least the threshold
    CONTAINED = 2  # one lies inside the other, which carries more

    @property
    def label(self) -> str:
        """The lower-case name used in reports and logs."""
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Kind:
        """The kind named *label* (``exact``, ``near`` or ``contained``)."""
        return cls[label.upper()]


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


@dataclass(frozen=True, kw_only=True)
class Result:
    """The outcome of ``find_duplicates``; pair and cluster objects are built from arrays on first use.

    Arrays: ``pair_index`` (m, 2) global passage positions, ``similarity``,
    ``containment`` (m, 2), ``kind`` (``Kind`` codes), ``cluster_label`` (per
    passage: the smallest position of its cluster), ``keep_rank`` (per passage:
    its place under the keep rule, lower is kept first), ``boilerplate`` (per
    passage: flagged as boilerplate).
    """

    settings: Settings
    documents: list[Document]
    passages: Passages
    errors: list[ReadError]
    pair_index: np.ndarray
    similarity: np.ndarray
    containment: np.ndarray
    kind: np.ndarray
    cluster_label: np.ndarray
    keep_rank: np.ndarray
    boilerplate: np.ndarray

    @property
    def config(self) -> dict[str, Any]:
        """The settings of the run as plain data (``Settings.from_dict`` repeats it)."""
        return self.settings.to_dict()

    @property
    def normalizer(self) -> Normalizer:
        """The normaliser the run compared passages with."""
        return self.settings.normalizer  # type: ignore[no-any-return]

    @property
    def shingler(self) -> Shingler:
        """The shingler the run compared passages with."""
        return self.settings.shingler  # type: ignore[no-any-return]

    @cached_property
    def pairs(self) -> list[Pair]:
        """Every verified pair, sorted by corpus position of a, then b."""
        p = self.passages
        return [Pair(p[int(i)], p[int(j)], float(s), float(ab), float(ba), Kind(int(k)).label)
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
        labels = self.cluster_label
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
        best = np.full(len(self.cluster_label), np.iinfo(np.int64).max)
        np.minimum.at(best, self.cluster_label, self.keep_rank)
        by_rank = np.argsort(self.keep_rank)
        return by_rank[best[self.cluster_label]]


def passage_dict(p: Passage) -> dict[str, Any]:
    """The location of a passage as plain data."""
    return {"doc": p.doc, "index": p.index, "line": p.line, "start": p.start, "end": p.end}
