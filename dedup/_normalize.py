"""Normalise passage text for comparison; the user's text itself is never changed."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Normalizer", "normalize"]


def _punctuation_table() -> dict[int, None]:
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)).startswith("P")}


def _digit_table() -> dict[int, str]:
    return {cp: "0" for cp in range(sys.maxunicode + 1) if chr(cp).isdecimal()}


def _traditional_to_simplified() -> Callable[[str], str]:
    try:
        import opencc
    except ImportError as exc:
        raise ImportError("Traditional-to-Simplified folding needs OpenCC: pip install 'dedup[zh]'") from exc
    # Taiwan-standard phrases too (資訊 -> 信息, 軟體 -> 软件), not only characters.
    return opencc.OpenCC("tw2sp").convert


@dataclass(frozen=True)
class Normalizer:
    """Options for normalisation; call it on a text to get the comparison form.

    Always: Unicode NFKC (full-width to half-width) and removal of whitespace
    (``keep_spaces`` keeps one space between words instead, for word shingles).
    Options: ``casefold``, remove ``punctuation`` (Unicode category P*),
    fold every decimal ``digits`` to 0, fold ``traditional`` Chinese to Simplified
    (OpenCC ``tw2sp``: characters and Taiwan vocabulary such as 資訊 -> 信息).

    >>> Normalizer()("Ｈｅｌｌｏ，\\t世界 ！")
    'hello,世界!'
    >>> Normalizer(punctuation=True, digits=True)("2017年，增长6.6％")
    '0000年增长00'
    """

    casefold: bool = True
    punctuation: bool = False
    digits: bool = False
    traditional: bool = False
    keep_spaces: bool = False

    def __post_init__(self) -> None:
        # Translation tables are built once per normaliser, not per call.
        table: dict[int, str | None] = {}
        if self.punctuation:
            table.update(_punctuation_table())
        if self.digits:
            table.update(_digit_table())
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_t2s", _traditional_to_simplified() if self.traditional else None)

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        if self._t2s is not None:  # type: ignore[attr-defined]
            text = self._t2s(text)  # type: ignore[attr-defined]
        if self.casefold:
            text = text.casefold()
        if self._table:  # type: ignore[attr-defined]
            text = text.translate(self._table)  # type: ignore[attr-defined]
        return " ".join(text.split()) if self.keep_spaces else "".join(text.split())


def normalize(text: str, **options: bool) -> str:
    """Return the comparison form of *text* (see ``Normalizer`` for the options).

    >>> normalize("全国工业和信息化工作会议（北京）")
    '全国工业和信息化工作会议(北京)'
    """
    return Normalizer(**options)(text)
