"""The house rules, checked from the source: DVC deps cover each stage's code, stages never import stages
or the CLI, imports sit at module level (or are commented start-up exceptions), one definition per helper."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from symcause.devtools.dvc_deps import closure, missing_deps, stage_imports_stage, stage_modules
from symcause.devtools.lock_check import produced_paths, stale_entries

# Imports inside function bodies that are allowed, each for a measured start-up reason (see the comment there).
LAZY_IMPORTS = {
    ("symcause/cli.py", "symcause.extraction.tables"), ("symcause/cli.py", "symcause.quality.validation"),
    ("symcause/cli.py", "dataclasses"), ("symcause/cli.py", "symcause.core.params"),
    ("symcause/cli.py", "symcause.generation.runner"), ("symcause/cli.py", "symcause.core.paths"),
    ("symcause/cli.py", "symcause.model.predict"),
    ("symcause/generation/runner.py", "symcause.generation.dask_engine"),
}


def test_every_stage_lists_its_import_closure_in_dvc_yaml(root):
    problems = {stage: files for stage, files in missing_deps(root).items() if files}
    assert problems == {}, f"dvc.yaml deps miss code the stage imports: {problems}"
    assert set(stage_modules(root)) == set(yaml.safe_load((root / "dvc.yaml").read_text())["stages"])


def test_a_missing_dep_is_reported_with_its_stage_and_file(root, tmp_path):
    proj = tmp_path / "p"
    shutil.copytree(root / "pipeline", proj / "pipeline")
    shutil.copytree(root / "symcause", proj / "symcause", ignore=shutil.ignore_patterns("__pycache__"))
    spec = yaml.safe_load((root / "dvc.yaml").read_text())
    spec["stages"]["generate"]["deps"].remove("symcause/generation/composer.py")
    (proj / "dvc.yaml").write_text(yaml.safe_dump(spec))
    assert missing_deps(proj)["generate"] == ["symcause/generation/composer.py"]
    assert missing_deps(proj)["extract"] == []


def test_imports_in_function_bodies_are_followed_too(tmp_path):
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "symcause").mkdir()
    for pkg in ("pipeline", "symcause"):
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "symcause" / "a.py").write_text("def f():\n    from symcause import b\n    return b\n")
    (tmp_path / "symcause" / "b.py").write_text("X = 1\n")
    (tmp_path / "pipeline" / "s.py").write_text("from symcause.a import f\n")
    names = {p.relative_to(tmp_path).as_posix() for p in closure(tmp_path, tmp_path / "pipeline" / "s.py")}
    assert names == {"pipeline/s.py", "pipeline/__init__.py", "symcause/__init__.py", "symcause/a.py", "symcause/b.py"}


def test_no_stage_imports_another_stage_or_the_cli(root):
    assert {s: f for s, f in stage_imports_stage(root).items() if f} == {}


def test_import_linter_contracts_hold(root):
    r = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=root,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "2 kept, 0 broken" in r.stdout


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    found += [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    found.append(node.module or "")
    return found


def test_imports_sit_at_module_level_but_for_measured_exceptions(root):
    extra = []
    for path in sorted([*(root / "symcause").rglob("*.py"), *(root / "pipeline").glob("*.py")]):
        rel = path.relative_to(root).as_posix()
        extra += [(rel, m) for m in _function_imports(path) if (rel, m) not in LAZY_IMPORTS]
    assert extra == []


def test_the_exceptions_say_why(root):
    for rel, _ in LAZY_IMPORTS:
        assert "lazy:" in (root / rel).read_text(encoding="utf-8"), rel


def test_helpers_are_defined_once(root):
    names: dict[str, list[str]] = {}
    for path in (root / "symcause").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                names.setdefault(node.name, []).append(path.relative_to(root).as_posix())
    for helper in ("md_table", "sha256_file", "sha256_text", "canonical_json", "fmt_value", "read_tables",
                   "find_project_root", "run_guarded", "load_model", "save_model"):
        assert len(names.get(helper, [])) == 1, (helper, names.get(helper))


def test_lock_check_tells_a_stale_lock_from_a_fresh_clone():
    produced = produced_paths({"stages": {"a": {"outs": ["data/facts"]}, "b": {"metrics": [{"m.json": {}}]}}})
    assert produced == {"data/facts", "m.json"}
    fresh_clone = {"b": [{"changed deps": {"data/facts": "deleted"}}, {"changed outs": {"data/x": "not in cache"}}]}
    assert stale_entries(fresh_clone, produced) == []
    stale = {"b": [{"changed deps": {"data/facts": "deleted", "symcause/x.py": "modified",
                                     "params.yaml": {"generate.n": "modified"}}}],
             "c": ["changed command"]}
    assert stale_entries(stale, produced) == ["b: changed deps: symcause/x.py modified",
                                             "b: changed deps: params.yaml: generate.n modified",
                                             "c: changed command"]


def test_stage_params_are_the_sections_they_read(root):
    stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    for name, spec in stages.items():
        params = spec.get("params") or []
        assert params, name
        assert all(isinstance(p, str) for p in params), f"{name} depends on a whole params file"
        assert "bench" not in params
    assert stages["publish"]["params"] == ["publish"]


@pytest.mark.parametrize("module", ["symcause", "symcause.core.contract", "symcause.cli"])
def test_light_modules_import_without_the_heavy_stack(module):
    code = (f"import sys, {module}; heavy = [m for m in ('pandas', 'sklearn', 'great_expectations', 'dask') "
            "if m in sys.modules]; print(','.join(heavy))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout + r.stderr
