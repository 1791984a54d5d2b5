"""The engine alone: per-stage CPU seconds of the numpy stages against the compiled kernels
(``dedup._kernel``), the containment search against an exact containment join and against
datasketch's ``MinHashLSHEnsemble``, and the kernels' first-run compile cost; writes ENGINE.md.

    python benchmarks/engine.py                       # zh 10k and 100k, 3 repeats (about 15 minutes)
    python benchmarks/engine.py --sizes 10000 --repeats 1 --out /tmp/ENGINE.md

Stages are timed in CPU seconds of this process (``time.process_time``): the machine is
shared, and wall-clock time measures the neighbours as much as the code. Every stage runs
``--repeats`` times, the old and new variants interleaved; the tables give medians.

The data are the paragraphs of a ``corpus.py`` corpus (non-empty stripped lines, documents
in id order), normalised by ``Normalizer.batch``; the engine works on the distinct texts of
at least 8 characters (the pipeline's representatives). Character 5-grams, Jaccard >= 0.5,
128 bins, containment >= 0.8: not the command line's defaults (threshold 0.6), which
``benchmarks/run.py`` measures, and none of the reading, clustering or reporting the command
does, so these seconds are the engine's stages alone, never the command's time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from run import DATA, PeakSampler, load_corpus, machine, resident_bytes  # noqa: E402

from dedup import _kernel  # noqa: E402
from dedup._contain import EXTEND, MAX_SAMPLE, SAMPLE, candidates_from_samples, contained_candidates, sample_batch  # noqa: E402
from dedup._lsh import band_keys, candidate_pairs, optimal_params  # noqa: E402
from dedup._minhash import sign  # noqa: E402
from dedup._normalize import Normalizer  # noqa: E402
from dedup._shingle import Shingler  # noqa: E402
from dedup._verify import needed_shared, overlap  # noqa: E402

THRESHOLD, NUM_PERM, N, SEED, CONTAINED, MIN_CHARS = 0.5, 128, 5, 1, 0.8, 8
NEEDED = partial(needed_shared, THRESHOLD, CONTAINED)  # what judge passes overlap_texts: merges stopped early
# The numpy baselines' batches: texts a signing batch, candidates a verification chunk.
SIGN_BATCH, VERIFY_CHUNK = 4096, 5000


# ------------------------------------------------------------------------------------------- data
def load_texts(lang: str, size: int) -> list[str]:
    """The normalised paragraphs of the ``corpus.py`` corpus ``lang:size`` (the documents shared with
    ``run.py``; their normal forms cached under benchmarks/data/ too)."""
    cache = DATA / f"engine-{lang}-{size}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    docs = load_corpus(f"{lang}:{size}")
    raw = [line.strip() for _, text in sorted(docs) for line in text.splitlines() if line.strip()]
    texts = Normalizer().batch(raw)
    DATA.mkdir(exist_ok=True)
    cache.write_bytes(pickle.dumps(texts, protocol=5))
    return texts


def representatives(texts: Sequence[str]) -> list[str]:
    """The distinct texts of at least MIN_CHARS characters, in first-seen order."""
    return [t for t in dict.fromkeys(texts) if len(t) >= MIN_CHARS]


# ------------------------------------------------------------------------------- exact containment
def brute_containment_pairs(texts: Sequence[str], contained: float = CONTAINED, n: int = N) -> dict[tuple[int, int],
                                                                                                     float]:
    """Every pair (i, j), i < j, one of whose n-gram sets lies at least *contained* inside the
    other (``|A & B| / min(|A|, |B|)``), by comparing every pair of Python sets: the definition."""
    from exact_join import shingle_set

    sets = [shingle_set(t, n) for t in texts]
    out = {}
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            if sets[i] and sets[j]:
                share = len(sets[i] & sets[j]) / min(len(sets[i]), len(sets[j]))
                if share >= contained - 1e-9:
                    out[(i, j)] = share
    return out


def exact_containment_pairs(texts: Sequence[str], contained: float = CONTAINED, n: int = N, count: int = 4,
                            chunk: int = 1 << 23) -> dict[tuple[int, int], float]:
    """The same pairs as ``brute_containment_pairs`` by a prefix-filter containment join.

    n-grams are the exact tokens of ``exact_join._tokenize`` (rarest first). Let x be the
    smaller set of a pair (by size, then position) and T = ceil(contained * |x|): if
    |x & y| >= T, at most |x| - T of x's tokens miss y, so any |x| - T + c of them (its
    prefix) hold at least c of y's. Every token of x's prefix is looked up in the postings
    of every token of every larger set; pairs with at least c hits are verified exactly.
    """
    from exact_join import _ranges, _tokenize

    tokens, offsets, n_rare = _tokenize(texts, n)
    m = len(texts)
    sizes = np.diff(offsets)
    order = np.lexsort((np.arange(m), sizes))
    rank = np.empty(m, np.int64)
    rank[order] = np.arange(m)
    need = np.ceil(contained * sizes - 1e-6).astype(np.int64)
    prefix = np.minimum(sizes, sizes - need + count)
    required = prefix - (sizes - need)
    # Postings: every (token, text) by (token, rank); tokens held by one text only are nobody's.
    owner = np.repeat(np.arange(m), sizes)
    shared = tokens >= n_rare
    key = tokens[shared] * np.int64(m) + rank[owner[shared]]
    by_key = np.argsort(key, kind="stable")
    key, holder = key[by_key], owner[shared][by_key]
    entries = _ranges(offsets[:-1], prefix)
    asker = np.repeat(np.arange(m), prefix)
    token = tokens[entries]
    keep = token >= n_rare
    asker, token = asker[keep], token[keep]
    lo = np.searchsorted(key, token * np.int64(m) + rank[asker], "right")  # larger sets only
    hi = np.searchsorted(key, (token + 1) * np.int64(m), "left")
    hits = hi - lo
    out: dict[tuple[int, int], float] = {}
    firsts = np.flatnonzero(np.r_[True, asker[1:] != asker[:-1]]) if len(asker) else np.zeros(0, np.int64)
    done = np.cumsum(hits)
    start = 0
    while start < len(hits):
        # Cut at a text's first entry: all hits of a pair come from its smaller text's entries.
        end = int(np.searchsorted(done, (done[start - 1] if start else 0) + chunk, "right"))
        later = firsts[np.searchsorted(firsts, max(end, start + 1), "left"):]
        end = int(later[0]) if len(later) else len(hits)
        part = slice(start, end)
        y = holder[_ranges(lo[part], hits[part])]
        x = np.repeat(asker[part], hits[part])
        codes, found = np.unique(x * np.int64(m) + y, return_counts=True)
        xs, ys = np.divmod(codes, m)
        ok = found >= required[xs]
        for a, b in zip(xs[ok].tolist(), ys[ok].tolist()):
            common = np.intersect1d(tokens[offsets[a]:offsets[a + 1]], tokens[offsets[b]:offsets[b + 1]],
                                    assume_unique=True).size
            share = common / min(sizes[a], sizes[b])
            if share >= contained - 1e-9:
                out[(a, b) if a < b else (b, a)] = share
        start = end
    return out


# ------------------------------------------------------------------------------------------ stages
def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    value = fn()
    return time.process_time() - start, value


def sign_numpy(texts: Sequence[str], bands: int, rows: int, containment: bool, batch_size: int = SIGN_BATCH):
    """The numpy stages as the pipeline runs them: shingle, sign, band keys and compact signature
    per batch, and (with containment) each batch's sample for ``candidates_from_samples``."""
    shingler = Shingler("char", N)
    keys = np.zeros((len(texts), bands), np.uint32)
    compact = np.zeros((len(texts), NUM_PERM), np.uint8)
    samples = []
    for start in range(0, len(texts), batch_size):
        batch = shingler(texts[start:start + batch_size])
        signatures = sign(batch, NUM_PERM, SEED)
        if containment:
            samples.append(sample_batch(batch, start))
        keys[start:start + len(batch)] = band_keys(signatures, bands, rows).astype(np.uint32)
        compact[start:start + len(batch)] = signatures.astype(np.uint8)
    return keys, compact, samples


def bucket(keys: np.ndarray, compact: np.ndarray, kernel: bool = False) -> np.ndarray:
    """LSH candidates whose 8-bit estimate is not hopelessly below the threshold (as the pipeline);
    the buckets by ``_lsh.candidate_pairs``, or by ``_kernel.band_candidates`` (the same pairs)."""
    pairs = _kernel.band_candidates(keys, 100) if kernel else candidate_pairs(keys, 100)
    agree = np.zeros(len(pairs))
    for start in range(0, len(pairs), 1 << 16):
        part = pairs[start:start + (1 << 16)]
        agree[start:start + (1 << 16)] = np.count_nonzero(compact[part[:, 0]] == compact[part[:, 1]], axis=1)
    margin = 4 * math.sqrt(THRESHOLD * (1 - THRESHOLD) / NUM_PERM) + 1 / NUM_PERM
    return pairs[agree / NUM_PERM >= THRESHOLD - margin]


def overlap_numpy(texts: Sequence[str], pairs: np.ndarray, chunk: int = VERIFY_CHUNK):
    """``_verify.overlap`` chunk by chunk, shingling each chunk's texts again (as ``_judge_chunk``)."""
    shingler = Shingler("char", N)
    parts = []
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        involved, local = np.unique(part, return_inverse=True)
        found = overlap(shingler([texts[i] for i in involved]), local.reshape(-1, 2))
        parts.append(np.stack([found.size_a, found.size_b, found.shared], axis=1))
    return np.concatenate(parts) if parts else np.zeros((0, 3), np.int64)


def numpy_normalized(normalizer: Normalizer, texts: Sequence[str]) -> list[str]:
    """``Normalizer.batch`` by its numpy path (the kernels switched off for the call)."""
    from unittest.mock import patch

    with patch.object(_kernel, "use_kernels", lambda chars: False):
        return normalizer.batch(texts)


def numpy_candidates(samples: list[Any]) -> np.ndarray:
    """``candidates_from_samples`` by its numpy path (the kernels switched off for the call)."""
    from unittest.mock import patch

    with patch.object(_kernel, "use_kernels", lambda chars: False):
        return candidates_from_samples(samples, CONTAINED)


def union(*pair_arrays: np.ndarray) -> np.ndarray:
    allp = np.concatenate([p.reshape(-1, 2) for p in pair_arrays]).astype(np.int64)
    allp = np.sort(allp, axis=1)
    return np.unique(allp, axis=0)


def recall(pairs: np.ndarray, truth: set[tuple[int, int]]) -> float:
    found = set(map(tuple, np.sort(pairs, axis=1).tolist()))
    return len(found & truth) / len(truth) if truth else float("nan")


def run_size(lang: str, size: int, repeats: int) -> dict[str, Any]:
    texts = load_texts(lang, size)
    raw_chars = sum(map(len, texts))
    reps = representatives(texts)
    bands, rows = optimal_params(THRESHOLD, NUM_PERM)
    times: dict[str, list[float]] = {}
    normalizer = Normalizer()
    normalizer.batch(texts[:100])
    out: dict[str, Any] = {"name": f"{lang}:{size}", "paragraphs": len(texts), "reps": len(reps)}
    tables = normalizer._vector_tables()

    def mapped(batch: Sequence[str]) -> list[str]:
        result, slow = _kernel.map_characters(batch, *tables)
        for i in np.flatnonzero(slow).tolist():
            result[i] = normalizer(batch[i])
        return result

    # Load (or compile) every kernel before timing anything: the first-run cost is measured apart.
    _kernel._load()
    _kernel.sign_texts(reps[:200], N, NUM_PERM, SEED, bands, rows)
    contained_candidates(reps[:200], N, CONTAINED)
    _kernel.overlap_texts(reps, np.array([[0, 1]]), N)
    mapped(texts[:200])
    for _ in range(repeats):
        for label, fn in (("normalize numpy", lambda: numpy_normalized(normalizer, texts)),
                          ("normalize kernel", lambda: mapped(texts)),
                          ("sign numpy", lambda: sign_numpy(reps, bands, rows, False)),
                          ("sign numpy+sample", lambda: sign_numpy(reps, bands, rows, True)),
                          ("sign kernel", lambda: _kernel.sign_texts(reps, N, NUM_PERM, SEED, bands, rows))):
            seconds, value = cpu(fn)
            times.setdefault(label, []).append(seconds)
            out[label] = value
    assert out["normalize numpy"] == out["normalize kernel"]
    del out["normalize numpy"], out["normalize kernel"]
    keys, compact, samples = out.pop("sign numpy+sample")
    del out["sign numpy"]
    signed = out.pop("sign kernel")
    assert (signed.keys == keys).all() and (signed.compact == compact).all()
    for _ in range(repeats):
        seconds, near = cpu(lambda: bucket(signed.keys, signed.compact))
        times.setdefault("bucket", []).append(seconds)
        seconds, same = cpu(lambda: bucket(signed.keys, signed.compact, kernel=True))
        times.setdefault("bucket kernel", []).append(seconds)
        assert np.array_equal(near, same)
        seconds, old = cpu(lambda: numpy_candidates(samples))
        times.setdefault("contain old", []).append(seconds)
        seconds, new = cpu(lambda: contained_candidates(reps, N, CONTAINED))
        times.setdefault("contain new", []).append(seconds)
        assert np.array_equal(old, new)  # the same search, compiled
    with_old, with_new = union(near, old), union(near, new)
    for _ in range(repeats):
        for label, pairs in (("near", near), ("near+old", with_old), ("near+new", with_new)):
            seconds, a = cpu(lambda pairs=pairs: overlap_numpy(reps, pairs))
            times.setdefault(f"verify numpy {label}", []).append(seconds)
            # Timed as judge runs it (merges stopped once a pair cannot qualify); checked exact.
            seconds, _ = cpu(lambda pairs=pairs: _kernel.overlap_texts(reps, pairs, N, NEEDED))
            times.setdefault(f"verify kernel {label}", []).append(seconds)
            assert np.array_equal(a, np.stack(_kernel.overlap_texts(reps, pairs, N), axis=1))
    seconds, truth = cpu(lambda: exact_containment_pairs(reps))
    truth_set = set(truth)
    near_set = set(map(tuple, near.tolist()))
    out.update(
        chars=raw_chars,
        near_candidates=len(near), old_candidates=len(old), new_candidates=len(new),
        old_extra=len(with_old) - len(near), new_extra=len(with_new) - len(near),
        truth=len(truth), truth_seconds=seconds, truth_beyond_near=len(truth_set - near_set),
        recall_old=recall(with_old, truth_set), recall_new=recall(with_new, truth_set),
        recall_old_alone=recall(old, truth_set), recall_new_alone=recall(new, truth_set),
        missed_new=len(truth_set - set(map(tuple, with_new.tolist()))),
        signed_bytes_per_text=sum(a.nbytes for a in signed) / len(reps), truth_pairs=truth_set,
        times={k: float(np.median(v)) for k, v in times.items()}, runs={k: v for k, v in times.items()})
    return out


def run_kernels_only(lang: str, size: int) -> dict[str, Any]:
    """The kernels alone on a corpus too big for the exact join and the numpy stages (1M paragraphs):
    CPU seconds a stage, candidates, and the peak of resident memory above what the texts hold."""
    texts = load_texts(lang, size)
    reps = representatives(texts)
    bands, rows = optimal_params(THRESHOLD, NUM_PERM)
    _kernel._load()
    normalizer = Normalizer()
    tables = normalizer._vector_tables()
    # Resident memory sampled every 2 ms on a thread: the stages' peak above what the texts hold.
    sampler = PeakSampler()
    times = {}
    times["normalize kernel"], _ = cpu(lambda: _kernel.map_characters(texts, *tables))
    # The normal forms are the text itself (the pipeline keeps them in place of the raw slices): from
    # here on, memory is measured above them.
    before = sampler.reset()
    grown, reached = {}, {}

    def stage(label: str, fn: Callable[[], Any]) -> Any:
        # Peak resident memory during the stage: above what it started with, and above the texts.
        start = sampler.reset()
        times[label], value = cpu(fn)
        top = sampler.top()
        grown[label], reached[label] = (top - start) / len(reps), (top - before) / len(reps)
        return value

    signed = stage("sign kernel", lambda: _kernel.sign_texts(reps, N, NUM_PERM, SEED, bands, rows))
    near = stage("bucket", lambda: bucket(signed.keys, signed.compact))
    stage("bucket kernel", lambda: bucket(signed.keys, signed.compact, kernel=True))
    new = stage("contain new", lambda: contained_candidates(reps, N, CONTAINED))
    both = union(near, new)
    stage("verify kernel near", lambda: _kernel.overlap_texts(reps, near, N, NEEDED))
    stage("verify kernel near+new", lambda: _kernel.overlap_texts(reps, both, N, NEEDED))
    held = (resident_bytes() - before) / len(reps)
    sampler.done()
    return {"name": f"{lang}:{size}", "paragraphs": len(texts), "reps": len(reps), "times": times,
            "near_candidates": len(near), "new_candidates": len(new), "new_extra": len(both) - len(near),
            # The pipeline's stages: the kernels' bucketing, not candidate_pairs (measured for its time).
            "peak_growth_bytes_per_text": max(v for k, v in reached.items() if k != "bucket"), "held": held,
            "grown": grown, "reached": reached,
            "signed_bytes_per_text": sum(a.nbytes for a in signed) / len(reps)}


# ------------------------------------------------------------------------------------ datasketch
def ensemble(lang: str, size: int, num_part: int = 16) -> dict[str, Any]:
    """datasketch ``MinHashLSHEnsemble`` (containment 0.8, 128 permutations) on the same texts, as its
    documentation shows: ``MinHash.bulk`` signatures, ``index`` with set sizes, ``query`` per text."""
    from datasketch import MinHash, MinHashLSHEnsemble
    from exact_join import shingle_set

    reps = representatives(load_texts(lang, size))
    timings = {}
    start = time.process_time()
    sets = [[s.encode("utf-8") for s in shingle_set(t, N)] for t in reps]
    timings["shingle"] = time.process_time() - start
    start = time.process_time()
    hashes = MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED)
    timings["sign"] = time.process_time() - start
    start = time.process_time()
    lshe = MinHashLSHEnsemble(threshold=CONTAINED, num_perm=NUM_PERM, num_part=num_part)
    lshe.index((i, h, len(s)) for i, (h, s) in enumerate(zip(hashes, sets)))
    timings["index"] = time.process_time() - start
    start = time.process_time()
    found = set()
    for i, (h, s) in enumerate(zip(hashes, sets)):
        for j in lshe.query(h, len(s)):
            if j != i:
                found.add((min(i, j), max(i, j)))
    timings["query"] = time.process_time() - start
    timings["total"] = sum(timings.values())
    return {"name": f"{lang}:{size}", "pairs": np.array(sorted(found), np.int64).reshape(-1, 2), "times": timings}


# ---------------------------------------------------------------------------------------- compile
_COMPILE_PROBE = """
import time
clock = time.process_time
start = clock()
import numba
from dedup import _kernel, _contain
from dedup._normalize import Normalizer
imported = clock()
_kernel._load()
loaded = clock()
texts = ["同一段文字出现了两次，足够长", "同一段文字出现了两次，足够长了吧", "另外一段"] * 3
s = _kernel.sign_texts(texts, 5, 128, 1, 35, 3)
signed = clock()
_contain.contained_candidates(texts, 5)
contain = clock()
_kernel.overlap_texts(texts, [[0, 1]], 5)
verified = clock()
_kernel.map_characters(texts, *Normalizer()._vector_tables())
mapped = clock()
print({"import": imported - start, "load": loaded - imported, "sign": signed - loaded, "contain": contain - signed,
       "verify": verified - contain, "normalize": mapped - verified})
"""


def compile_cost() -> list[dict[str, float]]:
    """Seconds of the first calls in a fresh process with an empty numba cache, then with the cache filled."""
    runs = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", _COMPILE_PROBE], env=env, cwd=ROOT, capture_output=True,
                                  text=True, check=True)
            runs.append(eval(done.stdout.strip().splitlines()[-1]))  # a dict printed by the probe
    return runs


# ------------------------------------------------------------------------------------------ report
def write_report(path: Path, rows: list[dict[str, Any]], peers: list[dict[str, Any]],
                 compiles: list[dict[str, float]], repeats: int, big: Sequence[dict[str, Any]] = ()) -> None:
    lines = ["# Engine benchmark", "",
             f"Generated by `python benchmarks/engine.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
             f"Machine: {machine(('numpy', 'numba', 'datasketch'))}; shared with other work.", "",
             "CPU seconds of this process (`time.process_time`; the machine is shared, so wall-clock time "
             f"measures the neighbours), median of {repeats} interleaved runs. Distinct paragraphs of at least "
             f"{MIN_CHARS} characters, character {N}-grams, Jaccard >= {THRESHOLD}, {NUM_PERM} bins, containment "
             f">= {CONTAINED}, each text's {SAMPLE} smallest shingle hashes (a long text's up to {MAX_SAMPLE}) as its "
             "containment queries.", "",
             "## What is compared", "",
             "- **numpy stages**: what the pipeline ran before the kernels: `Shingler` -> `sign` -> `band_keys` per "
             f"batch of {SIGN_BATCH:,} texts; verification by `_verify.overlap` on each chunk of {VERIFY_CHUNK:,} "
             "candidates, shingling "
             f"the chunk's texts again; containment by `sample_batch` in signing (each text's {SAMPLE} smallest "
             f"shingle hashes, a long text's up to {MAX_SAMPLE}, and every distinct shingle) and `candidates_from_samples` (the samples looked up in a sorted "
             "index of every shingle of every text).",
             "- **kernels** (what the pipeline runs): `_kernel.sign_texts` (one compiled pass a text: n-gram "
             "hashes, one-permutation bins, densification, band keys, compact signature; bit for bit the numpy "
             "stages' keys and signatures, property-tested), `_kernel.overlap_texts` (each text's distinct hashes "
             "sorted once, by a counting pass on their top bits; pairs counted by merging, a merge stopped once "
             "its pair cannot qualify), `_kernel.map_characters` (the normaliser's per-character "
             "table in one pass), and the same containment search compiled: `_contain.contained_candidates` (pass 1: each "
             f"text's {SAMPLE} smallest hashes, a long text's up to {MAX_SAMPLE}; pass 2: every text's shingles that some text "
             "queries, found through a bitmap and a bucketed table; a second round for the texts none of whose queries "
             f"is usable, which ask {EXTEND} times as many) and `candidates_from_samples` counting each text's holders in a "
             "compiled loop. The same candidates as the numpy stages' (asserted on every run).",
             "- **truth**: an exact prefix-filter containment join on the exact n-grams (`exact_containment_pairs`, "
             f"tested against brute force), pairs with `|A & B| / min(|A|, |B|) >= {CONTAINED}`.", ""]
    for row in rows:
        t = row["times"]
        before_near = t["sign numpy"] + t["bucket"] + t["verify numpy near"]
        after_near = t["sign kernel"] + t["bucket kernel"] + t["verify kernel near"]
        before_cont = t["sign numpy+sample"] + t["bucket"] + t["contain old"] + t["verify numpy near+old"]
        after_cont = t["sign kernel"] + t["bucket kernel"] + t["contain new"] + t["verify kernel near+new"]
        lines += [f"## {row['name']} ({row['paragraphs']:,} paragraphs, {row['reps']:,} distinct)", "",
                  "| stage | numpy stages | kernels | ratio |", "|---|---:|---:|---:|",
                  f"| normalise (all paragraphs) | {t['normalize numpy']:.3f} | {t['normalize kernel']:.3f} | "
                  f"{t['normalize numpy'] / t['normalize kernel']:.2f} |",
                  f"| shingle + sign + band keys | {t['sign numpy']:.3f} | {t['sign kernel']:.3f} | "
                  f"{t['sign numpy'] / t['sign kernel']:.2f} |",
                  f"| bucket (`candidate_pairs` / `band_candidates`, the same pairs) | {t['bucket']:.3f} | "
                  f"{t['bucket kernel']:.3f} | {t['bucket'] / t['bucket kernel']:.2f} |",
                  f"| containment candidates (numpy: the index sampled in signing, "
                  f"{t['sign numpy+sample'] - t['sign numpy']:.3f}, then the search) | "
                  f"{t['sign numpy+sample'] - t['sign numpy'] + t['contain old']:.3f} | {t['contain new']:.3f} | "
                  f"{(t['sign numpy+sample'] - t['sign numpy'] + t['contain old']) / t['contain new']:.2f} |",
                  f"| verify near candidates ({row['near_candidates']:,}) | {t['verify numpy near']:.3f} | "
                  f"{t['verify kernel near']:.3f} | {t['verify numpy near'] / t['verify kernel near']:.2f} |",
                  f"| verify near + containment candidates | {t['verify numpy near+old']:.3f} "
                  f"({row['near_candidates'] + row['old_extra']:,}) | {t['verify kernel near+new']:.3f} "
                  f"({row['near_candidates'] + row['new_extra']:,}) | "
                  f"{t['verify numpy near+old'] / t['verify kernel near+new']:.2f} |",
                  f"| **near-duplicate search** (sign, bucket, verify) | {before_near:.3f} | {after_near:.3f} | "
                  f"{before_near / after_near:.2f} |",
                  f"| **with containment** | {before_cont:.3f} | {after_cont:.3f} | {before_cont / after_cont:.2f} |",
                  f"| containment's extra cost | {before_cont - before_near:.3f} "
                  f"(+{(before_cont - before_near) / before_near:.0%}) | {after_cont - after_near:.3f} "
                  f"(+{(after_cont - after_near) / after_near:.0%}) | |",
                  f"| the same, counting normalisation in the search | | "
                  f"+{(after_cont - after_near) / (after_near + t['normalize kernel']):.0%} | |", "",
                  f"Contained pairs (containment >= {CONTAINED}) by the exact containment join: {row['truth']:,} "
                  f"({row['truth_beyond_near']:,} not among the LSH candidates; the join took "
                  f"{row['truth_seconds']:.1f} s). Recall of LSH + containment candidates "
                  f"{row['recall_new']:.4f} ({row['new_candidates']:,} containment candidates, "
                  f"{row['new_extra']:,} beyond LSH's; {row['missed_new']} missed); of the containment candidates "
                  f"alone {row['recall_new_alone']:.4f}.", "",
                  f"Signing output: {row['signed_bytes_per_text']:.0f} bytes a text (band keys and compact "
                  "signature).", ""]
    for row in big:
        t = row["times"]
        near = t["sign kernel"] + t["bucket kernel"] + t["verify kernel near"]
        extra = t["contain new"] + t["verify kernel near+new"] - t["verify kernel near"]
        lines += [f"## {row['name']}: the kernels alone ({row['paragraphs']:,} paragraphs, {row['reps']:,} distinct)",
                  "", "No exact join and no numpy baseline at this size. CPU seconds:", "",
                  "| normalise | sign | bucket (numpy / kernel) | containment candidates | verify near | "
                  "verify near + containment |", "|---:|---:|---:|---:|---:|---:|",
                  f"| {t['normalize kernel']:.1f} | {t['sign kernel']:.1f} | {t['bucket']:.1f} / "
                  f"{t['bucket kernel']:.1f} | "
                  f"{t['contain new']:.1f} | {t['verify kernel near']:.1f} ({row['near_candidates']:,}) | "
                  f"{t['verify kernel near+new']:.1f} (+{row['new_extra']:,}) |", "",
                  f"Normalise + sign + bucket + verify: {near + t['normalize kernel']:.1f} s; containment adds "
                  f"{extra:.1f} s ({extra / (near + t['normalize kernel']):.0%}). Peak resident memory grew by "
                  f"{row['peak_growth_bytes_per_text']:.0f} bytes a distinct text over these stages (signing output "
                  f"{row['signed_bytes_per_text']:.0f}).", ""]
    if peers:
        lines += ["## datasketch MinHashLSHEnsemble on the same texts", "",
                  "| corpus | seconds (shingle / sign / index / query) | candidates | recall | x dedup's search |",
                  "|---|---:|---:|---:|---:|"]
        for peer in peers:
            row = next(r for r in rows if r["name"] == peer["name"])
            t = peer["times"]
            ours = row["times"]["contain new"]
            lines.append(f"| {peer['name']} | {t['total']:.1f} ({t['shingle']:.1f} / {t['sign']:.1f} / "
                         f"{t['index']:.1f} / {t['query']:.1f}) | {len(peer['pairs']):,} | {peer['recall']:.4f} | "
                         f"{t['total'] / ours:.0f} |")
        lines += ["", "x dedup's search: the ensemble's seconds over dedup's compiled containment search "
                  "(`contained_candidates`). The ensemble's candidates are unverified, like "
                  "dedup's.", ""]
    if rows:
        row = rows[-1]
        t = row["times"]
        near = t["sign kernel"] + t["bucket kernel"] + t["verify kernel near"] + t["normalize kernel"]
        extra = t["contain new"] + t["verify kernel near+new"] - t["verify kernel near"]
        memory = max([row["signed_bytes_per_text"]] + [b["peak_growth_bytes_per_text"] for b in big])
        lines += [f"## Goals ({row['name']}{', memory also ' + big[-1]['name'] if big else ''})", "",
                  "| goal | measured | met |", "|---|---|---|",
                  f"| containment costs at most 30% over the near-duplicate search (normalise, sign, bucket, verify) "
                  f"| +{extra / near:.0%} ({extra:.2f} s over {near:.2f} s) | {'yes' if extra <= 0.3 * near else 'no'} |",
                  f"| recall of contained pairs >= 0.99 against the exact containment join | {row['recall_new']:.4f} "
                  f"| {'yes' if row['recall_new'] >= 0.99 else 'no'} |",
                  f"| under 1 KB a passage beyond the text | {memory:.0f} bytes a distinct text | "
                  f"{'yes' if memory < 1024 else 'no'} |", "",
                  "Memory: the peak above the normal forms, over signing, bucketing, the containment search and "
                  "verification in one process (an upper bound: the allocator keeps what `candidate_pairs`, timed "
                  "in the same process, freed).", ""]
    if compiles:
        cold, warm = compiles
        lines += ["## First run", "",
                  "CPU seconds of the first calls in a fresh process: with an empty numba cache (compiling), then "
                  "with the cache it left (`cache=True`). import: numba and dedup; load: `_kernel._load()` "
                  "(decorating); then the first call of each kernel (compiling it, or loading it from the cache; "
                  "the first load also starts LLVM).", "",
                  "| | import | load | sign_texts | containment search | overlap_texts | map_characters | total |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        keys = ("import", "load", "sign", "contain", "verify", "normalize")
        for label, run in (("empty cache", cold), ("cache filled", warm)):
            lines.append(f"| {label} | " + " | ".join(f"{run[k]:.2f}" for k in keys) + f" | {sum(run.values()):.2f} |")
        lines.append("")
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ensemble-max", type=int, default=10000, help="largest size to run datasketch on")
    parser.add_argument("--kernels-only", default="", help="sizes to run the kernels alone on (e.g. 1000000), each "
                        "in a fresh process so that its peak memory is its own")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE / "ENGINE.md")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_kernels_only(args.lang, args.child)))
        return 0
    rows, peers = [], []
    for size in (int(x) for x in args.sizes.split(",") if x):
        row = run_size(args.lang, size, args.repeats)
        print(json.dumps({k: v for k, v in row.items() if k not in ("runs", "truth_pairs")}, default=str), flush=True)
        rows.append(row)
        if size <= args.ensemble_max:
            peer = ensemble(args.lang, size)
            peer["recall"] = recall(peer["pairs"], row["truth_pairs"])
            print(peer["name"], peer["times"], len(peer["pairs"]), peer["recall"], flush=True)
            peers.append(peer)
    big = []
    for size in (int(x) for x in args.kernels_only.split(",") if x):
        done = subprocess.run([sys.executable, __file__, "--lang", args.lang, "--child", str(size)], capture_output=True,
                              text=True, check=True)
        big.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(big[-1]), flush=True)
    compiles = compile_cost()
    print(compiles, flush=True)
    write_report(args.out, rows, peers, compiles, args.repeats, big)
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k != "truth_pairs"} for r in rows],
                                        default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
