"""bases.py on any interpreter (no transformers needed): local folders, the HF cache layout, listing, weight checks.

The Hub-id path through huggingface_hub and loading real weights are in test_hf_bases.py.
"""

import json
import os

import pytest

from arbiter_trainer.bases import BaseError, check_weights, is_hub_id, list_bases, resolve_base
from conftest import protocol_lines, run_cli


def _model_folder(path, *, template: bool = False, weights: bytes | None = None):
    os.makedirs(path, exist_ok=True)
    (path / "config.json").write_text(json.dumps({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"}))
    tok_cfg = {"tokenizer_class": "PreTrainedTokenizerFast"}
    if template:
        tok_cfg["chat_template"] = "{% for m in messages %}{{ m.content }}{% endfor %}"
    (path / "tokenizer_config.json").write_text(json.dumps(tok_cfg))
    if weights is not None:
        (path / "model.safetensors").write_bytes(weights)
    return path


def _safetensors_bytes(n_floats: int = 4, truncate: int = 0) -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [n_floats], "data_offsets": [0, 4 * n_floats]}}).encode()
    data = len(header).to_bytes(8, "little") + header + b"\0" * (4 * n_floats)
    return data[:len(data) - truncate]


def _hub_cache(home, repo: str, rev: str = "0123abcd", **kw):
    root = home / "hub" / ("models--" + repo.replace("/", "--"))
    _model_folder(root / "snapshots" / rev, **kw)
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(rev)
    return root / "snapshots" / rev


def test_hub_ids_and_paths():
    assert is_hub_id("Qwen/Qwen2.5-0.5B-Instruct") and is_hub_id("owner/name@v1.0")
    for spec in ("name", "a/b/c", "../x/y", "/abs/path", "a/b--c", "owner/name@"):
        assert not is_hub_id(spec), spec


def test_resolve_tiny_local_folder_and_errors(tmp_path):
    assert resolve_base("tiny") == "tiny"
    folder = _model_folder(tmp_path / "m")
    assert resolve_base(str(folder)) == str(folder)
    assert resolve_base(str(folder / "config.json")) == str(folder / "config.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BaseError, match=r"base .*empty: .* has no config.json"):
        resolve_base(str(tmp_path / "empty"))
    with pytest.raises(BaseError, match=r"base /no/such/dir: no such folder"):
        resolve_base("/no/such/dir")


def test_hub_id_from_a_filled_cache_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    snap = _hub_cache(tmp_path, "acme/tiny-chat")
    assert os.path.realpath(resolve_base("acme/tiny-chat")) == os.path.realpath(snap)
    with pytest.raises(BaseError, match=r"base acme/absent: "):
        resolve_base("acme/absent")


def test_list_bases_cache_and_models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    _hub_cache(tmp_path / "hf", "acme/chat", template=True)
    (tmp_path / "hf" / "hub" / "models--acme--broken" / "snapshots").mkdir(parents=True)  # no snapshot: skipped
    models = tmp_path / "models"
    _model_folder(models / "plain")
    _model_folder(models / "org" / "nested", template=True)
    (models / "notes").mkdir()
    bases = {b["id"]: b for b in list_bases(str(models))}
    assert set(bases) == {"acme/chat", str(models / "plain"), str(models / "org" / "nested")}
    assert bases["acme/chat"]["source"] == "hf-cache" and bases["acme/chat"]["has_chat_template"] is True
    assert bases[str(models / "plain")] == {"id": str(models / "plain"), "name": "plain", "source": "models-dir",
                                            "path": str(models / "plain"), "architecture": "Qwen2ForCausalLM",
                                            "has_chat_template": False}
    r = run_cli("bases", "--json", env={"HF_HOME": str(tmp_path / "hf"), "ARBITER_MODELS_DIR": str(models)})
    assert r.returncode == 0, r.stderr
    (line,) = protocol_lines(r.stdout)
    assert sorted(b["id"] for b in line["bases"]) == sorted(bases)


def test_weights_missing_truncated_or_sharded_name_the_file(tmp_path):
    ok = _model_folder(tmp_path / "ok", weights=_safetensors_bytes())
    assert check_weights("ok", str(ok)) == [str(ok / "model.safetensors")]
    bad = _model_folder(tmp_path / "bad", weights=_safetensors_bytes(truncate=5))
    with pytest.raises(BaseError, match=r"base acme/bad: cannot read weights .*bad/model.safetensors: truncated"):
        check_weights("acme/bad", str(bad))
    none = _model_folder(tmp_path / "none")
    with pytest.raises(BaseError, match=r"base none: no weights in .*init \"random\""):
        check_weights("none", str(none))
    sharded = _model_folder(tmp_path / "sharded")
    (sharded / "model-00001-of-00002.safetensors").write_bytes(_safetensors_bytes())
    (sharded / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    with pytest.raises(BaseError, match=r"model-00002-of-00002.safetensors: missing shard \(1 of 2"):
        check_weights("sharded", str(sharded))
