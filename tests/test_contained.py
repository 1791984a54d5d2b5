"""The contained rule: a passage is contained in another only when it lies inside it, carrying no block of
its own (``own_block_chars``); a short document that shares only a header with a long one is not inside it."""

from __future__ import annotations

import numpy as np
from conftest import SEEDS
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
import dedup.stages
from dedup.stages import Shingler, longest_extra_run, overlap

# A technical documentation header, as every document of one manual set repeats it.
HEADER = ("版权所有 © 2024 华光软件技术有限公司。保留一切权利。非经本公司书面许可，任何单位和个人不得擅自摘抄、复制本文档内容的部分或全部，并不得以任何形式传播。\n"
          "商标声明：本文档提及的其他所有商标或注册商标，由各自的所有人拥有。\n"
          "注意：您购买的产品、服务或特性等应受本公司商业合同和条款的约束，本文档中描述的全部或部分产品、服务或特性可能不在您的购买或使用范围之内。"
          "由于产品版本升级或其他原因，本文档内容会不定期进行更新。除非另有约定，本文档仅作为使用指导。\n")
# Paragraphs of a real report: the body of the long document.
REPORT = [line.strip() for line in (SEEDS / "2014-report.txt").read_text("utf-8").splitlines() if line.strip()]
ARTICLE = ("本版本新增了对分布式存储集群的在线扩容支持，扩容过程中业务不中断，数据自动均衡到新加入的节点。\n"
           "升级前请备份配置文件，并确认所有节点的软件版本一致；升级完成后，系统会自动校验数据的完整性。\n")
# Characters that occur nowhere else: an own block of known length.
OWN = "壹贰叁肆伍陆柒捌玖拾佰仟万亿兆京垓秭穰沟涧正载极"


def long_document(*inserted: str) -> str:
    """A 200-line manual page: title, the header, then report paragraphs with *inserted* texts in the middle."""
    lines = [REPORT[i % len(REPORT)] + f"（第{i}条）" for i in range(200)]
    lines[100:100] = inserted
    return "用户手册\n" + HEADER + "\n".join(lines) + "\n"


def kinds(docs: list[tuple[str, str]], **options) -> dict[tuple[str, str], str]:
    result = dedup.find_duplicates(docs, unit="document", threshold=0.5, **options)
    return {(p.a.doc, p.b.doc): p.kind for p in result.pairs}


def containment(inner: str, outer: str) -> float:
    norm = dedup.Settings().normalizer
    batch = Shingler("char", 5)([norm(inner), norm(outer)])
    return float(overlap(batch, np.array([[0, 1]])).containment_ab[0])


def test_short_document_sharing_only_a_header_is_not_contained():
    short = "快速入门\n" + HEADER + "登录管理界面后，在左侧导航栏选择集群管理即可查看节点状态。\n"
    docs = [("a-manual.txt", long_document()), ("b-quickstart.txt", short)]
    # Its shingles lie over 80% inside the long document: the old rule called it contained.
    assert containment(short, docs[0][1]) >= 0.8
    assert kinds(docs, own_block_chars=10**6) == {("a-manual.txt", "b-quickstart.txt"): "contained"}
    assert kinds(docs) == {}


def test_reprints_inside_a_long_document_stay_contained():
    edited = ARTICLE.replace("自动均衡", "自动平衡").replace("，", ",").replace("；", ";")
    docs = [("a-manual.txt", long_document(ARTICLE)), ("b-manual.txt", long_document(edited)),
            ("c-notes.txt", ARTICLE), ("d-notes-with-header.txt", "发布说明\n" + HEADER + ARTICLE)]
    found = kinds(docs)
    for outer in ("a-manual.txt", "b-manual.txt"):
        assert found[outer, "c-notes.txt"] == "contained"
    assert found["a-manual.txt", "d-notes-with-header.txt"] == "contained"


def test_own_block_of_the_inner_side_decides_at_the_setting():
    shared = ARTICLE + REPORT[3]
    outer = long_document(shared)
    for at_end in (False, True):
        for k in (19, 20):
            inner = shared + OWN[:k] if at_end else ARTICLE + OWN[:k] + "\n" + REPORT[3]
            assert containment(inner, outer) >= 0.8
            found = kinds([("a.txt", outer), ("b.txt", inner)])
            assert found.get(("a.txt", "b.txt")) == ("contained" if k < 20 else None), (at_end, k)
            assert kinds([("a.txt", outer), ("b.txt", inner)], own_block_chars=k + 1) == {("a.txt", "b.txt"): "contained"}


def test_near_pair_with_own_blocks_on_both_sides_stays_near():
    # Glued paragraphs X+Z and Y+Z: Jaccard above the threshold, one side over 80% inside the other,
    # but each carries a block the other lacks, so neither is inside the other.
    z = REPORT[7] + REPORT[13]
    x, y = REPORT[5][:60], REPORT[9][:60]
    found = dedup.find_duplicates([("a", x + z), ("b", y + z)], unit="document", threshold=0.5)
    assert [p.kind for p in found.pairs] == ["near"]
    old = dedup.find_duplicates([("a", x + z), ("b", y + z)], unit="document", threshold=0.5, own_block_chars=10**6)
    assert [p.kind for p in old.pairs] == ["contained"]


def test_abridged_seed_report_with_a_reworded_clause_stays_contained():
    # The abridged 2017 report lies inside the doubled one but for a reworded clause of 15 characters.
    found = dedup.find_duplicates(SEEDS, unit="document", threshold=0.5)
    assert {(p.a.doc, p.b.doc, p.kind) for p in found.pairs} == {
        ("2017-report-abridged.txt", "2017-report-doubled.txt", "contained")}


def brute_own_run(inner: str, outer: str, n: int) -> int:
    """Longest run of characters of *inner* that no shingle shared with *outer* covers."""
    shared = {outer[k:k + n] for k in range(len(outer) - n + 1)}
    covered = np.zeros(len(inner), bool)
    for k in range(len(inner) - n + 1):
        if inner[k:k + n] in shared:
            covered[k:k + n] = True
    best = run = 0
    for c in covered:
        run = 0 if c else run + 1
        best = max(best, run)
    return best


@settings(max_examples=200, deadline=None)
@given(st.text("甲乙丙丁", min_size=5, max_size=30), st.text("甲乙丙丁", min_size=5, max_size=30), st.integers(2, 5))
def test_padded_run_is_the_longest_own_block_in_characters(inner, outer, n):
    batch = Shingler("char", n)([inner, outer])
    run = int(longest_extra_run(batch, np.array([[0, 1]]), pad=n - 1)[0]) - (n - 1)
    assert max(run, 0) == brute_own_run(inner, outer, n)


def _speech(words: int, seed: int) -> list[str]:
    """Paragraphs of English-like prose from a few hundred common words: nearly every 5-gram recurs."""
    rng = np.random.default_rng(seed)
    vocabulary = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "they", "you", "were", "her", "she", "there", "been", "one", "all", "we", "their", "has", "would", "when", "if", "so", "no", "will", "more", "what", "about", "up", "out", "them", "some", "could", "into", "than", "its", "time", "only", "new", "other", "people", "state", "nation", "congress", "government", "public", "country", "great", "year", "law", "power", "war", "peace", "united", "states", "world", "should", "must", "may", "these", "our", "upon", "such", "made", "any", "those", "most", "every", "between", "under", "first"]
    return [" ".join(rng.choice(vocabulary, size=int(rng.integers(40, 90)))).capitalize() + "."
            for _ in range(words // 65)]


def test_a_long_document_is_not_a_near_copy_of_its_excerpt():
    # A 70% excerpt of a long speech was "near" the whole (Jaccard 0.70): the whole's last 30% held no run of
    # 5-grams missing from the excerpt past 26 characters, as nearly every 5-gram of English recurs, so --clean
    # at the default level emptied the whole speech. The block it carries is found by alignment now.
    paragraphs = _speech(4000, seed=3)
    cut = int(len(paragraphs) * 0.7)
    excerpt, whole = "\n\n".join(paragraphs[:cut]), "\n\n".join(paragraphs)
    normal = dedup.stages.Normalizer()
    runs = longest_extra_run(Shingler("char", 5)([normal(whole), normal(excerpt)]), np.array([[0, 1]]))
    assert runs[0] - 4 < 40  # the n-gram runs alone miss the block (what the test is about)
    result = dedup.find_duplicates([("whole", whole), ("excerpt", excerpt)], unit="document")
    assert [dedup.Kind(int(k)).label for k in result.kind] == ["contained"]
    assert result.similarity[0] >= 0.6
    cleaned = dedup.clean(result)
    assert cleaned.texts == {"whole": whole, "excerpt": excerpt}  # near removes nothing: the whole is no copy
    assert dedup.clean(result, level="contained").texts == {"whole": whole, "excerpt": ""}


def test_a_long_document_with_its_own_block_is_not_inside_another():
    # The inner side's own block is looked for the same way: most of it copies the other, its last quarter is
    # its own, of the same common words, so that 82% of its 5-grams occur in the other (past contained_ratio)
    # and no run of those missing reaches 20 characters. It was "contained", and --level contained removed it.
    paragraphs, own = _speech(4000, seed=5), _speech(1200, seed=6)
    base = "\n\n".join(paragraphs)
    mixed = "\n\n".join(paragraphs[:int(len(paragraphs) * 0.8)] + own)
    result = dedup.find_duplicates([("base", base), ("mixed", mixed)], unit="document", threshold=0.9)
    assert len(result.pair_index) == 0
    cleaned = dedup.clean(result, level="contained")
    assert cleaned.texts == {"base": base, "mixed": mixed}


@settings(max_examples=100, deadline=None)
@given(st.text("abcd", min_size=30, max_size=200), st.text("XYZ", min_size=11, max_size=60), st.data())
def test_an_inserted_block_is_the_longest_unaligned_stretch(text, block, data):
    # A block of letters the text never uses, put anywhere in it, is what stays unaligned: all of it,
    # and at most the ends of the text besides (shorter than a window, they align nowhere).
    at = data.draw(st.integers(0, len(text)))
    run = dedup.stages.unaligned_runs([(text[:at] + block + text[at:], text)], 3)[0]
    assert len(block) <= run <= len(block) + 2 * 2
    assert dedup.stages.unaligned_runs([(text, text)], 3)[0] == 0
