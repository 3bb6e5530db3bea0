"""The `symcause` command: extract, validate, generate, predict (see ../shared/CONTRACT.md)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from pipeline import __version__
from pipeline.errors import SymcauseError


def run_guarded(fn: Callable[[], None]) -> int:
    """Run `fn`; map errors to one-line messages and the contract's exit codes."""
    logging.basicConfig(level=logging.WARNING, format="symcause: warning: %(message)s")
    try:
        fn()
    except SymcauseError as exc:
        print(f"symcause: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("symcause: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, exit 1
        print(f"symcause: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_extract(args: argparse.Namespace) -> None:
    from pipeline.extract import run_extract

    report = run_extract([Path(p) for p in args.paths], Path(args.out), args.max_bytes, args.strict,
                         progress=not args.quiet)
    print(f"extract: {len(report.read)} read, {len(report.skipped)} skipped, "
          f"{len(report.duplicates)} duplicate(s) -> {args.out}")


def _cmd_validate(args: argparse.Namespace) -> None:
    from pipeline.validate import run_validate

    summary = run_validate(Path(args.facts), Path(args.reports))
    print(f"validate: all checks passed ({summary['n_expectations']} expectations) -> {args.reports}")


def _cmd_generate(args: argparse.Namespace) -> None:
    from dataclasses import replace

    from pipeline.generate import dask_settings_from_params, run_generate, settings_from_params
    from pipeline.params import load_params

    g = load_params(args.params).generate
    workers = args.workers if args.workers is not None else g.workers
    engine = args.engine or g.engine
    dask = dask_settings_from_params(g)
    if args.dask_address:
        dask = replace(dask, address=args.dask_address)
    n = run_generate(Path(args.facts), args.n, args.seed if args.seed is not None else g.seed, Path(args.out),
                     settings_from_params(g), args.batch_size or g.batch_size, workers, progress=not args.quiet,
                     engine=engine, dask=dask)
    print(f"generate: {n} vignettes -> {args.out} (engine {engine})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="symcause", description="Articles about radiating leg pain -> an evaluated "
                                "symptom-cause dataset. Research use only, not for diagnosis.")
    p.add_argument("--version", action="version", version=f"symcause {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("extract", help="extract fact tables from articles (.txt, .md, .html)",
                       description="Write DIR/sources|conditions|facts|factors.parquet from articles.")
    e.add_argument("paths", nargs="+", metavar="PATH", help="article file or folder")
    e.add_argument("--out", required=True, metavar="DIR", help="output folder")
    e.add_argument("--strict", action="store_true", help="any skipped source is an error (exit 2)")
    e.add_argument("--max-bytes", type=int, default=2_000_000, help="skip sources larger than this")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.set_defaults(fn=_cmd_extract)
    v = sub.add_parser("validate", help="validate fact tables (pandera + great-expectations)",
                       description="Validate DIR's tables; write Data Docs and failure cases to REPORTS.")
    v.add_argument("--facts", default="data/facts", metavar="DIR")
    v.add_argument("--reports", default="reports/validation", metavar="DIR")
    v.set_defaults(fn=_cmd_validate)
    g = sub.add_parser("generate", help="write N synthetic vignettes from fact tables",
                       description="Write N vignettes (Parquet, the contract's `vignettes` table) from the fact "
                                   "tables in DIR. Wording rates and splits come from params.yaml 'generate'. "
                                   "The same seed gives the same table; memory is bounded by --batch-size.")
    g.add_argument("--facts", default="data/facts", metavar="DIR", help="folder with the fact tables")
    g.add_argument("--n", type=int, required=True, metavar="N", help="number of vignettes")
    g.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: params.yaml)")
    g.add_argument("--out", required=True, metavar="FILE", help="output Parquet file")
    g.add_argument("--params", default=None, metavar="FILE", help="params file (default: the project's params.yaml)")
    g.add_argument("--workers", type=int, default=None, help="processes (0 = all cores; same rows for any value)")
    g.add_argument("--batch-size", type=int, default=None, help="rows per batch / Parquet row group")
    g.add_argument("--engine", choices=("local", "dask"), default=None,
                   help="local: one Parquet file; dask: partitioned Parquet in the folder FILE (default: params.yaml)")
    g.add_argument("--dask-address", default=None, metavar="ADDR",
                   help="dask scheduler address (default: params.yaml generate.dask.address, else a LocalCluster)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(fn=_cmd_generate)
    from pipeline.predict import add_predict_parser

    add_predict_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_guarded(lambda: args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
