"""Training throughput benchmark: a TRL-style padded baseline against the trainer's own loop.

Run (from server/trainer, or through `npm run bench:train -- …` from the repository root):
    /usr/bin/python3 -m arbiter_trainer.bench                       # CPU default: tiny model, 600 pairs, 64-512 tokens
    /usr/bin/python3 -m arbiter_trainer.bench --json                # one JSON object on stdout
    python3 -m arbiter_trainer.bench --model qwen2-0.5b --pairs 4000 --min-len 128 --max-len 2048   # GPU
    python3 -m arbiter_trainer.bench --model qwen2-mini                  # HF path on a CPU (400 pairs, lr 3e-4 by default)
    python3 -m arbiter_trainer.bench --model qwen2-mini --chat-template  # … with a chat template (the issue's command)
    python3 -m arbiter_trainer.bench --model qwen2-0.5b --chat-template --min-len 512 --max-len 8192   # GPU, ~128-2048 tokens

One process, one synthetic HH-like data set (whole sequences log-uniform over --min-len..--max-len
tokens; the chosen response ends with a helpful closing, the rejected one with an unhelpful one, so
there is something to learn), one random init (the trainer's build_model, seeded), the trainer's
optimizer (AdamW, warmup + cosine, clipping) and held-out split. Two arms:

  baseline  written like TRL's RewardTrainer defaults: prompt+chosen and prompt+rejected each padded
            to the longest in the batch (RewardDataCollatorWithPadding), two forward passes, plain
            Bradley-Terry loss, random batches of a fixed number of pairs (no length grouping, no
            packing, no prefix sharing). The batch size defaults to the one that gives the same number
            of optimizer steps as ours, so both follow the same LR schedule.
  ours      train.train() itself, on the same data file and config: length-grouped token-budget
            batches, padding-free packing, the prompt computed once for both responses (tiny model, and HF
            models on sdpa/eager attention with transformers >= 5; one-row varlen rows with flash-attn).

Both arms are then scored by the trainer's evaluate() on the same held-out pairs.

--chat-template (HF presets): the base gets a real tokenizer instead of the byte ids — a `tokenizers` byte-level
BPE trained offline on the benchmark's own words (the preset's vocabulary size), with a ChatML chat template —
so every pair is the HH prompt split into turns plus the response, rendered by apply_chat_template (chat.py).
Both arms train on those same rendered token ids (the baseline pads prompt+chosen and prompt+rejected as TRL
does with conversational data); ours shares the template's prompt tokens between the two responses. Lengths
(--min-len/--max-len) are then in characters: BPE makes the sequences a few times shorter in tokens.

Counts (per arm, summed over all epochs):
  pair_tokens          real tokens of the pairs as a padded trainer sees them: prompt+chosen plus
                       prompt+rejected, no pads. The same for both arms; real_tokens_per_s is this over
                       the training time, so the ratio of the two arms is the ratio of their speeds.
  computed_tokens      positions the model ran, pads included.
  computed_real_tokens positions that were not pads (ours: a shared prompt counts once; this over the
                       training time is what the trainer's own tokens_per_s reports).
  pad_tokens           computed_tokens - computed_real_tokens.
MFU = 6 x non-embedding parameters x computed_real_tokens / training time / the GPU's peak bf16 dense
FLOPS (a table by device name; attention FLOPs are not counted). On CPU there is no peak to divide by,
so MFU is "n/a (CPU)" and only the achieved FLOP/s is printed. Training time is the sum of the steps
(batch building, forward, backward, optimizer), without evaluation, as train.py measures it.
Peak memory: torch.cuda.max_memory_allocated on CUDA; on CPU the growth of the process's resident
set over the arm (sampled every 5 ms; ru_maxrss growth too, which only sees new highs).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import math
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from .config import TrainConfig, config_from_dict
from .data import Element, collate, make_batches
from .losses import bradley_terry_loss
from .model import HFRewardModel, TinyRewardModel, build_model, row_cap, transformers_available
from .tokenizer import Tokenizer
from .train import (DistInfo, _autocast, _load_data, _make_optimizer, evaluate, lr_at, pick_device, seed_everything,
                    set_threads, train, use_bf16, MIN_LR_RATIO)

# Peak dense bf16 FLOPS by device name (vendor datasheets, no sparsity). First match wins.
PEAK_BF16_FLOPS = (("H100 PCIe", 756e12), ("H100 NVL", 835e12), ("H100", 989e12), ("H200", 989e12),
                   ("GH200", 989e12), ("A100", 312e12), ("L40S", 362e12), ("A10G", 70e12))

# Qwen2-0.5B's published config.json (random init: no weights are available offline).
QWEN2_0_5B = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896,
              "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
              "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 131072,
              "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu", "tie_word_embeddings": True,
              "use_sliding_window": False, "sliding_window": 131072, "max_window_layers": 24,
              "attention_dropout": 0.0, "initializer_range": 0.02, "bos_token_id": 151643,
              "eos_token_id": 151643, "torch_dtype": "bfloat16"}

# The same architecture (GQA with 2 KV heads, head dim 64, SwiGLU, RMSNorm, RoPE) at a size a 2-core CPU
# trains in minutes; its vocabulary is cut to the byte tokenizer's ids (random init, no real tokenizer).
QWEN2_MINI = {**QWEN2_0_5B, "hidden_size": 256, "intermediate_size": 1408, "num_hidden_layers": 4,
              "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512,
              "max_position_embeddings": 4096, "sliding_window": 4096, "max_window_layers": 4,
              "bos_token_id": None, "eos_token_id": None, "torch_dtype": "float32"}
# The fine-tuning default (1e-5) barely moves random weights in two epochs; at 3e-4 both arms learn the synthetic
# rule (equal held-out accuracy is the point of the comparison), in a few minutes on a 2-core CPU.
QWEN2_MINI_LR = 3e-4
HF_PRESETS = {"qwen2-0.5b": (QWEN2_0_5B, "Qwen2-0.5B-shaped, random init"),
              "qwen2-mini": (QWEN2_MINI, "Qwen2 architecture at 4 x 256 (CPU size), random init")}

GOOD_ENDINGS = ("I hope this helps, and let me know if you have more questions.",
                "Here is a summary of the steps above so you can follow them safely.",
                "Please consult a professional if the problem persists.")
BAD_ENDINGS = ("I don't know, figure it out yourself.", "Whatever, this is not my problem.",
               "No idea, ask someone else.")
WORDS = ("the of and to in is that for it as with was on be by this are from at or an have not which but "
         "can all water garden recipe travel budget engine code email doctor weather history music").split()


class BenchError(RuntimeError):
    """A user-facing problem (missing package, bad flag): one line on stderr, exit 1."""


# ---- data ----------------------------------------------------------------------------------------


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    n = 0
    while n < chars:
        w = rng.choice(WORDS)
        words.append(w)
        n += len(w) + 1
    return " ".join(words)[:max(0, chars)]


def synthetic_pairs(n: int, min_len: int, max_len: int, seed: int) -> list[dict]:
    """HH-like pairs: multi-turn prompts, chosen/rejected of independent lengths. Each whole sequence
    (prompt + response, with the byte tokenizer's 3 special tokens) is log-uniform over
    [min_len, max_len] tokens; the prompt is 20-60 % of the shorter one. 1 ASCII char = 1 token."""
    if not 8 <= min_len <= max_len:
        raise BenchError(f"--min-len/--max-len: need 8 <= min <= max, got {min_len}..{max_len}")
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        lc, lr = (round(math.exp(rng.uniform(math.log(min_len), math.log(max_len)))) - 3 for _ in range(2))
        p = max(16, int(min(lc, lr) * rng.uniform(0.2, 0.6)))
        turns = rng.randint(1, 3)
        prompt = ""
        for t in range(turns):
            human = f"\n\nHuman: [{i}.{t}] "
            share = (p - len(prompt)) // (turns - t)
            prompt += human + _text(rng, max(1, share - len(human) - 14))
            if t < turns - 1:
                prompt += "\n\nAssistant: " + _text(rng, max(1, share // 3))
        prompt = prompt[:max(1, p - 12)] + "\n\nAssistant:"
        good, bad = rng.choice(GOOD_ENDINGS), rng.choice(BAD_ENDINGS)
        chosen = " " + _text(rng, max(0, lc - len(prompt) - len(good) - 2)) + " " + good
        rejected = " " + _text(rng, max(0, lr - len(prompt) - len(bad) - 2)) + " " + bad
        rows.append({"prompt": prompt, "chosen": chosen, "rejected": rejected})
    return rows


# ---- measuring -----------------------------------------------------------------------------------


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _release_freed_memory() -> None:
    """Collect garbage and hand glibc's free heap pages back to the OS (malloc_trim), where there is glibc."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class PeakMemory:
    """Peak memory of one arm: CUDA max_memory_allocated, or on CPU the resident-set growth over the
    arm (a sampling thread; torch ops release the GIL) and the ru_maxrss growth."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._stop = threading.Event()
        self._peak = 0
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
        else:
            _release_freed_memory()  # else the second arm reuses the first one's pages and looks free
            self._start = _rss_bytes() or 0
            self._peak = self._start
            self._maxrss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self._peak = max(self._peak, _rss_bytes() or 0)

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.result = {"peak_mem_mib": torch.cuda.max_memory_allocated(self.device) / 2**20,
                           "peak_mem_kind": "torch.cuda.max_memory_allocated"}
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._peak = max(self._peak, _rss_bytes() or 0)
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        self.result = {"peak_mem_mib": (self._peak - self._start) / 2**20,
                       "peak_mem_kind": "CPU resident-set growth over the arm (sampled)",
                       "ru_maxrss_growth_mib": (maxrss - self._maxrss_start) / 1024}


def non_embedding_params(model: nn.Module) -> int:
    emb = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    return sum(p.numel() for p in model.parameters() if id(p) not in emb)


def peak_flops(device: torch.device, bf16: bool) -> tuple[float | None, str]:
    if device.type != "cuda":
        return None, "n/a (CPU)"
    name = torch.cuda.get_device_name(device)
    if not bf16:
        return None, f"n/a ({name} without bf16: no fp32 peak in the table)"
    for key, flops in PEAK_BF16_FLOPS:
        if key in name:
            return flops, f"{name}: {flops / 1e12:.0f} TFLOPS bf16 dense ({key})"
    return None, f"n/a ({name} is not in the peak table)"


# ---- the two arms --------------------------------------------------------------------------------


def padded_inputs(seqs: list[list[int]], pad_id: int) -> dict[str, torch.Tensor]:
    """TRL's collator: right-pad to the longest sequence of the batch, with an attention mask."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def padded_forward(model: nn.Module, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """One reward per row of a right-padded batch, the way an HF sequence-classification model gets it."""
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    if isinstance(model, HFRewardModel):  # AutoModelForSequenceClassification(input_ids, attention_mask)
        return model.seq_cls_model()(input_ids=ids, attention_mask=mask, use_cache=False).logits[:, 0].float()
    if not isinstance(model, TinyRewardModel):
        raise TypeError(f"no padded forward for {type(model).__name__}")
    rows, width = ids.shape
    lengths = mask.sum(1)
    return model(input_ids=ids, position_ids=torch.arange(width, device=ids.device).expand(rows, width),
                 segment_ids=torch.where(mask.bool(), 0, -1), branch_ids=torch.zeros_like(ids),
                 last_index=torch.arange(rows, device=ids.device) * width + lengths - 1).float()


@dataclass
class Setup:
    cfg: TrainConfig
    device: torch.device
    bf16: bool
    label: str


def run_baseline(s: Setup, batch_pairs: int) -> dict:
    cfg, device = s.cfg, s.device
    seed_everything(cfg, device)
    with PeakMemory(device) as mem:
        model, tok = build_model(cfg, device, s.bf16)  # seeded: the same init as train() builds
        train_el, eval_el = _load_data(cfg, tok)
        n = len(train_el)
        per_epoch = math.ceil(n / batch_pairs)
        total = per_epoch * cfg.epochs
        warmup = math.ceil(cfg.warmup_ratio * total)
        optimizer = _make_optimizer(model, cfg)
        counts = {"computed_tokens": 0, "computed_real_tokens": 0}
        seconds, step, losses = 0.0, 0, []
        last_log = time.monotonic()
        model.train()
        for epoch in range(cfg.epochs):
            order = np.random.default_rng([cfg.seed, epoch]).permutation(n)  # RandomSampler: no length grouping
            for start in range(0, n, batch_pairs):
                t0 = time.perf_counter()
                lr = lr_at(step, total, warmup, cfg.learning_rate, cfg.learning_rate * MIN_LR_RATIO)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                els = [train_el[i] for i in order[start:start + batch_pairs]]
                chosen = padded_inputs([e.prompt_ids + e.response_ids[0] for e in els], tok.pad_id)
                rejected = padded_inputs([e.prompt_ids + e.response_ids[1] for e in els], tok.pad_id)
                for b in (chosen, rejected):
                    counts["computed_tokens"] += b["input_ids"].numel()
                    counts["computed_real_tokens"] += int(b["attention_mask"].sum())
                chosen = {k: v.to(device) for k, v in chosen.items()}
                rejected = {k: v.to(device) for k, v in rejected.items()}
                with _autocast(device, s.bf16):
                    r_c = padded_forward(model, chosen)
                    r_r = padded_forward(model, rejected)
                loss = bradley_terry_loss(r_c, r_r).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.max_grad_norm > 0:
                    nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                losses.append(float(loss.detach()))  # also waits for the GPU, as train.py's step does
                step += 1
                seconds += time.perf_counter() - t0
                if time.monotonic() - last_log >= 10 or step == total:
                    last_log = time.monotonic()
                    print(f"baseline: step {step}/{total}  loss {losses[-1]:.4f}  "
                          f"{counts['computed_real_tokens'] / seconds:,.0f} real tokens/s", file=sys.stderr)
        metrics = evaluate(model, eval_el, tok, cfg, device, s.bf16, 0 if isinstance(model, TinyRewardModel) else None)
    result = _arm_result(s, non_embedding_params(model), train_el, counts, seconds, steps=step, metrics=metrics,
                         train_loss=float(np.mean(losses[-per_epoch:])))
    result.update(mem.result, batch=f"{batch_pairs} pairs, padded to the longest, random order")
    del model, optimizer
    return result


def our_batches(cfg: TrainConfig, layout: str, train_el: list[Element]) -> list[list[int]]:
    """The batches train() runs: the same pure functions of (data, seed, epoch) it calls."""
    costs = [e.tokens(layout == "shared") for e in train_el]
    return [b for e in range(cfg.epochs) for b in make_batches(costs, cfg.batch_tokens, cfg.seed, e)]


def run_ours(s: Setup, layout: str, row_tokens: int | None, non_emb: int, tok: Tokenizer) -> dict:
    cfg, device = s.cfg, s.device
    with PeakMemory(device) as mem:
        with contextlib.redirect_stdout(sys.stderr):  # its protocol lines become log lines here
            result = train(cfg)
    if result.get("status") != "done":
        raise RuntimeError(f"train() ended with {result.get('status')}")
    metrics = result["metrics"]
    # Replay the batch construction (pure functions, no model run) to count pads and computed tokens.
    train_el, _ = _load_data(cfg, tok)  # tok: build_model's, as train() encodes
    counts = {"computed_tokens": 0, "computed_real_tokens": 0}
    for idx in our_batches(cfg, layout, train_el):
        b = collate([train_el[i] for i in idx], layout, tok.pad_id, row_tokens)
        counts["computed_tokens"] += b.input_ids.numel()
        counts["computed_real_tokens"] += b.n_tokens
    seconds = counts["computed_real_tokens"] / metrics["tokens_per_s"]  # train()'s own step time
    out = _arm_result(s, non_emb, train_el, counts, seconds, steps=metrics["steps"], metrics=metrics,
                      train_loss=metrics.get("train_loss"))
    out.update(mem.result, batch=f"length-grouped, {cfg.batch_tokens} real tokens per step, layout {layout}",
               trainer_tokens_per_s=metrics["tokens_per_s"])
    return out


def _arm_result(s: Setup, non_emb: int, train_el: list[Element], counts: dict, seconds: float, *, steps: int,
                metrics: dict, train_loss) -> dict:
    pair_tokens = sum(e.tokens(False) for e in train_el) * s.cfg.epochs
    flops = 6 * non_emb * counts["computed_real_tokens"]
    peak, _ = peak_flops(s.device, s.bf16)
    return {
        "steps": steps,
        "train_seconds": seconds,
        "pair_tokens": pair_tokens,
        **counts,
        "pad_tokens": counts["computed_tokens"] - counts["computed_real_tokens"],
        "real_tokens_per_s": pair_tokens / seconds,
        "computed_real_tokens_per_s": counts["computed_real_tokens"] / seconds,
        "achieved_tflops": flops / seconds / 1e12,
        "mfu": flops / seconds / peak if peak else None,
        "train_loss": train_loss,
        "eval_accuracy": metrics.get("eval_accuracy"),
        "eval_loss": metrics.get("eval_loss"),
        "eval_pairs": metrics.get("n_pairs"),
    }


# ---- main ----------------------------------------------------------------------------------------

CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def chat_tokenizer(rows: list[dict], vocab_size: int):
    """A byte-level BPE (`tokenizers`, trained offline on the rows' text) with Qwen2's ChatML specials and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tk.train_from_iterator((t for r in rows for t in (r["prompt"], r["chosen"], r["rejected"])), trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   chat_template=CHATML)



def build_setup(args: argparse.Namespace, work: str) -> tuple[Setup, dict]:
    rows = synthetic_pairs(args.pairs, args.min_len, args.max_len, args.seed)
    data = os.path.join(work, "pairs.jsonl")
    with open(data, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    raw: dict = {"train_file": data, "output_dir": os.path.join(work, "ours"), "epochs": args.epochs,
                 "max_length": args.max_len, "seed": args.seed, "eval_fraction": args.eval_fraction,
                 "checkpoint_every_steps": 0, "device": args.device, "lr": args.lr}
    if args.batch_tokens is not None:
        raw["batch_tokens"] = args.batch_tokens
    if args.model == "tiny":
        if args.chat_template:
            raise BenchError("--chat-template: needs an HF model (--model qwen2-mini or qwen2-0.5b); tiny reads bytes")
        raw["tiny"] = {"d_model": args.d_model, "n_layers": args.layers, "n_heads": args.heads, "d_ff": args.d_ff}
        label = f"tiny byte-level (d_model {args.d_model}, {args.layers} layers)"
    else:
        if not transformers_available():
            raise BenchError(f"--model {args.model}: needs the transformers package, which {sys.executable} "
                             "cannot import (install server/trainer/requirements-gpu.txt into a Python with "
                             "torch and point ARBITER_PYTHON at it), or use the default --model tiny")
        from transformers import AutoConfig

        folder = os.path.join(work, args.model)
        preset, label = HF_PRESETS[args.model]
        cfg_args = {k: v for k, v in preset.items() if k not in ("model_type", "architectures")}
        if args.chat_template:
            tok = chat_tokenizer(rows, int(cfg_args["vocab_size"]))
            tok.save_pretrained(folder)
            cfg_args.update(pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
            label += ", BPE tokenizer with a ChatML chat template"
        AutoConfig.for_model("qwen2", **cfg_args).save_pretrained(folder)
        raw["base"] = folder
        raw["init"] = "random"  # a benchmark of throughput: random weights on purpose
    return Setup(config_from_dict(raw), torch.device("cpu"), False, label), {
        "pairs": len(rows), "min_len": args.min_len, "max_len": args.max_len}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the device-dependent and per-model defaults filled in."""
    p = argparse.ArgumentParser(prog="python3 -m arbiter_trainer.bench",
                                description="reward-model training throughput: TRL-style padded baseline vs ours")
    p.add_argument("--model", choices=("tiny", *HF_PRESETS), default="tiny",
                   help="tiny byte-level model, or a random-init Qwen2 (needs transformers): 0.5B shape for a GPU, "
                        "mini for a CPU")
    p.add_argument("--pairs", type=int, default=None,
                   help="synthetic pairs (default 600 on CPU, 400 for qwen2-mini on CPU, 4000 on CUDA)")
    p.add_argument("--min-len", type=int, default=None, help="shortest prompt+response sequence in tokens "
                   "(default 64 on CPU, 128 on CUDA)")
    p.add_argument("--max-len", type=int, default=None, help="longest one (default 512 on CPU, 2048 on CUDA)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-tokens", type=int, default=None, help="ours: real tokens per step (trainer default 4096)")
    p.add_argument("--baseline-batch-pairs", type=int, default=None,
                   help="baseline pairs per step (default: the same number of steps as ours)")
    p.add_argument("--eval-fraction", type=float, default=0.1)
    p.add_argument("--lr", type=float, default=None,
                   help=f"default: {QWEN2_MINI_LR:g} for qwen2-mini (random init), else the trainer's (1e-3 tiny, "
                        "1e-5 full fine-tune)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--d-ff", type=int, default=512)
    p.add_argument("--chat-template", action="store_true",
                   help="HF presets: a BPE tokenizer with a ChatML chat template instead of byte ids (see the docstring)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--keep-model", metavar="DIR", default=None,
                   help="copy ours' trained model directory here (e.g. for `npm run bench:score -- --model-dir DIR`)")
    args = p.parse_args(argv)
    cuda = args.device != "cpu" and torch.cuda.is_available()
    # The spread is 128-2048 tokens. The tiny model's dense masks cost C^2 per row on torch 1.13,
    # so the CPU default is 64-512 (the same 8x spread, shorter), which runs in 1-3 minutes on 2 cores.
    if args.pairs is None:
        args.pairs = 4000 if cuda else 400 if args.model == "qwen2-mini" else 600
    if args.lr is None and args.model == "qwen2-mini":
        args.lr = QWEN2_MINI_LR
    if args.min_len is None:
        args.min_len = 128 if cuda else 64
    if args.max_len is None:
        args.max_len = 2048 if cuda else 512
    if args.pairs < 4:
        p.error("--pairs: at least 4")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="arbiter-bench-train-") as work:
            report = run(args, work)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0


def run(args: argparse.Namespace, work: str) -> dict:
    setup, data = build_setup(args, work)
    cfg = setup.cfg
    set_threads(cfg.base == "tiny")
    device = pick_device(cfg, DistInfo())
    setup.device, setup.bf16 = device, use_bf16(cfg, device)
    print(f"bench:train  {setup.label}  device {device}  bf16 {setup.bf16}  threads {torch.get_num_threads()}",
          file=sys.stderr)

    # The baseline's batch size: as many optimizer steps as ours unless told otherwise.
    model, tok = build_model(cfg, torch.device("cpu"), False)
    train_el, eval_el = _load_data(cfg, tok)
    layout, row_tokens = model.layout, row_cap(model, cfg.pack_row_tokens)  # as train() does
    our_steps = len(our_batches(cfg, layout, train_el))
    batch_pairs = args.baseline_batch_pairs or max(1, round(len(train_el) * cfg.epochs / our_steps))
    seq = np.array([len(e.prompt_ids) + len(r) for e in train_el for r in e.response_ids])
    params, non_emb = sum(q.numel() for q in model.parameters()), non_embedding_params(model)
    del model

    print(f"baseline: {batch_pairs} pairs per step …", file=sys.stderr)
    baseline = run_baseline(setup, batch_pairs)
    if device.type == "cuda":
        torch.cuda.empty_cache()
    print("ours: train.train() …", file=sys.stderr)
    ours = run_ours(setup, layout, row_tokens, non_emb, tok)
    if args.keep_model:
        shutil.copytree(cfg.output_dir, args.keep_model, ignore=shutil.ignore_patterns("checkpoints"),
                        dirs_exist_ok=True)
    peak, peak_note = peak_flops(device, setup.bf16)
    acc = (baseline["eval_accuracy"], ours["eval_accuracy"])
    return {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "bf16": setup.bf16,
        "model": {"name": args.model, "label": setup.label, "params": params, "non_embedding_params": non_emb,
                  "chat_template": bool(args.chat_template)},
        "data": {**data, "train_pairs": len(train_el), "eval_pairs": len(eval_el), "epochs": cfg.epochs,
                 "seq_tokens_p5_p50_p95_max": [int(np.percentile(seq, q)) for q in (5, 50, 95)] + [int(seq.max())]},
        "optimizer": {"lr": cfg.learning_rate, "warmup_ratio": cfg.warmup_ratio, "weight_decay": cfg.weight_decay,
                      "max_grad_norm": cfg.max_grad_norm, "schedule": "linear warmup, cosine to 10%"},
        "peak_flops": peak,
        "mfu_note": peak_note,
        "baseline": baseline,
        "ours": ours,
        "ratio_real_tokens_per_s": ours["real_tokens_per_s"] / baseline["real_tokens_per_s"],
        "accuracy_diff": None if None in acc else acc[1] - acc[0],
    }


def print_table(r: dict) -> None:
    d = r["data"]
    print(f"bench:train  model {r['model']['label']}  ({r['model']['params']:,} params, "
          f"{r['model']['non_embedding_params']:,} non-embedding)")
    print(f"device {r['device_name']}  threads {r['threads']}/{r['cpu_count']} cores  torch {r['torch']}  bf16 {r['bf16']}")
    print(f"data: {d['train_pairs']} train / {d['eval_pairs']} eval pairs, {d['epochs']} epochs, sequence tokens "
          f"p5/p50/p95/max {'/'.join(map(str, d['seq_tokens_p5_p50_p95_max']))}")

    def mib(a: dict) -> str:
        return f"{a['peak_mem_mib']:.0f} MiB"

    def pct(x) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    rows = [("", "baseline (TRL-style)", "ours (train.train)"),
            ("batches", r["baseline"]["batch"], r["ours"]["batch"]),
            ("optimizer steps", r["baseline"]["steps"], r["ours"]["steps"])]
    for key, label in (("train_seconds", "train time, s"), ("real_tokens_per_s", "real tokens/s (pair tokens)"),
                       ("computed_real_tokens_per_s", "computed non-pad tokens/s")):
        rows.append((label, f"{r['baseline'][key]:,.1f}", f"{r['ours'][key]:,.1f}"))
    for key, label in (("pair_tokens", "pair tokens (no pads)"), ("computed_tokens", "positions computed"),
                       ("computed_real_tokens", "non-pad positions"), ("pad_tokens", "pad positions")):
        rows.append((label, f"{r['baseline'][key]:,}", f"{r['ours'][key]:,}"))
    rows += [("achieved TFLOP/s (6N)", f"{r['baseline']['achieved_tflops']:.4f}", f"{r['ours']['achieved_tflops']:.4f}"),
             ("MFU", pct(r["baseline"]["mfu"]) if r["peak_flops"] else r["mfu_note"],
              pct(r["ours"]["mfu"]) if r["peak_flops"] else r["mfu_note"]),
             ("peak memory", mib(r["baseline"]), mib(r["ours"])),
             ("held-out accuracy", pct(r["baseline"]["eval_accuracy"]), pct(r["ours"]["eval_accuracy"]))]
    w0 = max(len(str(a)) for a, _, _ in rows)
    w1 = max(len(str(b)) for _, b, _ in rows)
    for a, b, c in rows:
        print(f"{str(a):<{w0}}  {str(b):<{w1}}  {c}")
    print(f"peak memory: {r['baseline']['peak_mem_kind']}")
    if r["peak_flops"]:
        print(f"MFU peak: {r['mfu_note']}")
    diff = r["accuracy_diff"]
    print(f"ours/baseline real tokens/s: {r['ratio_real_tokens_per_s']:.2f}x   accuracy ours - baseline: "
          f"{'n/a' if diff is None else f'{100 * diff:+.1f} points'}")


if __name__ == "__main__":
    sys.exit(main())
