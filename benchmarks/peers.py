"""Peer near-duplicate finders for the benchmark: datasketch, rensa and gaoya, used as their docs show.

Both take normalised texts and return ``(pairs, timings)``: ``pairs`` is the set of
``(i, j)``, ``i < j``, that the library's MinHash LSH reports as candidates (no
verification: that is what users of these libraries get from an LSH query), and
``timings`` gives seconds (``time.perf_counter``) per stage:

- ``shingle``: building each text's character n-gram set in Python (the same for both,
  except datasketch needs UTF-8 bytes);
- ``sign``: computing the MinHash signatures;
- ``index``: inserting them into the LSH index;
- ``query``: querying every text and collecting pairs;
- ``total``: the sum.

Shingles are the set of character n-grams of a text (a non-empty text shorter than n
is one shingle, itself).  Empty texts get no signature and are never paired (their
MinHashes would all be equal), the same convention as ``exact_join.exact_pairs``.

``verify_pairs`` checks candidate pairs by the exact Jaccard similarity of their shingle
sets (the ``+verify`` rows of the benchmark: what a user adds to get dedup's precision).

Versions this was written against: datasketch 2.0.0, rensa 0.5.0, gaoya 0.2.2.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["char_shingles", "datasketch_pairs", "gaoya_pairs", "lsh_bands", "rensa_pairs", "verify_pairs"]


def char_shingles(text: str, n: int = 5) -> list[str]:
    """The set of character n-grams of *text* (as a list); [text] if shorter than n; [] if empty."""
    if len(text) < n:
        return [text] if text else []
    return list({text[k:k + n] for k in range(len(text) - n + 1)})


def _pairs_from_candidates(keys: Sequence[int], results: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    add = out.add
    for i, cands in zip(keys, results):
        for j in cands:
            if j != i:
                add((i, j) if i < j else (j, i))
    return out


def datasketch_pairs(texts: Sequence[str], threshold: float = 0.5, num_perm: int = 128, seed: int = 1,
                     n: int = 5) -> tuple[set[tuple[int, int]], dict[str, float]]:
    """Candidate pairs from datasketch ``MinHashLSH``, built the way its documentation shows.

    Fast path used: ``MinHash.bulk`` (documented as the way to compute many MinHashes, reusing
    the permutation set-up; it calls ``update_batch`` once per text with UTF-8 encoded shingles)
    with the default 2.x ``affine32`` scheme and default SHA-1 hash, then ``MinHashLSH`` with
    datasketch's own (b, r) choice for the threshold (b=25, r=5 for 0.5 / 128), filled through
    ``insertion_session()`` (the documented bulk insert), then ``query`` for each text.
    """
    from datasketch import MinHash, MinHashLSH

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    keys = [i for i, t in enumerate(texts) if t]
    shingles = [[s.encode("utf-8") for s in char_shingles(texts[i], n)] for i in keys]
    t1 = time.perf_counter()
    minhashes = MinHash.bulk(shingles, num_perm=num_perm, seed=seed)
    t2 = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    with lsh.insertion_session() as session:
        for i, m in zip(keys, minhashes):
            session.insert(i, m)
    t3 = time.perf_counter()
    pairs = _pairs_from_candidates(keys, (lsh.query(m) for m in minhashes))
    t4 = time.perf_counter()
    timings.update(shingle=t1 - t0, sign=t2 - t1, index=t3 - t2, query=t4 - t3, total=t4 - t0)
    return pairs, timings


def lsh_bands(threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5),
              exact_split: bool = True) -> tuple[int, int]:
    """(bands, rows) minimising weighted false-positive + false-negative area, as datasketch does.

    With ``exact_split`` only splits with bands * rows == num_perm are considered (rensa's
    ``RMinHashLSH`` requires num_bands to divide num_perm); otherwise bands * rows <= num_perm
    like datasketch's ``_optimal_param``.  Integrals by the trapezoid rule on a fine grid.
    """
    s = np.linspace(0.0, 1.0, 20001)
    below = s <= threshold
    best, opt = float("inf"), (1, num_perm)
    for b in range(1, num_perm + 1):
        rows = [num_perm // b] if exact_split else range(1, num_perm // b + 1)
        if exact_split and num_perm % b:
            continue
        for r in rows:
            p = 1.0 - (1.0 - s ** r) ** b
            fp = np.trapezoid(p[below], s[below])
            fn = np.trapezoid(1.0 - p[~below], s[~below])
            err = weights[0] * fp + weights[1] * fn
            if err < best:
                best, opt = err, (b, r)
    return opt


def rensa_pairs(texts: Sequence[str], threshold: float = 0.5, num_perm: int = 128, seed: int = 1,
                n: int = 5, num_bands: int | None = None) -> tuple[set[tuple[int, int]], dict[str, float]]:
    """Candidate pairs from rensa's ``RMinHashLSH`` (R-MinHash, full-set, no verification).

    Fast path used (rensa 0.5.0): ``RMinHash.from_token_sets`` (the batch constructor: one Rust
    call for all texts; str tokens are passed directly, no encoding), ``RMinHashLSH.insert_many``
    and ``RMinHashLSH.query_all`` (batch insert / batch query, one call each).  The faster
    ``digest_matrix_from_token_sets`` + ``insert_matrix`` path only yields duplicate *flags*
    (``query_duplicate_flags_matrix``), not the pairs, so it cannot be used here.  The rho
    (position-sampling) sketch is not used: it is not a full-set MinHash.

    API differences from datasketch, adapted here:
    - ``RMinHashLSH(threshold, num_perm, num_bands)`` has no automatic (b, r) choice and needs
      num_bands to divide num_perm; by default we pick the divisor split that minimises the
      same weighted error datasketch minimises (``lsh_bands``: 32 bands x 4 rows for 0.5 / 128,
      where datasketch itself uses 25 x 5 on 125 of the 128 values).
    - Keys are integers (``insert_many`` numbers them from ``start_key``); we insert the
      non-empty texts in order and map back to text indices.
    """
    from rensa import RMinHash, RMinHashLSH

    if num_bands is None:
        num_bands, _ = lsh_bands(threshold, num_perm)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    keys = [i for i, t in enumerate(texts) if t]
    shingles = [char_shingles(texts[i], n) for i in keys]
    t1 = time.perf_counter()
    minhashes = RMinHash.from_token_sets(shingles, num_perm, seed)
    t2 = time.perf_counter()
    lsh = RMinHashLSH(threshold, num_perm, num_bands)
    lsh.insert_many(minhashes, 0)
    t3 = time.perf_counter()
    results = lsh.query_all(minhashes)   # per text: keys 0..len(keys)-1 of its candidates (incl. itself)
    pairs = _pairs_from_candidates(range(len(keys)), results)
    if keys and keys[-1] != len(keys) - 1:   # some texts were empty: map ranks back to indices
        pairs = {(keys[a], keys[b]) for a, b in pairs}
    t4 = time.perf_counter()
    timings.update(shingle=t1 - t0, sign=t2 - t1, index=t3 - t2, query=t4 - t3, total=t4 - t0)
    return pairs, timings


def gaoya_pairs(texts: Sequence[str], threshold: float = 0.5, num_perm: int = 128, n: int = 5,
                estimate_filter: bool = True, bands: tuple[int, int] | None = None,
                ) -> tuple[set[tuple[int, int]], dict[str, float]]:
    """Pairs from gaoya's ``MinHashStringIndex`` with its own (Rust) character n-gram shingling.

    Used as its documentation shows for a batch: ``par_bulk_insert_docs`` then ``par_bulk_query``
    (both on native threads, so gaoya uses both cores here; every other method uses one),
    ``analyzer="char"``, ``ngram_range=(n, n)``, 32-bit hashes, the default ``"set"`` buckets,
    and *bands* = (b, r), by default datasketch's for the threshold (``lsh_bands(...,
    exact_split=False)``: 18 x 7 for 0.6 / 128), so its LSH catches the same pairs as
    datasketch's would; gaoya computes b * r hash values.  gaoya's query
    drops candidates whose *estimated* Jaccard is below ``jaccard_threshold``: with
    ``estimate_filter`` (what a user gets) that is the threshold; without, it is 0 and every
    LSH candidate comes back (the input for exact verification: filtering by the estimate
    first would throw away true pairs that verification could keep).  Shingling and signing
    happen inside the insert and query calls, so the stages are ``index`` and ``query``.
    """
    import gaoya

    b, r = bands or lsh_bands(threshold, num_perm, exact_split=False)
    t0 = time.perf_counter()
    index = gaoya.minhash.MinHashStringIndex(hash_size=32, jaccard_threshold=threshold if estimate_filter else 0.0,
                                             num_bands=b, band_size=r, analyzer="char", lowercase=False,
                                             ngram_range=(n, n))
    keys = [i for i, t in enumerate(texts) if t]
    docs = [texts[i] for i in keys]
    index.par_bulk_insert_docs(keys, docs)
    t1 = time.perf_counter()
    pairs = _pairs_from_candidates(keys, index.par_bulk_query(docs))
    t2 = time.perf_counter()
    return pairs, {"index": t1 - t0, "query": t2 - t1, "total": t2 - t0}


def verify_pairs(texts: Sequence[str], pairs: Iterable[tuple[int, int]], threshold: float,
                 n: int = 5) -> tuple[set[tuple[int, int]], float]:
    """The candidate pairs whose character n-gram sets have Jaccard >= threshold, and the seconds it took.

    Uses dedup's vectorised building blocks (``Shingler`` to 64-bit shingle hashes, ``overlap``
    by sorted lookup) over only the texts that occur in a candidate: the fastest exact check at
    hand, so the peers' ``+verify`` rows are not slowed by a Python set per text.  Same shingle
    convention as ``char_shingles`` (a non-empty text shorter than n is one shingle).
    """
    from dedup.stages import Shingler, overlap

    t0 = time.perf_counter()
    cand = np.array(sorted(pairs), np.int64).reshape(-1, 2)
    if not len(cand):
        return set(), time.perf_counter() - t0
    used, local = np.unique(cand, return_inverse=True)
    batch = Shingler("char", n)([texts[i] for i in used.tolist()])
    jaccard = overlap(batch, local.reshape(-1, 2)).jaccard
    kept = cand[jaccard >= threshold - 1e-12]
    return set(map(tuple, kept.tolist())), time.perf_counter() - t0
