"""Classification metrics (pure functions of labels and probabilities): accuracy, macro-F1, per-class
precision/recall/F1, top-2 accuracy, expected calibration error, Brier score, confusions."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from symcause.core.contract import CATEGORIES

DIGITS = 4


def rounded(x: float) -> float:
    return round(float(x), DIGITS)


def score(y_true: list[str], y_pred: list[str]) -> dict[str, Any]:
    """n, accuracy, macro-F1 over the six categories, and F1 per category (0 where undefined)."""
    f1 = f1_score(y_true, y_pred, labels=list(CATEGORIES), average=None, zero_division=0)
    return {"n": len(y_true), "accuracy": rounded(accuracy_score(y_true, y_pred)),
            "macro_f1": rounded(f1_score(y_true, y_pred, labels=list(CATEGORIES), average="macro", zero_division=0)),
            "f1": {c: rounded(v) for c, v in zip(CATEGORIES, f1)}}


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
        table.append({"bin": b, "confidence": rounded(conf[m].mean()), "accuracy": rounded(correct[m].mean()), "n": int(m.sum())})
    return {"top2_accuracy": rounded(top2), "ece": rounded(ece), "brier": rounded(brier), "reliability": table}


def per_class(y_true: list[str], y_pred: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 per category."""
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=list(CATEGORIES), zero_division=0)
    return {c: {"precision": rounded(a), "recall": rounded(b), "f1": rounded(d)} for c, a, b, d in zip(CATEGORIES, p, r, f)}


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
