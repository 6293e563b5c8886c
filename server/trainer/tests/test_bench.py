"""bench.py at a tiny size: output structure and the invariants the comparison rests on (no timings)."""

import json
import subprocess

import pytest
import torch

from arbiter_trainer.bench import padded_forward, padded_inputs, synthetic_pairs
from arbiter_trainer.data import collate, encode_examples, parse_example
from arbiter_trainer.model import TinyConfig, TinyRewardModel, transformers_available
from arbiter_trainer.tokenizer import ByteTokenizer
from conftest import PYTHON, TRAINER_DIR

TINY_ARGS = ["--pairs", "48", "--min-len", "32", "--max-len", "192", "--epochs", "1", "--d-model", "32",
             "--heads", "2", "--d-ff", "64", "--batch-tokens", "1024", "--device", "cpu"]


def _bench(*args: str):
    return subprocess.run([PYTHON, "-m", "arbiter_trainer.bench", *args], cwd=TRAINER_DIR, capture_output=True,
                          text=True, timeout=180)


@pytest.fixture(scope="module")
def report():
    r = _bench(*TINY_ARGS, "--json")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout  # --json: exactly one JSON object on stdout, the trainer's lines go to stderr
    return json.loads(lines[0])


def test_report_structure(report):
    assert report["device"] == "cpu" and report["mfu_note"] == "n/a (CPU)" and report["peak_flops"] is None
    assert report["data"]["train_pairs"] + report["data"]["eval_pairs"] == 48
    for arm in ("baseline", "ours"):
        a = report[arm]
        for key in ("steps", "train_seconds", "pair_tokens", "computed_tokens", "computed_real_tokens", "pad_tokens",
                    "real_tokens_per_s", "computed_real_tokens_per_s", "achieved_tflops", "mfu", "peak_mem_mib",
                    "eval_accuracy", "eval_loss", "train_loss"):
            assert key in a, (arm, key)
        assert a["mfu"] is None  # no invented CPU peak
        assert a["steps"] > 0 and a["train_seconds"] > 0 and a["real_tokens_per_s"] > 0
        assert 0.0 <= a["eval_accuracy"] <= 1.0
        assert a["eval_pairs"] == report["data"]["eval_pairs"]
    assert report["ratio_real_tokens_per_s"] == pytest.approx(
        report["ours"]["real_tokens_per_s"] / report["baseline"]["real_tokens_per_s"])
    assert report["accuracy_diff"] == pytest.approx(report["ours"]["eval_accuracy"] - report["baseline"]["eval_accuracy"])


def test_token_counts_are_consistent(report):
    b, o = report["baseline"], report["ours"]
    # Both arms trained on the same pairs for the same epochs.
    assert b["pair_tokens"] == o["pair_tokens"] > 0
    # The baseline computes every real token, plus padding.
    assert b["computed_real_tokens"] == b["pair_tokens"]
    assert b["computed_tokens"] == b["computed_real_tokens"] + b["pad_tokens"]
    assert b["pad_tokens"] > 0
    # Ours computes each shared prompt once, and pads only the ends of packed rows.
    assert o["computed_real_tokens"] < o["pair_tokens"]
    assert o["computed_tokens"] == o["computed_real_tokens"] + o["pad_tokens"]
    assert o["pad_tokens"] < b["pad_tokens"]
    assert o["pad_tokens"] / o["computed_tokens"] < b["pad_tokens"] / b["computed_tokens"]
    # The computed non-pad rate is the trainer's own tokens_per_s.
    assert o["computed_real_tokens_per_s"] == pytest.approx(o["trainer_tokens_per_s"])
    # Same number of optimizer steps by default (same LR schedule), within one batch of rounding.
    assert abs(b["steps"] - o["steps"]) <= max(2, o["steps"] // 4)


def test_baseline_padded_forward_gives_the_trainers_rewards():
    """The baseline runs the same model function: padded rows score like the trainer's shared packing."""
    tok = ByteTokenizer()
    rows = synthetic_pairs(6, 24, 160, seed=3)
    els = encode_examples([parse_example(r, f"row{i}") for i, r in enumerate(rows)], tok, 160, keep_ties=False)
    torch.manual_seed(0)
    model = TinyRewardModel(TinyConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_position_embeddings=160)).eval()
    with torch.no_grad():
        packed = model(**collate(els, "shared", tok.pad_id, 0).model_inputs())
        chosen = padded_forward(model, padded_inputs([e.prompt_ids + e.response_ids[0] for e in els], tok.pad_id))
        rejected = padded_forward(model, padded_inputs([e.prompt_ids + e.response_ids[1] for e in els], tok.pad_id))
    assert torch.allclose(packed[0::2], chosen, atol=1e-5)
    assert torch.allclose(packed[1::2], rejected, atol=1e-5)


def test_synthetic_lengths_stay_in_the_requested_spread():
    tok = ByteTokenizer()
    rows = synthetic_pairs(200, 128, 2048, seed=0)
    lengths = [len(tok.encode(r["prompt"], r[k])) for r in rows
               for k in ("chosen", "rejected")]
    assert min(lengths) >= 100 and max(lengths) <= 2048
    assert max(lengths) > 1500 and min(lengths) < 200  # a real spread, not one length
    assert all(r["prompt"].startswith("\n\nHuman:") and r["prompt"].endswith("\n\nAssistant:") for r in rows)


@pytest.mark.skipif(transformers_available(), reason="transformers imports here; the HF path runs instead")
def test_qwen_without_transformers_is_a_clear_error():
    r = _bench("--model", "qwen2-0.5b", "--pairs", "8", "--json")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("error: --model qwen2-0.5b: needs the transformers package")
    assert "Traceback" not in r.stderr


def test_keep_model_leaves_a_loadable_model_without_checkpoints(tmp_path):
    from arbiter_trainer.model import load_reward_model

    keep = tmp_path / "rm"
    r = _bench(*TINY_ARGS, "--json", "--keep-model", str(keep))
    assert r.returncode == 0, r.stderr
    assert (keep / "config.json").exists() and not (keep / "checkpoints").exists()
    model, _, info = load_reward_model(str(keep), torch.device("cpu"))
    assert info["model_type"] == "arbiter-tiny" and info["reward_std"] > 0


@pytest.mark.skipif(not transformers_available(), reason="needs transformers (the HF venv)")
def test_chat_template_both_arms_train_on_the_templates_rendering(tmp_path):
    """--chat-template: every sequence either arm trains on is apply_chat_template of the pair's conversation
    (as TRL's RewardTrainer renders conversational data), and ours shares exactly the template's prompt tokens."""
    from transformers import AutoTokenizer

    from arbiter_trainer.bench import build_setup, parse_args
    from arbiter_trainer.chat import conversation
    from arbiter_trainer.model import build_model
    from arbiter_trainer.train import _load_data

    args = parse_args(["--model", "qwen2-mini", "--chat-template", "--pairs", "24", "--min-len", "48", "--max-len", "200",
                       "--device", "cpu"])
    assert args.lr == 3e-4 and args.epochs == 2
    setup, _ = build_setup(args, str(tmp_path))
    hf = AutoTokenizer.from_pretrained(setup.cfg.base)
    assert hf.chat_template and hf.eos_token == "<|im_end|>"
    _, tok = build_model(setup.cfg, torch.device("cpu"), False)
    train_el, eval_el = _load_data(setup.cfg, tok)
    rows = [json.loads(line) for line in open(setup.cfg.train_file, encoding="utf-8")]
    expected = {tuple(hf.apply_chat_template(conversation(r["prompt"], r[k]), tokenize=True, return_dict=True)["input_ids"])
                for r in rows for k in ("chosen", "rejected")}
    start = hf.convert_tokens_to_ids("<|im_start|>")
    seen = set()
    for e in train_el + eval_el:
        assert e.prompt_ids and e.prompt_ids[0] == start  # the template's prompt tokens, shared by both responses
        for r in e.response_ids:
            seen.add(tuple(e.prompt_ids + r))  # the baseline pads exactly these (padded_inputs)
        assert (e.prompt_ids + e.response_ids[0]) != (e.prompt_ids + e.response_ids[1])
    assert seen == expected

