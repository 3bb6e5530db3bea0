"""`make bench`: throughput figures written to reports/benchmark.json (and printed).

`make report` (pipeline/report.py) composes reports/benchmark.md, with these figures as its
"Stage timings" section (`render_md`). Figures, not pass/fail timings. Extraction runs on one core
over a corpus of at least `bench.corpus_mb` MB built by repeating the bundled sources.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pipeline import __version__, find_project_root
from pipeline.extract import collect_paths
from pipeline.extraction import cached_extractor
from pipeline.io import write_json
from pipeline.text import read_article


def bench_extraction(sources: Path, corpus_mb: float, repeats: int) -> dict[str, Any]:
    docs = [read_article(p, 50_000_000)[1] for p in collect_paths([sources])]
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
    return {"corpus_bytes": size, "documents": len(corpus), "words": words, "repeats": repeats,
            "seconds_best": round(best, 3), "seconds_median": round(statistics.median(times), 3),
            "words_per_second": round(words / best), "mb_per_second": round(size / best / 1e6, 3),
            "facts": n_facts}


def _tree_rss(proc: Any) -> int:
    """Resident memory of a process and all its children, in bytes."""
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def bench_generation(facts_dir: Path, n: int, workers: int, batch_size: int, seed: int) -> dict[str, Any]:
    """Generate n vignettes to a temporary Parquet file in a child process; wall time and peak memory
    (sum of the resident memory of the process tree, sampled every 20 ms)."""
    import subprocess
    import tempfile
    import threading

    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.parquet"
        cmd = [sys.executable, "-m", "pipeline.cli", "generate", "--facts", str(facts_dir), "--n", str(n),
               "--seed", str(seed), "--out", str(out), "--workers", str(workers), "--batch-size", str(batch_size),
               "--quiet"]
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        proc = psutil.Process(child.pid)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                try:
                    peak = max(peak, _tree_rss(proc))
                except psutil.Error:
                    pass
                done.wait(0.02)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _, err = child.communicate()
        seconds = time.perf_counter() - t0
        done.set()
        th.join()
        if child.returncode != 0:
            raise SystemExit(f"generation benchmark failed: {err.decode(errors='replace').strip()}")
        size = out.stat().st_size
    used = workers if workers > 0 else (os.cpu_count() or 1)
    return {"vignettes": n, "workers": used, "batch_size": batch_size, "seconds": round(seconds, 2),
            "vignettes_per_second": round(n / seconds), "peak_memory_mb": round(peak / 2**20, 1),
            "parquet_mb": round(size / 2**20, 1), "includes_startup": True}


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
    ]
    g = results.get("generation")
    if g:
        lines += [
            f"| generation throughput ({g['workers']} worker(s)) | {g['vignettes_per_second']:,} vignettes/s |",
            f"| generation run | {g['vignettes']:,} vignettes in {g['seconds']} s (start-up included), "
            f"{g['parquet_mb']} MB Parquet |",
            f"| generation peak memory (process tree) | {g['peak_memory_mb']} MB |",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from pipeline.params import load_params

    ap = argparse.ArgumentParser(prog="python -m pipeline.bench",
                                 description="Benchmarks -> reports/benchmark.json (`make report` renders them "
                                             "into reports/benchmark.md)")
    ap.add_argument("--out", default="reports", help="folder for benchmark.json")
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
    else:
        print(f"bench: {facts} has no fact tables (run `make repro` first); generation benchmark skipped")
    out = root / args.out
    write_json(out / "benchmark.json", results)
    print(render_md(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
