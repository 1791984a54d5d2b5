"""Chinese reprints: Traditional characters, mastheads, page breaks, mixed scripts, word shingles."""

from __future__ import annotations

import subprocess
import sys

import pytest

import dedup
from dedup.stages import find_boilerplate, read_folder, segment

opencc = pytest.importorskip("opencc")


def test_traditional_copy_found_with_folding_only(seeds, paragraphs):
    simplified = paragraphs["2017-report-doubled.txt", 3]["text"]
    traditional = opencc.OpenCC("s2twp").convert(simplified)
    assert traditional != simplified
    corpus = [("simplified.txt", simplified), ("traditional.txt", traditional)]
    folded = dedup.find_duplicates(corpus, traditional=True)
    assert [(p.kind, p.similarity >= 0.9) for p in folded.pairs] in ([("near", True)], [("exact", True)])
    plain = dedup.find_duplicates(corpus)
    assert plain.pairs == [] or plain.pairs[0].similarity < folded.pairs[0].similarity


def test_taiwan_vocabulary_is_folded():
    assert dedup.stages.normalize("資訊軟體", traditional=True) == "信息软件"


def test_boilerplate_flags_mastheads_not_reports(seeds, paragraphs):
    documents, _ = read_folder(seeds, "*.txt")
    passages = segment(documents)
    normalizer = dedup.stages.Normalizer()
    flagged = find_boilerplate(passages, [normalizer(t) for t in passages.texts()])
    regions = {(p.doc, p.index): paragraphs[p.doc, p.index]["region"] for p in passages}
    flagged_regions = {regions[p.doc, p.index] for p, f in zip(passages, flagged) if f}
    masthead = {k for k, r in regions.items() if r in ("masthead", "continuation_note")}
    assert masthead == {(p.doc, p.index) for p, f in zip(passages, flagged)
                        if f and regions[p.doc, p.index] in ("masthead", "continuation_note")}
    # Nothing else but the decision's date line (a changing number): no prose, no title, no sidebar.
    assert flagged_regions <= {"masthead", "continuation_note", "decision_signature"}


def test_boilerplate_is_the_same_lines_at_sentence_unit(seeds):
    # A masthead is whole short lines: at unit="sentence" the same lines are flagged as at paragraph unit, and
    # no short sentence of a longer paragraph, however often it is copied (80 sentences were flagged).
    def flagged_lines(unit):
        result = dedup.find_duplicates(seeds, unit=unit)
        return {(p.doc, p.line) for p, f in zip(result.passages, result.boilerplate.tolist()) if f}

    paragraph_lines = flagged_lines("paragraph")
    assert len(paragraph_lines) >= 20 and flagged_lines("sentence") == paragraph_lines
    # A short line of two sentences is as much a masthead line as a short line of one.
    pages = [(f"p{i}", f"人民日报\n第3版。要闻。\n2020年12月{i}日\n{body}\n") for i, body in
             enumerate(["第一篇报道的正文，写得足够长，长到超过三十二个字的界限，内容各不相同。",
                        "第二篇报道的正文，也写得足够长，长到超过三十二个字的界限，内容也不同。"], start=1)]
    for unit in ("paragraph", "sentence"):
        result = dedup.find_duplicates(pages, unit=unit)
        assert {p.line for p, f in zip(result.passages, result.boilerplate.tolist()) if f} == {1, 2, 3}, unit
    body = "第{k}篇报道的正文在这里，写得足够长，长到超过三十二个字的界限，内容各不相同{k}。"
    docs = [(f"d{k}", f"本版编辑：张三。{body.format(k=k)}记者李四报道。\n") for k in range(8)]
    assert not dedup.find_duplicates(docs, unit="sentence").boilerplate.any()


def test_boilerplate_kept_apart_and_ignorable(seeds):
    result = dedup.find_duplicates(seeds)
    assert len(result.boilerplate_clusters) == 8  # masthead lines repeated verbatim across the two pages
    for members in result.cluster_members():
        assert not result.boilerplate[members].all()
    for members in result.cluster_members(boilerplate=True):
        assert result.boilerplate[members].all()
    clustered = {(m.doc, m.index) for c in result.clusters for m in c.members}
    assert ("2023-newspaper-page.txt", 0) not in clustered
    ignored = dedup.find_duplicates(seeds, boilerplate="ignore")
    assert ignored.boilerplate_clusters == []
    assert all(not (ignored.boilerplate[i] or ignored.boilerplate[j]) for i, j in ignored.pair_index.tolist())


def test_boilerplate_removed_on_request(seeds):
    cleaned = dedup.clean(seeds, boilerplate="remove")
    gone = {(r.doc, r.index) for r in cleaned.removed}
    assert ("2020-newspaper-page.txt", 0) in gone and ("2023-newspaper-page.txt", 10) in gone
    assert dedup.restore(cleaned.texts, cleaned.removed) == {d.id: d.text for d in cleaned.result.documents}


def test_page_break_repair_matches_the_editorial(seeds, paragraphs):
    page = "2023-newspaper-page.txt"
    result = dedup.find_duplicates(seeds, repair_breaks=True)
    text = (seeds / page).read_text("utf-8")
    report_start = paragraphs[page, 17]["start"]
    editorial_start = paragraphs[page, 41]["start"]
    by_start = {(p.doc, p.start): p for p in result.passages}
    report, editorial = by_start[page, report_start], by_start[page, editorial_start]
    # The repaired passages run across their page breaks: the report into 向好态势, the editorial into 品.
    assert report.end >= paragraphs[page, 18]["end"] and text[report.start:report.end] == report.text
    assert editorial.end >= paragraphs[page, 42]["end"] and text[editorial.start:editorial.end] == editorial.text
    pair = next(p for p in result.pairs if {(p.a.doc, p.a.start), (p.b.doc, p.b.start)}
                == {(page, report_start), (page, editorial_start)})
    assert pair.kind in ("near", "contained") and max(pair.containment_ab, pair.containment_ba) >= 0.8
    without = dedup.find_duplicates(seeds)
    assert not any({(p.a.doc, p.a.index), (p.b.doc, p.b.index)} == {(page, 17), (page, 41)} for p in without.pairs)
    # Masthead lines end without a full stop too, but are not prose: they stay lines of their own.
    assert len(result.boilerplate_clusters) == len(without.boilerplate_clusters) == 8


def test_mixed_and_word_shingles_find_mixed_script_duplicates():
    a = "2023年，华为发布Mate 60 Pro手机，搭载Kirin 9000S芯片，支持5G网络和卫星通话功能。"
    b = "2023年,华为发布Mate 60 Pro手机,搭载Kirin 9000S芯片,支持5G网络与卫星通话功能。"
    for spec in ("mixed:3", "word:2", "char:5"):
        result = dedup.find_duplicates([("a", a), ("b", b)], shingle=spec)
        assert [p.kind for p in result.pairs] == ["near"], spec


def test_jieba_loads_quietly():
    code = ("import dedup; r = dedup.find_duplicates([('a', '今天天气很好我们去公园散步吧'), "
            "('b', '今天天气很好我们去公园散步')], shingle='word:1'); print(len(r.pairs))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"
    assert "Building prefix dict" not in done.stderr


def test_user_dictionary_keeps_a_term_whole(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("新型工业化 100 n\n", "utf-8")
    assert "新型工业化" not in dedup.stages.WordTokenizer()("推进新型工业化")
    assert "新型工业化" in dedup.stages.WordTokenizer(str(words))("推进新型工业化")
