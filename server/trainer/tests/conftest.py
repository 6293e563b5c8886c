"""Shared fixtures: synthetic preference data and a runner for the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

TRAINER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.environ.get("ARBITER_PYTHON", sys.executable)
WORDS = ("alpha beta gamma delta river stone cloud paper lamp tiger maple ocean violet copper "
         "window garden silver orange pencil bridge").split()


def synthetic_rows(n: int, seed: int = 0, ties: int = 0, rankings: int = 0) -> list[dict]:
    """Pairs where the chosen response contains "good" and the rejected one does not."""
    rng = random.Random(seed)

    def text(k: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k))

    rows = []
    for i in range(n):
        prompt = f"q{i}: {text(3)}?"
        words = text(rng.randint(3, 6)).split()
        good = list(words)
        good.insert(rng.randint(0, len(good)), "good")
        bad = list(words)
        bad.insert(rng.randint(0, len(bad)), rng.choice(["fine", "okay", "meh!"]))
        rows.append({"prompt": prompt, "chosen": " ".join(good), "rejected": " ".join(bad),
                     "strength": rng.choice([1, 2, 3, 4, None]), "criteria": [rng.choice(["helpful", "harmless"])]})
    for i in range(ties):
        a = text(4)
        rows.append({"prompt": f"t{i}: {text(3)}?", "chosen": a, "rejected": text(4), "tie": True})
    for i in range(rankings):
        rows.append({"prompt": f"r{i}: {text(3)}?", "ranking": [f"good good {text(3)}", f"good {text(3)}",
                                                                  text(4), f"{text(3)} meh"]})
    return rows


def write_jsonl(path, rows) -> str:
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return str(path)


def write_config(path, **fields) -> str:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fields, f)
    return str(path)


def run_cli(*args: str, input: str | None = None, timeout: float = 120, env: dict | None = None):
    return subprocess.run([PYTHON, "-m", "arbiter_trainer", *args], cwd=TRAINER_DIR, input=input,
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def protocol_lines(stdout: str) -> list[dict]:
    """Every stdout line must be one JSON object (the protocol contract)."""
    return [json.loads(line) for line in stdout.splitlines()]


# Small and fast: the whole suite runs on 2 CPU cores in CI.
FAST_TINY = {"d_model": 64, "n_layers": 2, "n_heads": 4, "d_ff": 128}


@pytest.fixture
def tiny_data(tmp_path):
    return write_jsonl(tmp_path / "train.jsonl", synthetic_rows(600, seed=1))
