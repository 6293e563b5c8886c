"""TrainConfig: the JSON file server/jobs writes, as one typed dataclass.

Every field is checked here, once, with an error that names the field (`ConfigError("lr: …")`), so
the rest of the trainer can trust it. Relative paths are resolved against the config file's folder.
Unknown keys are an error (a typo must not silently train with a default); put free-form data for the
caller (job id, project) under "meta", which the trainer ignores.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from .losses import DEFAULT_MARGIN_MAP


class ConfigError(ValueError):
    pass


@dataclass
class LoraSettings:
    r: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    target_modules: str | list[str] = "all-linear"


@dataclass
class TrainConfig:
    train_file: str
    output_dir: str
    eval_file: str | None = None
    eval_fraction: float = 0.1  # held out of train_file (whole prompts) when eval_file is null
    base: str = "tiny"  # "tiny" (built-in byte-level model), an HF causal-LM dir / config.json, or a Hub id (bases.py)
    init: str = "pretrained"  # "pretrained": load the base's weights (missing = error); "random": random init on purpose
    tiny: dict[str, Any] | None = None  # overrides for model.TinyConfig (d_model, n_layers, …)
    epochs: int = 1
    lr: float | None = None  # None: 1e-3 tiny, 2e-4 LoRA, 1e-5 full fine-tune
    warmup_ratio: float = 0.05
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    batch_tokens: int = 4096  # real tokens per optimizer step per device (after packing)
    max_length: int = 512  # tokens of prompt + one response
    loss: str = "bt"  # "bt" | "bt-ties"
    tie_nu: float = 1.0  # Davidson tie parameter for "bt-ties"
    margin_from_strength: bool = False
    margin_map: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_MARGIN_MAP))
    center_rewards_coef: float = 0.0  # TRL's center_rewards_coefficient; 0 = off (TRL suggests 0.01)
    seed: int = 0
    grad_checkpointing: bool = False
    deterministic: bool = False  # CUDA: deterministic kernels (slower); CPU runs are deterministic anyway
    lora: LoraSettings | None = None
    bf16: str | bool = "auto"  # "auto": on when CUDA supports bf16
    prefix_sharing: bool = True  # prompt once per pair in a packed row (tiny model only)
    pack_row_tokens: int | None = None  # None: auto (tiny: rows as long as the longest sequence; flash-attn: one row)
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    resume_from: str | None = None  # a checkpoint file or the folder holding checkpoint.pt
    checkpoint_every_steps: int = 500  # 0: no step-based checkpoints
    checkpoint_every_seconds: float = 0.0  # also checkpoint when this much time passed since the last; 0: off
    meta: dict[str, Any] | None = None

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        if self.base == "tiny":
            return 1e-3
        return 2e-4 if self.lora is not None else 1e-5

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["margin_map"] = {str(k): v for k, v in self.margin_map.items()}
        return d


_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
_REQUIRED = [n for n, f in _FIELDS.items()
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _check(cond: bool, name: str, expected: str, value: Any) -> None:
    if not cond:
        raise ConfigError(f"{name}: expected {expected}, got {json.dumps(value)}")


def _resolve(path: str, base_dir: str | None) -> str:
    path = os.path.expanduser(path)
    if base_dir is not None and not os.path.isabs(path):
        path = os.path.join(base_dir, path)
    return os.path.abspath(path)


def config_from_dict(raw: Any, base_dir: str | None = None) -> TrainConfig:
    """Validate a parsed config object. `base_dir` resolves relative paths (the config file's folder)."""
    if not isinstance(raw, dict):
        raise ConfigError("config: expected a JSON object")
    for key in raw:
        if key not in _FIELDS:
            near = difflib.get_close_matches(key, list(_FIELDS), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ConfigError(f"{key}: unknown field{hint}")
    for name in _REQUIRED:
        if raw.get(name) is None:
            raise ConfigError(f"{name}: required")
    v = dict(raw)

    def opt(name: str) -> Any:
        return v.get(name, _default(name))

    for name in ("train_file", "output_dir", "base"):
        _check(isinstance(opt(name), str) and opt(name) != "", name, "a non-empty string", opt(name))
    for name in ("eval_file", "resume_from"):
        _check(opt(name) is None or (isinstance(opt(name), str) and opt(name) != ""), name,
               "a path or null", opt(name))
    for name in ("epochs", "batch_tokens", "max_length"):
        _check(_is_int(opt(name)) and opt(name) >= 1, name, "an integer >= 1", opt(name))
    _check(opt("max_length") >= 8, "max_length", "an integer >= 8", opt("max_length"))
    _check(_is_int(opt("seed")), "seed", "an integer", opt("seed"))
    _check(_is_int(opt("checkpoint_every_steps")) and opt("checkpoint_every_steps") >= 0,
           "checkpoint_every_steps", "an integer >= 0", opt("checkpoint_every_steps"))
    _check(_is_num(opt("checkpoint_every_seconds")) and opt("checkpoint_every_seconds") >= 0,
           "checkpoint_every_seconds", "a number >= 0", opt("checkpoint_every_seconds"))
    _check(opt("pack_row_tokens") is None or (_is_int(opt("pack_row_tokens")) and opt("pack_row_tokens") >= 0),
           "pack_row_tokens", "an integer >= 0 or null", opt("pack_row_tokens"))
    _check(opt("lr") is None or (_is_num(opt("lr")) and opt("lr") > 0), "lr", "a number > 0 or null", opt("lr"))
    _check(_is_num(opt("eval_fraction")) and 0 <= opt("eval_fraction") < 1, "eval_fraction",
           "a number in [0, 1)", opt("eval_fraction"))
    _check(_is_num(opt("warmup_ratio")) and 0 <= opt("warmup_ratio") < 1, "warmup_ratio",
           "a number in [0, 1)", opt("warmup_ratio"))
    for name in ("weight_decay", "center_rewards_coef"):
        _check(_is_num(opt(name)) and opt(name) >= 0, name, "a number >= 0", opt(name))
    for name in ("max_grad_norm", "tie_nu"):
        _check(_is_num(opt(name)) and opt(name) > 0, name, "a number > 0", opt(name))
    _check(opt("loss") in ("bt", "bt-ties"), "loss", '"bt" or "bt-ties"', opt("loss"))
    _check(opt("init") in ("pretrained", "random"), "init", '"pretrained" or "random"', opt("init"))
    for name in ("margin_from_strength", "grad_checkpointing", "prefix_sharing", "deterministic"):
        _check(isinstance(opt(name), bool), name, "true or false", opt(name))
    _check(opt("bf16") in ("auto", True, False), "bf16", '"auto", true or false', opt("bf16"))
    _check(opt("device") in ("auto", "cpu", "cuda"), "device", '"auto", "cpu" or "cuda"', opt("device"))
    _check(opt("meta") is None or isinstance(opt("meta"), dict), "meta", "an object or null", opt("meta"))

    margin_map = _parse_margin_map(opt("margin_map"))
    lora = _parse_lora(opt("lora"))
    tiny = opt("tiny")
    if tiny is not None:
        from .model import TinyConfig  # late: model imports torch, config must stay cheap

        _check(isinstance(tiny, dict), "tiny", "an object or null", tiny)
        names = {f.name for f in dataclasses.fields(TinyConfig)}
        for key, val in tiny.items():
            if key not in names:
                raise ConfigError(f"tiny.{key}: unknown field (known: {', '.join(sorted(names))})")
            ok = _is_num(val) and val >= 0 if key == "dropout" else _is_int(val) and val >= 1
            _check(ok, f"tiny.{key}", "a number >= 0" if key == "dropout" else "an integer >= 1", val)
        if "d_model" in tiny or "n_heads" in tiny:
            d, h = tiny.get("d_model", TinyConfig.d_model), tiny.get("n_heads", TinyConfig.n_heads)
            _check(d % h == 0, "tiny.n_heads", f"a divisor of d_model ({d})", h)
    if opt("base") != "tiny" and tiny is not None:
        raise ConfigError('tiny: only valid with base "tiny"')
    if opt("base") == "tiny" and lora is not None:
        raise ConfigError('lora: LoRA needs an HF base model, not "tiny"')

    cfg = TrainConfig(
        train_file=_resolve(v["train_file"], base_dir),
        output_dir=_resolve(v["output_dir"], base_dir),
        eval_file=_resolve(v["eval_file"], base_dir) if v.get("eval_file") else None,
        eval_fraction=float(opt("eval_fraction")),
        base=_resolve_base_spec(opt("base"), base_dir),
        init=opt("init"),
        tiny=tiny,
        epochs=opt("epochs"),
        lr=None if opt("lr") is None else float(opt("lr")),
        warmup_ratio=float(opt("warmup_ratio")),
        weight_decay=float(opt("weight_decay")),
        max_grad_norm=float(opt("max_grad_norm")),
        batch_tokens=opt("batch_tokens"),
        max_length=opt("max_length"),
        loss=opt("loss"),
        tie_nu=float(opt("tie_nu")),
        margin_from_strength=opt("margin_from_strength"),
        margin_map=margin_map,
        center_rewards_coef=float(opt("center_rewards_coef")),
        seed=opt("seed"),
        grad_checkpointing=opt("grad_checkpointing"),
        deterministic=opt("deterministic"),
        lora=lora,
        bf16=opt("bf16"),
        prefix_sharing=opt("prefix_sharing"),
        pack_row_tokens=opt("pack_row_tokens"),
        device=opt("device"),
        resume_from=_resolve(v["resume_from"], base_dir) if v.get("resume_from") else None,
        checkpoint_every_steps=opt("checkpoint_every_steps"),
        checkpoint_every_seconds=float(opt("checkpoint_every_seconds")),
        meta=opt("meta"),
    )
    for name in ("train_file", "eval_file", "resume_from"):
        path = getattr(cfg, name)
        if path is not None and not os.path.exists(path):
            raise ConfigError(f"{name}: {path} does not exist")
    return cfg


def _resolve_base_spec(spec: str, base_dir: str | None) -> str:
    """"tiny"; a local path (relative to the config file) made absolute; else a Hub id kept as it is —
    bases.resolve_base turns it into a cache folder when the model is built (that may download)."""
    from .bases import is_hub_id

    if spec == "tiny":
        return spec
    path = _resolve(spec, base_dir)
    if os.path.exists(path):
        return path
    if is_hub_id(spec):
        return spec
    raise ConfigError(f'base: {path} does not exist (use "tiny", an HF model folder / config.json, '
                      "or a Hub id owner/name[@revision])")


def _default(name: str) -> Any:
    f = _FIELDS[name]
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _parse_margin_map(value: Any) -> dict[int, float]:
    _check(isinstance(value, dict), "margin_map", 'an object like {"1": 0, "2": 0.33}', value)
    out: dict[int, float] = {}
    for key, margin in value.items():
        try:
            strength = int(key)
        except (TypeError, ValueError):
            raise ConfigError(f"margin_map.{key}: keys must be strengths 1..4") from None
        _check(1 <= strength <= 4, f"margin_map.{key}", "a strength key 1..4", key)
        _check(_is_num(margin), f"margin_map.{key}", "a number", margin)
        out[strength] = float(margin)
    return out


def _parse_lora(value: Any) -> LoraSettings | None:
    if value is None:
        return None
    _check(isinstance(value, dict), "lora", 'an object like {"r": 16, "alpha": 32} or null', value)
    known = {f.name for f in dataclasses.fields(LoraSettings)}
    for key in value:
        if key not in known:
            raise ConfigError(f"lora.{key}: unknown field (known: {', '.join(sorted(known))})")
    s = LoraSettings(**value)
    _check(_is_int(s.r) and s.r >= 1, "lora.r", "an integer >= 1", s.r)
    _check(_is_num(s.alpha) and s.alpha > 0, "lora.alpha", "a number > 0", s.alpha)
    _check(_is_num(s.dropout) and 0 <= s.dropout < 1, "lora.dropout", "a number in [0, 1)", s.dropout)
    tm = s.target_modules
    _check(isinstance(tm, str) or (isinstance(tm, list) and tm and all(isinstance(t, str) for t in tm)),
           "lora.target_modules", '"all-linear" or a list of module names', tm)
    s.alpha = float(s.alpha)
    return s


def load_config(path: str) -> TrainConfig:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config: {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"config: {path} is not valid JSON (line {e.lineno}: {e.msg})") from None
    return config_from_dict(raw, base_dir=os.path.dirname(os.path.abspath(path)))
