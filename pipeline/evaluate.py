"""DVC stage `evaluate`: the model on vignette splits and the hand-written cases -> reports/model
(metrics, report.md, predictions, learning curve, plots), with a seeds-only ablation and a knowledge-only
baseline, and the headline metrics file reports/metrics.json.

    python -m pipeline.evaluate [--params FILE]
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.model.ablation import seeds_only_arm
from symcause.model.evaluation import Extras, hand_set_paths, run_evaluate


def evaluate(params: Params, root: Path) -> str:
    start = time.perf_counter()
    prm = params.evaluate
    extras = Extras(knowledge=root / prm.knowledge,
                    ablation=partial(seeds_only_arm, root / params.extract.sources, params, params.generate.n)
                    if prm.ablation else None,
                    extraction_report=root / prm.extraction_report,
                    generation_summary=(root / prm.vignettes).parent / "generation.json", headline=root / prm.headline)
    r = run_evaluate(root / prm.model, root / prm.vignettes, root / prm.handwritten, root / prm.reports, prm,
                     params.train, extras, params.knowledge.prior, hand_set_paths(prm, root))
    parts = ", ".join(f"{s} acc {v['accuracy']:.3f} / macro-F1 {v['macro_f1']:.3f}" for s, v in r.items()
                      if "n" in v and "accuracy" in v)
    sb = r.get("structured_baseline", {}).get("handwritten")
    if sb:
        parts += f"; structured baseline hand-written macro-F1 {sb['macro_f1']:.3f}"
    return f"evaluate: {parts} -> {prm.reports} ({time.perf_counter() - start:.1f} s)"


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("evaluate", __doc__, quiet=False).parse_args(argv)
    return run_stage(args, evaluate)


if __name__ == "__main__":
    sys.exit(main())
