from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--model", default=None, metavar="PATH",
                     help="run the model behaviour tests (tests/model) against this skops model, for example the "
                          "one the pipeline built (data/models/model.skops), instead of one trained on the seeds")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def extractor():
    from symcause.extraction.extractor import cached_extractor

    return cached_extractor()


@pytest.fixture(scope="session")
def seed_tables(tmp_path_factory):
    """The real extract stage run on the bundled sources, into a temporary folder."""
    from symcause.core.tables import read_tables
    from symcause.extraction.tables import run_extract

    out = tmp_path_factory.mktemp("facts")
    run_extract([ROOT / "data" / "sources"], out, max_bytes=2_000_000, strict=True, progress=False)
    return out, read_tables(out)


@pytest.fixture(scope="session")
def seed_vignettes(seed_tables, tmp_path_factory):
    """The real generate stage (project params, 6,000 rows) on the seed fact tables: (path, DataFrame)."""
    import pandas as pd

    from symcause.core.params import load_params
    from symcause.generation.runner import run_generate, settings_from_params

    facts_dir, _ = seed_tables
    g = load_params(ROOT / "params.yaml").generate
    out = tmp_path_factory.mktemp("vignettes") / "vignettes.parquet"
    run_generate(facts_dir, 6000, g.seed, out, settings_from_params(g), batch_size=2000, workers=1, progress=False)
    return out, pd.read_parquet(out)
