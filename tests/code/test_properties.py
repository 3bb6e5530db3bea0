"""Property-based tests: random and adversarial text never crashes extraction or prediction."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcause.core.errors import BadInputError

WORDS = st.sampled_from(["knee", "pain", "no", "numbness", "Baker's cyst", "sciatica", "(PFPS)", "also known as",
                         "worse", "when", "sitting", "Risk factors include:", "\n", "\u2022", "tear", "of the",
                         "syndrome", "L5", "-itis", "rarely", "below the knee", ":", ".", ",", "Like", "\u00e9"])
ARTICLE = st.one_of(st.text(max_size=400), st.lists(WORDS, max_size=80).map(" ".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ARTICLE)
def test_extraction_never_crashes_and_offsets_hold(extractor, text):
    from symcause.extraction.text import normalise

    norm = normalise(text)
    r = extractor.extract("doc", norm)
    for row in [*r.facts, *r.factors]:
        assert norm[row["char_start"]:row["char_end"]] == row["evidence"]
        assert 0.0 < row["confidence"] <= 1.0


@pytest.fixture(scope="module")
def tiny_model():
    from symcause.core.params import TrainParams
    from symcause.model.training import fit_model

    texts = ["my lower back hurts and the pain shoots down my leg", "groin pain and a stiff hip",
             "my knee locks and swells", "tender outer hip when lying on it", "numb top of the foot after crossing legs",
             "flat feet and weak glutes"] * 3
    labels = ["spinal", "hip_joint", "knee_joint", "soft_tissue", "peripheral_nerve", "biomechanical"] * 3
    return fit_model(texts, labels, TrainParams(word_min_df=1, max_iter=500))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(min_size=1, max_size=2000), st.lists(WORDS, min_size=1, max_size=300).map(" ".join)))
def test_prediction_gives_a_distribution_for_any_text(tiny_model, text):
    from symcause.model.predict import Record, predict

    (row,) = predict(tiny_model, [Record(id="x", text=text, line=1)])
    probs = row["probabilities"]
    assert abs(sum(probs.values()) - 1.0) < 6 * 5e-5 and row["category"] == max(probs, key=probs.get)   # 4 places each


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.one_of(st.text(max_size=60), st.builds(lambda i, t: json.dumps({"id": i, "text": t}),
                                                                  st.integers(), st.text(max_size=40))),
                      min_size=1, max_size=6))
def test_predict_input_is_parsed_or_refused_with_a_line_number(tmp_path_factory, lines):
    from symcause.model.predict import read_records

    path = tmp_path_factory.mktemp("in") / "cases.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        records = read_records(path)
    except BadInputError as exc:
        assert str(path) in str(exc)
    else:
        assert all(isinstance(r.text, str) and r.text.strip() for r in records)


SLOT_NAMES = ("s", "S", "d", "age", "pro", "c", "C")
LITERAL = st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)), max_size=12)
VALUE = st.text(alphabet=st.sampled_from(list("abcxyz ABC.,!?-'0123456789éüñ日本")), max_size=10)


@settings(max_examples=120, deadline=None)
@given(templates=st.lists(st.lists(st.tuples(LITERAL, st.sampled_from(SLOT_NAMES)), max_size=4).map(
           lambda pieces: "".join(lit + "{" + name + "}" for lit, name in pieces)), min_size=1, max_size=6),
       values=st.lists(st.fixed_dictionaries({k: VALUE for k in ("s", "d", "age", "pro", "c")}), min_size=1,
                       max_size=30),
       data=st.data())
def test_column_template_fill_equals_str_format(templates, values, data):
    """Any templates over the context slots, any slot values (unicode included) and any subset of rows: the
    column-wise fill gives str.format's text, row by row."""
    import numpy as np
    import pyarrow as pa

    from symcause.generation.composer import _CTX_SLOTS, _Templates

    t = _Templates([templates], _CTX_SLOTS, "test")
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, len(values) - 1)))), dtype=np.int64)
    tid = np.array(data.draw(st.lists(st.integers(0, len(templates) - 1), min_size=len(rows), max_size=len(rows))),
                   dtype=np.int64)
    cols = {k: pa.array([v[k] for v in values], pa.string()) for k in values[0]}
    got = t.fill(tid, rows, cols).to_pylist()

    def cap(x: str) -> str:
        return x[:1].upper() + x[1:]

    want = [templates[k].format(**values[i], S=cap(values[i]["s"]), C=cap(values[i]["c"])) for k, i in zip(tid, rows)]
    assert got == want
