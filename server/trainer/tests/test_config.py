"""Config validation: defaults, path resolution, and errors that name the field."""

import json

import pytest

from arbiter_trainer.config import ConfigError, config_from_dict, load_config


@pytest.fixture
def base(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    return {"train_file": "train.jsonl", "output_dir": "out"}


def test_defaults_and_relative_paths(tmp_path, base):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(base))
    cfg = load_config(str(path))
    assert cfg.train_file == str(tmp_path / "train.jsonl") and cfg.output_dir == str(tmp_path / "out")
    assert (cfg.base, cfg.loss, cfg.epochs, cfg.eval_fraction, cfg.bf16, cfg.lora) == ("tiny", "bt", 1, 0.1, "auto", None)
    assert cfg.learning_rate == 1e-3 and cfg.margin_map[4] == 1.0
    assert json.loads(json.dumps(cfg.to_dict()))["margin_map"]["2"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("patch, field", [
    ({"lr": -1}, "lr"),
    ({"epochs": 0}, "epochs"),
    ({"epochs": 1.5}, "epochs"),
    ({"loss": "hinge"}, "loss"),
    ({"batch_tokens": "many"}, "batch_tokens"),
    ({"max_length": 4}, "max_length"),
    ({"warmup_ratio": 1.5}, "warmup_ratio"),
    ({"bf16": "yes"}, "bf16"),
    ({"margin_map": {"9": 1}}, "margin_map.9"),
    ({"lora": {"r": 8, "alpha": 16}}, "lora"),
    ({"tiny": {"d_model": 0}}, "tiny.d_model"),
    ({"tiny": {"width": 3}}, "tiny.width"),
    ({"eval_file": "missing.jsonl"}, "eval_file"),
    ({"resume_from": "missing.pt"}, "resume_from"),
    ({"base": "no/such/model"}, "base"),
    ({"base": "./missing-folder"}, "base"),
    ({"init": "zeros"}, "init"),
    ({"train_file": None}, "train_file"),
    ({"learning_rate": 0.1}, "learning_rate"),
])
def test_errors_name_the_field(tmp_path, base, patch, field):
    with pytest.raises(ConfigError) as e:
        config_from_dict({**base, **patch}, base_dir=str(tmp_path))
    assert str(e.value).startswith(f"{field}:")


def test_unknown_field_suggests_the_right_one(tmp_path, base):
    with pytest.raises(ConfigError, match=r"epoch: unknown field \(did you mean 'epochs'\?\)"):
        config_from_dict({**base, "epoch": 2}, base_dir=str(tmp_path))


def test_bad_json_file(tmp_path):
    (tmp_path / "run.json").write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(str(tmp_path / "run.json"))


def test_base_is_tiny_a_local_folder_or_a_hub_id(tmp_path, base):
    (tmp_path / "models" / "m").mkdir(parents=True)
    assert config_from_dict({**base, "base": "models/m"}, base_dir=str(tmp_path)).base == str(tmp_path / "models" / "m")
    cfg = config_from_dict({**base, "base": "Qwen/Qwen2.5-0.5B-Instruct@main"}, base_dir=str(tmp_path))
    assert (cfg.base, cfg.init) == ("Qwen/Qwen2.5-0.5B-Instruct@main", "pretrained")  # resolved when the model is built
    assert config_from_dict({**base, "init": "random"}, base_dir=str(tmp_path)).init == "random"
