"""Scoring worker: round trip over stdin/stdout, batching invariance, normalisation, errors."""

import json

import pytest
import torch

from arbiter_trainer.model import TinyConfig, TinyRewardModel, load_reward_model, save_model_dir
from arbiter_trainer.serve import score_texts
from arbiter_trainer.tokenizer import ByteTokenizer
from conftest import protocol_lines, run_cli

MEAN, STD = 0.25, 2.0


@pytest.fixture
def model_dir(tmp_path):
    torch.manual_seed(0)
    model = TinyRewardModel(TinyConfig(d_model=32, n_layers=2, n_heads=2, d_ff=64, max_position_embeddings=128))
    save_model_dir(model, ByteTokenizer(), str(tmp_path / "m"), max_length=128)
    (tmp_path / "m" / "reward_stats.json").write_text(json.dumps({"mean": MEAN, "std": STD}))
    return str(tmp_path / "m")


ITEMS = [("What is 2+2?", "4"), ("What is 2+2?", "five, probably " * 3), ("", ""), ("Tell me a story", "x" * 300),
         ("héllo ✓", "ünïcode response")]


def test_batch_equals_one_at_a_time(model_dir):
    model, tok, info = load_reward_model(model_dir, torch.device("cpu"))
    kw = dict(max_length=info["max_length"], device=torch.device("cpu"))
    together = score_texts(model, tok, ITEMS, batch_tokens=100000, **kw)
    small = score_texts(model, tok, ITEMS, batch_tokens=1, **kw)
    single = [score_texts(model, tok, [it], batch_tokens=100000, **kw)[0] for it in ITEMS]
    assert together == pytest.approx(single, abs=1e-4) and small == pytest.approx(single, abs=1e-4)
    assert score_texts(model, tok, ITEMS, batch_tokens=100000, **kw) == together  # deterministic


def test_serve_round_trip(model_dir):
    requests = [{"id": i, "prompt": p, "response": r} for i, (p, r) in enumerate(ITEMS)]
    requests.append({"id": "batch", "items": [{"prompt": p, "response": r} for p, r in ITEMS]})
    requests.append({"id": "again", "prompt": ITEMS[0][0], "response": ITEMS[0][1]})
    requests.append({"id": "chat", "prompt": [{"role": "user", "content": "hi"}], "response": "hello"})
    stdin = "\n".join(json.dumps(r) for r in requests) + "\n{broken\n" + json.dumps({"id": 9, "prompt": "p"}) + "\n"
    proc = run_cli("serve", "--model", model_dir, input=stdin)
    assert proc.returncode == 0, proc.stderr
    lines = protocol_lines(proc.stdout)
    assert lines[0]["type"] == "ready" and lines[0]["model_type"] == "arbiter-tiny"
    by_id = {line["id"]: line for line in lines[1:] if "type" not in line}
    singles = [by_id[i] for i in range(len(ITEMS))]
    for s in singles:
        assert set(s) == {"id", "reward", "reward_raw"}
        assert s["reward"] == pytest.approx((s["reward_raw"] - MEAN) / STD, abs=1e-9)
    batch = by_id["batch"]["items"]
    assert [b["reward_raw"] for b in batch] == pytest.approx([s["reward_raw"] for s in singles], abs=1e-4)
    assert by_id["again"]["reward_raw"] == pytest.approx(singles[0]["reward_raw"], abs=1e-5)
    assert "chat" in by_id
    errors = [line for line in lines if line.get("type") == "error"]
    assert [e["id"] for e in errors] == [None, 9]
    assert "not valid JSON" in errors[0]["message"] and "response" in errors[1]["message"]


def test_serve_missing_model_dir_is_a_clear_error(tmp_path):
    proc = run_cli("serve", "--model", str(tmp_path / "missing"), input="")
    assert proc.returncode == 1
    (line,) = protocol_lines(proc.stdout)
    assert line["type"] == "error" and "does not exist" in line["message"]


def test_serve_corrupt_model_dir_is_a_clear_error(model_dir):
    with open(f"{model_dir}/config.json", "w") as f:
        f.write("{oops")
    proc = run_cli("serve", "--model", model_dir, input="")
    assert proc.returncode == 1
    (line,) = protocol_lines(proc.stdout)
    assert line["type"] == "error" and "corrupt" in line["message"]
