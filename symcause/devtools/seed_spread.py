"""`make spread`: how much the hand-written scores move with the random seed alone.

The vignettes are a random draw and the classifier is fitted on them, so a change to a vocabulary or a rule moves
the hand-written macro-F1 through two channels: what it changes, and a different draw. This tool regenerates the
vignettes and refits the model for several seeds (`generate.seed` and `train.seed` replaced together; everything
else from params.yaml and the current `data/facts` and `data/knowledge`) and reports each hand-written set's
macro-F1, accuracy and top-2 accuracy per seed, with their mean, minimum and maximum. A difference smaller than the
spread is not evidence either way. Figures, not pass/fail; nothing under `data/` is changed.

    python -m symcause.devtools.seed_spread --seeds 20261122 1 2 3 [--n 100000] [--out spread.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from symcause.core.errors import BadInputError
from symcause.core.io import write_json
from symcause.core.params import Params, validate_params
from symcause.core.paths import find_project_root
from symcause.generation.runner import run_generate, settings_from_params
from symcause.model.evaluation import hand_set_paths, read_handwritten, scored
from symcause.model.predict import predict_proba
from symcause.model.training import fit_model, read_vignette_rows, with_knowledge


def one_seed(root: Path, params: Params, seed: int, n: int, sets: dict[str, Any], work: Path) -> dict[str, Any]:
    """Generate `n` vignettes and fit the model with `seed`; the scores of every hand-written set."""
    g = params.generate
    out = work / f"vignettes_{seed}.parquet"
    run_generate(root / g.facts_dir, n, seed, out, settings_from_params(g), batch_size=g.batch_size, progress=False,
                 knowledge_path=root / g.knowledge, knowledge_params=params.knowledge)
    train = read_vignette_rows(out, ["train"])
    model = fit_model(train["text"].astype(str).tolist(), train["category"].astype(str).tolist(),
                      params.train.model_copy(update={"seed": seed}))
    if params.train.knowledge_weight:   # the model the train stage ships: blended with the knowledge table
        model = with_knowledge(model, pd.read_parquet(root / params.train.knowledge), params.train.knowledge_weight,
                               params.knowledge.prior, params.train.temperature)
    res = {}
    for name, df in sets.items():
        s = scored(df["category"].tolist(), predict_proba(model, df["text"].tolist()))
        res[name] = {k: s[k] for k in ("macro_f1", "accuracy", "top2_accuracy")}
    return res


def summarise(per_seed: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Mean, min and max of each set's scores over the seeds."""
    out: dict[str, Any] = {}
    first = next(iter(per_seed.values()))
    for name in first:
        out[name] = {}
        for key in first[name]:
            vals = [r[name][key] for r in per_seed.values()]
            out[name][key] = {"mean": round(statistics.fmean(vals), 4), "min": min(vals), "max": max(vals)}
    return out


def with_overrides(path: Path, overrides: list[str]) -> Params:
    """params.yaml with `section.key=value` overrides (YAML values), validated like the file itself."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise BadInputError(f"--set {item}: expected SECTION.KEY=VALUE")
        *parents, name = key.split(".")
        node = raw
        for part in parents:
            node = node.setdefault(part, {})
        node[name] = yaml.safe_load(value)
    return validate_params(raw, f"{path} with --set {' '.join(overrides)}" if overrides else str(path))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.seed_spread", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=None,
                    help="seeds to draw with (default: params.yaml generate.seed and 1 2 3)")
    ap.add_argument("--n", type=int, default=None, help="vignettes per seed (default: generate.n)")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures to this JSON file")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="change a param for this run only (YAML value; repeatable), e.g. generate.likelihood_cap=true")
    args = ap.parse_args(argv)
    root = find_project_root()
    params = with_overrides(root / "params.yaml", args.overrides)
    ev = params.evaluate
    paths = {"handwritten": root / ev.handwritten, **hand_set_paths(ev, root)}
    sets = {name: read_handwritten(path) for name, path in paths.items()}
    seeds = args.seeds or [params.generate.seed, 1, 2, 3]
    n = args.n or params.generate.n
    per_seed: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            per_seed[seed] = one_seed(root, params, seed, n, sets, Path(tmp))
            print(f"seed {seed}: " + ", ".join(f"{k} macro-F1 {v['macro_f1']:.3f}" for k, v in per_seed[seed].items()),
                  flush=True)
    summary = summarise(per_seed)
    for name, v in summary.items():
        m = v["macro_f1"]
        print(f"{name}: macro-F1 mean {m['mean']:.3f} (min {m['min']:.3f}, max {m['max']:.3f}) over {len(seeds)} seeds")
    if args.out:
        write_json(args.out, {"n": n, "seeds": seeds, "per_seed": {str(k): v for k, v in per_seed.items()},
                              "summary": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
