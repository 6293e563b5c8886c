"""Helpers of `npm run bench:generate` (scripts/bench/generate.ts): a random-init chat model with a real
architecture's shape, and the naive baseline (one prompt at a time through `model.generate`).

    python -m arbiter_trainer.generate_bench build --preset qwen2-mini --out /tmp/gen-model
    python -m arbiter_trainer.generate_bench naive --model /tmp/gen-model --prompts p.jsonl --max-tokens 64 \\
        [--temperature 0.8 --top-p 0.95 --seed 0] [--device auto] [--limit 200]

    python -m arbiter_trainer.generate_bench sampler [--against OLD_generate.py] [--rows 64] [--vocab 151936]

`build` writes config + random weights (safetensors) + a tokenizer with the preset's vocabulary size and a
ChatML chat template: a byte-level BPE whose ids above the 256 byte symbols are filler words ("w1234"), so
any id a random model samples decodes (throughput does not depend on the weights or on what the words are).
`naive` prints one JSON object {prompts, output_tokens, seconds, tokens_per_s} on stdout; prompts.jsonl has
one {"messages": [...]} per line, the same the worker arm sends. `sampler` times the worker's sampler per decode
step on synthetic logits (peaked and flat), side by side with another version's when `--against` names one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + "
          "'\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

# Shapes only (random init): Qwen2.5-0.5B-Instruct's config, and a CPU-sized Qwen2.
PRESETS = {
    "qwen2.5-0.5b": {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
                     "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 32768,
                     "tie_word_embeddings": True, "rope_theta": 1000000.0},
    "qwen2-mini": {"hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 4,
                   "num_key_value_heads": 2, "vocab_size": 8192, "max_position_embeddings": 4096,
                   "tie_word_embeddings": True},
}


def build_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    for s in specials:
        vocab[s] = len(vocab)
    while len(vocab) < vocab_size:
        vocab[f"w{len(vocab)}"] = len(vocab)
    tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens(specials)
    return PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   chat_template=CHATML)


def build(preset: str, out: str, seed: int = 0) -> str:
    from transformers import AutoConfig, AutoModelForCausalLM

    shape = PRESETS[preset]
    tok = build_tokenizer(shape["vocab_size"])
    config = AutoConfig.for_model("qwen2", **shape, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                  bos_token_id=None)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    return out


@torch.no_grad()
def naive(model_dir: str, prompts: list[list[dict]], *, max_tokens: int, temperature: float, top_p: float, seed: int,
          device: str) -> dict:
    from .generate import load_generator, render_chat
    from .train import set_threads

    set_threads(False)  # the worker's thread count (ARBITER_TORCH_THREADS), so both arms get the same CPUs
    m = load_generator(model_dir, device=device)
    tokens = 0
    t0 = time.perf_counter()
    for i, messages in enumerate(prompts):
        ids = torch.tensor([render_chat(m.tokenizer, messages)], device=m.device)
        torch.manual_seed(seed + i)
        sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0} if temperature > 0 \
            else {"do_sample": False}
        out = m.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_tokens,
                               eos_token_id=sorted(m.eos_ids), pad_token_id=m.tokenizer.pad_token_id, **sampling)
        new = out[0, ids.shape[1]:].tolist()
        # Count as the worker does: tokens up to and including the first end-of-sequence token.
        stop = next((k for k, t in enumerate(new) if t in m.eos_ids), None)
        tokens += len(new) if stop is None else stop + 1
    if m.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    return {"prompts": len(prompts), "output_tokens": tokens, "seconds": round(seconds, 3),
            "tokens_per_s": round(tokens / seconds, 1), "device": str(m.device)}


def sampler(against: str | None, *, rows: int, vocab: int, device: str, repeats: int = 3) -> list[dict]:
    """Milliseconds per decode step of the worker's sampler (generate.sample_rows) on synthetic logits, peaked
    (a trained model's shape: the nucleus is a few hundred ids) and flat (a random-init model's), T 0.8, top_p
    0.95, one seeded generator per row. `against`: another generate.py (e.g. from `git show REV:…`) whose
    sample_rows runs alternately with this one, for a side-by-side ratio."""
    import importlib.util

    from .generate import SamplingParams, pick_device, sample_rows

    fns = {"current": sample_rows}
    if against:
        spec = importlib.util.spec_from_file_location("arbiter_trainer._against", against)
        mod = importlib.util.module_from_spec(spec)
        mod.__package__ = "arbiter_trainer"
        sys.modules[spec.name] = mod  # dataclasses look their module up there
        spec.loader.exec_module(mod)
        fns = {"against": mod.sample_rows, "current": sample_rows}
    dev = pick_device(device)
    torch.manual_seed(0)
    results = []
    for label, scale in (("peaked", 4.0), ("flat", 0.05)):
        logits = (torch.randn(rows, vocab) * scale).to(dev)
        params = [SamplingParams(max_tokens=1, temperature=0.8, top_p=0.95, seed=i) for i in range(rows)]
        best = {name: float("inf") for name in fns}
        for _ in range(repeats):
            for name, fn in fns.items():
                gens = [torch.Generator().manual_seed(i) for i in range(rows)]
                fn(logits, params, gens)  # warm-up
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
                fn(logits, params, gens)
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                best[name] = min(best[name], (time.perf_counter() - t) * 1000)
        row = {"rows": rows, "vocab": vocab, "logits": label, "device": str(dev),
               **{f"{name}_ms": round(ms, 2) for name, ms in best.items()}}
        if against:
            row["ratio"] = round(best["against"] / best["current"], 2)
        results.append(row)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m arbiter_trainer.generate_bench")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--preset", choices=sorted(PRESETS), default="qwen2-mini")
    b.add_argument("--out", required=True)
    b.add_argument("--seed", type=int, default=0)
    n = sub.add_parser("naive")
    n.add_argument("--model", required=True)
    n.add_argument("--prompts", required=True)
    n.add_argument("--max-tokens", type=int, required=True)
    n.add_argument("--temperature", type=float, default=0.8)
    n.add_argument("--top-p", type=float, default=0.95)
    n.add_argument("--seed", type=int, default=0)
    n.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    n.add_argument("--limit", type=int, default=0, help="only the first N prompts (0: all)")
    sm = sub.add_parser("sampler", help="time the sampler per decode step (see sampler())")
    sm.add_argument("--against", default=None, help="another generate.py to compare with, run alternately")
    sm.add_argument("--rows", type=int, default=64)
    sm.add_argument("--vocab", type=int, default=151936)
    sm.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = p.parse_args(argv)
    if args.cmd == "sampler":
        for row in sampler(args.against, rows=args.rows, vocab=args.vocab, device=args.device):
            print(json.dumps(row))
        return 0
    if args.cmd == "build":
        print(json.dumps({"model_dir": build(args.preset, args.out, args.seed)}))
        return 0
    with open(args.prompts, encoding="utf-8") as f:
        prompts = [json.loads(line)["messages"] for line in f if line.strip()]
    if args.limit:
        prompts = prompts[: args.limit]
    print(json.dumps(naive(args.model, prompts, max_tokens=args.max_tokens, temperature=args.temperature,
                           top_p=args.top_p, seed=args.seed, device=args.device)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
