"""DVC stage `knowledge`: data/facts -> data/knowledge/knowledge.parquet, P(finding | condition) with the facts
behind each likelihood, validated (pandera + great-expectations with Data Docs) -> reports/knowledge.

    python -m pipeline.knowledge [--params FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

from symcause.core.io import atomic_dir, write_json, write_parquet, write_text
from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.core.tables import read_tables, validate_table
from symcause.core.vocab import cached_vocab
from symcause.knowledge.estimate import build_knowledge, summary
from symcause.knowledge.report import heatmap_matrix, plot_heatmap, render_markdown
from symcause.quality.validation import run_table_expectations


def knowledge(params: Params, root: Path) -> str:
    prm = params.knowledge
    t = read_tables(root / prm.facts_dir)
    table = validate_table("knowledge", build_knowledge(t["conditions"], t["facts"], t["factors"], cached_vocab(), prm))
    reports = root / prm.reports
    checks = run_table_expectations({"knowledge": table}, reports / "validation", section="knowledge")
    write_parquet(root / prm.out, table)
    info = summary(table)
    info["validation"] = {"n_expectations": checks["n_expectations"], "success": checks["success"]}
    with atomic_dir(reports / "plots") as plots:
        plot_heatmap(heatmap_matrix(table, prm.heatmap_conditions, prm.heatmap_findings), plots / "top_findings.png")
    write_json(reports / "report.json", info)
    write_text(reports / "report.md", render_markdown(info, table))
    return (f"knowledge: {info['rows']:,} rows for {info['conditions']} conditions "
            f"({info['multi_source_rows']:,} from more than one source) -> {prm.out}")


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("knowledge", __doc__, quiet=False).parse_args(argv)
    return run_stage(args, knowledge)


if __name__ == "__main__":
    sys.exit(main())
