"""The audit stage on REAL generator output: 6,000 vignettes from the seed fact tables (conftest).

The checks here re-derive the key properties with plain Python (sets and a regex), independently
of the vectorised code in pipeline/audit.py, and check the report's numbers are in range.
"""
from __future__ import annotations

import json
import re

import pytest

from symcause.quality.audit import AuditSettings, run_audit
from symcause.core.params import load_params
from symcause.core.contract import CATEGORIES

SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module")
def audited(seed_tables, seed_vignettes, tmp_path_factory, root):
    """run_audit with the project's params on the seed vignettes: (report dict, reports folder)."""
    from symcause.quality.audit import settings_from_params

    facts_dir, _ = seed_tables
    path, _ = seed_vignettes
    reports = tmp_path_factory.mktemp("audit")
    settings = settings_from_params(load_params(root / "params.yaml").audit_vignettes)
    return run_audit(path, facts_dir, reports, settings), reports


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def test_audit_passes_on_generated_vignettes(audited):
    report, reports = audited
    assert report["validation"]["success"]
    assert report["validation"]["n_failed_expectations"] == 0 and report["validation"]["n_expectations"] >= 20
    assert report["rows"] == 6000
    assert (reports / "validation" / "data_docs" / "index.html").is_file()
    assert not list((reports / "validation").glob("failures_*.csv"))
    assert set(report["traceability"].values()) == {0}


def test_all_six_categories_present_and_balanced(seed_vignettes, audited):
    _, v = seed_vignettes
    report, _ = audited
    shares = v.category.value_counts(normalize=True)
    assert set(shares.index) == set(CATEGORIES)
    s = AuditSettings()
    assert shares.between(s.min_category_share, s.max_category_share).all()
    for split in SPLITS:
        assert set(v.loc[v.split == split, "category"]) == set(CATEGORIES), split
    assert report["category_share"] == {c: pytest.approx(shares[c], abs=1e-6) for c in CATEGORIES}


def test_no_text_in_two_splits(seed_vignettes, audited):
    _, v = seed_vignettes
    by_split = {s: {_norm(t) for t in v.loc[v.split == s, "text"]} for s in SPLITS}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            assert not by_split[a] & by_split[b], (a, b)
    assert audited[0]["duplicates"]["exact_cross_split_rows"] == 0


def test_every_fact_id_traces_to_its_condition(seed_tables, seed_vignettes):
    _, tables = seed_tables
    _, v = seed_vignettes
    owner = dict(zip(tables["facts"].fact_id, tables["facts"].condition_id))
    owner.update(zip(tables["factors"].fact_id, tables["factors"].condition_id))
    stated = {}  # fact id -> (symptom, region) of positive facts
    for r in tables["facts"].itertuples():
        if not r.negated:
            stated[r.fact_id] = (r.symptom, r.region)
    for r in v.itertuples():
        assert len(r.fact_ids) >= 1
        for f in r.fact_ids:
            assert owner.get(f) == r.condition_id, (r.vignette_id, f)
        own = [stated[f] for f in r.fact_ids if f in stated]
        assert set(r.symptoms) <= {s for s, _ in own} | set(r.distractors), r.vignette_id
        assert set(r.regions) <= {g for _, g in own}, r.vignette_id


def test_report_numbers_are_in_range(audited, root):
    report, reports = audited
    assert json.loads((reports / "report.json").read_text()) == report
    lx = report["lexical"]
    assert lx["texts"] == 6000 and lx["vocab_size"] > 200
    assert 0 < lx["distinct_1"] < lx["distinct_2"] < lx["distinct_3"] <= 1
    d = report["duplicates"]
    assert d["near_sample_rows"] == 6000 and d["near_jaccard_threshold"] == 0.8
    assert 0 <= d["near_within_split_rate"] <= 0.05 and 0 <= d["near_cross_split_rate"] <= 0.05
    assert d["exact_within_split_all"] <= 0.02
    g = load_params(root / "params.yaml").generate
    for split, share in g.splits.items():
        assert report["split_share"][split] == pytest.approx(share, abs=0.05)
    for style, share in g.styles.items():
        assert report["style_share"][style] == pytest.approx(share, abs=0.03)
    assert 16 <= report["age"]["min"] <= report["age"]["p50"] <= report["age"]["max"] <= 95
    assert 5 <= report["text_words"]["p50"] <= 100
    assert report["text_words_mean_by_style"]["clinical"] < report["text_words_mean_by_style"]["lay"]
    md = (reports / "report.md").read_text()
    assert "Jaccard similarity >= 0.8" in md and "MinHash" in md and "distinct-3" in md
    for png in ("categories", "style_difficulty", "length_words_by_style", "age_by_sex"):
        assert (reports / "plots" / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
