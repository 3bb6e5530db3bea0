"""The extractor's rules, built once from the vocabularies in `schemas/`: one Aho-Corasick phrase
matcher over every vocabulary phrase, and the word sets and cue lists the phases consult.

Nothing here depends on a document: `Rules` is immutable and shared by every call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from symcause.core.contract import CATEGORIES
from symcause.core.vocab import PhraseMatcher, SubstringProbe, Vocab, norm_phrase, phrase_variants

EXTRACTOR_VERSION = "rules-1"


@dataclass
class Matchers:
    phrases: PhraseMatcher
    groups: dict[str, str]
    head_words: frozenset[str]
    head_suffixes: tuple[str, ...]
    needs_modifier: frozenset[str]
    modifiers: frozenset[str]
    generic: frozenset[str]
    strip_leading: frozenset[str]
    anatomy_words: frozenset[str]
    red_flag_values: frozenset[str]
    risk_values: frozenset[str]
    quality_implied: dict[str, str]
    needs_site: frozenset[str] = field(default_factory=frozenset)
    standalone: frozenset[str] = field(default_factory=frozenset)
    needs_pathology: frozenset[str] = field(default_factory=frozenset)
    pathology_modifiers: frozenset[str] = field(default_factory=frozenset)
    merge_prefixes: tuple[str, ...] = ()
    latin_suffixes: tuple[str, ...] = ()
    inverted_heads: frozenset[str] = field(default_factory=frozenset)
    region_non_site_followers: frozenset[str] = field(default_factory=frozenset)
    # context.yaml region_origin_cues as one pattern that ends right before a region ("a nerve root in the ...")
    region_origin: re.Pattern[str] = field(default_factory=lambda: re.compile(r"(?!)"))
    # context.yaml limb_movement_limbs: a limb right after a movement word ("bending my knee", "lifting the foot"),
    # and right before one ("deep knee bending")
    limb_after: re.Pattern[str] = field(default_factory=lambda: re.compile(r"(?!)"))
    limb_before: re.Pattern[str] = field(default_factory=lambda: re.compile(r"(?!)"))
    structures: frozenset[str] = field(default_factory=frozenset)
    comma_bounded: frozenset[str] = field(default_factory=frozenset)
    adjective_suffixes: tuple[str, ...] = ()
    not_modifiers: frozenset[str] = field(default_factory=frozenset)
    heading_only_heads: frozenset[str] = field(default_factory=frozenset)
    # context.yaml foreign_sites: body parts outside the legs and back ("numbness in the genitals")
    foreign_sites: re.Pattern[str] = field(default_factory=lambda: re.compile(r"(?!)"))
    # any head word or head suffix anywhere in lower-cased text: a sentence without one names no condition by
    # morphology, so morph_candidates need not read it word by word
    head_probe: Callable[[str], bool] = field(default_factory=lambda: _any_text)

    def is_adjective(self, word: str) -> bool:
        """A medical adjective by its ending ("epidural", "venous"), not an ordinary word ("several")."""
        return len(word) >= 5 and word.endswith(self.adjective_suffixes) and word not in self.not_modifiers


def _any_text(_text: str) -> bool:
    """The default head probe: every text may hold a head word (read it word by word)."""
    return True


def _alternation(words: list[str]) -> str:
    """Words as one regex alternation, longest first (so the longest of overlapping words wins); matches nothing when
    there are none."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or "(?!)"


def _ending_before_region(cues: list[str]) -> re.Pattern[str]:
    """One pattern for cues that end right before a region (an article or a possessive may come between)."""
    return re.compile(rf"\b(?:{_alternation(cues)})\s+(?:the\s+|a\s+|your\s+|their\s+)?$")


def _word_alternation(words: list[str]) -> re.Pattern[str]:
    """One whole-word pattern for a word list."""
    return re.compile(rf"\b(?:{_alternation(words)})\b")


def _limb_patterns(limbs: list[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    alts = _alternation(limbs)
    # "bending my knee", "fully bending or straightening the leg" (a second movement in between)
    after = re.compile(rf"(?:\s+(?:or|and)\s+[a-z]+ing)?\s+(?:my|the|his|her|your|their|that|this|both|one|a)\s+"
                       rf"(?:(?:left|right|bad|sore|affected|injured|other|big)\s+)?(?:{alts})(?!\w)")
    before = re.compile(rf"(?<!\w)(?:{alts}|fully)\s+$")
    return after, before


def build_matchers(vocab: Vocab) -> Matchers:
    m = PhraseMatcher()
    groups: dict[str, str] = {}
    anatomy_words: set[str] = set()
    for region, spec in vocab.regions.items():
        for phrase in spec.get("synonyms") or []:
            m.add(phrase, "region", region)
            anatomy_words.update(norm_phrase(phrase).split())
        for phrase in spec.get("anatomy") or []:
            m.add(phrase, "anatomy", region)
            anatomy_words.update(norm_phrase(phrase).split())
    groups["anatomy"] = "region"
    for symptom, spec in vocab.symptoms.items():
        for phrase in [symptom.replace("_", " "), *(spec.get("synonyms") or [])]:
            m.add(phrase, "symptom", symptom)
    quality_implied: dict[str, str] = {}
    for quality, spec in vocab.qualities.items():
        for phrase in spec.get("synonyms") or []:
            m.add(phrase, "quality", quality)
            quality_implied[norm_phrase(phrase)] = quality
    for group_name, kind in (("activities", "f_act"), ("risk_factors", "f_risk"), ("red_flags", "f_red")):
        for value, phrases in vocab.factor_groups[group_name].items():
            for phrase in [value.replace("_", " "), *(phrases or [])]:
                m.add(phrase, kind, value)
    groups.update({"f_act": "factor", "f_risk": "factor"})
    # Version 2 kinds: their value says the kind; each group may overlap the others ("runners": an activity
    # and a demographic)
    for group_name, kind in (("exam_findings", "f_exam"), ("timings", "f_timing"), ("demographics", "f_demo")):
        for value, phrases in vocab.factor_groups[group_name].items():
            for phrase in [value.replace("_", " "), *(phrases or [])]:
                m.add(phrase, kind, value)
    for value, phrases in vocab.factor_groups["onsets"].items():
        for phrase in phrases:
            m.add(phrase, "f_onset", value)
    for value, phrases in vocab.weak_onsets.items():
        for phrase in phrases:
            m.add(phrase, "f_onset_weak", value)
    groups.update({"f_onset_weak": "f_onset"})
    for value, spec in vocab.frequencies.items():
        for phrase in spec.get("synonyms") or []:
            m.add(phrase, "freq", value)
    ctx = vocab.context
    limb_after, limb_before = _limb_patterns([norm_phrase(w) for w in ctx.get("limb_movement_limbs") or []])
    for key, kind in (("onset_cues", "onset_cue"), ("demographic_cues", "demo_cue"), ("masks", "mask")):
        for phrase in ctx.get(key) or []:
            m.add(phrase, kind, phrase)
    for key in ("forward", "backward"):
        for phrase in ctx["negation"].get(key) or []:
            m.add(phrase, f"neg_{key}", phrase)
        for phrase in ctx["hedge"].get(key) or []:
            m.add(phrase, f"hedge_{key}", phrase)
    groups.update({"neg_forward": "cue", "neg_backward": "cue", "hedge_forward": "hedge", "hedge_backward": "hedge"})
    for key in ("aggravating", "relieving", "risk"):
        for phrase in ctx.get(key) or []:
            m.add(phrase, f"cue_{key}", key)
        groups[f"cue_{key}"] = "kindcue"
    for phrase in ctx.get("red_flag_section") or []:
        m.add(phrase, "redflag_section", "red_flag")
    for phrase in ctx.get("secondary_markers") or []:
        m.add(phrase, "secondary", phrase)
    for phrase in ctx.get("anaphora") or []:
        m.add(phrase, "anaphora", phrase)
    for phrase in ctx.get("region_boundary") or []:
        m.add(phrase, "boundary", phrase)
    for phrase in ctx.get("terminators") or []:
        if phrase.isalpha():
            m.add(phrase, "terminator", phrase)
    morph = vocab.morphology
    for phrase in morph.get("alias_cues") or []:
        m.add(phrase, "alias_cue", phrase)
    countable = {"sprain", "strain", "tear", "injury", "fracture", "cyst", "rupture", "lesion", "spur", "dislocation",
                 "syndrome", "contusion", "avulsion", "herniation", "bulge"}
    for cid, entry in vocab.lexicon.items():
        for phrase in (entry.name, *entry.synonyms):
            m.add(phrase, "condition", cid)
            words = phrase.split()
            if len(words) > 1 and words[-1].lower() in countable:  # "MCL sprains", "stress fractures"
                last = words[-1]
                m.add(" ".join([*words[:-1], last[:-1] + "ies" if last.endswith("y") else last + "s"]), "condition", cid)
    m.build()
    heads = frozenset(norm_phrase(w) for w in morph.get("head_words") or [])
    return Matchers(
        phrases=m,
        groups=groups,
        head_words=heads,
        head_suffixes=tuple(morph.get("head_suffixes") or ()),
        needs_modifier=frozenset(norm_phrase(w) for w in morph.get("needs_modifier") or []),
        modifiers=frozenset(norm_phrase(w) for w in morph.get("modifiers") or []),
        generic=frozenset(v for w in morph.get("generic") or [] for v in phrase_variants(w)),
        strip_leading=frozenset(norm_phrase(w) for w in morph.get("strip_leading") or []),
        anatomy_words=frozenset(anatomy_words),
        red_flag_values=frozenset(vocab.factor_groups["red_flags"]),
        risk_values=frozenset(vocab.factor_groups["risk_factors"]),
        quality_implied=quality_implied,
        needs_site=frozenset(norm_phrase(w) for w in morph.get("needs_site") or []),
        standalone=frozenset(norm_phrase(w) for w in morph.get("standalone") or []),
        needs_pathology=frozenset(norm_phrase(w) for w in morph.get("needs_pathology") or []),
        pathology_modifiers=frozenset(norm_phrase(w) for w in morph.get("pathology_modifiers") or []),
        merge_prefixes=tuple(norm_phrase(w) for w in morph.get("merge_prefixes") or []),
        latin_suffixes=tuple(norm_phrase(w) for w in morph.get("latin_suffixes") or []),
        inverted_heads=frozenset(norm_phrase(w) for w in morph.get("inverted_heads") or []),
        region_non_site_followers=frozenset(norm_phrase(w) for w in ctx.get("region_non_site_followers") or []),
        region_origin=_ending_before_region([norm_phrase(w) for w in ctx.get("region_origin_cues") or []]),
        limb_after=limb_after,
        limb_before=limb_before,
        structures=frozenset(norm_phrase(w) for w in morph.get("structures") or []),
        comma_bounded=frozenset(norm_phrase(w) for w in ctx.get("comma_bounded") or []),
        adjective_suffixes=tuple(norm_phrase(w) for w in morph.get("adjective_suffixes") or ()),
        not_modifiers=frozenset(norm_phrase(w) for w in morph.get("not_modifiers") or []),
        heading_only_heads=frozenset(norm_phrase(w) for w in morph.get("heading_only_heads") or []),
        foreign_sites=_word_alternation([norm_phrase(w) for w in ctx.get("foreign_sites") or []]),
        head_probe=SubstringProbe({*heads, *(norm_phrase(w) for w in morph.get("head_suffixes") or ())}),
    )


CategoryWeights = tuple[SubstringProbe, dict[str, list[tuple[str, float]]], dict[str, list[str]]]


def category_weights(category_cues: dict[str, list[str]], strong_category_cues: dict[str, list[str]]) -> CategoryWeights:
    """For categorise: every cue stem as it is looked for (after a space: a word's start) in one automaton, what each
    adds to a category when a name holds it (a strong cue 8, a cue 3 and 0.5 per extra word) and which categories
    gain 1 when the context holds it."""
    in_name: dict[str, list[tuple[str, float]]] = {}
    in_context: dict[str, list[str]] = {}
    for cat, cues in category_cues.items():
        for c in strong_category_cues.get(cat, ()):
            in_name.setdefault(" " + c, []).append((cat, 8.0))
        for c in cues:
            in_name.setdefault(" " + c, []).append((cat, 3.0 + 0.5 * c.count(" ")))
            in_context.setdefault(" " + c, []).append(cat)
    return SubstringProbe(set(in_name)), in_name, in_context


@dataclass(frozen=True)
class Rules:
    """Everything the phases read besides the document: the vocabularies, the matcher and derived word sets."""

    vocab: Vocab
    mx: Matchers
    backward_cues: frozenset[str]          # cues that may govern factors named before them
    symptom_words: frozenset[str]          # one-word symptom synonyms ("weakness") that can head a name
    history_words: frozenset[str]          # "old", "previous": a bare head after them is history
    comparison_markers: frozenset[str]     # "like", "unlike", "mimics": the object is compared, not discussed
    category_cues: dict[str, list[str]]    # category -> cue stems
    strong_category_cues: dict[str, list[str]]
    not_self_risk: frozenset[str]          # risk factors a condition's own name does not imply
    stopping_words: tuple[str, ...] = ()   # "stopping", "avoiding": a relieving cue then these then an activity
    cause_link: re.Pattern[str] | None = None   # context.yaml cause_links, as one pattern
    exam_result: re.Pattern[str] | None = None  # context.yaml exam_results: a test named with what it showed
    exam_procedures: frozenset[str] = frozenset()   # exam findings named by a test, which need a stated result
    exam_lead: re.Pattern[str] | None = None    # "look for", "check": the test is done, not found ...
    exam_strong: re.Pattern[str] | None = None  # ... unless a strong result is stated with it
    redirect: re.Pattern[str] | None = None     # context.yaml redirect_cues, then the clause's target (group 1)
    lookalike: re.Pattern[str] | None = None    # context.yaml lookalike_cues: the rest of the sentence is another's
    treatment: re.Pattern[str] | None = None    # context.yaml treatment_cues: the sentence states no symptom
    checklist: re.Pattern[str] | None = None    # context.yaml checklist_openings, then ':' or '(' (a sentence's start)
    attribution: re.Pattern[str] | None = None  # context.yaml attribution_cues, then the clause's target (group 1)
    # for categorise, worked out once (category_weights); a field, not a cached property: a class compiled by mypyc
    # has no instance __dict__ to cache in and would build the automaton on every call
    category_weights: CategoryWeights = field(default_factory=lambda: category_weights({}, {}))


def _words(phrases: list[str] | None) -> re.Pattern[str]:
    """One whole-word pattern for a vocabulary list (longest first; an empty list matches nothing)."""
    return re.compile(r"\b(?:" + "|".join(re.escape(w.lower()) for w in sorted(phrases or [], key=len, reverse=True))
                      + r")\b" if phrases else r"(?!)")


def _cue_then_target(phrases: list[str] | None) -> re.Pattern[str]:
    """A cue of the list, then what it says the clause is about up to '.' or ';' (group 1)."""
    return re.compile(_words(phrases).pattern + r"([^;.]*)")


def build_rules(vocab: Vocab) -> Rules:
    ctx = vocab.context
    category_cues = {cat: [norm_phrase(c) for c in spec.get("cues") or []] for cat, spec in vocab.categories.items()}
    strong_category_cues = {cat: [norm_phrase(c) for c in spec.get("strong_cues") or []]
                            for cat, spec in vocab.categories.items()}
    return Rules(
        vocab=vocab,
        mx=build_matchers(vocab),
        backward_cues=frozenset(norm_phrase(x) for x in ctx.get("backward_cues") or ()),
        symptom_words=frozenset(w for spec in vocab.symptoms.values() for w in (spec.get("synonyms") or [])
                                if " " not in w) - {"sciatica", "neuralgia", "lump", "bump"},
        history_words=frozenset(vocab.morphology.get("history_modifiers") or ()),
        comparison_markers=frozenset(ctx.get("comparison_markers") or ()),
        category_cues=category_cues,
        strong_category_cues=strong_category_cues,
        category_weights=category_weights(category_cues, strong_category_cues),
        not_self_risk=frozenset(ctx.get("condition_name_risk_exclude") or []),
        stopping_words=tuple(norm_phrase(w) for w in ctx.get("stopping_words") or ()),
        cause_link=re.compile(r"\b(?:" + "|".join(re.escape(norm_phrase(w)) for w in sorted(
            ctx.get("cause_links") or ["(?!)"], key=len, reverse=True)) + r")\b", re.I),
        exam_result=_words(ctx.get("exam_results")),
        exam_procedures=frozenset(ctx.get("exam_procedures") or ()),
        exam_lead=_words(ctx.get("exam_procedure_leads")),
        exam_strong=_words(ctx.get("exam_strong_results")),
        lookalike=_words(ctx.get("lookalike_cues")),
        treatment=_words(ctx.get("treatment_cues")),
        checklist=re.compile(_words(ctx.get("checklist_openings")).pattern + r"\s*[:(]"),
        redirect=_cue_then_target(ctx.get("redirect_cues")),
        attribution=_cue_then_target(ctx.get("attribution_cues")),
    )


_HIP_WORDS = (" hip", " groin", " acetabul", " femoral head", " femoroacetabular", " labr", " pubic", " coxa")
_KNEE_WORDS = (" knee", " patell", " kneecap", " menisc", " cruciate", " tibiofemoral", " tibiofibular", " popliteal",
               " fabella", " plica")


def categorise(rules: Rules, name: str, context: str = "") -> tuple[str, float]:
    """Category of an unseen condition from the article's own words: cue stems in its name (x3, strong cues x8)
    and in its context (x1, the sentences that define and describe it). A joint structure (cartilage, synovium,
    labrum, meniscus ...) makes it a joint condition, hip or knee by the regions named. Confidence is the
    winning share of the score, scaled to 0.4-0.95 (no cue at all: biomechanical at 0.4)."""
    name_l = " " + norm_phrase(name) + " "
    ctx_l = " " + norm_phrase(context) + " "
    cues, in_name, in_context = rules.category_weights
    scores: dict[str, float] = dict.fromkeys(rules.category_cues, 0.0)
    for cue in cues.found(name_l):
        for cat, weight in in_name[cue]:
            scores[cat] += weight
    for cue in cues.found(ctx_l) if context else ():
        for cat in in_context.get(cue, ()):
            scores[cat] += 1.0
    joint_name = any(" " + cue in name_l for cue in rules.vocab.joint_cues)
    joint_ctx = sum(ctx_l.count(" " + cue) for cue in rules.vocab.joint_cues)
    if joint_name or joint_ctx:
        text = name_l + ctx_l
        hip = sum(text.count(w) for w in _HIP_WORDS) + 3 * sum(name_l.count(w) for w in _HIP_WORDS)
        knee = sum(text.count(w) for w in _KNEE_WORDS) + 3 * sum(name_l.count(w) for w in _KNEE_WORDS)
        scores["hip_joint" if hip > knee else "knee_joint"] += 6.0 if joint_name else 1.5 * min(joint_ctx, 4)
    best = max(CATEGORIES, key=lambda c: (scores[c], -CATEGORIES.index(c)))
    total = sum(scores.values())
    conf = scores[best] / total if total else 0.0
    return (best if scores[best] > 0 else "biomechanical"), round(min(0.95, 0.4 + 0.5 * conf), 3)


_DEFINING = (" tumour", " tumor", " cancer", " sarcoma", " malignan", " metasta", " blood clot", " artery",
             " fracture", " infection")


def is_mimic(rules: Rules, name: str, context: str = "") -> bool:
    """A vascular, bone, infection or tumour cause: a mimic stem in its name, or its defining text calls it a
    tumour, cancer, clot, fracture or infection."""
    name_l = " " + norm_phrase(name) + " "
    if any(cue in name_l for cue in rules.vocab.mimic_cues):
        return True
    ctx_l = " " + norm_phrase(context) + " "
    return sum(ctx_l.count(w) for w in _DEFINING) >= 2
