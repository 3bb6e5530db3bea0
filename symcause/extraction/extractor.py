"""Rule-based extraction of condition, symptom-region and factor facts from one document.

`Extractor.extract` coordinates named phases over a per-call `Document` (the `extract` stage does the I/O):

0. `read_document`: sentences and one Aho-Corasick pass over every vocabulary phrase (document.py);
1. `find_mentions`: condition mentions per sentence, lexicon and morphology, aliases (conditions.py);
2. `resolve_conditions`: the conditions the article discusses, with id, category, code (conditions.py);
3. `scope_sentences`: the condition(s) each sentence is about, and red-flag / list context (scoping.py);
4. `sentence_facts`: symptom-region and factor facts of each sentence (facts.py);
5. `finish`: passing phrases dropped, document-level red flags, duplicates merged.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from symcause.core.vocab import Match, Vocab, cached_vocab
from symcause.extraction.conditions import ConditionMention, DocCondition, find_mentions, resolve_conditions
from symcause.extraction.document import Document, read_document
from symcause.extraction.facts import Row, factor_facts, factor_row, symptom_facts
from symcause.extraction.grids import Grid, find_grids, grid_facts
from symcause.extraction.rules import Rules, build_rules, categorise, is_mimic
from symcause.extraction.scoping import Scopes, scope_sentences
from symcause.extraction.sentences import Sentence


@dataclass
class DocResult:
    conditions: dict[str, DocCondition]
    facts: list[Row]
    factors: list[Row]


class Extractor:
    """Extracts facts from documents with one set of rules (build once, reuse across documents)."""

    def __init__(self, vocab: Vocab) -> None:
        self.rules = build_rules(vocab)

    @property
    def vocab(self) -> Vocab:
        return self.rules.vocab

    def extract(self, source_id: str, text: str, headings: frozenset[str] = frozenset()) -> DocResult:
        """The facts of one document (normalised text; `headings`: lines the markup declared as headings)."""
        doc = read_document(source_id, text, self.rules, headings)
        found = find_mentions(self.rules, doc)
        conditions = resolve_conditions(self.rules, doc, found)
        scopes = scope_sentences(self.rules, doc, found.per_sentence)
        grids = find_grids(doc, conditions, found.per_sentence)
        facts, factors = sentence_facts(self.rules, doc, found.per_sentence, conditions, scopes, grids)
        return finish(self.rules, doc, found.per_sentence, conditions, scopes, facts, factors)


_COVERED_MIN, _COVERED_SHARE = 5, 0.3   # a condition without a heading covers the article from this many statements
_ENUMERATION = 3   # a sentence inheriting this many conditions at once: its symptoms need regions of their own
_LOOKALIKE_OPENING = 30   # characters: a look-alike cue this close to the start governs the whole sentence


def sentence_facts(rules: Rules, doc: Document, mentions: list[list[ConditionMention]],
                   conditions: dict[str, DocCondition], scopes: Scopes,
                   grids: dict[int, tuple[Grid, int]] | None = None) -> tuple[list[Row], list[Row]]:
    """Phase 4: each sentence's symptom facts (none in red-flag blocks; where a sentence that names no condition
    inherits three or more at once, only symptoms with a region of their own: after "Patellofemoral pain, ITB
    syndrome and shin splints all recur ...", "Below are five faults, with the pain each tends to produce" does not
    place pain for each) and factor facts, per focus condition;
    rows of an oriented comparison table give facts per cell (grids.py)."""
    facts: list[Row] = []
    factors: list[Row] = []
    para_regions: tuple[str, ...] = ()  # the regions most recently named in the current paragraph
    para = -1
    for k, s in enumerate(doc.sentences):
        sc = scopes.per_sentence[k]
        if s.paragraph != para:
            para, para_regions = s.paragraph, ()
        context_regions = para_regions
        named_regions = tuple(dict.fromkeys(m.value for m in doc.matches[k] if m.kind == "region" and m.value != "leg"))
        if named_regions:
            para_regions = named_regions
        if grids and k in grids:
            grid, i = grids[k]
            cell_facts, cell_factors = grid_facts(rules, doc, k, grid, i, conditions)
            facts += cell_facts
            factors += cell_factors
            continue
        if not sc.focus or sc.checklist:
            continue
        ms, named, sent_text = doc.matches[k], mentions[k], doc.sentence_text(k)
        cond_spans = [(c.start, c.end) for c in named]
        focus_spans = [(c.start, c.end) for c in named if c.key in sc.focus]
        enumerated = sc.inherited and len(sc.focus) >= _ENUMERATION
        redirects = redirect_clauses(rules, s, sent_text)
        alike = rules.lookalike.search(sent_text.lower()) if rules.lookalike is not None else None
        # a labelled line of another kind of cause ("Malignancy: previous cancer, weight loss, night pain",
        # "Infection: fever ...") lists that cause's signs, not those of a condition that is not one
        label = sent_text[:s.label_end - s.start] if s.label_end else ""
        other_label = bool(label) and is_mimic(rules, label) and not any(c.end <= s.label_end for c in named)
        if sc.inherited and _in_other_disease(rules, s, sent_text, ms):
            continue
        treated = not s.table and _treatment(rules, sent_text)
        for key in sc.focus:
            cid = conditions[key].condition_id
            if other_label and not conditions[key].mimic:
                continue
            kms = redirected(ms, redirects, conditions[key], [(c.start, c.end) for c in named if c.key == key],
                             [(c.start, c.end) for c in named if c.key != key])
            if alike is not None and not any(c.key == key and c.start >= s.start + alike.end() for c in named):
                # "Look-alikes include an S1 root problem (pain down the back of the leg) ...": not this one's
                # "In adolescents, consider avulsion of the AIIS": a short opening before the cue is the look-alike's too
                cut = alike.start() if alike.start() > _LOOKALIKE_OPENING else 0
                kms = [x for x in kms if x.start < s.start + cut]
            if not sc.red_block and not treated:
                facts.extend(symptom_facts(rules, doc.source_id, key, s, sent_text, kms, cond_spans, conditions,
                                           sc.inherited, context_regions, own_regions_only=enumerated))
            found = factor_facts(rules, doc.source_id, cid, s, sent_text, kms, focus_spans, sc.red_here,
                                 sc.inherited, sc.list_cue, sc.demographic_context,
                                 own_spans=[(c.start, c.end) for c in named if c.key == key])
            if treated:   # "Treatment includes insoles for flat feet": what is done, not who gets it or why
                found = [f for f in found if f["kind"] not in _NOT_IN_TREATMENT or f["scope"] != "sentence"]
            factors.extend(found)
    return facts, factors


_TREATMENT_OPENING = 40   # characters: a one-word treatment cue this close to the start is what the sentence is about


def _treatment(rules: Rules, sent_text: str) -> bool:
    """A sentence about treatment (context.yaml treatment_cues): one that opens with a treatment word ("Treatment
    includes insoles ...", "Physiotherapy helps ...") or has a treatment phrase anywhere ("... avoid heat", "may
    need surgery"); not one that mentions treatment in passing ("... during cancer treatment")."""
    if rules.treatment is None:
        return False
    return any(" " in m.group(0) or m.start() <= _TREATMENT_OPENING for m in rules.treatment.finditer(sent_text.lower()))


_NOT_IN_TREATMENT = frozenset({"risk_factor", "demographic", "onset", "exam_finding"})
_OPENING_SETTING = re.compile(r"\s*in\s+[^,.;:]{1,40},")


def _in_other_disease(rules: Rules, s: Sentence, sent_text: str, ms: list[Match]) -> bool:
    """A sentence opening in another disease ("In diabetes, severe thigh pain followed by weakness can occur":
    context.yaml setting_diseases) is not about the condition its paragraph is about."""
    settings = rules.vocab.context.get("setting_diseases") or ()
    opening = _OPENING_SETTING.match(sent_text.lower())
    return opening is not None and any(m.kind == "f_risk" and m.value in settings and m.end <= s.start + opening.end()
                                       for m in ms)


@dataclass(frozen=True)
class Redirect:
    """A clause that sends its findings to a target ("... suggest a lumbar source instead"): its span in the
    document and what the target is."""
    start: int
    end: int
    instead: bool            # the target says "instead"
    mimic: bool              # the target names a mimic (vascular, bone, infection, tumour)
    category: str            # the target's category (categorise) ...
    confidence: float        # ... and how sure that is
    words: frozenset[str]    # the target's words of four letters or more
    names: bool = False      # the target is named like a condition ("compartment syndrome", "myositis ossificans")
    attributive: bool = False  # "... is usually X": redirects only when X, right after the cue, is named like one
    cue: int = 0             # where the cue starts (the target follows it)


# after an attribution cue, words that do not start a condition's name: a verb, a preposition, an adverb
_NOT_A_NAME = re.compile(r"\s*(?:\w+(?:ed|ing|ly)|after|before|in|on|at|with|without|when|if|for|to|among|during|"
                         r"than|because|worse|better|more|less|felt|seen|found|not|no)\b")


def redirect_clauses(rules: Rules, s: Sentence, sent_text: str) -> list[Redirect]:
    """The clauses of a sentence that send their findings somewhere ("suggests", "points to": context.yaml
    redirect_cues; "is usually X", "may be X": attribution_cues, only where X right after the cue is named like a
    condition), from the clause start (sentence, ';' or ':') to the end of the target; read once per sentence."""
    if rules.redirect is None:
        return []
    low = sent_text.lower()
    out = []
    cued = [(m, False) for m in rules.redirect.finditer(low)]
    if rules.attribution is not None:
        cued += [(m, True) for m in rules.attribution.finditer(low)]
    for m, attributive in cued:
        target = m.group(1)
        if attributive:
            # "is usually greater trochanteric pain syndrome, which ...", "is more often due to irritated tendons
            # (greater trochanteric pain syndrome) than to arthritis": the words up to a comma, "which" or "than"
            target = re.split(r",|\bwhich\b|\bthan\b|\bwhen\b|\bif\b", target)[0]
        if not target.strip():
            continue
        cat, conf = categorise(rules, target)
        lo = max(low.rfind(";", 0, m.start()), low.rfind(":", 0, m.start())) + 1
        words = frozenset(re.findall(r"[a-z]{4,}", target))
        names = any(w.endswith(rules.mx.head_suffixes) or w in rules.mx.head_words for w in words)
        if attributive and (not names or _NOT_A_NAME.match(target)):
            continue   # "is more often offered to ...", "is usually after a fall": not what it is
        out.append(Redirect(s.start + lo, s.start + m.end(), " instead" in target, is_mimic(rules, target), cat, conf,
                            words, names, attributive, s.start + m.start()))
    return out


def redirected(ms: list[Match], redirects: list[Redirect], cond: DocCondition,
               own: list[tuple[int, int]] | None = None, others: list[tuple[int, int]] | None = None) -> list[Match]:
    """The matches of a sentence that speak of `cond`: findings a clause says point elsewhere ("Dermatomal
    numbness or reflex loss suggest a lumbar source instead", "burning in the sole suggests an irritated nerve",
    "pain on hopping suggests a stress fracture") are another cause's, not this condition's. A clause redirects
    when its target says "instead", names a mimic (for a condition that is not one), or is confidently of another
    category (categorise, >= 0.75) or is named like a condition ("... suggest compartment syndrome (rare)" in a
    contusion article), and shares no word with the condition's name ("a tight band" is still the iliotibial
    band's, "suggests a tear" the meniscus tear's); a target that names the condition itself (`own`: its mentions
    in the sentence, "... is usually a haemarthrosis") sends nothing away; one that names another condition (`others`:
    "... suggests chronic exertional compartment syndrome" for acute compartment syndrome) always does."""
    if not redirects:
        return ms
    own_words = frozenset(re.findall(r"[a-z]{4,}", cond.name.lower()))
    drop = [(r.start, r.end) for r in redirects
            if not any(r.cue <= a < r.end for a, _ in own or ())
            and (r.instead or (r.mimic and not cond.mimic) or any(r.cue <= a < r.end for a, _ in others or ())
                 or ((r.names or (r.confidence >= 0.75 and r.category != cond.category)) and not own_words & r.words))]
    if not drop:
        return ms
    return [x for x in ms if not any(a <= x.start < b for a, b in drop)]


def finish(rules: Rules, doc: Document, mentions: list[list[ConditionMention]], conditions: dict[str, DocCondition],
           scopes: Scopes, facts: list[Row], factors: list[Row]) -> DocResult:
    """Phase 5. A condition named once that the article states nothing about (no symptom and no factor of its own)
    is a passing mention ("other causes include X"), not a condition of the article (data/gold/POLICY.md); red
    flags of a "see a doctor" section that names no condition attach to every condition the document covers (named
    by a heading, the most-stated one, or one with at least 5 statements and 30% as many as the most-stated
    condition; scope `document`) that is not a biomechanical contributor; duplicate facts keep their most
    confident row. No pain is implied at a condition's site by its name alone."""
    # statements of its own per condition: its symptom facts and its sentence-scope factors
    stated_n = Counter(f["condition_id"] for f in facts) + Counter(
        f["condition_id"] for f in factors if f["scope"] == "sentence")
    for key in [k for k, c in conditions.items() if c.condition_id not in stated_n and c.mentions <= 1]:
        gone = conditions.pop(key).condition_id
        factors = [f for f in factors if f["condition_id"] != gone]
    # a "see a doctor" warning concerns the conditions the article covers: named by a heading, or with a good
    # share of the article's statements; not one named in passing that a contrast or a list lent a few statements
    headed = {m.key for k, s in enumerate(doc.sentences) if s.heading for m in mentions[k]}
    most = max(stated_n.values(), default=0)
    covered = {c.condition_id for key, c in conditions.items() if c.mentions and stated_n[c.condition_id] >= 2
               and (key in headed or stated_n[c.condition_id] == most
                    or stated_n[c.condition_id] >= max(_COVERED_MIN, _COVERED_SHARE * most))}
    for k, mt in scopes.document_red_flags:
        s = doc.sentences[k]
        for cond in conditions.values():
            # a warning sign concerns the causes it may reveal, not a contributing one (weak hip muscles, overuse)
            if cond.condition_id in covered and cond.category != "biomechanical":
                factors.append(factor_row(doc.source_id, cond.condition_id, s, doc.sentence_text(k), "red_flag",
                                          mt.value, False, False, "rule:red_flag_section", 0.5, "document"))
    return DocResult(conditions=conditions, facts=_dedupe(facts), factors=_dedupe(factors))


def _dedupe(rows: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for r in rows:
        prev = seen.get(r["fact_id"])
        if prev is None or r["confidence"] > prev["confidence"]:
            seen[r["fact_id"]] = r
    return list(seen.values())


@lru_cache(maxsize=2)
def cached_extractor(root: str | None = None) -> Extractor:
    return Extractor(cached_vocab(root))
