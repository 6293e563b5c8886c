"""`python3 -m arbiter_trainer doctor`: what this interpreter can train on, as one JSON object.

server/jobs runs it to tell a researcher what is missing before a job fails halfway. Import failures
of optional packages are reported, never raised.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from typing import Any

OPTIONAL = {
    "transformers": "HF base models (base other than \"tiny\"); `bash scripts/trainer-hf-env` builds a venv with it "
                    "(CPU), ARBITER_PYTHON=the python it prints",
    "peft": "LoRA (config \"lora\")",
    "accelerate": "large HF checkpoints (device_map / low-memory loading)",
    "safetensors": "model.safetensors output (falls back to pytorch_model.bin)",
    "flash_attn": "one-row varlen packing for HF models on GPU (without it: block-diagonal masks through sdpa)",
}


def _version(name: str) -> str | None:
    try:
        module = importlib.import_module(name)
    except Exception:  # a broken install counts as missing
        return None
    return str(getattr(module, "__version__", "unknown"))


def report() -> dict[str, Any]:
    from .bases import hf_hub_cache, list_bases, models_dir_from_env

    out: dict[str, Any] = {
        "python": {"executable": sys.executable, "version": platform.python_version()},
        "torch": _version("torch"),
        "numpy": _version("numpy"),
        **{name: _version(name) for name in OPTIONAL},
        "cuda_available": False,
        "cuda_version": None,
        "devices": [],
        "bf16_supported": False,
        "cpu_count": os.cpu_count(),
        "missing": [],
        "hf_cache": hf_hub_cache(),
        "models_dir": models_dir_from_env(),
        "bases": list_bases(None),
    }
    if out["torch"] is None:
        out["missing"].append("torch: all training and scoring (apt install python3-torch)")
    else:
        import torch

        out["cuda_available"] = torch.cuda.is_available()
        out["cuda_version"] = torch.version.cuda
        out["torch_threads"] = torch.get_num_threads()
        if out["cuda_available"]:
            for i in range(torch.cuda.device_count()):
                free, total = torch.cuda.mem_get_info(i)
                out["devices"].append({"index": i, "name": torch.cuda.get_device_name(i),
                                       "free_bytes": free, "total_bytes": total})
            out["bf16_supported"] = bool(torch.cuda.is_bf16_supported())
        else:
            out["missing"].append("cuda: GPU training and bf16 (training runs on the CPU, slowly for HF models)")
        if int(torch.__version__.split(".")[0]) < 2:
            out["missing"].append("torch>=2: fused scaled_dot_product_attention (a slower masked softmax is used)")
    if out["numpy"] is None:
        out["missing"].append("numpy: data loading and metrics")
    for name, what in OPTIONAL.items():
        if out[name] is None:
            out["missing"].append(f"{name}: {what}")
    return out
