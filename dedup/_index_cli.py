"""``dedup index``: the command line of the persistent index (``dedup._index.Index``).

``add`` and ``query`` print the same text report and write the same ``--json`` report as
``dedup scan``, for the new documents and the indexed passages they duplicate, so scripts
can switch from scanning a whole corpus to adding it piece by piece.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._clean import clean
from ._cli import (
    add_input_options,
    add_settings_options,
    exit_codes,
    output_stream,
    print_read_errors,
    reading_options,
    settings_from,
    write_to,
)
from ._errors import UsageError
from ._index import Index, IndexFileError, passage_rows
from ._output import check_apart, check_outside
from ._read import no_text
from ._report import counted, write_json, write_text_report
from ._result import Result
from ._tabular import table_format

__all__ = ["add_index_parser", "run_index"]

OK = 0


def add_index_parser(commands: Any) -> None:
    """Add ``dedup index add|query|remove|stats|export|check|vacuum`` to the subcommands *commands*."""
    index = commands.add_parser("index", help="a persistent index: add documents as they arrive, ask what they "
                                              "duplicate", description="A persistent, incremental index in one "
                                "SQLite file. Passages already indexed are kept before new ones.")
    actions = index.add_subparsers(dest="index_command", metavar="ACTION", parser_class=commands._parser_class)
    actions.required = True

    def action(name: str, help_: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_, description=help_)
        parser.add_argument("db", type=Path, help="the index file")
        return parser

    add = action("add", "index the documents of INPUT (one transaction) and report what their passages duplicate")
    query = action("query", "report what the passages of INPUT duplicate in the index, without adding them")
    for parser in (add, query):
        parser.add_argument("input", type=Path, help="folder of text files, a text file, or a JSONL/CSV/Parquet table")
        add_input_options(parser)
        out = parser.add_argument_group("output")
        out.add_argument("--json", metavar="FILE", help="write the machine-readable report to FILE ('-' for stdout)")
        out.add_argument("--all-pairs", action="store_true", help="list every verified pair in --json")
        out.add_argument("--quiet", action="store_true", help="no text report")
    add.add_argument("--prefix", default="", metavar="TEXT",
                     help="put TEXT before every document id (e.g. day2/: files or numbered rows named as an earlier "
                          "add's are other documents)")
    add.add_argument("--keep-text", action="store_true", default=None,
                     help="when creating the index, also store each document's text (shown in later reports)")
    add_settings_options(add)

    remove = action("remove", "remove documents (all or none) by id")
    remove.add_argument("ids", nargs="+", metavar="ID", help="document ids as the reports name them")
    stats = action("stats", "what the index holds and its size on disk")
    stats.add_argument("--json", action="store_true", help="print the statistics as JSON")
    export = action("export", "the clusters and pairs of the whole index")
    export.add_argument("--json", metavar="FILE", help="write the report of the whole index to FILE ('-' for stdout)")
    export.add_argument("--table", metavar="FILE", help="write one JSON line per passage to FILE ('-' for stdout): "
                                                        "where it is, its cluster's kept passage, whether it is kept")
    export.add_argument("--all-pairs", action="store_true", help="list every verified pair in --json")
    action("check", "check the file (SQLite integrity check and the index's own invariants)")
    action("vacuum", "rewrite the file compactly")


def run_index(args: argparse.Namespace) -> int:
    """Run a parsed ``dedup index`` command; return the exit code (errors are raised for ``main``)."""
    with exit_codes(args.db, missing_is_input=True):
        try:
            return _RUN[args.index_command](args)
        except KeyError as exc:  # remove: an id not in the index
            raise UsageError(str(exc.args[0])) from None


def _settings_given(args: argparse.Namespace) -> Any:
    """The settings the command line asks the index for: None when it gives none; those it gives over the
    index's own when it gives no --config (over the defaults, every other setting would differ from an index
    built with others, and be named as the difference)."""
    from ._settings import Settings

    options = {name: getattr(args, name) for name in Settings.names() if hasattr(args, name)}
    if args.config is None and options and args.db.is_file() and args.db.stat().st_size > 0:
        with Index(args.db, readonly=True) as index:
            if index.pinned:
                return index.settings.replace(**options)
    return settings_from(args) if args.config is not None or options else None


def _add(args: argparse.Namespace) -> int:
    # The report's file is opened first: a path that cannot be written stops the add before it is made.
    with _json_target(args) as out:
        # An index whose first add failed pins no settings: the next add's are taken (Index, _adopted).
        with Index(args.db, _settings_given(args), keep_text=args.keep_text) as index:
            before = index.stats()
            added = index.add(args.input, prefix=args.prefix, **reading_options(args))
            after = index.stats()
            keeps_text = index.keep_text
        _write_json(added, args, out)
    # The add and its --json report are done: a text report cut short (a closed pipe) leaves both.
    if not args.quiet and args.json != "-":  # the report's counts include the indexed documents its pairs name
        print(f"{args.input}: {counted(after.documents - before.documents, 'document')} added to {args.db} "
              f"({counted(after.passages - before.passages, 'passage')}; "
              f"{counted(after.documents, 'document')} in it now); the report below shows them with the "
              f"indexed passages they repeat")
    return _text_report(added, args, keeps_text)


def _query(args: argparse.Namespace) -> int:
    # Settings from --config are checked against the index's, as add checks them (an index answers with its own).
    with _json_target(args) as out, Index(args.db, _settings_given(args), create=False) as index:
        found = index.query(args.input, **reading_options(args))
        keeps_text = index.keep_text
        _write_json(found, args, out)
    return _text_report(found, args, keeps_text)


@contextmanager
def _json_target(args: argparse.Namespace) -> Iterator[Any]:
    """The stream ``--json`` goes to (``output_stream``; None without it), refused when it meets the input."""
    if not args.json:
        yield None
        return
    if args.json != "-":
        check_outside(Path(args.json), args.input)
    with output_stream(args.json) as out:
        yield out


def _write_json(result: Result, args: argparse.Namespace, out: Any) -> None:
    """Refuse (exit 2) a result whose every document failed to be read; else print its read errors and write
    its ``--json`` report to *out* (None: not asked for)."""
    if not result.documents and result.errors:
        print_read_errors(result.errors)
        raise no_text(args.input, result.errors, listed=True)
    print_read_errors(result.errors)
    if out is not None:
        write_json(result, out, all_pairs=args.all_pairs, source=str(args.input), reading=reading_options(args))


def _text_report(result: Result, args: argparse.Namespace, keeps_text: bool) -> int:
    if not args.quiet and args.json != "-":
        write_text_report(clean(result), sys.stdout)
        if not keeps_text and len(result.pair_index):
            print("(the index keeps no text: its passages show in their normal form, case folded and spaces "
                  "removed; an index made with --keep-text shows their own)")
    return OK


def _remove(args: argparse.Namespace) -> int:
    with Index(args.db, create=False) as index:
        removed = index.remove(args.ids)
    print(f"removed {counted(len(set(args.ids)), 'document')} ({counted(removed, 'passage')}) from {args.db}")
    return OK


def _stats(args: argparse.Namespace) -> int:
    with Index(args.db, create=False) as index:
        stats = index.stats()
    if args.json:
        json.dump(stats.to_dict(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return OK
    print(f"{stats.path}: {stats.documents} documents, {stats.passages} passages, {stats.groups} distinct texts "
          f"({stats.banded} compared by MinHash), {stats.links} verified links, {stats.batches} adds; "
          f"{stats.bytes / 2**20:.1f} MiB on disk"
          f"{f' ({stats.bytes / stats.passages:.0f} bytes a passage' if stats.passages else ' (empty'}"
          f"{', texts kept' if stats.keep_text else ''}); schema {stats.schema}")
    return OK


def _export(args: argparse.Namespace) -> int:
    named = table_format(args.table) if args.table and args.table != "-" else None
    if named is not None and (named.format != "jsonl" or named.compression):
        raise UsageError(f"--table {args.table}: the index's passage table is plain JSON Lines; name it *.jsonl "
                         f"(or '-' for stdout)")
    check_apart({"--json": args.json, "--table": args.table})  # one path (stdout too) for both: refused
    with Index(args.db, create=False) as index:
        result = index.export()
    if args.json:
        write_to(args.json, lambda out: write_json(result, out, all_pairs=args.all_pairs, source=str(args.db)))
    if args.table:
        write_to(args.table, lambda out: out.writelines(json.dumps(row, ensure_ascii=False) + "\n"
                                                     for row in passage_rows(result)))
    if not args.json and not args.table:
        write_text_report(clean(result), sys.stdout)
    return OK


def _check(args: argparse.Namespace) -> int:
    with Index(args.db, create=False) as index:
        problems = index.check()
    for problem in problems:
        print(f"dedup: {args.db}: {problem}", file=sys.stderr)
    if problems:
        raise IndexFileError(f"{args.db}: the index is damaged; rebuild it from the documents")
    print(f"{args.db}: ok")
    return OK


def _vacuum(args: argparse.Namespace) -> int:
    with Index(args.db, create=False) as index:
        before = index.stats().bytes
        index.vacuum()
        after = index.stats().bytes
    print(f"{args.db}: {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB")
    return OK


_RUN = {"add": _add, "query": _query, "remove": _remove, "stats": _stats, "export": _export, "check": _check,
        "vacuum": _vacuum}
