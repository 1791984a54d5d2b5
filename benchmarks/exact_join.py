"""Exact set-similarity self-join on character n-gram sets: the quality ceiling of the benchmark.

``exact_pairs(texts, threshold, n)`` returns *every* pair ``(i, j)``, ``i < j``, whose
character n-gram sets have Jaccard >= threshold, with that Jaccard.  It is an
AllPairs / PPJoin-style prefix-filter join written with numpy array operations
(no per-record Python loop):

1. Exact duplicate texts are grouped; the join runs over distinct texts and every
   pair inside a group is added at the end with Jaccard 1.0.
2. n-grams are encoded exactly (no hashing decides anything): characters get dense
   ids, an n-gram is the mixed-radix number of its ids in one int64 word (two when
   (V+1)^n >= 2^63).  Equal n-grams are grouped with one ``np.sort`` of packed
   (hash bits, position) values, every hash collision being detected and resolved
   exactly.  Tokens are numbered by frequency ascending (occurrences; any fixed
   order keeps the join exact) and every record's tokens are sorted by that number.
3. Records are ordered by (size, index).  For a pair the larger record x "probes"
   with its prefix of length |x| - ceil(t|x|) + 1 and the smaller record y is
   "indexed" with its prefix |y| - ceil(2t/(1+t)|y|) + 1 (AllPairs' shorter index
   prefix, valid because y is the smaller one), restricted by the size filter
   |y| >= t|x|.  Tokens occurring once in the whole input are skipped: nobody
   shares them.  All candidate (x, y) are produced at once by range expansion over
   the inverted lists (sorted by token, then record order).
4. Positional filter (PPJoin): per candidate, A = number of tokens shared inside
   both prefixes and the positions of the last of them bound the overlap by
   A + min(remaining in x, remaining in y); the bound must reach
   ceil(t/(1+t)(|x|+|y|)).
5. Verification is exact: every shared token up to the last shared prefix token
   is already counted in A; the common tokens of the two remaining suffixes are
   counted by sorting (candidate, token) keys and added.

Conventions (identical in ``brute_pairs``):
- shingles of a text = set of its character n-grams; a non-empty text shorter
  than n gives {text}; an empty text gives the empty set and never pairs
  (J of two empty sets is taken as 0);
- a pair passes when O / (|x| + |y| - O) >= threshold - 1e-12 (float ties);
  the value returned is that float.  Every filter is loosened by a further
  tolerance, so filters can only let extra candidates through, never drop one.

Run ``python benchmarks/exact_join.py`` for the (untimed) agreement check
against ``brute_pairs`` on random and near-duplicate inputs.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import itertools
import math
from collections.abc import Iterator, Sequence

import numpy as np

__all__ = ["brute_pairs", "exact_pairs", "shingle_set"]

TIE_EPS = 1e-12          # a pair passes when J >= threshold - TIE_EPS
_FILTER_EPS = 1e-6       # filters round down by this much more (only adds candidates)
_VERIFY_CHUNK = 1 << 23  # suffix tokens per verification sort (bounds memory)
_CAND_CHUNK = 1 << 24    # candidate (pair, token) entries expanded at once (bounds memory)


# --------------------------------------------------------------------------- reference

def shingle_set(text: str, n: int = 5) -> set[str]:
    """Character n-grams of *text*; {text} if 0 < len(text) < n; empty set for ''."""
    if not text:
        return set()
    if len(text) < n:
        return {text}
    return {text[k:k + n] for k in range(len(text) - n + 1)}


def _passes(overlap: int, size_a: int, size_b: int, threshold: float) -> tuple[bool, float]:
    union = size_a + size_b - overlap
    if union <= 0 or overlap <= 0:
        return False, 0.0
    j = overlap / union
    return j >= threshold - TIE_EPS, j


def brute_pairs(texts: Sequence[str], threshold: float = 0.5, n: int = 5) -> dict[tuple[int, int], float]:
    """All pairs with Jaccard >= threshold by comparing every pair of Python string sets (O(N^2))."""
    sets = [shingle_set(t, n) for t in texts]
    out: dict[tuple[int, int], float] = {}
    for i in range(len(sets)):
        a = sets[i]
        if not a:
            continue
        for j in range(i + 1, len(sets)):
            b = sets[j]
            if not b:
                continue
            ok, jac = _passes(len(a & b), len(a), len(b), threshold)
            if ok:
                out[(i, j)] = jac
    return out


# --------------------------------------------------------------------------- helpers

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4      # glibc mallopt parameters


@contextlib.contextmanager
def _fast_memory() -> Iterator[None]:
    """Make big temporary arrays cheap to allocate for the duration of the block.

    On this VM first-touch page faults cost more than the numpy work itself, so:
    - glibc (if present) serves big arrays from the heap and keeps freed memory there
      (by default every array above 32 MB gets its own mmap, unmapped on free, so each new
      temporary faults all its pages again);
    - numpy stops asking for transparent huge pages (with THP defrag "madvise", every such
      fault may stall in memory compaction).
    Both settings are process-wide; the previous numpy setting and glibc's defaults are
    restored, and the heap trimmed, on exit.  Speed only: results never change.
    """
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    set_hugepage = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    old_hugepage = set_hugepage(False) if set_hugepage else None
    mallopt = malloc_trim = None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError, TypeError):
        mallopt = None
    tuned = bool(mallopt and mallopt(_M_MMAP_MAX, 0) and mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    try:
        yield
    finally:
        if tuned:
            mallopt(_M_MMAP_MAX, 65536)            # glibc defaults
            mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
            malloc_trim(0)
        if set_hugepage:
            set_hugepage(old_hugepage)


def _ceil_lo(v: np.ndarray | float) -> np.ndarray | int:
    """ceil(v) rounded *down* by a tolerance: never above the true minimal integer bound."""
    if isinstance(v, np.ndarray):
        return np.ceil(v - _FILTER_EPS).astype(np.int64)
    return math.ceil(v - _FILTER_EPS)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + l) for every (s, l); lengths must be >= 0."""
    lengths = lengths.astype(np.int64, copy=False)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    keep = lengths > 0
    starts = starts[keep].astype(np.int64, copy=False)
    lengths = lengths[keep]
    ends = np.cumsum(lengths)
    step = np.ones(total, dtype=np.int64)
    step[0] = starts[0]
    # at the beginning of each run jump from the previous run's last value to the new start
    step[ends[:-1]] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(step)


def _encode_grams(texts: Sequence[str], n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Exact integer code of every n-gram occurrence, and the record (int32) it belongs to.

    Characters get dense ids 1..V (0 pads texts shorter than n, which contribute one window
    for the whole text, so it differs from any real n-gram).  An n-gram is the mixed-radix
    number of its character ids, split into as few int64 words (>= 0) as needed: one word
    when (V+1)^n < 2^63 (e.g. V <= 6208 for n = 5), otherwise several.  Returns the words.
    """
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    lut = np.zeros(0x110000, dtype=np.int32)
    lut[cps] = 1
    np.cumsum(lut, out=lut)
    radix = int(lut[-1]) + 1
    chars = np.take(lut, cps)
    del cps, lut
    ends = np.cumsum(lengths)
    n_grams = np.maximum(lengths - n + 1, 0)
    gram_doc = np.repeat(np.arange(n_docs, dtype=np.int32), n_grams)

    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if short.size:
        # a padded n-character window per short text, appended after the real characters
        pad = np.zeros((short.size, n), dtype=np.int32)
        for row, d in enumerate(short.tolist()):
            pad[row, : lengths[d]] = chars[ends[d] - lengths[d]:ends[d]]
        chars = np.concatenate([chars, pad.ravel()])
        gram_doc = np.concatenate([gram_doc, short.astype(np.int32)])
    width = chars.size - n + 1
    if gram_doc.size == 0:
        return [np.zeros(0, dtype=np.int64)], gram_doc

    # valid window starts: all but the last n-1 positions of every text; the padded windows
    valid = np.zeros(chars.size, dtype=bool)
    total = int(ends[-1]) if n_docs else 0
    valid[:total] = True
    tail = np.minimum(lengths, n - 1)
    valid[_ranges(ends - tail, tail)] = False
    if short.size:
        valid[total + n * np.arange(short.size)] = True
    valid = valid[:width]

    # characters per int64 word: largest k with radix^k < 2^63
    per_word = 1
    while radix ** (per_word + 1) < (1 << 63) and per_word < n:
        per_word += 1
    words = []
    for w0 in range(0, n, per_word):
        chars_v = chars[w0:w0 + width][valid]
        code = chars_v.astype(np.int64)
        for k in range(w0 + 1, min(w0 + per_word, n)):
            code *= radix
            chars_v = chars[k:k + width][valid]
            code += chars_v
        words.append(code)
    return words, gram_doc


_MIX = np.uint64(0x5851F42D4C957F2D)   # odd multiplier: x -> x * _MIX mod 2^64 is a bijection
_CHUNK = 1 << 20
_TEST_HASH_BITS: int | None = None   # self-check hooks: force hash collisions ...
_TEST_NO_PACK = False                # ... and the argsort fallback for candidate grouping


def _group_equal(words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Order positions so that equal codes (tuples of int64 words) are adjacent; mark group starts.

    Instead of ``argsort`` (slow), sorts one int64 per element with ``np.sort``: the high bits
    are a mix (hash) of the code, the low bits the position.  Elements whose hash bits collide
    but whose codes differ (rare) are re-sorted exactly, so the grouping is exact.
    Returns (perm, new): ``perm`` lists positions group by group, ``new[k]`` is True where a
    group starts.
    """
    m = words[0].size
    pos_bits = max(int(m - 1).bit_length(), 1)
    hi_bits = 63 - pos_bits
    if _TEST_HASH_BITS is not None:          # self-check only: force hash collisions
        hi_bits = min(hi_bits, _TEST_HASH_BITS)
    mixed = np.multiply(words[0].view(np.uint64), _MIX)          # wraps mod 2^64
    tmp = np.right_shift(mixed, np.uint64(29))
    for w in words[1:]:
        mixed ^= tmp
        mixed += w.view(np.uint64)
        mixed *= _MIX
        np.right_shift(mixed, np.uint64(29), out=tmp)
    mixed ^= tmp
    mixed *= _MIX
    np.right_shift(mixed, np.uint64(64 - hi_bits), out=mixed)
    packed = mixed.view(np.int64)
    packed <<= pos_bits
    for a in range(0, m, _CHUNK):                      # packed |= arange(m), without a temporary
        b = min(a + _CHUNK, m)
        packed[a:b] |= np.arange(a, b, dtype=np.int64)
    packed.sort()
    perm = np.bitwise_and(packed, np.int64((1 << pos_bits) - 1), out=tmp.view(np.int64))
    top = np.right_shift(packed, pos_bits, out=packed)
    # exact check, only where neighbours share the hash bits (duplicates and rare collisions)
    same = np.flatnonzero(top[1:] == top[:-1])
    left = np.take(perm, same)
    right = np.take(perm, same + 1)
    differ = np.zeros(same.size, dtype=bool)
    for w in words:
        differ |= np.take(w, left) != np.take(w, right)
    new = np.ones(m, dtype=bool)
    new[same + 1] = differ
    bad = same[differ]
    del left, right, differ
    if bad.size:
        # runs of equal hash bits holding different codes: sort each such run by code
        vals = np.unique(top[bad])
        run_lo = np.searchsorted(top, vals, side="left").tolist()
        run_hi = np.searchsorted(top, vals, side="right").tolist()
        for a, b in zip(run_lo, run_hi):
            ws = [np.take(w, perm[a:b]) for w in words]
            o = np.lexsort(ws[::-1])
            perm[a:b] = perm[a:b][o]
            change = np.zeros(b - a - 1, dtype=bool)
            for x in ws:
                x = x[o]
                change |= x[1:] != x[:-1]
            new[a + 1:b] = change
    return perm, new


def _tokenize(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """CSR token sets: record r owns tokens[offsets[r]:offsets[r+1]], sorted ascending.

    A token is the rank of an n-gram in a global order by frequency ascending (number of
    occurrences, capped at 65535; ties broken deterministically).  Any fixed total order keeps
    the join exact; rare-first only makes the prefixes selective.  Also returns n_rare: tokens
    below it occur exactly once in the whole input, so no two records share them.
    """
    words, doc = _encode_grams(texts, n)
    n_docs = len(texts)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    if doc.size == 0:
        return np.zeros(0, dtype=np.int64), offsets, 0
    perm, new_gram = _group_equal(words)
    del words
    gram_start = np.flatnonzero(new_gram)
    n_gram = gram_start.size
    freq = np.diff(np.append(gram_start, new_gram.size))
    del gram_start
    # rank = stable counting order by frequency: the (many) once-only n-grams first
    once = freq == 1
    n_rare = int(np.count_nonzero(once))
    rank = np.empty(n_gram, dtype=np.int64)
    rank[once] = np.arange(n_rare, dtype=np.int64)
    rest = np.flatnonzero(~once)
    if rest.size:
        o = np.argsort(np.minimum(freq[rest], 65535).astype(np.uint16), kind="stable")
        rank[rest[o]] = np.arange(n_rare, n_gram, dtype=np.int64)
    del once, rest, freq
    # token of each grouped position: rank of its group, expanded in place
    tok_s = np.cumsum(new_gram, dtype=np.int64)
    del new_gram
    tok_s -= 1
    np.take(rank, tok_s, out=tok_s)
    del rank
    # sort by (record, token) with one int64 key; equal neighbours are repeats inside a record
    key = perm                                     # reuse the buffer
    key[:] = np.take(doc, perm)
    del perm, doc
    key *= np.int64(n_gram)
    key += tok_s
    del tok_s
    key.sort()
    keep = np.empty(key.size, dtype=bool)
    keep[0] = True
    np.not_equal(key[1:], key[:-1], out=keep[1:])
    if not keep.all():
        key = key[keep]
    del keep
    doc_k = key // n_gram
    offsets[1:] = np.searchsorted(doc_k, np.arange(1, n_docs + 1), side="left")
    key -= doc_k * n_gram
    return key, offsets, n_rare


# --------------------------------------------------------------------------- the join

def _join(tokens: np.ndarray, offsets: np.ndarray, threshold: float,
          n_rare: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prefix-filter self-join over CSR token sets. Returns (rec_a, rec_b, jaccard) with rec_a < rec_b.

    Tokens below *n_rare* must belong to a single record (they are skipped as prefix tokens).
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    n_rec = offsets.size - 1
    sizes = np.diff(offsets)
    if tokens.size == 0 or n_rec < 2:
        return empty
    t = threshold - TIE_EPS
    n_tok = int(tokens.max()) + 1
    starts = offsets[:-1]

    # order records by (size, index); r = position in that order
    by_size = np.lexsort((np.arange(n_rec), sizes))
    rank_of = np.empty(n_rec, dtype=np.int64)
    rank_of[by_size] = np.arange(n_rec, dtype=np.int64)
    sizes_r = sizes[by_size]
    probe_len = np.minimum(sizes - _ceil_lo(t * sizes) + 1, sizes)
    index_len = np.minimum(sizes - _ceil_lo(2 * t / (1 + t) * sizes) + 1, sizes)   # <= probe_len

    # probe-prefix entries whose token can be shared; E is keyed by (token, record rank)
    ent = _ranges(starts, probe_len)
    ent_rec = np.repeat(np.arange(n_rec, dtype=np.int64), probe_len)
    ent_tok = np.take(tokens, ent)
    keep = ent_tok >= n_rare
    ent, ent_rec, ent_tok = ent[keep], ent_rec[keep], ent_tok[keep]
    if ent.size < 2:
        return empty
    e_key = ent_tok * np.int64(n_rec) + np.take(rank_of, ent_rec)
    o = np.argsort(e_key)
    e_key = np.take(e_key, o)
    ent = np.take(ent, o)
    ent_rec = np.take(ent_rec, o)
    ent_tok = np.take(ent_tok, o)
    ent_pos = ent - np.take(starts, ent_rec)
    is_idx = ent_pos < np.take(index_len, ent_rec)
    # number of index entries before each E position (and after the last one)
    before = np.zeros(ent.size + 1, dtype=np.int64)
    np.cumsum(is_idx, out=before[1:])
    # for each E entry (as probe): index entries of the same token with a smaller record rank
    # and a size passing the size filter form one contiguous range of the index list
    lo_rank = np.searchsorted(sizes_r, _ceil_lo(t * np.take(sizes, ent_rec)), side="left")
    lo = before[np.searchsorted(e_key, ent_tok * np.int64(n_rec) + lo_rank, side="left")]  # sorted queries
    hi = before[:-1]
    cnt = np.maximum(hi - lo, 0)
    total = int(cnt.sum())
    if total == 0:
        return empty
    idx_list = np.flatnonzero(is_idx)
    del e_key, before, lo_rank, hi
    # expand candidates in chunks of probe records (all candidates of a pair share its probe
    # record, so each chunk groups its pairs completely): bounds memory on big clusters
    p_rank = np.take(rank_of, ent_rec)
    per_rank = np.cumsum(np.bincount(p_rank, weights=cnt, minlength=n_rec))
    cuts = [0]
    while cuts[-1] < n_rec:
        done = per_rank[cuts[-1] - 1] if cuts[-1] else 0.0
        nxt = int(np.searchsorted(per_rank, done + _CAND_CHUNK, side="right"))
        cuts.append(min(max(nxt, cuts[-1] + 1), n_rec))
    parts = []
    for r0, r1 in itertools.pairwise(cuts):
        sel = np.flatnonzero(cnt) if len(cuts) == 2 else np.flatnonzero((cnt > 0) & (p_rank >= r0) & (p_rank < r1))
        if sel.size:
            parts.append(_verify_chunk(sel, lo, cnt, idx_list, ent_rec, ent_pos, tokens, starts, sizes,
                                       n_rec, n_tok, t))
    if not parts:
        return empty
    return tuple(np.concatenate(col) for col in zip(*parts))


def _verify_chunk(sel: np.ndarray, lo: np.ndarray, cnt: np.ndarray, idx_list: np.ndarray,
                  ent_rec: np.ndarray, ent_pos: np.ndarray, tokens: np.ndarray, starts: np.ndarray,
                  sizes: np.ndarray, n_rec: int, n_tok: int,
                  t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates of the probe entries *sel* (E positions): filter, verify, return passing pairs."""
    c_cnt = cnt[sel]
    c_i = np.take(idx_list, _ranges(lo[sel], c_cnt))     # positions in E of the index side
    c_p = np.repeat(sel, c_cnt)                           # positions in E of the probe side
    del c_cnt

    # group candidates by pair (x = probe record, y = index record); count the shared prefix
    # tokens and keep the positions of the last one (positions grow with the token, so the
    # entry with the largest probe position also has the largest index position)
    rec_bits = max(int(n_rec - 1).bit_length(), 1)
    pos_bits = max(int(sizes.max() - 1).bit_length(), 1)
    if 2 * (rec_bits + pos_bits) <= 63 and not _TEST_NO_PACK:
        # one packed int64 per entry, sorted by value (much faster than argsort)
        key = np.take(ent_rec, c_p)
        key <<= rec_bits
        key |= np.take(ent_rec, c_i)
        key <<= pos_bits
        key |= np.take(ent_pos, c_p)
        key <<= pos_bits
        key |= np.take(ent_pos, c_i)
        del c_p, c_i
        key.sort()
        grp = key >> (2 * pos_bits)
        ends = np.flatnonzero(grp[1:] != grp[:-1])
        del grp
        ends = np.append(ends, key.size - 1)
        a_cnt = np.diff(ends, prepend=-1)                         # tokens shared in both prefixes
        last = key[ends]
        del key, ends
        pos_mask = np.int64((1 << pos_bits) - 1)
        last_py = last & pos_mask
        last_px = (last >> pos_bits) & pos_mask
        x = last >> (2 * pos_bits + rec_bits)
        y = (last >> (2 * pos_bits)) & np.int64((1 << rec_bits) - 1)
        del last
    else:
        pair = np.take(ent_rec, c_p) * np.int64(n_rec) + np.take(ent_rec, c_i)
        o = np.argsort(pair)
        pair = np.take(pair, o)
        c_p = np.take(c_p, o)
        c_i = np.take(c_i, o)
        first = np.empty(pair.size, dtype=bool)
        first[0] = True
        np.not_equal(pair[1:], pair[:-1], out=first[1:])
        gstart = np.flatnonzero(first)
        a_cnt = np.diff(np.append(gstart, pair.size))
        last_px = np.maximum.reduceat(np.take(ent_pos, c_p), gstart)
        last_py = np.maximum.reduceat(np.take(ent_pos, c_i), gstart)
        x = pair[gstart] // n_rec
        y = pair[gstart] - x * n_rec
        del pair, c_p, c_i, first, gstart

    # positional filter
    sx = np.take(sizes, x)
    sy = np.take(sizes, y)
    need = _ceil_lo(t / (1 + t) * (sx + sy))
    rest_x = sx - 1 - last_px
    rest_y = sy - 1 - last_py
    ok = a_cnt + np.minimum(rest_x, rest_y) >= need
    x, y, sx, sy, a_cnt = x[ok], y[ok], sx[ok], sy[ok], a_cnt[ok]
    last_px, last_py, rest_x, rest_y = last_px[ok], last_py[ok], rest_x[ok], rest_y[ok]

    # verification: every shared token up to the last shared prefix token is counted in a_cnt;
    # the rest are the common tokens of the two suffixes, counted by sorting (candidate, token)
    overlap = a_cnt.copy()
    work = np.cumsum(rest_x + rest_y)
    lo_c = 0
    n_c = x.size
    while lo_c < n_c:
        done = int(work[lo_c - 1]) if lo_c else 0
        hi_c = max(int(np.searchsorted(work, done + _VERIFY_CHUNK, side="right")), lo_c + 1)
        sl = slice(lo_c, hi_c)
        cid = np.arange(hi_c - lo_c, dtype=np.int64)
        rx, ry = rest_x[sl], rest_y[sl]
        tok = np.concatenate([
            np.take(tokens, _ranges(np.take(starts, x[sl]) + last_px[sl] + 1, rx)),
            np.take(tokens, _ranges(np.take(starts, y[sl]) + last_py[sl] + 1, ry)),
        ])
        key = np.concatenate([np.repeat(cid, rx), np.repeat(cid, ry)]) * np.int64(n_tok) + tok
        key.sort()
        dup = key[1:][key[1:] == key[:-1]]
        overlap[sl] += np.bincount(dup // n_tok, minlength=hi_c - lo_c)
        lo_c = hi_c

    jac = overlap / (sx + sy - overlap)
    ok = jac >= t
    a = np.minimum(x[ok], y[ok])
    b = np.maximum(x[ok], y[ok])
    return a, b, jac[ok]


def exact_pairs(texts: Sequence[str], threshold: float = 0.5, n: int = 5, *,
                fast_memory: bool = True) -> dict[tuple[int, int], float]:
    """Every pair (i, j), i < j, whose character n-gram sets have Jaccard >= threshold, with its Jaccard.

    ``fast_memory`` tunes allocation during the call (see ``_fast_memory``: process-wide
    glibc/numpy settings, restored afterwards); it changes speed only, never the result.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    if n < 1:
        raise ValueError("n must be >= 1")
    # group exact duplicate texts
    first_of: dict[str, int] = {}
    members: dict[int, list[int]] = {}
    uniq_texts: list[str] = []
    uniq_src: list[int] = []
    for i, s in enumerate(texts):
        u = first_of.get(s)
        if u is None:
            first_of[s] = len(uniq_texts)
            uniq_texts.append(s)
            uniq_src.append(i)
        else:
            members.setdefault(u, [uniq_src[u]]).append(i)

    with _fast_memory() if fast_memory else contextlib.nullcontext():
        tokens, offsets, n_rare = _tokenize(uniq_texts, n)
        a, b, jac = _join(tokens, offsets, threshold, n_rare)
        del tokens, offsets
    src = np.asarray(uniq_src, dtype=np.int64)
    ia = src[a].tolist()
    ib = src[b].tolist()
    js = jac.tolist()
    out: dict[tuple[int, int], float] = {}
    if not members:
        out.update(zip(zip(ia, ib), js))
        return out
    ua = a.tolist()
    ub = b.tolist()
    for u, v, i, j, jv in zip(ua, ub, ia, ib, js):
        gu = members.get(u)
        gv = members.get(v)
        if gu is None and gv is None:
            out[(i, j)] = jv
            continue
        for p in gu or (i,):
            for q in gv or (j,):
                out[(p, q) if p < q else (q, p)] = jv
    for u, group in members.items():
        if not uniq_texts[u]:
            continue  # empty texts never pair
        for k, p in enumerate(group):
            for q in group[k + 1:]:
                out[(p, q)] = 1.0
    return out


# --------------------------------------------------------------------------- self-check

def _random_corpus(rng: np.random.Generator, n_docs: int, alphabet: str, lo: int, hi: int,
                   dup_rate: float) -> list[str]:
    texts = ["".join(rng.choice(list(alphabet), size=int(rng.integers(lo, hi + 1)))) for _ in range(n_docs)]
    for _ in range(int(dup_rate * n_docs)):
        src = list(texts[int(rng.integers(len(texts)))])
        for _ in range(int(rng.integers(0, 6))):
            op = rng.integers(3)
            k = int(rng.integers(len(src) + 1))
            if op == 0 or not src:
                src.insert(k, str(rng.choice(list(alphabet))))
            elif op == 1:
                src.pop(min(k, len(src) - 1))
            else:
                src[min(k, len(src) - 1)] = str(rng.choice(list(alphabet)))
        texts.append("".join(src))
    rng.shuffle(texts)
    return texts


def _self_check(seed: int = 0) -> None:
    """Compare exact_pairs with brute_pairs on many small random corpora (untimed)."""
    global _TEST_HASH_BITS, _TEST_NO_PACK, _CAND_CHUNK, _VERIFY_CHUNK
    rng = np.random.default_rng(seed)
    cjk = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 60))
    many = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 20000))   # radix**5 >= 2**63: two words
    cases = [
        ("tiny alphabet", lambda: _random_corpus(rng, 150, "ab", 0, 12, 0.3)),
        ("small alphabet", lambda: _random_corpus(rng, 300, "abcd", 0, 30, 0.3)),
        ("cjk near-dups", lambda: _random_corpus(rng, 400, cjk, 20, 120, 0.5)),
        ("cjk exact dups", lambda: (lambda c: c + c[:50] + [""] * 3)(_random_corpus(rng, 200, cjk[:8], 3, 40, 0.5))),
        ("astral + short", lambda: _random_corpus(rng, 300, "a\U0001F600\U00020000x", 0, 9, 0.2)),
        ("large alphabet", lambda: _random_corpus(rng, 300, many, 0, 40, 0.5)),
    ]
    checked = 0
    chunks = (_CAND_CHUNK, _VERIFY_CHUNK)
    for hash_bits in (None, 2):            # 2 hash bits: nearly every n-gram collides
        _TEST_HASH_BITS = hash_bits
        if hash_bits is not None:          # and tiny chunks, argsort grouping
            _CAND_CHUNK, _VERIFY_CHUNK, _TEST_NO_PACK = 64, 32, True
        try:
            for name, make in cases:
                for rep in range(2):
                    texts = make()
                    for n in (1, 3, 5):
                        for thr in (0.2, 0.5, 0.8, 1.0):
                            got = exact_pairs(texts, thr, n, fast_memory=bool(rep))
                            want = brute_pairs(texts, thr, n)
                            if got.keys() != want.keys() or any(got[k] != want[k] for k in want):
                                missing = sorted(set(want) - set(got))[:5]
                                extra = sorted(set(got) - set(want))[:5]
                                raise AssertionError(
                                    f"{name} n={n} t={thr} hash_bits={hash_bits}: missing {missing} extra {extra}")
                            checked += len(want)
        finally:
            _TEST_HASH_BITS, _TEST_NO_PACK = None, False
            _CAND_CHUNK, _VERIFY_CHUNK = chunks
    for empty in ([], [""], ["", ""], ["abc"], ["abcdef", "abcdef"]):
        assert exact_pairs(empty) == brute_pairs(empty), empty
    print(f"exact_pairs == brute_pairs on all cases ({checked} passing pairs compared)")


if __name__ == "__main__":
    _self_check()
