"""``python -m dedup``: parse the command line, call the library, turn its errors into exit codes.

Exit codes: 0 it ran (duplicates found or not); 1 usage error; 2 no input could be read.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ._clean import LEVELS, SCOPES, clean
from ._explain import explain, find_passage, render
from ._find import find_duplicates
from ._normalize import Normalizer
from ._output import atomic_write, check_outside, restore_folder, write_cleaned
from ._report import write_json, write_text_report
from ._segment import UNITS
from ._shingle import Shingler, parse_shingle

__all__ = ["main"]

USAGE_ERROR, NO_INPUT = 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise SystemExit(_fail(f"{message} (see --help)", USAGE_ERROR))


def _fail(message: str, code: int) -> int:
    print(f"dedup: error: {message}", file=sys.stderr)
    return code


def _scan_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dedup", description="Find near-duplicate passages under FOLDER and report them. "
                "Other commands: 'dedup explain FOLDER FILE:LINE FILE:LINE', 'dedup restore CLEANED_DIR --out DIR'.")
    p.add_argument("folder", type=Path, help="folder of text files (searched recursively)")
    p.add_argument("--json", metavar="FILE", help="write the machine-readable report to FILE ('-' for stdout)")
    p.add_argument("--clean", metavar="OUTDIR", type=Path, help="write the cleaned corpus and removed.jsonl to OUTDIR")
    p.add_argument("--force", action="store_true", help="allow --clean to write into a non-empty OUTDIR")
    p.add_argument("--spans", action="store_true", help="add shared spans and document overlaps to --json")
    _add_matching(p)
    p.add_argument("--scope", choices=SCOPES, default="corpus",
                   help="remove duplicates across the corpus or only within each document (default: corpus)")
    p.add_argument("--level", choices=list(LEVELS), default="near",
                   help="what is removed: exact, near (exact+near), contained (also passages inside a kept one) "
                        "or span (also repeated spans inside passages) (default: near)")
    p.add_argument("--boilerplate", choices=("mark", "ignore", "remove"), default="mark",
                   help="short lines recurring across documents (mastheads): report them apart (mark), leave them "
                        "out of matching (ignore), or also remove them with --clean (remove) (default: mark)")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no text report")
    return p


def _add_matching(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", choices=UNITS, default="paragraph", help="passage unit (default: paragraph)")
    p.add_argument("--threshold", type=float, default=0.6, help="Jaccard similarity for near duplicates (0.6)")
    p.add_argument("--shingle", default="char:5", help="char:N or word:N (default: char:5)")
    p.add_argument("--num-perm", type=int, default=128, help="MinHash signature length (default: 128)")
    p.add_argument("--seed", type=int, default=1, help="MinHash seed (default: 1)")
    p.add_argument("--keep", choices=("first", "longest"), default="first",
                   help="which passage of a cluster is kept (default: first in corpus order)")
    p.add_argument("--glob", default="*.txt", help="file name pattern (default: *.txt)")
    p.add_argument("--min-chars", type=int, default=8,
                   help="shorter passages (normalised) only match exactly (default: 8)")
    p.add_argument("--no-verify", action="store_true", help="report LSH estimates without exact verification")
    p.add_argument("--no-containment", action="store_true",
                   help="skip the search for passages lying inside others (about halves the time on large corpora)")
    p.add_argument("--repair-breaks", action="store_true",
                   help="join paragraphs cut mid-sentence by a page break before matching")
    p.add_argument("--punctuation", action="store_true", help="ignore punctuation when comparing")
    p.add_argument("--digits", action="store_true", help="treat all digits as equal when comparing")
    p.add_argument("--traditional", action="store_true",
                   help="fold Traditional Chinese to Simplified when comparing (needs: pip install 'dedup[zh]')")
    p.add_argument("--no-casefold", action="store_true", help="compare case-sensitively")
    p.add_argument("--user-dict", metavar="FILE", help="jieba user dictionary for --shingle word:N")


def _matching(args: argparse.Namespace) -> dict[str, object]:
    shingler = parse_shingle(args.shingle)
    if args.user_dict:
        shingler = Shingler(shingler.kind, shingler.n, args.user_dict)
    normalizer = Normalizer(casefold=not args.no_casefold, punctuation=args.punctuation, digits=args.digits,
                            traditional=args.traditional)
    return {"unit": args.unit, "threshold": args.threshold, "shingle": shingler, "num_perm": args.num_perm,
            "seed": args.seed, "keep": args.keep, "glob": args.glob, "min_chars": args.min_chars,
            "verify": not args.no_verify, "normalizer": normalizer, "repair_breaks": args.repair_breaks,
            "containment": not args.no_containment,
            "boilerplate": "ignore" if getattr(args, "boilerplate", "mark") == "ignore" else "mark"}


def _explain_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dedup explain", description="Explain why two passages match (or do not).")
    p.add_argument("folder", type=Path, help="the corpus folder")
    p.add_argument("a", help="first passage as FILE:LINE (as the report prints it)")
    p.add_argument("b", help="second passage as FILE:LINE")
    _add_matching(p)
    return p


def _restore_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dedup restore", description="Rebuild the original files from a folder written by --clean.")
    p.add_argument("cleaned", type=Path, help="folder written by 'dedup FOLDER --clean OUTDIR'")
    p.add_argument("--out", type=Path, required=True, help="folder to write the original files to")
    p.add_argument("--force", action="store_true", help="allow writing into a non-empty folder")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["restore"]:
            return _restore(_restore_parser().parse_args(args[1:]))
        if args[:1] == ["explain"]:
            return _explain(_explain_parser().parse_args(args[1:]))
        return _scan(_scan_parser().parse_args(args))
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    except BrokenPipeError:
        # The reader (e.g. `head`) went away: not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter from complaining at exit
        return 0


def _scan(args: argparse.Namespace) -> int:
    progress = not args.quiet and sys.stderr.isatty()
    try:
        cleaned = clean(args.folder, level=args.level, scope=args.scope, progress=progress,
                        remove_boilerplate=args.boilerplate == "remove", **_matching(args))
    except (FileNotFoundError, NotADirectoryError) as exc:
        return _fail(str(exc), NO_INPUT)
    except (ValueError, TypeError, ImportError) as exc:
        return _fail(str(exc), USAGE_ERROR)
    except OSError as exc:
        return _fail(f"{args.folder}: {exc.strerror or exc}", NO_INPUT)
    result = cleaned.result
    for error in result.errors:
        print(f"dedup: {error.path}: {error.error}", file=sys.stderr)
    if not result.documents:
        why = "none could be read" if result.errors else f"no files match {args.glob!r}"
        return _fail(f"{args.folder}: no text to work on ({why})", NO_INPUT)
    try:
        if args.json not in (None, "-"):
            check_outside(Path(args.json), args.folder)
        if args.clean is not None:
            write_cleaned(cleaned, args.folder, args.clean, args.force)
        if args.json == "-":
            write_json(result, sys.stdout, args.spans)
        elif args.json:
            buffer = io.StringIO()
            write_json(result, buffer, args.spans)
            atomic_write(Path(args.json), buffer.getvalue().encode("utf-8"))
    except ValueError as exc:
        return _fail(str(exc), USAGE_ERROR)
    except BrokenPipeError:
        raise  # the reader went away; main() handles it
    except OSError as exc:
        return _fail(f"cannot write {exc.filename or 'output'}: {exc.strerror or exc}", USAGE_ERROR)
    if not args.quiet and args.json != "-":
        write_text_report(cleaned, sys.stdout)
    return 0


def _explain(args: argparse.Namespace) -> int:
    try:
        result = find_duplicates(args.folder, **_matching(args))  # type: ignore[arg-type]
        explanation = explain(result, find_passage(result, args.a), find_passage(result, args.b))
    except (FileNotFoundError, NotADirectoryError) as exc:
        return _fail(str(exc), NO_INPUT)
    except (ValueError, ImportError) as exc:
        return _fail(str(exc), USAGE_ERROR)
    sys.stdout.write(render(explanation, colour=sys.stdout.isatty()))
    return 0


def _restore(args: argparse.Namespace) -> int:
    try:
        written = restore_folder(args.cleaned, args.out, args.force)
    except FileNotFoundError as exc:
        return _fail(str(exc), NO_INPUT)
    except ValueError as exc:
        return _fail(str(exc), USAGE_ERROR)
    except OSError as exc:
        return _fail(f"cannot write {exc.filename or args.out}: {exc.strerror or exc}", USAGE_ERROR)
    print(f"restored {written} files into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
