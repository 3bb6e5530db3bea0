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

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import find_project_root
from pipeline.errors import BadInputError, ValidationFailed
from pipeline.extract import TABLES
from pipeline.io import atomic_dir, write_json, write_text
from pipeline.schemas import check_integrity, validate_table


def read_tables(facts_dir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name in TABLES:
        path = facts_dir / f"{name}.parquet"
        if not path.is_file():
            raise BadInputError(f"{path}: table is missing (run the extract stage first)")
        try:
            out[name] = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any reader error is bad input here
            raise BadInputError(f"{path}: not a readable Parquet file ({exc})") from exc
    for name in ("conditions",):
        for col in ("aliases", "source_ids"):
            out[name][col] = out[name][col].map(list)
    return out


def derived_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    facts = tables["facts"].copy()
    facts["negated_int"] = facts["negated"].astype(int)
    counts = tables["facts"].groupby("condition_id").size()
    fpc = tables["conditions"][["condition_id", "category"]].copy()
    fpc["n_facts"] = fpc["condition_id"].map(counts).fillna(0).astype(int)
    fpc["category_with_facts"] = fpc["category"].where(fpc["n_facts"] > 0)
    return {"sources": tables["sources"].drop(columns=["text"]), "conditions": tables["conditions"],
            "facts": facts, "factors": tables["factors"], "facts_per_condition": fpc}


def load_suite_specs(suite_dir: Path, substitutions: dict[str, Any], names: Iterable[str] | None = None,
                     section: str = "validate") -> dict[str, dict[str, Any]]:
    """Suites `suite_dir/<table>.json` (all, or only those whose table is in `names`), with each
    '$key' argument replaced by substitutions[key] (params.yaml `section`)."""
    wanted = None if names is None else set(names)
    specs = {}
    for path in sorted(suite_dir.glob("*.json")):
        if wanted is not None and path.stem not in wanted:
            continue
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise BadInputError(f"{path}: not valid JSON ({exc})") from exc
        for exp in spec.get("expectations", []):
            for k, v in list(exp.get("kwargs", {}).items()):
                if isinstance(v, str) and v.startswith("$"):
                    if v[1:] not in substitutions:
                        raise BadInputError(f"{path}: unknown parameter '{v}' (not in params.yaml '{section}')")
                    exp["kwargs"][k] = substitutions[v[1:]]
        specs[path.stem] = spec
    return specs


def run_gx(frames: dict[str, pd.DataFrame], suites: dict[str, dict[str, Any]], docs_dir: Path) -> list[dict[str, Any]]:
    """Run each suite on its frame with great-expectations; build Data Docs in docs_dir."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # no network at run time
    import logging

    import great_expectations as gx  # slow import (~3 s): only in this stage

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # this module sets its own level INFO and announces the temporary default docs site on every context
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.ERROR)

    ctx = gx.get_context(mode="ephemeral")
    try:
        ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}  # type: ignore[assignment]
    except Exception:  # noqa: BLE001 - older config layout: progress bars stay on
        pass
    results: list[dict[str, Any]] = []
    with atomic_dir(docs_dir) as staging:  # the Data Docs site is replaced whole, or not at all
        ctx.add_data_docs_site(site_name="symcause", site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(staging)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
        ds = ctx.data_sources.add_pandas("symcause")
        for name, spec in suites.items():
            if name not in frames:
                raise BadInputError(f"expectation suite '{name}' has no table of that name")
            batch_def = ds.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
            suite = ctx.suites.add(gx.ExpectationSuite(name=name, expectations=[
                gx.expectations.registry.get_expectation_impl(e["type"])(**e.get("kwargs", {}))
                for e in spec["expectations"]
            ], meta=spec.get("meta", {})))
            vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{name}_validation", data=batch_def, suite=suite))
            cp = ctx.checkpoints.add(gx.Checkpoint(name=f"{name}_checkpoint", validation_definitions=[vd],
                                                   actions=[gx.checkpoint.UpdateDataDocsAction(
                                                       name="docs", site_names=["symcause"])]))  # not the temp default site
            res = cp.run(batch_parameters={"dataframe": frames[name]})
            for run in res.run_results.values():
                for er in run.results:
                    results.append({"table": name, "expectation": er.expectation_config.type,
                                    "kwargs": {k: v for k, v in er.expectation_config.kwargs.items() if k != "batch_id"},
                                    "success": bool(er.success),
                                    "observed": er.result.get("observed_value", er.result.get("unexpected_count"))})
    return results


def _relative(path: Path) -> str:
    """A path relative to the project root where possible, so the summary is the same in every clone."""
    try:
        return path.resolve().relative_to(find_project_root().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


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
    suites = load_suite_specs(suite_dir or find_project_root() / "schemas" / "expectations",
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
        "data_docs": _relative(reports / "data_docs" / "index.html"),
    }
    write_json(reports / "summary.json", summary)
    if failures:
        first = next(iter(failures))
        raise ValidationFailed(f"{facts_dir}: validation failed ({', '.join(failures)}); failure cases in "
                               f"{reports}/failures_{first}.csv")
    return summary


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline.validate",
                                description="DVC stage validate: check data/facts (params.yaml 'validate').")
    p.add_argument("--params", default=None, help="params file (default: the project's params.yaml)")
    return p


def main(argv: list[str] | None = None) -> int:
    from pipeline.cli import run_guarded
    from pipeline.params import load_params

    args = build_parser().parse_args(argv)

    def go() -> None:
        prm = load_params(args.params).validate_
        root = find_project_root()
        s = run_validate(root / prm.facts_dir, root / prm.reports, prm.min_conditions, prm.max_facts_per_condition)
        print(f"validate: {s['n_expectations']} expectations passed, rows {s['rows']} -> {prm.reports}")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())

