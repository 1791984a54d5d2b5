"""The containment search: its compiled and numpy paths agree with its definition, it finds
contained pairs, and the exact containment join it is measured against is exact."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup import _contain, _kernel
from dedup.stages import Shingler, contained_candidates, required_hits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from engine import brute_containment_pairs, exact_containment_pairs

needs_numba = pytest.mark.skipif(not _kernel.HAVE_NUMBA, reason="numba is not installed")


def definition(signed, contained=0.8, max_posting=_contain.MAX_POSTING, miss=_contain.MISS,
               margin=_contain.MARGIN):
    """``contained_candidates`` as its docstring states it, pair by pair over Python sets: slow and plain."""
    m = len(signed.sizes)
    samples = [set(signed.samples[a:b].tolist()) for a, b in zip(signed.sample_offsets[:-1],
                                                                  signed.sample_offsets[1:])]
    holders: dict[int, int] = {}
    for sample in samples:
        for h in sample:
            holders[h] = holders.get(h, 0) + 1
    usable = [{h for h in sample if holders[h] <= max_posting} for sample in samples]
    need = required_hits(max(map(len, samples), default=0), contained, miss)
    num_perm = signed.compact.shape[1]
    out = []
    for i in range(m):
        for j in range(i + 1, m):
            hits = len(usable[i] & usable[j])
            if hits == 0:
                continue
            bound = min(int(signed.limits[i]), int(signed.limits[j]))
            asked_i = sum(h < bound for h in usable[i])
            asked_j = sum(h < bound for h in usable[j])
            if hits < need[asked_i] and hits < need[asked_j]:
                continue
            small, big = sorted((float(signed.sizes[i]), float(signed.sizes[j])))
            least = contained / (1.0 + big / small - contained)
            floor = least - margin * math.sqrt(least * (1.0 - least) / num_perm) - 1.0 / num_perm
            if np.count_nonzero(signed.compact[i] == signed.compact[j]) / num_perm >= floor:
                out.append((i, j))
    return out


def corpus(rng: np.random.Generator, bases: int = 40) -> list[str]:
    """Texts over a small alphabet (so unrelated texts share shingles too), with planted
    containment: pieces of texts, texts glued together, copies with a few edits."""
    alphabet = list("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉")
    texts = ["".join(rng.choice(alphabet, int(rng.integers(1, 60)))) for _ in range(bases)]
    for _ in range(bases):
        a, b = texts[int(rng.integers(bases))], texts[int(rng.integers(bases))]
        kind = int(rng.integers(4))
        if kind == 0:
            start = int(rng.integers(0, max(1, len(a) // 4)))
            texts.append(a[start:start + int(rng.integers(len(a) // 2, len(a) + 1))])
        elif kind == 1:
            texts.append(a + b)
        elif kind == 2:
            chars = list(a)
            for _ in range(int(rng.integers(1, 4))):
                if chars:
                    chars[int(rng.integers(len(chars)))] = str(rng.choice(alphabet))
            texts.append("".join(chars))
        else:
            texts.append(b[: len(b) // 2] + a)
    return texts


@st.composite
def signed_corpora(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    texts = corpus(rng, draw(st.integers(2, 30)))
    n = draw(st.sampled_from([2, 3, 5]))
    sample = draw(st.sampled_from([1, 4, 16]))
    return texts, _kernel._sign_numpy(texts, n, 64, 1, 16, 4, sample), draw(st.sampled_from([0.5, 0.8, 1.0])), \
        draw(st.sampled_from([2, 3, 32]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signed_corpora())
def test_numpy_path_follows_the_definition(case):
    _, signed, contained, max_posting = case
    need = required_hits(int(np.diff(signed.sample_offsets).max()), contained)
    got = _contain._contained_numpy(signed.sample_offsets, signed.samples, signed.limits, signed.sizes,
                                    signed.compact, need, max_posting, contained, _contain.MARGIN)
    assert sorted(map(tuple, got.tolist())) == definition(signed, contained, max_posting)


@needs_numba
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signed_corpora())
def test_compiled_path_equals_the_numpy_path(case):
    _, signed, contained, max_posting = case
    _kernel._load()
    args = (signed.sample_offsets, signed.samples, signed.limits, signed.sizes, signed.compact, contained)
    compiled = contained_candidates(*args, max_posting=max_posting)
    loaded = list(_kernel._loaded)
    try:
        _kernel._loaded.clear()  # unloaded and small: the numpy path
        plain = contained_candidates(*args, max_posting=max_posting)
    finally:
        _kernel._loaded.extend(loaded)
    assert compiled.tolist() == plain.tolist() == [list(p) for p in definition(signed, contained, max_posting)]


def test_required_hits_is_the_binomial_quantile():
    for contained in (0.5, 0.8, 0.95):
        need = required_hits(60, contained, 0.002)
        assert need[0] == np.iinfo(np.int64).max
        assert all(need[a] <= need[a + 1] for a in range(1, 60))
        for a in range(1, 61):
            below = sum(math.comb(a, x) * contained**x * (1 - contained)**(a - x) for x in range(need[a]))
            above = below + math.comb(a, need[a]) * contained**need[a] * (1 - contained)**(a - need[a])
            assert need[a] == 1 or below <= 0.002 < above


def test_contained_pairs_are_found():
    rng = np.random.default_rng(11)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    bases = ["".join(rng.choice(alphabet, int(rng.integers(40, 300)))) for _ in range(400)]
    texts = list(bases)
    for i in range(200):
        a, b = bases[i], bases[(i + 1) % len(bases)]
        texts.append(a + b[: int(rng.integers(0, len(b) + 1))])  # a inside a longer text
        cut = int(rng.integers(len(a) // 2, len(a)))
        texts.append(a[:cut])  # a piece of a
    truth = brute_containment_pairs(texts, 0.8, 5)
    signed = _kernel.sign_texts(texts, 5, 128, 1, 35, 3, sample=16)
    found = set(map(tuple, contained_candidates(signed.sample_offsets, signed.samples, signed.limits, signed.sizes,
                                                signed.compact).tolist()))
    assert len(truth) > 500
    assert len(set(truth) & found) >= 0.99 * len(truth)
    assert len(found) <= 2 * len(truth)


def test_no_samples_no_candidates():
    signed = _kernel.sign_texts(["一段文字", "另一段文字"], 5, 16, 1, 4, 2)
    assert contained_candidates(signed.sample_offsets, signed.samples, signed.limits, signed.sizes,
                                signed.compact).shape == (0, 2)
    with pytest.raises(ValueError):
        contained_candidates(signed.sample_offsets, signed.samples, signed.limits, signed.sizes, signed.compact, 0.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(st.sampled_from("甲乙丙丁戊"), max_size=25), max_size=25), st.sampled_from([0.5, 0.8, 1.0]),
       st.integers(1, 5), st.integers(1, 6))
def test_exact_containment_join_equals_brute_force(texts, contained, n, count):
    assert exact_containment_pairs(texts, contained, n, count=count, chunk=7) == brute_containment_pairs(
        texts, contained, n)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(2, 40), st.sampled_from([2, 3, 5]), st.sampled_from([1, 4, 16]),
       st.integers(1, 9))
def test_sample_texts_gives_the_pairs_of_the_whole_index(seed, count, n, sample, batch):
    # The index cut to queried hashes finds what an index of every shingle, built batch by batch, finds.
    from dedup._contain import candidates_from_samples, sample_batch, sample_texts

    _kernel._load()
    texts = corpus(np.random.default_rng(seed), count)
    whole = [sample_batch(Shingler("char", n)(texts[i:i + batch]), i, sample) for i in range(0, len(texts), batch)]
    got = candidates_from_samples([sample_texts(texts, n, sample)], 0.8)
    assert got.tolist() == candidates_from_samples(whole, 0.8).tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(2, 40), st.sampled_from([2, 3]), st.sampled_from([1, 4, 16]),
       st.sampled_from([0.5, 0.8, 1.0]), st.sampled_from([2, 3, 32]))
def test_candidates_from_samples_compiled_equals_numpy(seed, count, n, sample, contained, max_posting):
    from unittest.mock import patch

    from dedup._contain import candidates_from_samples, sample_batch

    _kernel._load()
    texts = corpus(np.random.default_rng(seed), count)
    samples = [sample_batch(Shingler("char", n)(texts), 0, sample)]
    compiled = candidates_from_samples(samples, contained, max_posting)
    with patch.object(_kernel, "use_kernels", lambda chars: False):
        reference = candidates_from_samples(samples, contained, max_posting)
    assert compiled.tolist() == reference.tolist()
