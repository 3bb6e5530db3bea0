"""Generation runner (stage `generate`): fact tables -> synthetic patient vignettes (the `vignettes` table).

    python -m pipeline.generate [--params params.yaml]
    symcause generate --facts DIR --n N --seed S --out FILE

What a vignette says and how it is worded is `symcause.generation.composer` (pure functions); this module
runs it in batches and writes the table.

Batches are independent (each has its own RNG seeded from the seed and the batch number), so
the output is the same for any batch scheduling and any number of workers; rows are written
to Parquet one row group per batch, so memory is bounded by the batch size.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from symcause.core.errors import BadInputError
from symcause.core.io import atomic_path
from symcause.core.params import GenerateParams, KnowledgeParams
from symcause.core.tables import read_tables, validate_table
from symcause.core.vocab import cached_vocab
from symcause.generation.batching import DaskSettings, batches, generate_batch
from symcause.generation.composer import (  # noqa: F401  (re-exported: the generator's public names)
    ARROW_SCHEMA,
    DIFFICULTIES,
    SPLITS,
    STYLES,
    Composer,
    GenSettings,
    batch_rng,
    build_profiles,
    content_signature,
    load_wording,
    spread_pair,
    tidy,
)
from symcause.knowledge.estimate import build_knowledge

# ---------------------------------------------------------------------------------------------
# batches and output


_WORKER: Composer | None = None


def _init_worker(composer: Composer) -> None:
    global _WORKER
    _WORKER = composer


def _work(args: tuple[int, int, int, int]) -> pa.Table:
    assert _WORKER is not None
    return generate_batch(_WORKER, *args)


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


def table_counts(table: pa.Table) -> np.ndarray:
    """Cases drawn and dropped per difficulty (2 x 3) behind one generated batch (its schema metadata)."""
    meta = table.schema.metadata or {}
    return np.array(json.loads(meta[b"generation_counts"]), dtype=np.int64)


def replay_counts(composer: Composer, n: int, seed: int, batch_size: int) -> np.ndarray:
    """The drawn/dropped counts of a whole run, from the plans alone (for engines that do not carry them)."""
    total = np.zeros((2, len(DIFFICULTIES)), np.int64)
    for b, _, size in batches(n, batch_size):
        total += composer.supported_plan(batch_rng(seed, b), size)[1]
    return total


def generation_summary(counts: np.ndarray, composer: Composer) -> dict[str, Any]:
    """What the drop rule did: cases drawn and dropped (own label not in the differential's top two), by
    difficulty. Written next to the vignettes as generation.json and read by the vignette audit."""
    drawn, dropped = counts
    return {
        "rule": "a drawn case whose own label is not in the top two of its differential (naive Bayes over the "
                "findings written, knowledge-table likelihoods, uniform label prior) is dropped and another is drawn",
        "labels": list(composer.cats),
        "drawn": {d: int(x) for d, x in zip(DIFFICULTIES, drawn)},
        "dropped": {d: int(x) for d, x in zip(DIFFICULTIES, dropped)},
        "dropped_share": {d: round(float(y) / float(x), 4) if x else 0.0 for d, x, y in zip(DIFFICULTIES, drawn, dropped)},
        "dropped_share_all": round(float(dropped.sum()) / max(float(drawn.sum()), 1.0), 4),
    }


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_vignettes(composer: Composer, n: int, seed: int, out: Path, batch_size: int = 20000, workers: int = 1,
                    progress: bool = True) -> int:
    """Stream N vignettes to Parquet (one row group per batch), atomically, and generation.json beside them."""
    if n < 1:
        raise BadInputError(f"--n must be at least 1 (got {n})")
    written = 0
    counts = np.zeros((2, len(DIFFICULTIES)), np.int64)
    with atomic_path(out) as tmp, pq.ParquetWriter(tmp, composer.schema, compression="zstd") as writer:
        bar = tqdm(total=n, desc="generate", unit="vignette", disable=not progress, unit_scale=True)
        for table in iter_tables(composer, n, seed, batch_size, workers):
            counts += table_counts(table)
            writer.write_table(table.replace_schema_metadata(None), row_group_size=len(table))
            written += len(table)
            bar.update(len(table))
        bar.close()
    write_summary(summary_path(out), generation_summary(counts, composer))
    return written


def summary_path(out: Path) -> Path:
    """generation.json beside the vignettes (the file, or the dask engine's folder of parts)."""
    return out.parent / "generation.json"


def settings_from_params(g: GenerateParams, prior: float = 0.05) -> GenSettings:
    """The composer's settings from params.yaml `generate` (and `knowledge.prior`: the likelihood of an unstated
    finding, the same in the knowledge table and the differential)."""
    return GenSettings(
        styles=dict(g.styles), difficulty=dict(g.difficulty), name_rate=g.name_rate, red_flag_rate=g.red_flag_rate,
        negation_rate=dict(g.negation_rate), distractor_rate=dict(g.distractor_rate),
        vague_region_rate=dict(g.vague_region_rate), splits=dict(g.splits),
        holdout_conditions=tuple(g.holdout_conditions), min_confidence=g.min_confidence,
        age_mean=g.age.mean, age_sd=g.age.sd, age_min=g.age.min, age_max=g.age.max, female_share=g.female_share,
        filler_rate=g.filler_rate, self_report_rate=g.self_report_rate,
        site_weights=(g.site_weights.own, g.site_weights.near, g.site_weights.far), include_mimics=g.include_mimics,
        onset_rate=g.onset_rate, timing_rate=g.timing_rate, exam_rate=dict(g.exam_rate),
        both_sides_rate=g.both_sides_rate, prior=prior, stated_negation_share=g.stated_negation_share,
        condition_weight_power=g.condition_weight_power, likelihood_cap=g.likelihood_cap,
        pertinent_negative_rate=g.pertinent_negative_rate,
    )


def read_knowledge(path: Path) -> pd.DataFrame:
    """The knowledge table (stage knowledge), checked against its contract."""
    if not path.is_file():
        raise BadInputError(f"{path}: knowledge table not found (run the knowledge stage first)")
    try:
        return validate_table("knowledge", pd.read_parquet(path))
    except (OSError, ValueError) as exc:
        raise BadInputError(f"{path}: not a readable knowledge table ({exc})") from exc


def load_composer(facts_dir: Path, settings: GenSettings, knowledge_path: Path | None = None,
                  knowledge_params: KnowledgeParams | None = None) -> Composer:
    """The composer for the fact tables in `facts_dir` and the knowledge table at `knowledge_path` (built from the
    facts with `knowledge_params` when no path is given, as `symcause generate --facts DIR` does)."""
    tables = read_tables(facts_dir)
    vocab = cached_vocab()
    known = set(tables["conditions"].condition_id)
    missing = [c for c in settings.holdout_conditions if c not in known]
    if missing:
        raise BadInputError(f"params.yaml: generate.holdout_conditions: unknown condition id '{missing[0]}'")
    if knowledge_path is not None:
        knowledge = read_knowledge(knowledge_path)
    else:
        knowledge = build_knowledge(tables["conditions"], tables["facts"], tables["factors"], vocab,
                                    knowledge_params or KnowledgeParams())
    profiles = build_profiles(tables["conditions"], tables["facts"], tables["factors"], vocab, settings, knowledge)
    return Composer(profiles, load_wording(vocab), settings)


def run_generate(facts_dir: Path, n: int, seed: int, out: Path, settings: GenSettings, batch_size: int = 20000,
                 workers: int = 1, progress: bool = True, engine: str = "local", dask: DaskSettings | None = None,
                 knowledge_path: Path | None = None, knowledge_params: KnowledgeParams | None = None) -> int:
    """Engine `local`: one Parquet file, batches on `workers` processes. Engine `dask`: partitioned Parquet
    in the folder `out`, batches on a dask cluster. Both give the same rows for the same seed."""
    composer = load_composer(facts_dir, settings, knowledge_path, knowledge_params)
    if engine == "dask":
        # lazy: importing dask.dataframe and distributed costs 2.2 s and 180 MB (measured), paid only by this engine
        from symcause.generation.dask_engine import write_vignettes_dask

        n = write_vignettes_dask(composer, n, seed, out, batch_size, dask or DaskSettings(), progress)
        write_summary(summary_path(out), generation_summary(replay_counts(composer, n, seed, batch_size), composer))
        return n
    if engine != "local":
        raise BadInputError(f"engine must be 'local' or 'dask' (got {engine!r})")
    return write_vignettes(composer, n, seed, out, batch_size, workers, progress)


def dask_settings_from_params(g: GenerateParams) -> DaskSettings:
    return DaskSettings(address=g.dask.address, workers=g.dask.workers, threads_per_worker=g.dask.threads_per_worker)
