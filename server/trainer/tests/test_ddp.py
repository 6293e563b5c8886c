"""DDP on CPU: two gloo processes started by torchrun (`python3 -m torch.distributed.run`).

torch 1.13's launcher on Python 3.11 cannot parse its own default `--redirects 0 --tee 0`
(`Std.from_str("0")` returns None: Flag iteration changed in 3.11), so the test passes
`--redirects 2 --tee 2`: each worker's stderr goes through the launcher with a `[defaultN]:` prefix and
stdout stays untouched, which is what the protocol needs. torch >= 2 accepts the defaults.
"""

import math
import os
import signal
import socket
import subprocess

import pytest
import torch

from arbiter_trainer.config import load_config
from arbiter_trainer.data import encode_examples, load_examples, make_batches, split_eval
from arbiter_trainer.model import load_reward_model
from arbiter_trainer.train import evaluate
from arbiter_trainer.tokenizer import ByteTokenizer
from conftest import PYTHON, TRAINER_DIR, protocol_lines, synthetic_rows, write_config, write_jsonl


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_gloo_processes(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", synthetic_rows(200, seed=6))
    config = write_config(tmp_path / "run.json", train_file="train.jsonl", output_dir="model", epochs=1,
                          max_length=96, batch_tokens=1024, eval_fraction=0.2,
                          tiny={"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64})
    cmd = [PYTHON, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), "--redirects", "2", "--tee", "2",
           "-m", "arbiter_trainer", "train", "--config", config]
    env = {**os.environ, "PYTHONPATH": TRAINER_DIR, "ARBITER_DIST_TIMEOUT_S": "45"}
    proc = subprocess.Popen(cmd, cwd=TRAINER_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=90)
    finally:  # the launcher and both ranks: no rank outlives a failed test
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, err
    # Both ranks built the same plan; only rank 0 speaks the protocol (stdout is rank 0's lines alone).
    plans = {line.split("]:", 1)[0]: line.split("]:", 1)[1] for line in err.splitlines() if "]:train: " in line}
    assert set(plans) == {"[default0", "[default1"} and plans["[default0"] == plans["[default1"], err
    assert "world 2" in plans["[default0"]
    lines = protocol_lines(out)
    assert lines[-1]["type"] == "done" and lines[-1]["metrics"]["world_size"] == 2
    assert (tmp_path / "model" / "config.json").exists()  # rank 0 wrote the model

    train_ex, eval_ex = split_eval(load_examples(data), 0.2, 0)
    costs = [e.tokens(True) for e in encode_examples(train_ex, ByteTokenizer(), 96, keep_ties=False)]
    n_batches = len(make_batches(costs, 1024, 0, 0))
    assert lines[-1]["metrics"]["steps"] == math.ceil(n_batches / 2)  # batches sharded over 2 ranks
    assert all(line["total"] == math.ceil(n_batches / 2) for line in lines if line["type"] == "progress")

    # Eval was sharded over the ranks and gathered: it must match one process scoring everything.
    model, tok, _ = load_reward_model(str(tmp_path / "model"), torch.device("cpu"))
    cfg = load_config(config)
    single = evaluate(model, encode_examples(eval_ex, tok, 96, keep_ties=False), tok, cfg, torch.device("cpu"),
                      False, 0)
    ddp_eval = [line for line in lines if line["type"] == "eval"][-1]
    assert ddp_eval["n_pairs"] == single["n_pairs"] == len(eval_ex)
    for key in ("eval_loss", "eval_accuracy", "ece", "reward_mean", "reward_std"):
        assert ddp_eval[key] == pytest.approx(single[key], abs=1e-5), key
