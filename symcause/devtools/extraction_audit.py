"""Draw the extraction audit sample for a reviewer (see symcause.quality.extraction_audit).

    python -m symcause.devtools.extraction_audit [--facts data/facts] [--out data/audit/extraction_sample.csv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symcause.core.errors import run_guarded
from symcause.core.io import write_text
from symcause.core.tables import read_tables
from symcause.quality.extraction_audit import draw_sample


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.extraction_audit", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facts", default="data/facts", help="folder with the fact tables")
    ap.add_argument("--out", default="data/audit/extraction_sample.csv", help="the sample to judge (CSV)")
    ap.add_argument("--facts-n", type=int, default=150, help="facts to sample")
    ap.add_argument("--factors-n", type=int, default=100, help="factors to sample")
    ap.add_argument("--seed", type=int, default=20261201, help="random seed of the sample")
    args = ap.parse_args(argv)

    def go() -> None:
        sample = draw_sample(read_tables(Path(args.facts)), args.facts_n, args.factors_n, args.seed)
        write_text(args.out, sample.to_csv(index=False, lineterminator="\n"))
        print(f"extraction_audit: {len(sample)} items -> {args.out}")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())
