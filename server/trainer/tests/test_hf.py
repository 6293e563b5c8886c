"""HF path (transformers / peft): skipped where they are not installed (Debian CI has neither).

Random-init tiny Llama from a config.json: no weights are downloaded, ever.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess

import pytest
import torch

transformers = pytest.importorskip("transformers")

from arbiter_trainer.config import config_from_dict  # noqa: E402
from arbiter_trainer.data import collate, encode_examples, parse_example  # noqa: E402
from arbiter_trainer.model import HFRewardModel, build_model, hf_layout, load_reward_model  # noqa: E402
from arbiter_trainer.serve import score_texts  # noqa: E402
from arbiter_trainer.tokenizer import ByteTokenizer  # noqa: E402
from arbiter_trainer.train import train  # noqa: E402
from conftest import PYTHON, TRAINER_DIR, protocol_lines, synthetic_rows, write_jsonl  # noqa: E402


@pytest.fixture
def llama_config(tmp_path):
    cfg = transformers.LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    cfg.save_pretrained(str(tmp_path / "base"))
    return str(tmp_path / "base" / "config.json")


def _cfg(tmp_path, base, **kw):
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(40, seed=7, rankings=4))
    return config_from_dict({"train_file": "train.jsonl", "output_dir": "model", "base": base, "max_length": 64,
                             "batch_tokens": 1024, "device": "cpu", "init": "random", **kw}, str(tmp_path))


def test_hf_reward_is_the_models_own_last_token_score(tmp_path, llama_config):
    model, tok = build_model(_cfg(tmp_path, llama_config), torch.device("cpu"), bf16=False)
    model.eval()
    els = encode_examples([parse_example(r, "x") for r in synthetic_rows(3, seed=1)], tok, 64, keep_ties=False)
    batch = collate(els, model.layout, tok.pad_id)
    rewards = model(**batch.model_inputs())
    inner = model.seq_cls_model()
    for i, el in enumerate(els):
        for k, resp in enumerate(el.response_ids):
            ids = torch.tensor([el.prompt_ids + resp])
            own = inner(input_ids=ids).logits[0, 0]
            assert rewards[2 * i + k].item() == pytest.approx(own.item(), abs=1e-4)


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_hf_mask_layouts_give_the_padded_rewards(arch, attn):
    """Packed rows and prefix sharing through a 4D mask score every response as padding does, to 1e-5."""
    torch.manual_seed(0)
    cfg = transformers.AutoConfig.for_model(arch, vocab_size=300, hidden_size=32, intermediate_size=64,
                                            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                            max_position_embeddings=512, num_labels=1, pad_token_id=0)
    inner = transformers.AutoModelForSequenceClassification.from_config(cfg, attn_implementation=attn).eval()
    rows = synthetic_rows(6, seed=3, rankings=3)
    tok = ByteTokenizer()  # what build_model uses for a bare config
    els = encode_examples([parse_example(r, "x") for r in rows], tok, 128, keep_ties=False)
    assert any(len(e.response_ids) > 2 for e in els)
    rewards = {}
    for layout, row_tokens in (("padded", None), ("packed", 0), ("shared", 0)):
        model = HFRewardModel(inner, layout, row_tokens)
        with torch.no_grad():
            rewards[layout] = model(**collate(els, layout, tok.pad_id, row_tokens).model_inputs())
    assert torch.allclose(rewards["packed"], rewards["padded"], atol=1e-5)
    assert torch.allclose(rewards["shared"], rewards["padded"], atol=1e-5)
    assert hf_layout(attn, prefix_sharing=True) == ("shared", 0)
    assert hf_layout(attn, prefix_sharing=False) == ("packed", 0)


def test_hf_train_save_and_serve(tmp_path, llama_config, capsys):
    result = train(_cfg(tmp_path, llama_config, epochs=1))
    lines = protocol_lines(capsys.readouterr().out)
    assert result["status"] == "done" and lines[-1]["type"] == "done"
    out = tmp_path / "model"
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["architectures"] == ["LlamaForSequenceClassification"]
    assert transformers.AutoConfig.from_pretrained(str(out)).num_labels == 1  # v5 writes id2label only
    assert json.loads((out / "tokenizer_config.json").read_text())["arbiter_tokenizer"] == "byte"
    model, tok, info = load_reward_model(str(out), torch.device("cpu"))
    items = [("p", "good answer"), ("p", "meh"), ("longer prompt here", "x" * 40)]
    together = score_texts(model, tok, items, max_length=info["max_length"], batch_tokens=10000,
                           device=torch.device("cpu"))
    single = [score_texts(model, tok, [it], max_length=info["max_length"], batch_tokens=10000,
                          device=torch.device("cpu"))[0] for it in items]
    assert together == pytest.approx(single, abs=1e-4)


def test_hf_lora_merges_into_a_plain_model(tmp_path, llama_config, capsys):
    pytest.importorskip("peft")
    result = train(_cfg(tmp_path, llama_config, epochs=1, lora={"r": 4, "alpha": 8}, grad_checkpointing=True))
    capsys.readouterr()
    assert result["status"] == "done"
    names = os.listdir(tmp_path / "model")
    assert "adapter_config.json" not in names and "config.json" in names
    load_reward_model(str(tmp_path / "model"), torch.device("cpu"))


def test_hf_weights_are_fp32_unless_a_lora_base_is_bf16(tmp_path):
    """transformers 5 builds in the config's dtype (Qwen2's says bfloat16): full fine-tuning must not train bf16
    weights, and under bf16 LoRA the frozen base is bf16 while every trainable tensor (adapters, head) is fp32."""
    pytest.importorskip("peft")
    cfg = transformers.AutoConfig.for_model("qwen2", vocab_size=300, hidden_size=32, intermediate_size=64,
                                            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                            max_position_embeddings=256, torch_dtype="bfloat16")
    cfg.save_pretrained(str(tmp_path / "base"))
    base = str(tmp_path / "base")
    full, _ = build_model(_cfg(tmp_path, base), torch.device("cpu"), bf16=True)
    assert {p.dtype for p in full.parameters()} == {torch.float32}
    lora, tok = build_model(_cfg(tmp_path, base, lora={"r": 4, "alpha": 8}), torch.device("cpu"), bf16=True)
    trainable = {p.dtype for p in lora.parameters() if p.requires_grad}
    frozen = {p.dtype for n, p in lora.named_parameters() if not p.requires_grad and "score" not in n}
    assert trainable == {torch.float32} and frozen == {torch.bfloat16}
    els = encode_examples([parse_example(r, "x") for r in synthetic_rows(3, seed=1)], tok, 64, keep_ties=False)
    rewards = lora(**collate(els, lora.layout, tok.pad_id, lora.row_tokens).model_inputs())
    assert rewards.dtype == torch.float32 and torch.isfinite(rewards).all()
    rewards.sum().backward()
    assert all(p.grad is not None for p in lora.parameters() if p.requires_grad)


def test_hf_lora_under_torchrun_two_gloo_processes(tmp_path, llama_config):
    """The multi-GPU path with an HF base and LoRA, on CPU: DDP over 2 gloo ranks, rank 0 saves a merged model."""
    pytest.importorskip("peft")
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(60, seed=6))
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"train_file": "train.jsonl", "output_dir": "model", "base": llama_config,
                                  "epochs": 1, "max_length": 64, "batch_tokens": 1024, "eval_fraction": 0.2,
                                  "lora": {"r": 4, "alpha": 8}, "device": "cpu", "init": "random"}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [PYTHON, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2", "--master_addr",
           "127.0.0.1", "--master_port", str(port), "-m", "arbiter_trainer", "train", "--config", str(config)]
    env = {**os.environ, "PYTHONPATH": TRAINER_DIR, "ARBITER_DIST_TIMEOUT_S": "45"}
    proc = subprocess.Popen(cmd, cwd=TRAINER_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=150)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err
    lines = protocol_lines(out)
    assert lines[-1]["type"] == "done" and lines[-1]["metrics"]["world_size"] == 2
    assert "adapter_config.json" not in os.listdir(tmp_path / "model")
    model, tok, info = load_reward_model(str(tmp_path / "model"), torch.device("cpu"))
    assert info["model_type"] == "llama" and model.layout == "packed"
