"""MLCommons Croissant metadata (`croissant.json`) for the published folder, built with `mlcroissant`.

One record set per table (the fact tables, the knowledge table, and the vignettes with a file set over their three
split files), each field pointing at its Parquet column, described from `schemas/tables.yaml` (`doc`). Scalar
columns (text, integer, float, boolean) are fields; list and map columns are named in the record set's description
and read from the Parquet files. `validate_croissant` loads the file with `mlcroissant.Dataset`, which checks it.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import mlcroissant as mlc

from symcause.core.contract import FACT_TABLES

_TYPES = {"str": mlc.DataType.TEXT, "int64": mlc.DataType.INTEGER, "float64": mlc.DataType.FLOAT,
          "bool": mlc.DataType.BOOL}
LICENSE_URL = {"cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/"}


def _fields(table: str, spec: dict[str, Any], source: dict[str, Any]) -> tuple[list[mlc.Field], list[str]]:
    fields, other = [], []
    for name, col in spec["columns"].items():
        dtype = _TYPES.get(str(col["dtype"]))
        if dtype is None:
            other.append(name)
            continue
        fields.append(mlc.Field(id=f"{table}/{name}", name=name, description=str(col.get("doc", "")),
                                data_types=[dtype], source=mlc.Source(**source, extract=mlc.Extract(column=name))))
    return fields, other


def build_croissant(name: str, version: str, license_id: str, description: str, cite_as: str, url: str,
                    specs: dict[str, Any], files: dict[str, str], tables: tuple[str, ...],
                    date_published: str | None = None) -> dict[str, Any]:
    """Croissant JSON-LD for the published folder. `files` maps a relative path to its sha256 (Parquet files of
    the tables and vignettes/<split>.parquet); `specs` is tables.yaml's `tables`."""
    distribution: list[Any] = []
    record_sets = []
    for table in tables:
        rel = f"{table}.parquet"
        distribution.append(mlc.FileObject(id=rel, name=rel, content_url=rel, sha256=files[rel],
                                           encoding_formats=[mlc.EncodingFormat.PARQUET]))
        fields, other = _fields(table, specs[table], {"file_object": rel})
        note = f" List and map columns in the Parquet file: {', '.join(other)}." if other else ""
        record_sets.append(mlc.RecordSet(id=table, name=table, fields=fields,
                                         description=f"The {table} table.{note}"))
    # the split files by glob (their sha256 are in manifest.json and SHA256SUMS)
    distribution.append(mlc.FileSet(id="vignette-splits", name="vignette-splits", includes=["vignettes/*.parquet"],
                                    encoding_formats=[mlc.EncodingFormat.PARQUET]))
    fields, other = _fields("vignettes", specs["vignettes"], {"file_set": "vignette-splits"})
    record_sets.append(mlc.RecordSet(id="vignettes", name="vignettes", fields=fields,
                                     description="Synthetic vignettes of all three splits (column `split`). List and "
                                                 f"map columns in the Parquet files: {', '.join(other)}."))
    metadata = mlc.Metadata(name=name, description=description, version=version, cite_as=cite_as, url=url,
                            license=[LICENSE_URL.get(license_id.lower(), license_id)],
                            date_published=datetime.date.fromisoformat(date_published) if date_published else None,
                            distribution=distribution, record_sets=record_sets)
    out: dict[str, Any] = metadata.to_json()
    return out


def write_croissant(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def validate_croissant(path: Path) -> list[str]:
    """Problems `mlcroissant` reports on loading the file; [] when it loads cleanly."""
    try:
        mlc.Dataset(jsonld=str(path))
    except mlc.ValidationError as exc:
        return [line for line in str(exc).splitlines() if line.strip()]
    return []


CROISSANT = "croissant.json"
PUBLISHED_TABLES = (*FACT_TABLES, "knowledge")
