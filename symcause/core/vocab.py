"""Vocabularies from `schemas/` (the one source of truth) and a fast phrase matcher.

Every synonym list the code uses is read here; nothing is copied into code. Phrase matching
uses an Aho-Corasick automaton (pyahocorasick) over the lower-cased text with whole-word
boundaries and leftmost-longest selection, which runs at several MB/s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick

from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError
from symcause.core.paths import schemas_dir
from symcause.core.yamlfile import load_yaml

_SPACES = re.compile(r"\s+")


def norm_phrase(text: str) -> str:
    """Lower-case, unify apostrophes and collapse whitespace: the key form of a phrase."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return _SPACES.sub(" ", text).strip()


def phrase_variants(phrase: str) -> set[str]:
    """A phrase and its hyphen/space and possessive spelling variants."""
    base = norm_phrase(phrase)
    out = {base}
    if "-" in base:
        out.add(base.replace("-", " "))
    if "'s" in base:
        out.add(base.replace("'s", "s"))
        out.add(base.replace("'s", ""))
    return {v for v in (re.sub(r"\s+", " ", x).strip() for x in out) if v}


class Match(NamedTuple):
    """One phrase found in a text: its span, what kind of phrase it is, the value it stands for, the words as
    written. (A named tuple, not a dataclass: a document makes thousands and a tuple is built fastest.)"""

    start: int
    end: int
    kind: str
    value: str
    surface: str


def _text_order(m: Match) -> tuple[int, int, str, str]:
    """Text order: leftmost first, then longest, then by kind and value."""
    return (m.start, -m.end, m.kind, m.value)


class SubstringProbe:
    """Does a text hold any of some strings anywhere (not only as whole words)? One C pass: a cheap test before
    reading a text word by word."""

    def __init__(self, strings: set[str] | frozenset[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for w in strings:
            self._automaton.add_word(w, w)
        self._empty = not strings
        if strings:
            self._automaton.make_automaton()

    def __call__(self, text: str) -> bool:
        return not self._empty and next(self._automaton.iter(text), None) is not None

    def found(self, text: str) -> set[str]:
        """The strings that occur in the text."""
        return set() if self._empty else {w for _, w in self._automaton.iter(text)}


class PhraseMatcher:
    """Whole-word, case-insensitive, leftmost-longest multi-phrase matcher.

    Each phrase maps to one or more (kind, value) labels. `find` returns non-overlapping
    matches per kind group, so a symptom match and a region match may overlap each other
    but two region matches may not.
    """

    def __init__(self) -> None:
        self._automaton = ahocorasick.Automaton()
        self._labels: dict[str, list[tuple[str, str]]] = {}
        self._label_sets: list[tuple[tuple[str, str], ...]] = []   # the automaton's values index this list
        self._grouped: dict[tuple[tuple[str, str], ...], list[tuple[tuple[str, str, str], ...]]] = {}
        self._built = False

    def add(self, phrase: str, kind: str, value: str) -> None:
        for variant in phrase_variants(phrase):
            labels = self._labels.setdefault(variant, [])
            if (kind, value) not in labels:
                labels.append((kind, value))

    def build(self) -> PhraseMatcher:
        for key, labels in self._labels.items():
            self._automaton.add_word(key, (len(key), len(self._label_sets)))
            self._label_sets.append(tuple(labels))
        if self._labels:
            self._automaton.make_automaton()
        self._built = True
        return self

    def _with_groups(self, groups: dict[str, str] | None) -> list[tuple[tuple[str, str, str], ...]]:
        """Per label set, its (group, kind, value) triples under `groups` (worked out once per groups mapping)."""
        key = tuple(sorted(groups.items())) if groups else ()
        found = self._grouped.get(key)
        if found is None:
            found = [tuple(((groups.get(kind, kind) if groups else kind), kind, value) for kind, value in labels)
                     for labels in self._label_sets]
            self._grouped[key] = found
        return found

    def find(self, lowered: str, original: str | None = None, groups: dict[str, str] | None = None) -> list[Match]:
        """Matches in `lowered` (already lower-cased, same length as `original`).

        `groups` maps kind -> overlap group; kinds in the same group compete for text
        (longest wins), kinds in different groups may overlap. Default: each kind its own group.
        """
        if not self._labels:
            return []
        original = original if original is not None else lowered
        n = len(lowered)
        grouped = self._with_groups(groups)
        by_group: dict[str, list[tuple[int, int, int, str, str]]] = {}
        for end_idx, (length, idx) in self._automaton.iter(lowered):
            start = end_idx - length + 1
            if start > 0:
                before = lowered[start - 1]
                if before.isalnum() or (before == "'" and start > 1 and lowered[start - 2].isalnum()):
                    continue
            end = end_idx + 1
            if end < n and lowered[end].isalnum():
                continue
            for group, kind, value in grouped[idx]:
                cands = by_group.get(group)
                if cands is None:
                    cands = by_group[group] = []
                cands.append((start, -end, len(cands), kind, value))
        out: list[Match] = []
        for cands in by_group.values():
            cands.sort()   # leftmost, then longest, then in the order found
            last_end = -1
            last_span: tuple[int, int] | None = None
            for start, neg_end, _, kind, value in cands:
                end = -neg_end
                if (start, end) == last_span:
                    out.append(Match(start, end, kind, value, original[start:end]))
                    continue
                if start < last_end:
                    continue
                out.append(Match(start, end, kind, value, original[start:end]))
                last_end = end
                last_span = (start, end)
        out.sort(key=_text_order)
        return out


@dataclass(frozen=True)
class LexiconEntry:
    id: str
    name: str
    category: str
    icd10: str | None
    synonyms: tuple[str, ...]
    region: str | None
    age_mean: float | None = None
    age_sd: float | None = None
    female_share: float | None = None
    mimic: bool = False      # vascular / bone / infection / tumour: only sits in the least-bad category


@dataclass
class Vocab:
    regions: dict[str, dict[str, Any]]
    region_coarse: dict[str, str]
    symptoms: dict[str, dict[str, Any]]
    qualities: dict[str, dict[str, Any]]
    factor_groups: dict[str, dict[str, list[str]]]   # group -> value -> phrases (onsets: strong phrases)
    context: dict[str, Any]
    morphology: dict[str, Any]
    categories: dict[str, dict[str, Any]]
    lexicon: dict[str, LexiconEntry]
    lexicon_index: dict[str, str] = field(default_factory=dict)
    weak_onsets: dict[str, list[str]] = field(default_factory=dict)   # onset value -> phrases needing an onset cue
    frequencies: dict[str, dict[str, Any]] = field(default_factory=dict)  # value -> {p, synonyms}
    joint_cues: tuple[str, ...] = ()     # categories.yaml: joint structures (hip or knee decided by region)
    mimic_cues: tuple[str, ...] = ()     # categories.yaml: vascular / bone / infection / tumour stems

    @property
    def region_level(self) -> dict[str, int]:
        """Region -> level from the spine down (0 lower back ... 8 toes), from regions.yaml."""
        return {k: int(v["level"]) for k, v in self.regions.items()}

    @property
    def factor_values(self) -> set[str]:
        return {v for group in self.factor_groups.values() for v in group}


# factors.yaml groups: Version 1 activities / risk factors / red flags, then the Version 2 kinds
FACTOR_GROUPS = ("activities", "risk_factors", "red_flags", "onsets", "exam_findings", "timings", "demographics")


def _check_keys(path: Path, data: Any, key: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise BadInputError(f"{path}: expected a top-level key '{key}'")
    return data[key]


def load_vocab(root: Path | None = None) -> Vocab:
    base = schemas_dir(root)
    vdir = base / "vocab"
    regions = _check_keys(vdir / "regions.yaml", load_yaml(vdir / "regions.yaml"), "regions")
    symptoms = _check_keys(vdir / "symptoms.yaml", load_yaml(vdir / "symptoms.yaml"), "symptoms")
    qualities = _check_keys(vdir / "qualities.yaml", load_yaml(vdir / "qualities.yaml"), "qualities")
    factors = load_yaml(vdir / "factors.yaml")
    context = load_yaml(vdir / "context.yaml")
    morphology = load_yaml(vdir / "morphology.yaml")
    category_file = load_yaml(vdir / "categories.yaml")
    categories = _check_keys(vdir / "categories.yaml", category_file, "categories")
    if tuple(categories) != CATEGORIES:
        raise BadInputError(f"{vdir / 'categories.yaml'}: categories must be exactly {list(CATEGORIES)}")
    region_coarse = {}
    for name, spec in regions.items():
        coarse = spec.get("coarse")
        if coarse not in regions and coarse != "leg":
            raise BadInputError(f"{vdir / 'regions.yaml'}: region '{name}' has unknown coarse '{coarse}'")
        region_coarse[name] = coarse
        level = spec.get("level")
        if not isinstance(level, int) or not 0 <= level <= 20:
            raise BadInputError(f"{vdir / 'regions.yaml'}: region '{name}': level must be a whole number 0-20 "
                                f"(proximal to distal), got {level!r}")
    factor_groups = {group: dict(factors.get(group) or {}) for group in FACTOR_GROUPS}
    onsets = factor_groups.pop("onsets")
    factor_groups["onsets"] = {v: list((spec or {}).get("strong") or []) for v, spec in onsets.items()}
    weak_onsets = {v: list((spec or {}).get("weak") or []) for v, spec in onsets.items()}
    freq_path = vdir / "frequency.yaml"
    frequencies = _check_keys(freq_path, load_yaml(freq_path), "frequencies") if freq_path.exists() else {}
    for value, spec in frequencies.items():
        if not isinstance(spec, dict) or not 0 <= float(spec.get("p", -1)) <= 1:
            raise BadInputError(f"{freq_path}: frequency '{value}' needs a number p between 0 and 1")
    lex_path = base / "conditions.yaml"
    lexicon: dict[str, LexiconEntry] = {}
    index: dict[str, str] = {}
    raw = _check_keys(lex_path, load_yaml(lex_path), "conditions") if lex_path.exists() else []
    for i, item in enumerate(raw or []):
        where = f"{lex_path}: conditions[{i}]"
        try:
            cid = str(item["id"])
            cat = str(item["category"])
        except (KeyError, TypeError) as exc:
            raise BadInputError(f"{where}: missing key {exc}") from exc
        if cat not in CATEGORIES:
            raise BadInputError(f"{where} ({cid}): unknown category '{cat}'")
        region = item.get("region")
        if region is not None and region not in regions:
            raise BadInputError(f"{where} ({cid}): unknown region '{region}'")
        age = item.get("age") or [None, None]
        entry = LexiconEntry(
            id=cid,
            name=str(item.get("name", cid)),
            category=cat,
            icd10=item.get("icd10"),
            synonyms=tuple(str(s) for s in item.get("synonyms") or ()),
            region=region,
            age_mean=age[0],
            age_sd=age[1] if len(age) > 1 else None,
            female_share=item.get("female_share"),
            mimic=bool(item.get("mimic", False)),
        )
        lexicon[cid] = entry
        for phrase in (entry.name, *entry.synonyms):
            for variant in phrase_variants(phrase):
                index.setdefault(variant, cid)
    return Vocab(
        regions=regions,
        region_coarse=region_coarse,
        symptoms=symptoms,
        qualities=qualities,
        factor_groups=factor_groups,
        context=context,
        morphology=morphology,
        categories=categories,
        lexicon=lexicon,
        lexicon_index=index,
        weak_onsets=weak_onsets,
        frequencies=frequencies,
        joint_cues=tuple(norm_phrase(c) for c in category_file.get("joint_cues") or ()),
        mimic_cues=tuple(norm_phrase(c) for c in category_file.get("mimic_cues") or ()),
    )


@lru_cache(maxsize=4)
def cached_vocab(root: str | None = None) -> Vocab:
    return load_vocab(Path(root) if root else None)
