"""Tokenizers behind one small interface: encode_prompt / encode_response / pad_id / save.

The tiny model reads raw UTF-8 bytes (ids 0..255) plus four specials. A sequence is
  [BOS] prompt-bytes [SEP] response-bytes [EOS]
and the reward is read at [EOS], the last real token. Prompt and response are encoded separately so
that, when packing with prefix sharing, one prompt copy can serve several responses and the shared
and unshared sequences are the same ids by construction.
"""

from __future__ import annotations

import json
import os
from typing import Protocol

BYTE_TOKENIZER_CLASS = "ArbiterByteTokenizer"


class Tokenizer(Protocol):
    pad_id: int

    def encode_prompt(self, text: str) -> list[int]: ...

    def encode_response(self, text: str) -> list[int]: ...

    def save(self, out_dir: str, max_length: int) -> None: ...


class ByteTokenizer:
    PAD, BOS, EOS, SEP = 256, 257, 258, 259
    vocab_size = 260
    pad_id = PAD
    specials = {"pad_token": ("<pad>", PAD), "bos_token": ("<s>", BOS), "eos_token": ("</s>", EOS),
                "sep_token": ("<sep>", SEP)}

    def encode_prompt(self, text: str) -> list[int]:
        return [self.BOS, *text.encode("utf-8"), self.SEP]

    def encode_response(self, text: str) -> list[int]:
        return [*text.encode("utf-8"), self.EOS]

    def save(self, out_dir: str, max_length: int) -> None:
        special = {name: tok for name, (tok, _) in self.specials.items()}
        config = {
            "tokenizer_class": BYTE_TOKENIZER_CLASS,
            "model_max_length": max_length,
            "byte_level": True,
            "vocab_size": self.vocab_size,
            "added_tokens_decoder": {str(i): {"content": tok, "special": True}
                                     for tok, i in self.specials.values()},
            "template": "<s>{prompt}<sep>{response}</s>",
            **special,
        }
        _write_json(os.path.join(out_dir, "tokenizer_config.json"), config)
        _write_json(os.path.join(out_dir, "special_tokens_map.json"), special)


class HFTokenizer:
    """An AutoTokenizer with the same interface; the reward is read at the appended EOS."""

    def __init__(self, tok) -> None:
        self.tok = tok
        eos = tok.eos_token_id
        if eos is None:
            eos = tok.sep_token_id if tok.sep_token_id is not None else tok.pad_token_id
        if eos is None:
            raise ValueError("tokenizer has no eos, sep or pad token to end a response with")
        self.eos_id = eos
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else eos

    def encode_prompt(self, text: str) -> list[int]:
        return list(self.tok(text, add_special_tokens=True)["input_ids"])

    def encode_response(self, text: str) -> list[int]:
        return [*self.tok(text, add_special_tokens=False)["input_ids"], self.eos_id]

    def save(self, out_dir: str, max_length: int) -> None:
        self.tok.model_max_length = max_length
        self.tok.save_pretrained(out_dir)


def has_hf_tokenizer(path: str) -> bool:
    names = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")
    return os.path.isdir(path) and any(os.path.exists(os.path.join(path, n)) for n in names)


def load_tokenizer(model_dir: str) -> Tokenizer:
    """The tokenizer saved beside a model: the byte tokenizer, or an HF one (needs transformers)."""
    config_path = os.path.join(model_dir, "tokenizer_config.json")
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            if json.load(f).get("tokenizer_class") == BYTE_TOKENIZER_CLASS:
                return ByteTokenizer()
    if not has_hf_tokenizer(model_dir):
        return ByteTokenizer()
    from transformers import AutoTokenizer

    return HFTokenizer(AutoTokenizer.from_pretrained(model_dir))


def _write_json(path: str, obj: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
