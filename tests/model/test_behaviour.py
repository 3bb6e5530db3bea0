"""Behavioural tests of the baseline classifier, trained on the seed vignettes (the real train code).

Checklist-style: invariance (details that do not bear on the cause leave the prediction alone),
directional expectations (adding a telling finding raises its category's probability) and minimum
functionality (clear textbook cases, written here and distinct from data/handwritten). Rates, not
single cases, are asserted: the model is a bag-of-n-grams baseline trained on 4,800 synthetic texts.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from symcause.core.contract import CATEGORIES
from symcause.core.hashing import sha256_file
from symcause.core.params import EvaluateParams, TrainParams
from symcause.model.predict import labels_from_proba, load_model, predict_proba
from symcause.model.training import card_path, fit_model, read_vignette_rows, run_train


@pytest.fixture(scope="session")
def trained(request, seed_vignettes, tmp_path_factory):
    """(model path, card, loaded model): run_train with the default params on the seed vignettes, or the model
    given with `pytest --model PATH` (for example the one DVC built: `--model data/models/model.skops`)."""
    given = request.config.getoption("--model")
    if given:
        model_path = Path(given).resolve()
        return model_path, json.loads(card_path(model_path).read_text(encoding="utf-8")), load_model(model_path)
    path, _ = seed_vignettes
    model_path = tmp_path_factory.mktemp("model") / "model.skops"
    card = run_train(path, model_path, TrainParams())
    return model_path, card, load_model(model_path)


@pytest.fixture(scope="session")
def own_model(request):
    """Tests of what run_train wrote (card contents) need the model trained here."""
    if request.config.getoption("--model"):
        pytest.skip("checks the model this session trains, not a given --model")


def _proba(model, texts: list[str]) -> np.ndarray:
    return predict_proba(model, texts)


def _labels(model, texts: list[str]) -> list[str]:
    return labels_from_proba(predict_proba(model, texts))


# ---------------------------------------------------------------------------------------------------------------
# the artefact


def test_model_file_holds_only_the_explicitly_trusted_concept_step(trained):
    import skops.io as sio

    from symcause.model.features import TRUSTED

    model_path, _, model = trained
    # sklearn types only, plus our own concept annotator (and, for a blended model, the knowledge blend), which
    # load_model trusts by name
    untrusted = sio.get_untrusted_types(file=model_path)
    assert "symcause.model.features.annotate_all" in untrusted and set(untrusted) <= set(TRUSTED)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="annotate_all"):
        sio.load(model_path, trusted=[])  # nothing is trusted implicitly
    reloaded = sio.load(model_path, trusted=TRUSTED)
    assert sorted(reloaded.classes_) == sorted(CATEGORIES)
    assert type(reloaded.named_steps["clf"]).__name__ == "LogisticRegression"


def test_model_card_describes_the_training_data(trained, seed_vignettes, own_model):
    model_path, card, _ = trained
    path, df = seed_vignettes
    assert json.loads(card_path(model_path).read_text(encoding="utf-8")) == card
    td = card["training_data"]
    assert td["rows"] == int((df["split"] == "train").sum())
    assert td["vignettes_sha256"] == sha256_file(path)
    assert td["rows_per_class"] == {c: int(((df["split"] == "train") & (df["category"] == c)).sum()) for c in CATEGORIES}
    assert card["classes"] == list(CATEGORIES)
    assert card["model_sha256"] == sha256_file(model_path)
    assert card["params"]["C"] == TrainParams().C


def test_training_is_deterministic(seed_vignettes):
    path, _ = seed_vignettes
    train = read_vignette_rows(path, ["train"]).iloc[::3]   # a third of the rows keeps this fast
    probe = read_vignette_rows(path, ["test"])["text"].tolist()[:300]
    p = TrainParams()
    a = fit_model(train["text"].tolist(), train["category"].tolist(), p)
    b = fit_model(train["text"].tolist(), train["category"].tolist(), p)
    assert np.array_equal(a.predict_proba(probe), b.predict_proba(probe))


def test_saved_model_predicts_exactly_like_the_fitted_one(trained, seed_vignettes):
    _, _, model = trained
    path, _ = seed_vignettes
    texts = read_vignette_rows(path, ["val"])["text"].tolist()[:200]
    again = load_model(trained[0])
    assert np.array_equal(_proba(model, texts), _proba(again, texts))


def test_learns_the_seed_vignettes(trained, seed_vignettes):
    """Sanity floor on held-out synthetic vignettes (far below what the pipeline reports; catches breakage)."""
    _, _, model = trained
    test = read_vignette_rows(seed_vignettes[0], ["test"])
    acc = float(np.mean(np.array(_labels(model, test["text"].tolist())) == test["category"].to_numpy()))
    assert acc >= 0.6


# ---------------------------------------------------------------------------------------------------------------
# invariance: age, sex, name, body side and filler sentences should not decide the cause

TEMPLATES = [
    "{name} is a {age}-year-old {man} with pain in {his} {side} buttock shooting down the back of {his} leg, "
    "worse when {he} sits.",
    "{name}, {age}, says {his} {side} knee swells after walking and grinds on the stairs.",
    "{name} is {age} and has deep pain in {his} {side} groin when {he} turns {his} hip. {He} is stiff in the mornings.",
    "{name} ({age}) has a tender spot on the outside of {his} {side} hip and cannot lie on that side at night.",
    "{name}, a {age}-year-old {man}, has numbness on the top of {his} {side} foot and outer shin after sitting "
    "cross-legged.",
    "{name} is {age}. {He} has flat feet and {his} {side} knee aches after standing all day.",
    "{name}, {age}, has low back pain with tingling down {his} {side} leg into the foot, worse when {he} coughs.",
    "{name} is a {age}-year-old runner with pain on the outside of {his} {side} knee after a few miles.",
    "{name} ({age}) has an aching {side} thigh and knee; {his} physio says {his} glutes are weak and {his} stride "
    "is too long.",
    "{name} is {age} and {his} {side} knee locks and gives way since {he} twisted it playing football.",
    "{name}, {age}, has pain in {his} {side} calf and foot with numbness when {he} walks, easing when {he} sits "
    "down and leans forward.",
    "{name} is a {age}-year-old {man} whose {side} hip clicks and catches with sharp groin pain when {he} squats.",
]
BASE = {"name": "Tom", "age": 34, "man": "man", "his": "his", "he": "he", "He": "He", "side": "left"}
PERTURBATIONS = {
    "age": [{"age": 29}, {"age": 41}],
    "sex": [{"name": "Sarah", "man": "woman", "his": "her", "he": "she", "He": "She"}],
    "name": [{"name": "Ahmed"}, {"name": "Joe"}],
    "side": [{"side": "right"}],
}
FILLERS = ["Any advice appreciated.", "Thanks for reading.", "I have an appointment next week."]


def _fill(values: dict[str, object]) -> list[str]:
    return [t.format(**values) for t in TEMPLATES]


@pytest.mark.parametrize("kind", list(PERTURBATIONS))
def test_invariance_to_demographics_and_side(trained, kind):
    _, _, model = trained
    base = _labels(model, _fill(BASE))
    same = [b == v for change in PERTURBATIONS[kind] for b, v in zip(base, _labels(model, _fill({**BASE, **change})))]
    assert np.mean(same) >= 0.8, f"{kind}: prediction changed for {same.count(False)} of {len(same)} cases"


def test_invariance_to_filler_sentences(trained):
    _, _, model = trained
    texts = _fill(BASE)
    base = _labels(model, texts)
    same = [b == v for f in FILLERS for b, v in zip(base, _labels(model, [f"{t} {f}" for t in texts]))]
    assert np.mean(same) >= 0.8, f"filler changed {same.count(False)} of {len(same)} predictions"


# ---------------------------------------------------------------------------------------------------------------
# directional expectations: a telling finding raises its category's probability

NEUTRAL = [
    "I'm 45 and my leg has been aching for a few weeks.",
    "My right leg hurts, it started a month ago. I'm a 38 year old woman.",
    "52-year-old man with leg pain for six weeks.",
    "My mum is 70 and has had pain in her leg for two months. She has also had pain in her thigh.",
    "Pain in my leg and thigh for about three weeks, on and off. 29F.",
    "Aching in my leg since the spring, worse at the end of the day. I'm 61.",
    "The patient, a 44-year-old woman, has leg pain of several weeks duration.",
    "Been getting pain in my leg for a while now. No injury that I remember.",
]
FINDINGS = {
    "spinal": "The pain starts in my lower back and shoots down my leg.",
    "knee_joint": "My kneecap grinds on stairs.",
    "hip_joint": "I have deep pain in my groin when I rotate my hip and my hip joint is stiff.",
    "soft_tissue": "The outside of my hip is tender to touch and hurts when I lie on that side.",
    "peripheral_nerve": "Numbness on the outside of my shin and the top of my foot after sitting with my legs crossed.",
    "biomechanical": "I have flat feet and my physio says my glutes are weak.",
}


@pytest.mark.parametrize("category", list(FINDINGS))
def test_adding_a_telling_finding_raises_its_category(trained, category):
    _, _, model = trained
    j = CATEGORIES.index(category)
    before = _proba(model, NEUTRAL)[:, j]
    after = _proba(model, [f"{t} {FINDINGS[category]}" for t in NEUTRAL])[:, j]
    raised = after > before
    assert raised.mean() >= 0.75, f"{category}: raised in {int(raised.sum())} of {len(NEUTRAL)} cases"
    assert float(np.mean(after - before)) > 0.02


def test_directional_effects_are_specific(trained):
    """A knee finding should raise knee_joint more than it raises spinal, and a sciatica finding the reverse."""
    _, _, model = trained
    base = _proba(model, NEUTRAL)
    knee = _proba(model, [f"{t} {FINDINGS['knee_joint']}" for t in NEUTRAL]) - base
    back = _proba(model, [f"{t} {FINDINGS['spinal']}" for t in NEUTRAL]) - base
    k, s = CATEGORIES.index("knee_joint"), CATEGORIES.index("spinal")
    assert knee[:, k].mean() > knee[:, s].mean()
    assert back[:, s].mean() > back[:, k].mean()


BUTTOCK = ["I have pain deep in my buttock.", "Pain in my right buttock for three weeks.", "45M with buttock pain.",
           "My bum hurts on one side."]
THIGH = ["My thigh has been aching for a month.", "Pain in the front of my thigh.", "60F with thigh pain.",
         "Aching thigh for weeks, I am 66."]


ISSUE_DIRECTIONS = [
    (BUTTOCK, "It is worse after sitting and stops above the knee.", "peripheral_nerve"),
    (THIGH, "I also have groin pain and my hip is stiff when I rotate it.", "hip_joint"),
]
BUILT_MODEL = Path(__file__).resolve().parents[2] / "data" / "models" / "model.skops"


def _moves_toward(model, cases: list[str], finding: str, category: str) -> np.ndarray:
    j = CATEGORIES.index(category)
    return _proba(model, [f"{t} {finding}" for t in cases])[:, j] - _proba(model, cases)[:, j]


@pytest.mark.parametrize("cases, finding, category", ISSUE_DIRECTIONS[1:])
def test_issue_directions(trained, cases, finding, category):
    """The classifier issue's thigh-to-hip check on this module's model (or `--model`). The buttock-to-nerve check
    needs the corpus: on the seeds-only model of the fixture it moves either way with every vocabulary change (a
    strict expected failure here flipped three times), so it runs on the model DVC built (below)."""
    delta = _moves_toward(trained[2], cases, finding, category)
    assert (delta > 0).mean() >= 0.75 and delta.mean() > 0.01, delta


@pytest.mark.parametrize("cases, finding, category", ISSUE_DIRECTIONS)
def test_issue_directions_on_the_built_model(cases, finding, category):
    """The two directional checks of the classifier issue on the model `make repro` built (seeds + corpus): a
    buttock-pain case moves toward peripheral_nerve with "worse after sitting, stops above the knee"; a thigh-pain
    case toward hip_joint with groin pain and stiffness on rotating the hip."""
    if not BUILT_MODEL.is_file():
        pytest.skip(f"{BUILT_MODEL}: not built yet (make repro)")
    delta = _moves_toward(load_model(BUILT_MODEL), cases, finding, category)
    assert (delta > 0).mean() >= 0.75 and delta.mean() > 0.01, delta


# ---------------------------------------------------------------------------------------------------------------
# minimum functionality: clear textbook presentations (written for these tests, not from data/handwritten)

TEXTBOOK = {
    "spinal": [
        "Low back pain for three weeks with a shooting pain down the back of my leg into my foot. Worse when I cough "
        "or sneeze and when I bend forward.",
        "58-year-old man with lower back pain radiating down the leg below the knee, numbness in the foot and a "
        "reduced ankle reflex. Worse with sitting and bending.",
        "Pain in both legs when walking that eases when I sit down or lean forward on a shopping trolley, with a long "
        "history of low back pain.",
        "Sciatica: burning pain from my lower back through the buttock to the calf, with pins and needles in my toes.",
        "My back aches and I get pins and needles running from my buttock down my calf to my toes, worse when I cough.",
    ],
    "hip_joint": [
        "Deep aching pain in my groin for months, worse when I walk and when I rotate my hip. Stiff in the morning "
        "and hard to put my socks on.",
        "67-year-old woman with groin pain and stiffness of the hip joint, reduced range of motion and pain on hip "
        "rotation, worse with weight bearing.",
        "My hip joint is stiff and painful, the pain is deep in the groin and spreads down the front of my thigh, "
        "worse when walking.",
        "Osteoarthritis of the hip suspected: groin pain on weight bearing, limping, loss of hip rotation.",
        "Sharp pain at the front of my hip in the groin with clicking and catching when I twist or squat deeply.",
    ],
    "knee_joint": [
        "My knee swells up after walking and it is stiff in the morning. It grinds and creaks going up stairs. I'm 64.",
        "Twisted my knee playing football, now it locks and catches, with pain along the inside joint line and "
        "swelling.",
        "Swelling behind my knee, a lump at the back that feels tight when I bend the knee fully.",
        "My knee gives way when I pivot and feels unstable, with swelling after the injury.",
    ],
    "soft_tissue": [
        "Pain on the outside of my hip, tender to touch, worse when I lie on that side at night and when climbing "
        "stairs.",
        "Pain at the front of my knee just above the kneecap in the quadriceps tendon, worse when jumping and "
        "squatting, tender tendon.",
        "Pain deep in my buttock at the sit bone, worse when sitting on hard chairs and when running uphill, hamstring "
        "tendon is tender.",
        "Tender bursa on the outer hip with pain lying on my side; trochanteric bursitis was mentioned.",
        "Runner with pain on the outside of the knee that starts after a few miles of running and a tight band along "
        "the outer thigh.",
    ],
    "peripheral_nerve": [
        "Deep pain in my buttock that gets worse when I sit for a long time, with tingling down the back of my thigh. "
        "My back does not hurt.",
        "Pain in my buttock worse with hip rotation and prolonged sitting, tender over the piriformis muscle.",
        "Numbness on the outer side of my lower leg and the top of my foot after sitting with my legs crossed.",
        "Tingling on the outside of my shin and the top of my foot; the nerve at the outer knee is tender.",
        "Numbness and tingling on the top of my foot and the outer side of my lower leg, and my foot drags when I "
        "walk.",
        "Burning pain on the outer side of my knee and shin with numbness on the top of the foot after sitting with "
        "legs crossed.",
    ],
    "biomechanical": [
        "I have flat feet and my knees ache on the inside after standing all day. My feet roll inwards.",
        "Since I increased my running mileage quickly, my shins and knees ache. My coach says my stride is too long.",
        "My physio says my glute muscles are weak and my hips drop when I walk, causing pain in my knee and thigh.",
        "Overpronation: my arches collapse when I run and my shins and knees ache afterwards.",
        "Tight thigh muscles and tight hip flexors from sitting all day, with aching at the front of my thigh and "
        "knee.",
    ],
}
KNOWN_GAP: dict[str, str] = {}   # category -> why its textbook cases fail today (strict xfail); none at present


def test_minimum_functionality_overall(trained):
    _, _, model = trained
    texts = [t for c in CATEGORIES for t in TEXTBOOK[c]]
    truth = [c for c in CATEGORIES for _ in TEXTBOOK[c]]
    pred = _labels(model, texts)
    acc = float(np.mean(np.array(pred) == np.array(truth)))
    wrong = [f"{t}->{p}" for t, p in zip(truth, pred) if t != p]
    assert acc >= 0.6, f"textbook accuracy {acc:.2f}; wrong: {wrong}"


@pytest.mark.parametrize("category", [
    pytest.param(c, marks=pytest.mark.xfail(reason=KNOWN_GAP[c], strict=True)) if c in KNOWN_GAP else c
    for c in CATEGORIES
])
def test_minimum_functionality_per_category(trained, category):
    _, _, model = trained
    pred = _labels(model, TEXTBOOK[category])
    hits = sum(p == category for p in pred)
    assert hits >= len(pred) // 2, f"{category}: {hits} of {len(pred)} textbook cases; predicted {pred}"


# ---------------------------------------------------------------------------------------------------------------
# the evaluate stage on this model: outputs complete and deterministic


def test_evaluate_writes_deterministic_reports(trained, seed_vignettes, root, tmp_path):
    from symcause.model.evaluation import run_evaluate

    model_path = trained[0]
    hand = root / "data" / "handwritten" / "cases.jsonl"
    n_hand = sum(1 for line in hand.read_text(encoding="utf-8").splitlines() if line.strip())
    reports = tmp_path / "reports" / "model"
    prm = EvaluateParams(learning_curve_sizes=[300, 1500])
    results = run_evaluate(model_path, seed_vignettes[0], hand, reports, prm, TrainParams())

    def snapshot() -> dict[str, bytes]:
        return {str(p.relative_to(reports)): p.read_bytes() for p in sorted(reports.rglob("*")) if p.is_file()}

    first = snapshot()
    assert set(first) == {"metrics.json", "report.md", "handwritten_predictions.csv", "learning_curve.csv",
                          "plots/confusion_test.png", "plots/confusion_handwritten.png",
                          "plots/per_class_f1.png", "plots/calibration.png", "plots/learning_curve.png",
                          "plots/sklearn/confusion_test.json", "plots/sklearn/confusion_handwritten.json",
                          "plots/sklearn/calibration_test.json", "plots/sklearn/calibration_handwritten.json"}
    metrics = json.loads(first["metrics.json"])
    assert metrics == json.loads(json.dumps(results))
    for part in ("val", "test", "handwritten"):
        assert set(metrics[part]["f1"]) == set(CATEGORIES)
        assert 0 <= metrics[part]["accuracy"] <= 1 and 0 <= metrics[part]["macro_f1"] <= 1
    assert metrics["handwritten"]["n"] == n_hand
    for part in ("test", "handwritten"):
        m = metrics[part]
        assert m["accuracy"] <= m["top2_accuracy"] <= 1 and 0 <= m["ece"] <= 1 and 0 <= m["brier"] <= 2
        assert set(m["per_class"]) == set(CATEGORIES)
    assert metrics["gap"]["macro_f1"] == round(metrics["test"]["macro_f1"] - metrics["handwritten"]["macro_f1"], 4)
    assert set(metrics["structured_baseline"]) == {"test", "handwritten"}
    curve = first["learning_curve.csv"].decode().splitlines()
    n_train = int((pd.read_parquet(seed_vignettes[0], columns=["split"])["split"] == "train").sum())
    assert curve[0] == "train_rows,test_macro_f1,handwritten_macro_f1"
    assert [c.split(",")[0] for c in curve[1:]] == ["300", "1500", str(n_train)]   # the last: the model given
    assert sum(v["n"] for v in metrics["handwritten"]["style"].values()) == n_hand
    lines = first["handwritten_predictions.csv"].decode().splitlines()
    assert lines[0].startswith("id,style,condition,true,predicted,correct,confidence,p_true")
    assert len(lines) == n_hand + 1
    cm = json.loads(first["plots/sklearn/confusion_handwritten.json"])
    assert len(cm) == n_hand and set(cm[0]) == {"actual", "predicted"}

    run_evaluate(model_path, seed_vignettes[0], hand, reports, prm, TrainParams())
    assert snapshot() == first
    assert [p.name for p in reports.parent.iterdir()] == ["model"]  # no staging folder left behind


def test_evaluate_refuses_a_model_with_untrusted_types(tmp_path, seed_vignettes, root):
    import skops.io as sio

    from symcause.core.errors import BadInputError
    from symcause.model.evaluation import run_evaluate

    bad = tmp_path / "evil.skops"
    sio.dump(Path("x"), bad)  # a type outside skops' trusted set
    assert sio.get_untrusted_types(file=bad)
    reports = tmp_path / "reports"
    with pytest.raises(BadInputError, match="evil.skops: model file contains untrusted types"):
        run_evaluate(bad, seed_vignettes[0], root / "data" / "handwritten" / "cases.jsonl", reports,
                     EvaluateParams(), TrainParams())
    assert not reports.exists()
