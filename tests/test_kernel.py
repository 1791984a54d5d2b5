"""The compiled kernels give bit for bit what the numpy stages give, and fall back to them."""

from __future__ import annotations

from functools import partial
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup import _kernel
from dedup._arrays import in_top_bits
from dedup._verify import Overlap, needed_shared
from dedup.stages import Normalizer, Shingler, band_keys, candidate_pairs, overlap, sign

needs_numba = pytest.mark.skipif(not _kernel.HAVE_NUMBA, reason="numba is not installed")

# Han, Latin, full-width punctuation, and characters beyond the BMP (two UTF-16 units, one code point).
ALPHABET = st.sampled_from([*"甲乙丙丁戊己庚", "a", "b", "，", "\U00020000", "\U0001F600"])
TEXTS = st.lists(st.text(ALPHABET, max_size=40), max_size=25)


@pytest.fixture(autouse=True)
def loaded_kernels():
    """Every call runs the kernels, whatever its size (they load, or compile once, here)."""
    if _kernel.HAVE_NUMBA:
        _kernel._load()


def numpy_reference(texts, n, num_perm, seed, bands, rows):
    """What the numpy stages compute."""
    signatures = sign(Shingler("char", n)(texts), num_perm, seed)
    return band_keys(signatures, bands, rows).astype(np.uint32), signatures.astype(np.uint8)


@st.composite
def signing(draw):
    num_perm = draw(st.sampled_from([2, 3, 16, 128, 200]))
    rows = draw(st.integers(1, min(4, num_perm)))
    bands = draw(st.integers(1, num_perm // rows))
    seed = draw(st.sampled_from([0, 1, 7, 2**63 + 5, 2**64 - 1]))
    return draw(TEXTS), draw(st.integers(1, 6)), num_perm, seed, bands, rows


@needs_numba
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signing())
def test_sign_texts_equals_the_numpy_stages(case):
    got = _kernel.sign_texts(*case)
    keys, compact = numpy_reference(*case)
    assert got.keys.dtype == np.uint32 and np.array_equal(got.keys, keys)
    assert got.compact.dtype == np.uint8 and np.array_equal(got.compact, compact)


@needs_numba
@settings(max_examples=40, deadline=None)
@given(signing())
def test_numpy_path_gives_the_same_signed_texts(case):
    kernel = _kernel.sign_texts(*case)
    numpy_path = _kernel._sign_numpy(*case)
    for field, a, b in zip(kernel._fields, kernel, numpy_path):
        assert a.dtype == b.dtype and np.array_equal(a, b), field


def test_without_numba_the_numpy_stages_run(monkeypatch):
    texts = ["同一段文字出现了两次", "同一段文字出现了两次。", "另外一段"]
    monkeypatch.setattr(_kernel, "HAVE_NUMBA", False)
    monkeypatch.setattr(_kernel, "_loaded", [])
    got = _kernel.sign_texts(texts, 5, 128, 1, 35, 3)
    keys, compact = numpy_reference(texts, 5, 128, 1, 35, 3)
    assert np.array_equal(got.keys, keys) and np.array_equal(got.compact, compact)
    found = _kernel.overlap_texts(texts, np.array([[0, 1], [1, 2]]), 5)
    assert [a.tolist() for a in found] == [[6, 7], [7, 1], [6, 0]]


def test_small_inputs_leave_numba_unloaded(monkeypatch):
    monkeypatch.setattr(_kernel, "_loaded", [])
    _kernel.sign_texts(["一段不长的文字"] * 3, 5, 16, 1, 4, 2)
    assert _kernel._loaded == []


@needs_numba
def test_chunks_do_not_change_the_results(monkeypatch):
    rng = np.random.default_rng(5)
    texts = ["".join(rng.choice(list("甲乙丙丁戊己庚辛"), int(rng.integers(0, 30)))) for _ in range(200)]
    whole = _kernel.sign_texts(texts, 3, 64, 2, 20, 3)
    pairs = rng.integers(0, len(texts), (300, 2))
    verified = _kernel.overlap_texts(texts, pairs, 3)
    monkeypatch.setattr(_kernel, "_CHUNK_CHARS", 50)
    assert len(_kernel._chunks(texts)) > 20
    pieces = _kernel.sign_texts(texts, 3, 64, 2, 20, 3)
    for a, b in zip(whole, pieces):
        assert np.array_equal(a, b)
    assert all(np.array_equal(a, b) for a, b in zip(verified, _kernel.overlap_texts(texts, pairs, 3)))


@needs_numba
@settings(max_examples=100, deadline=None)
@given(TEXTS.filter(lambda t: len(t) >= 1), st.integers(1, 6), st.data())
def test_overlap_texts_equals_verify_overlap(texts, n, data):
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, len(texts) - 1), st.integers(0, len(texts) - 1)),
                                        max_size=30)), np.int64).reshape(-1, 2)
    found = _kernel.overlap_texts(texts, pairs, n)
    if len(pairs) == 0:
        assert all(len(a) == 0 for a in found)
        return
    want = overlap(Shingler("char", n)(texts), pairs)
    assert found[0].tolist() == want.size_a.tolist()
    assert found[1].tolist() == want.size_b.tolist()
    assert found[2].tolist() == want.shared.tolist()


@needs_numba
@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from([*"ＡａB，。 \t…ﬁé甲①㍿", "e\u0301", "\u1100\u1161", "\U00020000", "\ud800"]),
                         max_size=20).map("".join), max_size=20))
def test_map_characters_equals_the_normaliser(texts):
    normalizer = Normalizer()
    mapped, slow = _kernel.map_characters(texts, *normalizer._vector_tables())
    for i in np.flatnonzero(slow).tolist():
        assert mapped[i] == ""
        mapped[i] = normalizer(texts[i])
    assert mapped == [normalizer(t) for t in texts]
    # The batch's numpy path (the kernels are loaded here: switched off for the call) gives the same.
    with patch.object(_kernel, "use_kernels", lambda chars: False):
        assert normalizer.batch(texts, min_chars=0) == mapped


@needs_numba
def test_lone_surrogates_are_one_code_point_each():
    texts = ["ab\ud800cd", "ab\ud800cd"]
    got = _kernel.sign_texts(texts, 2, 16, 1, 4, 2)
    keys, _ = numpy_reference(texts, 2, 16, 1, 4, 2)
    assert np.array_equal(got.keys, keys) and np.array_equal(got.keys[0], got.keys[1])
    assert _kernel.overlap_texts(texts, np.array([[0, 1]]), 2)[0].tolist() == [4]


@needs_numba
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 6), st.integers(1, 40), st.sampled_from([2, 3, 5, 100]), st.data())
def test_band_candidates_equal_candidate_pairs(n, bands, values, max_bucket, data):
    seed = data.draw(st.integers(0, 2**32 - 1))
    keys = np.random.default_rng(seed).integers(0, values, (n, bands)).astype(np.uint32)
    assert np.array_equal(_kernel.band_candidates(keys, max_bucket), candidate_pairs(keys, max_bucket))
    # The codes, compiled (uint32 keys) and by the numpy stages (other keys): the same, ascending.
    codes = _kernel.band_pair_codes(keys, max_bucket)
    assert np.array_equal(codes, _kernel.band_pair_codes(keys.astype(np.uint64), max_bucket))
    assert codes.dtype == np.uint64 and (np.diff(codes.astype(np.int64)) > 0).all()


@needs_numba
@settings(max_examples=100, deadline=None)
@given(TEXTS.filter(lambda t: len(t) >= 1), st.integers(1, 4), st.floats(0.05, 1.0), st.floats(0.05, 1.0), st.data())
def test_overlap_texts_stopped_early_decides_as_exact(texts, n, threshold, contained, data):
    # Texts drawn from few characters share many shingles, so merges both finish and stop early.
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, len(texts) - 1), st.integers(0, len(texts) - 1)),
                                        max_size=30)), np.int64).reshape(-1, 2)
    size_a, size_b, exact = _kernel.overlap_texts(texts, pairs, n)
    _, _, found = _kernel.overlap_texts(texts, pairs, n, partial(needed_shared, threshold, contained))

    def accepted(shared):  # judge's two tests
        near, inside = Overlap(size_a, size_b, shared).qualifies(threshold, contained)
        return near | inside

    assert accepted(found).tolist() == accepted(exact).tolist()
    assert found[accepted(exact)].tolist() == exact[accepted(exact)].tolist()
    assert (found <= exact).all()


@needs_numba
def test_overlap_texts_stops_merges_that_cannot_qualify():
    # Large sets sharing a fifth of their shingles: neither near (0.6) nor contained (0.8), so the merges
    # stop early, below the exact count; a copy with a few edits is near and counted exactly.
    rng = np.random.default_rng(3)
    base = "".join(rng.choice(list("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"), 3000))
    other = base[:600] + "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRST"), 2400))
    edited = base[:1500] + "X" + base[1501:]
    texts = [base, other, edited]
    pairs = np.array([[0, 1], [0, 2]])
    _, _, exact = _kernel.overlap_texts(texts, pairs, 5)
    _, _, found = _kernel.overlap_texts(texts, pairs, 5, partial(needed_shared, 0.6, 0.8))
    assert found[0] < exact[0] and found[1] == exact[1]


@needs_numba
@settings(max_examples=80, deadline=None)
@given(st.integers(0, 64), st.integers(0, 5000), st.data())
def test_sort_in_place_equals_numpy_sort(bits, n, data):
    # Bounds from 1 to 2**64 - 1, values spread or crowding one top-12-bit bucket (distinct values there,
    # so the bucket's radix passes decide the order; or all equal): the in-place sort is np.sort's.
    bound = np.uint64(2**bits - 1 if bits == 64 else 2**bits) if bits else np.uint64(1)
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    values = rng.integers(0, int(bound), n, dtype=np.uint64, endpoint=False)
    crowd = data.draw(st.sampled_from(["spread", "distinct", "equal"]))
    if n and crowd != "spread":
        low = np.uint64((1 << max(0, bits - 12)) - 1)  # the bits below the bucket's
        fill = rng.integers(0, int(low) + 1, n // 2, dtype=np.uint64) if crowd == "distinct" else np.uint64(0)
        values[: n // 2] = (values[0] & ~low) | fill
    want = np.sort(values)
    _kernel._sort_in_place(values, bound)
    assert np.array_equal(values, want)


@needs_numba
@settings(max_examples=80, deadline=None)
@given(st.integers(0, 3000), st.integers(1, 64), st.data())
def test_sort_hashes_equals_numpy_sort(n, spread_bits, data):
    # Hashes drawn from the top spread_bits only (crowded buckets, many repeats) or spread over all 64.
    seed = data.draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).integers(0, 2**spread_bits, n, dtype=np.uint64, endpoint=False)
    values <<= np.uint64(64 - spread_bits)
    want = np.sort(values)
    scratch, count = np.empty(n, np.uint64), np.zeros((1 << max(1, n.bit_length())) + 1, np.int64)
    _kernel._sort_hashes(values, scratch, count)
    assert np.array_equal(values, want)


@needs_numba
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.integers(1, 6), st.integers(0, 20), st.data())
def test_smallest_and_held_hashes_equal_python_sets(texts, n, k, data):
    batch = Shingler("char", n)(texts)
    sets = [set(batch.of(i).tolist()) for i in range(len(texts))]
    if data.draw(st.booleans()):  # a k a text, zeros included
        k = np.array(data.draw(st.lists(st.integers(0, 20), min_size=len(texts), max_size=len(texts))), np.int64)
    hashes, counts = _kernel.smallest_hashes(texts, n, k)
    want = [sorted(s)[:int(np.broadcast_to(k, len(texts))[i])] for i, s in enumerate(sets)]
    assert counts.tolist() == [len(w) for w in want]
    assert hashes.tolist() == [h for w in want for h in w]
    # Less each text's first few (what a first round asked): the rest of its row.
    skip = np.array(data.draw(st.lists(st.integers(0, 25), min_size=len(texts), max_size=len(texts))), np.int64)
    later, later_counts = _kernel.smallest_hashes(texts, n, k, skip)
    assert later.tolist() == [h for w, first in zip(want, skip.tolist()) for h in w[first:]]
    assert later_counts.tolist() == [len(w[first:]) for w, first in zip(want, skip.tolist())]
    # The table: some texts' smallest hashes and some hashes nobody has.
    table = np.unique(np.concatenate([hashes[::2], np.array([1, 2**63, 2**64 - 1], np.uint64)]))
    with patch.object(_kernel, "_CHUNK_CHARS", 7):  # several chunks, in text order, whatever their sizes
        chunks = _kernel.held_slot_chunks(texts, n, table)
    slots, counts = (np.concatenate([chunk[k] for chunk in chunks]) for k in (0, 1))
    owner = np.repeat(np.arange(len(texts)), counts)
    wanted = [(i, h) for i, s in enumerate(sets) for h in sorted(s & set(table.tolist()))]
    assert list(zip(owner.tolist(), table[slots].tolist())) == wanted
    # How many texts hold each hash of the table: exact, or with a limit, exact up to it and past it after.
    holders = [sum(h in s for s in sets) for h in table.tolist()]
    most = data.draw(st.integers(0, 3))
    with patch.object(_kernel, "_CHUNK_CHARS", 7), patch.object(_kernel, "_COUNT_BLOCKS", 3):
        assert _kernel.held_counts(texts, n, table).tolist() == holders
        limited = _kernel.held_counts(texts, n, table, most).tolist()
    assert [c if c <= most else "past" for c in limited] == [c if c <= most else "past" for c in holders]
    # With low bits dropped (as the Dask engine compares hashes): the same, on the hashes so cut.
    drop = data.draw(st.sampled_from([3, 20, 40]))
    cut = np.unique(table >> np.uint64(drop) << np.uint64(drop))
    cut_sets = [{h >> drop << drop for h in s} for s in sets]
    slots, counts = (np.concatenate([chunk[k] for chunk in _kernel.held_slot_chunks(texts, n, cut, drop)]) for k in (0, 1))
    owner = np.repeat(np.arange(len(texts)), counts)
    assert list(zip(owner.tolist(), cut[slots].tolist())) == [(i, h) for i, s in enumerate(cut_sets)
                                                               for h in sorted(s & set(cut.tolist()))]
    assert _kernel.held_counts(texts, n, cut, drop=drop).tolist() == [sum(h in s for s in cut_sets) for h in cut.tolist()]


@needs_numba
@settings(deadline=None)  # the first example compiles the kernel on a fresh checkout
@given(st.integers(0, 1500).flatmap(lambda k: st.lists(st.one_of(st.integers(0, 40), st.integers(0, 2**64 - 1),
                                                                 st.integers(2**64 - 4, 2**64 - 1)),
                                                       min_size=k, max_size=k)),
       st.integers(1, 5), st.sampled_from([1, 2, 4, 8]))
def test_rare_values_equal_counting(values, most, parts):  # past 64 values the ranges are cut at quantiles
    data = np.array(values, np.uint64)
    distinct_values, counts = np.unique(data, return_counts=True)
    assert _kernel.rare_values(data, most, parts).tolist() == distinct_values[counts <= most].tolist()
    assert data.tolist() == values  # the input is left as it was


@needs_numba
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, st.integers(1, 6), st.sampled_from([3, 4, 8]), st.integers(0, 2**32 - 1), st.sampled_from([0, 3, 29]))
def test_sampled_hashes_equal_python_sets(texts, n, bits, seed, shift):
    bitmap = np.random.default_rng(seed).integers(0, 256, 1 << (bits - 3)).astype(np.uint8)
    batch = Shingler("char", n)(texts)
    chosen = {p for p in range(1 << bits) if bitmap[p >> 3] >> (p & 7) & 1}
    want = [sorted({h >> shift for h in batch.of(i).tolist() if h >> (64 - bits) in chosen}) for i in range(len(texts))]
    with patch.object(_kernel, "_CHUNK_CHARS", 7):  # several chunks, joined in text order
        values, counts = _kernel.sampled_hashes(texts, n, bitmap, shift)
    assert counts.tolist() == [len(w) for w in want]
    assert values.tolist() == [h for w in want for h in w]
    assert np.array_equal(in_top_bits(bitmap, batch.hashes), [h >> (64 - bits) in chosen for h in batch.hashes.tolist()])
