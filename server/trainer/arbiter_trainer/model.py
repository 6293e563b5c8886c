"""Reward models: a scalar read at the last real token of each (prompt, response) sequence.

Both models take the packed tensors from data.collate and return one reward per response:
    model(input_ids, position_ids, segment_ids, branch_ids, last_index) -> rewards [N]

TinyRewardModel  built-in byte-level causal transformer (pre-LN, learned positions). Runs on
                 torch 1.13 CPU. It builds the block-diagonal (and prefix-sharing) attention mask
                 itself from segment_ids/branch_ids, so it takes every layout, "shared" included.
HFRewardModel    any HF causal-LM folder via AutoModelForSequenceClassification (the base's weights;
                 random init only with config init "random"; bases.py resolves Hub ids); its backbone's hidden state at the last real
                 token goes through the model's own `score` head. Optional LoRA (peft), bf16 and
                 gradient checkpointing. Layouts, best first:
                   flash-attention-2 importable: "packed", one row, position_ids restarting per
                     sequence; transformers runs varlen kernels (no mask, no pads);
                   sdpa/eager attention on transformers >= 5: the same block-diagonal (and
                     prefix-sharing) mask the tiny model builds, passed as a 4D mask, which
                     transformers >= 5 hands to the kernel as it is; rows as long as the longest
                     sequence, so C² stays what padding would cost, without the pads;
                   otherwise "padded" (one sequence per row with an attention_mask).

Every model has `layout` and `row_tokens` (data.collate's row cap: 0 = rows as long as the longest
unit, for dense masks; None = one row, for varlen kernels).

Saved models use the HF sequence-classification layout (config.json with architectures and
num_labels 1, model.safetensors or pytorch_model.bin, tokenizer files) — see save_model_dir.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint

from .tokenizer import ByteTokenizer, Tokenizer, has_hf_tokenizer, load_tokenizer

TINY_MODEL_TYPE = "arbiter-tiny"
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
TINY_ARCHITECTURE = "ArbiterTinyForSequenceClassification"

try:
    import safetensors.torch as _safetensors
except ImportError:  # Debian's python3-torch has no safetensors; fall back to torch.save
    _safetensors = None


class ModelDirError(RuntimeError):
    """A model directory that is missing, incomplete or unreadable."""


# ---- tiny byte-level model -----------------------------------------------------------------------


@dataclass
class TinyConfig:
    vocab_size: int = ByteTokenizer.vocab_size
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 512
    max_position_embeddings: int = 1024
    dropout: float = 0.0


def attention_mask(segment_ids: torch.Tensor, branch_ids: torch.Tensor) -> torch.Tensor:
    """[R, 1, C, C] bool, True where query i may attend key j.

    Causal within a segment (block-diagonal across the sequences packed in a row). Branch 0 is a
    segment's prompt (or its whole sequence); branch k >= 1 is its k-th response, which sees the
    prompt and itself but not its sibling responses. Pads (segment -1) see only pads, so no softmax
    row is empty; real tokens never see pads.
    """
    c = segment_ids.size(1)
    causal = torch.ones(c, c, dtype=torch.bool, device=segment_ids.device).tril()
    same_segment = segment_ids[:, :, None] == segment_ids[:, None, :]
    key_branch = branch_ids[:, None, :]
    visible = (key_branch == 0) | (key_branch == branch_ids[:, :, None])
    return (same_segment & visible & causal)[:, None]


class SelfAttention(nn.Module):
    def __init__(self, cfg: TinyConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """`mask`: bool (True = attend) with SDPA, else the additive bias from TinyRewardModel.forward."""
        r, c, d = x.shape
        q, k, v = self.qkv(x).view(r, c, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        p = self.dropout if self.training else 0.0
        if HAS_SDPA:  # torch >= 2: fused kernels
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        else:  # torch 1.13 (Debian): the same computation by hand
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1))) + mask
            y = F.dropout(att.softmax(dim=-1), p, self.training) @ v
        return self.proj(y.transpose(1, 2).reshape(r, c, d))


class Block(nn.Module):
    def __init__(self, cfg: TinyConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.fc = nn.Linear(cfg.d_model, cfg.d_ff)
        self.out = nn.Linear(cfg.d_ff, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x), mask))
        return x + self.drop(self.out(F.gelu(self.fc(self.ln2(x)))))


class TinyRewardModel(nn.Module):
    model_type = TINY_MODEL_TYPE

    def __init__(self, cfg: TinyConfig) -> None:
        super().__init__()
        self.config = cfg
        self.layout = "shared"  # the trainer sets "packed" when prefix_sharing is off
        self.row_tokens: int | None = 0  # dense masks cost C² per row: rows as long as the longest unit
        self.grad_checkpointing = False
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.max_position_embeddings, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.score = nn.Linear(cfg.d_model, 1)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2's scaled init of residual projections
            if name.endswith("attn.proj.weight") or name.endswith("out.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, segment_ids: torch.Tensor,
                branch_ids: torch.Tensor, last_index: torch.Tensor) -> torch.Tensor:
        if int(position_ids.max()) >= self.config.max_position_embeddings:
            raise ValueError(f"position {int(position_ids.max())} >= max_position_embeddings "
                             f"{self.config.max_position_embeddings}")
        x = self.tok_emb(input_ids) + self.pos_emb(position_ids)
        mask = attention_mask(segment_ids, branch_ids)
        if not HAS_SDPA:  # built once, added in every layer: cheaper than masked_fill per layer
            mask = torch.zeros(mask.shape, dtype=x.dtype, device=x.device).masked_fill(~mask, float("-inf"))
        for block in self.blocks:
            if self.grad_checkpointing and self.training:
                x = torch.utils.checkpoint.checkpoint(block, x, mask, use_reentrant=False)
            else:
                x = block(x, mask)
        h = self.ln_f(x)
        return self.score(h.reshape(-1, h.size(-1))[last_index]).squeeze(-1)


# ---- HF models -----------------------------------------------------------------------------------


def transformers_available() -> bool:
    try:
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _flash_attn_available() -> bool:
    try:
        import flash_attn  # noqa: F401
    except ImportError:
        return False
    return torch.cuda.is_available()


def _transformers_at_least(version: str) -> bool:
    import transformers
    from packaging.version import Version

    return Version(transformers.__version__) >= Version(version)


def _supports_position_id_packing() -> bool:
    """transformers >= 4.44 runs flash-attn varlen kernels from position_ids that restart at 0."""
    return _transformers_at_least("4.44")


def _passes_4d_masks() -> bool:
    """transformers >= 5 (masking_utils) hands a 4D attention mask to sdpa/eager kernels unchanged."""
    return _transformers_at_least("5.0")


def hf_layout(attn_implementation: str, prefix_sharing: bool) -> tuple[str, int | None]:
    """(layout, row_tokens) for an HF model with this attention implementation; see the module docstring."""
    if attn_implementation == "flash_attention_2" and _supports_position_id_packing():
        return "packed", None
    if attn_implementation in ("sdpa", "eager") and _passes_4d_masks():
        return ("shared" if prefix_sharing else "packed"), 0
    return "padded", None


def row_cap(model: nn.Module, configured: int | None) -> int | None:
    """data.collate's row cap for `model`: a configured `pack_row_tokens` applies to dense-mask layouts only;
    varlen kernels (row_tokens None) must get one row, or sequences in other rows would see each other."""
    return model.row_tokens if model.row_tokens is None or configured is None else configured


class HFRewardModel(nn.Module):
    model_type = "hf"

    def __init__(self, model: nn.Module, layout: str, row_tokens: int | None = None) -> None:
        super().__init__()
        self.model = model  # XForSequenceClassification, or a peft model wrapping one
        self.layout = layout
        self.row_tokens = row_tokens

    def seq_cls_model(self) -> nn.Module:
        return self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, segment_ids: torch.Tensor,
                branch_ids: torch.Tensor, last_index: torch.Tensor) -> torch.Tensor:
        inner = self.seq_cls_model()
        backbone = getattr(inner, inner.base_model_prefix)
        if self.layout == "padded":
            mask: torch.Tensor | None = (segment_ids >= 0).long()
        elif self.row_tokens is None:  # varlen kernels split the row where position_ids restart
            mask = None
        else:  # the tiny model's block-diagonal / prefix-sharing mask, True = attend
            mask = attention_mask(segment_ids, branch_ids)
            if inner.config._attn_implementation == "eager":  # eager adds the mask to the scores
                dtype = next(backbone.parameters()).dtype
                mask = torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(
                    ~mask, torch.finfo(dtype).min)
        out = backbone(input_ids=input_ids, attention_mask=mask, position_ids=position_ids, use_cache=False)
        h = out[0]
        pooled = h.reshape(-1, h.size(-1))[last_index]
        head_dtype = next(inner.score.parameters()).dtype  # fp32 under a bf16 LoRA base (build_hf_model)
        return inner.score(pooled.to(head_dtype)).squeeze(-1).float()


def build_hf_model(base: str, *, lora, grad_checkpointing: bool, bf16: bool, seed: int,
                   pad_id: int | None, prefix_sharing: bool = False, init: str = "pretrained",
                   spec: str | None = None) -> HFRewardModel:
    """`base`: a resolved folder or config.json (bases.resolve_base); `spec`: what the user named, for errors.
    init "pretrained" loads the folder's weights (none, or unreadable: BaseError); "random" ignores them."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from .bases import BaseError, check_weights

    spec = spec or base
    folder = base if os.path.isdir(base) else os.path.dirname(base)
    try:
        config = AutoConfig.from_pretrained(base)  # a folder, or a config.json path
    except Exception as e:
        raise BaseError(f"base {spec}: cannot read {os.path.join(folder, 'config.json')}: "
                        f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}") from None
    config.num_labels = 1
    if pad_id is not None:
        config.pad_token_id = pad_id
    # Always explicit: transformers 5 builds and loads in the config's dtype ("auto"), and Qwen2's says
    # bfloat16. Full fine-tuning keeps fp32 master weights (bf16 is autocast); LoRA's frozen base may be bf16.
    dtype = torch.bfloat16 if bf16 and lora is not None else torch.float32
    kwargs: dict[str, Any] = {"dtype" if _transformers_at_least("4.56") else "torch_dtype": dtype}
    if bf16 and _flash_attn_available():
        kwargs["attn_implementation"] = "flash_attention_2"
    torch.manual_seed(seed)  # random-init benchmarks are reproducible
    if init == "pretrained":
        files = check_weights(spec, folder)
        try:
            model = AutoModelForSequenceClassification.from_pretrained(folder, config=config, **kwargs)
        except Exception as e:  # a tensor that does not fit, a pickle that does not load …
            msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
            raise BaseError(f"base {spec}: cannot load weights {', '.join(files)}: {type(e).__name__}: {msg}") from None
    else:
        model = AutoModelForSequenceClassification.from_config(config, **kwargs)
    if not hasattr(model, "score"):
        raise ValueError(f"{type(model).__name__} has no `score` head; use a decoder-only causal LM")
    if grad_checkpointing:
        model.config.use_cache = False
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if lora is not None:
        from peft import LoraConfig, TaskType, get_peft_model

        targets = lora.target_modules
        if targets == "all-linear":  # every linear layer but the head, on any peft version
            targets = sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules()
                              if isinstance(m, nn.Linear) or type(m).__name__ == "Conv1D"} - {"score", "lm_head"})
        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=lora.r, lora_alpha=lora.alpha,
                                                 lora_dropout=lora.dropout, target_modules=targets,
                                                 modules_to_save=["score"]))
        # peft upcasts the adapters to fp32 but copies the head in the base's dtype: an optimizer stepping
        # bf16 weights loses small updates, so the head (original and trainable copy) goes to fp32 too.
        model.get_base_model().score.float()
    impl = getattr(model.config, "_attn_implementation", None) or "eager"
    return HFRewardModel(model, *hf_layout(impl, prefix_sharing))


# ---- building, saving and loading ----------------------------------------------------------------


def build_model(cfg, device: torch.device, bf16: bool) -> tuple[nn.Module, Tokenizer]:
    """The model and tokenizer a TrainConfig asks for, freshly initialised (seeded)."""
    if cfg.base == "tiny":
        tiny = TinyConfig(**(cfg.tiny or {}))
        if tiny.max_position_embeddings < cfg.max_length:
            tiny = dataclasses.replace(tiny, max_position_embeddings=cfg.max_length)
        torch.manual_seed(cfg.seed)
        model = TinyRewardModel(tiny)
        model.layout = "shared" if cfg.prefix_sharing else "packed"
        model.grad_checkpointing = cfg.grad_checkpointing
        return model.to(device), ByteTokenizer()
    if not transformers_available():
        raise RuntimeError(f"base {cfg.base}: HF models need the transformers package "
                           "(pip install -r requirements-gpu.txt), or use base \"tiny\"")
    if cfg.lora is not None:
        try:
            import peft  # noqa: F401
        except ImportError:
            raise RuntimeError("lora: needs the peft package (pip install -r requirements-gpu.txt)") from None
    from .bases import BaseError, resolve_base

    base = resolve_base(cfg.base)
    folder = base if os.path.isdir(base) else os.path.dirname(base)
    if has_hf_tokenizer(folder):
        try:
            tok: Tokenizer = load_tokenizer(folder)
        except Exception as e:
            raise BaseError(f"base {cfg.base}: cannot load its tokenizer from {folder}: {type(e).__name__}: {e}") from None
    elif cfg.init == "pretrained":
        raise BaseError(f"base {cfg.base}: {folder} has no tokenizer (tokenizer.json, tokenizer_config.json …); "
                        "pretrained weights need theirs")
    else:  # a bare config (random-init benchmark): bytes are valid ids in any real vocabulary
        tok = ByteTokenizer()
    model = build_hf_model(base, lora=cfg.lora, grad_checkpointing=cfg.grad_checkpointing, bf16=bf16,
                           seed=cfg.seed, pad_id=tok.pad_id, prefix_sharing=cfg.prefix_sharing, init=cfg.init,
                           spec=cfg.base)
    if cfg.prefix_sharing and model.layout != "shared":
        print(f"model: this attention ({model.seq_cls_model().config._attn_implementation}) takes no "
              f"prefix-sharing mask; using unshared {model.layout} sequences", file=sys.stderr)
    vocab = model.seq_cls_model().config.vocab_size
    if isinstance(tok, ByteTokenizer) and vocab < ByteTokenizer.vocab_size:
        raise ValueError(f"base {cfg.base}: vocab_size {vocab} is too small for the byte tokenizer fallback")
    return model.to(device), tok


def _write_json(path: str, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def save_model_dir(model: nn.Module, tok: Tokenizer, out_dir: str, *, max_length: int,
                   train_config: dict | None = None) -> None:
    """Write model + tokenizer in the HF sequence-classification layout."""
    os.makedirs(out_dir, exist_ok=True)
    if isinstance(model, TinyRewardModel):
        cfg = dataclasses.asdict(model.config)
        _write_json(os.path.join(out_dir, "config.json"), {
            "architectures": [TINY_ARCHITECTURE],
            "model_type": TINY_MODEL_TYPE,
            "num_labels": 1,
            "id2label": {"0": "LABEL_0"},
            "label2id": {"LABEL_0": 0},
            "problem_type": "regression",
            "torch_dtype": "float32",
            **cfg,
            "hidden_size": cfg["d_model"],
            "num_hidden_layers": cfg["n_layers"],
            "num_attention_heads": cfg["n_heads"],
            "pad_token_id": ByteTokenizer.PAD,
            "bos_token_id": ByteTokenizer.BOS,
            "eos_token_id": ByteTokenizer.EOS,
            "sep_token_id": ByteTokenizer.SEP,
            "arbiter_train_config": train_config,
        })
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        for stale in ("model.safetensors", "pytorch_model.bin"):
            if os.path.exists(os.path.join(out_dir, stale)):
                os.remove(os.path.join(out_dir, stale))
        if _safetensors is not None:
            _safetensors.save_file(state, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
        else:
            torch.save(state, os.path.join(out_dir, "pytorch_model.bin"))
    elif isinstance(model, HFRewardModel):
        inner = model.model
        if hasattr(inner, "merge_and_unload"):  # LoRA: ship a plain model, adapters merged in
            inner = inner.merge_and_unload()
        inner.config.pad_token_id = tok.pad_id
        inner.save_pretrained(out_dir, safe_serialization=_safetensors is not None)
    else:
        raise TypeError(f"cannot save {type(model).__name__}")
    tok.save(out_dir, max_length)


def load_reward_model(model_dir: str, device: torch.device) -> tuple[nn.Module, Tokenizer, dict[str, Any]]:
    """(model in eval mode, tokenizer, info with max_length / model_type / reward mean and std).

    `model_dir` may also be a Hub id of a sequence-classification reward model, resolved through the HF cache
    (bases.resolve_base); without reward_stats.json its rewards are not normalized (mean 0, std 1)."""
    from .bases import BaseError, is_hub_id, resolve_base

    if not os.path.isdir(model_dir) and is_hub_id(model_dir):
        try:
            model_dir = resolve_base(model_dir)
        except BaseError as e:
            raise ModelDirError(str(e)) from None
    if not os.path.isdir(model_dir):
        raise ModelDirError(f"model directory {model_dir} does not exist")
    config_path = os.path.join(model_dir, "config.json")
    if not os.path.exists(config_path):
        raise ModelDirError(f"model directory {model_dir} has no config.json (not a trained model)")
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        if not isinstance(config, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError) as e:
        raise ModelDirError(f"{config_path} is corrupt: {e}") from None

    if config.get("model_type") == TINY_MODEL_TYPE:
        names = {f.name for f in dataclasses.fields(TinyConfig)}
        model: nn.Module = TinyRewardModel(TinyConfig(**{k: v for k, v in config.items() if k in names}))
        model.layout = "packed"  # scoring sees one response per prompt: nothing to share
        st, pt = os.path.join(model_dir, "model.safetensors"), os.path.join(model_dir, "pytorch_model.bin")
        try:
            if os.path.exists(st):
                if _safetensors is None:
                    raise ModelDirError(f"{st} needs the safetensors package")
                state = _safetensors.load_file(st)
            elif os.path.exists(pt):
                state = torch.load(pt, map_location="cpu")
            else:
                raise ModelDirError(f"model directory {model_dir} has no model.safetensors or pytorch_model.bin")
            model.load_state_dict(state)
        except ModelDirError:
            raise
        except Exception as e:  # truncated file, wrong shapes, not a state dict …
            raise ModelDirError(f"weights in {model_dir} are corrupt: {type(e).__name__}: {e}") from None
        tok: Tokenizer = ByteTokenizer()
        max_length = int(config.get("max_position_embeddings", 1024))
    else:
        if not transformers_available():
            raise ModelDirError(f"model directory {model_dir} holds an HF model "
                                f"({config.get('model_type')}); scoring it needs transformers")
        from transformers import AutoModelForSequenceClassification

        try:
            kwargs = {"attn_implementation": "flash_attention_2"} if _flash_attn_available() else {}
            inner = AutoModelForSequenceClassification.from_pretrained(model_dir, **kwargs)
            tok = load_tokenizer(model_dir)
        except Exception as e:
            raise ModelDirError(f"cannot load {model_dir}: {type(e).__name__}: {e}") from None
        impl = getattr(inner.config, "_attn_implementation", None) or "eager"
        model = HFRewardModel(inner, *hf_layout(impl, prefix_sharing=False))  # one response per prompt
        max_length = int(getattr(getattr(tok, "tok", None), "model_max_length", 0) or 0) or int(
            getattr(inner.config, "max_position_embeddings", 2048))
        max_length = min(max_length, int(getattr(inner.config, "max_position_embeddings", max_length)))

    tok_cfg = os.path.join(model_dir, "tokenizer_config.json")
    if os.path.exists(tok_cfg):
        with open(tok_cfg, encoding="utf-8") as f:
            max_length = min(max_length, int(json.load(f).get("model_max_length", max_length)))

    stats = {"mean": 0.0, "std": 1.0}
    stats_path = os.path.join(model_dir, "reward_stats.json")
    if os.path.exists(stats_path):
        with open(stats_path, encoding="utf-8") as f:
            stats.update(json.load(f))
    info = {"model_type": model.model_type if model.model_type != "hf" else str(config.get("model_type")),
            "max_length": max_length, "reward_mean": float(stats["mean"]),
            "reward_std": float(stats["std"]) or 1.0}
    return model.to(device).eval(), tok, info
