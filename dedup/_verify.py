"""Exact similarity of candidate pairs from their shingle sets, vectorised over all pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ._arrays import distinct, first_of_runs, gather_ranges, item_owners, weighted_ranges
from ._kernel import extra_runs, overlap_texts
from ._result import Kind
from ._settings import Settings
from ._shingle import ShingleBatch
from ._spans import unaligned_runs

__all__ = ["Overlap", "SetIndex", "Verified", "judge", "longest_extra_run", "needed_shared", "overlap"]

# Pairs are processed in chunks of about this many shingle look-ups, to bound memory.
_CHUNK = 1 << 22
# Sets of about this many shingles share one look-up table (8 slots a shingle: 4 MB).
_SET_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Overlap:
    """Set sizes and intersection of each pair's shingle sets, and the similarities they give."""

    size_a: np.ndarray
    size_b: np.ndarray
    shared: np.ndarray

    @property
    def jaccard(self) -> np.ndarray:
        union = self.size_a + self.size_b - self.shared
        return np.divide(self.shared, union, out=np.zeros(len(union)), where=union > 0)

    def qualifies(self, threshold: float, contained: float) -> tuple[np.ndarray, np.ndarray]:
        """``(near, inside)``: which pairs have a Jaccard of at least *threshold*, and which have one side at
        least *contained* inside the other: the two tests a pair passes to be kept (``needed_shared``
        bounds them from below); a float's rounding is forgiven.

        >>> [a.tolist() for a in Overlap(np.array([4, 10]), np.array([5, 2]), np.array([3, 2])).qualifies(0.5, 0.8)]
        [[True, False], [False, True]]
        """
        union = self.size_a + self.size_b - self.shared
        near = self.shared >= threshold * union - 1e-9
        inside = np.maximum(self.containment_ab, self.containment_ba) >= contained - 1e-9
        return near, inside

    @property
    def containment_ab(self) -> np.ndarray:
        """Share of a's shingles found in b."""
        return np.divide(self.shared, self.size_a, out=np.zeros(len(self.shared)), where=self.size_a > 0)

    @property
    def containment_ba(self) -> np.ndarray:
        """Share of b's shingles found in a."""
        return np.divide(self.shared, self.size_b, out=np.zeros(len(self.shared)), where=self.size_b > 0)


class SetIndex:
    """All texts' distinct shingles in one sorted array of ``(text << hash_bits) | hash`` keys.

    A shingle of text i is looked up in text j by replacing i with j in its key.
    The hash keeps its top ``64 - text_bits`` bits (at least 40 for 16 million texts),
    so two different shingles of one pair coincide with odds below one in 10**8.
    """

    def __init__(self, batch: ShingleBatch) -> None:
        n = len(batch)
        text_bits = max(1, (n - 1).bit_length())
        if text_bits > 24:
            raise ValueError(f"at most 2**24 texts per verification batch, not {n}")
        self.hash_bits = np.uint64(64 - text_bits)
        self.low = np.uint64((1 << (64 - text_bits)) - 1)
        owner = item_owners(batch.counts(), np.uint64)
        self.truncated = batch.hashes >> np.uint64(text_bits)
        keys = np.sort((owner << self.hash_bits) | self.truncated)
        self.keys = keys[first_of_runs(keys)]
        inner = np.searchsorted(self.keys, np.arange(1, n, dtype=np.uint64) << self.hash_bits)
        bounds = np.concatenate(([0], inner, [len(self.keys)])).astype(np.int64)
        self.start = bounds[:-1]
        self.size = np.diff(bounds)

    def contains(self, texts: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """Whether each truncated hash occurs in the given text's set."""
        query = (texts.astype(np.uint64) << self.hash_bits) | (hashes & self.low)
        found = np.searchsorted(self.keys, query)
        found[found == len(self.keys)] = 0
        return self.keys[found] == query


def overlap(batch: ShingleBatch, pairs: np.ndarray) -> Overlap:
    """Exact shingle-set overlap of each pair ``(i, j)`` of texts in *batch*.

    >>> from dedup._shingle import Shingler
    >>> o = overlap(Shingler("char", 2)(["abcd", "abce", "xy"]), np.array([[0, 1], [0, 2]]))
    >>> o.shared.tolist(), o.jaccard.tolist()
    ([2, 0], [0.5, 0.0])
    """
    index = SetIndex(batch)
    a, b = pairs[:, 0], pairs[:, 1]
    size_a, size_b = index.size[a], index.size[b]
    # Look up the smaller set's shingles in the larger set.
    swap = size_a > size_b
    small, large = np.where(swap, b, a), np.where(swap, a, b)
    shared = np.zeros(len(pairs), np.int64)
    for chunk in _chunks(index.size[small]):
        shared[chunk] = _count_shared(index, small[chunk], large[chunk])
    return Overlap(size_a.astype(np.int64), size_b.astype(np.int64), shared)


def _chunks(weights: np.ndarray) -> list[slice]:
    return [slice(start, end) for start, end in weighted_ranges(weights, _CHUNK)]


def _count_shared(index: SetIndex, small: np.ndarray, large: np.ndarray) -> np.ndarray:
    sizes = index.size[small]
    position = gather_ranges(index.start[small], sizes)
    hit = index.contains(np.repeat(large, sizes), index.keys[position])
    return np.bincount(item_owners(sizes), weights=hit, minlength=len(small)).astype(np.int64)


def longest_extra_run(batch: ShingleBatch, pairs: np.ndarray, pad: int = 0) -> np.ndarray:
    """For each pair ``(i, j)``: the longest run of consecutive shingles of i that are not in j.

    A long run is a whole block (a sentence, a paragraph) that i carries and j lacks. A run of
    n-grams covers ``run - (n - 1)`` characters of its own inside a text, but ``run`` at its
    start or end; *pad* (use ``n - 1``) counts a run touching either end that much longer, as
    if the text were padded, so that ``result - (n - 1)`` is the block's length wherever it is.
    Shingles are compared as ``SetIndex`` compares them (by the top ``64 - text_bits`` bits
    of their hashes).

    >>> from dedup._shingle import Shingler
    >>> longest_extra_run(Shingler("char", 1)(["abXYZc", "abc"]), np.array([[0, 1], [1, 0]])).tolist()
    [3, 0]
    >>> longest_extra_run(Shingler("char", 2)(["XYZabc", "abc"]), np.array([[0, 1]]), pad=1).tolist()
    [4]
    """
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    out = np.zeros(len(pairs), np.int64)
    counts = batch.counts()
    if len(pairs) == 0 or counts[pairs[:, 0]].sum() == 0:
        return out
    text_bits = max(1, (len(batch) - 1).bit_length())
    # Pairs are taken by j, in chunks of whole groups: the shingles of each j are gathered once
    # however many pairs it has, and a chunk's table of sets stays small enough for the
    # processor's caches (about _SET_CHUNK shingles, unless one set is larger).
    by_inner = np.argsort(pairs[:, 1], kind="stable")
    group_starts = np.flatnonzero(first_of_runs(pairs[by_inner, 1]))
    set_sizes = counts[pairs[by_inner[group_starts], 1]]
    look_ups = np.add.reduceat(counts[pairs[by_inner, 0]], group_starts)
    before = np.stack([np.cumsum(set_sizes) - set_sizes, np.cumsum(look_ups) - look_ups])
    chunk = before // np.array([[_SET_CHUNK], [_CHUNK]])
    for rows in np.split(by_inner, group_starts[1:][(np.diff(chunk, axis=1) > 0).any(axis=0)]):
        inner, outer = pairs[rows, 1], pairs[rows, 0]
        sets = distinct(inner)
        found = _found(_keys(batch, sets, sets, text_bits), _keys(batch, outer, inner, text_bits))
        out[rows] = _longest_runs(np.flatnonzero(~found), counts[outer], pad)
    return out


def _keys(batch: ShingleBatch, texts: np.ndarray, owners: np.ndarray, text_bits: int) -> np.ndarray:
    """The shingles of *texts*, in order, as ``SetIndex`` keys of *owners*: ``owner << hash_bits | truncated hash``."""
    sizes = batch.counts()[texts]
    hashes = batch.hashes[gather_ranges(batch.offsets[texts], sizes)] >> np.uint64(text_bits)
    return (np.repeat(owners.astype(np.uint64), sizes) << np.uint64(64 - text_bits)) | hashes


def _found(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Whether each query is among *keys*.

    The keys go into a direct-mapped table of eight slots a key, where a later key takes the
    slot of an earlier one; the few keys left without a slot are kept sorted aside. A query is
    found in its slot, or else by a binary search among those few: about one table look-up a
    query, where binary searches in all the keys made most of the time of ``--unit document`` runs.

    >>> _found(np.array([5, 7, 7], np.uint64), np.array([7, 6, 5, 0], np.uint64)).tolist()
    [True, False, True, False]
    """
    bits = max(4, (8 * len(keys)).bit_length())
    # The top bits of a multiplicative hash, so that every bit of a key (text and shingle) counts.
    spread = np.uint64(0x9E3779B97F4A7C15)
    key_slot = ((keys * spread) >> np.uint64(64 - bits)).astype(np.intp)
    table = np.zeros(1 << bits, np.uint64)
    taken = np.zeros(1 << bits, bool)
    table[key_slot] = keys
    taken[key_slot] = True
    homeless = np.sort(keys[table[key_slot] != keys])
    query_slot = ((query * spread) >> np.uint64(64 - bits)).astype(np.intp)
    found = taken[query_slot] & (table[query_slot] == query)
    if len(homeless):
        rest = np.flatnonzero(~found)
        at = np.minimum(np.searchsorted(homeless, query[rest]), len(homeless) - 1)
        found[rest] = homeless[at] == query[rest]
    return found


def _longest_runs(positions: np.ndarray, sizes: np.ndarray, pad: int = 0) -> np.ndarray:
    """The longest run of consecutive *positions* (sorted) in each of the segments of *sizes*
    laid end to end; a run touching either end of its segment counts *pad* more for each.

    >>> _longest_runs(np.array([0, 1, 2, 4, 5, 6, 7, 8]), np.array([5, 4])).tolist()
    [3, 4]
    >>> _longest_runs(np.array([0, 1, 2, 4, 5, 6, 7, 8]), np.array([5, 4]), pad=2).tolist()
    [5, 8]
    """
    out = np.zeros(len(sizes), np.int64)
    if len(positions) == 0:
        return out
    ends = np.cumsum(sizes)
    segment = np.searchsorted(ends, positions, side="right")
    opens = np.ones(len(positions), bool)
    opens[1:] = (np.diff(positions) != 1) | (segment[1:] != segment[:-1])
    first = np.flatnonzero(opens)
    length = np.diff(np.append(first, len(positions)))
    owner = segment[first]
    at_start = positions[first] == ends[owner] - sizes[owner]
    at_end = positions[first + length - 1] == ends[owner] - 1
    np.maximum.at(out, owner, length + pad * (at_start.astype(np.int64) + at_end))
    return out


@dataclass(frozen=True, slots=True)
class Verified:
    """Pairs of passages and how alike they are, as parallel arrays: ``index`` (m, 2) positions,
    ``similarity`` (Jaccard), ``containment`` (m, 2: a in b, b in a) and ``kind`` (``Kind`` codes).

    >>> v = Verified.exact(np.array([[3, 1]])).oriented()
    >>> v.index.tolist(), v.similarity.tolist(), v.kind.tolist()
    ([[1, 3]], [1.0], [0])
    """

    index: np.ndarray
    similarity: np.ndarray
    containment: np.ndarray
    kind: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    @classmethod
    def empty(cls) -> Verified:
        """No pairs."""
        return cls(np.zeros((0, 2), np.int64), np.zeros(0), np.zeros((0, 2)), np.zeros(0, np.int8))

    @classmethod
    def exact(cls, index: np.ndarray) -> Verified:
        """Pairs of equal normalised texts: similarity and containment 1."""
        m = len(index)
        return cls(np.asarray(index, np.int64).reshape(-1, 2), np.ones(m), np.ones((m, 2)),
                   np.full(m, Kind.EXACT, np.int8))

    @classmethod
    def estimated(cls, index: np.ndarray, estimates: np.ndarray) -> Verified:
        """Candidates taken unverified (``verify=False``): near pairs at their MinHash estimates, containment unknown."""
        m = len(estimates)
        return cls(np.asarray(index, np.int64).reshape(-1, 2), np.asarray(estimates, np.float64),
                   np.full((m, 2), np.nan), np.full(m, Kind.NEAR, np.int8))

    @classmethod
    def concat(cls, parts: Sequence[Verified]) -> Verified:
        """All pairs of *parts*, in order."""
        return cls(np.concatenate([p.index for p in parts]).astype(np.int64).reshape(-1, 2),
                   np.concatenate([p.similarity for p in parts]),
                   np.concatenate([p.containment for p in parts]).reshape(-1, 2),
                   np.concatenate([p.kind for p in parts]).astype(np.int8))

    def take(self, rows: Any) -> Verified:
        """The pairs at *rows* (indices or a boolean mask)."""
        rows = np.asarray(rows, dtype=bool if isinstance(rows, np.ndarray) and rows.dtype == bool else np.int64)
        return Verified(self.index[rows].reshape(-1, 2), self.similarity[rows], self.containment[rows].reshape(-1, 2),
                        self.kind[rows])

    def with_index(self, index: np.ndarray) -> Verified:
        """The same measurements for other pairs of passages (members of groups of equal texts)."""
        return Verified(np.asarray(index, np.int64).reshape(-1, 2), self.similarity, self.containment, self.kind)

    def oriented(self) -> Verified:
        """Each pair with its smaller position first (containment swapped with it)."""
        index, containment = self.index.copy(), self.containment.copy()
        swap = index[:, 0] > index[:, 1]
        index[swap] = index[swap][:, ::-1]
        containment[swap] = containment[swap][:, ::-1]
        return Verified(index, self.similarity, containment, self.kind)

    def sorted_by_position(self, n: int) -> Verified:
        """The pairs sorted by position of a, then b (*n*: the number of passages)."""
        return self.take(np.argsort(self.index[:, 0] * n + self.index[:, 1], kind="stable"))


# Characters of the windows that align texts compared by word shingles (``_block_runs``).
_ALIGN_CHARS = 5

# Candidates verified together: enough that the overlap kernel's chunks of texts keep every core busy
# (zh 1M, 1.34M candidates, hand runs: 12.0 s at 50,000 against 18.8 s at 5,000, the same CPU seconds).
CHUNK_PAIRS = 50_000


def judge(settings: Settings, candidates: np.ndarray, norms: Sequence[str], chunk_pairs: int = CHUNK_PAIRS
          ) -> Verified:
    """Verify candidate pairs exactly and keep those that are near or contained, telling one from the other.

    A pair is ``near`` when the Jaccard similarity of its shingle sets reaches the threshold,
    and ``contained`` when one side's shingles lie at least ``contained_ratio`` inside the
    other and the other carries more: below the threshold, or above it with an extra run of
    at least ``extra_block_chars`` characters (a whole sentence or paragraph). The inner side
    must carry nothing of its own but scattered edits: a run of ``own_block_chars`` characters
    or more that the other lacks makes the pair two texts sharing a section (a 5-line document
    whose header a 200-line one repeats), reported as near when it is, and not at all otherwise.

    >>> norms = ["重复的一段话足够长了吧", "重复的一段话足够长了呢", "完全不同的内容在这里"]
    >>> v = judge(Settings(), np.array([[0, 1], [0, 2]]), norms)
    >>> v.index.tolist(), v.kind.tolist()
    ([[0, 1]], [1])
    """
    if len(candidates) == 0:
        return Verified.empty()
    return Verified.concat([_judge_chunk(settings, candidates[start:start + chunk_pairs], norms)
                            for start in range(0, len(candidates), chunk_pairs)])


def needed_shared(threshold: float, contained: float, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Fewer shared shingles than this and a pair of these set sizes passes neither of ``judge``'s tests
    (Jaccard *threshold*; containment *contained* of its smaller side): one less than the exact
    bound, so that rounding never stops a merge that could pass. Keep it beside those tests.

    >>> needed_shared(0.6, 0.8, np.array([10, 4]), np.array([10, 100])).tolist()
    [7, 3]
    """
    near = np.ceil(threshold * (size_a + size_b) / (1 + threshold) - 1e-6)
    inside = np.ceil(contained * np.minimum(size_a, size_b) - 1e-6)
    return np.maximum(np.minimum(near, inside) - 1, 0).astype(np.int64)


def _judge_chunk(settings: Settings, candidates: np.ndarray, norms: Sequence[str]) -> Verified:
    # Shingles are made again for the passages of this chunk: keeping every passage's shingles
    # from signing would cost 8 bytes a character for the whole corpus.
    involved, local = np.unique(candidates, return_inverse=True)
    local = local.reshape(-1, 2)
    texts = [norms[i] for i in involved.tolist()]
    if settings.shingle_kind == "char":
        # Compiled: sorted sets merged, a merge stopped once its pair can be neither near nor contained.
        found = Overlap(*overlap_texts(texts, local, settings.shingle_size,
                                       partial(needed_shared, settings.threshold, settings.contained_ratio)))
    else:
        found = overlap(settings.shingler(texts), local)
    near, inside = found.qualifies(settings.threshold, settings.contained_ratio)
    ok = near | inside
    # The inner side must lie inside the other: a block of its own (its body under a header the
    # other repeats) means the two only share a section, however short the inner side is.
    own = np.zeros(len(local), bool)
    if inside.any():
        rows = np.flatnonzero(inside)
        inner_side = np.argmax(np.stack([found.containment_ab[rows], found.containment_ba[rows]], axis=1), axis=1)
        inner_first = np.stack([local[rows, inner_side], local[rows, 1 - inner_side]], axis=1)
        run = _extra_runs(settings, texts, inner_first, pad=settings.shingle_size - 1) - (settings.shingle_size - 1)
        sizes = np.stack([found.size_a[rows], found.size_b[rows]], axis=1)[np.arange(len(rows)), inner_side]
        run = _block_runs(settings, texts, inner_first, run, sizes - found.shared[rows], settings.own_block_chars)
        own[rows] = run >= settings.own_block_chars
        ok = near | (inside & ~own)
    local, jaccard, near, inside, own = local[ok], found.jaccard[ok], near[ok], inside[ok], own[ok]
    containment = np.stack([found.containment_ab[ok], found.containment_ba[ok]], axis=1)
    sizes = np.stack([found.size_a[ok], found.size_b[ok]], axis=1)
    shared = found.shared[ok]
    kinds = np.where(near, Kind.NEAR, Kind.CONTAINED).astype(np.int8)
    # A near pair whose one side mostly lies inside the other: is the other side's extra a whole block?
    inner = np.argmax(containment, axis=1)
    maybe = near & ~own & inside
    if maybe.any():
        rows = np.flatnonzero(maybe)
        outer_first = np.stack([local[rows, 1 - inner[rows]], local[rows, inner[rows]]], axis=1)
        # Padded as the inner side's run is: a block at either end counts all its characters (unpadded, an
        # extra sentence of 40 at the end counted 36).
        extra = _extra_runs(settings, texts, outer_first, pad=settings.shingle_size - 1) - (settings.shingle_size - 1)
        extra = _block_runs(settings, texts, outer_first, extra, sizes[rows, 1 - inner[rows]] - shared[rows],
                            settings.extra_block_chars)
        kinds[rows[extra >= settings.extra_block_chars]] = Kind.CONTAINED
    return Verified(candidates[ok], jaccard, containment, kinds)


def _block_runs(settings: Settings, texts: Sequence[str], pairs: np.ndarray, runs: np.ndarray, lacked: np.ndarray,
                bar: int) -> np.ndarray:
    """*runs* (``_extra_runs`` of *pairs*, in characters) where they reach *bar*; below it, where a run is
    at least half of *bar* or the first side has four times *bar* shingles the second lacks (*lacked*), the
    longer of the run and the longest stretch of the first side aligned with nothing of the second
    (``unaligned_runs``).

    An n-gram the other text holds by chance cuts a run: in a long text most n-grams recur, so the last
    30% of a 20,000-character speech, which its excerpt lacks, held no run of missing n-grams past 26
    characters (the speech counted as a near copy of its excerpt, and was removed); a 54-character
    sentence of Chinese was cut at 。这本书是 (held by the other in 。这本书是个). Aligning every pair
    below the bar would cost verification twice its time at zh 100k (5,600 pairs); these gates keep 650
    of them and every block they found there."""
    again = np.flatnonzero((runs < bar) & ((runs >= bar // 2) | (lacked >= 4 * bar)))
    if len(again) == 0:
        return runs
    min_len = settings.shingle_size if settings.shingle_kind == "char" else _ALIGN_CHARS
    aligned = unaligned_runs([(texts[i], texts[j]) for i, j in pairs[again].tolist()], min_len, min(10, bar - 1))
    runs = runs.copy()
    runs[again] = np.maximum(runs[again], aligned)
    return runs


def _extra_runs(settings: Settings, texts: Sequence[str], pairs: np.ndarray, pad: int = 0) -> np.ndarray:
    """``longest_extra_run`` of *pairs* (positions into *texts*), shingling only the texts they name:
    compiled for character shingles (``_kernel.extra_runs``, 2.5 s of the numpy stages' at zh 1M)."""
    if settings.shingle_kind == "char":
        return extra_runs(texts, pairs, settings.shingle_size, pad)
    named, local = np.unique(pairs, return_inverse=True)
    return longest_extra_run(settings.shingler([texts[i] for i in named.tolist()]), local.reshape(-1, 2), pad)
