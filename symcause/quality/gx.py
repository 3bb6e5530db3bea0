"""great-expectations (GX Core 1.x): suites kept in the repository as JSON, run on pandas frames,
with HTML Data Docs. pandera owns the column contracts; GX owns table-level and distribution checks.

Importing this module imports great_expectations (about 3 s): only the stages that validate do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ["GX_ANALYTICS_ENABLED"] = "false"  # no network at run time; set before GX reads it on import

import great_expectations as gx
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier

from symcause.core.errors import BadInputError
from symcause.core.io import atomic_dir

# A fixed run: the Data Docs name validation results by run name and time, so a real clock would make
# every build's pages (and their DVC hash) differ. Each build replaces the site whole (atomic_dir).
RUN_ID = RunIdentifier(run_name="symcause", run_time=datetime(2026, 1, 1, tzinfo=UTC))


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
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # this module sets its own level INFO and announces the temporary default docs site on every context
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.ERROR)

    ctx = gx.get_context(mode="ephemeral")
    with contextlib.suppress(Exception):  # older config layouts: progress bars stay on
        ctx.variables.progress_bars = {"globally": False, "metric_calculations": False}
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
            res = cp.run(batch_parameters={"dataframe": frames[name]}, run_id=RUN_ID)
            for run in res.run_results.values():
                for er in run.results:
                    results.append({"table": name, "expectation": er.expectation_config.type,
                                    "kwargs": {k: v for k, v in er.expectation_config.kwargs.items() if k != "batch_id"},
                                    "success": bool(er.success),
                                    "observed": er.result.get("observed_value", er.result.get("unexpected_count"))})
        make_deterministic(staging)
    return results


_CACHE_BUSTER = re.compile(r"(\.(?:png|svg|css|js))\?d=\d{8}T\d{6}\.\d+Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STAMP = re.compile(r"\b20\d{6}T\d{6}\.\d{6}Z\b")


def _number_uuids(text: str) -> str:
    ids: dict[str, str] = {}
    return _UUID.sub(lambda m: ids.setdefault(m.group(0), f"block-{len(ids):04d}"), text)


def make_deterministic(docs_dir: Path) -> None:
    """Data Docs pages stamp the render time into asset URLs (`logo.png?d=<now>`) and the validation time
    into the page, and name collapsible blocks with random UUIDs. Drop the URL stamps, put the fixed run
    time for the others and number the UUIDs in order of appearance (consistently within a page, so the
    links still work): the same results give the same bytes, and DVC sees no change."""
    fixed_time = RUN_ID.run_time.strftime("%Y%m%dT%H%M%S.%fZ")
    for page in sorted(docs_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        fixed = _number_uuids(_STAMP.sub(fixed_time, _CACHE_BUSTER.sub(r"\1", text)))
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")
