"""The knowledge table: P(finding | condition) estimated from the facts, with the facts behind each likelihood.

One row per condition and finding. A finding is a symptom at a region (`numbness@foot`), a pain quality
(`burning`), or a factor of any kind (`twisting_injury`, `slr_positive`, `sitting` ...). Every fact stating a
finding for a condition is evidence with a value:

- a frequency word fixes it: the number `schemas/vocab/frequency.yaml` gives the word ("most people" 0.8,
  "sometimes" 0.3, "rarely" 0.1 ...);
- else a plain statement is `stated` (0.6), a hedged one ("may cause") `hedged` (0.35);
- a negated statement ("does not cause numbness") is `negated` (0.03), whatever its frequency word.

Statements are averaged within a source, then across sources (p), and the average is shrunk towards the
`prior` of a finding nobody states, as if the prior were `prior_strength` more sources:
likelihood = (n_sources * p + prior_strength * prior) / (n_sources + prior_strength).
So "most people" outranks "sometimes", three sources saying it outrank one, and a negated finding falls
below the prior. Red flags of a "see a doctor" section (scope `document`, attached to every condition of an
article) are not evidence about any one condition and are left out; so are facts below `min_confidence`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from symcause.core.params import KnowledgeParams
from symcause.core.vocab import Vocab

FINDING_KINDS: tuple[str, ...] = ("symptom", "quality", "onset", "timing", "exam_finding", "aggravating", "relieving",
                                  "risk_factor", "demographic", "red_flag")
COLUMNS: tuple[str, ...] = ("condition_id", "category", "mimic", "finding_kind", "finding", "likelihood", "n_sources",
                            "n_facts", "n_negated", "fact_ids", "method")


@dataclass(frozen=True)
class Evidence:
    condition_id: str
    finding_kind: str
    finding: str
    source_id: str
    fact_id: str
    value: float
    negated: bool


def fact_value(p: KnowledgeParams, frequencies: dict[str, float], frequency: Any, negated: bool, hedged: bool) -> float:
    """What one statement says about P(finding | condition)."""
    if negated:
        return p.negated
    if isinstance(frequency, str) and frequency in frequencies:
        return frequencies[frequency]
    return p.hedged if hedged else p.stated


def evidence(facts: pd.DataFrame, factors: pd.DataFrame, vocab: Vocab, p: KnowledgeParams) -> list[Evidence]:
    """Every fact (above min_confidence) as evidence for one (condition, finding)."""
    freq = {k: float(v["p"]) for k, v in vocab.frequencies.items()}
    out: list[Evidence] = []
    facts = facts[facts.confidence >= p.min_confidence]
    for r in facts.itertuples():
        v = fact_value(p, freq, r.frequency, bool(r.negated), bool(r.hedged))
        out.append(Evidence(r.condition_id, "symptom", f"{r.symptom}@{r.region}", r.source_id, r.fact_id, v,
                            bool(r.negated)))
        if isinstance(r.quality, str) and not r.negated:
            out.append(Evidence(r.condition_id, "quality", r.quality, r.source_id, r.fact_id, v, False))
    factors = factors[(factors.confidence >= p.min_confidence) & (factors.scope != "document")]
    for r in factors.itertuples():
        v = fact_value(p, freq, r.frequency, bool(r.negated), bool(r.hedged))
        out.append(Evidence(r.condition_id, r.kind, r.factor, r.source_id, r.fact_id, v, bool(r.negated)))
    return out


def likelihood(values_by_source: dict[str, list[float]], p: KnowledgeParams) -> tuple[float, float]:
    """(likelihood, mean of the per-source means) from the values of each source's statements."""
    per_source = [float(np.mean(v)) for _, v in sorted(values_by_source.items())]
    mean = float(np.mean(per_source))
    n = len(per_source)
    return (n * mean + p.prior_strength * p.prior) / (n + p.prior_strength), mean


def build_knowledge(conditions: pd.DataFrame, facts: pd.DataFrame, factors: pd.DataFrame, vocab: Vocab,
                    p: KnowledgeParams) -> pd.DataFrame:
    """The knowledge table, sorted by condition, finding kind and finding (deterministic)."""
    groups: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    ids: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    negs: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in evidence(facts, factors, vocab, p):
        key = (e.condition_id, e.finding_kind, e.finding)
        groups[key][e.source_id].append(e.value)
        ids[key].add(e.fact_id)
        negs[key] += e.negated
    cond = conditions.set_index("condition_id")
    rows = []
    for key in sorted(groups):
        cid, kind, finding = key
        if cid not in cond.index:
            continue
        lik, mean = likelihood(groups[key], p)
        n_src = len(groups[key])
        method = (f"mean of {n_src} source(s) = {mean:.3f} shrunk to prior {p.prior:g} "
                  f"(strength {p.prior_strength:g})")
        rows.append({"condition_id": cid, "category": cond.at[cid, "category"], "mimic": bool(cond.at[cid, "mimic"]),
                     "finding_kind": kind, "finding": finding, "likelihood": round(lik, 6), "n_sources": n_src,
                     "n_facts": len(ids[key]), "n_negated": negs[key], "fact_ids": sorted(ids[key]),
                     "method": method})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def summary(knowledge: pd.DataFrame) -> dict[str, Any]:
    """Counts for the stage's report: rows, conditions, rows per finding kind, likelihood quartiles."""
    q = knowledge.likelihood.quantile([0.25, 0.5, 0.75]).round(4).tolist() if len(knowledge) else [0, 0, 0]
    return {"rows": int(len(knowledge)), "conditions": int(knowledge.condition_id.nunique()),
            "by_kind": {k: int(v) for k, v in knowledge.finding_kind.value_counts().sort_index().items()},
            "multi_source_rows": int((knowledge.n_sources > 1).sum()),
            "likelihood_quartiles": q}
