"""Stage `generate`: fact tables -> synthetic patient vignettes (the `vignettes` table).

    python -m pipeline.generate [--params params.yaml]
    symcause generate --facts DIR --n N --seed S --out FILE

What a vignette says and how it is worded is `pipeline.composer` (pure functions); this module
runs it in batches and writes the table.

Batches are independent (each has its own RNG seeded from the seed and the batch number), so
the output is the same for any batch scheduling and any number of workers; rows are written
to Parquet one row group per batch, so memory is bounded by the batch size.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from pipeline import find_project_root
from pipeline.composer import (  # noqa: F401  (re-exported: the generator's public names)
    ARROW_SCHEMA,
    DIFFICULTIES,
    SPLITS,
    STYLES,
    Composer,
    GenSettings,
    build_profiles,
    content_signature,
    load_wording,
    spread_pair,
    tidy,
)
from pipeline.errors import BadInputError
from pipeline.io import atomic_dir, atomic_path
from pipeline.vocab import cached_vocab

# ---------------------------------------------------------------------------------------------
# batches and output


def generate_batch(composer: Composer, seed: int, batch: int, start: int, size: int) -> pa.Table:
    """Rows start..start+size of the table for `seed`: depends only on (seed, batch)."""
    return composer.table(seed, batch, start, size)


_WORKER: Composer | None = None


def _init_worker(composer: Composer) -> None:
    global _WORKER
    _WORKER = composer


def _work(args: tuple[int, int, int, int]) -> pa.Table:
    assert _WORKER is not None
    return generate_batch(_WORKER, *args)


def batches(n: int, batch_size: int) -> list[tuple[int, int, int]]:
    return [(b, start, min(batch_size, n - start)) for b, start in enumerate(range(0, n, batch_size))]


def iter_tables(composer: Composer, n: int, seed: int, batch_size: int, workers: int) -> Iterator[pa.Table]:
    """Batches in order; with workers > 1 at most 2 x workers batches are in flight (bounded memory)."""
    jobs = [(seed, b, start, size) for b, start, size in batches(n, batch_size)]
    workers = workers if workers > 0 else (os.cpu_count() or 1)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield generate_batch(composer, *job)
        return
    window = 2 * workers
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(composer,)) as pool:
        pending = [pool.submit(_work, job) for job in jobs[:window]]
        nxt = window
        while pending:
            table = pending.pop(0).result()
            if nxt < len(jobs):
                pending.append(pool.submit(_work, jobs[nxt]))
                nxt += 1
            yield table


def write_vignettes(composer: Composer, n: int, seed: int, out: Path, batch_size: int = 20000, workers: int = 1,
                    progress: bool = True) -> int:
    """Stream N vignettes to Parquet (one row group per batch), atomically."""
    if n < 1:
        raise BadInputError(f"--n must be at least 1 (got {n})")
    written = 0
    with atomic_path(out) as tmp:
        with pq.ParquetWriter(tmp, ARROW_SCHEMA, compression="zstd") as writer:
            bar = tqdm(total=n, desc="generate", unit="vignette", disable=not progress, unit_scale=True)
            for table in iter_tables(composer, n, seed, batch_size, workers):
                writer.write_table(table, row_group_size=len(table))
                written += len(table)
                bar.update(len(table))
            bar.close()
    return written


def batch_frame(composer: Composer, job: tuple[int, int, int, int]) -> pd.DataFrame:
    """One batch as a pandas frame (a partition of the dask engine); the same rows as generate_batch."""
    return generate_batch(composer, *job).to_pandas()


@dataclass(frozen=True)
class DaskSettings:
    address: str | None = None      # scheduler address; None starts a LocalCluster for the run
    workers: int = 2                # LocalCluster worker processes
    threads_per_worker: int = 1


@contextmanager
def dask_client(d: DaskSettings) -> Iterator[Any]:
    """A distributed Client: on `d.address`, or on a LocalCluster bound to 127.0.0.1 without a dashboard."""
    import logging

    from distributed import Client, LocalCluster

    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker"):
        logging.getLogger(name).setLevel(logging.ERROR)  # start/stop chatter is not a warning to the user
    if d.address:
        try:
            client = Client(d.address, timeout="20s")
        except OSError as exc:
            raise BadInputError(f"params.yaml: generate.dask.address: cannot reach scheduler {d.address} ({exc})") from exc
        with client:
            yield client
        return
    with LocalCluster(n_workers=d.workers, threads_per_worker=d.threads_per_worker, processes=True,
                      host="127.0.0.1", dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client


def part_name(i: int) -> str:
    """Partition file names sort in row order (readers list a folder alphabetically)."""
    return f"part.{i:05d}.parquet"


def write_vignettes_dask(composer: Composer, n: int, seed: int, out: Path, batch_size: int, dask: DaskSettings,
                         progress: bool = True) -> int:
    """The dask engine: one partition per batch, generated on the cluster's workers, validated there with the
    pandera `vignettes` schema (pandera validates the dask frame partition by partition) and written as
    partitioned Parquet to the folder `out` (part.00000.parquet, ...), atomically. The rows are those of the
    local engine for the same seed and batch size, in the same order. Workers must be able to write to `out`
    (a shared file system when the scheduler is remote)."""
    import dask.dataframe as dd
    from dask import config as dask_config
    from dask import delayed

    from pipeline.schemas import schemas

    if n < 1:
        raise BadInputError(f"--n must be at least 1 (got {n})")
    jobs = [(seed, b, start, size) for b, start, size in batches(n, batch_size)]
    meta = ARROW_SCHEMA.empty_table().to_pandas()
    # object columns stay object: dask would otherwise turn the list columns into strings
    with dask_config.set({"dataframe.convert-string": False}), dask_client(dask) as client, \
            atomic_dir(out) as staging:
        ddf = dd.from_map(partial(batch_frame, composer), jobs, meta=meta, enforce_metadata=False,
                          label="generate-vignettes")
        checked = schemas()["vignettes"].validate(ddf, lazy=True)
        tasks = [delayed(write_part)(part, str(staging / part_name(i)))
                 for i, part in enumerate(checked.to_delayed())]
        futures = client.compute(tasks)
        if progress:
            from distributed import progress as show_progress

            show_progress(futures)
        try:
            written = sum(f.result() for f in futures)
        except Exception as exc:  # pandera's SchemaErrors, re-raised from the worker
            if type(exc).__name__ in ("SchemaError", "SchemaErrors"):  # arrives as text from the worker
                raise BadInputError(f"{out}: generated rows fail the vignettes schema: {schema_failure_summary(str(exc))}"
                                    ) from exc
            raise
        if written != n:  # before the folder is swapped in
            raise RuntimeError(f"dask engine wrote {written} rows, expected {n}")
    return n


def schema_failure_summary(message: str, max_cases: int = 5) -> str:
    """One line from pandera's lazy-validation report: each failing column, check and a few failure cases."""
    items = []
    for m in re.finditer(r'"column":\s*"([^"]*)",\s*"check":\s*"([^"]*)",\s*"error":\s*"[^"]*?failure cases:\s*([^"]*)"', message):
        cases = [c.strip() for c in m.group(3).split(",")]
        more = f", ... ({len(cases)} cases)" if len(cases) > max_cases else ""
        items.append(f"column '{m.group(1)}' fails {m.group(2)} (e.g. {', '.join(cases[:max_cases])}{more})")
    if items:
        return "; ".join(items)
    return " ".join(message.split())[:300]


def write_part(df: pd.DataFrame, path: str) -> int:
    """One partition to its own Parquet file with the table's Arrow schema (as the local engine writes it)."""
    table = pa.Table.from_pandas(df, schema=ARROW_SCHEMA, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", row_group_size=max(len(table), 1))
    return len(table)


def settings_from_params(g: Any) -> GenSettings:
    return GenSettings(
        styles=dict(g.styles), difficulty=dict(g.difficulty), name_rate=g.name_rate, red_flag_rate=g.red_flag_rate,
        negation_rate=dict(g.negation_rate), distractor_rate=dict(g.distractor_rate),
        vague_region_rate=dict(g.vague_region_rate), splits=dict(g.splits),
        holdout_conditions=tuple(g.holdout_conditions), min_confidence=g.min_confidence,
        age_mean=g.age.mean, age_sd=g.age.sd, age_min=g.age.min, age_max=g.age.max, female_share=g.female_share,
        filler_rate=g.filler_rate, self_report_rate=g.self_report_rate,
        site_weights=(g.site_weights.own, g.site_weights.near, g.site_weights.far),
    )


def load_composer(facts_dir: Path, settings: GenSettings) -> Composer:
    from pipeline.validate import read_tables

    tables = read_tables(facts_dir)
    vocab = cached_vocab()
    known = set(tables["conditions"].condition_id)
    missing = [c for c in settings.holdout_conditions if c not in known]
    if missing:
        raise BadInputError(f"params.yaml: generate.holdout_conditions: unknown condition id '{missing[0]}'")
    profiles = build_profiles(tables["conditions"], tables["facts"], tables["factors"], vocab, settings)
    return Composer(profiles, load_wording(vocab), settings)


def run_generate(facts_dir: Path, n: int, seed: int, out: Path, settings: GenSettings, batch_size: int = 20000,
                 workers: int = 1, progress: bool = True, engine: str = "local", dask: DaskSettings | None = None) -> int:
    """Engine `local`: one Parquet file, batches on `workers` processes. Engine `dask`: partitioned Parquet
    in the folder `out`, batches on a dask cluster. Both give the same rows for the same seed."""
    composer = load_composer(facts_dir, settings)
    if engine == "dask":
        return write_vignettes_dask(composer, n, seed, out, batch_size, dask or DaskSettings(), progress)
    if engine != "local":
        raise BadInputError(f"engine must be 'local' or 'dask' (got {engine!r})")
    return write_vignettes(composer, n, seed, out, batch_size, workers, progress)


def dask_settings_from_params(g: Any) -> DaskSettings:
    return DaskSettings(address=g.dask.address, workers=g.dask.workers, threads_per_worker=g.dask.threads_per_worker)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline.generate",
                                description="DVC stage generate: data/facts -> data/vignettes (params.yaml 'generate'), "
                                            "then the dataset report.")
    p.add_argument("--params", default=None, help="params file (default: the project's params.yaml)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    from pipeline.cli import run_guarded
    from pipeline.params import load_params

    args = build_parser().parse_args(argv)

    def go() -> None:
        prm = load_params(args.params).generate
        root = find_project_root()
        out = root / prm.out
        n = run_generate(root / prm.facts_dir, prm.n, prm.seed, out, settings_from_params(prm), prm.batch_size,
                         prm.workers, progress=not args.quiet, engine=prm.engine, dask=dask_settings_from_params(prm))
        print(f"generate: {n} vignettes -> {prm.out} (engine {prm.engine})")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())
