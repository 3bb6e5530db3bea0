"""Rule-based extraction of condition, symptom-region and factor facts from one document.

Pure functions over (source_id, normalised text) and the vocabularies; the `extract` stage
does the I/O. The approach, in order:

1. One Aho-Corasick pass over the document finds every vocabulary phrase (regions,
   symptoms, qualities, factors, ConText cues, lexicon condition names).
2. Conditions not in the lexicon are found by medical morphology: a noun phrase ending in a
   head word ("syndrome", "tear", "stenosis") or suffix ("-itis", "-opathy"), with anatomical
   or cause modifiers before it; bare heads ("bursitis", "arthritis") take their site from a
   region in the same sentence. Aliases come from "also known as" and parenthesised
   abbreviations.
3. Each sentence gets a focus condition: the conditions it names as subject (not those after
   "due to", "like", "unlike" ...), else the one its anaphora ("this condition", "the cyst")
   refers to, else the paragraph's or the section heading's.
4. Symptoms pair with regions in the same clause (else the sentence, else the condition's own
   region); ConText-style cues mark negated and hedged mentions; qualities attach to pain.
5. Factor mentions take their kind from the nearest cue (worse with / improves with / due to)
   or, in a "when to see a doctor" section, become red flags.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from symcause.core.vocab import (
    CATEGORIES,
    Match,
    PhraseMatcher,
    Vocab,
    cached_vocab,
    norm_phrase,
    phrase_variants,
)
from symcause.extraction import icd
from symcause.extraction.text import Sentence, safe_lower, split_sentences

EXTRACTOR_VERSION = "rules-1"

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d+")


# --------------------------------------------------------------------------------------------
# matcher construction (once per vocabulary)


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
    region_origin_cues: tuple[str, ...] = ()
    structures: frozenset[str] = field(default_factory=frozenset)
    comma_bounded: frozenset[str] = field(default_factory=frozenset)


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
    ctx = vocab.context
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
        region_origin_cues=tuple(norm_phrase(w) for w in ctx.get("region_origin_cues") or []),
        structures=frozenset(norm_phrase(w) for w in morph.get("structures") or []),
        comma_bounded=frozenset(norm_phrase(w) for w in ctx.get("comma_bounded") or []),
    )


# --------------------------------------------------------------------------------------------
# condition identity


_PLURAL_HEADS = {"tears": "tear", "strains": "strain", "sprains": "sprain", "cysts": "cyst", "injuries": "injury",
                 "fractures": "fracture", "discs": "disc", "disks": "disk", "syndromes": "syndrome",
                 "disorders": "disorder", "lesions": "lesion", "spurs": "spur", "bulges": "bulge",
                 "herniations": "herniation", "imbalances": "imbalance", "errors": "errors"}


def canonical_name(name: str) -> str:
    """Key form of a condition name: lower-case, no possessive, singular head."""
    words = norm_phrase(name).replace("'s ", "s ").replace("' ", " ").split()
    if words:
        words[-1] = _PLURAL_HEADS.get(words[-1], words[-1])
    return " ".join(words)


_BACK_OF = re.compile(r"\s+(?:and|or)\s+(?:[a-z]+\s+){0,3}of\s+(?:the|your|my)\s+(knee|thigh|calf|leg|heel)\b", re.I)
_BACK_OF_REGION = {"knee": "knee_back", "thigh": "thigh_back", "calf": "calf", "leg": "calf", "heel": "ankle"}


def _coordinated_back(m: Match, after: str) -> Match:
    """ "the back and outer side of the knee": this "back" is the back of the knee, not the lower back."""
    if m.value == "lower_back" and m.surface.lower() == "back":
        hit = _BACK_OF.match(after)
        if hit:
            return Match(m.start, m.end, m.kind, _BACK_OF_REGION[hit.group(1).lower()], m.surface)
    return m


# A generic sub-heading of a condition's section: a question about "it", or a usual section name
_SUBHEADING = re.compile(
    r"^(?:(?:what|who|how|why|when|where|is|are|can|does|do|will|should)\b.*\b(?:it|this|they|them|these|you)\b"
    r"|(?:(?:common |typical |the )?(?:signs|symptoms|signs and symptoms|causes|risk factors|who is at risk|diagnosis"
    r"|treatment|treatments|self[- ]help|outlook|prognosis|prevention|what helps|recovery|management|exercises"
    r"|overview|complications|at a glance|summary|key points|home care|self-care)\b))",
    re.IGNORECASE)


def text_between(sent_text: str, s: Sentence, a: int, b: int) -> str:
    """Text of the sentence between document offsets a and b."""
    return sent_text[a - s.start:b - s.start]


_BULLET_LINE = re.compile(r"^\s*(?:[-*+\u2022\u25cf\u25aa\u2023\u2043\u00b7]|\d{1,2}[.)])\s+")


def _is_bullet(text: str, s: Sentence) -> bool:
    """Is the sentence the first sentence of a bulleted / numbered line?"""
    line_start = text.rfind("\n", 0, s.start) + 1
    return bool(_BULLET_LINE.match(text[line_start:s.start + 1]))


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", canonical_name(name)).strip("_")[:60] or "condition"


def display_name(surface: str) -> str:
    words = surface.strip().split()
    if not words:
        return surface
    if all(w[:1].isupper() for w in words if w.isalpha()) and not any(w.isupper() and len(w) > 1 for w in words):
        words = [w.lower() if not w.endswith("'s") else w[0] + w[1:] for w in words]
        # keep eponyms capitalised ("Baker's cyst")
    words[-1] = _PLURAL_HEADS.get(words[-1].lower(), words[-1]) if words[-1].lower() in _PLURAL_HEADS else words[-1]
    text = " ".join(words)
    return text[0].upper() + text[1:]


@dataclass
class ConditionMention:
    start: int
    end: int
    key: str            # lexicon id or canonical name
    name: str           # display name
    origin: str         # lexicon | morphology | site
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


# --------------------------------------------------------------------------------------------
# per-document extraction


@dataclass
class DocResult:
    conditions: dict[str, DocCondition]
    facts: list[dict]
    factors: list[dict]


def _fact_id(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


class Extractor:
    """Extracts facts from documents with one set of vocabularies (reuse across documents)."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.mx = build_matchers(vocab)
        self._cat_cues = {
            cat: [norm_phrase(c) for c in spec.get("cues") or []] for cat, spec in vocab.categories.items()
        }
        self._strong_cues = {
            cat: [norm_phrase(c) for c in spec.get("strong_cues") or []] for cat, spec in vocab.categories.items()
        }

    # ---- category and code -------------------------------------------------------------

    def categorise(self, name: str, context: str = "") -> tuple[str, float]:
        """Category of an unseen condition by cue stems in its name (x3) and context (x1)."""
        name_l = " " + norm_phrase(name) + " "
        ctx_l = " " + norm_phrase(context) + " "
        scores: dict[str, float] = {}
        for cat, cues in self._cat_cues.items():
            s = 0.0
            for cue in self._strong_cues[cat]:
                if " " + cue in name_l:
                    s += 8.0
            for cue in cues:
                if " " + cue in name_l:
                    s += 3.0 + 0.5 * cue.count(" ")
                if context and " " + cue in ctx_l:
                    s += 1.0
            scores[cat] = s
        best = max(CATEGORIES, key=lambda c: (scores[c], -CATEGORIES.index(c)))
        total = sum(scores.values())
        conf = scores[best] / total if total else 0.0
        return (best if scores[best] > 0 else "biomechanical"), round(min(0.95, 0.4 + 0.5 * conf), 3)

    def condition_home_region(self, name: str) -> str | None:
        low = safe_lower(name)
        for mt in self.mx.phrases.find(low, name, self.mx.groups):
            if mt.kind in ("region", "anatomy"):
                return mt.value
        return None

    # ---- condition mentions -------------------------------------------------------------

    def _morph_candidates(self, text: str, s: Sentence, taken: list[tuple[int, int]],
                          region_matches: list[Match]) -> list[ConditionMention]:
        """Conditions recognised by morphology in one sentence."""
        mx = self.mx
        sent = text[s.start:s.end]
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
            while j > 0 and i - j < int(self.vocab.morphology.get("max_modifiers", 4)):
                ps, pe, pw = words[j - 1]
                gap = masked[pe - s.start:words[j][0] - s.start]
                if gap.strip() not in ("", "-", "/"):
                    break
                pl = pw.lower()
                if pl in mx.strip_leading and pl not in mx.modifiers:
                    break
                title_word = (pw[0].isupper() and not pw.isupper() and ps != s.start
                              and text[max(s.start, ps - 2):ps].strip() not in (":", ".", "-"))
                if pl in mx.modifiers or pl in mx.anatomy_words or title_word \
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
            key = canonical_name(phrase)
            n_mods = i - j
            if n_mods == 0 and wl in mx.inverted_heads:
                inv = self._inverted(text, words, i)
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
                    if i > 0 and words[i - 1][2].lower() in self._history_words:
                        continue  # "an old fracture", "a previous tear": history, not a condition here
                    site = self._site_for(text, s, start, end, region_matches, taken)
                    if site is None:
                        continue
                    phrase = f"{site} {wl}"
                    key = canonical_name(phrase)
                    if key not in mx.generic:
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

    def _inverted(self, text: str, words: list[tuple[int, int, str]], i: int) -> list[tuple[str, int]]:
        """ "irritation of the common peroneal nerve" -> [("common peroneal nerve irritation", end)];
        "strains of the quadriceps or hamstring muscles" -> quadriceps strain, hamstring strain."""
        mx = self.mx
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

    def _site_for(self, text: str, s: Sentence, start: int, end: int, regions: list[Match],
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
        coarse = self.vocab.region_coarse.get(pick.value, pick.value)
        if coarse in ("leg",):
            return None
        return coarse.replace("_", " ")

    # ---- main -----------------------------------------------------------------------------

    def extract(self, source_id: str, text: str) -> DocResult:
        mx = self.mx
        vocab = self.vocab
        self._text_cache = text
        low = safe_lower(text)
        sentences = split_sentences(text)
        matches = mx.phrases.find(low, text, mx.groups)
        starts = [s.start for s in sentences]

        def sent_index(pos: int) -> int:
            return bisect_right(starts, pos) - 1

        per_sent: list[list[Match]] = [[] for _ in sentences]
        section_cues = [(mt.start, mt.end) for mt in matches if mt.kind == "redflag_section"]
        for mt in matches:
            k = sent_index(mt.start)
            if mt.kind == "f_red" and any(a <= mt.start and mt.end <= b for a, b in section_cues):
                continue  # the "red" of "red flags", the "emergency" of "emergency department"
            if k >= 0 and mt.end <= sentences[k].end:
                per_sent[k].append(mt)

        # ---- 1. condition mentions per sentence, aliases
        conditions: dict[str, DocCondition] = {}
        alias_to: dict[str, str] = {}  # canonical alias -> condition key
        sent_mentions: list[list[ConditionMention]] = []
        risk_list = False  # inside a bullet list introduced by "Risk factors include:"
        section_owner = False  # the current section's heading names a (non-biomechanical) condition
        for k, s in enumerate(sentences):
            ms = per_sent[k]
            bullet = _is_bullet(text, s)
            if s.heading or not bullet:
                risk_list = False
            risky = risk_list or self._risk_context(ms)
            if s.heading:
                section_owner = any(m.kind == "condition" and not self._is_risk_condition(m.value) for m in ms)

            # a biomechanical condition named inside another condition's section, or in a risk context, is a
            # factor of that condition ("tight hamstrings add to the load"), unless it is a heading or a "Label:"
            demote = (risky or section_owner) and not s.heading
            lex = [ConditionMention(m.start, m.end, m.value, vocab.lexicon[m.value].name, "lexicon")
                   for m in ms if m.kind == "condition"
                   and not (demote and m.end > s.label_end and self._is_risk_condition(m.value))]
            if not bullet and text[s.start:s.end].rstrip().endswith(":") and self._risk_context(ms):
                risk_list = True
            taken = [(c.start, c.end) for c in lex]
            regions = [m for m in ms if m.kind in ("region", "anatomy")]
            morph = self._morph_candidates(text, s, taken, regions)
            morph = self._drop_definition_predicates(text, s, lex, morph)
            morph = [c for c in morph if self._symptom_head_ok(text, s, c)]
            if (risky or section_owner) and not s.heading:  # "Risk factors include: weak hip abductors, flat feet"
                risks = [(m.start, m.end) for m in ms if m.kind == "f_risk"]
                morph = [c for c in morph if c.end <= s.label_end
                         or not any(a < c.end and c.start < b for a, b in risks)]
            mentions = sorted(lex + morph, key=lambda c: c.start)
            mentions = [alias_resolve(c, alias_to) for c in mentions]
            sent_mentions.append(mentions)
            self._learn_aliases(text, s, ms, mentions, alias_to)

        # resolve mentions to doc conditions (after aliases are known)
        compared_only: dict[str, bool] = {}
        for k, mentions in enumerate(sent_mentions):
            # a mechanism phrase ("results from compression of the sciatic nerve") is not a condition
            primary_keys = set(self._primary(per_sent[k], mentions, sentences[k]))
            mentions = [c for c in mentions if c.origin != "inverted" or c.key in primary_keys]
            sent_mentions[k] = [alias_resolve(c, alias_to) for c in mentions]
            for c in sent_mentions[k]:
                compared = self._compared(per_sent[k], c, sentences[k]) and c.key not in primary_keys
                compared_only[c.key] = compared_only.get(c.key, True) and compared
        # a condition named only in comparisons ("Like compartment syndrome, it ...") is not one of the article's
        for k, mentions in enumerate(sent_mentions):
            sent_mentions[k] = [c for c in mentions if not compared_only.get(c.key)]
            for c in sent_mentions[k]:
                self._register(conditions, c, text[sentences[k].start:sentences[k].end], text[c.start:c.end])
        for alias, key in alias_to.items():
            if key in conditions:
                conditions[key].aliases.add(alias)
        self._merge_prefixed(conditions, sent_mentions)

        # ---- 2. focus per sentence
        facts: list[dict] = []
        factors: list[dict] = []
        section_focus: list[str] = []
        para_focus: list[str] = []
        last_focus: list[str] = []
        last_para = -1
        in_red_section = False
        doc_red_flags: list[tuple[int, Match]] = []
        list_cue: str | None = None  # "Common triggers include:" -> the bullets below are aggravating factors
        red_list = False  # "See a doctor straight away if you notice:" -> the bullets below are red flags
        for k, s in enumerate(sentences):
            ms = per_sent[k]
            mentions = sent_mentions[k]
            sent_text = text[s.start:s.end]
            bullet = _is_bullet(text, s)
            if not bullet:
                lead = [m.value for m in ms if m.kind.startswith("cue_")]
                list_cue = lead[0] if lead and sent_text.rstrip().endswith(":") else None
                red_list = sent_text.rstrip().endswith(":") and any(m.kind == "redflag_section" for m in ms)
            if s.heading:
                heads = [c.key for c in mentions if c.primary]
                if not mentions and section_focus and _SUBHEADING.match(sent_text.strip()):
                    # "What does it feel like?", "Symptoms", "Who gets it?" under a condition's heading:
                    # the section is still about that condition
                    in_red_section = any(m.kind == "redflag_section" for m in ms)
                    last_para = s.paragraph
                    continue
                section_focus = list(dict.fromkeys(self._primary(ms, mentions, s)))
                para_focus = list(section_focus)
                last_focus = list(section_focus)
                last_para = s.paragraph
                in_red_section = any(m.kind == "redflag_section" for m in ms)
                if heads:
                    in_red_section = False
                continue
            new_para = s.paragraph != last_para
            last_para = s.paragraph
            primary = self._primary(ms, mentions, s)
            anaphoric = any(m.kind == "anaphora" and m.start - s.start <= 40 for m in ms)
            if s.label_end:
                label_conds = [c.key for c in mentions if c.end <= s.label_end]
                if label_conds:
                    primary = label_conds
                    para_focus = label_conds
                elif not primary:
                    para_focus = list(section_focus) or para_focus
            if primary:
                focus = primary
            elif s.label_end and para_focus:
                focus = para_focus
            elif anaphoric and (last_focus or para_focus):
                focus = last_focus if new_para and last_focus else (para_focus or last_focus)
            elif not new_para and para_focus:
                focus = para_focus
            elif section_focus:
                focus = section_focus
            else:
                focus = []
            if new_para and not primary and not anaphoric and not s.label_end:
                focus = list(section_focus)
            para_focus = focus or para_focus if not new_para else focus
            if focus:
                last_focus = focus
            red_block = in_red_section or any(m.kind == "redflag_section" for m in ms)
            # bullets under a red-flag lead are red flags; under a condition's heading ("Warning signs include:")
            # they are also its symptoms, so they still give symptom facts
            red_here = red_block or (bullet and red_list)
            if not focus:
                if red_here:
                    doc_red_flags.extend((k, m) for m in ms if m.kind == "f_red")
                continue
            cond_spans = [(c.start, c.end) for c in mentions]
            inherited = not primary
            for key in focus:
                cid = conditions[key].condition_id
                if not red_block:
                    facts.extend(self._symptom_facts(source_id, key, s, sent_text, ms, cond_spans, conditions,
                                                     inherited))
                focus_spans = [(c.start, c.end) for c in mentions if c.key in focus]
                own_spans = [(c.start, c.end) for c in mentions if c.key == key]
                factors.extend(self._factor_facts(source_id, cid, s, sent_text, ms, focus_spans, red_here, inherited,
                                                  own_spans, list_cue if bullet else None))
        # a phrase found by morphology alone, named once, with nothing stated about it, is a passing phrase
        # ("weak calf muscles", "a pelvic fracture"), not a condition the article discusses
        stated = {f["condition_id"] for f in facts}
        for key in [k for k, c in conditions.items()
                    if c.origin == "morphology" and c.mentions <= 1 and c.condition_id not in stated]:
            gone = conditions.pop(key).condition_id
            factors = [f for f in factors if f["condition_id"] != gone]
        # document-level red flags: attach to every condition of the document, marked as such
        for k, mt in doc_red_flags:
            s = sentences[k]
            for cond in conditions.values():
                if cond.mentions == 0:
                    continue
                factors.append(self._factor_row(source_id, cond.condition_id, s, text[s.start:s.end], "red_flag", mt.value,
                                                False, False, "rule:red_flag_section", 0.5, "document"))
        facts.extend(self._site_facts(source_id, text, sentences, sent_mentions, conditions, facts))
        facts = _dedupe(facts)
        factors = _dedupe(factors)
        return DocResult(conditions=conditions, facts=facts, factors=factors)

    def _site_facts(self, source_id: str, text: str, sentences: list[Sentence],
                    sent_mentions: list[list[ConditionMention]], conditions: dict[str, DocCondition],
                    facts: list[dict]) -> list[dict]:
        """Pain at the condition's own site ("knee osteoarthritis", "Baker's cyst" behind the knee), cited to
        the sentence that first names the condition. Articles about *radiating* pain often state only the
        far-away regions; the site is implied by the name. Marked `rule:condition_site` (derived, not a
        separate statement, so the extraction evaluation leaves them out). Not for biomechanical
        conditions (flat feet do not mean foot pain) nor for a whole-leg or unknown site."""
        first: dict[str, int] = {}
        for k, mentions in enumerate(sent_mentions):
            for c in mentions:
                first.setdefault(c.key, k)
        have = {(f["condition_id"], f["region"]) for f in facts if f["symptom"] == "pain" and not f["negated"]}
        out = []
        for key, cond in conditions.items():
            region = cond.region
            if (cond.mentions == 0 or not region or region == "leg" or cond.category == "biomechanical"
                    or region not in self.vocab.region_coarse or key not in first
                    or (cond.condition_id, region) in have):
                continue
            s = sentences[first[key]]
            out.append(self._fact_row(source_id, cond.condition_id, s, text[s.start:s.end], "pain", region, None,
                                      False, False, "rule:condition_site", 0.5))
        return out

    def _merge_prefixed(self, conditions: dict[str, DocCondition], sent_mentions: list[list[ConditionMention]]) -> None:
        """Fold "ruptured Baker's cyst" into "Baker's cyst" when both are in the document."""
        by_canon = {canonical_name(c.name): k for k, c in conditions.items()}
        by_canon.update({a: k for k, c in conditions.items() for a in c.aliases})
        remap: dict[str, str] = {}
        for key, cond in conditions.items():
            if cond.origin == "lexicon":
                continue
            words = canonical_name(cond.name).split()
            while len(words) > 1 and words[0] in self.mx.merge_prefixes:
                words = words[1:]
                target = by_canon.get(" ".join(words))
                if target and target != key:
                    remap[key] = target
                    break
        for old, new in remap.items():
            gone = conditions.pop(old)
            conditions[new].aliases.add(canonical_name(gone.name))
            conditions[new].mentions += gone.mentions
        for mentions in sent_mentions:
            for c in mentions:
                c.key = remap.get(c.key, c.key)

    _COPULA = re.compile(r"\s*(?:\([^)]{0,40}\)\s*)?(?:,[^,.]{0,80},\s*)?(?:is|are|means|refers to|describes)\b")
    _CLASS_OF = re.compile(r"\bone of the (?:\w+ ){0,2}$")

    def _drop_definition_predicates(self, text: str, s: Sentence, lex: list[ConditionMention],
                                    morph: list[ConditionMention]) -> list[ConditionMention]:
        """In "Distal hamstring tendinitis is irritation of the hamstring tendons" the predicate describes the
        subject condition; a morphology candidate there is not another condition. Nor is a class in
        "one of the commonest meniscus injuries"."""
        if not morph:
            return morph
        subject = [c for c in sorted(lex + morph, key=lambda c: c.start)
                   if c.start - s.start <= 4 and self._COPULA.match(text, c.end)]
        out = []
        for c in morph:
            if subject and c is not subject[0] and c.start > subject[0].end:
                continue
            if self._CLASS_OF.search(text, max(s.start, c.start - 40), c.start):
                continue
            out.append(c)
        return out

    _CAUSAL = re.compile(r"[^.;:]{0,30}\b(?:cause[sd]?|causing|lead[s]? to|led to|result[s]? in|contribute[sd]? to|"
                         r"can|may|is|are)\b")

    def _symptom_head_ok(self, text: str, s: Sentence, c: ConditionMention) -> bool:
        """ "thigh weakness" in running text is a symptom; as a heading, a "Label:" or the subject of a
        causal sentence ("Hip muscle weakness can cause knee pain") it is a condition."""
        head = c.name.lower().split()[-1] if c.name else ""
        if c.origin not in ("morphology", "inverted") or head not in self._symptom_words:
            return True
        if s.heading or c.end <= s.label_end:
            return True
        return c.start - s.start <= 4 and bool(self._CAUSAL.match(text, c.end))

    @property
    def _backward_cues(self) -> frozenset[str]:
        """Cues that may govern factors named before them (context.yaml backward_cues)."""
        cues = getattr(self, "_backward_cues_cache", None)
        if cues is None:
            cues = frozenset(norm_phrase(x) for x in self.vocab.context.get("backward_cues") or ())
            self._backward_cues_cache = cues
        return cues

    @property
    def _symptom_words(self) -> frozenset[str]:
        words = getattr(self, "_symptom_words_cache", None)
        if words is None:
            words = frozenset(w for spec in self.vocab.symptoms.values() for w in (spec.get("synonyms") or [])
                              if " " not in w) - {"sciatica", "neuralgia", "lump", "bump"}
            self._symptom_words_cache = words
        return words

    @property
    def _history_words(self) -> frozenset[str]:
        return frozenset(self.vocab.morphology.get("history_modifiers") or ())

    def _compared(self, ms: list[Match], c: ConditionMention, s: Sentence) -> bool:
        """Is the mention the object of a comparison ("like X", "unlike X", "mimicking X")?"""
        markers = frozenset(self.vocab.context.get("comparison_markers") or ())
        text = self._text_cache
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

    def _risk_context(self, ms: list[Match]) -> bool:
        """Does the sentence present things as risk or contributing factors ("Risk factors include",
        "make it more likely")?"""
        return any(m.kind.startswith("cue_") and m.value == "risk" for m in ms)

    def _is_risk_condition(self, key: str) -> bool:
        """A lexicon condition that is also a risk factor of other conditions (biomechanical: flat feet,
        weak glutes, training errors): in a risk context it is a factor, not a condition of the article."""
        e = self.vocab.lexicon.get(key)
        return e is not None and e.category == "biomechanical"

    def _primary(self, ms: list[Match], mentions: list[ConditionMention], s: Sentence) -> list[str]:
        """Condition keys that a sentence is about (not those after "due to", "like", ...)."""
        markers = [m for m in ms if m.kind in ("secondary",)]
        neg = [m for m in ms if m.kind == "neg_forward" and m.value in ("unlike", "rather than", "instead of")]
        if mentions:
            # "This condition falls under the umbrella of X": X names what the anaphor already is
            first = mentions[0].start
            markers += [m for m in ms if m.kind == "alias_cue" and m.end <= first]
        out = []
        for c in mentions:
            before = [m for m in markers + neg if m.end <= c.start and not (
                m.value in self.mx.comma_bounded and "," in self._text_cache[m.end:c.start])]
            if before:
                continue
            out.append(c.key)
        if not out and mentions and s.heading:
            out = [c.key for c in mentions]
        return list(dict.fromkeys(out))

    def _learn_aliases(self, text: str, s: Sentence, ms: list[Match], mentions: list[ConditionMention],
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

    def _register(self, conditions: dict[str, DocCondition], c: ConditionMention, sentence: str,
                  surface_text: str = "") -> None:
        cond = conditions.get(c.key)
        if cond is None:
            if c.origin == "lexicon":
                e = self.vocab.lexicon[c.key]
                desc = icd.describe(e.icd10) if e.icd10 else None
                cond = DocCondition(e.id, e.name, e.category, e.icd10, desc, set(), "lexicon", e.region, 0.95)
            else:
                cat, conf = self.categorise(c.name, sentence)
                hit = icd.lookup(c.name)
                cid = slugify(c.name)
                cond = DocCondition(cid, c.name, cat, hit[0] if hit else None, hit[1] if hit else None, set(),
                                    "site" if c.origin == "site" else "morphology",
                                    self.condition_home_region(c.name), conf)
            conditions[c.key] = cond
        cond.mentions += 1
        # the name as written is an alias when it differs from the condition's name (a lexicon synonym
        # such as "popliteal cyst" for Baker's cyst, or a morphology variant)
        for written in {c.name, surface_text} - {""}:
            surface = canonical_name(written)
            if surface != canonical_name(cond.name):
                cond.aliases.add(surface)

    # ---- facts ------------------------------------------------------------------------------

    def _clauses(self, s: Sentence, ms: list[Match]) -> list[tuple[int, int]]:
        cuts = [s.start]
        for m in ms:
            if m.kind == "terminator" or (m.kind == "boundary"):
                cuts.append(m.start)
        cuts.append(s.end)
        cuts = sorted(set(cuts))
        return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]

    def _scope(self, s: Sentence, sent_text: str, ms: list[Match], pos: int, kinds: tuple[str, str]) -> bool:
        """Is `pos` in the scope of a forward cue of kinds[0] or a backward cue of kinds[1]?"""
        for m in ms:
            if m.kind == kinds[0] and m.end <= pos:
                between = [t for t in ms if t.kind == "terminator" and m.end <= t.start < pos]
                if between:
                    continue
                if m.value in self.mx.comma_bounded or m.value in ("unlike",):
                    if "," in sent_text[m.end - s.start:pos - s.start]:
                        continue
                gap_text = sent_text[m.end - s.start:pos - s.start]
                if kinds[0] == "neg_forward" and (pos - m.end > 80 or ", and " in gap_text or ", but " in gap_text):
                    continue
                return True
            if m.kind == kinds[1] and m.start >= pos:
                between = [t for t in ms if t.kind == "terminator" and pos <= t.start < m.start]
                if not between:
                    return True
        return False

    def _symptom_facts(self, source_id: str, cid: str, s: Sentence, sent_text: str, ms: list[Match],
                       cond_spans: list[tuple[int, int]], conditions: dict[str, DocCondition],
                       inherited: bool) -> list[dict]:
        def outside(m: Match) -> bool:
            return not any(a <= m.start and m.end <= b for a, b in cond_spans)

        # "tight hamstrings", "weak hip abductors", "tight belts" are factors, not symptoms
        factor_spans = [(m.start, m.end) for m in ms if m.kind in ("f_risk", "f_act")]
        syms = [m for m in ms if m.kind == "symptom" and outside(m)
                and not any(a <= m.start and m.end <= b and (b - a) > (m.end - m.start) for a, b in factor_spans)]
        if not any(m.value == "pain" for m in syms):
            quals0 = [m for m in ms if m.kind == "quality" and outside(m)]
            if quals0 and re.search(r"\b(sensation|feeling|feel|feels|shock|discomfort)\b", sent_text, re.I):
                q = quals0[0]
                syms.append(Match(q.start, q.end, "symptom", "pain", q.surface))
        if not syms:
            return []
        regs = [_coordinated_back(m, text_between(sent_text, s, m.end, min(s.end, m.end + 50)))
                for m in ms if m.kind == "region" and outside(m) and m.start >= s.label_end
                and self._is_site(sent_text, m.start - s.start, m.end - s.start)]
        quals = [m for m in ms if m.kind == "quality" and outside(m)]
        bounds = [m for m in ms if m.kind == "boundary"]
        clauses = self._clauses(s, ms)
        cond = conditions[cid]
        cid = cond.condition_id
        out = []
        for sym in syms:
            cl = next(((a, b) for a, b in clauses if a <= sym.start < b), (s.start, s.end))
            rs = [r for r in regs if cl[0] <= r.start < cl[1] and not _bounded(r, bounds)]
            if not rs:
                rs = [r for r in regs if not _bounded(r, bounds)
                      and not any(sym.start < b.start < r.start for b in bounds)]
            region_values = list(dict.fromkeys(r.value for r in rs))
            region_src = "sentence"
            if not region_values:
                if cond.region:
                    region_values = [cond.region]
                    region_src = "condition"
                else:
                    continue
            neg = self._scope(s, sent_text, ms, sym.start, ("neg_forward", "neg_backward"))
            hedged = self._scope(s, sent_text, ms, sym.start, ("hedge_forward", "hedge_backward"))
            q_values: list[tuple[str | None, bool]] = [(None, neg)]
            if sym.value == "pain":
                implied = self.mx.quality_implied.get(norm_phrase(sym.surface))
                qs = [q for q in quals if cl[0] <= q.start < cl[1] and q.start != sym.start] or \
                     [q for q in quals if abs(q.start - sym.start) < 60 and q.start != sym.start]
                q_values = [(q.value, neg) for q in qs
                            if self._scope(s, sent_text, ms, q.start, ("neg_forward", "neg_backward")) == neg]
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
            for region in region_values:
                # "the pain rarely spreads below the knee": a negation between symptom and region negates the pair
                where = next((r for r in rs if r.value == region), None)
                neg_between = where is not None and any(
                    m.end <= where.start and not re.search(r"[.;]|\band\b|\bbut\b", text_between(sent_text, s, sym.end, m.start))
                    for m in neg_cues)
                for quality, qneg in q_values:
                    out.append(self._fact_row(source_id, cid, s, sent_text, sym.value, region, quality,
                                              qneg or neg_between, hedged, f"{rule}/{region_src}", round(conf, 3)))
        # explicit boundaries: "stops above the knee" -> pain not in the knee
        for b in bounds:
            after = [r for r in regs if r.start >= b.end and r.start - b.end < 25]
            if after and any(sm.value == "pain" for sm in syms):
                out.append(self._fact_row(source_id, cid, s, sent_text, "pain", after[0].value, None, True, False,
                                          "rule:boundary", 0.8))
        return out

    def _is_site(self, sent: str, start: int, end: int) -> bool:
        """A region mention that names where a symptom is felt, not where a cause lies
        ("a nerve root in the lower back", "originating at the hip", "the initial knee issue")."""
        after = sent[end:end + 16].lower()
        m = re.match(r"\s*([a-z]+)", after)
        if m and m.group(1) in self.mx.region_non_site_followers:
            return False
        before = sent[max(0, start - 40):start].lower()
        return not any(re.search(rf"\b{re.escape(cue)}\s+(?:the\s+|a\s+|your\s+|their\s+)?$", before)
                       for cue in self.mx.region_origin_cues)

    def _fact_row(self, source_id: str, cid: str, s: Sentence, sent_text: str, symptom: str, region: str,
                  quality: str | None, negated: bool, hedged: bool, extractor: str, confidence: float) -> dict:
        return {
            "fact_id": _fact_id(source_id, cid, symptom, region, quality, negated, s.start),
            "source_id": source_id,
            "condition_id": cid,
            "symptom": symptom,
            "region": region,
            "region_coarse": self.vocab.region_coarse[region],
            "quality": quality,
            "negated": bool(negated),
            "hedged": bool(hedged),
            "evidence": sent_text,
            "char_start": s.start,
            "char_end": s.end,
            "extractor": f"{EXTRACTOR_VERSION}:{extractor}",
            "confidence": max(0.05, min(1.0, confidence)),
        }

    def _factor_facts(self, source_id: str, cid: str, s: Sentence, sent_text: str, ms: list[Match],
                      cond_spans: list[tuple[int, int]], red_here: bool, inherited: bool,
                      own_spans: list[tuple[int, int]] | None = None, default_cue: str | None = None) -> list[dict]:
        out = []
        cues = [m for m in ms if m.kind.startswith("cue_")]
        not_self = set(self.vocab.context.get("condition_name_risk_exclude") or [])
        for f in (m for m in ms if m.kind in ("f_act", "f_risk", "f_red")):
            if any(a <= f.start and f.end <= b for a, b in cond_spans):
                # a condition named by a risk factor ("flat feet", "weak glutes") is that risk factor:
                # recorded with scope `condition` (derived from the name, not a separate statement)
                if (f.kind == "f_risk" and f.value not in not_self and own_spans
                        and any(a <= f.start and f.end <= b for a, b in own_spans)):
                    out.append(self._factor_row(source_id, cid, s, sent_text, "risk_factor", f.value, False, False,
                                                "rule:condition_name", 0.9, "condition"))
                continue
            before = [c for c in cues if c.end <= f.start and not any(
                t.kind == "terminator" and c.end <= t.start < f.start for t in ms)]
            cue = before[-1] if before else None
            if cue is None:
                after = [c for c in cues if c.start >= f.end and c.start - f.end <= 12]
                if not after:
                    # "Sitting for a long time, bending forward and coughing often make the pain worse":
                    # a list of factors before the cue, in the same clause
                    after = [c for c in cues if c.start >= f.end and c.start - f.end <= 100
                             and norm_phrase(text_between(sent_text, s, c.start, c.end)) in self._backward_cues
                             and not re.search(r"[.;:]|\bwhile\b|\bbut\b|\bwhereas\b",
                                               text_between(sent_text, s, f.end, c.start))]
                cue = after[0] if after else None
            kind: str | None
            if f.kind == "f_red":
                if red_here:
                    kind = "red_flag"
                elif cue is not None and cue.value == "risk" and f.value not in ("fever", "chills"):
                    kind = None
                else:
                    kind = None
            elif cue is not None or default_cue is not None:
                cue_value = cue.value if cue is not None else str(default_cue)
                kind = {"aggravating": "aggravating", "relieving": "relieving", "risk": "risk_factor"}[cue_value]
                if kind == "risk_factor" and f.kind == "f_act":
                    kind = "aggravating"  # "common in runners", "repetitive strain (jumping, squatting)"
                if kind in ("aggravating", "relieving") and f.kind == "f_risk":
                    kind = "risk_factor"
            elif f.kind == "f_risk" and f.value not in ("prior_injury", "arthritis", "age", "overuse", "muscle_imbalance"):
                kind = "risk_factor"
            else:
                kind = None
            if kind is None:
                continue
            neg = self._scope(s, sent_text, ms, f.start, ("neg_forward", "neg_backward"))
            hedged = self._scope(s, sent_text, ms, f.start, ("hedge_forward", "hedge_backward"))
            conf = (0.85 if cue is not None else 0.75 if default_cue else 0.65) - (0.15 if inherited else 0.0)
            how = "cue" if cue else "list_cue" if default_cue else "vocab"
            out.append(self._factor_row(source_id, cid, s, sent_text, kind, f.value, neg, hedged,
                                        f"rule:{how}", round(conf, 3), "sentence"))
        return out

    def _factor_row(self, source_id: str, cid: str, s: Sentence, sent_text: str, kind: str, value: str,
                    negated: bool, hedged: bool, extractor: str, confidence: float, scope: str) -> dict:
        return {
            "fact_id": _fact_id(source_id, cid, kind, value, negated, s.start, scope),
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
        }


def _bounded(r: Match, bounds: list[Match]) -> bool:
    return any(b.end <= r.start and r.start - b.end < 25 for b in bounds)


def alias_resolve(c: ConditionMention, alias_to: dict[str, str]) -> ConditionMention:
    target = alias_to.get(c.key) or alias_to.get(canonical_name(c.name))
    if target and target != c.key:
        c.key = target
    return c


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
