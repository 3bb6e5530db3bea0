"""Stage `generate`: fact tables -> synthetic patient vignettes (the `vignettes` table).

    python -m pipeline.generate [--params params.yaml]
    symcause generate --facts DIR --n N --seed S --out FILE

Every statement in a vignette comes from a fact of its condition (listed in `fact_ids`),
except declared distractors and generic negatives (`distractors`, `negated_findings`). A
condition is drawn balanced over the six categories, then some of its symptom-region facts,
pain qualities, factors, demographics and optionally a red flag, and the case is written in
one of three voices with lay or clinical wording from `schemas/vocab/`.

Batches are independent (each has its own RNG seeded from the seed and the batch number), so
the output is the same for any batch scheduling and any number of workers; rows are written
to Parquet one row group per batch, so memory is bounded by the batch size.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from pipeline import find_project_root
from pipeline.errors import BadInputError
from pipeline.io import atomic_dir, atomic_path
from pipeline.vocab import CATEGORIES, Vocab, cached_vocab, load_yaml

STYLES = ("lay", "clinical", "third_person")
DIFFICULTIES = ("easy", "medium", "hard")
SPLITS = ("train", "val", "test")


# ---------------------------------------------------------------------------------------------
# settings and profiles


@dataclass(frozen=True)
class GenSettings:
    styles: dict[str, float]
    difficulty: dict[str, float]
    name_rate: float = 0.05
    red_flag_rate: float = 0.08
    negation_rate: dict[str, float] = field(default_factory=lambda: {"easy": 0.2, "medium": 0.4, "hard": 0.6})
    distractor_rate: dict[str, float] = field(default_factory=lambda: {"easy": 0.05, "medium": 0.3, "hard": 0.6})
    vague_region_rate: dict[str, float] = field(default_factory=lambda: {"easy": 0.0, "medium": 0.2, "hard": 0.5})
    splits: dict[str, float] = field(default_factory=lambda: {"train": 0.8, "val": 0.1, "test": 0.1})
    holdout_conditions: tuple[str, ...] = ()
    min_confidence: float = 0.3
    age_mean: float = 48.0
    age_sd: float = 17.0
    age_min: int = 18
    age_max: int = 90
    female_share: float = 0.5
    filler_rate: float = 0.3
    self_report_rate: float = 0.6
    site_weights: tuple[float, float, float] = (3.0, 2.0, 1.0)  # fact at the condition's site, same coarse region, elsewhere


@dataclass
class Profile:
    condition_id: str
    name: str
    category: str
    facts: list[tuple[str, str, str, str | None]]          # (fact_id, symptom, region, quality)
    weights: list[float]                                     # how strongly each fact speaks for the condition
    negated: list[tuple[str, str, str]]                      # (fact_id, symptom, region)
    aggravating: list[tuple[str, str]]                       # (fact_id, factor)
    relieving: list[tuple[str, str]]
    risk: list[tuple[str, str]]
    self_risk: list[tuple[str, str]]                         # risk factors that name the condition ("flat feet")
    red_flags: list[tuple[str, str]]
    age_mean: float
    age_sd: float
    female_share: float
    pain_facts: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    generic_negatives: tuple[str, ...] = ()


_GENERIC_NEGATIVES = ("numbness", "tingling", "weakness", "swelling", "locking", "clicking", "instability", "stiffness")


def build_profiles(conditions: pd.DataFrame, facts: pd.DataFrame, factors: pd.DataFrame, vocab: Vocab,
                   s: GenSettings) -> list[Profile]:
    """One profile per condition that has at least one usable positive fact (sorted by id)."""
    facts = facts[facts.confidence >= s.min_confidence]
    factors = factors[(factors.confidence >= s.min_confidence) & ~factors.negated]
    pos = facts[~facts.negated].sort_values("fact_id")
    neg = facts[facts.negated].sort_values("fact_id")
    fac = factors.sort_values("fact_id")
    by_pos = {k: g for k, g in pos.groupby("condition_id", sort=True)}
    by_neg = {k: g for k, g in neg.groupby("condition_id", sort=True)}
    by_fac = {k: g for k, g in fac.groupby("condition_id", sort=True)}
    out = []
    for r in conditions.sort_values("condition_id").itertuples():
        p = by_pos.get(r.condition_id)
        if p is None or p.empty:
            continue
        seen: dict[tuple[str, str, Any], str] = {}
        support: dict[tuple[str, str, Any], list[float]] = {}
        for f in p.itertuples():
            q = f.quality if isinstance(f.quality, str) else None
            seen.setdefault((f.symptom, f.region, q), f.fact_id)
            support.setdefault((f.symptom, f.region, q), []).append(float(f.confidence))
        home = r.region if isinstance(getattr(r, "region", None), str) else None
        ordered = sorted(seen.items(), key=lambda x: x[1])
        g = by_fac.get(r.condition_id, fac.iloc[0:0])
        lex = vocab.lexicon.get(r.condition_id)

        def kind(k: str, g: pd.DataFrame = g, scopes: tuple[str, ...] = ("sentence", "condition")
                 ) -> list[tuple[str, str]]:
            sel = g[g.kind == k]
            firsts: dict[str, str] = {}
            for fid, fv, scope in zip(sel.fact_id, sel.factor, sel.scope):
                if k != "red_flag" and scope not in scopes:
                    continue
                firsts.setdefault(fv, fid)
            return [(fid, fv) for fv, fid in sorted(firsts.items())]

        nrows = by_neg.get(r.condition_id)
        negs: dict[tuple[str, str], str] = {}
        if nrows is not None:
            for f in nrows.itertuples():
                negs.setdefault((f.symptom, f.region), f.fact_id)
        out.append(Profile(
            condition_id=r.condition_id, name=r.name, category=r.category,
            facts=[(fid, sym, reg, q) for (sym, reg, q), fid in ordered],
            weights=[fact_weight(support[key], key[1], home, vocab.region_coarse, s.site_weights) for key, _ in ordered],
            negated=[(fid, sym, reg) for (sym, reg), fid in sorted(negs.items(), key=lambda x: x[1])],
            aggravating=kind("aggravating"), relieving=kind("relieving"), risk=kind("risk_factor"),
            self_risk=kind("risk_factor", scopes=("condition",)),
            red_flags=kind("red_flag"),
            age_mean=float(lex.age_mean) if lex and lex.age_mean else s.age_mean,
            age_sd=float(lex.age_sd) if lex and lex.age_sd else s.age_sd,
            female_share=float(lex.female_share) if lex and lex.female_share is not None else s.female_share,
        ))
    return out


def fact_weight(confidences: list[float], region: str, home: str | None, coarse: dict[str, str],
                site_weights: tuple[float, float, float] = (3.0, 2.0, 1.0)) -> float:
    """Sampling weight of a symptom-region fact: its best confidence, more when several sentences
    state it, times site_weights[0] when it is at the condition's own site, [1] in the same coarse
    region, [2] elsewhere (an article about radiating pain mentions far-away regions often; a patient
    mentions the site first)."""
    w = max(confidences) * (1.0 + 0.25 * min(len(confidences) - 1, 4))
    if home:
        if region == home:
            w *= site_weights[0]
        elif coarse.get(region, region) == coarse.get(home, home):
            w *= site_weights[1]
        else:
            w *= site_weights[2]
    return round(w, 6)


def weighted_sample(r: random.Random, items: list[Any], weights: list[float], k: int) -> list[Any]:
    """k items without replacement, item i with probability proportional to weights[i]
    (Efraimidis-Spirakis keys u ** (1 / w))."""
    keyed = sorted(((r.random() ** (1.0 / w) if w > 0 else 0.0, i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _, i in keyed[:k]]


# ---------------------------------------------------------------------------------------------
# wording


@dataclass
class Wording:
    region_lay: dict[str, list[str]]
    region_clin: dict[str, list[str]]
    region_coarse: dict[str, str]
    symptom_np: dict[str, list[str]]
    symptom_clause: dict[str, list[str]]
    symptom_clin: dict[str, list[str]]
    neg_lay: dict[str, list[str]]
    neg_clin: dict[str, list[str]]
    quality_lay: dict[str, list[str]]
    quality_clin: dict[str, list[str]]
    factor_lay: dict[str, list[str]]
    factor_clin: dict[str, list[str]]
    risk_lay: dict[str, list[str]]
    risk_clin: dict[str, list[str]]
    red_lay: dict[str, list[str]]
    red_clin: dict[str, list[str]]
    durations_lay: list[str]
    durations_clin: list[str]
    distractors_lay: list[str]
    distractors_clin: list[str]
    symptom_words: dict[str, list[str]]
    t: dict[str, dict[str, list[str]]]  # voice -> slot -> sentence templates (schemas/vocab/templates.yaml)


def load_wording(vocab: Vocab, root: Path | None = None) -> Wording:
    vocab_dir = (root or find_project_root()) / "schemas" / "vocab"
    ph = load_yaml(vocab_dir / "phrases.yaml")
    templates = load_yaml(vocab_dir / "templates.yaml")
    _check_strings(ph, str(vocab_dir / "phrases.yaml"))
    _check_strings(templates, str(vocab_dir / "templates.yaml"))
    for voice, slots in _REQUIRED_SLOTS.items():
        for slot in slots:
            if not (templates.get(voice) or {}).get(slot):
                raise BadInputError(f"{vocab_dir / 'templates.yaml'}: {voice}.{slot}: needs at least one template")

    def split(section: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        items = ph.get(section) or {}
        return ({k: list(v.get("lay") or []) for k, v in items.items()},
                {k: list(v.get("clinical") or []) for k, v in items.items()})

    fl, fc = split("factor_phrases")
    rl, rc = split("risk_phrases")
    redl, redc = split("red_flag_phrases")
    regions = vocab.regions
    return Wording(
        region_lay={k: list(v.get("lay") or [k.replace("_", " ")]) for k, v in regions.items()},
        region_clin={k: list(v.get("clinical") or [k.replace("_", " ")]) for k, v in regions.items()},
        region_coarse=dict(vocab.region_coarse),
        symptom_np={k: list(v) for k, v in (ph.get("symptom_np") or {}).items()},
        symptom_clause={k: list(v) for k, v in (ph.get("symptom_clause") or {}).items()},
        symptom_clin={k: list(v) for k, v in (ph.get("symptom_clinical") or {}).items()},
        neg_lay={k: list(v) for k, v in (ph.get("negation_words") or {}).get("lay", {}).items()},
        neg_clin={k: list(v) for k, v in (ph.get("negation_words") or {}).get("clinical", {}).items()},
        quality_lay={k: list(v.get("lay") or [k]) for k, v in vocab.qualities.items()},
        quality_clin={k: list(v.get("clinical") or [k]) for k, v in vocab.qualities.items()},
        factor_lay=fl, factor_clin=fc, risk_lay=rl, risk_clin=rc, red_lay=redl, red_clin=redc,
        durations_lay=list(ph["durations"]["lay"]), durations_clin=list(ph["durations"]["clinical"]),
        distractors_lay=list(ph["distractors"]["lay"]), distractors_clin=list(ph["distractors"]["clinical"]),
        symptom_words={k: list(v.get("lay") or [k]) for k, v in vocab.symptoms.items()},
        t={voice: {slot: [str(x) for x in items] for slot, items in slots.items()} for voice, slots in templates.items()},
    )


def _check_strings(node: Any, where: str) -> None:
    """Every leaf of a wording file must be a string ("?DVT" unquoted in a YAML list is a mapping)."""
    if isinstance(node, dict):
        for k, v in node.items():
            _check_strings(v, f"{where}: {k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if not isinstance(v, str):
                raise BadInputError(f"{where}[{i}]: expected a string, got {v!r} (quote it)")
    elif not isinstance(node, str):
        raise BadInputError(f"{where}: expected text, got {node!r}")


_REQUIRED_SLOTS = {
    "lay": ("open", "open_clause", "more", "more_clause", "spread", "worse", "better", "neg", "neg_region", "demo",
            "name", "fillers"),
    "third_person": ("open", "open_clause", "more", "more_clause", "spread", "worse", "better", "neg", "name", "risk",
                     "red", "fillers"),
    "clinical": ("open", "more", "spread", "worse", "better", "neg", "name", "risk", "red", "fillers"),
}

# proximal -> distal order of regions, so that "travels from {a} down to {b}" reads the right way
_LEVEL = {"lower_back": 0, "buttock": 1, "groin": 2, "hip": 2, "hip_outer": 2, "thigh": 3, "thigh_front": 3,
          "thigh_back": 3, "thigh_outer": 3, "thigh_inner": 3, "knee": 4, "knee_front": 4, "knee_back": 4,
          "knee_outer": 4, "knee_inner": 4, "leg": 4, "lower_leg": 5, "shin": 5, "calf": 5, "lower_leg_outer": 5,
          "ankle": 6, "foot": 7, "toes": 8}


_FIRST_TO_THIRD = ((" I'm ", " {pro} is "), (" I've ", " {pro} has "), (" I ", " {pro} "), (" my ", " {pos} "),
                   (" me ", " {obj} "))


_I_VERB = re.compile(r"\bI (always |often |usually |just )?(have|do|don't|wear|sit|get|go|feel|work|walk|run|favour|need|"
                     r"notice|keep|can|can't|am|was|had|started|went|doubled|hurt|got|put|use|try)\b")
_VERB_3RD = {"have": "has", "do": "does", "don't": "doesn't", "am": "is", "go": "goes", "try": "tries"}


@lru_cache(maxsize=65536)
def _third(text: str, pro: str, pos: str, obj: str) -> str:
    """First person -> third person ("I have flat feet" -> "she has flat feet")."""
    t = _I_VERB.sub(lambda m: f"{pro} {m.group(1) or ''}" + _VERB_3RD.get(m.group(2), m.group(2) if m.group(2) in (
        "can", "can't", "was", "had", "started", "went", "doubled", "hurt", "got", "put") else m.group(2) + "s"), text)
    t = f" {t} "
    for a, b in _FIRST_TO_THIRD:
        t = t.replace(a, b.format(pro=pro, pos=pos, obj=obj))
    return t.strip()


# ---------------------------------------------------------------------------------------------
# one vignette


def _pick(r: random.Random, seq: list[Any] | tuple[Any, ...]) -> Any:
    return seq[int(r.random() * len(seq))]


def _weighted(r: random.Random, keys: tuple[str, ...], weights: dict[str, float]) -> str:
    x = r.random() * sum(weights.get(k, 0.0) for k in keys)
    for k in keys:
        x -= weights.get(k, 0.0)
        if x < 0:
            return k
    return keys[-1]


_FACTS_BY_DIFFICULTY = {"easy": (3, 4), "medium": (2, 3), "hard": (1, 2)}   # symptom facts per vignette
_FACTORS_BY_DIFFICULTY = {"easy": 3, "medium": 2, "hard": 1}               # aggravating factors at most


def _cumulative(keys: tuple[str, ...], weights: dict[str, float]) -> tuple[float, tuple[tuple[str, float], ...]]:
    """(total, ((key, weight), ...)) for _draw: what _weighted computes on every call."""
    return sum(weights.get(k, 0.0) for k in keys), tuple((k, weights.get(k, 0.0)) for k in keys)


def _draw(r: random.Random, table: tuple[float, tuple[tuple[str, float], ...]]) -> str:
    """_weighted on a precomputed table (the same draw, the same result)."""
    total, pairs = table
    x = r.random() * total
    for k, w in pairs:
        x -= w
        if x < 0:
            return k
    return pairs[-1][0]


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def draw_age(r: random.Random, mean: float, sd: float, lo: int, hi: int) -> int:
    """An age from a normal prior truncated to [lo, hi] (resampled, not clamped, so the bounds do not pile up)."""
    for _ in range(20):
        age = int(round(r.gauss(mean, sd)))
        if lo <= age <= hi:
            return age
    return int(lo + r.random() * (hi - lo + 1))


def content_signature(category: str, facts: list[str], factors: list[str], negs: list[str]) -> str:
    """What a vignette says, independent of wording and demographics (for split assignment; the voice and sex
    are added by the caller: the same facts told by a clinician and by a patient are not near-duplicates, and
    conditions with a single fact would otherwise land in one split)."""
    return category + "|" + ",".join(sorted(facts)) + "|" + ",".join(sorted(factors)) + "|" + ",".join(sorted(negs))


def assign_split(signature: str, s: GenSettings, condition_id: str) -> str:
    if condition_id in s.holdout_conditions:
        return "test"
    h = int.from_bytes(hashlib.blake2b(signature.encode(), digest_size=8).digest(), "big") / 2**64
    acc = 0.0
    for name in SPLITS:
        acc += s.splits.get(name, 0.0)
        if h < acc:
            return name
    return "test"


class Composer:
    """Writes vignettes for a list of profiles; stateless apart from its inputs."""

    def __init__(self, profiles: list[Profile], wording: Wording, settings: GenSettings) -> None:
        if not profiles:
            raise BadInputError("no condition has a usable symptom fact: nothing to generate from")
        self.w = wording
        self.s = settings
        self.by_cat: dict[str, list[Profile]] = {c: [] for c in CATEGORIES}
        for p in profiles:
            # what compose() would otherwise filter on every call
            p.aggravating = [a for a in p.aggravating if a[1] in wording.factor_lay]
            p.relieving = [a for a in p.relieving if a[1] in wording.factor_lay]
            p.risk = [a for a in p.risk if a[1] in wording.risk_lay]
            p.self_risk = [a for a in p.self_risk if a[1] in wording.risk_lay]
            p.red_flags = [a for a in p.red_flags if a[1] in wording.red_lay]
            p.pain_facts = [f for f in p.facts if f[1] == "pain"]
            own = {f[1] for f in p.facts}
            p.generic_negatives = tuple(x for x in _GENERIC_NEGATIVES if x not in own)
            self.by_cat[p.category].append(p)
        self.cats = tuple(c for c in CATEGORIES if self.by_cat[c])
        self._styles = _cumulative(STYLES, settings.styles)
        self._difficulties = _cumulative(DIFFICULTIES, settings.difficulty)
        self.all_symptoms = tuple(k for k in wording.symptom_words if k not in ("fever", "reduced_reflex"))

    def region_name(self, r: random.Random, region: str, style: str, vague: bool) -> str:
        """A region as a clinician writes it, or a possessive lay phrase ("my knee", "the back of my knee")."""
        if vague:
            region = self.w.region_coarse.get(region, region)
            if r.random() < 0.3:
                region = "leg"
        if style == "clinical":
            return _pick(r, self.w.region_clin[region])
        name = _pick(r, self.w.region_lay[region])
        if region not in ("lower_back", "leg") and r.random() < 0.2:  # people say which side
            side = "left" if r.random() < 0.5 else "right"
            name = name.replace("my ", f"my {side} ", 1) if "my " in name else f"{side} {name}"
        return f"the {name}" if "my " in name else f"my {name}"

    def symptom_phrase(self, r: random.Random, sym: str, region_name: str, quality: str | None,
                       style: str) -> tuple[str, bool]:
        """(phrase, is_clause) for one symptom-region fact."""
        if style == "clinical":
            templates = self.w.symptom_clin.get(sym) or [f"{sym.replace('_', ' ')} {{region}}"]
            q = _pick(r, self.w.quality_clin[quality]) if quality else ""
            t = _pick(r, templates)
            return (t.replace("{quality}", f"{q} " if q else "").replace("{qualityc}", f" ({q})" if q else "")
                    .replace("{region}", region_name), False)
        q = _pick(r, self.w.quality_lay[quality]) if quality else ""
        use_clause = sym in self.w.symptom_clause and (not q or sym != "pain") and r.random() < 0.35
        if use_clause:
            return _pick(r, self.w.symptom_clause[sym]).replace("{R}", region_name), True
        templates = self.w.symptom_np.get(sym) or [f"{sym.replace('_', ' ')} in {{R}}"]
        return _pick(r, templates).replace("{quality}", f"{q} " if q else "").replace("{R}", region_name), False

    def compose(self, r: random.Random, seed: int) -> dict[str, Any]:
        s = self.s
        cat = self.cats[int(r.random() * len(self.cats))]
        prof = _pick(r, self.by_cat[cat])
        style = _draw(r, self._styles)
        diff = _draw(r, self._difficulties)
        lo, hi = _FACTS_BY_DIFFICULTY[diff]
        k = min(len(prof.facts), lo + int(r.random() * (hi - lo + 1)))
        chosen = weighted_sample(r, prof.facts, prof.weights, k)
        if prof.pain_facts and not any(f[1] == "pain" for f in chosen):
            if r.random() < 0.7:
                chosen[0] = _pick(r, prof.pain_facts)
        chosen.sort(key=lambda f: (f[1] != "pain", f[0]))
        vague = r.random() < s.vague_region_rate.get(diff, 0.0)
        age = draw_age(r, prof.age_mean, prof.age_sd, s.age_min, s.age_max)
        female = r.random() < prof.female_share
        fact_ids: list[str] = []
        symptoms: list[str] = []
        regions: list[str] = []
        factors: list[str] = []
        negs: list[str] = []
        distractors: list[str] = []
        sym_phrases: list[tuple[str, bool]] = []
        used: set[tuple[str, str]] = set()
        for fid, sym, reg, q in chosen:
            if (sym, reg) in used:
                continue
            used.add((sym, reg))
            sym_phrases.append(self.symptom_phrase(r, sym, self.region_name(r, reg, style, vague), q, style))
            fact_ids.append(fid)
            if sym not in symptoms:
                symptoms.append(sym)
            if reg not in regions:
                regions.append(reg)
        dur = _pick(r, self.w.durations_clin if style == "clinical" else self.w.durations_lay)
        pain_regs = list(dict.fromkeys(reg for _, sym, reg, _ in chosen if sym == "pain"))
        spread = spread_pair(pain_regs) if r.random() < 0.7 else None
        n_fac = _FACTORS_BY_DIFFICULTY[diff]
        agg = prof.aggravating
        agg = r.sample(agg, min(n_fac, len(agg))) if agg and r.random() < 0.85 else []
        rel = prof.relieving
        if agg and rel:
            rel = [a for a in rel if a[1] not in {x[1] for x in agg}]
        rel = [_pick(r, rel)] if rel and r.random() < 0.5 else []
        if prof.self_risk and r.random() < s.self_report_rate:
            risk = [_pick(r, prof.self_risk)]  # people say "I have flat feet" without knowing it is the cause
        else:
            risk = [_pick(r, prof.risk)] if prof.risk and r.random() < 0.4 else []
        neg_stmt: str | None = None
        neg_region: str | None = None
        if r.random() < s.negation_rate.get(diff, 0.0):
            if prof.negated and r.random() < 0.6:
                fid, sym, reg = _pick(r, prof.negated)
                if sym == "pain":
                    neg_region = reg
                else:
                    neg_stmt = sym
                fact_ids.append(fid)
                negs.append(f"{sym}:{reg}")
            else:
                if prof.generic_negatives:
                    neg_stmt = _pick(r, prof.generic_negatives)
                    negs.append(neg_stmt)
        red = None
        if prof.red_flags and r.random() < s.red_flag_rate:
            red = _pick(r, prof.red_flags)
        name = prof.name if r.random() < s.name_rate else None
        n_distr = 1 if r.random() < s.distractor_rate.get(diff, 0.0) else 0
        if n_distr and diff == "hard" and r.random() < 0.4:
            n_distr = 2
        pool = self.w.distractors_clin if style == "clinical" else self.w.distractors_lay
        distractors.extend(r.sample(pool, min(n_distr, len(pool))))
        if style == "clinical":
            text = self._clinical(r, age, female, dur, [p for p, _ in sym_phrases], spread, agg, rel, risk,
                                  neg_stmt, neg_region, red, name, distractors, vague)
        else:
            text = self._narrative(r, style == "third_person", age, female, dur, sym_phrases, spread, agg, rel,
                                   risk, neg_stmt, neg_region, red, name, distractors, vague)
        for fid, fv in agg + rel + risk:
            fact_ids.append(fid)
            factors.append(fv)
        if red:
            fact_ids.append(red[0])
            factors.append(red[1])
        sig = content_signature(cat, fact_ids, factors, negs) + f"|{style}|{'F' if female else 'M'}"
        return {
            "text": tidy(text), "category": cat, "condition_id": prof.condition_id, "age": age,
            "sex": "female" if female else "male", "symptoms": symptoms, "regions": regions, "factors": factors,
            "red_flag": red is not None, "style": style, "difficulty": diff, "fact_ids": fact_ids,
            "split": assign_split(sig, s, prof.condition_id), "seed": seed, "negated_findings": negs,
            "distractors": distractors, "names_condition": name is not None,
        }

    def _narrative(self, r: random.Random, third: bool, age: int, female: bool, dur: str,
                   syms: list[tuple[str, bool]], spread: tuple[str, str] | None, agg: list[tuple[str, str]],
                   rel: list[tuple[str, str]], risk: list[tuple[str, str]], neg: str | None, neg_region: str | None,
                   red: tuple[str, str] | None, name: str | None, distractors: list[str], vague: bool) -> str:
        pro, pos, obj = ("she", "her", "her") if female else ("he", "his", "him")
        L, T = self.w.t["lay"], self.w.t["third_person"]
        V = T if third else L
        style = "third_person" if third else "lay"
        sexn = "woman" if female else "man"
        rel_word = _pick(r, _RELATIVES[(female, 0 if age < 35 else 1 if age < 60 else 2)])
        ctx = {"age": age, "sexn": sexn, "Pro": pro.capitalize(), "pro": pro, "pos": pos, "Pos": pos.capitalize(),
               "rel": rel_word, "d": dur, "sexw": "F" if female else "M", "sexa": "F" if female else "M"}

        def tp(x: str) -> str:
            return _third(x, pro, pos, obj) if third else x

        first, first_clause = syms[0]
        rest = syms[1:]
        if first_clause:
            opener = _fmt(_pick(r, V["open_clause"]), ctx, c=tp(first))
        else:
            nps = [first]
            if rest and not any(cl for _, cl in rest) and r.random() < 0.4:
                nps += [p for p, _ in rest]
                rest = []
            opener = _fmt(_pick(r, V["open"]), ctx, s=tp(_join(nps)))
        body: list[str] = []
        for x, is_clause in rest:
            body.append(_fmt(_pick(r, V["more_clause"] if is_clause else V["more"]), ctx,
                             **({"c": tp(x)} if is_clause else {"s": tp(x)})))
        if spread:
            a = tp(self.region_name(r, spread[0], style, False))  # a vaguer region could merge the two ends
            b = tp(self.region_name(r, spread[1], style, False))
            body.append(_fmt(_pick(r, V["spread"]), ctx, a=a, b=b))
        for kind, items in (("worse", agg), ("better", rel)):
            for _, f in items:
                ph = _pick(r, self.w.factor_clin[f]) if third else _pick(r, self.w.factor_lay[f])
                body.append(_fmt(_pick(r, V[kind]), ctx, f=ph))
        for _, f in risk:
            ph = tp(_pick(r, self.w.risk_lay[f]))
            body.append(_fmt(_pick(r, T["risk"]), ctx, r=ph) if third else ph + ".")
        if neg:
            word = _pick(r, self.w.neg_lay.get(neg) or [neg.replace("_", " ")])
            body.append(_fmt(_pick(r, V["neg"]), ctx, s=word))
        if neg_region:
            body.append(tp(_fmt(_pick(r, L["neg_region"]), ctx, r=self.region_name(r, neg_region, "lay", False))))
        if red:
            ph = tp(_pick(r, self.w.red_lay[red[1]]))
            body.append(_fmt(_pick(r, T["red"]), ctx, r=ph) if third else ph + ".")
        for d in distractors:
            body.append(tp(d) + ".")
        if name:
            body.append(_fmt(_pick(r, V["name"]), ctx, n=name if name.isupper() else name.lower()))
        r.shuffle(body)
        parts = [opener, *body]
        if r.random() < self.s.filler_rate:
            parts.append(_fmt(_pick(r, V["fillers"]), ctx))
        if not third:
            demo = _fmt(_pick(r, L["demo"]), ctx)
            if demo:
                parts.insert(0 if r.random() < 0.5 else len(parts), demo)
        return " ".join(parts)

    def _clinical(self, r: random.Random, age: int, female: bool, dur: str, syms: list[str],
                  spread: tuple[str, str] | None, agg: list[tuple[str, str]], rel: list[tuple[str, str]],
                  risk: list[tuple[str, str]], neg: str | None, neg_region: str | None, red: tuple[str, str] | None,
                  name: str | None, distractors: list[str], vague: bool) -> str:
        C = self.w.t["clinical"]
        ctx = {"age": age, "sx": "F" if female else "M", "sexn": "female" if female else "male", "d": dur}
        side = _pick(r, ("L ", "R ", "", "", "Lt ", "Rt ", "left ", "right "))
        parts = [_fmt(_pick(r, C["open"]), ctx, s=side + syms[0])]
        body = []
        for x in syms[1:]:
            body.append(_fmt(_pick(r, C["more"]), ctx, s=x))
        if spread:
            body.append(_fmt(_pick(r, C["spread"]), ctx, a=self.region_name(r, spread[0], "clinical", False),
                             b=self.region_name(r, spread[1], "clinical", False)))
        if agg:
            body.append(_fmt(_pick(r, C["worse"]), ctx, f=", ".join(_pick(r, self.w.factor_clin[f]) for _, f in agg)))
        if rel:
            body.append(_fmt(_pick(r, C["better"]), ctx, f=_pick(r, self.w.factor_clin[rel[0][1]])))
        negs = []
        if neg:
            negs.append(_pick(r, self.w.neg_clin.get(neg) or [neg.replace("_", " ")]))
        if neg_region:
            where = self.region_name(r, neg_region, "clinical", False)
            negs.append(f"pain below {where}" if r.random() < 0.5 else f"radiation to {where}")
        if negs:
            body.append(_fmt(_pick(r, C["neg"]), ctx, s=", ".join(negs)))
        if risk:
            body.append(_fmt(_pick(r, C["risk"]), ctx, r=_pick(r, self.w.risk_clin[risk[0][1]])))
        if red:
            body.append(_fmt(_pick(r, C["red"]), ctx, r=_pick(r, self.w.red_clin[red[1]])))
        for d in distractors:
            body.append(d + ".")
        if name:
            body.append(_fmt(_pick(r, C["name"]), ctx, n=name if name.isupper() else name.lower()))
        r.shuffle(body)
        if r.random() < self.s.filler_rate:
            body.append(_fmt(_pick(r, C["fillers"]), ctx))
        return " ".join(parts + body)


def spread_pair(pain_regions: list[str]) -> tuple[str, str] | None:
    """(proximal, distal) for a "radiates from a to b" sentence, from the first two pain regions;
    None when they are at the same level or one is the whole leg."""
    if len(pain_regions) < 2:
        return None
    a, b = sorted(pain_regions[:2], key=lambda x: _LEVEL.get(x, 4))
    if _LEVEL.get(a, 4) < _LEVEL.get(b, 4) and "leg" not in (a, b):
        return a, b
    return None


_RELATIVES = {  # (female, age band) -> who might write on their behalf
    (True, 0): ("daughter", "sister", "partner", "girlfriend", "flatmate"),
    (True, 1): ("wife", "sister", "partner", "mum", "friend"),
    (True, 2): ("mum", "mother", "gran", "aunt", "mother-in-law"),
    (False, 0): ("son", "brother", "partner", "boyfriend", "flatmate"),
    (False, 1): ("husband", "brother", "partner", "dad", "friend"),
    (False, 2): ("dad", "father", "grandad", "uncle", "father-in-law"),
}


def _fmt(template: str, ctx: dict[str, Any], **slots: Any) -> str:
    """Fill a template; {S}, {C}, {F} are the {s}, {c}, {f} slots (sentence starts are capitalised by tidy)."""
    for k in ("s", "c", "f"):
        if k in slots:
            slots[k.upper()] = slots[k]
    return template.format(**ctx, **slots)


_ARTICLE = re.compile(r"\b([Aa]) (?=[aeiouAEIOU]|(?:8|11|18|8\d)\b|(?:8|11|18|8\d)-)")
_SENT_START = re.compile(r"(^|[.!?] +)([a-z])")


_SPACES = re.compile(r" {2,}")


def _an(m: re.Match[str]) -> str:
    return m.group(1) + "n "


def _upper(m: re.Match[str]) -> str:
    return m.group(1) + m.group(2).upper()


def tidy(text: str) -> str:
    """a -> an before vowels, capitalised sentence starts, single spaces."""
    text = _ARTICLE.sub(_an, text)
    text = _SENT_START.sub(_upper, text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


# ---------------------------------------------------------------------------------------------
# batches and output

ARROW_SCHEMA = pa.schema([
    ("vignette_id", pa.string()), ("text", pa.string()), ("category", pa.string()), ("condition_id", pa.string()),
    ("age", pa.int64()), ("sex", pa.string()), ("symptoms", pa.list_(pa.string())),
    ("regions", pa.list_(pa.string())), ("factors", pa.list_(pa.string())), ("red_flag", pa.bool_()),
    ("style", pa.string()), ("difficulty", pa.string()), ("fact_ids", pa.list_(pa.string())),
    ("split", pa.string()), ("seed", pa.int64()), ("negated_findings", pa.list_(pa.string())),
    ("distractors", pa.list_(pa.string())), ("names_condition", pa.bool_()),
])


def generate_batch(composer: Composer, seed: int, batch: int, start: int, size: int) -> pa.Table:
    """Rows start..start+size of the table for `seed`: depends only on (seed, batch)."""
    r = random.Random(f"symcause:{seed}:{batch}")
    rows = [composer.compose(r, seed) for _ in range(size)]
    cols: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in ARROW_SCHEMA.names if name != "vignette_id"}
    cols["vignette_id"] = ["v" + hashlib.blake2b(f"{seed}:{start + i}".encode(), digest_size=8).hexdigest()
                           for i in range(size)]
    return pa.table({n: cols[n] for n in ARROW_SCHEMA.names}, schema=ARROW_SCHEMA)


_WORKER: Composer | None = None


def _init_worker(composer: Composer) -> None:
    global _WORKER
    _WORKER = composer


def _work(args: tuple[int, int, int, int]) -> pa.Table:
    assert _WORKER is not None
    return generate_batch(_WORKER, *args)


def batches(n: int, batch_size: int) -> list[tuple[int, int, int]]:
    return [(b, start, min(batch_size, n - start)) for b, start in enumerate(range(0, n, batch_size))]


def iter_tables(composer: Composer, n: int, seed: int, batch_size: int, workers: int) -> Iterator[pa.Table]:
    """Batches in order; with workers > 1 at most 2 x workers batches are in flight (bounded memory)."""
    jobs = [(seed, b, start, size) for b, start, size in batches(n, batch_size)]
    workers = workers if workers > 0 else (os.cpu_count() or 1)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield generate_batch(composer, *job)
        return
    window = 2 * workers
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(composer,)) as pool:
        pending = [pool.submit(_work, job) for job in jobs[:window]]
        nxt = window
        while pending:
            table = pending.pop(0).result()
            if nxt < len(jobs):
                pending.append(pool.submit(_work, jobs[nxt]))
                nxt += 1
            yield table


def write_vignettes(composer: Composer, n: int, seed: int, out: Path, batch_size: int = 20000, workers: int = 1,
                    progress: bool = True) -> int:
    """Stream N vignettes to Parquet (one row group per batch), atomically."""
    if n < 1:
        raise BadInputError(f"--n must be at least 1 (got {n})")
    written = 0
    with atomic_path(out) as tmp:
        with pq.ParquetWriter(tmp, ARROW_SCHEMA, compression="zstd") as writer:
            bar = tqdm(total=n, desc="generate", unit="vignette", disable=not progress, unit_scale=True)
            for table in iter_tables(composer, n, seed, batch_size, workers):
                writer.write_table(table, row_group_size=len(table))
                written += len(table)
                bar.update(len(table))
            bar.close()
    return written


def batch_frame(composer: Composer, job: tuple[int, int, int, int]) -> pd.DataFrame:
    """One batch as a pandas frame (a partition of the dask engine); the same rows as generate_batch."""
    return generate_batch(composer, *job).to_pandas()


@dataclass(frozen=True)
class DaskSettings:
    address: str | None = None      # scheduler address; None starts a LocalCluster for the run
    workers: int = 2                # LocalCluster worker processes
    threads_per_worker: int = 1


@contextmanager
def dask_client(d: DaskSettings) -> Iterator[Any]:
    """A distributed Client: on `d.address`, or on a LocalCluster bound to 127.0.0.1 without a dashboard."""
    import logging

    from distributed import Client, LocalCluster

    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker"):
        logging.getLogger(name).setLevel(logging.ERROR)  # start/stop chatter is not a warning to the user
    if d.address:
        try:
            client = Client(d.address, timeout="20s")
        except OSError as exc:
            raise BadInputError(f"params.yaml: generate.dask.address: cannot reach scheduler {d.address} ({exc})") from exc
        with client:
            yield client
        return
    with LocalCluster(n_workers=d.workers, threads_per_worker=d.threads_per_worker, processes=True,
                      host="127.0.0.1", dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client


def part_name(i: int) -> str:
    """Partition file names sort in row order (readers list a folder alphabetically)."""
    return f"part.{i:05d}.parquet"


def write_vignettes_dask(composer: Composer, n: int, seed: int, out: Path, batch_size: int, dask: DaskSettings,
                         progress: bool = True) -> int:
    """The dask engine: one partition per batch, generated on the cluster's workers, validated there with the
    pandera `vignettes` schema (pandera validates the dask frame partition by partition) and written as
    partitioned Parquet to the folder `out` (part.00000.parquet, ...), atomically. The rows are those of the
    local engine for the same seed and batch size, in the same order. Workers must be able to write to `out`
    (a shared file system when the scheduler is remote)."""
    import dask.dataframe as dd
    from dask import config as dask_config
    from dask import delayed

    from pipeline.schemas import schemas

    if n < 1:
        raise BadInputError(f"--n must be at least 1 (got {n})")
    jobs = [(seed, b, start, size) for b, start, size in batches(n, batch_size)]
    meta = ARROW_SCHEMA.empty_table().to_pandas()
    # object columns stay object: dask would otherwise turn the list columns into strings
    with dask_config.set({"dataframe.convert-string": False}), dask_client(dask) as client, \
            atomic_dir(out) as staging:
        ddf = dd.from_map(partial(batch_frame, composer), jobs, meta=meta, enforce_metadata=False,
                          label="generate-vignettes")
        checked = schemas()["vignettes"].validate(ddf, lazy=True)
        tasks = [delayed(write_part)(part, str(staging / part_name(i)))
                 for i, part in enumerate(checked.to_delayed())]
        futures = client.compute(tasks)
        if progress:
            from distributed import progress as show_progress

            show_progress(futures)
        try:
            written = sum(f.result() for f in futures)
        except Exception as exc:  # pandera's SchemaErrors, re-raised from the worker
            if type(exc).__name__ in ("SchemaError", "SchemaErrors"):  # arrives as text from the worker
                raise BadInputError(f"{out}: generated rows fail the vignettes schema: {schema_failure_summary(str(exc))}"
                                    ) from exc
            raise
        if written != n:  # before the folder is swapped in
            raise RuntimeError(f"dask engine wrote {written} rows, expected {n}")
    return n


def schema_failure_summary(message: str, max_cases: int = 5) -> str:
    """One line from pandera's lazy-validation report: each failing column, check and a few failure cases."""
    items = []
    for m in re.finditer(r'"column":\s*"([^"]*)",\s*"check":\s*"([^"]*)",\s*"error":\s*"[^"]*?failure cases:\s*([^"]*)"', message):
        cases = [c.strip() for c in m.group(3).split(",")]
        more = f", ... ({len(cases)} cases)" if len(cases) > max_cases else ""
        items.append(f"column '{m.group(1)}' fails {m.group(2)} (e.g. {', '.join(cases[:max_cases])}{more})")
    if items:
        return "; ".join(items)
    return " ".join(message.split())[:300]


def write_part(df: pd.DataFrame, path: str) -> int:
    """One partition to its own Parquet file with the table's Arrow schema (as the local engine writes it)."""
    table = pa.Table.from_pandas(df, schema=ARROW_SCHEMA, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", row_group_size=max(len(table), 1))
    return len(table)


def settings_from_params(g: Any) -> GenSettings:
    return GenSettings(
        styles=dict(g.styles), difficulty=dict(g.difficulty), name_rate=g.name_rate, red_flag_rate=g.red_flag_rate,
        negation_rate=dict(g.negation_rate), distractor_rate=dict(g.distractor_rate),
        vague_region_rate=dict(g.vague_region_rate), splits=dict(g.splits),
        holdout_conditions=tuple(g.holdout_conditions), min_confidence=g.min_confidence,
        age_mean=g.age.mean, age_sd=g.age.sd, age_min=g.age.min, age_max=g.age.max, female_share=g.female_share,
        filler_rate=g.filler_rate, self_report_rate=g.self_report_rate,
        site_weights=(g.site_weights.own, g.site_weights.near, g.site_weights.far),
    )


def load_composer(facts_dir: Path, settings: GenSettings) -> Composer:
    from pipeline.validate import read_tables

    tables = read_tables(facts_dir)
    vocab = cached_vocab()
    known = set(tables["conditions"].condition_id)
    missing = [c for c in settings.holdout_conditions if c not in known]
    if missing:
        raise BadInputError(f"params.yaml: generate.holdout_conditions: unknown condition id '{missing[0]}'")
    profiles = build_profiles(tables["conditions"], tables["facts"], tables["factors"], vocab, settings)
    return Composer(profiles, load_wording(vocab), settings)


def run_generate(facts_dir: Path, n: int, seed: int, out: Path, settings: GenSettings, batch_size: int = 20000,
                 workers: int = 1, progress: bool = True, engine: str = "local", dask: DaskSettings | None = None) -> int:
    """Engine `local`: one Parquet file, batches on `workers` processes. Engine `dask`: partitioned Parquet
    in the folder `out`, batches on a dask cluster. Both give the same rows for the same seed."""
    composer = load_composer(facts_dir, settings)
    if engine == "dask":
        return write_vignettes_dask(composer, n, seed, out, batch_size, dask or DaskSettings(), progress)
    if engine != "local":
        raise BadInputError(f"engine must be 'local' or 'dask' (got {engine!r})")
    return write_vignettes(composer, n, seed, out, batch_size, workers, progress)


def dask_settings_from_params(g: Any) -> DaskSettings:
    return DaskSettings(address=g.dask.address, workers=g.dask.workers, threads_per_worker=g.dask.threads_per_worker)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline.generate",
                                description="DVC stage generate: data/facts -> data/vignettes (params.yaml 'generate'), "
                                            "then the dataset report.")
    p.add_argument("--params", default=None, help="params file (default: the project's params.yaml)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    from pipeline.cli import run_guarded
    from pipeline.params import load_params

    args = build_parser().parse_args(argv)

    def go() -> None:
        prm = load_params(args.params).generate
        root = find_project_root()
        out = root / prm.out
        n = run_generate(root / prm.facts_dir, prm.n, prm.seed, out, settings_from_params(prm), prm.batch_size,
                         prm.workers, progress=not args.quiet, engine=prm.engine, dask=dask_settings_from_params(prm))
        print(f"generate: {n} vignettes -> {prm.out} (engine {prm.engine})")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())
