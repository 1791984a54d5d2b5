"""Alignment from shared shingles against brute force, and the extra-run measure against its first version."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import _kernel, _verify
from dedup.stages import (
    Normalizer,
    Prepared,
    SetIndex,
    Shingler,
    align,
    align_pairs,
    aligned_spans,
    gather_ranges,
    longest_extra_run,
    prepare,
)

NORMALIZER = Normalizer()
# Few letters, so windows repeat within and across texts; spaces and full-width forms, so
# normalised positions differ from original ones.
SMALL = st.sampled_from("abcAB 　ａ\n")


def brute_covered(a_norm: str, b_norm: str, k: int) -> set[int]:
    """Positions of a inside some k-character window that occurs anywhere in b."""
    windows = {b_norm[j:j + k] for j in range(len(b_norm) - k + 1)}
    return {p for i in range(len(a_norm) - k + 1) if a_norm[i:i + k] in windows for p in range(i, i + k)}


def covered_by(blocks: np.ndarray, side: int) -> set[int]:
    return {p for row in blocks.tolist() for p in range(row[2 * side], row[2 * side + 1])}


def texts(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Pieces of one pool, so that the two texts share blocks, in any order and number.
    return st.lists(st.text(alphabet, max_size=12), min_size=1, max_size=6).flatmap(
        lambda pool: st.lists(st.sampled_from(pool) | st.text(alphabet, max_size=6), max_size=12).map("".join))


@settings(max_examples=100, deadline=None)
@given(texts(SMALL), texts(SMALL), st.integers(1, 6))
def test_blocks_are_equal_text_and_cover_what_brute_force_covers(a_text, b_text, k):
    a, b = prepare(NORMALIZER, a_text, k), prepare(NORMALIZER, b_text, k)
    a_norm, b_norm = NORMALIZER.with_offsets(a_text)[0], NORMALIZER.with_offsets(b_text)[0]
    blocks = align(a, b, max_gap=0, min_moved=k)
    for a0, a1, b0, b1 in blocks.tolist():
        assert a1 - a0 >= k and a_norm[a0:a1] == b_norm[b0:b1]
    assert covered_by(blocks, 0) == brute_covered(a_norm, b_norm, k)
    assert covered_by(blocks, 1) == brute_covered(b_norm, a_norm, k)
    assert blocks.tolist() == sorted(blocks.tolist())


@settings(max_examples=60, deadline=None)
@given(texts(SMALL), texts(SMALL), st.integers(1, 6), st.integers(0, 500), st.integers(0, 500),
       st.integers(0, 12))
def test_spans_slice_back_into_the_original_texts(a_text, b_text, k, a_offset, b_offset, max_gap):
    spans = aligned_spans(NORMALIZER, a_text, a_offset, b_text, b_offset, min_len=k, max_gap=max_gap)
    assert spans == sorted(spans, key=lambda s: (s.a_start, s.a_end, s.b_start, s.b_end))
    for s in spans:
        assert a_offset <= s.a_start < s.a_end <= a_offset + len(a_text)
        assert b_offset <= s.b_start < s.b_end <= b_offset + len(b_text)
        a_part = a_text[s.a_start - a_offset:s.a_end - a_offset]
        b_part = b_text[s.b_start - b_offset:s.b_end - b_offset]
        # Spans start and end on kept characters; each character of SMALL normalises to at most one.
        assert not a_part[0].isspace() and not a_part[-1].isspace()
        assert len(NORMALIZER(a_part)) >= k
        if max_gap == 0:
            assert NORMALIZER(a_part) == NORMALIZER(b_part)


@settings(max_examples=40, deadline=None)
@given(texts(SMALL), texts(SMALL), st.integers(1, 4))
def test_colliding_hashes_never_make_a_false_block(a_text, b_text, k):
    # Every window gets the same hash: all are candidates, and only the character check tells them apart.
    def colliding(text: str) -> Prepared:
        p = prepare(NORMALIZER, text, k)
        windows = np.arange(len(p.order))
        return Prepared(p.codes, p.offsets, windows, np.zeros(len(windows), np.uint64), k)

    a_norm, b_norm = NORMALIZER.with_offsets(a_text)[0], NORMALIZER.with_offsets(b_text)[0]
    for a0, a1, b0, b1 in align(colliding(a_text), colliding(b_text), max_gap=0, min_moved=k).tolist():
        assert a1 - a0 >= k and a_norm[a0:a1] == b_norm[b0:b1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(texts(SMALL), texts(SMALL)), max_size=6), st.integers(1, 4), st.integers(0, 12))
def test_pairs_aligned_together_are_aligned_as_alone(text_pairs, k, max_gap):
    prepared = [(prepare(NORMALIZER, a, k), prepare(NORMALIZER, b, k)) for a, b in text_pairs]
    together = align_pairs(prepared, max_gap)
    assert [blocks.tolist() for blocks in together] == [align(a, b, max_gap).tolist() for a, b in prepared]


def test_a_moved_block_is_found_where_it_went():
    rng = np.random.default_rng(3)
    chars = "".join(map(chr, 0x4E00 + rng.permutation(20_000)[:12_000]))
    moved, rest = chars[:5_000], chars[5_000:]
    spans = aligned_spans(NORMALIZER, moved + rest, 0, rest + moved, 0)
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in spans] == [
        (0, 5_000, 7_000, 12_000), (5_000, 12_000, 0, 7_000)]


def test_copies_line_up_one_to_one_and_an_edit_is_bridged():
    paragraph = "重复的段落里有足够多的不同文字，所以窗口不会在段内重复出现。"
    n = len(paragraph)
    spans = aligned_spans(NORMALIZER, paragraph * 3, 0, paragraph * 3, 0)
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in spans] == [(0, 3 * n, 0, 3 * n)]
    spans = aligned_spans(NORMALIZER, paragraph * 3, 0, paragraph, 0)
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in spans] == [(i * n, i * n + n, 0, n) for i in range(3)]
    # A two-character edit is a gap of 2 <= max_gap on both sides: one span.
    spans = aligned_spans(NORMALIZER, paragraph, 0, paragraph.replace("足够", "很多"), 0)
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in spans] == [(0, n, 0, n)]


@settings(max_examples=20, deadline=None)
@given(texts(SMALL), texts(SMALL))
def test_alignment_is_deterministic(a_text, b_text):
    first = aligned_spans(NORMALIZER, a_text * 3, 0, b_text + a_text, 0, min_len=2)
    assert first == aligned_spans(NORMALIZER, a_text * 3, 0, b_text + a_text, 0, min_len=2)


def test_a_window_repeated_thousands_of_times_stays_cheap():
    # Every window of a occurs 29,996 times in b: pairing occurrences in turn gives two diagonals.
    a, b = "是" * 20_000, "是" * 30_000 + "不同的结尾文字"
    spans = [(s.a_start, s.a_end, s.b_start, s.b_end) for s in aligned_spans(NORMALIZER, a, 0, b, 0)]
    assert spans == [(0, 10_004, 19_996, 30_000), (0, 20_000, 0, 20_000)]


def reference_longest_extra_run(batch, pairs, pad=0):
    """The implementation before the table look-ups (commit 8186e6b), kept as the reference."""
    index = SetIndex(batch)
    counts = batch.counts()[pairs[:, 0]]
    out = np.zeros(len(pairs), np.int64)
    if counts.sum() == 0:
        return out
    position = gather_ranges(batch.offsets[pairs[:, 0]], counts)
    owner = np.repeat(np.arange(len(pairs)), counts)
    miss = ~index.contains(pairs[owner, 1], index.truncated[position])
    positions = np.arange(len(miss))
    last_stop = np.full(len(miss), -1, np.int64)
    pair_starts = np.cumsum(counts) - counts
    last_stop[pair_starts[counts > 0]] = pair_starts[counts > 0] - 1
    last_stop[~miss] = positions[~miss]
    stop = np.maximum.accumulate(last_stop)
    run = positions - stop
    if pad:
        pair_ends = np.cumsum(counts) - 1
        run += pad * (stop == (pair_starts - 1)[owner])
        run[pair_ends[counts > 0]] += pad * miss[pair_ends[counts > 0]]
    np.maximum.at(out, owner, run)
    return out


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(SMALL, max_size=40), min_size=1, max_size=10), st.integers(1, 4), st.integers(0, 3),
       st.booleans(), st.data())
def test_longest_extra_run_equals_the_reference(text_list, n, pad, tiny_chunks, data):
    batch = Shingler("char", n)([NORMALIZER(t) for t in text_list])
    m = len(text_list)
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, m - 1), st.integers(0, m - 1)), max_size=30)),
                     np.int64).reshape(-1, 2)
    # Tiny chunks: every group of pairs with the same j gets a table of its own.
    with patch.object(_verify, "_SET_CHUNK", 1 if tiny_chunks else _verify._SET_CHUNK), \
            patch.object(_verify, "_CHUNK", 1 if tiny_chunks else _verify._CHUNK):
        got = longest_extra_run(batch, pairs, pad=pad)
    assert got.tolist() == reference_longest_extra_run(batch, pairs, pad=pad).tolist()
    # The compiled path (judge's, for character shingles): the same runs, in chunks of pairs or not.
    texts = [NORMALIZER(t) for t in text_list]
    _kernel._load()
    with patch.object(_kernel, "_CHUNK_CHARS", 1 if tiny_chunks else _kernel._CHUNK_CHARS):
        assert _kernel.extra_runs(texts, pairs, n, pad).tolist() == got.tolist()


def test_longest_extra_run_on_long_texts_with_a_missing_block():
    rng = np.random.default_rng(5)
    base = "".join(map(chr, 0x4E00 + rng.integers(0, 3_000, 40_000)))
    block = "".join(map(chr, 0x4E00 + 5_000 + rng.permutation(2_000)[:300]))
    outer = base[:20_000] + block + base[20_000:]
    batch = Shingler("char", 5)([outer, base, base[:10_000]])
    pairs = np.array([[0, 1], [1, 0], [0, 2], [2, 0], [1, 1]])
    got = longest_extra_run(batch, pairs)
    assert got.tolist() == reference_longest_extra_run(batch, pairs).tolist()
    assert longest_extra_run(batch, pairs, pad=4).tolist() == reference_longest_extra_run(batch, pairs, pad=4).tolist()
    # The 300 inserted characters and the 4 windows straddling each of their edges.
    assert got[0] == 300 + 4 and got[3] == 0 and got[4] == 0
    _kernel._load()
    texts = [outer, base, base[:10_000]]
    assert _kernel.extra_runs(texts, pairs, 5).tolist() == got.tolist()
    assert _kernel.extra_runs(texts, pairs, 5, pad=4).tolist() == longest_extra_run(batch, pairs, pad=4).tolist()
