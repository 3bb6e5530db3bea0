"""Phase 0 of extraction: one document read for the rules (the per-call state of `Extractor.extract`).

A `Document` holds the normalised text, its sentences and, per sentence, the vocabulary matches that
fall inside it. Every later phase reads it; none of them keeps state on the shared `Extractor`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from symcause.core.vocab import Match
from symcause.extraction.rules import Rules
from symcause.extraction.sentences import Sentence, split_sentences
from symcause.extraction.text import safe_lower

_MASKABLE = frozenset({"symptom", "f_red", "quality", "f_act", "f_onset_weak", "f_risk", "region", "f_timing",
                       "freq"})
_BULLET_LINE = re.compile(r"^\s*(?:[-*+\u2022\u25cf\u25aa\u2023\u2043\u00b7]|\d{1,2}[.)])\s+")


@dataclass
class Document:
    source_id: str
    text: str
    sentences: list[Sentence]
    matches: list[list[Match]]          # per sentence, in text order
    bullets: list[bool] = field(default_factory=list)  # per sentence: first sentence of a bulleted line

    def sentence_text(self, k: int) -> str:
        s = self.sentences[k]
        return self.text[s.start:s.end]

    def between(self, a: int, b: int) -> str:
        """The document text between offsets a and b."""
        return self.text[a:b]


def is_bullet(text: str, s: Sentence) -> bool:
    """Is the sentence the first sentence of a bulleted / numbered line?"""
    line_start = text.rfind("\n", 0, s.start) + 1
    return bool(_BULLET_LINE.match(text[line_start:s.start + 1]))


# "sudden" alone is the sudden severe pain of a warning only with a pain after it ("sudden severe hip pain"), not "a
# sudden pop" or "sudden leg weakness"
_SUDDEN_PAIN = re.compile(r"[\s,]*(?:and\s+|onset\s+of\s+)?(?:(?:severe|sharp|intense|agonising|agonizing|excruciating)"
                          r"[\s,]+(?:and\s+)?)*(?:[\w-]+\s+){0,2}?(?:pain|ache|agony)\b", re.I)


_SPAN_KINDS = frozenset({"redflag_section", "mask", "symptom", "f_exam", "f_act", "f_timing", "f_onset"})


class _Spans:
    """Spans sorted by start, to ask whether any of them holds [start, end) without reading them all."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [a for a, _ in self.spans]
        self.longest = max((b - a for a, b in self.spans), default=0)

    def hold(self, start: int, end: int, longer: bool = False) -> bool:
        """Does a span hold [start, end)? With `longer`, only a span longer than it counts."""
        if not self.spans:
            return False
        lo = bisect_left(self.starts, start - self.longest)   # a holding span starts no earlier than this
        return any(end <= b and (not longer or b - a > end - start)
                   for a, b in self.spans[lo:bisect_right(self.starts, start)])

    def within(self, start: int, end: int) -> bool:
        """Does a span lie within [start, end)?"""
        return any(b <= end for _, b in self.spans[bisect_left(self.starts, start):bisect_left(self.starts, end)])


def kept_matches(matches: list[Match], text: str) -> list[Match]:
    """The matches that stand for what they say: a red-flag word inside a red-flag section cue is dropped ("the red
    of red flags", "the emergency of emergency department"), so is a word inside a longer masking phrase (the "warm"
    of "as you warm up", the "fall" of "falls asleep", the "tender" of "non-tender") and a body word inside a test,
    a manoeuvre or an activity ("bent-knee stretch test", "squeezing the knees together", "lying on the hip"), an
    activity word inside a test ("femoral nerve stretch test"), and a warning's bare "sudden" with no pain after it
    in `text` ("a sudden pop")."""
    by_kind: dict[str, list[tuple[int, int]]] = {}
    for mt in matches:
        if mt.kind in _SPAN_KINDS:
            by_kind.setdefault(mt.kind, []).append((mt.start, mt.end))
    section_cues = _Spans(by_kind.get("redflag_section", []))
    masks = _Spans(by_kind.get("mask", []))
    # (a sign that names its site keeps it: the calf of "a swollen, tight, tender calf" is where it is tender)
    symptom_at = _Spans(by_kind.get("symptom", []))
    exam_spans = _Spans(by_kind.get("f_exam", []))
    phrase_spans = _Spans([span for kind in ("f_exam", "f_act", "f_timing", "f_onset") for span in by_kind.get(kind, [])
                           if not (kind == "f_exam" and symptom_at.within(*span))])
    out: list[Match] = []
    for mt in matches:
        if mt.kind == "f_red" and section_cues.hold(mt.start, mt.end):
            continue
        if mt.kind == "f_red" and mt.value == "sudden_severe_pain" and mt.surface.lower() == "sudden" \
                and not _SUDDEN_PAIN.match(text, mt.end):
            continue
        if mt.kind in _MASKABLE and masks.hold(mt.start, mt.end, longer=True):
            continue
        if mt.kind == "region" and phrase_spans.hold(mt.start, mt.end, longer=True):
            continue
        if mt.kind == "f_act" and exam_spans.hold(mt.start, mt.end, longer=True):
            continue   # the "stretch" of "femoral nerve stretch test" is the test, not stretching
        out.append(mt)
    return out


def read_document(source_id: str, text: str, rules: Rules, headings: frozenset[str] = frozenset()) -> Document:
    """Sentences, one matcher pass over the whole text, and the kept matches (kept_matches) of each sentence."""
    mx = rules.mx
    sentences = split_sentences(text, headings)
    starts = [s.start for s in sentences]
    per_sent: list[list[Match]] = [[] for _ in sentences]
    for mt in kept_matches(mx.phrases.find(safe_lower(text), text, mx.groups), text):
        k = bisect_right(starts, mt.start) - 1
        if k >= 0 and mt.end <= sentences[k].end:
            per_sent[k].append(mt)
    return Document(source_id, text, sentences, per_sent, [is_bullet(text, s) for s in sentences])
