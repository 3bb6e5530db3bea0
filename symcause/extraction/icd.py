"""ICD-10-CM lookup for condition names that the lexicon does not code.

simple-icd-10-cm ships the tabular list offline but no search, so this module indexes the
descriptions and inclusion terms of the chapters that matter for leg pain (musculoskeletal,
nerve, injury, vascular, congenital) and ranks codes by IDF-weighted word coverage. The
index is cached as JSON (a few hundred kB), so building it (several seconds) happens once per machine.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import simple_icd_10_cm as cm

_STOP = {"of", "the", "and", "or", "in", "on", "a", "an", "to", "with", "without", "other", "unspecified",
         "site", "region", "syndrome", "disorder", "disorders", "due", "for", "by", "as", "not", "elsewhere",
         "classified", "nos", "at", "from", "s", "side", "limb", "lower", "leg", "pain"}
_PREFIXES = ("M", "G54", "G55", "G56", "G57", "G58", "G59", "G62", "G63", "G83.4", "S32", "S33", "S34", "S70",
             "S71", "S72", "S73", "S74", "S76", "S80", "S82", "S83", "S84", "S86", "S92", "S93", "S96",
             "I73", "I80", "I82", "Q65", "Q66", "Q68", "Q72", "Q74", "R26", "R29", "M21", "L03")
_SYN = {"tendinopathy": "tendinitis", "tendonitis": "tendinitis", "tendinosis": "tendinitis",
        "herniated": "displacement", "herniation": "displacement", "bulging": "displacement",
        "slipped": "displacement", "disk": "disc", "knee": "knee", "kneecap": "patella",
        "patellar": "patella", "hamstring": "thigh", "quadriceps": "thigh", "calf": "leg",
        "osteoarthritis": "osteoarthritis", "arthrosis": "osteoarthritis", "meniscal": "meniscus",
        "lumbar": "lumbar", "lumbosacral": "lumbosacral", "sciatic": "sciatic", "peroneal": "peroneal",
        "fibular": "peroneal", "trochanteric": "trochanteric", "bursitis": "bursitis", "tear": "tear",
        "torn": "tear", "rupture": "tear", "strain": "strain", "pulled": "strain", "neuropathy": "lesion",
        "entrapment": "lesion", "neuroma": "lesion", "impingement": "impingement", "spur": "spur"}


def _stem(word: str) -> str:
    word = word.lower().strip("'")
    word = _SYN.get(word, word)
    for suffix in ("ies", "es", "s"):
        if len(word) > 4 and word.endswith(suffix) and not word.endswith(("ss", "is", "us")):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def tokens(text: str) -> list[str]:
    return [s for s in (_stem(w) for w in re.findall(r"[A-Za-z][A-Za-z']+", text)) if s not in _STOP and len(s) > 1]


def _cache_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "symcause"
    return base / f"icd10cm-index-{version('simple-icd-10-cm')}-v2.json"


def build_index() -> list[tuple[str, str, list[str]]]:
    rows: list[tuple[str, str, list[str]]] = []
    for code in cm.get_all_codes(with_dots=True):
        if not code.startswith(_PREFIXES) or cm.is_chapter_or_block(code) or cm.is_extended_subcategory(code):
            continue
        desc = cm.get_description(code)
        terms = [desc, *cm.get_inclusion_term(code)]
        rows.append((code, desc, sorted(set(tokens(" ".join(terms))))))
    return rows


@lru_cache(maxsize=1)
def load_index() -> tuple[list[tuple[str, str, list[str]]], dict[str, float]]:
    path = _cache_file()
    rows: list[tuple[str, str, list[str]]]
    try:
        rows = [tuple(r) for r in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        rows = build_index()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(rows), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass
    df = Counter(t for _, _, toks in rows for t in toks)
    n = len(rows)
    idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
    return rows, idf


@lru_cache(maxsize=1)
def _postings() -> dict[str, tuple[int, ...]]:
    """word -> the index rows whose description or inclusion terms hold it."""
    rows, _ = load_index()
    out: dict[str, list[int]] = {}
    for i, (_, _, toks) in enumerate(rows):
        for t in set(toks):
            out.setdefault(t, []).append(i)
    return {t: tuple(v) for t, v in out.items()}


@lru_cache(maxsize=4096)
def lookup(name: str, min_coverage: float = 0.8, site: str | None = None) -> tuple[str, str] | None:
    """Best (code, description) for a condition name, or None when nothing covers it well.

    Coverage is the IDF-weighted share of the name's words found in a code's description or
    inclusion terms; ties prefer a description that names `site` (the joint the article places the
    condition in: "Loose body" in a knee article is "Loose body in knee", not "... in ankle"), then
    "unspecified" variants, then shorter descriptions.
    """
    site_tok = _stem(site.lower()) if site else None
    q = set(tokens(name))
    if not q:
        return None
    rows, idf = load_index()
    default = max(idf.values()) if idf else 1.0
    total = sum(idf.get(t, default) for t in q)
    best: tuple[float, bool, bool, int, str, str] | None = None
    postings = _postings()
    candidates = sorted({i for t in q for i in postings.get(t, ())})   # rows that share a word with the name
    for i in candidates:
        code, desc, toks = rows[i]
        hit = q.intersection(toks)
        if not hit:
            continue
        cov = sum(idf.get(t, default) for t in hit) / total
        if cov < min_coverage:
            continue
        key = (cov, site_tok is not None and site_tok in toks, "unspecified" in desc.lower(), -len(toks), code, desc)
        if best is None or key > best:
            best = key
    if best is None:
        return None
    return leaf_code(best[4]), best[5]


def leaf_code(code: str) -> str:
    """Descend from a category to its unspecified (or first) billable leaf."""
    while not cm.is_leaf(code):
        kids = [k for k in cm.get_children(code) if not cm.is_extended_subcategory(k)]
        if not kids:
            break
        unspecified = [k for k in kids if "unspecified" in cm.get_description(k).lower()]
        code = (unspecified or kids)[0]
    return code


def describe(code: str) -> str | None:
    return cm.get_description(code) if cm.is_valid_item(code) else None
