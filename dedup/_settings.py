"""How a run is configured: one frozen ``Settings`` object, validated once, passed to every stage."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import UsageError

if TYPE_CHECKING:
    from ._normalize import Normalizer
    from ._shingle import Shingler

__all__ = ["SETTINGS_VERSION", "Settings", "SettingsError", "option_specs"]

# Bumped when the meaning of a stored settings dict changes (an index file checks it).
SETTINGS_VERSION = 1


class SettingsError(UsageError):
    """A setting has a value it cannot take; the message names the setting and what it accepts (a ``ValueError``)."""


@dataclass(frozen=True)
class _Spec:
    """What one setting accepts: a type, and either a set of choices or a numeric range."""

    kind: type
    doc: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    nullable: bool = False
    flag: str | None = None  # the command-line option, when it differs from --name
    hint: str = ""  # what to do instead, added to an out-of-range error

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is bool:
            return "True or False"
        if self.kind is str:
            return "a string" + (" or None" if self.nullable else "")
        what = "an integer" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            lo, hi = ("(" if self.low_open else "["), (")" if self.high_open else "]")
            what += f" in {lo}{_num(self.low)}, {_num(self.high)}{hi}"
        elif self.low is not None:
            what += f" {'>' if self.low_open else '>='} {_num(self.low)}"
        return what

    def check(self, name: str, value: Any) -> None:
        if value is None and self.nullable:
            return
        ok_type = isinstance(value, bool) if self.kind is bool else (
            (isinstance(value, self.kind) and not isinstance(value, bool))
            or (self.kind is float and isinstance(value, int) and not isinstance(value, bool)))
        if not ok_type:
            raise SettingsError(f"{name} must be {self.allowed()}, not {value!r} ({type(value).__name__})")
        if self.choices and value not in self.choices:
            raise SettingsError(f"{name} must be {self.allowed()}, not {value!r}")
        if self.kind in (int, float):
            if isinstance(value, float) and not math.isfinite(value):
                raise SettingsError(f"{name} must be {self.allowed()}, not {value!r}")
            too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
            too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
            if too_low or too_high:
                raise SettingsError(f"{name} must be {self.allowed()}, not {value!r}" + (self.hint and f"; {self.hint}"))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _opt(default: Any, spec: _Spec) -> Any:
    return field(default=default, metadata={"spec": spec})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every option that changes what a run finds; frozen, validated on creation.

    Options that do not change the answer (file patterns, batch size, progress bars,
    timings) are arguments of the calls, not settings. ``to_dict``/``from_dict`` round-trip
    exactly, so a report's ``config`` repeats a run.

    >>> s = Settings(threshold=0.5)
    >>> (s.bands, s.rows), Settings.from_dict(s.to_dict()) == s
    ((35, 3), True)
    >>> Settings(unit="page")
    Traceback (most recent call last):
    ...
    dedup._settings.SettingsError: unit must be one of 'paragraph', 'sentence', 'document', not 'page'
    """

    unit: str = _opt("paragraph", _Spec(str, "passage unit: each non-empty line, each sentence, or each whole "
                                             "document", choices=("paragraph", "sentence", "document")))
    threshold: float = _opt(0.6, _Spec(float, "Jaccard similarity of shingle sets at which two passages are near "
                                              "duplicates", low=0.0, high=1.0, low_open=True, high_open=True,
                                              hint="exact duplicates are found at any threshold: to remove only "
                                                   "them, clean at level 'exact' (--level exact)"))
    shingle: str = _opt("char:5", _Spec(str, "shingles: char:N (N characters), word:N (N words, jieba for Chinese) "
                                             "or mixed:N (N tokens: one Han character or one Latin word)"))
    user_dict: str | None = _opt(None, _Spec(str, "jieba user dictionary file for word shingles", nullable=True))
    casefold: bool = _opt(True, _Spec(bool, "compare case-insensitively", flag="--no-casefold"))
    punctuation: bool = _opt(False, _Spec(bool, "ignore punctuation when comparing"))
    digits: bool = _opt(False, _Spec(bool, "treat all digits as equal when comparing"))
    traditional: bool = _opt(False, _Spec(bool, "fold Traditional Chinese to Simplified when comparing "
                                                "(needs: pip install 'dedup[zh]')"))
    repair_breaks: bool = _opt(False, _Spec(bool, "join paragraphs cut mid-sentence by a page break before matching"))
    min_chars: int = _opt(8, _Spec(int, "passages shorter than this (normalised) only match exactly", low=1))
    max_chars: int = _opt(1_000_000, _Spec(int, "longer passages (normalised) only match exactly", low=1))
    num_perm: int = _opt(128, _Spec(int, "MinHash signature length", low=2, high=4096))
    seed: int = _opt(1, _Spec(int, "MinHash seed", low=0, high=2**64 - 1))
    max_bucket: int = _opt(100, _Spec(int, "an LSH bucket of more members is linked as a star around its first "
                                           "member, not all pairs", low=2))
    verify: bool = _opt(True, _Spec(bool, "verify every candidate by its exact shingle sets (off: report MinHash "
                                          "estimates, for comparison)", flag="--no-verify"))
    containment: bool = _opt(True, _Spec(bool, "search for passages lying inside longer ones (without the search, a "
                                               "pair the near-duplicate search finds is still called contained when "
                                               "one side lies inside the other)", flag="--no-containment"))
    contained_ratio: float = _opt(0.8, _Spec(float, "share of a passage's shingles found in another at which it "
                                                    "counts as contained", low=0.0, high=1.0, low_open=True))
    extra_block_chars: int = _opt(40, _Spec(int, "a near pair is reported as contained when the longer side carries "
                                                 "an extra block of at least this many characters", low=1))
    own_block_chars: int = _opt(20, _Spec(int, "a passage is contained in another only when it carries no block of its "
                                               "own of at least this many characters (a run the other lacks): a short "
                                               "document sharing only a header with a long one is not inside it", low=1))
    keep: str | Callable[[Any], Any] = _opt("first", _Spec(str, "which passage of a cluster is kept: the first "
                                                                "in corpus order or the longest",
                                                           choices=("first", "longest")))
    clusters: str = _opt("centres", _Spec(str, "centres: every member is a verified duplicate of the passage its "
                                               "cluster keeps; components: transitive groups of pairs",
                                          choices=("centres", "components")))
    boilerplate: str = _opt("mark", _Spec(str, "short lines recurring across documents (mastheads): report them "
                                               "apart (mark), leave them out of matching (ignore), or also remove "
                                               "them when cleaning (remove)", choices=("mark", "ignore", "remove")))
    boilerplate_chars: int = _opt(32, _Spec(int, "boilerplate lines have at most this many normalised characters",
                                            low=1))
    boilerplate_docs: int = _opt(2, _Spec(int, "boilerplate lines recur in at least this many documents", low=2))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "keep" and callable(value):
                continue
            if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:  # np.int64(5): stored as 5
                value = value.item()
                object.__setattr__(self, f.name, value)
            f.metadata["spec"].check(f.name, value)
        if self.user_dict is not None and not self.user_dict.strip():
            raise SettingsError("user_dict must name a jieba dictionary file, or be None, not an empty string")
        if self.max_chars < self.min_chars:
            raise SettingsError(f"max_chars ({self.max_chars}) must be at least min_chars ({self.min_chars})")
        kind, _, n = self.shingle.partition(":")
        if kind not in ("char", "word", "mixed") or not n.isdigit() or int(n) < 1:
            raise SettingsError(f"shingle must look like 'char:5', 'word:2' or 'mixed:4' (a kind and a positive "
                                f"size), not {self.shingle!r}")
        if self.traditional:
            try:
                import opencc  # noqa: F401
            except ImportError:
                raise SettingsError("traditional=True needs OpenCC: pip install 'dedup[zh]'") from None

    # ------------------------------------------------------------------ derived values
    @cached_property
    def shingle_kind(self) -> str:
        """``char``, ``word`` or ``mixed``."""
        return self.shingle.partition(":")[0]

    @cached_property
    def shingle_size(self) -> int:
        """Tokens per shingle."""
        return int(self.shingle.partition(":")[2])

    @cached_property
    def bands(self) -> int:
        """LSH bands, chosen from the threshold and signature length (see ``optimal_params``)."""
        return self._banding[0]

    @cached_property
    def rows(self) -> int:
        """Signature bins per LSH band."""
        return self._banding[1]

    @cached_property
    def _banding(self) -> tuple[int, int]:
        from ._lsh import optimal_params

        return optimal_params(self.threshold, self.num_perm)

    @cached_property
    def normalizer(self) -> Normalizer:
        """The ``Normalizer`` these settings describe (spaces kept between words for word shingles)."""
        from ._normalize import Normalizer

        return Normalizer(casefold=self.casefold, punctuation=self.punctuation, digits=self.digits,
                          traditional=self.traditional, keep_spaces=self.shingle_kind != "char")

    @cached_property
    def shingler(self) -> Shingler:
        """The ``Shingler`` these settings describe."""
        from ._shingle import Shingler

        return Shingler(self.shingle_kind, self.shingle_size, self.user_dict)  # type: ignore[arg-type]

    def __getstate__(self) -> dict[str, Any]:
        # Only the settings travel (to workers, into files); derived objects are made again there.
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ conversions
    def replace(self, **changes: Any) -> Settings:
        """A copy with *changes*, validated again.

        >>> Settings().replace(threshold=0.7).threshold
        0.7
        """
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise SettingsError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(self.names())}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def names(cls) -> list[str]:
        """The names of all settings, in declaration order."""
        return [f.name for f in dataclasses.fields(cls)]

    def to_dict(self) -> dict[str, Any]:
        """Every setting as plain JSON data (a keep key function is named ``"key:<name>"``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if callable(self.keep):
            out["keep"] = f"key:{getattr(self.keep, '__qualname__', type(self.keep).__name__)}"
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Settings from ``to_dict`` output (or a report's ``config``); unknown keys are an error.

        >>> Settings.from_dict({"threshold": 0.5, "colour": "red"})
        Traceback (most recent call last):
        ...
        dedup._settings.SettingsError: unknown setting(s) colour; known: unit, threshold, shingle, user_dict, casefold, punctuation, digits, traditional, repair_breaks, min_chars, max_chars, num_perm, seed, max_bucket, verify, containment, contained_ratio, extra_block_chars, own_block_chars, keep, clusters, boilerplate, boilerplate_chars, boilerplate_docs
        """
        if not isinstance(data, Mapping):
            raise SettingsError(f"settings must be a mapping of names to values, not {type(data).__name__}")
        values = dict(data)
        keep = values.get("keep")
        if isinstance(keep, str) and keep.startswith("key:"):
            raise SettingsError(f"keep={keep!r} was a key function; pass the function itself as keep=")
        return cls().replace(**values)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Settings:
        """Settings from a TOML file (settings as top-level keys, or a ``[settings]`` table) or a ``--json`` report
        (its ``config``); ``SettingsError`` naming the file for anything else.

        >>> import pathlib, tempfile
        >>> toml = pathlib.Path(tempfile.mkdtemp()) / "dedup.toml"
        >>> _ = toml.write_text("[settings]\\nthreshold = 0.5\\nunit = 'sentence'\\n", "utf-8")
        >>> (Settings.from_file(toml).threshold, Settings.from_file(toml).unit)
        (0.5, 'sentence')
        """
        import json
        import tomllib

        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SettingsError(f"{path}: {exc.strerror or exc}") from None
        try:
            if path.suffix.lower() == ".json":
                report = json.loads(data)
                values = report.get("config") if isinstance(report, dict) else None
                if not isinstance(values, dict):
                    raise SettingsError(f"{path}: a JSON config must be a dedup report with a 'config' object")
            else:
                values = tomllib.loads(data.decode("utf-8"))
                if isinstance(values.get("settings"), dict):
                    others = sorted(key for key in values if key != "settings")
                    if others:  # they were dropped without a word
                        raise SettingsError(f"{path}: {', '.join(others)} outside the [settings] table: put every "
                                            f"setting in it, or none")
                    values = values["settings"]
        except (ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, SettingsError):
                raise
            raise SettingsError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}"
                                ) from None
        try:
            return cls.from_dict(values)
        except SettingsError as exc:
            raise SettingsError(f"{path}: {exc}") from None


def option_specs() -> list[tuple[str, Any, _Spec]]:
    """``(name, default, spec)`` of every setting, for building a command line from one source."""
    return [(f.name, f.default, f.metadata["spec"]) for f in dataclasses.fields(Settings)]


def _settings_doc() -> str:
    """The settings, each with its default, what it does and what it takes: ``help(Settings)`` shows them as the
    command line's ``--help`` does (both from the one declaration)."""
    lines = ["", "", "    The settings (name = default: what it does; what it takes):", ""]
    for name, default, spec in option_specs():
        shown = default.__name__ if callable(default) else repr(default)
        lines.append(f"    - ``{name}`` = {shown}: {spec.doc}; {spec.allowed()}")
    return "\n".join(lines) + "\n    "


Settings.__doc__ = (Settings.__doc__ or "").rstrip() + _settings_doc()
