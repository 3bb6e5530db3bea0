"""What every DVC stage entry point shares: its argument parser and the guarded run."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from symcause.core.errors import run_guarded
from symcause.core.params import Params, load_params
from symcause.core.paths import find_project_root


def stage_parser(stage: str, description: str | None, quiet: bool = True) -> argparse.ArgumentParser:
    """`python -m pipeline.<stage> [--params FILE] [--quiet]`."""
    p = argparse.ArgumentParser(prog=f"python -m pipeline.{stage}", description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--params", default=None, metavar="FILE", help="params file (default: the project's params.yaml)")
    if quiet:
        p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run_stage(args: argparse.Namespace, body: Callable[[Params, Path], str]) -> int:
    """Load and validate params (before any work), run `body(params, project_root)` and print its
    one-line summary; errors become one-line messages and the contract's exit codes."""

    def go() -> None:
        params = load_params(args.params)
        print(body(params, find_project_root()))

    return run_guarded(go)
