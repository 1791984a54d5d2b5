"""The exact join is the truth the benchmark measures recall against: it must agree with brute force."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from exact_join import brute_pairs, exact_pairs

import dedup

texts = st.lists(st.text(st.sampled_from("甲乙丙丁戊己庚辛"), max_size=30), min_size=2, max_size=25)


@settings(max_examples=40, deadline=None)
@given(texts, st.sampled_from([0.3, 0.5, 0.8]), st.integers(1, 5))
def test_exact_join_equals_brute_force(text_list, threshold, n):
    assert exact_pairs(text_list, threshold, n) == brute_pairs(text_list, threshold, n)


# Corpora with many true pairs: base texts and copies with a few characters changed.
bases = st.lists(st.text(st.sampled_from("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"), min_size=12, max_size=40), min_size=2, max_size=6)
edits = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 39), st.sampled_from("午未申酉戌亥")), min_size=4,
                 max_size=30)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(bases, edits)
def test_dedup_finds_what_the_exact_join_finds(base_texts, edit_list):
    text_list = list(base_texts)
    for which, at, char in edit_list:
        t = base_texts[which % len(base_texts)]
        text_list.append(t[:at % len(t)] + char + t[at % len(t) + 1:])
    truth = set(exact_pairs(text_list, 0.5, 5))
    assume(len(truth) >= 3)
    result = dedup.find_duplicates([(f"{i:03d}", t) for i, t in enumerate(text_list)], unit="document",
                                   threshold=0.5, min_chars=1, containment=False)
    ids = [int(p.doc) for p in result.passages]
    found = {(ids[a], ids[b]) for (a, b), s in zip(result.pair_index.tolist(), result.similarity) if s >= 0.5 - 1e-9}
    assert found <= truth  # verified: never a false pair
    # A pair at exactly the threshold is a candidate with probability >= 0.99: allow one miss in 50.
    assert len(truth - found) <= len(truth) // 50
