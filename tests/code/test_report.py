"""make report: the base revision, table helpers, and sections that degrade without their inputs."""
from __future__ import annotations

import json
import shutil

from symcause.core.params import load_params
from symcause.devtools.report import (
    Base,
    choose_base,
    counts_table,
    drop_rows,
    render_report,
    table_rows,
    truncate_table,
)


def test_choose_base():
    tags = [("dataset-v0.2.0", "c2"), ("dataset-v0.1.0", "c1")]
    assert choose_base("origin/main", "h", "p", tags).rev == "origin/main"
    assert choose_base(None, None, None, []).rev is None
    assert choose_base(None, "h", "p", tags).rev == "dataset-v0.2.0"
    assert choose_base(None, "c2", "p", tags).rev == "dataset-v0.1.0"   # HEAD is the latest release
    assert choose_base(None, "c1", "p", [("dataset-v0.1.0", "c1")]).rev == "HEAD~1"
    assert choose_base(None, "h", None, []).rev == "HEAD"                 # a single commit


def test_table_helpers():
    empty = "| Path | Metric | HEAD~1 | workspace | Change |\n|---|---|---|---|---|\n"
    assert table_rows(empty) == 0 and table_rows("") == 0
    per_doc = "".join(f"| m.json | a.per_document.x{i} | 1 | 2 | 1 |\n" for i in range(5))
    full = empty + per_doc + "| m.json | f1 | 1 | 2 | 1 |\n"
    assert table_rows(full) == 6
    kept, dropped = drop_rows(full, ".per_document.")
    assert dropped == 5 and table_rows(kept) == 1
    cut = truncate_table(full, 2)
    assert table_rows(cut) == 2 and "4 more row(s) left out" in cut
    md = "\n".join(counts_table({"train": {"a": 3, "b": 1}, "test": {"a": 1}}))
    assert "| `a` | 3 | 1 | 4 |" in md and "| **rows** | 4 | 1 | 5 |" in md


def test_report_without_git_or_inputs_notes_every_missing_section(root, tmp_path):
    prm = load_params(root / "params.yaml")
    out = tmp_path / "reports" / "benchmark.md"
    text = render_report(tmp_path, prm, Base(None, "not a git checkout"), out)
    for heading in ("## Metrics", "## Params", "## Dataset", "## Model", "## Stage timings", "## Plots"):
        assert heading in text
    assert text.count("_Skipped: not a git checkout._") == 2
    assert "No published dataset" in text and "run `make bench`" in text and "No plots" in text


def test_report_uses_bench_figures_plots_and_manifest(root, tmp_path):
    prm = load_params(root / "params.yaml")
    reports = tmp_path / "reports"
    (reports / "vignettes" / "plots").mkdir(parents=True)
    (reports / "vignettes" / "plots" / "categories.png").write_bytes(b"\x89PNG")
    bench = {"version": "0.1.0", "python": "3.11", "machine": "x",
             "extraction": {"words_per_second": 1000, "mb_per_second": 0.1, "corpus_bytes": 10, "documents": 1,
                            "words": 2, "seconds_best": 0.5, "repeats": 1}}
    (reports / "benchmark.json").write_text(json.dumps(bench))
    pub = tmp_path / prm.publish.out
    pub.mkdir(parents=True)
    (pub / "a.txt").write_text("a")
    from symcause.core.hashing import sha256_file

    manifest = {"name": "symcause", "version": "0.1.0", "schema_version": "1.0.0", "git": {"revision": "abc"},
                "tables": {"vignettes": {"categories": {"train": {"spinal": 2}}}},
                "files": [{"path": "a.txt", "rows": None, "bytes": 1, "sha256": sha256_file(pub / "a.txt")}]}
    (pub / "manifest.json").write_text(json.dumps(manifest))
    text = render_report(tmp_path, prm, Base(None, "no git"), reports / "benchmark.md")
    assert "1,000 words/s" in text
    assert "![categories](vignettes/plots/categories.png)" in text
    assert "all 1 files match their sha256" in text and "| `spinal` | 2 | 2 |" in text
    (pub / "a.txt").write_text("b")
    shutil.rmtree(reports / "vignettes")
    text = render_report(tmp_path, prm, Base(None, "no git"), reports / "benchmark.md")
    assert "1 file(s) do not match" in text


def test_bench_figures_render_training_and_repro_rows():
    from symcause.devtools.bench import render_md

    results = {"version": "0.1.0", "python": "3.11", "machine": "x",
               "extraction": {"words_per_second": 1000, "mb_per_second": 0.1, "corpus_bytes": 10, "documents": 1,
                              "words": 2, "seconds_best": 0.5, "repeats": 1},
               "generation": {"workers": 2, "vignettes_per_second": 25000, "vignettes": 1_000_000, "seconds": 40.0,
                              "parquet_mb": 62.1, "peak_memory_mb": 600.0},
               "training": {"vignettes": 100_000, "seconds": 48.0, "vignettes_per_second": 2083, "iterations": 186,
                            "peak_memory_mb": 870.0},
               "repro": {"full_seconds": 97.0, "stages_seconds": {"extract": 6.0, "evaluate": 35.7, "train": 18.5,
                                                                   "publish": 1.8},
                         "noop_seconds": 2.4, "noop_stages_run": [], "cores": 2}}
    md = render_md(results)
    assert "| generation throughput (2 worker(s)) | 25,000 vignettes/s |" in md
    assert "| training time (100,000 vignettes) | 48.0 s (2,083 vignettes/s, 186 solver iterations) |" in md
    assert "| `dvc repro` from scratch (2 cores) | 97.0 s (slowest: evaluate 35.7 s, train 18.5 s, extract 6.0 s) |" in md
    assert "| no-op `dvc repro` | 2.4 s (0 stages re-run) |" in md
