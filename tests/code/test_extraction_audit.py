"""The blind extraction audit: a judged sample becomes precision with Wilson intervals, and the extraction report
lists every judged audit in data/audit."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from symcause.core.errors import BadInputError
from symcause.quality.extraction_audit import DOCUMENT_WARNING, SAMPLE_COLUMNS, audit_precision, wilson

ROOT = Path(__file__).resolve().parents[2]


def _judged(path: Path, marks: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=SAMPLE_COLUMNS)
        w.writeheader()
        for i, (table, fid, mark) in enumerate(marks, start=1):
            w.writerow({"item": i, "table": table, "fact_id": fid, "correct": mark})
    return path


def test_precision_counts_yes_marks_per_table_with_wilson_intervals(tmp_path):
    p = _judged(tmp_path / "j.csv", [("facts", "a", "yes"), ("facts", "b", "no"), ("facts", "c", "YES"),
                                      ("factors", "d", "no")])
    tables = {"facts": pd.DataFrame({"fact_id": ["a", "c"]}), "factors": pd.DataFrame({"fact_id": ["x"]})}
    out = audit_precision(p, tables)
    assert out["facts"]["n"] == 3 and out["facts"]["correct"] == 2 and out["facts"]["precision"] == 0.6667
    assert out["facts"]["ci95"] == list(wilson(2, 3)) and out["facts"]["ci95"][0] < 0.6667 < out["facts"]["ci95"][1]
    assert out["facts"]["still_in_tables"] == 2 and out["factors"]["still_in_tables"] == 0
    assert out["factors"]["precision"] == 0.0


def test_factors_are_also_scored_apart_for_article_wide_warnings(tmp_path):
    p = tmp_path / "j.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=SAMPLE_COLUMNS)
        w.writeheader()
        for i, (fid, statement, mark) in enumerate([
                ("a", "made worse by: sitting", "yes"), ("b", "risk factor: obesity", "no"),
                ("c", f"red flag (warning sign): fever ({DOCUMENT_WARNING} in a 'see a doctor' part)", "no")], 1):
            w.writerow({"item": i, "table": "factors", "fact_id": fid, "statement": statement, "correct": mark})
    out = audit_precision(p)
    assert out["factors"]["n"] == 3 and out["factors"]["correct"] == 1
    assert (out["factors_said"]["n"], out["factors_said"]["correct"]) == (2, 1)
    assert (out["factors_document"]["n"], out["factors_document"]["correct"]) == (1, 0)


def test_a_row_without_a_yes_or_no_is_a_clear_error(tmp_path):
    p = _judged(tmp_path / "j.csv", [("facts", "a", "yes"), ("facts", "b", "maybe")])
    with pytest.raises(BadInputError, match=r"j\.csv: line 3: 'correct' must be yes or no"):
        audit_precision(p)


def test_the_extraction_report_lists_every_judged_audit_in_order():
    report = json.loads((ROOT / "reports" / "extraction.json").read_text(encoding="utf-8"))
    judged = sorted((ROOT / "data" / "audit").glob("extraction_judged*.csv"))
    files = [a["file"] for a in report["audits"]]
    assert sorted(files) == sorted(p.name for p in judged) and files[0] == "extraction_judged.csv"
    assert files[1:] == [f"extraction_judged_{n}.csv" for n in range(2, len(files) + 1)]
    for a in report["audits"]:
        assert a["facts"]["n"] == 150 and a["factors"]["n"] == 100
        assert 0.0 <= a["facts"]["ci95"][0] <= a["facts"]["precision"] <= a["facts"]["ci95"][1] <= 1.0
