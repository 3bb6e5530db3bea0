"""The contract's bad-input policy for `symcause extract` and params.yaml."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from symcause.cli import main
from symcause.core.errors import BadInputError
from symcause.core.params import load_params

GOOD = "Piriformis Syndrome\n\nPiriformis syndrome causes buttock pain that is worse with sitting.\n"


@pytest.fixture
def articles(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(GOOD, encoding="utf-8")
    return d


def test_good_input_writes_all_tables(articles, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["extract", str(articles), "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["conditions.parquet", "extract_report.json", "factors.parquet",
                                                     "facts.parquet", "sources.parquet"]


@pytest.mark.parametrize("name, content, reason", [
    ("empty.txt", b"", "empty"),
    ("binary.txt", b"\x89PNG\x00\x00\x00\rIHDR" * 20, "binary"),
    ("latin1.txt", "Sciatica causes pain in the l\u00e9g and the caf\u00e9.".encode("latin-1"), "not UTF-8"),
    ("big.txt", b"word " * 3000, "over the size limit"),
])
def test_unreadable_sources_are_skipped_reported_and_strict_fails(articles, tmp_path, capsys, name, content, reason):
    (articles / name).write_bytes(content)
    out = tmp_path / "out"
    assert main(["extract", str(articles), "--out", str(out), "--quiet", "--max-bytes", "10000"]) == 0
    err = capsys.readouterr().err
    assert name in err and reason in err
    report = json.loads((out / "extract_report.json").read_text())
    assert report["n_read"] == 1 and report["skipped"][0]["path"].endswith(name)
    assert reason in report["skipped"][0]["reason"]
    strict_out = tmp_path / "strict"
    assert main(["extract", str(articles), "--out", str(strict_out), "--quiet", "--strict", "--max-bytes", "10000"]) == 2
    assert not strict_out.exists() or not any(strict_out.iterdir())  # nothing half-written
    assert name in capsys.readouterr().err


def test_html_and_markdown_sources_are_read(articles, tmp_path):
    (articles / "a.html").write_text("<h1>Meralgia Paresthetica</h1><p>Meralgia paresthetica causes <b>burning</b> "
                                     "numbness on the outer thigh.</p><script>alert(1)</script>", encoding="utf-8")
    (articles / "b.md").write_text("# Gluteal Tendinopathy\n\n**Gluteal tendinopathy** causes pain on the outside of "
                                   "the hip when lying on that side.", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", str(articles), "--out", str(out), "--quiet", "--strict"]) == 0
    import pandas as pd

    src = pd.read_parquet(out / "sources.parquet")
    assert len(src) == 3 and not src.text.str.contains("alert|<b>|\\*\\*").any()
    conds = pd.read_parquet(out / "conditions.parquet")
    assert {"meralgia_paresthetica", "gluteal_tendinopathy"} <= set(conds.condition_id)


def test_duplicate_articles_are_counted_once(articles, tmp_path):
    shutil.copy(articles / "good.txt", articles / "copy.txt")
    out = tmp_path / "out"
    assert main(["extract", str(articles), "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "extract_report.json").read_text())
    assert report["n_read"] == 1 and len(report["duplicates"]) == 1


def test_article_without_conditions_is_reported(articles, tmp_path):
    (articles / "none.txt").write_text("Walking is good for you. Drink water every day.", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", str(articles), "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "extract_report.json").read_text())
    assert any(p.endswith("none.txt") for p in report["no_conditions"])


def test_missing_path_is_bad_input(tmp_path, capsys):
    assert main(["extract", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "nope" in capsys.readouterr().err


def test_existing_outputs_survive_a_failed_run(articles, tmp_path):
    out = tmp_path / "out"
    assert main(["extract", str(articles), "--out", str(out), "--quiet"]) == 0
    before = (out / "facts.parquet").read_bytes()
    (articles / "empty.txt").write_bytes(b"")
    assert main(["extract", str(articles), "--out", str(out), "--quiet", "--strict"]) == 2
    assert (out / "facts.parquet").read_bytes() == before
    assert not [p for p in [*out.iterdir(), *tmp_path.iterdir()] if p.name.startswith(".")]  # no temporaries left


def test_same_input_gives_byte_identical_tables(articles, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    main(["extract", str(articles), "--out", str(a), "--quiet"])
    main(["extract", str(articles), "--out", str(b), "--quiet"])
    for name in ("sources", "conditions", "facts", "factors"):
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes()


@pytest.mark.parametrize("yaml_text, key", [
    ("extract:\n  max_bytes: -5\n", "extract.max_bytes"),
    ("extract:\n  strict: maybe\n", "extract.strict"),
    ("extract:\n  bogus: 1\n", "extract.bogus"),
    ("validate:\n  min_conditions: 0\n", "validate.min_conditions"),
    ("generate:\n  styles: {lay: 0.5, clinical: 0.3, third_person: 0.3}\n", "generate.styles"),
    ("generate:\n  splits: {train: 0.8, dev: 0.2}\n", "generate.splits"),
    ("generate:\n  name_rate: 1.5\n", "generate.name_rate"),
    ("generate:\n  age: {mean: 40, sd: 10, min: 5, max: 90}\n", "generate.age.min"),
])
def test_invalid_params_name_the_key(tmp_path, yaml_text, key):
    p = tmp_path / "params.yaml"
    p.write_text(yaml_text)
    with pytest.raises(BadInputError, match=key.replace(".", r"\.")):
        load_params(p)


def test_every_cli_command_has_help():
    for args in (["--help"], ["extract", "--help"], ["validate", "--help"], ["generate", "--help"], ["predict", "--help"]):
        r = subprocess.run([sys.executable, "-m", "symcause", *args], capture_output=True, text=True)
        assert r.returncode == 0 and "usage" in r.stdout.lower(), args


@pytest.mark.slow
def test_every_stage_and_tool_has_help(root):
    """`--help` everywhere: each DVC stage module and each developer tool (each imports its library: slow)."""
    stages = sorted(p.stem for p in (root / "pipeline").glob("*.py") if p.stem != "__init__")
    assert len(stages) >= 8
    for mod in [f"pipeline.{s}" for s in stages] + ["symcause.devtools.bench", "symcause.devtools.report",
                                                     "symcause.devtools.dvc_deps"]:
        r = subprocess.run([sys.executable, "-m", mod, "--help"], capture_output=True, text=True, cwd=root)
        assert r.returncode == 0 and "usage" in r.stdout.lower(), mod


def test_generate_command_writes_the_table_and_refuses_bad_input(seed_tables, tmp_path, capsys):
    import pandas as pd

    from symcause.cli import main

    facts = seed_tables[0]
    out = tmp_path / "v.parquet"
    assert main(["generate", "--facts", str(facts), "--n", "500", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    df = pd.read_parquet(out)
    assert len(df) == 500 and (df.seed == 3).all()
    with pytest.raises(SystemExit) as exc:  # argparse refuses it before any work
        main(["generate", "--facts", str(facts), "--n", "0", "--out", str(tmp_path / "z.parquet")])
    assert exc.value.code == 2
    assert "--n: must be at least 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "z.parquet").exists()
    assert main(["generate", "--facts", str(tmp_path / "missing"), "--n", "5", "--out", str(tmp_path / "y.parquet")]) == 2
    assert "missing" in capsys.readouterr().err


def test_atomic_dir_replaces_a_folder_whole_or_not_at_all(tmp_path):
    from symcause.core.io import atomic_dir

    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as staging:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("killed midway")
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and (target / "old.txt").read_text() == "old"
    with atomic_dir(target) as staging:
        (staging / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
