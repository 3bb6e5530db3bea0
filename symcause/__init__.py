"""symcause: articles about radiating leg pain -> an evaluated symptom-cause dataset.

Research use only: the data and models are not for diagnosis.

Layers (one direction; `.importlinter` enforces them):

- `symcause.core`: errors, atomic I/O, params, vocabularies, the table contract, small helpers;
- domain libraries: `extraction`, `knowledge`, `generation`, `model`, `quality`, `release`;
- faces: the CLI (`symcause.cli`), the developer tools (`symcause.devtools`) and, outside the
  package, the DVC stage modules in `pipeline/`.
"""

from __future__ import annotations

import os
import platform
import sys

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
