"""TextAttack adapters for scikit-learn text classifiers.

TextAttack 0.3.11's own ``SklearnModelWrapper`` calls ``get_feature_names()``, which
scikit-learn removed; this wrapper asks the pipeline for probabilities directly.
"""
from __future__ import annotations

import numpy as np
from textattack.models.wrappers import ModelWrapper


class SklearnTextClassifierWrapper(ModelWrapper):
    """Wrap any fitted scikit-learn estimator that maps raw strings to ``predict_proba``."""

    def __init__(self, model):
        self.model = model

    def __call__(self, text_input_list: list[str]) -> np.ndarray:
        return np.asarray(self.model.predict_proba(list(text_input_list)))

    def get_grad(self, text_input):
        raise NotImplementedError("scikit-learn models have no gradients; use a black-box search method")
