"""The knowledge table: P(finding | condition) from the facts, with the facts behind each likelihood."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from symcause.core.params import KnowledgeParams
from symcause.core.tables import validate_table
from symcause.core.vocab import cached_vocab
from symcause.extraction.tables import extract_tables
from symcause.knowledge.estimate import build_knowledge, fact_value, likelihood
from symcause.knowledge.report import heatmap_matrix

ARTICLES = {
    "a.txt": "Sciatica causes numbness in the foot in most people. Sciatica sometimes causes weakness in the thigh. "
             "Sciatica does not cause swelling of the knee. Sciatica causes tingling in the toes.",
    "b.txt": "Sciatica causes tingling in the toes and pain in the buttock.",
    "c.txt": "With sciatica, tingling in the toes is common.",
    "d.txt": "Sciatica causes tingling in the toes. A deep vein thrombosis causes swelling of the calf.",
}


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("articles")
    for name, text in ARTICLES.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    t, _ = extract_tables([folder], 1_000_000, progress=False)
    return build_knowledge(t["conditions"], t["facts"], t["factors"], cached_vocab(), KnowledgeParams())


def lik(k: pd.DataFrame, cond: str, kind: str, finding: str) -> float:
    row = k[(k.condition_id == cond) & (k.finding_kind == kind) & (k.finding == finding)]
    assert len(row) == 1, (cond, kind, finding, k[k.condition_id == cond][["finding_kind", "finding"]].values.tolist())
    return float(row.likelihood.iloc[0])


def test_most_people_outranks_sometimes(knowledge):
    assert lik(knowledge, "sciatica", "symptom", "numbness@foot") > lik(knowledge, "sciatica", "symptom", "weakness@thigh")


def test_three_sources_outrank_one(knowledge):
    three = knowledge[(knowledge.condition_id == "sciatica") & (knowledge.finding == "tingling@toes")].iloc[0]
    once = knowledge[(knowledge.condition_id == "sciatica") & (knowledge.finding == "pain@buttock")].iloc[0]
    assert three.n_sources >= 3 and once.n_sources == 1
    assert three.likelihood > once.likelihood


def test_a_negated_finding_gets_a_low_likelihood(knowledge):
    p = KnowledgeParams()
    neg = lik(knowledge, "sciatica", "symptom", "swelling@knee")
    assert neg < p.prior and neg < lik(knowledge, "sciatica", "symptom", "pain@buttock")
    row = knowledge[(knowledge.condition_id == "sciatica") & (knowledge.finding == "swelling@knee")].iloc[0]
    assert row.n_negated == row.n_facts == 1


def test_every_row_names_its_facts_and_method_and_passes_the_contract(knowledge, tmp_path):
    validate_table("knowledge", knowledge)
    assert knowledge.fact_ids.map(len).eq(knowledge.n_facts).all()
    assert knowledge.method.str.contains("source").all()
    dvt = knowledge[knowledge.condition_id == "deep_vein_thrombosis"]
    assert len(dvt) and dvt.mimic.all()               # mimics keep their rows, flagged


def test_likelihood_is_the_shrunk_mean_of_sources():
    p = KnowledgeParams(prior=0.05, prior_strength=1.0)
    value, mean = likelihood({"s1": [0.8, 0.6], "s2": [0.3]}, p)
    assert mean == pytest.approx((0.7 + 0.3) / 2)
    assert value == pytest.approx((2 * 0.5 + 1 * 0.05) / 3)


def test_fact_value_follows_frequency_then_hedge_then_negation():
    p = KnowledgeParams()
    freq = {"most": 0.8, "sometimes": 0.3}
    assert fact_value(p, freq, "most", False, True) == 0.8
    assert fact_value(p, freq, None, False, True) == p.hedged
    assert fact_value(p, freq, None, False, False) == p.stated
    assert fact_value(p, freq, "most", True, False) == p.negated


def test_heatmap_picks_the_top_findings(knowledge):
    m = heatmap_matrix(knowledge, 5, 4)
    assert 0 < m.shape[0] <= 5 and 0 < m.shape[1] <= 4
    assert ((m.values >= 0) & (m.values < 1)).all() and "deep_vein_thrombosis" not in m.index   # mimics left out
    assert "sciatica" in m.index


def test_the_built_table_is_valid(root):
    path = Path(root) / "data" / "knowledge" / "knowledge.parquet"
    if not path.is_file():
        pytest.skip("data/knowledge not built (make repro)")
    k = validate_table("knowledge", pd.read_parquet(path))
    assert k.condition_id.nunique() >= 50 and (k.n_sources > 1).sum() > 100
