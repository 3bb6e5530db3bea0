"""`symcause predict`: the cause-category differential for free-text cases, with a trained model.

Input is JSON Lines with `id` and `text` (or, for a `.csv` file, CSV with those columns). Output follows the
output file's extension or `--format` (`.csv` -> CSV, otherwise JSON Lines), one record per input record in input
order: `id`, `category` (the most probable), `probability`, `differential` (the top three categories with their
probabilities), `probabilities` (all six), `concepts` (what the vocabularies read in the text: the model's concept
features, so a reader sees why), `model_version`, `dataset_version` and a `note` with the measured hand-written
accuracy and that it is not for diagnosis. Probabilities are rounded to 4 places. The model is a skops file,
loaded only if it holds no untrusted types. Bad input names the file and line and exits 2; nothing is written then.
Research use only: not for diagnosis.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError
from symcause.core.io import write_text
from symcause.model.features import concept_tokens
from symcause.model.persistence import load_model

NOT_FOR_DIAGNOSIS = "research use only, not for diagnosis or triage"


@dataclass(frozen=True)
class Record:
    id: Any          # as given: a JSON string or number (CSV: a string)
    text: str
    line: int        # 1-based line of the record in its file


# ---------------------------------------------------------------------------------------------
# model


def predict_proba(model: Any, texts: Sequence[str]) -> np.ndarray:
    """Probabilities, shape (len(texts), 6), columns in CATEGORIES order; classes the model lacks get 0."""

    out = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float64)
    if not len(texts):
        return out
    proba = model.predict_proba(list(texts))
    for j, c in enumerate(model.classes_):
        out[:, CATEGORIES.index(str(c))] = proba[:, j]
    return out


def labels_from_proba(proba: np.ndarray) -> list[str]:
    """The most probable category of each row (ties: the first in CATEGORIES order)."""

    return [CATEGORIES[i] for i in np.argmax(proba, axis=1)]


TOP_K = 3
DIGITS = 4


@dataclass(frozen=True)
class Provenance:
    """What every output row says about where it came from and how far to trust it."""
    model_version: str = "unknown"
    dataset_version: str = "unknown"
    note: str = NOT_FOR_DIAGNOSIS


def provenance(model_path: Path, metrics_path: Path | None = None) -> Provenance:
    """Versions from the model card next to the model (model.card.json) and the measured hand-written figures from
    the headline metrics file, when they are there."""
    card: dict[str, Any] = {}
    cpath = model_path.with_name(model_path.stem + ".card.json")
    if cpath.is_file():
        try:
            card = json.loads(cpath.read_text(encoding="utf-8"))
        except ValueError:
            card = {}
    return Provenance(str(card.get("model_version", "unknown")), str(card.get("dataset_version", "unknown")),
                      measured_note(metrics_path))


def measured_note(metrics_path: Path | None) -> str:
    """The measured hand-written accuracy, top-2 and macro-F1 (reports/metrics.json) and the warning, or the
    warning alone when the figures are not at hand."""
    if metrics_path is None or not metrics_path.is_file():
        return NOT_FOR_DIAGNOSIS
    try:
        m = json.loads(metrics_path.read_text(encoding="utf-8"))["model"]["handwritten"]
        return (f"measured on the hand-written test cases: accuracy {m['accuracy']:.2f}, top-2 "
                f"{m['top2_accuracy']:.2f}, macro-F1 {m['macro_f1']:.2f}; " + NOT_FOR_DIAGNOSIS)
    except (ValueError, KeyError, TypeError):
        return NOT_FOR_DIAGNOSIS


def predict(model: Any, records: Sequence[Record], prov: Provenance = Provenance()) -> list[dict[str, Any]]:
    """Pure: records -> output objects in input order (see the module docstring)."""
    proba = np.round(predict_proba(model, [r.text for r in records]), DIGITS)
    out = []
    for r, row in zip(records, proba):
        order = np.argsort(-row, kind="stable")
        out.append({
            "id": r.id, "category": CATEGORIES[order[0]], "probability": float(row[order[0]]),
            "differential": [{"category": CATEGORIES[j], "probability": float(row[j])} for j in order[:TOP_K]],
            "probabilities": {c: float(p) for c, p in zip(CATEGORIES, row)},
            "concepts": list(dict.fromkeys(concept_tokens(r.text))),
            "model_version": prov.model_version, "dataset_version": prov.dataset_version, "note": prov.note,
        })
    return out


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The output as CSV: one column per top-3 place and per category, concepts space-separated."""
    header = ["id", "category", "probability", *(f"{k}_{i}" for i in range(2, TOP_K + 1) for k in ("category", "probability")),
              *(f"p_{c}" for c in CATEGORIES), "concepts", "model_version", "dataset_version", "note"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        rest = [x for d in r["differential"][1:] for x in (d["category"], d["probability"])]
        w.writerow([r["id"], r["category"], r["probability"], *rest, *(r["probabilities"][c] for c in CATEGORIES),
                    " ".join(r["concepts"]), r["model_version"], r["dataset_version"], r["note"]])
    return buf.getvalue()


def output_format(out_path: Path, fmt: str | None) -> str:
    """csv or jsonl: `fmt` when given, else from the extension (.csv -> csv, anything else -> jsonl)."""
    if fmt:
        if fmt not in ("csv", "jsonl"):
            raise BadInputError(f"--format must be csv or jsonl (got {fmt!r})")
        return fmt
    return "csv" if out_path.suffix.lower() == ".csv" else "jsonl"


# ---------------------------------------------------------------------------------------------
# input


MAX_TEXT_CHARS = 20_000  # a case description is a paragraph or two; longer is almost surely not one case


def _check_record(path: Path, line: int, rid: Any, text: Any, seen: dict[Any, int],
                  max_chars: int = MAX_TEXT_CHARS) -> Record:
    if rid is None or (isinstance(rid, str) and not rid.strip()):
        raise BadInputError(f"{path}: line {line}: 'id' is empty")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise BadInputError(f"{path}: line {line}: 'id' must be a string or an integer (got {rid!r})")
    if not isinstance(text, str):
        raise BadInputError(f"{path}: line {line}: 'text' must be a string (got {type(text).__name__})")
    if not text.strip():
        raise BadInputError(f"{path}: line {line}: 'text' is empty")
    if len(text) > max_chars:
        raise BadInputError(f"{path}: line {line}: 'text' is {len(text):,} characters, over the limit of "
                            f"{max_chars:,} (one case per line; raise it with --max-chars)")
    if rid in seen:
        raise BadInputError(f"{path}: line {line}: duplicate id {rid!r} (first on line {seen[rid]})")
    seen[rid] = line
    return Record(rid, text, line)


def iter_json_objects(path: Path, content: str, expected: str = "a JSON object") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of JSON Lines; a bad line is a BadInputError naming it."""
    for n, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{path}: line {n}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise BadInputError(f"{path}: line {n}: expected {expected}, got {type(obj).__name__}")
        yield n, obj


def parse_jsonl(path: Path, content: str, max_chars: int = MAX_TEXT_CHARS) -> list[Record]:
    """JSON Lines: one object per line with `id` and `text`; blank lines are skipped."""
    records: list[Record] = []
    seen: dict[Any, int] = {}
    for n, obj in iter_json_objects(path, content, "a JSON object with 'id' and 'text'"):
        for key in ("id", "text"):
            if key not in obj:
                raise BadInputError(f"{path}: line {n}: missing key '{key}'")
        records.append(_check_record(path, n, obj["id"], obj["text"], seen, max_chars))
    return records


def parse_csv(path: Path, content: str, max_chars: int = MAX_TEXT_CHARS) -> list[Record]:
    """CSV with a header naming (at least) `id` and `text`; other columns are ignored."""
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        header = [h.strip() for h in header]
        for key in ("id", "text"):
            if key not in header:
                raise BadInputError(f"{path}: line 1: header has no '{key}' column (found: {', '.join(header)})")
        i_id, i_text = header.index("id"), header.index("text")
        records: list[Record] = []
        seen: dict[Any, int] = {}
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise BadInputError(f"{path}: line {line}: expected {len(header)} fields, got {len(row)}")
            records.append(_check_record(path, line, row[i_id].strip(), row[i_text], seen, max_chars))
    except csv.Error as exc:
        raise BadInputError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from exc
    return records


def read_records(path: Path, max_chars: int = MAX_TEXT_CHARS) -> list[Record]:
    """Read `path` (JSON Lines, or CSV if it ends in .csv); bad input raises BadInputError naming file/line."""
    if not path.exists():
        raise BadInputError(f"{path}: input file not found")
    if not path.is_file():
        raise BadInputError(f"{path}: not a file")
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise BadInputError(f"{path}: line {line}: not UTF-8 text") from exc
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read ({exc.strerror})") from exc
    records = (parse_csv(path, content, max_chars) if path.suffix.lower() == ".csv"
               else parse_jsonl(path, content, max_chars))
    if not records:
        kind = "CSV rows" if path.suffix.lower() == ".csv" else "JSON Lines"
        raise BadInputError(f"{path}: no records (expected {kind} with 'id' and 'text')")
    return records


def to_jsonl(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def run_predict(in_path: Path, out_path: Path, model_path: Path, max_chars: int = MAX_TEXT_CHARS,
                fmt: str | None = None, metrics_path: Path | None = None) -> int:
    """Read, check, predict, then write the output atomically (CSV or JSON Lines); returns the number of records."""
    kind = output_format(out_path, fmt)
    records = read_records(in_path, max_chars)
    model = load_model(model_path)
    rows = predict(model, records, provenance(model_path, metrics_path))
    write_text(out_path, to_csv(rows) if kind == "csv" else to_jsonl(rows))
    return len(records)
