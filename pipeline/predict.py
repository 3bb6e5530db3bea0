"""`symcause predict`: cause-category probabilities for free-text cases, with a trained model.

Input is JSON Lines with `id` and `text` (or, for a `.csv` file, CSV with those columns);
output is JSON Lines, one object per input record in input order:
`{"id": ..., "category": ..., "probabilities": {category: probability, ...}}` over the six
categories of the contract. The model is a skops file; it is loaded only if it contains no
untrusted types. Bad input names the file and line and exits 2; nothing is written then.
Research use only: not for diagnosis.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import find_project_root
from pipeline.errors import BadInputError
from pipeline.vocab import CATEGORIES

if TYPE_CHECKING:  # numpy and pandas (via pipeline.io) load on use: `symcause --help` stays fast
    import numpy as np


@dataclass(frozen=True)
class Record:
    id: Any          # as given: a JSON string or number (CSV: a string)
    text: str
    line: int        # 1-based line of the record in its file


# ---------------------------------------------------------------------------------------------
# model


def load_model(path: Path) -> Any:
    """Load a skops model after checking it holds no untrusted types and predicts the six categories."""
    import skops.io as sio

    if not path.is_file():
        raise BadInputError(f"{path}: model file not found (run the train stage, or pass --model)")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - zipfile/json/skops raise many types for a bad file
        raise BadInputError(f"{path}: not a readable skops model file ({type(exc).__name__}: {exc})") from exc
    from pipeline.features import TRUSTED

    unknown = [t for t in untrusted if t not in TRUSTED]
    if unknown:
        shown = ", ".join(unknown[:3]) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "")
        raise BadInputError(f"{path}: model file contains untrusted types ({shown}); refusing to load it")
    try:
        model = sio.load(path, trusted=[t for t in untrusted if t in TRUSTED])
    except Exception as exc:  # noqa: BLE001
        raise BadInputError(f"{path}: could not load the skops model ({type(exc).__name__}: {exc})") from exc
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if not hasattr(model, "predict_proba") or not classes or any(c not in CATEGORIES for c in classes):
        raise BadInputError(f"{path}: not a symcause category classifier (classes {classes or 'missing'})")
    return model


def predict_proba(model: Any, texts: Sequence[str]) -> np.ndarray:
    """Probabilities, shape (len(texts), 6), columns in CATEGORIES order; classes the model lacks get 0."""
    import numpy as np

    out = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float64)
    if not len(texts):
        return out
    proba = model.predict_proba(list(texts))
    for j, c in enumerate(model.classes_):
        out[:, CATEGORIES.index(str(c))] = proba[:, j]
    return out


def labels_from_proba(proba: np.ndarray) -> list[str]:
    """The most probable category of each row (ties: the first in CATEGORIES order)."""
    import numpy as np

    return [CATEGORIES[i] for i in np.argmax(proba, axis=1)]


def predict(model: Any, records: Sequence[Record]) -> list[dict[str, Any]]:
    """Pure: records -> output objects {id, category, probabilities} in input order."""
    proba = predict_proba(model, [r.text for r in records])
    labels = labels_from_proba(proba)
    return [{"id": r.id, "category": lab, "probabilities": {c: float(p) for c, p in zip(CATEGORIES, row)}}
            for r, lab, row in zip(records, labels, proba)]


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


# ---------------------------------------------------------------------------------------------
# command line


def run_predict(in_path: Path, out_path: Path, model_path: Path, max_chars: int = MAX_TEXT_CHARS) -> int:
    """Read, check, predict, then write the output atomically; returns the number of records."""
    from pipeline.io import write_text

    records = read_records(in_path, max_chars)
    model = load_model(model_path)
    write_text(out_path, to_jsonl(predict(model, records)))
    return len(records)


def default_model_path(params: str | None = None) -> Path:
    from pipeline.params import load_params

    return find_project_root() / load_params(params).train.model


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--in", dest="in_path", required=True, metavar="FILE",
                   help="JSON Lines with 'id' and 'text' (or a .csv file with those columns)")
    p.add_argument("--out", dest="out_path", required=True, metavar="FILE", help="output JSON Lines")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="skops model (default: params.yaml train.model, data/models/model.skops)")
    p.add_argument("--max-chars", type=_positive, default=MAX_TEXT_CHARS, metavar="N",
                   help=f"refuse a text longer than N characters (default {MAX_TEXT_CHARS:,})")


_DESCRIPTION = ("Predict the cause category of each case: reads JSON Lines (or CSV) with 'id' and 'text', "
                "writes JSON Lines with 'id', 'category' and 'probabilities' (category -> probability, the six "
                "categories). Research use only, not for diagnosis.")


def _cmd_predict(args: argparse.Namespace) -> None:
    model = Path(args.model) if args.model else default_model_path()
    n = run_predict(Path(args.in_path), Path(args.out_path), model, args.max_chars)
    print(f"predict: {n} case(s) -> {args.out_path}")


def add_predict_parser(sub: Any) -> argparse.ArgumentParser:
    """Register `predict` on the subparsers object of the `symcause` command (pipeline/cli.py)."""
    p = sub.add_parser("predict", help="predict cause categories for free-text cases", description=_DESCRIPTION)
    _configure(p)
    p.set_defaults(fn=_cmd_predict)
    return p


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline.predict", description=_DESCRIPTION)
    _configure(p)
    return p


def main(argv: list[str] | None = None) -> int:
    from pipeline.cli import run_guarded

    args = build_parser().parse_args(argv)
    return run_guarded(lambda: _cmd_predict(args))


if __name__ == "__main__":
    sys.exit(main())
