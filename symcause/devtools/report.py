"""`make report`: reports/benchmark.md, the CI report (posted on pull requests by CML).

    python -m symcause.devtools.report [--rev REV] [--out reports/benchmark.md]

Sections: metrics with deltas (`dvc metrics diff --md REV`, REV -> workspace), params diff
(`dvc params diff --md REV`), the plots under reports/ as images, dataset statistics (published
manifest, vignettes per split and category, dataset report), baseline model metrics, and stage
timings from `make bench` (reports/benchmark.json). Each section that lacks its input says so
and the report goes on.

REV is `--rev` (or REPORT_REV via the Makefile); by default the latest `dataset-v*` tag behind
HEAD, else HEAD~1, else HEAD (a repository with one commit: the workspace against it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from symcause.core.contract import SPLITS
from symcause.core.errors import run_guarded
from symcause.core.io import write_text
from symcause.core.markdown import flatten_numbers, fmt_value, md_table
from symcause.core.params import load_params
from symcause.core.paths import find_project_root
from symcause.devtools.bench import render_md as render_bench
from symcause.release.publish import MANIFEST, report_highlights, verify_manifest

MAX_TABLE_ROWS = 150  # a PR comment holds 65,536 characters


@dataclass(frozen=True)
class Base:
    rev: str | None      # None: no git, no diff sections
    why: str


def _run(cmd: Sequence[str], cwd: Path, timeout: int = 300) -> tuple[int, str, str]:
    try:
        r = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        return 127, "", str(exc)
    return r.returncode, r.stdout, r.stderr


def _git(root: Path, *args: str) -> str | None:
    rc, out, _ = _run(["git", "-C", str(root), *args], root, timeout=60)
    return out.strip() if rc == 0 else None


def choose_base(explicit: str | None, head: str | None, parent: str | None,
                tags: Sequence[tuple[str, str]]) -> Base:
    """The revision to compare the workspace with. `tags`: (name, commit) of dataset-v* tags behind HEAD,
    newest first; `head`/`parent`: commits of HEAD and HEAD~1 (None if absent)."""
    if explicit:
        return Base(explicit, "given with --rev (REPORT_REV)")
    if head is None:
        return Base(None, "not a git checkout (or no commit yet)")
    for name, commit in tags:
        if commit != head:
            return Base(name, "the latest dataset release tag before HEAD")
    if parent:
        return Base("HEAD~1", "the previous commit (no earlier dataset-v* tag)")
    return Base("HEAD", "the only commit (single-commit repository): the workspace against it")


def find_base(root: Path, explicit: str | None) -> Base:
    head = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    parent = _git(root, "rev-parse", "--verify", "-q", "HEAD~1^{commit}") if head else None
    tags: list[tuple[str, str]] = []
    if head and not explicit:
        names = (_git(root, "tag", "--list", "dataset-v*", "--merged", "HEAD", "--sort=-v:refname") or "").split()
        for name in names:
            commit = _git(root, "rev-parse", "--verify", "-q", f"{name}^{{commit}}")
            if commit:
                tags.append((name, commit))
    return choose_base(explicit, head, parent, tags)


def truncate_table(md: str, max_rows: int = MAX_TABLE_ROWS) -> str:
    """Keep the header and the first max_rows rows of a Markdown table, with a note of what was left out."""
    lines = md.rstrip("\n").splitlines()
    if len(lines) <= max_rows + 2:
        return "\n".join(lines)
    left = len(lines) - 2 - max_rows
    return "\n".join(lines[: max_rows + 2] + ["", f"_… {left} more row(s) left out._"])


def table_rows(md: str) -> int:
    """Data rows of a Markdown table (0 for an empty output or a header with no rows)."""
    lines = [ln for ln in md.strip().splitlines() if ln.startswith("|")]
    return max(0, len(lines) - 2)


def drop_rows(md: str, needle: str) -> tuple[str, int]:
    """The table without the data rows that contain `needle`, and how many were dropped."""
    lines = md.strip().splitlines()
    kept = lines[:2] + [ln for ln in lines[2:] if needle not in ln]
    return "\n".join(kept), len(lines) - len(kept)


def _dvc_section(root: Path, what: str, base: Base) -> list[str]:
    """`dvc metrics|params diff --md REV`: changed values, then (metrics) every value in a folded block."""
    if base.rev is None:
        return [f"_Skipped: {base.why}._"]
    dvc = [sys.executable, "-m", "dvc", what, "diff", "--md"]
    rc, out, err = _run([*dvc, base.rev], root)
    if rc != 0:
        msg = (err.strip().splitlines() or ["unknown error"])[-1]
        return [f"_`dvc {what} diff {base.rev}` failed: {msg}_"]
    lines = [truncate_table(out) if table_rows(out) else f"No {what} changed against `{base.rev}`."]
    if what == "metrics":
        rc, full, _ = _run([*dvc, "--all", base.rev], root)
        if rc == 0 and table_rows(full):
            full, dropped = drop_rows(full, ".per_document.")
            note = [f"_{dropped} per-document row(s) left out._", ""] if dropped else []
            lines += ["", "<details><summary>All metrics</summary>", "", truncate_table(full), "", *note,
                      "</details>"]
    return lines


def plot_lines(reports: Path, out_dir: Path) -> list[str]:
    """Every PNG under reports/ (Data Docs excluded) as an image, grouped by folder, paths relative to out_dir."""
    pngs = sorted(p for p in reports.rglob("*.png") if "data_docs" not in p.parts and p.is_file())
    if not pngs:
        return ["_No plots under `reports/` (run `make repro`)._"]
    lines: list[str] = []
    folder = None
    for p in pngs:
        if p.parent != folder:
            folder = p.parent
            lines += [f"### `{folder.relative_to(reports.parent).as_posix()}`", ""]
        rel = Path(os.path.relpath(p, out_dir)).as_posix()
        lines += [f"![{p.stem.replace('_', ' ')}]({rel})", ""]
    return lines[:-1]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def split_category_counts(vignettes: Path) -> dict[str, dict[str, int]] | None:
    """{split: {category: rows}} from the vignettes table (two columns, streamed)."""
    if not vignettes.is_file():
        return None
    counts: dict[str, dict[str, int]] = {}
    pf = pq.ParquetFile(vignettes)
    for i in range(pf.num_row_groups):  # row group by row group: memory stays flat (see publish._batches)
        t = pf.read_row_group(i, columns=["split", "category"])
        for r in pc.value_counts(pc.binary_join_element_wise(t.column(0), t.column(1), "\x1f")).to_pylist():
            s, c = str(r["values"]).split("\x1f", 1)
            counts.setdefault(s, {})
            counts[s][c] = counts[s].get(c, 0) + int(r["counts"])
    return counts


def counts_table(counts: Mapping[str, Mapping[str, int]]) -> list[str]:
    splits = [s for s in SPLITS if s in counts] + sorted(s for s in counts if s not in SPLITS)
    cats = sorted({c for s in counts.values() for c in s})
    rows = [[f"`{c}`", *[fmt_value(counts[s].get(c, 0)) for s in splits], fmt_value(sum(counts[s].get(c, 0)
                                                                                         for s in splits))]
            for c in cats]
    rows.append(["**rows**", *[fmt_value(sum(counts[s].values())) for s in splits],
                 fmt_value(sum(sum(v.values()) for v in counts.values()))])
    return md_table(["category", *splits, "all"], rows)


def dataset_lines(root: Path, prm: Any) -> list[str]:
    lines: list[str] = []
    pub = root / prm.publish.out
    manifest = _read_json(pub / MANIFEST)
    if isinstance(manifest, dict):
        problems = verify_manifest(pub)
        git = manifest.get("git") or {}
        check = (f"all {len(manifest.get('files', []))} files match their sha256" if not problems
                 else f"**{len(problems)} file(s) do not match**: " + "; ".join(problems[:5]))
        lines += [f"Published: `{prm.publish.out}` {manifest.get('name')} {manifest.get('version')} "
                  f"(schema {manifest.get('schema_version')}, git `{str(git.get('revision'))[:12]}`"
                  f"{' dirty' if git.get('dirty') else ''}); manifest check: {check}.", ""]
    else:
        lines += [f"_No published dataset (`{prm.publish.out}/{MANIFEST}`): run `make repro`._", ""]
    counts = None
    if isinstance(manifest, dict):
        counts = ((manifest.get("tables") or {}).get("vignettes") or {}).get("categories")
    if not counts:
        counts = split_category_counts(root / prm.generate.out)
    if counts:
        lines += ["Vignettes per split and category:", "", *counts_table(counts), ""]
    else:
        lines += [f"_No vignettes table (`{prm.generate.out}`)._", ""]
    rep = _read_json(root / prm.audit_vignettes.reports / "report.json")
    if isinstance(rep, dict):
        lines += ["From the dataset report (`reports/vignettes/report.json`):", "",
                  *md_table(["statistic", "value"], report_highlights(rep))]
    else:
        lines += ["_No dataset report (`reports/vignettes/report.json`, stage `audit_vignettes`)._"]
    return lines


def model_lines(root: Path, reports_dir: str) -> list[str]:
    metrics = _read_json(root / reports_dir / "metrics.json")
    if not isinstance(metrics, dict):
        return [f"_No model metrics (`{reports_dir}/metrics.json`, stages train/evaluate)._"]
    nums = flatten_numbers(metrics)
    return truncate_table("\n".join(md_table(["metric", "value"], [[k, fmt_value(v)] for k, v in nums])), 60) \
        .splitlines()


def timing_lines(bench_json: Path) -> list[str]:
    results = _read_json(bench_json)
    if not isinstance(results, dict) or "extraction" not in results:
        return ["## Stage timings", "", f"_No benchmark figures (`{bench_json.name}`): run `make bench`._"]
    return render_bench(results, title="## Stage timings (`make bench`)").rstrip("\n").splitlines()


def render_report(root: Path, prm: Any, base: Base, out: Path) -> str:
    head = _git(root, "rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    reports = root / "reports"
    L = ["# symcause CI report", "",
         f"Workspace at `{head}`{' (uncommitted changes)' if dirty else ''}, dataset version "
         f"{prm.publish.version}. Deltas are against `{base.rev or '-'}`: {base.why}.", "",
         "## Metrics", "", *_dvc_section(root, "metrics", base), "",
         "## Params", "", *_dvc_section(root, "params", base), "",
         "## Dataset", "", *dataset_lines(root, prm), "",
         "## Model", "", *model_lines(root, prm.evaluate.reports), "",
         *timing_lines(reports / "benchmark.json"), "",
         "## Plots", "", *plot_lines(reports, out.parent), ""]
    return "\n".join(L)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.report",
                                 description="Write reports/benchmark.md: metrics and params diffs, plots, dataset "
                                             "statistics and stage timings (from `make bench`).")
    ap.add_argument("--rev", default=None, metavar="REV",
                    help="git revision to compare with (default: the latest dataset-v* tag before HEAD, else "
                         "HEAD~1, else HEAD)")
    ap.add_argument("--out", default="reports/benchmark.md", metavar="FILE", help="output Markdown file")
    ap.add_argument("--params", default=None, metavar="FILE", help="params file (default: the project's params.yaml)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def go() -> None:
        prm = load_params(args.params)
        root = find_project_root()
        out = root / args.out
        base = find_base(root, args.rev)
        write_text(out, render_report(root, prm, base, out))
        print(f"report: -> {args.out} (deltas against {base.rev or '-'}: {base.why})")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())
