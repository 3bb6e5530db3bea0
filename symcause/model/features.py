"""Concept features for the classifier: the extractor's vocabularies applied to a case description.

A case written by a person says "kneecap", "pins and needles" or "P&N"; the generator says
"patella" or "tingling". Mapping every phrase of `schemas/vocab/` to its concept (region fine and
coarse, symptom, pain quality, activity, risk factor, red flag), with a negation mark when a
negation cue governs it ("no numbness" -> NS_numbness), gives the model features that do not
depend on the wording of the generator's templates. The features are plain tokens appended to the
text, so the saved scikit-learn pipeline stays a TF-IDF + linear model with no custom classes
(skops loads it with no untrusted types).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from symcause.extraction.document import kept_matches
from symcause.extraction.extractor import cached_extractor
from symcause.extraction.facts import is_limb_movement, is_site

_PREFIX = {"region": "R", "anatomy": "R", "symptom": "S", "quality": "Q", "f_act": "F", "f_risk": "K", "f_red": "X",
           "f_exam": "E", "f_timing": "T", "f_onset": "O", "f_demo": "D"}
# a negation's scope ends at a clause break: a full stop, "but", or a new clause (", and lately my knees ache")
_CLAUSE_BREAK = re.compile(r"[.;!?]| but | although | though | however "
                           r"|,\s+(?:and|so|then|now|lately|since)\b| and (?:now|lately|then|since)\b")
# "can't feel my knee", "cannot straighten the leg": the cue negates an ability, which is itself the finding
_INABILITY = re.compile(r"\b(?:feel|move|straighten|bend|walk|stand|sit|sleep|put weight|bear weight|lift|climb|kneel)\b")
# "can't sit through a film": an activity one cannot do is one that hurts, not one denied (the cues of
# context.yaml that say "cannot")
_CANNOT = re.compile(r"can't|cannot")
# a case-wording cue does not reach past a comma ("it doesn't swell or click, it hurts at night"), a backward one
# not past these either: "power is 3/5 with normal hip adduction"; "knee jerk reduced (R normal)"
_CASE_BWD_STOP = re.compile(r"[,(]|\b(?:with|without|for|than|after|before|when|while|during|at|on)\b")
MARKER = " ||| "  # separates the text from its concept tokens
CONCEPT_TOKEN = r"\b[A-Z]{1,3}_\w+"  # what a concept token looks like (for a vectorizer's token_pattern)
# the non-sklearn types a symcause model file may hold
TRUSTED = ["symcause.model.features.annotate_all", "symcause.model.knowledge_blend.KnowledgeBlend"]


def _alternation(phrases: Iterable[str]) -> str:
    return "|".join(re.escape(p.lower()) for p in sorted(set(phrases), key=len, reverse=True))


@lru_cache(maxsize=1)
def _matchers():

    ex = cached_extractor()
    ctx = ex.vocab.context
    cues = ctx["case_negation"]
    # whole words only ("neg" is not the start of "negligible", "-ve" may follow a space)
    case_fwd = re.compile(rf"(?<!\w)(?:{_alternation(cues['forward'])})(?!\w)")
    case_bwd = re.compile(rf"(?<!\w)(?:{_alternation(cues['backward'])})(?!\w)")
    return ex.rules, dict(ex.vocab.region_coarse), case_fwd, case_bwd


def concept_tokens(text: str) -> list[str]:
    """Concept tokens of one text, in order: R_<region>, RC_<coarse region>, S_<symptom>, Q_<quality>,
    F_<activity>, K_<risk factor>, X_<red flag>, E_<exam finding>, T_<time course>, O_<onset>, D_<demographic>;
    an N prefix marks a negated mention, and a region after a boundary ("stops above the knee")."""
    rules, coarse, case_fwd, case_bwd = _matchers()
    mx = rules.mx
    low = text.lower().replace("\u2019", "'")   # curly apostrophes as straight ones (same length: offsets hold)
    # as the extractor reads them, except a bare "sudden": in a case it tells how the pain began ("sudden groin pain
    # while sprinting": the onset token), not the warning of an article's "sudden severe pain" (no text: none kept)
    matches = kept_matches(mx.phrases.find(low, text, mx.groups), "")
    fwd = [m for m in matches if m.kind == "neg_forward"]
    case_fwd_hits = [c.end() for c in case_fwd.finditer(low)]
    bwd = [m for m in matches if m.kind == "neg_backward"]
    case_bwd_hits = [c.start() for c in case_bwd.finditer(low)]
    bounds = [m for m in matches if m.kind == "boundary"]   # "stops above the knee": the knee is not reached
    out: list[str] = []
    for m in matches:
        p = _PREFIX.get(m.kind)
        if p is None:
            continue
        if p == "R" and not is_site(rules, low, m.start, m.end):
            continue   # "lying on my back", "the hip replacement", "lifting the leg": not where it is felt
        if p == "F" and is_limb_movement(rules, low, m.start, m.end, m.value):
            continue   # "bending my knee", "can't lift my toes": a limb moving, not bending forward or lifting
        negated = any(0 <= m.start - n.end <= 40 and not _CLAUSE_BREAK.search(low, n.end, m.start)
                      and not _INABILITY.search(low, n.end, m.end)
                      and not (p == "F" and _CANNOT.fullmatch(n.surface.lower())) for n in fwd) or \
            any(0 <= m.start - b <= 40 and "," not in low[b:m.start] and not _CLAUSE_BREAK.search(low, b, m.start)
                and not _INABILITY.search(low, b, m.end) for b in case_fwd_hits) or \
            any(0 <= n.start - m.end <= 15 and not _CLAUSE_BREAK.search(low, m.end, n.start) for n in bwd) or \
            any(0 <= a - m.end <= 40 and not _CASE_BWD_STOP.search(low, m.end, a)
                and not _CLAUSE_BREAK.search(low, m.end, a) for a in case_bwd_hits) or \
            (p == "R" and any(0 <= m.start - b.end <= 25 for b in bounds))
        n = "N" if negated else ""
        out.append(f"{n}{p}_{m.value}")
        if p == "R":
            out.append(f"{n}RC_{coarse.get(m.value, m.value)}")
    return out


def annotate(text: str) -> str:
    """The text followed by its concept tokens (the classifier's input)."""
    return text + MARKER + " ".join(concept_tokens(text))


def annotate_all(texts: Iterable[str]) -> list[str]:
    """annotate() over a sequence (the first step of the model pipeline)."""
    return [annotate(str(t)) for t in texts]
