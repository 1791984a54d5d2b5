"""Properties that must hold for any input, checked with hypothesis."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import sign_reference

import dedup
from dedup import Document
from dedup.stages import Shingler, overlap, segment, sign

UNITS = ("paragraph", "sentence", "document")

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E00 + 400)
TEXT_CHARS = st.one_of(HAN, st.sampled_from(list("abc XYZ 123，。！？；!?;…”」.\n\t\r")))
texts = st.text(TEXT_CHARS, max_size=300)
sentences = st.text(HAN, min_size=12, max_size=60).map(lambda s: s + "。")


@given(st.lists(texts, min_size=1, max_size=4), st.sampled_from(UNITS), st.booleans())
def test_offsets_slice_back_to_the_passage(doc_texts, unit, repair):
    documents = [Document(f"d{i}", t) for i, t in enumerate(doc_texts)]
    passages = segment(documents, unit, repair_breaks=repair)
    for p in passages:
        text = documents[int(p.doc[1:])].text
        assert text[p.start:p.end] == p.text
        assert p.text and p.text == p.text.strip()
        # Lines end at \n, \r\n or a lone \r (old Mac files), and a paragraph or sentence never crosses one.
        assert text[:p.start].replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1 == p.line
        assert unit == "document" or repair or not {"\r", "\n"} & set(p.text)  # repair joins across lines
    indexes = [(p.doc, p.index) for p in passages]
    assert indexes == sorted(indexes, key=lambda x: (int(x[0][1:]), x[1]))


def test_sentences_after_a_repaired_break_keep_their_line():
    text = "会议指出，今年以来全国工业经济运行呈现回升\n\n向好态势。下一句。"
    passages = segment([Document("a", text)], "sentence", repair_breaks=True)
    assert [(p.line, p.text) for p in passages] == [(1, text[:-4]), (3, "下一句。")]


def test_english_sentences_do_not_end_at_initials_or_abbreviations():
    text = "Mr. Smith said the U.S. economy grew 3.5% in Q2. It did, e.g. in Ohio. J. R. Tolkien wrote. The end.\n"
    passages = segment([Document("a", text)], "sentence")
    assert [p.text for p in passages] == ["Mr. Smith said the U.S. economy grew 3.5% in Q2.", "It did, e.g. in Ohio.",
                                          "J. R. Tolkien wrote.", "The end."]
    # ... and still end after the pronoun I, a number, a web address, an ellipsis, a company's Inc.
    text = "Neither did I. Pi is 3.14. Visit www.example.com. Wait... Acme Inc. Done."
    assert [p.text for p in segment([Document("a", text)], "sentence")] == [
        "Neither did I.", "Pi is 3.14.", "Visit www.example.com.", "Wait...", "Acme Inc.", "Done."]


def _summary(result):
    pairs = sorted((p.a.doc, p.a.index, p.b.doc, p.b.index, round(p.similarity, 9), p.kind) for p in result.pairs)
    clusters = sorted(sorted((m.doc, m.index) for m in c.members) for c in result.clusters)
    kept = sorted((c.kept.doc, c.kept.index) for c in result.clusters)
    return pairs, clusters, kept


def _by_text(result):
    """Pairs and clusters named by their texts (and kept passages by document), independent of ids."""
    pairs = sorted((tuple(sorted((p.a.text, p.b.text))), round(p.similarity, 9), p.kind) for p in result.pairs)
    clusters = sorted(sorted(m.text for m in c.members) for c in result.clusters)
    return pairs, clusters


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(sentences, min_size=1, max_size=6), min_size=2, max_size=5), st.randoms())
def test_same_result_twice_and_under_any_document_order(docs, rnd):
    texts = ["\n".join(paragraphs) for paragraphs in docs]
    # Repeat one paragraph elsewhere so that there is something to find.
    texts.append(docs[0][0] + "\n" + docs[-1][-1])
    corpus = [(f"doc{i:02d}", t) for i, t in enumerate(texts)]
    first = dedup.find_duplicates(corpus)
    assert _summary(first) == _summary(dedup.find_duplicates(corpus))
    # The same documents in another order: the same pairs; corpus order is input order.
    shuffled = corpus[:]
    rnd.shuffle(shuffled)
    reordered = dedup.find_duplicates(shuffled)
    assert _by_text(reordered) == _by_text(first)
    assert first.pairs, "the repeated paragraph must be found"
    # The keep rule follows the new order: each cluster keeps its member that comes first in it.
    position = {name: k for k, (name, _) in enumerate(shuffled)}
    for cluster in reordered.clusters:
        assert cluster.kept == min(cluster.members, key=lambda p: (position[p.doc], p.index))


@settings(max_examples=30, deadline=None)
@given(st.lists(sentences, min_size=1, max_size=8), st.sampled_from(["paragraph", "sentence", "document"]))
def test_document_pasted_twice_is_always_found(paragraphs, unit):
    text = "\n".join(paragraphs)
    corpus = [("other.txt", "无关的内容在这里，完全不同的一段。"), ("original.txt", text), ("twice.txt", text + "\n\n" + text)]
    result = dedup.find_duplicates(corpus, unit=unit)
    if unit == "document":
        # One passage per document: the doubled one holds the original whole.
        pair = next(p for p in result.pairs if {p.a.doc, p.b.doc} == {"original.txt", "twice.txt"})
        assert pair.containment_ab >= 0.99
        return
    # Short repeated lines may be taken for boilerplate: their clusters are kept apart, but found.
    members = {(m.doc, m.index) for c in result.clusters + result.boilerplate_clusters for m in c.members}
    passages = [p for p in result.passages if p.doc == "twice.txt"]
    for p in passages:
        assert ("twice.txt", p.index) in members


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sets(st.integers(0, 2**64 - 1), max_size=40), min_size=1, max_size=8),
       st.sampled_from([2, 7, 16, 64]), st.integers(0, 2**32))
def test_batch_signer_equals_reference(sets, num_perm, seed):
    shingle_lists = [sorted(s) for s in sets]
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in shingle_lists]))).astype(np.int64)
    hashes = np.array([h for s in shingle_lists for h in s], np.uint64)
    from dedup.stages import ShingleBatch

    batch = ShingleBatch(offsets, hashes)
    assert np.array_equal(sign(batch, num_perm, seed), sign_reference(shingle_lists, num_perm, seed))


@settings(max_examples=60, deadline=None)
@given(st.integers(50, 400), st.floats(0.0, 1.0), st.integers(0, 10_000))
def test_minhash_estimate_within_error_bound(size, share, seed):
    """With k bins the estimate's standard error is sqrt(J(1-J)/k); allow 5 of them plus one bin."""
    rng = np.random.default_rng(seed)
    # Shingle hashes as the shingler makes them: spread over all 64 bits. (Hashes below 2**62 fill only
    # a quarter of the bins where the seed's multiplier is 1, as it is for seed 0.)
    pool = np.unique(rng.integers(0, 2**64 - 1, size=4 * size, dtype=np.uint64, endpoint=True))
    pool = rng.permutation(pool)[:3 * size]
    common = int(share * size)
    a = pool[:size]
    b = np.concatenate((pool[:common], pool[size:2 * size - common]))
    from dedup.stages import ShingleBatch

    sig = sign(ShingleBatch(np.array([0, len(a), len(a) + len(b)]), np.concatenate((a, b))), 256, seed)
    estimate = float((sig[0] == sig[1]).mean())
    exact = common / (2 * size - common)
    bound = 5 * np.sqrt(exact * (1 - exact) / 256) + 1 / 256
    assert abs(estimate - exact) <= bound


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(HAN, max_size=40), min_size=2, max_size=6), st.integers(1, 5))
def test_overlap_equals_python_sets(text_list, n):
    batch = Shingler("char", n)(text_list)
    pairs = np.array([(i, j) for i in range(len(text_list)) for j in range(len(text_list)) if i != j])
    found = overlap(batch, pairs)
    for (i, j), shared, size_a in zip(pairs, found.shared, found.size_a):
        sa, sb = set(batch.of(i).tolist()), set(batch.of(j).tolist())
        assert shared == len(sa & sb)
        assert size_a == len(sa)


NORMALIZERS = {options: dedup.stages.Normalizer(casefold=options[0], punctuation=options[1], digits=options[2])
               for options in [(True, False, False), (False, True, True)]}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.one_of(HAN, st.characters(max_codepoint=0x33FF), st.characters(max_codepoint=0xFFFF),
                                  st.sampled_from(list("ｶﾞﾊﾟㄱㅏ각\u11a8கொ\u0301e"))), max_size=60), max_size=30),
       st.sampled_from(sorted(NORMALIZERS)))
def test_vectorised_normalisation_equals_text_by_text(text_list, options):
    normalizer = NORMALIZERS[options]
    assert normalizer.batch(text_list, min_chars=0) == [normalizer(t) for t in text_list]


@settings(max_examples=60, deadline=None)
@given(st.text(st.one_of(HAN, st.characters(max_codepoint=0xFFFF), st.sampled_from(list("ｶﾞ…ﬁ ，\t㈱"))), max_size=80),
       st.sampled_from(sorted(NORMALIZERS)))
def test_offsets_of_normalised_characters(text, options):
    normalizer = NORMALIZERS[options]
    norm, offsets = normalizer.with_offsets(text)
    assert norm == "".join(normalizer(ch) for ch in text)
    assert len(offsets) == len(norm)
    assert all(normalizer(text[o]) for o in offsets.tolist())
    assert offsets.tolist() == sorted(offsets.tolist())


@given(st.lists(st.integers(0, 20), max_size=60), st.integers(1, 30))
def test_weighted_ranges_end_where_the_running_total_crosses_the_budget(weights, budget):
    from dedup._arrays import weighted_ranges

    expected, start, total, mark = [], 0, 0, budget
    for i, weight in enumerate(weights):
        total += weight
        if total >= mark:  # this item brings the total to a multiple of the budget or past it
            expected.append((start, i + 1))
            start, mark = i + 1, (total // budget + 1) * budget
    if start < len(weights):
        expected.append((start, len(weights)))
    assert weighted_ranges(np.array(weights, np.int64), budget) == expected


@settings(deadline=None, max_examples=30)
@given(st.lists(st.text(alphabet="甲乙丙丁戊己庚", min_size=5, max_size=40), min_size=2, max_size=12),
       st.integers(1, 7))
def test_judge_in_chunks_gives_the_whole_answer(texts, chunk_pairs):
    from dedup._verify import judge

    settings = dedup.Settings(threshold=0.3)
    candidates = np.array([(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))], np.int64)
    whole, chunked = judge(settings, candidates, texts), judge(settings, candidates, texts, chunk_pairs)
    for name in ("index", "similarity", "containment", "kind"):
        assert np.array_equal(getattr(chunked, name), getattr(whole, name), equal_nan=name != "index" and
                              getattr(whole, name).dtype.kind == "f"), name
