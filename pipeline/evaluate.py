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

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from pipeline import find_project_root
from pipeline.errors import BadInputError
from pipeline.io import atomic_dir, write_text, write_with
from pipeline.params import EvaluateParams
from pipeline.predict import iter_json_objects, labels_from_proba, load_model, predict_proba
from pipeline.train import read_vignette_rows
from pipeline.vocab import CATEGORIES

HANDWRITTEN_KEYS = ("id", "text", "category", "style")
DIGITS = 4


# ---------------------------------------------------------------------------------------------
# inputs


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


# ---------------------------------------------------------------------------------------------
# metrics (pure)


def _r(x: float) -> float:
    return round(float(x), DIGITS)


def score(y_true: list[str], y_pred: list[str]) -> dict[str, Any]:
    """n, accuracy, macro-F1 over the six categories, and F1 per category (0 where undefined)."""
    f1 = f1_score(y_true, y_pred, labels=list(CATEGORIES), average=None, zero_division=0)
    return {"n": len(y_true), "accuracy": _r(accuracy_score(y_true, y_pred)),
            "macro_f1": _r(f1_score(y_true, y_pred, labels=list(CATEGORIES), average="macro", zero_division=0)),
            "f1": {c: _r(v) for c, v in zip(CATEGORIES, f1)}}


def calibration(y_true: list[str], proba: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Top-2 accuracy, expected calibration error (confidence of the top class, equal-width bins), multi-class
    Brier score, and the reliability table (per bin: mean confidence, accuracy, count)."""
    idx = np.array([CATEGORIES.index(c) for c in y_true])
    n = len(idx)
    if n == 0:
        return {"top2_accuracy": 0.0, "ece": 0.0, "brier": 0.0, "reliability": []}
    order = np.argsort(-proba, axis=1, kind="stable")
    top2 = float(np.mean([idx[i] in order[i, :2] for i in range(n)]))
    conf = proba.max(axis=1)
    correct = order[:, 0] == idx
    onehot = np.zeros_like(proba)
    onehot[np.arange(n), idx] = 1.0
    brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    table = []
    for b in range(bins):
        m = which == b
        if not m.any():
            continue
        ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
        table.append({"bin": b, "confidence": _r(conf[m].mean()), "accuracy": _r(correct[m].mean()), "n": int(m.sum())})
    return {"top2_accuracy": _r(top2), "ece": _r(ece), "brier": _r(brier), "reliability": table}


def per_class(y_true: list[str], y_pred: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 per category."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=list(CATEGORIES), zero_division=0)
    return {c: {"precision": _r(a), "recall": _r(b), "f1": _r(d)} for c, a, b, d in zip(CATEGORIES, p, r, f)}


def score_groups(y_true: list[str], y_pred: list[str], groups: list[str]) -> dict[str, dict[str, Any]]:
    """n, accuracy and macro-F1 per group value (sorted)."""
    out: dict[str, dict[str, Any]] = {}
    t, p, g = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    for value in sorted(set(groups)):
        m = g == value
        s = score(list(t[m]), list(p[m]))
        out[value] = {"n": s["n"], "accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}
    return out


def top_confusions(y_true: list[str], y_pred: list[str], k: int) -> list[tuple[str, str, int]]:
    """The k most frequent (true, predicted) pairs with true != predicted (ties by name)."""
    c = Counter((t, p) for t, p in zip(y_true, y_pred) if t != p)
    return [(t, p, n) for (t, p), n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def flatten(prefix: str, d: dict[str, Any]) -> dict[str, float]:
    """{'a': {'b': 1}} -> {'prefix/a/b': 1} (dvclive nests names at '/')."""
    out: dict[str, float] = {}
    for k, v in d.items():
        name = f"{prefix}/{k}"
        if isinstance(v, dict):
            out.update(flatten(name, v))
        else:
            out[name] = v
    return out


# ---------------------------------------------------------------------------------------------
# outputs


def plot_confusion(y_true: list[str], y_pred: list[str], title: str, path: Path) -> None:
    """A PNG confusion matrix (counts; rows true, columns predicted), deterministic bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = confusion_matrix(y_true, y_pred, labels=list(CATEGORIES))
    row = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, row, out=np.zeros(cm.shape, dtype=float), where=row > 0)
    fig, ax = plt.subplots(figsize=(7.2, 6.0))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(CATEGORIES)):
        for j in range(len(CATEGORIES)):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=9,
                    color="white" if share[i, j] > 0.6 else "black")
    ticks = range(len(CATEGORIES))
    ax.set_xticks(ticks, CATEGORIES, rotation=35, ha="right")
    ax.set_yticks(ticks, CATEGORIES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    acc = float(np.trace(cm)) / max(int(cm.sum()), 1)
    ax.set_title(f"{title}\nn={int(cm.sum())}, accuracy {acc:.3f}; cell = count, colour = share of row",
                 fontsize=10)
    fig.tight_layout()
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None}))
    plt.close(fig)


def plot_extras(results: dict[str, Any], probas: dict[str, tuple[list[str], np.ndarray]],
                curve: list[dict[str, float]], folder: Path) -> None:
    """Per-class F1 (test vs hand-written), calibration curves and the learning curve, as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    meta = {"Software": None}
    sets = [s for s in ("test", "handwritten") if s in results]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    x = np.arange(len(CATEGORIES))
    for i, s_name in enumerate(sets):
        ax.bar(x + (i - 0.5) * 0.38, [results[s_name]["f1"][c] for c in CATEGORIES], width=0.38, label=s_name)
    ax.set_xticks(x, [c.replace("_", "\n") for c in CATEGORIES], fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.set_title("Per-class F1: synthetic test vs hand-written")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "per_class_f1.png", dpi=110, metadata=meta)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    for s_name in sets:
        y, p = probas[s_name]
        table = calibration(y, p)["reliability"]
        ax.plot([t["confidence"] for t in table], [t["accuracy"] for t in table], marker="o",
                label=f"{s_name} (ECE {results[s_name]['ece']:.3f})")
    ax.set_xlabel("confidence of the top class")
    ax.set_ylabel("accuracy")
    ax.set_title("Calibration")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "calibration.png", dpi=110, metadata=meta)
    plt.close(fig)
    if curve:
        fig, ax = plt.subplots(figsize=(5.2, 3.6))
        xs = [r["train_rows"] for r in curve]
        ax.plot(xs, [r["test_macro_f1"] for r in curve], marker="o", label="synthetic test")
        ax.plot(xs, [r["handwritten_macro_f1"] for r in curve], marker="o", label="hand-written")
        ax.set_xscale("log")
        ax.set_ylim(0, 1)
        ax.set_xlabel("training vignettes")
        ax.set_ylabel("macro-F1")
        ax.set_title("Learning curve")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "learning_curve.png", dpi=110, metadata=meta)
        plt.close(fig)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def render_report(results: dict[str, Any], confusions: dict[str, list[tuple[str, str, int]]],
                  curve: list[dict[str, float]] | None = None) -> str:
    sets = [s for s in results if isinstance(results[s], dict) and "macro_f1" in results[s] and "n" in results[s]]
    out = ["# Model evaluation", "",
           "Baseline TF-IDF (words + vocabulary concept tokens) + logistic regression trained on split `train` of "
           "the synthetic vignettes. `handwritten` are cases written by people (never trained or tuned on): they "
           "measure transfer to real wording. `handwritten_dev` are other hand-written cases that tuning decisions "
           "are made on (never trained on). Research use only, not for diagnosis.", "",
           _table(["set", "n", "accuracy", "macro-F1", "top-2 accuracy", "ECE", "Brier"],
                  [[s, results[s]["n"], results[s]["accuracy"], results[s]["macro_f1"], results[s].get("top2_accuracy"),
                    results[s].get("ece"), results[s].get("brier")] for s in sets]), ""]
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


def evaluate_sets(model: Any, vignettes: pd.DataFrame, handwritten: pd.DataFrame,
                  splits: list[str]) -> tuple[dict[str, Any], dict[str, tuple[list[str], list[str]]], pd.DataFrame]:
    """Scores per set, (true, predicted) per set, and the per-case table of the hand-written cases."""
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
        results["gap"] = {"macro_f1": _r(results["test"]["macro_f1"] - results["handwritten"]["macro_f1"]),
                          "accuracy": _r(results["test"]["accuracy"] - results["handwritten"]["accuracy"])}
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


def score_cases(model: Any, cases: pd.DataFrame) -> tuple[dict[str, Any], tuple[list[str], list[str]]]:
    """Scores of a hand-written set (the development set: tuning decisions are made on it)."""
    proba = predict_proba(model, cases["text"].tolist())
    pred = labels_from_proba(proba)
    y = cases["category"].tolist()
    cal = calibration(y, proba)
    return ({**score(y, pred), **{k: v for k, v in cal.items() if k != "reliability"}, "per_class": per_class(y, pred),
             "style": score_groups(y, pred, cases["style"].tolist())}, (y, pred))


def run_evaluate(model_path: Path, vignettes_path: Path, handwritten_path: Path, reports: Path,
                 prm: EvaluateParams, train_params: Any = None, dev_path: Path | None = None) -> dict[str, Any]:
    """Score the model and write reports/model (atomically, as a whole); returns the results.
    `train_params` (a TrainParams; default: the project's) configure the learning-curve models."""
    if train_params is None:
        from pipeline.params import load_params

        train_params = load_params().train
    from dvclive import Live

    handwritten = read_handwritten(handwritten_path)
    vignettes = read_vignette_rows(vignettes_path, list(prm.splits),
                                   columns=("style", "difficulty", "symptoms", "regions", "factors"))
    model = load_model(model_path)
    results, pairs, cases, probas = evaluate_sets(model, vignettes, handwritten, list(prm.splits))
    if dev_path is not None:
        results["handwritten_dev"], pairs["handwritten_dev"] = score_cases(model, read_handwritten(dev_path))
    from pipeline.baselines import learning_curve, structured_baseline

    train_rows = read_vignette_rows(vignettes_path, ["train"], columns=("symptoms", "regions", "factors"))
    test_rows = vignettes[vignettes["split"] == "test"] if "test" in set(vignettes["split"]) else vignettes
    results["structured_baseline"] = structured_baseline(train_rows, test_rows, handwritten)
    curve = learning_curve(train_rows, test_rows, handwritten, prm.learning_curve_sizes, train_params)

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
        confusions = {s: top_confusions(*pairs[s], prm.top_confusions) for s in pairs}
        write_text(staging / "report.md", render_report(results, confusions, curve))
    return results


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline.evaluate",
                                description="DVC stage evaluate: the model on vignette splits val/test and on the "
                                            "hand-written cases -> reports/model (params.yaml 'evaluate').")
    p.add_argument("--params", default=None, help="params file (default: the project's params.yaml)")
    return p


def main(argv: list[str] | None = None) -> int:
    from pipeline.cli import run_guarded
    from pipeline.params import load_params

    args = build_parser().parse_args(argv)

    def go() -> None:
        start = time.perf_counter()
        params = load_params(args.params)
        prm = params.evaluate
        root = find_project_root()
        r = run_evaluate(root / prm.model, root / prm.vignettes, root / prm.handwritten, root / prm.reports, prm,
                         params.train, root / prm.handwritten_dev if prm.handwritten_dev else None)
        parts = ", ".join(f"{s} acc {v['accuracy']:.3f} / macro-F1 {v['macro_f1']:.3f}" for s, v in r.items()
                          if "n" in v)
        sb = r.get("structured_baseline", {}).get("handwritten")
        if sb:
            parts += f"; structured baseline hand-written macro-F1 {sb['macro_f1']:.3f}"
        print(f"evaluate: {parts} -> {prm.reports} ({time.perf_counter() - start:.1f} s)")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())
