"""Compile the extraction modules ahead of time with mypyc (`make install` runs this; CI too).

    python -m symcause.devtools.native [build | clean | status]

Extraction is rule code run per sentence, and its time goes to Python steps between the regular-expression and
automaton calls; compiled by mypyc (part of the pinned mypy) the same source runs them as C. `build` writes the
extension modules next to their sources and `symcause/_native.json`, the sha256 of every source it compiled.
Importing `symcause` loads the compiled modules only while every one of those sources is unchanged
(`symcause.trusted_native_modules`); otherwise, or with SYMCAUSE_PURE=1, it loads the sources. A build that
fails (no C compiler, say) leaves pure Python, which gives the same tables, only slower: `build` warns and
exits 0 unless --strict.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import symcause

# What is compiled: the extraction phases and the phrase matcher they call (one mypyc group: the modules call each
# other as C). Everything else stays Python: it runs once per table or waits on pandas, and gains nothing.
NATIVE_MODULES = (
    "symcause.core.vocab",
    "symcause.extraction.conditions",
    "symcause.extraction.document",
    "symcause.extraction.extractor",
    "symcause.extraction.facts",
    "symcause.extraction.grids",
    "symcause.extraction.icd",
    "symcause.extraction.names",
    "symcause.extraction.rules",
    "symcause.extraction.scoping",
    "symcause.extraction.sentences",
    "symcause.extraction.text",
)
GROUP = "symcause._native"   # the shared library the modules' small loaders import: symcause/_native__mypyc.*.so

_BUILD_SCRIPT = """
import sys
from setuptools import setup
from mypyc.build import mypycify
paths, target = sys.argv[1].split(","), sys.argv[2]
setup(name="symcause-native", ext_modules=mypycify(paths, opt_level="3", target_dir=target, group_name="{group}"),
      script_args=["build_ext", "--inplace", "--build-temp", target + "/temp"])
"""


def package_root() -> Path:
    """The folder that holds the `symcause` package being imported (the project root in a development install)."""
    return Path(symcause.__file__).resolve().parent.parent


def built_files(root: Path) -> list[Path]:
    """The extension modules a build left in the source tree (the modules' loaders and the group library)."""
    out = [p for m in NATIVE_MODULES for suffix in EXTENSION_SUFFIXES
           if (p := symcause.module_source(root, m).with_suffix(suffix)).is_file()]
    group = symcause.module_source(root, GROUP + "__mypyc")
    out += [p for suffix in EXTENSION_SUFFIXES if (p := group.with_suffix(suffix)).is_file()]
    return out


def clean(root: Path) -> list[Path]:
    """Remove a build: its extension modules and manifest (imports load the sources)."""
    gone = built_files(root)
    manifest = root / "symcause" / symcause.NATIVE_MANIFEST
    if manifest.is_file():
        gone.append(manifest)
    for p in gone:
        p.unlink()
    return gone


def build(root: Path) -> dict[str, str]:
    """Compile NATIVE_MODULES in place and write the manifest; raises CalledProcessError when mypyc or the C
    compiler fails (the tree is left with no build)."""
    clean(root)
    sources = {m: symcause.module_source(root, m) for m in NATIVE_MODULES}
    with tempfile.TemporaryDirectory(prefix="symcause-native-") as tmp:
        script = _BUILD_SCRIPT.format(group=GROUP)
        paths = ",".join(str(p.relative_to(root)) for p in sources.values())
        done = subprocess.run([sys.executable, "-c", script, paths, tmp], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        clean(root)
        raise subprocess.CalledProcessError(done.returncode, "mypyc", done.stdout, done.stderr)
    modules = {m: symcause.source_digest(p) for m, p in sources.items()}
    manifest = {"group": GROUP, "modules": modules}
    (root / "symcause" / symcause.NATIVE_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return modules


def status(root: Path) -> str:
    """One line: is there a build, and does importing symcause load it?"""
    trusted = symcause.trusted_native_modules(root / "symcause")
    if trusted:
        return f"compiled: {len(trusted)} modules load their mypyc build"
    if built_files(root):
        return "stale: a build is present but a source changed since (or SYMCAUSE_PURE is set); sources load"
    return "pure Python: no compiled build (python -m symcause.devtools.native build)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.native",
                                 description="Compile the extraction modules with mypyc (same results, faster).")
    ap.add_argument("action", nargs="?", choices=("build", "clean", "status"), default="build")
    ap.add_argument("--strict", action="store_true", help="fail when the build fails (default: warn, stay pure Python)")
    args = ap.parse_args(argv)
    root = package_root()
    if args.action == "clean":
        print(f"native: removed {len(clean(root))} files")
    elif args.action == "status":
        print(f"native: {status(root)}")
    else:
        try:
            modules = build(root)
        except subprocess.CalledProcessError as exc:
            tail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
            msg = f"native: the mypyc build failed, extraction stays pure Python (same results, slower): {' | '.join(tail)}"
            if args.strict:
                raise SystemExit(msg) from exc
            print(msg, file=sys.stderr)
            return 0
        print(f"native: compiled {len(modules)} modules with mypyc")
    return 0


if __name__ == "__main__":
    sys.exit(main())
