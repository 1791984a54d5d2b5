"""The Dask engine against the local engine on the benchmark corpora: time, identical answers,
per-partition cost, shuffle bytes per passage, memory; the measurements behind benchmarks/DASK.md.

    python benchmarks/dask_scale.py              # zh 100k and 1M, 100k with containment, 1M in 200 partitions
    python benchmarks/dask_scale.py --quick      # zh 10k and 100k (a few minutes)
    python benchmarks/dask_scale.py --spill      # also 1M with workers limited to 1.5 GiB (spilling)
    python benchmarks/dask_scale.py --sizes 1000000 --no-extra   # only the local/dask pair at 1M
    python benchmarks/dask_scale.py --sizes 1000000 --containment --folders   # that pair with containment on
    python benchmarks/dask_scale.py --folders | --tables  # input from files: a folder, or JSON Lines shards

Every run is a fresh process (spawned): the local engine alone, or the driver of a 2-worker
LocalCluster (processes, one thread each, memory limit per worker), timed after the cluster
started (its start-up is reported apart). CPU seconds add up every process of a run (driver,
scheduler thread, workers): on a machine shared with other work they say more than wall time. Settings as in benchmarks/run.py: character 5-grams,
Jaccard >= 0.5, 128 permutations, min_chars=1; containment off (as the 1M row of RESULTS.md)
unless a row says otherwise. Per-partition cost is the compute time of each stage's tasks
(Dask's task stream) per partition; shuffle bytes are the sizes of the pieces that travel
between tasks of different partitions (the inputs of reducers and relays and their outputs),
per passage; "peer bytes" are what the workers really sent each other. The tables are
printed as Markdown (``--out FILE`` also keeps every measurement as JSON).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import json
import multiprocessing as mp
import os
import pickle
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import dedup  # noqa: E402

DATA = HERE / "data"
OPTIONS = {"threshold": 0.5, "num_perm": 128, "min_chars": 1, "containment": False}
# Stages whose task results travel between partitions: sources to reducers or relays, and back.
SHUFFLED = ("-piece", "-pick", "-answer", "-codes", "-get")
TABLE_SHARDS = 20


def load(size: int) -> list[tuple[str, str]]:
    """The zh corpus of *size* paragraphs (built by corpus.py and cached as benchmarks/run.py does)."""
    cache = DATA / f"zh-{size}.pickle"
    if not cache.exists():
        import corpus

        DATA.mkdir(exist_ok=True)
        built = corpus.build("zh", size, seed=0)
        cache.write_bytes(pickle.dumps(built.docs, protocol=5))
    return pickle.loads(cache.read_bytes())


def fingerprint(result: dedup.Result) -> str:
    """One digest of every array of the answer (NaN-safe: compared as bytes)."""
    digest = hashlib.sha256()
    for name in ("pair_index", "similarity", "containment", "kind", "cluster_label", "keep_rank", "boilerplate"):
        digest.update(np.ascontiguousarray(getattr(result, name)).tobytes())
    return digest.hexdigest()[:16]


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Peaks:
    """Peak resident memory of some processes, sampled every 20 ms on a thread (above their start)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.base = {k: _rss(p) for k, p in pids.items()}
        self.peak = dict(self.base)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.02):
            for k, pid in self.pids.items():
                with contextlib.suppress(OSError):  # a worker restarting
                    self.peak[k] = max(self.peak[k], _rss(pid))

    def done(self) -> dict[str, float]:
        self.stop.set()
        self.thread.join()
        return {k: (self.peak[k] - self.base[k]) / 2**20 for k in self.pids}


def corpus(size: int, source: str) -> Any:
    """What the runs are given: the documents (read on the driver), run.py's folder of files, or the same
    files as rows of JSON Lines shards (both read, by the Dask engine, on the workers)."""
    if source == "docs":
        return load(size)
    folder = DATA / "folders" / f"zh-{size}"
    if not folder.is_dir():
        raise SystemExit(f"{folder} is missing: python benchmarks/run.py --only zh:{size} makes it")
    if source == "folder":
        return str(folder)
    return str(shards(folder, DATA / "tables" / f"zh-{size}"))


def shards(folder: Path, target: Path, count: int = TABLE_SHARDS) -> Path:
    """*folder*'s text files as rows of *count* JSON Lines shards (``{"text": ...}``, no id: rows are
    numbered across the shards), made once; the same passages as the folder."""
    if target.is_dir():
        return target
    files = sorted(folder.rglob("*.txt"))
    staging = target.with_name(target.name + ".part")
    staging.mkdir(parents=True, exist_ok=True)
    for k in range(count):
        with open(staging / f"{k:03}.jsonl", "w", encoding="utf-8") as out:
            for path in files[k * len(files) // count:(k + 1) * len(files) // count]:
                out.write(json.dumps({"text": path.read_text("utf-8")}, ensure_ascii=False) + "\n")
    staging.rename(target)
    return target


def _local(size: int, options: dict[str, Any], source: str) -> dict[str, Any]:
    docs = corpus(size, source)
    peaks = Peaks({"driver": os.getpid()})
    timings: dict[str, float] = {}
    start, cpu = time.perf_counter(), time.process_time()
    result = dedup.find_duplicates(docs, timings=timings, **options)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "stages": timings, "peak_mib": peaks.done(), "passages": len(result.passages),
            "pairs": len(result.pair_index), "fingerprint": fingerprint(result)}


def _dask(size: int, options: dict[str, Any], source: str, partition_size: int, memory_limit: str) -> dict[str, Any]:
    import distributed

    from dedup._dask import find_duplicates_dask, local_cluster

    docs = corpus(size, source)
    start = time.perf_counter()
    cluster = local_cluster(2, memory_limit)  # as find_duplicates_dask(client=2) starts it
    client = distributed.Client(cluster)
    startup = time.perf_counter() - start
    pids = client.run(os.getpid)
    peaks = Peaks({"driver": os.getpid(), **{f"worker{i}": pid for i, pid in enumerate(pids.values())}})
    timings: dict[str, float] = {}
    workers_cpu = {pid: _cpu(pid) for pid in pids.values()}
    with distributed.get_task_stream(client) as stream:
        start, cpu = time.perf_counter(), time.process_time()
        result = find_duplicates_dask(docs, client=client, partition_size=partition_size, timings=timings, **options)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    for pid in client.run(os.getpid).values():  # a restarted worker counts from its start
        with contextlib.suppress(OSError):
            cpu += _cpu(pid) - workers_cpu.get(pid, 0.0)
    peak = peaks.done()
    peer = sum(client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total).values())
    spilled = client.run(lambda dask_worker: getattr(dask_worker.data, "spilled_total", None))
    compute: dict[str, float] = collections.defaultdict(float)
    tasks: collections.Counter[str] = collections.Counter()
    shuffled: dict[str, int] = collections.defaultdict(int)
    partitions = 0
    for record in stream.data:
        key = record["key"]
        stage = (key[0] if isinstance(key, tuple) else str(key)).split("-")[1:-1]
        name = "-".join(stage)
        tasks[name] += 1
        if name == "load":
            partitions += 1
        compute[name] += sum(s["stop"] - s["start"] for s in record["startstops"] if s["action"] == "compute")
        if any(("-" + name).endswith(suffix) for suffix in SHUFFLED):
            shuffled[name.rsplit("-", 1)[0]] += int(record.get("nbytes") or 0)
    client.close()
    cluster.close()
    return {"seconds": seconds, "cpu": cpu, "startup": startup, "stages": timings, "peak_mib": peak, "peer_bytes": peer,
            "spilled": {k: list(v) if v is not None else None for k, v in spilled.items()},
            "partitions": partitions, "tasks": dict(tasks), "compute": dict(compute), "shuffled": dict(shuffled),
            "passages": len(result.passages), "pairs": len(result.pair_index), "fingerprint": fingerprint(result)}


def _child(kind: str, args: tuple[Any, ...], out: Any) -> None:
    try:
        out.send(_local(*args) if kind == "local" else _dask(*args))
    except Exception as exc:  # reported, not raised: the other runs go on
        out.send({"failed": f"{type(exc).__name__}: {exc}"})


def run(kind: str, *args: Any, timeout: float = 3600) -> dict[str, Any]:
    """One measurement in a fresh spawned process."""
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(kind, args, send))
    proc.start()
    send.close()
    try:
        result = receive.recv() if receive.poll(timeout) else {"failed": f"timed out after {timeout:.0f} s"}
    except EOFError:
        result = {"failed": f"crashed (exit code {proc.exitcode})"}
    proc.join(30)
    if proc.is_alive():
        proc.kill()
    return result


def per_partition(row: dict[str, Any]) -> dict[str, float]:
    """Compute seconds per partition of the per-partition stages."""
    stages = ("load", "exact-split", "sign", "contain-split", "contain", "judge")
    return {s: row["compute"].get(s, 0.0) / row["partitions"] for s in stages if s in row["compute"]}


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| corpus | engine | partitions | seconds | x local | CPU s | x local | start-up s | tasks | driver MiB | "
             "worker MiB (each, peak) | shuffle B/passage | peer B/passage | same answer |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        r, name = row["result"], row["name"]
        if "failed" in r:
            lines.append(f"| {name} | {row['engine']} | | failed: {r['failed']} |||||||||||")
            continue
        n = r["passages"]
        local = row.get("local")
        ratio = f"{r['seconds'] / local['seconds']:.2f}" if local and "seconds" in local else ""
        cpu_ratio = f"{r['cpu'] / local['cpu']:.2f}" if local and "cpu" in local else ""
        workers = [v for k, v in r["peak_mib"].items() if k.startswith("worker")]
        same = "" if row["engine"] == "local" else ("yes" if local and r["fingerprint"] == local.get("fingerprint")
                                                    else "NO")
        lines.append(
            f"| {name} | {row['engine']} | {r.get('partitions', 1)} | {r['seconds']:.1f} | {ratio} | {r['cpu']:.1f} | "
            f"{cpu_ratio} | "
            f"{r.get('startup', 0):.1f} | {sum(r.get('tasks', {}).values()) or ''} | {r['peak_mib']['driver']:.0f} | "
            f"{max(workers) if workers else 0:.0f} | {sum(r.get('shuffled', {}).values()) / n:.0f} | "
            f"{r.get('peer_bytes', 0) / n:.0f} | {same} |")
    return "\n".join(lines)


def stage_table(rows: list[dict[str, Any]]) -> str:
    stages = ["load", "exact-split", "sign", "contain-split", "contain", "judge", "boilerplate", "exact-reduce",
              "band-reduce", "contain-reduce"]
    lines = ["| corpus | partitions | passages a partition | " + " | ".join(stages) + " | shuffled B/passage by stage |",
             "|---|---:|---:|" + "---:|" * len(stages) + "---|"]
    for row in rows:
        r = row["result"]
        if row["engine"] != "dask" or "failed" in r:
            continue
        n, P = r["passages"], r["partitions"]
        cells = []
        for s in stages:
            seconds = r["compute"].get(s)
            count = r["tasks"].get(s, 1)
            cells.append("" if seconds is None else f"{seconds / count:.2f}")
        by_stage = ", ".join(f"{k} {v / n:.0f}" for k, v in sorted(r["shuffled"].items()))
        lines.append(f"| {row['name']} | {P} | {n // P:,} | " + " | ".join(cells) + f" | {by_stage} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="zh 10k and 100k only")
    parser.add_argument("--spill", action="store_true", help="add a 1M run with 1.5 GiB workers")
    parser.add_argument("--sizes", help="corpus sizes, comma-separated (default: 100000,1000000)")
    parser.add_argument("--no-extra", action="store_true", help="no containment row, no 200-partition row")
    parser.add_argument("--containment", action="store_true", help="only the local/dask pairs, containment on "
                        "(as the command has it by default)")
    parser.add_argument("--out", type=Path, help="also write the measurements as JSON to this file")
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--folders", action="store_true", help="give both engines run.py's folders of files "
                       "(benchmarks/data/folders/zh-SIZE), which the Dask engine reads on its workers")
    given.add_argument("--tables", action="store_true", help="give both engines those files as rows of "
                       f"{TABLE_SHARDS} JSON Lines shards (made once in benchmarks/data/tables/zh-SIZE)")
    args = parser.parse_args(argv)
    source = "folder" if args.folders else "tables" if args.tables else "docs"
    sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    if args.sizes:
        sizes = [int(x) for x in args.sizes.split(",")]
    plan: list[tuple[str, str, int, dict[str, Any], int, str]] = []
    options = {**OPTIONS, "containment": True} if args.containment else OPTIONS
    for size in sizes:
        name = f"zh:{size:,}" + (" +containment" if args.containment else "")
        plan.append((name, "local", size, options, 0, ""))
        plan.append((name, "dask", size, options, 50_000, "4GiB"))
    small, big = sizes[0], sizes[-1]
    if not (args.no_extra or args.containment):
        plan.append((f"zh:{small:,} +containment", "local", small, {**OPTIONS, "containment": True}, 0, ""))
        plan.append((f"zh:{small:,} +containment", "dask", small, {**OPTIONS, "containment": True}, 50_000, "4GiB"))
        # A 10M corpus in 50k partitions has 200 of them: that count over this corpus shows the cost of scheduling.
        plan.append((f"zh:{big:,} in {200} partitions", "dask", big, OPTIONS, big // 200, "4GiB"))
    if args.spill:
        plan.append((f"zh:{big:,} 1.5 GiB workers", "dask", big, OPTIONS, 50_000, "1.5GiB"))
    rows: list[dict[str, Any]] = []
    locals_: dict[tuple[int, str], dict[str, Any]] = {}
    for name, engine, size, options, partition_size, limit in plan:
        print(f"{name} {engine} ...", file=sys.stderr, flush=True)
        result = run("local", size, options, source) if engine == "local" else run("dask", size, options, source,
                                                                                      partition_size, limit)
        key = (size, json.dumps(options, sort_keys=True))
        if engine == "local":
            locals_[key] = result
        rows.append({"name": name, "engine": engine, "options": options, "partition_size": partition_size,
                     "memory_limit": limit, "result": result, "local": locals_.get(key)})
        print(f"  {json.dumps({k: v for k, v in result.items() if k in ('seconds', 'failed', 'fingerprint')})}",
              file=sys.stderr, flush=True)
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    if args.out:
        args.out.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1, default=str))
    print(f"Machine: {machine}\n\n{table(rows)}\n\nPer-task compute seconds (reducers: one task each):\n\n"
          f"{stage_table(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
