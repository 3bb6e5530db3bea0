"""`params.yaml`, validated with pydantic before any work: one model per stage section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline import find_project_root
from pipeline.errors import BadInputError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExtractParams(_Section):
    sources: str = "data/sources"
    out: str = "data/facts"
    max_bytes: int = Field(2_000_000, gt=0, le=200_000_000)
    strict: bool = False


class ValidateParams(_Section):
    facts_dir: str = "data/facts"
    reports: str = "reports/validation"
    min_conditions: int = Field(5, ge=1)
    max_facts_per_condition: int = Field(400, ge=1)


class EvaluateExtractionParams(_Section):
    gold: str = "data/gold"
    heldout_articles: str = "data/heldout/articles"
    out: str = "reports/extraction.json"


class BenchParams(_Section):
    corpus_mb: float = Field(1.0, gt=0, le=100)
    repeats: int = Field(3, ge=1, le=20)


class Params(BaseModel):
    model_config = ConfigDict(extra="allow")

    extract: ExtractParams = ExtractParams()
    validate_: ValidateParams = Field(ValidateParams(), alias="validate")
    evaluate_extraction: EvaluateExtractionParams = EvaluateExtractionParams()
    bench: BenchParams = BenchParams()


def load_params(path: str | Path | None = None) -> Params:
    """Read and validate params; a bad value raises BadInputError naming the key."""
    p = Path(path) if path else find_project_root() / "params.yaml"
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise BadInputError(f"{p}: params file not found") from exc
    except yaml.YAMLError as exc:
        raise BadInputError(f"{p}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise BadInputError(f"{p}: expected a mapping of stage sections")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(x) for x in err["loc"])
        raise BadInputError(f"{p}: {key}: {err['msg']} (got {err.get('input')!r})") from exc
