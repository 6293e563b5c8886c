"""Text generation with a Hugging Face causal LM: model loading and the continuous-batching engine.

The HTTP side (OpenAI-compatible routes) is openai_server.py; this module knows nothing of HTTP.

    engine = Engine(load_generator("path/or/hub-id", device="auto"), max_batch=32)
    engine.start()
    req = engine.submit(prompt_ids, [SamplingParams(max_tokens=64, seed=1)])
    for event in req.events(): ...          # Delta / Finished, per choice

Continuous batching: one scheduler thread owns the model. Between decode steps it admits waiting
sequences (prefilled together, left-padded), merges their KV cache into the running batch (left
padding again, so every row ends at the same physical column), and drops rows that finished or whose
client went away. Each row has its own position ids (real tokens before it, so padding never shifts
RoPE), its own sampling parameters and its own seeded torch.Generator, so a request's output does not
depend on what it was batched with: greedy output equals `model.generate` on the request alone (fp32).

KV cache: transformers 5's DynamicCache, whose per-layer `keys`/`values` tensors ([batch, heads, len,
dim]) we re-index when rows join or leave. Models whose cache layers are not plain full-attention
layers (sliding-window or hybrid caches) are rejected at load with a clear error rather than batched
wrongly.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import torch

from . import protocol


class GenerateError(Exception):
    """A user-facing problem: bad model spec, a model that will not fit, a bad request."""


# ---- model loading -------------------------------------------------------------------------------


def _resolve(spec: str) -> tuple[str, str | None]:
    """A local folder or a Hub id (through the HF cache, as training bases resolve) -> (a loadable model
    folder, a PEFT adapter folder or None). A policy trained elsewhere as a LoRA adapter (adapter_config.json,
    no config.json) is served as its base with the adapter merged in."""
    from .bases import BaseError, check_weights, resolve_base

    if spec == "tiny":
        raise GenerateError("model tiny: the built-in tiny model scores, it does not generate; give a causal LM "
                            "folder or a Hub id")
    adapter = None
    try:
        local = os.path.abspath(os.path.expanduser(spec))
        if os.path.isfile(os.path.join(local, "adapter_config.json")) and \
                not os.path.isfile(os.path.join(local, "config.json")):
            adapter = local
            try:
                with open(os.path.join(local, "adapter_config.json"), encoding="utf-8") as f:
                    base = json.load(f)["base_model_name_or_path"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise GenerateError(f"model {spec}: {local}/adapter_config.json names no base_model_name_or_path "
                                    f"({type(e).__name__}: {e})") from e
            spec = str(base)
        folder = resolve_base(spec)
        check_weights(spec, folder)
    except BaseError as e:
        raise GenerateError(str(e) + (f" (the base of the adapter {adapter})" if adapter else "")) from e
    return folder, adapter


def pick_device(device: str) -> torch.device:
    if device == "cuda" and not torch.cuda.is_available():
        raise GenerateError("--device cuda: CUDA is not available to this interpreter")
    if device != "cpu" and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _param_count(config) -> int:
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def kv_bytes_per_token(config, dtype: torch.dtype) -> int:
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    heads = getattr(text, "num_attention_heads", 1)
    kv_heads = getattr(text, "num_key_value_heads", None) or heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // heads
    return 2 * text.num_hidden_layers * kv_heads * head_dim * torch.empty((), dtype=dtype).element_size()


def _mem_available_cpu() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(config, device: torch.device, dtype: torch.dtype, *, spec: str, kv_tokens: int) -> dict[str, int]:
    """Refuse, before loading anything, a model whose weights plus a minimal KV cache will not fit."""
    n = _param_count(config)
    weights = n * torch.empty((), dtype=dtype).element_size()
    kv = kv_bytes_per_token(config, dtype) * kv_tokens
    need = int((weights + kv) * 1.1) + (256 << 20)  # activations, allocator slack, CUDA context
    if device.type == "cuda":
        free, total = torch.cuda.mem_get_info(device)
        where = f"{torch.cuda.get_device_name(device)} has {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB"
    else:
        free = _mem_available_cpu()
        where = f"this machine has {free / 2**30:.1f} GiB of memory available" if free is not None else ""
    if free is not None and need > free:
        raise GenerateError(
            f"model {spec} will not fit on {device}: {n / 1e9:.2f}B parameters in {str(dtype).removeprefix('torch.')} "
            f"need {weights / 2**30:.1f} GiB plus {kv / 2**30:.1f} GiB of KV cache for {kv_tokens} tokens "
            f"(~{need / 2**30:.1f} GiB in all), but {where}. Use a smaller model, --device cpu, or an "
            "external OpenAI-compatible server (vLLM) with tensor parallelism")
    return {"params": n, "bytes_needed": need, "bytes_free": free if free is not None else -1}


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    device: torch.device
    dtype: torch.dtype
    spec: str
    folder: str
    max_model_len: int
    eos_ids: frozenset[int]
    params: int


def load_generator(spec: str, *, device: str = "auto", max_model_len: int | None = None,
                   kv_tokens: int = 8192) -> LoadedModel:
    """Resolve, check memory, load: bf16 on CUDA (fp16 where bf16 is unsupported), fp32 on CPU."""
    try:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:
        raise GenerateError(f"generation needs transformers, which {sys.executable} lacks ({e}); set ARBITER_PYTHON "
                            "to the Python printed by `bash scripts/trainer-hf-env`") from e

    folder, adapter = _resolve(spec)
    dev = pick_device(device)
    if dev.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dtype = torch.float32
    try:
        config = AutoConfig.from_pretrained(folder)
    except Exception as e:
        raise GenerateError(f"model {spec}: cannot read its config ({e})") from e
    ctx = max_model_len or _context_length(config)
    mem = check_memory(config, dev, dtype, spec=spec, kv_tokens=min(kv_tokens, ctx))
    has_tokenizer = adapter and any(os.path.isfile(os.path.join(adapter, f))
                                    for f in ("tokenizer.json", "tokenizer_config.json"))
    try:
        tok = AutoTokenizer.from_pretrained(adapter if has_tokenizer else folder)
    except Exception as e:
        raise GenerateError(f"model {spec}: cannot load its tokenizer ({e})") from e
    if not getattr(tok, "chat_template", None):
        raise GenerateError(f"model {spec}: the tokenizer has no chat template (tokenizer_config.json chat_template)")
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, device_map=str(dev))
    if adapter:
        try:
            from peft import PeftModel
        except ImportError as e:
            raise GenerateError(f"model {spec}: a LoRA adapter needs peft, which {sys.executable} lacks") from e
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    model.eval()
    protocol.log(f"openai-serve: loaded {spec} ({mem['params'] / 1e6:.1f}M parameters, {dtype}) on {dev} "
                 f"in {time.perf_counter() - t0:.1f}s; context {ctx} tokens")
    eos: set[int] = set()
    for source in (getattr(model, "generation_config", None), tok):
        value = getattr(source, "eos_token_id", None)
        if isinstance(value, int):
            eos.add(value)
        elif isinstance(value, (list, tuple)):
            eos.update(int(v) for v in value)
    return LoadedModel(model, tok, dev, dtype, spec, adapter or folder, ctx, frozenset(eos), mem["params"])


def _context_length(config) -> int:
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(text, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048


def render_chat(tok, messages: list[dict[str, str]]) -> list[int]:
    """Messages -> prompt token ids with the model's chat template and the generation prompt."""
    text = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return tok(text, add_special_tokens=False)["input_ids"]


# ---- sampling ------------------------------------------------------------------------------------


@dataclass
class SamplingParams:
    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0  # 0 or -1: off
    seed: int | None = None
    stop: tuple[str, ...] = ()


# Candidates ranked for top-p when no top-k bounds them: the nucleus of a trained model's next-token
# distribution is almost always inside its top 1,024 ids, so ranking those (torch.topk) replaces a sort of
# the whole vocabulary (151,936 ids for Qwen) for every row at every step. A row whose nucleus is wider is
# detected exactly and ranked in full.
NUCLEUS_CANDIDATES = 1024


def _uniforms(rows: list[int], gens: list[torch.Generator | None], device: torch.device) -> torch.Tensor:
    """One uniform draw per sampled row, from the row's own (CPU) generator: a row's tokens depend on its own
    seed only, never on its neighbours in the batch. Drawn on the CPU and sent in one copy, so a GPU batch
    costs no kernel launch per row."""
    u = [float(torch.rand((), generator=gens[r])) if gens[r] is not None else float(torch.rand(())) for r in rows]
    return torch.tensor(u, dtype=torch.float32).to(device)


def _pick(weights: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Inverse-CDF draw: for each row, the column where the running sum of `weights` passes u × total."""
    cdf = torch.cumsum(weights, dim=-1)
    target = (u * cdf[:, -1]).unsqueeze(1)
    return torch.searchsorted(cdf, target, right=True).clamp_(max=weights.shape[-1] - 1).squeeze(1)


def sample_rows(logits: torch.Tensor, params: list[SamplingParams], gens: list[torch.Generator | None]) -> list[int]:
    """One token per row of `logits` [rows, vocab] (on the model's device): greedy at temperature 0, else
    temperature, then top-k, then top-p (the smallest prefix of the ranked tokens whose mass reaches top_p; the
    first token always stays), then a draw from the row's own generator. Batched: one top-k over the
    candidates of every row, one draw per row without a kernel launch per row; plain temperature sampling
    ranks nothing."""
    logits = logits.float()
    out = torch.argmax(logits, dim=-1)
    rows = [r for r, p in enumerate(params) if p.temperature > 0]
    if not rows:
        return out.tolist()
    dev = logits.device
    vocab = logits.shape[-1]
    u = _uniforms(rows, gens, dev)
    temps = torch.tensor([params[r].temperature for r in rows], device=dev)
    scaled = logits.index_select(0, torch.tensor(rows, device=dev)) / temps[:, None]
    ks = [params[r].top_k if 0 < params[r].top_k < vocab else vocab for r in rows]
    ps = [params[r].top_p for r in rows]
    picks = torch.empty(len(rows), dtype=torch.long, device=dev)

    # Plain temperature sampling (no top-k, no top-p): a draw from the softmax, nothing ranked.
    plain = [j for j in range(len(rows)) if ks[j] == vocab and ps[j] >= 1.0]
    if plain:
        pj = torch.tensor(plain, device=dev)
        picks[pj] = _pick(torch.softmax(scaled[pj], dim=-1), u[pj])

    plain_set = set(plain)
    ranked = [j for j in range(len(rows)) if j not in plain_set]
    if ranked:
        width = min(vocab, max(ks[j] if ks[j] < vocab else NUCLEUS_CANDIDATES for j in ranked))
        rj = torch.tensor(ranked, device=dev)
        sub = scaled[rj]
        vals, ids = torch.topk(sub, width, dim=-1, sorted=True)
        k_t = torch.tensor([ks[j] for j in ranked], device=dev)
        p_t = torch.tensor([ps[j] for j in ranked], device=dev)
        in_k = torch.arange(width, device=dev)[None, :] < k_t[:, None]
        # Probabilities over the top-k set (the whole vocabulary when there is no top-k).
        norm = torch.where(k_t < vocab, torch.logsumexp(vals.masked_fill(~in_k, float("-inf")), dim=-1),
                           torch.logsumexp(sub, dim=-1))
        probs = torch.exp(vals - norm[:, None]).masked_fill(~in_k, 0.0)
        cum = torch.cumsum(probs, dim=-1)
        weights = probs.masked_fill(cum - probs > p_t[:, None], 0.0)
        # Exact only where the nucleus ends inside the candidates (or top-k bounded them): else rank them all.
        short = ((k_t >= vocab) & (cum[:, -1] <= p_t)).nonzero().flatten().tolist() if width < vocab else []
        local = _pick(weights, u[rj])
        tokens = ids.gather(1, local[:, None]).squeeze(1)
        if short:  # no top-k on these rows (that is what made them short): rank the whole vocabulary
            sj = torch.tensor(short, device=dev)
            svals, sids = torch.sort(sub[sj], dim=-1, descending=True)
            sprobs = torch.softmax(svals, dim=-1)
            sweights = sprobs.masked_fill(torch.cumsum(sprobs, dim=-1) - sprobs > p_t[sj][:, None], 0.0)
            tokens[sj] = sids.gather(1, _pick(sweights, u[rj][sj])[:, None]).squeeze(1)
        picks[rj] = tokens
    out[torch.tensor(rows, device=dev)] = picks
    return out.tolist()


def sample_next(logits: torch.Tensor, params: SamplingParams, gen: torch.Generator | None) -> int:
    """One token from one row's logits (see sample_rows)."""
    return sample_rows(logits[None, :], [params], [gen])[0]


# ---- requests ------------------------------------------------------------------------------------


@dataclass
class Delta:
    index: int
    text: str


@dataclass
class Finished:
    index: int
    reason: str  # "stop" | "length" | "abort" (cancelled) | "error" (the engine failed)
    text: str  # the choice's whole text
    completion_tokens: int  # generated tokens, the end-of-sequence token included
    token_ids: list[int] = field(default_factory=list)  # generated, end-of-sequence excluded
    message: str = ""


@dataclass
class _Seq:
    request: Request
    index: int
    params: SamplingParams
    prompt: list[int]
    gen: torch.Generator | None
    tokens: list[int] = field(default_factory=list)  # generated, EOS excluded
    count: int = 0  # generated, EOS included (usage.completion_tokens)
    emitted: int = 0  # characters of text already sent as deltas
    text: str = ""
    next_token: int = -1  # sampled, not yet fed to the model
    real_len: int = 0  # tokens in the KV cache for this row


class Request:
    """One chat completion: n choices of one prompt. Events come back on a queue, in order."""

    def __init__(self, prompt_ids: list[int], choices: list[SamplingParams], stream_text: bool) -> None:
        self.prompt_ids = prompt_ids
        self.choices = choices
        self.stream_text = stream_text
        self.cancelled = threading.Event()
        self.queue: queue.Queue[Delta | Finished] = queue.Queue()
        self.submitted = time.perf_counter()

    def cancel(self) -> None:
        self.cancelled.set()

    def events(self, timeout: float | None = None) -> Iterator[Delta | Finished]:
        """Every event until each choice has finished."""
        left = len(self.choices)
        while left:
            ev = self.queue.get(timeout=timeout)
            if isinstance(ev, Finished):
                left -= 1
            yield ev


def _stop_at(text: str, stops: tuple[str, ...], search_from: int) -> int:
    best = -1
    for s in stops:
        i = text.find(s, search_from)
        if i >= 0 and (best < 0 or i < best):
            best = i
    return best


class Engine:
    """The scheduler thread and its batch. Thread-safe `submit`; everything else runs on the thread."""

    def __init__(self, loaded: LoadedModel, *, max_batch: int = 32, prefill_tokens: int = 8192,
                 kv_budget_tokens: int | None = None) -> None:
        self.m = loaded
        self.max_batch = max_batch
        self.prefill_tokens = prefill_tokens
        # Admission keeps the padded KV cache (rows x longest prompt + max_tokens) within what memory holds.
        self.kv_budget = kv_budget_tokens if kv_budget_tokens is not None else default_kv_budget(loaded)
        self.waiting: queue.Queue[_Seq] = queue.Queue()
        self.held: collections.deque[_Seq] = collections.deque()  # taken from `waiting`, not admitted yet
        self.rows: list[_Seq] = []
        self.cache = None
        self.mask: torch.Tensor | None = None  # [rows, physical length], 1 = real token
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="arbiter-generate", daemon=True)
        self.stats = {"requests_total": 0, "generation_tokens_total": 0, "prompt_tokens_total": 0, "steps_total": 0}
        self.lock = threading.Lock()
        self.fatal: str | None = None
        self._check_cache_layout()

    def _check_cache_layout(self) -> None:
        from transformers import DynamicCache

        cache = DynamicCache(config=self.m.model.config)
        kinds = {type(layer).__name__ for layer in getattr(cache, "layers", [])}
        if kinds - {"DynamicLayer"}:
            raise GenerateError(f"model {self.m.spec}: its KV cache has {sorted(kinds)} layers (sliding window or "
                                "hybrid attention); the built-in worker batches full-attention models only — "
                                "serve it with vLLM and register it as an external generator")

    # -- public, any thread --

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_flag.set()
        self.waiting.put(None)  # type: ignore[arg-type]
        self.thread.join(timeout=10)

    def submit(self, prompt_ids: list[int], choices: list[SamplingParams], *, stream_text: bool = False) -> Request:
        if self.fatal:
            raise GenerateError(f"the generation engine stopped: {self.fatal}")
        req = Request(prompt_ids, choices, stream_text)
        with self.lock:
            self.stats["requests_total"] += 1
        for i, p in enumerate(choices):
            gen = None
            if p.temperature > 0:
                gen = torch.Generator()  # on the CPU: sample_rows draws each row's uniform there
                # One seed per request: choice i draws from seed + i, so n samples differ and each is
                # reproducible; no seed -> fresh randomness.
                gen.manual_seed((p.seed + i) if p.seed is not None else secrets.randbits(63))
            self.waiting.put(_Seq(req, i, p, prompt_ids, gen))
        return req

    def running(self) -> int:
        return len({id(s.request) for s in self.rows})

    # -- scheduler thread --

    def _loop(self) -> None:
        try:
            while not self.stop_flag.is_set():
                admitted: list[_Seq] = []
                try:
                    self._drop_cancelled()
                    admitted = self._admit(block=not self.rows)
                    for chunk in self._prefill_chunks(admitted):
                        self._prefill(chunk)
                    if self.rows:
                        self._decode()
                except OOM_ERRORS as e:
                    self._out_of_memory(e, admitted)
        except Exception as e:  # a bug: fail every open request rather than hang them
            import traceback

            traceback.print_exc()
            self.fatal = f"{type(e).__name__}: {e}"
            for s in self.rows:
                s.request.queue.put(Finished(s.index, "error", s.text, s.count, message=self.fatal))
            self.rows = []
            while True:
                try:
                    s = self.waiting.get_nowait()
                except queue.Empty:
                    break
                if s is not None:
                    s.request.queue.put(Finished(s.index, "error", "", 0, message=self.fatal))

    def _out_of_memory(self, e: BaseException, admitted: list[_Seq]) -> None:
        """Fail the sequences in flight (their clients get an error), free the cache, halve the batch, go on."""
        victims = {id(s): s for s in [*self.rows, *admitted]}
        message = (f"out of memory on {self.m.device} with {len(victims)} sequences in the batch ({e}); "
                   f"the worker now batches at most {max(1, self.max_batch // 2)}")
        protocol.log(f"openai-serve: {message}")
        for s in victims.values():
            s.request.queue.put(Finished(s.index, "error", s.text, s.count, message=message))
        self.rows, self.cache, self.mask = [], None, None
        self.max_batch = max(1, self.max_batch // 2)
        if self.m.device.type == "cuda":
            torch.cuda.empty_cache()

    def _next_waiting(self, timeout: float | None) -> _Seq | None:
        if self.held:
            return self.held.popleft()
        return self.waiting.get(timeout=timeout) if timeout else self.waiting.get_nowait()

    def _admit(self, block: bool) -> list[_Seq]:
        out: list[_Seq] = []
        tokens = 0
        reserve = max((len(s.prompt) + s.params.max_tokens for s in self.rows), default=0)
        while len(self.rows) + len(out) < self.max_batch:
            try:
                s = self._next_waiting(0.5 if block and not out else None)
            except queue.Empty:
                break
            if s is None:  # stop()
                break
            if s.request.cancelled.is_set():
                s.request.queue.put(Finished(s.index, "abort", "", 0))
                continue
            need = max(reserve, len(s.prompt) + s.params.max_tokens)
            if (len(self.rows) + len(out) + 1) * need > self.kv_budget:
                if self.rows or out:
                    self.held.appendleft(s)  # waits until rows leave
                    break
                s.request.queue.put(Finished(s.index, "error", "", 0, message=(
                    f"{len(s.prompt)} prompt + {s.params.max_tokens} completion tokens need more KV cache than the "
                    f"{self.kv_budget} tokens that fit in memory; ask for fewer max_tokens")))
                continue
            reserve = need
            out.append(s)
            tokens += len(s.prompt)
            if tokens >= self.prefill_tokens:
                break
        return out

    def _drop_cancelled(self) -> None:
        keep = [i for i, s in enumerate(self.rows) if not s.request.cancelled.is_set()]
        if len(keep) < len(self.rows):
            for s in self.rows:
                if s.request.cancelled.is_set():
                    s.request.queue.put(Finished(s.index, "abort", s.text, s.count, list(s.tokens)))
            self._keep_rows(keep)

    def _keep_rows(self, keep: list[int]) -> None:
        if not keep:
            self.rows, self.cache, self.mask = [], None, None
            return
        if len(keep) == len(self.rows):
            return
        idx = torch.tensor(keep, device=self.m.device)
        self.rows = [self.rows[i] for i in keep]
        self.mask = self.mask.index_select(0, idx)
        # Columns that are padding in every remaining row can go: attention over them is wasted work.
        lead = int((self.mask.sum(0) == 0).long().cumprod(0).sum())
        for layer in self.cache.layers:
            layer.keys = layer.keys.index_select(0, idx)[:, :, lead:]
            layer.values = layer.values.index_select(0, idx)[:, :, lead:]
        self.mask = self.mask[:, lead:]

    def _prefill_chunks(self, seqs: list[_Seq]) -> list[list[_Seq]]:
        """Admitted sequences sorted by length, cut where the padded batch would pass the token budget:
        prompts of similar length are prefilled together, so left padding wastes little compute. The n
        choices of one request stay together and cost one prompt's prefill (see _prefill)."""
        chunks: list[list[_Seq]] = []
        rows = 0
        last: Request | None = None
        for s in sorted(seqs, key=lambda s: (len(s.prompt), id(s.request), s.index)):
            new_row = s.request is not last
            last = s.request
            if chunks and (not new_row or (rows + 1) * len(s.prompt) <= self.prefill_tokens):
                rows += new_row
                chunks[-1].append(s)
            else:
                chunks.append([s])
                rows = 1
        return chunks

    @torch.no_grad()
    def _prefill(self, seqs: list[_Seq]) -> None:
        from transformers import DynamicCache

        dev = self.m.device
        # One prefill row per request: its n choices share the prompt's KV cache (copied below).
        firsts: dict[int, int] = {}
        unique: list[_Seq] = []
        for s in seqs:
            if id(s.request) not in firsts:
                firsts[id(s.request)] = len(unique)
                unique.append(s)
        width = max(len(s.prompt) for s in unique)
        pad = self.m.tokenizer.pad_token_id if self.m.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(unique), width), pad, dtype=torch.long)
        mask = torch.zeros((len(unique), width), dtype=torch.long)
        for r, s in enumerate(unique):
            ids[r, width - len(s.prompt):] = torch.tensor(s.prompt)
            mask[r, width - len(s.prompt):] = 1
        positions = (mask.cumsum(1) - 1).clamp(min=0)
        cache = DynamicCache(config=self.m.model.config)
        out = self.m.model(input_ids=ids.to(dev), attention_mask=mask.to(dev), position_ids=positions.to(dev),
                           past_key_values=cache, use_cache=True, logits_to_keep=1)
        cache, logits, mask = out.past_key_values, out.logits[:, -1, :], mask.to(dev)
        if len(unique) < len(seqs):
            rows = torch.tensor([firsts[id(s.request)] for s in seqs], device=dev)
            for layer in cache.layers:
                layer.keys = layer.keys.index_select(0, rows)
                layer.values = layer.values.index_select(0, rows)
            logits, mask = logits.index_select(0, rows), mask.index_select(0, rows)
        for s in seqs:
            s.real_len = len(s.prompt)
        with self.lock:
            self.stats["prompt_tokens_total"] += sum(len(s.prompt) for s in unique)
        self._merge(seqs, cache, mask)
        self._after_step(seqs, logits)

    def _merge(self, seqs: list[_Seq], cache, mask: torch.Tensor) -> None:
        if not self.rows:
            self.rows, self.cache, self.mask = list(seqs), cache, mask
            return
        old, new = self.mask.shape[1], mask.shape[1]
        width = max(old, new)

        def left_pad(t: torch.Tensor, n: int) -> torch.Tensor:
            if n == 0:
                return t
            shape = list(t.shape)
            shape[-2 if t.dim() == 4 else -1] = n
            z = torch.zeros(shape, dtype=t.dtype, device=t.device)
            return torch.cat([z, t], dim=-2 if t.dim() == 4 else -1)

        for mine, theirs in zip(self.cache.layers, cache.layers):
            mine.keys = torch.cat([left_pad(mine.keys, width - old), left_pad(theirs.keys, width - new)], 0)
            mine.values = torch.cat([left_pad(mine.values, width - old), left_pad(theirs.values, width - new)], 0)
        self.mask = torch.cat([left_pad(self.mask, width - old), left_pad(mask, width - new)], 0)
        self.rows.extend(seqs)

    @torch.no_grad()
    def _decode(self) -> None:
        dev = self.m.device
        ids = torch.tensor([[s.next_token] for s in self.rows], device=dev)
        positions = torch.tensor([[s.real_len] for s in self.rows], device=dev)
        self.mask = torch.cat([self.mask, torch.ones((len(self.rows), 1), dtype=self.mask.dtype, device=dev)], 1)
        out = self.m.model(input_ids=ids, attention_mask=self.mask, position_ids=positions,
                           past_key_values=self.cache, use_cache=True, logits_to_keep=1)
        self.cache = out.past_key_values
        for s in self.rows:
            s.real_len += 1
        with self.lock:
            self.stats["steps_total"] += 1
        self._after_step(self.rows, out.logits[:, -1, :])

    def _after_step(self, seqs: list[_Seq], logits: torch.Tensor) -> None:
        """Sample each row's next token, stream its text, and retire rows that are done."""
        done: set[int] = set()
        new_tokens = 0
        sampled = sample_rows(logits, [s.params for s in seqs], [s.gen for s in seqs])
        for s, tok in zip(seqs, sampled):
            s.count += 1
            new_tokens += 1
            reason = None
            if tok in self.m.eos_ids:
                reason = "stop"
            else:
                s.tokens.append(tok)
                s.next_token = tok
                if s.count >= s.params.max_tokens or s.real_len + 1 >= self.m.max_model_len:
                    reason = "length"
            if s.params.stop or s.request.stream_text or reason:
                s.text = self.m.tokenizer.decode(s.tokens, skip_special_tokens=True)
                if s.params.stop:
                    at = _stop_at(s.text, s.params.stop, max(0, s.emitted - max(map(len, s.params.stop))))
                    if at >= 0:
                        s.text = s.text[:at]
                        reason = "stop"
            if s.request.stream_text:
                self._stream(s, final=reason is not None)
            if reason:
                s.request.queue.put(Finished(s.index, reason, s.text, s.count, list(s.tokens)))
                done.add(id(s))
        with self.lock:
            self.stats["generation_tokens_total"] += new_tokens
        if done:
            self._keep_rows([i for i, s in enumerate(self.rows) if id(s) not in done])

    def _stream(self, s: _Seq, *, final: bool) -> None:
        end = len(s.text)
        if not final:
            # Hold back what may still turn into a stop string, and an unfinished UTF-8 character.
            if s.params.stop:
                end -= max(map(len, s.params.stop)) - 1
            while end > s.emitted and s.text[end - 1] == "\ufffd":
                end -= 1
        if end > s.emitted:
            s.request.queue.put(Delta(s.index, s.text[s.emitted:end]))
            s.emitted = end


OOM_ERRORS: tuple[type[BaseException], ...] = (MemoryError,) + (
    (torch.OutOfMemoryError,) if hasattr(torch, "OutOfMemoryError") else ())


def default_kv_budget(loaded: LoadedModel) -> int:
    """KV-cache tokens that fit in 80% of the memory free after loading (half the available RAM on a CPU)."""
    per_token = kv_bytes_per_token(loaded.model.config, loaded.dtype)
    if loaded.device.type == "cuda":
        free = torch.cuda.mem_get_info(loaded.device)[0] * 0.8
    else:
        free = (_mem_available_cpu() or 8 << 30) * 0.5
    return max(loaded.max_model_len, int(free // per_token))


def model_card(loaded: LoadedModel, served_name: str) -> dict[str, Any]:
    return {"id": served_name, "object": "model", "created": int(time.time()), "owned_by": "arbiter",
            "root": loaded.spec, "parent": None, "max_model_len": loaded.max_model_len}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")


