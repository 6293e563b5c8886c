"""Base models: the ONE place a `base` spec becomes a folder on disk (train, serve, doctor, generation).

    resolve_base("tiny")                          -> "tiny"  (the built-in byte-level model)
    resolve_base("/models/qwen-mini")             -> "/models/qwen-mini"  (a local HF folder, or its config.json)
    resolve_base("Qwen/Qwen2.5-0.5B-Instruct")    -> "<HF cache>/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/<sha>"
    resolve_base("Qwen/Qwen2.5-0.5B-Instruct@v1") -> the snapshot of that revision
    list_bases(None)                              -> the models in the HF cache and in ARBITER_MODELS_DIR
    python3 -m arbiter_trainer bases --json       -> {"bases": [...]} (the training page, `doctor`)

A local path wins over a Hub id of the same spelling. Hub ids go through huggingface_hub's cache (HF_HOME,
HF_HUB_CACHE): with HF_HUB_OFFLINE=1 only a filled cache answers; otherwise snapshot_download fetches what is
missing, its progress bars on stderr (the job log). Anything that cannot be found or read is a BaseError
that names the base — never a silent random init (random weights only with config "init": "random").

This module imports neither torch nor transformers: Debian's interpreter (no huggingface_hub) can list the
cache and resolve local folders; resolving a Hub id needs huggingface_hub (it comes with transformers).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

HUB_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*)(?:@(?P<rev>[A-Za-z0-9_./-]+))?$")
WEIGHT_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


class BaseError(RuntimeError):
    """A base model that cannot be found or read; the message names the base (and the file)."""


def is_hub_id(spec: str) -> bool:
    m = HUB_ID.match(spec)
    return bool(m) and ".." not in spec and "--" not in m.group("repo")


def hf_hub_cache() -> str:
    """huggingface_hub's cache folder, computed the way huggingface_hub.constants does (no import needed)."""
    cache = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if cache:
        return os.path.abspath(os.path.expanduser(cache))
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "huggingface")
    return os.path.abspath(os.path.join(os.path.expanduser(home), "hub"))


def models_dir_from_env() -> str | None:
    d = os.environ.get("ARBITER_MODELS_DIR")
    return os.path.abspath(os.path.expanduser(d)) if d else None


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def resolve_base(spec: str) -> str:
    """"tiny", the absolute path of a local model folder (or config.json), or a Hub id's local snapshot folder."""
    if spec == "tiny":
        return "tiny"
    if not isinstance(spec, str) or not spec.strip():
        raise BaseError("base: expected \"tiny\", a model folder or a Hub id like owner/name")
    path = os.path.abspath(os.path.expanduser(spec))
    if os.path.exists(path):
        return _check_local(spec, path)
    if not is_hub_id(spec):
        raise BaseError(f"base {spec}: no such folder, and not a Hub id (owner/name[@revision])")
    return _snapshot(spec)


def _check_local(spec: str, path: str) -> str:
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    if os.path.isfile(path) and os.path.basename(path) != "config.json":
        raise BaseError(f"base {spec}: {path} is a file; give the model folder (or its config.json)")
    config = os.path.join(folder, "config.json")
    if not os.path.isfile(config):
        raise BaseError(f"base {spec}: {folder} has no config.json (not a Hugging Face model folder)")
    try:
        with open(config, encoding="utf-8") as f:
            if not isinstance(json.load(f), dict):
                raise ValueError("not a JSON object")
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise BaseError(f"base {spec}: cannot read {config}: {e}") from None
    return path


def _snapshot(spec: str) -> str:
    m = HUB_ID.match(spec)
    assert m is not None
    repo, revision = m.group("repo"), m.group("rev")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        cached = _cached_snapshot(hf_hub_cache(), repo, revision)
        if cached:
            return _check_local(spec, cached)
        raise BaseError(f"base {spec}: not in the HF cache ({hf_hub_cache()}), and downloading needs "
                        "huggingface_hub (it comes with transformers: bash scripts/trainer-hf-env)") from None
    offline = _offline()
    if not offline:
        print(f"base {spec}: fetching into the HF cache {hf_hub_cache()} (HF_HUB_OFFLINE=1 to use the cache only)",
              file=sys.stderr, flush=True)
    try:
        path = snapshot_download(repo_id=repo, revision=revision, local_files_only=offline, cache_dir=hf_hub_cache())
    except Exception as e:  # not cached offline, unknown repo, gated, no network …
        where = f"the HF cache {hf_hub_cache()}" + (" (HF_HUB_OFFLINE=1)" if offline else "")
        raise BaseError(f"base {spec}: cannot get it from {where}: {type(e).__name__}: {_first_line(e)}") from None
    return _check_local(spec, path)


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else ""


def _cached_snapshot(cache: str, repo: str, revision: str | None) -> str | None:
    """The snapshot folder of `repo` at `revision` (a ref name or commit; default main) in the hub cache."""
    root = os.path.join(cache, "models--" + repo.replace("/", "--"))
    ref = revision or "main"
    ref_file = os.path.join(root, "refs", ref)
    commit = ref
    if os.path.isfile(ref_file):
        with open(ref_file, encoding="utf-8") as f:
            commit = f.read().strip()
    snap = os.path.join(root, "snapshots", commit)
    return snap if os.path.isdir(snap) else None


# ---- weights -------------------------------------------------------------------------------------


def weight_files(folder: str) -> list[str]:
    """The weight files a from_pretrained load will read; a missing shard of an index is a BaseError."""
    for index in WEIGHT_INDEXES:
        path = os.path.join(folder, index)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as f:
                    shards = sorted(set(json.load(f)["weight_map"].values()))
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
                raise BaseError(f"{path}: not a readable weight index ({type(e).__name__}: {e})") from None
            missing = [s for s in shards if not os.path.isfile(os.path.join(folder, s))]
            if missing:
                raise BaseError(f"{os.path.join(folder, missing[0])}: missing shard "
                                f"({len(missing)} of {len(shards)} listed in {index})")
            return [os.path.join(folder, s) for s in shards]
    for name in ("model.safetensors", "pytorch_model.bin"):
        if os.path.isfile(os.path.join(folder, name)):
            return [os.path.join(folder, name)]
    return []


def check_weights(spec: str, folder: str) -> list[str]:
    """Every weight file of a base, opened and its header checked; raises BaseError naming base and file."""
    files = weight_files(folder)
    if not files:
        raise BaseError(f"base {spec}: no weights in {folder} (model.safetensors, pytorch_model.bin or a sharded "
                        "index); set init \"random\" to train from random weights on purpose")
    for path in files:
        if path.endswith(".safetensors"):
            _check_safetensors(spec, path)
        elif os.path.getsize(path) == 0:
            raise BaseError(f"base {spec}: {path} is empty")
    return files


def _check_safetensors(spec: str, path: str) -> None:
    """The safetensors header parses and the file is as long as the tensors it declares (no truncation)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise ValueError("shorter than a safetensors header")
            n = int.from_bytes(head, "little")
            if n <= 0 or 8 + n > size:
                raise ValueError(f"header length {n} does not fit in {size} bytes")
            header = json.loads(f.read(n))
        end = max((int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__"), default=0)
        if 8 + n + end > size:
            raise ValueError(f"truncated: the tensors need {8 + n + end} bytes, the file has {size}")
    except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as e:
        raise BaseError(f"base {spec}: cannot read weights {path}: {e}") from None


# ---- listing -------------------------------------------------------------------------------------


def _describe(folder: str) -> tuple[str | None, bool] | None:
    """(architecture, has_chat_template) of a model folder, or None when it has no readable config.json."""
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(config, dict):
        return None
    archs = config.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else config.get("model_type")
    return (arch if isinstance(arch, str) else None), has_chat_template(folder)


def has_chat_template(folder: str) -> bool:
    """A tokenizer saved with a chat template: chat_template.jinja / .json (transformers >= 4.43) or the key."""
    if any(os.path.isfile(os.path.join(folder, n)) for n in ("chat_template.jinja", "chat_template.json")):
        return True
    try:
        with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
            return bool(json.load(f).get("chat_template"))
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return False


def _hf_cache_bases(cache: str) -> list[dict[str, Any]]:
    out = []
    if not os.path.isdir(cache):
        return out
    for name in sorted(os.listdir(cache)):
        if not name.startswith("models--"):
            continue
        repo = name[len("models--"):].replace("--", "/", 1)
        snap = _cached_snapshot(cache, repo, None)
        if snap is None:  # no refs/main: the newest snapshot
            snaps_dir = os.path.join(cache, name, "snapshots")
            snaps = [os.path.join(snaps_dir, s) for s in os.listdir(snaps_dir)] if os.path.isdir(snaps_dir) else []
            snap = max(snaps, key=os.path.getmtime) if snaps else None
        described = _describe(snap) if snap else None
        if described is None:
            continue
        out.append({"id": repo, "source": "hf-cache", "path": snap, "architecture": described[0],
                    "has_chat_template": described[1]})
    return out


def _models_dir_bases(root: str) -> list[dict[str, Any]]:
    """Folders with a config.json directly under `root` or one level down (owner/name layouts)."""
    out = []
    if not os.path.isdir(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        depth = 0 if rel == "." else rel.count(os.sep) + 1
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if depth < 2 else []
        if dirpath == root or "config.json" not in filenames:
            continue
        described = _describe(dirpath)
        if described is None:
            continue
        dirnames[:] = []  # a model folder's subfolders (checkpoints …) are not bases of their own
        out.append({"id": dirpath, "name": os.path.relpath(dirpath, root), "source": "models-dir", "path": dirpath,
                    "architecture": described[0], "has_chat_template": described[1]})
    return out


def list_bases(models_dir: str | None) -> list[dict[str, Any]]:
    """The models in the HF cache and in `models_dir` (default ARBITER_MODELS_DIR), each
    {"id", "source": "hf-cache"|"models-dir", "path", "architecture", "has_chat_template"}. `id` is what
    `base` takes: the Hub id for cached models, the absolute folder for models-dir ones (plus its "name")."""
    root = os.path.abspath(os.path.expanduser(models_dir)) if models_dir else models_dir_from_env()
    out: list[dict[str, Any]] = []
    for lister, where in ((_hf_cache_bases, hf_hub_cache()), (_models_dir_bases, root)):
        if where:
            try:
                out += lister(where)
            except OSError as e:  # an unreadable cache must not break the training page or doctor
                print(f"bases: cannot list {where}: {e}", file=sys.stderr)
    return out
