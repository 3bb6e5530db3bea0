"""Is the committed dvc.lock current? Run on a fresh clone before `dvc repro` (CI does).

    python -m symcause.devtools.lock_check

A fresh clone has no outputs, so `dvc status` lists every output as missing and every dependency that
another stage produces as deleted; those are expected. Anything else (a code, data or schema file, a
param or a command that differs from what dvc.lock recorded) means the lock is stale: the committed
outputs were not built from the committed code, and a fresh `make repro` would change committed files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from symcause.core.errors import SymcauseError, run_guarded
from symcause.core.paths import find_project_root


def produced_paths(dvc_yaml: dict[str, Any]) -> set[str]:
    """Paths some stage writes (outs, metrics, plots)."""
    out: set[str] = set()
    for stage in (dvc_yaml.get("stages") or {}).values():
        for key in ("outs", "metrics", "plots"):
            for entry in stage.get(key) or []:
                out.add(entry if isinstance(entry, str) else next(iter(entry)))
    return out


def stale_entries(status: dict[str, Any], produced: set[str]) -> list[str]:
    """What in `dvc status --json` shows a stale lock (ignoring outputs missing on a fresh clone)."""
    problems: list[str] = []
    for stage, changes in status.items():
        for change in changes if isinstance(changes, list) else [changes]:
            if isinstance(change, str):  # "changed command", "always changed"
                problems.append(f"{stage}: {change}")
                continue
            for kind, entries in change.items():
                if kind == "changed outs":
                    continue
                if not isinstance(entries, dict):
                    problems.append(f"{stage}: {kind}")
                    continue
                for path, what in entries.items():
                    if isinstance(what, dict):  # params: {key: "modified"}
                        problems += [f"{stage}: {kind}: {path}: {k} {v}" for k, v in what.items()]
                    elif not (what == "deleted" and path.rstrip("/") in produced):
                        problems.append(f"{stage}: {kind}: {path} {what}")
    return problems


def check(root: Path) -> list[str]:
    r = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"], cwd=root, capture_output=True, text=True,
                       timeout=300)
    if r.returncode != 0:
        raise SymcauseError(f"dvc status failed: {r.stderr.strip()[:500]}")
    status = json.loads(r.stdout or "{}")
    produced = produced_paths(yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {})
    return stale_entries(status, produced)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.lock_check", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args(argv)
    found: list[str] = []

    def go() -> None:
        found.extend(check(find_project_root()))
        for p in found:
            print(p, file=sys.stderr)
        print(f"lock_check: dvc.lock {'is stale (' + str(len(found)) + ' entries)' if found else 'is current'}")

    return run_guarded(go) or (1 if found else 0)


if __name__ == "__main__":
    sys.exit(main())
