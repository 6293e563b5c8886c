"""Loading/validation, K-wise expansion, batching and packing layouts."""

import json

import numpy as np
import pytest

from arbiter_trainer.data import (DataError, Element, Example, collate, encode_examples, encode_group,
                                  load_examples, make_batches, parse_example, shard_batches, split_eval)
from arbiter_trainer.losses import DEFAULT_MARGIN_MAP
from arbiter_trainer.tokenizer import ByteTokenizer
from conftest import synthetic_rows, write_jsonl

TOK = ByteTokenizer()


def test_pair_defaults_and_ranking(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [
        {"prompt": "p", "chosen": "a", "rejected": "b"},
        {"prompt": "p2", "ranking": ["w", "x", "y", "z"], "extra": "ignored"},
        {"prompt": [{"role": "user", "content": "hi"}], "chosen": "", "rejected": "", "tie": True},
    ])
    a, r, tie = load_examples(path)
    assert (a.tie, a.margin, a.strength, a.criteria, a.weight, a.ranked) == (False, 0.0, None, (), 1.0, False)
    assert r.ranked and r.responses == ["w", "x", "y", "z"]
    assert tie.tie and tie.prompt == [{"role": "user", "content": "hi"}]  # messages until chat.py renders them
    assert TOK.encode(tie.prompt, "ok") == [TOK.BOS, *b"\n\nHuman: hi\n\nAssistant:", TOK.SEP, *b"ok", TOK.EOS]


def test_kwise_expansion_k4_gives_six_pairs_in_one_element():
    ex = parse_example({"prompt": "p", "ranking": ["a", "b", "c", "d"]}, "x:1")
    (el,) = encode_examples([ex], TOK, 64, keep_ties=False)
    assert [(p.a, p.b) for p in el.pairs] == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    batch = collate([el], "shared", TOK.pad_id)
    assert batch.pair_item.tolist() == [0] * 6 and batch.item_weight.tolist() == [1.0]
    assert batch.last_index.numel() == 4


@pytest.mark.parametrize("line, field", [
    ('{"chosen": "a", "rejected": "b"}', "prompt"),
    ('{"prompt": "p", "chosen": "a"}', "rejected"),
    ('{"prompt": "p", "chosen": 3, "rejected": "b"}', "chosen"),
    ('{"prompt": "p", "chosen": "a", "rejected": "b", "strength": 7}', "strength"),
    ('{"prompt": "p", "chosen": "a", "rejected": "b", "tie": "yes"}', "tie"),
    ('{"prompt": "p", "chosen": "a", "rejected": "b", "weight": 0}', "weight"),
    ('{"prompt": "p", "chosen": "a", "rejected": "b", "margin": "big"}', "margin"),
    ('{"prompt": "p", "ranking": ["only one"]}', "ranking"),
    ('{"prompt": "p", "chosen": "a", "rejected": "b", "criteria": "helpful"}', "criteria"),
])
def test_bad_line_names_file_line_and_field(tmp_path, line, field):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "ok", "chosen": "a", "rejected": "b"}\n\n' + line + "\n")
    with pytest.raises(DataError) as e:
        load_examples(str(path))
    assert f"{path}:3" in str(e.value) and f"'{field}'" in str(e.value)


def test_not_json_names_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"prompt": "ok", "chosen": "a", "rejected": "b"}\n{nope\n')
    with pytest.raises(DataError, match=r"bad.jsonl:2: not valid JSON"):
        load_examples(str(path))


def test_margins_from_strength_and_data():
    ex = parse_example({"prompt": "p", "chosen": "a", "rejected": "b", "strength": 4, "margin": 0.5}, "x:1")
    (el,) = encode_examples([ex], TOK, 64, keep_ties=False, margin_from_strength=True, margin_map=DEFAULT_MARGIN_MAP)
    assert el.pairs[0].margin == pytest.approx(1.5) and el.pairs[0].data_margin == 0.5
    (el,) = encode_examples([ex], TOK, 64, keep_ties=False)
    assert el.pairs[0].margin == pytest.approx(0.5)
    tie = parse_example({"prompt": "p", "chosen": "a", "rejected": "b", "tie": True, "strength": 4}, "x:2")
    assert encode_examples([tie], TOK, 64, keep_ties=False) == []
    (el,) = encode_examples([tie], TOK, 64, keep_ties=True, margin_from_strength=True, margin_map=DEFAULT_MARGIN_MAP)
    assert el.pairs[0].tie and el.pairs[0].margin == 0.0


def test_truncation_keeps_the_last_max_length_tokens():
    """One rule everywhere: an over-long pair keeps its last max_length tokens (the response and its reward token)."""
    prompt = "".join(chr(ord("a") + i % 26) for i in range(100))
    p, (r1, r2) = encode_group(TOK, prompt, ["y" * 100, "z"], 40)
    assert p + r1 == TOK.encode(prompt, "y" * 100)[-40:]
    assert p + r2 == TOK.encode(prompt, "z")[-40:]
    assert r1[-1] == TOK.EOS and r2[-1] == TOK.EOS and p == []  # truncated differently: nothing identical to share
    p, (r1, r2) = encode_group(TOK, prompt, ["yes", "no!"], 40)  # same length, same cut: the prompt is shared
    assert p == TOK.encode(prompt, "yes")[-40:-4] and (r1, r2) == ([*b"yes", TOK.EOS], [*b"no!", TOK.EOS])
    p, (r,) = encode_group(TOK, "short", ["resp"], 40)
    assert p + r == TOK.encode("short", "resp") and len(r) >= 1


def test_split_field_decides_the_split(tmp_path):
    from arbiter_trainer.data import split_rows

    rows = [{"prompt": f"p{i}", "chosen": "a", "rejected": "b", "split": "eval" if i % 4 == 0 else "train",
             "judgment_ids": [i]} for i in range(12)]
    train, held = split_rows(load_examples(write_jsonl(tmp_path / "s.jsonl", rows)), 0.5, seed=0)
    assert [e.prompt for e in held] == ["p0", "p4", "p8"] and len(train) == 9
    with pytest.raises(DataError, match=r"s2.jsonl:2: field 'split': missing"):
        split_rows(load_examples(write_jsonl(tmp_path / "s2.jsonl", [rows[0], {**rows[1], "split": None}])), 0.1, 0)
    with pytest.raises(DataError, match=r"s3.jsonl:1: field 'split': expected"):
        load_examples(write_jsonl(tmp_path / "s3.jsonl", [{**rows[0], "split": "test"}]))


def test_batches_respect_budget_cover_everything_and_are_deterministic():
    costs = [10, 50, 30, 5, 80, 200, 25, 60] * 10
    a = make_batches(costs, 150, seed=3, epoch=0)
    assert a == make_batches(costs, 150, seed=3, epoch=0)
    assert a != make_batches(costs, 150, seed=3, epoch=1)
    assert sorted(i for b in a for i in b) == list(range(len(costs)))
    for b in a:
        assert sum(costs[i] for i in b) <= 150 or len(b) == 1


def test_shards_are_even_and_cover_all_batches():
    batches = [[i] for i in range(7)]
    shards = [shard_batches(batches, r, 2) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 4
    assert {b[0] for s in shards for b in s} == set(range(7))


def test_eval_split_holds_out_whole_prompts():
    exs = [Example(f"p{i // 3}", ["a", "b"]) for i in range(60)]
    train, held = split_eval(exs, 0.2, seed=0)
    assert len(held) == 12 and len(train) == 48
    assert not {e.prompt for e in train} & {e.prompt for e in held}
    assert split_eval(exs, 0.2, seed=0)[1] == held
    assert split_eval(exs, 0.0, seed=0) == (exs, [])


def test_layouts_count_tokens():
    el = Element([1, 2, 3], [[4, 5], [6]], [], 1.0)
    shared = collate([el], "shared", 0)
    assert shared.n_tokens == el.tokens(True) == 6
    assert shared.branch_ids.tolist() == [[0, 0, 0, 1, 1, 2]]
    assert shared.position_ids.tolist() == [[0, 1, 2, 3, 4, 3]]
    padded = collate([el], "padded", 0)
    assert padded.n_tokens == el.tokens(False) == 9 and padded.input_ids.shape == (2, 5)
    assert padded.segment_ids.tolist() == [[0, 0, 0, 0, 0], [0, 0, 0, 0, -1]]
    packed = collate([el], "packed", 0)
    assert packed.input_ids.shape == (1, 9) and packed.position_ids.tolist() == [[0, 1, 2, 3, 4, 0, 1, 2, 3]]


def test_synthetic_rows_load(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", synthetic_rows(5, ties=2, rankings=2))
    exs = load_examples(path)
    assert len(exs) == 9 and sum(e.tie for e in exs) == 2 and sum(e.ranked for e in exs) == 2
    assert all(json.dumps(e.prompt) for e in exs)


def test_batches_group_similar_lengths():
    rng = np.random.default_rng(0)
    costs = rng.integers(10, 500, size=2000).tolist()
    grouped = make_batches(costs, 2000, seed=1, epoch=0)
    order = rng.permutation(len(costs)).tolist()
    size = round(np.mean([len(b) for b in grouped]))
    ungrouped = [order[i:i + size] for i in range(0, len(order), size)]

    def spread(batches):  # mean (max - min) cost inside a batch
        return float(np.mean([max(costs[i] for i in b) - min(costs[i] for i in b) for b in batches if len(b) > 1]))

    assert spread(grouped) < 0.25 * spread(ungrouped)


def test_packed_last_index_is_each_sequences_last_real_token():
    # HF pooling reads the hidden state at last_index; in one packed row the sequences are told apart
    # only by position_ids restarting at 0, so the index must land just before each restart.
    els = [Element([1, 2, 3], [[4, 5, 9], [6, 9]], [], 1.0), Element([7], [[8, 8, 8, 9]], [], 1.0)]
    batch = collate(els, "packed", 0, row_tokens=None)
    assert batch.input_ids.shape[0] == 1
    flat_pos = batch.position_ids.flatten().tolist()
    flat_ids = batch.input_ids.flatten().tolist()
    starts = [i for i, p in enumerate(flat_pos) if p == 0 and batch.segment_ids.flatten()[i] >= 0]
    ends = sorted(s - 1 for s in starts[1:]) + [max(i for i, s in enumerate(batch.segment_ids.flatten()) if s >= 0)]
    assert sorted(batch.last_index.tolist()) == ends
    seqs = [el.prompt_ids + r for el in els for r in el.response_ids]
    for resp, idx in enumerate(batch.last_index.tolist()):
        seq = seqs[resp]
        assert flat_ids[idx - len(seq) + 1: idx + 1] == seq
