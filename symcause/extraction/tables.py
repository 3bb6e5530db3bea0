"""Stage `extract`: articles -> sources, conditions, facts and factors tables.

    python -m pipeline.extract [--params params.yaml]
    symcause extract PATH... --out DIR [--strict] [--max-bytes N]
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from symcause.core.contract import FACT_TABLES as TABLES
from symcause.core.errors import BadInputError, warn
from symcause.core.hashing import sha256_text
from symcause.core.io import write_json, write_parquet
from symcause.core.paths import project_relative
from symcause.core.tables import column_order, validate_table
from symcause.extraction.conditions import DocCondition
from symcause.extraction.extractor import Extractor, cached_extractor
from symcause.extraction.text import SUPPORTED_SUFFIXES, Article, SkipSource, read_article


@dataclass
class ExtractReport:
    read: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    no_conditions: list[str] = field(default_factory=list)
    words: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"read": self.read, "skipped": self.skipped, "duplicates": self.duplicates,
                "no_conditions": self.no_conditions, "n_read": len(self.read), "n_skipped": len(self.skipped),
                "words": self.words}


def collect_paths(paths: list[Path]) -> list[Path]:
    """Files named, and the supported articles inside folders (sorted, recursive)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in SUPPORTED_SUFFIXES)
        elif p.exists():
            out.append(p)
        else:
            raise BadInputError(f"{p}: no such file or folder")
    return out


def merge_conditions(per_doc: list[tuple[str, dict[str, DocCondition]]]) -> pd.DataFrame:
    """One row per condition id across documents: aliases and sources unioned."""
    merged: dict[str, dict[str, Any]] = {}
    votes: dict[str, Counter[str]] = {}
    for source_id, conds in per_doc:
        for c in conds.values():
            row = merged.get(c.condition_id)
            if row is None:
                row = merged[c.condition_id] = {
                    "condition_id": c.condition_id, "name": c.name, "category": c.category, "icd10": c.icd10,
                    "icd10_description": c.icd10_description, "aliases": set(), "source_ids": set(),
                    "origin": c.origin, "region": c.region, "category_confidence": c.confidence, "n_mentions": 0,
                    "category_source": c.category_source, "mimic": c.mimic,
                }
            votes.setdefault(c.condition_id, Counter())[c.category] += c.mentions or 1
            row["aliases"] |= c.aliases
            row["source_ids"].add(source_id)
            row["n_mentions"] += c.mentions
            if row["icd10"] is None and c.icd10:
                row["icd10"], row["icd10_description"] = c.icd10, c.icd10_description
    for cid, row in merged.items():
        if row["origin"] != "lexicon":
            row["category"] = votes[cid].most_common(1)[0][0]
        row["aliases"] = sorted(a for a in row["aliases"] if a != str(row["name"]).lower())
        row["source_ids"] = sorted(row["source_ids"])
    df = pd.DataFrame(list(merged.values()), columns=column_order("conditions"))
    return df.sort_values("condition_id", kind="stable").reset_index(drop=True)


MANIFEST_NAME = "MANIFEST.csv"
SOURCE_TYPES = ("seed", "corpus", "user")


def read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    """`folder/MANIFEST.csv` rows by file name (columns file, title, source_type, format, audience, licence,
    origin ...); {} when the folder has none. A malformed manifest is bad input naming the line."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return {}
    rows: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if "file" not in (reader.fieldnames or []):
            raise BadInputError(f"{path}: line 1: column 'file' is missing")
        for i, rec in enumerate(reader, start=2):
            name = (rec.get("file") or "").strip()
            if not name:
                raise BadInputError(f"{path}: line {i}: empty 'file'")
            kind = (rec.get("source_type") or "").strip() or "user"
            if kind not in SOURCE_TYPES:
                raise BadInputError(f"{path}: line {i}: source_type {kind!r} (expected one of {', '.join(SOURCE_TYPES)})")
            rows[name] = {k: (v or "").strip() for k, v in rec.items() if k}
    return rows


def provenance(paths: list[Path]) -> dict[Path, dict[str, str]]:
    """Manifest rows of the articles under `paths`, by resolved file path (a folder's MANIFEST.csv lists its files)."""
    out: dict[Path, dict[str, str]] = {}
    for p in paths:
        folder = p if p.is_dir() else p.parent
        for name, row in read_manifest(folder).items():
            out[(folder / name).resolve()] = row
    return out


def _source_row(source_id: str, shown: str, article: Article, digest: str, meta: dict[str, str]) -> dict[str, object]:
    audience = meta.get("audience") or None
    return {"source_id": source_id, "path": shown, "title": meta.get("title") or article.title, "sha256": digest,
            "n_chars": len(article.text), "text": article.text,
            "source_type": meta.get("source_type") or "user", "format": article.format,
            "audience": audience if audience in ("public", "professional") else None,
            "licence": meta.get("licence") or None, "origin": meta.get("origin") or None}


def extract_tables(paths: list[Path], max_bytes: int, extractor: Extractor | None = None, progress: bool = True,
                   root: Path | None = None, source_types: tuple[str, ...] = SOURCE_TYPES,
                   ) -> tuple[dict[str, pd.DataFrame], ExtractReport]:
    """Read, normalise and extract every article; pure apart from reading the files. Articles listed in a
    folder's MANIFEST.csv carry its provenance (source type, audience, licence, origin); others are `user`
    articles. Only articles whose source type is in `source_types` are read."""
    ex = extractor or cached_extractor()
    report = ExtractReport()
    meta_by_path = provenance(paths)
    sources: list[dict[str, object]] = []
    per_doc: list[tuple[str, dict[str, DocCondition]]] = []
    facts: list[dict] = []
    factors: list[dict] = []
    seen: dict[str, str] = {}
    for path in tqdm(collect_paths(paths), desc="extract", unit="doc", disable=not progress):
        shown = project_relative(path, root)
        meta = meta_by_path.get(path.resolve(), {})
        if (meta.get("source_type") or "user") not in source_types:
            continue
        try:
            article = read_article(path, max_bytes)
        except SkipSource as exc:
            warn(f"skipped {exc}")
            report.skipped.append({"path": shown, "reason": str(exc)})
            continue
        text = article.text
        digest = sha256_text(text)
        source_id = digest[:12]
        if source_id in seen:
            warn(f"{shown}: same text as {seen[source_id]}, counted once")
            report.duplicates.append({"path": shown, "same_as": seen[source_id]})
            continue
        seen[source_id] = shown
        result = ex.extract(source_id, text, article.headings)
        report.read.append(shown)
        report.words += len(text.split())
        if not result.conditions:
            report.no_conditions.append(shown)
        sources.append(_source_row(source_id, shown, article, digest, meta))
        per_doc.append((source_id, result.conditions))
        facts += result.facts
        factors += result.factors
    tables = {
        "sources": pd.DataFrame(sources, columns=column_order("sources")),
        "conditions": merge_conditions(per_doc),
        "facts": pd.DataFrame(facts, columns=column_order("facts")),
        "factors": pd.DataFrame(factors, columns=column_order("factors")),
    }
    for name in ("facts", "factors"):
        tables[name] = tables[name].sort_values(["source_id", "char_start", "fact_id"], kind="stable").reset_index(drop=True)
    tables["sources"] = tables["sources"].sort_values("source_id").reset_index(drop=True)
    return tables, report


def run_extract(paths: list[Path], out_dir: Path, max_bytes: int, strict: bool, progress: bool = True,
                source_types: tuple[str, ...] = SOURCE_TYPES) -> ExtractReport:
    tables, report = extract_tables(paths, max_bytes, progress=progress, source_types=source_types)
    if strict and report.skipped:
        raise BadInputError(f"{report.skipped[0]['reason']} (--strict: {len(report.skipped)} source(s) skipped)")
    if not report.read:
        raise BadInputError(f"no readable articles in {', '.join(str(p) for p in paths)}")
    for name in TABLES:
        tables[name] = validate_table(name, tables[name])
    for name in TABLES:
        write_parquet(out_dir / f"{name}.parquet", tables[name])
    write_json(out_dir / "extract_report.json", report.as_dict())
    return report
