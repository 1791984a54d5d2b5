"""The persistent index: equivalence with a batch run, the keep rule, storage, safety, command line."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedup
from dedup import Index, IndexFileError, Settings, UsageError
from dedup.__main__ import main
from dedup._index import IndexWriteError

ROOT = Path(__file__).resolve().parent.parent
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E00 + 300)
# Paragraphs drawn from a small pool and edited, so that exact, near and contained pairs occur.
pools = st.lists(st.text(HAN, min_size=4, max_size=60), min_size=3, max_size=12)
EDITS = ("same", "append", "drop", "merge", "short")


def _paragraph(pool: list[str], pick: int, edit: str, other: int) -> str:
    text = pool[pick % len(pool)]
    if edit == "append":
        return text + "增"
    if edit == "drop":
        return text[1:] or text
    if edit == "merge":
        return text + pool[other % len(pool)]
    if edit == "short":
        return text[:5]
    return text


@st.composite
def corpora(draw: st.DrawFn) -> list[tuple[str, str]]:
    pool = draw(pools)
    n_docs = draw(st.integers(2, 12))
    docs = []
    for d in range(n_docs):
        paragraphs = draw(st.lists(st.tuples(st.integers(0, 99), st.sampled_from(EDITS), st.integers(0, 99)),
                                   min_size=1, max_size=6))
        docs.append((f"doc{d:02d}", "\n".join(_paragraph(pool, *p) for p in paragraphs)))
    return docs


def _pairs(result: dedup.Result, kinds: tuple[str, ...] = ("exact", "near", "contained")) -> list[tuple]:
    return sorted((p.a.doc, p.a.index, p.b.doc, p.b.index, round(p.similarity, 9), p.kind)
                  for p in result.pairs if p.kind in kinds)


def _clusters(result: dedup.Result) -> list[tuple]:
    return sorted(((c.kept.doc, c.kept.index), tuple(sorted((m.doc, m.index) for m in c.members)))
                  for c in result.clusters)


def _add_in_batches(path: Path, docs: list[tuple[str, str]], cuts: list[int], s: Settings) -> tuple[list, dedup.Result]:
    """Add *docs* split at *cuts*; return the union of the pairs the adds reported, and the export."""
    reported: list[tuple] = []
    with Index(path, s) as index:
        bounds = [0, *sorted(set(cuts)), len(docs)]
        for start, end in itertools.pairwise(bounds):
            if start < end:
                reported += _pairs(index.add(docs[start:end]))
        return sorted(reported), index.export()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpora(), st.lists(st.integers(1, 11), max_size=5), st.sampled_from(["components", "centres"]))
def test_batches_give_the_batch_engine_pairs_and_clusters(tmp_path_factory, docs, cuts, clusters):
    # Without the containment search, the index and the batch engine find candidates the same way.
    s = Settings(containment=False, clusters=clusters)
    batch = dedup.find_duplicates(docs, s)
    reported, exported = _add_in_batches(tmp_path_factory.mktemp("i") / "x.db", docs,
                                         [c for c in cuts if c < len(docs)], s)
    assert _pairs(exported) == _pairs(batch)
    assert reported == _pairs(batch), "each pair is reported once, by the add of its later passage"
    assert _clusters(exported) == _clusters(batch)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpora(), st.sampled_from(["components", "centres"]))
def test_a_corpus_added_at_once_gives_the_batch_engine_answer_with_containment(tmp_path_factory, docs, clusters):
    # Within one add the index runs the batch engine's containment search: the same answer, contained pairs too.
    s = Settings(clusters=clusters)
    batch = dedup.find_duplicates(docs, s)
    reported, exported = _add_in_batches(tmp_path_factory.mktemp("i") / "x.db", docs, [], s)
    assert _pairs(exported) == reported == _pairs(batch)
    assert _clusters(exported) == _clusters(batch)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpora(), st.lists(st.integers(1, 11), min_size=1, max_size=5))
def test_with_containment_across_adds_every_lsh_pair_is_found_and_verified_as_in_a_batch(tmp_path_factory, docs,
                                                                                       cuts):
    s = Settings()
    # Every cut inside the corpus (there are at least two documents): always at least two adds.
    reported, in_batches = _add_in_batches(tmp_path_factory.mktemp("i") / "y.db", docs,
                                           [1 + c % (len(docs) - 1) for c in cuts], s)
    assert _pairs(in_batches) == reported
    # Across adds, containment candidates come from shared samples, not the batch engine's search, so
    # either may find pairs (near ones too) that the other misses; what LSH finds, both find.
    lsh_only = dedup.find_duplicates(docs, s.replace(containment=False))
    assert set(_pairs(lsh_only, ("exact", "near"))) <= set(_pairs(in_batches, ("exact", "near")))
    # Every pair the index reports is verified as the batch engine verifies it, when it finds it too.
    judged = {p[:4]: p for p in _pairs(dedup.find_duplicates(docs, s))}
    assert all(judged.get(pair[:4], pair) == pair for pair in _pairs(in_batches))


@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.lists(st.integers(0, 255), min_size=n, max_size=n),
                                                     st.lists(st.booleans(), min_size=n, max_size=n),
                                                     st.integers(0, 2**32 - 1))))
def test_agreeing_nibbles_bound_agreeing_bins(drawn):
    # The index drops an LSH candidate when too few nibbles agree; that is safe only if they bound the bins.
    from dedup._index import _nibbles, _unpack_nibbles
    from dedup._lsh import estimate

    row, copied, seed = drawn
    a = np.array([row], np.uint8)
    other = np.random.default_rng(seed).integers(0, 256, a.shape).astype(np.uint8)
    b = np.where(np.array([copied]), a, other)  # some bins equal, the rest random (a nibble may agree by chance)
    both = np.concatenate([a, b])
    by_bins = estimate(both, np.array([[0, 1]]))[0]
    by_nibbles = estimate(_unpack_nibbles(_nibbles(both), a.shape[1]), np.array([[0, 1]]))[0]
    assert by_bins >= sum(copied) / len(row)  # the copied bins agree (others by chance)
    assert by_nibbles >= by_bins


def test_first_seen_is_kept_whatever_the_ids(tmp_path):
    text = "同一段文字出现了两次，足够长的一句话。"
    with Index(tmp_path / "x.db") as index:
        first = index.add([("7f3a-old", text)])
        second = index.add([("1b9c-new", text + "!")])
    assert not first.pairs and not first.clusters
    assert [(c.kept.doc, [m.doc for m in c.members]) for c in second.clusters] == [("7f3a-old", ["7f3a-old", "1b9c-new"])]
    removed = dedup.clean(second).removed
    assert [(r.doc, r.kept["doc"]) for r in removed] == [("1b9c-new", "7f3a-old")]


def test_keep_longest_applies_within_an_add_and_earlier_adds_still_win(tmp_path):
    short, long_ = "重复的一段话，足够长了吧，这是原文。", "重复的一段话，足够长了吧，这是原文。再加一句"
    with Index(tmp_path / "x.db", Settings(keep="longest", containment=False, threshold=0.5)) as index:
        index.add([("a", short)])
        result = index.add([("b", long_), ("c", long_ + "呢")])
    (cluster,) = result.clusters
    assert cluster.kept.doc == "a"
    assert result.keep_rank.tolist().index(1) == [p.doc for p in result.passages].index("c")


def test_query_reports_what_add_would_and_changes_nothing(tmp_path):
    docs = [("a", "第一段足够长的文字在这里。\n第二段也足够长的文字。"), ("b", "第一段足够长的文字在这里！")]
    with Index(tmp_path / "x.db") as index:
        index.add(docs[:1])
        before = index.stats()
        asked = index.query(docs[1:])
        assert index.stats() == before
        added = index.add(docs[1:])
    assert _pairs(asked) == _pairs(added) and asked.pairs
    assert _clusters(asked) == _clusters(added)


def test_short_passages_match_exactly_across_adds(tmp_path):
    with Index(tmp_path / "x.db") as index:
        index.add([("a", "短句\n另一段足够长的文字内容。")])
        result = index.add([("b", "短句")])
    assert [(p.a.doc, p.b.doc, p.kind) for p in result.pairs] == [("a", "b", "exact")]


def test_giant_groups_and_buckets_follow_the_incremental_rule(tmp_path):
    # 12 equal passages with max_bucket=3: each pairs with the first only past the third.
    # (longer than boilerplate_chars: a short line in every document would be boilerplate)
    docs = [(f"d{i:02d}", "同一段足够长的文字反复出现在每一篇文章里面，一共出现十二次，每次都完全一样。") for i in range(12)]
    s = Settings(max_bucket=3)
    batch = dedup.find_duplicates(docs, s)
    reported, exported = _add_in_batches(tmp_path / "x.db", docs, [4, 9], s)
    assert reported == _pairs(exported)
    assert set(_pairs(batch)) <= set(_pairs(exported)), "the index reports a superset of the batch star"
    later = [p for p in _pairs(exported) if p[2] in ("d05", "d11")]
    assert all(p[0] == "d00" for p in later)
    assert len(exported.clusters) == 1 and exported.clusters[0].kept.doc == "d00"


def test_remove_gives_the_index_of_the_remaining_documents(tmp_path):
    docs = [("a", "第一段足够长的文字在这里。"), ("b", "第一段足够长的文字在这里！\n另外一段足够长的话。"),
            ("c", "另外一段足够长的话。"), ("d", "第一段足够长的文字在这里。")]
    s = Settings(containment=False)
    with Index(tmp_path / "x.db", s) as index:
        index.add(docs[:2])
        index.add(docs[2:])
        assert index.remove(["a"]) == 1
        rest = index.export()
        with pytest.raises(KeyError, match="'zz'"):
            index.remove(["c", "zz"])
        assert index.stats().documents == 3, "a failed remove removes nothing"
        assert index.check() == []
    assert _pairs(rest) == _pairs(dedup.find_duplicates(docs[1:], s))


def test_removing_the_last_passage_of_a_text_forgets_it(tmp_path):
    with Index(tmp_path / "x.db") as index:
        index.add([("a", "第一段足够长的文字在这里。")])
        index.remove(["a"])
        assert index.stats().groups == 0 and index.check() == []
        assert not index.query([("b", "第一段足够长的文字在这里。")]).pairs
        assert all(index._con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0
                   for t in ("bands", "samples", "links"))


def test_kept_texts_show_in_later_results(tmp_path):
    with Index(tmp_path / "x.db", keep_text=True) as index:
        index.add([("a", "前言\n第一段足够长的文字在这里。")])
        result = index.add([("b", "第一段足够长的文字在这里！")])
    assert result.pairs[0].a.text == "第一段足够长的文字在这里。"
    with Index(tmp_path / "y.db") as index:
        index.add([("a", "前言\n第一段足够长的文字在这里。")])
        sketch = index.add([("b", "第一段足够长的文字在这里！")]).pairs[0].a
    assert (sketch.line, sketch.start, sketch.end) == (2, 3, 16)
    assert "".join(sketch.text.split()) == "第一段足够长的文字在这里。"  # its normal form, padded to its offsets


def test_settings_are_stored_and_checked(tmp_path):
    path = tmp_path / "x.db"
    with Index(path, Settings(threshold=0.5)):
        pass
    with Index(path) as index:
        assert index.settings == Settings(threshold=0.5)
    with Index(path, Settings(threshold=0.4)) as index:  # nothing added yet: the settings are not fixed
        assert index.settings == Settings(threshold=0.4)
        index.add([("a", "第一段足够长的文字在这里。")])
    with pytest.raises(dedup.SettingsError, match=r"threshold=0.7 \(the index has 0.4\)"):
        Index(path, Settings(threshold=0.7))
    with pytest.raises(dedup.SettingsError, match="key function"):
        Index(tmp_path / "y.db", Settings(keep=len))
    with pytest.raises(dedup.SettingsError, match="boilerplate='ignore'"):
        Index(tmp_path / "z.db", Settings(boilerplate="ignore"))


def test_document_ids_already_indexed_are_refused_whole(tmp_path):
    with Index(tmp_path / "x.db") as index:
        index.add([("a", "第一段足够长的文字在这里。")])
        with pytest.raises(ValueError, match=r"already in the index: 'a'.*--prefix"):
            index.add([("b", "别的"), ("a", "又来")])
        assert index.stats().documents == 1


def test_options_given_to_an_index_are_checked_one_by_one(tmp_path, capsys):
    """An option given alone is compared with the index's own setting; the defaults of the others are not."""
    (tmp_path / "a.txt").write_text("第一段足够长的文字在这里。\n", "utf-8")
    (tmp_path / "b.txt").write_text("第一段足够长的文字在这里！\n", "utf-8")
    db = str(tmp_path / "x.db")
    assert main(["index", "add", db, str(tmp_path / "a.txt"), "--unit", "document", "--threshold", "0.5",
                 "--quiet"]) == 0
    assert main(["index", "add", db, str(tmp_path / "b.txt"), "--threshold", "0.7", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "threshold=0.7 (the index has 0.5)" in err and "unit" not in err
    assert main(["index", "add", db, str(tmp_path / "b.txt"), "--threshold", "0.5", "--quiet"]) == 0
    # An index whose first add failed pins nothing: the next add's options go over the defaults, as on a new file.
    (tmp_path / "empty").mkdir()
    fresh = str(tmp_path / "y.db")
    assert main(["index", "add", fresh, str(tmp_path / "empty"), "--unit", "document", "--quiet"]) == 2
    assert main(["index", "add", fresh, str(tmp_path / "a.txt"), "--threshold", "0.7", "--quiet"]) == 0
    with Index(fresh) as index:
        assert (index.settings.unit, index.settings.threshold) == ("paragraph", 0.7) and index.pinned


def test_a_prefix_names_a_days_files_apart_from_the_day_befores(tmp_path, capsys):
    """Daily dumps reuse names (part-00000.jsonl, rows numbered from 0): --prefix makes them other documents."""
    days = []
    for day, text in enumerate(["第一段足够长的文字在这里。\n", "第一段足够长的文字在这里！\n"], start=1):
        folder = tmp_path / f"day{day}"
        folder.mkdir()
        (folder / "part-0.txt").write_text(text, "utf-8")
        (folder / "rows.jsonl").write_text(json.dumps({"text": text * 2}, ensure_ascii=False) + "\n", "utf-8")
        days.append(folder)
    db = str(tmp_path / "x.db")
    assert main(["index", "add", db, str(days[0] / "part-0.txt"), "--quiet"]) == 0
    assert main(["index", "add", db, str(days[1] / "part-0.txt"), "--quiet"]) == 1
    assert "--prefix" in capsys.readouterr().err
    assert main(["index", "add", db, str(days[1] / "part-0.txt"), "--prefix", "day2/", "--quiet",
                 "--json", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert [(p["a"]["doc"], p["b"]["doc"]) for p in report["pairs"]] == [("part-0.txt", "day2/part-0.txt")]
    with Index(db) as index:
        index.add(days[0] / "rows.jsonl", prefix="day1:")
        found = index.add(days[1] / "rows.jsonl", prefix="day2:")
        assert {d.id for d in found.documents} >= {"day1:0", "day2:0"}
        # As tables and annotations show them (the indexed documents' keys are not kept).
        assert {d.key for d in found.documents if d.id.startswith("day2:")} == {"day2:0"}
        with pytest.raises(UsageError, match="prefix must be a str"):
            index.add(days[1] / "rows.jsonl", prefix=2)


def test_other_schema_versions_and_foreign_or_corrupt_files_get_clear_errors(tmp_path):
    path = tmp_path / "x.db"
    with Index(path) as index:
        index.add([("a", "第一段足够长的文字在这里。")])
    for version, what in ((0, "older dedup"), (99, "newer dedup")):
        con = sqlite3.connect(path)
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(version),))
        con.commit()
        con.close()
        with pytest.raises(IndexFileError, match=what):
            Index(path)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(IndexFileError, match="not a dedup index"):
        Index(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(IndexFileError, match="corrupt or not an index"):
        Index(junk)
    with pytest.raises(IndexFileError, match="no such index"):
        Index(tmp_path / "missing.db", create=False)


def test_damage_inside_the_file_is_found_by_check(tmp_path):
    path = tmp_path / "x.db"
    docs = [(f"d{i}", f"第{i}段足够长的文字在这里，内容各不相同{i * 7919}。") for i in range(300)]
    with Index(path) as index:
        index.add(docs)
        index.vacuum()
        page = index._con.execute("PRAGMA page_size").fetchone()[0]
        root = index._con.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'bands'").fetchone()[0]
    data = bytearray(path.read_bytes())
    # Scribble over the bands B-tree's root page (past its header).
    start = (root - 1) * page + 16
    data[start:start + 512] = os.urandom(512)
    path.write_bytes(bytes(data))
    try:
        with Index(path) as index:
            problems = index.check()
    except IndexFileError as exc:
        problems = [str(exc)]
    assert problems


def test_check_finds_the_index_own_rules_broken(tmp_path):
    # Each invariant check is one pass over its table (the band-key count scanned the bands a group: 91 s at
    # 10,000 passages); each still finds what breaks it.
    path = tmp_path / "x.db"
    docs = [(f"d{i}", f"第{i}段足够长的文字在这里，内容各不相同{i * 7919}。") for i in range(300)]
    with Index(path) as index:
        index.add(docs)
        assert index.check() == []
        con = index._con
        gid = con.execute("SELECT gid FROM bands LIMIT 1").fetchone()[0]
        con.execute("DELETE FROM bands WHERE gid = ? AND key IN (SELECT key FROM bands WHERE gid = ? LIMIT 2)",
                    (gid, gid))
        con.execute("UPDATE groups SET size = size + 1 WHERE gid = (SELECT max(gid) FROM groups)")
        con.commit()
        assert sorted(index.check()) == ["1 groups have a wrong passage count",
                                         f"1 groups lack some of their {index.settings.bands} band keys"]


def test_a_locked_index_and_a_read_only_index_give_clear_errors(tmp_path):
    path = tmp_path / "x.db"
    with Index(path) as index:
        index.add([("a", "第一段足够长的文字在这里。")])
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with Index(path, timeout=0.1) as index, pytest.raises(IndexWriteError, match=r"locked .* \(waited 0\.1 s\)"):
            index.add([("b", "第一段足够长的文字在这里！")])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with Index(path, readonly=True) as index:
        assert index.query([("b", "第一段足够长的文字在这里！")]).pairs
        with pytest.raises(IndexWriteError, match="read-only") as refused:
            index.add([("b", "x")])
    # A change that cannot be written exits 3, as any output that cannot be written does (it exited 2, "no input").
    assert isinstance(refused.value, IndexFileError) and refused.value.exit_code == 3


def test_an_index_on_read_only_media_is_read(tmp_path, monkeypatch):
    # On a read-only file system a WAL file's shared-memory file cannot be made, so even stats failed ("unable to
    # open database file"). The read-only connection falls back to reading the file as unchanging.
    path = tmp_path / "x.db"
    with Index(path) as index:
        index.add([("a", "第一段足够长的文字在这里。")])
    real = sqlite3.connect
    opened = []

    def read_only_media(database, *args, **kwargs):
        opened.append(str(database))
        if "immutable=1" not in str(database):  # as SQLite fails there
            raise sqlite3.OperationalError("unable to open database file")
        return real(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only_media)
    with Index(path, readonly=True) as index:
        assert index.stats().passages == 1 and index.check() == []
        assert index.query([("b", "第一段足够长的文字在这里！")]).pairs
    assert [uri.endswith("?mode=ro&immutable=1") for uri in opened] == [False, True]


def _run_python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _synthetic(n: int, tag: str) -> list[tuple[str, str]]:
    """*n* documents of five paragraphs of random Han characters (unrelated to one another)."""
    import random

    rnd = random.Random(tag)
    return [(f"{tag}{i:05d}", "\n".join("".join(chr(0x4E00 + rnd.randrange(3000)) for _ in range(40))
                                        for _ in range(5))) for i in range(n)]


def test_an_add_killed_midway_leaves_the_index_as_before(tmp_path):
    path = tmp_path / "x.db"
    with Index(path) as index:
        index.add(_synthetic(50, "a"))
        before = (index.stats().passages, _pairs(index.export()))
    child = _run_python("""
        import sys
        from dedup import Index
        from tests.test_index import _synthetic
        index = Index(sys.argv[1])
        # A small page cache makes the add spill pages into the WAL while it writes, so the kill
        # lands among written but uncommitted pages.
        index._con.execute("PRAGMA cache_size=20")
        print("adding", flush=True)
        index.add(_synthetic(1500, "b"))
        print("done", flush=True)
        """, str(path))
    assert child.stdout is not None and child.stdout.readline().strip() == "adding"
    wal = Path(f"{path}-wal")
    deadline = time.monotonic() + 120
    start_size = wal.stat().st_size if wal.exists() else 0
    while time.monotonic() < deadline and (not wal.exists() or wal.stat().st_size < start_size + 200_000):
        assert child.poll() is None, "the add finished before it could be killed; make it bigger"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with Index(path) as index:
        assert index.check() == []
        assert (index.stats().passages, _pairs(index.export())) == before
        index.add(_synthetic(3, "c"))  # and it takes adds again


def test_readers_query_while_a_writer_adds(tmp_path):
    path = tmp_path / "x.db"
    with Index(path) as index:
        index.add(_synthetic(20, "a"))
    writer = _run_python("""
        import sys
        from dedup import Index
        from tests.test_index import _synthetic
        with Index(sys.argv[1]) as index:
            print("writing", flush=True)
            for k in range(15):
                index.add(_synthetic(200, f"w{k:02d}-"))
        print("done", flush=True)
        """, str(path))
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    seen = set()
    probe = _synthetic(20, "a")[3][1].splitlines()[1]
    with Index(path, timeout=0.5) as index:
        while writer.poll() is None:
            documents = index.stats().documents
            # A snapshot is always between adds: the first 20, then 200 at a time.
            assert (documents - 20) % 200 == 0
            seen.add(documents)
            result = index.query([("q", probe)])
            assert [(p.a.doc, p.kind) for p in result.pairs] == [("a00003", "exact")]
    assert writer.wait() == 0, writer.stderr.read() if writer.stderr else ""
    assert len(seen) > 1, "the reader saw the index between adds"


def test_command_line(tmp_path, capsys):
    first, second = tmp_path / "day1", tmp_path / "day2"
    first.mkdir()
    second.mkdir()
    (first / "a.txt").write_text("第一段足够长的文字在这里。\n别的内容，也足够长了。\n", "utf-8")
    (second / "b.txt").write_text("第一段足够长的文字在这里！\n", "utf-8")
    db = str(tmp_path / "x.db")
    assert main(["index", "add", db, str(first), "--threshold", "0.5", "--quiet"]) == 0
    assert main(["index", "add", db, str(second), "--json", str(tmp_path / "r.json"), "--quiet"]) == 0
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert main(["scan", str(second), "--json", str(tmp_path / "s.json"), "--quiet"]) == 0
    scan = json.loads((tmp_path / "s.json").read_text("utf-8"))
    assert report.keys() == scan.keys(), "same report shape as a scan"
    assert report["config"]["threshold"] == 0.5
    assert [(p["a"]["doc"], p["b"]["doc"]) for p in report["pairs"]] == [("a.txt", "b.txt")]
    capsys.readouterr()
    third = tmp_path / "day3"
    third.mkdir()
    (third / "c.txt").write_text("第一段足够长的文字在这里？\n", "utf-8")
    assert main(["index", "add", str(tmp_path / "y.db"), str(first)]) == 0  # says what it added, apart
    assert capsys.readouterr().out.startswith(f"{first}: 1 document added to {tmp_path / 'y.db'} (2 passages; "
                                              f"1 document in it now)")
    assert main(["index", "query", db, str(third)]) == 0
    out = capsys.readouterr().out
    assert "kept  a.txt:1  第一段足够长的文字在这里。" in out and "c.txt:1" in out
    assert main(["index", "stats", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 2
    assert main(["index", "export", db, "--table", "-"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["doc"], r["kept"], r["cluster"]["doc"]) for r in rows] == [
        ("a.txt", True, "a.txt"), ("a.txt", True, "a.txt"), ("b.txt", False, "a.txt")]
    assert main(["index", "export", db, "--table", str(tmp_path / "rows.csv")]) == 1  # JSON Lines in a .csv: no
    assert "name it *.jsonl" in capsys.readouterr().err and not (tmp_path / "rows.csv").exists()
    assert main(["index", "check", db]) == 0
    assert main(["index", "add", db, str(second), "--threshold", "0.7"]) == 1
    assert "threshold=0.7 (the index has 0.5)" in capsys.readouterr().err
    assert main(["index", "remove", db, "b.txt"]) == 0
    assert main(["index", "remove", db, "b.txt"]) == 1
    assert main(["index", "vacuum", db]) == 0
    assert main(["index", "stats", str(tmp_path / "none.db")]) == 2
    assert "no such index" in capsys.readouterr().err
    # An add that fails records no add, and an index nothing was ever added to pins no settings: the next add
    # may bring others (files are never deleted: another process may be adding to the same new index).
    fresh = tmp_path / "fresh.db"
    assert main(["index", "add", str(fresh), str(tmp_path / "nowhere")]) == 2
    (tmp_path / "bad.jsonl").write_bytes(b"\xff not json\n")
    assert main(["index", "add", str(fresh), str(tmp_path / "bad.jsonl"), "--threshold", "0.9"]) == 2
    assert "none could be read; 1 error, the first bad.jsonl" in capsys.readouterr().err
    assert main(["index", "add", str(fresh), str(first), "--threshold", "0.7", "--keep-text", "--quiet"]) == 0
    assert main(["index", "add", str(fresh), str(tmp_path / "bad.jsonl")]) == 2
    assert main(["index", "add", str(fresh), str(second), "--threshold", "0.9"]) == 1  # pinned now
    assert main(["index", "stats", str(fresh), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["documents"], stats["batches"], stats["keep_text"]) == (1, 1, True)


def test_texts_stay_right_when_blocks_fill_up_empty_and_fill_again(tmp_path):
    docs = _synthetic(7, "t")  # 35 texts: two full blocks of 16 and a partial one
    with Index(tmp_path / "x.db") as index:
        index.add(docs[:3])
        index.add(docs[3:])  # fills the partial block of the first add
        index.remove(["t00006"])  # the newest texts go: their slots empty
        index.add([("again", docs[6][1] + "\n" + docs[0][1].splitlines()[0])])  # their gids come back
        assert index.check() == []
        result = index.query([("probe", docs[1][1].splitlines()[2] + "\n" + docs[6][1].splitlines()[4])])
    assert sorted((p.a.doc, p.a.index, p.kind) for p in result.pairs) == [("again", 4, "exact"), ("t00001", 2, "exact")]


@pytest.mark.skipif(not dedup._kernel.HAVE_NUMBA, reason="numba is not installed")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(st.sampled_from("甲乙丙丁戊己庚辛壬癸ab"), max_size=300), max_size=20))
def test_fixed_rate_samples_compiled_equal_numpy(texts):
    from unittest.mock import patch

    from dedup import _kernel
    from dedup._index import _samples

    _kernel._load()
    compiled = _samples(Settings(), texts)
    with patch.object(_kernel, "use_kernels", lambda chars: False):
        reference = _samples(Settings(), texts)
    assert all(np.array_equal(a, b) for a, b in zip(compiled, reference))


def test_command_line_corners(tmp_path, capsys):
    """A query of documents the index holds keeps both sides apart; outputs that cannot be written stop an add
    before it is made; an add of nothing records nothing; a query's settings are checked as an add's."""
    day = tmp_path / "day1"
    day.mkdir()
    (day / "a.txt").write_text("第一段足够长的文字在这里。\n别的内容，也足够长了。\n", "utf-8")
    db = str(tmp_path / "x.db")
    assert main(["index", "add", db, str(day), "--quiet"]) == 0
    assert main(["index", "query", db, str(day), "--json", str(tmp_path / "q.json"), "--quiet"]) == 0
    report = json.loads((tmp_path / "q.json").read_text("utf-8"))
    assert [d["id"] for d in report["documents"]] == ["a.txt", "a.txt (query)"]
    assert {(p["a"]["doc"], p["b"]["doc"]) for p in report["pairs"]} == {("a.txt", "a.txt (query)")}
    capsys.readouterr()
    # A --json path that cannot be written: exit 3 and nothing added.
    other = tmp_path / "day2"
    other.mkdir()
    (other / "b.txt").write_text("完全不同的一段话，足够长了。\n", "utf-8")
    assert main(["index", "add", db, str(other), "--json", str(day / "a.txt" / "r.json"), "--quiet"]) == 3
    assert main(["index", "stats", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 1
    assert main(["index", "add", db, str(other), "--json", str(other / "r.json")]) == 1  # meets the input
    assert main(["index", "add", db, str(other), "--quiet"]) == 0  # not added before: adds now
    # Nothing to add: exit 2, and the new index pins no settings.
    empty, fresh = tmp_path / "empty", str(tmp_path / "fresh.db")
    empty.mkdir()
    assert main(["index", "add", fresh, str(empty), "--threshold", "0.7"]) == 2
    assert "no text to work on" in capsys.readouterr().err
    assert main(["index", "add", fresh, str(day), "--threshold", "0.8", "--quiet"]) == 0
    # A query with other settings is refused as an add is; both reports on stdout are refused.
    (tmp_path / "t.toml").write_text("threshold = 0.7\n", "utf-8")
    assert main(["index", "query", db, str(other), "--config", str(tmp_path / "t.toml")]) == 1
    assert "threshold=0.7 (the index has 0.6)" in capsys.readouterr().err
    assert main(["index", "export", db, "--json", "-", "--table", "-"]) == 1
    assert "--json and --table both name -" in capsys.readouterr().err
    assert main(["index", "remove", db, "b.txt"]) == 0
    assert "removed 1 document (1 passage)" in capsys.readouterr().out


def test_a_report_says_when_indexed_passages_show_their_normal_form(tmp_path, capsys):
    # Without --keep-text the index's passages print case folded and without spaces ("intheonecase..."): said now.
    text = "In the one case the State would receive its quota of the tax.\n"
    (tmp_path / "a.txt").write_text(text, "utf-8")
    for keep, db in (([], "plain.db"), (["--keep-text"], "kept.db")):
        assert main(["index", "add", str(tmp_path / db), str(tmp_path / "a.txt"), "--quiet", *keep]) == 0
        assert main(["index", "query", str(tmp_path / db), str(tmp_path / "a.txt")]) == 0
        out = capsys.readouterr().out
        assert ("the index keeps no text: its passages show in their normal form" in out) == (not keep)
        assert ("intheonecase" in out) == (not keep)
