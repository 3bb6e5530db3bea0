"""DVC stage `validate`: check data/facts with pandera (column contracts, cross-table integrity) and
great-expectations (table-level and distribution checks, Data Docs). A violation stops the pipeline
(exit 2) with failure cases as CSV next to the Data Docs.

    python -m pipeline.validate [--params FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.quality.validation import run_validate


def validate(params: Params, root: Path) -> str:
    prm = params.validate_
    s = run_validate(root / prm.facts_dir, root / prm.reports, prm.min_conditions, prm.max_facts_per_condition)
    return f"validate: {s['n_expectations']} expectations passed, rows {s['rows']} -> {prm.reports}"


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("validate", __doc__, quiet=False).parse_args(argv)
    return run_stage(args, validate)


if __name__ == "__main__":
    sys.exit(main())
