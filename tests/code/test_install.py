"""A non-editable install of the wheel works from any directory: the package data carries the schemas."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_wheel_installs_and_extracts_outside_the_checkout(root, tmp_path):
    wheels = tmp_path / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                        str(wheels), str(root)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(wheels.glob("symcause-*.whl"))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (target / "symcause" / "schemas" / "vocab" / "symptoms.yaml").is_file()
    assert not (target / "pipeline").exists()  # the stage modules are not installed: only `symcause`
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    article = elsewhere / "a.md"
    article.write_text("# Sciatica\n\nSciatica causes pain that shoots down the back of the leg into the foot.\n")
    env = {k: v for k, v in os.environ.items() if k not in ("SYMCAUSE_ROOT", "PYTHONPATH")}
    code = (f"import sys; sys.path.insert(0, {str(target)!r}); import symcause, symcause.core.paths as p; "
            "from symcause.cli import main; print(symcause.__file__); print(p.schemas_dir()); "
            "sys.exit(main(['extract', 'a.md', '--out', 'facts', '--quiet']))")
    r = subprocess.run([sys.executable, "-I", "-c", code], cwd=elsewhere, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert str(target / "symcause" / "__init__.py") in r.stdout  # the installed copy, not the checkout
    assert str(target / "symcause" / "schemas") in r.stdout
    assert (elsewhere / "facts" / "facts.parquet").is_file()
