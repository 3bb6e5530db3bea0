"""Model: the baseline cause-category classifier (features, training, prediction, evaluation)."""
