"""Phase 4 of extraction: the facts a sentence states about its focus condition(s).

Symptom facts pair each symptom with the regions in the same clause (else the sentence, else the
condition's own region), with the pain qualities near it; ConText-style cue scopes mark negated and
hedged mentions; "stops above the knee" records a negated region. Factor facts take their kind from
the nearest cue (worse with / eases with / due to), a lead sentence's cue, or red-flag context.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import cast

from symcause.core.vocab import Match, norm_phrase
from symcause.extraction.conditions import DocCondition
from symcause.extraction.rules import EXTRACTOR_VERSION, Rules
from symcause.extraction.sentences import Sentence
from symcause.extraction.text import safe_lower

Row = dict[str, object]


_BACK_OF = re.compile(r"\s+(?:and|or)\s+(?:[a-z]+\s+){0,3}of\s+(?:the|your|my)\s+(knee|thigh|calf|leg|heel)\b", re.I)
_BACK_OF_REGION = {"knee": "knee_back", "thigh": "thigh_back", "calf": "calf", "leg": "calf", "heel": "ankle"}


def _coordinated_back(m: Match, after: str) -> Match:
    """ "the back and outer side of the knee": this "back" is the back of the knee, not the lower back."""
    if m.value == "lower_back" and m.surface.lower() == "back":
        hit = _BACK_OF.match(after)
        if hit:
            return Match(m.start, m.end, m.kind, _BACK_OF_REGION[hit.group(1).lower()], m.surface)
    return m

_SIDE = {"front": "front", "anterior": "front", "back": "back", "posterior": "back", "inner": "inner",
         "medial": "inner", "outer": "outer", "lateral": "outer"}
_SIDES_BEFORE = re.compile(rf"\b({'|'.join(_SIDE)})\s+(?:or|and)\s+(?:({'|'.join(_SIDE)})\s+)?$", re.I)


def _coordinated_sides(m: Match, before: str, regions: Mapping[str, object]) -> list[Match]:
    """ "the inner or front knee", "the front or inner thigh": each side named before the region is a site of its own
    (knee_inner and knee_front), not the coarse knee alone."""
    hit = _SIDES_BEFORE.search(before)
    head = m.value.split("_")[0]
    if hit is None or head not in ("knee", "thigh", "hip"):
        return [m]
    out = []
    first = f"{head}_{_SIDE[hit.group(1).lower()]}"
    if first in regions:
        start = m.start - (len(before) - hit.start(1))
        out.append(Match(start, start + len(hit.group(1)), "region", first, hit.group(1)))
    if hit.group(2) and m.value == head and f"{head}_{_SIDE[hit.group(2).lower()]}" in regions:
        out.append(Match(m.start, m.end, m.kind, f"{head}_{_SIDE[hit.group(2).lower()]}", m.surface))
    else:
        out.append(m)
    return out


def text_between(sent_text: str, s: Sentence, a: int, b: int) -> str:
    """Text of the sentence between document offsets a and b."""
    return sent_text[a - s.start:b - s.start]


def sentence_gap(sent_text: str, s: Sentence) -> Callable[[int, int], str]:
    """text_between for one sentence, with the offsets kept inside it."""
    return lambda a, b: sent_text[max(a, s.start) - s.start:min(b, s.end) - s.start]

def fact_id(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]

def _bounded(r: Match, bounds: list[Match]) -> bool:
    return any(b.end <= r.start and r.start - b.end < 25 for b in bounds)

def _positions(text: str, ch: str) -> list[int]:
    """Where a character occurs in a text."""
    out = []
    i = text.find(ch)
    while i >= 0:
        out.append(i)
        i = text.find(ch, i + 1)
    return out


def clauses(s: Sentence, ms: list[Match], sent_text: str = "") -> list[tuple[int, int]]:
    """The clauses of a sentence: cut at terminators ("but", "however" ...), boundaries ("stops above"), at each
    table-cell '|' of `sent_text`, and at a ';' that starts a part with a symptom of its own ("Swelling is common;
    pain does not run up the thigh"; but "pain into the groin; with the L4 root, into the inner knee" goes on)."""
    semis = [s.start + i for i in _positions(sent_text, ";")]
    syms = [m.start for m in ms if m.kind == "symptom"]
    cuts = [s.start] + [s.start + i for i in _positions(sent_text, "|")]
    for a, b in zip(semis, semis[1:] + [s.end]):
        if any(a < x < b for x in syms):
            cuts.append(a)
    for m in ms:
        if m.kind == "terminator" or (m.kind == "boundary"):
            cuts.append(m.start)
    cuts.append(s.end)
    cuts = sorted(set(cuts))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]

def in_scope(rules: Rules, s: Sentence, sent_text: str, ms: list[Match], pos: int, kinds: tuple[str, str]) -> bool:
    """Is `pos` in the scope of a forward cue of kinds[0] or a backward cue of kinds[1]?"""
    for m in ms:
        if m.kind == kinds[0] and m.end <= pos:
            between = [t for t in ms if t.kind == "terminator" and m.end <= t.start < pos]
            if between:
                continue
            if m.value == "without" and _OTHER_PEOPLE.search(sent_text[:m.start - s.start]):
                continue   # "common in people without pain": other people, not a denial about the condition
            if kinds[0] == "neg_forward" and m.surface.lower() == "no" and re.match(
                    r"[.!,]", sent_text[m.end - s.start:m.end - s.start + 1]):
                continue   # "A. No. Clergyman's knee is swelling of a different bursa": an answer, not a denial
            if kinds[0] == "neg_forward" and _PSEUDO_NEGATION.match(sent_text, m.end - s.start):
                continue   # "scans do not prove facet pain", "not always", "not only": no denial
            if m.value in rules.mx.comma_bounded or m.value in ("unlike",):
                if "," in sent_text[m.end - s.start:pos - s.start]:
                    continue
            gap_text = sent_text[m.end - s.start:pos - s.start]
            if "|" in gap_text or ";" in gap_text:   # another table cell or clause
                continue
            # (a denial reaches the end of a list of symptoms: "Neither causes numbness, pins and needles, visible
            # swelling, redness or pain below the knee")
            listed = pos - m.end <= 160 and sum(1 for t in ms if t.kind == "symptom" and m.end <= t.start < pos) >= 3
            if kinds[0] == "neg_forward" and ((pos - m.end > 80 and not listed) or ", and " in gap_text
                                              or ", but " in gap_text):
                continue
            return True
        if m.kind == kinds[1] and m.start >= pos:
            between = [t for t in ms if t.kind == "terminator" and pos <= t.start < m.start]
            gap_text = sent_text[pos - s.start:m.start - s.start]
            # a cue that looks back ("... is normal", "... absent") governs only its own short phrase
            if not between and m.start - pos <= 40 and not any(c in gap_text for c in "|;"):
                return True
    return False

_PEOPLE = r"(?:people|those|patients|adults|individuals|someone|anyone|others|runners|athletes|children|knees|hips|backs)"
_OTHER_PEOPLE = re.compile(rf"\b{_PEOPLE}\s+$", re.I)
_PSEUDO_NEGATION = re.compile(r"\s+(?:prove|proves|show|shows|mean|means|explain|explains|confirm|confirms|always|"
                              r"necessarily|only|just|need|needs|exclude|excludes)\b", re.I)
_COMPARISON_CUES = frozenset({"unlike", "rather than", "instead of"})
# "between the side of the sacrum and the bony point of the outer hip": both landmarks of a place, neither a site
_BETWEEN_AND = re.compile(r"\bbetween\s+(?:the\s+|your\s+)?(?:[a-z][a-z\s'-]{0,30}?\s+and\s+(?:the\s+|your\s+)?"
                          r"(?:(?!(?:in|at|on|into|to|down|over)\s)[a-z'-]+\s+){0,4}|(?:[a-z'-]+\s+){0,3})$")
_AND = re.compile(r"\s*(?:,|,?\s*(?:and|or|and/or|to|into|down to)\b)\s*(?:(?:across|into|down|over|along|around|"
                  r"through|up|on|in|at)\s+)?(?:the\s+|your\s+)?|\s*/\s*", re.I)
_PREPOSITION_END = re.compile(r"\b(?:in|at|on|over|around|behind|along|into|of)\s+(?:the\s+|your\s+)?$", re.I)
_OWN_AFTER = re.compile(r"^\s+(?:in|at|on|over|around|behind|across|along|inside|of|near|by|beside)\s+"
                        r"(?:the\s+|your\s+|their\s+|my\s+|"
                        r"his\s+|her\s+|one\s+|both\s+)?(?:\w+\s+)?$", re.I)
# "the knee is neither swollen nor tender", "the calf may feel tight": the region is the subject the symptom is said of
_SUBJECT = re.compile(r"\b(?:the|your|his|her|their)\s+$", re.I)
_COPULA_OWN = re.compile(r"^\s+(?:(?:is|are|feels?|looks?|becomes?|gets?|(?:may|can|will|might|does\s+not|do\s+not)\s+"
                         r"(?:be|feel|look|become|get))\s+(?:(?!(?:like|a|an|the|as|if)\b)[a-z]+,?\s+){0,5}|"
                         r"(?:does|do|did|will|may|can|might)\s+(?:not\s+|never\s+)?(?:usually\s+|often\s+)?)$", re.I)


# "low back pain, just off the midline, often spreading into the buttock and sometimes the back of the thigh": the
# regions a symptom spreads to are its own too (up to the end of the clause)
_SPREADS = re.compile(r"[^;.:]{0,60}?\b(?:(?:spread(?:s|ing)?|radiat(?:es|ing)|travel(?:s|ling|ing)?|extend(?:s|ing)?|"
                      r"track(?:s|ing)?|shoot(?:s|ing)?|run(?:s|ning)?|go(?:es|ing)?|pass(?:es|ing)?|mov(?:es|ing)|"
                      r"referred)\s+(?:\w+\s+){0,3}|,\s+(?:sometimes|often|occasionally|and)\s+)"
                      r"(?:into|to|down(?:\s+(?:to|into))?|towards?)\s+(?:the\s+|your\s+)?$", re.I)
_THEN_AND = re.compile(r"\s*(?:,|,?\s*(?:and|or))\s*(?:(?:sometimes|often|occasionally|even|also|rarely|usually)\s+)?"
                       r"(?:(?:into|to|down)\s+)?(?:the\s+|your\s+)?", re.I)


def own_region(sent_text: str, s: Sentence, sym: Match, regs: list[Match],
               symptoms: list[Match] | None = None) -> list[Match]:
    """The region a symptom names itself: right before it ("calf pain", "knee swelling") or right after it
    ("pain in the outer thigh", "swelling behind the knee"), and the regions it is said to spread to ("low back
    pain ... spreading into the buttock and sometimes the back of the thigh"). Then the other regions of its clause
    are not its own ("sudden sharp calf pain, swelling and bruising near the ankle": the pain is in the calf)."""
    def gap(a: int, b: int) -> str:
        return sent_text[a - s.start:b - s.start]

    own: list[Match] = []
    before = [r for r in regs if r.end <= sym.start and not gap(r.end, sym.start).strip(" -")]
    # ("pain in the hip"; "a stiff hip", "pain below the knee": a region phrase right after it)
    # (but not "aching low back pain": that region is the next pain's)
    after = [r for r in regs if r.start >= sym.end and (
        _OWN_AFTER.match(gap(sym.end, r.start)) or not gap(sym.end, r.start).strip()
        and not any(0 <= m.start - r.end <= 1 for m in symptoms or ()))]
    if not before and not after:
        said_of = [r for r in regs if r.end <= sym.start and _COPULA_OWN.match(gap(r.end, sym.start))]
        if said_of:
            return said_of[-1:]
    if before:  # "hip and groin pain": the regions coordinated before it too
        own = [before[-1]]
        for r in reversed([r for r in regs if r.end <= own[0].start]):
            if not _AND.fullmatch(gap(r.end, own[0].start)):
                break
            own.insert(0, r)
        if len(own) > 1 and _PREPOSITION_END.search(gap(max(s.start, own[0].start - 14), own[0].start)):
            own = own[-1:]   # "pins and needles in the calf or sole, or ankle swelling": the swelling is at the ankle
    elif after:  # "pain in the hip, groin and thigh": the regions coordinated after it too
        own = [after[0]]
        for r in [r for r in regs if r.start >= own[0].end]:
            if not _AND.fullmatch(gap(own[-1].end, r.start)) or (
                    symptoms and any(0 <= m.start - r.end <= 1 for m in symptoms)):
                break   # (not "ankle" of "..., or ankle swelling": that names the swelling's site)
            own.append(r)
    if not own:
        return []
    end = max(own[-1].end, sym.end)
    # (the spreading of its own phrase: in "thigh pain, sometimes a pop, and bruising tracking towards the knee"
    # it is the bruising that tracks)
    spread = [r for r in regs if r.start >= end and _SPREADS.match(gap(end, r.start))
              and not any(end <= m.start < r.start for m in symptoms or ())]
    if spread:
        own.append(spread[0])
        for r in [r for r in regs if r.start >= spread[0].end]:
            if not (_AND.fullmatch(gap(own[-1].end, r.start)) or _THEN_AND.fullmatch(gap(own[-1].end, r.start))):
                break
            own.append(r)
    return own


def clause_regions(sym: Match, syms: list[Match], owns: dict[int, list[Match]], regs: list[Match],
                   cl: tuple[int, int], between: Callable[[int, int], str], denied: bool = False) -> list[Match] | None:
    """The regions of a symptom that names none itself: those of its clause that no other symptom owns; when the
    other symptoms own them all, the region of the symptom listed just before it ("sudden calf pain, swelling and
    bruising near the ankle": the swelling is in the calf, not at the ankle); None when there is no such symptom
    either (a region that belongs to another symptom is never this one's: "numbness ... with low back pain")."""
    clause_regs = [r for r in regs if cl[0] <= r.start < cl[1]]
    owned = {(r.start, r.end) for m in syms if m.start != sym.start for r in owns.get(m.start, [])}
    # "pain, heaviness, numbness or tingling in both legs": a list of symptoms shares the region of its last one
    later = sorted((m for m in syms if m.start > sym.start), key=lambda m: m.start)
    prev = sym
    listed = {sym.start}
    for n, m in enumerate(later):
        if not _AND.fullmatch(between(prev.end, m.start)):
            break
        listed.add(m.start)
        if owns.get(m.start):
            # (not down a long list of denied signs: in "does not cause numbness, pins and needles, visible swelling,
            # redness or pain below the knee" only the pain is placed below the knee)
            if denied and n >= 2:
                break
            return owns[m.start]
        prev = m
    # (nor one after a later symptom not listed with it: in "pain above the patella, tenderness to touch, ... and a
    # dull ache that can spread upwards along the quadriceps" the quadriceps is the ache's)
    free = [r for r in clause_regs if (r.start, r.end) not in owned
            and not any(m.start not in listed and sym.end <= m.start and m.end <= r.start for m in syms)]
    if free or not clause_regs:
        return free
    # (a denied sign is not at the site of the one denied before it: "does not cause groin pain, a stiff hip ...,
    # numbness, or pins and needles" denies no numbness of the hip; it is at the condition's site, unless that site
    # is the subject the signs are denied of: "It does not make the knee or ankle swell, lock or click")
    before = [m for m in syms if m.start < sym.start and cl[0] <= m.start and owns.get(m.start)]
    if not before:
        return None
    site = owns[before[-1].start]
    if denied and not (site[0].end <= before[-1].start and _SUBJECT.search(between(max(cl[0], site[0].start - 12),
                                                                                       site[0].start))):
        return None
    return site


def symptom_facts(rules: Rules, source_id: str, cid: str, s: Sentence, sent_text: str, ms: list[Match],
                  cond_spans: list[tuple[int, int]], conditions: dict[str, DocCondition],
                  inherited: bool, context_regions: tuple[str, ...] = (), own_regions_only: bool = False) -> list[Row]:
    """Symptom-region facts of one sentence for condition `cid`. A symptom pairs with the regions of its clause,
    else of the sentence, else of the paragraph so far (`context_regions`: "Fluid collects over the outer thigh.
    The result is a soft swelling with bruising."), else the condition's own region."""
    def outside(m: Match) -> bool:
        return not any(a <= m.start and m.end <= b for a, b in cond_spans)

    # "tight hamstrings", "weak hip abductors", "tight belts" are factors, not symptoms
    factor_spans = [(m.start, m.end) for m in ms if m.kind in ("f_risk", "f_act")]
    # "Unlike joint-related pain, bursitis pain ...": what follows "unlike" up to the comma is the other thing
    compared = _compared_spans(s, sent_text, ms)
    asides = _brackets(sent_text, s)
    sent_lower = safe_lower(sent_text)
    # a symptom an examination brings on ("tapping over the nerve causes tingling", "a straight-leg raise
    # reproduces the pain") is an examination finding, not a symptom; a systemic sign (fever) has no region
    exams = [m for m in ms if m.kind == "f_exam"]
    syms = [m for m in ms if m.kind == "symptom" and outside(m)
            and not any(a <= m.start and m.end <= b and (b - a) > (m.end - m.start) for a, b in factor_spans)
            and not any(a <= m.start < b for a, b in compared)
            and not rules.vocab.symptoms.get(m.value, {}).get("systemic")
            and not any(e.end <= m.start and _unbracketed(sent_text, s, e.end, m.start) <= 40
                        and _same_clause(ms, e.end, m.start, asides) for e in exams)
            # "The knee is examined for tenderness": what is looked for, not found
            and not _LOOKED_FOR.search(sent_text[max(0, m.start - s.start - 30):m.start - s.start])
            # "Risk factors include the menopause, being overweight, low back pain ...": a cause, not a symptom
            and not _RISK_LIST.search(sent_text, 0, m.start - s.start)
            # "Disc bulges are common in people without pain": other people's symptom, not a finding
            and not _OTHERS_WITHOUT.search(sent_text[max(0, m.start - s.start - 40):m.start - s.start])
            # "may send tingling down the inner shin (Tinel's sign)", "tingling that shoots into the thigh is a
            # positive Tinel's sign": the test's response, named after it
            and not any(m.end <= e.start <= m.end + 60 and _NAMED_AFTER.search(sent_text[m.end - s.start:e.start - s.start])
                        and _same_clause(ms, m.end, e.start) for e in exams)
            and not _test_response(sent_text, s, m, ms, exams, asides)
            and not _placed_elsewhere(rules, sent_lower, s, m, ms)]
    if not any(m.value == "pain" for m in syms):
        quals0 = [m for m in ms if m.kind == "quality" and outside(m)]
        if quals0 and re.search(r"\b(sensation|feeling|feel|feels|shock|discomfort)\b", sent_text, re.I):
            q = quals0[0]
            syms.append(Match(q.start, q.end, "symptom", "pain", q.surface))
    if not syms:
        return []
    gap = sentence_gap(sent_text, s)
    regs = [r for m in ms if m.kind == "region" and outside(m) and m.start >= s.label_end
            and is_site(rules, sent_text, m.start - s.start, m.end - s.start)
            for r in _coordinated_sides(_coordinated_back(m, text_between(sent_text, s, m.end, min(s.end, m.end + 50))),
                                        text_between(sent_text, s, max(s.start, m.start - 30), m.start),
                                        rules.vocab.regions)]
    # "deep bending" (a factor), "a deep buttock muscle" (a region that is no site): no quality of a pain
    quals = [m for m in ms if m.kind == "quality" and outside(m)
             and not any(a <= m.start and m.end <= b for a, b in factor_spans)
             and not any(r.kind == "region" and 0 <= r.start - m.end <= 2
                         and not is_site(rules, sent_text, r.start - s.start, r.end - s.start) for r in ms)]
    bounds = [m for m in ms if m.kind == "boundary"]
    spans = clauses(s, ms, sent_text)
    cond = conditions[cid]
    cid = cond.condition_id
    out = []
    owns = {sym.start: own_region(sent_text, s, sym, regs, syms) for sym in syms}
    for sym in syms:
        cl = next(((a, b) for a, b in spans if a <= sym.start < b), (s.start, s.end))
        neg = in_scope(rules, s, sent_text, ms, sym.start, ("neg_forward", "neg_backward"))
        in_clause = None if owns[sym.start] else clause_regions(
            sym, syms, owns, regs, cl, gap, neg)
        rs = owns[sym.start] or [r for r in (in_clause or []) if not _bounded(r, bounds)]
        # a denial is scoped to its clause: "A cyst does not usually cause tingling, although a large one ...
        # causes pins and needles in the calf" denies no tingling in the calf
        if not rs and in_clause is not None and not neg:
            # the sentence's other regions, but not one it denies ("...; pain does not run up the thigh") nor
            # one in another table cell ("Groin, front of thigh | Stiffness, limp": the stiffness is not there)
            rs = [r for r in regs if not _bounded(r, bounds)
                  and not any(sym.start < b.start < r.start for b in bounds)
                  and "|" not in gap(min(sym.start, r.start), max(sym.end, r.end))
                  and not in_scope(rules, s, sent_text, ms, r.start, ("neg_forward", "neg_backward"))]
        region_values = list(dict.fromkeys(r.value for r in rs))
        region_src = "sentence"
        if sym.value == "weakness" and not owns[sym.start]:
            # "weakness lifting the foot", "lifting the big toe may be weak": the limb that is weak to move
            moved = [r.value for r in ms if r.kind == "region" and cl[0] <= r.start < cl[1]
                     and abs(r.start - sym.start) <= 40
                     and _MOVING.search(sent_text[max(0, r.start - s.start - 30):r.start - s.start])]
            if moved:
                region_values = list(dict.fromkeys(moved))
        spec = rules.vocab.symptoms.get(sym.value, {})
        fixed = (spec.get("sites") or {}).get(norm_phrase(sym.surface))
        whole = spec.get("region")
        if fixed:   # "reduced ankle jerk": at the ankle, wherever the pain of the sentence is
            region_values = [fixed]
        elif whole:  # "a limp": at the condition's own site (the hip's limp), else of the whole leg
            region_values = [cond.region if cond.region and cond.region != "lower_back" else whole]
        if not region_values and own_regions_only:
            continue   # a sentence about several conditions at once places no symptom by context or by name
        # a symptom the sentence does not place is at the condition's own site ("Stiffness after sitting usually
        # wears off" in a hip article is the hip's, not the knee's named a sentence before); the paragraph's last
        # regions place it only for a condition without a site of its own (a denial too: "it causes no weakness" is
        # at the condition's site, as POLICY.md annotates it)
        if not region_values and context_regions and not cond.region:
            region_values, region_src = list(context_regions), "paragraph"
        if not region_values and not neg and any(o.value == sym.value and owns[o.start] for o in syms
                                                 if o.start != sym.start):
            continue   # "The pain: a deep ache in the groin ...", "Any pain is usually a mild ache in the groin": placed there
        if not region_values:
            if cond.region:
                # a nerve deficit of a spinal condition is felt in the leg ("weakness, reflex change"), not the back
                spinal = spec.get("spinal_site") if cond.region == "lower_back" else None
                region_values = [str(spinal) if spinal else cond.region]
                region_src = "condition"
            else:
                continue
        hedged = in_scope(rules, s, sent_text, ms, sym.start, ("hedge_forward", "hedge_backward"))
        q_values: list[tuple[str | None, bool]] = [(None, neg)]
        if sym.value == "pain":
            implied = rules.mx.quality_implied.get(norm_phrase(sym.surface))
            # a quality word that is, or modifies, another pain of the sentence is not this one's ("deep buttock pain
            # ..., sometimes with aching down the back of the thigh"); a pain word of its own phrase is ("aching" of
            # "an aching pain", "deep, aching pain")
            pains = [m for m in syms if m.value == "pain" and m.start != sym.start
                     and not re.fullmatch(r"[\s,-]{0,3}", gap(min(m.end, sym.end), max(m.start, sym.start)))]
            others = {m.start for m in pains} | {
                q.start for q in quals for m in pains
                if q.end <= m.start and re.fullmatch(r"[a-z\s,-]{0,20}", sent_text[q.end - s.start:m.start - s.start])}
            qs = [q for q in quals if cl[0] <= q.start < cl[1] and q.start != sym.start and q.start not in others] or \
                [q for q in quals if abs(q.start - sym.start) < 60 and q.start != sym.start and q.start not in others]
            q_values = [(q.value, neg) for q in qs
                        if in_scope(rules, s, sent_text, ms, q.start, ("neg_forward", "neg_backward")) == neg]
            if implied and implied not in [q for q, _ in q_values]:
                q_values.append((implied, neg))
            if not q_values:
                q_values = [(None, neg)]
        conf = 0.9 if not hedged else 0.75
        if inherited:
            conf -= 0.15
        if region_src == "condition":
            conf -= 0.2
        rule = "rule:sentence" if not inherited else "rule:discourse"
        neg_cues = [m for m in ms if m.kind == "neg_forward" and m.start >= sym.end]
        how_often = frequency_of(ms, sym.start, sym.end, gap)
        for region in region_values:
            # "the pain rarely spreads below the knee": a negation between symptom and region negates the pair
            where = next((r for r in rs if r.value == region), None)
            neg_between = where is not None and any(
                m.end <= where.start and not re.search(r"[.;]|\band\b|\bbut\b", text_between(sent_text, s, sym.end, m.start))
                for m in neg_cues)
            freq = region_frequency(s, sent_text, ms, sym, where, how_often)
            quals_here = q_values
            first = min(sym.start, where.start) if where is not None else sym.start
            if _THAN.search(sent_text, 0, first - s.start) or (
                    where is not None and _THAN.search(sent_text, 0, where.start - s.start)):
                # "often worse in the leg than the back", "leg pain is often worse than back pain": what the
                # comparison is measured against takes neither the qualities nor the frequency of the sentence
                freq, quals_here = None, [(None, neg)]
            for quality, qneg in quals_here:
                out.append(fact_row(rules, source_id, cid, s, sent_text, sym.value, region, quality,
                                    qneg or neg_between, hedged, f"{rule}/{region_src}", round(conf, 3), freq))
    # explicit boundaries: "stops above the knee" -> pain not in the knee
    for b in bounds:
        after = [r for r in regs if r.start >= b.end and r.start - b.end < 25]
        if after and any(sm.value == "pain" for sm in syms):
            out.append(fact_row(rules, source_id, cid, s, sent_text, "pain", after[0].value, None, True, False,
                                      "rule:boundary", 0.8))
    return out

_BACK_SITE = re.compile(r"\b(?:the|your|my|his|her|their|our|a|low|lower|upper|bad|sore|stiff|painful|and|or|in|of)"
                        r"\s+$", re.I)
_BACK_FOLLOWERS = frozenset({"pain", "pains", "ache", "aches", "aching", "stiffness", "spasm", "spasms", "and", "or",
                             "problems", "trouble", "injury", "strain"})


def is_site(rules: Rules, sent: str, start: int, end: int) -> bool:
    """A region mention that names where a symptom is felt, not where a cause lies
    ("a nerve root in the lower back", "originating at the hip", "the initial knee issue")."""
    after = sent[end:end + 16].lower()
    m = re.match(r"\s*([a-z]+)", after)
    if m and m.group(1) in rules.mx.region_non_site_followers:
        return False
    if sent[start:end].lower() == "back" and not _BACK_SITE.search(sent[max(0, start - 12):start]) \
            and not (m and m.group(1) in _BACK_FOLLOWERS):
        return False   # "it pops back", "comes back", "back to work": an adverb, not the back
    before = sent[max(0, start - 40):start].lower()
    # "between the sacrum and the outer hip": landmarks of a place, both of them
    if _BETWEEN_AND.search(sent[max(0, start - 80):start].lower()):
        return False
    return rules.mx.region_origin.search(before) is None

LIMB_MOVERS = frozenset({"bending_forward", "lifting"})   # activities that a limb right next to them makes a movement


def is_limb_movement(rules: Rules, low: str, start: int, end: int, activity: str) -> bool:
    """ "bending my knee", "can't lift my toes", "deep knee bending": a limb moving, not the activity of bending
    forward or of lifting loads (`low`: the lower-cased text the offsets index)."""
    return activity in LIMB_MOVERS and (rules.mx.limb_after.match(low, end) is not None
                                        or rules.mx.limb_before.search(low[max(0, start - 20):start]) is not None)


def fact_row(rules: Rules, source_id: str, cid: str, s: Sentence, sent_text: str, symptom: str, region: str,
             quality: str | None, negated: bool, hedged: bool, extractor: str, confidence: float,
             frequency: str | None = None) -> Row:
    return {
        "fact_id": fact_id(source_id, cid, symptom, region, quality, negated, s.start),
        "source_id": source_id,
        "condition_id": cid,
        "symptom": symptom,
        "region": region,
        "region_coarse": rules.vocab.region_coarse[region],
        "quality": quality,
        "negated": bool(negated),
        "hedged": bool(hedged),
        "evidence": sent_text,
        "char_start": s.start,
        "char_end": s.end,
        "extractor": f"{EXTRACTOR_VERSION}:{extractor}",
        "confidence": max(0.05, min(1.0, confidence)),
        "frequency": frequency,
    }

def _cue_for(rules: Rules, s: Sentence, sent_text: str, ms: list[Match], f: Match) -> Match | None:
    """The kind cue governing factor mention `f`: the nearest before it in its clause, else one right after it,
    else a backward-governing cue after a list of factors in the same clause ("Sitting and bending make it
    worse")."""
    cues = [m for m in ms if m.kind.startswith("cue_")]
    before = [c for c in cues if c.end <= f.start and not any(
        t.kind == "terminator" and c.end <= t.start < f.start for t in ms)
        # a cue does not reach across ';' ("... make it worse; relative rest and ice help"), but a label's does
        # ("Worse with: sitting ...; getting up from a chair; stairs")
        and (c.end <= s.label_end or ";" not in text_between(sent_text, s, c.end, f.start))]
    if before:
        return before[-1]

    def own_object(c: Match) -> bool:
        # "it comes on partway through a run and eases with rest": what eases it is the rest, not the run
        return c.value == "relieving" and any(
            o.kind == "f_act" and 0 <= o.start - c.end <= 12
            and re.fullmatch(r"\s*(?:with|by|on|after)?\s*", text_between(sent_text, s, c.end, o.start)) for o in ms)
    # "... and osteoarthritis follows": what a "follows" comes after is a consequence, not a risk factor
    after = [c for c in cues if c.start >= f.end and c.start - f.end <= 12 and not own_object(c)
             and not re.match(r"(?:tends? to )?follows?\b", text_between(sent_text, s, c.start, c.end).lower())]
    if not after:
        after = [c for c in cues if c.start >= f.end and c.start - f.end <= 100
                 and norm_phrase(text_between(sent_text, s, c.start, c.end)) in rules.backward_cues
                 and not re.search(r"[.;:]|\bwhile\b|\bbut\b|\bwhereas\b", text_between(sent_text, s, f.end, c.start))
                 and not own_object(c)]
    return after[0] if after else None


def _v1_kind(f: Match, cue: Match | None, default_cue: str | None, red_here: bool) -> str | None:
    """Kind of an activity / risk factor / red-flag mention: red flags only in red-flag context; otherwise
    the cue's kind (an activity under a risk cue is aggravating: "common in runners"; a risk factor under an
    aggravating or relieving cue stays a risk factor); a risk factor with no cue is one unless it is too
    generic to stand alone (prior injury, arthritis, age, overuse, imbalance)."""
    if f.kind == "f_red":
        return "red_flag" if red_here else None
    if cue is not None or default_cue is not None:
        cue_value = cue.value if cue is not None else str(default_cue)
        kind = {"aggravating": "aggravating", "relieving": "relieving", "risk": "risk_factor"}[cue_value]
        if kind == "risk_factor" and f.kind == "f_act":
            return "aggravating"
        if kind in ("aggravating", "relieving") and f.kind == "f_risk":
            return "risk_factor"
        return kind
    if f.kind == "f_risk" and f.value not in ("prior_injury", "arthritis", "age", "overuse", "muscle_imbalance"):
        return "risk_factor"
    return None


def _stopped(rules: Rules, sent_text: str, s: Sentence, cue: Match, f: Match) -> bool:
    """Is the activity after a relieving cue the thing stopped or avoided ("eases after stopping running")?"""
    if cue.end > f.start:
        return False
    between = " " + norm_phrase(text_between(sent_text, s, cue.end, f.start)) + " "
    return any(f" {w} " in between for w in rules.stopping_words)


_MOVING = re.compile(r"\b(?:lifting|lift|raising|raise|pushing|push|straightening|straighten|turning|turn|"
                     r"pulling|pull)\s+(?:up\s+)?(?:the\s+|your\s+|his\s+|her\s+|my\s+|their\s+)?$")
_RISK_LIST = re.compile(r"\b(?:risk factors?|contributing factors?|predisposing factors?|linked (?:to|with)|"
                        r"predispos\w+|(?:increase|raise)s? (?:the |your )?risk|reasons include)\b"
                        r"[^;.:]*$", re.I)
_THAN = re.compile(r"\bthan\s+(?:in\s+|at\s+)?(?:the\s+|your\s+|a\s+)?(?:lower\s+|low\s+)?$", re.I)
_OTHERS_WITHOUT = re.compile(rf"\b{_PEOPLE}\s+(?:(?:without|with no)\s+(?:\w+\s+){{0,2}}|(?:that|who)\s+(?:do|does)\s+"
                             rf"not\s+(?:have\s+|feel\s+)?(?:any\s+)?)$", re.I)
_NOT_AN_ACTIVITY = re.compile(
    r"(?:\b(?:reduced|limited|restricted|loss\s+of|lost|painful,?\s+limited)\s+(?:\w+\s+)?$"
    r"|\b(?:follows|followed\s+by|following)\s+(?:a|an)\s+(?:\w+\s+)?$"
    r"|\bpeople\s+who\s+(?:\w+\s+){0,4}$"
    r"|\b(?:passive|resisted)\s+(?:[\w-]+\s+){0,3}(?:(?:and|or)\s+(?:[\w-]+\s+)?)?$"
    r"|\b(?:risk factors?|predisposing factors?)\b[^;.:]*$)")
_TRAINING_CHANGE = re.compile(r"\b(?:increase|increases|rise|jump|change|changes|spike)\s+in\s+(?:\w+\s+){0,2}$")
_AFTER_IT = re.compile(r"\b(?:stiffness|stiff|pain|ache|aching|painful)\s+(?:\w+\s+)?after\s+(?:a\s+|long\s+|prolonged\s+)?\w+$")
# "a sudden, sharp pain ... while pushing off, lunging or sprinting", "(the kneecap) moves outwards, usually during a
# twist", "can rupture during exertion such as squatting": how the injury happened, not what makes it worse (a
# sentence that names no injury, "The trigger can be trivial (squatting, kneeling)", is left as it is)
_INJURY = re.compile(r"\b(?:sudden(?:ly)?|injur(?:y|ies|ed)|tears?|torn|ruptur\w*|leak|dislocat\w*|pops?|snaps?|"
                     r"as if (?:kicked|shot|hit|struck)|moves outwards)\b")
_DURING = re.compile(r"\b(?:while|during|the trigger (?:can be|is|may be))\b[^;.:|]*$")
_UNABLE = re.compile(r"\b(?:inability|unable)\s+to\s+(?:\w+\s+or\s+)?$")
_NAMED_AFTER = re.compile(r"\(|\b(?:is|are)\s+(?:a\s+|an\s+|the\s+)?(?:positive|called|known\s+as)\b", re.I)
_LOOKED_FOR = re.compile(r"\b(?:examined|checked|looked|assessed|tested|palpated|screened)\s+for\s+(?:\w+\s+){0,2}$",
                         re.I)


def _compared_spans(s: Sentence, sent_text: str, ms: list[Match]) -> list[tuple[int, int]]:
    """Document spans of what a sentence compares with ("Unlike joint-related pain, ..."): from "unlike", "rather
    than" or "instead of" up to the next comma or ';'."""
    return [(m.end, m.end + len(re.split(r"[,;]", sent_text[m.end - s.start:])[0]))
            for m in ms if m.kind == "neg_forward" and m.value in _COMPARISON_CUES]


# a named test or sign: "FABER test", "Noble compression test", "Pace's sign" (not "signs include", "tests")
_NAMED_TEST = re.compile(r"\b(?:test|sign|manoeuvre|maneuver)\b(?!s)", re.I)
# what a test does to a symptom: "both of which stretch the tendon and reproduce pain"
_PROVOKES = re.compile(r"\b(?:reproduc\w*|provok\w*|recreat\w*|brings?\s+on|brought\s+on)\s+(?:the\s+|his\s+|her\s+|"
                       r"their\s+|your\s+|a\s+)?(?:\w+\s+){0,2}$", re.I)
# "tingling when the nerve is tapped": the response to tapping, Tinel's sign
_ON_TAPPING = re.compile(r"[^;:.]{0,40}?\b(?:when|on|with|if)\s+(?:\w+\s+){0,3}?(?:tapped|tapping|percuss\w*)\b", re.I)
# "painful loss of internal rotation": the examiner's finding of a lost movement, not a pain of its own
_PAINFUL_LOSS = re.compile(r"\s*(?:loss|limitation|restriction|reduction)\b", re.I)
# "boys are affected about twice as often as girls": the group compared with
_COMPARED_WITH = re.compile(r"\b(?:than|as\s+often\s+as|as\s+many\s+as|as\s+commonly\s+as)\s+(?:in\s+)?(?:the\s+)?$")
# "knee reflex normal", "reflexes are preserved": a test's normal result is the finding denied
_NORMAL_RESULT = re.compile(r"\s*(?:is\s+|are\s+|was\s+)?(?:normal|preserved|intact|symmetrical)\b")
# "anything that stretches the nerve": what a cause does to a structure, not the activity of stretching
_STRETCHES_A_STRUCTURE = re.compile(r"\w*\s+(?:the\s+|a\s+|this\s+)?(?:\w+\s+)?(?:nerve|nerves|tendon|ligament|band)\b")
_FOREIGN_REACH = 30   # characters between a symptom and a body part that places it


def _placed_elsewhere(rules: Rules, sent_lower: str, s: Sentence, m: Match, ms: list[Match]) -> bool:
    """A symptom placed at a body part outside the legs and back (context.yaml foreign_sites), nearer than any
    region of its clause ("new numbness in the genitals", "the fingertips may start to tingle"): not a finding of
    the leg. `sent_lower` is the sentence lower-cased (safe_lower: offsets hold)."""
    lo, hi = max(0, m.start - s.start - _FOREIGN_REACH), m.end - s.start + _FOREIGN_REACH
    for f in rules.mx.foreign_sites.finditer(sent_lower, lo, hi):
        a, b = s.start + f.start(), s.start + f.end()
        near = m.start - b if b <= m.start else a - m.end
        if not _same_clause(ms, min(m.end, a), max(m.start, b)):
            continue
        if not any(r.kind == "region" and (m.start - r.end if r.end <= m.start else r.start - m.end) < near
                   and _same_clause(ms, min(m.end, r.start), max(m.start, r.end)) for r in ms):
            return True
    return False


def _in_test_bracket(sent_text: str, s: Sentence, pos: int, asides: list[tuple[int, int]]) -> bool:
    """Document offset `pos` lies in the bracket (of the sentence's `asides`, _brackets) that describes a named test or
    sign ("Pace's sign (pain or weakness pushing the knees apart against resistance)")."""
    return any(a < pos < b and _NAMED_TEST.search(sent_text[max(0, a - s.start - 12):a - s.start])
               for a, b in asides)


_TEST_AFTER = 80   # characters: a test named in a bracket this soon after a symptom is the test it describes


def _test_response(sent_text: str, s: Sentence, m: Match, ms: list[Match], exams: list[Match],
                   asides: list[tuple[int, int]]) -> bool:
    """A symptom that is the response to an examination test, so an exam finding and not a symptom: after a
    label that names a test ("FABER test: ...; groin pain suggests the hip joint", "Noble compression test:
    ... pain at around 30 degrees is typical"), in the bracket that describes a named test ("Pace's sign (pain
    or weakness pushing the knees apart ...)"), brought on by a test ("the Puranen-Orava test, both of which
    stretch the tendon and reproduce pain"), on tapping a nerve, or the 'painful' of a lost movement or of the
    test named right after it ("painful log roll")."""
    rel = m.start - s.start
    if s.label_end and m.start >= s.label_end:
        label = sent_text[:s.label_end - s.start]
        if _NAMED_TEST.search(label) or any(e.start < s.label_end for e in exams):
            return True
    if _in_test_bracket(sent_text, s, m.start, asides):
        return True
    # "pain when standing on one leg and leaning back (the stork or one-leg extension test)": the bracket after it
    # names the test it describes (the nearest symptom's: "tenderness near the pubic bone and pain when squeezing the
    # knees (the squeeze test)" keeps the tenderness)
    for a, b in asides:
        if 0 <= a - m.end <= _TEST_AFTER and _NAMED_TEST.search(sent_text[a - s.start:b - s.start]) \
                and not any(t.kind == "symptom" and m.end <= t.start < a for t in ms) \
                and _same_clause(ms, m.end, a) and not re.search(r"[.|]", sent_text[m.end - s.start:a - s.start]):
            return True
    provoked = _PROVOKES.search(sent_text[max(0, rel - 40):rel])
    # "hopping on the affected leg reproduces the pain": 'reproduce' is an examiner's word; the others need a test
    if provoked and (exams or _NAMED_TEST.search(sent_text) or provoked.group(0).lower().startswith("reproduc")):
        return True
    if m.value != "tenderness" and _ON_TAPPING.match(sent_text, m.end - s.start):
        return True
    # "painful loss of internal rotation", "painful log roll": the result of the examination named next
    return m.surface.lower() == "painful" and (_PAINFUL_LOSS.match(sent_text, m.end - s.start) is not None
                                              or any(0 <= e.start - m.end <= 2 for e in exams))


def _unbracketed(sent_text: str, s: Sentence, a: int, b: int) -> int:
    """Characters between document offsets a and b, not counting what is in brackets ("the femoral nerve stretch
    test (bending the knee while lying face down) is often painful")."""
    return len(re.sub(r"\([^()]*\)", "", sent_text[a - s.start:b - s.start]))


def _brackets(sent_text: str, s: Sentence) -> list[tuple[int, int]]:
    """Document spans of the bracketed asides of a sentence."""
    return [(s.start + m.start(), s.start + m.end()) for m in re.finditer(r"\([^()]*\)", sent_text)]


def _same_clause(ms: list[Match], a: int, b: int, asides: list[tuple[int, int]] | None = None) -> bool:
    """No terminator (but, however, ';' ...) between offsets a and b (one inside a bracketed aside does not count)."""
    lo, hi = min(a, b), max(a, b)
    return not any(t.kind == "terminator" and lo <= t.start < hi
                   and not any(x <= t.start < y for x, y in asides or ()) for t in ms)


_DEFINITION = re.compile(r"(?:\*\*|</?\w+>|\s|tests?\b|signs?\b|\([^)]*\))*:")


def exam_has_result(rules: Rules, s: Sentence, sent_lower: str, f: Match, window: int = 80) -> bool:
    """Does the text say what the test showed? A test named with a result ("the straight leg raise reproduces the
    pain", "a positive McMurray test", "reduced knee reflex", "the knee reflex is normal") is a finding; a test named
    as a procedure ("Ligaments: Lachman, anterior drawer and pivot shift", "check the knee reflex") is not. Signs
    that are findings by name (an effusion, joint-line tenderness) need no result (context.yaml exam_procedures
    lists the tests that do; a named sign, "Tinel's sign at the fibular neck", is one). The result is looked for
    in the phrase itself and within `window` characters of it in its clause (up to a ';'), or anywhere after a
    test that heads a definition ("McMurray test: ... a click suggests a tear"); table rows are left to the grid
    reader."""
    if (rules.exam_result is None or f.value not in rules.exam_procedures or s.table or "|" in sent_lower
            or "<td" in sent_lower):
        return True
    a, b = f.start - s.start, f.end - s.start
    lo = max(0, a - window, sent_lower.rfind(";", 0, a) + 1)
    # "look for a Trendelenburg sign", "check the knee reflex": the examiner's doing, within 30 characters before
    led = rules.exam_lead is not None and rules.exam_lead.search(sent_lower, max(lo, a - 30), a) is not None
    if f.surface.lower().endswith("sign") and not led:
        return True
    if _DEFINITION.match(sent_lower, b):
        return rules.exam_result.search(sent_lower, a) is not None
    semi = sent_lower.find(";", b)
    hi = min(len(sent_lower), b + window, semi if semi >= 0 else len(sent_lower))
    strong = rules.exam_strong if led and rules.exam_strong is not None else rules.exam_result
    return strong.search(sent_lower, lo, hi) is not None


def _v2_kind(rules: Rules, s: Sentence, f: Match, ms: list[Match], sent_lower: str,
             demographic_context: bool, onset_context: bool = False) -> str | None:
    """Kind of a Version 2 mention: exam findings and timings are what they say (morning stiffness only where
    the sentence speaks of morning stiffness); a weak onset phrase is an onset only in a clause that speaks of
    a start; a demographic only where the text says who is affected."""
    if f.kind == "f_exam":
        return "exam_finding" if exam_has_result(rules, s, sent_lower, f) else None
    if f.kind == "f_timing":
        if f.value.startswith("morning_stiffness"):
            return None  # decided by the sentence's stated duration (morning_stiffness)
        if f.value.startswith("walking_eased") and not re.search(r"\bwalk|\bstand", sent_lower):
            return None
        return "timing"
    if f.kind == "f_onset":
        return "onset"
    if f.kind == "f_onset_weak":
        after = re.search(r"\b(?:after|following)\s+(?:a|an|the|one|some|their|your)?\s*(?:\w+\s+)?$",
                          sent_lower[max(0, f.start - s.start - 30):f.start - s.start])
        cued = any(m.kind == "onset_cue" and _same_clause(ms, m.start, f.start) for m in ms)
        return "onset" if cued or after or onset_context else None
    if f.kind == "f_demo":
        if re.search(r"\bthan\s+(?:in\s+)?$", sent_lower[max(0, f.start - s.start - 10):f.start - s.start]):
            return None   # "more frequent in women than men": the group compared with, not the one affected
        cued = any(m.kind == "demo_cue" or (m.kind == "cue_risk" and _same_clause(ms, m.start, f.start)) for m in ms)
        # "In older adults the same root ...", "Mainly older adults;": a demographic opening the sentence
        opening = re.fullmatch(r"(?:\W*(?:in|among|mainly|mostly|usually|typically|especially|often)\s+)?(?:\w+\s+)?",
                               sent_lower[:f.start - s.start]) is not None
        return "demographic" if cued or demographic_context or opening else None
    return None


_FINDINGS = frozenset({"symptom", "quality", "f_act", "f_risk", "f_red", "f_exam", "f_timing", "f_onset", "f_demo",
                       "condition"})


# a frequency after its finding: "in most people", "in some cases" ..., or said of it ("night pain is common",
# "numbness is rare."); not one that opens another phrase ("low back pain, often one-sided", "leg pain is often
# worse than back pain")
_AFTER_PREDICATE = re.compile(r"(?:\s+(?:in|of|at|on|over|behind|around|along|down|into)\s+[\w' -]{1,30}?)?"
                              r"\s*(?:is|are|was|were|can be|may be|is not|are not)?\s*(?:very\s+|quite\s+|fairly\s+)?$",
                              re.I)
_COMPARED = re.compile(r"\s*(?:\w+\s+)?(?:worse|better|more|less|greater|stronger|weaker)\s+than\b", re.I)
_TIMESPAN = re.compile(r"\s*(?:days?|weeks?|months?|years?|hours?|minutes?)\b", re.I)   # "over the next few days"
_COMPARATIVE = re.compile(r"\s*(?:worse|better)\b", re.I)   # "often worse in the leg than the back"
# "one of the commonest causes of hip pain": how common the cause is among causes, not how often it gives the pain
_CAUSE_RANK = re.compile(r"\s*(?:causes?|reasons?|sources?)\s+(?:of|for)\b", re.I)
_AFTER_END = re.compile(r"\s*(?:$|[.;:,)|]|\b(?:and|but|in|among|with|after|at)\b)", re.I)


def _clause_end(a: int, b: int, text: Callable[[int, int], str] | None) -> int:
    """b, or the first ';' or '|' between a and b."""
    if text is None:
        return b
    cut = [i for i in (text(a, b).find(c) for c in ";|") if i >= 0]
    return a + min(cut) if cut else b


_HEDGED_USUALLY = re.compile(r"\b(?:usually|typically|mostly|often|generally)\s*,?\s*(?:though|but|if|although)\s+$",
                             re.I)


def _usually_again(m: Match, freqs: list[Match], text: Callable[[int, int], str]) -> Match:
    """ "usually, though not always, low back pain": the hedge says "usually" again, it is no second frequency."""
    prior = [q for q in freqs if q.end <= m.start and m.start - q.end <= 25]
    if prior and m.surface.lower() == "not always" and _HEDGED_USUALLY.search(text(max(0, m.start - 25), m.start)):
        return Match(m.start, m.end, m.kind, prior[-1].value, m.surface)
    return m


def _governs_nothing(after: str) -> bool:
    """A frequency word right before `after` says how often a comparison holds or is a span of time: it governs no
    finding."""
    return any(p.match(after) is not None for p in (_COMPARATIVE, _TIMESPAN, _CAUSE_RANK))


def frequency_of(ms: list[Match], pos: int, end: int | None = None,
                 text: Callable[[int, int], str] | None = None) -> str | None:
    """The frequency phrase governing the finding at pos..end: the nearest one before it in its clause with no
    other finding between ("often causes numbness", "most people have a dull ache"), else one right after it
    that is said of it ("numbness in the foot in most people", "night pain is common"). A frequency word that
    governs another finding of the sentence ("shooting pain, often with pins and needles") is not this finding's;
    with `text` (document offsets -> text), none crosses a table cell ("Groin, sometimes only the knee | Stiffness")
    and an after-frequency must be in a phrase of its own or the predicate of the finding."""
    freqs = [m for m in ms if m.kind == "freq"]
    if text is not None:
        freqs = [m for m in freqs if not _governs_nothing(text(m.end, m.end + 12))]
    if text is not None and any(m.surface.lower() == "not always" for m in freqs):
        freqs = [_usually_again(m, freqs, text) for m in freqs]
    end = pos if end is None else end

    def clear(a: int, b: int, across: str = "|;") -> bool:
        return not any(o.kind in _FINDINGS and a <= o.start < b for o in ms) and (
            text is None or not any(c in text(a, b) for c in across))

    before = [m for m in freqs if m.end <= pos and pos - m.end <= 40 and _same_clause(ms, m.start, pos)
              and clear(m.end, pos) and (text is None or not _COMPARED.match(text(m.end, pos)))]
    if before:
        return before[-1].value
    after = [m for m in freqs if m.start >= end and m.start - end <= 30 and _same_clause(ms, end, m.start)
             and clear(end, m.start) and clear(m.end, _clause_end(m.end, m.end + 30, text), "")]
    # (not "..., often with pins and needles": a finding right after it, in its clause, is the one it governs)
    if after and text is not None:
        m = after[0]
        own_phrase = re.match(r"(?:in|for|among|at)\b", m.surface.strip(), re.I) is not None or \
            re.search(r"\b(?:in|for|among)\s+$", text(end, m.start), re.I) is not None
        said_of = _AFTER_PREDICATE.fullmatch(text(end, m.start)) is not None and \
            _AFTER_END.match(text(m.end, m.end + 12)) is not None
        if not (own_phrase or said_of):
            return None
    return after[0].value if after else None


_SPREAD_VERB = re.compile(r"\s*(?:\w+\s+)?(?:spread|radiat|travel|extend|shoot|run|go|pass|mov)", re.I)


def region_frequency(s: Sentence, sent_text: str, ms: list[Match], sym: Match, where: Match | None,
                     default: str | None) -> str | None:
    """How often the symptom is felt at region `where`: a frequency word between the symptom and the region
    governs that region and those after it ("pain that often spreads down the outer thigh towards the knee, and
    sometimes into the buttock": the buttock's is `sometimes`); before the first such word, the symptom's own
    (`default`, frequency_of) unless that word comes after the region ("a dull ache at the back of the knee that
    may spread into the calf": the knee's ache has none)."""
    if where is None:
        return default
    # a frequency word of the same value after the symptom that is a span of time ("sometimes a pop, and bruising
    # tracking towards the knee after a few days"): the symptom keeps none (a narrow guard; the frequency came
    # from another phrase)
    if default is not None and any(m.kind == "freq" and m.value == default and sym.end <= m.start
                                   and _TIMESPAN.match(text_between(sent_text, s, m.end, min(s.end, m.end + 12)))
                                   for m in ms):
        default = None
    between = [m for m in ms if m.kind == "freq" and sym.end <= m.start and m.end <= where.start
               and not any(o.kind in _FINDINGS and m.end <= o.start < where.start for o in ms)
               and not _governs_nothing(text_between(sent_text, s, m.end, min(s.end, m.end + 12)))]
    if between:
        return between[-1].value
    later = [m for m in ms if m.kind == "freq" and m.start >= where.end]
    if (default is not None and later and where.start > sym.end and later[0].value == default
            and _SPREAD_VERB.match(text_between(sent_text, s, later[0].end, min(s.end, later[0].end + 30)))
            and not any(m.kind == "freq" and m.value == default and m.end <= sym.start for m in ms)):
        return None
    return default


_RECOVERY = re.compile(r"\b(?:within|over|in|after|for)\s+(?:a\s+few\s+|several\s+|some\s+|\d+\s+(?:to\s+\d+\s+)?|"
                       r"two\s+|three\s+|six\s+)?(?:days|weeks|months)\b")
_V1 = ("f_act", "f_risk", "f_red")
_V2 = ("f_exam", "f_timing", "f_onset", "f_onset_weak", "f_demo")


def factor_facts(rules: Rules, source_id: str, cid: str, s: Sentence, sent_text: str, ms: list[Match],
                 cond_spans: list[tuple[int, int]], red_here: bool, inherited: bool, default_cue: str | None = None,
                 demographic_context: bool = False, onset_context: bool = False,
                 own_spans: list[tuple[int, int]] | None = None) -> list[Row]:
    """Factor facts of one sentence for condition `cid` (kinds: aggravating, relieving, risk_factor, red_flag,
    onset, exam_finding, timing, demographic), each with negation, hedging and frequency."""
    out: list[Row] = []
    sent_lower = sent_text.lower()
    asides = _brackets(sent_text, s)
    gap = sentence_gap(sent_text, s)
    recovery = _RECOVERY.search(sent_lower) is not None   # "... settles with rest within a few days"
    injury = _INJURY.search(sent_lower) is not None       # "sudden pain while pushing off": read once per sentence
    # "Unlike hip arthritis, it ...": what follows "unlike" up to the comma is the thing compared, not a factor
    compared = _compared_spans(s, sent_text, ms)
    for f in (m for m in ms if m.kind in _V1 or m.kind in _V2):
        if any(a <= f.start < b for a, b in compared):
            continue
        if any(a <= f.start and f.end <= b for a, b in cond_spans):
            # a condition named by a risk factor ("flat feet", "weak glutes") is that risk factor: recorded with
            # scope `condition` (derived from the name, not a statement of the sentence; the generator lets such
            # a patient report it)
            if (f.kind == "f_risk" and f.value not in rules.not_self_risk and own_spans
                    and any(a <= f.start and f.end <= b for a, b in own_spans)):
                out.append(factor_row(source_id, cid, s, sent_text, "risk_factor", f.value, False, False,
                                      "rule:condition_name", 0.9, "condition"))
            continue
        if f.kind == "f_act" and is_limb_movement(rules, sent_lower, f.start - s.start, f.end - s.start, f.value):
            continue   # "difficulty lifting the foot", "deep knee bending": a limb moving, not lifting or bending forward
        if f.kind == "f_act" and _UNABLE.search(sent_lower, 0, f.start - s.start):
            continue   # "severe pain and inability to walk": a loss of function, not what makes it worse
        if f.kind == "f_act" and (_TRAINING_CHANGE.search(sent_lower, 0, f.start - s.start)
                                  or re.match(r"jump\s+in\b", sent_lower[f.start - s.start:])):
            continue   # "a sudden increase in walking or running", "a sudden jump in weekly mileage": a training change
        if f.kind == "f_act" and (_in_test_bracket(sent_text, s, f.start, asides)
                                  or (f.value == "stretching" and _STRETCHES_A_STRUCTURE.match(sent_lower, f.end - s.start))):
            continue   # "Freiberg's sign (pain when the straightened hip is turned in)": the test; "stretches the nerve"
        if f.kind == "f_act" and _NOT_AN_ACTIVITY.search(sent_lower, 0, f.start - s.start):
            # "reduced inward rotation" (a finding), "often follows a twist" (how it started), "risk factors include
            # ... standing with your weight hitched onto one hip" (a cause), "people who sit for long hours" (who)
            continue
        if f.kind == "f_act" and injury and _DURING.search(sent_lower, 0, f.start - s.start):
            continue   # "sudden pain while pushing off, lunging or sprinting": the mechanism of the injury
        if f.kind == "f_demo" and _COMPARED_WITH.search(sent_lower, 0, f.start - s.start):
            continue   # "boys are affected about twice as often as girls": the group compared with, not who gets it
        if f.kind == "f_act" and re.match(r"rest\s+pain\b", sent_lower[f.start - s.start:]):
            continue   # "later rest pain": pain at rest (a time course), not rest making it worse
        if f.value == "sudden" and re.match(r"\w*\s+(?:rise|increase|jump|change|spike)\b", sent_lower[f.start - s.start:]):
            continue   # "after a sudden rise in training": a training change, not a sudden onset
        if f.kind in _V1:
            cue = _cue_for(rules, s, sent_text, ms, f)
            kind = _v1_kind(f, cue, default_cue, red_here)
            if kind == "relieving" and (recovery or _AFTER_IT.search(sent_lower, 0, f.end - s.start)):
                # "It settles with rest and ibuprofen within a few days": the course of recovery, not relief;
                continue   # "Stiffness after rest ... eases": what brings the stiffness on, not what eases it
            if kind == "relieving" and cue is not None and f.kind == "f_act" and _stopped(rules, sent_text, s, cue, f):
                kind = "aggravating"  # "eases within minutes of stopping running": running aggravates
            how = "cue" if cue else "list_cue" if default_cue else "vocab"
            conf = 0.85 if cue is not None else 0.75 if default_cue else 0.65
        else:
            kind = _v2_kind(rules, s, f, ms, sent_lower, demographic_context, onset_context)
            how, conf = f"vocab_{f.kind[2:]}", 0.8
        if kind is None:
            continue
        neg = in_scope(rules, s, sent_text, ms, f.start, ("neg_forward", "neg_backward")) or (
            kind == "exam_finding" and _NORMAL_RESULT.match(sent_lower, f.end - s.start) is not None)
        if neg and kind == "risk_factor":
            continue   # "without injury", "there is no muscle weakness": how it starts or a finding, not a risk denied
        hedged = in_scope(rules, s, sent_text, ms, f.start, ("hedge_forward", "hedge_backward"))
        out.append(factor_row(source_id, cid, s, sent_text, kind, f.value, neg, hedged, f"rule:{how}",
                              round(conf - (0.15 if inherited else 0.0), 3), "sentence", frequency_of(ms, f.start, f.end, gap)))
    out.extend(_walking_relief(source_id, cid, s, sent_text, out))
    stiffness = morning_stiffness(sent_lower)
    if stiffness:
        out.append(factor_row(source_id, cid, s, sent_text, "timing", stiffness, False, False, "rule:morning_stiffness",
                              round(0.8 - (0.15 if inherited else 0.0), 3), "sentence", frequency_of(ms, s.start, None, gap)))
    out.extend(_age_qualified(ms, out, source_id, cid, s, sent_text))
    return out


_DURATION = re.compile(r"(?P<cmp>less than|under|within|up to|no more than|more than|over|longer than|at least|"
                       r"for)?\s*(?:about |around |roughly )?(?P<n>\d+|a few|a couple of|half an|an|a|one|two|"
                       r"several)\s*(?:-\s*\d+\s*)?(?P<unit>minutes?|mins?|hours?)", re.I)


def morning_stiffness(sent_lower: str) -> str | None:
    """Short or long morning stiffness from a sentence that speaks of stiffness in the morning and says how
    long it lasts: up to about 30 minutes is short (osteoarthritis), longer is long (inflammatory)."""
    if "stiff" not in sent_lower or not re.search(r"morning|first thing|on waking|when you wake", sent_lower):
        return None
    m = _DURATION.search(sent_lower)
    if not m:
        return None
    words = {"a few": 5, "a couple of": 2, "half an": 0.5, "an": 1, "a": 1, "one": 1, "two": 2, "several": 3}
    n = words.get(m.group("n"))
    value = float(m.group("n")) if n is None else float(n)
    minutes = value * (60 if m.group("unit").startswith("hour") else 1)
    cmp = (m.group("cmp") or "").lower()
    if cmp in ("more than", "over", "longer than", "at least"):
        minutes += 1
    return "morning_stiffness_short" if minutes <= 30 else "morning_stiffness_long"


_AGE_WORDS = {"young": "young_adult", "younger": "young_adult", "older": "older_adult", "elderly": "older_adult",
              "teenage": "adolescent", "teen": "adolescent", "adolescent": "adolescent", "middle-aged": "middle_aged"}


def _age_qualified(ms: list[Match], rows: list[Row], source_id: str, cid: str, s: Sentence,
                   sent_text: str) -> list[Row]:
    """ "young athletes", "older runners", "teenage dancers": the age word is a demographic too."""
    have = {r["factor"] for r in rows if r["kind"] == "demographic"}
    out = []
    for r in rows:
        if r["kind"] != "demographic" or r["negated"]:
            continue
        for m in ms:
            if m.kind == "f_demo" and m.value == r["factor"]:
                before = sent_text[max(0, m.start - s.start - 14):m.start - s.start].lower().split()
                age = _AGE_WORDS.get(before[-1]) if before else None
                if age and age not in have:
                    have.add(age)
                    out.append(factor_row(source_id, cid, s, sent_text, "demographic", age, False, False,
                                          "rule:age_word", float(cast(float, r["confidence"])), "sentence",
                                          cast("str | None", r["frequency"])))
    return out


def _walking_relief(source_id: str, cid: str, s: Sentence, sent_text: str, rows: list[Row]) -> list[Row]:
    """Claudication patterns from a sentence's own factors: walking makes it worse and stopping (rest, standing
    still) eases it -> timing `walking_eased_by_rest`; sitting or bending / leaning forward eases it ->
    `walking_eased_by_bending_forward`."""
    have = {(r["kind"], r["factor"]) for r in rows if not r["negated"]}
    if ("aggravating", "walking") not in have:
        return []
    out = []
    eased = {f for k, f in have if k == "relieving"}
    if eased & {"rest", "standing"}:
        out.append(factor_row(source_id, cid, s, sent_text, "timing", "walking_eased_by_rest", False, False,
                              "rule:claudication", 0.75, "sentence"))
    if eased & {"bending_forward", "sitting", "leaning_forward"}:
        out.append(factor_row(source_id, cid, s, sent_text, "timing", "walking_eased_by_bending_forward", False, False,
                              "rule:claudication", 0.75, "sentence"))
    return out


def factor_row(source_id: str, cid: str, s: Sentence, sent_text: str, kind: str, value: str,
               negated: bool, hedged: bool, extractor: str, confidence: float, scope: str,
               frequency: str | None = None) -> Row:
    return {
        "fact_id": fact_id(source_id, cid, kind, value, negated, s.start, scope),
        "source_id": source_id,
        "condition_id": cid,
        "kind": kind,
        "factor": value,
        "negated": bool(negated),
        "hedged": bool(hedged),
        "scope": scope,
        "evidence": sent_text,
        "char_start": s.start,
        "char_end": s.end,
        "extractor": f"{EXTRACTOR_VERSION}:{extractor}",
        "confidence": max(0.05, min(1.0, confidence)),
        "frequency": frequency,
    }
