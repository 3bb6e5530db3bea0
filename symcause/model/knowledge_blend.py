"""The shipped classifier: the text model's probabilities combined with the knowledge table's naive Bayes.

    P(category | case) ∝ (P_text(category | words and concepts) · P_NB(category | findings read from the case) ** w) ** (1 / T)

`P_text` is the TF-IDF + concept-token logistic regression trained on vignettes (`training.fit_model`); `P_NB` is
the knowledge-only naive Bayes (`knowledge_baseline`): the likelihoods of the knowledge table over the findings the
vocabularies read from the text, with no training on vignettes. The weight `w` (params.yaml
`train.knowledge_weight`) and the temperature `T` (`train.temperature`, calibration only: it never changes the
most probable category) were chosen on the development sets of hand-written cases only. The text model knows how
vignettes are worded; the knowledge table knows which findings the articles tie to which cause, including findings
the vignettes state rarely, so the product transfers better to cases written by people. `w = 0` is the text
model alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from symcause.model.knowledge_baseline import KnowledgeNB, predict_nb


class KnowledgeBlend(ClassifierMixin, BaseEstimator):
    """A fitted text model and the naive-Bayes tables of a knowledge table (`knowledge_baseline.fit_knowledge_nb`),
    stored as plain arrays so that a skops file holds them; exposes the text model's `classes_` and
    `named_steps`."""

    def __init__(self, text_model: Any = None, weight: float = 0.0, labels: Sequence[str] = (),
                 names: dict[str, int] | None = None, log_l: np.ndarray | None = None,
                 log_1ml: np.ndarray | None = None, temperature: float = 1.0) -> None:
        self.text_model = text_model
        self.weight = weight
        self.labels = labels
        self.names = names
        self.log_l = log_l
        self.log_1ml = log_1ml
        self.temperature = temperature

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.text_model.classes_)

    @property
    def named_steps(self) -> Any:
        return self.text_model.named_steps

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> KnowledgeBlend:
        """Refit the text model (the knowledge tables come from the knowledge table, not from vignettes)."""
        self.text_model.fit(list(texts), list(labels))
        return self

    def knowledge_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P_NB(category | findings), columns in `classes_` order."""
        nb = KnowledgeNB(tuple(self.labels), dict(self.names or {}), np.asarray(self.log_l), np.asarray(self.log_1ml))
        q = predict_nb(nb, list(texts))
        return q[:, [list(self.labels).index(str(c)) for c in self.classes_]]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        p = np.asarray(self.text_model.predict_proba(list(texts)), dtype=np.float64)
        if not len(p) or (not self.weight and self.temperature == 1.0):
            return p
        logit = np.log(np.clip(p, 1e-12, None))
        if self.weight:
            logit = logit + float(self.weight) * np.log(np.clip(self.knowledge_proba(texts), 1e-12, None))
        logit = logit / float(self.temperature)
        logit -= logit.max(axis=1, keepdims=True)
        e = np.exp(logit)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classes_[np.argmax(self.predict_proba(texts), axis=1)])
