"""Comparison baselines for the evaluate stage (pure functions).

* `structured_baseline`: a logistic regression on the structured fields of a vignette (symptoms,
  regions fine and coarse, factors) instead of its text. For a hand-written case, which has no
  structured fields, the same fields are read from its text with the vocabularies
  (pipeline/features.py), the way a form-filling front end would. It tells how much of the text
  model's skill is in the facts rather than the wording.
* `learning_curve`: macro-F1 of the text model against the number of training vignettes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from threadpoolctl import threadpool_limits

from symcause.core.contract import CATEGORIES
from symcause.core.vocab import cached_vocab
from symcause.model.features import concept_tokens
from symcause.model.predict import labels_from_proba, predict_proba
from symcause.model.training import fit_model

_TOKEN = r"\b[A-Z]{1,3}_\w+"


def _factor_prefix() -> dict[str, str]:
    groups = cached_vocab().factor_groups
    out = {v: "F" for v in groups.get("activities", {})}
    out.update({v: "K" for v in groups.get("risk_factors", {})})
    out.update({v: "X" for v in groups.get("red_flags", {})})
    return out


def structured_tokens(symptoms: Any, regions: Any, factors: Any) -> str:
    """The structured fields of one vignette as concept tokens (the format of symcause.model.features)."""
    coarse = cached_vocab().region_coarse
    prefix = _factor_prefix()
    toks = [f"S_{s}" for s in symptoms]
    for r in regions:
        toks += [f"R_{r}", f"RC_{coarse.get(r, r)}"]
    toks += [f"{prefix.get(f, 'F')}_{f}" for f in factors]
    return " ".join(toks)


def text_to_structured(text: str) -> str:
    """Structured fields read from free text: the positive (not negated) concept tokens."""
    return " ".join(t for t in concept_tokens(text) if not t.startswith("N"))


def _scores(y: list[str], pred: list[str]) -> dict[str, float]:
    return {"accuracy": round(float(accuracy_score(y, pred)), 4),
            "macro_f1": round(float(f1_score(y, pred, labels=list(CATEGORIES), average="macro", zero_division=0)), 4)}


def structured_baseline(train: pd.DataFrame, test: pd.DataFrame, handwritten: pd.DataFrame,
                        C: float = 1.0) -> dict[str, dict[str, float]]:
    """Fit on train's structured fields; score on test's fields and on fields read from hand-written text."""
    x_train = [structured_tokens(a, b, c) for a, b, c in zip(train.symptoms, train.regions, train.factors)]
    vec = CountVectorizer(token_pattern=_TOKEN, lowercase=False, binary=True)
    clf = LogisticRegression(C=C, max_iter=2000)
    with threadpool_limits(limits=1):  # same result on any machine size (see training.fit_model)
        clf.fit(vec.fit_transform(x_train), train.category.astype(str))
    out = {}
    if {"symptoms", "regions", "factors"} <= set(test.columns):
        x_test = [structured_tokens(a, b, c) for a, b, c in zip(test.symptoms, test.regions, test.factors)]
        out["test"] = _scores(test.category.astype(str).tolist(), list(clf.predict(vec.transform(x_test))))
    x_hand = [text_to_structured(t) for t in handwritten.text]
    out["handwritten"] = _scores(handwritten.category.astype(str).tolist(), list(clf.predict(vec.transform(x_hand))))
    return out


def learning_curve(train: pd.DataFrame, test: pd.DataFrame, handwritten: pd.DataFrame, sizes: list[int],
                   train_params: Any, full_model: Any = None) -> list[dict[str, float]]:
    """Macro-F1 on test and hand-written of the text model trained on the first n rows of a seeded shuffle of
    train, for each n in sizes below the number of training rows; the last point is `full_model` (the train
    stage's model, on all of train) when given, so it is not trained twice."""
    order = np.random.default_rng(train_params.seed).permutation(len(train))
    rows = []
    sizes_below = sorted({int(s) for s in sizes if int(s) < len(train)})
    if full_model is None:
        sizes_below.append(len(train))
    for n in sizes_below:
        part = train.iloc[order[:n]]
        if part.category.nunique() < 2:
            continue
        model = fit_model(part.text.astype(str).tolist(), part.category.astype(str).tolist(), train_params)
        t = labels_from_proba(predict_proba(model, test.text.astype(str).tolist()))
        h = labels_from_proba(predict_proba(model, handwritten.text.astype(str).tolist()))
        rows.append({"train_rows": n,
                     "test_macro_f1": _scores(test.category.astype(str).tolist(), t)["macro_f1"],
                     "handwritten_macro_f1": _scores(handwritten.category.astype(str).tolist(), h)["macro_f1"]})
    if full_model is not None:
        t = labels_from_proba(predict_proba(full_model, test.text.astype(str).tolist()))
        h = labels_from_proba(predict_proba(full_model, handwritten.text.astype(str).tolist()))
        rows.append({"train_rows": len(train),
                     "test_macro_f1": _scores(test.category.astype(str).tolist(), t)["macro_f1"],
                     "handwritten_macro_f1": _scores(handwritten.category.astype(str).tolist(), h)["macro_f1"]})
    return rows
