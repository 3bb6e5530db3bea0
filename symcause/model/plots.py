"""The evaluate stage's PNG plots: confusion matrices, per-class F1, calibration, learning curve.

Deterministic bytes: no software or date metadata in the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless; before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import confusion_matrix

from symcause.core.contract import CATEGORIES
from symcause.core.io import write_with
from symcause.model.metrics import calibration


def plot_confusion(y_true: list[str], y_pred: list[str], title: str, path: Path) -> None:
    """A PNG confusion matrix (counts; rows true, columns predicted), deterministic bytes."""
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
