"""symcause: articles about radiating leg pain -> an evaluated symptom-cause dataset.

Research use only: the data and models are not for diagnosis.

Layers (one direction; `.importlinter` enforces them):

- `symcause.core`: errors, atomic I/O, params, vocabularies, the table contract, small helpers;
- domain libraries: `extraction`, `knowledge`, `generation`, `model`, `quality`, `release`;
- faces: the CLI (`symcause.cli`), the developer tools (`symcause.devtools`) and, outside the
  package, the DVC stage modules in `pipeline/`.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__version__ = "0.2.0"


def _pin_numeric_kernels() -> None:
    """Same model bytes on any x86-64 machine: numpy's SIMD dispatch and OpenBLAS choose their kernels from the
    CPU, and AVX-512 kernels sum in another order than AVX2 ones, so a model trained on an AVX-512 machine differed
    from `dvc.lock` in the 10th digit (measured: OpenBLAS SkylakeX vs Haswell kernels, numpy X86_V4 vs X86_V3).
    On an x86-64 CPU with AVX2 both are held to their AVX2 kernels before numpy loads; a value the user set wins,
    and nothing changes where numpy is already imported or on other architectures."""
    if "numpy" in sys.modules or platform.machine().lower() not in ("x86_64", "amd64"):
        return
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return
    if "avx2" in flags and "fma" in flags:
        os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
        os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")


_pin_numeric_kernels()


# --------------------------------------------------------------------------------------------
# modules compiled ahead of time (mypyc; `make install` builds them: symcause.devtools.native)

NATIVE_MANIFEST = "_native.json"   # written by the build next to this file: module -> sha256 of its source


def module_source(root: Path, module: str) -> Path:
    """The source file of a dotted module under `root` (the folder holding the package)."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def source_digest(path: Path) -> str:
    """The sha256 of a source file, as the build's manifest records it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trusted_native_modules(package_dir: Path) -> frozenset[str]:
    """The modules whose compiled build may be loaded: all those the build's manifest lists, when every one of their
    sources is still the source the build compiled; none when any differs (the compiled modules call one another
    directly, so one edited source makes the whole build stale), when there is no manifest, or when
    SYMCAUSE_PURE=1."""
    if os.environ.get("SYMCAUSE_PURE", "") not in ("", "0"):
        return frozenset()
    try:
        built = json.loads((package_dir / NATIVE_MANIFEST).read_text(encoding="utf-8"))["modules"]
        if any(source_digest(module_source(package_dir.parent, m)) != digest for m, digest in built.items()):
            return frozenset()
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return frozenset()
    return frozenset(built)


class NativeGuard(importlib.abc.MetaPathFinder):
    """Loads a module of `package` from its source when the path holds a compiled build of it that is not trusted
    (trusted_native_modules): an edited source always runs as written, never through an out-of-date build."""

    def __init__(self, package: str, trusted: frozenset[str]) -> None:
        self.prefix = package + "."
        self.trusted = trusted

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.prefix) or fullname in self.trusted or path is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        origin = spec.origin if spec is not None else None
        if origin is None or not origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
            return None
        source = Path(origin).with_name(fullname.rpartition(".")[2] + ".py")
        return importlib.util.spec_from_file_location(fullname, source) if source.is_file() else None


sys.meta_path.insert(0, NativeGuard(__name__, trusted_native_modules(Path(__file__).parent)))

