"""Batches of the vignettes table: each depends only on (seed, batch), whatever engine runs it."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from symcause.generation.composer import Composer


@dataclass(frozen=True)
class DaskSettings:
    address: str | None = None      # scheduler address; None starts a LocalCluster for the run
    workers: int = 2                # LocalCluster worker processes
    threads_per_worker: int = 1


def generate_batch(composer: Composer, seed: int, batch: int, start: int, size: int) -> pa.Table:
    """Rows start..start+size of the table for `seed`: depends only on (seed, batch)."""
    return composer.table(seed, batch, start, size)


def batches(n: int, batch_size: int) -> list[tuple[int, int, int]]:
    return [(b, start, min(batch_size, n - start)) for b, start in enumerate(range(0, n, batch_size))]
