"""Model files: deterministic bytes, only trusted types, and files written before the package rename."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import skops.io as sio

from symcause.core.params import TrainParams
from symcause.model.features import TRUSTED
from symcause.model.persistence import canonical_skops, load_model, save_model
from symcause.model.training import fit_model

LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_model_pipeline_features.skops"
TEXTS = ["shooting pain down the leg when I cough", "stiff hip and groin pain, hard to put on socks",
         "knee locked after a twist and swelled up", "outer hip sore lying on that side",
         "tingling down the back of the thigh when sitting", "flat feet and knee ache after standing"] * 3
LABELS = ["spinal", "hip_joint", "knee_joint", "soft_tissue", "peripheral_nerve", "biomechanical"] * 3


def test_trusted_list_names_the_new_module():
    assert TRUSTED == ["symcause.model.features.annotate_all"]


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
