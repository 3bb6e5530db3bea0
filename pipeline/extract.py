"""DVC stage `extract`: data/sources -> data/facts (sources, conditions, facts, factors tables).

Reads params.yaml `extract`; the same code as `symcause extract PATH... --out DIR`.

    python -m pipeline.extract [--params FILE] [--quiet]
"""

from __future__ import annotations

import sys
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.extraction.tables import run_extract


def extract(params: Params, root: Path, progress: bool) -> str:
    prm = params.extract
    report = run_extract([root / prm.sources], root / prm.out, prm.max_bytes, prm.strict, progress=progress,
                         source_types=tuple(prm.source_types))
    return (f"extract: {len(report.read)} read, {len(report.skipped)} skipped, "
            f"{len(report.duplicates)} duplicate(s) -> {prm.out}")


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("extract", __doc__).parse_args(argv)
    return run_stage(args, lambda params, root: extract(params, root, progress=not args.quiet))


if __name__ == "__main__":
    sys.exit(main())
