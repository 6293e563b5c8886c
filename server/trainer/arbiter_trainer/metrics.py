"""Evaluation metrics over pair records: pure numpy, no model.

Accuracy is TRL's: the share of decisive pairs where r_chosen > r_rejected (an exact tie counts ½).
ECE follows Guo et al. (2017): the model's confidence in its own pick is max(p, 1−p) with
p = σ(r_c − r_r); confidences fall into 10 equal-width bins over [0, 1];
ECE = Σ_b |b|/n · |accuracy(b) − mean confidence(b)|. Tie pairs have no right answer: they count
in the loss but not in accuracy or ECE.
"""

from __future__ import annotations

import numpy as np


def pair_correct(diff: np.ndarray) -> np.ndarray:
    return (diff > 0).astype(np.float64) + 0.5 * (diff == 0)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


def expected_calibration_error(p_chosen: np.ndarray, n_bins: int = 10) -> float | None:
    p = np.asarray(p_chosen, dtype=np.float64)
    if p.size == 0:
        return None
    confidence = np.maximum(p, 1.0 - p)
    correct = pair_correct(p - 0.5)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def grouped_accuracy(correct: np.ndarray, keys: list[list[str]]) -> dict[str, float]:
    """Accuracy per key, where each pair may carry several keys (e.g. criteria)."""
    totals: dict[str, list[float]] = {}
    for c, ks in zip(correct.tolist(), keys):
        for k in ks:
            totals.setdefault(k, []).append(c)
    return {k: float(np.mean(v)) for k, v in sorted(totals.items())}


def pair_metrics(diff: np.ndarray, tie: np.ndarray, strength: list[int | None],
                 criteria: list[tuple[str, ...]], data_margin: np.ndarray) -> dict:
    """Accuracy, ECE and breakdowns from per-pair reward differences d = r_a − r_b."""
    decisive = ~tie
    d = diff[decisive]
    correct = pair_correct(d)
    idx = np.flatnonzero(decisive)
    return {
        "eval_accuracy": float(correct.mean()) if d.size else None,
        "ece": expected_calibration_error(sigmoid(d)),
        "eval_margin": float(d.mean()) if d.size else None,  # TRL's "margin": mean r_c − r_r
        "n_pairs": int(decisive.sum()),
        "n_ties": int(tie.sum()),
        "accuracy_by_criterion": grouped_accuracy(correct, [list(criteria[i]) for i in idx]),
        "accuracy_by_strength": grouped_accuracy(
            correct, [[str(strength[i]) if strength[i] is not None else "none"] for i in idx]),
        "accuracy_by_margin": grouped_accuracy(correct, [[f"{data_margin[i]:g}"] for i in idx]),
    }
