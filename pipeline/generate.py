"""DVC stage `generate`: data/facts + data/knowledge -> data/vignettes (params.yaml `generate`).

The same code as `symcause generate`; the same seed gives the same bytes on either engine.

    python -m pipeline.generate [--params FILE] [--quiet]
"""

from __future__ import annotations

import sys
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.generation.runner import (
    dask_settings_from_params,
    run_generate,
    settings_from_params,
)


def generate(params: Params, root: Path, progress: bool) -> str:
    prm = params.generate
    n = run_generate(root / prm.facts_dir, prm.n, prm.seed, root / prm.out, settings_from_params(prm, params.knowledge.prior),
                     prm.batch_size, prm.workers, progress=progress, engine=prm.engine,
                     dask=dask_settings_from_params(prm), knowledge_path=root / prm.knowledge)
    return f"generate: {n} vignettes -> {prm.out} (engine {prm.engine})"


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("generate", __doc__).parse_args(argv)
    return run_stage(args, lambda params, root: generate(params, root, progress=not args.quiet))


if __name__ == "__main__":
    sys.exit(main())
