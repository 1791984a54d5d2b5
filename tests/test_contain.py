"""The containment search: its compiled and numpy paths agree with its definition, it finds
contained pairs, and the exact containment join it is measured against is exact."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup import _kernel
from dedup.stages import Shingler, candidates_from_samples, contained_candidates

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from engine import brute_containment_pairs, exact_containment_pairs

needs_numba = pytest.mark.skipif(not _kernel.HAVE_NUMBA, reason="numba is not installed")


def corpus(rng: np.random.Generator, bases: int = 40, longest: int = 60) -> list[str]:
    """Texts over a small alphabet (so unrelated texts share shingles too), with planted
    containment: pieces of texts, texts glued together, copies with a few edits."""
    alphabet = list("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉")
    texts = ["".join(rng.choice(alphabet, int(rng.integers(1, longest)))) for _ in range(bases)]
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
    found = set(map(tuple, contained_candidates(texts, 5).tolist()))
    assert len(truth) > 500
    assert len(set(truth) & found) >= 0.99 * len(truth)


def test_a_short_text_inside_a_long_one_is_found():
    # Sizes far apart (a sentence inside a long paragraph): what a search on samples of both sides misses.
    rng = np.random.default_rng(3)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    longs = ["".join(rng.choice(alphabet, 2000)) for _ in range(30)]
    shorts = [t[k:k + 25] for t, k in zip(longs, rng.integers(0, 1900, 30).tolist())]
    found = set(map(tuple, contained_candidates(longs + shorts, 5).tolist()))
    assert {(i, 30 + i) for i in range(30)} <= found


@pytest.mark.parametrize("compiled", [pytest.param(True, marks=needs_numba), False])
def test_texts_made_of_common_sentences_ask_again_and_are_found(compiled):
    # Every sentence recurs in about 100 paragraphs, so a paragraph's 16 queries are often all common
    # phrases (held by more than MAX_POSTING texts): only the shingles joining two sentences tell where
    # it lies. A text with no usable query asks EXTEND times as many; with EXTEND = 1 (no second round's
    # worth) a fifth of the planted pairs are missed.
    from dedup import _contain

    rng = np.random.default_rng(0)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    sentences = ["".join(rng.choice(alphabet, int(rng.integers(30, 40)))) for _ in range(40)]
    texts = ["".join(rng.choice(sentences, 3, replace=False)) for _ in range(1200)]
    texts += [t + str(rng.choice(sentences)) for t in texts[:300]]  # each of the first 300 inside a longer one
    planted = {(i, 1200 + i) for i in range(300)}
    if compiled:
        _kernel._load()
    with patch.object(_kernel, "use_kernels", lambda chars: compiled):
        found = set(map(tuple, contained_candidates(texts, 5).tolist()))
        with patch.object(_contain, "EXTEND", 1):
            first_round = set(map(tuple, contained_candidates(texts, 5).tolist()))
    assert planted <= found
    assert len(planted & first_round) < 0.9 * len(planted)
    assert first_round < found


def test_no_texts_no_candidates():
    assert contained_candidates([], 5).shape == (0, 2)
    with pytest.raises(ValueError):
        contained_candidates(["一段文字"], 5, 0.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(st.sampled_from("甲乙丙丁戊"), max_size=25), max_size=25), st.sampled_from([0.5, 0.8, 1.0]),
       st.integers(1, 5), st.integers(1, 6))
def test_exact_containment_join_equals_brute_force(texts, contained, n, count):
    assert exact_containment_pairs(texts, contained, n, count=count, chunk=7) == brute_containment_pairs(
        texts, contained, n)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(2, 40), st.sampled_from([2, 3, 5]), st.sampled_from([1, 4, 16]),
       st.integers(1, 9), st.sampled_from([1, 2, 3, 32]), st.sampled_from([50, 10**6]), st.sampled_from([60, 3000]))
def test_the_two_pass_search_gives_the_pairs_of_the_whole_index(seed, count, n, sample, batch, max_posting, chunk,
                                                                longest):
    # The index cut to queried hashes (less those asked by more than max_posting texts) finds what an
    # index of every shingle, built batch by batch, finds; long texts ask more queries (query_counts).
    from dedup._contain import sample_batch

    _kernel._load()
    texts = corpus(np.random.default_rng(seed), count, longest)
    whole = [sample_batch(Shingler("char", n)(texts[i:i + batch]), i, sample) for i in range(0, len(texts), batch)]
    with patch.object(_kernel, "_CHUNK_CHARS", chunk):  # the index in one chunk or in many, counted together
        got = contained_candidates(texts, n, 0.8, sample, max_posting)
    with patch.object(_kernel, "use_kernels", lambda chars: False):  # the reference: the numpy path
        assert got.tolist() == candidates_from_samples(whole, 0.8, max_posting).tolist()
    # The compiled path of candidates_from_samples, the parts in any order (askers out of order): the same.
    assert got.tolist() == candidates_from_samples(whole[::-1], 0.8, max_posting).tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(2, 40), st.sampled_from([2, 3]), st.sampled_from([1, 4, 16]),
       st.sampled_from([0.5, 0.8, 1.0]), st.sampled_from([2, 3, 32]))
def test_candidates_from_samples_compiled_equals_numpy(seed, count, n, sample, contained, max_posting):
    from unittest.mock import patch

    from dedup._contain import sample_batch

    _kernel._load()
    texts = corpus(np.random.default_rng(seed), count)
    samples = [sample_batch(Shingler("char", n)(texts), 0, sample)]
    compiled = candidates_from_samples(samples, contained, max_posting)
    with patch.object(_kernel, "use_kernels", lambda chars: False):
        reference = candidates_from_samples(samples, contained, max_posting)
    assert compiled.tolist() == reference.tolist()


@given(st.integers(0, 300), st.sampled_from([0.5, 0.6, 0.75, 0.8, 0.9, 0.95, 1.0]))
@settings(max_examples=150, deadline=None)
def test_required_hits_is_the_binomial_bound(asked, contained):
    """The bar lets a text contained at exactly the ratio fall short at most MISSED of the time, and no
    higher bar would (exact binomial sums, in fractions)."""
    from fractions import Fraction
    from math import comb

    from dedup._contain import MISSED, required_hits

    ratio = Fraction(contained)

    def short_of(t):  # the chance of fewer than t hits in `asked` draws
        return sum(comb(asked, i) * ratio**i * (1 - ratio)**(asked - i) for i in range(t))

    bar = int(required_hits(np.array([asked]), contained)[0])
    assert bar >= 1
    assert bar == 1 or short_of(bar) <= Fraction(MISSED)
    if asked > 0:
        assert short_of(bar + 1) > Fraction(MISSED) or bar + 1 > asked


@given(st.lists(st.integers(0, 300), max_size=40), st.sampled_from([0.5, 0.8, 1.0]))
@settings(max_examples=60, deadline=None)
def test_required_hits_of_an_array_is_that_of_each_count(asked, contained):
    from dedup._contain import required_hits

    each = [int(required_hits(np.array([k]), contained)[0]) for k in asked]
    assert required_hits(np.array(asked, np.int64), contained).tolist() == each
