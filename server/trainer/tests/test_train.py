"""Training: LR schedule, end-to-end CLI run, resume, SIGTERM, ties and rankings, CLI errors."""

import json
import math
import os
import signal
import subprocess

import pytest
import torch

from arbiter_trainer.config import config_from_dict
from arbiter_trainer.train import lr_at, train
from conftest import (FAST_TINY, PYTHON, TRAINER_DIR, protocol_lines, run_cli, synthetic_rows, write_config,
                      write_jsonl)


def test_lr_schedule_is_warmup_then_cosine():
    lrs = [lr_at(s, 100, 10, 1.0, 0.1) for s in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[55] == pytest.approx(0.1 + 0.5 * (1 + math.cos(math.pi * 0.5)) * 0.9)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:])) and lrs[-1] > 0.1
    assert lr_at(0, 5, 0, 2.0, 0.2) == 2.0


def test_train_end_to_end_learns_obvious_feature(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", synthetic_rows(500, seed=1))
    config = write_config(tmp_path / "run.json", train_file="train.jsonl", output_dir="model", epochs=1,
                          max_length=128, batch_tokens=2048, tiny=FAST_TINY, eval_fraction=0.15,
                          meta={"job": "test"})
    assert os.path.exists(data)
    proc = run_cli("train", "--config", config, timeout=90)
    assert proc.returncode == 0, proc.stderr
    lines = protocol_lines(proc.stdout)  # every stdout line is JSON
    types = [line["type"] for line in lines]
    assert types[0] == "progress" and types[-1] == "done" and "eval" in types
    for p in (line for line in lines if line["type"] == "progress"):
        assert set(p) == {"type", "step", "total", "epoch", "loss", "accuracy", "tokens_per_s", "lr"}
        assert 1 <= p["step"] <= p["total"] and p["tokens_per_s"] > 0
    evals = [line for line in lines if line["type"] == "eval"]
    assert evals[-1]["epoch"] == 1 and {"eval_loss", "eval_accuracy", "ece", "reward_mean", "reward_std",
                                        "accuracy_by_criterion", "accuracy_by_strength"} <= set(evals[-1])
    done = lines[-1]
    assert done["model_dir"] == str(tmp_path / "model")
    metrics = done["metrics"]
    assert metrics["eval_accuracy"] > 0.9, metrics
    assert {"eval_loss", "ece", "tokens_per_s"} <= set(metrics) and 0 <= metrics["ece"] <= 1
    assert set(metrics["accuracy_by_criterion"]) == {"helpful", "harmless"}

    out = tmp_path / "model"
    names = set(os.listdir(out))
    assert {"config.json", "tokenizer_config.json", "special_tokens_map.json", "metrics.json",
            "reward_stats.json"} <= names
    assert "model.safetensors" in names or "pytorch_model.bin" in names
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["num_labels"] == 1 and cfg["model_type"] == "arbiter-tiny"
    assert cfg["arbiter_train_config"]["meta"] == {"job": "test"}
    stats = json.loads((out / "reward_stats.json").read_text())
    assert stats["std"] > 0 and stats["source"] == "eval"
    assert json.loads((out / "metrics.json").read_text())["eval_accuracy"] == metrics["eval_accuracy"]


def _weights(model_dir):
    path = os.path.join(model_dir, "pytorch_model.bin")
    if os.path.exists(path):
        return torch.load(path)
    import safetensors.torch

    return safetensors.torch.load_file(os.path.join(model_dir, "model.safetensors"))


def test_resume_equals_uninterrupted_run(tmp_path, capsys):
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(120, seed=2, rankings=10))
    common = {"train_file": "train.jsonl", "epochs": 2, "max_length": 96, "batch_tokens": 1024,
              "tiny": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64}, "checkpoint_every_steps": 5}
    full = train(config_from_dict({**common, "output_dir": "full"}, str(tmp_path)))
    lines = protocol_lines(capsys.readouterr().out)
    ckpts = [line["path"] for line in lines if line["type"] == "checkpoint"]
    assert full["status"] == "done" and len(ckpts) >= 3
    assert not os.path.exists(ckpts[0])  # only the last KEEP_CHECKPOINTS stay on disk
    first = ckpts[-2]
    state = torch.load(first)
    start = state["step"]
    assert 0 < start < full["step"] and start % 5 == 0
    assert state["config"]["epochs"] == 2  # checkpoints embed their config

    resumed = train(config_from_dict({**common, "output_dir": "resumed", "resume_from": first}, str(tmp_path)))
    lines = protocol_lines(capsys.readouterr().out)
    assert resumed["step"] == full["step"]
    assert [line["step"] for line in lines if line["type"] == "progress"][0] == start + 1
    a, b = _weights(tmp_path / "full"), _weights(tmp_path / "resumed")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=0)
    assert resumed["metrics"]["eval_loss"] == pytest.approx(full["metrics"]["eval_loss"], abs=1e-5)


def test_ties_and_rankings_train_with_bt_ties(tmp_path, capsys):
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(60, seed=3, ties=20, rankings=20))
    cfg = config_from_dict({"train_file": "train.jsonl", "output_dir": "m", "loss": "bt-ties", "epochs": 1,
                            "margin_from_strength": True, "center_rewards_coef": 0.01, "eval_fraction": 0.3,
                            "max_length": 96, "tiny": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64},
                            "checkpoint_every_steps": 0}, str(tmp_path))
    result = train(cfg)
    lines = protocol_lines(capsys.readouterr().out)
    assert result["status"] == "done" and lines[-1]["type"] == "done"
    assert result["metrics"]["n_ties"] > 0 and result["metrics"]["n_pairs"] > 0
    assert not os.path.exists(tmp_path / "m" / "checkpoints")


def test_without_eval_split_rewards_are_normalised_on_train(tmp_path, capsys):
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(30, seed=5))
    cfg = config_from_dict({"train_file": "train.jsonl", "output_dir": "m", "eval_fraction": 0, "max_length": 64,
                            "tiny": {"d_model": 16, "n_layers": 1, "n_heads": 2, "d_ff": 32}}, str(tmp_path))
    result = train(cfg)
    lines = protocol_lines(capsys.readouterr().out)
    assert not any(line["type"] == "eval" for line in lines)
    assert result["metrics"]["eval_accuracy"] is None and result["metrics"]["eval_elements"] == 0
    stats = json.loads((tmp_path / "m" / "reward_stats.json").read_text())
    assert stats["source"] == "train" and stats["std"] > 0


def test_sigterm_saves_checkpoint_and_reports_cancelled(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(300, seed=4))
    config = write_config(tmp_path / "run.json", train_file="train.jsonl", output_dir="model", epochs=50,
                          max_length=96, batch_tokens=512, tiny=FAST_TINY)
    proc = subprocess.Popen([PYTHON, "-m", "arbiter_trainer", "train", "--config", config], cwd=TRAINER_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        assert first["type"] == "progress", first
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = protocol_lines(out)
    assert lines[-1]["type"] == "cancelled" and lines[-2]["type"] == "checkpoint"
    path = lines[-1]["checkpoint"]
    assert path == lines[-2]["path"] and os.path.exists(path)
    assert torch.load(path)["step"] == lines[-1]["step"] < first["total"]
    assert not any(line["type"] == "done" for line in lines)


def test_cli_config_error_is_one_error_line(tmp_path):
    config = write_config(tmp_path / "run.json", train_file="nope.jsonl", output_dir="m")
    proc = run_cli("train", "--config", config)
    assert proc.returncode == 1
    (line,) = protocol_lines(proc.stdout)
    assert line["type"] == "error" and line["message"].startswith("train_file:")


def test_cli_data_error_names_file_and_line(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n{"prompt": "p"}\n')
    config = write_config(tmp_path / "run.json", train_file="train.jsonl", output_dir="m")
    proc = run_cli("train", "--config", config)
    assert proc.returncode == 1
    (line,) = protocol_lines(proc.stdout)
    assert "train.jsonl:2: field 'chosen'" in line["message"]


def test_doctor_prints_one_json_object():
    proc = run_cli("doctor")
    assert proc.returncode == 0
    (report,) = protocol_lines(proc.stdout)
    assert report["python"]["executable"] and report["torch"] and report["numpy"]
    assert {"transformers", "peft", "accelerate", "cuda_available", "devices", "bf16_supported", "missing"} <= set(report)
    assert isinstance(report["missing"], list)


def _small(tmp_path, **kw):
    write_jsonl(tmp_path / "train.jsonl", synthetic_rows(80, seed=8, rankings=6))
    return config_from_dict({"train_file": "train.jsonl", "epochs": 1, "max_length": 96, "batch_tokens": 1024,
                             "tiny": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64},
                             "checkpoint_every_steps": 0, **kw}, str(tmp_path))


def test_same_seed_gives_the_same_run(tmp_path, capsys):
    runs = [train(_small(tmp_path, output_dir=f"run{i}", seed=seed)) for i, seed in enumerate((11, 11, 12))]
    capsys.readouterr()
    same, other = runs[0]["metrics"], runs[2]["metrics"]
    keys = ("eval_loss", "eval_accuracy", "ece", "train_loss", "reward_mean", "reward_std", "steps")
    assert {k: same[k] for k in keys} == {k: runs[1]["metrics"][k] for k in keys}
    a, b, c = (_weights(tmp_path / f"run{i}") for i in range(3))
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert any(not torch.equal(a[k], c[k]) for k in a)  # the seed matters


def test_checkpoints_by_time(tmp_path, capsys):
    # Any positive interval has passed after a step, so a tiny one checkpoints after every step.
    result = train(_small(tmp_path, output_dir="m", checkpoint_every_seconds=1e-9))
    lines = protocol_lines(capsys.readouterr().out)
    steps = [line["step"] for line in lines if line["type"] == "checkpoint"]
    assert steps == list(range(1, result["step"] + 1))
    kept = sorted(os.listdir(tmp_path / "m" / "checkpoints"))
    assert kept == [f"step-{s:07d}" for s in steps[-2:]]
    assert torch.load(tmp_path / "m" / "checkpoints" / kept[-1] / "checkpoint.pt")["config"][
        "checkpoint_every_seconds"] == 1e-9


def test_bf16_only_on_cuda():
    from arbiter_trainer.train import use_bf16

    for setting in ("auto", True, False):
        cfg = config_from_dict({"train_file": __file__, "output_dir": "m", "bf16": setting})
        assert use_bf16(cfg, torch.device("cpu")) is False
