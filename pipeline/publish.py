"""DVC stage `publish`: the release folder (publish.out, default data/published): the fact tables and
the vignettes by split as Parquet, the dataset card README.md, manifest.json and SHA256SUMS.

    python -m pipeline.publish [--params FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.release.publish import publish


def publish_stage(params: Params, root: Path) -> str:
    m = publish(root, params.publish)
    v = m["tables"]["vignettes"]
    return (f"publish: {m['name']} {m['version']}: {len(m['files'])} files, {v['rows']:,} vignettes "
            f"({', '.join(f'{s} {n:,}' for s, n in v['splits'].items())}) -> {params.publish.out}")


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("publish", __doc__, quiet=False).parse_args(argv)
    return run_stage(args, publish_stage)


if __name__ == "__main__":
    sys.exit(main())
