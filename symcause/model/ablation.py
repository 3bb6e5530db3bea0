"""Ablation for the evaluate stage: what the 36-article corpus adds to the five seed articles.

The seeds-only arm runs the whole chain in memory on the articles of `data/sources` whose manifest source type is
`seed`: extraction, the knowledge table, the same number of vignettes with the same generator settings and seed,
and the same classifier params. Its model is scored on the same sets as the main (seeds + corpus) model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from symcause.core.params import Params
from symcause.core.tables import validate_table
from symcause.core.vocab import cached_vocab
from symcause.extraction.tables import extract_tables
from symcause.generation.batching import batches, generate_batch
from symcause.generation.composer import Composer, build_profiles, load_wording
from symcause.generation.runner import settings_from_params
from symcause.knowledge.estimate import build_knowledge
from symcause.model.training import fit_model, with_knowledge


@dataclass(frozen=True)
class Arm:
    name: str
    sources: int
    conditions: int
    facts: int
    vignettes: int
    model: Any


def seeds_only_arm(sources_dir: Path, params: Params, n: int) -> Arm:
    """Extract the seed articles only, build their knowledge table, generate `n` vignettes as the generate stage
    would (same settings and seed) and fit the train stage's model on their split `train` (blended with the seeds'
    own knowledge table, as the train stage blends with the full one)."""
    tables, _ = extract_tables([sources_dir], params.extract.max_bytes, progress=False, source_types=("seed",))
    tables = {name: validate_table(name, df) for name, df in tables.items()}
    vocab = cached_vocab()
    knowledge = build_knowledge(tables["conditions"], tables["facts"], tables["factors"], vocab, params.knowledge)
    settings = settings_from_params(params.generate, params.knowledge.prior)
    profiles = build_profiles(tables["conditions"], tables["facts"], tables["factors"], vocab, settings, knowledge)
    composer = Composer(profiles, load_wording(vocab), settings)
    parts = [generate_batch(composer, params.generate.seed, b, start, size)
             for b, start, size in batches(n, params.generate.batch_size)]
    v = pa.concat_tables([t.replace_schema_metadata(None) for t in parts]).select(["text", "category", "split"])
    frame: pd.DataFrame = v.to_pandas()
    train = frame[frame["split"] == "train"]
    model = fit_model(train["text"].astype(str).tolist(), train["category"].astype(str).tolist(), params.train)
    model = with_knowledge(model, knowledge, params.train.knowledge_weight, params.knowledge.prior,
                           params.train.temperature)
    return Arm("seeds only", len(tables["sources"]), len(tables["conditions"]), len(tables["facts"]), len(train), model)
