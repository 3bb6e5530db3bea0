"""pandera schemas for the tables, built from `schemas/tables.yaml` and the vocabularies.

Column contracts (types, allowed values, unique ids) come from the YAML; cross-table
integrity (facts -> conditions -> sources, evidence offsets) is checked by `check_integrity`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from symcause.core.contract import CATEGORIES, FACTOR_KINDS, OTHER_LABEL
from symcause.core.contract import FACT_TABLES as TABLES
from symcause.core.errors import BadInputError, ValidationFailed
from symcause.core.paths import schemas_dir
from symcause.core.vocab import Vocab, cached_vocab, load_yaml


def vocab_values(vocab: Vocab) -> dict[str, list[str]]:
    return {
        "categories": list(CATEGORIES),
        "labels": [*CATEGORIES, OTHER_LABEL],   # vignette labels: the six categories, `other` with generate.include_mimics
        "regions": list(vocab.regions),
        "regions_coarse": sorted(set(vocab.region_coarse.values())),
        "symptoms": list(vocab.symptoms),
        "qualities": list(vocab.qualities),
        "factors": sorted(vocab.factor_values),
        "factor_kinds": list(FACTOR_KINDS),
        "frequencies": list(vocab.frequencies),
    }


def table_specs(root: Path | None = None) -> dict[str, Any]:
    return load_yaml(schemas_dir(root) / "tables.yaml")


def _is_str_list(v: Any) -> bool:
    if v is None:
        return False
    try:
        return all(isinstance(x, str) for x in list(v))
    except TypeError:
        return False


def _map_items(v: Any) -> list[tuple[Any, Any]] | None:
    """A map cell as (key, value) pairs: Arrow maps arrive in pandas as lists of pairs (or dicts)."""
    if isinstance(v, dict):
        return list(v.items())
    try:
        items = [tuple(x) for x in v]
    except TypeError:
        return None
    return items if all(len(x) == 2 for x in items) else None


def _is_distribution(v: Any, keys: set[str]) -> bool:
    """A map label -> probability: known labels, each once, values in [0, 1] summing to 1 (to rounding)."""
    items = _map_items(v)
    if not items:
        return False
    labels = [k for k, _ in items]
    values = [x for _, x in items]
    return (all(isinstance(k, str) and k in keys for k in labels) and len(set(labels)) == len(labels)
            and all(isinstance(x, float) and 0.0 <= x <= 1.0 for x in values) and abs(sum(values) - 1.0) < 1e-3)


def build_schema(table: str, spec: dict[str, Any], values: dict[str, list[str]]) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    for name, col in spec["columns"].items():
        checks: list[pa.Check] = []
        dtype: Any = col["dtype"]
        if dtype == "list":
            dtype = None
            checks.append(pa.Check(lambda s: s.map(_is_str_list), element_wise=False, name="list_of_str"))
        if dtype == "map":
            dtype = None
            keys = set(values[col["isin"]] if isinstance(col.get("isin"), str) else col.get("isin") or [])
            checks.append(pa.Check(lambda s, keys=keys: s.map(lambda cell: _is_distribution(cell, keys)), element_wise=False,
                                   name="distribution_over_labels"))
            col = {k: v for k, v in col.items() if k != "isin"}
        if "regex" in col:
            checks.append(pa.Check.str_matches(col["regex"]))
        if "isin" in col:
            allowed = values[col["isin"]] if isinstance(col["isin"], str) else col["isin"]
            checks.append(pa.Check.isin(allowed))
        if "ge" in col:
            checks.append(pa.Check.ge(col["ge"]))
        if "le" in col:
            checks.append(pa.Check.le(col["le"]))
        if "gt" in col:
            checks.append(pa.Check.gt(col["gt"]))
        if "lt" in col:
            checks.append(pa.Check.lt(col["lt"]))
        columns[name] = pa.Column(dtype, checks=checks, nullable=bool(col.get("nullable", False)),
                                  coerce=dtype is not None)
    return pa.DataFrameSchema(columns, strict=True, unique=spec.get("unique"), name=table, ordered=False)


@lru_cache(maxsize=4)
def schemas(root: str | None = None) -> dict[str, pa.DataFrameSchema]:
    vocab = cached_vocab(root)
    specs = table_specs(Path(root) if root else None)
    values = vocab_values(vocab)
    return {t: build_schema(t, s, values) for t, s in specs["tables"].items()}


def column_order(table: str) -> list[str]:
    return list(table_specs()["tables"][table]["columns"])


def validate_table(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate lazily; raise ValidationFailed with the failure cases attached."""
    try:
        return schemas()[table].validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        first = fc.iloc[0]
        err = ValidationFailed(
            f"table '{table}': {len(fc)} schema violation(s), first: column '{first['column']}' "
            f"check '{first['check']}' failed on {first['failure_case']!r}"
        )
        err.failure_cases = fc  # type: ignore[attr-defined]
        raise err from exc


def check_integrity(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Cross-table checks; returns failure cases (empty frame when all hold)."""
    rows: list[dict[str, Any]] = []
    sources = tables["sources"].set_index("source_id")["text"]
    cond_ids = set(tables["conditions"]["condition_id"])
    for table in ("facts", "factors"):
        df = tables[table]
        for col, known, check in (("source_id", set(sources.index), "source_exists"),
                                  ("condition_id", cond_ids, "condition_exists")):
            bad = df.loc[~df[col].isin(known)]
            rows += [{"table": table, "check": check, "fact_id": r.fact_id, "failure_case": getattr(r, col)}
                     for r in bad.itertuples()]
        for r in df.itertuples():
            text = sources.get(r.source_id)
            if text is None:
                continue
            if not (0 <= r.char_start < r.char_end <= len(text)) or text[r.char_start:r.char_end] != r.evidence:
                rows.append({"table": table, "check": "evidence_offsets", "fact_id": r.fact_id,
                             "failure_case": f"[{r.char_start}:{r.char_end}]"})
    cond = tables["conditions"]
    known_sources = set(sources.index)
    for r in cond.itertuples():
        missing = [s for s in r.source_ids if s not in known_sources]
        if missing:
            rows.append({"table": "conditions", "check": "source_exists", "fact_id": r.condition_id,
                         "failure_case": ",".join(missing)})
    return pd.DataFrame(rows, columns=["table", "check", "fact_id", "failure_case"])


def read_tables(facts_dir: Path) -> dict[str, pd.DataFrame]:
    """The four fact tables from `facts_dir`; a missing or unreadable file is bad input naming it."""
    out = {}
    for name in TABLES:
        path = facts_dir / f"{name}.parquet"
        if not path.is_file():
            raise BadInputError(f"{path}: table is missing (run the extract stage first)")
        try:
            out[name] = pd.read_parquet(path)
        except Exception as exc:
            raise BadInputError(f"{path}: not a readable Parquet file ({exc})") from exc
    for name in ("conditions",):
        for col in ("aliases", "source_ids"):
            out[name][col] = out[name][col].map(list)
    return out
