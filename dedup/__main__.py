"""``dedup``: parse the command line, call the library, turn its errors into exit codes.

Commands: ``scan`` (the default: ``dedup FOLDER`` is ``dedup scan FOLDER``), ``explain``,
``restore``, ``report``, ``index``. Exit codes: 0 it ran (duplicates found or not); 1 usage or
settings error; 2 no input could be read; 3 an output could not be written; 4 ``restore``
refused a folder that does not check out; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM). Each error is a
``DedupError`` that carries its code (``dedup._errors``); ``main`` alone turns it into one.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import __version__
from ._clean import LEVELS, SCOPES, clean
from ._cli import (
    add_input_options,
    add_settings_options,
    exit_codes,
    print_read_errors,
    reading_options,
    settings_from,
    warnings_printed,
    write_to,
)
from ._errors import EXIT_INTERRUPTED, EXIT_TERMINATED, DedupError, OutputError, UsageError
from ._explain import explain, find_passage, render
from ._find import find_duplicates
from ._html import write_html, write_html_from_report
from ._index_cli import add_index_parser, run_index
from ._output import (
    LOG_NAME,
    MANIFEST_NAME,
    TABLES_FORMAT,
    check_apart,
    check_folder_target,
    check_outside,
    check_own_names,
    manifest_format,
    restore_folder,
    write_cleaned,
)
from ._read import no_text
from ._report import counted, write_json, write_text_report
from ._tabular import (
    REMOVED_ROWS,
    check_annotated,
    check_table_name,
    recompressed,
    table_files,
    table_format,
    write_annotated,
    write_cleaned_tabular,
    write_table,
)

__all__ = ["main"]

OK, USAGE_ERROR = 0, 1  # the other exit codes come with the errors (dedup._errors)
COMMANDS = ("scan", "explain", "restore", "report", "index")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise SystemExit(_fail(f"{message} (see --help)", USAGE_ERROR))

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """As argparse's, but an unknown option is refused by the (sub)command it was given to, with that
        command's usage line (argparse shows the top level's: 'usage: dedup [-h] [--version] COMMAND ...')."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            _command_parser(self, parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def _command_parser(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser:
    """The deepest subcommand's parser that *parsed* went through (``dedup index add``'s for an add)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = getattr(parsed, action.dest, None)
            if chosen in action.choices:
                return _command_parser(action.choices[chosen], parsed)
    return parser


def _fail(message: str, code: int) -> int:
    print(f"dedup: error: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: ``dedup [scan] INPUT``, ``dedup explain``, ``dedup restore``."""
    parser = _Parser(prog="dedup", description="Find near-duplicate passages in a corpus, say what repeats where, "
                     "and clean it away without losing anything. 'dedup FOLDER' is short for 'dedup scan FOLDER'.")
    parser.add_argument("--version", action="version", version=f"dedup {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = commands.add_parser("scan", help="find duplicates and report them (the default command)",
                               description="Find near-duplicate passages under INPUT and report them.")
    scan.add_argument("input", type=Path, help="a folder of text files (searched recursively), a table (JSON Lines, "
                      "CSV/TSV, Parquet; also .gz/.bz2/.zst) or a folder of table shards")
    add_input_options(scan)
    out = scan.add_argument_group("output")
    out.add_argument("--json", metavar="FILE", help="write the machine-readable report to FILE ('-' for stdout)")
    out.add_argument("--spans", action="store_true", help="add shared spans and document overlaps to --json")
    out.add_argument("--all-pairs", action="store_true",
                     help="list every verified pair in --json, not only each member's pair with the passage its "
                          "cluster keeps, contained relations and pairs across clusters")
    out.add_argument("--html", metavar="FILE", type=Path,
                     help="write a self-contained HTML report (side-by-side matches, filters) to FILE")
    out.add_argument("--clean", metavar="OUTDIR", type=Path, help="write the cleaned corpus and its removal log to OUTDIR (files no "
                                                                              "--include pattern matches are copied unchanged)")
    out.add_argument("--annotate", metavar="OUT", type=Path,
                     help="tables: every row again in OUT (same format; a folder for shards) with dedup_* columns")
    out.add_argument("--table", metavar="FILE", type=Path,
                     help="one row per passage to FILE (.parquet, .csv, .tsv or .jsonl): where it is, its cluster, "
                          "whether it is kept, what it duplicates")
    out.add_argument("--force", action="store_true", help="let --clean (or an --annotate folder) replace its earlier output, whole; never another folder")
    out.add_argument("--level", choices=list(LEVELS), default="near",
                     help="what --clean removes: exact, near (exact+near), contained (also passages inside one "
                          "kept before them: a first copy stays) or span (also, from a later passage, the copy of one "
                          "kept before it, when it is one piece) (default: near)")
    out.add_argument("--scope", choices=SCOPES, default="corpus",
                     help="remove duplicates across the corpus or only within each document (default: corpus)")
    out.add_argument("--quiet", action="store_true", help="no progress bars and no text report")
    engine = scan.add_argument_group("engine (the same answer either way)")
    engine.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="run in this process, or on a Dask cluster (pip install 'dedup[dask]') (default: local)")
    where = engine.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="with --engine dask: the Dask scheduler to run on, "
                       "e.g. tcp://10.0.0.5:8786 (default: start a local cluster for the run)")
    where.add_argument("--workers", metavar="N", type=_worker_count,
                       help="with --engine dask and no --scheduler: worker processes of the local cluster "
                            "(default: one a core)")
    add_settings_options(scan)

    why = commands.add_parser("explain", help="explain why two passages match (or do not)",
                              description="Explain why two passages match (or do not).")
    why.add_argument("input", type=Path, help="the corpus folder")
    why.add_argument("a", help="first passage as the text report prints it: FILE:LINE, or FILE:LINE#K for the K-th "
                               "of several passages starting on a line (FILE:#N: the passage of index N in its "
                               "document, as in the JSON; FILE alone: a document of one passage)")
    why.add_argument("b", help="second passage, named the same way")
    add_input_options(why)
    add_settings_options(why)

    back = commands.add_parser("restore", help="rebuild the original files from a folder written by --clean",
                               description="Rebuild the original files from a folder written by --clean.")
    back.add_argument("cleaned", type=Path, help="folder written by 'dedup scan INPUT --clean OUTDIR'")
    back.add_argument("--out", type=Path, required=True, help="folder to write the original files to")
    back.add_argument("--force", action="store_true", help="allow writing into a non-empty folder")

    page = commands.add_parser("report", help="turn a saved --json report into an HTML page, without recomputing",
                               description="Write the HTML report of a saved --json report (with or without "
                                           "--spans); the texts are read again from the scanned input.")
    page.add_argument("report", type=Path, help="a report written by 'dedup scan INPUT --json REPORT'")
    page.add_argument("--html", metavar="FILE", type=Path, required=True, help="the HTML file to write")
    page.add_argument("--corpus", metavar="PATH", type=Path,
                      help="where the scanned input (folder, file or table) is now, if not where the report says")
    add_index_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        # A file name that is not UTF-8 prints as \udcXX instead of crashing the run.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    # Scanning is the default command: 'dedup FOLDER' means 'dedup scan FOLDER'.
    if args and args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version"):
        args.insert(0, "scan")
    with _terminated_as_interrupted():
        return _run(args)


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a job scheduler's stop, ``kill``), raised where the run is, as Ctrl-C is: outputs being staged
    are removed on the way out instead of being left beside their targets."""


@contextmanager
def _terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM raises ``_Terminated`` in the block (the main thread only: the others cannot take signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(number: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: list[str]) -> int:
    try:
        parsed = build_parser().parse_args(args)
        if parsed.command is None:
            build_parser().print_help(sys.stderr)
            return USAGE_ERROR
        run = {"scan": _scan, "explain": _explain, "restore": _restore, "report": _report,
               "index": run_index}[parsed.command]
        return run(parsed)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    except DedupError as exc:
        return _fail(str(exc), exc.exit_code)
    except _Terminated:
        print("dedup: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("dedup: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter from complaining at exit
        return OK


def _worker_count(value: str) -> int:
    """``--workers``: a whole number of worker processes, at least one."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of worker processes, 1 or more, not {value!r}")
    return int(value)


def _note_unread_tables(args: argparse.Namespace, result: Any) -> None:
    """Say on stderr, --quiet or not, when a folder was read as text files beside table files left unread
    (no --include given): a folder of shards with a LICENSE.txt would otherwise be cleaned of nothing, exit 0.
    So too when table options were given for text files."""
    as_text = bool(result.documents) and not any(d.source for d in result.documents)
    given = [option for option, value in (("--text-field", args.text_field != "text"),
                                          ("--id-field", args.id_field is not None)) if value]
    if as_text and given:
        verb = "apply" if len(given) > 1 else "applies"
        print(f"dedup: note: {' and '.join(given)} {verb} to tables; {args.input} was read as text files",
              file=sys.stderr)
    tables = [name for name in result.skipped if table_format(name) is not None]
    if args.include is None and tables and as_text:
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        print(f"dedup: note: {args.input}: read as {counted(len(result.documents), 'text file')}; "
              f"{counted(len(tables), 'table file')} not read ({shown}): to read tables, choose them with --include "
              f"(e.g. --include '*{Path(tables[0]).suffix}')", file=sys.stderr)


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that cannot be written as asked (so that none is written and then
    another refused): outputs that meet the input or each other, names no writer takes, folders in the way."""
    include = reading_options(args)["include"]
    outputs = {"--clean": args.clean, "--annotate": args.annotate, "--table": args.table,
               "--json": None if args.json in (None, "-") else args.json, "--html": args.html}
    check_apart(outputs, folders=("--clean", "--annotate"))
    for option, output in outputs.items():
        if output is not None:
            check_outside(Path(output), args.input)
            if option in ("--json", "--html", "--table") and Path(output).is_dir():
                raise OutputError(f"{output}: cannot write (is a folder, not a file)")
    if args.table is not None:
        check_table_name(args.table)
    if args.annotate is not None:
        check_annotated(args.input, args.annotate, include=include, force=args.force)
    if args.clean is not None:
        check_folder_target(args.clean, args.force)
        if Path(args.input).is_dir() and manifest_format(args.input) is not None:
            raise UsageError(f"{args.input} is a --clean output: its manifest and log would clash with the new ones; "
                             f"restore it first (dedup restore), or clean a copy of its data files")
        if Path(args.input).is_dir():  # as the writers refuse them, but before the whole scan
            tables = table_files(args.input, include) is not None
            check_own_names(os.listdir(args.input), (LOG_NAME, MANIFEST_NAME, *([REMOVED_ROWS] if tables else [])))


def _scan(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    progress = not args.quiet and sys.stderr.isatty()
    with exit_codes("output"):
        _check_outputs(args)
    with warnings_printed(), exit_codes(args.input, reading=True):
        cleaned = clean(args.input, settings, level=args.level, scope=args.scope, progress=progress,
                        engine=args.engine, client=args.workers if args.scheduler is None else args.scheduler, **reading_options(args))
    result = cleaned.result
    print_read_errors(result.errors)
    _note_unread_tables(args, result)
    include = reading_options(args)["include"]
    if not result.documents:
        why = ("no rows" if table_files(args.input, include) is not None
               else f"no files match {' '.join(args.include or [include])}; choose others with --include")
        raise no_text(args.input, result.errors, why, listed=True)
    with warnings_printed(), exit_codes("output"):
        if args.clean is not None:
            if not settings.verify:
                print("dedup: warning: --no-verify: passages are removed by their MinHash estimate, not by a "
                      "verified similarity", file=sys.stderr)
            if table_files(args.input, include) is not None:
                written = write_cleaned_tabular(cleaned, args.input, args.clean, text_field=args.text_field,
                                                include=include, force=args.force)
            else:
                written = write_cleaned(cleaned, args.input, args.clean, args.force)
                for failure in written.failed:
                    print(f"dedup: {failure.path}: {failure.error}", file=sys.stderr)
            # Documents copied unchanged (a table that broke off when read again, a cut that would join damaged
            # bytes): their removals were not made.
            unmade = set(written.unmade)
            cleaned = dataclasses.replace(cleaned, removed=[r for r in cleaned.removed if r.doc not in unmade])
        if args.annotate is not None:
            write_annotated(result, args.input, args.annotate, include=include, force=args.force)
        if args.table is not None:
            write_table(result, args.table)
        if args.json:
            write_to(args.json, lambda out: write_json(cleaned, out, args.spans, args.all_pairs, str(args.input),
                                                          reading_options(args)))
        if args.html is not None:
            write_html(cleaned, args.html, source=str(args.input))
    if not args.quiet and args.json != "-":
        write_text_report(cleaned, sys.stdout, written_to=args.clean)
    return OK


def _explain(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    with exit_codes(args.input, reading=True):
        result = find_duplicates(args.input, settings, **reading_options(args))
    try:
        explanation = explain(result, find_passage(result, args.a), find_passage(result, args.b))
    except ValueError as exc:
        return _fail(str(exc), USAGE_ERROR)
    sys.stdout.write(render(explanation, colour=sys.stdout.isatty()))
    return OK


def _report(args: argparse.Namespace) -> int:
    with exit_codes(args.html, missing_is_input=True):
        write_html_from_report(args.report, args.html, corpus=args.corpus)
    return OK


def _restore(args: argparse.Namespace) -> int:
    with warnings_printed(), exit_codes(args.out, missing_is_input=True):  # 4: IntegrityError, it does not check out
        written = restore_folder(args.cleaned, args.out, args.force)
    # Tables are written again from their rows: a compressed one is compressed anew (files of a text folder
    # that are not text, compressed or not, are copied as they are).
    compressed = recompressed(args.cleaned) if manifest_format(args.cleaned) == TABLES_FORMAT else []
    print(f"restored {written} files into {args.out}" + (
        f" ({len(compressed)} compressed, e.g. {compressed[0]}: their content byte for byte, compressed again, so "
        f"the compressed bytes may differ)" if compressed else ""))
    return OK


if __name__ == "__main__":
    sys.exit(main())
