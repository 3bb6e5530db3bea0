"""End to end: `dvc repro` on the bundled sources in a temporary copy of the project."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from symcause.devtools.bench import copy_project

pytestmark = pytest.mark.slow


def _out_hashes(lock: Path) -> dict[str, str]:
    import yaml

    if not lock.exists():
        return {}
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
    return {o["path"]: o.get("md5") or o.get("hash", "") for st in stages.values() for o in st.get("outs", [])}


def test_dvc_repro_from_scratch(root, tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    copy_project(root, proj)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               GX_ANALYTICS_ENABLED="false")
    subprocess.run(["git", "init", "-q"], cwd=proj, check=True)
    git_id = ["-c", "user.name=symcause-test", "-c", "user.email=test@example.invalid"]
    subprocess.run(["git", "add", "-A"], cwd=proj, check=True)
    subprocess.run(["git", *git_id, "commit", "-q", "-m", "copy"], cwd=proj, check=True)
    dvc = [sys.executable, "-m", "dvc"]
    committed = _out_hashes(proj / "dvc.lock")
    r = subprocess.run([*dvc, "repro", "--force"], cwd=proj, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("sources", "conditions", "facts", "factors"):
        assert (proj / "data" / "facts" / f"{name}.parquet").is_file()
    metrics = json.loads((proj / "reports" / "extraction.json").read_text())
    seeds = metrics["seeds"]
    assert seeds["totals"]["conditions"] >= 25 and seeds["totals"]["facts"] >= 100
    assert seeds["totals"]["categories_covered"] == 6
    import pandas as pd
    import yaml

    n = yaml.safe_load((proj / "params.yaml").read_text())["generate"]["n"]
    vignettes = pd.read_parquet(proj / "data" / "vignettes" / "vignettes.parquet")
    assert len(vignettes) == n and set(vignettes.category.unique()) >= {"spinal", "knee_joint", "hip_joint"}
    report = json.loads((proj / "reports" / "vignettes" / "report.json").read_text())
    assert report["duplicates"]["exact_cross_split_rows"] == 0
    # same code and params as the committed dvc.lock -> byte-identical outputs, every one of them (tables,
    # model, reports, Data Docs, the published folder): a fresh clone's `make repro` changes nothing committed
    fresh = _out_hashes(proj / "dvc.lock")
    assert {"data/facts", "data/vignettes", "data/models", "data/published"} <= set(committed)
    assert set(fresh) == set(committed)
    differ = sorted(path for path in committed if fresh[path] != committed[path])
    assert differ == [], f"outputs differ from the committed dvc.lock: {differ}"
    # the stage ran the package code of this copy, and the outputs equal the checked-in code's
    st = subprocess.run([*dvc, "status", "--json"], cwd=proj, env=env, capture_output=True, text=True)
    assert st.returncode == 0 and json.loads(st.stdout or "{}") == {}
