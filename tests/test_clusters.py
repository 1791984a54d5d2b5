"""Clusters: every member is a verified duplicate of the passage its cluster keeps; what the report says is what
cleaning does."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

import dedup

# A small alphabet and edits make chains: a ~ b and b ~ c while a and c are far apart.
words = st.text(st.sampled_from("甲乙丙丁戊己庚辛壬癸"), min_size=10, max_size=24)


def chained_corpus(seed_texts: list[str], rng: random.Random) -> list[tuple[str, str]]:
    lines = []
    for text in seed_texts:
        lines.append(text)
        current = text
        for _ in range(rng.randint(1, 4)):  # a chain of edits, each a few characters from the last
            at = rng.randrange(len(current))
            current = current[:at] + rng.choice("子丑寅卯辰") + current[at + 1:]
            lines.append(current)
    rng.shuffle(lines)
    return [(f"d{i:03d}", line) for i, line in enumerate(lines)]


def jaccard(a: str, b: str, n: int) -> float:
    """Jaccard of the character n-gram sets of the normalised texts, by Python sets: not by dedup's own
    hashing and counting, which the similarities under test come from."""
    norm = dedup.Settings().normalizer
    x, y = ({t[k:k + n] for k in range(len(t) - n + 1)} or {t} for t in (norm(a), norm(b)))
    return len(x & y) / len(x | y)


@settings(max_examples=40, deadline=None)
@given(st.lists(words, min_size=1, max_size=5), st.integers(0, 10**6), st.sampled_from([0.4, 0.6]))
def test_every_member_is_verified_similar_to_its_kept_passage(seed_texts, seed, threshold):
    corpus = chained_corpus(seed_texts, random.Random(seed))
    result = dedup.find_duplicates(corpus, unit="document", threshold=threshold, min_chars=1, containment=False)
    a = result.assignment
    for cluster, group in zip(result.clusters, result.cluster_members()):
        for member, position in zip(cluster.members, group.tolist()):
            if member == cluster.kept:
                assert a.duplicate_of[position] == -1
                continue
            assert result.passages[int(a.duplicate_of[position])] == cluster.kept
            exact = jaccard(member.text, cluster.kept.text, 5)
            assert abs(exact - a.similarity[position]) < 1e-9
            assert exact >= threshold - 1e-9 or a.kind[position] == dedup.Kind.EXACT


@settings(max_examples=30, deadline=None)
@given(st.lists(words, min_size=1, max_size=5), st.integers(0, 10**6))
def test_assignment_does_not_depend_on_document_order_beyond_the_keep_rule(seed_texts, seed):
    corpus = chained_corpus(seed_texts, random.Random(seed))

    def assignment(docs):
        # keep by a key of the text, so the kept passage does not depend on where a document stands
        r = dedup.find_duplicates(docs, unit="document", min_chars=1, keep=lambda p: (p.text, p.doc),
                                  containment=False)
        return {(p.doc, r.passages[int(k)].doc if k >= 0 else None) for p, k in zip(r.passages, r.assignment.duplicate_of)}

    shuffled = corpus[:]
    random.Random(seed + 1).shuffle(shuffled)
    assert assignment(corpus) == assignment(shuffled)


def test_components_chain_and_centres_do_not():
    corpus = [("a", "甲乙丙丁戊己庚辛壬癸甲乙丙丁"), ("b", "甲乙丙丁戊己庚辛壬癸子丑寅卯"), ("c", "辰巳午未戊己庚辛壬癸子丑寅卯")]
    chained = dedup.find_duplicates(corpus, unit="document", threshold=0.4, clusters="components")
    centred = dedup.find_duplicates(corpus, unit="document", threshold=0.4)
    assert [len(c.members) for c in chained.clusters] == [3]
    assert [[m.doc for m in c.members] for c in centred.clusters] == [["a", "b"]]
    assert jaccard(corpus[0][1], corpus[2][1], 5) < 0.4


def test_cleaning_removes_exactly_the_cluster_members(seeds):
    result = dedup.find_duplicates(seeds)
    cleaned = dedup.clean(result, level="near")
    removed = {(r.doc, r.index) for r in cleaned.removed}
    members = {(m.doc, m.index) for c in result.clusters + result.boilerplate_clusters for m in c.members
               if m != c.kept}
    assert removed == members
    kept_of = {(r.doc, r.index): (r.kept["doc"], r.kept["index"]) for r in cleaned.removed}
    for c in result.clusters:
        for m in c.members:
            if m != c.kept:
                assert kept_of[m.doc, m.index] == (c.kept.doc, c.kept.index)
