"""The Dask engine: the local engine's answer, array for array, for any partitioning; a killed worker
changes nothing; an unreachable scheduler is a clear error in time; the local engine never imports Dask."""

from __future__ import annotations

import functools
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from itertools import pairwise

import numpy as np
import pytest

import dedup
from dedup import Settings
from dedup.__main__ import main

distributed = pytest.importorskip("distributed")

from dedup._dask import _read_groups  # noqa: E402
from dedup.stages import SchedulerError, find_duplicates_dask, local_cluster, plan_partitions, table_files  # noqa: E402

HAN = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能"
       "好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把"
       "法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西")


def _paragraph(rng: random.Random, low: int = 20, high: int = 120) -> str:
    chars = [rng.choice(HAN) for _ in range(rng.randint(low, high))]
    for k in range(rng.randint(6, 12), len(chars), rng.randint(8, 16)):
        chars[k] = "，"
    return "".join(chars) + "。"


def _edit(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        chars[rng.randrange(len(chars) - 1)] = rng.choice(HAN)
    return "".join(chars)


def generated(documents: int, seed: int = 7) -> list[tuple[str, str]]:
    """Documents with every case the pipeline treats apart: exact copies (also equal only after
    normalisation), near copies, glued paragraphs (containment), a large family of near copies
    (giant LSH buckets and exact groups: stars), mastheads (boilerplate), short repeated lines,
    empty documents, one very long paragraph; copies land in other documents, so in other partitions."""
    rng = random.Random(seed)
    pool = [_paragraph(rng) for _ in range(20)]  # paragraphs placed so far: what copies copy
    family = _paragraph(rng, 80, 100)
    docs = []
    for d in range(documents):
        lines = [] if d % 60 == 5 else ["人民日报", f"2024年{d % 12 + 1}月{d % 28 + 1}日", "星期三", f"第{d % 8 + 1}版"]
        for _ in range(rng.randint(4, 12)):
            roll = rng.random()
            base = rng.choice(pool)
            if roll < 0.55:
                pool.append(_paragraph(rng))
                lines.append(pool[-1])
            elif roll < 0.65:
                lines.append(base)
            elif roll < 0.7:
                lines.append(base.replace("，", ",").replace("。", "。 "))  # equal once normalised
            elif roll < 0.8:
                lines.append(_edit(rng, base, rng.randint(1, 4)))
            elif roll < 0.85:
                lines.append(base + rng.choice(pool))  # contains base
            elif roll < 0.9:
                lines.append(_edit(rng, family, 1) if rng.random() < 0.7 else family)
            elif roll < 0.95:
                lines.append("好的。")  # too short for anything but exact matching
            else:
                lines.append("")
        if d == 3:
            lines.append(_paragraph(rng, 400, 420))
        docs.append((f"d{d:04}.txt", "\n".join(lines) if d % 60 != 7 else "  \n\n"))
    return docs


def assert_same(local: dedup.Result, other: dedup.Result) -> None:
    assert other.documents == local.documents and other.errors == local.errors and other.skipped == local.skipped
    for name in ("doc_pos", "index_in_doc", "line", "start", "end"):
        assert np.array_equal(getattr(other.passages, name), getattr(local.passages, name)), name
    for name in ("pair_index", "similarity", "containment", "kind", "cluster_label", "keep_rank", "boilerplate"):
        a, b = getattr(local, name), getattr(other, name)
        assert a.dtype == b.dtype and a.shape == b.shape, name
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name


@pytest.fixture(scope="module")
def client():
    # Two single-threaded worker processes with a memory limit: a LocalCluster(n_workers=2,
    # threads_per_worker=1, processes=True, memory_limit="2GiB"), as find_duplicates_dask starts one.
    cluster = local_cluster(2, "2GiB", dashboard_address=":0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def corpus():
    return generated(240)


@functools.cache
def local_answer(settings: Settings) -> dedup.Result:
    return dedup.find_duplicates(generated(240), settings)


def test_local_clusters_limit_memory_and_stay_on_loopback(client):
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2 and all(w["memory_limit"] == 2 * 2**30 and w["nthreads"] == 1 for w in workers.values())
    assert all(address.startswith("tcp://127.0.0.1:") for address in workers)
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}


def test_plan_partitions_covers_every_document_in_order(corpus):
    bounds = plan_partitions([dedup.Document(i, t) for i, t in corpus], "paragraph", 300)
    assert bounds[0] == 0 and bounds[-1] == len(corpus) and bounds == sorted(set(bounds)) and len(bounds) > 4


@pytest.mark.parametrize("size", [1, 10**9])
def test_same_as_local_on_the_seeds(seeds, client, size):
    local = dedup.find_duplicates(seeds)
    assert len(local.pair_index) and local.boilerplate.any()
    assert_same(local, find_duplicates_dask(seeds, client=client, partition_size=size))


@pytest.mark.parametrize("settings,size,reducers", [
    (Settings(), 300, None),
    (Settings(), 10**9, None),
    (Settings(threshold=0.5, max_bucket=5, clusters="components", boilerplate="ignore", max_chars=300), 600, 3),
    (Settings(verify=False), 250, 1),
    (Settings(unit="sentence", keep="longest", containment=False, min_chars=4), 400, None),
], ids=["default-300", "default-one-partition", "components-stars-ignore-3-reducers", "no-verify-1-reducer",
        "sentences"])
def test_same_as_local_on_a_generated_corpus(corpus, client, settings, size, reducers):
    local = local_answer(settings)
    kinds = set(map(dedup.Kind, local.kind.tolist()))
    assert kinds == set(dedup.Kind) if settings.verify and settings.containment else \
        {dedup.Kind.EXACT, dedup.Kind.NEAR} <= kinds, kinds
    timings: dict[str, float] = {}
    assert_same(local, find_duplicates_dask(corpus, settings, client=client, partition_size=size, timings=timings,
                                            reducers=reducers))
    assert set(timings) == {"connect", "read", "normalize", "exact", "verify", "cluster"}


def test_a_folder_is_read_on_the_workers_with_the_local_engine_answer(corpus, client, tmp_path, monkeypatch):
    # Files in subfolders, one in GB18030, one with damaged UTF-8, one that is no text at all, one not
    # included, a broken link (an entry of the walk's): the same documents, errors and answer as locally.
    root = tmp_path / "corpus"
    for k, (name, text) in enumerate(corpus[:120]):
        path = root / f"part{k // 40}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("gb18030" if k == 7 else "utf-8"))
    (root / "part0" / "d0003.txt").write_bytes(corpus[3][1].encode("utf-8")[:-1])  # cut mid-character
    (root / "part1" / "noise.txt").write_bytes(bytes(range(256)) * 4)
    (root / "notes.csv").write_text("id,text\n1,x\n", "utf-8")
    (root / "part2" / "gone.txt").symlink_to(root / "nowhere.txt")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)  # a relative folder: the workers get absolute paths
    local = dedup.find_duplicates("corpus")
    assert len(local.errors) == 3 and local.skipped == ["notes.csv"] and len(local.pair_index)
    def no_driver_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the driver read the folder")

    with monkeypatch.context() as patched:  # the workers read it: the driver's read_corpus is never called
        patched.setattr("dedup._dask.read_corpus", no_driver_reading)
        for size, read_bytes in ((40, 20_000), (1, 1), (10**9, 1 << 25)):  # reads and partitions of every size
            patched.setattr("dedup._dask.READ_BYTES", read_bytes)
            assert_same(local, find_duplicates_dask("corpus", client=client, partition_size=size))
    assert_same(local, find_duplicates_dask("corpus", client=client, read_on_workers=False))
    only = ["part1/*", "part2/*"]
    assert_same(dedup.find_duplicates("corpus", include=only), find_duplicates_dask("corpus", client=client,
                                                                                   include=only))
    assert_same(dedup.find_duplicates("empty"), find_duplicates_dask("empty", client=client))


def test_table_shards_are_read_on_the_workers_with_the_local_engine_answer(corpus, client, tmp_path, monkeypatch):
    # Shards of every kind, some without an id column (ids are row numbers across all shards, bad rows
    # included), bad rows, a truncated gzip shard, and a README left out: the same documents, keys,
    # errors and answer as the local engine reading them in one go, for reads of any size.
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "shards"
    (root / "b").mkdir(parents=True)
    rows = [{"text": text, "url": name} for name, text in corpus[:150]]
    (root / "a.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:40])
                                  + '{"text": 5}\n[1]\n', "utf-8")
    with gzip.open(root / "b" / "c.jsonl.gz", "wt", encoding="utf-8") as f:
        f.writelines(json.dumps({"id": f"k{i}", "text": r["text"]}, ensure_ascii=False) + "\n"
                     for i, r in enumerate(rows[40:80]))
    (root / "b" / "d.csv").write_text("text,url\n" + "".join(f'"{r["text"]}",{r["url"]}\n' for r in rows[80:110])
                                      + "only one field\n", "utf-8")
    (root / "b" / "e.csv").write_text("id,text\n" + "".join(f'i{i},"{r["text"]}"\n' for i, r in enumerate(rows[:5])),
                                      "utf-8")
    (root / "b" / "empty.jsonl").write_text("", "utf-8")
    pq.write_table(pa.table({"text": [r["text"] for r in rows[110:150]] + [None]}), root / "e.parquet",
                   row_group_size=7)
    whole = gzip.compress(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows[:30]))
    (root / "f.jsonl.gz").write_bytes(whole[:len(whole) // 2])  # breaks off: its first rows stay, one entry
    (root / "README.md").write_text("left out", "utf-8")
    monkeypatch.chdir(tmp_path)  # a relative folder: the workers get absolute paths
    local = dedup.find_duplicates("shards")
    assert len(local.pair_index) and local.skipped == ["README.md"] and len(local.errors) == 5
    assert {type(d.key) for d in local.documents} == {int, str} and local.documents[-1].key > 150

    def no_driver_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("the driver read the tables")

    with monkeypatch.context() as patched:  # the workers read them: the driver's read_corpus is never called
        patched.setattr("dedup._dask.read_corpus", no_driver_reading)
        # A read a shard; reads of several shards, numbered from past 0; one read of all.
        paths = [str(path) for _, path, _ in table_files("shards").files]
        several = os.path.getsize(paths[0]) + 1
        for size, read_bytes in ((40, 1), (100, several), (10**9, 1 << 25)):
            patched.setattr("dedup._dask.READ_BYTES", read_bytes)
            if read_bytes == several:
                assert any(len(group) > 1 and group[0] > 0 for group in _read_groups(paths))
            other = find_duplicates_dask("shards", client=client, partition_size=size)
            assert_same(local, other)
            assert [type(d.key) for d in other.documents] == [type(d.key) for d in local.documents]
        # The fields are passed on to the workers' reads: another text field; an id field whose values repeat.
        assert_same(dedup.find_duplicates("shards", text_field="url"),
                    find_duplicates_dask("shards", client=client, text_field="url"))
        with pytest.raises(dedup.UsageError) as locally:
            dedup.find_duplicates("shards", id_field="url")
        with pytest.raises(dedup.UsageError) as on_workers:
            find_duplicates_dask("shards", client=client, id_field="url")
        assert str(on_workers.value) == str(locally.value)
        assert_same(dedup.find_duplicates("shards/a.jsonl"), find_duplicates_dask("shards/a.jsonl", client=client))
        (root / "g.jsonl").write_text(json.dumps({"id": "k3", "text": "又一段"}) + "\n", "utf-8")
        twice = re.escape("id 'k3' is used by b/c.jsonl.gz row 3 and by g.jsonl row 0")
        for read_bytes in (1, 1 << 25):  # ids unique across every read, named as the local engine names them
            patched.setattr("dedup._dask.READ_BYTES", read_bytes)
            with pytest.raises(dedup.UsageError, match=twice):
                find_duplicates_dask("shards", client=client)
    with pytest.raises(dedup.UsageError, match=twice):
        dedup.find_duplicates("shards")
    (root / "g.jsonl").unlink()
    assert_same(local, find_duplicates_dask("shards", client=client, read_on_workers=False))
    written = {}
    for engine in ("local", "dask"):  # the command's outputs from shards read on the workers: the same bytes
        out = tmp_path / engine
        # --workers: a local cluster of the command's own, whose workers read the shards (the driver cannot).
        engine_args = ["--engine", "dask", "--workers", "2"] if engine == "dask" else []
        with monkeypatch.context() as patched:
            if engine == "dask":
                patched.setattr("dedup._dask.read_corpus", no_driver_reading)
            code = main(["shards", "--json", str(out / "report.json"), "--clean", str(out / "clean"), "--annotate",
                         str(out / "annotated"), "--quiet", *engine_args])
        written[engine] = (code, {str(f.relative_to(out)): f.read_bytes() for f in sorted(out.rglob("*")) if f.is_file()})
    assert written["dask"] == written["local"] and written["local"][0] == 0 and len(written["local"][1]) > 10


def test_a_read_done_again_on_changed_files_is_an_error():
    from dedup._dask import _documents_of, _Read

    read = _Read([dedup.Document("a.txt", "甲乙丙")], [], [(9, 1)])
    assert _documents_of([(0, 1)], [[(9, 1)]], read) == read.documents
    with pytest.raises(dedup.InputError, match="changed while the run was reading them"):
        _documents_of([(0, 1)], [[(9, 2)]], read)

    # A table read done again before its rows are numbered: counted on other files, so an error too.
    from dedup._dask import _numbered, _RowNumber

    rows = _Read([dedup.Document("0", "甲乙丙", source="t.jsonl", row=0, key=_RowNumber(0))], [], [(9, 1)], 1, 1)
    assert [(d.id, type(d.key)) for d in _numbered(rows, 5, [(9, 1)]).documents] == [("5", int)]
    with pytest.raises(dedup.InputError, match="changed while the run was reading them"):
        _numbered(rows, 5, [(9, 2)])


def test_components_on_the_cluster_match_the_driver(corpus, client):
    settings = Settings(threshold=0.5, max_bucket=5, clusters="components", boilerplate="ignore", max_chars=300)
    local = local_answer(settings)
    assert (np.bincount(local.cluster_label) > 5).any()  # chains and stars, not only pairs
    assert_same(local, find_duplicates_dask(corpus, settings, client=client, partition_size=900, driver_edges=0))


def test_a_local_cluster_of_its_own(seeds):
    # One worker this time, started and closed by the run: the answer does not depend on the workers.
    assert_same(dedup.find_duplicates(seeds), find_duplicates_dask(seeds, client=1, memory_limit="1GiB"))


def test_find_duplicates_and_the_command_line_dispatch(seeds, client, tmp_path, capsys):
    assert_same(dedup.find_duplicates(seeds), dedup.find_duplicates(seeds, engine="dask", client=client))
    with pytest.raises(dedup.SettingsError, match="engine must be"):
        dedup.find_duplicates(seeds, engine="spark")
    local, remote = tmp_path / "local.json", tmp_path / "dask.json"
    assert main([str(seeds), "--json", str(local), "--quiet"]) == 0
    assert main([str(seeds), "--json", str(remote), "--quiet", "--engine", "dask",
                 "--scheduler", client.scheduler.address]) == 0
    assert json.loads(remote.read_text("utf-8")) == json.loads(local.read_text("utf-8"))
    assert main([str(seeds), "--quiet", "--workers", "2"]) == 1
    assert "needs engine='dask'" in capsys.readouterr().err


def test_unreachable_scheduler_is_a_clear_error_in_time(seeds):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    start = time.monotonic()
    with pytest.raises(SchedulerError, match=f"cannot reach the Dask scheduler at {address} within 2 s"):
        find_duplicates_dask(seeds, client=address, timeout=2)
    assert time.monotonic() - start < 10
    for text, message in (("4", "is a number: for that many local workers give --workers 4"),
                          ("host", "no address Dask takes"), ("http://127.0.0.1:8787", "http:// is no Dask protocol"),
                          ("tcp://127.0.0.1:99999", "port 99999 is out of range"), (" ", "address is empty")):
        with pytest.raises(dedup.UsageError, match=message):  # at once: no connection tried
            find_duplicates_dask(seeds, client=text, timeout=2)


def test_a_server_that_is_no_scheduler_is_a_clear_error_in_time(seeds):
    """Something that takes the connection and never answers Dask's handshake where the scheduler should be (a web
    server, the dashboard's port): Dask's own timeout let the run wait for good."""
    with socket.socket() as listener:  # the kernel accepts connections into the backlog; nobody answers them
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        start = time.monotonic()
        with pytest.raises(SchedulerError, match="no Dask scheduler answered within 2 s"):
            find_duplicates_dask(seeds, client=f"tcp://127.0.0.1:{listener.getsockname()[1]}", timeout=2)
        assert time.monotonic() - start < 15


def test_the_local_engine_never_imports_dask():
    code = ("import sys, dedup; dedup.find_duplicates([('a', '同一段文字出现了两次。'), ('b', '同一段文字出现了两次。')]);"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_a_worker_killed_mid_run_changes_nothing(client):
    docs = generated(1500, seed=11)
    start = time.monotonic()
    local = dedup.find_duplicates(docs)
    print(f"local run {time.monotonic() - start:.2f} s")
    pids = client.run(os.getpid)
    killed: list[tuple[str, int]] = []
    done = threading.Event()

    def kill_one_while_signing_or_verifying() -> None:
        # Kill a worker while it runs a late stage, after it took part in the earlier ones: what it
        # held (partitions, signatures) is lost and must be recomputed from the tasks' inputs.
        while not done.is_set() and not killed:
            for worker, keys in client.processing().items():
                if any(stage in str(key) for key in keys for stage in ("-sign-", "-judge-", "-contain-")):
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append((worker, pids[worker]))
                    return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_one_while_signing_or_verifying)
    killer.start()
    try:
        start = time.monotonic()
        result = find_duplicates_dask(docs, client=client, partition_size=3000)
        print(f"dask run {time.monotonic() - start:.2f} s, killed {killed}")
    finally:
        done.set()
        killer.join()
    assert killed, "no worker was killed: the run ended before its late stages were seen"
    assert_same(local, result)
    client.wait_for_workers(2, timeout=60)
    assert killed[0][1] not in client.run(os.getpid).values()  # the nanny started a new process


@pytest.mark.skipif(not dedup._kernel.HAVE_NUMBA, reason="numba is not installed")
@pytest.mark.parametrize("path", ["compiled", "signing", "texts without numba"])
@pytest.mark.parametrize("partitions", [1, 3])
def test_containment_stages_give_the_local_candidates(path, partitions):
    """The Dask containment stages, run in this process over partitions, give the local engine's
    containment candidates: on the compiled path (which reads the texts), from signing's postings,
    and from the texts on a worker without numba (a task moved within a mixed cluster)."""
    from unittest.mock import patch

    from dedup import _dask, _kernel
    from dedup._contain import contained_candidates

    rng = random.Random(7)
    pieces = [_paragraph(rng, 10, 40) for _ in range(30)]
    texts = ["".join(rng.sample(pieces, rng.randint(1, 4))) for _ in range(400)]
    settings = Settings(min_chars=1)
    _kernel._load()
    compiled = path != "signing"
    with patch.object(_kernel, "use_kernels", lambda chars: compiled):
        cuts = [len(texts) * p // partitions for p in range(partitions + 1)]
        parts = [_dask._load(settings, [dedup.Document(str(i), texts[i]) for i in range(a, b)])
                 for a, b in pairwise(cuts)]
        signed = [_dask._sign(settings, part, np.arange(len(part.norms)), 4096) for part in parts]
    assert all((s.texts is not None) == compiled for s in signed)

    m = len(texts)

    class InProcess(_dask._Run):  # _contain_round's tasks run here, each as soon as it is submitted
        def __init__(self):
            self.settings = settings

        def submit(self, stage, function, *args, key=()):
            return function(*args)

    def search(asked, count_first=False):  # one round, as the driver lays it out
        return _dask._contain_round(InProcess(), "contain", signed, np.array(cuts), m, 2, asked, count_first)

    with patch.object(_kernel, "HAVE_NUMBA", path != "texts without numba"):
        asked = [_dask._queries(settings, s, start) for s, start in zip(signed, cuts)]
        first = search(asked)
        more = [_dask._second_queries(settings, s, start, a, f) for s, start, a, f in zip(signed, cuts, asked, first)]
        again = search(more, count_first=True)
    first_pairs = set(map(tuple, np.concatenate([f[0] for f in first]).tolist()))
    pairs = first_pairs | set(map(tuple, np.concatenate([f[0] for f in again]).tolist()))
    norms = [t for part in parts for t in part.norms]
    want = contained_candidates(norms, settings.shingle_size, settings.contained_ratio)
    assert len(want) > 20
    # Pieces recur in about 40 texts each: some texts have no usable query, and the second round finds more.
    assert sum(len(q[0]) for q in more) > 0 and pairs > first_pairs
    assert sorted(pairs) == sorted(map(tuple, want.tolist()))


def test_a_script_read_from_stdin_is_told_why_its_local_cluster_cannot_start():
    """Spawned workers import the main script again; one read from stdin is no file, and Dask only says
    'Nanny failed to start'."""
    script = ("import dedup\n"
              "dedup.find_duplicates([('a', '重复的一段话，足够长了。'), ('b', '重复的一段话，足够长了。')], "
              "engine='dask', client=1)\n")
    run = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(dedup.__file__))})
    assert run.returncode == 1
    assert "UsageError: the local Dask cluster's workers could not start" in run.stderr
    assert "'<stdin>' is no file" in run.stderr


def test_a_cluster_without_dedup_is_told_so():
    """Dask's error when the scheduler cannot unpickle dedup's tasks becomes a SchedulerError that says what to
    install where (found by hand against `dask scheduler` and `dask worker` started without dedup)."""
    from dedup._dask import _dedup_importable

    importable = "dedup must be importable where the scheduler and the workers run"
    with pytest.raises(SchedulerError, match=importable), _dedup_importable():
        raise RuntimeError("Error during deserialization of the task graph. This frequently\noccurs if the "
                           "Scheduler and Client have different environments.")
    with pytest.raises(RuntimeError, match="other"), _dedup_importable():
        raise RuntimeError("other")
