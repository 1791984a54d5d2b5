"""Containment, repeated spans, self-repeating documents and explanations."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dedup
import dedup.stages
from dedup import clean, document_overlaps, restore, self_repeats
from dedup.__main__ import main
from dedup._explain import find_passage
from dedup.stages import PairSpans, pair_spans, repeat_share

DOUBLED = "2017-report-doubled.txt"


def _join_parts(paragraphs):
    return [(part["start"], part["end"], part["same_text_as"]) for part in paragraphs[DOUBLED, 23]["join_parts"]]


def test_doubled_file_repeats_itself_with_the_join_offsets(seeds, paragraphs):
    result = dedup.find_duplicates(seeds)
    repeats = self_repeats(result)[DOUBLED]
    spans = {(r.start, r.end): (r.source_start, r.source_end) for r in repeats}
    (first_start, first_end, first_twin), (second_start, second_end, second_twin) = _join_parts(paragraphs)
    # The join's second part repeats copy one's first paragraph; copy two's last repeats the join's first part.
    p0, p46 = paragraphs[DOUBLED, second_twin], paragraphs[DOUBLED, first_twin]
    assert spans[second_start, second_end] == (p0["start"], p0["end"])
    assert spans[p46["start"], p46["end"]] == (first_start, first_end)
    assert 0.45 < repeat_share(result, repeats) < 0.55


def test_span_cleaning_leaves_the_report_once(seeds, paragraphs):
    text = (seeds / DOUBLED).read_text("utf-8")
    cleaned = clean([(DOUBLED, text)], level="span")
    (first_start, first_end, _), _ = _join_parts(paragraphs)
    copy_one = "".join(paragraphs[DOUBLED, i]["text"] for i in range(23))

    def norm(t):
        return "".join(unicodedata.normalize("NFKC", t).split())

    assert norm(cleaned.texts[DOUBLED]) == norm(copy_one + text[first_start:first_end])
    assert restore(cleaned.texts, cleaned.removed)[DOUBLED] == text


def test_contained_level_removes_the_inner_side_only(seeds):
    cleaned = clean(seeds, level="contained", scope="document")
    doubled = {r.index: r for r in cleaned.removed if r.doc == DOUBLED}
    assert doubled[46].kind == "contained" and doubled[46].kept["index"] == 23
    assert 23 not in doubled and 0 not in doubled


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E00 + 2000)


@settings(max_examples=30, deadline=None)
@given(st.lists(HAN, min_size=60, max_size=300, unique=True), st.data())
def test_pasted_passage_is_found_with_its_offsets(chars, data):
    # Distinct characters, so the pasted text occurs in the host exactly once.
    cut = sorted(data.draw(st.lists(st.integers(0, len(chars)), min_size=3, max_size=3)))
    filler, before, pasted, after = ("".join(chars[a:b]) for a, b in zip([0, *cut], [*cut, len(chars)]))
    assume(len(pasted) >= 15 and len(before) >= 10 and len(filler) >= 8)
    source = f"{filler}\n{pasted}\n"
    host = f"{filler[::-1]}\n{before}{pasted}{after}\n"
    result = dedup.find_duplicates([("source.txt", source), ("host.txt", host)])
    rows = [row for row, p in enumerate(result.pairs) if {p.a.doc, p.b.doc} == {"source.txt", "host.txt"}
            and pasted in (p.a.text, p.b.text)]
    assert rows, "the pasted passage must be paired with its host"
    spans = pair_spans(result, rows[0])
    start = host.index(before + pasted) + len(before)
    # Corpus order is input order: a is the source, b the host.
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in spans] == [
        (len(filler) + 1, len(filler) + 1 + len(pasted), start, start + len(pasted))]


def test_explain_command_marks_shared_spans(seeds, capsys):
    assert main(["explain", str(seeds), f"{DOUBLED}:79", f"{DOUBLED}:157"]) == 0
    out = capsys.readouterr().out
    assert "reported as contained" in out and "[[" in out and "]]" in out
    assert "[5882, 5984)" in out
    assert main(["explain", str(seeds), f"{DOUBLED}:2", "nope.txt:1"]) == 1
    capsys.readouterr()
    assert main(["explain", str(seeds), f"{DOUBLED}:79", f"{DOUBLED}:79"]) == 1
    assert "the same passage" in capsys.readouterr().err


def test_passages_sharing_a_line_are_named_apart(tmp_path, capsys):
    """At sentence unit a line starts several passages: reports name them FILE:LINE#K, explain takes that name
    (and refuses a bare FILE:LINE that names several), and FILE alone names a document of one passage."""
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "en1.txt").write_text("The committee met on Tuesday to discuss the budget. Several members raised "
                                    "concerns about rising costs!\n", "utf-8")
    (folder / "en2.txt").write_text("Several members raised concerns about rising costs! The committee met on "
                                    "Tuesday to discuss the budget.\n", "utf-8")
    assert main([str(folder), "--unit", "sentence"]) == 0
    out = capsys.readouterr().out
    assert "kept  en1.txt:1#2  Several" in out and "1.00  en2.txt:1#1  Several" in out
    assert main(["explain", str(folder), "en1.txt:1#2", "en2.txt:1#1", "--unit", "sentence"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("a: en1.txt:1#2 (passage 1") and "reported as exact" in out
    assert main(["explain", str(folder), "en1.txt:1", "en2.txt:1#1", "--unit", "sentence"]) == 1
    assert "name one as en1.txt:1#1 to en1.txt:1#2" in capsys.readouterr().err
    assert main(["explain", str(folder), "en1.txt:1#3", "en2.txt:1#1", "--unit", "sentence"]) == 1
    assert main(["explain", str(folder), "en1.txt", "en2.txt", "--unit", "document"]) == 0
    assert "reported as near" in capsys.readouterr().out
    assert main(["explain", str(folder), "en1.txt", "en2.txt", "--unit", "sentence"]) == 1
    assert "holds 2 passages" in capsys.readouterr().err


def test_explain_refuses_positions_it_does_not_have():
    result = dedup.find_duplicates([("a", "同一段文字出现了两次，足够长。"), ("b", "同一段文字出现了两次，足够长。")])
    assert dedup.explain(result, 1, 0).kind == "exact" and "reported as exact" in str(dedup.explain(result, 0, 1))
    for i, j in ((-1, 0), (0, 10**6), (1.0, 0), (True, 0)):
        with pytest.raises(dedup.UsageError, match="must be a passage's position in the result, 0 to 1"):
            dedup.explain(result, i, j)
    # Names as reports print them, and the Cleaned of a result (each was an error, the second a traceback).
    assert dedup.explain(result, "a", "b:1").kind == "exact" == dedup.explain(dedup.clean(result), "b", 0).kind
    with pytest.raises(dedup.UsageError, match="zz: no such document"):
        dedup.explain(result, "zz:3", 0)
    with pytest.raises(dedup.UsageError, match=r"\(a Result\), not dict"):
        dedup.explain({}, 0, 1)
    with pytest.raises(dedup.UsageError, match="the same passage"):
        dedup.explain(result, 0, 0)
    for ref in ("a:#²", "a:²", "a:1#²"):  # digits, but not ASCII ones
        with pytest.raises(dedup.UsageError, match="name a passage as FILE:LINE"):
            find_passage(result, ref)


def test_explain_marks_a_reported_pair_as_the_report_does():
    # Equal after normalisation (punctuation ignored): the whole passages match, brackets and dashes included.
    text = "「这一段文字在两个文件里完全相同。」\n"
    result = dedup.find_duplicates([("a.txt", text), ("b.txt", "——" + text)], punctuation=True)
    assert [p.kind for p in result.pairs] == ["exact"]
    spans = dedup.explain(result, 0, 1).spans
    assert [(s.a_start, s.a_end, s.b_start, s.b_end) for s in spans] == [(0, 18, 0, 20)]


def test_json_spans_and_document_overlaps(seeds, capsys):
    assert main([str(seeds), "--json", "-", "--spans"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert all("spans" in pair for pair in report["pairs"])
    doubled = next(r for r in report["self_repeats"] if r["doc"] == DOUBLED)
    assert {"span": [5984, 6400], "of": [0, 416], "kind": "contained"} in doubled["repeats"]
    overlap = next(o for o in report["document_overlaps"] if {o["a"], o["b"]} == {"2017-report-abridged.txt", DOUBLED})
    assert overlap["share_a_in_b"] > 0.8


def test_report_shows_self_repeats_and_overlaps(seeds, capsys):
    assert main([str(seeds)]) == 0
    out = capsys.readouterr().out
    assert f"{DOUBLED}: " in out.split("documents that repeat themselves (most first):")[1]
    assert "[5984, 6400) repeats [0, 416) (contained)" in out
    assert "document pairs that share text" in out


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(HAN, min_size=5, max_size=60), min_size=2, max_size=25), st.integers(1, 7))
def test_containment_candidates_do_not_depend_on_batching(text_list, size):
    from dedup.stages import containment_candidates

    shingler = dedup.stages.Shingler("char", 3)
    whole = containment_candidates([shingler(text_list)])
    pieces = containment_candidates(shingler(text_list[i:i + size]) for i in range(0, len(text_list), size))
    assert whole.tolist() == pieces.tolist()
    for i, j in whole.tolist():
        assert i < j


def test_spans_read_in_order_are_the_spans_of_each_row(seeds):
    for unit in ("paragraph", "document"):
        result = dedup.find_duplicates(seeds, unit=unit)
        spans = PairSpans(result)
        assert [spans(row) for row in range(len(result.pair_index))] == [
            pair_spans(result, row) for row in range(len(result.pair_index))]


def test_a_document_with_a_moved_block_shares_all_of_it(seeds):
    text = (seeds / "2014-report.txt").read_text("utf-8")
    cut = text.index("\n", len(text) // 3) + 1
    result = dedup.find_duplicates([("a.txt", text), ("b.txt", text[cut:] + text[:cut])], unit="document")
    (overlap,) = document_overlaps(result)
    # Both blocks are found where they went: all of each text (but its first and last line breaks).
    assert overlap.share_a_in_b > 0.999 and overlap.share_b_in_a > 0.999
    assert sorted((s.a_start, s.b_start) for s in pair_spans(result, 0))[:2] == [(0, len(text) - cut), (cut, 0)]


@pytest.mark.parametrize("unit", ["paragraph", "sentence", "document"])
def test_equal_documents_share_all_their_text_and_a_doubled_one_repeats_half(unit):
    """Shares are of the passages' characters: the blank lines and breaks between them are no text that
    could be found elsewhere (shares of every character gave 94% for two equal documents)."""
    text = ("标题\n\n第一段文字，讲述了一个很长的故事，关于城市的发展和变迁。\n\n"
            "第二段文字，讨论了经济政策对于居民生活的影响与意义。\n\nThe third one says it in English, at length.\n")
    result = dedup.find_duplicates([("a", text), ("b", text), ("c", text + "\n" + text)], unit=unit)
    p = result.passages
    assert result.text_chars.tolist() == [sum(p.end[p.doc_pos == k] - p.start[p.doc_pos == k]) for k in range(3)]
    assert result.text_chars[0] < len(text)
    shares = {(o.a, o.b): (o.share_a_in_b, o.share_b_in_a) for o in document_overlaps(result)}
    assert shares["a", "b"] == (1.0, 1.0)
    assert shares["a", "c"][0] == 1.0
    if unit != "document":  # c is two passages of a's, each found in a
        assert shares["a", "c"][1] == 1.0
        (repeats,) = self_repeats(result).values()
        assert repeat_share(result, repeats) == 0.5


SENTENCES = ["全国工业和信息化工作会议在北京召开。", "会议的主要任务是总结过去五年的工作。", "坚持以新时代中国特色社会主义思想为指导。",
             "推动制造业高质量发展取得新的突破。", "网络强国建设迈出了坚实的步伐。", "今年要着力抓好以下几个方面的工作。"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(SENTENCES) | st.text(HAN, min_size=12, max_size=30), min_size=1, max_size=6),
                min_size=2, max_size=6), st.integers(1, 4))
def test_limits_give_the_first_of_the_full_answers(docs, limit):
    result = dedup.find_duplicates([(f"d{k}.txt", "\n".join(lines) + "\n") for k, lines in enumerate(docs)])
    spans = PairSpans(result)
    overlaps = document_overlaps(result, spans=spans)
    assert document_overlaps(result, limit=limit) == overlaps[:limit]
    repeats = self_repeats(result, spans=spans)
    order = [d.id for d in result.documents]
    top = sorted(repeats, key=lambda doc: (-repeat_share(result, repeats[doc]), order.index(doc)))[:limit]
    assert self_repeats(result, limit=limit) == {doc: repeats[doc] for doc in order if doc in top}


def test_a_document_passed_whole_repeats_its_paragraphs(seeds):
    # At unit="document" no pair lies inside a document: its repeated paragraphs are its repeats.
    result = dedup.find_duplicates(seeds, unit="document")
    repeats = self_repeats(result)
    text = (seeds / DOUBLED).read_text("utf-8")
    normal = result.normalizer
    assert 0.4 < repeat_share(result, repeats[DOUBLED]) < 0.55
    for r in repeats[DOUBLED]:
        assert r.source_end <= r.start and normal(text[r.start:r.end]) == normal(text[r.source_start:r.source_end])
    assert self_repeats(result, limit=1) == {DOUBLED: repeats[DOUBLED]}
    # Ties go by corpus order, as at paragraph unit; the JSON lists them without --spans, so that a page made
    # later from the saved report shows them.
    twice = "一段足够长的文字在这里出现。\n" * 2
    tied = dedup.find_duplicates([("b", twice), ("a", twice)], unit="document")
    assert list(self_repeats(tied, limit=1)) == ["b"]
    from dedup._report import report_dict

    assert [row["doc"] for row in report_dict(result)["self_repeats"]] == list(repeats)
    held = len(repeats[DOUBLED])
    self_repeats(result)[DOUBLED].clear()  # what a caller does with its answer is its own: the next one is whole
    assert len(self_repeats(result)[DOUBLED]) == held > 0


def test_self_repeats_are_chosen_by_the_share_they_report():
    """The limit ranks documents by repeat_share (of their passages' characters), as the report prints it: a
    document after long blank stretches is not ranked by its share of every character."""
    line = "重复的一段话，足够长了，而且还要更长一些才好。"
    other = "别的话，也足够长了，内容完全不同于上面的那一段。"
    a = other + "\n" + line + "\n" + line + "\n"  # a third of its text is the repeat
    c = "\n" * 60 + line + "\n\n" + line + "\n"  # half, after many blank lines (a fifth of every character)
    result = dedup.find_duplicates([("a", a), ("c", c)])
    shares = {doc: repeat_share(result, reps) for doc, reps in self_repeats(result).items()}
    assert shares["c"] == 0.5 and shares["c"] > shares["a"] > 0.3
    assert list(self_repeats(result, limit=1)) == ["c"]


def test_span_cleaning_cuts_a_copy_in_one_piece_only():
    # The kept line is inside the later one in pieces ("Gentlemen of the", "of Representatives:"): cutting them
    # left " Senate and of the Houes " standing. A copy in one block is cut, the rest of its line kept.
    kept = "Gentlemen of the House of Representatives:\nSome other words that are here.\n"
    later = "Gentlemen of the Senate and of the Houes of Representatives:\nA different line entirely for this.\n"
    result = dedup.find_duplicates([("a", kept), ("b", later)])
    assert [dedup.Kind(int(k)).label for k in result.kind] == ["contained"]
    assert clean(result, level="span").texts["b"] == later
    block = "Preface. " + kept.splitlines()[0] + " Then more of this line follows here.\n"
    cleaned = clean([("a", kept), ("b", block)], level="span")
    assert cleaned.texts["b"] == "Preface.  Then more of this line follows here.\n"
    assert restore(cleaned.texts, cleaned.removed)["b"] == block
