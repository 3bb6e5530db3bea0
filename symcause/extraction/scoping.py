"""Phase 3 of extraction: which condition(s) each sentence is about, and in what context.

A sentence is about the conditions it names as its subject (not those after "due to", "like",
"unlike" ...); else, within a paragraph, about the paragraph's condition; an anaphor ("this condition",
"the cyst") continues the last one; a new paragraph returns to the section heading's condition.
Generic sub-headings ("Symptoms", "Who gets it?") keep the section's condition. In a run of labelled lines, a line
whose label names no condition does not inherit a condition a sibling's label named ("Radiculopathy: ..." then
"Somatic referred pain: ..."); conditions a finding only suggests are not carried to the next sentence; conditions
named as linked risks are not a subject; a history checklist ("Key history: ...") states nothing. A "when to see a
doctor" section, a sentence with such a cue, or the bullets under a lead sentence ending in ':' with
one ("See a doctor straight away if you notice:") are red-flag context; a lead sentence ending in ':'
with a factor cue ("Common triggers include:") gives the bullets below it that cue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from symcause.core.vocab import Match
from symcause.extraction.conditions import ConditionMention, primary
from symcause.extraction.document import Document
from symcause.extraction.rules import Rules

# A generic sub-heading of a condition's section: a question about "it", or a usual section name
SUBHEADING = re.compile(
    r"^(?:(?:what|who|how|why|when|where|is|are|can|does|do|will|should)\b.*\b(?:it|this|they|them|these|you)\b"
    r"|(?:(?:common |typical |the )?(?:signs|symptoms|signs and symptoms|causes|risk factors|who is at risk|diagnosis"
    r"|treatment|treatments|self[- ]help|outlook|prognosis|prevention|what helps|recovery|management|exercises"
    r"|overview|complications|at a glance|summary|key points|home care|self-care)\b))",
    re.IGNORECASE)


# A heading of the article's reading list: what follows names guidelines and papers, it states nothing
# ("NICE guideline NG59: Low back pain and sciatica in over 16s")
REFERENCES = re.compile(r"^\W*(?:further reading|references|reference list|sources|resources|bibliography|citations|"
                        r"useful links|more information|reading list)\W*$", re.IGNORECASE)


SUBJECT_SPAN = 40  # characters from the start of a sentence within which a named condition can be its subject

# "Knock knees and flat feet are also linked": what the sentence names are risks of the condition in focus
_LINKED = re.compile(r"\b(?:are|is)\s+(?:also\s+)?(?:linked|risk\s+factors?|associated)\b|\b(?:raise|raises|increase|"
                     r"increases)\s+(?:the|your)\s+risk\b|\bmakes?\s+it\s+more\s+likely\b")
# "Osteoarthritis, kneecap pain and weak thigh muscles are usual causes.", "Common causes are osteoarthritis, a meniscus
# tear and gout", "prepatellar bursitis and cellulitis are common mimics": a list of what causes (or mimics) the problem
# asked about or the condition in focus, not what the sentence or the next one is about ("Less often, a trapped nerve
# ... weakens the thigh muscle, usually with numbness ...")
_CAUSE_LIST = re.compile(r"\b(?:are|were)\s+(?:the\s+)?(?:usual|common|commonest|most\s+common|main|typical|frequent)\s+"
                         r"(?:causes|mimics|look-?alikes)\b|^(?:the\s+)?(?:most\s+)?(?:common|usual|main|typical|frequent)\s+causes\s+(?:include|are)\b")
# "... is called pes anserine bursitis": the sentence defines the condition it names
_DEFINED = re.compile(r"\b(?:is|are)\s+(?:then\s+)?(?:called|known\s+as|termed|named)\s+(?:a\s+|an\s+)?$")


@dataclass
class SentenceScope:
    """What phase 4 needs to know about one sentence."""
    focus: list[str] = field(default_factory=list)   # condition keys the sentence's facts belong to
    inherited: bool = False                          # focus from context, not named in the sentence
    red_block: bool = False                          # inside a red-flag section or sentence: no symptom facts
    red_here: bool = False                           # red-flag words here are red flags
    list_cue: str | None = None                      # the cue of a lead sentence this bullet is listed under
    demographic_context: bool = False                # a "who gets it" section, or a bullet under such a lead
    checklist: bool = False                          # what a clinician asks about ("Key history: ..."): no facts


@dataclass
class Scopes:
    per_sentence: list[SentenceScope]
    document_red_flags: list[tuple[int, Match]]      # (sentence, red-flag match) not tied to a condition


def _has(ms: list[Match], kind: str) -> bool:
    return any(m.kind == kind for m in ms)


def scope_sentences(rules: Rules, doc: Document, mentions: list[list[ConditionMention]]) -> Scopes:
    """The focus and context of every sentence (headings get an empty scope)."""
    out: list[SentenceScope] = []
    section_focus: list[str] = []
    para_focus: list[str] = []
    last_focus: list[str] = []
    last_para = -1
    in_red_section = False
    in_references = False        # under a "Further reading" heading
    doc_red_flags: list[tuple[int, Match]] = []
    list_cue: str | None = None  # "Common triggers include:" -> the bullets below are aggravating factors
    red_list = False             # "See a doctor straight away if you notice:" -> the bullets below are red flags
    who_section = False          # under a "Who gets it?" heading
    who_list = False             # bullets under "It is most common in:"
    who_para = -1                # the paragraph an inline "Who gets it." label opens
    # in a run of labelled lines or bullets ("Radiculopathy: ...", "Somatic referred pain: ..."), a labelled line
    # whose label names no condition is about the section's condition, else about the conditions a line before it
    # listed first ("Conditions: hip osteoarthritis, labral tears ..." then "Characteristics: ..."), else about
    # what the run is listed under (the last plain sentence before it), else the paragraph's; never about a
    # condition a sibling's label named ("Radiculopathy: ...")
    lead_focus: list[str] = []
    sibling_focus: list[str] = []
    label_set = False            # para_focus was set by a labelled line's label
    label_para = -1
    checklist_para = -1          # the paragraph a "Key history:" label opens
    who_headings = tuple(rules.vocab.context.get("demographic_sections") or ())
    # in another condition's section, these describe its presentation ("Usually an L5 radiculopathy: pain from
    # the buttock ..."), they do not start a section of their own
    presentations = frozenset(rules.vocab.context.get("presentations") or ())
    for k, s in enumerate(doc.sentences):
        ms, named, bullet = doc.matches[k], mentions[k], doc.bullets[k]
        sent_text = doc.sentence_text(k)
        low = sent_text.strip().lower()
        label = low[:s.label_end - s.start] if s.label_end else low if len(low.split()) <= 5 else ""
        if label and label.rstrip(".:?").startswith(who_headings):  # "Who gets it." / "Who and when:" labels
            who_para = s.paragraph
        if not bullet:
            lead = [m.value for m in ms if m.kind.startswith("cue_")]
            list_cue = lead[0] if lead and sent_text.rstrip().endswith(":") else None
            red_list = sent_text.rstrip().endswith(":") and _has(ms, "redflag_section")
            who_list = sent_text.rstrip().endswith(":") and _has(ms, "demo_cue")
        if s.heading:
            out.append(SentenceScope())
            in_references = REFERENCES.match(sent_text.strip()) is not None
            if in_references:
                section_focus, para_focus, last_focus = [], [], []
                continue
            who_section = sent_text.strip().lower().rstrip("?:").startswith(who_headings)
            if not named and section_focus and SUBHEADING.match(sent_text.strip()):
                # "What does it feel like?", "Symptoms", "Who gets it?" under a condition's heading
                in_red_section = _has(ms, "redflag_section")
                last_para = s.paragraph
                continue
            section_focus = list(dict.fromkeys(primary(rules, doc, ms, named, s)))
            para_focus, last_focus, lead_focus = list(section_focus), list(section_focus), list(section_focus)
            sibling_focus, label_set = [], False
            last_para = s.paragraph
            in_red_section = _has(ms, "redflag_section") and not any(c.primary for c in named)
            continue
        if in_references:
            out.append(SentenceScope())
            continue
        if checklist_para == s.paragraph or (rules.checklist is not None and rules.checklist.match(low)):
            checklist_para = s.paragraph
            out.append(SentenceScope(checklist=True))
            continue
        new_para = s.paragraph != last_para
        last_para = s.paragraph
        subject = primary(rules, doc, ms, named, s)
        current = para_focus or section_focus
        if not subject and not current:
            # "Irritation of the tendons, the bursa or both is called pes anserine bursitis": with nothing in focus, a
            # sentence that defines a condition is about it
            subject = list(dict.fromkeys(c.key for c in named if _DEFINED.search(low, 0, c.start - s.start)))
        if _CAUSE_LIST.search(low) and len({c.key for c in named}) >= 2:
            subject = []
        if subject and current:
            # in a section about one condition, a condition named late in a sentence is its object ("... and
            # produce neurogenic claudication"), not a new subject: the facts stay with the section's condition
            early = {c.key for c in named if c.start - s.start <= SUBJECT_SPAN}
            subject = [key for key in subject if key in current or (key in early and key not in presentations)]
            # "Type 2 diabetes, knock knees and flat feet are also linked.": conditions named as risks of the one in
            # focus are not what the sentence (or the next: "Runners can develop it ...") is about
            risk = _LINKED.search(low)
            if risk and all(c.end <= s.start + risk.start() for c in named if c.key in subject):
                subject = []
        anaphoric = any(m.kind == "anaphora" and m.start - s.start <= 40 for m in ms)
        label_conds: list[str] = []
        if s.label_end:
            label_conds = [c.key for c in named if c.end <= s.label_end
                           and not (current and c.key in presentations and c.key not in current)]
            if label_conds:
                subject = label_conds
                para_focus = label_conds
            elif not subject:
                para_focus = (list(section_focus) or list(sibling_focus) or list(lead_focus)
                              or ([] if label_set else para_focus))
        if subject:
            focus = subject
        elif s.label_end and para_focus:
            focus = para_focus
        elif anaphoric and (last_focus or para_focus):
            focus = last_focus if new_para and last_focus else (para_focus or last_focus)
        elif not new_para and para_focus:
            focus = para_focus
        else:
            focus = list(section_focus)
        if new_para and not subject and not anaphoric and not s.label_end:
            focus = list(section_focus)
        if s.table:
            # a table row speaks of the condition its first cell names ("Labral tear | Pivoting sports, FAI,
            # dysplasia | Sharp groin pain": dysplasia is a cause listed in a cell), never of the section's by default
            cut = sent_text.find("|", len(sent_text) - len(sent_text.lstrip(" |")))
            first_end = s.start + (cut if cut >= 0 else len(sent_text))
            labelled = {c.key for c in named if c.start < first_end}
            focus = [key for key in subject if key in labelled] if subject else []
        # conditions named only as what a finding suggests ("a springy block suggests a displaced meniscal tear or
        # loose body") are this sentence's, not what the next sentences are about
        targets = [(s.start + m.start(1), s.start + m.end(1)) for m in rules.redirect.finditer(low)] \
            if rules.redirect is not None and subject else []
        carry = not (targets and all(any(a <= c.start < b for a, b in targets) for c in named if c.key in focus))
        if carry:
            para_focus = focus or para_focus if not new_para else focus
            if focus:
                last_focus = focus
        if s.label_end or (bullet and new_para):
            label_para = s.paragraph
            body = s.label_end or s.start
            label_set = bool(label_conds)
            if label_conds:
                sibling_focus = []
            elif subject:
                listed_first = any(c.key in subject and c.start - body <= SUBJECT_SPAN for c in named)
                sibling_focus = list(subject) if listed_first else []
        elif s.paragraph != label_para and carry:
            lead_focus, sibling_focus = list(para_focus), []
        red_block = in_red_section or _has(ms, "redflag_section")
        # bullets under a red-flag lead are red flags; under a condition's heading ("Warning signs include:")
        # they are also its symptoms, so they still give symptom facts
        red_here = red_block or (bullet and red_list)
        if not focus and red_here:
            doc_red_flags.extend((k, m) for m in ms if m.kind == "f_red")
        out.append(SentenceScope(focus=focus, inherited=not subject, red_block=red_block, red_here=red_here,
                                 list_cue=list_cue if bullet else None,
                                 demographic_context=who_section or (bullet and who_list) or who_para == s.paragraph))
    return Scopes(out, doc_red_flags)
