"""The knowledge stage's report: summary figures and a heat map of the top findings per condition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless; before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from symcause.core.io import write_with
from symcause.core.markdown import md_table


def heatmap_matrix(knowledge: pd.DataFrame, n_conditions: int, n_findings: int) -> pd.DataFrame:
    """Likelihoods of the most evidenced conditions (rows) and their most frequent findings (columns); 0 where a
    condition has no row for a finding. Non-mimic conditions with the most sources first; ties by id."""
    k = knowledge[~knowledge.mimic]
    support = k.groupby("condition_id").n_sources.sum().sort_index()
    conds = support.sort_values(ascending=False, kind="stable").index[:n_conditions]
    k = k[k.condition_id.isin(conds) & (k.finding_kind != "quality")]
    label = k.finding_kind.str.replace("exam_finding", "exam").str.replace("_factor", "") + ":" + k.finding
    k = k.assign(label=label)
    top = k.groupby("label").likelihood.sum().sort_values(ascending=False, kind="stable").index[:n_findings]
    m = k[k.label.isin(top)].pivot_table(index="condition_id", columns="label", values="likelihood", aggfunc="max")
    return m.reindex(index=list(conds), columns=list(top)).fillna(0.0)


def plot_heatmap(matrix: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(max(8.0, 0.32 * matrix.shape[1] + 4), max(5.0, 0.3 * matrix.shape[0] + 2)))
    ax.imshow(matrix.to_numpy(), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), list(matrix.columns), rotation=70, ha="right", fontsize=7)
    ax.set_yticks(range(matrix.shape[0]), list(matrix.index), fontsize=7)
    ax.set_title("P(finding | condition): the most evidenced conditions and findings (0 = not stated)", fontsize=9)
    fig.colorbar(ax.images[0], ax=ax, fraction=0.025)
    fig.tight_layout()
    write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None}))
    plt.close(fig)


def render_markdown(summary: dict[str, Any], knowledge: pd.DataFrame) -> str:
    top = (knowledge[~knowledge.mimic].sort_values(["likelihood", "n_sources", "condition_id", "finding"],
                                                   ascending=[False, False, True, True], kind="stable").head(15))
    lines = ["# Knowledge table", "",
             f"{summary['rows']:,} rows (condition x finding) for {summary['conditions']} conditions; "
             f"{summary['multi_source_rows']:,} rows rest on more than one source. Likelihood quartiles "
             f"{', '.join(f'{q:.3f}' for q in summary['likelihood_quartiles'])}.", "",
             "Rows per finding kind:", "", *md_table(["kind", "rows"], sorted(summary["by_kind"].items())), "",
             "The most likely findings (non-mimic conditions):", "",
             *md_table(["condition", "finding", "likelihood", "sources", "facts"],
                       [[r.condition_id, f"{r.finding_kind}:{r.finding}", f"{r.likelihood:.3f}", r.n_sources, r.n_facts]
                        for r in top.itertuples()]),
             "", "![top findings per condition](plots/top_findings.png)", ""]
    return "\n".join(lines)


def heatmap_shape(matrix: pd.DataFrame) -> list[int]:
    return [int(x) for x in np.shape(matrix.to_numpy())]
