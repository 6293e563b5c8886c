"""Tokenizers behind one small interface: encode(prompt, response) / pad_id / save. How a pair is rendered
(chat template, plain text, truncation, where the reward is read): chat.py.

The tiny model reads raw UTF-8 bytes (ids 0..255) plus four specials. A sequence is
  [BOS] prompt-text [SEP] response [EOS]
and the reward is read at [EOS], the last token. `save` writes it as a real `tokenizers` tokenizer
(tokenizer.json: byte-level BPE with no merges, byte b = id b, the specials 256..259, and a post-processor
that puts the specials where encode does; special-token text in the input stays bytes), so
`AutoTokenizer.from_pretrained(dir)(prompt_text, response)["input_ids"]` gives the very ids encode gives.
"""

from __future__ import annotations

import json
import os
from typing import Protocol

from .chat import Prompt, prompt_text, render_ids

BYTE_TOKENIZER_CLASS = "ArbiterByteTokenizer"  # folders saved before tokenizer.json was written
BYTE_TOKENIZER_KEY = "arbiter_tokenizer"  # tokenizer_config.json: "byte" marks the byte tokenizer


class Tokenizer(Protocol):
    pad_id: int

    def encode(self, prompt: Prompt, response: str) -> list[int]: ...

    def save(self, out_dir: str, max_length: int) -> None: ...


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for every byte (what the `tokenizers` ByteLevel pre-tokenizer emits)."""
    bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


class ByteTokenizer:
    PAD, BOS, EOS, SEP = 256, 257, 258, 259
    vocab_size = 260
    pad_id = PAD
    specials = {"pad_token": ("<pad>", PAD), "bos_token": ("<s>", BOS), "eos_token": ("</s>", EOS),
                "sep_token": ("<sep>", SEP)}

    def encode(self, prompt: Prompt, response: str) -> list[int]:
        return [self.BOS, *prompt_text(prompt).encode("utf-8"), self.SEP, *response.encode("utf-8"), self.EOS]

    def tokenizer_json(self) -> dict:
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        special = {tok: {"id": tok, "ids": [i], "tokens": [tok]} for tok, i in self.specials.values()}

        def tpl(*parts: str) -> list[dict]:
            seq = {"A": 0, "B": 1}
            return [{"Sequence": {"id": p, "type_id": seq[p]}} if p in seq else {"SpecialToken": {"id": p, "type_id": 0}}
                    for p in parts]

        return {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for tok, i in self.specials.values()],
            "normalizer": None,
            "pre_tokenizer": byte_level,
            # single = the pair with an empty response (transformers drops an empty text_pair)
            "post_processor": {"type": "TemplateProcessing", "single": tpl("<s>", "A", "<sep>", "</s>"),
                               "pair": tpl("<s>", "A", "<sep>", "B", "</s>"), "special_tokens": special},
            "decoder": byte_level,
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": {ch: b for b, ch in sorted(_bytes_to_unicode().items())}, "merges": []},
        }

    def save(self, out_dir: str, max_length: int) -> None:
        special = {name: tok for name, (tok, _) in self.specials.items()}
        config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            BYTE_TOKENIZER_KEY: "byte",
            "model_max_length": max_length,
            "truncation_side": "left",  # chat.truncate: the last max_length tokens are kept
            "clean_up_tokenization_spaces": False,
            "split_special_tokens": True,  # "<s>" typed in a prompt is text (bytes), as encode reads it
            "added_tokens_decoder": {str(i): {"content": tok, "lstrip": False, "normalized": False, "rstrip": False,
                                              "single_word": False, "special": True}
                                     for tok, i in self.specials.values()},
            "template": "<s>{prompt}<sep>{response}</s>",
            **special,
        }
        _write_json(os.path.join(out_dir, "tokenizer.json"), self.tokenizer_json())
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

    def encode(self, prompt: Prompt, response: str) -> list[int]:
        return render_ids(self.tok, prompt, response)

    def save(self, out_dir: str, max_length: int) -> None:
        # save_pretrained writes init_kwargs: the attribute alone would not reach tokenizer_config.json
        for key, value in (("model_max_length", max_length), ("truncation_side", "left")):  # chat.truncate's rule
            setattr(self.tok, key, value)
            self.tok.init_kwargs[key] = value
        self.tok.save_pretrained(out_dir)


def has_hf_tokenizer(path: str) -> bool:
    names = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")
    return os.path.isdir(path) and any(os.path.exists(os.path.join(path, n)) for n in names)


def load_tokenizer(model_dir: str) -> Tokenizer:
    """The tokenizer saved beside a model: the byte tokenizer, or an HF one (needs transformers)."""
    config_path = os.path.join(model_dir, "tokenizer_config.json")
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            saved = json.load(f)
        if saved.get(BYTE_TOKENIZER_KEY) == "byte" or saved.get("tokenizer_class") == BYTE_TOKENIZER_CLASS:
            return ByteTokenizer()
    if not has_hf_tokenizer(model_dir):
        return ByteTokenizer()
    from transformers import AutoTokenizer

    return HFTokenizer(AutoTokenizer.from_pretrained(model_dir))


def _write_json(path: str, obj: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
