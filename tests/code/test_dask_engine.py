"""The dask engine (params.yaml generate.engine: dask) on a 2-worker LocalCluster: the same rows as the
local engine, partitioned Parquet, pandera validation on the workers, nothing written on failure, and
the downstream readers accept the partitioned folder."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pyarrow.parquet as pq
import pytest

from symcause.core.errors import BadInputError
from symcause.core.io import parquet_parts, read_parquet_parts
from symcause.core.params import load_params
from symcause.generation.dask_engine import part_name
from symcause.generation.runner import DaskSettings, run_generate, settings_from_params

TWO_WORKERS = DaskSettings(address=None, workers=2, threads_per_worker=1)

# pandera's errors cross from the worker as text (distributed says so when it unpickles them): expected here
pytestmark = pytest.mark.filterwarnings("ignore:Pickling SchemaError:UserWarning")


@pytest.fixture(scope="module")
def settings(root):
    return settings_from_params(load_params(root / "params.yaml").generate)


@pytest.fixture(scope="module")
def both_engines(seed_tables, settings, tmp_path_factory):
    facts_dir, _ = seed_tables
    d = tmp_path_factory.mktemp("engines")
    run_generate(facts_dir, 2500, 11, d / "local.parquet", settings, batch_size=500, workers=1, progress=False)
    run_generate(facts_dir, 2500, 11, d / "dask.parquet", settings, batch_size=500, progress=False, engine="dask",
                 dask=TWO_WORKERS)
    return d / "local.parquet", d / "dask.parquet"


def test_dask_engine_writes_one_partition_per_batch_in_row_order(both_engines):
    _, dask_out = both_engines
    assert dask_out.is_dir()
    assert [p.name for p in parquet_parts(dask_out)] == [part_name(i) for i in range(5)]
    assert [pq.ParquetFile(p).metadata.num_rows for p in parquet_parts(dask_out)] == [500] * 5
    assert part_name(10) > part_name(9)  # names sort in row order past ten partitions


def test_same_seed_gives_the_same_rows_on_either_engine(both_engines):
    local, dask_out = both_engines
    a = pd.read_parquet(local)
    b = read_parquet_parts(dask_out)
    assert len(a) == 2500
    pd.testing.assert_frame_equal(a, b)
    assert pq.read_schema(parquet_parts(dask_out)[0]).equals(pq.read_schema(local))


def test_readers_take_the_partitioned_folder(both_engines, tmp_path):
    from symcause.core.hashing import sha256_file
    from symcause.model.training import read_vignette_rows
    from symcause.quality.audit import read_vignettes
    from symcause.release.publish import split_vignettes

    local, dask_out = both_engines
    pd.testing.assert_frame_equal(read_vignettes(dask_out), read_vignettes(local))
    pd.testing.assert_frame_equal(read_vignette_rows(dask_out, ["val", "test"]), read_vignette_rows(local, ["val", "test"]))
    stats_a, _ = split_vignettes(local, tmp_path / "a", 1000)
    stats_b, _ = split_vignettes(dask_out, tmp_path / "b", 1000)
    assert stats_a.rows == stats_b.rows and sum(stats_b.rows.values()) == 2500
    for s in ("train", "val", "test"):
        assert (tmp_path / "a" / f"{s}.parquet").read_bytes() == (tmp_path / "b" / f"{s}.parquet").read_bytes()
    assert len(sha256_file(dask_out)) == 64 and sha256_file(dask_out) != sha256_file(parquet_parts(dask_out)[0])


def test_local_engine_replaces_a_partitioned_folder(both_engines, seed_tables, settings, tmp_path):
    import shutil

    _, dask_out = both_engines
    out = tmp_path / "v.parquet"
    shutil.copytree(dask_out, out)
    run_generate(seed_tables[0], 300, 11, out, settings, batch_size=300, progress=False)
    assert out.is_file() and pq.ParquetFile(out).metadata.num_rows == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generation.json", "v.parquet"]  # nothing left aside


def test_rows_failing_the_schema_stop_the_dask_run_and_nothing_is_written(seed_tables, settings, tmp_path):
    """pandera runs on the workers: ages outside the contract's 16..95 fail, and the old output stays."""
    bad = dataclasses.replace(settings, age_min=2, age_max=9, age_mean=5, age_sd=1)
    out = tmp_path / "v.parquet"
    out.mkdir()
    (out / part_name(0)).write_bytes(b"previous")
    with pytest.raises(BadInputError, match=r"fail the vignettes schema: column 'age' fails greater_than_or_equal_to\(16\)"):
        run_generate(seed_tables[0], 400, 3, out, bad, batch_size=200, progress=False, engine="dask",
                     dask=TWO_WORKERS)
    assert [p.name for p in tmp_path.iterdir()] == ["v.parquet"]
    assert (out / part_name(0)).read_bytes() == b"previous"


def test_engine_and_dask_params_are_validated(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("generate:\n  engine: spark\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="generate.engine"):
        load_params(p)
    p.write_text("generate:\n  engine: dask\n  dask: {address: 'localhost:8786'}\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"generate.dask.address.*tcp://"):
        load_params(p)
    p.write_text("generate:\n  engine: dask\n  dask: {address: 'tcp://10.0.0.5:8786', workers: 4}\n", encoding="utf-8")
    g = load_params(p).generate
    assert g.engine == "dask" and g.dask.address == "tcp://10.0.0.5:8786"
