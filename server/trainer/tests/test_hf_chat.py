"""Real bases and real conventions, checked with plain transformers (HF venv only; skipped on Debian's torch 1.13).

A tiny Qwen2/Llama base is built offline (tiny_hf.py: `tokenizers` BPE, ChatML template, safetensors weights);
a Hub id is served from a temporary HF_HOME laid out as the hub cache, with HF_HUB_OFFLINE=1.
"""

import json
import os

import pytest
import torch

transformers = pytest.importorskip("transformers")

from arbiter_trainer.chat import prompt_text  # noqa: E402
from arbiter_trainer.config import config_from_dict  # noqa: E402
from arbiter_trainer.data import collate, encode_examples, parse_example  # noqa: E402
from arbiter_trainer.model import HFRewardModel, build_model, load_reward_model  # noqa: E402
from arbiter_trainer.serve import score_texts  # noqa: E402
from arbiter_trainer.tokenizer import ByteTokenizer  # noqa: E402
from arbiter_trainer.train import train  # noqa: E402
from conftest import FAST_TINY, protocol_lines, run_cli, synthetic_rows, write_jsonl  # noqa: E402
from tiny_hf import build_tiny_chat_model, hub_cache_layout  # noqa: E402

CPU = torch.device("cpu")
ITEMS = [
    ([{"role": "system", "content": "be brief"}, {"role": "user", "content": "what is a river?"},
      {"role": "assistant", "content": "water"}, {"role": "user", "content": "and a stone?"}], "a hard thing"),
    ("\n\nHuman: hello world\n\nAssistant: hi\n\nHuman: why?\n\nAssistant:", "because good"),
    ("plain question", "plain answer okay"),
    ("q", ""),
]


def _rows_with_messages(n: int, seed: int) -> list[dict]:
    rows = synthetic_rows(n, seed=seed)
    for i, r in enumerate(rows[::3]):
        r["prompt"] = [{"role": "user", "content": r["prompt"]}] if i % 2 else \
            f"\n\nHuman: {r['prompt']}\n\nAssistant: sure\n\nHuman: more?\n\nAssistant:"
    return rows


def _train(tmp_path, base, capsys=None, **kw):
    write_jsonl(tmp_path / "train.jsonl", _rows_with_messages(60, seed=3))
    cfg = config_from_dict({"train_file": "train.jsonl", "output_dir": "model", "base": base, "max_length": 96,
                            "batch_tokens": 2048, "device": "cpu", "epochs": 1, "lr": 1e-3, **kw}, str(tmp_path))
    result = train(cfg)
    if capsys is not None:
        capsys.readouterr()
    assert result["status"] == "done"
    return str(tmp_path / "model")


def _hf_rewards(model_dir: str, items, max_length: int | None = None) -> list[float]:
    """What a user gets with plain transformers: the saved tokenizer's chat template, the model's logits,
    normalized with reward_stats.json; an over-long conversation keeps its last max_length tokens."""
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    rm = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    stats = json.load(open(os.path.join(model_dir, "reward_stats.json")))
    out = []
    for prompt, response in items:
        messages = prompt if isinstance(prompt, list) else None
        if messages is None:  # chat.py's documented rule for string prompts
            from arbiter_trainer.chat import hh_messages
            messages = hh_messages(prompt) or [{"role": "user", "content": prompt}]
        conversation = messages + [{"role": "assistant", "content": response}]
        enc = tok.apply_chat_template(conversation, tokenize=True, return_dict=True, return_tensors="pt")
        ids = enc["input_ids"][:, -(max_length or tok.model_max_length):]
        with torch.no_grad():
            raw = rm(input_ids=ids).logits[0, 0].item()
        out.append((raw - stats["mean"]) / stats["std"])
    return out


def _ours(model_dir: str, items) -> list[float]:
    model, tok, info = load_reward_model(model_dir, CPU)
    raw = score_texts(model, tok, items, max_length=info["max_length"], batch_tokens=4096, device=CPU)
    return [(x - info["reward_mean"]) / info["reward_std"] for x in raw]


@pytest.mark.parametrize("arch", ["qwen2", "llama"])
def test_chat_template_rewards_equal_plain_transformers(tmp_path, arch, capsys):
    base = build_tiny_chat_model(tmp_path / "base", arch=arch)
    out = _train(tmp_path, base, capsys)
    assert os.path.exists(os.path.join(out, "chat_template.jinja")) or \
        json.load(open(os.path.join(out, "tokenizer_config.json"))).get("chat_template")
    ours, theirs = _ours(out, ITEMS), _hf_rewards(out, ITEMS)
    assert ours == pytest.approx(theirs, abs=1e-3)
    assert max(ours) - min(ours) > 1e-3  # not a constant


def test_weights_are_the_bases_not_random(tmp_path):
    """init pretrained (the default) loads the base's weights: the backbone equals the causal LM's."""
    base = build_tiny_chat_model(tmp_path / "base")
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(4))
    raw = {"train_file": "train.jsonl", "output_dir": "m", "base": base, "device": "cpu", "seed": 7}
    model, _ = build_model(config_from_dict(raw, str(tmp_path)), CPU, bf16=False)
    lm = transformers.AutoModelForCausalLM.from_pretrained(base)
    assert torch.equal(model.seq_cls_model().model.embed_tokens.weight, lm.model.embed_tokens.weight)
    rnd, _ = build_model(config_from_dict({**raw, "init": "random"}, str(tmp_path)), CPU, bf16=False)
    assert not torch.equal(rnd.seq_cls_model().model.embed_tokens.weight, lm.model.embed_tokens.weight)


def test_prefix_sharing_with_a_template_gives_the_padded_rewards(tmp_path):
    base = build_tiny_chat_model(tmp_path / "base")
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(4))
    cfg = config_from_dict({"train_file": "train.jsonl", "output_dir": "m", "base": base, "device": "cpu"}, str(tmp_path))
    model, tok = build_model(cfg, CPU, bf16=False)
    model.eval()
    rows = _rows_with_messages(9, seed=5) + [{"prompt": "p", "ranking": ["good one", "fine", "meh", "good"]}]
    els = encode_examples([parse_example(r, "x") for r in rows], tok, 96, keep_ties=False)
    assert all(len(e.prompt_ids) > 5 for e in els)  # the template's prompt tokens are shared
    inner = model.seq_cls_model()
    rewards = {}
    for layout, row_tokens in (("padded", None), ("packed", 0), ("shared", 0)):
        with torch.no_grad():
            rewards[layout] = HFRewardModel(inner, layout, row_tokens)(
                **collate(els, layout, tok.pad_id, row_tokens).model_inputs())
    assert torch.allclose(rewards["shared"], rewards["padded"], atol=1e-5)
    assert torch.allclose(rewards["packed"], rewards["padded"], atol=1e-5)


def test_a_pair_longer_than_max_length_keeps_its_end_everywhere(tmp_path, capsys):
    base = build_tiny_chat_model(tmp_path / "base")
    out = _train(tmp_path, base, capsys, max_length=40)
    long_items = [("alpha beta gamma " * 30, "good answer"), ([{"role": "user", "content": "river " * 50}], "x " * 30)]
    tok = transformers.AutoTokenizer.from_pretrained(out)
    assert tok.model_max_length == 40 and tok.truncation_side == "left"
    assert all(len(tok.apply_chat_template([{"role": "user", "content": p if isinstance(p, str) else p[0]["content"]},
                                            {"role": "assistant", "content": r}], tokenize=True,
                                           return_dict=True)["input_ids"]) > 40
               for p, r in long_items)
    assert _ours(out, long_items) == pytest.approx(_hf_rewards(out, long_items, max_length=40), abs=1e-3)


def test_hub_id_from_an_offline_cache(tmp_path):
    base = build_tiny_chat_model(tmp_path / "base")
    hub_cache_layout(tmp_path / "hf", "acme/tiny-chat", base)
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(30, seed=2))
    (tmp_path / "run.json").write_text(json.dumps({"train_file": "train.jsonl", "output_dir": "model",
                                                   "base": "acme/tiny-chat", "max_length": 64, "device": "cpu"}))
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    r = run_cli("train", "--config", str(tmp_path / "run.json"), env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert protocol_lines(r.stdout)[-1]["type"] == "done"
    assert bool(transformers.AutoTokenizer.from_pretrained(str(tmp_path / "model")).chat_template)
    (tmp_path / "run.json").write_text(json.dumps({"train_file": "train.jsonl", "output_dir": "model2",
                                                   "base": "acme/not-cached", "device": "cpu"}))
    r = run_cli("train", "--config", str(tmp_path / "run.json"), env=env, timeout=300)
    assert r.returncode == 1
    (line,) = protocol_lines(r.stdout)
    assert line["type"] == "error" and line["message"].startswith("base acme/not-cached: ") and "HF_HUB_OFFLINE" in line["message"]
    listed = run_cli("bases", "--json", env=env)
    assert [b["id"] for b in json.loads(listed.stdout)["bases"]] == ["acme/tiny-chat"]
    # a trained reward model published under a Hub id scores through the same cache
    hub_cache_layout(tmp_path / "hf", "acme/tiny-rm", tmp_path / "model")
    stdin = json.dumps({"id": 1, "prompt": "plain question", "response": "good"}) + "\n"
    by_id = run_cli("serve", "--model", "acme/tiny-rm", "--device", "cpu", input=stdin, env=env, timeout=300)
    by_dir = run_cli("serve", "--model", str(tmp_path / "model"), "--device", "cpu", input=stdin, timeout=300)
    assert by_id.returncode == 0, by_id.stderr
    assert protocol_lines(by_id.stdout)[1]["reward"] == pytest.approx(protocol_lines(by_dir.stdout)[1]["reward"], abs=1e-6)


@pytest.mark.parametrize("damage", ["truncate", "missing"])
def test_unreadable_weights_fail_naming_base_and_file(tmp_path, damage):
    base = build_tiny_chat_model(tmp_path / "base")
    weights = os.path.join(base, "model.safetensors")
    if damage == "truncate":
        with open(weights, "r+b") as f:
            f.truncate(os.path.getsize(weights) - 100)
    else:
        os.remove(weights)
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(10))
    (tmp_path / "run.json").write_text(json.dumps({"train_file": "train.jsonl", "output_dir": "model", "base": base}))
    r = run_cli("train", "--config", str(tmp_path / "run.json"), timeout=300)
    assert r.returncode == 1
    (line,) = protocol_lines(r.stdout)
    assert line["type"] == "error" and line["message"].startswith(f"base {base}: ")
    assert ("model.safetensors" in line["message"]) if damage == "truncate" else ("no weights" in line["message"])
    assert not os.path.exists(tmp_path / "model" / "config.json")  # never a silent random init


@pytest.mark.parametrize("base", ["tiny", "llama-config"])
def test_byte_tokenizer_folders_load_with_autotokenizer(tmp_path, base, capsys):
    """The byte tokenizer is saved as a real tokenizers tokenizer: AutoTokenizer(prompt_text, response) gives the
    ids the trainer used, for the tiny model and for an HF model trained from a bare config.json."""
    if base == "llama-config":
        transformers.LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2,
                                 max_position_embeddings=256).save_pretrained(str(tmp_path / "cfg"))
        out = _train(tmp_path, str(tmp_path / "cfg" / "config.json"), capsys, init="random")
    else:
        out = _train(tmp_path, "tiny", capsys, tiny=FAST_TINY)
    tok = transformers.AutoTokenizer.from_pretrained(out)
    assert len(tok) == ByteTokenizer.vocab_size and tok.pad_token_id == ByteTokenizer.PAD
    ours = ByteTokenizer()
    for prompt, response in ITEMS + [("héllo 😀\n\ttabs", "  spaces  "), ("<s> literal", "</s>")]:
        ids = tok(prompt_text(prompt), response)["input_ids"]
        assert ids == ours.encode(prompt, response), (prompt, response)
        assert tok.decode(ids[1:-1], skip_special_tokens=True) == prompt_text(prompt) + response
    if base == "llama-config":
        model, _, info = load_reward_model(out, CPU)
        rm = transformers.AutoModelForSequenceClassification.from_pretrained(out).eval()
        ids = torch.tensor([tok("plain question", "plain answer")["input_ids"]])
        h = getattr(rm, rm.base_model_prefix)(input_ids=ids).last_hidden_state
        (raw,) = score_texts(model, ours, [("plain question", "plain answer")], max_length=info["max_length"],
                             batch_tokens=4096, device=CPU)
        assert rm.score(h[0, -1]).item() == pytest.approx(raw, abs=1e-4)


def test_without_a_template_the_plain_rendering_equals_transformers(tmp_path, capsys):
    """A real BPE base without a chat template: tok(prompt_text + response + eos) and .logits, as the README says."""
    base = build_tiny_chat_model(tmp_path / "base", chat_template=None)
    out = _train(tmp_path, base, capsys)
    tok = transformers.AutoTokenizer.from_pretrained(out)
    assert not tok.chat_template
    rm = transformers.AutoModelForSequenceClassification.from_pretrained(out).eval()
    stats = json.load(open(os.path.join(out, "reward_stats.json")))
    theirs = []
    for prompt, response in ITEMS:
        ids = tok(prompt_text(prompt) + response + tok.eos_token, return_tensors="pt")["input_ids"][:, -96:]
        with torch.no_grad():
            theirs.append((rm(input_ids=ids).logits[0, 0].item() - stats["mean"]) / stats["std"])
    assert _ours(out, ITEMS) == pytest.approx(theirs, abs=1e-3)


def test_the_serve_worker_gives_the_transformers_rewards(tmp_path, capsys):
    base = build_tiny_chat_model(tmp_path / "base")
    out = _train(tmp_path, base, capsys)
    stdin = "".join(json.dumps({"id": i, "prompt": p, "response": r}) + "\n" for i, (p, r) in enumerate(ITEMS))
    proc = run_cli("serve", "--model", out, "--device", "cpu", input=stdin, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = protocol_lines(proc.stdout)
    assert lines[0]["type"] == "ready"
    served = [line["reward"] for line in sorted(lines[1:], key=lambda x: x["id"])]
    assert served == pytest.approx(_hf_rewards(out, ITEMS), abs=1e-3)
