"""Vignette composition: fact tables -> profiles -> batches of synthetic vignettes (pure; no I/O).

Every statement in a vignette comes from a fact of its condition (listed in `fact_ids`), except declared
distractors and generic negatives (`distractors`, `negated_findings`). A condition is drawn balanced over the
six categories, then some of its symptom-region facts, pain qualities, factors, demographics and optionally a
red flag, and the case is written in one of three voices with lay or clinical wording from `schemas/vocab/`.

A batch is composed in two passes. `Composer.plan` makes every draw that decides what the rows say (condition,
voice, difficulty, facts, factors, negations, demographics, distractors ...) with numpy, for the whole batch at
once. `Composer.render` then writes each row's words from precomputed tables with a row of pre-drawn uniforms,
and the text is tidied with Arrow string kernels. A batch depends only on (seed, batch number), so the output is
the same for any scheduling, any number of workers and either engine.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from symcause.core.contract import CATEGORIES, DIFFICULTIES, OTHER_LABEL, SPLITS, STYLES
from symcause.core.errors import BadInputError
from symcause.core.paths import schemas_dir
from symcause.core.vocab import Vocab, load_yaml

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
    include_mimics: bool = False   # mimics (vascular, bone, infection, tumour) as a seventh label `other`
    onset_rate: float = 0.6        # a case says how it started, when the knowledge has an onset for its condition
    timing_rate: float = 0.5       # a case gives its time course, likewise
    exam_rate: dict[str, float] = field(default_factory=lambda: {"lay": 0.15, "clinical": 0.75, "third_person": 0.25})
    both_sides_rate: float = 0.1   # spinal cases in both legs (a one-sided problem is never both)
    prior: float = 0.05            # P(finding | condition) of a finding the knowledge table does not state
    stated_negation_share: float = 0.85   # a negated finding is one the articles deny (else a generic one), where any
    condition_weight_power: float = 0.0   # within a category, a condition is drawn with weight n_sources ** this
    likelihood_cap: bool = False          # a symptom fact is stated at most as often as its likelihood (see plan)
    pertinent_negative_rate: float = 0.0  # each pertinent negative (_PERTINENT) a row may state, this often


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
    onsets: list[tuple[str, str]] = field(default_factory=list)     # (fact_id, value), Version 2 kinds
    timings: list[tuple[str, str]] = field(default_factory=list)
    exams: list[tuple[str, str]] = field(default_factory=list)
    mimic: bool = False
    likelihood: dict[str, float] = field(default_factory=dict)     # "kind:finding" -> P(finding | condition)
    n_sources: int = 1                                              # sources that state something about it


_GENERIC_NEGATIVES = ("numbness", "tingling", "weakness", "swelling", "locking", "clicking", "instability", "stiffness")
# The pertinent negatives clinicians write to set a neighbouring category aside: (region, the category it would
# suggest, templates.yaml slot, the coarse regions near it or None for any). A condition of another category with
# no finding at that region (coarse) and one near it may deny pain there: "My back is fine" in a hip case, "Hip ROM
# full and pain-free" in a radicular one with thigh pain (not in a calf strain).
_PERTINENT: tuple[tuple[str, str, str, frozenset[str] | None], ...] = (
    ("lower_back", "spinal", "back_neg", None),
    ("hip", "hip_joint", "hip_neg", frozenset({"groin", "thigh", "buttock", "knee"})))


_AGE_GROUPS = {"child": (9.0, 3.0), "adolescent": (15.0, 2.0), "young_adult": (27.0, 6.0), "middle_aged": (48.0, 7.0),
               "older_adult": (71.0, 8.0)}


def knowledge_lookup(knowledge: pd.DataFrame | None) -> dict[str, dict[str, float]]:
    """condition_id -> {"kind:finding": likelihood} from the knowledge table."""
    out: dict[str, dict[str, float]] = {}
    if knowledge is None:
        return out
    for cid, kind, finding, lik in zip(knowledge.condition_id, knowledge.finding_kind, knowledge.finding,
                                       knowledge.likelihood):
        out.setdefault(cid, {})[f"{kind}:{finding}"] = float(lik)
    return out


def demographic_priors(lik: dict[str, float], age: tuple[float, float], female: float) -> tuple[float, float, float]:
    """(age mean, age sd, female share): the lexicon's rough priors, moved towards the age groups and sexes the
    articles say the condition affects (weighted by their likelihoods)."""
    groups = [(lik[f"demographic:{g}"], m, sd) for g, (m, sd) in _AGE_GROUPS.items() if f"demographic:{g}" in lik]
    mean, sd = age
    if groups:
        w = sum(x for x, _, _ in groups)
        g_mean = sum(x * m for x, m, _ in groups) / w
        g_sd = max(sum(x * s_ for x, _, s_ in groups) / w, float(np.sqrt(sum(x * (m - g_mean) ** 2 for x, m, _ in groups) / w)))
        mean, sd = 0.3 * mean + 0.7 * g_mean, max(4.0, 0.3 * sd + 0.7 * g_sd)
    f, m = lik.get("demographic:female", 0.0), lik.get("demographic:male", 0.0)
    if f or m:
        female = 0.5 * female + 0.5 * (0.5 + 0.4 * (f - m) / max(f + m, 1e-9))
    return mean, sd, female


def build_profiles(conditions: pd.DataFrame, facts: pd.DataFrame, factors: pd.DataFrame, vocab: Vocab,
                   s: GenSettings, knowledge: pd.DataFrame | None = None) -> list[Profile]:
    """One profile per condition that has at least one usable positive symptom fact (sorted by id). With a knowledge
    table, a symptom fact is drawn with its finding's likelihood (times the site weight) and the condition's age and
    sex follow the demographics the articles give; without one, with the facts' confidences."""
    facts = facts[facts.confidence >= s.min_confidence]
    factors = factors[(factors.confidence >= s.min_confidence) & ~factors.negated]
    pos = facts[~facts.negated].sort_values("fact_id")
    neg = facts[facts.negated].sort_values("fact_id")
    fac = factors.sort_values("fact_id")
    by_pos = {k: g for k, g in pos.groupby("condition_id", sort=True)}
    by_neg = {k: g for k, g in neg.groupby("condition_id", sort=True)}
    by_fac: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for cid, k, fid, fv, scope in zip(fac.condition_id, fac.kind, fac.fact_id, fac.factor, fac.scope):
        by_fac.setdefault((cid, k), []).append((fid, fv, scope))
    known = knowledge_lookup(knowledge)
    sources = condition_sources(facts, factors)
    mimics = dict(zip(conditions.condition_id, conditions["mimic"])) if "mimic" in conditions else {}
    out = []
    for r in conditions.sort_values("condition_id").itertuples():
        p = by_pos.get(r.condition_id)
        if p is None or p.empty:
            continue
        lik = known.get(r.condition_id, {})
        seen: dict[tuple[str, str, Any], str] = {}
        support: dict[tuple[str, str, Any], list[float]] = {}
        for f in p.itertuples():
            q = f.quality if isinstance(f.quality, str) else None
            seen.setdefault((f.symptom, f.region, q), f.fact_id)
            support.setdefault((f.symptom, f.region, q), []).append(float(f.confidence))
        home = r.region if isinstance(getattr(r, "region", None), str) else None
        ordered = sorted(seen.items(), key=lambda x: x[1])
        lex = vocab.lexicon.get(r.condition_id)

        def kind(k: str, cid: str = r.condition_id, scopes: tuple[str, ...] = ("sentence", "condition")
                 ) -> list[tuple[str, str]]:
            firsts: dict[str, str] = {}
            for fid, fv, scope in by_fac.get((cid, k), []):
                if k != "red_flag" and scope not in scopes:
                    continue
                firsts.setdefault(fv, fid)
            return [(fid, fv) for fv, fid in sorted(firsts.items())]

        nrows = by_neg.get(r.condition_id)
        negs: dict[tuple[str, str], str] = {}
        if nrows is not None:
            for f in nrows.itertuples():
                negs.setdefault((f.symptom, f.region), f.fact_id)
        age = (float(lex.age_mean) if lex and lex.age_mean else s.age_mean,
               float(lex.age_sd) if lex and lex.age_sd else s.age_sd)
        female = float(lex.female_share) if lex and lex.female_share is not None else s.female_share
        age_mean, age_sd, female = demographic_priors(lik, age, female)
        out.append(Profile(
            condition_id=r.condition_id, name=r.name, category=r.category,
            facts=[(fid, sym, reg, q) for (sym, reg, q), fid in ordered],
            weights=[symptom_weight(lik.get(f"symptom:{key[0]}@{key[1]}"), support[key], key[1], home,
                                    vocab.region_coarse, s.site_weights) for key, _ in ordered],
            negated=[(fid, sym, reg) for (sym, reg), fid in sorted(negs.items(), key=lambda x: x[1])],
            aggravating=kind("aggravating"), relieving=kind("relieving"), risk=kind("risk_factor"),
            self_risk=kind("risk_factor", scopes=("condition",)),
            red_flags=kind("red_flag"), age_mean=age_mean, age_sd=age_sd, female_share=female,
            onsets=kind("onset"), timings=kind("timing"), exams=kind("exam_finding"),
            mimic=bool(mimics.get(r.condition_id, lex.mimic if lex else False)), likelihood=lik,
            n_sources=sources.get(r.condition_id, 1),
        ))
    return out


def condition_sources(facts: pd.DataFrame, factors: pd.DataFrame) -> dict[str, int]:
    """condition_id -> how many sources state something about it (a symptom, negated or not, or a factor of its
    own sentence): how much the literature says about a condition, the weight `condition_weight_power` gives it."""
    own = factors[factors.scope == "sentence"] if "scope" in factors else factors
    both = pd.concat([facts[["condition_id", "source_id"]], own[["condition_id", "source_id"]]], ignore_index=True)
    counts = both.drop_duplicates().groupby("condition_id").size()
    return {str(k): int(v) for k, v in counts.items()}


def symptom_weight(likelihood: float | None, confidences: list[float], region: str, home: str | None,
                   coarse: dict[str, str], site_weights: tuple[float, float, float]) -> float:
    """How often a case of the condition states this symptom-region fact: its knowledge likelihood times the site
    weight (`fact_weight` of a confidence of 1 stated once); without a likelihood, `fact_weight`."""
    if likelihood is None:
        return fact_weight(confidences, region, home, coarse, site_weights)
    return round(likelihood * fact_weight([1.0], region, home, coarse, site_weights), 6)


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



@dataclass
class Wording:
    region_lay: dict[str, list[str]]
    region_clin: dict[str, list[str]]
    region_coarse: dict[str, str]
    region_level: dict[str, int]
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
    t: dict[str, dict[str, list[str]]]  # voice -> slot -> sentence templates (schemas/vocab/templates.yaml)
    onset_lay: dict[str, list[str]] = field(default_factory=dict)
    onset_clin: dict[str, list[str]] = field(default_factory=dict)
    timing_lay: dict[str, list[str]] = field(default_factory=dict)
    timing_clin: dict[str, list[str]] = field(default_factory=dict)
    exam_lay: dict[str, list[str]] = field(default_factory=dict)
    exam_clin: dict[str, list[str]] = field(default_factory=dict)
    distractors_age_lay: list[list[str]] = field(default_factory=list)    # under 35, 35-59, 60 and over
    distractors_age_clin: list[list[str]] = field(default_factory=list)


def load_wording(vocab: Vocab, root: Path | None = None) -> Wording:
    vocab_dir = schemas_dir(root) / "vocab"
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
    ol, oc = split("onset_phrases")
    tl, tc = split("timing_phrases")
    el, ec = split("exam_phrases")
    by_age = ph.get("distractors_by_age") or {}
    bands = ("young", "middle", "older")
    rl, rc = split("risk_phrases")
    redl, redc = split("red_flag_phrases")
    regions = vocab.regions
    return Wording(
        region_lay={k: list(v.get("lay") or [k.replace("_", " ")]) for k, v in regions.items()},
        region_clin={k: list(v.get("clinical") or [k.replace("_", " ")]) for k, v in regions.items()},
        region_coarse=dict(vocab.region_coarse), region_level=vocab.region_level,
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
        t={voice: {slot: [str(x) for x in items] for slot, items in slots.items()} for voice, slots in templates.items()},
        onset_lay=ol, onset_clin=oc, timing_lay=tl, timing_clin=tc, exam_lay=el, exam_clin=ec,
        distractors_age_lay=[list((by_age.get(b) or {}).get("lay") or ph["distractors"]["lay"]) for b in bands],
        distractors_age_clin=[list((by_age.get(b) or {}).get("clinical") or ph["distractors"]["clinical"]) for b in bands],
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
            "name", "fillers", "onset", "timing", "exam", "both"),
    "third_person": ("open", "open_clause", "more", "more_clause", "spread", "worse", "better", "neg", "name", "risk",
                     "red", "fillers", "onset", "timing", "exam", "both"),
    "clinical": ("open", "more", "spread", "worse", "better", "neg", "name", "risk", "red", "fillers", "onset",
                 "timing", "exam", "both"),
}



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


_FACTS_BY_DIFFICULTY = {"easy": (3, 4), "medium": (2, 3), "hard": (1, 2)}   # symptom facts per vignette
_FACTORS_BY_DIFFICULTY = {"easy": 3, "medium": 2, "hard": 1}               # aggravating factors at most


def content_signature(category: str, facts: list[str], factors: list[str], negs: list[str]) -> str:
    """What a vignette says, independent of wording and demographics: the reference definition of "the same
    content" (the tests check that rows with the same signature, voice and sex share a split; `Composer.render`
    hashes the same content column-wise, from fact codes). The voice and sex are part of it: the same facts told
    by a clinician and by a patient are not near-duplicates, and conditions with a single fact would otherwise
    land in one split."""
    return category + "|" + ",".join(sorted(facts)) + "|" + ",".join(sorted(factors)) + "|" + ",".join(sorted(negs))




def spread_pair(pain_regions: list[str], levels: dict[str, int]) -> tuple[str, str] | None:
    """(proximal, distal) for a "radiates from a to b" sentence, from the first two pain regions and the regions'
    levels (regions.yaml, proximal to distal); None when they are at the same level or one is the whole leg."""
    if len(pain_regions) < 2:
        return None
    a, b = sorted(pain_regions[:2], key=lambda x: levels.get(x, 4))
    if levels.get(a, 4) < levels.get(b, 4) and "leg" not in (a, b):
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
# a batch of vignettes: numpy draws the plan of every row, a lean loop writes the words

def arrow_schema(labels: tuple[str, ...] = CATEGORIES) -> pa.Schema:
    """The vignettes table's Arrow schema; `differential` is a struct with one probability per label (the six
    categories, plus `other` when mimics are drawn): a map from label to probability that pandas reads as a dict
    and Hugging Face `datasets` as a feature dict."""
    return pa.schema([
        ("vignette_id", pa.string()), ("text", pa.string()), ("category", pa.string()), ("condition_id", pa.string()),
        ("age", pa.int64()), ("sex", pa.string()), ("symptoms", pa.list_(pa.string())),
        ("regions", pa.list_(pa.string())), ("factors", pa.list_(pa.string())), ("red_flag", pa.bool_()),
        ("style", pa.string()), ("difficulty", pa.string()), ("fact_ids", pa.list_(pa.string())),
        ("split", pa.string()), ("seed", pa.int64()), ("negated_findings", pa.list_(pa.string())),
        ("distractors", pa.list_(pa.string())), ("names_condition", pa.bool_()),
        ("side", pa.string()), ("onset", pa.string()), ("exam_findings", pa.list_(pa.string())),
        ("differential", pa.struct([(label, pa.float64()) for label in labels])), ("label_supported", pa.bool_()),
    ])


ARROW_SCHEMA = arrow_schema()

_KMAX = max(hi for _, hi in _FACTS_BY_DIFFICULTY.values())        # symptom facts per vignette at most
_EMAX = 2                                                          # examination findings per vignette at most
_AMAX = max(_FACTORS_BY_DIFFICULTY.values())                       # aggravating factors at most
_ARTICLE_RE2 = r"\b([Aa]) ([aeiouAEIOU]|8|11\b|18\b)"               # _ARTICLE for Arrow's RE2 (no look-ahead)
_LOWER_START_RE2 = r"(^|[.!?] +)[a-z]"
# a quality word that repeats its noun ("aching ache")
_REWORD = ((r"\bach(?:ing|y) ache\b", "ache"),)


@dataclass
class Plan:
    """Every draw that decides what the rows of a batch say, one entry per row (-1: none), made by `Composer.plan`
    for the whole batch at once: the profile (condition), its category, the voice and difficulty; the symptom
    facts chosen (`chosen`, rows x facts), the radiation pair, vague regions, sex and age; aggravating factors
    (`agg`, rows x factors), a relieving factor, a risk factor (`risk_kind` 1 self-reported, 2 other), a negated
    finding (`neg_kind` 1 stated, 2 generic), a red flag, the name, distractors and a filler."""

    p: np.ndarray
    cat: np.ndarray
    style: np.ndarray
    diff: np.ndarray
    chosen: np.ndarray
    spread: np.ndarray
    ra: np.ndarray
    rb: np.ndarray
    vague: np.ndarray
    female: np.ndarray
    age: np.ndarray
    agg: np.ndarray
    rel: np.ndarray
    risk_kind: np.ndarray
    risk: np.ndarray
    neg_kind: np.ndarray
    neg: np.ndarray
    red: np.ndarray
    name: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    filler: np.ndarray
    onset: np.ndarray          # index into the profile's onsets, -1 none
    timing: np.ndarray         # index into the profile's timings, -1 none
    exam: np.ndarray           # rows x EXAM_MAX indices into the profile's exam findings, -1 none
    side: np.ndarray           # 0 none (central), 1 left, 2 right, 3 both
    band: np.ndarray           # age band: 0 under 35, 1 35-59, 2 60 and over
    differential: np.ndarray   # rows x labels: P(label | the findings written), knowledge table and a uniform prior
    supported: np.ndarray      # the row's own label is in the differential's top two
    pert_neg: np.ndarray       # rows x _PERTINENT: the row denies pain at that region (a pertinent negative)

    def __len__(self) -> int:
        return len(self.p)

    def take(self, rows: np.ndarray) -> Plan:
        """The plan of the given rows only (in that order)."""
        return Plan(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(plans: list[Plan]) -> Plan:
        return Plan(**{f.name: np.concatenate([getattr(q, f.name) for q in plans]) for f in fields(Plan)})


def batch_rng(seed: int, batch: int) -> np.random.Generator:
    """The generator of one batch: PCG64 keyed by (seed, batch) only, so batches can run anywhere, in any order."""
    key = hashlib.blake2b(f"symcause:{seed}:{batch}".encode(), digest_size=16).digest()
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(np.frombuffer(key, dtype=np.uint32)))))


def vignette_ids(seed: int, start: int, size: int) -> list[str]:
    """'v' + 16 hex digits: splitmix64 of the row number, keyed by the seed. The map is a bijection of the row
    number, so ids never collide within a seed."""
    key = np.uint64(int.from_bytes(hashlib.blake2b(f"symcause-ids:{seed}".encode(), digest_size=8).digest(), "big"))
    with np.errstate(over="ignore"):
        x = _mix(key + np.arange(start, start + size, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    h = x.astype(">u8").tobytes().hex()
    return ["v" + h[i:i + 16] for i in range(0, len(h), 16)]


def _choice(u: np.ndarray, weights: list[float]) -> np.ndarray:
    """Index i with probability weights[i] / sum(weights), one per uniform in u."""
    cum = np.cumsum(weights)
    return np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(weights) - 1)


def _below(u: np.ndarray, n: np.ndarray) -> np.ndarray:
    """floor(u * n): a uniform index below n (0 where n is 0)."""
    return np.minimum((u * n).astype(np.intp), np.maximum(n - 1, 0))


def _cap(x: str) -> str:
    return x[:1].upper() + x[1:]


def _at(table: np.ndarray, p: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """table[p, idx] with idx clipped to the table (rows where idx does not apply are masked by the caller)."""
    return table[p, np.clip(idx, 0, table.shape[1] - 1)]


def _pad(rows: list[list[Any]], fill: Any, dtype: Any, width: int | None = None) -> np.ndarray:
    width = max(width or 0, max((len(r) for r in rows), default=0), 1)
    out = np.full((len(rows), width), fill, dtype=dtype)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


class _Table:
    """Groups of strings in one flat Arrow array: group g is values[off[g] : off[g] + n[g]] (never empty)."""

    def __init__(self, groups: list[list[str]]) -> None:
        self.flat = [x for g in groups for x in (g or [""])]
        self.n = np.array([max(len(g), 1) for g in groups], dtype=np.int64)
        self.off = np.concatenate([[0], np.cumsum(self.n)[:-1]]).astype(np.int64)
        self.values = pa.array(self.flat, pa.string())

    def pick(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One string of each row's group, uniformly (an index into the flat array)."""
        return self.off[group] + _below(u, self.n[group])

    def take(self, idx: np.ndarray) -> pa.Array:
        return self.values.take(pa.array(idx, pa.int64()))


class _Templates(_Table):
    """Sentence templates in groups; `fill` formats a column of them from columns of slot values.

    Each template is held as M positions (literal, slot) plus a closing literal, so a column of templates is
    filled with a constant number of kernel calls, however many templates there are: per position one take of
    the literal and one gather of the slot value from the slot columns."""

    def __init__(self, groups: list[list[str]], slots: frozenset[str], where: str) -> None:
        super().__init__(groups)
        parsed = [[(lit, name) for lit, name, _, _ in _FORMATTER.parse(t)] for t in self.flat]
        for t, pieces in zip(self.flat, parsed):
            unknown = [name for _, name in pieces if name is not None and name not in slots]
            if unknown:
                raise BadInputError(f"{where}: template {t!r}: unknown slot {{{unknown[0]}}} "
                                    f"(known: {', '.join(sorted(slots))})")
        self.names = sorted({name for pieces in parsed for _, name in pieces if name is not None})
        self.m = max((sum(name is not None for _, name in pieces) for pieces in parsed), default=0)
        lits = np.full((len(parsed), self.m + 1), "", dtype=object)
        self.slot = np.full((len(parsed), self.m), -1, dtype=np.int64)
        for row, pieces in enumerate(parsed):
            col = 0
            for lit, name in pieces:
                lits[row, col] += lit
                if name is not None:
                    self.slot[row, col] = self.names.index(name)
                    col += 1
        self.lits = [pa.array(lits[:, k], pa.string()) for k in range(self.m + 1)]

    def fill(self, tid: np.ndarray, rows: np.ndarray, slots: dict[str, pa.Array]) -> pa.Array:
        """Template tid[i] filled from row rows[i] of the full-batch slot columns. A capitalised one-letter slot
        ({S}, {C}, {F}, {R}) not given is its lower-case slot with a capital first letter."""
        n = len(rows)
        tid_pa = pa.array(tid, pa.int64())
        if not self.names:
            return self.lits[0].take(tid_pa)
        sources, upper = [], np.zeros(len(self.names), bool)
        for i, name in enumerate(self.names):
            if name in slots:
                sources.append(slots[name])
            elif len(name) == 1 and name.isupper() and name.lower() in slots:
                sources.append(slots[name.lower()])
                upper[i] = True
            else:
                raise KeyError(name)
        size = len(sources[0])
        stacked = pa.concat_arrays([*sources, pa.array([""], pa.string())])
        args: list[Any] = []
        for k in range(self.m):
            args.append(self.lits[k].take(tid_pa))
            si = self.slot[tid, k]
            value = stacked.take(pa.array(np.where(si >= 0, si * size + rows, len(sources) * size), pa.int64()))
            up = (si >= 0) & upper[np.maximum(si, 0)]
            if up.any():
                value = pc.if_else(up, _cap_col(value), value)
            args.append(value)
        args.append(self.lits[self.m].take(tid_pa))
        return pc.binary_join_element_wise(*args, "") if n else pa.array([], pa.string())


_FORMATTER = string.Formatter()
_CTX_SLOTS = frozenset({"s", "S", "c", "C", "d", "a", "b", "f", "F", "r", "R", "n", "o", "O", "t", "T", "e", "age", "sx",
                        "sexn", "Pro", "pro",
                        "pos", "Pos", "rel", "sexw", "sexa"})
_PHRASE_SLOTS = frozenset({"quality", "qualityc", "R", "region"})
_PERSONS = (("I", "my", "me"), ("he", "his", "him"), ("she", "her", "her"))   # first person, third he, third she


def _cap_col(a: pa.Array) -> pa.Array:
    """Upper-case first character (the rest unchanged)."""
    return pc.binary_join_element_wise(pc.utf8_upper(pc.utf8_slice_codeunits(a, 0, 1)),
                                       pc.utf8_slice_codeunits(a, 1), "")


def _lists(size: int, parts: list[tuple[np.ndarray, pa.Array, Any]], cap: bool = False) -> pa.ListArray:
    """Per-row lists from parts (rows, values of those rows, order key of those rows or one for all): row i lists
    the values of every part that has it, in order of the key."""
    allrows = np.concatenate([r for r, _, _ in parts])
    keys = np.concatenate([k if isinstance(k, np.ndarray) else np.full(len(r), float(k)) for r, _, k in parts])
    order = np.lexsort((keys, allrows))
    flat = pa.concat_arrays([v for _, v, _ in parts]).take(pa.array(order))
    if cap and len(flat):
        flat = _cap_col(flat)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(allrows, minlength=size))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def _masked(mask: np.ndarray, values: pa.Array, key: Any) -> tuple[np.ndarray, pa.Array, Any]:
    """A part for _lists from a full-batch column and a mask."""
    rows = np.flatnonzero(mask)
    return rows, values.take(pa.array(rows)), key


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (a bijection of uint64)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


class Composer:
    """Writes batches of vignettes for a list of profiles; stateless apart from its inputs."""

    def __init__(self, profiles: list[Profile], wording: Wording, settings: GenSettings) -> None:
        if not profiles:
            raise BadInputError("no condition has a usable symptom fact: nothing to generate from")
        self.w = w = wording
        self.s = s = settings
        labels = (*CATEGORIES, OTHER_LABEL) if s.include_mimics else CATEGORIES
        self.by_cat: dict[str, list[Profile]] = {c: [] for c in labels}
        for p in profiles:
            if p.mimic and not s.include_mimics:
                continue  # a vascular, bone, infection or tumour cause is not a case of the six categories
            if p.mimic:
                p.category = OTHER_LABEL
            p.onsets = [a for a in p.onsets if a[1] in w.onset_lay]
            p.timings = [a for a in p.timings if a[1] in w.timing_lay]
            p.exams = [a for a in p.exams if a[1] in w.exam_lay]
            p.aggravating = [a for a in p.aggravating if a[1] in w.factor_lay]
            p.relieving = [a for a in p.relieving if a[1] in w.factor_lay]
            p.risk = [a for a in p.risk if a[1] in w.risk_lay]
            p.self_risk = [a for a in p.self_risk if a[1] in w.risk_lay]
            p.red_flags = [a for a in p.red_flags if a[1] in w.red_lay]
            p.pain_facts = [f for f in p.facts if f[1] == "pain"]
            own = {f[1] for f in p.facts}
            p.generic_negatives = tuple(x for x in _GENERIC_NEGATIVES if x not in own)
            self.by_cat[p.category].append(p)
        self.cats = tuple(c for c in labels if self.by_cat[c])
        self.schema = arrow_schema(self.cats)
        if not self.cats:
            raise BadInputError("every condition with a usable symptom fact is a mimic: nothing to generate from "
                                "(generate.include_mimics: true draws them under the label 'other')")
        self.profiles = profs = [p for c in self.cats for p in self.by_cat[c]]
        sizes = np.array([len(self.by_cat[c]) for c in self.cats])
        self._cat_size, self._cat_off = sizes, np.concatenate([[0], np.cumsum(sizes)[:-1]])
        # within a category, condition i is drawn with weight n_sources_i ** power: segment c of _cond_cum rises
        # from c (exclusive) to c + 1, so searchsorted(c + u) picks a condition of category c
        cw = np.array([float(p.n_sources) ** s.condition_weight_power for p in profs])
        seg = np.repeat(np.arange(len(self.cats)), sizes)
        tot = np.bincount(seg, weights=cw)
        within = np.cumsum(cw) - np.concatenate([[0.0], np.cumsum(tot)[:-1]])[seg]
        self._cond_cum = seg + within / tot[seg]
        self._cond_cum[np.cumsum(sizes) - 1] = np.arange(len(self.cats)) + 1.0   # exact segment ends
        self._codes()
        self._profile_tables()
        self._wording_tables()
        # per-difficulty and per-style rates
        self._lo = np.array([_FACTS_BY_DIFFICULTY[d][0] for d in DIFFICULTIES])
        self._hi = np.array([_FACTS_BY_DIFFICULTY[d][1] for d in DIFFICULTIES])
        self._nfac = np.array([_FACTORS_BY_DIFFICULTY[d] for d in DIFFICULTIES])
        self._vague = np.array([s.vague_region_rate.get(d, 0.0) for d in DIFFICULTIES])
        self._negr = np.array([s.negation_rate.get(d, 0.0) for d in DIFFICULTIES])
        self._distr = np.array([s.distractor_rate.get(d, 0.0) for d in DIFFICULTIES])
        self._style_w = [s.styles.get(k, 0.0) for k in STYLES]
        self._diff_w = [s.difficulty.get(k, 0.0) for k in DIFFICULTIES]
        # distractor pools by voice (lay, clinical) and age band (under 35, 35-59, 60 and over)
        self._npool = np.array([[len(pool) for pool in (w.distractors_age_clin if st == "clinical" else w.distractors_age_lay)]
                                for st in STYLES])
        self._held = np.array([p.condition_id in s.holdout_conditions for p in profs])
        self._age_mean = np.array([p.age_mean for p in profs])
        self._age_sd = np.array([p.age_sd for p in profs])
        self._female = np.array([p.female_share for p in profs])
        self._spinal = np.array([p.category == "spinal" for p in profs])
        self._lateral = np.array([r != "lower_back" for r in self.reg_names])   # a region on one side of the body
        self._exam_rate = np.array([s.exam_rate.get(k, 0.0) for k in STYLES])
        self._differential_tables()

    # -- the differential: P(label | findings written), from the knowledge table

    _V2_KINDS = (("aggravating", "aggravating"), ("relieving", "relieving"), ("risk", "risk_factor"),
                 ("self_risk", "risk_factor"), ("red_flags", "red_flag"), ("onsets", "onset"), ("timings", "timing"),
                 ("exams", "exam_finding"))

    def _differential_tables(self) -> None:
        """log P(finding | label) for every finding a row can state: the mean over the label's conditions of
        P(finding | condition) from the knowledge table (the prior where a condition has no row for it), and
        per profile the finding code of each fact, negation and factor it can write."""
        profs, prior = self.profiles, self.s.prior
        names: set[str] = {f"symptom:{g}@any" for g in _GENERIC_NEGATIVES} | {f"symptom:pain@{r}" for r, *_ in _PERTINENT}
        for p in profs:
            names |= {f"symptom:{f[1]}@{f[2]}" for f in p.facts} | {f"symptom:{f[1]}@{f[2]}" for f in p.negated}
            names |= {f"quality:{f[3]}" for f in p.facts if f[3]}
            names |= {f"{kind}:{a[1]}" for attr, kind in self._V2_KINDS for a in getattr(p, attr)}
        self.finding_names = sorted(names)
        code = {n: i for i, n in enumerate(self.finding_names)}
        lik = np.full((len(profs), len(code)), prior)
        for i, p in enumerate(profs):
            for name, value in p.likelihood.items():
                if name in code:
                    lik[i, code[name]] = value
            for g in _GENERIC_NEGATIVES:
                best = [v for k, v in p.likelihood.items() if k.startswith(f"symptom:{g}@")]
                lik[i, code[f"symptom:{g}@any"]] = max(best, default=prior)
        label_of = np.array([self.cats.index(p.category) for p in profs])
        mean = np.stack([lik[label_of == c].mean(axis=0) for c in range(len(self.cats))])
        zero = np.zeros((len(self.cats), 1))
        self._logL, self._log1mL = np.hstack([np.log(mean), zero]), np.hstack([np.log1p(-mean), zero])
        self._fact_f = _pad([[code[f"symptom:{f[1]}@{f[2]}"] for f in p.facts] for p in profs], -1, np.int64)
        self._qual_f = _pad([[code[f"quality:{f[3]}"] if f[3] else -1 for f in p.facts] for p in profs], -1, np.int64)
        self._neg_f = _pad([[code[f"symptom:{f[1]}@{f[2]}"] for f in p.negated] for p in profs], -1, np.int64)
        self._gen_f = _pad([[code[f"symptom:{g}@any"] for g in p.generic_negatives] for p in profs], -1, np.int64)
        self._pert_f = np.array([code[f"symptom:pain@{r}"] for r, *_ in _PERTINENT], np.int64)
        self._pert_ok = np.array([[self._may_deny(p, r, cat, near) for r, cat, _, near in _PERTINENT] for p in profs],
                                 dtype=np.bool_).reshape(len(profs), len(_PERTINENT))
        self._list_f = {attr: _pad([[code[f"{kind}:{a[1]}"] for a in getattr(p, attr)] for p in profs], -1, np.int64)
                        for attr, kind in self._V2_KINDS}

    def _may_deny(self, p: Profile, region: str, category: str, near: frozenset[str] | None) -> bool:
        """A pertinent negative (_PERTINENT) fits the profile: another category, no finding at that region (coarse),
        and a finding near it where that matters."""
        coarse = self.w.region_coarse

        def c(r: object) -> str:
            return coarse.get(str(r), str(r))

        here = c(region)
        return (p.category != category and not any(c(f[2]) == here for f in (*p.facts, *p.negated))
                and not any(k.startswith("symptom:") and c(k.rsplit("@", 1)[1]) == here for k in p.likelihood)
                and (near is None or any(c(f[2]) in near for f in p.facts)))

    def differential(self, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
        """P(label | findings) for rows of finding codes stated (`pos`) and denied (`neg`), -1 padded, under a
        uniform prior over the labels: naive Bayes with the label-level likelihoods."""
        logp = np.zeros((len(pos), len(self.cats)))
        for codes, table in ((pos, self._logL), (neg, self._log1mL)):
            if codes.size:   # code -1 (none) reads the last column, which is 0
                logp += table.T[codes].sum(axis=1)                      # rows x findings x labels -> rows x labels
        logp -= logp.max(axis=1, keepdims=True)
        e = np.exp(logp)
        return e / e.sum(axis=1, keepdims=True)

    # -- integer codes for everything a row can mention

    def _codes(self) -> None:
        w, profs = self.w, self.profiles
        syms = {f[1] for p in profs for f in p.facts} | {f[1] for p in profs for f in p.negated} | set(_GENERIC_NEGATIVES)
        self.sym_names = sorted(syms)
        regions = ({f[2] for p in profs for f in p.facts} | {f[2] for p in profs for f in p.negated} | set(w.region_lay)
                   | set(w.region_clin) | set(w.region_coarse.values()) | {"leg"})
        self.reg_names = sorted(regions)
        self._sym_code = {k: i for i, k in enumerate(self.sym_names)}
        self._reg_code = {k: i for i, k in enumerate(self.reg_names)}
        self._coarse = np.array([self._reg_code[w.region_coarse.get(r, r)] for r in self.reg_names])
        self._leg = self._reg_code["leg"]
        self._level = np.array([w.region_level.get(r, 4) for r in self.reg_names])
        self._is_leg = np.array([r == "leg" for r in self.reg_names])
        self.qual_names = sorted({f[3] for p in profs for f in p.facts if f[3]})
        self._qual_code = {k: i for i, k in enumerate(self.qual_names)}
        factors = {a[1] for p in profs for lst in (p.aggravating, p.relieving, p.risk, p.self_risk, p.red_flags,
                                                   p.onsets, p.timings, p.exams) for a in lst}
        self.factor_names = sorted(factors)
        self._factor_code = {k: i for i, k in enumerate(self.factor_names)}
        fids = sorted({f[0] for p in profs for f in p.facts} | {f[0] for p in profs for f in p.negated}
                      | {a[0] for p in profs for lst in (p.aggravating, p.relieving, p.risk, p.self_risk, p.red_flags,
                                                       p.onsets, p.timings, p.exams) for a in lst})
        self._fid_code = {k: i for i, k in enumerate(fids)}

    def _profile_tables(self) -> None:
        """Per profile, padded: facts, negated facts and factors as codes, and their ids as flat string tables."""
        profs = self.profiles
        sc, rc, qc, fc, idc = self._sym_code, self._reg_code, self._qual_code, self._factor_code, self._fid_code
        self._nf = np.array([len(p.facts) for p in profs])
        self._w = _pad([p.weights for p in profs], 0.0, float)
        self._wsum = self._w.sum(axis=1)
        self._lik = _pad([[p.likelihood.get(f"symptom:{f[1]}@{f[2]}", self.s.prior) for f in p.facts] for p in profs],
                         0.0, float)
        self._pain = _pad([[f[1] == "pain" for f in p.facts] for p in profs], False, bool)
        self._sym = _pad([[sc[f[1]] for f in p.facts] for p in profs], 0, np.int64)
        self._reg = _pad([[rc[f[2]] for f in p.facts] for p in profs], 0, np.int64)
        self._q = _pad([[qc[f[3]] if f[3] else -1 for f in p.facts] for p in profs], -1, np.int64)
        self._symreg = self._sym * len(self.reg_names) + self._reg
        self._pain_idx = _pad([[i for i, f in enumerate(p.facts) if f[1] == "pain"] for p in profs], 0, np.int64)
        self._npain = np.array([len(p.pain_facts) for p in profs])
        self._facts_t = _Table([[f[0] for f in p.facts] for p in profs])
        self._fact_code = _pad([[idc[f[0]] for f in p.facts] for p in profs], 0, np.uint64)
        self._sym_t = pa.array(self.sym_names, pa.string())
        self._reg_t = pa.array(self.reg_names, pa.string())
        # negated facts: (fact id, symptom, region)
        self._nneg = np.array([len(p.negated) for p in profs])
        self._neg_t = _Table([[f[0] for f in p.negated] for p in profs])
        self._neg_label_t = _Table([[f"{f[1]}:{f[2]}" for f in p.negated] for p in profs])
        self._neg_sym = _pad([[sc[f[1]] for f in p.negated] for p in profs], 0, np.int64)
        self._neg_reg = _pad([[rc[f[2]] for f in p.negated] for p in profs], 0, np.int64)
        self._neg_code = _pad([[idc[f[0]] for f in p.negated] for p in profs], 0, np.uint64)
        self._ngen = np.array([len(p.generic_negatives) for p in profs])
        self._gen_sym = _pad([[sc[x] for x in p.generic_negatives] for p in profs], 0, np.int64)
        # factors: (fact id, factor) lists
        self._fl: dict[str, tuple[np.ndarray, _Table, np.ndarray, np.ndarray]] = {}
        for kind in ("aggravating", "relieving", "risk", "self_risk", "red_flags", "onsets", "timings", "exams"):
            lists = [getattr(p, kind) for p in profs]
            self._fl[kind] = (np.array([len(x) for x in lists]), _Table([[a[0] for a in x] for x in lists]),
                              _pad([[fc[a[1]] for a in x] for x in lists], -1, np.int64),
                              _pad([[idc[a[0]] for a in x] for x in lists], 0, np.uint64))
        self._nagg, self._nrel = self._fl["aggravating"][0], self._fl["relieving"][0]
        self._nrisk, self._nself, self._nred = self._fl["risk"][0], self._fl["self_risk"][0], self._fl["red_flags"][0]
        self._agg, self._rel = self._fl["aggravating"][2], self._fl["relieving"][2]
        self._factor_t = pa.array(self.factor_names, pa.string())
        # weights (likelihoods) of the Version 2 lists, for weighted draws
        prior = self.s.prior
        kinds = {"onsets": "onset", "timings": "timing", "exams": "exam_finding"}
        self._v2w = {k: _pad([[p.likelihood.get(f"{kind}:{a[1]}", prior) for a in getattr(p, k)] for p in profs], 0.0, float)
                     for k, kind in kinds.items()}
        self._names = pa.array([p.name if p.name.isupper() else p.name.lower() for p in profs], pa.string())

    def _wording_tables(self) -> None:
        """Every phrase and template as flat string tables with group offsets; third-person versions precomputed."""
        w = self.w
        R = len(self.reg_names)

        def third(x: str, person: int) -> str:
            return x if person == 0 else _third(x, *_PERSONS[person])

        # group (kind * 3 + side) * R + region; kind 0 clinical, 1 + person lay (first person, he, she); side 0 not
        # said, 1 left, 2 right
        clin_rn = [_clin_region_names(r, w.region_clin.get(r) or [r.replace("_", " ")], side)
                   for side in range(3) for r in self.reg_names]
        lay_rn = [_lay_region_names(r, w.region_lay.get(r) or [r.replace("_", " ")], side)
                  for side in range(3) for r in self.reg_names]
        self._rn = _Table(clin_rn + [[third(x, k) for x in g] for k in range(3) for g in lay_rn])
        self._nreg = R
        ql = [w.quality_lay.get(q) or [q] for q in self.qual_names]
        qcl = [w.quality_clin.get(q) or [q] for q in self.qual_names]
        self._qual = _Table(ql + qcl + [[""]])            # lay qualities, clinical qualities, none
        self._q_sp = pa.array([x + " " if x else "" for x in self._qual.flat], pa.string())
        self._q_par = pa.array([f" ({x})" if x else "" for x in self._qual.flat], pa.string())
        sym_groups: list[list[str]] = []
        self._has_clause = np.array([bool(w.symptom_clause.get(sym)) for sym in self.sym_names])
        for sym in self.sym_names:
            human = sym.replace("_", " ")
            nps = w.symptom_np.get(sym) or [f"{human} in {{R}}"]
            clauses = w.symptom_clause.get(sym) or nps
            sym_groups.append(w.symptom_clin.get(sym) or [f"{human} {{region}}"])
            sym_groups += [[third(t, k) for t in nps] for k in range(3)]
            sym_groups += [[third(t, k) for t in clauses] for k in range(3)]
        self._symt = _Templates(sym_groups, _PHRASE_SLOTS, "schemas/vocab/phrases.yaml: symptom phrases")

        def by_factor(section_lay: dict[str, list[str]], section_clin: dict[str, list[str]],
                      persons: bool) -> _Table:
            lay = [section_lay.get(f) or [f.replace("_", " ")] for f in self.factor_names]
            clin = [section_clin.get(f) or [f.replace("_", " ")] for f in self.factor_names]
            if not persons:
                return _Table(lay + clin)
            return _Table([[third(x, k) for x in g] for k in range(3) for g in lay] + clin)

        self._fac_ph = by_factor(w.factor_lay, w.factor_clin, False)     # lay, clinical
        self._risk_ph = by_factor(w.risk_lay, w.risk_clin, True)         # first person, he, she, clinical
        self._red_ph = by_factor(w.red_lay, w.red_clin, True)
        self._negw = _Table([w.neg_lay.get(x) or [x.replace("_", " ")] for x in self.sym_names]
                            + [w.neg_clin.get(x) or [x.replace("_", " ")] for x in self.sym_names])
        # distractors by age band * 4 + (person of the lay voice, or 3 clinical): as written, and as a sentence
        said = [[third(d, k) for d in w.distractors_age_lay[b]] if k < 3 else list(w.distractors_age_clin[b])
                for b in range(3) for k in range(4)]
        self._distr_words = _Table(said)
        self._distr_sent = _Table([[_cap(d) + "." for d in g] for g in said])
        # Version 2 findings: onset phrases by (person, or 3 clinical) * F + factor; time course and exam likewise
        self._onset_ph = by_factor(w.onset_lay, w.onset_clin, True)
        self._timing_ph = by_factor(w.timing_lay, w.timing_clin, True)
        self._exam_ph = by_factor(w.exam_lay, w.exam_clin, True)
        self._relatives = _Table([list(_RELATIVES[(fem, band)]) for fem in (False, True) for band in range(3)])
        self._durations = _Table([w.durations_lay, w.durations_clin])
        # by sex (0 male, 1 female): Pro, pro, Pos, pos, sx; sexn by clinical * 2 + sex
        self._pron = [pa.array(x, pa.string()) for x in (["He", "She"], ["he", "she"], ["His", "Her"], ["his", "her"],
                                                           ["M", "F"])]
        self._sexn = pa.array(["man", "woman", "male", "female"], pa.string())
        L, C, T = w.t["lay"], w.t["clinical"], w.t["third_person"]
        where = "schemas/vocab/templates.yaml"

        def voices(slot: str, lay: list[str] | None = None) -> _Templates:  # groups by style code
            return _Templates([lay if lay is not None else L[slot], C[slot], T[slot]], _CTX_SLOTS, where)

        self._t_open = _Templates([L["open"], L["open_clause"], T["open"], T["open_clause"], C["open"]],
                                  _CTX_SLOTS, where)
        self._t_more = _Templates([L["more"], L["more_clause"], T["more"], T["more_clause"], C["more"]],
                                  _CTX_SLOTS, where)
        self._t_spread, self._t_worse, self._t_better = voices("spread"), voices("worse"), voices("better")
        self._t_neg, self._t_name, self._t_fillers = voices("neg"), voices("name"), voices("fillers")
        self._t_risk, self._t_red = voices("risk", ["{R}."]), voices("red", ["{R}."])
        self._t_negreg = _Templates([[third(t, k) for t in L["neg_region"]] for k in range(3)], _CTX_SLOTS, where)
        self._t_negreg_clin = _Templates([["pain below {r}", "radiation to {r}"]], _CTX_SLOTS, where)
        self._t_demo = _Templates([L["demo"]], _CTX_SLOTS, where)
        self._t_onset, self._t_timing = voices("onset"), voices("timing")
        self._t_exam, self._t_both = voices("exam"), voices("both")
        self._t_pert = [voices(slot) for _, _, slot, _ in _PERTINENT]

    # -- the plan: every draw that decides what a vignette says, for a whole batch at once

    def plan(self, rng: np.random.Generator, size: int, labels: np.ndarray | None = None) -> Plan:
        """Every draw of `size` rows; the label uniformly among `labels` (indices into `cats`; default all)."""
        s, B = self.s, size
        (u_cat, u_prof, u_style, u_diff, u_k, u_pain, u_painpick, u_vague, u_female, u_spread, u_agg, u_rel,
         u_self, u_risk, u_riskpick, u_neg, u_negfact, u_negpick, u_red, u_redpick, u_name, u_distr,
         u_distr2, u_d1, u_d2, u_filler, u_age) = rng.random((27, B))
        pool = np.arange(len(self.cats)) if labels is None else labels
        ci = pool[(u_cat * len(pool)).astype(np.intp)]
        if s.condition_weight_power:
            p = np.minimum(np.searchsorted(self._cond_cum, ci + u_prof, side="right"), len(self.profiles) - 1)
        else:
            p = self._cat_off[ci] + _below(u_prof, self._cat_size[ci])
        style = _choice(u_style, self._style_w)
        diff = _choice(u_diff, self._diff_w)
        lo, hi = self._lo[diff], self._hi[diff]
        k = np.minimum(self._nf[p], lo + (u_k * (hi - lo + 1)).astype(np.intp))
        # symptom facts: k without replacement, weighted (Efraimidis-Spirakis keys u ** (1 / w))
        w = self._w[p]
        real = np.arange(w.shape[1])[None, :] < self._nf[p][:, None]
        with np.errstate(divide="ignore"):
            keys = np.where(w > 0, rng.random(w.shape) ** (1.0 / np.where(w > 0, w, 1.0)), 0.0)
        keys = np.where(real, keys, -1.0)
        kmax = min(_KMAX, w.shape[1])
        chosen = np.argsort(-keys, axis=1, kind="stable")[:, :kmax]
        chosen = np.where(np.arange(kmax)[None, :] < k[:, None], chosen, -1)
        pp = p[:, None]
        if s.likelihood_cap:
            chosen = self._cap_by_likelihood(rng, p, k, chosen)
        is_pain = self._pain[pp, np.maximum(chosen, 0)] & (chosen >= 0)
        # most people with a painful condition mention the pain
        swap = (self._npain[p] > 0) & ~is_pain.any(axis=1) & (u_pain < 0.7)
        chosen[swap, 0] = self._pain_idx[p, _below(u_painpick, self._npain[p])][swap]
        # pain first, then fact order; one statement per symptom-region pair
        is_pain = self._pain[pp, np.maximum(chosen, 0)] & (chosen >= 0)
        big = self._w.shape[1] + 1
        chosen = np.take_along_axis(chosen, np.argsort(np.where(chosen >= 0, (~is_pain) * big + chosen, 4 * big),
                                                       axis=1, kind="stable"), axis=1)
        sr = np.where(chosen >= 0, self._symreg[pp, np.maximum(chosen, 0)], -1)
        for j in range(1, kmax):
            dup = (sr[:, j] >= 0) & (sr[:, :j] == sr[:, j:j + 1]).any(axis=1)
            chosen[dup, j] = -1
        chosen = np.take_along_axis(chosen, np.argsort(chosen < 0, axis=1, kind="stable"), axis=1)
        if kmax < _KMAX:
            chosen = np.hstack([chosen, np.full((B, _KMAX - kmax), -1)])
        # "radiates from a down to b": the first two pain regions, at different levels
        is_pain = self._pain[pp, np.maximum(chosen, 0)] & (chosen >= 0)
        ra = self._reg[p, np.maximum(chosen[:, 0], 0)]
        rb = self._reg[p, np.maximum(chosen[:, 1], 0)]
        la, lb = self._level[ra], self._level[rb]
        spread = (is_pain[:, 0] & is_pain[:, 1] & (la != lb) & ~self._is_leg[ra] & ~self._is_leg[rb]
                  & (u_spread < 0.7))
        ra, rb = np.where(la < lb, ra, rb), np.where(la < lb, rb, ra)
        vague = u_vague < self._vague[diff]
        female = u_female < self._female[p]
        age = self._ages(rng, p, u_age)
        # factors: up to n aggravating (random order), one relieving that is not also aggravating, one risk
        n_agg = np.where((self._nagg[p] > 0) & (u_agg < 0.85), np.minimum(self._nfac[diff], self._nagg[p]), 0)
        akeys = np.where(np.arange(self._agg.shape[1])[None, :] < self._nagg[p][:, None],
                         rng.random((B, self._agg.shape[1])), -1.0)
        amax = min(_AMAX, self._agg.shape[1])
        agg = np.argsort(-akeys, axis=1, kind="stable")[:, :amax]
        agg = np.where(np.arange(amax)[None, :] < n_agg[:, None], agg, -1)
        if amax < _AMAX:
            agg = np.hstack([agg, np.full((B, _AMAX - amax), -1)])
        agg_codes = np.where(agg >= 0, self._agg[pp, np.maximum(agg, 0)], -3)
        rel_codes = self._rel[p]
        rel_ok = (rel_codes >= 0) & ~(rel_codes[:, :, None] == agg_codes[:, None, :]).any(axis=2)
        rkeys = np.where(rel_ok, rng.random(rel_codes.shape), -1.0)
        rel = np.where(rel_ok.any(axis=1) & (u_rel < 0.5), rkeys.argmax(axis=1), -1)
        self_risk = (self._nself[p] > 0) & (u_self < s.self_report_rate)
        other_risk = ~self_risk & (self._nrisk[p] > 0) & (u_risk < 0.4)
        risk_kind = np.where(self_risk, 1, np.where(other_risk, 2, 0))
        risk = np.where(self_risk, _below(u_riskpick, self._nself[p]), _below(u_riskpick, self._nrisk[p]))
        # a negated finding: one the article states, else a generic one the condition does not have
        neg = u_neg < self._negr[diff]
        neg_fact = neg & (self._nneg[p] > 0) & (u_negfact < s.stated_negation_share)
        neg_gen = neg & ~neg_fact & (self._ngen[p] > 0)
        neg_idx = np.where(neg_fact, _below(u_negpick, self._nneg[p]), _below(u_negpick, self._ngen[p]))
        # never a finding both affirmed and denied: a stated negation that clashes with a chosen symptom (the same
        # symptom, or pain that does reach the region it is said not to reach) gives way to a generic one
        clash = neg_fact & self._neg_clash(p, chosen, neg_idx)
        neg_gen |= clash & (self._ngen[p] > 0)
        neg_fact &= ~clash
        neg_idx = np.where(clash, _below(u_negpick, self._ngen[p]), neg_idx)
        neg_kind = np.where(neg_fact, 1, np.where(neg_gen, 2, 0))
        red = np.where((self._nred[p] > 0) & (u_red < s.red_flag_rate), _below(u_redpick, self._nred[p]), -1)
        name = u_name < s.name_rate
        n_distr = np.where(u_distr < self._distr[diff], 1, 0)
        n_distr = np.where((n_distr == 1) & (diff == 2) & (u_distr2 < 0.4), 2, n_distr)
        onset, timing, exam = self._v2_draws(rng, p, style)
        # one patient, one side: left or right, both legs only for a spinal cause; none when nothing is lateral
        lateral = ((chosen >= 0) & self._lateral[self._reg[pp, np.maximum(chosen, 0)]]).any(axis=1)
        u_side, u_both = rng.random((2, B))
        side = np.where(self._spinal[p] & (u_both < s.both_sides_rate), 3, 1 + (u_side < 0.5))
        side = np.where(lateral, side, 0)
        band = np.where(age < 35, 0, np.where(age < 60, 1, 2))
        n_distr = np.minimum(n_distr, self._npool[style, band])
        pool = self._npool[style, band]
        d1 = _below(u_d1, pool)
        d2 = _below(u_d2, np.maximum(pool - 1, 1))
        d2 = d2 + (d2 >= d1)
        # the pertinent negative clinicians write: "my back is fine" where the condition has no low-back finding
        pert_neg = self._pert_ok[p] & (rng.random((B, len(_PERTINENT))) < s.pertinent_negative_rate)
        plan = Plan(p=p, cat=ci, style=style, diff=diff, chosen=chosen, spread=spread, ra=ra, rb=rb, vague=vague,
                    female=female, age=age, agg=agg, rel=rel, risk_kind=risk_kind, risk=risk, neg_kind=neg_kind,
                    neg=neg_idx, red=red, name=name, d1=np.where(n_distr >= 1, d1, -1),
                    d2=np.where(n_distr >= 2, d2, -1), filler=u_filler < s.filler_rate, onset=onset, timing=timing,
                    exam=exam, side=side, band=band, differential=np.zeros((B, len(self.cats))),
                    supported=np.zeros(B, bool), pert_neg=pert_neg)
        plan.differential = self.differential(*self.findings(plan))
        top2 = np.argsort(-plan.differential, axis=1, kind="stable")[:, :2]
        plan.supported = (top2 == ci[:, None]).any(axis=1)
        return plan

    def _cap_by_likelihood(self, rng: np.random.Generator, p: np.ndarray, k: np.ndarray, chosen: np.ndarray
                           ) -> np.ndarray:
        """Thin the drawn symptom facts so that each is stated at most about as often as its likelihood: a fact
        drawn with probability q (1 when k covers every fact, else about k * w / sum w, at most 1) is kept with
        probability min(1, L / q). Without it a condition with three facts states all three in every case, however
        rarely the articles say a patient has them, while one with thirty states each rarely. The first drawn fact
        stays when every one would go."""
        idx = np.maximum(chosen, 0)
        pp = p[:, None]
        q = np.minimum(1.0, k[:, None] * self._w[pp, idx] / np.maximum(self._wsum[p], 1e-12)[:, None])
        q[k >= self._nf[p]] = 1.0    # every fact is drawn
        keep = rng.random(chosen.shape) < np.minimum(1.0, self._lik[pp, idx] / np.maximum(q, 1e-12))
        out = np.where(keep, chosen, -1)
        empty = (out < 0).all(axis=1)
        out[empty, 0] = chosen[empty, 0]
        return out

    def _neg_clash(self, p: np.ndarray, chosen: np.ndarray, neg: np.ndarray) -> np.ndarray:
        """Rows whose stated negated fact `neg` contradicts one of their chosen symptom facts."""
        pp, cc = p[:, None], np.maximum(chosen, 0)
        nsym, nreg = _at(self._neg_sym, p, neg), _at(self._neg_reg, p, neg)
        csym, creg = self._sym[pp, cc], self._reg[pp, cc]
        pain = self._sym_code.get("pain", -1)
        same = (csym == nsym[:, None]) & (nsym[:, None] != pain)
        is_pain = (chosen >= 0) & (csym == pain)
        at_region = is_pain & (self._coarse[creg] == self._coarse[nreg][:, None])
        # "it stops before / never reaches / no pain below {r}": r must lie beyond every chosen pain region
        reach = is_pain & (self._level[creg] >= self._level[nreg][:, None])
        return ((chosen >= 0) & same).any(axis=1) | ((nsym == pain) & (at_region | reach).any(axis=1))

    def _v2_draws(self, rng: np.random.Generator, p: np.ndarray, style: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How it started and its time course (one each, drawn with the knowledge likelihoods) and up to
        `_EMAX` examination findings (more often in clinical voices), for the rows' profiles."""
        s, B = self.s, len(p)
        u_on, u_onpick, u_tm, u_tmpick, u_ex, u_ex2 = rng.random((6, B))

        def one(kind: str, u: np.ndarray, upick: np.ndarray, rate: float) -> np.ndarray:
            n, w = self._fl[kind][0][p], self._v2w[kind][p]
            cum = np.cumsum(w, axis=1)
            idx = (cum < (upick * cum[:, -1])[:, None]).sum(axis=1)
            return np.where((n > 0) & (u < rate), np.minimum(idx, np.maximum(n - 1, 0)), -1)

        onset = one("onsets", u_on, u_onpick, s.onset_rate)
        timing = one("timings", u_tm, u_tmpick, s.timing_rate)
        n_ex = self._fl["exams"][0][p]
        k = np.where(u_ex < self._exam_rate[style], np.minimum(n_ex, 1 + (u_ex2 < 0.4)), 0)
        w = self._v2w["exams"][p]
        with np.errstate(divide="ignore"):
            keys = np.where(w > 0, rng.random(w.shape) ** (1.0 / np.where(w > 0, w, 1.0)), -1.0)
        emax = min(_EMAX, w.shape[1])
        exam = np.argsort(-keys, axis=1, kind="stable")[:, :emax]
        exam = np.where(np.arange(emax)[None, :] < k[:, None], exam, -1)
        if emax < _EMAX:
            exam = np.hstack([exam, np.full((B, _EMAX - emax), -1)])
        return onset, timing, exam

    def findings(self, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
        """Finding codes (see `finding_names`) each row states and denies, -1 padded: its symptom facts and their
        qualities, factors, onset, time course and examination findings; its negated finding."""
        p, pp = plan.p, plan.p[:, None]

        def at(table: np.ndarray, idx: np.ndarray) -> np.ndarray:
            return np.where(idx >= 0, table[pp if idx.ndim == 2 else p, np.clip(idx, 0, table.shape[1] - 1)], -1)

        lf = self._list_f
        risk = np.where(plan.risk_kind == 1, at(lf["self_risk"], plan.risk), at(lf["risk"], plan.risk))
        pos = np.column_stack([at(self._fact_f, plan.chosen), at(self._qual_f, plan.chosen),
                               at(lf["aggravating"], plan.agg), at(lf["relieving"], plan.rel),
                               np.where(plan.risk_kind > 0, risk, -1), at(lf["red_flags"], plan.red),
                               at(lf["onsets"], plan.onset), at(lf["timings"], plan.timing), at(lf["exams"], plan.exam)])
        neg = np.column_stack([np.where(plan.neg_kind == 1, at(self._neg_f, plan.neg),
                                        np.where(plan.neg_kind == 2, at(self._gen_f, plan.neg), -1)),
                               np.where(plan.pert_neg, self._pert_f[None, :], -1)])
        return pos, neg

    def _ages(self, rng: np.random.Generator, p: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Ages from each condition's normal prior truncated to [age_min, age_max]: resampled, not clamped, so
        the bounds do not pile up."""
        lo, hi = self.s.age_min, self.s.age_max
        mean, sd = self._age_mean[p], self._age_sd[p]
        age = np.rint(rng.normal(mean, sd))
        bad = (age < lo) | (age > hi)
        for _ in range(20):
            if not bad.any():
                break
            age[bad] = np.rint(rng.normal(mean[bad], sd[bad]))
            bad = (age < lo) | (age > hi)
        age[bad] = lo + np.floor(u[bad] * (hi - lo + 1))
        return age.astype(np.int64)

    # -- the words

    def supported_plan(self, rng: np.random.Generator, size: int) -> tuple[Plan, np.ndarray]:
        """`size` planned rows whose own label is in their differential's top two, as many of each label as the
        draw gives (at most ceil(size / labels) each, so dropping keeps the labels balanced), and the cases drawn
        and dropped per difficulty (2 x 3). The rule: a drawn case whose findings do not put its label in the top
        two is dropped, never relabelled, and drawing goes on (from the same generator) until the batch is full.
        A supported case of a label that has its share already is set aside, not counted."""
        kept: list[Plan] = []
        counts = np.zeros((2, len(DIFFICULTIES)), np.int64)
        quota = -(-size // len(self.cats))
        per_label = np.zeros(len(self.cats), np.int64)
        have, rounds = 0, 0
        while have < size:
            rounds += 1
            if rounds > 64:
                raise BadInputError(f"fewer than {have} of {counts[0].sum()} drawn cases are supported by the knowledge "
                                    "table: check the facts and generate.prior")
            room = np.maximum(quota - per_label, 0)
            short = np.flatnonzero(room > 0)                     # draw only the labels that still have room
            draw = self.plan(rng, 64 + int((size - have) * 1.2), short if rounds > 1 else None)
            take = np.zeros(len(draw), bool)
            for c in range(len(self.cats)):   # the first supported rows of each label, up to its room
                rows = np.flatnonzero(draw.supported & (draw.cat == c))[:room[c]]
                take[rows] = True
            order = np.flatnonzero(take)[:size - have]
            cut = order[-1] + 1 if have + len(order) >= size else len(draw)   # rows after the batch is full: unused
            considered = np.arange(cut)
            counted = considered[~draw.supported[:cut] | take[:cut]]          # kept or dropped, not set aside
            counts[0] += np.bincount(draw.diff[counted], minlength=len(DIFFICULTIES))
            counts[1] += np.bincount(draw.diff[counted][~draw.supported[counted]], minlength=len(DIFFICULTIES))
            kept.append(draw.take(order))
            per_label += np.bincount(draw.cat[order], minlength=len(self.cats))
            have += len(order)
        plan = Plan.concat(kept)
        return plan, counts

    def table(self, seed: int, batch: int, start: int, size: int) -> pa.Table:
        """Rows start..start+size of the vignettes table for `seed`: depends only on (seed, batch). The counts of
        drawn and dropped cases per difficulty ride along in the schema metadata (`generation_counts`)."""
        rng = batch_rng(seed, batch)
        plan, counts = self.supported_plan(rng, size)
        cols = self.render(plan, rng)
        p = plan.p

        def strings(names: Any, idx: np.ndarray) -> pa.Array:
            return pa.array(np.asarray(names, dtype=object)[idx], pa.string())

        split = np.where(self._held[p], SPLITS.index("test"), self._split_index(cols.pop("content_hash")))
        data = {
            "vignette_id": pa.array(vignette_ids(seed, start, size), pa.string()), "text": cols["text"],
            "category": strings(self.cats, plan.cat),
            "condition_id": strings([q.condition_id for q in self.profiles], p),
            "age": pa.array(plan.age, pa.int64()),
            "sex": strings(("male", "female"), plan.female.astype(np.intp)),
            "symptoms": cols["symptoms"], "regions": cols["regions"], "factors": cols["factors"],
            "red_flag": pa.array(plan.red >= 0), "style": strings(STYLES, plan.style),
            "difficulty": strings(DIFFICULTIES, plan.diff), "fact_ids": cols["fact_ids"],
            "split": strings(SPLITS, split), "seed": pa.array(np.full(size, seed, dtype=np.int64)),
            "negated_findings": cols["negated_findings"], "distractors": cols["distractors"],
            "names_condition": pa.array(plan.name),
            "side": pa.array(np.asarray([None, "left", "right", "both"], dtype=object)[plan.side], pa.string()),
            "onset": cols["onset"], "exam_findings": cols["exam_findings"],
            "differential": self._differential_column(plan.differential),
            "label_supported": pa.array(plan.supported),
        }
        meta = {b"generation_counts": json.dumps(counts.tolist()).encode()}
        return pa.table({n: data[n] for n in self.schema.names}, schema=self.schema.with_metadata(meta))

    def _differential_column(self, d: np.ndarray) -> pa.Array:
        """The differential as a struct label -> probability (rounded to 4 places), labels in contract order."""
        return pa.StructArray.from_arrays([pa.array(np.round(d[:, j], 4), pa.float64()) for j in range(d.shape[1])],
                                          names=list(self.cats))

    def _split_index(self, content_hash: np.ndarray) -> np.ndarray:
        h = (content_hash >> np.uint64(11)).astype(np.float64) / 2.0**53
        cum = np.cumsum([self.s.splits.get(name, 0.0) for name in SPLITS])
        return np.minimum(np.searchsorted(cum, h, side="right"), len(SPLITS) - 1)

    def texts(self, n: int, seed: int) -> list[str]:
        """n vignette texts (one batch), for tests and previews."""
        return self.table(seed, 0, 0, n).column("text").to_pylist()

    def render(self, plan: Plan, rng: np.random.Generator) -> dict[str, Any]:
        """Text and traceability lists of every row of a plan, column by column: each phrase and sentence kind is
        filled for the rows that have it, all at once (one phase per kind of statement), then each row's
        sentences are put in order and joined, and the facts behind them listed."""
        v = _View.of(plan, self._nreg)
        w = _Writer(len(plan), rng)
        w.ctx = self._context(plan, v, w)
        sy = self._render_symptoms(plan, v, w)
        fa = self._render_factors(plan, v, w)
        nsym = self._render_negation(plan, v, w)
        d_group = self._render_extras(plan, v, w)
        text = pc.binary_join(_lists(len(plan), w.parts, cap=True), " ")
        return {"text": _tidy_column(text), **self._trace(plan, v, sy, fa, nsym, d_group)}

    def _context(self, plan: Plan, v: _View, w: _Writer) -> dict[str, pa.Array]:
        """The slots every template may use: age, pronouns, sex words, a relative, a duration."""
        fem, clin = v.fem, v.clin
        ctx = {"age": pc.cast(pa.array(plan.age), pa.string()),
               "Pro": self._pron[0].take(pa.array(fem)), "pro": self._pron[1].take(pa.array(fem)),
               "Pos": self._pron[2].take(pa.array(fem)), "pos": self._pron[3].take(pa.array(fem)),
               "sexn": self._sexn.take(pa.array(clin * 2 + fem)), "sx": self._pron[4].take(pa.array(fem)),
               "rel": self._relatives.take(self._relatives.pick(fem * 3 + plan.band, w.u())),
               "d": self._durations.take(self._durations.pick(clin.astype(np.int64), w.u()))}
        ctx["sexw"] = ctx["sexa"] = ctx["sx"]
        return ctx

    def _render_symptoms(self, plan: Plan, v: _View, w: _Writer) -> _Symptoms:
        """One phrase per chosen symptom-region fact (the side said once, at the first region on that side), the
        opening sentence (the first symptom, or all of them as one list), the course, further symptoms, and
        "it radiates from a to b"."""
        B, p, chosen, R = len(plan), plan.p, plan.chosen, self._nreg
        pp = p[:, None]
        has = chosen >= 0
        cc = np.maximum(chosen, 0)
        sym, reg, q = self._sym[pp, cc], self._reg[pp, cc], self._q[pp, cc]
        said = plan.side == 3                                       # the side is said once, at its first region
        phrases, clause = [], np.zeros((B, _KMAX), bool)
        nq = len(self.qual_names)
        for j in range(_KMAX):
            rg = reg[:, j]
            vague = plan.vague
            rg = np.where(vague, self._coarse[rg], rg)
            rg = np.where(vague & (w.u() < 0.3), self._leg, rg)
            first_lateral = has[:, j] & self._lateral[rg] & ~said & (plan.side > 0)
            said |= first_lateral
            rname = self._rn.take(self._rn.pick(v.rn_kind + np.where(first_lateral, plan.side, 0) * R + rg, w.u()))
            hq = q[:, j] >= 0
            qi = pa.array(self._qual.pick(np.where(hq, q[:, j] + v.clin * nq, 2 * nq), w.u()))
            clause[:, j] = (has[:, j] & v.nar & self._has_clause[sym[:, j]] & (~hq | ~self._pain[p, cc[:, j]])
                            & (w.u() < 0.35))
            form = np.where(v.clin, 0, 1 + v.person + 3 * clause[:, j])
            ph = w.sentence(self._symt, has[:, j], sym[:, j] * 7 + form, quality=self._q_sp.take(qi),
                            qualityc=self._q_par.take(qi), R=rname, region=rname)
            phrases.append(w.full(has[:, j], ph))
        n_ch = has.sum(axis=1)
        merge = (v.nar & ~clause[:, 0] & (n_ch > 1) & ~(clause[:, 1:] & has[:, 1:]).any(axis=1) & (w.u() < 0.4))
        seps = [pa.array(np.where(merge & has[:, j], np.where(n_ch == j + 1, " and ", ", "), "")) for j in range(1, _KMAX)]
        listed = pc.binary_join_element_wise(
            phrases[0], *[x for j in range(1, _KMAX) for x in (seps[j - 1], pc.if_else(merge, phrases[j], w.empty))], "")
        first = pc.if_else(v.clin, phrases[0], listed)
        w.sentence(self._t_open, np.ones(B, bool), np.where(v.clin, 4, 2 * v.third + clause[:, 0]), -1.0, s=first, c=first)
        self._render_course(plan, v, w)
        for j in range(1, _KMAX):
            w.sentence(self._t_more, has[:, j] & ~merge, np.where(v.clin, 4, 2 * v.third + clause[:, j]), w.u(),
                       s=phrases[j], c=phrases[j])
        a = self._rn.take(self._rn.pick(v.rn_kind + plan.ra, w.u()))
        b = self._rn.take(self._rn.pick(v.rn_kind + plan.rb, w.u()))
        w.sentence(self._t_spread, plan.spread, plan.style, w.u(), a=a, b=b)
        return _Symptoms(has, cc, sym, reg)

    def _render_course(self, plan: Plan, v: _View, w: _Writer) -> None:
        """How it started (after the opening), both legs where so, the time course, and examination findings as
        the voice writes them (a clinician's list; a patient's report of what the physio found)."""
        p, clin, st = plan.p, v.clin, plan.style
        ph_kind = np.where(clin, 3, v.person) * len(self.factor_names)

        def phrase(table: _Table, code: np.ndarray) -> pa.Array:
            return table.take(table.pick(ph_kind + np.maximum(code, 0), w.u()))

        onset = _at(self._fl["onsets"][2], p, plan.onset)
        w.sentence(self._t_onset, plan.onset >= 0, st, -0.9, o=phrase(self._onset_ph, onset))
        w.sentence(self._t_both, plan.side == 3, st, -0.8)
        timing = _at(self._fl["timings"][2], p, plan.timing)
        w.sentence(self._t_timing, plan.timing >= 0, st, w.u(), t=phrase(self._timing_ph, timing))
        ex = [phrase(self._exam_ph, _at(self._fl["exams"][2], p, plan.exam[:, i])) for i in range(_EMAX)]
        two = plan.exam[:, 1] >= 0
        sep = pa.array(np.where(two, np.where(clin, ", ", " and "), ""))
        joined = pc.binary_join_element_wise(ex[0], sep, pc.if_else(two, ex[1], pa.array([""] * len(p))), "")
        w.sentence(self._t_exam, plan.exam[:, 0] >= 0, st, 1.5, e=joined)

    def _render_factors(self, plan: Plan, v: _View, w: _Writer) -> _Factors:
        """Aggravating and relieving factors (a sentence each; a list in clinical notes), a risk factor ("I have
        flat feet." / "Of note, she has flat feet." / "PMH/SH: pes planus.") and a red flag."""
        p, st = plan.p, plan.style
        fac_kind = np.where(v.lay, 0, 1) * len(self.factor_names)
        agg = plan.agg
        agg_code = self._agg[p[:, None], np.maximum(agg, 0)]
        agg_ph = [self._fac_ph.take(self._fac_ph.pick(fac_kind + np.maximum(agg_code[:, i], 0), w.u()))
                  for i in range(_AMAX)]
        clin_list = pc.binary_join_element_wise(
            agg_ph[0], *[x for i in range(1, _AMAX) for x in (pa.array(np.where(agg[:, i] >= 0, ", ", "")),
                                                               pc.if_else(agg[:, i] >= 0, agg_ph[i], w.empty))], "")
        for i in range(_AMAX):
            f = pc.if_else(v.clin, clin_list, agg_ph[i]) if i == 0 else agg_ph[i]
            w.sentence(self._t_worse, (agg[:, i] >= 0) & (v.nar | (i == 0)), st, w.u(), f=f)
        rel = plan.rel
        rel_code = np.maximum(self._rel[p, np.maximum(rel, 0)], 0)
        f = self._fac_ph.take(self._fac_ph.pick(fac_kind + rel_code, w.u()))
        w.sentence(self._t_better, rel >= 0, st, w.u(), f=f)
        ph_kind = np.where(v.clin, 3, v.person) * len(self.factor_names)
        rk = plan.risk_kind
        risk_code = np.where(rk == 1, _at(self._fl["self_risk"][2], p, plan.risk), _at(self._fl["risk"][2], p, plan.risk))
        r = self._risk_ph.take(self._risk_ph.pick(ph_kind + np.maximum(risk_code, 0), w.u()))
        w.sentence(self._t_risk, rk > 0, st, w.u(), r=r)
        red_code = self._fl["red_flags"][2][p, np.maximum(plan.red, 0)]
        r = self._red_ph.take(self._red_ph.pick(ph_kind + np.maximum(red_code, 0), w.u()))
        w.sentence(self._t_red, plan.red >= 0, st, w.u(), r=r)
        return _Factors(agg_code, rel_code, risk_code, red_code)

    def _render_negation(self, plan: Plan, v: _View, w: _Writer) -> np.ndarray:
        """The negated finding: a symptom ("No numbness.") or, for pain, a region it does not reach. Returns the
        negated symptom's code per row."""
        p, st, clin = plan.p, plan.style, v.clin
        nk, ni = plan.neg_kind, plan.neg
        nsym = np.where(nk == 1, _at(self._neg_sym, p, ni), _at(self._gen_sym, p, ni))
        nreg = _at(self._neg_reg, p, ni)
        neg_pain = (nk == 1) & (nsym == self._sym_code.get("pain", -1))
        word = self._negw.take(self._negw.pick(nsym + clin * len(self.sym_names), w.u()))
        nrname = self._rn.take(self._rn.pick(v.rn_kind + nreg, w.u()))
        zero = np.zeros(len(plan), np.int64)
        clin_region = w.full(neg_pain & clin, w.sentence(self._t_negreg_clin, neg_pain & clin, zero, r=nrname))
        negs = pc.if_else(neg_pain & clin, clin_region, word)
        w.sentence(self._t_neg, (nk > 0) & (clin | ~neg_pain), st, w.u(), s=negs)
        w.sentence(self._t_negreg, neg_pain & v.nar, v.person, w.u(), r=nrname)
        for j, templates in enumerate(self._t_pert):
            w.sentence(templates, plan.pert_neg[:, j], st, w.u())
        return nsym

    def _render_extras(self, plan: Plan, v: _View, w: _Writer) -> np.ndarray:
        """Distractors (plausible for the age), the condition's name, a filler, the writer's age and sex. Returns
        the distractor group of each row (age band x voice)."""
        st = plan.style
        d_group = plan.band * 4 + np.where(v.clin, 3, v.person)
        for d in (plan.d1, plan.d2):
            rows = np.flatnonzero(d >= 0)
            w.parts.append((rows, self._distr_sent.take((self._distr_sent.off[d_group] + d)[rows]), w.u()[rows]))
        w.sentence(self._t_name, plan.name, st, w.u(), n=self._names.take(pa.array(plan.p)))
        w.sentence(self._t_fillers, plan.filler, st, 2.0)
        demo = w.full(v.lay, w.sentence(self._t_demo, v.lay, np.zeros(len(plan), np.int64)))
        has_demo = v.lay & (pc.utf8_length(demo).to_numpy(zero_copy_only=False) > 0)
        rows = np.flatnonzero(has_demo)
        w.parts.append((rows, demo.take(pa.array(rows)), np.where(w.u() < 0.5, -2.0, 3.0)[rows]))
        return d_group

    def _trace(self, plan: Plan, v: _View, sy: _Symptoms, fa: _Factors, nsym: np.ndarray,
               d_group: np.ndarray) -> dict[str, Any]:
        """The facts behind every statement, the structured columns, and what the row says as a hash (the same
        content always lands in the same split)."""
        B, p = len(plan), plan.p
        has, cc, sym, reg, chosen = sy.has, sy.cc, sy.sym, sy.reg, plan.chosen
        agg, rel, rk, red, nk, ni = plan.agg, plan.rel, plan.risk_kind, plan.red, plan.neg_kind, plan.neg

        def fids(table: _Table, idx: np.ndarray) -> pa.Array:
            return table.take(table.off[p] + np.clip(idx, 0, table.n[p] - 1))

        def factor(code: np.ndarray) -> pa.Array:
            return self._factor_t.take(pa.array(np.maximum(code, 0)))

        risk_ids = pc.if_else(rk == 1, fids(self._fl["self_risk"][1], plan.risk), fids(self._fl["risk"][1], plan.risk))
        fact_parts = [_masked(has[:, j], fids(self._facts_t, chosen[:, j]), j) for j in range(_KMAX)]
        fact_parts.append(_masked(nk == 1, fids(self._neg_t, ni), 4))
        fact_parts += [_masked(agg[:, i] >= 0, fids(self._fl["aggravating"][1], agg[:, i]), 5 + i) for i in range(_AMAX)]
        fact_parts += [_masked(rel >= 0, fids(self._fl["relieving"][1], rel), 8), _masked(rk > 0, risk_ids, 9),
                       _masked(red >= 0, fids(self._fl["red_flags"][1], red), 10)]
        factor_parts = [_masked(agg[:, i] >= 0, factor(fa.agg[:, i]), i) for i in range(_AMAX)]
        factor_parts += [_masked(rel >= 0, factor(fa.rel), 3), _masked(rk > 0, factor(fa.risk), 4),
                         _masked(red >= 0, factor(fa.red), 5)]
        new_sym = [has[:, j] & ~((sym[:, :j] == sym[:, j:j + 1]) & has[:, :j]).any(axis=1) for j in range(_KMAX)]
        new_reg = [has[:, j] & ~((reg[:, :j] == reg[:, j:j + 1]) & has[:, :j]).any(axis=1) for j in range(_KMAX)]
        negated = pc.if_else(nk == 1, fids(self._neg_label_t, ni), self._sym_t.take(pa.array(nsym)))
        distr = [self._distr_words.take(self._distr_words.off[d_group] + np.clip(d, 0, self._distr_words.n[d_group] - 1))
                 for d in (plan.d1, plan.d2)]
        onset_code = _at(self._fl["onsets"][2], p, plan.onset)
        timing_code = _at(self._fl["timings"][2], p, plan.timing)
        exam_code = [_at(self._fl["exams"][2], p, plan.exam[:, i]) for i in range(_EMAX)]
        fact_parts += [_masked(plan.onset >= 0, fids(self._fl["onsets"][1], plan.onset), 11),
                       _masked(plan.timing >= 0, fids(self._fl["timings"][1], plan.timing), 12)]
        fact_parts += [_masked(plan.exam[:, i] >= 0, fids(self._fl["exams"][1], plan.exam[:, i]), 13 + i)
                       for i in range(_EMAX)]
        factor_parts.append(_masked(plan.timing >= 0, factor(timing_code), 6))
        content = np.zeros(B, np.uint64)
        with np.errstate(over="ignore"):
            for j in range(_KMAX):
                content += np.where(has[:, j], _mix(self._fact_code[p, cc[:, j]] + np.uint64(1)), np.uint64(0))
            content += np.where(nk == 1, _mix(_at(self._neg_code, p, ni) + np.uint64(1)), np.uint64(0))
            content += np.where(nk == 2, _mix(nsym.astype(np.uint64) + np.uint64(1 << 40)), np.uint64(0))
            for j in range(len(_PERTINENT)):
                content += np.where(plan.pert_neg[:, j], _mix(np.full(B, (1 << 41) + j, np.uint64)), np.uint64(0))
            for kind, idx in (("aggravating", agg[:, 0]), ("aggravating", agg[:, 1]), ("aggravating", agg[:, 2]),
                              ("relieving", rel), ("red_flags", red), ("onsets", plan.onset), ("timings", plan.timing),
                              *(("exams", plan.exam[:, i]) for i in range(_EMAX))):
                content += np.where(idx >= 0, _mix(self._fl[kind][3][p, np.maximum(idx, 0)] + np.uint64(1)), np.uint64(0))
            rcode = np.where(rk == 1, _at(self._fl["self_risk"][3], p, plan.risk), _at(self._fl["risk"][3], p, plan.risk))
            content += np.where(rk > 0, _mix(rcode + np.uint64(1)), np.uint64(0))
            content = _mix(content ^ _mix((plan.style * 2 + v.fem).astype(np.uint64) + np.uint64(1 << 50)))
        return {
            "content_hash": content,
            "fact_ids": _lists(B, fact_parts),
            "symptoms": _lists(B, [_masked(new_sym[j], self._sym_t.take(pa.array(sym[:, j])), j) for j in range(_KMAX)]),
            "regions": _lists(B, [_masked(new_reg[j], self._reg_t.take(pa.array(reg[:, j])), j) for j in range(_KMAX)]),
            "factors": _lists(B, factor_parts),
            "negated_findings": _lists(B, [_masked(nk > 0, negated, 0),
                                           *(_masked(plan.pert_neg[:, j], pa.array([f"pain@{r}"] * B), 1 + j)
                                             for j, (r, *_) in enumerate(_PERTINENT))]),
            "distractors": _lists(B, [_masked(plan.d1 >= 0, distr[0], 0), _masked(plan.d2 >= 0, distr[1], 1)]),
            "onset": pc.if_else(plan.onset >= 0, factor(onset_code), pa.nulls(B, pa.string())),
            "exam_findings": _lists(B, [_masked(plan.exam[:, i] >= 0, factor(exam_code[i]), i) for i in range(_EMAX)]),
        }


@dataclass(frozen=True)
class _View:
    """Per-row voice and person of a plan, as the render phases use them."""
    clin: np.ndarray
    lay: np.ndarray
    third: np.ndarray
    nar: np.ndarray          # a narrative voice (not a clinician's note)
    fem: np.ndarray
    person: np.ndarray       # 0 first person, 1 he, 2 she
    rn_kind: np.ndarray      # group offset of the row's region names without a side

    @staticmethod
    def of(plan: Plan, n_regions: int) -> _View:
        st = plan.style
        clin, lay, third = st == 1, st == 0, st == 2
        fem = plan.female.astype(np.int64)
        person = np.where(third, 1 + fem, 0)
        return _View(clin, lay, third, ~clin, fem, person, np.where(clin, 0, 1 + person) * 3 * n_regions)


@dataclass(frozen=True)
class _Symptoms:
    has: np.ndarray          # rows x _KMAX: a fact chosen there
    cc: np.ndarray           # the chosen fact indices (0 where none)
    sym: np.ndarray          # their symptom codes
    reg: np.ndarray          # their region codes


@dataclass(frozen=True)
class _Factors:
    agg: np.ndarray          # rows x _AMAX factor codes
    rel: np.ndarray
    risk: np.ndarray
    red: np.ndarray


class _Writer:
    """What the render phases share: the batch's generator (one uniform per row per draw, in phase order), the
    context slots, and the sentences written so far (rows, texts, order keys)."""

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.size, self.rng = size, rng
        self.ctx: dict[str, pa.Array] = {}
        self.parts: list[tuple[np.ndarray, pa.Array, Any]] = []
        self.empty = pa.array([""] * size, pa.string())

    def u(self) -> np.ndarray:
        return self.rng.random(self.size)

    def sentence(self, templates: _Templates, mask: np.ndarray, group: np.ndarray, key: Any = None,
                 **kv: pa.Array) -> pa.Array:
        """Fill one template of `group` for each row in mask; with a key, add the sentences to the text."""
        rows = np.flatnonzero(mask)
        out = templates.fill(templates.pick(group, self.u())[rows], rows, {**self.ctx, **kv})
        if key is not None:
            self.parts.append((rows, out, key[rows] if isinstance(key, np.ndarray) else key))
        return out

    def full(self, mask: np.ndarray, values: pa.Array) -> pa.Array:
        """Values of the rows in mask, spread back to a full-batch column ('' elsewhere)."""
        idx = np.full(self.size, len(values), np.int64)
        idx[np.flatnonzero(mask)] = np.arange(len(values))
        return pa.concat_arrays([values, pa.array([""], pa.string())]).take(pa.array(idx))


def _tidy_column(text: pa.Array) -> pa.Array:
    """tidy() for a column: a -> an and single spaces with Arrow kernels; the rare row with a sentence that starts
    in lower case inside a phrase goes through tidy() itself."""
    for pattern, replacement in _REWORD:
        text = pc.replace_substring_regex(text, pattern=pattern, replacement=replacement)
    text = pc.replace_substring_regex(text, pattern=_ARTICLE_RE2, replacement=r"\1n \2")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, pattern=" {2,}", replacement=" "))
    lower = pc.match_substring_regex(text, _LOWER_START_RE2)
    if pc.any(lower).as_py():
        fixed = text.to_pylist()
        for i in np.flatnonzero(lower.to_numpy(zero_copy_only=False)):
            fixed[i] = tidy(fixed[i])
        text = pa.array(fixed, pa.string())
    return text


_SIDE_WORDS = ("", "left", "right")
_CLIN_SIDE_WORDS = ((), ("L", "Lt", "left"), ("R", "Rt", "right"))


def _lay_region_names(region: str, names: list[str], side: int = 0) -> list[str]:
    """Every way a lay region name is drawn, equally likely: each name with a possessive ("my knee", "the back
    of my knee"); with side 1 or 2 the side in it ("my left knee", "the back of my left knee"), except for the
    lower back, which has none."""
    out: list[str] = []
    for name in names:
        if side and region != "lower_back":
            word = _SIDE_WORDS[side]
            name = name.replace("my ", f"my {word} ", 1) if "my " in name else f"{word} {name}"
        out.append(f"the {name}" if "my " in name else f"my {name}")
    return out


def _clin_region_names(region: str, names: list[str], side: int = 0) -> list[str]:
    """Clinical region names, with side 1 or 2 prefixed as clinicians write it ("L knee", "Rt calf")."""
    if not side or region == "lower_back":
        return list(names)
    return [f"{word} {name}" for name in names for word in _CLIN_SIDE_WORDS[side]]
