"""Is every DVC stage's code in its `deps`? The import closure of each stage module, from the source (ast).

    python -m symcause.devtools.dvc_deps [--print | --write]

For each stage whose cmd is `python -m pipeline.<stage>`, follows every import of a module inside the
project (`pipeline`, `symcause`), wherever it stands (top level or function body, `import x` or
`from x import y`), and checks that each file is covered by a dep of the stage (the file or a folder
above it). `--print` lists each stage's closure; `--write` rewrites each stage's code deps in dvc.yaml to
its closure (data and schema deps are kept, first).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from symcause.core.errors import run_guarded
from symcause.core.paths import find_project_root

PACKAGES = ("pipeline", "symcause")
_STAGE_CMD = re.compile(r"python\s+-m\s+(pipeline\.[A-Za-z_.]+)")


def module_file(root: Path, module: str) -> Path | None:
    """The file of a dotted module inside the project, or None (a third-party module or an attribute)."""
    base = root.joinpath(*module.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _module_name(root: Path, path: Path) -> list[str]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_files(root: Path, path: Path) -> set[Path]:
    """Project files that `path` imports (each package's __init__ on the way included)."""
    mod = _module_name(root, path)
    is_pkg = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod if is_pkg else mod[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{a.name}" for a in node.names)
    out: set[Path] = set()
    for name in names:
        parts = name.split(".")
        if parts[0] not in PACKAGES:
            continue
        for i in range(1, len(parts) + 1):
            f = module_file(root, ".".join(parts[:i]))
            if f is not None:
                out.add(f)
    return out


def closure(root: Path, start: Path) -> set[Path]:
    """Project files that running `start` as a module loads: its packages' __init__ files and, transitively,
    every project module it imports."""
    seen: set[Path] = set()
    parts = _module_name(root, start)
    todo = [start] + [f for i in range(1, len(parts)) if (f := module_file(root, ".".join(parts[:i]))) is not None]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo.extend(imported_files(root, f) - seen)
    return seen


def stage_modules(root: Path) -> dict[str, Path]:
    """stage name -> its entry module file, for stages run as `python -m pipeline.<module>`."""
    stages = (yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {}).get("stages") or {}
    out = {}
    for name, spec in stages.items():
        m = _STAGE_CMD.search(str(spec.get("cmd", "")))
        if m:
            f = module_file(root, m.group(1))
            if f is not None:
                out[name] = f
    return out


def _dep_paths(spec: dict[str, Any]) -> list[str]:
    deps: list[str | dict[str, Any]] = spec.get("deps") or []
    return [d if isinstance(d, str) else next(iter(d)) for d in deps]


def missing_deps(root: Path) -> dict[str, list[str]]:
    """stage -> project files in its import closure that no dep covers (empty lists when all covered)."""
    stages = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    out: dict[str, list[str]] = {}
    for name, entry in stage_modules(root).items():
        deps = [d.rstrip("/") for d in _dep_paths(stages[name])]
        files = sorted(f.relative_to(root).as_posix() for f in closure(root, entry))
        out[name] = [f for f in files if not any(f == d or f.startswith(d + "/") for d in deps)]
    return out


def stage_imports_stage(root: Path) -> dict[str, list[str]]:
    """stage -> other stage modules (or the CLI) in its closure: a stage must import neither."""
    entries = stage_modules(root)
    faces = {f for f in entries.values()} | {root / "symcause" / "cli.py"}
    return {name: sorted(f.relative_to(root).as_posix() for f in (closure(root, entry) & faces) - {entry})
            for name, entry in entries.items()}


def write_code_deps(root: Path) -> None:
    """Set each stage's code deps (files under pipeline/ and symcause/) to its import closure."""
    path = root / "dvc.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name, entry in stage_modules(root).items():
        stage = spec["stages"][name]
        other = [d for d in stage.get("deps") or [] if not (isinstance(d, str) and d.split("/")[0] in PACKAGES)]
        stage["deps"] = other + sorted(f.relative_to(root).as_posix() for f in closure(root, entry))
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=120, default_flow_style=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.dvc_deps", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--print", action="store_true", help="print each stage's import closure")
    ap.add_argument("--write", action="store_true", help="rewrite the code deps of every stage in dvc.yaml")
    args = ap.parse_args(argv)
    status = {"code": 0}

    def go() -> None:
        root = find_project_root()
        if args.write:
            write_code_deps(root)
        if args.print:
            for name, entry in stage_modules(root).items():
                print(f"{name}:")
                for f in sorted(f.relative_to(root).as_posix() for f in closure(root, entry)):
                    print(f"  - {f}")
            return
        problems = [(s, f) for s, files in missing_deps(root).items() for f in files]
        problems += [(s, f"imports {f}") for s, files in stage_imports_stage(root).items() for f in files]
        for s, f in problems:
            print(f"{s}: {f}", file=sys.stderr)
        print(f"dvc_deps: {len(stage_modules(root))} stages checked, problems={len(problems)}")
        status["code"] = 1 if problems else 0

    rc = run_guarded(go)
    return rc or status["code"]


if __name__ == "__main__":
    sys.exit(main())
