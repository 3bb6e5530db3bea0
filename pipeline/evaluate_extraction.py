"""DVC stage `evaluate_extraction`: the extractor against hand annotation (seeds, development
articles, held-out articles) -> reports/extraction.json.

    python -m pipeline.evaluate_extraction [--params FILE]
"""

from __future__ import annotations

import sys
from pathlib import Path

from symcause.core.params import Params
from symcause.core.stage import run_stage, stage_parser
from symcause.quality.extraction_eval import run_evaluation


def evaluate_extraction(params: Params, root: Path) -> str:
    e = params.evaluate_extraction
    rep = run_evaluation(root / params.extract.out, root / e.gold, root / e.heldout_articles, root / e.out,
                         root / e.dev_articles, e.dev_groups, root / e.markdown,
                         root / e.baseline if e.baseline else None, root / e.audits if e.audits else None)
    lines = []
    for name, part in rep.items():
        if name == "audits":
            continue
        o = part["overall"]
        lines.append(f"{name}: conditions F1 {o['conditions']['f1']} (R {o['conditions']['recall']}), category acc "
                     f"{o['category_accuracy']}, pairs R {o['pairs']['recall']} P {o['pairs']['precision']}, "
                     f"factors F1 {o['factors']['f1']}")
    for a in rep.get("audits", [])[-1:]:
        lines.append(f"latest blind audit {a['file']}: facts precision {a['facts']['precision']}, "
                     f"factors {a['factors']['precision']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = stage_parser("evaluate_extraction", __doc__, quiet=False).parse_args(argv)
    return run_stage(args, evaluate_extraction)


if __name__ == "__main__":
    sys.exit(main())
