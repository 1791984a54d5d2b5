"""Where two passages share text: aligned spans in original offsets.

Alignment works from shared shingles, in time about linear in the texts' lengths: every
*min_len*-character window of each normalised text is hashed and the hashes sorted, once
per passage (``prepare``); windows of a whose hash occurs in b give matches (i, j);
matches on one diagonal (``j - i``) whose windows touch form runs; runs are checked
character by character (a hash collision never makes a span), grown along their diagonal
as far as the characters agree, and then chosen and merged. Blocks are found wherever they
are, so a block moved from the start of a text to its end is a span of its own. Many pairs
are aligned together, in passes over arrays (``align_pairs``), so short passages cost
little each.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._arrays import first_of_runs, gather_ranges, item_owners
from ._hash import mix64, rolling
from ._normalize import Normalizer

__all__ = ["Prepared", "Span", "align", "align_pairs", "aligned_spans", "prepare", "prepare_normal", "to_spans",
           "unaligned_runs"]

# Pairs are aligned together up to about this many characters (the arrays of one pass).
_BATCH_CHARS = 1 << 21
# Between the texts of a batch: code points that are not characters, a different one on each
# side, so that no match, growth or merge crosses from one pair into the next.
_PAD_A, _PAD_B = np.uint32(0xFFFFFFFF), np.uint32(0xFFFFFFFE)


@dataclass(frozen=True, slots=True)
class Span:
    """Text shared by two passages: ``a_text[a_start:a_end]`` matches ``b_text[b_start:b_end]`` (document offsets)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True, slots=True)
class Prepared:
    """One passage made ready for alignment, once for all its pairs: its normalised code points,
    the offset in the input of each, and the starts of its *min_len*-character windows sorted
    by hash, equal hashes by position (``order``), with those hashes (``sorted_hashes``)."""

    codes: np.ndarray
    offsets: np.ndarray
    order: np.ndarray
    sorted_hashes: np.ndarray
    min_len: int

    def __len__(self) -> int:
        return len(self.codes)


def prepare(normalizer: Normalizer, text: str, min_len: int = 5) -> Prepared:
    """Normalise *text* and hash and sort its *min_len*-character windows.

    >>> p = prepare(Normalizer(), "Ａ b a b", min_len=2)
    >>> len(p), p.offsets.tolist(), len(p.order)
    (4, [0, 2, 4, 6], 3)
    """
    norm, offsets = normalizer.with_offsets(text)
    return _prepared(norm, np.asarray(offsets, np.int64), min_len)


def prepare_normal(norm: str, min_len: int = 5) -> Prepared:
    """``prepare`` for a text already normalised: its offsets are its own positions.

    >>> prepare_normal("abab", min_len=2).offsets.tolist()
    [0, 1, 2, 3]
    """
    return _prepared(norm, np.arange(len(norm), dtype=np.int64), min_len)


def _prepared(norm: str, offsets: np.ndarray, min_len: int) -> Prepared:
    if min_len < 1:
        raise ValueError(f"min_len must be at least 1, not {min_len}")
    codes = np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), np.uint32)
    # Code points are mixed before the polynomial combination: nearby CJK code points differ
    # by small numbers, which a short polynomial hash could cancel.
    hashes = rolling(mix64(codes.astype(np.uint64) + np.uint64(1)), min_len)
    order = _stable_order(hashes)
    return Prepared(codes, offsets, order, hashes[order], min_len)


def unaligned_runs(pairs: Sequence[tuple[str, str]], min_len: int = 5, max_gap: int = 10) -> np.ndarray:
    """For each pair of normalised texts ``(a, b)``: the longest stretch of a's characters that no block
    aligned with b covers (``align_pairs``: blocks in the order of both texts, and moved ones from
    ``max(20, 4 * min_len)`` characters; a common phrase met elsewhere in b covers nothing; blocks
    *max_gap* apart or less are one, so a shorter stretch between them is covered).

    Where a carries a whole block that b lacks, the stretch is that block, however many of its
    n-grams b holds elsewhere: in 20,000 characters of English almost every 5-gram recurs, so the
    longest run of a's n-grams missing from b's set (``_verify.longest_extra_run``) stays short.

    A text shorter than *min_len* aligns nowhere: all of it is one stretch.

    >>> pairs = [("abcdefghij" + "XYZXYZ" + "klmnopqrst", "abcdefghijklmnopqrst"), ("XXabc", "abc"), ("ab", "ab")]
    >>> unaligned_runs(pairs, 3).tolist(), unaligned_runs(pairs, 3, max_gap=5).tolist()
    ([0, 2, 2], [6, 2, 2])
    """
    out = np.zeros(len(pairs), np.int64)
    prepared = [(prepare_normal(a, min_len), prepare_normal(b, min_len)) for a, b in pairs]
    for r, ((a, _), blocks) in enumerate(zip(prepared, align_pairs(prepared, max_gap))):
        covered = np.zeros(len(a) + 2, np.int64)  # +1 where a block starts, -1 where it ends
        np.add.at(covered, blocks[:, 0] + 1, 1)
        np.add.at(covered, blocks[:, 1] + 1, -1)
        bare = np.flatnonzero(np.cumsum(covered)[1:len(a) + 1] == 0)
        if len(bare):
            breaks = np.flatnonzero(np.diff(bare) != 1)
            starts = np.r_[0, breaks + 1]
            ends = np.r_[breaks, len(bare) - 1]
            out[r] = int((ends - starts + 1).max())
    return out


def aligned_spans(normalizer: Normalizer, a_text: str, a_offset: int, b_text: str, b_offset: int,
                  min_len: int = 5, max_gap: int = 10, min_moved: int | None = None) -> list[Span]:
    """Blocks of at least *min_len* normalised characters that both texts share, sorted by a.

    Blocks in the order of both texts are kept at any length, blocks out of that order
    (moved, or repeated) from *min_moved* characters on; blocks separated by at most
    *max_gap* characters on both sides, in the same order (a small edit), are merged.
    Offsets are mapped back to the original texts and shifted by *a_offset* / *b_offset*
    (the passages' document offsets). See ``align_pairs`` for the rules.

    >>> aligned_spans(Normalizer(), "前言。重复的一句话在这里。", 0, "重复的一句话在这里。后记", 100)
    [Span(a_start=3, a_end=13, b_start=100, b_end=110)]
    >>> moved = "第一块文字在此处。第二块文字在那里。", 0, "第二块文字在那里。第一块文字在此处。", 0
    >>> aligned_spans(Normalizer(), *moved)  # the out-of-order block has 9 characters, fewer than 20
    [Span(a_start=0, a_end=9, b_start=9, b_end=18)]
    >>> aligned_spans(Normalizer(), *moved, min_moved=9)
    [Span(a_start=0, a_end=9, b_start=9, b_end=18), Span(a_start=9, a_end=18, b_start=0, b_end=9)]
    """
    a, b = prepare(normalizer, a_text, min_len), prepare(normalizer, b_text, min_len)
    return to_spans(a, a_offset, b, b_offset, align(a, b, max_gap, min_moved))


def to_spans(a: Prepared, a_offset: int, b: Prepared, b_offset: int, blocks: np.ndarray) -> list[Span]:
    """Blocks ``(a0, a1, b0, b1)`` of normalised positions as spans of the original texts, shifted by the offsets.

    >>> p = prepare(Normalizer(), "x ab", min_len=2)
    >>> to_spans(p, 10, p, 0, np.array([[1, 3, 1, 3]]))
    [Span(a_start=12, a_end=14, b_start=2, b_end=4)]
    """
    if len(blocks) == 0:
        return []
    a_start = a_offset + a.offsets[blocks[:, 0]]
    a_end = a_offset + a.offsets[blocks[:, 1] - 1] + 1
    b_start = b_offset + b.offsets[blocks[:, 2]]
    b_end = b_offset + b.offsets[blocks[:, 3] - 1] + 1
    return [Span(*row) for row in np.stack([a_start, a_end, b_start, b_end], axis=1).tolist()]


def align(a: Prepared, b: Prepared, max_gap: int = 10, min_moved: int | None = None) -> np.ndarray:
    """Shared blocks of two prepared texts as rows ``(a0, a1, b0, b1)`` of normalised positions, sorted.

    >>> n = Normalizer()
    >>> a, b = prepare(n, "abcdefXXXXXXabcdef", 3), prepare(n, "abcdef", 3)
    >>> align(a, b).tolist(), align(a, b, min_moved=6).tolist()
    ([[0, 6, 0, 6]], [[0, 6, 0, 6], [12, 18, 0, 6]])
    """
    return align_pairs([(a, b)], max_gap, min_moved)[0]


def align_pairs(pairs: Sequence[tuple[Prepared, Prepared]], max_gap: int = 10,
                min_moved: int | None = None) -> list[np.ndarray]:
    """``align(a, b, max_gap, min_moved)`` for each pair, computed together in passes over arrays.

    All shared blocks first: when a window repeats, its occurrences in a and in b are
    paired in turn, the r-th of the more frequent side with the ``(r mod fewer)``-th of the
    other, so every occurrence on either side has a partner, copies line up one to one
    (the 2nd copy of a paragraph with the 2nd copy), and a periodic stretch (``-----``, a
    text pasted five times) gives a few diagonals, not one per occurrence; there are at
    most as many matches as windows in a and b together. Runs are grown along their
    diagonal while the characters agree, so a pairing that missed a diagonal costs
    nothing; a block is dropped when both its sides lie inside better blocks (longer,
    then earlier). So far, the a positions covered are exactly those inside some window
    that occurs in b, and the same holds for b: the answer for ``min_moved=min_len, max_gap=0``.

    Then what is worth showing: a short block out of place is mostly a common phrase
    (``ofthe``, ``工业和信息化``) met again elsewhere. Blocks are taken longest first into
    a chain in the order of both texts (as ``difflib`` would find them); those that do
    not fit it stay only from *min_moved* characters on (default ``max(20, 4 * min_len)``),
    as moved or repeated text. Last, blocks *max_gap* apart or less are merged.

    >>> n = Normalizer()
    >>> [blocks.tolist() for blocks in align_pairs([(prepare(n, "abcd", 2), prepare(n, "xxabcd", 2)),
    ...                                             (prepare(n, "ab", 2), prepare(n, "cd", 2))])]
    [[[0, 4, 2, 6]], []]
    """
    out: list[np.ndarray] = []
    start = 0
    while start < len(pairs):
        end, size = start, 0
        while end < len(pairs) and (size < _BATCH_CHARS or end == start):
            size += len(pairs[end][0]) + len(pairs[end][1])
            end += 1
        out += _align_batch(pairs[start:end], max_gap, min_moved)
        start = end
    return out


def _align_batch(pairs: Sequence[tuple[Prepared, Prepared]], max_gap: int,
                 min_moved: int | None) -> list[np.ndarray]:
    k = pairs[0][0].min_len if pairs else 1
    if any(a.min_len != k or b.min_len != k for a, b in pairs):
        raise ValueError("all texts must be prepared with the same min_len")
    min_moved = max(20, 4 * k) if min_moved is None else min_moved
    # The texts of all pairs laid end to end on each side, with a gap wider than k and max_gap
    # between them: every step below then works on one long pair of texts.
    gap = max(k, max_gap) + 1
    a, a_lo = _laid_out([p[0] for p in pairs], gap, _PAD_A)
    b, b_lo = _laid_out([p[1] for p in pairs], gap, _PAD_B)
    i, j = _matches(pairs, a_lo, b_lo)
    blocks = np.zeros((0, 4), np.int64)
    if len(i):
        start, end, diagonal = _verified(a, b, *_runs(i, j, k), k)
        if len(start):
            start, end, diagonal = _chosen(*_extended(a, b, start, end, diagonal), len(a), len(b))
            blocks = np.stack([start, end, start + diagonal, end + diagonal], axis=1)
            if min_moved > k:
                blocks = blocks[_in_order(blocks, k) | (end - start >= min_moved)]
            blocks = _sorted(blocks)
            if max_gap > 0:
                blocks = _merged(blocks, max_gap, k)
    owner = np.searchsorted(a_lo, blocks[:, 0], side="right") - 1
    blocks = blocks - np.stack([a_lo[owner], a_lo[owner], b_lo[owner], b_lo[owner]], axis=1)
    bounds = np.searchsorted(owner, np.arange(len(pairs) + 1))
    return [blocks[s:e] for s, e in zip(bounds[:-1].tolist(), bounds[1:].tolist())]


def _laid_out(texts: list[Prepared], gap: int, pad: np.uint32) -> tuple[np.ndarray, np.ndarray]:
    """The code points of *texts* end to end, *gap* pads after each, and where each text starts."""
    sizes = np.array([len(t) for t in texts], np.int64) + gap
    starts = np.cumsum(sizes) - sizes
    out = np.full(int(sizes.sum()), pad, np.uint32)
    out[gather_ranges(starts, sizes - gap)] = np.concatenate([t.codes for t in texts]) if texts else []
    return out, starts


def _sorted(blocks: np.ndarray) -> np.ndarray:
    return blocks[np.lexsort((blocks[:, 3], blocks[:, 2], blocks[:, 1], blocks[:, 0]))]


def _matches(pairs: Sequence[tuple[Prepared, Prepared]], a_lo: np.ndarray,
             b_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Window starts (i in a, j in b, laid out from *a_lo* and *b_lo*) with equal hashes in the
    same pair, occurrences paired in turn (see ``align_pairs``), in order of i (then j)."""
    a_counts = np.array([len(a.order) for a, _ in pairs], np.int64)
    b_counts = np.array([len(b.order) for _, b in pairs], np.int64)
    a_starts, b_starts = np.cumsum(a_counts) - a_counts, np.cumsum(b_counts) - b_counts
    # Windows numbered across the batch; each text's are sorted by hash already.
    none = [np.zeros(0, np.int64)]
    a_order = np.concatenate([a.order for a, _ in pairs] + none) + np.repeat(a_starts, a_counts)
    b_order = np.concatenate([b.order for _, b in pairs] + none) + np.repeat(b_starts, b_counts)
    a_windows, b_windows = gather_ranges(a_lo, a_counts), gather_ranges(b_lo, b_counts)
    first = np.ones(len(a_order), bool)
    for a_start, (a, _) in zip(a_starts.tolist(), pairs):
        # Groups of equal hashes, which never cross from one pair into the next.
        first[a_start + 1:a_start + len(a.order)] = a.sorted_hashes[1:] != a.sorted_hashes[:-1]
    group_first = np.flatnonzero(first)
    a_count = np.diff(np.append(group_first, len(first)))
    # Where each group's hash lies among the sorted hashes of its pair's b: one search a pair.
    b_first = np.zeros(len(group_first), np.int64)
    b_count = np.zeros(len(group_first), np.int64)
    bounds = np.searchsorted(group_first, np.append(a_starts, len(first))).tolist()
    for p, (a, b) in enumerate(pairs):
        at = slice(bounds[p], bounds[p + 1])
        values = a.sorted_hashes[group_first[at] - a_starts[p]]
        lo = np.searchsorted(b.sorted_hashes, values, side="left")
        b_count[at] = np.searchsorted(b.sorted_hashes, values, side="right") - lo
        b_first[at] = lo + b_starts[p]
    # Each window of a, in its own order: its group of equal hashes and its rank among them.
    group = np.empty(len(a_order), np.int64)
    group[a_order] = np.cumsum(first) - 1
    rank = np.empty(len(a_order), np.int64)
    rank[a_order] = np.arange(len(a_order)) - group_first[group[a_order]]
    ca, cb = a_count[group], b_count[group]
    # The r-th of ca occurrences in a meets the (r mod cb)-th in b when ca >= cb, and the r-th,
    # (r + ca)-th, ... when cb is larger.
    partners = np.where(cb == 0, 0, np.where(ca >= cb, 1, (cb - rank + ca - 1) // np.maximum(ca, 1)))
    window = item_owners(partners)
    turn = gather_ranges(np.zeros(len(partners), np.int64), partners)
    b_rank = np.where(ca[window] >= cb[window], rank[window] % np.maximum(cb[window], 1),
                      rank[window] + turn * ca[window])
    return a_windows[window], b_windows[b_order[b_first[group[window]] + b_rank]]


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")``, at the cost of sorting values: each key's low bits are
    replaced by its position and the packed values sorted; the few keys equal in their high
    bits but not in full are then put in order one group at a time.

    >>> _stable_order(np.array([5, 3, 5, 1, 4], np.uint64)).tolist()
    [3, 1, 4, 0, 2]
    """
    shift = np.uint64(max(1, (len(keys) - 1).bit_length()))
    packed = np.sort((keys >> shift << shift) | np.arange(len(keys), dtype=np.uint64))
    order = (packed & ((np.uint64(1) << shift) - np.uint64(1))).astype(np.int64)
    values = keys[order]
    wrong = np.flatnonzero(values[1:] < values[:-1])
    if len(wrong):
        group = np.cumsum(first_of_runs(packed >> shift)) - 1
        mixed = np.flatnonzero(np.isin(group, group[wrong]))
        order[mixed] = order[mixed[np.lexsort((order[mixed], values[mixed], group[mixed]))]]
    return order


def _runs(i: np.ndarray, j: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Character ranges ``[start, end)`` of a covered by matches on one diagonal whose windows touch
    (matches in order of i: a stable sort by diagonal keeps that order, and finds long runs of
    one diagonal already in order)."""
    diagonal = j - i
    by_diagonal = np.argsort(diagonal, kind="stable")
    i, diagonal = i[by_diagonal], diagonal[by_diagonal]
    new = np.ones(len(i), bool)
    new[1:] = (diagonal[1:] != diagonal[:-1]) | (i[1:] - i[:-1] > k)
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(i)) - 1
    return i[first], i[last] + k, diagonal[first]


def _verified(a: np.ndarray, b: np.ndarray, start: np.ndarray, end: np.ndarray, diagonal: np.ndarray,
              k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stretches of at least *k* equal characters inside each run (all of it, unless hashes collided)."""
    size = end - start
    position = gather_ranges(start, size)
    equal = a[position] == b[position + np.repeat(diagonal, size)]
    run_start = np.zeros(len(position), bool)
    run_start[np.cumsum(size) - size] = True
    # A stretch of equal characters opens at a run's start or after a difference, and closes before one.
    opens = equal & (run_start | ~np.concatenate(([False], equal[:-1])))
    closes = equal & (np.append(run_start[1:], True) | ~np.append(equal[1:], False))
    first, last = np.flatnonzero(opens), np.flatnonzero(closes)
    keep = last - first + 1 >= k
    first, last = first[keep], last[keep]
    owner = np.searchsorted(np.cumsum(size), first, side="right")
    return position[first], position[last] + 1, diagonal[owner]


def _extended(a: np.ndarray, b: np.ndarray, start: np.ndarray, end: np.ndarray,
              diagonal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each stretch grown along its diagonal while the characters agree; stretches that meet are joined."""
    order = np.lexsort((start, diagonal))
    start, end, diagonal = start[order], end[order], diagonal[order]
    same = np.zeros(len(start), bool)
    same[1:] = diagonal[1:] == diagonal[:-1]
    # Growth stops at the neighbouring stretch on the same diagonal (the two are then joined),
    # so no stretch walks over another, and at the ends of both texts.
    left_limit = np.maximum(0, -diagonal)
    left_limit[1:] = np.where(same[1:], end[:-1], left_limit[1:])
    right_limit = np.minimum(len(a), len(b) - diagonal)
    right_limit[:-1] = np.where(same[1:], start[1:], right_limit[:-1])
    start = start - _agreeing(a, b, start - 1, diagonal, start - left_limit, -1)
    end = end + _agreeing(a, b, end, diagonal, right_limit - end, 1)
    join = np.zeros(len(start), bool)
    join[1:] = same[1:] & (start[1:] <= end[:-1])
    first = np.flatnonzero(~join)
    last = np.append(first[1:], len(start)) - 1
    return start[first], end[last], diagonal[first]


def _agreeing(a: np.ndarray, b: np.ndarray, origin: np.ndarray, diagonal: np.ndarray, room: np.ndarray,
              step: int) -> np.ndarray:
    """How many characters agree walking by *step* from *origin* in a (``origin + diagonal`` in b),
    at most *room*; compared in blocks that double, so a long walk takes few passes."""
    done = np.zeros(len(origin), np.int64)
    active = np.flatnonzero(room > 0)
    block = 4  # most walks stop at once; long ones double their block each pass
    while len(active):
        size = np.minimum(room[active] - done[active], block)
        offset = gather_ranges(np.zeros(len(active), np.int64), size)
        position = np.repeat(origin[active] + step * done[active], size) + step * offset
        differs = a[position] != b[position + np.repeat(diagonal[active], size)]
        # The first difference in each block, or the block's size when there is none.
        first = np.minimum.reduceat(np.where(differs, offset, np.repeat(size, size)), np.cumsum(size) - size)
        done[active] += first
        active = active[(first == size) & (done[active] < room[active])]
        block *= 2
    return done


def _chosen(start: np.ndarray, end: np.ndarray, diagonal: np.ndarray, a_len: int,
            b_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop the blocks whose a side and b side both lie inside better blocks (longer; then earlier
    in a; then on the lower diagonal): the positions covered in either text stay the same."""
    rank = np.empty(len(start), np.int64)
    rank[np.lexsort((diagonal, start, start - end))] = np.arange(len(start))
    inside_a = _inside_better(start, end, rank, a_len)
    inside_b = _inside_better(start + diagonal, end + diagonal, rank, b_len)
    keep = ~(inside_a & inside_b)
    return start[keep], end[keep], diagonal[keep]


def _inside_better(start: np.ndarray, end: np.ndarray, rank: np.ndarray, length: int) -> np.ndarray:
    """Whether every position of each block is also covered by a block of better (lower) rank."""
    size = end - start
    position = gather_ranges(start, size)
    best = np.full(length, len(rank), np.int64)
    np.minimum.at(best, position, np.repeat(rank, size))
    # The best rank at each position is at most the block's own; equal somewhere means it is needed there.
    return np.maximum.reduceat(best[position], np.cumsum(size) - size) < rank


def _in_order(blocks: np.ndarray, k: int) -> np.ndarray:
    """Whether each block joins the chain, built longest first (then earliest), of blocks that
    follow each other in both texts: each starts and ends after the one before, overlapping
    it by fewer than *k* characters (growth can push a block's edge under its neighbour)."""
    rank = np.lexsort((blocks[:, 2], blocks[:, 0], blocks[:, 0] - blocks[:, 1]))
    starts: list[int] = []  # a starts of the chain, sorted; the chain is in order in b too
    chain: list[list[int]] = []
    out = np.zeros(len(blocks), bool)
    for row, block in zip(rank.tolist(), blocks[rank].tolist()):
        at = bisect.bisect_left(starts, block[0])
        if (at and not _follows(block, chain[at - 1], k)) or (at < len(chain) and not _follows(chain[at], block, k)):
            continue
        starts.insert(at, block[0])
        chain.insert(at, block)
        out[row] = True
    return out


def _follows(later: list[int], earlier: list[int], k: int, max_gap: int | None = None) -> bool:
    """Whether block *later* comes after *earlier* in both texts, overlapping it by fewer than *k*
    characters on each side (and, given *max_gap*, starting at most that far after its end).

    >>> _follows([5, 9, 5, 9], [0, 6, 0, 6], k=2), _follows([5, 9, 5, 9], [0, 7, 0, 7], k=2)
    (True, False)
    """
    a0, a1, b0, b1 = later
    e0, e1, f0, f1 = earlier
    in_order = a0 > e0 and a1 > e1 and b0 > f0 and b1 > f1 and a0 - e1 > -k and b0 - f1 > -k
    return in_order and (max_gap is None or (a0 - e1 <= max_gap and b0 - f1 <= max_gap))


def _merged(blocks: np.ndarray, max_gap: int, k: int) -> np.ndarray:
    """Blocks joined across gaps of at most *max_gap* characters on both sides, in the same order
    (with the overlap ``_follows`` allows)."""
    out: list[list[int]] = []
    reach: list[int] = []  # rows of out whose a end is still within max_gap of the blocks to come
    for block in blocks.tolist():
        reach = [r for r in reach if block[0] - out[r][1] <= max_gap]
        fits = [r for r in reach if _follows(block, out[r], k, max_gap)]
        if fits:
            # Of several blocks this one could continue, the one it follows most closely in b, then the longest.
            r = min(fits, key=lambda r: (abs(block[2] - out[r][3]), out[r][0] - out[r][1], r))
            out[r][1], out[r][3] = block[1], block[3]
        else:
            reach.append(len(out))
            out.append(block)
    return _sorted(np.array(out, np.int64).reshape(-1, 4))
