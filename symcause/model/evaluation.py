"""DVC stage evaluate: the trained model on vignette splits val/test and on the hand-written cases.

The hand-written cases (data/handwritten/cases.jsonl) were written by people, not by the
generator; the model is never trained or tuned on them, so they measure how far what the
model learnt from synthetic vignettes transfers to real wording.

Writes (all under `evaluate.reports`, default reports/model, replaced as a whole):
- `metrics.json` (dvclive summary): accuracy, macro-F1 and per-class F1 for each vignette split
  and for the hand-written cases, plus per style (and per difficulty for vignettes);
- `plots/sklearn/confusion_<set>.json` (dvclive confusion-matrix data for `dvc plots`) and
  `plots/confusion_<set>.png` for the test split and the hand-written cases;
- `handwritten_predictions.csv`: one row per hand-written case (id, style, true, predicted,
  confidence, ...), so the failures can be read;
- `report.md`: the same figures as tables, with the most frequent confusions.
The outputs depend only on the model, the data and params: the same inputs give the same files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from dvclive import Live

from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError
from symcause.core.io import atomic_dir, read_json_object, write_json, write_text
from symcause.core.params import EvaluateParams, TrainParams
from symcause.model.baselines import learning_curve, structured_baseline
from symcause.model.knowledge_baseline import fit_knowledge_nb, in_scope, predict_nb
from symcause.model.knowledge_blend import KnowledgeBlend
from symcause.model.metrics import (
    DIGITS,
    calibration,
    flatten,
    per_class,
    rounded,
    score,
    score_groups,
    top_confusions,
)
from symcause.model.plots import plot_confusion, plot_extras
from symcause.model.predict import (
    iter_json_objects,
    labels_from_proba,
    load_model,
    predict_proba,
)
from symcause.model.training import read_vignette_rows
from symcause.model.uncertainty import bootstrap_ci

HANDWRITTEN_KEYS = ("id", "text", "category", "style")


# ---------------------------------------------------------------------------------------------
# inputs


HAND_SETS = ("handwritten", "handwritten_dev", "handwritten_dev2", "handwritten_blind2")  # hand-written sets, report order


def hand_set_paths(prm: EvaluateParams, root: Path) -> dict[str, Path]:
    """The hand-written sets params.yaml `evaluate` names besides the blind set, in report order."""
    return {name: root / path for name in HAND_SETS[1:] if (path := getattr(prm, name, None))}


def read_handwritten(path: Path) -> pd.DataFrame:
    """The hand-written cases (JSON Lines: id, text, category, style, ...), checked line by line."""
    if not path.is_file():
        raise BadInputError(f"{path}: hand-written cases file not found")
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text") from exc
    for n, obj in iter_json_objects(path, "\n".join(lines)):
        for key in HANDWRITTEN_KEYS:
            if not isinstance(obj.get(key), str) or not obj[key].strip():
                raise BadInputError(f"{path}: line {n}: '{key}' is missing or not a non-empty string")
        if obj["category"] not in CATEGORIES:
            raise BadInputError(f"{path}: line {n}: unknown category {obj['category']!r} "
                                f"(expected one of {', '.join(CATEGORIES)})")
        if obj["id"] in seen:
            raise BadInputError(f"{path}: line {n}: duplicate id {obj['id']!r} (first on line {seen[obj['id']]})")
        seen[obj["id"]] = n
        rows.append({"id": obj["id"], "text": obj["text"], "category": obj["category"], "style": obj["style"],
                     "condition": str(obj.get("condition") or "")})
    if not rows:
        raise BadInputError(f"{path}: no hand-written cases")
    return pd.DataFrame(rows)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def _comparison_sections(results: dict[str, Any]) -> list[str]:
    """Baselines, the seeds-only ablation and the in-scope / out-of-scope split, as report sections."""
    out: list[str] = []
    hand = [s for s in HAND_SETS if s in results]
    rows = [["text model (seeds + corpus)", *(results[s]["macro_f1"] for s in hand),
             *(results[s]["top2_accuracy"] for s in hand)]]
    so, nb = results.get("seeds_only", {}), results.get("knowledge_nb", {})
    if so:
        rows.append([f"text model, seeds only ({so['sources']} articles, {so['conditions']} conditions)",
                     *(so[s]["macro_f1"] for s in hand), *(so[s]["top2_accuracy"] for s in hand)])
    if nb:
        rows.append(["knowledge-only naive Bayes (no training)", *(nb[s]["macro_f1"] for s in hand),
                     *(nb[s]["top2_accuracy"] for s in hand)])
    if len(rows) > 1:
        out += ["## What the corpus and the text model add", "",
                "Seeds only: the same chain (extraction, knowledge, generation, training) on the five seed articles. "
                "Knowledge-only: naive Bayes over the findings the vocabularies read from the case text, with the "
                "knowledge table's likelihoods (symcause/model/knowledge_baseline.py).", "",
                _table(["model", *(f"{s} macro-F1" for s in hand), *(f"{s} top-2" for s in hand)], rows), ""]
        if so:
            out += ["Seeds-only macro-F1 with 95% intervals: " + "; ".join(
                f"{s} {so[s]['macro_f1']} [{so[s]['ci95']['macro_f1']['lo']}, {so[s]['ci95']['macro_f1']['hi']}]"
                for s in hand if so[s].get("ci95")) + ".", ""]
    scoped = [(s, results[s]["scope"]) for s in hand if results[s].get("scope")]
    if scoped:
        out += ["## Hand-written cases the knowledge table covers", "",
                "In scope: a finding read from the case text favours the case's category over every other by the "
                "`evaluate.scope_margin` factor in the knowledge table. Out of scope: nothing extracted from the "
                "articles decides the case, so the model has to generalise from wording alone.", "",
                _table(["set", "part", "n", "accuracy", "macro-F1", "top-2", "ECE"],
                       [[s, part, v["n"], v["accuracy"], v["macro_f1"], v["top2_accuracy"], v["ece"]]
                        for s, sc in scoped for part, v in sc.items()]), ""]
    return out


def describe_model(model: Any) -> str:
    """One sentence on what the evaluated model is."""
    text = ("TF-IDF (words + vocabulary concept tokens and their pairs) + logistic regression trained on split "
            "`train` of the synthetic vignettes")
    if isinstance(model, KnowledgeBlend) and model.weight:
        return (f"Baseline {text}, its probabilities multiplied with the knowledge-only naive Bayes below raised to "
                f"{model.weight} and the product to 1/{model.temperature} "
                "(symcause/model/knowledge_blend.py; learning curve and structured baseline: the text model alone).")
    return f"Baseline {text}."


def render_report(results: dict[str, Any], confusions: dict[str, list[tuple[str, str, int]]],
                  curve: list[dict[str, float]] | None = None, description: str | None = None) -> str:
    sets = [s for s in results if isinstance(results[s], dict) and "macro_f1" in results[s] and "n" in results[s]]

    def ci(s: str, key: str) -> str:
        lo_hi = results[s].get("ci95", {}).get(key)
        return f"{results[s][key]} [{lo_hi['lo']}, {lo_hi['hi']}]" if lo_hi else str(results[s].get(key))

    out = ["# Model evaluation", "",
           (description or describe_model(None))
           + " `handwritten` are cases written by people (never trained or tuned on): they measure transfer to real "
           "wording. `handwritten_dev` are other hand-written cases that tuning "
           "decisions are made on (never trained on); `handwritten_dev2` is a second development set, written later by "
           "someone who had seen neither the code nor the other cases, so that decisions are not fitted to one set. "
           "`handwritten_blind2` is a second blind set, written later by "
           "someone who had seen neither the code nor the vignettes (never trained or tuned on). Research use only, "
           "not for diagnosis.", "",
           "In brackets: 95% percentile bootstrap intervals (cases resampled with replacement).", "",
           _table(["set", "n", "accuracy", "macro-F1", "top-2 accuracy", "ECE", "Brier"],
                  [[s, results[s]["n"], ci(s, "accuracy"), ci(s, "macro_f1"), ci(s, "top2_accuracy"), ci(s, "ece"),
                    results[s].get("brier")] for s in sets]), ""]
    out += _comparison_sections(results)
    if "gap" in results:
        out += [f"Synthetic-to-hand-written gap: macro-F1 {results['gap']['macro_f1']}, accuracy "
                f"{results['gap']['accuracy']} (test minus hand-written).", ""]
    if "structured_baseline" in results:
        sb = results["structured_baseline"]
        out += ["## Structured-field baseline", "",
                "Logistic regression on symptoms, regions and factors only (for hand-written cases read from the "
                "text with the vocabularies).", "",
                _table(["set", "accuracy", "macro-F1"], [[k, v["accuracy"], v["macro_f1"]] for k, v in sb.items()]), ""]
    if curve:
        out += ["## Learning curve", "", _table(["training vignettes", "test macro-F1", "hand-written macro-F1"],
                                                [[r["train_rows"], r["test_macro_f1"], r["handwritten_macro_f1"]]
                                                 for r in curve]), ""]
    out += ["## Precision / recall / F1 per category", ""]
    for s in sets:
        if "per_class" in results[s]:
            pc = results[s]["per_class"]
            out += [f"### {s}", "", _table(["category", "precision", "recall", "F1"],
                                           [[c, pc[c]["precision"], pc[c]["recall"], pc[c]["f1"]] for c in CATEGORIES]), ""]
    out += [
           "## F1 per category", "",
           _table(["category", *sets], [[c, *(results[s]["f1"][c] for s in sets)] for c in CATEGORIES]), ""]
    for s in sets:
        for key in ("style", "difficulty"):
            if key in results[s]:
                groups = results[s][key]
                out += [f"## {s} by {key}", "",
                        _table([key, "n", "accuracy", "macro-F1"],
                               [[g, v["n"], v["accuracy"], v["macro_f1"]] for g, v in groups.items()]), ""]
    for s, pairs in confusions.items():
        out += [f"## Most frequent confusions: {s}", "",
                _table(["true", "predicted", "count"], [list(p) for p in pairs]) if pairs else "none", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# the stage


Pairs = dict[str, tuple[list[str], list[str]]]
Probas = dict[str, tuple[list[str], np.ndarray]]


def evaluate_sets(model: Any, vignettes: pd.DataFrame, handwritten: pd.DataFrame,
                  splits: list[str]) -> tuple[dict[str, Any], Pairs, pd.DataFrame, Probas]:
    """Scores per set, (true, predicted) per set, the per-case table of the hand-written cases, and
    (true, probabilities) per set."""
    results: dict[str, Any] = {}
    pairs: dict[str, tuple[list[str], list[str]]] = {}
    probas: dict[str, tuple[list[str], np.ndarray]] = {}
    for split in splits:
        part = vignettes[vignettes["split"] == split]
        if part.empty:
            continue
        y = part["category"].astype(str).tolist()
        proba_s = predict_proba(model, part["text"].astype(str).tolist())
        pred = labels_from_proba(proba_s)
        cal = calibration(y, proba_s)
        probas[split] = (y, proba_s)
        results[split] = {**score(y, pred), **{k: v for k, v in cal.items() if k != "reliability"},
                          "per_class": per_class(y, pred),
                          "style": score_groups(y, pred, part["style"].astype(str).tolist()),
                          "difficulty": score_groups(y, pred, part["difficulty"].astype(str).tolist())}
        pairs[split] = (y, pred)
    proba = predict_proba(model, handwritten["text"].tolist())
    pred = labels_from_proba(proba)
    y = handwritten["category"].tolist()
    cal = calibration(y, proba)
    probas["handwritten"] = (y, proba)
    results["handwritten"] = {**score(y, pred), **{k: v for k, v in cal.items() if k != "reliability"},
                              "per_class": per_class(y, pred),
                              "style": score_groups(y, pred, handwritten["style"].tolist())}
    if "test" in results:  # the synthetic-to-hand-written gap
        results["gap"] = {"macro_f1": rounded(results["test"]["macro_f1"] - results["handwritten"]["macro_f1"]),
                          "accuracy": rounded(results["test"]["accuracy"] - results["handwritten"]["accuracy"])}
    pairs["handwritten"] = (y, pred)
    idx_true = [CATEGORIES.index(c) for c in y]
    cases = pd.DataFrame({
        "id": handwritten["id"], "style": handwritten["style"], "condition": handwritten["condition"],
        "true": y, "predicted": pred, "correct": [t == p for t, p in zip(y, pred)],
        "confidence": np.round(proba.max(axis=1), DIGITS),
        "p_true": np.round(proba[np.arange(len(y)), idx_true], DIGITS),
    })
    for j, c in enumerate(CATEGORIES):
        cases[f"p_{c}"] = np.round(proba[:, j], DIGITS)
    return results, pairs, cases, probas


def score_cases(model: Any, cases: pd.DataFrame) -> tuple[dict[str, Any], tuple[list[str], list[str]], np.ndarray]:
    """Scores of a hand-written set (the development set: tuning decisions are made on it)."""
    proba = predict_proba(model, cases["text"].tolist())
    pred = labels_from_proba(proba)
    y = cases["category"].tolist()
    cal = calibration(y, proba)
    return ({**score(y, pred), **{k: v for k, v in cal.items() if k != "reliability"}, "per_class": per_class(y, pred),
             "style": score_groups(y, pred, cases["style"].tolist())}, (y, pred), proba)


def scored(y: list[str], proba: np.ndarray) -> dict[str, Any]:
    """n, accuracy, macro-F1, top-2 and ECE of probabilities."""
    cal = calibration(y, proba)
    s = score(y, labels_from_proba(proba))
    return {"n": s["n"], "accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "top2_accuracy": cal["top2_accuracy"],
            "ece": cal["ece"]}


def scope_scores(y: list[str], proba: np.ndarray, scope: np.ndarray) -> dict[str, Any]:
    """Scores of the in-scope and out-of-scope cases (see knowledge_baseline.in_scope)."""
    out: dict[str, Any] = {}
    for name, mask in (("in_scope", scope), ("out_of_scope", ~scope)):
        if mask.any():
            out[name] = scored([t for t, m in zip(y, mask) if m], proba[mask])
    return out


def headline_metrics(results: dict[str, Any], extraction: dict[str, Any], generation: dict[str, Any]) -> dict[str, Any]:
    """The small file `dvc metrics show` and `dvc exp show` display (at most 40 values): per set macro-F1,
    accuracy, top-2 and ECE; the two baselines on the hand-written sets; extraction F1 per set; what the
    generator's drop rule did. Everything else stays in the reports."""
    out: dict[str, Any] = {"model": {}, "baselines": {}, "extraction": {}, "generation": {}}
    for s in ("test", *HAND_SETS):
        if s in results:
            out["model"][s] = {k: results[s][k] for k in ("macro_f1", "accuracy", "top2_accuracy", "ece")}
    for name in ("knowledge_nb", "seeds_only"):
        for s in HAND_SETS:
            value = results.get(name, {}).get(s, {}).get("macro_f1")
            if value is not None:
                out["baselines"][f"{name}_{s}_macro_f1"] = value
    for s in ("seeds", "dev", "heldout"):
        overall = extraction.get(s, {}).get("overall", {})
        for key in ("conditions", "pairs"):
            if key in overall:
                out["extraction"][f"{s}_{key}_f1"] = overall[key]["f1"]
    if generation:
        out["generation"] = {"dropped_share": generation.get("dropped_share_all", 0.0),
                             "drawn": int(sum(generation.get("drawn", {}).values()))}
    n = len(flatten("", out))
    if n > 40:
        raise AssertionError(f"headline metrics hold {n} values (at most 40)")
    return out


@dataclass(frozen=True)
class Extras:
    """What the evaluate stage adds to the scores: the knowledge table (baseline and scope), a seeds-only arm,
    and the inputs of the headline file."""
    knowledge: Path | None = None
    ablation: Any = None                  # a callable returning ablation.Arm, or None
    extraction_report: Path | None = None
    generation_summary: Path | None = None
    headline: Path | None = None


def run_evaluate(model_path: Path, vignettes_path: Path, handwritten_path: Path, reports: Path,
                 prm: EvaluateParams, train_params: TrainParams, extras: Extras | None = None, prior: float = 0.05,
                 more_sets: Mapping[str, Path] | None = None) -> dict[str, Any]:
    """Score the model and write reports/model (atomically, as a whole) and the headline metrics; returns the
    results. `train_params` configure the learning-curve models; `more_sets` are the other hand-written sets
    (name -> cases file, in report order: `hand_set_paths`)."""
    ex = extras or Extras()
    handwritten = read_handwritten(handwritten_path)
    vignettes = read_vignette_rows(vignettes_path, list(prm.splits),
                                   columns=("style", "difficulty", "symptoms", "regions", "factors"))
    model = load_model(model_path)
    results, pairs, cases, probas = evaluate_sets(model, vignettes, handwritten, list(prm.splits))
    hand_sets = {"handwritten": handwritten}
    for name, path in (more_sets or {}).items():
        cases_df = read_handwritten(path)
        hand_sets[name] = cases_df
        results[name], pairs[name], set_proba = score_cases(model, cases_df)
        probas[name] = (pairs[name][0], set_proba)
    for name, (y, proba) in probas.items():
        results[name]["ci95"] = bootstrap_ci(y, proba, prm.bootstrap, prm.bootstrap_seed)
    if ex.knowledge is not None and ex.knowledge.is_file():
        nb = fit_knowledge_nb(pd.read_parquet(ex.knowledge), prior)
        results["knowledge_nb"] = {}
        for name, df in hand_sets.items():
            texts, y = df["text"].tolist(), df["category"].tolist()
            results["knowledge_nb"][name] = scored(y, predict_nb(nb, texts))
            scope = in_scope(nb, texts, y, prm.scope_margin)
            results[name]["scope"] = scope_scores(y, probas[name][1], scope)
    if ex.ablation is not None:
        arm = ex.ablation()
        results["seeds_only"] = {"sources": arm.sources, "conditions": arm.conditions, "facts": arm.facts,
                                 "train_vignettes": arm.vignettes}
        for name, df in hand_sets.items():
            y = df["category"].tolist()
            proba = predict_proba(arm.model, df["text"].tolist())
            results["seeds_only"][name] = {**scored(y, proba), "ci95": bootstrap_ci(y, proba, prm.bootstrap,
                                                                                     prm.bootstrap_seed)}
    train_rows = read_vignette_rows(vignettes_path, ["train"], columns=("symptoms", "regions", "factors"))
    test_rows = vignettes[vignettes["split"] == "test"] if "test" in set(vignettes["split"]) else vignettes
    results["structured_baseline"] = structured_baseline(train_rows, test_rows, handwritten)
    curve = learning_curve(train_rows, test_rows, handwritten, prm.learning_curve_sizes, train_params, model)

    with atomic_dir(reports) as staging:
        live = Live(dir=str(staging), save_dvc_exp=False, dvcyaml=None, report=None)
        for name, value in flatten("", results).items():
            live.log_metric(name.lstrip("/"), value, plot=False)
        plotted = [s for s in ("test", "handwritten") if s in pairs] or list(pairs)[:1]
        for s in plotted:
            y, p = pairs[s]
            live.log_sklearn_plot("confusion_matrix", y, p, name=f"confusion_{s}.json", title=f"Confusion matrix: {s}")
            plot_confusion(y, p, f"Confusion matrix: {s}", staging / "plots" / f"confusion_{s}.png")
        for s_name, (yy, pp) in probas.items():
            if s_name in ("test", "handwritten"):
                live.log_sklearn_plot("calibration", [int(CATEGORIES.index(t) == int(np.argmax(row))) for t, row in
                                                      zip(yy, pp)], pp.max(axis=1).tolist(),
                                      name=f"calibration_{s_name}.json", title=f"Calibration: {s_name}")
        live.end()
        plot_extras(results, probas, curve, staging / "plots")
        write_text(staging / "learning_curve.csv", "train_rows,test_macro_f1,handwritten_macro_f1\n" +
                   "".join(f"{r['train_rows']},{r['test_macro_f1']},{r['handwritten_macro_f1']}\n" for r in curve))
        write_text(staging / "handwritten_predictions.csv", cases.to_csv(index=False, lineterminator="\n"))
        confusions = {s: top_confusions(pairs[s][0], pairs[s][1], prm.top_confusions) for s in pairs}
        write_text(staging / "report.md", render_report(results, confusions, curve, describe_model(model)))
    if ex.headline is not None:
        write_json(ex.headline, headline_metrics(results, read_json_object(ex.extraction_report),
                                                 read_json_object(ex.generation_summary)))
    return results
