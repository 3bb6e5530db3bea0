"""Stage `validate`: pandera column contracts + great-expectations table checks with Data Docs.

pandera (schemas/tables.yaml) checks types, allowed values and unique ids; `check_integrity`
checks facts -> conditions -> sources and the evidence offsets; great-expectations 1.x
(suites in schemas/expectations/*.json) checks table-level properties and distributions
and renders HTML Data Docs. Any violation writes its failure cases to the reports folder and
stops the stage (exit code 2).

    python -m pipeline.validate [--params params.yaml]
    symcause validate --facts DIR --reports DIR
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from symcause.core.contract import FACT_TABLES as TABLES
from symcause.core.errors import ValidationFailed
from symcause.core.io import write_json, write_text
from symcause.core.paths import project_relative, schemas_dir
from symcause.core.tables import check_integrity, read_tables, validate_table
from symcause.quality.gx import load_suite_specs, run_gx


def derived_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    facts = tables["facts"].copy()
    facts["negated_int"] = facts["negated"].astype(int)
    counts = tables["facts"].groupby("condition_id").size()
    fpc = tables["conditions"][["condition_id", "category"]].copy()
    fpc["n_facts"] = fpc["condition_id"].map(counts).fillna(0).astype(int)
    fpc["category_with_facts"] = fpc["category"].where(fpc["n_facts"] > 0)
    return {"sources": tables["sources"].drop(columns=["text"]), "conditions": tables["conditions"],
            "facts": facts, "factors": tables["factors"], "facts_per_condition": fpc}


def run_validate(facts_dir: Path, reports: Path, min_conditions: int = 5, max_facts_per_condition: int = 400,
                 suite_dir: Path | None = None) -> dict[str, Any]:
    tables = read_tables(facts_dir)
    reports.mkdir(parents=True, exist_ok=True)
    for old in reports.glob("failures_*.csv"):
        old.unlink()
    failures: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        try:
            tables[name] = validate_table(name, tables[name])
        except ValidationFailed as exc:
            failures[f"schema_{name}"] = exc.failure_cases  # type: ignore[attr-defined]
    integrity = check_integrity(tables)
    if len(integrity):
        failures["integrity"] = integrity
    frames = derived_tables(tables)
    suites = load_suite_specs(suite_dir or schemas_dir() / "expectations",
                              {"min_conditions": min_conditions, "max_facts_per_condition": max_facts_per_condition},
                              names=frames)  # suites of other stages (vignettes.json: audit_vignettes) are not ours
    gx_results = run_gx(frames, suites, reports / "data_docs")
    failed_gx = [r for r in gx_results if not r["success"]]
    if failed_gx:
        failures["expectations"] = pd.DataFrame(failed_gx)
    for key, df in failures.items():
        write_text(reports / f"failures_{key}.csv", df.to_csv(index=False))
    summary = {
        "success": not failures,
        "n_expectations": len(gx_results),
        "n_failed_expectations": len(failed_gx),
        "schema_failures": {k: int(len(v)) for k, v in failures.items() if k.startswith("schema_")},
        "integrity_failures": int(len(integrity)),
        "rows": {k: int(len(v)) for k, v in tables.items()},
        "expectations": gx_results,
        "data_docs": project_relative(reports / "data_docs" / "index.html"),
    }
    write_json(reports / "summary.json", summary)
    if failures:
        first = next(iter(failures))
        raise ValidationFailed(f"{facts_dir}: validation failed ({', '.join(failures)}); failure cases in "
                               f"{reports}/failures_{first}.csv")
    return summary


def run_table_expectations(frames: dict[str, pd.DataFrame], reports: Path, section: str,
                           substitutions: dict[str, Any] | None = None, suite_dir: Path | None = None) -> dict[str, Any]:
    """The great-expectations suites of `frames` (schemas/expectations/<table>.json) with Data Docs in
    reports/data_docs and summary.json; a failed expectation writes its cases to reports/failures_expectations.csv
    and raises ValidationFailed (the stage stops)."""
    suites = load_suite_specs(suite_dir or schemas_dir() / "expectations", substitutions or {}, names=frames,
                              section=section)
    for old in reports.glob("failures_*.csv") if reports.is_dir() else []:
        old.unlink()
    results = run_gx(frames, suites, reports / "data_docs")
    failed = [r for r in results if not r["success"]]
    summary = {"success": not failed, "n_expectations": len(results), "n_failed_expectations": len(failed),
               "expectations": results, "data_docs": project_relative(reports / "data_docs" / "index.html")}
    write_json(reports / "summary.json", summary)
    if failed:
        write_text(reports / "failures_expectations.csv", pd.DataFrame(failed).to_csv(index=False))
        raise ValidationFailed(f"{', '.join(frames)}: {len(failed)} expectation(s) failed; cases in "
                               f"{reports}/failures_expectations.csv")
    return summary
