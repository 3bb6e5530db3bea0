"""Pure metric functions of the evaluate stage and the structured baseline's field encoding."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from symcause.core.contract import CATEGORIES
from symcause.model.baselines import structured_tokens, text_to_structured
from symcause.model.metrics import calibration, per_class


def _onehot(labels, conf):
    p = np.full((len(labels), 6), (1 - conf) / 5)
    for i, c in enumerate(labels):
        p[i, CATEGORIES.index(c)] = conf
    return p


def test_perfectly_confident_and_right_is_perfectly_calibrated():
    y = ["spinal", "hip_joint", "knee_joint"]
    cal = calibration(y, _onehot(y, 1.0))
    assert cal["top2_accuracy"] == 1.0 and cal["ece"] == 0.0 and cal["brier"] == 0.0


def test_confident_and_wrong_has_ece_equal_to_the_confidence_gap():
    y = ["spinal"] * 4
    p = _onehot(["hip_joint"] * 4, 0.8)
    cal = calibration(y, p)
    assert cal["ece"] == pytest.approx(0.8)
    # brier: (0.8 - 0)^2 + (0.04 - 1)^2 + 4 * 0.04^2
    assert cal["brier"] == pytest.approx(0.8**2 + 0.96**2 + 4 * 0.04**2, abs=1e-4)
    assert cal["top2_accuracy"] == 1.0  # the true class ties for second and the stable sort keeps it first


def test_per_class_precision_recall():
    pc = per_class(["spinal", "spinal", "hip_joint"], ["spinal", "hip_joint", "hip_joint"])
    assert pc["spinal"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(0.6667, abs=1e-4)}
    assert pc["hip_joint"]["precision"] == 0.5 and pc["hip_joint"]["recall"] == 1.0


def test_structured_fields_and_text_share_one_encoding():
    assert structured_tokens(["pain"], ["knee_front"], ["stairs", "flat_feet"]) == \
        "S_pain R_knee_front RC_knee F_stairs K_flat_feet"
    toks = text_to_structured("My kneecap hurts on the stairs and I have flat feet, no swelling.").split()
    assert {"S_pain", "R_knee_front", "RC_knee", "F_stairs", "K_flat_feet"} <= set(toks)
    assert not any("swelling" in t for t in toks)  # negated findings are not fields


def test_the_hand_written_sets_are_valid_and_share_no_case(root):
    # four sets with three roles (blind, two development sets, second blind): a case in two of them would leak tuning
    from symcause.core.params import load_params
    from symcause.model.evaluation import HAND_SETS, read_handwritten

    prm = load_params(root / "params.yaml").evaluate
    sets = {name: read_handwritten(root / getattr(prm, name)) for name in HAND_SETS}
    assert {name: len(df) for name, df in sets.items()} == {"handwritten": 108, "handwritten_dev": 120,
                                                            "handwritten_dev2": 120, "handwritten_blind2": 90}
    norm = {name: {" ".join(t.lower().split()) for t in df.text} for name, df in sets.items()}
    for a, b in itertools.combinations(HAND_SETS, 2):
        assert not norm[a] & norm[b], (a, b)
    ids = [i for df in sets.values() for i in df["id"]]
    assert len(ids) == len(set(ids))
    for df in sets.values():   # every category present in every set
        assert set(df.category) == set(CATEGORIES)


def test_the_headline_holds_every_hand_written_set():
    from symcause.model.evaluation import headline_metrics

    scores = {"macro_f1": 0.5, "accuracy": 0.5, "top2_accuracy": 0.7, "ece": 0.1}
    hand = ("handwritten", "handwritten_dev", "handwritten_dev2", "handwritten_blind2")
    results = {s: dict(scores) for s in ("test", *hand)}
    results["knowledge_nb"] = {s: {"macro_f1": 0.4} for s in hand}
    out = headline_metrics(results, {}, {})
    assert set(out["model"]) == {"test", *hand}
    assert out["baselines"]["knowledge_nb_handwritten_dev2_macro_f1"] == 0.4
    assert out["baselines"]["knowledge_nb_handwritten_blind2_macro_f1"] == 0.4
