"""Unit tests of the audit stage's pure functions, and the stage on a small hand-made table."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.audit_vignettes import main
from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError, ValidationFailed
from symcause.core.params import load_params
from symcause.core.vocab import cached_vocab
from symcause.generation.runner import ARROW_SCHEMA
from symcause.quality.audit import (
    AuditSettings,
    cross_split_duplicates,
    duplicate_rates,
    lexical_stats,
    near_duplicate_flags,
    near_duplicate_pairs,
    ngrams,
    normalise_texts,
    run_audit,
    sample_positions,
    settings_from_params,
    split_size_hint,
    tokenise,
    traceability,
)
from symcause.quality.coherence import contradictions, differential_summary
from symcause.quality.gx import load_suite_specs

# ---------------------------------------------------------------------------------------------
# a small, valid world: one condition per category, each with two symptom facts, one negated
# fact and one factor; 120 vignettes in blocks of six (one per category), blocks split 8:1:1

REGIONS = ("knee", "hip", "thigh", "buttock", "calf", "groin")


def fid(i: int) -> str:
    return f"{i:016x}"


def tiny_tables() -> dict[str, pd.DataFrame]:
    facts, factors = [], []
    for k, cat in enumerate(CATEGORIES):
        c = f"cond_{cat}"
        for j, (symptom, region, negated) in enumerate((("pain", REGIONS[k], False), ("numbness", "foot", False),
                                                        ("swelling", "knee", True)), start=1):
            facts.append({"fact_id": fid(100 * k + j), "condition_id": c, "symptom": symptom, "region": region,
                          "negated": negated})
        factors.append({"fact_id": fid(100 * k + 4), "condition_id": c, "factor": "sitting"})
    conditions = pd.DataFrame({"condition_id": [f"cond_{c}" for c in CATEGORIES], "category": list(CATEGORIES)})
    return {"facts": pd.DataFrame(facts), "factors": pd.DataFrame(factors), "conditions": conditions}


def tiny_vignettes(n_blocks: int = 20) -> pd.DataFrame:
    rows = []
    for i in range(6 * n_blocks):
        k = i % 6
        block = i // 6
        split = "train" if block % 10 < 8 else ("val" if block % 10 == 8 else "test")
        neg = i % 3 == 0
        rows.append({
            "vignette_id": "v" + fid(i), "category": CATEGORIES[k], "condition_id": f"cond_{CATEGORIES[k]}",
            "text": f"Case {i}: pain in my {REGIONS[k]} and numb feet for {i + 2} days, worse sitting."
                    + (" No swelling." if neg else ""),
            "age": 20 + i % 60, "sex": "female" if i % 2 else "male", "symptoms": ["pain", "numbness"],
            "regions": [REGIONS[k], "foot"], "factors": ["sitting"], "red_flag": False,
            "style": ("lay", "clinical", "third_person")[i % 3], "difficulty": ("easy", "medium", "hard")[i % 3],
            "fact_ids": [fid(100 * k + 1), fid(100 * k + 2), fid(100 * k + 4)] + ([fid(100 * k + 3)] if neg else []),
            "split": split, "seed": 1, "negated_findings": ["swelling:knee"] if neg else [], "distractors": [],
            "names_condition": False, "side": "left", "onset": None, "exam_findings": [],
            "differential": {c: 0.5 if c == CATEGORIES[k] else 0.1 for c in CATEGORIES}, "label_supported": True,
        })
    return pd.DataFrame(rows)


def write_world(tmp_path: Path, v: pd.DataFrame) -> tuple[Path, Path]:
    facts_dir = tmp_path / "facts"
    facts_dir.mkdir(exist_ok=True)
    for name, df in tiny_tables().items():
        df.to_parquet(facts_dir / f"{name}.parquet", index=False)
    path = tmp_path / "vignettes.parquet"
    pq.write_table(pa.Table.from_pandas(v, schema=ARROW_SCHEMA, preserve_index=False), path)
    return path, facts_dir


SMALL = AuditSettings(gx_sample_rows=1000, text_sample_rows=200, near_dup_sample_rows=200)


# ---------------------------------------------------------------------------------------------
# text helpers and lexical diversity


def test_normalise_texts_lowercases_and_collapses_punctuation():
    out = normalise_texts(["I'm 33 (M). Knee-pain!", "  Crépitus   ÉTÉ ", ""])
    assert out.tolist() == ["i m 33 m knee pain", "crépitus été", ""]


def test_distinct_n_on_a_tiny_input_is_exact():
    stats = lexical_stats(["a b c", "a b d"])
    # unigrams a b c a b d: 4 distinct of 6; bigrams ab bc ab bd: 3 of 4; trigrams abc abd: 2 of 2
    assert stats["tokens"] == 6 and stats["vocab_size"] == 4
    assert stats["distinct_1"] == round(4 / 6, 6)
    assert stats["distinct_2"] == 0.75
    assert stats["distinct_3"] == 1.0


def test_distinct_n_uses_normalised_words_and_does_not_cross_texts():
    stats = lexical_stats(["The cat sat.", "the CAT, sat"])
    assert stats["distinct_1"] == 0.5 and stats["distinct_2"] == 0.5 and stats["distinct_3"] == 0.5
    doc, codes = tokenise(normalise_texts(["x y", "z"]))
    d, ids = ngrams(doc, codes, 2)
    assert d.tolist() == [0] and len(ids) == 1  # "y z" would cross the two texts


def test_sample_positions_is_deterministic_and_nested():
    ids = pd.Series([f"v{i:016x}" for i in range(1000)])
    a = sample_positions(ids, 100)
    assert len(a) == 100 and np.all(np.diff(a) > 0)
    shuffled = ids.sample(frac=1, random_state=3).reset_index(drop=True)
    b = sample_positions(shuffled, 100)
    assert set(shuffled.iloc[b]) == set(ids.iloc[a])  # same rows, whatever the order
    assert set(ids.iloc[a]) <= set(ids.iloc[sample_positions(ids, 300)])
    assert sample_positions(ids, 5000).tolist() == list(range(1000))


# ---------------------------------------------------------------------------------------------
# near duplicates


def _random_texts(n: int, words: int, seed: int) -> list[str]:
    r = random.Random(seed)
    return [" ".join(f"w{r.randrange(5000)}" for _ in range(words)) for _ in range(n)]


def test_near_duplicate_finder_finds_a_planted_near_duplicate_only():
    texts = _random_texts(60, 40, seed=7)
    words = texts[0].split()
    words[20] = "changed"  # one word: 3 of 38 shingles differ on each side -> Jaccard 35/41
    texts.append(" ".join(words) + ".")
    far = texts[1].split()
    for k in range(0, 40, 4):
        far[k] = f"other{k}"  # every shingle touched: far below the threshold
    texts.append(" ".join(far))
    pairs = near_duplicate_pairs(texts, threshold=0.8)
    assert pairs[["i", "j"]].values.tolist() == [[0, 60]]
    assert pairs["jaccard"].iloc[0] == pytest.approx(35 / 41)


def test_near_duplicate_finder_ignores_distinct_texts():
    assert near_duplicate_pairs(_random_texts(200, 30, seed=1), threshold=0.8).empty


def test_near_duplicate_flags_within_and_across_splits():
    base = _random_texts(4, 40, seed=11)
    words = base[0].split()
    near = " ".join(words[:10] + ["x"] + words[11:])
    texts = pd.Series([base[0], near, base[1], base[1].upper(), base[2], base[3]])
    splits = pd.Series(["train", "test", "train", "train", "val", "train"])
    own, other, n_pairs = near_duplicate_flags(texts, splits)
    assert own.tolist() == [False, False, True, True, False, False]   # exact copy (after normalisation) in train
    assert other.tolist() == [True, True, False, False, False, False]  # the near pair spans train / test
    assert n_pairs == 1  # pairs of distinct texts; the exact copy is one text


# ---------------------------------------------------------------------------------------------
# traceability and cross-split duplicates


def test_traceability_passes_a_consistent_table():
    t = tiny_tables()
    counts, cases = traceability(tiny_vignettes(2), t["facts"], t["factors"], t["conditions"])
    assert counts.to_numpy().sum() == 0 and cases.empty


def test_traceability_flags_planted_foreign_symptoms_and_fact_ids():
    t = tiny_tables()
    v = tiny_vignettes(2)  # rows 0..5: one per category (row k has category k)
    v.at[0, "symptoms"] = ["pain", "fever"]                          # no fact of its condition states fever
    v.at[1, "fact_ids"] = v.at[1, "fact_ids"] + [fid(100 * 0 + 1)]   # a fact of cond_spinal on a hip_joint case
    v.at[2, "fact_ids"] = v.at[2, "fact_ids"] + ["ffffffffffffffff"]  # in neither table
    v.at[3, "category"] = "spinal"                                   # cond_soft_tissue is soft_tissue
    v.at[4, "regions"] = [REGIONS[4], "toes"]                         # no own fact at the toes
    v.at[5, "negated_findings"] = ["swelling:thigh"]                  # no own negated fact there
    v.at[6, "symptoms"] = ["pain", "numbness", "headache"]            # a declared distractor passes
    v.at[6, "distractors"] = ["headache"]
    v.at[7, "factors"] = ["sitting", "running"]                       # no own factor fact for running
    v.at[8, "negated_findings"] = ["tingling"]                        # generic negative: no fact needed
    counts, cases = traceability(v, t["facts"], t["factors"], t["conditions"])
    nonzero = {(int(r), c) for r, c in zip(*np.nonzero(counts.to_numpy()))}
    col = {c: k for k, c in enumerate(counts.columns)}
    assert nonzero == {(0, col["n_untraceable_symptoms"]), (1, col["n_foreign_fact_ids"]),
                       (2, col["n_unknown_fact_ids"]), (3, col["n_category_mismatch"]),
                       (4, col["n_untraceable_regions"]), (5, col["n_untraceable_negations"]),
                       (7, col["n_untraceable_factors"])}
    got = set(zip(cases.vignette_id, cases.check, cases.failure_case))
    assert ("v" + fid(0), "n_untraceable_symptoms", "fever") in got
    assert ("v" + fid(1), "n_foreign_fact_ids", f"{fid(1)} (of cond_spinal)") in got
    assert ("v" + fid(2), "n_unknown_fact_ids", "ffffffffffffffff") in got
    assert ("v" + fid(5), "n_untraceable_negations", "swelling:thigh") in got


def test_contradictions_pass_a_coherent_table_and_flag_planted_ones():
    v, t = tiny_vignettes(2), tiny_tables()
    vocab = cached_vocab()
    counts, cases = contradictions(v, vocab, t["facts"])
    assert counts.to_numpy().sum() == 0 and cases.empty
    v.loc[0, "text"] = "Pain in my left knee and my right knee."                 # both sides, one-sided problem
    v.loc[1, "text"] = "Rt hip pain."                                             # a side other than the row's
    v.loc[2, "negated_findings"] = ["numbness:thigh"]                            # numbness is also stated
    v.at[3, "negated_findings"] = ["pain:toes"]                                   # pain (buttock) stops above the toes
    v.at[4, "side"] = "both"                                                      # category hip_joint: never both legs
    counts, cases = contradictions(v, vocab, t["facts"])
    assert counts.loc[0, "n_both_sides_one_sided"] == 1 and counts.loc[4, "n_both_sides_one_sided"] == 1
    assert counts.loc[1, "n_side_mismatch"] == 1 and counts.loc[0, "n_side_mismatch"] == 0
    assert counts.loc[2, "n_affirmed_and_negated"] == 1
    # row 3 (soft_tissue): its pain fact is in the buttock, above the toes: "it never reaches the toes" is coherent
    assert counts.loc[3, "n_affirmed_and_negated"] == 0
    v.at[3, "negated_findings"] = ["pain:lower_back"]     # "no pain below the lumbar spine" with buttock pain is not
    assert contradictions(v, vocab, t["facts"])[0].loc[3, "n_affirmed_and_negated"] == 1
    # a pertinent negative denies pain at a region only: "my back is fine" with buttock pain is coherent, "no
    # buttock pain" is not
    v.at[3, "negated_findings"] = ["pain@lower_back"]
    assert contradictions(v, vocab, t["facts"])[0].loc[3, "n_affirmed_and_negated"] == 0
    v.at[3, "negated_findings"] = ["pain@buttock"]
    assert contradictions(v, vocab, t["facts"])[0].loc[3, "n_affirmed_and_negated"] == 1
    v.at[3, "negated_findings"] = ["pain@lower_back"]
    assert traceability(v, t["facts"], t["factors"], t["conditions"])[0].loc[3, "n_untraceable_negations"] == 0
    assert set(cases["check"]) == {"n_both_sides_one_sided", "n_side_mismatch", "n_affirmed_and_negated"}


def test_differential_summary_by_difficulty():
    v = tiny_vignettes(2)
    d = differential_summary(v)
    assert d["labels"] == list(CATEGORIES)
    assert d["easy"]["top1_share"] == 1.0 and d["easy"]["supported_share"] == 1.0
    h = -(0.5 * np.log2(0.5) + 5 * 0.1 * np.log2(0.1))
    assert abs(d["medium"]["entropy_bits_mean"] - round(h, 4)) < 1e-4


def test_traceability_flags_an_unknown_condition():
    t = tiny_tables()
    v = tiny_vignettes(1)
    v.at[0, "condition_id"] = "cond_nowhere"
    counts, _ = traceability(v, t["facts"], t["factors"], t["conditions"])
    assert counts.at[0, "n_unknown_condition"] == 1
    assert counts.at[0, "n_foreign_fact_ids"] == 4  # its facts (three positive, one negated) are cond_spinal's


def test_cross_split_duplicates_after_normalisation():
    texts = pd.Series(["Knee pain!", "knee  pain", "Hip pain", "hip pain.", "Calf pain"])
    splits = pd.Series(["train", "test", "train", "train", "val"])
    key, _ = pd.factorize(normalise_texts(texts))
    assert cross_split_duplicates(key, splits).tolist() == [1, 1, 0, 0, 0]
    rates = duplicate_rates(key, splits)
    assert rates["exact_within_split"] == {"train": round(1 - 2 / 3, 6), "val": 0.0, "test": 0.0}
    assert rates["exact_cross_split_rows"] == 2 and rates["exact_cross_split_texts"] == 1
    assert rates["exact_cross_split_rate"] == 0.4


# ---------------------------------------------------------------------------------------------
# params and suite loading


def test_settings_reject_inverted_bounds(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("audit_vignettes:\n  min_category_share: 0.3\n  max_category_share: 0.2\n")
    with pytest.raises(BadInputError, match="min_category_share"):
        settings_from_params(load_params(p).audit_vignettes, str(p))
    p.write_text("audit_vignettes:\n  near_dup_jaccard: 1.5\n")
    with pytest.raises(BadInputError, match="audit_vignettes.near_dup_jaccard"):
        load_params(p)


def test_project_params_fill_every_suite_parameter(root):
    s = settings_from_params(load_params(root / "params.yaml").audit_vignettes)
    import dataclasses

    specs = load_suite_specs(root / "schemas" / "expectations", dataclasses.asdict(s), names=["vignettes"],
                             section="audit_vignettes")
    assert list(specs) == ["vignettes"]
    kwargs = [e["kwargs"] for e in specs["vignettes"]["expectations"]]
    assert not any(isinstance(x, str) and x.startswith("$") for k in kwargs for x in k.values())
    with pytest.raises(BadInputError, match="'audit_vignettes'"):
        load_suite_specs(root / "schemas" / "expectations", {}, names=["vignettes"], section="audit_vignettes")


# ---------------------------------------------------------------------------------------------
# the stage on the hand-made table


def test_stage_passes_and_is_deterministic(tmp_path):
    path, facts_dir = write_world(tmp_path, tiny_vignettes())
    r = run_audit(path, facts_dir, tmp_path / "a", SMALL)
    assert r["validation"]["success"] and r["validation"]["n_failed_expectations"] == 0
    assert r["rows"] == 120 and r["category_share"] == {c: round(1 / 6, 6) for c in CATEGORIES}
    assert r["duplicates"]["exact_cross_split_rows"] == 0
    for f in ("report.json", "report.md", "validation/summary.json", "validation/data_docs/index.html",
              "plots/categories.png", "plots/style_difficulty.png", "plots/length_words_by_style.png",
              "plots/age_by_sex.png", "plots/category_counts.csv", "plots/length_hist.csv"):
        assert (tmp_path / "a" / f).is_file(), f
    assert not list((tmp_path / "a" / "validation").glob("failures_*.csv"))
    run_audit(path, facts_dir, tmp_path / "b", SMALL)
    for f in ("report.json", "report.md", "plots/categories.png", "plots/length_hist.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert json.loads((tmp_path / "a" / "report.json").read_text()) == r


def test_broken_table_fails_the_stage_with_failure_cases(tmp_path):
    v = tiny_vignettes()
    v.at[0, "fact_ids"] = v.at[0, "fact_ids"] + [fid(100 * 3 + 1)]  # a soft_tissue fact on a spinal case
    v.at[119, "text"] = v.at[0, "text"].upper() + "!"                # row 119 is in test, row 0 in train
    path, facts_dir = write_world(tmp_path, v)
    reports = tmp_path / "r"
    with pytest.raises(ValidationFailed, match="audit failed"):
        run_audit(path, facts_dir, reports, SMALL)
    trace = pd.read_csv(reports / "validation" / "failures_traceability.csv")
    assert ("v" + fid(0), "n_foreign_fact_ids") in set(zip(trace.vignette_id, trace.check))
    cross = pd.read_csv(reports / "validation" / "failures_cross_split.csv")
    assert set(cross.vignette_id) == {"v" + fid(0), "v" + fid(119)}
    failed = pd.read_csv(reports / "validation" / "failures_expectations.csv")
    for col in ("n_foreign_fact_ids", "n_cross_split_dups"):
        assert failed.kwargs.str.contains(f"'{col}'").any(), col
    summary = json.loads((reports / "validation" / "summary.json").read_text())
    assert summary["success"] is False and summary["traceability"]["n_foreign_fact_ids"] == 1


def test_schema_violation_fails_before_any_other_check(tmp_path):
    v = tiny_vignettes()
    v.at[5, "age"] = 200
    v.at[6, "style"] = "poetic"
    path, facts_dir = write_world(tmp_path, v)
    with pytest.raises(ValidationFailed, match="schema violation"):
        run_audit(path, facts_dir, tmp_path / "r", SMALL)
    cases = pd.read_csv(tmp_path / "r" / "validation" / "failures_schema.csv")
    assert {"200", "poetic"} <= set(cases.failure_case.astype(str))
    assert not (tmp_path / "r" / "report.json").exists()


def test_main_names_a_missing_table_and_exits_2(tmp_path, capsys):
    p = tmp_path / "params.yaml"
    p.write_text(f"audit_vignettes:\n  vignettes: {tmp_path / 'nope.parquet'}\n  facts_dir: {tmp_path}\n"
                 f"  reports: {tmp_path / 'r'}\n")
    assert main(["--params", str(p)]) == 2
    err = capsys.readouterr().err
    assert "nope.parquet" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0


def test_too_few_rows_for_the_split_bounds_names_the_param(tmp_path):
    v = tiny_vignettes()
    v.loc[v["split"] == "test", "category"] = "spinal"          # one category fills the test split
    v.loc[v["split"] == "test", "condition_id"] = "cond_spinal"
    path, facts_dir = write_world(tmp_path, v)
    with pytest.raises(ValidationFailed, match=r"generate\.n"):
        run_audit(path, facts_dir, tmp_path / "r", SMALL)


def test_split_size_hint_only_for_share_bounds_on_small_tables():
    v = pd.DataFrame({"split": ["train"] * 5000 + ["test"] * 3000})
    share = [{"kwargs": {"column": "category_share_in_split"}}]
    assert split_size_hint(share, v) == ""                          # splits large enough: the bounds are real
    small = pd.DataFrame({"split": ["train"] * 1500 + ["test"] * 300})
    assert "generate.n" in split_size_hint(share, small) and "300 rows" in split_size_hint(share, small)
    assert split_size_hint([{"kwargs": {"column": "n_cross_split_dups"}}], small) == ""
