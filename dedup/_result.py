"""What a run finds: documents, passages, verified pairs and clusters, in one shape everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Any

import numpy as np

from ._arrays import gather_ranges, run_bounds
from ._normalize import Normalizer
from ._read import Document, ReadError
from ._segment import Passage, Passages
from ._settings import Settings
from ._shingle import Shingler

__all__ = ["Assignment", "Cluster", "Kind", "Pair", "Result", "passage_dict"]


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


@dataclass(frozen=True, slots=True)
class Assignment:
    """Per passage: ``duplicate_of`` (position of the passage its cluster keeps; -1 for a kept or
    lone passage), ``similarity`` to it (Jaccard; NaN when not a duplicate) and ``kind`` of the
    two (``Kind`` code; -1 when not a duplicate, or when clusters chain (``components``) and the
    member is not itself similar to the kept passage)."""

    duplicate_of: np.ndarray
    similarity: np.ndarray
    kind: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Result:
    """The outcome of ``find_duplicates``; pair and cluster objects are built from arrays on first use.

    Arrays: ``pair_index`` (m, 2) global passage positions, ``similarity``,
    ``containment`` (m, 2), ``kind`` (``Kind`` codes), ``cluster_label`` (per
    passage: the smallest position of its cluster), ``keep_rank`` (per passage:
    its place under the keep rule, lower is kept first), ``boilerplate`` (per
    passage: flagged as boilerplate). ``skipped``: files of an input folder that match no
    include pattern (not read, listed so nothing goes unnoticed).
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
    skipped: list[str] = field(default_factory=list)

    @property
    def config(self) -> dict[str, Any]:
        """The settings of the run as plain data (``Settings.from_dict`` repeats it)."""
        return self.settings.to_dict()

    @property
    def normalizer(self) -> Normalizer:
        """The normaliser the run compared passages with."""
        return self.settings.normalizer

    @property
    def shingler(self) -> Shingler:
        """The shingler the run compared passages with."""
        return self.settings.shingler

    @cached_property
    def text_chars(self) -> np.ndarray:
        """Per document: the characters of its passages, its text less the blank lines and breaks between
        them. Document shares (``document_overlaps``, self-repeats) are shares of these: two equal documents
        share all of them."""
        p = self.passages
        return np.bincount(p.doc_pos, weights=p.end - p.start, minlength=len(self.documents)).astype(np.int64)

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
        return self._member_groups[int(boilerplate)]

    @cached_property
    def _member_groups(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        # Clusters of two or more only (most passages stand alone), by one sort of the labels.
        labels = self.cluster_label
        order = np.argsort(labels, kind="stable")
        starts, sizes = run_bounds(labels[order])
        starts, sizes = starts[sizes > 1], sizes[sizes > 1]
        members = order[gather_ranges(starts, sizes)]
        begins = np.cumsum(sizes) - sizes
        all_boilerplate = (np.logical_and.reduceat(self.boilerplate[members], begins) if len(members)
                           else np.zeros(0, bool))
        # Largest first, then by first member (members ascend within a cluster: the sort is stable).
        ranked = np.lexsort((members[begins], -sizes))
        groups = np.split(members, begins[1:])
        return ([groups[k] for k in ranked.tolist() if not all_boilerplate[k]],
                [groups[k] for k in ranked.tolist() if all_boilerplate[k]])

    def inner_is_a(self) -> np.ndarray:
        """Per pair: whether a is the side lying inside the other (its containment is the larger)."""
        return self.containment[:, 0] >= self.containment[:, 1]

    def kept_positions(self) -> np.ndarray:
        """Global position of the kept passage of each passage's cluster (itself when alone)."""
        best = np.full(len(self.cluster_label), np.iinfo(np.int64).max)
        np.minimum.at(best, self.cluster_label, self.keep_rank)
        by_rank = np.argsort(self.keep_rank)
        return by_rank[best[self.cluster_label]]

    @cached_property
    def assignment(self) -> Assignment:
        """What each passage is a duplicate of: the kept passage of its cluster, with the verified
        similarity and kind of the two (see ``Assignment``)."""
        kept = self.kept_positions()
        n = len(kept)
        members = np.flatnonzero(kept != np.arange(n))
        similarity = np.full(n, np.nan)
        kind = np.full(n, -1, np.int8)
        # The pair (member, kept) when the run verified it: always so for centre clusters.
        pairs = np.sort(self.pair_index, axis=1)
        code = pairs[:, 0] * n + pairs[:, 1]
        wanted = np.minimum(members, kept[members]) * n + np.maximum(members, kept[members])
        order = np.argsort(code, kind="stable")
        at = np.searchsorted(code[order], wanted).clip(0, max(len(code) - 1, 0))
        hit = code[order][at] == wanted if len(code) else np.zeros(len(wanted), bool)
        rows = order[at[hit]]
        similarity[members[hit]] = self.similarity[rows]
        kind[members[hit]] = self.kind[rows]
        # Equal normalised texts without a listed pair (a giant group linked as a star): exact.
        norm = self.normalizer
        rest = members[~hit]
        if len(rest):
            texts = [(norm(self.passages.text(int(m))), norm(self.passages.text(int(kept[m])))) for m in rest]
            equal = np.array([a == b for a, b in texts], bool)
            similarity[rest[equal]] = 1.0
            kind[rest[equal]] = Kind.EXACT
            unknown = rest[~equal]
            if len(unknown):
                # Components chain: measure the member against its kept passage exactly.
                from ._verify import overlap

                flat = [t for m in unknown.tolist() for t in (norm(self.passages.text(m)),
                                                             norm(self.passages.text(int(kept[m]))))]
                found = overlap(self.shingler(flat), np.arange(len(flat)).reshape(-1, 2))
                similarity[unknown] = found.jaccard
                near = found.jaccard >= self.settings.threshold - 1e-9
                kind[unknown[near]] = Kind.NEAR
        duplicate_of = np.where(kept != np.arange(n), kept, -1)
        return Assignment(duplicate_of, similarity, kind)


def passage_dict(p: Passage) -> dict[str, Any]:
    """The location of a passage as plain data."""
    return {"doc": p.doc, "index": p.index, "line": p.line, "start": p.start, "end": p.end}
