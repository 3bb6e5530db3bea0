"""DVC stage `audit_vignettes`: validate data/vignettes (pandera, traceability to the fact tables,
cross-split duplicates, great-expectations with Data Docs) and write the dataset report
(report.json / report.md / plots). Exit code 2 when the table fails; failure cases are CSV files.

    python -m pipeline.audit_vignettes [--params FILE]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.quality.audit import run_audit, settings_from_params


def audit_vignettes(params: Params, root: Path, params_file: str) -> str:
    start = time.perf_counter()
    prm = params.audit_vignettes
    r = run_audit(root / prm.vignettes, root / prm.facts_dir, root / prm.reports, settings_from_params(prm, params_file))
    d = r["duplicates"]
    return (f"audit_vignettes: {r['rows']} vignettes passed {r['validation']['n_expectations']} expectations; "
            f"distinct-2 {r['lexical']['distinct_2']}, near-dup across splits {d['near_cross_split_rate']:.4f} "
            f"-> {prm.reports} ({time.perf_counter() - start:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("audit_vignettes", __doc__, quiet=False).parse_args(argv)
    return run_stage(args, lambda params, root: audit_vignettes(params, root, args.params or "params.yaml"))


if __name__ == "__main__":
    sys.exit(main())
