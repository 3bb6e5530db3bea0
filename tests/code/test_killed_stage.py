"""A stage killed midway (SIGKILL: no cleanup runs) leaves the previous outputs intact, and the next run
removes what the killed one left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from symcause.core.io import atomic_dir, atomic_path, sweep_stale

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")


def _params(tmp_path: Path, facts_dir: Path, out: Path, n: int) -> Path:
    p = tmp_path / f"params-{n}.yaml"
    p.write_text(yaml.safe_dump({"generate": {"facts_dir": str(facts_dir), "out": str(out), "n": n,
                                              "batch_size": 1000, "workers": 1}}), encoding="utf-8")
    return p


def _stage(params: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.generate", "--params", str(params), "--quiet"]


def _hidden(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


def test_generate_stage_killed_midway_leaves_the_previous_table(seed_tables, tmp_path):
    out_dir = tmp_path / "vignettes"
    out = out_dir / "vignettes.parquet"
    small = _params(tmp_path, seed_tables[0], out, 2000)
    assert subprocess.run(_stage(small), capture_output=True).returncode == 0
    before = out.read_bytes()

    child = subprocess.Popen(_stage(_params(tmp_path, seed_tables[0], out, 5_000_000)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    partial: list[Path] = []
    while time.monotonic() < deadline and child.poll() is None:
        partial = [p for p in _hidden(out_dir) if p.stat().st_size > 0]
        if partial:  # mid-write: some row groups of the new table are on disk
            break
        time.sleep(0.05)
    assert partial, "the stage never started writing"
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL

    assert out.read_bytes() == before  # the previous output, untouched
    assert [p.name for p in _hidden(out_dir)] == [partial[0].name]  # the killed run's temporary, nothing else
    assert str(child.pid) in partial[0].name

    assert subprocess.run(_stage(small), capture_output=True).returncode == 0  # the next run cleans up
    assert out.read_bytes() == before and _hidden(out_dir) == []


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_sweep_puts_back_a_folder_set_aside_by_a_killed_swap(tmp_path):
    """Killed between atomic_dir's two renames: the old folder is in `.out.<pid>.old-*/out`, `out` is gone."""
    pid = _dead_pid()
    aside = tmp_path / f".out.{pid}.old-abc"
    (aside / "out").mkdir(parents=True)
    (aside / "out" / "table.parquet").write_text("old")
    staging = tmp_path / f".out.{pid}.tmp-def"
    staging.mkdir()
    (staging / "half.parquet").write_text("half")
    live = tmp_path / f".out.{os.getpid()}.tmp-ghi"  # this process's own temporary is not touched
    live.mkdir()
    removed = sweep_stale(tmp_path / "out")
    assert sorted(p.name for p in removed) == sorted([aside.name, staging.name])
    assert (tmp_path / "out" / "table.parquet").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", live.name])


def test_atomic_writers_sweep_dead_leftovers_but_not_live_ones(tmp_path):
    pid = _dead_pid()
    (tmp_path / f".t.parquet.{pid}.tmp-x.part").write_text("half")
    (tmp_path / f".t.parquet.{os.getppid()}.tmp-y.part").write_text("a live writer's")  # the parent is alive
    with atomic_path(tmp_path / "t.parquet") as tmp:
        tmp.write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["t.parquet", f".t.parquet.{os.getppid()}.tmp-y.part"])
    (tmp_path / f".d.{pid}.tmp-z").mkdir()
    with atomic_dir(tmp_path / "d") as staging:
        (staging / "x").write_text("x")
    assert not (tmp_path / f".d.{pid}.tmp-z").exists() and (tmp_path / "d" / "x").read_text() == "x"
