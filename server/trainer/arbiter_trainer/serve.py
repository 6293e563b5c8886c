"""Long-lived scoring worker: JSON lines in on stdin, JSON lines out on stdout.

    /usr/bin/python3 -m arbiter_trainer serve --model out/rm [--batch-tokens 16384] [--device cpu]
    python3 -m arbiter_trainer serve --model owner/reward-model      # a Hub id through the HF cache (bases.py)

Requests (one per line):
    {"id": 7, "prompt": "…", "response": "…"}                      -> {"id": 7, "reward": r, "reward_raw": x}
    {"id": "b1", "items": [{"prompt", "response"}, …]}            -> {"id": "b1", "items": [{"reward", "reward_raw"}, …]}
"prompt" may be a string or chat messages, rendered as in training (chat.py: the model's chat template, or the
plain rendering; an over-long pair keeps its last max_length tokens). reward = (reward_raw − mean) / std with the mean/std of the
eval-set rewards saved in reward_stats.json, so 0 is a typical response and ±1 one standard deviation.
A bad request gets {"type":"error","id","message"} and the worker goes on; a missing or corrupt model
directory gets one {"type":"error","message"} line and exit status 1. EOF on stdin ends the worker.
The first line is {"type":"ready",…} once the model is loaded.

Dynamic batching: a reader thread queues lines; each cycle takes every line already waiting (up to
MAX_LINES_PER_CYCLE), sorts all their items by length and scores them in token-budget batches, so a
burst of single requests costs a few forward passes, and a lone request is answered at once.
On a CUDA device with bf16 support the forward passes run under bf16 autocast (rewards stay fp32);
the 1e-4 batching invariance is a CPU/fp32 guarantee, bf16 rounding depends on the batch shapes.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sys
import threading
from typing import Any, TextIO

import torch

from . import protocol
from .chat import Prompt, PromptError, parse_prompt
from .data import Element, collate, encode_group
from .model import ModelDirError, load_reward_model
from .train import set_threads

MAX_LINES_PER_CYCLE = 256


def _precision(device: torch.device, bf16: bool | str):
    """bf16 autocast on a CUDA device that supports it ("auto"), else full precision."""
    on = device.type == "cuda" and (bf16 is True or (bf16 == "auto" and torch.cuda.is_bf16_supported()))
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16) if on else contextlib.nullcontext()


@torch.no_grad()
def score_texts(model, tok, pairs: list[tuple[Prompt, str]], *, max_length: int, batch_tokens: int,
                device: torch.device, bf16: bool | str = "auto") -> list[float]:
    """Raw rewards for (prompt, response) pairs, in input order; batches are length-sorted.

    On CUDA the forward passes run under bf16 autocast (`bf16="auto"`); rewards are returned as fp32.
    """
    elements = []
    for prompt, response in pairs:
        p, (r,) = encode_group(tok, prompt, [response], max_length)
        elements.append(Element(p, [r], [], 1.0))
    order = sorted(range(len(elements)), key=lambda i: elements[i].tokens(False))
    out = [0.0] * len(elements)
    row_tokens = model.row_tokens  # see data.collate
    start = 0
    while start < len(order):
        end, used = start, 0
        while end < len(order) and (end == start or used + elements[order[end]].tokens(False) <= batch_tokens):
            used += elements[order[end]].tokens(False)
            end += 1
        idx = order[start:end]
        batch = collate([elements[i] for i in idx], model.layout, tok.pad_id, row_tokens).to(device)
        with _precision(device, bf16):
            rewards = model(**batch.model_inputs()).float().cpu().tolist()
        for i, r in zip(idx, rewards):
            out[i] = r
        start = end
    return out


def _parse(line: str, lineno: int) -> tuple[Any, list[tuple[Prompt, str]] | None, bool]:
    """(id, items, is_batch); raises ValueError with a message for the error line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"line {lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"line {lineno}: expected a JSON object")
    req_id = obj.get("id")
    where = f"line {lineno}"

    def item(o: Any, field: str) -> tuple[Prompt, str]:
        if not isinstance(o, dict):
            raise ValueError(f"{where}: field '{field}': expected an object with prompt and response")
        if "prompt" not in o:
            raise ValueError(f"{where}: field '{field}prompt': missing")
        if not isinstance(o.get("response"), str):
            raise ValueError(f"{where}: field '{field}response': expected a string")
        try:
            return parse_prompt(o["prompt"], where), o["response"]
        except PromptError as e:
            raise ValueError(str(e)) from None

    if "items" in obj:
        items = obj["items"]
        if not isinstance(items, list):
            raise ValueError(f"{where}: field 'items': expected a list")
        return req_id, [item(o, f"items[{i}].") for i, o in enumerate(items)], True
    return req_id, [item(obj, "")], False


def serve(model_dir: str, *, batch_tokens: int = 16384, device: str = "auto", stdin: TextIO | None = None) -> int:
    dev = torch.device("cuda" if device != "cpu" and torch.cuda.is_available() else "cpu")
    try:
        model, tok, info = load_reward_model(model_dir, dev)
    except ModelDirError as e:
        protocol.error(str(e))
        return 1
    set_threads(model.model_type == "arbiter-tiny")
    protocol.ready(model_dir=os.path.abspath(model_dir) if os.path.isdir(model_dir) else model_dir, model_type=info["model_type"],
                   max_length=info["max_length"], device=str(dev))
    mean, std = info["reward_mean"], info["reward_std"]

    lines: queue.Queue[str | None] = queue.Queue()
    source = stdin if stdin is not None else sys.stdin

    def read() -> None:
        for line in source:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    lineno, eof = 0, False
    while not eof:
        pending = [lines.get()]
        while len(pending) < MAX_LINES_PER_CYCLE:
            try:
                pending.append(lines.get_nowait())
            except queue.Empty:
                break
        requests = []  # (id, items, is_batch)
        for line in pending:
            if line is None:
                eof = True
                break
            lineno += 1
            if not line.strip():
                continue
            try:
                requests.append(_parse(line, lineno))
            except ValueError as e:
                protocol.error(str(e), id=_safe_id(line), with_id=True)
        if not requests:
            continue
        flat = [it for _, items, _ in requests for it in items]
        try:
            raw = score_texts(model, tok, flat, max_length=info["max_length"], batch_tokens=batch_tokens, device=dev)
        except Exception as e:  # keep serving: report on every request of this cycle
            for req_id, _, _ in requests:
                protocol.error(f"scoring failed: {type(e).__name__}: {e}", id=req_id, with_id=True)
            continue
        k = 0
        for req_id, items, is_batch in requests:
            scored = [{"reward": (x - mean) / std, "reward_raw": x} for x in raw[k:k + len(items)]]
            k += len(items)
            if is_batch:
                protocol.rewards(id=req_id, items=scored)
            else:
                protocol.reward(id=req_id, **scored[0])
    return 0


def _safe_id(line: str) -> Any:
    try:
        obj = json.loads(line)
        return obj.get("id") if isinstance(obj, dict) else None
    except json.JSONDecodeError:
        return None
