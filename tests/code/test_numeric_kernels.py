"""Importing symcause holds numpy and OpenBLAS to their AVX2 kernels on x86-64, so a model trained on an AVX-512
machine has the same bytes as one trained on an AVX2 machine (dvc.lock stays true on both)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

_PROBE = ("import symcause, os, json, numpy, scipy.linalg, threadpoolctl\n"
          "blas = [i for i in threadpoolctl.threadpool_info() if i.get('internal_api') == 'openblas']\n"
          "print(json.dumps({'coretype': os.environ.get('OPENBLAS_CORETYPE'),"
          " 'disabled': os.environ.get('NPY_DISABLE_CPU_FEATURES'),"
          " 'arch': [b.get('architecture') for b in blas]}))")


def _avx2() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx2" in flags and "fma" in flags


def _probe(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")}
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**clean, **env}, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


needs_avx2 = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64") or not _avx2(),
                                reason="the AVX2 pin applies to x86-64 CPUs with AVX2")


@needs_avx2
def test_import_pins_avx2_kernels() -> None:
    got = _probe()
    assert got["coretype"] == "Haswell"
    assert got["disabled"] == "X86_V4 AVX512_ICL AVX512_SPR"
    assert got["arch"] and all(a == "Haswell" for a in got["arch"])


@needs_avx2
def test_user_setting_wins() -> None:
    got = _probe(OPENBLAS_CORETYPE="Sandybridge")
    assert got["coretype"] == "Sandybridge"
    assert got["arch"] and all(a == "Sandybridge" for a in got["arch"])
