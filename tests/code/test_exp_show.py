"""`make exp`: `dvc exp show` with the headline metrics and the params that matter fits a 200-column terminal,
and `dvc metrics show` reads one small headline file."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml


def test_make_exp_fits_200_columns_with_the_params_that_matter(root):
    r = subprocess.run(["make", "-s", "exp"], cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 200
    header = next(line for line in lines if "Experiment" in line)
    assert "train.C" in header and "generate.n" in header and "…" not in header
    if (Path(root) / "reports" / "metrics.json").is_file():
        assert "model.handwritten.macro_f1" in header


def test_dvc_declares_only_the_headline_metrics_file_and_it_is_small(root):
    spec = yaml.safe_load((Path(root) / "dvc.yaml").read_text())
    declared = [next(iter(m)) if isinstance(m, dict) else m
                for stage in spec["stages"].values() for m in stage.get("metrics", [])]
    assert declared == ["reports/metrics.json"]
    path = Path(root) / "reports" / "metrics.json"
    if path.is_file():
        def leaves(d):
            return sum(leaves(v) if isinstance(v, dict) else 1 for v in d.values())
        assert 10 <= leaves(json.loads(path.read_text())) <= 40
