"""Document-level view of the pairs: documents that repeat themselves, and what documents share.

Spans of many pairs are aligned together (``PairSpans``), each passage normalised and hashed
once for all its pairs. With a ``limit``, a share is bounded first by the passages' own
extent (spans lie inside them), and only the documents or pairs of documents whose bound
can still reach the first ``limit`` are aligned.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ._arrays import distinct, first_of_runs, text_lengths
from ._exact import exact_groups
from ._result import Kind, Result
from ._spans import Prepared, Span, align_pairs, prepare, to_spans

__all__ = ["DocumentOverlap", "PairSpans", "Repeat", "covered", "document_overlaps", "pair_spans", "repeat_share",
           "repeated_paragraphs", "repeats_from_spans", "self_repeats"]

# Rows aligned together when one is asked for (about this many characters of passages, at most so many rows).
_AHEAD_CHARS, _AHEAD_ROWS = 1 << 20, 1 << 12
T = TypeVar("T")
# Prepared passages kept for later batches (about this many characters: some 20 bytes each).
_KEEP_CHARS = 1 << 21


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
    """Two documents that share text: the share of a's characters (those of its passages) found in b, and the
    reverse."""

    a: str
    b: str
    share_a_in_b: float
    share_b_in_a: float


class PairSpans:
    """The aligned spans of a result's pairs (see ``pair_spans``), aligned in batches and kept.

    ``spans(row)`` aligns that row together with the rows after it (about ``_AHEAD_CHARS``
    characters), so reading the rows in order costs a few passes over arrays, not one
    alignment each; ``spans.rows(rows)`` aligns just the rows asked for. One object can
    serve a JSON report, ``self_repeats`` and ``document_overlaps``: each row once.

    >>> import dedup
    >>> result = dedup.find_duplicates([("a", "重复的一句话在这里出现。\\n"), ("b", "前言。重复的一句话在这里出现。\\n")])
    >>> spans = PairSpans(result)
    >>> spans(0)
    [Span(a_start=0, a_end=12, b_start=3, b_end=15)]
    """

    def __init__(self, result: Result) -> None:
        self.result = result
        self._done: dict[int, list[Span]] = {}
        self._prepared: OrderedDict[int, Prepared] = OrderedDict()
        self._prepared_chars = 0

    def __call__(self, row: int) -> list[Span]:
        if row not in self._done:
            p = self.result.passages
            rows = self.result.pair_index[row:row + _AHEAD_ROWS]
            sizes = p.end[rows[:, 0]] - p.start[rows[:, 0]] + p.end[rows[:, 1]] - p.start[rows[:, 1]]
            ahead = max(1, int(np.searchsorted(np.cumsum(sizes), _AHEAD_CHARS)))
            self.rows(range(row, row + ahead))
        return self._done[row]

    def rows(self, rows: Iterable[int]) -> dict[int, list[Span]]:
        """The spans of each of *rows*, aligning together those not done yet."""
        rows = list(rows)
        result, p = self.result, self.result.passages
        todo = []
        for row in rows:
            if row in self._done:
                continue
            i, j = (int(x) for x in result.pair_index[row])
            if int(result.kind[row]) == Kind.EXACT:  # equal after normalisation: the whole passages match
                self._done[row] = [Span(int(p.start[i]), int(p.end[i]), int(p.start[j]), int(p.end[j]))]
            else:
                todo.append((row, i, j))
        # In parts of about _AHEAD_CHARS characters, so that the prepared passages of one part are held at a time.
        sizes = np.array([p.end[i] - p.start[i] + p.end[j] - p.start[j] for _, i, j in todo], np.int64)
        cuts = distinct(np.searchsorted(np.cumsum(sizes), np.arange(_AHEAD_CHARS, int(sizes.sum()), _AHEAD_CHARS)))
        for part in np.split(np.arange(len(todo)), cuts + 1):
            batch: dict[int, Prepared] = {}
            chosen = [todo[k] for k in part.tolist()]
            sides = [(self._side(i, batch), self._side(j, batch)) for _, i, j in chosen]
            for (row, i, j), (a, b), blocks in zip(chosen, sides, align_pairs(sides)):
                self._done[row] = to_spans(a, int(p.start[i]), b, int(p.start[j]), blocks)
        return {row: self._done[row] for row in rows}

    def _side(self, i: int, batch: dict[int, Prepared]) -> Prepared:
        """Passage *i* prepared: from this batch, from the kept ones, or now."""
        if i in batch:
            return batch[i]
        prepared = self._prepared.pop(i, None)
        if prepared is None:
            result = self.result
            prepared = prepare(result.normalizer, result.passages.text(i), min_len=result.shingler.n)
        else:
            self._prepared_chars -= len(prepared)
        # The most recently used passages are kept, up to _KEEP_CHARS characters.
        self._prepared[i] = batch[i] = prepared
        self._prepared_chars += len(prepared)
        while self._prepared_chars > _KEEP_CHARS and len(self._prepared) > 1:
            self._prepared_chars -= len(self._prepared.popitem(last=False)[1])
        return prepared


def pair_spans(result: Result, row: int, spans: PairSpans | None = None) -> list[Span]:
    """The aligned spans of pair *row*: whole passages for exact pairs, aligned blocks otherwise.

    Many rows: share one ``PairSpans`` (*spans*), which aligns rows in batches.

    >>> import dedup
    >>> result = dedup.find_duplicates([("a", "重复的一句话在这里出现。\\n"), ("b", "重复的一句话在这里出现。\\n")])
    >>> pair_spans(result, 0)
    [Span(a_start=0, a_end=12, b_start=0, b_end=12)]
    """
    return spans(row) if spans is not None else PairSpans(result).rows([row])[row]


def covered(intervals: Iterable[tuple[int, int]]) -> int:
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


def self_repeats(result: Result, *, spans: PairSpans | None = None,
                 limit: int | None = None) -> dict[str, list[Repeat]]:
    """For each document that repeats itself, its repeats (the later copy of each pair), in order.

    At ``unit="document"`` a document is one passage, with no pair inside it: its repeats are then its
    paragraphs that repeat an earlier one of it exactly, after normalisation (``repeated_paragraphs``).
    With *limit*, only the *limit* documents with the largest ``repeat_share`` (ties: in
    corpus order), found by aligning only the documents whose passages could reach them.
    Documents keep corpus order in the answer.

    >>> from dedup import find_duplicates
    >>> r = find_duplicates([("a", "同一段文字，出现了两次。\\n中间\\n同一段文字，出现了两次。")])
    >>> [(x.start, x.end, x.source_start, x.source_end) for x in self_repeats(r)["a"]]
    [(16, 28, 0, 12)]
    """
    if result.settings.unit == "document":  # no pairs within a document: its repeated paragraphs instead
        repeated = repeated_paragraphs(result)
        position = _document_positions(result)
        by_share = sorted(repeated, key=lambda doc: (-repeat_share(result, repeated[doc]), position[doc]))
        kept = set(by_share if limit is None else by_share[:limit])
        return {doc: repeated[doc] for doc in sorted(kept, key=position.__getitem__)}
    spans = PairSpans(result) if spans is None else spans
    p = result.passages
    same = np.flatnonzero(p.doc_pos[result.pair_index[:, 0]] == p.doc_pos[result.pair_index[:, 1]])
    by_doc: dict[int, list[int]] = {}
    for row in same.tolist():
        by_doc.setdefault(int(p.doc_pos[result.pair_index[row, 0]]), []).append(row)
    found: dict[int, list[Repeat]] = {}
    chars = np.maximum(result.text_chars, 1).tolist()  # as repeat_share divides

    def share(doc: int) -> float:
        found[doc] = repeats_from_spans(result.documents[doc].id, (
            (s.a_start, s.a_end, s.b_start, s.b_end, Kind(int(result.kind[row])).label)
            for row, row_spans in spans.rows(by_doc[doc]).items() for s in row_spans))
        return covered((r.start, r.end) for r in found[doc]) / chars[doc]

    def bound(doc: int) -> float:
        # Every repeat lies inside one of its pair's two passages.
        rows = result.pair_index[by_doc[doc]].ravel()
        return covered(zip(p.start[rows].tolist(), p.end[rows].tolist())) / chars[doc]

    chosen = _best(sorted(by_doc), bound, share, lambda doc: doc, limit,
                   lambda docs: spans.rows(row for doc in docs for row in by_doc[doc]))
    return {result.documents[doc].id: found[doc] for doc in sorted(chosen)}


def repeated_paragraphs(result: Result) -> dict[str, list[Repeat]]:
    """For each document with any, its paragraphs (lines, ``min_chars`` or longer once normalised) whose normal
    form equals an earlier paragraph's of the same document, each with the first such paragraph as its
    source (kind ``exact``): a document pasted twice into itself, a section repeated, found by
    ``exact_groups`` in one pass, whatever the result's unit.

    >>> import dedup
    >>> r = dedup.find_duplicates([("d", "第一段，足够长的文字。\\n第二段，不同的内容。\\n第一段,足够长的文字。\\n")],
    ...                           unit="document")
    >>> repeated_paragraphs(r)
    {'d': [Repeat(doc='d', start=23, end=34, source_start=0, source_end=11, kind='exact')]}
    """
    cached = vars(result).get("_repeated_paragraphs")  # kept on the result, as its cached properties are: the
    if cached is not None:                               # JSON and the text report both ask
        return {doc_id: list(reps) for doc_id, reps in cached.items()}  # copies: a caller may edit its lists
    from ._normalize import normalize_passages
    from ._segment import segment

    settings = result.settings
    paragraphs = segment(result.documents, "paragraph", settings.repair_breaks)
    norms = normalize_passages(settings, paragraphs)
    long_enough = text_lengths(norms) >= settings.min_chars
    group = exact_groups(norms)  # the first paragraph of each text, corpus-wide
    # Equal paragraphs of one document together, in text order: each repeats the first of its run.
    order = np.lexsort((np.arange(len(norms)), group, paragraphs.doc_pos))
    order = order[long_enough[order]]
    doc, text = paragraphs.doc_pos[order], group[order]
    starts = first_of_runs(doc) | first_of_runs(text)
    source = order[np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))] if len(order) else order
    out: dict[str, list[Repeat]] = {}
    repeat = order != source
    for i, j in zip(order[repeat].tolist(), source[repeat].tolist()):
        doc_id = result.documents[int(paragraphs.doc_pos[i])].id
        out.setdefault(doc_id, []).append(Repeat(doc_id, int(paragraphs.start[i]), int(paragraphs.end[i]),
                                                 int(paragraphs.start[j]), int(paragraphs.end[j]), "exact"))
    vars(result)["_repeated_paragraphs"] = {doc_id: tuple(sorted(reps, key=lambda r: r.start))
                                            for doc_id, reps in out.items()}
    return repeated_paragraphs(result)


def repeats_from_spans(doc: str, spans: Iterable[tuple[int, int, int, int, str]]) -> list[Repeat]:
    """The repeats of *doc* from the shared spans ``(a0, a1, b0, b1, kind)`` of its pairs with itself:
    the later side of each span repeats the earlier one; each repeat once, in order.

    >>> repeats_from_spans("d", [(10, 14, 0, 4, "exact"), (0, 4, 10, 14, "exact")])
    [Repeat(doc='d', start=10, end=14, source_start=0, source_end=4, kind='exact')]
    """
    reps = set()
    for a0, a1, b0, b1, kind in spans:
        later, earlier = ((b0, b1), (a0, a1)) if b0 >= a0 else ((a0, a1), (b0, b1))
        reps.add(Repeat(doc, *later, *earlier, kind))
    return sorted(reps, key=lambda r: (r.start, r.end, r.source_start, r.source_end, r.kind))


def repeat_share(result: Result, repeats: list[Repeat]) -> float:
    """Share of a document's characters (those of its passages, ``Result.text_chars``) that repeat earlier
    text of the same document.

    >>> from dedup import find_duplicates
    >>> r = find_duplicates([("a", "同一段文字，出现了两次。\\n同一段文字，出现了两次。")])
    >>> repeat_share(r, self_repeats(r)["a"])
    0.5
    """
    if not repeats:
        return 0.0
    chars = int(result.text_chars[_document_positions(result)[repeats[0].doc]])
    return covered((r.start, r.end) for r in repeats) / max(1, chars)


def _document_positions(result: Result) -> dict[str, int]:
    """Document id -> position (a linear search for each of many documents would make a report
    quadratic), kept on the result itself, as its cached properties are: it goes when the result does."""
    cache = vars(result)
    positions = cache.get("_document_positions")
    if positions is None:
        positions = cache["_document_positions"] = {d.id: k for k, d in enumerate(result.documents)}
    return positions


def document_overlaps(result: Result, *, spans: PairSpans | None = None,
                      limit: int | None = None) -> list[DocumentOverlap]:
    """Every pair of different documents that share passages or spans, most shared first
    (by the larger of the two shares, then by document ids).

    With *limit*, the first *limit* of that list, aligning only the pairs of documents
    whose passages could reach it.

    >>> from dedup import find_duplicates
    >>> r = find_duplicates([("a", "同一段文字，出现了两次。\\n别的内容"), ("b", "同一段文字，出现了两次。")])
    >>> [(o.a, o.b, o.share_a_in_b, o.share_b_in_a) for o in document_overlaps(r)]
    [('a', 'b', 0.75, 1.0)]
    """
    spans = PairSpans(result) if spans is None else spans
    p = result.passages
    doc_a, doc_b = p.doc_pos[result.pair_index[:, 0]], p.doc_pos[result.pair_index[:, 1]]
    by_pair: dict[tuple[int, int], list[int]] = {}
    for row in np.flatnonzero(doc_a != doc_b).tolist():
        by_pair.setdefault((int(doc_a[row]), int(doc_b[row])), []).append(row)
    ids = [d.id for d in result.documents]
    lengths = np.maximum(result.text_chars, 1).tolist()  # shares of the passages' characters
    found: dict[tuple[int, int], tuple[float, float]] = {}

    def shares(key: tuple[int, int], sides: list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]) -> float:
        a_side = [span for a_part, _ in sides for span in a_part]
        b_side = [span for _, b_part in sides for span in b_part]
        found[key] = (covered(a_side) / lengths[key[0]], covered(b_side) / lengths[key[1]])
        return max(found[key])

    def bound(key: tuple[int, int]) -> float:
        # Spans lie inside their passages.
        rows = result.pair_index[by_pair[key]]
        a_side = list(zip(p.start[rows[:, 0]].tolist(), p.end[rows[:, 0]].tolist()))
        b_side = list(zip(p.start[rows[:, 1]].tolist(), p.end[rows[:, 1]].tolist()))
        return max(covered(a_side) / lengths[key[0]], covered(b_side) / lengths[key[1]])

    def share(key: tuple[int, int]) -> float:
        aligned = spans.rows(by_pair[key]).values()
        return shares(key, [([(s.a_start, s.a_end) for s in row], [(s.b_start, s.b_end) for s in row])
                            for row in aligned])

    chosen = _best(list(by_pair), bound, share, lambda key: (ids[key[0]], ids[key[1]]), limit,
                   lambda keys: spans.rows(row for key in keys for row in by_pair[key]))
    out = [DocumentOverlap(ids[a], ids[b], *found[a, b]) for a, b in chosen]
    return sorted(out, key=lambda o: (-max(o.share_a_in_b, o.share_b_in_a), o.a, o.b))


def _best(items: list[T], bound: Callable[[T], float], value: Callable[[T], float], tie: Callable[[T], Any],
          limit: int | None, prefetch: Callable[[list[T]], object]) -> list[T]:
    """The *limit* items of largest *value* (ties: smallest *tie*), or all of them. An item's
    *value* is computed only while its *bound* (never below its value) can still reach the
    first *limit*; *prefetch* gets each wave of such items first, to align them together.

    >>> _best([1, 2, 3, 4], bound=lambda x: 10 - x, value=lambda x: x, tie=lambda x: x, limit=2,
    ...       prefetch=lambda wave: None)
    [4, 3]
    """
    if limit is None or limit >= len(items):
        prefetch(items)
        for item in items:
            value(item)
        return items
    bounds = [bound(item) for item in items]
    order = sorted(range(len(items)), key=lambda k: (-bounds[k], tie(items[k])))
    done: list[tuple[float, Any, int]] = []
    wave = max(limit, 64)
    for start in range(0, len(order), wave):
        if len(done) >= limit:
            done.sort(key=lambda d: (-d[0], d[1]))
            if bounds[order[start]] < done[limit - 1][0]:
                break
        part = [items[k] for k in order[start:start + wave]]
        prefetch(part)
        done += [(value(item), tie(item), k) for item, k in zip(part, order[start:start + wave])]
    done.sort(key=lambda d: (-d[0], d[1]))
    return [items[k] for _, _, k in done[:limit]]
