"""Banding parameters and the guard against giant buckets."""

from __future__ import annotations

import numpy as np
import pytest

import dedup
from dedup.stages import candidate_pairs, optimal_params


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.6, 0.8, 0.9])
@pytest.mark.parametrize("num_perm", [64, 128, 256])
def test_params_catch_threshold_pairs_often(threshold, num_perm):
    bands, rows = optimal_params(threshold, num_perm)
    assert bands * rows <= num_perm
    caught = 1 - (1 - threshold**rows) ** bands
    assert caught >= 0.99


def test_bad_threshold_says_what_to_do():
    with pytest.raises(ValueError, match="between 0 and 1"):
        optimal_params(1.5, 128)


def test_giant_bucket_is_linear_not_quadratic():
    keys = np.zeros((10_000, 3), np.uint64)  # every row in one bucket in every band
    pairs = candidate_pairs(keys, max_bucket=100)
    assert len(pairs) == 9_999
    assert set(pairs[:, 0].tolist()) == {0}


def test_small_buckets_give_all_pairs():
    keys = np.array([[1], [1], [1], [2]], np.uint64)
    assert candidate_pairs(keys).tolist() == [[0, 1], [0, 2], [1, 2]]


def test_boilerplate_repeated_thousands_of_times_stays_one_cluster():
    corpus = [(f"page{i:05d}.txt", f"本报北京讯 记者报道第{i}期内容各不相同的正文第{i % 7}段。\n中国电子报社出版 邮发代号1-89")
              for i in range(3000)]
    result = dedup.find_duplicates(corpus, clusters="components")
    # Both lines recur across thousands of pages: boilerplate, kept apart from real clusters.
    assert result.clusters == []
    masthead, bodies = result.boilerplate_clusters
    assert len(masthead.members) == 3000
    # Near (not equal) bodies in giant buckets are linked only to the bucket's first member,
    # so a few whose similarity to it falls short stay out: the price of linear work.
    assert 2900 < len(bodies.members) <= 3000
    assert masthead.kept.doc == "page00000.txt"
    assert len(result.pairs) < 50_000
    # Centre clusters do not chain through the stars: more, smaller clusters, each member verified.
    centred = dedup.find_duplicates(corpus)
    assert len(centred.boilerplate_clusters[0].members) == 3000
    members = centred.assignment.duplicate_of >= 0
    assert members.sum() > 5000 and (centred.assignment.similarity[members] >= 0.6 - 1e-9).all()


def test_signatures_work_in_datasketch_indexes():
    from datasketch import MinHashLSH

    report = "全国工业和信息化工作会议在京召开，会议总结今年工作，部署明年重点任务，动员全系统坚定信心、振奋精神。"
    texts = [report, report.replace("明年", "来年"), "完全不同的一段文字，讲的是另外一件事情，没有任何重复的内容在里面。"]
    shingler = dedup.stages.Shingler()
    batch = shingler([dedup.stages.normalize(t) for t in texts])
    minhashes = dedup.stages.to_datasketch(dedup.stages.sign(batch, 128, seed=3), seed=3)
    exact = dedup.stages.overlap(batch, np.array([[0, 1], [0, 2]])).jaccard
    assert abs(minhashes[0].jaccard(minhashes[1]) - exact[0]) < 0.2
    assert minhashes[0].jaccard(minhashes[2]) < 0.1
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i, m in enumerate(minhashes):
        lsh.insert(f"t{i}", m)
    assert "t1" in lsh.query(minhashes[0]) and "t2" not in lsh.query(minhashes[0])


def test_bucket_in_chunks_gives_the_whole_answer(monkeypatch):
    # Candidates decoded and estimated a chunk at a time: the same pairs and estimates as in one go.
    from dedup import _lsh

    rng = np.random.default_rng(7)
    keys = rng.integers(0, 6, (300, 4)).astype(np.uint32)
    compact = rng.integers(0, 3, (300, 16)).astype(np.uint8)
    settings = dedup.Settings(num_perm=16, threshold=0.3)
    whole = _lsh.bucket(settings, keys, compact)
    assert len(whole[0]) > 20
    monkeypatch.setattr(_lsh, "_CHUNK_PAIRS", 7)
    chunked = _lsh.bucket(settings, keys, compact)
    assert np.array_equal(chunked[0], whole[0]) and np.array_equal(chunked[1], whole[1])
