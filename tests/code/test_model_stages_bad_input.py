"""Stages train and evaluate: bad vignettes, hand-written cases and params are one-line errors (exit 2)."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError
from symcause.core.params import load_params
from symcause.model.evaluation import read_handwritten
from symcause.model.metrics import score, top_confusions
from symcause.model.training import read_vignette_rows, run_train


def _vignettes(path, rows: list[tuple[str, str, str]]):
    df = pd.DataFrame(rows, columns=["text", "category", "split"])
    df.insert(0, "vignette_id", [f"v{i}" for i in range(len(df))])
    df["style"], df["difficulty"] = "lay", "easy"
    df.to_parquet(path, index=False)
    return path


def test_vignette_rows_bad_input(tmp_path):
    with pytest.raises(BadInputError, match="missing.parquet: vignettes table is missing"):
        read_vignette_rows(tmp_path / "missing.parquet", ["train"])
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(BadInputError, match="junk.parquet: not a readable vignettes Parquet file"):
        read_vignette_rows(tmp_path / "junk.parquet", ["train"])
    p = _vignettes(tmp_path / "v.parquet", [("knee hurts", "knee_joint", "train"), ("back", "lumbar", "train"),
                                            ("   ", "spinal", "val")])
    with pytest.raises(BadInputError, match="v.parquet: vignette v1: unknown category 'lumbar'"):
        read_vignette_rows(p, ["train"])
    with pytest.raises(BadInputError, match="v.parquet: vignette v2: text is empty"):
        read_vignette_rows(p, ["val"])
    with pytest.raises(BadInputError, match="v.parquet: no vignettes in split"):
        read_vignette_rows(p, ["test"])
    with pytest.raises(BadInputError, match="v.parquet: not a readable .* columns .*no_such_column"):
        read_vignette_rows(p, ["train"], columns=("no_such_column",))


def test_train_needs_all_six_categories_and_writes_nothing_otherwise(tmp_path):
    rows = [(f"text {c} {i}", c, "train") for c in CATEGORIES[:-1] for i in range(3)]
    p = _vignettes(tmp_path / "v.parquet", rows)
    model = tmp_path / "models" / "model.skops"
    with pytest.raises(BadInputError, match="split train has no vignettes of category 'biomechanical'"):
        run_train(p, model, load_params().train)
    assert not model.exists()


@pytest.mark.parametrize("section, key, value, message", [
    ("train", "char_ngram_max", 1, "train.char_ngram_max"),
    ("train", "C", 0, "train.C"),
    ("train", "class_weight", "weighted", "train.class_weight"),
    ("evaluate", "splits", ["dev"], "evaluate.splits"),
    ("evaluate", "splits", [], "evaluate.splits"),
])
def test_bad_params_name_the_key(tmp_path, root, section, key, value, message):
    raw = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    raw[section][key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(BadInputError, match=message):
        load_params(path)


def test_stage_mains_exit_2_on_bad_input(tmp_path, root, capsys):
    from pipeline import evaluate, train

    raw = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    raw["train"].update(vignettes=str(tmp_path / "none.parquet"), model=str(tmp_path / "m.skops"))
    raw["evaluate"].update(vignettes=str(tmp_path / "none.parquet"), model=str(tmp_path / "m.skops"),
                           reports=str(tmp_path / "reports"))
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert train.main(["--params", str(params)]) == 2
    assert "none.parquet: vignettes table is missing" in capsys.readouterr().err
    assert evaluate.main(["--params", str(params)]) == 2
    assert "none.parquet: vignettes table is missing" in capsys.readouterr().err
    assert not (tmp_path / "m.skops").exists() and not (tmp_path / "reports").exists()


@pytest.mark.parametrize("lines, message", [
    (['{"id": "a", "text": "t", "category": "spinal", "style": "s"}', "{oops"], "line 2: not valid JSON"),
    (['{"id": "a", "text": "t", "category": "spinal"}'], "line 1: 'style' is missing"),
    (['{"id": "a", "text": "t", "category": "neck", "style": "s"}'], "line 1: unknown category 'neck'"),
    (['{"id": "a", "text": "t", "category": "spinal", "style": "s"}'] * 2, "line 2: duplicate id 'a'"),
    ([""], "no hand-written cases"),
])
def test_handwritten_cases_bad_input(tmp_path, lines, message):
    p = tmp_path / "cases.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=f"cases.jsonl: {message}"):
        read_handwritten(p)


def test_the_project_handwritten_cases_are_well_formed(root):
    df = read_handwritten(root / "data" / "handwritten" / "cases.jsonl")
    assert len(df) == 108 and df["id"].is_unique and set(df["category"]) == set(CATEGORIES)
    dev = read_handwritten(root / "data" / "handwritten_dev" / "cases.jsonl")
    assert len(dev) == 120 and (dev["category"].value_counts() == 20).all() and set(dev["category"]) == set(CATEGORIES)
    norm = lambda t: " ".join(t.lower().split())
    assert not set(map(norm, dev["text"])) & set(map(norm, df["text"]))  # the two sets share no case


def test_score_and_confusions_values():
    y = ["spinal", "spinal", "knee_joint", "hip_joint"]
    p = ["spinal", "knee_joint", "knee_joint", "knee_joint"]
    s = score(y, p)
    assert s["n"] == 4 and s["accuracy"] == 0.5
    assert s["f1"]["spinal"] == pytest.approx(2 / 3, abs=1e-4) and s["f1"]["knee_joint"] == 0.5
    assert s["f1"]["hip_joint"] == 0.0 and s["f1"]["biomechanical"] == 0.0
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.5) / 6, abs=1e-4)
    assert top_confusions(y, p, 5) == [("hip_joint", "knee_joint", 1), ("spinal", "knee_joint", 1)]
    assert json.loads(json.dumps(s)) == s
