"""Knowledge-only baseline: naive Bayes over the findings the vocabularies read from a case's text, with the
likelihoods of the knowledge table and no training on vignettes (pure functions).

A case is read into findings with the classifier's concept tokens (`symcause.model.features`): a symptom and a
region in the same sentence make `symptom:<s>@<r>` (matched at the fine region, else at its coarse region), a
quality `quality:<q>`, an activity `aggravating:<a>`, a risk factor `risk_factor:<k>`, a red flag `red_flag:<x>`,
an examination finding `exam_finding:<e>`, a time course `timing:<t>`, an onset `onset:<o>`, a demographic
`demographic:<d>`; negated mentions are denied findings. A label's likelihood of a finding is the mean over its
conditions of P(finding | condition) (the knowledge prior where a condition has no row); a mentioned finding
contributes log L, a denied one log (1 - L); findings no condition of any label has are ignored. Uniform prior
over the labels. It shows what the knowledge table alone decides, so a reader sees what the text model adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from symcause.core.contract import CATEGORIES
from symcause.core.vocab import cached_vocab
from symcause.model.features import concept_tokens

_KIND = {"Q": "quality", "F": "aggravating", "K": "risk_factor", "X": "red_flag", "E": "exam_finding",
         "T": "timing", "O": "onset", "D": "demographic"}
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True)
class KnowledgeNB:
    labels: tuple[str, ...]
    names: dict[str, int]          # finding name -> column
    log_l: np.ndarray              # labels x findings
    log_1ml: np.ndarray


def fit_knowledge_nb(knowledge: pd.DataFrame, prior: float, labels: tuple[str, ...] = CATEGORIES) -> KnowledgeNB:
    """Label-level likelihoods from the knowledge table (mimics and labels outside `labels` left out); symptom
    findings also under their coarse region (the largest likelihood of its fine regions)."""
    coarse = cached_vocab().region_coarse
    k = knowledge[knowledge["category"].isin(labels) & ~knowledge["mimic"].astype(bool)]
    rows = []
    for cid, cat, kind, finding, lik in zip(k.condition_id, k.category, k.finding_kind, k.finding, k.likelihood):
        rows.append((cid, cat, f"{kind}:{finding}", float(lik)))
        if kind == "symptom" and "@" in finding:
            sym, reg = finding.split("@", 1)
            rows.append((cid, cat, f"symptom:{sym}@~{coarse.get(reg, reg)}", float(lik)))
    df = pd.DataFrame(rows, columns=["condition_id", "category", "name", "likelihood"])
    df = df.groupby(["condition_id", "category", "name"], as_index=False)["likelihood"].max()
    names = {n: i for i, n in enumerate(sorted(df["name"].unique()))}
    conds = k.drop_duplicates("condition_id")[["condition_id", "category"]]
    mat = np.full((len(conds), len(names)), prior)
    pos = {c: i for i, c in enumerate(conds["condition_id"])}
    mat[[pos[c] for c in df["condition_id"]], [names[n] for n in df["name"]]] = df["likelihood"].to_numpy()
    cat_of = conds["category"].to_numpy()
    lab = np.stack([mat[cat_of == c].mean(axis=0) if (cat_of == c).any() else np.full(len(names), prior)
                    for c in labels])
    return KnowledgeNB(tuple(labels), names, np.log(lab), np.log1p(-lab))


def findings_from_text(text: str) -> tuple[list[str], list[str]]:
    """(stated, denied) finding names read from a case's text, sentence by sentence."""
    coarse = cached_vocab().region_coarse
    stated: list[str] = []
    denied: list[str] = []
    for sentence in _SENTENCE.split(text):
        toks = concept_tokens(sentence)
        syms = [(t.startswith("N"), t.split("_", 1)[1]) for t in toks if t.lstrip("N").startswith("S_")]
        regs = [t.split("_", 1)[1] for t in toks if t.startswith("R_")]
        for neg, sym in syms:
            out = denied if neg else stated
            for reg in regs or ["leg"]:
                out += [f"symptom:{sym}@{reg}", f"symptom:{sym}@~{coarse.get(reg, reg)}"]
        for t in toks:
            neg = t.startswith("N")
            prefix, _, value = t.lstrip("N").partition("_")
            if prefix in _KIND:
                (denied if neg else stated).append(f"{_KIND[prefix]}:{value}")
    return stated, denied


def predict_nb(model: KnowledgeNB, texts: list[str]) -> np.ndarray:
    """P(label | findings read from the text) for each text, rows x labels (CATEGORIES order)."""
    out = np.zeros((len(texts), len(model.labels)))
    for i, text in enumerate(texts):
        stated, denied = findings_from_text(text)
        logp = np.zeros(len(model.labels))
        for names, table in ((stated, model.log_l), (denied, model.log_1ml)):
            cols = sorted({model.names[n] for n in names if n in model.names})
            if cols:
                logp += table[:, cols].sum(axis=1)
        e = np.exp(logp - logp.max())
        out[i] = e / e.sum()
    return out


def in_scope(model: KnowledgeNB, texts: list[str], labels: list[str], margin: float = 1.5) -> np.ndarray:
    """Whether the knowledge table holds a deciding finding for each case: a finding read from its text whose
    likelihood is highest under the case's own label, and at least `margin` times the next label's. Cases
    without one are out of scope: nothing the articles say, as extracted, points to their answer."""
    out = np.zeros(len(texts), bool)
    for i, (text, label) in enumerate(zip(texts, labels)):
        stated, _ = findings_from_text(text)
        cols = sorted({model.names[n] for n in stated if n in model.names})
        if not cols or label not in model.labels:
            continue
        lik = np.exp(model.log_l[:, cols])                      # labels x findings
        own = model.labels.index(label)
        others = np.delete(lik, own, axis=0).max(axis=0)
        out[i] = bool(((lik.argmax(axis=0) == own) & (lik[own] >= margin * others)).any())
    return out
