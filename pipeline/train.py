"""DVC stage `train`: vignettes (split `train`) and the knowledge table -> data/models/model.skops + model.card.json.

    python -m pipeline.train [--params FILE]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.model.training import run_train


def train(params: Params, root: Path) -> str:
    start = time.perf_counter()
    prm = params.train
    card = run_train(root / prm.vignettes, root / prm.model, prm, params.publish.version, root / prm.knowledge,
                     params.knowledge.prior)
    feats = ", ".join(f"{k} {v:,}" for k, v in card["features"].items())
    return (f"train: {card['training_data']['rows']:,} vignettes, features {feats} -> {prm.model} "
            f"({time.perf_counter() - start:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("train", __doc__, quiet=False).parse_args(argv)
    return run_stage(args, train)


if __name__ == "__main__":
    sys.exit(main())
