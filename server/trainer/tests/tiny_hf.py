"""Tiny Hugging Face bases built offline, for tests (no download, ever): a causal LM with random weights saved
with safetensors, and a real `tokenizers` byte-level BPE tokenizer trained on a few words, with a ChatML chat
template (Qwen2's shape: <|im_start|>role\\n…<|im_end|>\\n; pad <|endoftext|>, eos <|im_end|>).

    from tiny_hf import build_tiny_chat_model, hub_cache_layout
    folder = build_tiny_chat_model(tmp_path / "base", arch="qwen2")             # or "llama"; chat_template=None: none
    snapshot = hub_cache_layout(tmp_path / "hf", "acme/tiny-chat", folder)      # HF_HOME=tmp_path/"hf"

Needs transformers and tokenizers (the HF venv); importing it elsewhere raises ImportError.
"""

from __future__ import annotations

import os
import shutil

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + "
          "'\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = ("alpha beta gamma delta river stone cloud paper lamp tiger maple ocean violet copper window garden silver "
          "orange pencil bridge good fine okay meh the a is what why how user assistant system Human Assistant "
          "question answer hello world please thanks sure here it's").split()


def build_tokenizer(chat_template: str | None = CHATML, vocab_size: int = 400) -> transformers.PreTrainedTokenizerFast:
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    lines = [" ".join(CORPUS[i:] + CORPUS[:i]) for i in range(len(CORPUS))]
    tk.train_from_iterator(lines * 4, trainer=trainer)
    kwargs = {"chat_template": chat_template} if chat_template else {}
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>",
                                                pad_token="<|endoftext|>", **kwargs)


def build_tiny_chat_model(folder, arch: str = "qwen2", chat_template: str | None = CHATML, seed: int = 0,
                          hidden_size: int = 32, layers: int = 2) -> str:
    """A random-init causal LM of `arch` ("qwen2" | "llama") with weights and tokenizer saved in `folder`."""
    folder = str(folder)
    tok = build_tokenizer(chat_template)
    config = transformers.AutoConfig.for_model(
        arch, vocab_size=len(tok), hidden_size=hidden_size, intermediate_size=2 * hidden_size,
        num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=None, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder


def hub_cache_layout(hf_home, repo: str, folder, revision: str = "0123456789abcdef0123456789abcdef01234567") -> str:
    """Copy a model folder into HF_HOME's hub cache as huggingface_hub lays it out
    (hub/models--owner--name/{snapshots/<rev>/…, refs/main}); returns the snapshot folder."""
    root = os.path.join(str(hf_home), "hub", "models--" + repo.replace("/", "--"))
    snap = os.path.join(root, "snapshots", revision)
    shutil.copytree(str(folder), snap)
    os.makedirs(os.path.join(root, "refs"), exist_ok=True)
    with open(os.path.join(root, "refs", "main"), "w", encoding="utf-8") as f:
        f.write(revision)
    return snap
