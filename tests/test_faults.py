"""Faults: killed runs, write errors, path escapes, damaged logs, odd characters and names.

Every case asserts its outcome: an exact restore, or a refusal that names what is wrong
(with its exit code), and never an input changed. The command-line cases run real
subprocesses (``python -m dedup FOLDER --clean OUT``, ``python -m dedup restore OUT --out DIR``).
"""

from __future__ import annotations

import codecs
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import dedup
from dedup import InputError, IntegrityError, Removal, UsageError, restore_folder, write_cleaned
from dedup.stages import LOG_NAME, MANIFEST_NAME, read_folder

# The subprocesses import the dedup under test, wherever it lives.
_ROOT = str(Path(dedup.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)}
USAGE, INPUT, OUTPUT, INTEGRITY, INTERRUPTED, TERMINATED = 1, 2, 3, 4, 130, 143

_rng = random.Random(10)
# Random CJK paragraphs: two different ones share nothing, so only copies are duplicates.
POOL = ["".join(chr(_rng.randrange(0x4E00, 0x9FA5)) for _ in range(_rng.randrange(24, 60))) + "。"
        for _ in range(400)]


def cli(*args: object, preexec_fn=None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dedup", *map(str, args)], capture_output=True, env=ENV,
                          timeout=timeout, preexec_fn=preexec_fn, text=True, errors="replace", check=False)


def _as_at_a_terminal() -> None:
    # A shell starts background jobs with Ctrl-C ignored, and children inherit that: a test run
    # from one (CI under `nohup ... &`) would send SIGINT to a process that cannot hear it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def popen(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dedup", *map(str, args)], env=ENV, text=True, errors="replace",
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_as_at_a_terminal)


def snapshot(folder: Path) -> dict[bytes, tuple[str, bytes]]:
    """Every entry under *folder*, links not followed: what it is and what it holds. Any name (bytes)."""
    out: dict[bytes, tuple[str, bytes]] = {}
    root = os.fsencode(folder)
    stack = [root]
    while stack:
        current = stack.pop()
        for entry in os.scandir(current):
            rel = os.path.relpath(entry.path, root)
            if entry.is_symlink():
                out[rel] = ("link", os.readlink(entry.path))
            elif entry.is_dir():
                out[rel] = ("dir", b"")
                stack.append(entry.path)
            else:
                with open(entry.path, "rb") as handle:
                    out[rel] = ("file", handle.read())
    return out


def files(folder: Path) -> dict[bytes, bytes]:
    return {k: v for k, (kind, v) in snapshot(folder).items() if kind == "file"}


def staging_leftovers(parent: Path, pid: int | None = None) -> list[str]:
    mark = ".dedup-" if pid is None else f".dedup-{pid}-"
    return [name for name in os.listdir(parent) if mark in name]


def assert_restores_exactly(out: Path, original: Path, back: Path) -> None:
    done = cli("restore", out, "--out", back)
    assert done.returncode == 0, done.stderr
    assert files(back) == files(original)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """Duplicates across files and encodings, a sub-folder, and a file no pattern matches."""
    folder = tmp_path / "in"
    write(folder / "a.txt", "\n".join(POOL[0:3]) + "\n")
    write(folder / "b.txt", "\n".join([POOL[1], POOL[3], POOL[0]]) + "\n")
    write(folder / "sub" / "c.txt", "\r\n".join([POOL[2], POOL[4]]) + "\r\n")
    write(folder / "gbk.txt", ("\n".join([POOL[3], "第二段没有重复的内容，足够长了吧。"]) + "\n").encode("gb18030"))
    write(folder / "notes.bin", bytes(range(256)) * 4)
    return folder


@pytest.fixture()
def many(tmp_path: Path) -> Path:
    """1,500 small files with many repeats: the writing phase lasts long enough to be hit."""
    folder = tmp_path / "many"
    rng = random.Random(3)
    for i in range(1500):
        write(folder / f"d{i % 10}" / f"f{i:04d}.txt", "\n".join(rng.choice(POOL) for _ in range(3)) + "\n")
    return folder


def _kill_during_staging(args: list[object], parent: Path, sig: int, delay: float) -> tuple[bool, int, str]:
    """Run dedup, send *sig* once its staging folder appears (after *delay*); return (hit while writing, rc, stderr)."""
    proc = popen(*args)
    hit = False
    while proc.poll() is None:
        if staging_leftovers(parent, proc.pid):
            time.sleep(delay)
            hit = proc.poll() is None
            proc.send_signal(sig)
            break
        time.sleep(0.0005)
    _, stderr = proc.communicate(timeout=600)
    return hit, proc.returncode, stderr


# --- an output written as a unit --------------------------------------------------------------


def test_sigkill_during_clean_leaves_no_output(many: Path, tmp_path: Path) -> None:
    before, out, hits = snapshot(many), tmp_path / "out", 0
    for delay in (0.0, 0.005, 0.03):
        hit, _, _ = _kill_during_staging([many, "--clean", out, "--quiet"], tmp_path, signal.SIGKILL, delay)
        hits += hit
        assert snapshot(many) == before
        if hit:
            assert not out.exists()  # nothing half-written where OUT goes
        elif out.exists():  # the run finished first: then OUT is complete
            assert_restores_exactly(out, many, tmp_path / "back")
            shutil.rmtree(out)
    assert hits, "the writing phase was never hit: the test proved nothing"
    # The next run sweeps the killed runs' staging folders and writes OUT whole.
    done = cli(many, "--clean", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert staging_leftovers(tmp_path) == []
    assert_restores_exactly(out, many, tmp_path / "back")


def test_sigkill_during_force_rerun_keeps_the_old_output(corpus: Path, many: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    old, before, hits = snapshot(out), snapshot(many), 0
    for delay in (0.0, 0.01):
        hit, _, _ = _kill_during_staging([many, "--clean", out, "--force", "--quiet"], tmp_path, signal.SIGKILL, delay)
        hits += hit
        assert snapshot(many) == before
        if hit:
            assert snapshot(out) == old  # replaced whole or not at all
    assert hits, "the writing phase was never hit: the test proved nothing"
    if snapshot(out) == old:
        assert_restores_exactly(out, corpus, tmp_path / "back")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, INTERRUPTED), (signal.SIGTERM, TERMINATED)])
def test_ctrl_c_and_sigterm_exit_without_traceback_or_output(many: Path, tmp_path: Path, sig: int, code: int) -> None:
    out, interrupted = tmp_path / "out", 0
    for _attempt in range(5):
        hit, rc, stderr = _kill_during_staging([many, "--clean", out, "--quiet"], tmp_path, sig, 0.0)
        assert "Traceback" not in stderr
        if rc == 0:  # the signal came after the commit, as the interpreter exited: then OUT is whole
            assert_restores_exactly(out, many, tmp_path / "back")
            shutil.rmtree(out)
            shutil.rmtree(tmp_path / "back")
            continue
        assert hit and rc == code, stderr
        assert not out.exists() and staging_leftovers(tmp_path) == []
        interrupted += 1
    assert interrupted, "Ctrl-C never arrived while writing: the test proved nothing"


def _file_size_limit(limit: int):
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.fixture()
def big(tmp_path: Path) -> Path:
    """A corpus with one file of 30 KB: over a file size limit of 16 KB."""
    folder = tmp_path / "big"
    write(folder / "a.txt", "\n".join(POOL[:200]) + "\n")
    write(folder / "b.txt", "\n".join(POOL[:3]) + "\n")
    return folder


def test_write_error_leaves_no_output(big: Path, tmp_path: Path) -> None:
    out, before = tmp_path / "out", snapshot(big)
    done = cli(big, "--clean", out, "--quiet", preexec_fn=_file_size_limit(16384))
    assert done.returncode == OUTPUT, done.stderr
    assert "a.txt" in done.stderr and "too large" in done.stderr.lower()
    assert "Traceback" not in done.stderr
    assert not out.exists() and staging_leftovers(tmp_path) == []
    assert snapshot(big) == before


def test_write_error_on_force_rerun_keeps_the_old_output(corpus: Path, big: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    old = snapshot(out)
    done = cli(big, "--clean", out, "--force", "--quiet", preexec_fn=_file_size_limit(16384))
    assert done.returncode == OUTPUT, done.stderr
    assert snapshot(out) == old and staging_leftovers(tmp_path) == []
    assert_restores_exactly(out, corpus, tmp_path / "back")


def test_write_error_during_restore_leaves_no_output(big: Path, tmp_path: Path) -> None:
    out, back = tmp_path / "out", tmp_path / "back"
    assert cli(big, "--clean", out, "--quiet").returncode == 0
    done = cli("restore", out, "--out", back, preexec_fn=_file_size_limit(16384))
    assert done.returncode == OUTPUT, done.stderr
    assert not back.exists() and staging_leftovers(tmp_path) == []


def test_output_under_a_file_is_a_write_error(corpus: Path, tmp_path: Path) -> None:
    blocker = write(tmp_path / "file", "x")
    done = cli(corpus, "--clean", blocker / "out", "--quiet")
    assert done.returncode == OUTPUT, done.stderr
    assert str(blocker) in done.stderr


def test_force_replaces_only_an_earlier_output(corpus: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    write(mine / "thesis.txt", "years of work")
    done = cli(corpus, "--clean", mine, "--force", "--quiet")
    assert done.returncode == USAGE, done.stderr
    assert "not an earlier dedup --clean output" in done.stderr
    assert (mine / "thesis.txt").read_text() == "years of work"


def test_force_rerun_replaces_the_output_whole(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    write(out / "stale.txt", "from an earlier run")
    (corpus / "b.txt").rename(corpus / "b2.txt")
    assert cli(corpus, "--clean", out, "--force", "--quiet").returncode == 0
    assert not (out / "stale.txt").exists() and not (out / "b.txt").exists()
    assert_restores_exactly(out, corpus, tmp_path / "back")


# --- the input is never written -------------------------------------------------------------


def test_include_pattern_cannot_leave_the_folder(corpus: Path, tmp_path: Path) -> None:
    outside = write(tmp_path / "outside.txt", POOL[0] + "\n" + POOL[0] + "\n")
    with pytest.raises(UsageError, match=r"include: pattern '\.\./\*\.txt' leaves the folder"):
        read_folder(corpus, "../*.txt")
    with pytest.raises(UsageError, match="leaves the folder"):
        read_folder(corpus, str(tmp_path / "*.txt"))
    done = cli(corpus, "--include", "../*.txt", "--clean", tmp_path / "out", "--quiet")
    assert done.returncode == USAGE and "leaves the folder" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert outside.read_text("utf-8") == POOL[0] + "\n" + POOL[0] + "\n"


def test_output_that_holds_the_input_is_refused(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    inside = out / "nested-input"
    write(inside / "a.txt", POOL[5] + "\n" + POOL[5] + "\n")
    before = snapshot(out)
    done = cli(inside, "--clean", out, "--force", "--quiet")
    assert done.returncode == USAGE and "lies inside it" in done.stderr, done.stderr
    assert snapshot(out) == before


def test_output_inside_the_input_through_a_link_is_refused(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(corpus / "sub")
    before = snapshot(corpus)
    done = cli(corpus, "--clean", tmp_path / "link" / "out", "--quiet")
    assert done.returncode == USAGE and "inside the input folder" in done.stderr, done.stderr
    assert snapshot(corpus) == before


def test_input_file_linked_into_the_output_is_refused(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    (corpus / "linked.txt").symlink_to(out / "a.txt")
    before_in, before_out = snapshot(corpus), snapshot(out)
    done = cli(corpus, "--clean", out, "--force", "--quiet")
    assert done.returncode == USAGE and "linked.txt" in done.stderr and "inside the output" in done.stderr
    assert snapshot(corpus) == before_in and snapshot(out) == before_out


def test_link_in_an_old_output_does_not_reach_the_input(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    (out / "b.txt").unlink()
    (out / "b.txt").symlink_to(corpus / "b.txt")  # an output file that is really an input
    before = snapshot(corpus)
    done = cli(corpus, "--clean", out, "--force", "--quiet")
    assert done.returncode == 0, done.stderr
    assert snapshot(corpus) == before
    assert not (out / "b.txt").is_symlink()
    assert_restores_exactly(out, corpus, tmp_path / "back")


def test_report_file_may_not_overwrite_an_input(corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    write(target, "precious")
    (corpus / "linked.txt").symlink_to(target)
    from dedup.stages import check_outside

    with pytest.raises(UsageError, match=r"linked\.txt"):
        check_outside(target, corpus)
    with pytest.raises(UsageError, match="inside the input folder"):
        check_outside(corpus / "report.json", corpus)
    with pytest.raises(UsageError, match="would overwrite the input"):  # an input that is one file (a table)
        check_outside(corpus / "a.txt", corpus / "a.txt")


def _tamper_manifest(out: Path, change) -> None:
    manifest = json.loads((out / MANIFEST_NAME).read_text("ascii"))
    change(manifest)
    (out / MANIFEST_NAME).write_text(json.dumps(manifest), "ascii")


@pytest.mark.parametrize("path", ["../escaped.txt", "/tmp/dedup-absolute-escape.txt", "a/../../escaped.txt",
                                  "./a.txt", "sub//c.txt", ""])
def test_restore_refuses_paths_that_leave_its_target(corpus: Path, tmp_path: Path, path: str) -> None:
    out, back = tmp_path / "out", tmp_path / "work" / "back"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0

    def change(manifest: dict) -> None:
        manifest["files"][0]["path"] = path

    _tamper_manifest(out, change)
    done = cli("restore", out, "--out", back)
    assert done.returncode == INTEGRITY, done.stderr
    assert "files.json: files[0]" in done.stderr and "restore writes only inside its target" in done.stderr
    assert not back.exists() and not (tmp_path / "escaped.txt").exists() and not (tmp_path / "work").exists()
    assert not Path("/tmp/dedup-absolute-escape.txt").exists()


def test_restore_refuses_a_log_naming_an_unlisted_path(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    lines = (out / LOG_NAME).read_bytes().split(b"\n")
    record = json.loads(lines[0])
    record["doc"] = "../escaped.txt"
    lines[0] = json.dumps(record).encode("ascii")
    (out / LOG_NAME).write_bytes(b"\n".join(lines))
    with pytest.raises(IntegrityError, match=r"removed.jsonl line 1: a removal from '\.\./escaped.txt'"):
        restore_folder(out, tmp_path / "back")
    assert not (tmp_path / "back").exists() and not (tmp_path / "escaped.txt").exists()


def test_restore_does_not_follow_links(corpus: Path, tmp_path: Path) -> None:
    out, secret = tmp_path / "out", write(tmp_path / "secret.txt", "secret")
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    (out / "a.txt").unlink()
    (out / "a.txt").symlink_to(secret)
    with pytest.raises(IntegrityError, match=r"a\.txt: a symbolic link"):
        restore_folder(out, tmp_path / "back")
    # A --force restore into a folder moves files in, never through a link out of it.
    out2 = tmp_path / "out2"
    assert cli(corpus, "--clean", out2, "--quiet").returncode == 0
    back, elsewhere = tmp_path / "back2", tmp_path / "elsewhere"
    elsewhere.mkdir()
    back.mkdir()
    (back / "sub").symlink_to(elsewhere)
    with pytest.raises(UsageError, match="sub: a symbolic link"):
        restore_folder(out2, back, force=True)
    assert list(elsewhere.iterdir()) == []
    assert restore_folder(out2, tmp_path / "fresh") == len(files(corpus))


def test_restore_force_merges_into_an_existing_folder(corpus: Path, tmp_path: Path) -> None:
    out, back = tmp_path / "out", tmp_path / "back"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    write(back / "mine.txt", "kept")
    write(back / "a.txt", "overwritten")
    assert cli("restore", out, "--out", back).returncode == USAGE
    assert cli("restore", out, "--out", back, "--force").returncode == 0
    assert (back / "mine.txt").read_text() == "kept"
    assert {k: v for k, v in files(back).items() if k != b"mine.txt"} == files(corpus)


# --- damaged logs and manifests -----------------------------------------------------------------


def _lines(out: Path) -> list[bytes]:
    return (out / LOG_NAME).read_bytes().split(b"\n")


def _set_field(line: bytes, key: str, value: object) -> bytes:
    record = json.loads(line)
    if value is KeyError:
        del record[key]
    else:
        record[key] = value
    return json.dumps(record).encode("ascii")


DAMAGE = {
    "cut short": (lambda raw, lines: raw[:-1], r"line \d+: cut short"),
    "not JSON": (lambda raw, lines: b"\n".join([lines[0], b"{not json", *lines[2:]]), r"line 2: not valid JSON"),
    "blank line": (lambda raw, lines: b"\n".join([lines[0], b"", *lines[1:]]), r"line 2: not valid JSON"),
    "missing field": (lambda raw, lines: b"\n".join([_set_field(lines[0], "text", KeyError), *lines[1:]]),
                      r"line 1: field 'text' is missing"),
    "wrong type": (lambda raw, lines: b"\n".join([_set_field(lines[0], "cut_start", "5"), *lines[1:]]),
                   r"line 1: field 'cut_start' must be int, not str"),
    "a list": (lambda raw, lines: b"\n".join([b"[1, 2]", *lines[1:]]), r"line 1: a removal must be a JSON object"),
    "text edited": (lambda raw, lines: raw.replace(b'"text": "\\u', b'"text": "X\\u', 1),
                    r"line 1: cut_start \d+ and cut_end \d+ do not span"),
    "line dropped": (lambda raw, lines: b"\n".join(lines[1:]), r"removals from '.+', files.json records"),
    "same length edit": (lambda raw, lines: raw.replace(b'"similarity": 1.0', b'"similarity": 0.5', 1),
                         r"removed.jsonl: differs from the hash recorded in files.json"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_log_is_refused_naming_file_and_line(corpus: Path, tmp_path: Path, damage: str) -> None:
    out, back = tmp_path / "out", tmp_path / "back"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    raw = (out / LOG_NAME).read_bytes()
    change, message = DAMAGE[damage]
    (out / LOG_NAME).write_bytes(change(raw, raw.split(b"\n")))
    assert (out / LOG_NAME).read_bytes() != raw
    with pytest.raises(IntegrityError, match=message) as caught:
        restore_folder(out, back)
    assert str(out / LOG_NAME) in str(caught.value)
    assert not back.exists() and staging_leftovers(tmp_path) == []


def test_damaged_log_exits_4_from_the_command_line(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    lines = _lines(out)
    (out / LOG_NAME).write_bytes(b"\n".join([lines[0], b"{oops", *lines[2:]]))
    done = cli("restore", out, "--out", tmp_path / "back")
    assert done.returncode == INTEGRITY, done.stderr
    assert "removed.jsonl line 2: not valid JSON" in done.stderr and "Traceback" not in done.stderr


MANIFEST_DAMAGE = {
    "not JSON": (lambda m: m.write_bytes(m.read_bytes()[:-20]), r"files.json: not valid JSON"),
    "missing": (lambda m: m.unlink(), r"no files.json: this folder is incomplete"),
    "newer version": (lambda m: m.write_text(m.read_text().replace('"version": 1', '"version": 2', 1)),
                      r"format version 2; this dedup reads version 1"),
    "earlier dedup": (lambda m: m.write_text(json.dumps({"files": ["a.txt"]})), r"written by an earlier dedup"),
    "a hash out of shape": (lambda m: _tamper_manifest(m.parent, lambda d: d["files"][0].update(sha256="0" * 63)),
                            r"files\[0\]: 'a.txt': 'sha256' must be 64 lower-case hex digits"),
    "a wrong hash": (lambda m: _tamper_manifest(m.parent, lambda d: d["files"][0].update(sha256="0" * 64)),
                     r"a.txt: the restored file differs from the original recorded in files.json"),
    "a file listed twice": (lambda m: _tamper_manifest(m.parent, lambda d: d["files"].append(d["files"][0])),
                            r"is listed twice"),
}


@pytest.mark.parametrize("damage", MANIFEST_DAMAGE)
def test_damaged_manifest_is_refused(corpus: Path, tmp_path: Path, damage: str) -> None:
    out, back = tmp_path / "out", tmp_path / "back"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    change, message = MANIFEST_DAMAGE[damage]
    change(out / MANIFEST_NAME)
    with pytest.raises(IntegrityError, match=message):
        restore_folder(out, back)
    assert not back.exists()


def test_hand_edited_cleaned_file_is_refused(corpus: Path, tmp_path: Path) -> None:
    out, back = tmp_path / "out", tmp_path / "back"
    assert cli(corpus, "--clean", out, "--quiet").returncode == 0
    manifest = json.loads((out / MANIFEST_NAME).read_text("ascii"))
    edited = next(f["path"] for f in manifest["files"] if f["removals"])
    text = (out / edited).read_text("utf-8")
    (out / edited).write_text("一行新加的文字\n" + text, "utf-8")
    done = cli("restore", out, "--out", back)
    assert done.returncode == INTEGRITY, done.stderr
    assert f"{edited}: differs from the cleaned file recorded in files.json" in done.stderr
    assert not back.exists()
    (out / edited).unlink()
    with pytest.raises(IntegrityError, match=f"{edited}: listed in files.json but cannot be read"):
        restore_folder(out, back)


def test_restore_of_a_folder_dedup_did_not_write(tmp_path: Path) -> None:
    write(tmp_path / "plain" / "a.txt", "x")
    with pytest.raises(InputError, match=r"no files\.json here"):
        restore_folder(tmp_path / "plain", tmp_path / "back")
    with pytest.raises(InputError, match="no such folder"):
        restore_folder(tmp_path / "nope", tmp_path / "back")
    done = cli("restore", tmp_path / "nope", "--out", tmp_path / "back")
    assert done.returncode == INPUT, done.stderr


# --- odd characters and names --------------------------------------------------------------------

# Line ends of str.splitlines() and friends; each file holds one, inside a duplicated paragraph.
SEPARATORS = ["\u2028", "\u2029", "\x85", "\r", "\x0b", "\x0c", "\x1c", "\ufeff", "\x1e"]


def test_odd_separators_and_names_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    names = ["line\u2028sep.txt", "para\u2029sep.txt", "nel\x85.txt", "new\nline.txt", "tab\tname.txt",
             "back\\slash.txt", "quote\"name.txt", "emoji😀.txt", "空 格.txt"]
    for i, name in enumerate(names):
        shared = POOL[10] + SEPARATORS[i] + POOL[11]  # a near duplicate holding the odd character
        write(folder / name, f"{POOL[20 + i]}\n{shared}\n{POOL[40 + i]}\n{POOL[60 + i]}\n")
    latin1 = os.fsencode(folder) + b"/caf\xe9.txt"  # a name that is not UTF-8
    with open(latin1, "wb") as handle:
        handle.write(f"{POOL[10]}\u2028{POOL[11]}\n".encode())
    before = snapshot(folder)
    out = tmp_path / "out"
    done = cli(folder, "--clean", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert snapshot(folder) == before
    log = (out / LOG_NAME).read_bytes()
    assert log.isascii() and log.endswith(b"\n")
    manifest = json.loads((out / MANIFEST_NAME).read_bytes())
    assert log.count(b"\n") == manifest["log"]["removals"] >= len(names) - 1
    assert "caf\udce9.txt" in {f["path"] for f in manifest["files"]}
    assert os.path.exists(os.fsencode(out) + b"/caf\xe9.txt")  # the name kept byte for byte
    assert_restores_exactly(out, folder, tmp_path / "back")


def test_non_utf8_names_give_valid_utf8_json(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in (b"caf\xe9.txt", b"copy\xff.txt"):
        with open(os.fsencode(folder) + b"/" + name, "wb") as handle:
            handle.write((POOL[0] + "\n").encode())
    done = subprocess.run([sys.executable, "-m", "dedup", str(folder), "--json", "-"], capture_output=True, env=ENV,
                          check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.decode("utf-8"))  # valid UTF-8, names escaped
    assert sorted(d["id"] for d in report["documents"]) == ["caf\udce9.txt", "copy\udcff.txt"]


def test_oversized_passage_file_listed_once_and_restored(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", POOL[0] + "\n")
    write(folder / "long.txt", "长" * 300 + "\n" + POOL[0] + "\n")
    cleaned = dedup.clean(folder, max_chars=100)
    assert any(e.path == "long.txt" for e in cleaned.result.errors)  # reported, and still a document
    assert [r.doc for r in cleaned.removed] == ["long.txt"]
    write_cleaned(cleaned, folder, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / MANIFEST_NAME).read_bytes())
    assert [f["path"] for f in manifest["files"]] == ["a.txt", "long.txt"]
    restore_folder(tmp_path / "out", tmp_path / "back")
    assert files(tmp_path / "back") == files(folder)


def test_unmatched_undecodable_and_damaged_files_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", POOL[0] + "\n" + POOL[1] + "\n")
    write(folder / "cut.txt", (POOL[0] + "\n" + POOL[2] + "\n" + POOL[3]).encode("utf-8")[:-2])  # cut mid-character
    write(folder / "binary.txt", b"\x00\x01\x02" * 50)
    write(folder / "image.png", bytes(range(256)))
    write(folder / "deep" / "notes.TXT", POOL[1] + "\n")  # patterns ignore case
    (folder / "dangling.txt").symlink_to(folder / "gone.txt")
    cleaned = dedup.clean(folder)
    errors = {e.path: e.error for e in cleaned.result.errors}
    assert "cut short mid-character" in errors["cut.txt"]
    assert "binary" in errors["binary.txt"] and "broken symbolic link" in errors["dangling.txt"]
    assert {r.doc for r in cleaned.removed} == {"cut.txt", "deep/notes.TXT"}
    written = write_cleaned(cleaned, folder, tmp_path / "out")
    assert written.copied == ["binary.txt", "image.png"] and written.failed == []
    with pytest.warns(UserWarning, match=r"1 left out by --clean.*: dangling\.txt"):
        restore_folder(tmp_path / "out", tmp_path / "back")
    assert files(tmp_path / "back") == files(folder)


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs a file that opens but cannot be read")
def test_file_that_opens_but_cannot_be_read_is_listed_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", POOL[0] + "\n" + POOL[0] + "\n")
    (folder / "mem.bin").symlink_to("/proc/self/mem")  # opens; reading at offset 0 fails (EIO)
    written = write_cleaned(dedup.clean(folder), folder, tmp_path / "out")
    assert [(f.path, f.error.startswith("not copied: ")) for f in written.failed] == [("mem.bin", True)]
    assert sorted(os.listdir(tmp_path / "out")) == sorted(["a.txt", LOG_NAME, MANIFEST_NAME])  # nothing half-copied
    with pytest.warns(UserWarning, match=r"1 left out by --clean.*: mem\.bin"):
        restore_folder(tmp_path / "out", tmp_path / "back")
    assert files(tmp_path / "back") == {b"a.txt": (folder / "a.txt").read_bytes()}


def test_deeply_nested_folders(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    deep = folder
    for _ in range(991):  # one mkdir at a time: Path.mkdir(parents=True) recurses
        deep.mkdir()
        deep = deep / "d"
    deep = deep.parent
    (deep / "a.txt").write_text(POOL[0] + "\n" + POOL[1] + "\n", "utf-8")
    write(folder / "b.txt", POOL[0] + "\n")
    scan = read_folder(folder)
    assert [d.id for d in scan.documents] == ["b.txt", "d/" * 990 + "a.txt"]
    cleaned = dedup.clean(folder)
    write_cleaned(cleaned, folder, tmp_path / "out")
    restore_folder(tmp_path / "out", tmp_path / "back")
    assert (tmp_path / "back").joinpath(*["d"] * 990, "a.txt").read_bytes() == (deep / "a.txt").read_bytes()
    restore_folder(tmp_path / "out", tmp_path / "back", force=True)  # merging into it: no recursion either
    # Removed here: pytest's own clean-up of old temporary folders (shutil.rmtree) recurses a frame a level.
    for tree in ("in", "out", "back"):
        remove_tree(tmp_path / tree)
    assert list(tmp_path.iterdir()) == []


def remove_tree(root: Path) -> None:
    """Delete the folder *root* and all below it without recursion."""
    folders, stack = [], [root]
    while stack:
        folder = stack.pop()
        folders.append(folder)
        for entry in os.scandir(folder):
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                os.unlink(entry.path)
    for folder in reversed(folders):
        os.rmdir(folder)


def test_bad_api_arguments_name_themselves(corpus: Path, tmp_path: Path) -> None:
    cleaned = dedup.clean(corpus)
    cases = [
        (lambda: read_folder(42), "folder must be a path"),
        (lambda: read_folder(corpus, include=[3]), "include: patterns must be str"),
        (lambda: read_folder(corpus, include=[]), "include: no patterns"),
        (lambda: read_folder(corpus, encoding="no-such-codec"), "encoding: unknown encoding 'no-such-codec'"),
        (lambda: read_folder(corpus, encoding="rot13"), "encoding: 'rot13' is not a text encoding"),
        (lambda: write_cleaned("texts", corpus, tmp_path / "o"), "cleaned must be the Cleaned"),
        (lambda: write_cleaned(cleaned, corpus, 7), "target must be a path"),
        (lambda: write_cleaned(cleaned, corpus, tmp_path / "o", force="yes"), "force must be True or False"),
        (lambda: restore_folder(None, tmp_path / "o"), "cleaned folder must be a path"),
        (lambda: dedup.restore(["a"], []), "texts must map document ids"),
        (lambda: dedup.restore({"a": "x"}, [{"doc": "a"}]), "removed must hold Removal objects"),
    ]
    for call, message in cases:
        with pytest.raises(UsageError, match=message):
            call()
    assert not (tmp_path / "o").exists()


def test_in_memory_text_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    cleaned = dedup.clean([("a.txt", POOL[0] + "\ud800\n"), ("b.txt", POOL[1] + "\n")])
    with pytest.raises(UsageError, match=r"a\.txt: its text cannot be written as utf-8"):
        write_cleaned(cleaned, None, tmp_path / "out")
    assert not (tmp_path / "out").exists() and staging_leftovers(tmp_path) == []


# --- round trips over odd characters (hypothesis) -------------------------------------------------

ODD = st.sampled_from(["\u2028", "\u2029", "\x85", "\r", "\r\n", "\n", "\x00", "\ufeff", "\t", " ", "\x1e", "\udcff"])
piece = st.one_of(st.sampled_from(POOL[:6]), ODD, st.text(st.characters(codec="utf-8"), max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.builds(Removal, doc=st.text(), index=st.integers(0, 10**6), line=st.integers(0, 10**6),
                 start=st.integers(0, 10**6), end=st.integers(0, 10**6), cut_start=st.just(0), cut_end=st.just(0),
                 text=st.text(), kept=st.dictionaries(st.text(), st.integers()), similarity=st.floats(0, 1),
                 kind=st.text(), encoding=st.text()))
def test_a_log_line_is_one_ascii_line_and_reads_back_equal(removal: Removal) -> None:
    removal = Removal(**{**removal.to_dict(), "cut_end": len(removal.text)})
    line = json.dumps(removal.to_dict(), ensure_ascii=True)
    assert line.isascii() and "\n" not in line and "\r" not in line
    assert Removal.from_dict(json.loads(line)) == removal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(piece, min_size=1, max_size=8), min_size=1, max_size=4),
       st.sampled_from([b"", codecs.BOM_UTF8]), st.booleans())
def test_any_text_survives_clean_and_restore(docs: list[list[str]], bom: bytes, dup: bool) -> None:
    # Bytes on disk: UTF-8 (lone surrogates become the bad bytes they stand for), a BOM maybe, and
    # every document carrying a paragraph of the first so that there is something to remove.
    with tempfile.TemporaryDirectory() as tmp:
        folder, out, back = Path(tmp, "in"), Path(tmp, "out"), Path(tmp, "back")
        for i, pieces in enumerate(docs):
            text = "".join(pieces) + ("\n" + POOL[7] + "\n" if dup else "")
            write(folder / f"{i}.txt", bom + text.encode("utf-8", "surrogateescape"))
        cleaned = dedup.clean(folder)
        write_cleaned(cleaned, folder, out)
        restore_folder(out, back)
        assert files(back) == files(folder)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.sampled_from(POOL[:4]), ODD, st.text(max_size=5)), min_size=1, max_size=6),
                min_size=1, max_size=4))
def test_any_text_in_memory_survives_clean_and_restore(docs: list[list[str]]) -> None:
    # Any str the API may be given, lone surrogates included.
    corpus = [(f"d{i}", "\n".join(pieces) + "\n" + POOL[8]) for i, pieces in enumerate(docs)]
    cleaned = dedup.clean(corpus)
    assert dedup.restore(cleaned.texts, cleaned.removed) == dict(corpus)


def test_a_folder_only_named_like_a_leftover_is_never_swept(tmp_path):
    """The sweep removes dedup's own staging folders (they hold its mark), not a folder that only has such a name:
    here the input itself, named as a dead run's staging folder beside the output would be."""
    parent = tmp_path / "work"
    source = parent / ".out.dedup-999999-mydata"
    source.mkdir(parents=True)
    (source / "a.txt").write_text("重复的一段话，足够长了。\n重复的一段话，足够长了。\n", "utf-8")
    before = snapshot(source)
    done = subprocess.run([sys.executable, "-m", "dedup", source.name, "--clean", "out", "--quiet"], cwd=parent,
                          capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr
    assert snapshot(source) == before and (parent / "out" / "files.json").is_file()
    assert staging_leftovers(parent) == [source.name]  # no mark left behind
    # A dead run's real staging folder, marked, is swept by the next run.
    left = parent / ".out2.dedup-999999-abcd"
    left.mkdir()
    (parent / ".out2.dedup-999999-abcd.mark").write_bytes(b"")  # its mark, beside it
    (parent / ".out2.dedup-999998-gone.mark").write_bytes(b"")  # a mark whose folder is gone
    done = subprocess.run([sys.executable, "-m", "dedup", source.name, "--clean", "out2", "--quiet"], cwd=parent,
                          capture_output=True, text=True, env=ENV)
    assert done.returncode == 0 and not left.exists() and staging_leftovers(parent) == [source.name]


def test_a_cut_that_would_join_damaged_bytes_into_a_character_is_not_made(tmp_path):
    """UTF-8 with stray bytes keeps them as they were; a span cut between \\xe4 and \\xb8\\xad would write 中, and
    restore would read other text than was cut. That file goes out unchanged, said, and restore is exact."""
    p = "今天天气很好，我们一起去公园散步，看到了很多美丽的花朵和绿色的树木。"
    q = "经济发展需要坚持创新驱动，推动高质量发展，提高人民生活水平和幸福感。"
    u = "学校组织学生参加社会实践活动，培养他们的动手能力和团队合作精神以及责任感。"
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_bytes((p + q + "\n").encode())
    (source / "b.txt").write_bytes((u + "中文" * 30).encode() + b"\xe4" + (p + q).encode() + b"\xb8\xad"
                                   + ("另外一段完全不同的文字内容用于测试" * 3 + "\n").encode())
    cleaned = dedup.clean(source, level="span")
    assert [r.doc for r in cleaned.removed] == ["b.txt"]
    with pytest.warns(UserWarning, match="b.txt: 1 planned removal not made"):
        written = write_cleaned(cleaned, source, tmp_path / "out")
    assert written.unmade == ["b.txt"]
    assert (tmp_path / "out" / "b.txt").read_bytes() == (source / "b.txt").read_bytes()
    assert (tmp_path / "out" / "removed.jsonl").read_bytes() == b""
    assert_restores_exactly(tmp_path / "out", source, tmp_path / "back")


def test_force_never_replaces_a_folder_whose_files_json_is_not_dedups(tmp_path):
    """--force replaces an earlier --clean output only: a folder with someone else's files.json (a list of files,
    no dedup format) is refused, and its files stay."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("重复的一段话，足够长了。\n重复的一段话，足够长了。\n", "utf-8")
    project = tmp_path / "proj"
    project.mkdir()
    (project / "files.json").write_text('{"files": ["a.csv"]}', "utf-8")
    (project / "data.csv").write_text("important\n", "utf-8")
    done = cli(source, "--clean", project, "--force", "--quiet")
    assert done.returncode == 1 and "not an earlier dedup" in done.stderr
    assert sorted(os.listdir(project)) == ["data.csv", "files.json"]


def test_restore_says_which_entries_of_the_input_it_cannot_give_back(tmp_path):
    """Entries --clean could not read (a broken link, a pipe) are listed in files.json as left_out; restore warns
    of them instead of exiting 0 in silence."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("重复的一段话，足够长了。\n重复的一段话，足够长了。\n", "utf-8")
    os.symlink("missing", source / "broken.txt")
    os.mkfifo(source / "p.txt")
    assert cli(source, "--clean", tmp_path / "out", "--quiet").returncode == 0
    manifest = json.loads((tmp_path / "out" / "files.json").read_text("ascii"))
    assert [e["path"] for e in manifest["left_out"]] == ["broken.txt", "p.txt"]
    done = cli("restore", tmp_path / "out", "--out", tmp_path / "back")
    assert done.returncode == 0
    assert "not in the cleaned folder, so not restored (2 left out by --clean" in done.stderr
    assert "broken.txt, p.txt" in done.stderr
    assert sorted(os.listdir(tmp_path / "back")) == ["a.txt"]


_PARAGRAPHS = ["今天天气很好，我们一起去公园散步，看到了很多美丽的花朵。", "经济发展需要坚持创新驱动，推动高质量发展。",
               "学校组织学生参加社会实践活动，培养动手能力。", "另外一段完全不同的文字内容用于测试。"]
_STRAY = [b"", b"\xe4", b"\xb8\xad", b"\xff", b"\xe4\xb8", b"\xad"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.tuples(st.sampled_from(_PARAGRAPHS), st.sampled_from(_STRAY), st.booleans()),
                         min_size=1, max_size=6), min_size=1, max_size=4),
       st.sampled_from(["near", "contained", "span"]), st.sampled_from(["paragraph", "sentence"]))
@example([[(_PARAGRAPHS[0], b"", True)], [(_PARAGRAPHS[2], b"\xe4", False), (_PARAGRAPHS[0], b"\xb8\xad", True)]],
         "span", "paragraph")  # the cut of the repeat would join \xe4 and \xb8\xad into 中
def test_files_with_undecodable_bytes_come_back_byte_for_byte(tmp_path_factory, docs, level, unit):
    """Stray bytes (kept as lone surrogates) anywhere, between passages or glued to them, at every level: what
    write_cleaned writes, restore_folder gives back exactly, or the file goes out unchanged."""
    folder = tmp_path_factory.mktemp("bytes")
    source = folder / "in"
    for k, parts in enumerate(docs):
        write(source / f"d{k}.txt", b"".join(p.encode() + stray + (b"\n" if broken else b"")
                                             for p, stray, broken in parts) + b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # files whose cut would join bytes go out unchanged, said
        write_cleaned(dedup.clean(source, level=level, unit=unit), source, folder / "out")
        restore_folder(folder / "out", folder / "back")
    assert files(folder / "back") == files(source)


def test_an_input_file_may_have_any_name_dedup_does_not_write(tmp_path):
    """The staging mark lies beside the staging folder, not in it: an input file named as the mark once was is copied
    like any other (it made --clean fail, 'File exists')."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("重复的一段话，足够长了。\n重复的一段话，足够长了。\n", "utf-8")
    (source / ".dedup-staging").write_text("mine", "utf-8")
    (source / "a.txt.mark").write_text("mine too", "utf-8")
    assert cli(source, "--clean", tmp_path / "out", "--quiet").returncode == 0
    assert_restores_exactly(tmp_path / "out", source, tmp_path / "back")
    assert staging_leftovers(tmp_path) == []


def test_a_damaged_left_out_is_refused_before_anything_is_restored(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("重复的一段话，足够长了。\n重复的一段话，足够长了。\n", "utf-8")
    assert cli(source, "--clean", tmp_path / "out", "--quiet").returncode == 0
    manifest = json.loads((tmp_path / "out" / "files.json").read_text("ascii"))
    for damaged in ([1], {}, "x"):
        (tmp_path / "out" / "files.json").write_text(json.dumps({**manifest, "left_out": damaged}), "ascii")
        with pytest.raises(IntegrityError, match="'left_out' is not a list of entries"):
            restore_folder(tmp_path / "out", tmp_path / "back")
        assert not (tmp_path / "back").exists()
