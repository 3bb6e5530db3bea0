"""The extraction audit: facts and factors sampled at random from the corpus tables, judged by a reviewer
who has not seen the rules, and the precision those judgements give.

    python -m symcause.devtools.extraction_audit --facts data/facts --out data/audit/extraction_sample.csv

`draw_sample` writes what a reviewer reads: each fact as a plain statement ("pain in the back of the thigh",
"made worse by: sitting", "red flag stated for the whole article: fever"), its condition, the evidence
sentence and the heading above it. The reviewer fills `correct` (yes / no) and a `note` following
data/gold/POLICY.md. `audit_precision` scores a judged file: precision of facts and of factors with a 95%
Wilson interval, and how many judged items the current tables still hold (a sample belongs to the
extractor version that drew it).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from symcause.core.errors import BadInputError

SAMPLE_COLUMNS = ("item", "table", "fact_id", "source", "condition", "statement", "evidence", "heading", "correct",
                  "note")


def _region(value: str) -> str:
    return value.replace("_", " ").replace("knee back", "back of the knee").replace("thigh back", "back of the thigh")


def fact_statement(r: Any) -> str:
    what = f"{'NO ' if r.negated else ''}{r.symptom.replace('_', ' ')} in the {_region(r.region)}"
    if isinstance(r.quality, str):
        what += f" ({r.quality} pain)"
    if isinstance(r.frequency, str):
        what += f" [how often: {r.frequency.replace('_', ' ')}]"
    return what


DOCUMENT_WARNING = "stated for the whole article"   # how a sample shows an article-wide warning (scope `document`)
_KIND_WORDS = {"aggravating": "made worse by", "relieving": "eased by", "risk_factor": "risk factor",
               "red_flag": "red flag (warning sign)", "onset": "how it starts", "exam_finding": "examination finding",
               "timing": "time course", "demographic": "who gets it"}


def factor_statement(r: Any) -> str:
    what = f"{_KIND_WORDS.get(r.kind, r.kind)}: {'NOT ' if r.negated else ''}{r.factor.replace('_', ' ')}"
    if r.scope == "document":
        what += f" ({DOCUMENT_WARNING} in a 'see a doctor' part, not for this condition in particular)"
    elif r.scope == "condition":
        what += " (read from the condition's own name, e.g. flat feet for flat feet; the evidence is where it is named)"
    if isinstance(r.frequency, str):
        what += f" [how often: {r.frequency.replace('_', ' ')}]"
    return what


def _heading_above(text: str, start: int) -> str:
    """The nearest short line above `start` that looks like a heading (for the reviewer's context)."""
    for line in reversed(text[:start].split("\n")[:-1]):
        line = line.strip()
        if line and len(line.split()) <= 12 and line[-1] not in ".,;":
            return line
    return ""


def draw_sample(tables: dict[str, pd.DataFrame], n_facts: int, n_factors: int, seed: int,
                source_types: tuple[str, ...] = ("corpus",)) -> pd.DataFrame:
    """A random sample of the facts and factors of sources of `source_types`, as the reviewer's table."""
    src = tables["sources"].set_index("source_id")
    keep = set(src.index[src.source_type.isin(source_types)])
    names = tables["conditions"].set_index("condition_id")["name"]
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for table, n, say in (("facts", n_facts, fact_statement), ("factors", n_factors, factor_statement)):
        df = tables[table][tables[table].source_id.isin(keep)].reset_index(drop=True)
        if len(df) < n:
            raise BadInputError(f"{table}: only {len(df)} rows from {', '.join(source_types)} sources, {n} asked for")
        for r in df.iloc[np.sort(rng.choice(len(df), size=n, replace=False))].itertuples():
            text = src.loc[r.source_id, "text"]
            rows.append({"item": len(rows) + 1, "table": table, "fact_id": r.fact_id,
                         "source": src.loc[r.source_id, "title"], "condition": names.get(r.condition_id, r.condition_id),
                         "statement": say(r), "evidence": r.evidence, "heading": _heading_above(text, r.char_start),
                         "correct": "", "note": ""})
    return pd.DataFrame(rows, columns=list(SAMPLE_COLUMNS))


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k/n."""
    if n == 0:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(centre - half, 4), round(centre + half, 4)


def audit_precision(judged: Path, tables: dict[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """Precision of the judged facts and factors (yes / no in `correct`), with 95% intervals; `still_in_tables`
    counts judged items the given tables still hold."""
    if not judged.is_file():
        raise BadInputError(f"{judged}: judged audit sample not found")
    with judged.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, Any] = {"file": judged.as_posix()}
    for table in ("facts", "factors"):
        marks = []
        for i, r in enumerate(rows, start=2):
            if r.get("table") != table:
                continue
            mark = (r.get("correct") or "").strip().lower()
            if mark not in ("yes", "no"):
                raise BadInputError(f"{judged}: line {i}: 'correct' must be yes or no (got {mark!r})")
            marks.append((r["fact_id"], mark == "yes", DOCUMENT_WARNING in (r.get("statement") or "")))
        out[table] = _precision(marks, tables[table] if tables is not None else None)
        if table == "factors":
            # the factors said of a condition, and the article-wide "see a doctor" warnings copied onto each
            # condition the article covers: reviewers have judged the second kind very differently
            out["factors_said"] = _precision([m for m in marks if not m[2]], None)
            out["factors_document"] = _precision([m for m in marks if m[2]], None)
    return out


def _precision(marks: list[tuple[str, bool, bool]], table: pd.DataFrame | None) -> dict[str, Any]:
    k = sum(ok for _, ok, _ in marks)
    lo, hi = wilson(k, len(marks))
    entry: dict[str, Any] = {"n": len(marks), "correct": k,
                             "precision": round(k / len(marks), 4) if marks else 0.0, "ci95": [lo, hi]}
    if table is not None:
        ids = set(table.fact_id)
        entry["still_in_tables"] = sum(fid in ids for fid, _, _ in marks)
    return entry
