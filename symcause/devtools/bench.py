"""`make bench`: figures written to reports/benchmark.json (and printed): extraction words/s, generation
vignettes/s and peak memory, training time, and `dvc repro` time from scratch and when nothing changed.

`make report` (pipeline/report.py) composes reports/benchmark.md, with these figures as its
"Stage timings" section (`render_md`). Figures, not pass/fail timings. Extraction runs on one core
over a corpus of at least `bench.corpus_mb` MB built by repeating the bundled sources.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

from symcause import __version__
from symcause.core.io import write_json, write_text
from symcause.core.params import load_params
from symcause.core.paths import find_project_root
from symcause.devtools import native
from symcause.extraction.extractor import cached_extractor
from symcause.extraction.tables import collect_paths
from symcause.extraction.text import read_article
from symcause.generation.runner import run_generate, settings_from_params
from symcause.model.training import fit_model


def bench_extraction(sources: Path, corpus_mb: float, repeats: int) -> dict[str, Any]:
    docs = [read_article(p, 50_000_000).text for p in collect_paths([sources])]
    if not docs:
        raise SystemExit(f"{sources}: no articles to benchmark on")
    corpus: list[str] = []
    size = 0
    while size < corpus_mb * 1_000_000:
        for d in docs:
            corpus.append(d)
            size += len(d.encode("utf-8"))
    words = sum(len(d.split()) for d in corpus)
    ex = cached_extractor()
    ex.extract("warmup", docs[0])  # matcher build and ICD index load are start-up costs, not throughput
    times = []
    n_facts = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n_facts = 0
        for i, d in enumerate(corpus):
            n_facts += len(ex.extract(f"doc{i:06d}", d).facts)
        times.append(time.perf_counter() - t0)
    best = min(times)
    return {"compiled": native.status(native.package_root()),
            "corpus_bytes": size, "documents": len(corpus), "words": words, "repeats": repeats,
            "seconds_best": round(best, 3), "seconds_median": round(statistics.median(times), 3),
            "words_per_second": round(words / best), "mb_per_second": round(size / best / 1e6, 3),
            "facts": n_facts}


def _tree_rss(proc: Any) -> int:
    """Resident memory of a process and all its children, in bytes."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def bench_generation(facts_dir: Path, n: int, workers: int, batch_size: int, seed: int) -> dict[str, Any]:
    """Generate n vignettes to a temporary Parquet file in a child process; wall time and peak memory
    (sum of the resident memory of the process tree, sampled every 20 ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.parquet"
        cmd = [sys.executable, "-m", "symcause.cli", "generate", "--facts", str(facts_dir), "--n", str(n),
               "--seed", str(seed), "--out", str(out), "--workers", str(workers), "--batch-size", str(batch_size),
               "--quiet"]
        knowledge = facts_dir.parent / "knowledge" / "knowledge.parquet"
        if knowledge.is_file():  # as the generate stage runs: from the knowledge stage's table
            cmd += ["--knowledge", str(knowledge)]
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stop, peak_bytes = _rss_sampler(psutil.Process(child.pid))
        _, err = child.communicate()
        seconds = time.perf_counter() - t0
        stop()
        peak = peak_bytes()
        if child.returncode != 0:
            raise SystemExit(f"generation benchmark failed: {err.decode(errors='replace').strip()}")
        size = out.stat().st_size
    used = workers if workers > 0 else (os.cpu_count() or 1)
    return {"vignettes": n, "workers": used, "batch_size": batch_size, "seconds": round(seconds, 2),
            "vignettes_per_second": round(n / seconds), "peak_memory_mb": round(peak / 2**20, 1),
            "parquet_mb": round(size / 2**20, 1), "includes_startup": True}


def _rss_sampler(proc: Any) -> tuple[Any, Any]:
    """Start sampling the resident memory of `proc` (and children) every 20 ms: (stop(), peak_bytes())."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak[0] = max(peak[0], _tree_rss(proc))
            done.wait(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()

    def stop() -> None:
        done.set()
        th.join()

    return stop, lambda: peak[0]


def bench_training(facts_dir: Path, n: int, gen: Any, train: Any) -> dict[str, Any]:
    """Fit the train stage's model (params.yaml `train`) on n freshly generated vignettes; wall time and peak
    memory of the fit (generation is not counted)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "train.parquet"
        run_generate(facts_dir, n, gen.seed, out, settings_from_params(gen), gen.batch_size, workers=0, progress=False)
        df = pd.read_parquet(out, columns=["text", "category"])
    texts, labels = df["text"].astype(str).tolist(), df["category"].astype(str).tolist()
    del df
    stop, peak = _rss_sampler(psutil.Process())
    t0 = time.perf_counter()
    model = fit_model(texts, labels, train)
    seconds = time.perf_counter() - t0
    stop()
    feats = {name: len(vec.vocabulary_) for name, vec in model.named_steps["features"].transformer_list}
    return {"vignettes": n, "seconds": round(seconds, 2), "vignettes_per_second": round(n / seconds),
            "peak_memory_mb": round(peak() / 2**20, 1), "features": feats,
            "iterations": int(max(model.named_steps["clf"].n_iter_))}


def copy_project(root: Path, dest: Path) -> None:
    """The project's tracked and untracked-but-not-ignored files (no outputs, no DVC cache) into dest."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True,
                           text=True, check=True).stdout.split("\0")
    for rel in filter(None, files):
        src = root / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def bench_repro(root: Path) -> dict[str, Any]:
    """`dvc repro` from scratch in a temporary copy (a new git repo, empty DVC cache): total and per-stage wall
    time; then a second, no-op `dvc repro` (every stage up to date)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               GX_ANALYTICS_ENABLED="false")
    dvc = [sys.executable, "-m", "dvc"]
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp) / "proj"
        proj.mkdir()
        copy_project(root, proj)
        git = ["git", "-c", "user.name=symcause-bench", "-c", "user.email=bench@example.invalid"]
        for cmd in (["git", "init", "-q"], ["git", "add", "-A"], [*git, "commit", "-q", "-m", "bench copy"]):
            subprocess.run(cmd, cwd=proj, check=True, capture_output=True)
        stages: dict[str, float] = {}
        current, started = None, 0.0
        t0 = time.perf_counter()
        with subprocess.Popen([*dvc, "repro", "--force"], cwd=proj, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as child:
            assert child.stdout is not None
            tail: list[str] = []
            for line in child.stdout:
                tail = (tail + [line])[-20:]
                m = re.match(r"Running stage '([^']+)'", line)
                if m:
                    now = time.perf_counter()
                    if current:
                        stages[current] = round(now - started, 2)
                    current, started = m.group(1), now
        full = time.perf_counter() - t0
        if current:
            stages[current] = round(time.perf_counter() - started, 2)
        if child.returncode != 0:
            raise SystemExit("repro benchmark: dvc repro failed:\n" + "".join(tail))
        t1 = time.perf_counter()
        noop = subprocess.run([*dvc, "repro"], cwd=proj, env=env, capture_output=True, text=True)
        noop_s = time.perf_counter() - t1
        if noop.returncode != 0:
            raise SystemExit(f"repro benchmark: no-op dvc repro failed:\n{noop.stdout}{noop.stderr}")
        ran = re.findall(r"Running stage '([^']+)'", noop.stdout)
    return {"full_seconds": round(full, 1), "stages_seconds": stages, "noop_seconds": round(noop_s, 2),
            "noop_stages_run": ran, "cores": os.cpu_count()}


def render_md(results: dict[str, Any], title: str = "# symcause benchmark") -> str:
    """The figures as a Markdown table under `title` (report.py passes a section heading)."""
    e = results["extraction"]
    lines = [
        title, "",
        f"symcause {results['version']} on {results['machine']}, Python {results['python']}", "",
        "| figure | value |", "|---|---|",
        f"| extraction throughput (one core) | {e['words_per_second']:,} words/s ({e['mb_per_second']} MB/s) |",
        f"| extraction corpus | {e['corpus_bytes']:,} bytes, {e['documents']} documents, {e['words']:,} words |",
        f"| extraction time (best of {e['repeats']}) | {e['seconds_best']} s |",
        f"| extraction code | {e.get('compiled', 'not recorded')} |",
    ]
    g = results.get("generation")
    if g:
        lines += [
            f"| generation throughput ({g['workers']} worker(s)) | {g['vignettes_per_second']:,} vignettes/s |",
            f"| generation run | {g['vignettes']:,} vignettes in {g['seconds']} s (start-up included), "
            f"{g['parquet_mb']} MB Parquet |",
            f"| generation peak memory (process tree) | {g['peak_memory_mb']} MB |",
        ]
    t = results.get("training")
    if t:
        lines += [
            f"| training time ({t['vignettes']:,} vignettes) | {t['seconds']} s ({t['vignettes_per_second']:,} "
            f"vignettes/s, {t['iterations']} solver iterations) |",
            f"| training peak memory | {t['peak_memory_mb']} MB |",
        ]
    r = results.get("repro")
    if r:
        slowest = sorted(r["stages_seconds"].items(), key=lambda x: -x[1])[:3]
        lines += [
            f"| `dvc repro` from scratch ({r['cores']} cores) | {r['full_seconds']} s "
            f"(slowest: {', '.join(f'{k} {v} s' for k, v in slowest)}) |",
            f"| no-op `dvc repro` | {r['noop_seconds']} s ({len(r['noop_stages_run'])} stages re-run) |",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m symcause.devtools.bench",
                                 description="Benchmarks -> reports/benchmark.json (`make report` renders them "
                                             "into reports/benchmark.md)")
    ap.add_argument("--out", default="reports", help="folder for benchmark.json")
    ap.add_argument("--no-repro", action="store_true", help="skip the dvc repro timings (params.yaml bench.repro)")
    args = ap.parse_args(argv)
    root = find_project_root()
    prm = load_params()
    results = {
        "version": __version__, "python": platform.python_version(), "machine": f"{platform.machine()} {platform.system()}",
        "extraction": bench_extraction(root / prm.extract.sources, prm.bench.corpus_mb, prm.bench.repeats),
    }
    facts = root / prm.generate.facts_dir
    if (facts / "facts.parquet").exists():
        results["generation"] = bench_generation(facts, prm.bench.vignettes, prm.bench.workers,
                                                 prm.generate.batch_size, prm.generate.seed)
        if prm.bench.train_vignettes:
            results["training"] = bench_training(facts, prm.bench.train_vignettes, prm.generate, prm.train)
    else:
        print(f"bench: {facts} has no fact tables (run `make repro` first); generation and training benchmarks skipped")
    if prm.bench.repro and not args.no_repro:
        results["repro"] = bench_repro(root)
    out = root / args.out
    write_json(out / "benchmark.json", results)
    md = render_md(results)
    write_text(out / "benchmark.md", md)  # `make report` rewrites it with metrics, plots and these figures
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
