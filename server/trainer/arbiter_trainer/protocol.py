"""The trainer's stdout protocol: the ONLY module that writes to stdout.

server/jobs spawns `python3 -m arbiter_trainer train|serve …` and parses stdout line by line, so every
line on stdout is one JSON object, flushed at once. Logs, warnings and tracebacks go to stderr (the job
log). `claim_stdout()` keeps the real stdout for protocol lines and points both `sys.stdout` and file
descriptor 1 at stderr, so a stray `print` or a C library's output can never corrupt the stream.

Train lines (see README.md for the field types):
  {"type":"progress","step","total","epoch","loss","accuracy","tokens_per_s","lr"}
  {"type":"eval","epoch","step","eval_loss","eval_accuracy","ece",...}
  {"type":"checkpoint","step","path"}
  {"type":"cancelled","step","checkpoint"}
  {"type":"done","model_dir","metrics"}
  {"type":"error","message"}
Serve lines:
  {"type":"ready","model_dir","model_type","max_length","device"}
  {"id","reward","reward_raw"}  or, for a batch request,  {"id","items":[{"reward","reward_raw"}, …]}
  {"type":"error","id","message"}  (id is null when the request line had none)
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any, TextIO

_stream: TextIO | None = None  # None: write to whatever sys.stdout is now (tests capture it)
_enabled = True  # False on DDP ranks other than 0


def claim_stdout() -> None:
    """Reserve the process's real stdout for protocol lines; send everything else to stderr."""
    global _stream
    if _stream is not None:
        return
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    _stream = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr


def set_enabled(enabled: bool) -> None:
    global _enabled
    _enabled = enabled


def log(message: str) -> None:
    """A human-readable log line (stderr, never parsed)."""
    print(message, file=sys.stderr, flush=True)


def clean(value: Any) -> Any:
    # JSON has no NaN/Infinity; a diverged loss must not break the parser on the other side.
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def emit(obj: dict[str, Any], *, force: bool = False) -> None:
    if not (_enabled or force):
        return
    stream = _stream if _stream is not None else sys.stdout
    stream.write(json.dumps(clean(obj), ensure_ascii=False, allow_nan=False) + "\n")
    stream.flush()


# ---- train ---------------------------------------------------------------------------------------


def progress(*, step: int, total: int, epoch: float, loss: float, accuracy: float | None,
             tokens_per_s: float, lr: float) -> None:
    emit({"type": "progress", "step": step, "total": total, "epoch": round(epoch, 4), "loss": loss,
          "accuracy": accuracy, "tokens_per_s": round(tokens_per_s, 1), "lr": lr})


def eval_(*, epoch: int, step: int, metrics: dict[str, Any]) -> None:
    emit({"type": "eval", "epoch": epoch, "step": step, **metrics})


def checkpoint(*, step: int, path: str) -> None:
    emit({"type": "checkpoint", "step": step, "path": path})


def cancelled(*, step: int, checkpoint: str | None) -> None:
    emit({"type": "cancelled", "step": step, "checkpoint": checkpoint})


def done(*, model_dir: str, metrics: dict[str, Any]) -> None:
    emit({"type": "done", "model_dir": model_dir, "metrics": metrics})


def error(message: str, *, id: Any = None, with_id: bool = False) -> None:
    # Any DDP rank may report an error: one error line beats a silent hang.
    obj: dict[str, Any] = {"type": "error"}
    if with_id:
        obj["id"] = id
    obj["message"] = message
    emit(obj, force=True)


# ---- serve ---------------------------------------------------------------------------------------


def ready(*, model_dir: str, model_type: str, max_length: int, device: str) -> None:
    emit({"type": "ready", "model_dir": model_dir, "model_type": model_type, "max_length": max_length,
          "device": device})


def reward(*, id: Any, reward: float, reward_raw: float) -> None:
    emit({"id": id, "reward": reward, "reward_raw": reward_raw})


def rewards(*, id: Any, items: list[dict[str, float]]) -> None:
    emit({"id": id, "items": items})
