"""What the command line's commands share: their input and settings options, how they read errors and
write outputs (the scan's ``dedup.__main__`` and the index's ``dedup._index_cli`` both use them)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._errors import DedupError, InputError, OutputError, UsageError
from ._output import text_file
from ._read import TEXT_PATTERN
from ._report import SHOWN_ERRORS
from ._settings import Settings, SettingsError, option_specs

__all__ = ["add_input_options", "add_settings_options", "exit_codes", "output_stream", "print_read_errors",
           "reading_options", "settings_from", "warnings_printed", "write_to"]


def add_input_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input")
    group.add_argument("--include", metavar="PATTERN", action="append",
                       help="file name pattern inside a folder, case-insensitive; repeat for more (default: *.txt); "
                            "other files are listed as skipped")
    group.add_argument("--glob", dest="include", action="append", help=argparse.SUPPRESS)  # the older name
    group.add_argument("--encoding", metavar="NAME",
                       help="read text files in this encoding (default: UTF-8 or UTF-16 by BOM, else detected)")
    group.add_argument("--text-field", default="text", metavar="NAME",
                       help="tables: the field that holds the text (default: text)")
    group.add_argument("--id-field", metavar="NAME",
                       help="tables: the field that holds each row's id (default: a field named id, else the row "
                            "number; '' for the row number always)")
    group.add_argument("--config", metavar="FILE", type=Path,
                       help="settings from a TOML file, or a previous --json report's config (its matching "
                            "settings; how to read the input, such as --text-field, is given again); options "
                            "given on the command line win")


def reading_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options that say how to read the input (they do not change the answer)."""
    return {"include": args.include or TEXT_PATTERN, "encoding": args.encoding, "text_field": args.text_field,
            "id_field": args.id_field}


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """One option per ``Settings`` field: names, choices, defaults and help all come from ``Settings``."""
    group = parser.add_argument_group("matching (see dedup.Settings)")
    for name, default, spec in option_specs():
        flag = spec.flag or "--" + name.replace("_", "-")
        # SUPPRESS: only options the user gave override --config and the defaults.
        common: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS}
        if spec.kind is bool:
            # Both ways (--casefold / --no-casefold): a --config file's value can be turned back.
            group.add_argument("--" + name.replace("_", "-"), action=argparse.BooleanOptionalAction,
                               help=f"{spec.doc} ({'on' if default else 'off'} by default)", **common)
        elif spec.choices:
            group.add_argument(flag, choices=spec.choices, help=f"{spec.doc} (default: {default})", **common)
        else:
            kind: Callable[[str], Any] = spec.kind
            group.add_argument(flag, type=kind, metavar=name.upper(), help=f"{spec.doc} (default: {default})", **common)


def settings_from(args: argparse.Namespace) -> Settings:
    base = Settings()
    if args.config:
        try:
            base = Settings.from_file(args.config)
        except SettingsError as exc:
            raise SettingsError(f"--config {exc}") from None
    given = {name: getattr(args, name) for name in Settings.names() if hasattr(args, name)}
    return base.replace(**given)


def _inside(path: object, root: object) -> bool:
    """Whether *path* is *root* or lies under it (as given: no links resolved)."""
    try:
        return Path(os.path.abspath(os.fsdecode(path))).is_relative_to(os.path.abspath(os.fsdecode(root)))  # type: ignore[arg-type]
    except TypeError:  # not a path (a target named in words)
        return False


@contextmanager
def exit_codes(target: object, missing_is_input: bool = False, reading: bool = False) -> Iterator[None]:
    """The errors of a command's file work as ``DedupError``s, which ``main`` reports: a missing
    optional extra exits 1. Writing (the default): a bad argument (``ValueError``) exits 1, a failed
    file operation 3 (naming *target* when the error names no file), a missing file 2 with
    *missing_is_input*. *reading* the input: a file operation that failed on a file exits 2; any other
    error is not the input's and passes unchanged (a traceback is a bug to report). Errors of dedup's
    own pass unchanged, and so does a closed pipe (``main`` handles it)."""
    try:
        yield
    except (DedupError, BrokenPipeError):
        raise
    except ImportError as exc:  # an optional extra the input or output needs (pyarrow for Parquet)
        raise SettingsError(str(exc)) from None
    except ValueError as exc:
        if reading:
            raise
        raise UsageError(str(exc)) from None
    except OSError as exc:
        if reading:
            if exc.filename is None:
                raise  # not a file at all (a lost connection to a cluster, say)
            if _inside(exc.filename, target):  # else a file of dedup's own (a Dask spool): a write that failed
                if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
                    raise InputError(str(exc)) from None
                raise InputError(f"cannot read {exc.filename}: {exc.strerror or exc}") from None
        if missing_is_input and isinstance(exc, FileNotFoundError):
            raise InputError(str(exc)) from None
        raise OutputError(f"cannot write {exc.filename or target}: {exc.strerror or exc}") from None


@contextmanager
def output_stream(target: str) -> Iterator[Any]:
    """A text stream for the output *target*: stdout for ``-``, else one whose text replaces the file whole once
    the block ends without an error (streamed to a temporary file beside it: a report of a million passages
    never sits in memory)."""
    if target == "-":
        yield sys.stdout
        return
    with text_file(target) as text:
        yield text


def write_to(target: str, fill: Callable[[Any], object]) -> None:
    """Call *fill* with ``output_stream(target)``."""
    with output_stream(target) as out:
        fill(out)


@contextmanager
def warnings_printed() -> Iterator[None]:
    """Warnings raised in the block, printed as ``dedup: warning: ...`` once it ends, however it ends."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            yield
        finally:
            for warning in caught:
                print(f"dedup: warning: {warning.message}", file=sys.stderr)


def print_read_errors(errors: Sequence[Any]) -> None:
    """Print each read error (``ReadError``) on stderr, at most ``SHOWN_ERRORS`` of them, then how many more."""
    for error in errors[:SHOWN_ERRORS]:
        print(f"dedup: {error.path}: {error.error}", file=sys.stderr)
    if len(errors) > SHOWN_ERRORS:
        print(f"dedup: ... and {len(errors) - SHOWN_ERRORS:,} more read errors (--json lists every one)",
              file=sys.stderr)
