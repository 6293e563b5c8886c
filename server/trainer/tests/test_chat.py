"""chat.py's pure rules (any interpreter): HH parsing, the plain rendering, truncation, prefix sharing."""

import pytest

from arbiter_trainer.chat import (PromptError, conversation, hh_messages, parse_prompt, prompt_key, prompt_text,
                                  split_shared, truncate)


def test_hh_strings_split_into_turns_and_back():
    text = "\n\nHuman: hi there\n\nAssistant: hello\n\nHuman: and\n\nthen?\n\nAssistant:"
    msgs = hh_messages(text)
    assert msgs == [{"role": "user", "content": "hi there"}, {"role": "assistant", "content": "hello"},
                    {"role": "user", "content": "and\n\nthen?"}]
    assert prompt_text(msgs) == text  # the plain rendering of messages is the HH form
    assert hh_messages("just a question") is None and hh_messages("\n\nHuman: no end") is None
    assert conversation("just a question", "ok") == [{"role": "user", "content": "just a question"},
                                                     {"role": "assistant", "content": "ok"}]


def test_parse_prompt_validates_and_keys():
    msgs = parse_prompt([{"role": "user", "content": "a", "name": "x"}], "f:1")
    assert msgs == [{"role": "user", "content": "a"}]
    assert prompt_key(msgs) != prompt_key("a") and prompt_key("a") == "a"
    for bad in ([], [{"role": "user"}], 3):
        with pytest.raises(PromptError, match=r"^f:1: field 'prompt"):
            parse_prompt(bad, "f:1")


def test_truncate_keeps_the_end_and_drops_trailing_pads():
    assert truncate(list(range(10)), 4, pad_id=None) == [6, 7, 8, 9]
    assert truncate([1, 2, 3, 0, 0], 10, pad_id=0) == [1, 2, 3]  # the reward is read at the last non-pad token
    assert truncate([0, 0], 10, pad_id=0) == [0]


def test_split_shared_shares_identical_leading_ids_only():
    assert split_shared([[1, 2, 3, 4], [1, 2, 5]]) == ([1, 2], [[3, 4], [5]])
    assert split_shared([[1, 2, 3], [1, 2, 3]]) == ([1, 2], [[3], [3]])  # each keeps its reward token
    assert split_shared([[9, 2], [1, 2]]) == ([], [[9, 2], [1, 2]])  # different from the start: unshared
    assert split_shared([[1, 2, 3]]) == ([1, 2], [[3]])
