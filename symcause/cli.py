"""The `symcause` command: extract, validate, generate, predict (see ../shared/CONTRACT.md).

A face of the library, beside the DVC stage modules in `pipeline/`: it parses arguments and calls
the same library functions the stages call; it never imports a stage.

Start-up: the sub-command's library module is imported only once that sub-command is chosen, so
`symcause --help` and a mistyped argument answer in about 0.1 s instead of the 2-3 s that pandas,
scikit-learn and pyarrow take to import (measured on 2 cores: `symcause --help` 0.09 s lazy vs
2.4 s with top-level imports). These are the only imports inside functions in the package.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from symcause import __version__
from symcause.core.errors import run_guarded

MAX_TEXT_CHARS = 20_000  # keep equal to symcause.model.predict.MAX_TEXT_CHARS (tests/code/test_predict.py checks)


def _cmd_extract(args: argparse.Namespace) -> None:
    from symcause.extraction.tables import (
        run_extract,  # lazy: start-up (module docstring)
    )

    report = run_extract([Path(p) for p in args.paths], Path(args.out), args.max_bytes, args.strict,
                         progress=not args.quiet)
    print(f"extract: {len(report.read)} read, {len(report.skipped)} skipped, "
          f"{len(report.duplicates)} duplicate(s) -> {args.out}")


def _cmd_validate(args: argparse.Namespace) -> None:
    from symcause.quality.validation import (
        run_validate,  # lazy: start-up (module docstring)
    )

    summary = run_validate(Path(args.facts), Path(args.reports))
    print(f"validate: all checks passed ({summary['n_expectations']} expectations) -> {args.reports}")


def _cmd_generate(args: argparse.Namespace) -> None:
    from dataclasses import replace  # lazy: start-up (module docstring)

    from symcause.core.params import load_params
    from symcause.generation.runner import (
        dask_settings_from_params,
        run_generate,
        settings_from_params,
    )

    params = load_params(args.params)
    g = params.generate
    workers = args.workers if args.workers is not None else g.workers
    engine = args.engine or g.engine
    dask = dask_settings_from_params(g)
    if args.dask_address:
        dask = replace(dask, address=args.dask_address)
    n = run_generate(Path(args.facts), args.n, args.seed if args.seed is not None else g.seed, Path(args.out),
                     settings_from_params(g, params.knowledge.prior), args.batch_size or g.batch_size, workers,
                     progress=not args.quiet, engine=engine, dask=dask,
                     knowledge_path=Path(args.knowledge) if args.knowledge else None, knowledge_params=params.knowledge)
    print(f"generate: {n} vignettes -> {args.out} (engine {engine})")


def _cmd_predict(args: argparse.Namespace) -> None:
    from symcause.core.params import load_params  # lazy: start-up (module docstring)
    from symcause.core.paths import find_project_root
    from symcause.model.predict import run_predict

    root = find_project_root()
    model = Path(args.model) if args.model else root / load_params(args.params).train.model
    n = run_predict(Path(args.in_path), Path(args.out_path), model, args.max_chars, args.format,
                    root / "reports" / "metrics.json")
    print(f"predict: {n} case(s) -> {args.out_path}")


def _measured() -> str:
    """The measured hand-written figures from the project's reports/metrics.json, for --help (a small JSON read)."""
    try:
        from symcause.core.paths import find_project_root  # lazy: start-up (module docstring)

        m = json.loads((find_project_root() / "reports" / "metrics.json").read_text(encoding="utf-8"))
        h = m["model"]["handwritten"]
        return (f"Measured on the hand-written test cases: accuracy {h['accuracy']:.2f}, top-2 accuracy "
                f"{h['top2_accuracy']:.2f}, macro-F1 {h['macro_f1']:.2f} (reports/metrics.json).")
    except Exception:  # noqa: BLE001 - help text must never fail; the figures are optional
        return "Measured accuracy: see reports/metrics.json after `make repro`."


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _add_extract(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    e = sub.add_parser("extract", help="extract fact tables from articles (.txt, .md, .html)",
                       description="Write DIR/sources|conditions|facts|factors.parquet from articles.")
    e.add_argument("paths", nargs="+", metavar="PATH", help="article file or folder")
    e.add_argument("--out", required=True, metavar="DIR", help="output folder")
    e.add_argument("--strict", action="store_true", help="any skipped source is an error (exit 2)")
    e.add_argument("--max-bytes", type=_positive, default=2_000_000, help="skip sources larger than this")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.set_defaults(fn=_cmd_extract)


def _add_validate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    v = sub.add_parser("validate", help="validate fact tables (pandera + great-expectations)",
                       description="Validate DIR's tables; write Data Docs and failure cases to REPORTS.")
    v.add_argument("--facts", default="data/facts", metavar="DIR")
    v.add_argument("--reports", default="reports/validation", metavar="DIR")
    v.set_defaults(fn=_cmd_validate)


def _add_generate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    g = sub.add_parser("generate", help="write N synthetic vignettes from fact tables",
                       description="Write N vignettes (Parquet, the contract's `vignettes` table) from the fact "
                                   "tables in DIR. Wording rates and splits come from params.yaml 'generate'. "
                                   "The same seed gives the same table; memory is bounded by --batch-size.")
    g.add_argument("--facts", default="data/facts", metavar="DIR", help="folder with the fact tables")
    g.add_argument("--n", type=_positive, required=True, metavar="N", help="number of vignettes")
    g.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: params.yaml)")
    g.add_argument("--out", required=True, metavar="FILE", help="output Parquet file")
    g.add_argument("--knowledge", default=None, metavar="FILE",
                   help="knowledge table (stage knowledge) to draw findings from (default: built from the fact tables "
                        "with params.yaml 'knowledge')")
    g.add_argument("--params", default=None, metavar="FILE", help="params file (default: the project's params.yaml)")
    g.add_argument("--workers", type=int, default=None, help="processes (0 = all cores; same rows for any value)")
    g.add_argument("--batch-size", type=_positive, default=None, help="rows per batch / Parquet row group")
    g.add_argument("--engine", choices=("local", "dask"), default=None,
                   help="local: one Parquet file; dask: partitioned Parquet in the folder FILE (default: params.yaml)")
    g.add_argument("--dask-address", default=None, metavar="ADDR",
                   help="dask scheduler address (default: params.yaml generate.dask.address, else a LocalCluster)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(fn=_cmd_generate)


def _add_predict(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("predict", help="predict cause categories for free-text cases",
                       description="Predict the cause category of each case: reads JSON Lines (or CSV) with 'id' "
                                   "and 'text'; writes CSV or JSON Lines (by --format or the extension of --out) "
                                   "with the most probable category, the top-3 differential, all six "
                                   "probabilities (4 places), the concepts read in the text, and the model and "
                                   f"dataset versions. {_measured()} Research use only, not for diagnosis.")
    p.add_argument("--in", dest="in_path", required=True, metavar="FILE",
                   help="JSON Lines with 'id' and 'text' (or a .csv file with those columns)")
    p.add_argument("--out", dest="out_path", required=True, metavar="FILE",
                   help="output file: .csv writes CSV, anything else JSON Lines (unless --format)")
    p.add_argument("--format", choices=("csv", "jsonl"), default=None, help="output format (default: from --out)")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="skops model (default: params.yaml train.model, data/models/model.skops)")
    p.add_argument("--params", default=None, metavar="FILE", help="params file (default: the project's params.yaml)")
    p.add_argument("--max-chars", type=_positive, default=MAX_TEXT_CHARS, metavar="N",
                   help=f"refuse a text longer than N characters (default {MAX_TEXT_CHARS:,})")
    p.set_defaults(fn=_cmd_predict)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="symcause", description="Articles about radiating leg pain -> an evaluated "
                                "symptom-cause dataset. Research use only, not for diagnosis.")
    p.add_argument("--version", action="version", version=f"symcause {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for add in (_add_extract, _add_validate, _add_generate, _add_predict):
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_guarded(lambda: args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
