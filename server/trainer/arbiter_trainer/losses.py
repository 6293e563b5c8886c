"""Preference losses: pure functions of reward tensors (no model, no data loading).

Meanings match TRL's reward_trainer.py so numbers are comparable:
  Bradley-Terry        -log σ(r_c − r_r − m)            per pair; m = margin (Llama-2 from strength)
  reward centering     coef · mean((r_c + r_r)²)         TRL's center_rewards_coefficient
  K-wise (InstructGPT) mean over the C(K,2) pairs of one ranked item, so an item is one batch element

Ties ("bt-ties") use the Davidson (1970) model. With d = r_a − r_b and tie parameter ν > 0:
  P(a ≻ b) = 1 / (1 + e^{−d} + ν e^{−d/2}),   P(tie) = ν / (e^{d/2} + e^{−d/2} + ν).
Davidson's likelihood factorises as P(outcome) = P(decisive or tie | d) · P(winner | decisive, d), and
P(winner | decisive, d) = σ(d) is exactly Bradley-Terry. We train decisive pairs on that conditional
factor (keeping BT's margin), and tie pairs on −log P(tie). So a batch without ties gives exactly the
BT loss (tested), and ties pull r_a and r_b together with a bounded gradient (|∂/∂d| < 1/2).
Rao-Kupper would add a threshold to every decisive pair too and could not reduce to plain BT.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# Llama 2 (Touvron et al. 2023), the "margin small" variant: a larger margin for clearer preferences.
# Strength 1..4 = slight / moderate / strong / decisive.
DEFAULT_MARGIN_MAP: dict[int, float] = {1: 0.0, 2: 1.0 / 3.0, 3: 2.0 / 3.0, 4: 1.0}


def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor,
                       margin: torch.Tensor | None = None) -> torch.Tensor:
    """Per-pair −log σ(r_c − r_r − margin)."""
    diff = r_chosen - r_rejected
    if margin is not None:
        diff = diff - margin
    return -F.logsigmoid(diff)


def davidson_tie_loss(r_a: torch.Tensor, r_b: torch.Tensor, nu: float = 1.0) -> torch.Tensor:
    """Per-pair −log P(tie) = log(e^{d/2} + e^{−d/2} + ν) − log ν, computed stably."""
    half = (r_a - r_b) / 2
    log_nu = torch.full_like(half, math.log(nu))
    return torch.logsumexp(torch.stack([half, -half, log_nu]), dim=0) - math.log(nu)


def pairwise_loss(r_a: torch.Tensor, r_b: torch.Tensor, tie: torch.Tensor,
                  margin: torch.Tensor | None = None, nu: float = 1.0) -> torch.Tensor:
    """Per-pair loss: BT where a was preferred to b, Davidson's tie term where `tie` is true."""
    bt = bradley_terry_loss(r_a, r_b, margin)
    if not bool(tie.any()):
        return bt
    return torch.where(tie, davidson_tie_loss(r_a, r_b, nu), bt)


def mean_per_item(per_pair: torch.Tensor, item_index: torch.Tensor, n_items: int) -> torch.Tensor:
    """Average pair losses within each batch element (InstructGPT's 1/C(K,2) for a K-ranking)."""
    sums = torch.zeros(n_items, dtype=per_pair.dtype, device=per_pair.device).index_add(0, item_index, per_pair)
    counts = torch.zeros(n_items, dtype=per_pair.dtype, device=per_pair.device).index_add(
        0, item_index, torch.ones_like(per_pair))
    return sums / counts.clamp_min(1)


def weighted_mean(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return (values * weights).sum() / weights.sum().clamp_min(1e-12)


def center_rewards_penalty(r_a: torch.Tensor, r_b: torch.Tensor, coef: float) -> torch.Tensor:
    """TRL's reward centering: coef · mean((r_c + r_r)²), keeps rewards near zero mean."""
    return coef * torch.mean((r_a + r_b) ** 2)


def strength_margin(strength: int | None, margin_map: dict[int, float]) -> float:
    if strength is None:
        return 0.0
    return float(margin_map.get(strength, 0.0))


def ranking_pairs(k: int) -> list[tuple[int, int]]:
    """All C(k,2) (better, worse) index pairs of a best-first ranking of k responses."""
    return [(i, j) for i in range(k) for j in range(i + 1, k)]


def preference_loss(rewards: torch.Tensor, pair_a: torch.Tensor, pair_b: torch.Tensor,
                    tie: torch.Tensor, margin: torch.Tensor, pair_item: torch.Tensor,
                    item_weight: torch.Tensor, *, nu: float = 1.0,
                    center_coef: float = 0.0) -> torch.Tensor:
    """The training objective for one batch.

    rewards: one scalar per response in the batch; pair_a/pair_b index it (a preferred unless tie);
    pair_item maps each pair to its batch element; item_weight is each element's data weight.
    """
    r_a, r_b = rewards[pair_a], rewards[pair_b]
    per_pair = pairwise_loss(r_a, r_b, tie, margin, nu)
    loss = weighted_mean(mean_per_item(per_pair, pair_item, item_weight.numel()), item_weight)
    if center_coef > 0:
        loss = loss + center_rewards_penalty(r_a, r_b, center_coef)
    return loss
