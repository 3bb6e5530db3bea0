"""Stage `publish`: the release folder `data/published/` (the product of the pipeline).

    python -m pipeline.publish [--params params.yaml]

Writes, into a temporary folder that then replaces `publish.out` in one rename:

- `sources|conditions|facts|factors.parquet`: the fact tables, byte for byte as `extract` wrote them;
- `vignettes/train|val|test.parquet`: the vignettes table split by its `split` column, streamed by
  record batches (memory is bounded by `publish.row_group_rows`, whatever the table's size);
- `figures/*.png`: the dataset report's plots (`reports/vignettes/plots/`), where present;
- `README.md`: the dataset card (Hugging Face front matter + Datasheets-for-Datasets sections);
- `manifest.json`: dataset version, git revision, params hash, schema version and, for every
  file, its path, rows, bytes and sha256;
- `SHA256SUMS`: every other file in `sha256sum` format (`sha256sum -c SHA256SUMS` checks them).

The same inputs and params give byte-identical files; only the manifest's `git` fields depend
on the checkout it was built in.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from symcause import __version__
from symcause.core.contract import CATEGORIES, SPLITS
from symcause.core.contract import FACT_TABLES as TABLES
from symcause.core.errors import BadInputError
from symcause.core.hashing import sha256_file
from symcause.core.io import atomic_dir, parquet_parts, read_json_object
from symcause.core.markdown import fmt_value, get_path, md_table
from symcause.core.params import PublishParams
from symcause.core.paths import schemas_dir
from symcause.core.tables import table_specs
from symcause.core.vocab import load_yaml
from symcause.release.croissant import (
    CROISSANT,
    PUBLISHED_TABLES,
    build_croissant,
    validate_croissant,
    write_croissant,
)

HF_SPLITS = {"train": "train", "val": "validation", "test": "test"}
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
CARD = "README.md"
NOT_FOR_DIAGNOSIS = (
    "**Not for diagnosis.** This dataset and any model trained on it are for research on information "
    "extraction and text classification only. The facts were extracted by rules from health articles (five "
    "consumer web articles and 36 written for the project) and contain errors; the vignettes are synthetic. Do not "
    "use them to diagnose, triage or "
    "treat anyone. People with leg pain should see a qualified clinician."
)
TABLE_DESCRIPTIONS = {
    "sources": "one row per source article: id, file, title, sha256, type, licence, origin and (where the licence "
               "allows) the normalised text all offsets point into",
    "conditions": "one row per distinct condition: cause category, ICD-10-CM code, aliases, source ids",
    "facts": "condition-symptom-region facts with their evidence sentence and its character offsets",
    "factors": "aggravating / relieving / risk-factor / red-flag / onset / exam / timing / demographic facts with "
               "their evidence",
    "knowledge": "P(finding | condition) for every condition and finding, with the facts behind each likelihood",
}
CARD_TABLES = (*TABLES, "knowledge")


# ---------------------------------------------------------------------------------------------
# small pure helpers


def size_category(n: int) -> str:
    """Hugging Face `size_categories` bucket for n rows."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                         (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")):
        if n < limit:
            return label
    return "100M<n<1B"


def render_sha256sums(entries: Iterable[Mapping[str, Any]]) -> str:
    """`sha256sum` text format (two spaces: text mode), one line per file, sorted by path."""
    return "".join(f"{e['sha256']}  {e['path']}\n" for e in sorted(entries, key=lambda e: e["path"]))


@dataclass
class SplitStats:
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPLITS, 0))
    categories: dict[str, Counter[str]] = field(default_factory=lambda: {s: Counter() for s in SPLITS})


@dataclass(frozen=True)
class TableInfo:
    rows: int
    columns: list[tuple[str, str]]


@dataclass(frozen=True)
class CardInputs:
    name: str
    version: str
    license: str
    schema_version: str
    tables: dict[str, TableInfo]
    splits: SplitStats
    vignette_columns: list[tuple[str, str]]
    categories: dict[str, str]                      # category -> description
    sources: list[dict[str, Any]]                   # provenance rows
    extraction: dict[str, Any] | None = None        # reports/extraction.json
    dataset_report: dict[str, Any] | None = None    # reports/vignettes/report.json
    figures: list[str] = field(default_factory=list)
    knowledge_report: dict[str, Any] | None = None  # reports/knowledge/report.json
    specs: dict[str, Any] = field(default_factory=dict)          # schemas/tables.yaml `tables`
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)   # table -> its first row
    url: str = ""
    maintainers: tuple[str, ...] = ()
    date_published: str = ""


# ---------------------------------------------------------------------------------------------
# tables


def _open_parquet(path: Path) -> pq.ParquetFile:
    if not path.is_file():
        raise BadInputError(f"{path}: not found (run the pipeline first: make repro)")
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise BadInputError(f"{path}: not a readable Parquet file ({exc})") from exc


def _columns(schema: pa.Schema) -> list[tuple[str, str]]:
    return [(f.name, str(f.type).replace("element: ", "")) for f in schema]


def withhold_texts(table: pa.Table, allowed: Iterable[str]) -> pa.Table:
    """The sources table as published: `text` kept only where the source's licence is in `allowed` (null
    otherwise), and a column `text_published` saying which. Evidence sentences stay in facts and factors."""
    ok = pc.is_in(table.column("licence"), value_set=pa.array(sorted(allowed), pa.string()))
    ok = pc.fill_null(ok, False)
    text = pc.if_else(ok, table.column("text"), pa.nulls(len(table), pa.string()))
    table = table.set_column(table.schema.get_field_index("text"), "text", text)
    return table.append_column("text_published", ok)


def copy_tables(facts_dir: Path, knowledge: Path, out: Path, allowed: Iterable[str]) -> dict[str, TableInfo]:
    """The four fact tables and the knowledge table: copied unchanged (their bytes are already deterministic),
    except `sources`, whose text is published only under a redistributable licence (`withhold_texts`)."""
    info: dict[str, TableInfo] = {}
    for name, src in [*((t, facts_dir / f"{t}.parquet") for t in TABLES), ("knowledge", knowledge)]:
        pf = _open_parquet(src)
        if name == "sources":
            table = withhold_texts(pf.read(), allowed).replace_schema_metadata(None)
            pq.write_table(table, out / "sources.parquet", compression="zstd")
            info[name] = TableInfo(table.num_rows, _columns(table.schema))
            continue
        info[name] = TableInfo(pf.metadata.num_rows, _columns(pf.schema_arrow))
        shutil.copyfile(src, out / f"{name}.parquet")
    return info


def _batches(pfs: list[pq.ParquetFile], max_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of at most max_rows, one input row group in memory at a time, file after file.

    (`ParquetFile.iter_batches` was measured to keep memory growing with the file: about 60 MB more
    per million vignettes; reading row group by row group stays flat.)
    """
    for pf in pfs:
        for i in range(pf.num_row_groups):
            yield from pf.read_row_group(i).to_batches(max_chunksize=max_rows)


def split_vignettes(src: Path, out_dir: Path, row_group_rows: int) -> tuple[SplitStats, list[tuple[str, str]]]:
    """Stream `src` into out_dir/{train,val,test}.parquet by its `split` column.

    The input is read one row group at a time (the generator writes one per batch) in record batches
    of at most `row_group_rows` rows; each split buffers at most one output row group before it is
    written, so memory is bounded by the row-group sizes, not by the table. Row order
    and row groups depend only on the input, so the files are byte-identical for the same input.
    """
    parts = parquet_parts(src)  # one file, or the dask engine's partitions
    pfs = [_open_parquet(part) for part in parts]
    schema = pfs[0].schema_arrow
    for part, pf in zip(parts, pfs):
        if not pf.schema_arrow.equals(schema):
            raise BadInputError(f"{part}: its columns differ from those of {parts[0].name}")
    for col in ("split", "category"):
        if col not in schema.names:
            raise BadInputError(f"{src}: column '{col}' is missing")
    out_dir.mkdir(parents=True, exist_ok=True)
    stats = SplitStats()
    writers = {s: pq.ParquetWriter(out_dir / f"{s}.parquet", schema, compression="zstd") for s in SPLITS}
    pending: dict[str, list[pa.Table]] = {s: [] for s in SPLITS}
    pending_rows = dict.fromkeys(SPLITS, 0)

    def flush(s: str, final: bool) -> None:
        if not pending[s]:
            return
        table = pa.concat_tables(pending[s])
        n_full = len(table) if final else (len(table) // row_group_rows) * row_group_rows
        if n_full:
            writers[s].write_table(table.slice(0, n_full), row_group_size=row_group_rows)
        rest = table.slice(n_full)
        pending[s] = [rest] if len(rest) else []
        pending_rows[s] = len(rest)

    try:
        seen = 0
        for batch in _batches(pfs, row_group_rows):
            seen += batch.num_rows
            split_col = batch.column(schema.get_field_index("split"))
            for s in SPLITS:
                part = pa.Table.from_batches([batch.filter(pc.equal(split_col, s))], schema=schema)
                if not len(part):
                    continue
                stats.rows[s] += len(part)
                for v in pc.value_counts(part.column("category")).to_pylist():
                    stats.categories[s][str(v["values"])] += int(v["counts"])
                pending[s].append(part)
                pending_rows[s] += len(part)
                if pending_rows[s] >= row_group_rows:
                    flush(s, final=False)
            if seen != sum(stats.rows.values()):
                bad = sorted(set(pc.unique(split_col).to_pylist()) - set(SPLITS), key=str)
                raise BadInputError(f"{src}: column 'split' has value(s) {bad} (allowed: {', '.join(SPLITS)})")
        for s in SPLITS:
            flush(s, final=True)
    finally:
        for w in writers.values():
            w.close()
    return stats, _columns(schema)


def copy_figures(plots_dir: Path, out_dir: Path) -> list[str]:
    """Copy the dataset report's PNG plots; returns their paths relative to the published folder."""
    if not plots_dir.is_dir():
        return []
    pngs = sorted(p for p in plots_dir.glob("*.png") if p.is_file())
    if pngs:
        out_dir.mkdir(parents=True, exist_ok=True)
    for p in pngs:
        shutil.copyfile(p, out_dir / p.name)
    return [f"{out_dir.name}/{p.name}" for p in pngs]


def file_entries(folder: Path, exclude: Iterable[str] = (MANIFEST, SUMS)) -> list[dict[str, Any]]:
    """path (relative, '/'), rows (Parquet only, else null), bytes and sha256 of every file, sorted."""
    skip = set(exclude)
    entries = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or rel in skip:
            continue
        rows = pq.ParquetFile(p).metadata.num_rows if p.suffix == ".parquet" else None
        entries.append({"path": rel, "rows": rows, "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    return entries


def verify_manifest(folder: Path) -> list[str]:
    """Problems found checking every file listed in folder/manifest.json (rows, bytes, sha256); [] when all match."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{folder / MANIFEST}: unreadable ({exc})"]
    problems = []
    for e in manifest.get("files", []):
        p = folder / e["path"]
        if not p.is_file():
            problems.append(f"{e['path']}: missing")
            continue
        if p.stat().st_size != e["bytes"] or sha256_file(p) != e["sha256"]:
            problems.append(f"{e['path']}: bytes or sha256 differ from the manifest")
        elif e.get("rows") is not None and pq.ParquetFile(p).metadata.num_rows != e["rows"]:
            problems.append(f"{e['path']}: row count differs from the manifest")
    return problems


def build_manifest(name: str, version: str, schema_version: str, files: list[dict[str, Any]], splits: SplitStats,
                   tables: Mapping[str, TableInfo]) -> dict[str, Any]:
    """What the folder holds, by content: every file's sha256 (no timestamps, no git revision, so the same
    inputs give the same bytes; the release tag `dataset-vX.Y.Z` names the commit)."""
    return {
        "name": name,
        "version": version,
        "schema_version": schema_version,
        "created_by": f"symcause {__version__} (dvc stage publish)",
        "tables": {**{t: {"rows": i.rows} for t, i in tables.items()},
                   "vignettes": {"rows": sum(splits.rows.values()), "splits": dict(splits.rows),
                                 "categories": {s: dict(sorted(c.items())) for s, c in splits.categories.items()}}},
        "files": files,
    }


# ---------------------------------------------------------------------------------------------
# the dataset card


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def front_matter(c: CardInputs) -> dict[str, Any]:
    n = sum(c.splits.rows.values())
    configs: list[dict[str, Any]] = [{
        "config_name": "vignettes", "default": True,
        "data_files": [{"split": HF_SPLITS[s], "path": f"vignettes/{s}.parquet"} for s in SPLITS],
    }]
    configs += [{"config_name": t, "data_files": [{"split": "train", "path": f"{t}.parquet"}]} for t in CARD_TABLES]
    return {
        "pretty_name": f"{c.name}: radiating leg pain, symptom-cause facts and synthetic vignettes",
        "version": c.version,
        "license": c.license,
        "language": ["en"],
        "multilinguality": ["monolingual"],
        "size_categories": [size_category(n)],
        "source_datasets": ["original"],
        "task_categories": ["text-classification"],
        "task_ids": ["multi-class-classification"],
        "annotations_creators": ["machine-generated"],
        "language_creators": ["machine-generated", "found"],
        "tags": ["medical", "synthetic", "information-extraction", "leg-pain", "not-for-diagnosis"],
        "configs": configs,
    }


def _extraction_lines(ex: Mapping[str, Any] | None) -> list[str]:
    if not ex:
        return ["_Extraction metrics (`reports/extraction.json`) were not available when this card was built._"]
    rows = []
    for name, label in (("seeds", "the 5 source articles (rules developed on them)"),
                        ("dev", "development articles"), ("heldout", "held-out article (never used to build rules)")):
        o = get_path(ex, name, "overall")
        if not isinstance(o, Mapping):
            continue
        rows.append([label] + [fmt_value(get_path(o, k, "f1")) for k in ("conditions", "pairs", "factors")]
                    + [fmt_value(o.get("category_accuracy"))])
    if not rows:
        return ["_`reports/extraction.json` has no overall scores._"]
    return ["Extraction quality against hand annotation (F1; from `reports/extraction.json`):", "",
            *md_table(["articles", "conditions", "symptom-region pairs", "factors", "category accuracy"], rows)]


def report_highlights(rep: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(statistic, value) pairs worth quoting from the dataset report (reports/vignettes/report.json)."""
    picks = [
        ("conditions", get_path(rep, "conditions")),
        ("mean words per vignette", get_path(rep, "text_words", "mean")),
        ("facts per vignette (mean)", get_path(rep, "facts_per_vignette_mean")),
        ("red flag share", get_path(rep, "rates", "red_flag")),
        ("names the condition (share)", get_path(rep, "rates", "names_condition")),
        ("with a negated finding (share)", get_path(rep, "rates", "with_negated_finding")),
        ("with a distractor (share)", get_path(rep, "rates", "with_distractor")),
        ("exact duplicate texts across splits (rows)", get_path(rep, "duplicates", "exact_cross_split_rows")),
        ("near-duplicate rate across splits", get_path(rep, "duplicates", "near_cross_split_rate")),
        ("distinct-2 / distinct-3", None if get_path(rep, "lexical", "distinct_2") is None else
         f"{fmt_value(get_path(rep, 'lexical', 'distinct_2'))} / {fmt_value(get_path(rep, 'lexical', 'distinct_3'))}"),
        ("validation passed", get_path(rep, "validation", "success")),
    ]
    out = [(k, fmt_value(v)) for k, v in picks if v is not None]
    trace = get_path(rep, "traceability")
    if isinstance(trace, Mapping):
        bad = sum(int(v) for v in trace.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
        out.append(("traceability problems (every fact, symptom, region and factor of every row checked)",
                    fmt_value(bad)))
    return out


def _report_lines(rep: Mapping[str, Any] | None, figures: list[str]) -> list[str]:
    lines: list[str] = []
    if not rep:
        lines.append("_The dataset report (`reports/vignettes/report.json`, stage `audit_vignettes`) was not "
                     "available when this card was built; its statistics are left out._")
    else:
        lines += ["From the dataset report (`reports/vignettes/report.json`):", "",
                  *md_table(["statistic", "value"], report_highlights(rep))]
    if figures:
        for f in figures:
            lines += ["", f"![{Path(f).stem.replace('_', ' ')}]({f})"]
    else:
        lines += ["", "_No figures: `reports/vignettes/plots/*.png` was not present._"]
    return lines


def _knowledge_lines(c: CardInputs) -> list[str]:
    k = c.knowledge_report or {}
    return ["## The knowledge table and the differential", "",
            "`knowledge.parquet` has one row per condition and finding (symptom@region, quality, onset, time course, "
            "examination finding, aggravating and relieving factor, risk factor, demographic, red flag): the "
            "likelihood P(finding | condition) is the mean of the values of the articles that state it (a plain "
            "statement, a frequency word such as `most` or `rarely`, a hedge, a negation), shrunk towards a prior "
            "for findings stated by few sources; `n_sources`, `n_facts` and `fact_ids` give its provenance and "
            "`method` says how it was computed." + (f" {k['rows']:,} rows for {k['conditions']} conditions." if
                                                    "rows" in k and "conditions" in k else ""), "",
            "Each vignette's `differential` is the posterior over the labels given the findings its text states "
            "(naive Bayes with the knowledge table's label-level likelihoods, uniform prior); `label_supported` "
            "is true when the label is in its top two. Drawn cases whose label is not supported are dropped, never "
            "relabelled (the share dropped per difficulty is in the project's `data/vignettes/generation.json` and "
            "dataset report)."]


def _short(v: Any) -> Any:
    if isinstance(v, str) and len(v) > 160:
        return v[:157] + "..."
    if isinstance(v, list):
        return [_short(x) for x in v[:8]] + (["..."] if len(v) > 8 else [])
    if isinstance(v, float):
        return round(v, 4)
    return v


def _example_lines(c: CardInputs) -> list[str]:
    out: list[str] = []
    for table, row in c.examples.items():
        shown = {k: _short(v) for k, v in row.items()}
        out += [f"`{table}`:", "", "```json", json.dumps(shown, ensure_ascii=False, indent=1, default=str), "```", ""]
    return out or ["_No example records._"]


def _dictionary_lines(c: CardInputs) -> list[str]:
    """Every column of every published table from schemas/tables.yaml: type, allowed values, description."""
    out = ["Generated from `schemas/tables.yaml` (the same file the pipeline's pandera contracts are built from).", ""]
    for table in (*CARD_TABLES, "vignettes"):
        spec = c.specs.get(table)
        if not spec:
            continue
        rows = []
        for name, col in spec["columns"].items():
            allowed = col.get("isin")
            rule = (f"one of `{allowed}`" if isinstance(allowed, str) else
                    ", ".join(f"`{x}`" for x in allowed) if allowed else "")
            bounds = " ".join(f"{op} {col[op]}" for op in ("ge", "gt", "le", "lt") if op in col)
            rows.append([f"`{name}`", str(col["dtype"]), "yes" if col.get("nullable") else "no",
                         "; ".join(x for x in (rule, bounds) if x), str(col.get("doc", ""))])
        if table == "sources":
            rows.append(["`text_published`", "bool", "no", "", "the release carries the full text of this source"])
        out += [f"### {table}", "", *md_table(["column", "type", "nullable", "values", "description"], rows), ""]
    return out


def _bibtex(c: CardInputs) -> str:
    year = c.date_published[:4] if c.date_published else ""
    return "\n".join([f"@misc{{{c.name}_{c.version.replace('.', '_')},",
                      f"  title = {{{{{c.name}}}: an evaluated symptom-cause dataset of radiating leg pain}},",
                      "  author = {{symcause maintainers}},", f"  year = {{{year}}},",
                      f"  version = {{{c.version}}},", f"  howpublished = {{{c.url}}},",
                      f"  note = {{Dataset, licence {c.license}. Research use only, not for diagnosis.}}", "}"])


def render_card(c: CardInputs) -> str:
    n = sum(c.splits.rows.values())
    maintainers = ", ".join(c.maintainers) or "see the project"
    cats = sorted({k for s in SPLITS for k in c.splits.categories[s]} | set(c.categories),
                  key=lambda k: (list(c.categories).index(k) if k in c.categories else 99, k))
    fm = yaml.safe_dump(front_matter(c), sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
    L: list[str] = ["---", fm.rstrip("\n"), "---", "",
                    f"# {c.name} {c.version}", "", f"> {NOT_FOR_DIAGNOSIS}", "",
                    f"Condition-symptom-region facts extracted from {len(c.sources)} health articles about "
                    "radiating leg pain, each pointing at its evidence sentence; a knowledge table of P(finding | "
                    f"condition) with the facts behind every likelihood; and {n:,} synthetic patient vignettes "
                    "labelled with one of six cause categories, each with a differential. Dataset version "
                    f"{c.version}, schema version {c.schema_version} (every file's rows, bytes and sha256 are in "
                    "`manifest.json`).", "",
                    "## Files", ""]
    files = [[f"`{t}.parquet`", fmt_value(c.tables[t].rows), TABLE_DESCRIPTIONS[t]] for t in CARD_TABLES if t in c.tables]
    files += [[f"`vignettes/{s}.parquet`", fmt_value(c.splits.rows[s]), f"vignettes, `{s}` split"] for s in SPLITS]
    files += [["`manifest.json`", "", "version and schema version; path, rows, bytes and sha256 of every file"],
              ["`SHA256SUMS`", "", "checksums: `sha256sum -c SHA256SUMS`"],
              ["`croissant.json`", "", "MLCommons Croissant metadata (validated with mlcroissant)"],
              ["`CITATION.cff`", "", "how to cite the dataset"]]
    if c.figures:
        files.append(["`figures/*.png`", "", "plots from the dataset report"])
    L += md_table(["file", "rows", "what"], files)
    L += ["", "```python", "import pandas as pd",
          'train = pd.read_parquet("vignettes/train.parquet")   # or: datasets.load_dataset("parquet", '
          'data_files=...)', "```", "",
          "With DVC, from the project's git repository at a release tag:", "", "```bash",
          f"dvc import <repo-url> data/published --rev dataset-v{c.version} -o {c.name}", "```", "",
          "## Motivation", "",
          "Built to study how well rules can extract symptom-cause knowledge from consumer health text, and to "
          "train and test classifiers that map a lay or clinical description of radiating leg pain to the kind "
          "of structure the pain comes from. Every fact keeps its evidence sentence and offsets, so errors can "
          "be audited; every vignette lists the facts it was written from. It was created by the symcause "
          "project for research and teaching, not for care.", "",
          "## Composition", "",
          "Instances are facts (a condition with a symptom, region, quality or factor, and the sentence that "
          "states it) and vignettes (a short synthetic case text with its label). The label is the cause "
          "category:", ""]
    L += md_table(["category", "the pain comes from", *SPLITS, "all"],
                [[f"`{k}`", c.categories.get(k, ""),
                  *[fmt_value(c.splits.categories[s].get(k, 0)) for s in SPLITS],
                  fmt_value(sum(c.splits.categories[s].get(k, 0) for s in SPLITS))] for k in cats]
                + [["**rows**", "", *[fmt_value(c.splits.rows[s]) for s in SPLITS], fmt_value(n)]])
    L += ["", "Splits are assigned by a hash of what a vignette says (category, facts, factors, negations), so "
          "the same content never appears in two splits. Columns:", ""]
    all_cols = [(t, c.tables[t].columns) for t in CARD_TABLES if t in c.tables] + [("vignettes", c.vignette_columns)]
    L += md_table(["table", "columns (Arrow types)"],
                [[f"`{t}`", ", ".join(f"`{name}` {typ}" for name, typ in cols)] for t, cols in all_cols])
    L += ["", "There is no personal data: the vignettes' ages, sexes and stories are synthetic, and the "
          "articles are public web pages about conditions, not about people.", "",
          "## Collection process", "",
          "The source articles are five consumer health web articles about leg pain that radiates between the "
          "back, hip and knee (the seeds) and 36 articles in HTML, Markdown and plain text written for the project "
          "from clinical knowledge under CC BY 4.0 (the corpus), bundled as `data/sources/` and listed with type, "
          "licence and origin in `data/sources/MANIFEST.csv` (see Sources below). Facts were extracted by "
          "deterministic rules "
          "(vocabulary matching with "
          "ConText-style negation and hedging, medical morphology for unseen conditions, ICD-10-CM lookup). "
          "Vignettes were generated from the facts with templates in three voices (lay first person, clinician "
          "shorthand, third person), with seeded randomness: the same params give byte-identical tables.", "",
          "## Preprocessing, cleaning and labelling", "",
          "Texts are NFKC-normalised with ASCII quotes; every line break ends a sentence. Tables are checked "
          "by pandera column contracts and great-expectations suites before they are written. Each condition "
          "gets its category from a lexicon or from cue words in its name and defining sentence; a vignette's "
          "label is the category of the condition it was generated from.", "",
          *_extraction_lines(c.extraction), "",
          "## Dataset statistics", "", *_report_lines(c.dataset_report, c.figures), "",
          "## Baseline model", "",
          "The project trains a baseline classifier on these vignettes; its scores (synthetic splits and "
          "hand-written cases) are in the project's `reports/model/report.md`, not here, so that a new model "
          "does not change the dataset.", "",
          "## Uses", "",
          "- Research on information extraction from consumer health text (the facts, with evidence offsets).",
          "- Training and testing text classifiers of the cause category, and studying robustness to wording, "
          "negation, distractors and vague regions (the vignettes, with `style` and `difficulty`).",
          "- Teaching reproducible data pipelines (DVC, schemas, dataset cards).", "",
          "Out of scope: any clinical use, symptom checking for real people, triage, or claims about how "
          "common a cause is (the category balance is designed, not observed).", "",
          *_knowledge_lines(c), "",
          "## Bias, risks and limitations", "",
          f"> {NOT_FOR_DIAGNOSIS}", "",
          f"- **Whose voice.** {len(c.sources)} articles: five consumer web articles (seeds) and 36 articles written "
          "for this project from clinical knowledge (corpus). They speak for the writers' view of common "
          "musculoskeletal causes in adults in English-speaking primary care; patients' own accounts, other "
          "languages, and health systems with other care paths are not represented.",
          "- **What the six categories leave out.** Vascular causes (deep vein thrombosis, peripheral arterial "
          "disease), bone causes (stress fracture, tumour) and infection are *mimics*: their facts are kept and "
          "flagged (`conditions.mimic`), but they are not drawn as cases of the six categories (a parameter can "
          "add them under the label `other`). Children's causes (Perthes disease, slipped capital femoral "
          "epiphysis, Osgood-Schlatter) appear only as far as the articles mention them. A model trained on the "
          "six categories will put a clot or a fracture in one of them: that is dangerous outside research.",
          "- **Extraction errors.** Facts come from rules; precision on new articles is below that on the "
          "articles the rules were written on (see the scores above). Some rows are wrong, including a few "
          "conditions that are not conditions.",
          "- **Synthetic cases.** Vignettes are written from templates and the knowledge table: real patient "
          "language is more varied, and scores on synthetic splits overstate real-world accuracy (the project "
          "measures the gap on hand-written cases).",
          "- **Designed, not observed, frequencies.** Categories are balanced; ages and sexes follow the "
          "articles' statements and rough priors, not epidemiology; likelihoods are estimated from how often and "
          "how firmly articles state a finding, not from patient data.",
          "- **Red flags** are rare in the vignettes; the dataset must not be used to detect emergencies.", "",
          "## Sources, licences and provenance", "",
          f"The dataset is released under `{c.license}`. Only sources whose licence allows redistribution ship "
          "their full text (`sources.text_published`); the others (the five seed articles, publisher and licence "
          "unknown) are represented by their sha256, title and the evidence sentences quoted in `facts` and "
          "`factors` only.", ""]
    L += md_table(["source_id", "title", "type", "licence", "full text", "origin", "sha256"],
                [[f"`{s.get('source_id', '')}`", s.get("title", ""), s.get("source_type", ""), s.get("licence", ""),
                  "yes" if s.get("text_published") else "no (evidence sentences only)", s.get("origin", ""),
                  f"`{str(s.get('sha256', ''))[:16]}…`"] for s in c.sources])
    L += ["", "The sha256 is that of the normalised text (column `sources.sha256`); `source_id` is its first 12 "
          "hex digits.", "",
          "## Example records", "", *_example_lines(c), "",
          "## Data dictionary", "", *_dictionary_lines(c), "",
          "## Citation", "", "Cite the dataset as (also in `CITATION.cff`):", "", "```bibtex", _bibtex(c), "```", "",
          "## Distribution and maintenance", "",
          f"Version {c.version}, published {c.date_published} (semantic versioning: a major change breaks the "
          "schema, a minor one adds rows or columns, a patch fixes values). Releases are git tags "
          "`dataset-vX.Y.Z` of the symcause project, with the data in its DVC remote; the folder is rebuilt by "
          f"`make repro` (stage `publish`). Project: {c.url}. Maintainers: {maintainers}; report errors as issues "
          "of the project.", ""]
    return "\n".join(L)


# ---------------------------------------------------------------------------------------------
# inputs


def _read_json(path: Path) -> dict[str, Any] | None:
    return read_json_object(path) or None


def read_provenance(sources_parquet: Path, manifest_csv: Path,
                    allowed: Iterable[str] = ("CC-BY-4.0",)) -> list[dict[str, Any]]:
    """The sources table's ids, hashes, type, licence and origin, joined with data/sources/MANIFEST.csv (title,
    origin) by file name; `text_published` says whether the release carries the full text."""
    ok = set(allowed)
    cols = ["source_id", "path", "title", "sha256", "n_chars", "source_type", "licence", "origin"]
    rows = pq.read_table(sources_parquet, columns=cols).to_pylist()
    listed: dict[str, dict[str, str]] = {}
    if manifest_csv.is_file():
        with manifest_csv.open(encoding="utf-8", newline="") as fh:
            for i, rec in enumerate(csv.DictReader(fh), start=2):
                if "file" not in rec:
                    raise BadInputError(f"{manifest_csv}: line 1: column 'file' is missing")
                listed[rec["file"]] = rec
                if not rec["file"]:
                    raise BadInputError(f"{manifest_csv}: line {i}: empty 'file'")
    out = []
    for r in sorted(rows, key=lambda r: Path(r["path"]).name):
        fname = Path(r["path"]).name
        m = listed.get(fname, {})
        out.append({"source_id": r["source_id"], "file": fname, "title": m.get("title") or r["title"],
                    "origin": r["origin"] or m.get("origin") or "not listed in MANIFEST.csv", "n_chars": r["n_chars"],
                    "sha256": r["sha256"], "source_type": r["source_type"], "licence": r["licence"] or "unknown",
                    "text_published": (r["licence"] or "") in ok})
    return out


def read_categories(root: Path) -> dict[str, str]:
    data = load_yaml(schemas_dir(root) / "vocab" / "categories.yaml") or {}
    cats = data.get("categories") or {}
    return {k: str((cats.get(k) or {}).get("description", "")) for k in CATEGORIES}


def example_records(folder: Path) -> dict[str, dict[str, Any]]:
    """The first row of each published table and of the training split (as Python values)."""
    out: dict[str, dict[str, Any]] = {}
    for table in (*CARD_TABLES, "vignettes"):
        path = folder / ("vignettes/train.parquet" if table == "vignettes" else f"{table}.parquet")
        if path.is_file():
            first = pq.ParquetFile(path).read_row_group(0).slice(0, 1).to_pylist() if \
                pq.ParquetFile(path).metadata.num_rows else []
            if first:
                out[table] = first[0]
    return out


def _croissant_description(c: CardInputs) -> str:
    return (f"Condition-symptom-region facts extracted from {len(c.sources)} health articles about radiating leg pain "
            "with their evidence sentences, a knowledge table of P(finding | condition) with provenance, and "
            f"{sum(c.splits.rows.values()):,} synthetic patient vignettes labelled with six cause categories and a "
            "differential. Research use only, not for diagnosis.")


def check_schema_version(root: Path, expected: str) -> None:
    tables_yaml = schemas_dir(root) / "tables.yaml"
    if not tables_yaml.is_file():
        return
    found = str((yaml.safe_load(tables_yaml.read_text(encoding="utf-8")) or {}).get("schema_version", ""))
    if found and found != expected:
        raise BadInputError(f"params.yaml: publish.schema_version is {expected} but {tables_yaml} has "
                            f"schema_version {found}")


# ---------------------------------------------------------------------------------------------
# the stage


def publish(root: Path, prm: PublishParams) -> dict[str, Any]:
    """Build `prm.out` (relative to root) and return the manifest. `prm` is a PublishParams."""
    check_schema_version(root, prm.schema_version)
    facts_dir, reports = root / prm.facts_dir, root / prm.reports
    out = root / prm.out
    citation = root / prm.citation
    if not citation.is_file():
        raise BadInputError(f"{citation}: citation file not found (params.yaml publish.citation)")
    with atomic_dir(out) as tmp:
        tables = copy_tables(facts_dir, root / prm.knowledge, tmp, prm.redistributable_licences)
        splits, vcols = split_vignettes(root / prm.vignettes, tmp / "vignettes", prm.row_group_rows)
        figures = copy_figures(reports / "vignettes" / "plots", tmp / "figures")
        shutil.copyfile(citation, tmp / "CITATION.cff")
        specs = table_specs(root)["tables"]
        card = CardInputs(
            name=prm.name, version=prm.version, license=prm.license, schema_version=prm.schema_version,
            tables=tables, splits=splits, vignette_columns=vcols,
            categories=read_categories(root),
            sources=read_provenance(facts_dir / "sources.parquet", root / prm.sources_manifest,
                                    prm.redistributable_licences),
            extraction=_read_json(reports / "extraction.json"),
            dataset_report=_read_json(reports / "vignettes" / "report.json"),
            figures=figures, knowledge_report=_read_json(reports / "knowledge" / "report.json"), specs=specs,
            examples=example_records(tmp), url=prm.url, maintainers=tuple(prm.maintainers),
            date_published=prm.date_published)
        (tmp / CARD).write_text(render_card(card), encoding="utf-8")
        parquet = {e["path"]: e["sha256"] for e in file_entries(tmp) if e["path"].endswith(".parquet")}
        doc = build_croissant(prm.name, prm.version, prm.license, _croissant_description(card), _bibtex(card), prm.url,
                              specs, parquet, PUBLISHED_TABLES, prm.date_published)
        write_croissant(tmp / CROISSANT, doc)
        problems = validate_croissant(tmp / CROISSANT)
        if problems:
            raise BadInputError(f"{out / CROISSANT}: mlcroissant rejects it: {problems[0]}")
        files = file_entries(tmp)
        manifest = build_manifest(prm.name, prm.version, prm.schema_version, files, splits, tables)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=False, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
        sums = file_entries(tmp, exclude=(SUMS,))
        (tmp / SUMS).write_text(render_sha256sums(sums), encoding="utf-8")
    return manifest
