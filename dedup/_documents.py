"""Document-level view of the pairs: documents that repeat themselves, and what documents share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._result import Kind, Result
from ._spans import Span, aligned_spans

__all__ = ["DocumentOverlap", "Repeat", "covered", "document_overlaps", "pair_spans", "repeat_share", "self_repeats"]


@dataclass(frozen=True, slots=True)
class Repeat:
    """Within one document: ``[start, end)`` repeats the earlier ``[source_start, source_end)``."""

    doc: str
    start: int
    end: int
    source_start: int
    source_end: int
    kind: str


@dataclass(frozen=True, slots=True)
class DocumentOverlap:
    """Two documents that share text: the share of a's characters found in b, and the reverse."""

    a: str
    b: str
    share_a_in_b: float
    share_b_in_a: float


def pair_spans(result: Result, row: int) -> list[Span]:
    """The aligned spans of pair *row*: whole passages for exact pairs, aligned blocks otherwise."""
    i, j = (int(x) for x in result.pair_index[row])
    a, b = result.passages[i], result.passages[j]
    if Kind(int(result.kind[row])).label == "exact":
        return [Span(a.start, a.end, b.start, b.end)]
    return aligned_spans(result.normalizer, a.text, a.start, b.text, b.start, min_len=result.shingler.n)



def self_repeats(result: Result) -> dict[str, list[Repeat]]:
    """For each document that repeats itself, its repeats (the later copy of each pair), in order."""
    out: dict[str, list[Repeat]] = {}
    for row, (i, j) in enumerate(result.pair_index.tolist()):
        if result.passages.doc_pos[i] != result.passages.doc_pos[j]:
            continue
        doc = result.documents[int(result.passages.doc_pos[i])].id
        for s in pair_spans(result, row):
            later, earlier = ((s.b_start, s.b_end), (s.a_start, s.a_end)) if s.b_start >= s.a_start else \
                ((s.a_start, s.a_end), (s.b_start, s.b_end))
            out.setdefault(doc, []).append(Repeat(doc, *later, *earlier, Kind(int(result.kind[row])).label))
    return {doc: sorted(set(reps), key=lambda r: (r.start, r.end, r.source_start, r.source_end, r.kind))
            for doc, reps in out.items()}


def covered(intervals: list[tuple[int, int]]) -> int:
    """Characters covered by the union of half-open intervals.

    >>> covered([(0, 5), (3, 8), (10, 12)])
    10
    """
    total, reach = 0, -1
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def repeat_share(result: Result, repeats: list[Repeat]) -> float:
    """Share of a document's characters that repeat earlier text of the same document."""
    if not repeats:
        return 0.0
    document = next(d for d in result.documents if d.id == repeats[0].doc)
    return covered([(r.start, r.end) for r in repeats]) / max(1, len(document.text))


def document_overlaps(result: Result) -> list[DocumentOverlap]:
    """Every pair of different documents that share passages or spans, most shared first."""
    sides: dict[tuple[int, int], tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    p = result.passages
    for row, (i, j) in enumerate(result.pair_index.tolist()):
        da, db = int(p.doc_pos[i]), int(p.doc_pos[j])
        if da == db:
            continue
        a_side, b_side = sides.setdefault((da, db), ([], []))
        for s in pair_spans(result, row):
            a_side.append((s.a_start, s.a_end))
            b_side.append((s.b_start, s.b_end))
    lengths = np.array([max(1, len(d.text)) for d in result.documents])
    out = [DocumentOverlap(result.documents[da].id, result.documents[db].id,
                           float(covered(a_side) / lengths[da]), float(covered(b_side) / lengths[db]))
           for (da, db), (a_side, b_side) in sides.items()]
    return sorted(out, key=lambda o: (-max(o.share_a_in_b, o.share_b_in_a), o.a, o.b))
