"""`symcause predict` / `python -m symcause.model.predict`: input formats, output shape, the bad-input policy."""
from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from symcause.cli import build_parser
from symcause.cli import main as cli_main
from symcause.core.contract import CATEGORIES
from symcause.core.errors import run_guarded
from symcause.core.params import TrainParams
from symcause.model.predict import Record, load_model, predict, predict_proba, provenance, read_records
from symcause.model.training import fit_model, save_model

# A tiny, clearly separable training set: a few phrases per category, so the model is fast and its answers known.
PHRASES = {
    "spinal": ["low back pain shooting down the leg worse when coughing", "sciatica from a slipped disc in my back"],
    "hip_joint": ["deep groin pain and a stiff hip joint", "hip arthritis with groin ache on rotation"],
    "knee_joint": ["knee swelling and locking after a twist", "my kneecap grinds and the knee joint swells"],
    "soft_tissue": ["tender tendon above the kneecap", "bursitis on the outside of the hip when lying on it"],
    "peripheral_nerve": ["numb top of the foot and outer shin", "piriformis muscle pressing on the nerve in my buttock"],
    "biomechanical": ["flat feet and weak glutes", "overstriding and a sudden jump in running mileage"],
}


class NotAModel:
    """A type skops does not trust: a file holding it must be refused."""

    def __init__(self) -> None:
        self.classes_ = list(CATEGORIES)


def _tiny_model(categories: tuple[str, ...] = CATEGORIES):
    texts = [t for c in categories for t in PHRASES[c] for _ in range(3)]
    labels = [c for c in categories for _ in PHRASES[c] for _ in range(3)]
    return fit_model(texts, labels, TrainParams(char_ngram_max=0, word_min_df=1, C=10.0))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.skops"
    save_model(_tiny_model(), path)
    return path


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def main(args: list[str]) -> int:
    """`symcause predict ARGS`."""
    return cli_main(["predict", *args])


def _read_out(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _run(args: list[str], model_file: Path) -> int:
    return main([*args, "--model", str(model_file)])


# ---------------------------------------------------------------------------------------------------------------
# good input


def test_jsonl_in_gives_one_line_per_case_with_six_probabilities(tmp_path, model_file, capsys):
    src = _jsonl(tmp_path / "in.jsonl", [
        {"id": "a", "text": "sciatica from a slipped disc, pain shooting down the leg when coughing"},
        {"id": 7, "text": "my kneecap grinds and the knee swells and locks"},
        "",  # blank lines are skipped
        {"id": "c", "text": "flat feet, weak glutes and overstriding", "extra": "ignored"},
    ])
    out = tmp_path / "sub" / "out.jsonl"
    assert _run(["--in", str(src), "--out", str(out)], model_file) == 0
    assert "3 case(s)" in capsys.readouterr().out
    rows = _read_out(out)
    assert [r["id"] for r in rows] == ["a", 7, "c"]  # input order, id type kept
    assert [r["category"] for r in rows] == ["spinal", "knee_joint", "biomechanical"]
    for r in rows:
        assert set(r) == {"id", "category", "probability", "differential", "probabilities", "concepts",
                          "model_version", "dataset_version", "note"}
        assert list(r["probabilities"]) == list(CATEGORIES)
        assert math.isclose(sum(r["probabilities"].values()), 1.0, abs_tol=1e-3)   # rounded to 4 places
        assert all(0.0 <= p <= 1.0 and round(p, 4) == p for p in r["probabilities"].values())
        assert r["category"] == max(r["probabilities"], key=r["probabilities"].get)
        top = [d["category"] for d in r["differential"]]
        assert len(top) == 3 and top[0] == r["category"] and len(set(top)) == 3
        probs = [d["probability"] for d in r["differential"]]
        assert probs == sorted(probs, reverse=True) and probs[0] == r["probability"]
        assert "not for diagnosis" in r["note"]
    assert "S_locking" in rows[1]["concepts"] and "R_knee" in rows[1]["concepts"]


def test_output_format_follows_the_extension_or_format(tmp_path, model_file):
    src = _jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "my kneecap grinds and the knee swells and locks"}])
    out = tmp_path / "out.csv"
    assert _run(["--in", str(src), "--out", str(out)], model_file) == 0
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["category"] == "knee_joint" and rows[0]["p_knee_joint"] == rows[0]["probability"]
    assert {"category_2", "probability_3", "concepts", "model_version", "dataset_version", "note"} <= set(rows[0])
    forced = tmp_path / "out.csv.txt"
    assert _run(["--in", str(src), "--out", str(forced), "--format", "csv"], model_file) == 0
    assert forced.read_text().startswith("id,category,probability,")
    as_json = tmp_path / "out.json"
    assert _run(["--in", str(src), "--out", str(as_json)], model_file) == 0
    assert json.loads(as_json.read_text().splitlines()[0])["id"] == "a"


def test_rows_carry_the_model_card_versions_and_the_measured_accuracy(tmp_path, model_file):
    card = {"model_version": "9.9.9+abc", "dataset_version": "1.2.3"}
    model = tmp_path / "m.skops"
    shutil.copy(model_file, model)
    (tmp_path / "m.card.json").write_text(json.dumps(card))
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"model": {"handwritten": {"accuracy": 0.5, "top2_accuracy": 0.75, "macro_f1": 0.5}}}))
    prov = provenance(model, metrics)
    assert (prov.model_version, prov.dataset_version) == ("9.9.9+abc", "1.2.3")
    assert "accuracy 0.50, top-2 0.75" in prov.note and "not for diagnosis" in prov.note
    assert provenance(model_file, tmp_path / "missing.json").note.startswith("research use only")


def test_csv_in_gives_the_same_predictions_as_jsonl(tmp_path, model_file):
    texts = ["numb top of the foot, outer shin tingles", "deep groin pain, hip stiff, \"arthritis\" they said,\nworse"]
    csv_src = tmp_path / "in.csv"
    csv_src.write_text('note,id,text\nx,1,"numb top of the foot, outer shin tingles"\n'
                       'y,2,"deep groin pain, hip stiff, ""arthritis"" they said,\nworse"\n', encoding="utf-8")
    jsonl_src = _jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": texts[0]}, {"id": "2", "text": texts[1]}])
    assert _run(["--in", str(csv_src), "--out", str(tmp_path / "a.jsonl")], model_file) == 0
    assert _run(["--in", str(jsonl_src), "--out", str(tmp_path / "b.jsonl")], model_file) == 0
    a, b = _read_out(tmp_path / "a.jsonl"), _read_out(tmp_path / "b.jsonl")
    assert a == b
    assert [r["category"] for r in a] == ["peripheral_nerve", "hip_joint"]


def test_predict_is_pure_and_maps_columns_to_the_contract_order(model_file):
    model = load_model(model_file)
    recs = [Record("x", "bursitis on the outside of the hip", 1), Record("y", "sciatica down the leg", 2)]
    first, second = predict(model, recs), predict(model, recs)
    assert first == second
    raw = model.predict_proba([r.text for r in recs])
    for row, out in zip(raw, first):
        for j, cls in enumerate(model.classes_):  # the estimator's own (alphabetical) order
            assert out["probabilities"][cls] == pytest.approx(row[j], abs=5e-5)
    assert first[0]["category"] == "soft_tissue"


def test_a_class_the_model_never_saw_gets_probability_zero():
    five = tuple(c for c in CATEGORIES if c != "biomechanical")
    proba = predict_proba(_tiny_model(five), ["flat feet", "sciatica"])
    assert proba.shape == (2, 6)
    assert np.all(proba[:, CATEGORIES.index("biomechanical")] == 0)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_add_predict_parser_registers_the_symcause_subcommand(tmp_path, model_file):
    parser = build_parser()
    src = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "knee swelling and locking"}])
    out = tmp_path / "out.jsonl"
    args = parser.parse_args(["predict", "--in", str(src), "--out", str(out), "--model", str(model_file)])
    assert run_guarded(lambda: args.fn(args)) == 0
    assert _read_out(out)[0]["category"] == "knee_joint"
    with pytest.raises(SystemExit):
        parser.parse_args(["predict", "--in", str(src)])  # --out is required


# ---------------------------------------------------------------------------------------------------------------
# bad input: exit 2, one line naming the file (and line), no output written, an old output left alone

BAD_JSONL = [
    ("empty", b"", "no records"),
    ("blank_lines_only", b"\n  \n\n", "no records"),
    ("bad_json_line_2", b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "unterminated\n', "line 2: not valid JSON"),
    ("missing_text_line_3", b'{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n{"id": 3}\n', "line 3: missing key 'text'"),
    ("missing_id_line_1", b'{"text": "a"}\n', "line 1: missing key 'id'"),
    ("text_not_string", b'{"id": 1, "text": 42}\n', "line 1: 'text' must be a string"),
    ("text_empty", b'{"id": 1, "text": "a"}\n{"id": 2, "text": "   "}\n', "line 2: 'text' is empty"),
    ("id_not_scalar", b'{"id": [1], "text": "a"}\n', "line 1: 'id' must be a string or an integer"),
    ("not_an_object", b'["id", "text"]\n', "line 1: expected a JSON object"),
    ("duplicate_id", b'{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', "line 2: duplicate id 'a' (first on line 1)"),
    ("not_utf8", b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "caf\xe9"}\n', "line 2: not UTF-8"),
    ("very_long_text_line_2", b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "' + b"knee pain " * 2001 + b'"}\n',
     "line 2: 'text' is 20,010 characters, over the limit of 20,000"),
]

BAD_CSV = [
    ("csv_no_text_column", b"id,body\n1,knee hurts\n", "line 1: header has no 'text' column"),
    ("csv_header_only", b"id,text\n", "no records"),
    ("csv_empty_text_line_3", b"id,text\n1,knee hurts\n2,\n", "line 3: 'text' is empty"),
    ("csv_ragged_line_2", b"id,text\n1,knee,hurts\n", "line 2: expected 2 fields, got 3"),
    ("csv_empty_id", b"id,text\n,knee hurts\n", "line 2: 'id' is empty"),
    ("csv_very_long_text", b"id,text\n1," + b"hip " * 5001 + b"\n", "line 2: 'text' is 20,004 characters"),
]


@pytest.mark.parametrize("name, content, message", BAD_JSONL + BAD_CSV, ids=[c[0] for c in BAD_JSONL + BAD_CSV])
def test_bad_input_exits_2_naming_file_and_line_and_writes_nothing(tmp_path, model_file, capsys, name, content, message):
    src = tmp_path / (f"{name}.csv" if name.startswith("csv") else f"{name}.jsonl")
    src.write_bytes(content)
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    assert _run(["--in", str(src), "--out", str(out)], model_file) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("symcause: error: ") and str(src) in err and message in err
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, "out.jsonl"])  # no temporary left


def test_missing_input_file(tmp_path, model_file, capsys):
    out = tmp_path / "out.jsonl"
    assert _run(["--in", str(tmp_path / "nope.jsonl"), "--out", str(out)], model_file) == 2
    assert "nope.jsonl: input file not found" in capsys.readouterr().err
    assert not out.exists()


def test_read_records_numbers_lines_from_1_and_skips_blank_lines(tmp_path):
    src = _jsonl(tmp_path / "in.jsonl", ["", {"id": 1, "text": "a"}, "", {"id": 2, "text": "b"}])
    assert [(r.id, r.line) for r in read_records(src)] == [(1, 2), (2, 4)]


def _good_input(tmp_path: Path) -> Path:
    return _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "knee swelling"}])


def test_missing_model_file(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert main(["--in", str(_good_input(tmp_path)), "--out", str(out), "--model", str(tmp_path / "none.skops")]) == 2
    assert "none.skops: model file not found" in capsys.readouterr().err
    assert not out.exists()


def test_model_file_that_is_not_skops(tmp_path, capsys):
    bad = tmp_path / "model.skops"
    bad.write_bytes(b"\x80\x04\x95 this is a pickle, not a zip")
    out = tmp_path / "out.jsonl"
    assert main(["--in", str(_good_input(tmp_path)), "--out", str(out), "--model", str(bad)]) == 2
    assert "model.skops: not a readable skops model file" in capsys.readouterr().err
    assert not out.exists()


def test_model_file_with_untrusted_types_is_refused(tmp_path, capsys):
    import skops.io as sio

    bad = tmp_path / "evil.skops"
    sio.dump(NotAModel(), bad)
    assert sio.get_untrusted_types(file=bad)  # the premise: skops does not trust this type
    out = tmp_path / "out.jsonl"
    assert main(["--in", str(_good_input(tmp_path)), "--out", str(out), "--model", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "evil.skops: model file contains untrusted types" in err and "NotAModel" in err
    assert not out.exists()


def test_trusted_file_that_is_not_a_classifier_is_refused(tmp_path, capsys):
    import skops.io as sio

    bad = tmp_path / "dict.skops"
    sio.dump({"classes_": ["spinal"]}, bad)
    assert main(["--in", str(_good_input(tmp_path)), "--out", str(tmp_path / "o.jsonl"), "--model", str(bad)]) == 2
    assert "dict.skops: not a symcause category classifier" in capsys.readouterr().err


def test_help_names_the_formats(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--in FILE" in out and "--out FILE" in out and "--model PATH" in out and "probabilities" in out


def test_max_chars_raises_the_limit_for_long_texts(tmp_path, model_file):
    long_text = "My knee locks and gives way on stairs. " * 600  # 23,400 characters
    src = _jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": long_text}])
    out = tmp_path / "out.jsonl"
    assert _run(["--in", str(src), "--out", str(out)], model_file) == 2 and not out.exists()
    assert _run(["--in", str(src), "--out", str(out), "--max-chars", "50000"], model_file) == 0
    assert [r["id"] for r in _read_out(out)] == [1]
