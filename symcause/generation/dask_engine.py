"""The `dask` engine of `generate`: one partition per batch, generated and pandera-validated on a dask
cluster's workers, written as partitioned Parquet. Same rows, same order as the local engine.

Importing this module imports dask.dataframe and distributed (about 2 s): `runner` imports it only when
`generate.engine` is `dask`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dask import config as dask_config
from dask import delayed
from distributed import Client, LocalCluster
from distributed import progress as show_progress

from symcause.core.errors import BadInputError
from symcause.core.io import atomic_dir
from symcause.core.tables import schemas
from symcause.generation.batching import DaskSettings, batches, generate_batch
from symcause.generation.composer import ARROW_SCHEMA, Composer


def batch_frame(composer: Composer, job: tuple[int, int, int, int]) -> pd.DataFrame:
    """One batch as a pandas frame (a partition of the dask engine); the same rows as generate_batch."""
    return generate_batch(composer, *job).to_pandas()


@contextmanager
def dask_client(d: DaskSettings) -> Iterator[Any]:
    """A distributed Client: on `d.address`, or on a LocalCluster bound to 127.0.0.1 without a dashboard."""
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
    with LocalCluster(n_workers=d.workers, threads_per_worker=d.threads_per_worker, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
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
    if n < 1:
        raise BadInputError(f"--n must be at least 1 (got {n})")
    jobs = [(seed, b, start, size) for b, start, size in batches(n, batch_size)]
    meta = composer.schema.empty_table().to_pandas()
    # object columns stay object: dask would otherwise turn the list columns into strings
    with dask_config.set({"dataframe.convert-string": False}), dask_client(dask) as client, \
            atomic_dir(out) as staging:
        ddf = dd.from_map(partial(batch_frame, composer), jobs, meta=meta, enforce_metadata=False,
                          label="generate-vignettes")
        checked = schemas()["vignettes"].validate(ddf, lazy=True)
        tasks = [delayed(write_part)(part, str(staging / part_name(i)), composer.schema)
                 for i, part in enumerate(checked.to_delayed())]
        futures = client.compute(tasks)
        if progress:
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
    pattern = r'"column":\s*"([^"]*)",\s*"check":\s*"([^"]*)",\s*"error":\s*"[^"]*?failure cases:\s*([^"]*)"'
    for m in re.finditer(pattern, message):
        cases = [c.strip() for c in m.group(3).split(",")]
        more = f", ... ({len(cases)} cases)" if len(cases) > max_cases else ""
        items.append(f"column '{m.group(1)}' fails {m.group(2)} (e.g. {', '.join(cases[:max_cases])}{more})")
    if items:
        return "; ".join(items)
    return " ".join(message.split())[:300]


def write_part(df: pd.DataFrame, path: str, schema: pa.Schema = ARROW_SCHEMA) -> int:
    """One partition to its own Parquet file with the table's Arrow schema (as the local engine writes it)."""
    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", row_group_size=max(len(table), 1))
    return len(table)
