"""How a (prompt, response) pair becomes token ids — the ONE rendering used by train, eval, score (serve),
packing, prefix sharing, bench and the README snippet.

A prompt is a string or chat messages [{"role", "content"}, …]; it stays in that form until here.

With a chat template (the base tokenizer has one), exactly as TRL's RewardTrainer treats conversational data:
    conversation = messages + [{"role": "assistant", "content": response}]
    ids = tokenizer.apply_chat_template(conversation, tokenize=True, return_dict=True)["input_ids"]
  A string prompt becomes messages first: an Anthropic HH string ("\n\nHuman: …\n\nAssistant: …\n\nHuman: …
  \n\nAssistant:") is split into its turns (Human -> user, Assistant -> assistant, System -> system, the one
  space after the colon dropped); any other string is one user message.
Without a chat template (the plain rendering), as TRL treats standard (non-conversational) data:
    ids = tokenizer(prompt_text + response + eos_token)["input_ids"]
  where chat messages become HH text: "\n\nHuman: …" / "\n\nAssistant: …" per turn, then "\n\nAssistant:".
  The built-in byte tokenizer (tiny model) reads [BOS] prompt_text [SEP] response [EOS] (tokenizer.py).

Truncation, one rule everywhere: an over-long sequence keeps its LAST max_length tokens (the start of the
prompt is dropped; the response and its final token are kept), i.e. `ids[-max_length:]`.
The reward is read where AutoModelForSequenceClassification reads it: at the last token that is not the pad
token. Trailing pad tokens (a template that ends in the pad token) are therefore dropped after truncation;
nothing after the reward token can change it (causal attention).

Prefix sharing: the responses of one prompt share exactly the leading tokens that are identical in all their
renderings (token ids and positions), never a response's last token; where the renderings differ from the
first token, that prompt is not shared. So shared and unshared layouts see the very same sequences.
"""

from __future__ import annotations

import re
from typing import Any, Union

Message = dict[str, str]
Prompt = Union[str, list[Message]]

ROLES_TO_HH = {"user": "Human", "human": "Human", "assistant": "Assistant", "system": "System"}
HH_TO_ROLES = {"Human": "user", "Assistant": "assistant", "System": "system"}
_HH_TURN = re.compile(r"\n\n(Human|Assistant|System):")
_HH_END = "\n\nAssistant:"


class PromptError(ValueError):
    pass


def parse_prompt(value: Any, where: str) -> Prompt:
    """A validated prompt: the string, or a copy of the messages as plain {"role", "content"} dicts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        out = []
        for i, msg in enumerate(value):
            if not (isinstance(msg, dict) and isinstance(msg.get("role"), str) and isinstance(msg.get("content"), str)):
                raise PromptError(f"{where}: field 'prompt[{i}]': expected {{\"role\": str, \"content\": str}}")
            out.append({"role": msg["role"], "content": msg["content"]})
        return out
    raise PromptError(f"{where}: field 'prompt': expected a string or a non-empty list of chat messages")


def prompt_key(prompt: Prompt) -> str:
    """A hashable identity of a prompt (for grouping by prompt)."""
    if isinstance(prompt, str):
        return prompt
    return "\x00".join(f"{m['role']}\x01{m['content']}" for m in prompt)


def hh_messages(text: str) -> list[Message] | None:
    """The turns of an HH-form prompt string ending in "\n\nAssistant:", or None when it is not one."""
    if not text.startswith("\n\nHuman:") or not text.endswith(_HH_END):
        return None
    parts = _HH_TURN.split(text[:-len(_HH_END)])
    if parts[0] != "":
        return None
    out = []
    for role, content in zip(parts[1::2], parts[2::2]):
        out.append({"role": HH_TO_ROLES[role], "content": content[1:] if content.startswith(" ") else content})
    return out


def prompt_messages(prompt: Prompt) -> list[Message]:
    if isinstance(prompt, list):
        return [dict(m) for m in prompt]
    return hh_messages(prompt) or [{"role": "user", "content": prompt}]


def conversation(prompt: Prompt, response: str) -> list[Message]:
    """What apply_chat_template renders for a pair: the prompt's messages, then the response as the assistant."""
    return prompt_messages(prompt) + [{"role": "assistant", "content": response}]


def prompt_text(prompt: Prompt) -> str:
    """The plain rendering's prompt: a string as it is; messages in HH form, ending in "\n\nAssistant:"."""
    if isinstance(prompt, str):
        return prompt
    turns = "".join(f"\n\n{ROLES_TO_HH.get(m['role'], m['role'].capitalize())}: {m['content']}" for m in prompt)
    return turns + _HH_END


def has_template(tok: Any) -> bool:
    return bool(getattr(tok, "chat_template", None))


def render_ids(tok: Any, prompt: Prompt, response: str) -> list[int]:
    """Token ids of one pair for an HF tokenizer, untruncated (see the module docstring)."""
    if has_template(tok):
        out = tok.apply_chat_template(conversation(prompt, response), tokenize=True, return_dict=True)
        return list(out["input_ids"])
    text = prompt_text(prompt) + response
    eos = tok.eos_token
    if eos and not text.endswith(eos):
        text += eos
    return list(tok(text)["input_ids"])


def truncate(ids: list[int], max_length: int, pad_id: int | None) -> list[int]:
    """The last max_length tokens, then without trailing pad tokens (at least one token stays)."""
    ids = ids[-max_length:]
    end = len(ids)
    while end > 1 and pad_id is not None and ids[end - 1] == pad_id:
        end -= 1
    return ids[:end]


def split_shared(seqs: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """(shared prefix, per-sequence rest): the longest common prefix, leaving every sequence >= 1 token."""
    n = min(len(s) for s in seqs) - 1
    k = 0
    first = seqs[0]
    while k < n and all(s[k] == first[k] for s in seqs[1:]):
        k += 1
    return first[:k], [s[k:] for s in seqs]
