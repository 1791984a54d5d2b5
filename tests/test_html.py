"""The HTML report, read in a real browser: Debian's headless Chromium driven by Selenium.

The browser is not downloaded at test time: ``.ci/install-browser`` installs Debian's
``chromium``, ``chromium-driver`` and a CJK font. When they are missing, these tests
fail and say so; they never skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup import report_dict, write_html, write_html_from_report
from dedup.stages import covered, html_payload, render_html

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SCREENSHOT = ROOT / "docs" / "report.png"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
INSTALL = "run `bash .ci/install-browser` as root, then `pip install -e '.[test]'`"
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,900")
ABRIDGED, DOUBLED, PAGE_2023 = "2017-report-abridged.txt", "2017-report-doubled.txt", "2023-newspaper-page.txt"


# ------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser():
    missing = [str(p) for p in (CHROMIUM, DRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: {INSTALL}", pytrace=False)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"selenium is not installed: {INSTALL}", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ARGS:
        options.add_argument(arg)
    # The driver path is given, so Selenium never looks for (or downloads) a driver itself.
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """The seeds' result, its report with spans, and its HTML page."""
    result = dedup.find_duplicates(str(SEEDS))
    page = tmp_path_factory.mktemp("html") / "seeds.html"
    write_html(result, page)
    texts = {d.id: d.text for d in result.documents}
    return result, report_dict(result, spans=True, offsets=True), texts, page


def show(driver, page: Path, hash_: str, ready_css: str):
    """Load *page* at ``#hash_`` afresh and wait until *ready_css* matches something."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("about:blank")
    driver.get(page.as_uri() + "#" + hash_)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ready_css))


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def wait_for(driver, condition, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition())


def page_index(page: Path, pair: dict) -> int:
    """Where the page lists a pair of the report."""
    payload = embedded(page)
    docs, passages = [d[0] for d in payload["docs"]], payload["passages"]
    want = tuple((pair[s]["doc"], pair[s]["index"]) for s in "ab")
    return next(n for n, e in enumerate(payload["pairs"])
                if tuple((docs[passages[k][0]], passages[k][1]) for k in e[:2]) == want)


def embedded(page: Path) -> dict:
    """The payload a page carries, parsed back from its ``<script type="application/json">``."""
    html = page.read_text("utf-8")
    data = re.search(r'<script type="application/json" id="dedup-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(data)


# ------------------------------------------------------------------------ without a browser


def test_data_cannot_close_its_script_element():
    evil = "</script><script>alert(1)</script><!-- & \u2028 \u2029 </textarea>"
    page = render_html({"summary": {}, "passages": [[0, 0, 1, 0, len(evil), evil, 0]], "docs": [["d", 1, 1]]})
    data = re.search(r'id="dedup-data">(.*?)</script>', page, re.S).group(1)
    assert not set("<>&\u2028\u2029") & set(data)
    assert json.loads(data)["passages"][0][5] == evil
    assert page.count("<script") == 2  # the data and the page's own script, nothing else


def test_page_is_self_contained_and_states_its_size(seeds):
    _, _, _, page = seeds
    html = page.read_text("utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no CDN, no network
    assert "@import" not in html and "url(http" not in html
    stated = re.search(r'id="filesize">([^<]+)<', html).group(1)
    size = page.stat().st_size
    assert stated == (f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB")


def test_payload_matches_the_report(seeds):
    result, report, texts, page = seeds
    payload = embedded(page)
    assert payload["summary"]["documents"] == len(result.documents) == 5
    assert payload["summary"]["clusters"] == len(result.clusters)
    assert len(payload["pairs"]) == len(report["pairs"])  # the seeds are small: every listed pair is embedded
    passages = payload["passages"]
    for p in passages:  # every passage's text is its document's text at its offsets
        doc = payload["docs"][p[0]][0]
        assert p[5] == texts[doc][p[3]:p[4]]
    for pair in report["pairs"]:
        boxes = payload["pairs"][page_index(page, pair)][6]
        assert boxes == [[s["a"][0], s["a"][1], s["b"][0], s["b"][1]] for s in pair["spans"]]
    # What cleaning would remove: the same passages and characters as clean() at its default level.
    cleaned = dedup.clean(result)
    assert payload["summary"]["removed_passages"] == len(cleaned.removed)
    assert payload["summary"]["removed_chars"] == cleaned.chars_removed


@pytest.mark.parametrize("options", [{"keep": "longest"}, {"boilerplate": "remove"},
                                     {"unit": "sentence", "clusters": "components", "threshold": 0.4}])
def test_removal_counts_are_what_clean_removes(options):
    # Boilerplate removal and pairs a report does not list (components) are counted too.
    result = dedup.find_duplicates(str(SEEDS), **options)
    cleaned = dedup.clean(result)
    summary = html_payload(report_dict(result), {d.id: d.text for d in result.documents})["summary"]
    assert (summary["removed_passages"], summary["removed_chars"]) == (len(cleaned.removed), cleaned.chars_removed)


def test_a_report_without_removal_counts_states_none(seeds):
    _, report, texts, _ = seeds
    older = {**report, "summary": {k: v for k, v in report["summary"].items() if not k.startswith("removed")}}
    summary = html_payload(older, texts)["summary"]
    assert summary["removed_passages"] is None and summary["removed_share"] is None


def test_every_passage_shown_has_its_own_text():
    # Sentences share lines: a passage is found by its offsets, never by its line, even when no listed
    # pair names it (boilerplate left out of matching, a member of a component linked through others).
    # (The byline on a line of its own: a short sentence inside a paragraph is not boilerplate.)
    docs = [(f"d{k}.txt", f"本报记者报道。\n第{k}条新闻的正文内容在这里，写得长一些。各不相同{'甲乙丙丁戊'[k]}的字{k * 7}，"
                          f"也写得长一些。\n") for k in range(5)]
    result = dedup.find_duplicates(docs, unit="sentence", boilerplate="ignore")
    texts = {d.id: d.text for d in result.documents}
    payload = html_payload(report_dict(result, offsets=True), texts)
    assert payload["boilerplate"]["groups"] == [["本报记者报道。", 5, [[k, 1] for k in range(5)]]]
    result = dedup.find_duplicates(str(SEEDS), unit="sentence", clusters="components", threshold=0.4)
    texts = {d.id: d.text for d in result.documents}
    payload = html_payload(report_dict(result, offsets=True), texts)
    docs = [d[0] for d in payload["docs"]]
    for doc, index, _, start, end, text, _ in payload["passages"]:
        p = next(p for p in result.passages if (p.doc, p.index) == (docs[doc], index))
        assert (start, end, text) == (p.start, p.end, p.text)


def test_bounded_by_top(seeds):
    result, report, texts, _ = seeds
    payload = html_payload(report, texts, top=2)
    assert payload["limits"]["clusters"] == [2, len(result.clusters)]
    assert len(payload["pairs"]) <= 8 and payload["limits"]["pairs"][1] == len(report["pairs"])


def test_from_saved_report_reads_the_texts_again(seeds, tmp_path):
    _, report, texts, page = seeds
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps({**report, "input": str(SEEDS)}, ensure_ascii=False), "utf-8")
    out = tmp_path / "again.html"
    write_html_from_report(saved, out)
    again = embedded(out)
    assert again["passages"] == embedded(page)["passages"] and again["pairs"] == embedded(page)["pairs"]
    changed = tmp_path / "corpus"
    shutil.copytree(SEEDS, changed)
    (changed / DOUBLED).write_text(texts[DOUBLED] + "多", "utf-8")
    with pytest.raises(ValueError, match=DOUBLED):
        write_html_from_report(saved, tmp_path / "stale.html", corpus=changed)
    # Not a report: an error naming the file, and no page written.
    from dedup._errors import InputError

    for name, content in (("empty.json", "{}"), ("lines.jsonl", '{"a": 1}\n{"b": 2}\n'), ("list.json", "[]"),
                          ("future.json", json.dumps({**report, "version": 99}))):
        (tmp_path / name).write_text(content, "utf-8")
        with pytest.raises(InputError, match=name.replace(".", r"\.")):
            write_html_from_report(tmp_path / name, tmp_path / "none.html", corpus=SEEDS)
    assert not (tmp_path / "none.html").exists()


@pytest.mark.parametrize("single", [False, True])
def test_from_a_saved_report_of_tables_reads_their_rows_again(tmp_path, single):
    """A report of tables names rows by id: `dedup report` reads the rows again as the scan read them (its text
    and id fields, which the report records), not a file an id."""
    from dedup.__main__ import main

    a = "全国工业和信息化工作会议在京召开，会议总结了今年的工作并部署明年的重点任务。"
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text("".join(json.dumps({"key": f"r{k}", "body": t}, ensure_ascii=False) + "\n"
                                          for k, t in enumerate([a, a + "另", "无关的一段文字，讲的是别的事情。"])), "utf-8")
    if not single:
        (data / "b.csv").write_text(f"key,body\nr9,{a}\n", "utf-8")
    source = data / "a.jsonl" if single else data
    page, saved, again = tmp_path / "scan.html", tmp_path / "r.json", tmp_path / "again.html"
    assert main([str(source), "--text-field", "body", "--id-field", "key", "--spans", "--quiet",
                 "--json", str(saved), "--html", str(page)]) == 0
    assert main(["report", str(saved), "--html", str(again)]) == 0
    assert embedded(again)["passages"] == embedded(page)["passages"] and embedded(again)["pairs"]
    # Rows that are not there: an error naming one, and no page.
    (tmp_path / "other.jsonl").write_text(json.dumps({"key": "x", "body": a}, ensure_ascii=False) + "\n", "utf-8")
    assert main(["report", str(saved), "--html", str(tmp_path / "none.html"), "--corpus",
                 str(tmp_path / "other.jsonl")]) == 1
    assert not (tmp_path / "none.html").exists()


def test_a_report_saved_without_spans_says_its_figures_are_derived(seeds, monkeypatch):
    """Without --spans the page figures overlaps from the pairs the report lists, aligned as --html aligns
    them (all of them listed: the same figures), and says so on the page."""
    result, report, texts, _ = seeds
    direct = html_payload(report, texts)
    assert not any("without --spans" in w for w in direct["warnings"])
    listed = report_dict(result, all_pairs=True, offsets=True)
    assert "document_overlaps" not in listed and all("spans" not in p for p in listed["pairs"])
    derived = html_payload(listed, texts)
    assert any("saved without --spans" in w for w in derived["warnings"])
    def rounded(payload):  # the report rounds shares to 6 places; figured here they are not
        return [[a, b, round(x, 6), round(y, 6)] for a, b, x, y in payload["overlaps"]["list"]]

    assert rounded(derived) == rounded(direct)
    assert [(r["doc"], round(r["share"], 6), r["chars"]) for r in derived["repeats"]["docs"]] == \
        [(r["doc"], round(r["share"], 6), r["chars"]) for r in direct["repeats"]["docs"]]
    # Past ALIGNED_PAIRS the whole passages count, and the page says so.
    import dedup._html

    monkeypatch.setattr(dedup._html, "ALIGNED_PAIRS", 0)
    whole = html_payload(listed, texts)
    assert any("too many to align" in w for w in whole["warnings"]) and rounded(whole) != rounded(direct)


# ------------------------------------------------------------------------------ in Chromium


def test_summary_shows_the_counts(browser, seeds):
    result, _, _, page = seeds
    show(browser, page, "summary", "#summary")
    text = css(browser, "#summary")[0].text
    assert f"{len(result.documents)}\ndocuments" in text
    assert f"{len(result.passages)}\npassages" in text
    assert f"{len(result.clusters)}\nclusters of duplicates" in text
    assert "of the characters" in text
    assert browser.execute_script("return window.dedupReady") > 0


def test_doubled_report_repeats_itself_at_a_glance(browser, seeds):
    _, report, texts, page = seeds
    show(browser, page, "documents", "tr.repeat-doc")
    row = css(browser, f'tr.repeat-doc[data-doc="{DOUBLED}"]')[0]
    repeats = next(r for r in report["self_repeats"] if r["doc"] == DOUBLED)
    assert f"{100 * repeats['share']:.1f}%" in row.text
    assert css(browser, f'tr.repeat-doc[data-doc="{DOUBLED}"] .minimap .r')  # red bars on the map
    row.click()
    wait_for(browser, lambda: css(browser, "#doctext mark.repeat"))
    marks = browser.execute_script("""return [...document.querySelectorAll('#doctext mark.repeat')].map(
        (m) => [Number(m.dataset.start), Number(m.dataset.end), m.textContent])""")
    text = texts[DOUBLED]
    assert all(body == text[start:end] for start, end, body in marks)
    # Copy 2 (glued to the end of copy 1) is marked as repeating copy 1: about half the document.
    shown = covered([(s, e) for s, e, _ in marks])
    assert shown == covered([tuple(r["span"]) for r in repeats["repeats"]])
    assert 0.45 < shown / len(text) < 0.55
    assert min(s for s, _, _ in marks) >= len(text) // 2 - 200


def test_editorial_reuse_of_the_report_is_shown(browser, seeds):
    _, _, texts, page = seeds
    text = texts[PAGE_2023]
    editorial = text.index("## 社论")
    show(browser, page, "documents", "tr.repeat-doc")
    css(browser, f'tr.repeat-doc[data-doc="{PAGE_2023}"]')[0].click()
    wait_for(browser, lambda: css(browser, "#doctext mark.repeat"))
    marks = browser.execute_script("""return [...document.querySelectorAll('#doctext mark.repeat')].map(
        (m) => [Number(m.dataset.start), Number(m.dataset.of)])""")
    # Repeats inside the editorial whose source lies in the report above it.
    assert [m for m in marks if m[0] > editorial and m[1] < editorial]
    sources = css(browser, "#doctext mark.source")
    assert [s for s in sources if int(s.get_attribute("data-end")) <= editorial]  # the report's side, in blue


def test_pair_view_highlights_the_aligned_spans(browser, seeds):
    _, report, texts, page = seeds
    # 2023 #18 lies inside the editorial's #41 (the report's paragraph plus most of #17).
    pair = next(p for p in report["pairs"] if (p["a"]["doc"], p["a"]["index"], p["b"]["doc"], p["b"]["index"])
                == (PAGE_2023, 18, PAGE_2023, 41))
    show(browser, page, "pairs", "#pairs tr.pair")
    box = css(browser, "input[name=doc]")[0]
    box.send_keys(PAGE_2023)
    involved = sum(1 for p in report["pairs"] if PAGE_2023 in (p["a"]["doc"], p["b"]["doc"]))
    wait_for(browser, lambda: css(browser, "#count")[0].text.startswith(f"{involved} of {len(report['pairs'])} pairs"))
    a_where, b_where = f"{PAGE_2023}:{pair['a']['line']}", f"{PAGE_2023}:{pair['b']['line']}"
    row = next(r for r in css(browser, "#pairs tr.pair")
               if [c.text for c in r.find_elements("css selector", "td.where")] == [a_where, b_where])
    row.click()
    wait_for(browser, lambda: css(browser, "#aligned tr.shared"))
    shared_a = [c.text for c in css(browser, "#aligned td.span-a")]
    shared_b = [c.text for c in css(browser, "#aligned td.span-b")]
    text = texts[PAGE_2023]
    assert shared_a == [text[s["a"][0]:s["a"][1]] for s in pair["spans"]]
    assert shared_b == [text[s["b"][0]:s["b"][1]] for s in pair["spans"]]
    assert len(shared_a[0]) > 300
    # What #41 carries beyond #18 stands in a row of its own, on b's side only.
    only = css(browser, "#aligned tr.only td.text")
    assert only and only[0].text == "" and text[pair["b"]["start"]:pair["spans"][0]["b"][0]] == only[1].text


def test_normalisation_differences_are_marked_as_such(browser, seeds):
    _, report, _, page = seeds
    # The abridged report has half-width punctuation where the doubled one has full width.
    between = sum(1 for p in report["pairs"] if {p["a"]["doc"], p["b"]["doc"]} == {ABRIDGED, DOUBLED})
    show(browser, page, "pairs", "#pairs tr.pair")
    css(browser, "input[name=doc]")[0].send_keys(ABRIDGED)
    css(browser, "input[name=doc2]")[0].send_keys(DOUBLED)
    wait_for(browser, lambda: css(browser, "#count")[0].text.startswith(f"{between} of {len(report['pairs'])} pairs"))
    exact = [r for r in css(browser, "#pairs tr.pair") if r.get_attribute("data-kind") == "exact"]
    exact[0].click()
    wait_for(browser, lambda: css(browser, "#aligned tr.shared"))
    a_marks = [m.text for m in css(browser, "#aligned td.span-a mark[data-why=width]")]
    b_marks = [m.text for m in css(browser, "#aligned td.span-b mark[data-why=width]")]
    assert a_marks and len(a_marks) == len(b_marks)
    assert "".join(a_marks) != "".join(b_marks)
    assert unicodedata.normalize("NFKC", "".join(a_marks)) == unicodedata.normalize("NFKC", "".join(b_marks))


def test_filters_by_kind_and_similarity(browser, seeds):
    _, report, _, page = seeds
    kinds = [p["kind"] for p in report["pairs"]]
    show(browser, page, "pairs", "#pairs tr.pair")
    for kind in ("exact", "near"):
        css(browser, f"input[name=kind][value={kind}]")[0].click()
    rows = css(browser, "#pairs tr.pair")
    assert {r.get_attribute("data-kind") for r in rows} == {"contained"}
    assert len(rows) == kinds.count("contained")
    assert css(browser, "#count")[0].text.startswith(f"{kinds.count('contained')} of {len(kinds)} pairs")
    css(browser, "input[name=kind][value=near]")[0].click()
    low = css(browser, "input[name=min]")[0]
    low.clear()
    low.send_keys("0.7")
    expected = sum(1 for p in report["pairs"] if p["kind"] in ("near", "contained") and p["similarity"] >= 0.7)
    wait_for(browser, lambda: len(css(browser, "#pairs tr.pair")) == expected)
    css(browser, "input[name=q]")[0].send_keys("爱达·魔都号")
    wait_for(browser, lambda: css(browser, "#count")[0].text.startswith("1 of"))


def test_corpus_markup_is_shown_as_text(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException

    evil = "<script>window.injected = 1; alert(1)</script>这一段用来检查转义，不能当作网页代码执行。"
    other = "</textarea><img src=x onerror=\"window.injected = 2\">这一段也必须原样显示为文字，而不是标签。"
    corpus = [("a.txt", f"{evil}\n{other}\n甲文件独有的一段文字在这里。"),
              ("b.txt", f"开头不同的一段话。\n{evil}\n{other}")]
    page = tmp_path / "evil.html"
    write_html(dedup.find_duplicates(corpus), page)
    show(browser, page, "clusters", ".cluster")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.accept()
    assert browser.execute_script("return window.injected") is None
    assert browser.execute_script("return document.querySelectorAll('script').length") == 2
    assert not css(browser, "img") and not css(browser, "textarea")
    texts = [t.get_attribute("textContent") for t in css(browser, ".cluster .text")]
    assert evil in texts and other in texts


def test_screenshot_of_the_seeds_report(browser, seeds, tmp_path):
    _, report, _, page = seeds
    families = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert "Noto Sans CJK SC" in families or "Noto Serif CJK SC" in families, f"no CJK font: {INSTALL}"
    # A near pair of the two 2017 reports: shared text, width differences and small edits.
    pair = next(p for p in report["pairs"] if p["kind"] == "near"
                and p["a"]["doc"] == ABRIDGED and p["b"]["doc"] == DOUBLED)
    show(browser, page, f"pair/p{page_index(page, pair)}", "#aligned tr.shared")
    assert css(browser, "#aligned mark[data-why=width]") and css(browser, "#aligned mark[data-why=edit]")
    shot = tmp_path / "report.png"
    browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    # docs/report.png (shown in the README) is refreshed on request, so a test run leaves the tree clean.
    if os.environ.get("DEDUP_UPDATE_SCREENSHOT") or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


# ---------------------------------------------------------------------------- a large report


def synthetic_report(docs: int = 1000, per_doc: int = 100, seed: int = 7) -> tuple[dict, dict[str, str]]:
    """A report of ``docs * per_doc`` passages (one per line) with exact, near and contained copies."""
    rng = np.random.default_rng(seed)
    n = docs * per_doc
    lengths = rng.integers(30, 120, size=n)
    codes = rng.integers(0x4E00, 0x4E00 + 3000, size=int(lengths.sum())).astype(np.uint32)
    stream = codes.tobytes().decode("utf-32-le")
    bounds = np.concatenate(([0], np.cumsum(lengths))).tolist()
    paragraphs = [stream[bounds[i]:bounds[i + 1]] for i in range(n)]
    order = rng.permutation(n).tolist()
    groups, at = [], 0
    while at < 60_000:
        size = int(rng.integers(2, 6))
        groups.append(sorted(order[at:at + size]))
        at += size
    kinds: dict[tuple[int, int], str] = {}
    for group in groups:
        kept = group[0]
        for member in group[1:]:
            if rng.random() < 0.7:
                paragraphs[member] = paragraphs[kept]
                kinds[(kept, member)] = "exact"
            else:
                chars = list(paragraphs[kept])
                chars[len(chars) // 2] = "改"
                paragraphs[member] = "".join(chars)
                kinds[(kept, member)] = "near"
    for outer in order[at:at + 5000]:
        inner = order[int(rng.integers(0, 60_000))]
        if inner < outer:
            paragraphs[outer] = paragraphs[inner] + paragraphs[outer][:40]
            kinds[(inner, outer)] = "contained"
    texts, where = {}, []
    for d in range(docs):
        name = f"doc{d:04d}.txt"
        offset = 0
        for k, paragraph in enumerate(paragraphs[d * per_doc:(d + 1) * per_doc]):
            where.append({"doc": name, "index": k, "line": k + 1, "start": offset, "end": offset + len(paragraph)})
            offset += len(paragraph) + 1
        texts[name] = "\n".join(paragraphs[d * per_doc:(d + 1) * per_doc])
    pairs = []
    for (i, j), kind in sorted(kinds.items()):
        inside = len(paragraphs[i]) / len(paragraphs[j]) if kind == "contained" else 1.0
        similarity = {"exact": 1.0, "near": 0.9, "contained": round(inside, 6)}[kind]
        pairs.append({"a": where[i], "b": where[j], "similarity": similarity, "containment_ab": 1.0 if kind != "near"
                      else 0.95, "containment_ba": similarity if kind == "contained" else 0.95, "kind": kind})
    clusters = [{"kept": {"doc": where[g[0]]["doc"], "index": where[g[0]]["index"]},
                 "members": [{"doc": where[m]["doc"], "index": where[m]["index"]} for m in g]}
                for g in sorted(groups, key=lambda g: (-len(g), g[0]))]
    report = {"version": 1, "config": {"threshold": 0.6, "shingle": "char:5", "keep": "first",
                                       "normalizer": {"casefold": True, "punctuation": False, "digits": False,
                                                      "traditional": False, "keep_spaces": False}},
              "documents": [{"id": name, "passages": per_doc, "chars": len(t), "encoding": "utf-8"}
                            for name, t in texts.items()],
              "pairs": pairs, "clusters": clusters, "errors": [], "boilerplate": []}
    return report, texts


def test_large_report_opens_and_filters_quickly(browser, tmp_path):
    report, texts = synthetic_report()
    assert sum(d["passages"] for d in report["documents"]) == 100_000
    started = time.perf_counter()
    page = tmp_path / "large.html"
    page.write_text(render_html(html_payload(report, texts, top=500)), "utf-8")
    built = time.perf_counter() - started
    size = page.stat().st_size
    assert size < 5_000_000, f"{size} bytes"
    assert built < 20, f"built in {built:.1f} s"
    show(browser, page, "summary", "#limits")
    assert browser.execute_script("return window.dedupReady") < 2000  # ms from navigation start
    limits = css(browser, "#limits")[0].text
    assert f"500 of {len(report['clusters']):,} clusters" in limits
    assert f"{len(report['clusters']) - 500:,} more clusters are not embedded" in limits
    css(browser, "#tab-pairs")[0].click()
    wait_for(browser, lambda: css(browser, "#pairs tr.pair"))
    elapsed = browser.execute_script("""const t = performance.now();
        document.querySelector('input[name=kind][value=exact]').click();
        document.querySelector('input[name=kind][value=near]').click();
        return performance.now() - t;""")
    assert elapsed < 2000, f"{elapsed:.0f} ms"
    kinds = {r.get_attribute("data-kind") for r in css(browser, "#pairs tr.pair")}
    assert kinds == {"contained"}
    # The search box waits for typing to pause (120 ms), then filters.
    browser.execute_script("""const box = document.querySelector('input[name=q]');
        window.searchStarted = performance.now(); box.value = arguments[0];
        box.dispatchEvent(new Event('input'));""", texts["doc0000.txt"][:4])
    wait_for(browser, lambda: css(browser, "#count")[0].text.startswith(("0 of", "1 of", "2 of")))
    assert browser.execute_script("return performance.now() - window.searchStarted") < 2000
