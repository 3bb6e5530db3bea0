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

import argparse
import hashlib
import platform
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from pipeline import find_project_root
from pipeline.errors import BadInputError, SymcauseError
from pipeline.io import atomic_path, parquet_parts, read_parquet_parts, write_json
from pipeline.params import TrainParams
from pipeline.vocab import CATEGORIES

SPLITS = ("train", "val", "test")


def card_path(model_path: Path) -> Path:
    """The model card next to the model: model.skops -> model.card.json."""
    return model_path.with_name(model_path.stem + ".card.json")


def sha256_file(path: Path) -> str:
    """sha256 of a file; of a partitioned folder, of its part files' bytes in name order."""
    h = hashlib.sha256()
    for part in parquet_parts(path) if path.is_dir() else [path]:
        with part.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


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
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a bad file
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
    """The unfitted pipeline: FeatureUnion(word TF-IDF[, char_wb TF-IDF]) -> LogisticRegression."""
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
    from sklearn.preprocessing import FunctionTransformer

    from pipeline.features import CONCEPT_TOKEN, annotate_all

    # text -> text + its vocabulary concepts; the concept tokens get their own (case-sensitive) vectorizer
    features.insert(0, ("concepts", TfidfVectorizer(token_pattern=CONCEPT_TOKEN, lowercase=False, sublinear_tf=True)))
    return Pipeline([("annotate", FunctionTransformer(annotate_all)), ("features", FeatureUnion(features)),
                     ("clf", clf)])


def fit_model(texts: list[str], labels: list[str], p: TrainParams) -> Pipeline:
    """Fit the pipeline; deterministic for the same texts, labels and params."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    model = build_model(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model.fit(texts, labels)
        except ConvergenceWarning as exc:
            raise BadInputError(f"params.yaml: train.max_iter: logistic regression did not converge in "
                                f"{p.max_iter} iterations (raise max_iter or lower C)") from exc
    return model


def save_model(model: Pipeline, path: Path) -> None:
    """skops.io.dump the model atomically; refuse (exit 1) if the file would hold untrusted types."""
    import skops.io as sio

    with atomic_path(path) as tmp:
        sio.dump(model, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        from pipeline.features import TRUSTED

        untrusted = [t for t in sio.get_untrusted_types(file=tmp) if t not in TRUSTED]
        if untrusted:
            raise SymcauseError(f"{path}: the model would contain untrusted types ({', '.join(untrusted)}); "
                                "not written")


def model_card(model: Pipeline, train: pd.DataFrame, vignettes: Path, model_path: Path,
               p: TrainParams) -> dict[str, Any]:
    import sklearn
    import skops

    counts = train["category"].value_counts()
    feats = model.named_steps["features"]
    return {
        "model": model_path.name,
        "model_sha256": sha256_file(model_path),
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
        "evaluation": "reports/model/metrics.json (evaluate stage: splits val/test and hand-written cases)",
    }


def run_train(vignettes: Path, model_path: Path, p: TrainParams) -> dict[str, Any]:
    """Train on split train of `vignettes`, write the model and its card; return the card."""
    train = read_vignette_rows(vignettes, ["train"])
    missing = [c for c in CATEGORIES if not (train["category"] == c).any()]
    if missing:
        raise BadInputError(f"{vignettes}: split train has no vignettes of category '{missing[0]}' "
                            "(the model needs all six)")
    model = fit_model(train["text"].astype(str).tolist(), train["category"].astype(str).tolist(), p)
    save_model(model, model_path)
    card = model_card(model, train, vignettes, model_path, p)
    write_json(card_path(model_path), card)
    return card


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline.train",
                                description="DVC stage train: vignettes (split train) -> data/models/model.skops "
                                            "+ model.card.json (params.yaml 'train').")
    p.add_argument("--params", default=None, help="params file (default: the project's params.yaml)")
    return p


def main(argv: list[str] | None = None) -> int:
    from pipeline.cli import run_guarded
    from pipeline.params import load_params

    args = build_parser().parse_args(argv)

    def go() -> None:
        start = time.perf_counter()
        prm = load_params(args.params).train
        root = find_project_root()
        card = run_train(root / prm.vignettes, root / prm.model, prm)
        feats = ", ".join(f"{k} {v:,}" for k, v in card["features"].items())
        print(f"train: {card['training_data']['rows']:,} vignettes, features {feats} -> {prm.model} "
              f"({time.perf_counter() - start:.1f} s)")

    return run_guarded(go)


if __name__ == "__main__":
    sys.exit(main())
