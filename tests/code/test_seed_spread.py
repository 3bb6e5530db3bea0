"""The seed-spread tool: per-seed scores on every hand-written set, and their summary."""
from __future__ import annotations

import json

from symcause.devtools.seed_spread import main, summarise


def test_summary_is_mean_min_and_max_over_seeds():
    per = {1: {"dev": {"macro_f1": 0.7, "accuracy": 0.6}}, 2: {"dev": {"macro_f1": 0.8, "accuracy": 0.7}}}
    s = summarise(per)
    assert s["dev"]["macro_f1"] == {"mean": 0.75, "min": 0.7, "max": 0.8}
    assert s["dev"]["accuracy"]["min"] == 0.6


def test_two_small_seeds_score_every_hand_written_set(tmp_path, capsys):
    out = tmp_path / "spread.json"
    assert main(["--seeds", "5", "6", "--n", "3000", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["seeds"] == [5, 6] and set(data["per_seed"]) == {"5", "6"}
    assert set(data["summary"]) == {"handwritten", "handwritten_dev", "handwritten_dev2", "handwritten_blind2"}
    for v in data["summary"].values():
        m = v["macro_f1"]
        assert 0.0 <= m["min"] <= m["mean"] <= m["max"] <= 1.0
    # different seeds draw different vignettes, so the two fitted models do not score every set identically
    scores = [(r["handwritten"]["accuracy"], r["handwritten_dev"]["accuracy"]) for r in data["per_seed"].values()]
    assert scores[0] != scores[1]
    assert "over 2 seeds" in capsys.readouterr().out


def test_overrides_change_one_param_and_are_validated(root):
    import pytest

    from symcause.core.errors import BadInputError
    from symcause.devtools.seed_spread import with_overrides

    p = with_overrides(root / "params.yaml", ["generate.likelihood_cap=true", "train.C=0.5"])
    assert p.generate.likelihood_cap is True and p.train.C == 0.5
    assert p.generate.n == with_overrides(root / "params.yaml", []).generate.n   # the rest as in the file
    with pytest.raises(BadInputError, match="likelihood_kap"):
        with_overrides(root / "params.yaml", ["generate.likelihood_kap=true"])
    with pytest.raises(BadInputError, match="SECTION.KEY=VALUE"):
        with_overrides(root / "params.yaml", ["generate"])
