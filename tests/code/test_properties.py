"""Property-based tests: random and adversarial text never crashes extraction or prediction."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import BadInputError

WORDS = st.sampled_from(["knee", "pain", "no", "numbness", "Baker's cyst", "sciatica", "(PFPS)", "also known as",
                         "worse", "when", "sitting", "Risk factors include:", "\n", "\u2022", "tear", "of the",
                         "syndrome", "L5", "-itis", "rarely", "below the knee", ":", ".", ",", "Like", "\u00e9"])
ARTICLE = st.one_of(st.text(max_size=400), st.lists(WORDS, max_size=80).map(" ".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ARTICLE)
def test_extraction_never_crashes_and_offsets_hold(extractor, text):
    from pipeline.text import normalise

    norm = normalise(text)
    r = extractor.extract("doc", norm)
    for row in [*r.facts, *r.factors]:
        assert norm[row["char_start"]:row["char_end"]] == row["evidence"]
        assert 0.0 < row["confidence"] <= 1.0


@pytest.fixture(scope="module")
def tiny_model():
    from pipeline.params import TrainParams
    from pipeline.train import fit_model

    texts = ["my lower back hurts and the pain shoots down my leg", "groin pain and a stiff hip",
             "my knee locks and swells", "tender outer hip when lying on it", "numb top of the foot after crossing legs",
             "flat feet and weak glutes"] * 3
    labels = ["spinal", "hip_joint", "knee_joint", "soft_tissue", "peripheral_nerve", "biomechanical"] * 3
    return fit_model(texts, labels, TrainParams(word_min_df=1, max_iter=500))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(min_size=1, max_size=2000), st.lists(WORDS, min_size=1, max_size=300).map(" ".join)))
def test_prediction_gives_a_distribution_for_any_text(tiny_model, text):
    from pipeline.predict import Record, predict

    (row,) = predict(tiny_model, [Record(id="x", text=text, line=1)])
    probs = row["probabilities"]
    assert abs(sum(probs.values()) - 1.0) < 1e-6 and row["category"] == max(probs, key=probs.get)


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.one_of(st.text(max_size=60), st.builds(lambda i, t: json.dumps({"id": i, "text": t}),
                                                                  st.integers(), st.text(max_size=40))),
                      min_size=1, max_size=6))
def test_predict_input_is_parsed_or_refused_with_a_line_number(tmp_path_factory, lines):
    from pipeline.predict import read_records

    path = tmp_path_factory.mktemp("in") / "cases.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        records = read_records(path)
    except BadInputError as exc:
        assert str(path) in str(exc)
    else:
        assert all(isinstance(r.text, str) and r.text.strip() for r in records)
