"""DVC stage train: vignettes (split == train) -> a TF-IDF + logistic regression classifier.

The model predicts the cause `category` (the six of the contract) from a vignette's text:
word 1..N-grams and character n-grams within word boundaries (TF-IDF, sublinear tf) feed a
multinomial logistic regression, so it outputs probabilities. It is saved with skops (never
pickle) and the file is checked to hold no untrusted types; a model card JSON (training rows,
classes, params, sha256 of the vignettes file) is written next to it.

Hyperparameters come from params.yaml `train` and are chosen on split `val`; the hand-written
cases are only used by the evaluate stage to measure transfer.
"""

from __future__ import annotations

import platform
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
import skops
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_limits

from symcause import __version__
from symcause.core.contract import CATEGORIES
from symcause.core.errors import BadInputError
from symcause.core.hashing import sha256_file
from symcause.core.io import read_parquet_parts, write_json
from symcause.core.params import TrainParams
from symcause.model.features import CONCEPT_TOKEN, annotate_all
from symcause.model.knowledge_baseline import fit_knowledge_nb
from symcause.model.knowledge_blend import KnowledgeBlend
from symcause.model.persistence import save_model


def card_path(model_path: Path) -> Path:
    """The model card next to the model: model.skops -> model.card.json."""
    return model_path.with_name(model_path.stem + ".card.json")


def read_vignette_rows(path: Path, splits: tuple[str, ...] | list[str], columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows of the vignettes table in `splits` with text, category, split (+ `columns`), checked.

    Bad input (missing or unreadable file, missing column, unknown category, empty or missing
    text) raises BadInputError naming the file and the first offending vignette.
    """
    cols = list(dict.fromkeys(("vignette_id", "text", "category", "split", *columns)))
    if not path.exists():
        raise BadInputError(f"{path}: vignettes table is missing (run the generate stage first)")
    try:
        df = read_parquet_parts(path, columns=cols, filters=[("split", "in", list(splits))])
    except Exception as exc:
        raise BadInputError(f"{path}: not a readable vignettes Parquet file with columns "
                            f"{', '.join(cols)} ({type(exc).__name__}: {exc})") from exc
    df = df.reset_index(drop=True)
    if df.empty:
        raise BadInputError(f"{path}: no vignettes in split(s) {', '.join(splits)}")
    bad_cat = ~df["category"].isin(CATEGORIES)
    if bad_cat.any():
        i = int(np.flatnonzero(bad_cat.to_numpy())[0])
        raise BadInputError(f"{path}: vignette {df['vignette_id'].iloc[i]}: unknown category "
                            f"{df['category'].iloc[i]!r} (expected one of {', '.join(CATEGORIES)})")
    text = df["text"]
    bad_text = text.isna().to_numpy() | (text.fillna("").astype(str).str.strip() == "").to_numpy()
    if bad_text.any():
        i = int(np.flatnonzero(bad_text)[0])
        raise BadInputError(f"{path}: vignette {df['vignette_id'].iloc[i]}: text is empty")
    return df


def build_model(p: TrainParams) -> Pipeline:
    """The unfitted pipeline: FeatureUnion([concept TF-IDF x concept_weight,] word TF-IDF[, char_wb TF-IDF])
    -> LogisticRegression."""
    features: list[tuple[str, Any]] = [
        ("word", TfidfVectorizer(ngram_range=(1, p.word_ngram_max), min_df=p.word_min_df, sublinear_tf=True,
                                 strip_accents="unicode")),
    ]
    if p.char_ngram_max:
        features.append(("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(p.char_ngram_min, p.char_ngram_max),
                                                 min_df=p.char_min_df, sublinear_tf=True, strip_accents="unicode")))
    clf = LogisticRegression(C=p.C, max_iter=p.max_iter, class_weight=p.class_weight, random_state=p.seed)
    if not p.concepts:
        return Pipeline([("features", FeatureUnion(features)), ("clf", clf)])


    # text -> text + its vocabulary concepts; the concept tokens get their own (case-sensitive) vectorizer
    features.insert(0, ("concepts", TfidfVectorizer(token_pattern=CONCEPT_TOKEN, lowercase=False, sublinear_tf=True,
                                                    ngram_range=(1, p.concept_ngram_max))))
    # the concept block is scaled against the words (transformer_weights): a weight below 1 lets the words that
    # the vocabularies do not read still count, where the concept tokens alone would decide from a few matches
    union = FeatureUnion(features, transformer_weights={"concepts": p.concept_weight})
    return Pipeline([("annotate", FunctionTransformer(annotate_all)), ("features", union), ("clf", clf)])


def fit_model(texts: list[str], labels: list[str], p: TrainParams) -> Pipeline:
    """Fit the pipeline; deterministic for the same texts, labels and params."""
    model = build_model(p)
    # one BLAS/OpenMP thread: the same floating-point summation order on any machine size
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model.fit(texts, labels)
        except ConvergenceWarning as exc:
            raise BadInputError(f"params.yaml: train.max_iter: logistic regression did not converge in "
                                f"{p.max_iter} iterations (raise max_iter or lower C)") from exc
    for _, vec in model.named_steps["features"].transformer_list:
        # a set of the terms min_df dropped: only for introspection (scikit-learn says it may be removed), and
        # its iteration order follows Python's per-process string hashing, which would make the model file's
        # bytes differ between two identical runs
        vec.stop_words_ = None
        if hasattr(vec, "_stop_words_id"):  # id() of the stop-word list (None here): a memory address, not data
            del vec._stop_words_id
    return model


def with_knowledge(model: Pipeline, knowledge: pd.DataFrame | None, weight: float, prior: float,
                   temperature: float = 1.0) -> Any:
    """The text model blended with the naive Bayes of a knowledge table (knowledge_blend) at `temperature`, or the
    text model alone when the weight is 0 or there is no table."""
    if not weight or knowledge is None:
        return model
    nb = fit_knowledge_nb(knowledge, prior)
    return KnowledgeBlend(model, float(weight), tuple(nb.labels), dict(nb.names), nb.log_l, nb.log_1ml,
                          float(temperature))


def model_card(model: Any, train: pd.DataFrame, vignettes: Path, model_path: Path,
               p: TrainParams, dataset_version: str = "unknown") -> dict[str, Any]:
    counts = train["category"].value_counts()
    feats = model.named_steps["features"]
    digest = sha256_file(model_path)
    return {
        "model": model_path.name,
        "model_sha256": digest,
        "model_version": f"{__version__}+{digest[:12]}",
        "dataset_version": dataset_version,
        "format": "skops (load with skops.io.load(path, trusted=[]) after get_untrusted_types is empty)",
        "task": "predict the cause category of leg pain from a free-text vignette",
        "intended_use": "research and dataset evaluation only; not for diagnosis or triage",
        "classes": list(CATEGORIES),
        "training_data": {
            "vignettes": vignettes.name,
            "vignettes_sha256": sha256_file(vignettes),
            "split": "train",
            "rows": int(len(train)),
            "rows_per_class": {c: int(counts.get(c, 0)) for c in CATEGORIES},
        },
        "features": {name: len(vec.vocabulary_) for name, vec in feats.transformer_list},
        "params": p.model_dump(mode="json", exclude={"vignettes", "model"}),
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "skops": skops.__version__, "numpy": np.__version__},
        "knowledge_blend": ({"weight": p.knowledge_weight, "knowledge": p.knowledge, "temperature": p.temperature,
                             "rule": "P(category | case) ∝ (P_text · P_knowledge_naive_Bayes ** weight) ** (1 / temperature)"}
                            if isinstance(model, KnowledgeBlend) else None),
        "evaluation": "reports/metrics.json (headline) and reports/model/report.md (evaluate stage)",
    }


def run_train(vignettes: Path, model_path: Path, p: TrainParams, dataset_version: str = "unknown",
              knowledge: Path | None = None, prior: float = 0.05) -> dict[str, Any]:
    """Train on split train of `vignettes`, blend with the knowledge table at `knowledge` (train.knowledge_weight,
    knowledge prior `prior`), write the model and its card; return the card."""
    train = read_vignette_rows(vignettes, ["train"])
    missing = [c for c in CATEGORIES if not (train["category"] == c).any()]
    if missing:
        raise BadInputError(f"{vignettes}: split train has no vignettes of category '{missing[0]}' "
                            "(the model needs all six)")
    model = fit_model(train["text"].astype(str).tolist(), train["category"].astype(str).tolist(), p)
    if p.knowledge_weight:
        if knowledge is None or not knowledge.is_file():
            raise BadInputError(f"{knowledge}: knowledge table not found (train.knowledge_weight is "
                                f"{p.knowledge_weight}; run the knowledge stage, or set it to 0)")
        model = with_knowledge(model, pd.read_parquet(knowledge), p.knowledge_weight, prior, p.temperature)
    save_model(model, model_path)
    card = model_card(model, train, vignettes, model_path, p, dataset_version)
    write_json(card_path(model_path), card)
    return card
