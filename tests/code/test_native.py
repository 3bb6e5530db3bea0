"""The mypyc build of the extraction modules (symcause/devtools/native.py): imports load it only while it matches
its sources, and it extracts exactly what the sources do."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import symcause
from symcause import NATIVE_MANIFEST, NativeGuard, trusted_native_modules
from symcause.devtools import native


def _package(tmp_path: Path, name: str = "pkgnative") -> Path:
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("VALUE = 'source'\n")
    return pkg


def _manifest(pkg: Path, modules: dict[str, str]) -> None:
    (pkg / NATIVE_MANIFEST).write_text(json.dumps({"group": "x", "modules": modules}))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_build_is_trusted_only_while_every_source_it_compiled_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.delenv("SYMCAUSE_PURE", raising=False)
    pkg = _package(tmp_path)
    (pkg / "other.py").write_text("X = 1\n")
    assert trusted_native_modules(pkg) == frozenset()            # no manifest: no build to trust
    _manifest(pkg, {"pkgnative.mod": _sha(pkg / "mod.py"), "pkgnative.other": _sha(pkg / "other.py")})
    assert trusted_native_modules(pkg) == {"pkgnative.mod", "pkgnative.other"}
    monkeypatch.setenv("SYMCAUSE_PURE", "1")
    assert trusted_native_modules(pkg) == frozenset()
    monkeypatch.setenv("SYMCAUSE_PURE", "0")
    assert trusted_native_modules(pkg) == {"pkgnative.mod", "pkgnative.other"}
    (pkg / "other.py").write_text("X = 2\n")                      # one edited source makes the whole build stale
    assert trusted_native_modules(pkg) == frozenset()
    (pkg / NATIVE_MANIFEST).write_text("{not json")
    assert trusted_native_modules(pkg) == frozenset()
    _manifest(pkg, {"pkgnative.gone": "0" * 64})                   # a source that is no longer there
    assert trusted_native_modules(pkg) == frozenset()


def test_an_untrusted_build_is_passed_over_for_the_source(tmp_path, monkeypatch):
    pkg = _package(tmp_path)
    # a "build" that cannot load: the import only succeeds when the guard sends it to mod.py
    (pkg / f"mod{EXTENSION_SUFFIXES[0]}").write_bytes(b"not an extension module")
    monkeypatch.syspath_prepend(str(tmp_path))
    guard = NativeGuard("pkgnative", frozenset())
    monkeypatch.setattr(sys, "meta_path", [guard, *sys.meta_path])
    for name in ("pkgnative", "pkgnative.mod"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    mod = importlib.import_module("pkgnative.mod")
    assert mod.VALUE == "source"
    assert Path(mod.__file__).name == "mod.py"
    # a trusted module, a module with no build and one outside the package are left to the usual finders
    pkg_path = [str(pkg)]
    assert NativeGuard("pkgnative", frozenset({"pkgnative.mod"})).find_spec("pkgnative.mod", pkg_path) is None
    assert guard.find_spec("pkgnative.other", pkg_path) is None
    assert guard.find_spec("othernative.mod", pkg_path) is None


def test_the_guard_is_installed_first_for_symcause():
    guards = [f for f in sys.meta_path if isinstance(f, NativeGuard)]
    assert guards and guards[0].prefix == "symcause."
    assert guards[0].trusted == trusted_native_modules(Path(symcause.__file__).parent)


def test_every_compiled_module_is_in_the_makefile_rule():
    """`make install` rebuilds when a compiled module changes: its prerequisites cover them all."""
    makefile = (native.package_root() / "Makefile").read_text(encoding="utf-8")
    rule = next(line for line in makefile.splitlines() if line.startswith("$(NATIVE):"))
    for module in native.NATIVE_MODULES:
        rel = symcause.module_source(Path(), module).as_posix()
        assert rel in rule or f"$(wildcard {Path(rel).parent.as_posix()}/*.py)" in rule, module


_EXTRACT = """
import hashlib, json, sys
from pathlib import Path
import symcause.extraction.facts as facts
from symcause.extraction.extractor import cached_extractor
from symcause.extraction.tables import collect_paths
from symcause.extraction.text import read_article
ex, h = cached_extractor(), hashlib.sha256()
for i, p in enumerate(collect_paths([Path(sys.argv[1])])):
    r = ex.extract(f"d{i}", read_article(p, 50_000_000).text)
    h.update(json.dumps([sorted(r.conditions), r.facts, r.factors], default=str, sort_keys=True).encode())
print(json.dumps({"file": facts.__file__, "digest": h.hexdigest()}))
"""


@pytest.mark.slow
def test_the_compiled_build_extracts_exactly_what_the_sources_do(root):
    if not trusted_native_modules(Path(symcause.__file__).parent):
        pytest.skip(f"no compiled build to compare ({native.status(native.package_root())})")
    runs = {}
    for pure in ("0", "1"):
        out = subprocess.run([sys.executable, "-c", _EXTRACT, str(root / "data" / "sources")],
                             env={**os.environ, "SYMCAUSE_PURE": pure}, capture_output=True, text=True,
                             check=True)
        runs[pure] = json.loads(out.stdout)
    assert runs["0"]["file"].endswith(tuple(EXTENSION_SUFFIXES))
    assert runs["1"]["file"].endswith(".py")
    assert runs["0"]["digest"] == runs["1"]["digest"]
