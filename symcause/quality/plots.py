"""The dataset report's plots (PNG, deterministic bytes) and the CSVs `dvc plots` draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless; before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from symcause.core.contract import CATEGORIES, DIFFICULTIES, SEXES, SPLITS, STYLES
from symcause.core.io import write_text, write_with


def _save(fig: Any, path: Path) -> None:
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None}))


def write_plots(v: pd.DataFrame, words: np.ndarray, plots: Path) -> list[str]:
    """PNG plots and the CSVs for `dvc plots`; returns the file names."""
    names = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    counts = v["category"].value_counts().reindex(list(CATEGORIES), fill_value=0)
    axes[0].barh(list(CATEGORIES), counts.to_numpy(), color="tab:blue")
    axes[0].invert_yaxis()
    axes[0].set(title="vignettes per category", xlabel="vignettes")
    width = 0.8 / len(SPLITS)
    y = np.arange(len(CATEGORIES))
    for k, sp in enumerate(SPLITS):
        sub = v.loc[v["split"] == sp, "category"]
        share = sub.value_counts(normalize=True).reindex(list(CATEGORIES), fill_value=0.0) if len(sub) else counts * 0
        axes[1].barh(y + k * width, share.to_numpy(), height=width, label=sp)
    axes[1].set_yticks(y + width, list(CATEGORIES))
    axes[1].invert_yaxis()
    axes[1].set(title="category share per split", xlabel="share of split")
    axes[1].legend()
    fig.tight_layout()
    _save(fig, plots / "categories.png")
    plt.close(fig)
    names.append("categories.png")

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for ax, col, keys in ((axes[0], "style", STYLES), (axes[1], "difficulty", DIFFICULTIES)):
        c = v[col].value_counts().reindex(list(keys), fill_value=0)
        ax.bar(list(keys), c.to_numpy(), color="tab:green")
        ax.set(title=f"{col} distribution", ylabel="vignettes")
    fig.tight_layout()
    _save(fig, plots / "style_difficulty.png")
    plt.close(fig)
    names.append("style_difficulty.png")

    top = int(words.max()) if len(words) else 1
    bins = np.arange(0, top + 3, max(1, (top + 2) // 40))
    fig, ax = plt.subplots(figsize=(8, 4))
    for s in STYLES:
        ax.hist(words[(v["style"] == s).to_numpy()], bins=bins, histtype="step", linewidth=1.5, label=s)
    ax.set(title="text length by style", xlabel="words", ylabel="vignettes")
    ax.legend()
    fig.tight_layout()
    _save(fig, plots / "length_words_by_style.png")
    plt.close(fig)
    names.append("length_words_by_style.png")

    fig, ax = plt.subplots(figsize=(8, 4))
    age_bins = np.arange(15, 100, 5)
    for sex in SEXES:
        ax.hist(v.loc[v["sex"] == sex, "age"].to_numpy(), bins=age_bins, alpha=0.55, label=sex)
    ax.set(title="age by sex", xlabel="age (years)", ylabel="vignettes")
    ax.legend()
    fig.tight_layout()
    _save(fig, plots / "age_by_sex.png")
    plt.close(fig)
    names.append("age_by_sex.png")

    cat = pd.DataFrame({"category": list(CATEGORIES), "count": counts.to_numpy(),
                        "share": (counts / max(len(v), 1)).round(6).to_numpy()})
    write_text(plots / "category_counts.csv", cat.to_csv(index=False))
    hist = np.bincount(words, minlength=top + 1) if len(words) else np.zeros(1, dtype=np.int64)
    write_text(plots / "length_hist.csv",
               pd.DataFrame({"n_words": np.arange(len(hist)), "count": hist}).to_csv(index=False))
    return [*names, "category_counts.csv", "length_hist.csv"]
