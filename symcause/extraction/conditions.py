"""Phases 1 and 2 of extraction: condition mentions in each sentence, then the document's conditions.

Phase 1 (`find_mentions`) finds, sentence by sentence, the conditions named there: lexicon names, and
names the lexicon lacks, recognised by medical morphology (a head word such as "syndrome" or a suffix
such as "-itis" with anatomical or cause modifiers; "irritation of the X nerve"; a bare head given its
site by the sentence), and learns aliases ("also known as", "(ABBR)").

Phase 2 (`resolve_conditions`) keeps the conditions the article discusses (not mechanisms, not those only
named in comparisons), gives each an id, category (lexicon, else inferred from its words), ICD-10-CM code
and aliases, and folds "ruptured Baker's cyst" into "Baker's cyst".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from symcause.core.vocab import Match, norm_phrase
from symcause.extraction import icd
from symcause.extraction.document import Document
from symcause.extraction.names import canonical_name, display_name, slugify
from symcause.extraction.rules import Rules, categorise, is_mimic
from symcause.extraction.sentences import Sentence
from symcause.extraction.text import safe_lower

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d+")


@dataclass
class ConditionMention:
    start: int
    end: int
    key: str            # lexicon id or canonical name
    name: str           # display name
    origin: str         # lexicon | morphology | inverted | site
    primary: bool = True


@dataclass
class DocCondition:
    condition_id: str
    name: str
    category: str
    icd10: str | None
    icd10_description: str | None
    aliases: set[str]
    origin: str
    region: str | None
    confidence: float
    mentions: int = 0
    category_source: str = "inferred"   # lexicon | inferred
    mimic: bool = False


@dataclass
class Mentions:
    """Phase 1's result: the condition mentions of each sentence and the aliases learnt."""
    per_sentence: list[list[ConditionMention]]
    alias_to: dict[str, str]            # canonical alias -> condition key


def risk_context(ms: list[Match]) -> bool:
    """Does the sentence present things as risk or contributing factors ("Risk factors include",
    "make it more likely")?"""
    return any(m.kind.startswith("cue_") and m.value == "risk" for m in ms)


def is_risk_condition(rules: Rules, key: str) -> bool:
    """A lexicon condition that is also a risk factor of other conditions (biomechanical: flat feet,
    weak glutes, training errors): in a risk context it is a factor, not a condition of the article."""
    e = rules.vocab.lexicon.get(key)
    return e is not None and e.category == "biomechanical"


def home_region(rules: Rules, name: str) -> str | None:
    """The region a condition's name places it in ("piriformis syndrome" -> buttock), if any."""
    low = safe_lower(name)
    for mt in rules.mx.phrases.find(low, name, rules.mx.groups):
        if mt.kind in ("region", "anatomy"):
            return mt.value
    return None


def alias_resolve(c: ConditionMention, alias_to: dict[str, str]) -> ConditionMention:
    target = alias_to.get(c.key) or alias_to.get(canonical_name(c.name))
    if target and target != c.key:
        c.key = target
    return c


# --------------------------------------------------------------------------------------------
# phase 1


_PREV_WORD = re.compile(r"([A-Za-z][a-z'\-]+) $")


def qualified(rules: Rules, text: str, c: ConditionMention) -> ConditionMention:
    """A one-word lexicon name qualified by an adjective is another condition: "venous claudication" is not the
    lexicon's (arterial) "claudication", "reactive arthritis" not its "arthritis". The adjective must be a medical
    one that is not a body part or a severity word, and the two words must not be a lexicon name themselves."""
    mx = rules.mx
    surface = text[c.start:c.end]
    if c.origin != "lexicon" or " " in surface.strip() or "-" in surface:
        return c
    m = _PREV_WORD.search(text, max(0, c.start - 30), c.start)
    if not m:
        return c
    w = m.group(1).lower()
    if not (mx.is_adjective(w) or w in mx.modifiers) or w in mx.anatomy_words or w in mx.strip_leading \
            or w in mx.merge_prefixes or w in mx.pathology_modifiers or w in rules.vocab.region_coarse:
        return c
    phrase = f"{m.group(1)} {surface}"
    if norm_phrase(phrase) in rules.vocab.lexicon_index or canonical_name(phrase) in mx.generic:
        return c
    return ConditionMention(m.start(1), c.end, canonical_name(phrase), display_name(phrase), "morphology")


_CAUSE_LINK = re.compile(r"\b(?:after|following|from|due to|caused by|secondary to|because of)\b[^,;:]*$", re.I)


def drop_heading_causes(text: str, mentions: list[ConditionMention]) -> list[ConditionMention]:
    """In a heading, a condition named after "after", "following", "due to" ... the first one is its cause or
    history ("Venous claudication after a DVT"), not the section's subject."""
    if len(mentions) < 2:
        return mentions
    first = mentions[0]
    return [first] + [c for c in mentions[1:] if not _CAUSE_LINK.search(text[first.end:c.start])]


def find_mentions(rules: Rules, doc: Document) -> Mentions:
    """Condition mentions per sentence. A biomechanical condition named inside another condition's section,
    or in a risk context, is a factor of that condition ("tight hamstrings add to the load"), not a mention,
    unless it is a heading or a "Label:"."""
    text = doc.text
    alias_to: dict[str, str] = {}
    per_sentence: list[list[ConditionMention]] = []
    risk_list = False      # inside a bullet list introduced by "Risk factors include:"
    section_owner = False  # the current section's heading names a (non-biomechanical) condition
    owner: ConditionMention | None = None  # the one condition the current section's heading names
    owner_words: set[str] = set()
    for k, s in enumerate(doc.sentences):
        ms = doc.matches[k]
        bullet = doc.bullets[k]
        if s.heading or not bullet:
            risk_list = False
        risky = risk_list or risk_context(ms)
        if s.heading:
            section_owner = any(m.kind == "condition" and not is_risk_condition(rules, m.value) for m in ms)
        demote = (risky or section_owner) and not s.heading
        lex = [qualified(rules, text, ConditionMention(m.start, m.end, m.value, rules.vocab.lexicon[m.value].name,
                                                       "lexicon"))
               for m in ms if m.kind == "condition"
               and not (demote and m.end > s.label_end and is_risk_condition(rules, m.value))]
        if not bullet and text[s.start:s.end].rstrip().endswith(":") and risk_context(ms):
            risk_list = True
        taken = [(c.start, c.end) for c in lex]
        regions = [m for m in ms if m.kind in ("region", "anatomy")]
        morph = morph_candidates(rules, text, s, taken, regions)
        if s.heading:
            morph = [extend_to_heading(rules, text, s, c) for c in morph]
        morph = drop_definition_predicates(text, s, lex, morph)
        morph = [c for c in morph if symptom_head_ok(rules, text, s, c)]
        if demote:  # "Risk factors include: weak hip abductors, flat feet"
            risks = [(m.start, m.end) for m in ms if m.kind == "f_risk"]
            morph = [c for c in morph if c.end <= s.label_end or not any(a < c.end and c.start < b for a, b in risks)]
        if s.heading and not lex and not morph:
            named = heading_mention(rules, doc, k)
            morph = [named] if named else []
        mentions = [alias_resolve(c, alias_to) for c in sorted(lex + morph, key=lambda c: c.start)]
        if s.heading:
            mentions = drop_heading_causes(text, mentions)
            owner = mentions[0] if len(mentions) == 1 else None
            owner_words = set(canonical_name(text[owner.start:owner.end]).split()) | set(
                canonical_name(owner.name).split()) if owner else set()
        elif owner is not None:
            mentions = [_as_owner(c, owner, owner_words, text) for c in mentions]
        per_sentence.append(mentions)
        learn_aliases(text, s, ms, mentions, alias_to)
    heading_aliases(doc, per_sentence, alias_to)
    return Mentions(yield_to_specific(rules, text, per_sentence), alias_to)


def yield_to_specific(rules: Rules, text: str, per_sentence: list[list[ConditionMention]]) -> list[list[ConditionMention]]:
    """A generic name ("stress fracture", a synonym of the tibial one) in an article that never names the generic
    condition specifically but names more specific lexicon conditions whose names contain those words ("femoral neck
    stress fracture", "stress fracture of the pars") is one of those: the nearest one named before it (else after it). A
    hip article's "possible stress fracture" is not a tibial stress fracture."""
    surfaces: dict[str, set[str]] = {}
    starts: dict[str, list[int]] = {}
    for mentions in per_sentence:
        for c in mentions:
            if c.origin == "lexicon":
                surfaces.setdefault(c.key, set()).add(norm_phrase(text[c.start:c.end]).removesuffix("s"))
                starts.setdefault(c.key, []).append(c.start)
    siblings: dict[str, list[str]] = {}
    for key, own in surfaces.items():
        specific = [other for other, theirs in surfaces.items() if other != key
                    and all(any(t != g and f" {g} " in f" {t} " for t in theirs) for g in own)]
        if specific:
            siblings[key] = specific
    if not siblings:
        return per_sentence

    def nearest(c: ConditionMention) -> str:
        before = [(max(x for x in starts[o] if x < c.start), o) for o in siblings[c.key]
                  if any(x < c.start for x in starts[o])]
        if before:
            return max(before)[1]
        return min((min(starts[o]), o) for o in siblings[c.key])[1]

    lex = rules.vocab.lexicon
    out = []
    for mentions in per_sentence:
        row = []
        for c in mentions:
            if c.origin == "lexicon" and c.key in siblings:
                key = nearest(c)
                c = ConditionMention(c.start, c.end, key, lex[key].name, c.origin, c.primary)
            row.append(c)
        out.append(row)
    return out


def heading_aliases(doc: Document, per_sentence: list[list[ConditionMention]], alias_to: dict[str, str]) -> None:
    """A heading that names a condition by the short form its first sentence defines ("PVNS, or Tenosynovial Giant
    Cell Tumour" over "Pigmented villonodular synovitis (PVNS) is ..."): the short form was learnt after the heading
    was read, so a heading with no mention gets one for each alias it contains (whole words), and its section is
    that condition's."""
    if not alias_to:
        return
    named = {c.key: c for mentions in per_sentence for c in mentions}
    for k, s in enumerate(doc.sentences):
        if not s.heading or per_sentence[k]:
            continue
        low = doc.text[s.start:s.end].lower()
        found = []
        for alias, key in alias_to.items():
            m = re.search(r"(?<![\w-])" + re.escape(alias) + r"(?![\w-])", low) if len(alias) >= 3 else None
            if m and key in named:
                c = named[key]
                found.append(ConditionMention(s.start + m.start(), s.start + m.end(), key, c.name, c.origin))
        per_sentence[k] = sorted(found, key=lambda c: c.start)[:1]


def _as_owner(c: ConditionMention, owner: ConditionMention, owner_words: set[str], text: str) -> ConditionMention:
    """Inside a section headed "Chronic exertional compartment syndrome", "compartment syndrome" is a short form
    of the section's condition, not the lexicon's acute one: a mention whose words are all words of the
    section's condition name is that condition."""
    words = canonical_name(text[c.start:c.end]).split()
    if c.key != owner.key and words and set(words) < owner_words:
        return ConditionMention(c.start, c.end, owner.key, owner.name, owner.origin)
    return c


# --------------------------------------------------------------------------------------------
# phase 2


def resolve_conditions(rules: Rules, doc: Document, found: Mentions) -> dict[str, DocCondition]:
    """The document's conditions, keyed by mention key; updates `found.per_sentence` in place (mechanism
    phrases and comparison-only conditions dropped, aliases and merged names resolved)."""
    sent_mentions, alias_to = found.per_sentence, found.alias_to
    compared_only: dict[str, bool] = {}
    for k, mentions in enumerate(sent_mentions):
        s, ms = doc.sentences[k], doc.matches[k]
        # a mechanism phrase ("results from compression of the sciatic nerve") is not a condition
        primary_keys = set(primary(rules, doc, ms, mentions, s))
        mentions = [c for c in mentions if c.origin != "inverted" or c.key in primary_keys]
        sent_mentions[k] = [alias_resolve(c, alias_to) for c in mentions]
        for c in sent_mentions[k]:
            only = compared(rules, doc, ms, c, s) and c.key not in primary_keys
            compared_only[c.key] = compared_only.get(c.key, True) and only
    # a condition named only in comparisons ("Like compartment syndrome, it ...") is not one of the article's
    conditions: dict[str, DocCondition] = {}
    for k, mentions in enumerate(sent_mentions):
        sent_mentions[k] = [c for c in mentions if not compared_only.get(c.key)]
        for c in sent_mentions[k]:
            register(rules, conditions, c, doc.sentence_text(k), doc.text[c.start:c.end])
    for alias, key in alias_to.items():
        if key in conditions:
            conditions[key].aliases.add(alias)
    merge_prefixed(rules, conditions, sent_mentions)
    refine_inferred(rules, doc, conditions, sent_mentions)
    return conditions


def section_context(doc: Document, k: int, max_sentences: int = 14) -> list[int]:
    """Sentence k, and when it is a heading, the sentences of its section (up to the next heading)."""
    out = [k]
    if doc.sentences[k].heading:
        for j in range(k + 1, min(len(doc.sentences), k + 1 + max_sentences)):
            if doc.sentences[j].heading:
                break
            out.append(j)
    return out


def refine_inferred(rules: Rules, doc: Document, conditions: dict[str, DocCondition],
                    sent_mentions: list[list[ConditionMention]]) -> None:
    """Category, confidence and mimic flag of each condition the lexicon lacks, from all the text that names or
    describes it: the sentences naming it and, where a heading names it, its section."""
    where: dict[str, list[int]] = {}
    for k, mentions in enumerate(sent_mentions):
        for c in mentions:
            where.setdefault(c.key, []).extend(section_context(doc, k))
    for key, cond in conditions.items():
        if cond.category_source == "lexicon" or key not in where:
            continue
        context = " ".join(doc.sentence_text(j) for j in sorted(set(where[key])))
        cond.category, cond.confidence = categorise(rules, cond.name, context)
        first = " ".join(doc.sentence_text(j) for j in sorted(set(where[key]))[:3])
        cond.mimic = is_mimic(rules, cond.name, first)
        if cond.region is None:  # placed by the regions its section names most often
            regions = Counter(m.value for j in set(where[key]) for m in doc.matches[j]
                              if m.kind == "region" and m.value != "leg")
            cond.region = regions.most_common(1)[0][0] if regions else None


# --------------------------------------------------------------------------------------------
# the rules behind the phases


_NOT_A_NAME = frozenset({
    "is", "are", "was", "were", "be", "can", "could", "may", "might", "will", "would", "should", "does", "do", "did",
    "how", "what", "why", "when", "who", "where", "which", "whose", "your", "you", "my", "our", "i", "we", "they",
    "it", "this", "that", "these", "those", "there", "here", "about", "for", "with", "without", "from", "into",
    "after", "before", "during", "while", "if", "than", "then", "so", "because", "not", "no", "yes", "more", "most",
    "less", "best", "help", "helps", "helping", "treat", "treating", "treatment", "treatments",
    # a heading that speaks about a topic ("Understanding the radiating pain phenomenon", "Managing flare-ups")
    "understanding", "phenomenon", "phenomena", "managing", "living", "preventing", "recognising", "recognizing",
    "spotting", "telling", "explaining", "separating", "distinguishing", "differentiating", "comparing",
    "assessing", "examining", "testing", "choosing", "avoiding", "versus", "vs",
})
# words of article-structure headings ("Diagnostic and management approaches", "Key takeaways")
_HEADING_NOUNS = frozenset({
    "approach", "approaches", "contributor", "contributors", "factor", "factors", "option", "options", "consideration",
    "considerations", "strategy", "strategies", "takeaway", "takeaways", "explained", "guide", "tips", "summary",
    "overview", "causes", "cause", "problems", "conditions", "diagnoses", "diagnosis", "management", "diagnostic",
    "treatment", "care", "read", "min", "minutes", "author", "updated", "reviewed", "introduction", "conclusion",
    "questions", "answers", "faq", "faqs", "myths", "facts", "basics", "signs", "symptoms", "clues", "features",
    "differences", "similarities", "examples", "types", "kinds", "stages", "grades", "outlook", "prognosis",
    "prevention", "exercises", "rehabilitation", "recovery", "physiotherapy", "surgery", "tests", "testing",
    "examination", "assessment", "imaging", "investigations", "referral", "references", "resources", "links",
    "section", "chapter", "part", "contents", "notes", "comparison", "contrast", "mimics", "lookalikes",
    # structures in the plural head a group of conditions ("Tendons and bursae"), not one condition
    "tendons", "bursae", "bursas", "muscles", "nerves", "joints", "ligaments", "bones",
})
_STRUCTURAL = re.compile(
    r"^(?:introduction|background|overview|summary|conclusions?|key (?:points|facts|messages)|at a glance|in brief|"
    r"presentation|examination|assessment|investigations?|imaging|tests?|diagnosis|management|treatment|treatments|"
    r"physiotherapy|surgery|exercises?|rehabilitation|recovery|outlook|prognosis|prevention|self[- ]help|self[- ]care|"
    r"home care|tips?|advice|next steps|getting help|anatomy|causes|symptoms|signs|risk factors|complications|"
    r"faqs?|questions|resources|references|sources|what it is|why this matters|the basics|how it feels|"
    r"what to do|when to worry|living with .*|further reading|related .*|comparison|look-?alikes|mimics|"
    r"(?:other|common|less common|uncommon|rare|serious|possible|main) (?:causes|conditions|problems|reasons)|"
    r"(?:the )?bottom line|takeaways?|final (?:thoughts|words))$", re.I)


_ENUMERATION = re.compile(r"^\s*(?:\d{1,2}|[ivxIVX]{1,4}|[A-Za-z])[.)]\s+")
_NAME_BREAKS = frozenset({"and", "or", "with", "after", "from", "in", "of", "the", "vs", "versus", "due", "to",
                          "caused", "by", "without", "following", "when", "and/or", "a", "an"})


def heading_name(text: str, s: Sentence) -> tuple[int, str]:
    """(start, name) of what a heading names: without a numbering ("3. "), text before a colon ("For comparison:
    ...") or a trailing parenthesis."""
    raw = text[s.start:s.end].rstrip()
    start = s.start + len(raw) - len(raw.lstrip())
    raw = raw.strip()
    m = _ENUMERATION.match(raw)
    if m:
        start += m.end()
        raw = raw[m.end():]
    if ":" in raw:
        head, _, rest = raw.partition(":")
        start += len(head) + 1 + (len(rest) - len(rest.lstrip()))
        raw = rest.strip()
    return start, re.sub(r"\s*\([^)]*\)\s*$", "", raw).strip(" -\u2013.")


def extend_to_heading(rules: Rules, text: str, s: Sentence, c: ConditionMention) -> ConditionMention:
    """A morphology name that ends a heading takes the heading's whole noun phrase ("Lipomatosis" in "3. Spinal
    epidural lipomatosis"), when the words before it are plain words of a name (at most 5 in all)."""
    start, name = heading_name(text, s)
    end = start + len(name)
    if c.origin != "morphology" or not (start < c.start < c.end <= end) or text[c.end:end].strip():
        return c
    before = text[start:c.start].split()
    words = [w.lower().strip(",") for w in before]
    if not before or len(words) + len(text[c.start:c.end].split()) > 5 or any(
            w in _NAME_BREAKS or w in rules.mx.strip_leading or w in _NOT_A_NAME  # "Separating focal neuropathy ..."
            or not re.fullmatch(r"[a-z][a-z'\-]*", w) for w in words):
        return c
    phrase = text[start:c.end]
    return ConditionMention(start, c.end, canonical_name(phrase), display_name(phrase), "morphology")


def heading_mention(rules: Rules, doc: Document, k: int) -> ConditionMention | None:
    """A heading that names a condition the lexicon and morphology do not know ("Bipartite patella", "Crossover
    gait", "Plantaris rupture (tennis leg)"): a short noun phrase, not a generic or structural heading, not a
    question, not page furniture, not a symptom or body region alone, whose section goes on to state symptoms
    or factors. Text before a colon ("For comparison: ...") and a trailing parenthesis are not the name."""
    s = doc.sentences[k]
    raw = doc.sentence_text(k).strip()
    ms = doc.matches[k]
    if raw.endswith("?") or any(m.kind in ("redflag_section", "demo_cue") for m in ms):
        return None
    start, name = heading_name(doc.text, s)
    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", name)
    if not 1 <= len(words) <= 5 or len(name) > 60 or _STRUCTURAL.match(name.lower()):
        return None
    low = [w.lower() for w in words]
    if any(w in _NOT_A_NAME or w in _HEADING_NOUNS for w in low) or canonical_name(name) in rules.mx.generic:
        return None
    symptom_at = [m.start for m in ms if m.kind == "symptom" and m.start >= start]
    if symptom_at and (symptom_at[0] == start or len(words) <= 2):
        return None  # "Pain behind the knee", "Hip stiffness": a symptom, not a cause
    if re.search(r"\d", name) or low[0] in ("by", "a", "an", "the", "our", "reading", "information"):
        return None
    # a name of a condition has a medical word: a body structure, a condition head or modifier, an eponym
    medical = [w for w in low if w in rules.mx.anatomy_words or w in rules.mx.modifiers or w in rules.mx.head_words
               or w.endswith(rules.mx.head_suffixes) or w in rules.mx.structures]
    eponym = any(w[:1].isupper() and not w.isupper() and i > 0 for i, w in enumerate(words)) or (
        len(words) > 1 and words[0][:1].isupper() and words[1][:1].islower() and words[1].lower() in rules.mx.head_words)
    if not medical and not eponym:
        return None
    if any(m.kind in ("f_act", "f_exam", "f_timing", "f_demo") and m.start >= start for m in ms):
        return None  # "A single-leg squat", "Night pain", "Runners": a test, an activity, a time, a group
    if all(w in rules.mx.anatomy_words or w in rules.mx.strip_leading or w in ("and", "or", "of", "the") for w in low):
        return None
    # the section must say something: symptoms, regions or factors in its first sentences
    content = 0
    for j in range(k + 1, min(len(doc.sentences), k + 6)):
        if doc.sentences[j].heading:
            break
        content += sum(m.kind in ("symptom", "f_act", "f_risk", "f_exam", "f_timing", "f_onset", "f_demo")
                       for m in doc.matches[j])
    if content < 2:
        return None
    end = start + len(name)
    return ConditionMention(start, end, canonical_name(name), display_name(name), "heading")


def morph_candidates(rules: Rules, text: str, s: Sentence, taken: list[tuple[int, int]],
                      region_matches: list[Match]) -> list[ConditionMention]:
    """Conditions recognised by morphology in one sentence."""
    mx = rules.mx
    sent = text[s.start:s.end]
    if not mx.head_probe(sent.lower()):
        return []
    # blank out "(ABBR)" inside names so "Iliotibial Band (ITB) Syndrome" reads as one phrase
    masked = re.sub(r"\s\(([A-Z]{2,6}s?)\)(?=\s+[A-Za-z])", lambda m: " " * len(m.group(0)), sent)
    words = [(m.start() + s.start, m.end() + s.start, m.group(0)) for m in _WORD.finditer(masked)]
    out: list[ConditionMention] = []
    for i, (_ws, we, w) in enumerate(words):
        wl = w.lower()
        is_head = wl in mx.head_words or (len(wl) > 6 and wl.endswith(mx.head_suffixes))
        if not is_head:
            continue
        if i + 1 < len(words) and words[i + 1][2].lower() in mx.head_words and text[we:words[i + 1][0]].strip() == "":
            continue  # the phrase goes on ("tendinitis syndrome", "disc herniation")
        j = i
        while j > 0 and i - j < int(rules.vocab.morphology.get("max_modifiers", 4)):
            ps, pe, pw = words[j - 1]
            gap = masked[pe - s.start:words[j][0] - s.start]
            if gap.strip() not in ("", "-", "/"):
                break
            pl = pw.lower()
            if pl in mx.strip_leading and pl not in mx.modifiers:
                break
            if pl == "it" and pw != "IT":
                break   # "the usual reason it tears": the pronoun, not the IT band
            # a capitalised word inside a title-cased name, or an eponym opening a heading or a definition
            # ("Fabella syndrome", "Bertolotti syndrome is ...")
            title_word = (pw[0].isupper() and not pw.isupper() and pl not in _NOT_A_NAME   # not "Separating"
                          and (ps != s.start or s.heading or bool(_COPULA.match(text, we)))
                          and text[max(s.start, ps - 2):ps].strip() not in (":", ".", "-"))
            if pl in mx.modifiers or pl in mx.anatomy_words or title_word or mx.is_adjective(pl) \
                    or pl.endswith(mx.head_suffixes) or pl in ("pain", "stress", "band", "tunnel"):
                j -= 1
                continue
            break
        while j < i and words[j][2].lower() in mx.strip_leading:
            j += 1
        start, end = words[j][0], we
        if i + 1 < len(words) and words[i + 1][2].lower().endswith(mx.latin_suffixes) \
                and text[we:words[i + 1][0]] == " " and len(words[i + 1][2]) > 5:
            end = words[i + 1][1]
        if any(a < end and start < b for a, b in taken):
            continue
        phrase = re.sub(r"\s*\([^)]*\)", "", text[start:end])
        if wl in mx.needs_pathology and not any(x[2].lower() in mx.pathology_modifiers for x in words[j:i]):
            continue
        if wl in mx.heading_only_heads and not s.heading:
            continue  # "tight quadriceps" in a sentence: a risk factor, not a condition
        key = canonical_name(phrase)
        n_mods = i - j
        if n_mods == 0 and wl in mx.inverted_heads:
            inv = inverted_names(rules, text, words, i)
            if inv:
                inv_end = inv[0][1]
                if not any(a < inv_end and start < b for a, b in taken):
                    for name, _ in inv:
                        inv_key = canonical_name(name)
                        if inv_key not in mx.generic:
                            out.append(ConditionMention(start, inv_end, inv_key, display_name(name), "inverted"))
                continue
        if key in mx.generic or norm_phrase(phrase) in mx.generic:
            continue
        if n_mods == 0:
            if wl in mx.needs_site:
                if i > 0 and words[i - 1][2].lower() in rules.history_words:
                    continue  # "an old fracture", "a previous tear": history, not a condition here
                site = site_for(rules, text, s, start, end, region_matches, taken)
                if site is None:
                    continue
                phrase = f"{site} {wl}"
                key = canonical_name(phrase)
                known = rules.vocab.lexicon_index.get(norm_phrase(phrase))
                if known:  # "osteoarthritis ... of the knee" is the lexicon's knee osteoarthritis
                    out.append(ConditionMention(start, end, known, rules.vocab.lexicon[known].name, "lexicon"))
                elif key not in mx.generic:
                    out.append(ConditionMention(start, end, key, display_name(phrase), "site"))
                continue
            if wl in mx.head_words and wl not in mx.standalone:
                continue
            if len(wl) < 8:
                continue
        # the head word itself must not be a plain anatomy word ("knee" alone)
        if n_mods == 0 and wl in mx.anatomy_words:
            continue
        mods = [x[2].lower() for x in words[j:i]]
        if wl in mx.needs_modifier and not any(md in mx.modifiers or md in mx.anatomy_words for md in mods):
            continue
        if all(md in mx.anatomy_words or md in ("pain",) for md in mods) and wl in ("pain",):
            continue
        out.append(ConditionMention(start, end, key, display_name(re.sub(r"\s+", " ", phrase)), "morphology"))
    return out


def inverted_names(rules: Rules, text: str, words: list[tuple[int, int, str]], i: int) -> list[tuple[str, int]]:
    """ "irritation of the common peroneal nerve" -> [("common peroneal nerve irritation", end)];
    "strains of the quadriceps or hamstring muscles" -> quadriceps strain, hamstring strain."""
    mx = rules.mx
    head = canonical_name(words[i][2])
    k = i + 1
    if k >= len(words) or words[k][2].lower() != "of":
        return []
    k += 1
    if k < len(words) and words[k][2].lower() in ("the", "a", "an", "your"):
        k += 1
    groups: list[list[str]] = [[]]
    while k < len(words) and sum(len(g) for g in groups) < 5:
        w = words[k][2].lower()
        if w in ("or", "and") and groups[-1]:
            groups.append([])
            k += 1
            continue
        if w in mx.structures:
            groups = [g for g in groups if g]
            if not groups:
                return []
            end = words[k][1]
            if len(groups) == 1:
                return [(f"{' '.join(groups[0])} {w} {head}", end)]
            return [(f"{' '.join(g)} {head}", end) for g in groups]
        if w in mx.modifiers or w in mx.anatomy_words:
            groups[-1].append(words[k][2])
            k += 1
            continue
        return []
    return []


def site_for(rules: Rules, text: str, s: Sentence, start: int, end: int, regions: list[Match],
              taken: list[tuple[int, int]]) -> str | None:
    """A site word for a bare head ("bursitis" -> "popliteal bursitis"), from the nearest
    region mention in the sentence, preferring "of the X" / "in the X" after the head."""
    cands = [r for r in regions if s.start <= r.start < s.end and not (r.start >= start and r.end <= end)
             and not any(a <= r.start < b for a, b in taken)]
    if not cands:
        return None
    after = [r for r in cands if r.start >= end and r.start - end <= 30]
    pick = after[0] if after else min(cands, key=lambda r: abs(r.start - start))
    surface = pick.surface.lower()
    first = surface.split()[0]
    if pick.kind == "region" and first.endswith(("al", "ar", "ic")) and first not in ("lateral", "medial"):
        return first
    coarse = rules.vocab.region_coarse.get(pick.value, pick.value)
    if coarse in ("leg",):
        return None
    return coarse.replace("_", " ")


_COPULA = re.compile(r"\s*(?:\([^)]{0,40}\)\s*)?(?:,[^,.]{0,80},\s*)?(?:is|are|means|refers to|describes)\b")
_CLASS_OF = re.compile(r"\bone of the (?:\w+ ){0,2}$")


def drop_definition_predicates(text: str, s: Sentence, lex: list[ConditionMention],
                                morph: list[ConditionMention]) -> list[ConditionMention]:
    """In "Distal hamstring tendinitis is irritation of the hamstring tendons" the predicate describes the
    subject condition; a morphology candidate there is not another condition. Nor is a class in
    "one of the commonest meniscus injuries"."""
    if not morph:
        return morph
    subject = [c for c in sorted(lex + morph, key=lambda c: c.start)
               if c.start - s.start <= 4 and _COPULA.match(text, c.end)]
    out = []
    for c in morph:
        if subject and c is not subject[0] and c.start > subject[0].end:
            continue
        if _CLASS_OF.search(text, max(s.start, c.start - 40), c.start):
            continue
        out.append(c)
    return out


_CAUSAL = re.compile(r"[^.;:]{0,30}\b(?:cause[sd]?|causing|lead[s]? to|led to|result[s]? in|contribute[sd]? to|"
                     r"can|may|is|are)\b")


def symptom_head_ok(rules: Rules, text: str, s: Sentence, c: ConditionMention) -> bool:
    """ "thigh weakness" in running text is a symptom; as a heading, a "Label:" or the subject of a
    causal sentence ("Hip muscle weakness can cause knee pain") it is a condition."""
    head = c.name.lower().split()[-1] if c.name else ""
    if c.origin not in ("morphology", "inverted", "site") or head not in rules.symptom_words:
        return True
    words = c.name.lower().split()
    if head == "weakness" and not any(w in ("muscle", "muscles", "gluteal", "glute", "abductor", "core") for w in words):
        return False  # "thigh weakness" is a symptom; "hip muscle weakness" names a biomechanical cause
    if head in ("instability", "effusion", "stiffness", "swelling", "tightness") and len(words) <= 2 and all(
            w in rules.mx.anatomy_words for w in words[:-1]):
        return False  # "knee effusion", "hip stiffness": a symptom or a sign of a body part, not a cause
    if s.heading or c.end <= s.label_end:
        return True
    return c.start - s.start <= 4 and bool(_CAUSAL.match(text, c.end))


def compared(rules: Rules, doc: Document, ms: list[Match], c: ConditionMention, s: Sentence) -> bool:
    """Is the mention the object of a comparison ("like X", "unlike X", "mimicking X")?"""
    markers = rules.comparison_markers
    text = doc.text
    for m in ms:
        if m.kind not in ("secondary", "neg_forward") or m.value not in markers:
            continue
        if not (m.end <= c.start and c.start - m.end <= 30 and not re.search(r"[.;:]", text[m.end:c.start])):
            continue
        if m.value == "like":
            # "conditions like X" / "an issue like X" give examples; "Like X, it ..." and "feels like X" compare
            before = text[max(s.start, m.start - 12):m.start].lower()
            if not (m.start - s.start <= 1 or before.rstrip().endswith(",")
                    or re.search(r"\b(?:feels?|felt|looks?|just|much|mimics?|behaves?)\s*$", before)):
                continue
        return True
    return False


def caused_by_earlier(rules: Rules, text: str, earlier: list[ConditionMention], c: ConditionMention) -> bool:
    """The mention comes after an earlier condition and a cause link ("X can follow Y", "X is common in people
    with Y", "X, often from Y"), in the same clause."""
    if rules.cause_link is None:
        return False
    for e in earlier:
        between = text[e.end:c.start]
        if e.key != c.key and ";" not in between and rules.cause_link.search(between.lower()):
            return True
    return False


_OPERATED = re.compile(r"\s+(?:surgery|operation|operations|repair|reconstruction|stripping)\b", re.I)


def primary(rules: Rules, doc: Document, ms: list[Match], mentions: list[ConditionMention], s: Sentence) -> list[str]:
    """Condition keys that a sentence is about (not those after "due to", "like", ...)."""
    if not mentions:
        return []
    markers = [m for m in ms if m.kind in ("secondary",)]
    neg = [m for m in ms if m.kind == "neg_forward" and m.value in ("unlike", "rather than", "instead of")]
    # "This condition falls under the umbrella of X": X names what the anaphor already is
    markers += [m for m in ms if m.kind == "alias_cue" and m.end <= mentions[0].start]
    # "It can follow ankle sprains, fractures ...": after an opening anaphor, a cause link names causes too
    lead = [m for m in ms if m.kind == "anaphora" and m.start - s.start <= 3]
    out = []
    for i, c in enumerate(mentions):
        before = [m for m in markers + neg if m.end <= c.start and not (
            m.value in rules.mx.comma_bounded and "," in doc.text[m.end:c.start])]
        caused = caused_by_earlier(rules, doc.text, mentions[:i], c) or any(
            a.end <= c.start and rules.cause_link is not None and ";" not in doc.text[a.end:c.start]
            and rules.cause_link.search(doc.text[a.end:c.start].lower()) for a in lead)
        if before or caused or _OPERATED.match(doc.text, c.end):
            continue   # (a condition's operation, "after varicose vein surgery", is a cause, not the subject)
        out.append(c.key)
    if not out and s.heading:
        out = [c.key for c in mentions]
    return list(dict.fromkeys(out))


def learn_aliases(text: str, s: Sentence, ms: list[Match], mentions: list[ConditionMention],
                   alias_to: dict[str, str]) -> None:
    if not mentions:
        return
    sent = text[s.start:s.end]
    # parenthesised abbreviation right after a condition: "Patellofemoral Pain Syndrome (PFPS)"
    for c in mentions:
        rest = text[c.end:s.end]
        m = re.match(r"\s*\(([A-Z][A-Za-z]{1,7})\)", rest)
        if m and m.group(1).upper() == m.group(1):
            alias_to.setdefault(m.group(1).lower(), c.key)
        inner = re.search(r"\(([A-Z]{2,6})\)\s+(\w+)", text[c.start:c.end + 2])
        if inner:
            alias_to.setdefault(f"{inner.group(1)} {inner.group(2)}".lower(), c.key)
    # "X, also known as Y" / "X, also called Y": Y is the same condition as X
    for cue in (m for m in ms if m.kind == "alias_cue"):
        before = [c for c in mentions if c.end <= cue.start and cue.start - c.end <= 6]
        if not before:  # "S1 radiculopathy, one form of what most people call sciatica"
            near = [c for c in mentions if c.end <= cue.start and cue.start - c.end <= 30
                    and "," in text[c.end:cue.start] and not re.search(r"[.;:()]", text[c.end:cue.start])]
            before = near[-1:]
        after = [c for c in mentions if c.start >= cue.end and c.start - cue.end <= 6]
        if before and after and before[-1].key != after[0].key:
            alias_to.setdefault(canonical_name(text[after[0].start:after[0].end]), before[-1].key)
            if after[0].origin != "lexicon":
                after[0].key = before[-1].key
    _ = sent


_JOINT_SITE = {"knee_joint": "knee", "hip_joint": "hip"}


def register(rules: Rules, conditions: dict[str, DocCondition], c: ConditionMention, sentence: str,
              surface_text: str = "") -> None:
    cond = conditions.get(c.key)
    if cond is None:
        if c.origin == "lexicon":
            e = rules.vocab.lexicon[c.key]
            desc = icd.describe(e.icd10) if e.icd10 else None
            cond = DocCondition(e.id, e.name, e.category, e.icd10, desc, set(), "lexicon", e.region, 0.95,
                                category_source="lexicon", mimic=e.mimic)
        else:
            cat, conf = categorise(rules, c.name, sentence)
            hit = icd.lookup(c.name, site=_JOINT_SITE.get(cat))
            cid = slugify(c.name)
            cond = DocCondition(cid, c.name, cat, hit[0] if hit else None, hit[1] if hit else None, set(),
                                c.origin if c.origin in ("site", "heading") else "morphology",
                                home_region(rules, c.name), conf, mimic=is_mimic(rules, c.name, sentence))
        conditions[c.key] = cond
    cond.mentions += 1
    # the name as written is an alias when it differs from the condition's name (a lexicon synonym
    # such as "popliteal cyst" for Baker's cyst, or a morphology variant)
    for written in {c.name, surface_text} - {""}:
        surface = canonical_name(written)
        if surface != canonical_name(cond.name):
            cond.aliases.add(surface)


_SUBTYPE_WORDS = frozenset({"medial", "lateral", "inner", "outer", "anterior", "posterior", "degenerative", "partial",
                            "complete", "acute", "chronic", "traumatic", "small", "large", "complex", "radial",
                            "horizontal", "vertical", "stress", "minor", "major", "mild", "severe", "early", "late"})


def merge_prefixed(rules: Rules, conditions: dict[str, DocCondition], sent_mentions: list[list[ConditionMention]]) -> None:
    """Fold "ruptured Baker's cyst" into "Baker's cyst" when both are in the document."""
    by_canon = {canonical_name(c.name): k for k, c in conditions.items()}
    by_canon.update({a: k for k, c in conditions.items() for a in c.aliases})
    remap: dict[str, str] = {}
    for key, cond in conditions.items():
        if cond.origin == "lexicon":
            continue
        words = canonical_name(cond.name).split()
        while len(words) > 1 and words[0] in rules.mx.merge_prefixes:
            words = words[1:]
            target = by_canon.get(" ".join(words))
            if target and target != key:
                remap[key] = target
                break
        if key not in remap and len(words) > 1 and all(w in _SUBTYPE_WORDS for w in words[:-1]):
            # "a medial tear", "stress syndrome": a subtype or a short form of the one condition of the article
            # with that head ("meniscus tear", "medial tibial stress syndrome")
            def head_words(name: str) -> list[str]:
                return canonical_name(re.sub(r"\s*\([^)]*\)", "", name)).split()

            hosts = [k for k, c in conditions.items() if k != key and head_words(c.name)[-1:] == words[-1:]
                     and not all(w in _SUBTYPE_WORDS for w in head_words(c.name)[:-1])]
            if hosts:  # the most mentioned host ("meniscus tear" over "ligament tear" in a meniscus article)
                remap[key] = max(hosts, key=lambda k: (conditions[k].mentions, k))
    for old, new in remap.items():
        gone = conditions.pop(old)
        conditions[new].aliases.add(canonical_name(gone.name))
        conditions[new].mentions += gone.mentions
    for mentions in sent_mentions:
        for c in mentions:
            c.key = remap.get(c.key, c.key)
