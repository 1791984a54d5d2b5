"""The seed gold standard is the first truth: what it labels exact or near must be found, nothing else."""

from __future__ import annotations

import dedup
from dedup.stages import read_folder, segment


def test_paragraphs_match_gold_offsets(seeds, paragraphs):
    documents, errors = read_folder(seeds, "*.txt")
    assert errors == []
    got = {(p.doc, p.index): (p.line, p.start, p.end, p.text) for p in segment(documents)}
    want = {k: (p["line"], p["start"], p["end"], p["text"]) for k, p in paragraphs.items()}
    assert got == want


def test_exact_and_near_gold_pairs_found_and_nothing_unknown(seeds, gold, paragraphs):
    result = dedup.find_duplicates(seeds)
    found = {(p.a.doc, p.a.index, p.b.doc, p.b.index): p for p in result.pairs}
    wanted = {k for k, g in gold.items()
              if g["label"] in ("exact", "near")
              and min(paragraphs[k[0], k[1]]["norm_len"], paragraphs[k[2], k[3]]["norm_len"]) >= 8}
    hit = wanted & found.keys()
    unknown = found.keys() - gold.keys()
    print(f"recall {len(hit)}/{len(wanted)} = {len(hit) / len(wanted):.3f}; unknown pairs: {len(unknown)}")
    assert hit == wanted
    assert unknown == set()


def test_every_exact_gold_pair_is_exact(seeds, gold):
    result = dedup.find_duplicates(seeds)
    kinds = {(p.a.doc, p.a.index, p.b.doc, p.b.index): p.kind for p in result.pairs}
    exact = [k for k, g in gold.items() if g["label"] == "exact"]
    assert len(exact) == 38
    assert all(kinds.get(k) == "exact" for k in exact)


def test_similarities_agree_with_gold_scores(seeds, gold):
    result = dedup.find_duplicates(seeds)
    for p in result.pairs:
        g = gold[p.a.doc, p.a.index, p.b.doc, p.b.index]
        assert abs(p.similarity - g["jaccard_char5"]) < 1e-3
        assert abs(p.containment_ab - g["containment_a_in_b"]) < 1e-3
        assert abs(p.containment_ba - g["containment_b_in_a"]) < 1e-3


def test_join_paragraph_is_contained_not_near(seeds):
    result = dedup.find_duplicates(seeds)
    kinds = {(p.a.doc, p.a.index, p.b.doc, p.b.index): p.kind for p in result.pairs}
    doubled = "2017-report-doubled.txt"
    assert kinds[doubled, 0, doubled, 23] == "contained"
    clustered = {(m.doc, m.index) for c in result.clusters for m in c.members}
    assert (doubled, 23) not in clustered


def test_clusters_keep_first_in_corpus_order(seeds):
    result = dedup.find_duplicates(seeds)
    for cluster in result.clusters:
        assert cluster.kept == cluster.members[0]
        assert list(cluster.members) == sorted(cluster.members, key=lambda p: (p.doc, p.index))
    sizes = [len(c.members) for c in result.clusters]
    assert sizes == sorted(sizes, reverse=True)


def test_keep_longest_and_key_function(seeds):
    longest = dedup.find_duplicates(seeds, keep="longest")
    for cluster in longest.clusters:
        assert len(cluster.kept.text) == max(len(m.text) for m in cluster.members)
    last_doc = dedup.find_duplicates(seeds, keep=lambda p: tuple(-ord(c) for c in p.doc))
    for cluster in last_doc.clusters:
        assert cluster.kept.doc == max(m.doc for m in cluster.members)


def test_contained_gold_pairs_found_and_none_unknown(seeds, gold, paragraphs):
    result = dedup.find_duplicates(seeds)
    found = {(p.a.doc, p.a.index, p.b.doc, p.b.index) for p in result.pairs if p.kind == "contained"}
    wanted = {k for k, g in gold.items()
              if g["label"] == "contained"
              and min(paragraphs[k[0], k[1]]["norm_len"], paragraphs[k[2], k[3]]["norm_len"]) >= 8}
    recall = len(found & wanted) / len(wanted)
    print(f"contained recall {len(found & wanted)}/{len(wanted)} = {recall:.3f}; "
          f"reported contained outside gold: {len(found - gold.keys())}")
    assert recall >= 0.9
    assert found - gold.keys() == set()


def test_containment_search_can_be_turned_off(seeds):
    def by_kind(result, kind):
        return {(p.a.doc, p.a.index, p.b.doc, p.b.index) for p in result.pairs if p.kind == kind}

    without, with_ = dedup.find_duplicates(seeds, containment=False), dedup.find_duplicates(seeds)
    assert by_kind(without, "near") == by_kind(with_, "near")
    assert by_kind(without, "contained") < by_kind(with_, "contained")
