"""Losses against values computed by hand (math module, not torch)."""

import math

import pytest
import torch

from arbiter_trainer.losses import (DEFAULT_MARGIN_MAP, bradley_terry_loss, center_rewards_penalty,
                                    davidson_tie_loss, mean_per_item, pairwise_loss, preference_loss,
                                    ranking_pairs, strength_margin, weighted_mean)

t = torch.tensor


def test_bradley_terry_hand_values():
    # -log σ(1) = log(1 + e^-1);  -log σ(-2) = log(1 + e^2);  with margin 1: -log σ(0) = log 2
    got = bradley_terry_loss(t([1.0, 0.0, 1.0]), t([0.0, 2.0, 0.0]), t([0.0, 0.0, 1.0]))
    want = [math.log(1 + math.exp(-1)), math.log(1 + math.exp(2)), math.log(2)]
    assert got.tolist() == pytest.approx(want, abs=1e-6)
    assert bradley_terry_loss(t([3.0]), t([1.0])).item() == pytest.approx(math.log(1 + math.exp(-2)), abs=1e-6)


def test_margin_from_strength_is_llama2_small():
    assert DEFAULT_MARGIN_MAP == pytest.approx({1: 0.0, 2: 1 / 3, 3: 2 / 3, 4: 1.0})
    assert strength_margin(None, DEFAULT_MARGIN_MAP) == 0.0
    assert strength_margin(3, DEFAULT_MARGIN_MAP) == pytest.approx(2 / 3)
    assert strength_margin(4, {4: 2.5}) == 2.5


def test_davidson_tie_hand_values():
    # -log P(tie) = log(e^{d/2} + e^{-d/2} + ν) − log ν
    d = davidson_tie_loss(t([0.0, 2.0, 0.0, -2.0]), t([0.0, 0.0, 0.0, 0.0]), nu=1.0)
    want = [math.log(3), math.log(math.e + math.exp(-1) + 1), math.log(3), math.log(math.e + math.exp(-1) + 1)]
    assert d.tolist() == pytest.approx(want, abs=1e-6)
    assert davidson_tie_loss(t([0.0]), t([0.0]), nu=0.5).item() == pytest.approx(math.log(2.5 / 0.5), abs=1e-6)
    # stable far out: log(e^{50} + …) ≈ 50
    assert davidson_tie_loss(t([100.0]), t([0.0])).item() == pytest.approx(50.0, abs=1e-4)


def test_tie_loss_pulls_rewards_together():
    ra = torch.tensor([1.5], requires_grad=True)
    davidson_tie_loss(ra, t([0.0])).sum().backward()
    assert ra.grad.item() > 0  # descending lowers r_a toward r_b
    rb = torch.tensor([0.0], requires_grad=True)
    davidson_tie_loss(t([0.0]), rb).sum().backward()
    assert rb.grad.item() == 0.0


def test_tie_aware_loss_reduces_exactly_to_bt_without_ties():
    torch.manual_seed(0)
    ra, rb, m = torch.randn(32), torch.randn(32), torch.rand(32)
    no_ties = torch.zeros(32, dtype=torch.bool)
    assert torch.equal(pairwise_loss(ra, rb, no_ties, m, nu=0.7), bradley_terry_loss(ra, rb, m))
    ties = no_ties.clone()
    ties[3] = True
    mixed = pairwise_loss(ra, rb, ties, m)
    assert mixed[3].item() == pytest.approx(davidson_tie_loss(ra[3:4], rb[3:4]).item())
    assert torch.equal(mixed[~ties], bradley_terry_loss(ra, rb, m)[~ties])


def test_ranking_pairs_k4_gives_six():
    assert ranking_pairs(4) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert len(ranking_pairs(5)) == 10


def test_kwise_is_mean_over_pairs_of_one_item():
    # one ranked item (K=3, 3 pairs) and one pair, item weights 1 and 3
    per_pair = t([1.0, 2.0, 3.0, 10.0])
    per_item = mean_per_item(per_pair, t([0, 0, 0, 1]), 2)
    assert per_item.tolist() == [2.0, 10.0]
    assert weighted_mean(per_item, t([1.0, 3.0])).item() == pytest.approx((2 + 30) / 4)


def test_center_rewards_penalty():
    assert center_rewards_penalty(t([1.0, 2.0]), t([1.0, 0.0]), 0.01).item() == pytest.approx(0.04)


def test_preference_loss_end_to_end_by_hand():
    # rewards of 4 responses: item 0 = pair (0 ≻ 1, margin 1), item 1 = tie (2, 3)
    rewards = t([2.0, 0.0, 0.5, 0.5])
    loss = preference_loss(rewards, t([0, 2]), t([1, 3]), t([False, True]), t([1.0, 0.0]), t([0, 1]),
                           t([1.0, 1.0]), nu=1.0, center_coef=0.1)
    bt = math.log(1 + math.exp(-(2 - 0 - 1)))
    tie = math.log(3)
    center = 0.1 * ((2 + 0) ** 2 + (0.5 + 0.5) ** 2) / 2
    assert loss.item() == pytest.approx((bt + tie) / 2 + center, abs=1e-6)
