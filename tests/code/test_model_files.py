"""Model files: deterministic bytes, only trusted types, and files written before the package rename."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from symcause.core.errors import BadInputError
from symcause.core.params import TrainParams
from symcause.model.features import TRUSTED
from symcause.model.knowledge_blend import KnowledgeBlend
from symcause.model.persistence import canonical_skops, load_model, save_model
from symcause.model.training import fit_model, run_train, with_knowledge

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_model_pipeline_features.skops"
TEXTS = ["shooting pain down the leg when I cough", "stiff hip and groin pain, hard to put on socks",
         "knee locked after a twist and swelled up", "outer hip sore lying on that side",
         "tingling down the back of the thigh when sitting", "flat feet and knee ache after standing"] * 3
LABELS = ["spinal", "hip_joint", "knee_joint", "soft_tissue", "peripheral_nerve", "biomechanical"] * 3


def test_trusted_list_names_the_new_module():
    assert TRUSTED == ["symcause.model.features.annotate_all", "symcause.model.knowledge_blend.KnowledgeBlend"]


def test_a_model_written_before_the_rename_still_loads_and_predicts():
    assert sio.get_untrusted_types(file=LEGACY) == ["pipeline.features.annotate_all"]  # the premise: an old file
    model = load_model(LEGACY)
    assert model.named_steps["annotate"].func.__module__ == "symcause.model.features"
    assert list(model.predict(["my knee locked after a twist and swelled"])) == ["knee_joint"]


def test_two_fits_give_byte_identical_files(tmp_path):
    p = TrainParams(word_min_df=1, char_ngram_max=0, max_iter=500)
    a, b = tmp_path / "a.skops", tmp_path / "b.skops"
    save_model(fit_model(TEXTS, LABELS, p), a)
    save_model(fit_model(TEXTS, LABELS, p), b)
    assert a.read_bytes() == b.read_bytes()
    assert load_model(a).predict(TEXTS[:6]).tolist() == LABELS[:6]


def test_canonical_form_keeps_the_model_and_drops_ids_and_times(tmp_path):
    model = fit_model(TEXTS, LABELS, TrainParams(word_min_df=1, char_ngram_max=0, max_iter=500))
    raw = sio.dumps(model, compression=zipfile.ZIP_DEFLATED)
    canon = canonical_skops(raw)
    z = zipfile.ZipFile(io.BytesIO(canon))
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
    assert all(n == "schema.json" or n.split(".")[0].isdigit() and int(n.split(".")[0]) < 10_000 for n in z.namelist())
    assert canonical_skops(canon) == canon
    again = sio.loads(canon, trusted=TRUSTED)
    assert again.predict_proba(TEXTS).tolist() == model.predict_proba(TEXTS).tolist()


def test_concept_weight_scales_the_concept_block_and_survives_the_file(tmp_path):
    full = fit_model(TEXTS, LABELS, TrainParams(word_min_df=1, char_ngram_max=0, max_iter=500, concept_weight=1.0))
    part = fit_model(TEXTS, LABELS, TrainParams(word_min_df=1, char_ngram_max=0, max_iter=500, concept_weight=0.4))
    annotated = part.named_steps["annotate"].transform(TEXTS[:1])
    n_concepts = len(part.named_steps["features"].transformer_list[0][1].vocabulary_)
    x_full = full.named_steps["features"].transform(annotated).toarray()[0]
    x_part = part.named_steps["features"].transform(annotated).toarray()[0]
    assert x_full[:n_concepts].max() > 0                       # the text has concept tokens
    assert x_part[:n_concepts] == pytest.approx(0.4 * x_full[:n_concepts])
    assert x_part[n_concepts:].tolist() == x_full[n_concepts:].tolist()   # the word block is untouched
    save_model(part, tmp_path / "m.skops")
    again = load_model(tmp_path / "m.skops")
    assert again.named_steps["features"].transformer_weights == {"concepts": 0.4}
    assert again.predict_proba(TEXTS).tolist() == part.predict_proba(TEXTS).tolist()


def _knowledge() -> pd.DataFrame:
    """A tiny knowledge table: locking is a knee-joint finding, numbness on the top of the foot a nerve one."""
    rows = [("meniscus_tear", "knee_joint", "symptom", "locking@knee", 0.9),
            ("peroneal_neuropathy", "peripheral_nerve", "symptom", "numbness@foot", 0.9)]
    rows += [(f"c_{c}", c, "symptom", "pain@leg", 0.5) for c in LABELS[:6]]
    df = pd.DataFrame(rows, columns=["condition_id", "category", "finding_kind", "finding", "likelihood"])
    df["mimic"] = False
    return df


def test_the_knowledge_blend_moves_toward_what_the_knowledge_ties_a_finding_to(tmp_path):
    text = fit_model(TEXTS, LABELS, TrainParams(word_min_df=1, char_ngram_max=0, max_iter=500))
    cases = ["my knee keeps locking", "numbness on the top of my foot"]
    assert with_knowledge(text, _knowledge(), 0.0, 0.05) is text          # weight 0: the text model alone
    assert with_knowledge(text, None, 0.4, 0.05) is text
    blend = with_knowledge(text, _knowledge(), 1.0, 0.05)
    assert isinstance(blend, KnowledgeBlend) and list(blend.classes_) == list(text.classes_)
    p_text, p_blend = text.predict_proba(cases), blend.predict_proba(cases)
    assert np.allclose(p_blend.sum(axis=1), 1.0)
    knee, nerve = list(text.classes_).index("knee_joint"), list(text.classes_).index("peripheral_nerve")
    assert p_blend[0, knee] > p_text[0, knee] and p_blend[1, nerve] > p_text[1, nerve]
    stronger = with_knowledge(text, _knowledge(), 3.0, 0.05).predict_proba(cases)
    assert stronger[0, knee] > p_blend[0, knee]
    # a temperature flattens the probabilities and never changes the most probable category
    warm = with_knowledge(text, _knowledge(), 1.0, 0.05, temperature=2.0).predict_proba(cases)
    assert warm.argmax(axis=1).tolist() == p_blend.argmax(axis=1).tolist()
    assert (warm.max(axis=1) < p_blend.max(axis=1)).all() and np.allclose(warm.sum(axis=1), 1.0)
    # a text with no finding the knowledge knows keeps the text model's ranking
    assert blend.predict(["nothing at all"]).tolist() == text.predict(["nothing at all"]).tolist()
    # the file holds the tables: same probabilities and same bytes after a round trip, only trusted types
    save_model(blend, tmp_path / "a.skops")
    save_model(with_knowledge(text, _knowledge(), 1.0, 0.05), tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    again = load_model(tmp_path / "a.skops")
    assert again.predict_proba(cases).tolist() == p_blend.tolist()
    assert again.named_steps["clf"].__class__.__name__ == "LogisticRegression"


def test_a_blend_without_its_knowledge_table_is_a_one_line_error(tmp_path):
    v = tmp_path / "v.parquet"
    pd.DataFrame({"vignette_id": [f"v{i}" for i in range(len(TEXTS))], "text": TEXTS, "category": LABELS,
                  "split": ["train"] * len(TEXTS)}).to_parquet(v)
    p = TrainParams(word_min_df=1, char_ngram_max=0, max_iter=500, knowledge_weight=0.4)
    with pytest.raises(BadInputError, match=r"missing\.parquet: knowledge table not found"):
        run_train(v, tmp_path / "m.skops", p, knowledge=tmp_path / "missing.parquet")
