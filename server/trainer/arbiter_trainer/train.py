"""Train a reward model on preference pairs / rankings. One loop, no framework Trainer.

Run (from server/trainer, with Debian's interpreter on CPU or any torch >= 1.13):
    /usr/bin/python3 -m arbiter_trainer train --config run.json
Several GPUs (or CPU processes, gloo) on one machine:
    torchrun --nproc_per_node 4 -m arbiter_trainer train --config run.json
    /usr/bin/python3 -m torch.distributed.run --nproc_per_node 2 -m arbiter_trainer train --config run.json
Resume: put "resume_from": "<output_dir>/checkpoints/step-0000042" in the config and run again.

Minimal run.json (every field: config.py, README.md):
    {"train_file": "pairs.jsonl", "output_dir": "out/rm", "base": "tiny", "epochs": 2}

stdout is the protocol (protocol.py): progress / eval / checkpoint / done lines; logs go to stderr.
The loop: AdamW with weight decay on matrices only, linear warmup then cosine decay (lr_at), grad
clipping, eval after every epoch on the held-out split, checkpoints every `checkpoint_every_steps`
and/or `checkpoint_every_seconds` and on SIGTERM, and the final model in HF sequence-classification layout in output_dir.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn

from . import protocol
from .config import ConfigError, TrainConfig
from .data import (Batch, DataError, Element, collate, encode_examples, load_examples, make_batches,
                   shard_batches, split_rows)
from .losses import preference_loss
from .metrics import pair_metrics
from .model import build_model, row_cap, save_model_dir
from .tokenizer import Tokenizer

MIN_LR_RATIO = 0.1  # cosine decays to 10% of the peak (nanoGPT)
PROGRESS_EVERY_S = 1.0  # at most one progress line a second (plus the last step of each epoch)
KEEP_CHECKPOINTS = 2  # periodic checkpoints kept on disk; older ones are deleted
# DDP wrappers are kept alive until the process ends: with torch 1.13's gloo backend, freeing one
# (its Reducer destroys the ProcessGroupGloo) can deadlock against the GIL — the destructor joins a gloo
# worker thread that waits for the GIL the freeing thread holds. A distributed run therefore leaves
# through os._exit after flushing (see __main__), never through these destructors.
LIVE_DDP_MODELS: list[nn.Module] = []
CHECKPOINT_FORMAT = "arbiter-checkpoint-v1"


def lr_at(step: int, total: int, warmup: int, lr: float, min_lr: float) -> float:
    """Learning rate for optimizer step `step` (0-based): linear warmup, then cosine to min_lr."""
    if step < warmup:
        return lr * (step + 1) / warmup
    if total <= warmup:
        return lr
    progress = min(1.0, (step - warmup) / (total - warmup))
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)


# ---- distributed ---------------------------------------------------------------------------------


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(cfg: TrainConfig) -> DistInfo:
    """torchrun sets WORLD_SIZE/RANK/LOCAL_RANK; then DDP with nccl on GPU, gloo on CPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    use_cuda = torch.cuda.is_available() and cfg.device != "cpu"
    if use_cuda:
        torch.cuda.set_device(info.local_rank)
    if not dist.is_initialized():
        # A rank that died leaves the others in a collective; the timeout turns that hang into an error.
        timeout = timedelta(seconds=float(os.environ.get("ARBITER_DIST_TIMEOUT_S", "1800")))
        dist.init_process_group("nccl" if use_cuda else "gloo", timeout=timeout)
    protocol.set_enabled(info.is_main)
    return info


def set_threads(tiny: bool, processes_on_host: int = 1) -> int:
    """Intra-op CPU threads. ARBITER_TORCH_THREADS overrides. The tiny model defaults to 1: its matmuls
    are too small to split, and on the 2-vCPU CI VM 2 threads ran it 4x slower (31k vs 5k tokens/s).
    HF models on CPU get this process's share of the cores (torch 1.13 would otherwise use 1)."""
    n = int(os.environ.get("ARBITER_TORCH_THREADS", "0"))
    if n <= 0:
        n = 1 if tiny else max(1, (os.cpu_count() or 1) // max(1, processes_on_host))
    torch.set_num_threads(n)
    return n


def pick_device(cfg: TrainConfig, info: DistInfo) -> torch.device:
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError('device: "cuda" requested but CUDA is not available')
    if cfg.device != "cpu" and torch.cuda.is_available():
        return torch.device("cuda", info.local_rank)
    return torch.device("cpu")


def seed_everything(cfg: TrainConfig, device: torch.device) -> None:
    """Same seed, same data, same device: the same run. Batch order and the eval split are pure
    functions of the seed (data.py); this seeds the RNGs and, with `deterministic`, also pins CUDA's
    kernels (cuDNN autotuning and atomics-based reductions otherwise vary run to run)."""
    random.seed(cfg.seed)
    np.random.seed(cfg.seed % 2**32)
    torch.manual_seed(cfg.seed)
    if device.type == "cuda" and cfg.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before cuBLAS's first call
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)


def use_bf16(cfg: TrainConfig, device: torch.device) -> bool:
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    if cfg.bf16 is True and not cuda_bf16:
        protocol.log("bf16: requested but this device has no bf16 support; training in fp32")
    return cuda_bf16 and cfg.bf16 in ("auto", True)


# ---- checkpoints ---------------------------------------------------------------------------------


def _trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    # LoRA: adapters + head only; the frozen base is rebuilt from cfg.base on resume.
    return {n: p.detach().cpu().clone() for n, p in model.named_parameters() if p.requires_grad}


def save_checkpoint(path_dir: str, *, cfg: TrainConfig, model: nn.Module, optimizer: torch.optim.Optimizer,
                    step: int, epoch: int, batch_in_epoch: int, world_size: int) -> str:
    os.makedirs(path_dir, exist_ok=True)
    path = os.path.join(path_dir, "checkpoint.pt")
    state = {
        "format": CHECKPOINT_FORMAT,
        "config": cfg.to_dict(),
        "step": step,
        "epoch": epoch,
        "batch_in_epoch": batch_in_epoch,
        "world_size": world_size,
        "model": _trainable_state(model),
        "optimizer": optimizer.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "python": random.getstate(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None},
    }
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)  # a SIGKILL mid-write never leaves a torn checkpoint
    return path


def _prune_checkpoints(root: str, keep: int) -> None:
    if not os.path.isdir(root):
        return
    steps = sorted(d for d in os.listdir(root) if d.startswith("step-"))
    for d in steps[:-keep]:
        shutil.rmtree(os.path.join(root, d), ignore_errors=True)


_MODEL_FIELDS = ("base", "init", "tiny", "lora", "max_length", "prefix_sharing")


def load_checkpoint(path: str, cfg: TrainConfig, model: nn.Module, optimizer: torch.optim.Optimizer,
                    world_size: int) -> tuple[int, int, int]:
    """Restore model/optimizer/RNG in place; returns (step, epoch, batch_in_epoch) to continue from."""
    if os.path.isdir(path):
        path = os.path.join(path, "checkpoint.pt")
    try:
        state = torch.load(path, map_location="cpu")
    except Exception as e:
        raise ConfigError(f"resume_from: cannot read {path}: {type(e).__name__}: {e}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"resume_from: {path} is not an arbiter checkpoint")
    saved, now = state["config"], cfg.to_dict()
    for name in _MODEL_FIELDS:
        if saved.get(name) != now.get(name):
            raise ConfigError(f"resume_from: the checkpoint has {name}={saved.get(name)!r}, the config {now.get(name)!r}")
    for name in ("seed", "batch_tokens", "epochs", "train_file"):
        if saved.get(name) != now.get(name):
            protocol.log(f"resume: {name} changed since the checkpoint; the data order will differ")
    if state["world_size"] != world_size:
        protocol.log(f"resume: world size {state['world_size']} -> {world_size}; batches are re-sharded")
    params = dict(model.named_parameters())
    unknown = [k for k in state["model"] if k not in params]
    if unknown:
        raise ConfigError(f"resume_from: checkpoint parameters {unknown[:3]} do not exist in this model")
    with torch.no_grad():
        for k, v in state["model"].items():
            params[k].copy_(v)
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["rng"]["torch"])
    random.setstate(state["rng"]["python"])
    if state["rng"].get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    return state["step"], state["epoch"], state["batch_in_epoch"]


# ---- evaluation ----------------------------------------------------------------------------------


@torch.no_grad()
def evaluate(model: nn.Module, elements: list[Element], tok: Tokenizer, cfg: TrainConfig, device: torch.device,
             bf16: bool, row_tokens: int | None, info: DistInfo | None = None) -> dict:
    """Loss, accuracy, ECE, breakdowns and reward mean/std on `elements` (see metrics.py).

    With `info` under DDP every rank scores its share and the records are gathered, so all ranks
    return the same metrics (and no rank idles at a barrier while rank 0 evaluates alone).
    """
    was_training = model.training
    model.eval()
    layout = model.layout
    if info is not None and info.enabled:
        elements = elements[info.rank::info.world_size]
    costs = [e.tokens(layout == "shared") for e in elements]
    rec: dict = {"loss": 0.0, "weight": 0.0, "diff": [], "tie": [], "reward": [], "strength": [], "criteria": [],
                 "data_margin": []}
    for idx in make_batches(costs, cfg.batch_tokens, cfg.seed, 0):
        batch = collate([elements[i] for i in idx], layout, tok.pad_id, row_tokens).to(device)
        with _autocast(device, bf16):
            rewards = model(**batch.model_inputs()).float()
        w = float(batch.item_weight.sum())
        rec["loss"] += float(_loss(rewards, batch, cfg)) * w
        rec["weight"] += w
        rec["diff"] += (rewards[batch.pair_a] - rewards[batch.pair_b]).cpu().tolist()
        rec["tie"] += batch.tie.cpu().tolist()
        rec["reward"] += rewards.cpu().tolist()
        rec["strength"] += [p.strength for p in batch.pairs]
        rec["criteria"] += [p.criteria for p in batch.pairs]
        rec["data_margin"] += [p.data_margin for p in batch.pairs]
    model.train(was_training)
    if info is not None and info.enabled:
        shards: list = [None] * info.world_size
        dist.all_gather_object(shards, rec)
        rec = {k: sum((s[k] for s in shards), type(rec[k])()) for k in rec}
    if not rec["reward"]:
        return {}
    r = np.asarray(rec["reward"], dtype=np.float64)
    metrics = pair_metrics(np.asarray(rec["diff"], dtype=np.float64), np.asarray(rec["tie"], dtype=bool),
                           rec["strength"], rec["criteria"], np.asarray(rec["data_margin"], dtype=np.float64))
    return {"eval_loss": rec["loss"] / max(rec["weight"], 1e-12), **metrics,
            "reward_mean": float(r.mean()), "reward_std": float(r.std())}


# ---- training ------------------------------------------------------------------------------------


def _autocast(device: torch.device, bf16: bool):
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16) if bf16 and device.type == "cuda" else nullcontext()


def _loss(rewards: torch.Tensor, batch: Batch, cfg: TrainConfig) -> torch.Tensor:
    return preference_loss(rewards, batch.pair_a, batch.pair_b, batch.tie, batch.margin, batch.pair_item,
                           batch.item_weight, nu=cfg.tie_nu, center_coef=cfg.center_rewards_coef)


def _make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, betas=(0.9, 0.999), eps=1e-8)


def _load_data(cfg: TrainConfig, tok: Tokenizer) -> tuple[list[Element], list[Element]]:
    train_ex = load_examples(cfg.train_file)
    if cfg.eval_file:
        eval_ex = load_examples(cfg.eval_file)
        if any(e.split == "eval" for e in train_ex):  # lines the caller held out join the eval file's
            eval_ex += [e for e in train_ex if e.split == "eval"]
            train_ex = [e for e in train_ex if e.split != "eval"]
    else:
        train_ex, eval_ex = split_rows(train_ex, cfg.eval_fraction, cfg.seed)
    keep_ties = cfg.loss == "bt-ties"
    kw = dict(keep_ties=keep_ties, margin_from_strength=cfg.margin_from_strength, margin_map=cfg.margin_map)
    train_el = encode_examples(train_ex, tok, cfg.max_length, **kw)
    eval_el = encode_examples(eval_ex, tok, cfg.max_length, **kw)
    dropped = sum(e.tie for e in train_ex + eval_ex) if not keep_ties else 0
    if dropped:
        protocol.log(f"data: {dropped} tie rows skipped (loss \"bt\" has no tie term; use \"bt-ties\")")
    if not train_el:
        raise DataError(f"{cfg.train_file}: no trainable rows after the eval split and tie filtering")
    protocol.log(f"data: {len(train_el)} train / {len(eval_el)} eval elements")
    return train_el, eval_el


def train(cfg: TrainConfig, should_stop: Callable[[], bool] = lambda: False) -> dict:
    """Run one training job. Returns {"status": "done"|"cancelled", ...}; protocol lines on stdout."""
    info = setup_distributed(cfg)
    set_threads(cfg.base == "tiny", int(os.environ.get("LOCAL_WORLD_SIZE", str(info.world_size))))
    device = pick_device(cfg, info)
    bf16 = use_bf16(cfg, device)
    seed_everything(cfg, device)

    model, tok = build_model(cfg, device, bf16)
    train_el, eval_el = _load_data(cfg, tok)
    layout = model.layout
    row_tokens = row_cap(model, cfg.pack_row_tokens)
    costs = [e.tokens(layout == "shared") for e in train_el]
    epoch_batches = [shard_batches(make_batches(costs, cfg.batch_tokens, cfg.seed, e), info.rank, info.world_size)
                     for e in range(cfg.epochs)]
    total = sum(len(b) for b in epoch_batches)
    warmup = math.ceil(cfg.warmup_ratio * total)
    base_lr = cfg.learning_rate
    optimizer = _make_optimizer(model, cfg)

    step, start_epoch, start_batch = 0, 0, 0
    if cfg.resume_from:
        step, start_epoch, start_batch = load_checkpoint(cfg.resume_from, cfg, model, optimizer, info.world_size)
        protocol.log(f"resume: from step {step} (epoch {start_epoch + 1}, batch {start_batch})")
    first_step = step + 1  # always reported, so the caller sees the run (or the resume) start
    raw_model = model
    if info.enabled:
        ids = [device.index] if device.type == "cuda" else None
        model = nn.parallel.DistributedDataParallel(model, device_ids=ids)
        LIVE_DDP_MODELS.append(model)
    protocol.log(f"train: {total} steps, {cfg.epochs} epochs, device {device}, world {info.world_size}, "
                 f"layout {layout}, bf16 {bf16}, params {sum(p.numel() for p in raw_model.parameters()):,}")

    ckpt_root = os.path.join(cfg.output_dir, "checkpoints")
    if info.is_main:
        os.makedirs(cfg.output_dir, exist_ok=True)

    def checkpoint(epoch: int, batch_in_epoch: int) -> str | None:
        path = None
        if info.is_main:
            path = save_checkpoint(os.path.join(ckpt_root, f"step-{step:07d}"), cfg=cfg, model=raw_model,
                                   optimizer=optimizer, step=step, epoch=epoch, batch_in_epoch=batch_in_epoch,
                                   world_size=info.world_size)
        if info.enabled:
            dist.barrier()
        return path

    # Window accumulators for progress lines; run totals for the done line.
    win = np.zeros(5)  # tokens, loss sum, batches, correct, decisive pairs
    win_start = time.perf_counter()
    last_ckpt = time.monotonic()
    run_tokens, run_time = 0.0, 0.0
    # train_loss in the done line: the mean over the last epoch's steps (not the last progress window,
    # whose length depends on wall-clock time), so a seeded run reports the same number every time.
    epoch_loss = np.zeros(2)
    eval_metrics: dict = {}
    model.train()
    for epoch in range(start_epoch, cfg.epochs):
        batches = epoch_batches[epoch]
        epoch_loss[:] = 0
        for bi in range(start_batch if epoch == start_epoch else 0, len(batches)):
            t0 = time.perf_counter()
            lr = lr_at(step, total, warmup, base_lr, base_lr * MIN_LR_RATIO)
            for group in optimizer.param_groups:
                group["lr"] = lr
            batch = collate([train_el[i] for i in batches[bi]], layout, tok.pad_id, row_tokens).to(device)
            with _autocast(device, bf16):
                rewards = model(**batch.model_inputs()).float()
            loss = _loss(rewards, batch, cfg)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.max_grad_norm > 0:
                nn.utils.clip_grad_norm_(raw_model.parameters(), cfg.max_grad_norm)
            optimizer.step()
            step += 1

            with torch.no_grad():
                d = (rewards[batch.pair_a] - rewards[batch.pair_b])[~batch.tie]
                correct = float((d > 0).sum() + 0.5 * (d == 0).sum())
            time_due = cfg.checkpoint_every_seconds > 0 and time.monotonic() - last_ckpt >= cfg.checkpoint_every_seconds
            stats = torch.tensor([float(should_stop()), float(time_due), batch.n_tokens, float(loss.detach()), 1.0, correct,
                                  float(d.numel())], dtype=torch.float64)
            if info.enabled:  # one tiny all-reduce: global stats and an agreed stop decision
                stats = stats.to(device)
                dist.all_reduce(stats)
                stats = stats.cpu()
            stop = stats[0].item() > 0
            ckpt_due = stats[1].item() > 0 or (cfg.checkpoint_every_steps and step % cfg.checkpoint_every_steps == 0)
            win += stats[2:].numpy()
            epoch_loss += stats[3:5].numpy()
            run_tokens += stats[2].item()
            run_time += time.perf_counter() - t0
            last_epoch_step = bi == len(batches) - 1
            now = time.perf_counter()
            if now - win_start >= PROGRESS_EVERY_S or last_epoch_step or stop or step == first_step:
                protocol.progress(step=step, total=total, epoch=epoch + (bi + 1) / len(batches), loss=win[1] / win[2],
                                  accuracy=win[3] / win[4] if win[4] else None,
                                  tokens_per_s=win[0] / max(now - win_start, 1e-9), lr=lr)
                win[:] = 0
                win_start = now
            if stop:
                path = checkpoint(epoch, bi + 1)
                if path:
                    protocol.checkpoint(step=step, path=path)
                protocol.cancelled(step=step, checkpoint=path)
                _teardown(info)
                return {"status": "cancelled", "step": step, "checkpoint": path}
            if ckpt_due:  # every N steps or S seconds (all ranks agree through the all-reduce above)
                last_ckpt = time.monotonic()
                path = checkpoint(epoch, bi + 1)
                if path:
                    protocol.checkpoint(step=step, path=path)
                    _prune_checkpoints(ckpt_root, KEEP_CHECKPOINTS)

        if eval_el:
            eval_metrics = evaluate(raw_model, eval_el, tok, cfg, device, bf16, row_tokens, info)
            protocol.eval_(epoch=epoch + 1, step=step, metrics=eval_metrics)
        win_start = time.perf_counter()  # eval time is not training throughput

    result = {"status": "done", "step": step, "model_dir": cfg.output_dir}
    if info.is_main:
        metrics = _finish(cfg, raw_model, tok, train_el, eval_el, eval_metrics, device, bf16, row_tokens,
                          tokens_per_s=run_tokens / max(run_time, 1e-9), train_loss=epoch_loss[0] / epoch_loss[1] if epoch_loss[1] else None, steps=step,
                          world_size=info.world_size)
        protocol.done(model_dir=cfg.output_dir, metrics=metrics)
        result["metrics"] = metrics
    _teardown(info)
    return result


def _finish(cfg: TrainConfig, model: nn.Module, tok: Tokenizer, train_el: list[Element], eval_el: list[Element],
            eval_metrics: dict, device: torch.device, bf16: bool, row_tokens: int | None, **extra) -> dict:
    """Save the model dir with metrics.json and reward_stats.json; return the done-line metrics."""
    stats_source = "eval"
    if not eval_el:  # no held-out data: normalise with rewards on (a sample of) the training set
        stats_source = "train"
        sample = evaluate(model, train_el[:512], tok, cfg, device, bf16, row_tokens)
        eval_metrics = {"reward_mean": sample.get("reward_mean"), "reward_std": sample.get("reward_std")}
    metrics = {
        "eval_accuracy": eval_metrics.get("eval_accuracy"),
        "eval_loss": eval_metrics.get("eval_loss"),
        "ece": eval_metrics.get("ece"),
        **extra,
        **{k: v for k, v in eval_metrics.items() if k not in ("eval_accuracy", "eval_loss", "ece")},
        "epochs": cfg.epochs,
        "train_elements": len(train_el),
        "eval_elements": len(eval_el),
    }
    save_model_dir(model, tok, cfg.output_dir, max_length=cfg.max_length, train_config=cfg.to_dict())
    mean, std = metrics.get("reward_mean") or 0.0, metrics.get("reward_std") or 1.0
    _write_json(os.path.join(cfg.output_dir, "reward_stats.json"),
                {"mean": mean, "std": std if std > 1e-6 else 1.0, "source": stats_source})
    _write_json(os.path.join(cfg.output_dir, "metrics.json"), metrics)
    return metrics


def _write_json(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(protocol.clean(obj), f, indent=2)
        f.write("\n")


def _teardown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
