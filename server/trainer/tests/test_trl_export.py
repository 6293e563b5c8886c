"""Arbiter's standard `trl` export read the way TRL users read it.

tests/fixtures/trl-export.jsonl is what `export --format trl` writes for HH items, a plain item and a multi-turn
chat item (server/domain/export/trl-conventions.test.ts checks the exporter writes exactly these bytes). Here
the real `datasets` loads it, and TRL's `extract_prompt` splits each full text (prompt + chosen,
prompt + rejected) back into the same prompt and completions: what TRL trains on is what was in the data.

    python3 -m pytest -q tests/test_trl_export.py   (needs datasets and trl: requirements-hf.txt)
"""
from pathlib import Path

import pytest

datasets = pytest.importorskip("datasets")
trl_data_utils = pytest.importorskip("trl.data_utils")

FILE = Path(__file__).parent / "fixtures" / "trl-export.jsonl"


def test_datasets_loads_the_export_and_extract_prompt_splits_it_back(tmp_path):
    ds = datasets.load_dataset("json", data_files=str(FILE), split="train", cache_dir=str(tmp_path))
    assert ds.column_names == ["prompt", "chosen", "rejected"]
    assert len(ds) == 5
    assert not trl_data_utils.is_conversational(ds[0])
    for row in ds:
        implicit = {"chosen": row["prompt"] + row["chosen"], "rejected": row["prompt"] + row["rejected"]}
        split = trl_data_utils.extract_prompt(implicit)
        if row["chosen"] == "":
            # extract_prompt cannot give an empty completion back (it always keeps one differing character
            # or more); the texts it splits are still exactly ours.
            assert split["prompt"] + split["chosen"] == implicit["chosen"]
            continue
        assert (split["prompt"], split["chosen"], split["rejected"]) == (row["prompt"], row["chosen"], row["rejected"])
    # HH rows: the prompt ends at "Assistant:" and each completion starts with its space.
    assert ds[0]["prompt"].endswith("\n\nAssistant:") and ds[0]["chosen"].startswith(" ")

