"""End to end: `dvc repro` on the bundled sources in a temporary copy of the project."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _copy_project(root: Path, dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root, capture_output=True,
                           text=True, check=True).stdout.split()
    for rel in files:
        src = root / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def test_dvc_repro_from_scratch(root, tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    _copy_project(root, proj)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               GX_ANALYTICS_ENABLED="false")
    subprocess.run(["git", "init", "-q"], cwd=proj, check=True)
    dvc = [sys.executable, "-m", "dvc"]
    r = subprocess.run([*dvc, "repro", "--force"], cwd=proj, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("sources", "conditions", "facts", "factors"):
        assert (proj / "data" / "facts" / f"{name}.parquet").is_file()
    metrics = json.loads((proj / "reports" / "extraction.json").read_text())
    seeds = metrics["seeds"]
    assert seeds["totals"]["conditions"] >= 25 and seeds["totals"]["facts"] >= 100
    assert seeds["totals"]["categories_covered"] == 6
    # the stage ran the package code of this copy, and the outputs equal the checked-in code's
    st = subprocess.run([*dvc, "status", "--json"], cwd=proj, env=env, capture_output=True, text=True)
    assert st.returncode == 0 and json.loads(st.stdout or "{}") == {}
