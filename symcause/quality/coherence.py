"""Coherence of generated vignettes: one patient per case, measured on the table (pure; no I/O).

Three contradiction kinds, each counted per row (all must be 0):

- `n_both_sides_one_sided`: a case that is not spinal says both legs (`side` both), or its text names both the
  left and the right side;
- `n_affirmed_and_negated`: a finding both stated and denied (a negated symptom the row also lists, pain
  denied in a region the row's pain reaches, or pain denied at a region, "pain@lower_back", where the row states
  pain in the same coarse region);
- `n_side_mismatch`: a side named in the text that is not the row's `side` (or a side named where `side` is
  null or both).

Sides in the text are the side words of the generator and of ordinary notes: "my/his/her/the left|right",
"left|right <region word>", "L|R|Lt|Rt <region word>", where region words come from `schemas/vocab/regions.yaml`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from symcause.core.contract import DIFFICULTIES
from symcause.core.vocab import Vocab

COHERENCE_COLUMNS = ("n_both_sides_one_sided", "n_affirmed_and_negated", "n_side_mismatch")
BILATERAL_CATEGORIES = ("spinal",)   # a case of these may be in both legs


@lru_cache(maxsize=4)
def side_patterns(region_words: tuple[str, ...]) -> tuple[str, str]:
    """Regexes (left, right) for a side named in text."""
    words = "|".join(sorted({re.escape(w) for w in region_words}, key=len, reverse=True))
    out = []
    for word, short in (("left", "L|Lt"), ("right", "R|Rt")):
        out.append(rf"(?i:\b(?:my|his|her|the)\s+{word}\b|\b{word}\s+(?:{words})\b)|\b(?:{short})\s+(?i:{words})\b")
    return out[0], out[1]


def region_words(vocab: Vocab) -> tuple[str, ...]:
    """First words of every lay and clinical region name (knee, lateral, back ...), without possessives."""
    skip = {"my", "the", "his", "her", "of", "a", "an", "top", "back", "front", "side", "point", "bony", "small",
            "crease", "hollow", "whole", "entire"}
    words: set[str] = set()
    for spec in vocab.regions.values():
        for name in [*(spec.get("lay") or []), *(spec.get("clinical") or [])]:
            for w in str(name).lower().split():
                if w not in skip:
                    words.add(w)
                    break
    return tuple(sorted(words | {"leg", "knee", "hip", "foot", "calf", "thigh", "shin", "ankle", "buttock", "groin"}))


def contradictions(v: pd.DataFrame, vocab: Vocab, facts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row counts of the three contradiction kinds (index as v) and their failure cases (row, check,
    failure_case). A negated finding 'symptom:region' clashes with the row's own positive facts (through
    `fact_ids`): the same symptom (other than pain), or pain in the same coarse region or further down the leg
    (its sentences say the pain stops before the region); a bare 'symptom' clashes with a listed symptom."""
    left_rx, right_rx = side_patterns(region_words(vocab))
    text = v["text"].astype(str)
    says_left = text.str.contains(left_rx, regex=True).to_numpy()
    says_right = text.str.contains(right_rx, regex=True).to_numpy()
    side = v["side"].to_numpy(dtype=object)
    bilateral = np.isin(v["category"].to_numpy(dtype=object), BILATERAL_CATEGORIES)
    both = (side == "both") & ~bilateral | (says_left & says_right)
    mismatch = ((says_left & (side != "left")) | (says_right & (side != "right"))) & ~(says_left & says_right)
    coarse, level = vocab.region_coarse, vocab.region_level
    positive = facts[~facts["negated"].astype(bool)]
    pair = dict(zip(positive["fact_id"], zip(positive["symptom"], positive["region"])))
    clash = np.zeros(len(v), bool)
    for i, (syms, fids, negs) in enumerate(zip(v["symptoms"], v["fact_ids"], v["negated_findings"])):
        if len(negs) == 0:
            continue
        said = [pair[f] for f in fids if f in pair]
        for neg in negs:
            if "@" in str(neg):   # a pertinent negative: none at that region ("My back is fine")
                sym, _, reg = str(neg).partition("@")
                clash[i] |= any(s_ == sym and coarse.get(r, r) == coarse.get(reg, reg) for s_, r in said)
                continue
            sym, _, reg = str(neg).partition(":")
            if sym != "pain":
                clash[i] |= sym in set(syms)
            elif reg:
                clash[i] |= any(s_ == "pain" and (coarse.get(r, r) == coarse.get(reg, reg)
                                                  or level.get(r, 4) >= level.get(reg, 4)) for s_, r in said)
            else:
                clash[i] |= "pain" in set(syms)
    counts = pd.DataFrame({"n_both_sides_one_sided": both.astype(np.int64),
                           "n_affirmed_and_negated": clash.astype(np.int64),
                           "n_side_mismatch": mismatch.astype(np.int64)}, index=v.index)
    cases = []
    for check, mask, what in (("n_both_sides_one_sided", both, "side"), ("n_affirmed_and_negated", clash, "negated"),
                              ("n_side_mismatch", mismatch, "side")):
        rows = np.flatnonzero(mask)
        if len(rows):
            detail = (v["side"].astype(str) if what == "side" else v["negated_findings"].map(
                lambda x: ",".join(map(str, x)))).to_numpy(dtype=object)[rows]
            cases.append(pd.DataFrame({"row": rows, "check": check,
                                       "failure_case": [f"{what}={d}: {t[:120]}" for d, t in
                                                        zip(detail, text.to_numpy(dtype=object)[rows])]}))
    fc = pd.concat(cases, ignore_index=True) if cases else pd.DataFrame(columns=["row", "check", "failure_case"])
    return counts, fc


def differential_matrix(v: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The `differential` column as (labels, rows x labels)."""
    first = v["differential"].iloc[0] if len(v) else []
    labels = [k for k, _ in (first.items() if isinstance(first, dict) else first)]
    m = np.array([[x for _, x in (d.items() if isinstance(d, dict) else d)] for d in v["differential"]], dtype=float)
    return labels, m.reshape(len(v), len(labels))


def differential_summary(v: pd.DataFrame) -> dict[str, Any]:
    """Per difficulty: mean entropy of the differential (bits), the share whose own label is its top one, and the
    share whose label is supported (top two; 1 by construction)."""
    labels, m = differential_matrix(v)
    if not len(v):
        return {}
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(m > 0, m * np.log2(m), 0.0).sum(axis=1)
    own = np.array([labels.index(c) if c in labels else -1 for c in v["category"]])
    top1 = m.argmax(axis=1) == own
    out: dict[str, Any] = {"labels": labels, "max_entropy_bits": round(float(np.log2(max(len(labels), 1))), 4)}
    diff = v["difficulty"].to_numpy(dtype=object)
    for d in DIFFICULTIES:
        sel = diff == d
        if sel.any():
            out[d] = {"rows": int(sel.sum()), "entropy_bits_mean": round(float(h[sel].mean()), 4),
                      "top1_share": round(float(top1[sel].mean()), 4),
                      "supported_share": round(float(v["label_supported"].to_numpy()[sel].mean()), 4)}
    return out
