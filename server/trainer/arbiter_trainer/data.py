"""Data: JSONL loading and validation, pair / K-wise expansion, token-budget batching, packing.

A line is either a pair
  {"prompt": str, "chosen": str, "rejected": str, "tie": false, "margin": 0, "strength": 1..4 | null,
   "criteria": [str], "weight": 1}
(for a tie, chosen/rejected are just the two responses) or a ranked item
  {"prompt": str, "ranking": [str, ...]}   best first, K >= 2.
"prompt" may also be chat messages [{"role", "content"}], kept as messages until chat.py renders the pair
(the base's chat template, or the plain rendering). "split": "train" | "eval" on every line puts each line
in that split (the server decides it and records the judgment ids); without it, split_eval holds out whole
prompts. Other keys ("judgment_ids", …) are ignored. A bad line raises DataError naming the file, the line
and the field.

One line becomes one *element*: a prompt, its K responses and the pairs to compare (1 for a pair,
C(K,2) for a ranking). Elements are the unit of batching and of the loss average.

Packing. A batch becomes rows of tokens with four id tensors [R, C]:
  input_ids, position_ids (restart at 0 per sequence), segment_ids (sequence in its row, -1 = pad),
  branch_ids (0 = prompt or whole sequence, k = k-th response sharing that segment's prompt).
Layouts:
  "shared"  one segment per element: prompt once, then each response; a response sees the prompt and
            itself only (prefix sharing). Tiny model.
  "packed"  one segment per (prompt + response) sequence, several per row (flash-attn varlen style).
  "padded"  one sequence per row, right-padded (plain HF attention_mask path).
All three give the same rewards (tests check to 1e-5); they differ in the tokens computed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from .chat import Prompt, PromptError, parse_prompt, prompt_key, split_shared, truncate
from .losses import ranking_pairs, strength_margin
from .tokenizer import Tokenizer

LAYOUTS = ("shared", "packed", "padded")


class DataError(ValueError):
    pass


@dataclass
class Example:
    prompt: Prompt  # a string or chat messages, as the line gave it (rendered by chat.py)
    responses: list[str]  # [chosen, rejected] for a pair; best-first for a ranking
    ranked: bool = False
    tie: bool = False
    margin: float = 0.0
    strength: int | None = None
    criteria: tuple[str, ...] = ()
    weight: float = 1.0
    source: str = ""  # "file:line", for messages
    split: str | None = None  # "train" | "eval" when the caller decided the split (see split_rows)


@dataclass
class Pair:
    a: int  # response index preferred (or first of a tie)
    b: int
    tie: bool = False
    margin: float = 0.0  # effective margin used by the loss
    strength: int | None = None
    criteria: tuple[str, ...] = ()
    data_margin: float = 0.0  # the line's own "margin" field, for metrics


@dataclass
class Element:
    prompt_ids: list[int]
    response_ids: list[list[int]]
    pairs: list[Pair]
    weight: float = 1.0

    def tokens(self, shared: bool) -> int:
        responses = sum(len(r) for r in self.response_ids)
        if shared:
            return len(self.prompt_ids) + responses
        return len(self.prompt_ids) * len(self.response_ids) + responses


# ---- loading -------------------------------------------------------------------------------------


def parse_example(obj, where: str) -> Example:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object")
    if "prompt" not in obj:
        raise DataError(f"{where}: field 'prompt': missing")
    try:
        prompt = parse_prompt(obj["prompt"], where)
    except PromptError as e:
        raise DataError(str(e)) from None
    split = obj.get("split")
    if split is not None and split not in ("train", "eval"):
        raise DataError(f"{where}: field 'split': expected \"train\" or \"eval\", got {json.dumps(split)}")

    def number(name: str, default: float) -> float:
        v = obj.get(name, default)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DataError(f"{where}: field '{name}': expected a finite number, got {json.dumps(v)}")
        return float(v)

    weight = number("weight", 1.0)
    if weight <= 0:
        raise DataError(f"{where}: field 'weight': expected a number > 0, got {weight}")
    criteria = obj.get("criteria") or []
    if not (isinstance(criteria, list) and all(isinstance(c, str) for c in criteria)):
        raise DataError(f"{where}: field 'criteria': expected a list of strings")

    if "ranking" in obj:
        if "chosen" in obj or "rejected" in obj:
            raise DataError(f"{where}: field 'ranking': a line has either ranking or chosen/rejected, not both")
        ranking = obj["ranking"]
        if not (isinstance(ranking, list) and len(ranking) >= 2 and all(isinstance(r, str) for r in ranking)):
            raise DataError(f"{where}: field 'ranking': expected a list of >= 2 strings, best first")
        return Example(prompt, list(ranking), ranked=True, criteria=tuple(criteria), weight=weight, source=where,
                       split=split)

    for name in ("chosen", "rejected"):
        if name not in obj:
            raise DataError(f"{where}: field '{name}': missing (or give 'ranking')")
        if not isinstance(obj[name], str):
            raise DataError(f"{where}: field '{name}': expected a string")
    tie = obj.get("tie", False)
    if tie is None:
        tie = False
    if not isinstance(tie, bool):
        raise DataError(f"{where}: field 'tie': expected true or false")
    strength = obj.get("strength")
    if strength is not None and (isinstance(strength, bool) or not isinstance(strength, int)
                                 or not 1 <= strength <= 4):
        raise DataError(f"{where}: field 'strength': expected an integer 1..4 or null, got {json.dumps(strength)}")
    return Example(prompt, [obj["chosen"], obj["rejected"]], tie=tie, margin=number("margin", 0.0),
                   strength=strength, criteria=tuple(criteria), weight=weight, source=where, split=split)


def load_examples(path: str) -> list[Example]:
    examples = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{where}: not valid JSON ({e.msg})") from None
            examples.append(parse_example(obj, where))
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


def split_rows(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """The caller's split when any line has "split" (then every line must: the server decides the split so it
    can record which judgments were held out), else split_eval's."""
    marked = [e for e in examples if e.split is not None]
    if not marked:
        return split_eval(examples, fraction, seed)
    if len(marked) != len(examples):
        first = next(e for e in examples if e.split is None)
        raise DataError(f"{first.source}: field 'split': missing (other lines have \"split\"; give it on every line)")
    return [e for e in examples if e.split == "train"], [e for e in examples if e.split == "eval"]


def split_eval(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Hold out about `fraction` of the examples, whole prompts at a time (no prompt in both splits).

    Falls back to a per-example split when prompts are too few to split by.
    """
    if fraction <= 0 or len(examples) < 2:
        return examples, []
    target = max(1, round(fraction * len(examples)))
    rng = np.random.default_rng(seed)
    prompts = sorted({prompt_key(e.prompt) for e in examples})
    by_prompt: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_prompt.setdefault(prompt_key(e.prompt), []).append(i)
    held: set[int] = set()
    for pi in rng.permutation(len(prompts)):
        if len(held) >= target:
            break
        held.update(by_prompt[prompts[pi]])
    if len(held) >= len(examples) or len(held) > 2 * target + 1:
        held = set(rng.permutation(len(examples))[:target].tolist())
    train = [e for i, e in enumerate(examples) if i not in held]
    held_out = [e for i, e in enumerate(examples) if i in held]
    return train, held_out


# ---- encoding ------------------------------------------------------------------------------------


def encode_group(tok: Tokenizer, prompt: Prompt, responses: list[str], max_length: int) -> tuple[list[int], list[list[int]]]:
    """(shared prefix ids, each response's remaining ids) of one prompt and its responses (chat.py's rules):
    each pair rendered whole (chat template or plain), truncated to its last max_length tokens, and the
    leading tokens identical in every rendering shared."""
    seqs = [truncate(tok.encode(prompt, r), max_length, tok.pad_id) for r in responses]
    return split_shared(seqs)


def example_pairs(ex: Example, margin_from_strength: bool, margin_map: dict[int, float]) -> list[Pair]:
    if ex.ranked:
        return [Pair(a, b, criteria=ex.criteria) for a, b in ranking_pairs(len(ex.responses))]
    margin = 0.0
    if not ex.tie:
        margin = ex.margin + (strength_margin(ex.strength, margin_map) if margin_from_strength else 0.0)
    return [Pair(0, 1, tie=ex.tie, margin=margin, strength=ex.strength, criteria=ex.criteria,
                 data_margin=ex.margin)]


def encode_examples(examples: list[Example], tok: Tokenizer, max_length: int, *, keep_ties: bool,
                    margin_from_strength: bool = False, margin_map: dict[int, float] | None = None) -> list[Element]:
    elements = []
    for ex in examples:
        if ex.tie and not keep_ties:
            continue
        p, rs = encode_group(tok, ex.prompt, ex.responses, max_length)
        elements.append(Element(p, rs, example_pairs(ex, margin_from_strength, margin_map or {}), ex.weight))
    return elements


# ---- batching ------------------------------------------------------------------------------------


def make_batches(costs: list[int], budget: int, seed: int, epoch: int) -> list[list[int]]:
    """Length-grouped batches of element indices, each at most `budget` tokens (an element bigger than
    the budget goes alone). Like HF's LengthGroupedSampler: shuffle, sort within mega-chunks of ~50
    batches so a batch holds similar lengths (little padding, even rows), then shuffle the batches.
    A pure function of (costs, budget, seed, epoch): resume and every DDP rank rebuild the same list.
    """
    n = len(costs)
    if n == 0:
        return []
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(n)
    per_batch = max(1.0, budget / max(1.0, float(np.mean(costs))))
    mega = max(1, int(50 * per_batch))
    batches: list[list[int]] = []
    for start in range(0, n, mega):
        chunk = sorted(order[start:start + mega].tolist(), key=lambda i: -costs[i])
        current: list[int] = []
        used = 0
        for i in chunk:
            if current and used + costs[i] > budget:
                batches.append(current)
                current, used = [], 0
            current.append(i)
            used += costs[i]
        if current:
            batches.append(current)
    return [batches[i] for i in rng.permutation(len(batches))]


def shard_batches(batches: list[list[int]], rank: int, world_size: int) -> list[list[int]]:
    """This rank's share, padded by wrapping around so every rank takes the same number of steps
    (DistributedSampler's drop_last=False)."""
    if world_size <= 1 or not batches:
        return batches
    total = math.ceil(len(batches) / world_size) * world_size
    padded = batches + [batches[i % len(batches)] for i in range(total - len(batches))]
    return padded[rank::world_size]


# ---- packing -------------------------------------------------------------------------------------


@dataclass
class Batch:
    input_ids: torch.Tensor  # [R, C]
    position_ids: torch.Tensor
    segment_ids: torch.Tensor
    branch_ids: torch.Tensor
    last_index: torch.Tensor  # [N responses], flat index into R*C of each response's last token
    pair_a: torch.Tensor  # [P] response index (preferred, or first of a tie)
    pair_b: torch.Tensor
    tie: torch.Tensor  # [P] bool
    margin: torch.Tensor  # [P] float
    pair_item: torch.Tensor  # [P] element index in the batch
    item_weight: torch.Tensor  # [E]
    n_tokens: int  # real (non-pad) tokens
    pairs: list[Pair] = field(default_factory=list)

    def to(self, device) -> "Batch":
        moved = {k: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v)
                 for k, v in self.__dict__.items()}
        return Batch(**moved)

    def model_inputs(self) -> dict[str, torch.Tensor]:
        return {"input_ids": self.input_ids, "position_ids": self.position_ids, "segment_ids": self.segment_ids,
                "branch_ids": self.branch_ids, "last_index": self.last_index}


def collate(elements: list[Element], layout: str, pad_id: int, row_tokens: int | None = None) -> Batch:
    """Pack elements into rows (see the module docstring for the layouts).

    `row_tokens` caps a row for "shared"/"packed"; a row is never shorter than the longest unit, so 0
    packs rows up to the longest unit's length, and None puts everything in one row (flash-attn varlen
    style). Rows are filled first-fit-decreasing.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    # A unit is a run of tokens that goes into one row whole: (ids, positions, branches, [(resp, offset)]).
    units: list[tuple[list[int], list[int], list[int], list[tuple[int, int]]]] = []
    resp_base = []
    n_resp = 0
    for el in elements:
        resp_base.append(n_resp)
        plen = len(el.prompt_ids)
        if layout == "shared":
            ids, pos, br, lasts = list(el.prompt_ids), list(range(plen)), [0] * plen, []
            for k, r in enumerate(el.response_ids):
                ids += r
                pos += range(plen, plen + len(r))
                br += [k + 1] * len(r)
                lasts.append((n_resp + k, len(ids) - 1))
            units.append((ids, pos, br, lasts))
        else:
            for k, r in enumerate(el.response_ids):
                ids = el.prompt_ids + r
                units.append((ids, list(range(len(ids))), [0] * len(ids), [(n_resp + k, len(ids) - 1)]))
        n_resp += len(el.response_ids)

    lengths = [len(u[0]) for u in units]
    if layout == "padded":
        rows = [[i] for i in range(len(units))]
    else:
        cap = max(max(lengths), row_tokens if row_tokens is not None else sum(lengths))
        rows, fill = [], []
        for i in sorted(range(len(units)), key=lambda i: -lengths[i]):
            for r, used in enumerate(fill):
                if used + lengths[i] <= cap:
                    rows[r].append(i)
                    fill[r] += lengths[i]
                    break
            else:
                rows.append([i])
                fill.append(lengths[i])
    width = max(sum(lengths[i] for i in row) for row in rows)

    shape = (len(rows), width)
    input_ids = np.full(shape, pad_id, dtype=np.int64)
    position_ids = np.zeros(shape, dtype=np.int64)
    segment_ids = np.full(shape, -1, dtype=np.int64)
    branch_ids = np.zeros(shape, dtype=np.int64)
    last_index = np.zeros(n_resp, dtype=np.int64)
    for r, row in enumerate(rows):
        offset = 0
        for seg, i in enumerate(row):
            ids, pos, br, lasts = units[i]
            end = offset + len(ids)
            input_ids[r, offset:end] = ids
            position_ids[r, offset:end] = pos
            segment_ids[r, offset:end] = seg
            branch_ids[r, offset:end] = br
            for resp, last in lasts:
                last_index[resp] = r * width + offset + last
            offset = end

    pairs = [p for el in elements for p in el.pairs]
    return Batch(
        input_ids=torch.from_numpy(input_ids),
        position_ids=torch.from_numpy(position_ids),
        segment_ids=torch.from_numpy(segment_ids),
        branch_ids=torch.from_numpy(branch_ids),
        last_index=torch.from_numpy(last_index),
        pair_a=torch.tensor([resp_base[e] + p.a for e, el in enumerate(elements) for p in el.pairs], dtype=torch.long),
        pair_b=torch.tensor([resp_base[e] + p.b for e, el in enumerate(elements) for p in el.pairs], dtype=torch.long),
        tie=torch.tensor([p.tie for p in pairs], dtype=torch.bool),
        margin=torch.tensor([p.margin for p in pairs], dtype=torch.float32),
        pair_item=torch.tensor([e for e, el in enumerate(elements) for _ in el.pairs], dtype=torch.long),
        item_weight=torch.tensor([el.weight for el in elements], dtype=torch.float32),
        n_tokens=sum(lengths),
        pairs=pairs,
    )
