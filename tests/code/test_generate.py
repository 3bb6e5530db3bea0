"""The vignette generator: determinism, traceability, balance, splits, params and bad input."""

from __future__ import annotations

import dataclasses
import hashlib
import re

import pandas as pd
import pytest

from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError
from symcause.core.params import load_params
from symcause.core.vocab import cached_vocab
from symcause.generation.runner import (
    SPLITS,
    Composer,
    content_signature,
    load_composer,
    run_generate,
    settings_from_params,
    spread_pair,
    tidy,
)


@pytest.fixture(scope="module")
def settings(root):
    return settings_from_params(load_params(root / "params.yaml").generate)


@pytest.fixture(scope="module")
def composer(seed_tables, settings) -> Composer:
    return load_composer(seed_tables[0], settings)


def _gen(facts_dir, out, n, seed, settings, **kw):
    run_generate(facts_dir, n, seed, out, settings, progress=False, **kw)
    return out.read_bytes()


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_same_seed_gives_identical_bytes_and_another_seed_differs(seed_tables, settings, tmp_path):
    facts = seed_tables[0]
    a = _gen(facts, tmp_path / "a.parquet", 3000, 7, settings, batch_size=1000)
    b = _gen(facts, tmp_path / "b.parquet", 3000, 7, settings, batch_size=1000)
    _gen(facts, tmp_path / "c.parquet", 3000, 8, settings, batch_size=1000)
    assert _sha(a) == _sha(b)
    ta, tc = pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "c.parquet")
    assert (ta.text != tc.text).mean() > 0.9


def test_output_does_not_depend_on_the_number_of_workers(seed_tables, settings, tmp_path):
    facts = seed_tables[0]
    one = _gen(facts, tmp_path / "one.parquet", 2500, 3, settings, batch_size=500, workers=1)
    two = _gen(facts, tmp_path / "two.parquet", 2500, 3, settings, batch_size=500, workers=2)
    assert _sha(one) == _sha(two)


def test_row_groups_follow_the_batch_size(seed_tables, settings, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "v.parquet"
    run_generate(seed_tables[0], 2300, 1, out, settings, batch_size=1000, progress=False)
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == 2300
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000, 1000, 300]


def test_every_fact_id_belongs_to_the_vignettes_condition(seed_vignettes, seed_tables):
    _, df = seed_vignettes
    tables = seed_tables[1]
    owner = dict(zip(tables["facts"].fact_id, tables["facts"].condition_id))
    owner.update(zip(tables["factors"].fact_id, tables["factors"].condition_id))
    for row in df.itertuples():
        assert len(row.fact_ids) >= 1
        assert all(owner[f] == row.condition_id for f in row.fact_ids), row.vignette_id


def test_symptoms_regions_and_factors_come_from_the_cited_facts(seed_vignettes, seed_tables):
    _, df = seed_vignettes
    facts = seed_tables[1]["facts"].set_index("fact_id")
    factors = seed_tables[1]["factors"].set_index("fact_id")
    with_factors = 0
    for row in df.head(1500).itertuples():
        cited = facts.loc[[f for f in row.fact_ids if f in facts.index]]
        positive = cited[~cited.negated]
        assert set(row.symptoms) <= set(positive.symptom)
        assert set(row.regions) <= set(positive.region)
        cited_factors = factors.loc[[f for f in row.fact_ids if f in factors.index]]
        assert set(row.factors) <= set(cited_factors.factor), row.vignette_id
        with_factors += bool(len(row.factors))
    assert with_factors > 300  # the check above is not vacuous


def test_categories_are_balanced_and_labels_match_conditions(seed_vignettes, seed_tables):
    _, df = seed_vignettes
    shares = df.category.value_counts(normalize=True)
    assert set(shares.index) == set(CATEGORIES)
    assert shares.min() > 0.13 and shares.max() < 0.20
    cat_of = dict(zip(seed_tables[1]["conditions"].condition_id, seed_tables[1]["conditions"].category))
    assert (df.condition_id.map(cat_of) == df.category).all()


def test_voices_difficulties_and_rates_follow_params(seed_vignettes, settings):
    _, df = seed_vignettes
    style = df["style"].value_counts(normalize=True)
    for k, v in settings.styles.items():
        assert abs(style[k] - v) < 0.03
    diff = df.difficulty.value_counts(normalize=True)
    for k, v in settings.difficulty.items():
        assert abs(diff[k] - v) < 0.03
    assert abs(df.names_condition.mean() - settings.name_rate) < 0.02
    # harder cases carry more noise
    noise = df.assign(n=df.distractors.str.len()).groupby("difficulty").n.mean()
    assert noise["easy"] < noise["medium"] < noise["hard"]
    negs = df.assign(n=df.negated_findings.str.len() > 0).groupby("difficulty").n.mean()
    assert negs["easy"] < negs["hard"]


def test_voices_read_differently(seed_vignettes):
    _, df = seed_vignettes
    lay = df[df["style"] == "lay"].text
    clin = df[df["style"] == "clinical"].text
    third = df[df["style"] == "third_person"].text
    assert lay.str.contains(r"\b(?:I|I've|I'm|my)\b").mean() > 0.95
    assert clin.str.contains(r"\b\d{2}\s?(?:yo|y/o)?\s?(?:[FM]|male|female)\b|\bc/o\b|\bPC:|-year-old").mean() > 0.8
    assert third.str.contains(r"\b(?:he|she|his|her|He|She|His|Her)\b").mean() > 0.9
    assert clin.str.contains(r"\bI've\b").mean() < 0.01


def test_condition_names_appear_only_when_flagged(seed_vignettes, seed_tables):
    _, df = seed_vignettes
    names = dict(zip(seed_tables[1]["conditions"].condition_id, seed_tables[1]["conditions"].name))
    unflagged = df[~df.names_condition].head(2000)
    hits = sum(names[c].lower() in t.lower() for c, t in zip(unflagged.condition_id, unflagged.text))
    assert hits / len(unflagged) < 0.02


def test_demographics_are_in_range_and_follow_condition_priors(seed_vignettes, settings):
    _, df = seed_vignettes
    assert df.age.between(settings.age_min, settings.age_max).all()
    # truncated, not clamped: the bounds do not pile up
    assert (df.age == settings.age_min).mean() < 3 * (df.age == settings.age_min + 1).mean() + 0.005
    assert set(df.sex) == {"female", "male"}
    by_cond = df.groupby("condition_id").age.mean()
    # both conditions are in the seed articles, so both must be generated (a missing one is a failure)
    assert {"hip_osteoarthritis", "patellofemoral_pain_syndrome"} <= set(by_cond.index)
    assert by_cond["hip_osteoarthritis"] > by_cond["patellofemoral_pain_syndrome"] + 15


def test_the_same_content_never_lands_in_two_splits(seed_vignettes):
    _, df = seed_vignettes
    sig = df.apply(lambda r: content_signature(r.category, list(r.fact_ids), list(r.factors),
                                               list(r.negated_findings)) + f"|{r['style']}|{r.sex[0].upper()}",
                   axis=1)
    per_sig = df.assign(sig=sig).groupby("sig").split.nunique()
    assert (per_sig == 1).all()
    norm = df.text.str.lower().str.replace(r"[^a-z0-9 ]", "", regex=True)
    per_text = df.assign(norm=norm).groupby("norm").split.nunique()
    assert (per_text == 1).all()
    shares = df.split.value_counts(normalize=True)
    assert set(shares.index) == set(SPLITS) and 0.7 < shares["train"] < 0.9


def test_held_out_conditions_only_appear_in_test(seed_tables, settings, tmp_path):
    held = sorted(seed_tables[1]["conditions"].query("category == 'knee_joint'").condition_id)[:1]
    s = dataclasses.replace(settings, holdout_conditions=tuple(held))
    out = tmp_path / "h.parquet"
    run_generate(seed_tables[0], 3000, 5, out, s, batch_size=1000, progress=False)
    df = pd.read_parquet(out)
    rows = df[df.condition_id.isin(held)]
    assert len(rows) > 0 and (rows.split == "test").all()


def test_unknown_holdout_condition_is_a_bad_input(seed_tables, settings, tmp_path):
    s = dataclasses.replace(settings, holdout_conditions=("no_such_condition",))
    with pytest.raises(BadInputError, match="holdout_conditions.*no_such_condition"):
        run_generate(seed_tables[0], 10, 1, tmp_path / "x.parquet", s, progress=False)
    assert not (tmp_path / "x.parquet").exists()


def test_missing_facts_folder_names_the_file(settings, tmp_path):
    with pytest.raises(BadInputError, match=str(tmp_path / "nope")):
        run_generate(tmp_path / "nope", 10, 1, tmp_path / "x.parquet", settings, progress=False)


def test_spread_runs_from_proximal_to_distal():
    lv = cached_vocab().region_level
    assert spread_pair(["foot", "lower_back"], lv) == ("lower_back", "foot")
    assert spread_pair(["buttock", "calf", "foot"], lv) == ("buttock", "calf")
    assert spread_pair(["knee", "knee_front"], lv) is None  # same level: no direction to state
    assert spread_pair(["leg", "foot"], lv) is None
    assert spread_pair(["knee"], lv) is None


def test_generated_text_never_says_pain_moves_up(composer):
    texts = composer.texts(2000, 11)
    assert not any("moves up" in t for t in texts)
    assert sum("down" in t for t in texts) > 50


def test_first_person_becomes_third_person():
    from symcause.generation.composer import _third

    assert _third("I have flat feet", "she", "her", "her") == "she has flat feet"
    assert _third("I always favour one leg", "he", "his", "him") == "he always favours one leg"
    assert _third("I've got weak glutes and my knee hurts", "she", "her", "her") == "she has got weak glutes and her knee hurts"
    assert _third("I can't feel my foot", "he", "his", "him") == "he can't feel his foot"


def test_tidy_fixes_articles_and_capitals():
    assert tidy("i saw a ache.  it hurts") == "I saw an ache. It hurts"
    assert tidy("A 18-year-old and a 80-year-old, a 28-year-old") == "An 18-year-old and an 80-year-old, a 28-year-old"


def test_generated_text_has_no_template_seams(composer):
    """Slots filled into templates read as English: no doubled or clashing determiners, no empty slots."""
    texts = composer.texts(4000, 5)
    seams = re.compile(r"\b(?:a a|the the|my my|my the|the my|his the|her the|a an|past a|last a|past an|last an)\b"
                       r"|\{|\}|  |\.\.|\s[,.]")
    bad = [t for t in texts if seams.search(t)]
    assert not bad, bad[:5]
    assert all(t[0].isupper() or t[0].isdigit() or t[0] in "(?!" for t in texts)


def test_unquoted_yaml_in_wording_is_refused_with_the_key(tmp_path):
    from symcause.core.vocab import load_yaml
    from symcause.generation.composer import _check_strings

    f = tmp_path / "phrases.yaml"
    f.write_text("red_flag_phrases:\n  blood_clot: {lay: [my calf is swollen], clinical: [?DVT]}\n")
    with pytest.raises(BadInputError, match=r"phrases.yaml: red_flag_phrases: blood_clot: clinical\[0\]"):
        _check_strings(load_yaml(f), str(f))


def test_columnar_template_fill_equals_str_format():
    """_Templates.fill formats a column of templates with a constant number of kernel calls; it must give what
    str.format gives row by row, capitalised one-letter slots included."""
    import numpy as np
    import pyarrow as pa

    from symcause.generation.composer import _CTX_SLOTS, _Templates

    groups = [["I've had {s} for {d}.", "{S} - started {d} ago.", "Can anyone help? {C}, going on {d} now."],
              ["{age}{sx} c/o {s} x {d}.", "Otherwise well.", "{F} makes it worse, says {pro}."]]
    t = _Templates(groups, _CTX_SLOTS, "test")
    rng = np.random.default_rng(0)
    size = 400
    cols = {"s": [f"pain in my knee {i}" for i in range(size)], "d": [f"{i} weeks" for i in range(size)],
            "c": [f"it aches {i}" for i in range(size)], "age": [str(20 + i % 60) for i in range(size)],
            "sx": ["F" if i % 2 else "M" for i in range(size)], "f": [f"walking {i}" for i in range(size)],
            "pro": ["she" if i % 2 else "he" for i in range(size)]}
    rows = np.sort(rng.choice(size, 150, replace=False))
    tid = rng.integers(0, len(t.flat), len(rows))
    got = t.fill(tid, rows, {k: pa.array(v) for k, v in cols.items()}).to_pylist()

    def cap(x: str) -> str:
        return x[:1].upper() + x[1:]

    want = [t.flat[k].format(**{n: v[i] for n, v in cols.items()}, S=cap(cols["s"][i]), C=cap(cols["c"][i]),
                                F=cap(cols["f"][i]))
            for k, i in zip(tid, rows)]
    assert got == want


def test_a_template_with_an_unknown_slot_is_refused_with_its_text():
    from symcause.generation.composer import _CTX_SLOTS, _Templates

    with pytest.raises(BadInputError, match=r"templates.yaml: template 'It hurts in \{place\}\.': unknown slot \{place\}"):
        _Templates([["It hurts in {place}."]], _CTX_SLOTS, "schemas/vocab/templates.yaml")


def test_generated_text_is_already_tidy(composer):
    """The column-wise tidy (Arrow kernels, with tidy() for the rare leftovers) leaves nothing tidy() would change."""
    texts = composer.texts(5000, 9)
    assert [t for t in texts if tidy(t) != t] == []


def test_vignette_ids_are_unique_across_batches_and_differ_by_seed(seed_tables, settings, tmp_path):
    out = tmp_path / "ids.parquet"
    run_generate(seed_tables[0], 5000, 4, out, settings, batch_size=700, progress=False)
    ids = pd.read_parquet(out).vignette_id
    assert ids.is_unique and ids.str.fullmatch(r"v[0-9a-f]{16}").all()
    from symcause.generation.composer import vignette_ids

    assert vignette_ids(4, 0, 5000) == list(ids)
    assert not set(vignette_ids(5, 0, 5000)) & set(ids)


def test_third_person_cases_do_not_speak_in_the_first_person(seed_vignettes):
    """Risk factors, red flags, distractors and symptom clauses are rewritten ('I have flat feet' -> 'she has
    flat feet'); only a relative writing about them says 'I'."""
    _, df = seed_vignettes
    third = df[df["style"] == "third_person"].text
    assert not third.str.contains(r"\bI (?:have|get|can't|feel|am|do|run)\b").any()
    assert third.str.contains(r"\b(?:she|he) (?:has|gets|can't|feels|is|does|runs)\b").mean() > 0.05


@pytest.mark.parametrize("power", [0.0, 1.0])
def test_conditions_are_drawn_by_the_sources_that_discuss_them(seed_tables, settings, power):
    # within a category a condition is drawn with weight n_sources ** power (0: uniform)
    import numpy as np

    comp = load_composer(seed_tables[0], dataclasses.replace(settings, condition_weight_power=power))
    plan = comp.plan(np.random.default_rng(7), 60_000)
    drawn = np.bincount(plan.p, minlength=len(comp.profiles)) / 60_000
    for c in comp.cats:
        idx = [i for i, p in enumerate(comp.profiles) if p.category == c]
        w = np.array([comp.profiles[i].n_sources ** power for i in idx], dtype=float)
        expected = w / w.sum() / len(comp.cats)
        assert np.allclose(drawn[idx], expected, atol=0.01), (c, drawn[idx], expected)
    assert all(p.n_sources >= 1 for p in comp.profiles)


def test_likelihood_cap_states_a_fact_at_most_about_as_often_as_its_likelihood(seed_tables, settings):
    import numpy as np

    comp = load_composer(seed_tables[0], dataclasses.replace(settings, likelihood_cap=True))
    # a profile whose every fact is drawn in every case (k >= its number of facts): q = 1, so keep rate = L
    i = next(i for i, p in enumerate(comp.profiles) if 2 <= len(p.facts) <= 3)
    n, nf = 40_000, comp._nf[i]
    p = np.full(n, i)
    k = np.full(n, nf)
    chosen = np.tile(np.arange(comp._w.shape[1]), (n, 1))[:, :4]
    chosen = np.where(np.arange(4)[None, :] < nf, chosen, -1)
    out = comp._cap_by_likelihood(np.random.default_rng(3), p, k, chosen)
    assert ((out == chosen) | (out == -1)).all()              # only ever drops
    assert ((out >= 0).sum(axis=1) >= 1).all()                # every case keeps a fact
    lik = comp._lik[i, :nf]
    kept_any = (out[:, :nf] >= 0).sum(axis=1) > 1             # rows the keep-one rule did not touch are unbiased
    rate = (out[:, 1:nf] >= 0).mean(axis=0)                   # facts after the first are never restored
    assert np.allclose(rate, lik[1:], atol=0.02), (rate, lik)
    assert kept_any.mean() < 1.0
    again = comp._cap_by_likelihood(np.random.default_rng(3), p, k, chosen)
    assert (again == out).all()                               # same seed, same draws


def test_pertinent_negatives_set_a_neighbouring_category_aside(seed_tables, settings):
    """'My back is fine' only in cases of another category whose condition has no low-back finding, 'Hip ROM full'
    only where the condition has no hip finding and has one near the hip; each listed among the negated findings
    and counted against that category in the differential; never with a finding at the same place."""
    import numpy as np

    from symcause.generation.composer import _PERTINENT
    from symcause.model.features import concept_tokens

    comp = load_composer(seed_tables[0], dataclasses.replace(settings, pertinent_negative_rate=0.5))
    plan = comp.plan(np.random.default_rng(11), 6000)
    out = comp.render(plan, np.random.default_rng(12))
    texts, negated = out["text"].to_pylist(), out["negated_findings"].to_pylist()
    coarse = comp.w.region_coarse
    for j, (region, category, _, near) in enumerate(_PERTINENT):
        rows = np.flatnonzero(plan.pert_neg[:, j])
        assert len(rows) > 100, region
        assert not (plan.cat[rows] == comp.cats.index(category)).any()
        for i in rows[:300]:
            prof = comp.profiles[plan.p[i]]
            assert not any(coarse.get(f[2], f[2]) == coarse.get(region, region) for f in prof.facts), (region, prof)
            if near is not None:
                assert any(coarse.get(f[2], f[2]) in near for f in prof.facts)
            assert f"pain@{region}" in negated[i]
            assert f"NR_{region}" in concept_tokens(texts[i]) or region == "hip" and "NF_hip_movement" in \
                concept_tokens(texts[i]), texts[i]
        # the denial lowers the category it would suggest
        pos, neg = comp.findings(plan.take(rows[:200]))
        without = neg.copy()
        without[:, 1 + j] = -1
        k = comp.cats.index(category)
        assert (comp.differential(pos, neg)[:, k] < comp.differential(pos, without)[:, k]).all()
    none = dataclasses.replace(settings, pertinent_negative_rate=0.0)
    assert not load_composer(seed_tables[0], none).plan(np.random.default_rng(11), 2000).pert_neg.any()
