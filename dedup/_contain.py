"""Candidates for containment: texts whose shingles lie mostly inside another, longer text.

Two searches live here. ``contained_candidates`` (the one to use) works on what
``_kernel.sign_texts`` leaves: every text keeps a coordinated sample of its shingles, about
the same number whatever its size, and the MinHash signature. A pair sharing sampled
shingles is tested at the larger text's sampling rate (Broder's containment estimate from
coordinated samples, sized by the texts as LSH Ensemble partitions by size), then by its
signatures' Jaccard estimate against the least Jaccard that containment allows at the
pair's sizes. Its work is bounded by the samples: no inverted index of every shingle.

``candidates_from_samples`` (and ``sample_batch``, ``containment_candidates``) is the earlier
search: each text's 16 smallest shingle hashes queried against an index of every shingle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, no_type_check

import numpy as np

from . import _kernel
from ._arrays import decode_pairs, distinct, first_of_runs, gather_ranges
from ._shingle import ShingleBatch

if TYPE_CHECKING:
    from ._settings import Settings

__all__ = ["Sample", "candidates_from_samples", "contained_candidates", "containment_candidates", "required_hits",
           "sample_batch", "sample_texts", "with_contained"]

# Sampled shingles held by more texts than this are common phrases: they are not used (nor counted).
MAX_POSTING = 32
# A pair exactly at the containment level fails the sample test this often (at most).
MISS = 0.002
# Standard errors below the least Jaccard that containment allows that a signature estimate may fall:
# a pair exactly at the containment level falls further about one time in 700 (on zh:100000, 3 keeps
# every contained pair that 4 keeps, with 40% fewer candidates; benchmarks/ENGINE.md).
MARGIN = 3.0

SAMPLE = 16


class Sample(NamedTuple):
    """One batch's part of the containment index: its texts' distinct shingles and query shingles."""

    size: int
    hashes: np.ndarray
    owner: np.ndarray
    queries: np.ndarray
    askers: np.ndarray


def sample_batch(batch: ShingleBatch, first: int, sample: int = SAMPLE) -> Sample:
    """The index part of *batch*, whose texts are numbered from *first*: every distinct shingle,
    and each text's *sample* smallest shingle hashes as its queries.

    >>> from dedup._shingle import Shingler
    >>> part = sample_batch(Shingler("char", 3)(["abcd", "xy"]), first=10, sample=1)
    >>> part.size, part.owner.tolist(), part.askers.tolist()
    (2, [10, 10, 11], [10, 11])
    """
    n = len(batch)
    # Distinct shingles of each text, smallest hash first: one sort of (text, hash) keys,
    # the hash cut to the bits left beside the text number.
    local_bits = np.uint64(max(1, (n - 1).bit_length()))
    keys = np.sort((np.repeat(np.arange(n, dtype=np.uint64), batch.counts()) << (np.uint64(64) - local_bits))
                   | (batch.hashes >> local_bits))
    keys = keys[first_of_runs(keys)]
    owner = (keys >> (np.uint64(64) - local_bits)).astype(np.int64) + first
    hashes = keys << local_bits
    sizes = np.bincount(owner - first, minlength=n)
    take = gather_ranges(np.cumsum(sizes) - sizes, np.minimum(sizes, sample))
    return Sample(n, hashes, owner, hashes[take], owner[take])


def sample_texts(texts: Sequence[str], shingle_size: int, sample: int = SAMPLE) -> Sample:
    """``sample_batch`` of all *texts* (character n-grams) at once, its index cut to the hashes that some
    text queries: ``candidates_from_samples`` finds the same pairs in it, since the posting list of every
    queried hash is whole, and sorts a few entries a text instead of every shingle of the corpus.
    Compiled kernels; ``sample_batch`` on each batch where numba is missing or the input is small.

    >>> part = sample_texts(["abcd", "xy", "zabc"], 3, sample=1)
    >>> part.size, len(part.queries), bool(set(part.hashes.tolist()) <= set(part.queries.tolist()))
    (3, 3, True)
    """
    if not _kernel.use_kernels(sum(map(len, texts))):
        from ._shingle import Shingler

        return sample_batch(Shingler("char", shingle_size)(texts), 0, sample)
    # Pass 1: each text's *sample* smallest hashes are its queries.
    query, counts = _kernel.smallest_hashes(texts, shingle_size, sample)
    asker = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    # Pass 2: the shingles of every text that some text queries are the index (made again, not kept
    # from pass 1: that would be 8 bytes a character of the corpus).
    held, owner = _kernel.held_hashes(texts, shingle_size, distinct(query))
    return Sample(len(texts), held, owner, query, asker)


def candidates_from_samples(samples: Sequence[Sample], contained: float = 0.8, max_posting: int = 32) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, where one text may hold at least *contained* of the other's shingles.

    Each text queries its sampled shingles (the smallest hashes: a random sample, the
    same whichever text it sits in) against an inverted index of every shingle of
    every text. If x is contained in y at level c, each sampled shingle of x is in y
    with chance >= c, so y must answer at least ``(c - 0.25) * k`` of x's k queries.
    Shingles held by more than *max_posting* texts (boilerplate phrases) are not
    queried: they say little and would cost a quadratic number of pairs. The
    candidates still have to be verified.
    """
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    total = sum(s.size for s in samples)
    if total == 0:
        return np.zeros((0, 2), np.int64)
    owner_bits = max(1, (total - 1).bit_length())
    shift, owner_mask = np.uint64(owner_bits), np.uint64((1 << owner_bits) - 1)
    # One sorted array of (hash, text) keys: a shingle's texts are a contiguous run.
    index = np.sort(np.concatenate([(s.hashes >> shift << shift) | s.owner.astype(np.uint64) for s in samples]))
    queries = np.concatenate([s.queries for s in samples]) >> shift << shift
    askers = np.concatenate([s.askers for s in samples])
    # Sorted queries make the binary searches walk the index in one direction (far fewer cache misses).
    by_query = np.argsort(queries)
    queries, askers = queries[by_query], askers[by_query]
    lo = np.searchsorted(index, queries, "left")
    hi = np.searchsorted(index, queries | owner_mask, "right")
    usable = (hi - lo) <= max_posting
    asked = np.bincount(askers[usable], minlength=total)
    if _kernel.use_kernels(len(index)):
        # Compiled: each text's holders counted in a row of its own (a few hundred), no global sort.
        by_asker = np.argsort(askers, kind="stable")
        firsts = np.searchsorted(askers[by_asker], np.arange(total + 1))
        needed = np.maximum(1, np.floor((contained - 0.25) * asked)).astype(np.int64)
        found = _holders_kernel(firsts, lo[by_asker], hi[by_asker], usable[by_asker],
                                (index & owner_mask).astype(np.int64), needed, max_posting)
        return decode_pairs(distinct(found), total)
    span = (hi - lo)[usable]
    holder = (index[gather_ranges(lo[usable], span)] & owner_mask).astype(np.int64)
    asker = np.repeat(askers[usable], span)
    other = holder != asker
    codes = _kernel.sort_codes(asker[other] * total + holder[other])
    firsts = np.flatnonzero(first_of_runs(codes))
    hits = np.diff(np.append(firsts, len(codes)))
    x, y = decode_pairs(codes[firsts], total).T
    needed = np.maximum(1, np.floor((contained - 0.25) * asked[x]))
    x, y = x[hits >= needed], y[hits >= needed]
    return decode_pairs(distinct(np.minimum(x, y) * total + np.maximum(x, y)), total)


def with_contained(settings: Settings, samples: Sequence[Sample], near: np.ndarray) -> np.ndarray:
    """The LSH candidates *near* joined by the containment candidates of *samples* (``sign_passages``'
    when ``settings.containment``; none otherwise): distinct pairs ``(i, j)`` of signed passages, sorted.

    >>> from dedup._settings import Settings
    >>> from dedup._shingle import Shingler
    >>> samples = [sample_batch(Shingler("char", 3)(["abcdefgh", "xxabcdefghyyyyyyyy", "zzzzzz"]), 0)]
    >>> with_contained(Settings(), samples, np.array([[0, 2]])).tolist()
    [[0, 1], [0, 2]]
    """
    if not samples:
        return near
    contained = candidates_from_samples(samples, settings.contained_ratio)
    both, m = np.concatenate((near, contained)), sum(sample.size for sample in samples)
    return decode_pairs(distinct(both[:, 0] * m + both[:, 1]), m)


def containment_candidates(batches: Iterable[ShingleBatch], contained: float = 0.8, sample: int = SAMPLE,
                           max_posting: int = 32) -> np.ndarray:
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


def required_hits(most: int, contained: float, miss: float = MISS) -> np.ndarray:
    """For each number a of sampled shingles (0 to *most*): how many must lie in the other
    text, the most m with P(Binomial(a, contained) < m) <= *miss* (at least 1; never for a = 0).

    A text inside another at level *contained* has each sampled shingle in it with at
    least that chance, so it fails the test with at most chance *miss*.

    >>> required_hits(4, 0.8, 0.01).tolist()
    [9223372036854775807, 1, 1, 1, 1]
    """
    need = np.full(most + 1, np.iinfo(np.int64).max, np.int64)
    for a in range(1, most + 1):
        below, m = 0.0, 0
        for x in range(a + 1):
            term = math.exp(math.lgamma(a + 1) - math.lgamma(x + 1) - math.lgamma(a - x + 1)
                            + (x * math.log(contained) if x else 0.0)
                            + ((a - x) * math.log1p(-contained) if a - x else 0.0)) if contained < 1 else float(x == a)
            if below + term > miss:
                break
            below += term
            m = x + 1
        need[a] = max(m, 1)
    return need


def contained_candidates(sample_offsets: np.ndarray, samples: np.ndarray, limits: np.ndarray, sizes: np.ndarray,
                         compact: np.ndarray, contained: float = 0.8, *, max_posting: int = MAX_POSTING,
                         miss: float = MISS, margin: float = MARGIN) -> np.ndarray:
    """Pairs ``(i, j)``, i < j, of texts one of which may hold at least *contained* of the other's
    shingles: an ``(m, 2)`` int64 array, sorted. The arguments are ``_kernel.sign_texts``'s
    (with ``sample > 0``): each text's sample (ascending hashes below its bound ``limits``),
    its distinct shingle count and its compact signature.

    Two texts' samples are coordinated: below the smaller bound (the larger text's), a
    shingle is in both samples exactly when it is in both texts. So for a pair sharing a
    sampled shingle, the smaller text's sampled shingles below that bound are a random
    sample of it, and the share found in the other estimates its containment; the pair
    passes when enough are found (``required_hits``: a pair exactly at *contained* fails
    with chance at most *miss*), either way round. Then its signatures must agree on a share
    of bins no more than *margin* standard errors below ``c / (1 + r - c)``, the least
    Jaccard similarity of a pair of size ratio r with containment c. Sampled shingles held
    by more than *max_posting* texts (common phrases) are set aside. The candidates still
    have to be verified.

    >>> from dedup._kernel import sign_texts
    >>> s = sign_texts(["一二三四五六七八九十", "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸", "另外一段不相干的文字"],
    ...                5, 128, 1, 35, 3, sample=16)
    >>> contained_candidates(s.sample_offsets, s.samples, s.limits, s.sizes, s.compact).tolist()
    [[0, 1]]
    """
    if not 0.0 < contained <= 1.0:
        raise ValueError(f"contained must lie in (0, 1], not {contained!r}")
    if max_posting < 2:
        raise ValueError(f"max_posting must be at least 2, not {max_posting!r}")
    m = len(sample_offsets) - 1
    counts = np.diff(sample_offsets)
    if m < 2 or len(samples) == 0:
        return np.zeros((0, 2), np.int64)
    need = required_hits(int(counts.max()), contained, miss)
    # About 60 characters a sample: the kernels pay for themselves from about as many texts as in signing.
    if _kernel.use_kernels(len(samples) * 60):
        # Texts in order of bound descending, then position: the order within groups of equal samples.
        by_bound = np.lexsort((np.arange(m), ~np.asarray(limits, np.uint64)))
        # The compact signatures as 64-bit words (8 bins each), padded with bins that always agree.
        pad = -compact.shape[1] % 8
        words = np.ascontiguousarray(np.pad(compact, ((0, 0), (0, pad))) if pad else compact).view(np.uint64)
        # Pair codes are counted a block of texts at a time: about 16 codes (256 bytes) a text at most.
        pairs = _contained_kernel(np.asarray(sample_offsets, np.int64), samples, limits, np.asarray(sizes, np.int64),
                                  words, compact.shape[1], need, max_posting, contained, margin, by_bound,
                                  max(1 << 20, 16 * m))
    else:
        pairs = _contained_numpy(sample_offsets, samples, limits, sizes, compact, need, max_posting, contained, margin)
    return decode_pairs(distinct(pairs[:, 0] * m + pairs[:, 1]), m)


def _least_jaccard(small: np.ndarray, big: np.ndarray, contained: float, num_perm: int, margin: float) -> np.ndarray:
    """The share of equal bins below which a pair of these distinct sizes cannot be contained (numpy path)."""
    ratio = big / small
    least = contained / (1.0 + ratio - contained)
    return least - margin * np.sqrt(least * (1.0 - least) / num_perm) - 1.0 / num_perm


def _contained_numpy(offsets: np.ndarray, samples: np.ndarray, limits: np.ndarray, sizes: np.ndarray,
                     compact: np.ndarray, need: np.ndarray, max_posting: int, contained: float,
                     margin: float) -> np.ndarray:
    """``contained_candidates`` with numpy: equal samples grouped by one sort; the reference, and the path
    without numba."""
    m = len(offsets) - 1
    counts = np.diff(offsets)
    owner = np.repeat(np.arange(m), counts)
    order = np.lexsort((owner, samples))
    values = samples[order]
    starts = np.flatnonzero(first_of_runs(values))
    runs = np.diff(np.append(starts, len(values)))
    usable = np.zeros(len(samples), bool)
    usable[order] = np.repeat(runs <= max_posting, runs)
    before = np.zeros(len(samples) + 1, np.int64)
    np.cumsum(usable, out=before[1:])
    # Every pair within each shared, usable run of equal samples; one code per shared sample.
    shared = (runs >= 2) & (runs <= max_posting)
    parts = [np.zeros(0, np.int64)]
    for size in distinct(runs[shared]).tolist():
        at = starts[shared & (runs == size)]
        a, b = np.triu_indices(size, 1)
        left, right = owner[order[at[:, None] + a]].ravel(), owner[order[at[:, None] + b]].ravel()
        parts.append(left * m + right)  # owners ascend within a run: left < right
    codes, hits = np.unique(np.concatenate(parts), return_counts=True)
    x, y = codes // m, codes % m
    bound = np.minimum(limits[x], limits[y])
    asked_x = _usable_below(samples, offsets, before, x, bound)
    asked_y = _usable_below(samples, offsets, before, y, bound)
    ok = (hits >= need[asked_x]) | (hits >= need[asked_y])
    x, y = x[ok], y[ok]
    agree = np.zeros(len(x), np.int64)
    for start in range(0, len(x), 1 << 16):
        part = slice(start, start + (1 << 16))
        agree[part] = np.count_nonzero(compact[x[part]] == compact[y[part]], axis=1)
    small = np.minimum(sizes[x], sizes[y]).astype(np.float64)
    big = np.maximum(sizes[x], sizes[y]).astype(np.float64)
    keep = agree / compact.shape[1] >= _least_jaccard(small, big, contained, compact.shape[1], margin)
    return np.stack([x[keep], y[keep]], axis=1).reshape(-1, 2)


def _usable_below(samples: np.ndarray, offsets: np.ndarray, before: np.ndarray, texts: np.ndarray,
                  bound: np.ndarray) -> np.ndarray:
    """Usable samples of each text below its bound: a binary search within each text's ascending samples."""
    lo, hi = offsets[texts].copy(), offsets[texts + 1].copy()
    while True:
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        below = open_ & (samples[np.minimum(mid, len(samples) - 1)] < bound)
        lo = np.where(below, mid + 1, lo)
        hi = np.where(open_ & ~below, mid, hi)
    return before[lo] - before[offsets[texts]]


@no_type_check  # typed by numba, not by mypy
def _contained_kernel(offsets, samples, limits, sizes, words, num_perm, need, max_posting, contained, margin,
                      by_bound, block):
    """``contained_candidates`` compiled: equal samples grouped by a radix sort; the pairs of each
    group emitted as codes, a block of first texts at a time, counted by a radix sort, and tested."""
    m = len(offsets) - 1
    entries, mixed = _group(samples, offsets, by_bound)
    runs, run_owners, usable_flag = _runs(entries, mixed, offsets, max_posting)
    usable_count = np.zeros(m, np.int64)
    for x in range(m):
        for e in range(offsets[x], offsets[x + 1]):
            usable_count[x] += usable_flag[e]
    # most[h]: the most samples with which h hits still pass (need never falls as samples grow).
    most = np.zeros(len(need) + 1, np.int64)
    for h in range(len(most)):
        a = 0
        while a + 1 < len(need) and need[a + 1] <= h:
            a += 1
        most[h] = a
    # How many codes each text emits as the first of a pair, to cut the texts into blocks.
    emitted = np.zeros(m, np.int64)
    for k in range(0, len(runs), 2):
        first, size = runs[k], runs[k + 1]
        for i in range(size):
            emitted[run_owners[first + i]] += size - 1 - i
    out = np.empty((1024, 2), np.int64)
    found = 0
    usable = np.empty(max(1, _longest(offsets)), np.uint64)
    lo = 0
    while lo < m:
        hi, count = lo, 0
        while hi < m and (count + emitted[hi] <= block or hi == lo):
            count += emitted[hi]
            hi += 1
        codes = np.empty(count, np.uint64)
        c = 0
        for k in range(0, len(runs), 2):
            first, size = runs[k], runs[k + 1]
            for i in range(size):
                x = run_owners[first + i]
                if lo <= x < hi:  # codes relative to the block: fewer digits to sort
                    for j in range(i + 1, size):
                        codes[c] = np.uint64(x - lo) * np.uint64(m) + np.uint64(run_owners[first + j])
                        c += 1
        codes = _radix_sort64(codes, np.uint64(hi - lo) * np.uint64(m))
        current = -1
        n_usable = 0
        p = 0
        while p < count:
            q = _run_end(codes, p, count)
            h = q - p
            x = lo + np.int64(codes[p] // np.uint64(m))
            y = np.int64(codes[p] % np.uint64(m))
            p = q
            if x != current:  # x's usable samples, ascending (the codes come sorted by x)
                current, n_usable = x, 0
                for e in range(offsets[x], offsets[x + 1]):
                    if usable_flag[e]:
                        usable[n_usable] = samples[e]
                        n_usable += 1
            # x (first in its groups: its bound is at least y's) passes when its usable samples below
            # y's bound are at most most[h]; y passes with all its usable samples (its own bound).
            a = most[min(h, len(most) - 1)]
            if not (n_usable <= a or usable[a] >= limits[y]) and need[usable_count[y]] > h:
                continue
            if not _signatures_agree(words, num_perm, x, y, sizes, contained, margin):
                continue
            if found == len(out):
                grown = np.empty((2 * len(out), 2), np.int64)
                grown[:found] = out[:found]
                out = grown
            out[found, 0] = min(x, y)
            out[found, 1] = max(x, y)
            found += 1
        lo = hi
    return out[:found]


@no_type_check  # typed by numba, not by mypy
def _signatures_agree(words, num_perm, x, y, sizes, contained, margin):
    """Whether x's and y's compact signatures (*words*: 8 bins a word, padded with bins that
    agree) agree on enough bins for one to lie *contained* inside the other."""
    low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
    ones = np.uint64(0x0101010101010101)
    agree = num_perm - words.shape[1] * 8
    for k in range(words.shape[1]):
        d = words[x, k] ^ words[y, k]
        zero = ~(((d & low7) + low7) | d | low7)  # the top bit of each zero byte: bins that agree
        agree += np.int64(((zero >> np.uint64(7)) * ones) >> np.uint64(56))
    small = np.float64(min(sizes[x], sizes[y]))
    big = np.float64(max(sizes[x], sizes[y]))
    least = contained / (1.0 + big / small - contained)
    floor = least - margin * np.sqrt(least * (1.0 - least) / num_perm) - 1.0 / num_perm
    return agree / num_perm >= floor


@no_type_check  # typed by numba, not by mypy
def _runs(entries, mixed, offsets, max_posting):
    """The groups of equal values among the grouped *entries* (*mixed*: their remixed values)
    that pair texts (held by 2 to max_posting texts) as (start, size) laid end to end; the owner
    of each grouped entry; and for each entry whether it is usable (a value held by more than
    max_posting texts, a common phrase, is set aside)."""
    m = len(offsets) - 1
    total = len(entries)
    owner = np.empty(total, np.int32)
    for x in range(m):
        owner[offsets[x]:offsets[x + 1]] = x
    run_owners = np.empty(total, np.int32)
    usable_flag = np.zeros(total, np.uint8)
    runs = np.empty(total + 2, np.int64)
    n_runs = 0
    p = 0
    while p < total:
        q = _run_end(mixed, p, total)
        if q - p <= max_posting:
            for r in range(p, q):
                usable_flag[entries[r]] = 1
                run_owners[r] = owner[entries[r]]
            if q - p >= 2:
                runs[n_runs] = p
                runs[n_runs + 1] = q - p
                n_runs += 2
        p = q
    return runs[:n_runs], run_owners, usable_flag


@no_type_check  # typed by numba, not by mypy
def _group(samples, offsets, by_bound):
    """Entries (positions into *samples*) grouped by value, each group in order of (bound
    descending, owner), so that within a group a text meets the texts it is counted against
    after itself; and the remixed value of each grouped entry (a bijection: equal remixes,
    equal values). The entries are laid out text by text in that order, then sorted stably by
    radix on the top 32 bits of the remix (three digits of 11 bits), the remix moving along,
    then the rare runs of equal top bits but different remixes sorted by the whole remix."""
    total = len(samples)
    entries = np.empty(total, np.int32)
    mixed = np.empty(total, np.uint64)
    p = 0
    for x in by_bound:
        for e in range(offsets[x], offsets[x + 1]):
            entries[p] = e
            mixed[p] = _mix(samples[e])
            p += 1
    spare_entries = np.empty(total, np.int32)
    spare_mixed = np.empty(total, np.uint64)
    count = np.zeros(2049, np.int64)
    for digit in range(3):
        _radix_pass(mixed, entries, np.uint64(32 + 11 * digit), spare_mixed, spare_entries, count)
        entries, spare_entries = spare_entries, entries
        mixed, spare_mixed = spare_mixed, mixed
    top = np.uint64(32)
    p = 0
    while p < total:
        q = p + 1
        while q < total and (mixed[q] >> top) == (mixed[p] >> top):
            q += 1
        for r in range(p + 1, q):  # a stable insertion sort: nothing moves unless the values differ
            e, v = entries[r], mixed[r]
            k = r
            while k > p and mixed[k - 1] > v:
                entries[k], mixed[k] = entries[k - 1], mixed[k - 1]
                k -= 1
            entries[k], mixed[k] = e, v
        p = q
    return entries, mixed


# The kernels shared with ``_kernel`` (compiled there).
_SHARED = ("_mix", "_longest", "_run_end", "_radix_pass", "_radix_sort64")


@no_type_check  # typed by numba, not by mypy
def _holders_kernel(firsts, lo, hi, usable, holders, needed, max_posting):
    """Codes ``min * m + max`` of each text x and every other text holding at least ``needed[x]`` of
    x's usable queries (query k of x: the postings ``holders[lo[k]:hi[k]]``)."""
    m = len(firsts) - 1
    row = np.empty(16 * max_posting + 1, np.int64)
    out = np.empty(1024, np.int64)
    found = 0
    for x in range(m):
        filled = 0
        for k in range(firsts[x], firsts[x + 1]):
            if not usable[k]:
                continue
            for j in range(lo[k], hi[k]):
                y = holders[j]
                if y != x:
                    if filled == len(row):
                        row = np.concatenate((row, np.empty(len(row), np.int64)))
                    row[filled] = y
                    filled += 1
        if filled == 0:
            continue
        part = row[:filled]
        part.sort()
        p = 0
        while p < filled:
            q = p + 1
            while q < filled and part[q] == part[p]:
                q += 1
            if q - p >= needed[x]:
                if found == len(out):
                    out = np.concatenate((out, np.empty(len(out), np.int64)))
                y = part[p]
                out[found] = min(x, y) * m + max(x, y)
                found += 1
            p = q
    return out[:found].copy()


def _compile(jit) -> None:
    """Have numba compile this module's kernels, against the compiled shared ones of ``_kernel``."""
    space = globals()
    for name in _SHARED:
        space[name] = getattr(_kernel, name)
    for name in ("_group", "_runs", "_signatures_agree", "_contained_kernel", "_holders_kernel"):
        if not hasattr(space[name], "py_func"):
            space[name] = jit(space[name])


_mix, _longest, _run_end, _radix_pass, _radix_sort64 = (getattr(_kernel, name) for name in _SHARED)
_kernel.register(_compile)
