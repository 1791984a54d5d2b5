"""The errors dedup raises on purpose, each with the exit code the command line turns it into.

======  ==================================================================================
 code    meaning
======  ==================================================================================
 0       it ran (duplicates found or not)
 1       usage: a bad option or argument, or an output that would meet the input
         (``UsageError``; ``dedup._settings.SettingsError`` too)
 2       input: the folder is missing, or nothing in it could be read (``InputError``)
 3       output: writing failed (disk full, permission, file size limit) (``OutputError``);
         nothing partial is left behind
 4       integrity: ``restore`` refuses a cleaned folder that does not check out: a file
         differs from its recorded hash, the log is damaged, a path leaves the folder
         (``IntegrityError``)
 130     interrupted (Ctrl-C); nothing partial is left behind
======  ==================================================================================

Every message names what is wrong: the option, the file, and for logs the line.

>>> raise IntegrityError("out/removed.jsonl line 3: not JSON")
Traceback (most recent call last):
...
dedup._errors.IntegrityError: out/removed.jsonl line 3: not JSON
>>> IntegrityError.exit_code, isinstance(IntegrityError("x"), ValueError)
(4, True)
"""

from __future__ import annotations

__all__ = ["EXIT_INTERRUPTED", "EXIT_TERMINATED", "DedupError", "InputError", "IntegrityError", "OutputError", "UsageError"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class DedupError(Exception):
    """Base of the errors dedup raises on purpose; ``exit_code`` is what the command line exits with."""

    exit_code = 1


class UsageError(DedupError, ValueError):
    """A bad argument or option (named in the message), or an output that would meet the input; exit 1.

    A ``ValueError`` too, so code that caught ``ValueError`` before keeps working.
    """

    exit_code = 1


class InputError(DedupError, OSError):
    """The input folder is missing or not a folder, or a cleaned folder is not one; exit 2."""

    exit_code = 2


class OutputError(DedupError, OSError):
    """Writing an output failed; the message names the path and the reason; exit 3.

    Raised only after everything written so far was removed again: an output is there
    whole or not at all.
    """

    exit_code = 3


class IntegrityError(DedupError, ValueError):
    """``restore`` refuses: a file or log does not match what cleaning recorded (file and line named); exit 4."""

    exit_code = 4
