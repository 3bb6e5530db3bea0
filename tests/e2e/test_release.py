"""Release end to end: publish in a temporary clone, tag dataset-v0.1.0, `dvc push` to a temporary remote,
then `dvc import` the published folder into a fresh downstream git+DVC repository and check every checksum.

The clone gets the seed fact tables and 6,000 seed vignettes (session fixtures) instead of a full
`dvc repro`, and a dvc.yaml holding only the `publish` stage (the project's own definition when
dvc.yaml has one), so `data/published` is a DVC-tracked stage output as in the real project.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from symcause.core.hashing import sha256_file
from symcause.devtools.bench import copy_project
from symcause.release.publish import MANIFEST, SUMS

pytestmark = pytest.mark.slow

TAG = "dataset-v0.1.0"
def _env() -> dict[str, str]:
    who = {"GIT_AUTHOR_NAME": "symcause-test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "symcause-test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    return dict(os.environ, **who, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                GX_ANALYTICS_ENABLED="false", DVC_NO_ANALYTICS="1")


def _run(cmd: list[str], cwd: Path) -> str:
    r = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{' '.join(cmd)} (in {cwd}) failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def _dvc(*args: str, cwd: Path) -> str:
    return _run([sys.executable, "-m", "dvc", *args], cwd)


def _git(*args: str, cwd: Path) -> str:
    return _run(["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args], cwd).strip()


def _release_dvc_yaml(root: Path, proj: Path) -> dict:
    """dvc.yaml for the clone: the project's own publish stage (deps that the clone lacks dropped) and artifact.
    A project whose dvc.yaml lacks either fails here: the test releases what the project declares."""
    spec = yaml.safe_load((root / "dvc.yaml").read_text()) or {}
    assert "publish" in (spec.get("stages") or {}), "dvc.yaml has no publish stage"
    assert "symcause-dataset" in (spec.get("artifacts") or {}), "dvc.yaml does not declare the dataset artifact"
    stage = dict(spec["stages"]["publish"])
    stage["deps"] = [d for d in stage.get("deps", []) if (proj / d).exists()]
    return {"stages": {"publish": stage}, "artifacts": spec["artifacts"]}


def test_release_then_downstream_dvc_import(root, seed_tables, seed_vignettes, tmp_path):
    src, remote, down = tmp_path / "src", tmp_path / "remote", tmp_path / "down"
    src.mkdir()
    copy_project(root, src)
    for leftover in ("data/facts", "data/vignettes", "data/published", "reports/model"):
        shutil.rmtree(src / leftover, ignore_errors=True)
    shutil.copytree(seed_tables[0], src / "data" / "facts")
    (src / "data" / "vignettes").mkdir(parents=True)
    shutil.copy2(seed_vignettes[0], src / "data" / "vignettes" / "vignettes.parquet")
    (src / "dvc.yaml").write_text(yaml.safe_dump(_release_dvc_yaml(root, src), sort_keys=False))
    (src / "dvc.lock").unlink(missing_ok=True)

    # the source repository: a temporary remote replaces the default one with one command
    _git("init", "-q", cwd=src)
    _dvc("remote", "add", "-d", "-f", "storage", str(remote), cwd=src)
    _git("add", "-A", cwd=src)
    _git("commit", "-qm", "source", cwd=src)
    _dvc("repro", "publish", cwd=src)
    published = src / "data" / "published"
    manifest = json.loads((published / MANIFEST).read_text())
    assert "git" not in manifest  # content hashes only: the tag names the commit
    _git("add", "-A", cwd=src)
    _git("commit", "-qm", "dataset 0.1.0", cwd=src)
    _git("tag", "-a", TAG, "-m", "symcause dataset 0.1.0", cwd=src)
    tag_rev = _git("rev-parse", f"{TAG}^{{commit}}", cwd=src)
    assert json.loads(_dvc("status", "--json", cwd=src) or "{}") == {}
    _dvc("push", cwd=src)
    assert any(remote.rglob("*")), "dvc push wrote nothing to the remote"
    shutil.rmtree(src / ".dvc" / "cache")  # the import must come from the remote, not the source's cache

    # the consumer: a fresh git + DVC repository imports the release by tag
    down.mkdir()
    _git("init", "-q", cwd=down)
    _dvc("init", "-q", cwd=down)
    _dvc("import", str(src), "data/published", "--rev", TAG, "-o", "published", cwd=down)
    got = down / "published"
    imported = json.loads((got / MANIFEST).read_text())
    assert imported == manifest and imported["version"] == "0.1.0"
    listed = {e["path"] for e in imported["files"]}
    on_disk = {p.relative_to(got).as_posix() for p in got.rglob("*") if p.is_file()}
    assert on_disk == listed | {MANIFEST, SUMS}
    for e in imported["files"]:
        p = got / e["path"]
        assert p.stat().st_size == e["bytes"] and sha256_file(p) == e["sha256"], e["path"]
    for line in (got / SUMS).read_text().splitlines():
        digest, rel = line.split("  ", 1)
        assert sha256_file(got / rel) == digest, rel
    lock = yaml.safe_load((down / "published.dvc").read_text())
    dep = lock["deps"][0]
    assert dep["path"] == "data/published" and dep["repo"]["rev"] == TAG and dep["repo"]["rev_lock"] == tag_rev

    # the CI report in the source repository: deltas against the previous commit, manifest verified
    _run([sys.executable, "-m", "symcause.devtools.report"], src)
    report = (src / "reports" / "benchmark.md").read_text()
    assert "Deltas are against `HEAD~1`" in report
    assert f"all {len(listed)} files match their sha256" in report
    for heading in ("## Metrics", "## Params", "## Dataset", "## Stage timings", "## Plots"):
        assert heading in report
