"""The tiny model: packed == padded, prefix-shared == unshared, save/load round trip."""

import json
import os

import pytest
import torch

from arbiter_trainer.data import collate, encode_examples, parse_example
from arbiter_trainer.model import (ModelDirError, TinyConfig, TinyRewardModel, attention_mask,
                                   load_reward_model, save_model_dir)
from arbiter_trainer.tokenizer import ByteTokenizer
from conftest import synthetic_rows

TOK = ByteTokenizer()


def _model(seed=0, **kw):
    torch.manual_seed(seed)
    return TinyRewardModel(TinyConfig(**{"d_model": 64, "n_layers": 2, "n_heads": 4, "d_ff": 128, **kw})).eval()


def _elements(n=12):
    rows = synthetic_rows(n, seed=5, ties=2, rankings=3)
    rows.append({"prompt": "", "chosen": "", "rejected": "same"})  # empty prompt and response are valid
    return encode_examples([parse_example(r, f"x:{i}") for i, r in enumerate(rows)], TOK, 96, keep_ties=True)


def _rewards(model, elements, layout, row_tokens=None):
    return model(**collate(elements, layout, TOK.pad_id, row_tokens).model_inputs())


def test_packed_forward_equals_padded_forward():
    model, els = _model(), _elements()
    padded = _rewards(model, els, "padded")
    for row_tokens in (None, 0, 150):
        torch.testing.assert_close(_rewards(model, els, "packed", row_tokens), padded, atol=1e-5, rtol=0)


def test_prefix_shared_forward_equals_unshared():
    model, els = _model(seed=1), _elements()
    unshared = _rewards(model, els, "padded")
    for row_tokens in (None, 0):
        torch.testing.assert_close(_rewards(model, els, "shared", row_tokens), unshared, atol=1e-5, rtol=0)


def test_prefix_shared_gradients_equal_unshared():
    els = _elements(6)
    grads = []
    for layout in ("shared", "padded"):
        model = _model(seed=2).train()
        _rewards(model, els, layout).square().sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    torch.testing.assert_close(grads[0], grads[1], atol=1e-5, rtol=1e-4)


def test_mask_hides_sibling_responses_and_other_sequences():
    # row: [p p a a b | q r r] — segment 0 = prompt + responses a, b; segment 1 = a plain sequence
    seg = torch.tensor([[0, 0, 0, 0, 0, 1, 1, 1]])
    br = torch.tensor([[0, 0, 1, 1, 2, 0, 0, 0]])
    m = attention_mask(seg, br)[0, 0]
    assert m[4].tolist() == [True, True, False, False, True, False, False, False]  # b sees prompt + itself
    assert m[3].tolist() == [True, True, True, True, False, False, False, False]
    assert m[7].tolist() == [False] * 5 + [True] * 3


def test_save_and_load_round_trip(tmp_path):
    model, els = _model(), _elements(4)
    save_model_dir(model, TOK, str(tmp_path), max_length=96, train_config={"seed": 0})
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["architectures"] == ["ArbiterTinyForSequenceClassification"]
    assert cfg["model_type"] == "arbiter-tiny" and cfg["num_labels"] == 1 and cfg["d_model"] == 64
    tok_cfg = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert tok_cfg["arbiter_tokenizer"] == "byte" and tok_cfg["model_max_length"] == 96
    assert (tmp_path / "special_tokens_map.json").exists() and (tmp_path / "tokenizer.json").exists()
    assert (tmp_path / "model.safetensors").exists() or (tmp_path / "pytorch_model.bin").exists()
    loaded, tok, info = load_reward_model(str(tmp_path), torch.device("cpu"))
    assert info["max_length"] == 96 and info["reward_std"] == 1.0
    torch.testing.assert_close(_rewards(loaded, els, "packed"), _rewards(model, els, "packed"), atol=0, rtol=0)


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(ModelDirError, match="does not exist"):
        load_reward_model(str(tmp_path / "nope"), torch.device("cpu"))
    with pytest.raises(ModelDirError, match="no config.json"):
        load_reward_model(str(tmp_path), torch.device("cpu"))
    save_model_dir(_model(), TOK, str(tmp_path), max_length=64)
    weights = [n for n in os.listdir(tmp_path) if n in ("model.safetensors", "pytorch_model.bin")][0]
    (tmp_path / weights).write_bytes(b"garbage")
    with pytest.raises(ModelDirError, match="corrupt"):
        load_reward_model(str(tmp_path), torch.device("cpu"))
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelDirError, match="corrupt"):
        load_reward_model(str(tmp_path), torch.device("cpu"))


def test_gradient_checkpointing_gives_the_same_gradients():
    els = _elements(4)
    grads = []
    for ckpt in (False, True):
        model = _model(seed=3).train()
        model.grad_checkpointing = ckpt
        _rewards(model, els, "shared", 0).square().sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    torch.testing.assert_close(grads[0], grads[1], atol=1e-6, rtol=1e-5)


def test_a_configured_row_cap_applies_to_dense_mask_layouts_only():
    from arbiter_trainer.model import HFRewardModel, row_cap

    tiny = TinyRewardModel(TinyConfig(d_model=16, n_layers=1, n_heads=2, d_ff=32))
    assert row_cap(tiny, None) == 0 and row_cap(tiny, 4096) == 4096
    varlen = HFRewardModel(torch.nn.Identity(), "packed", None)  # flash-attn: one row, whatever the config says
    assert row_cap(varlen, 4096) is None and row_cap(varlen, None) is None
    masked = HFRewardModel(torch.nn.Identity(), "shared", 0)
    assert row_cap(masked, 2048) == 2048 and row_cap(masked, None) == 0
