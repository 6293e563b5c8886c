"""The generation engine (generate.py) on a tiny random-init Qwen2 built offline: continuous batching must not
change what a request generates. Skipped where transformers is not installed (Debian's python3)."""

from __future__ import annotations

import threading

import pytest

transformers = pytest.importorskip("transformers")
import torch  # noqa: E402

from arbiter_trainer.generate import (  # noqa: E402
    NUCLEUS_CANDIDATES,
    Delta,
    Engine,
    Finished,
    GenerateError,
    SamplingParams,
    check_memory,
    load_generator,
    render_chat,
    sample_next,
    sample_rows,
)
from tiny_hf import build_tiny_chat_model  # noqa: E402

WORDS = "alpha beta gamma delta river stone cloud paper lamp tiger maple ocean".split()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = build_tiny_chat_model(tmp_path_factory.mktemp("gen") / "qwen2", arch="qwen2", hidden_size=64)
    return load_generator(folder, device="cpu")


@pytest.fixture
def engine(loaded):
    e = Engine(loaded, max_batch=8)
    e.start()
    yield e
    e.stop()


def prompt(loaded, i: int, system: str | None = None) -> list[int]:
    msgs = [{"role": "system", "content": system}] if system else []
    msgs.append({"role": "user", "content": " ".join(WORDS[j % len(WORDS)] for j in range(i, i + 1 + 3 * i))})
    return render_chat(loaded.tokenizer, msgs)


def finish(req) -> list[Finished]:
    out = sorted((ev for ev in req.events(timeout=60) if isinstance(ev, Finished)), key=lambda f: f.index)
    assert all(f.reason in ("stop", "length") for f in out), out
    return out


def hf_generate(loaded, ids: list[int], n: int) -> list[int]:
    out = loaded.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                max_new_tokens=n, do_sample=False, eos_token_id=sorted(loaded.eos_ids),
                                pad_token_id=loaded.tokenizer.pad_token_id)
    return out[0, len(ids):].tolist()


def test_greedy_in_a_batch_equals_alone_equals_model_generate(loaded, engine):
    prompts = [prompt(loaded, i) for i in range(8)]
    assert len({len(p) for p in prompts}) == 8  # different lengths: left padding is exercised
    greedy = SamplingParams(max_tokens=24, temperature=0.0)
    alone = [finish(engine.submit(p, [greedy]))[0] for p in prompts]
    steps_before = engine.stats["steps_total"]
    reqs = [engine.submit(p, [greedy]) for p in prompts]
    batched = [finish(r)[0] for r in reqs]
    for p, a, b in zip(prompts, alone, batched):
        assert b.token_ids == a.token_ids
        assert a.token_ids == hf_generate(loaded, p, 24)[: len(a.token_ids)]
        assert a.text == loaded.tokenizer.decode(a.token_ids, skip_special_tokens=True)
    # 8 requests x 24 tokens took far fewer than 8 x 23 decode steps: they really were batched.
    assert engine.stats["steps_total"] - steps_before < 2 * 24


def test_requests_join_and_leave_between_decode_steps(loaded, engine):
    greedy = SamplingParams(max_tokens=40, temperature=0.0)
    short = SamplingParams(max_tokens=5, temperature=0.0)
    p_long, p_mid, p_late = prompt(loaded, 1), prompt(loaded, 5), prompt(loaded, 2)
    ref = {name: finish(engine.submit(p, [params]))[0].token_ids
           for name, p, params in (("long", p_long, greedy), ("mid", p_mid, short), ("late", p_late, greedy))}
    long_req = engine.submit(p_long, [greedy], stream_text=True)
    seen = threading.Event()
    events: list = []

    def read() -> None:
        for ev in long_req.events(timeout=60):
            events.append(ev)
            if len(events) == 3:
                seen.set()

    t = threading.Thread(target=read)
    t.start()
    assert seen.wait(30)
    mid = engine.submit(p_mid, [short])  # joins a running batch and leaves it before the long one ends
    late = engine.submit(p_late, [greedy])
    assert finish(mid)[0].token_ids == ref["mid"]
    assert finish(late)[0].token_ids == ref["late"]
    t.join(60)
    done = [ev for ev in events if isinstance(ev, Finished)]
    assert done[0].token_ids == ref["long"]
    assert "".join(ev.text for ev in events if isinstance(ev, Delta)) == done[0].text


def test_seeded_sampling_is_reproducible_and_independent_of_the_batch(loaded, engine):
    p = prompt(loaded, 3)
    params = SamplingParams(max_tokens=20, temperature=1.0, top_p=0.95, top_k=50, seed=1234)
    alone = finish(engine.submit(p, [params, params, params]))
    noise = [engine.submit(prompt(loaded, i), [SamplingParams(max_tokens=30, temperature=0.7)]) for i in range(5)]
    again = finish(engine.submit(p, [params, params, params]))
    for r in noise:
        finish(r)
    assert [f.token_ids for f in alone] == [f.token_ids for f in again]
    assert len({tuple(f.token_ids) for f in alone}) == 3  # n choices draw from seed, seed+1, seed+2
    other = finish(engine.submit(p, [SamplingParams(max_tokens=20, temperature=1.0, seed=99)]))[0]
    assert other.token_ids != alone[0].token_ids


def test_finish_reasons_eos_length_and_stop_strings(loaded):
    p = prompt(loaded, 4)
    e = Engine(loaded, max_batch=4)
    e.start()
    try:
        ref = finish(e.submit(p, [SamplingParams(max_tokens=30, temperature=0.0)]))[0]
        assert ref.reason == "length" and ref.completion_tokens == 30
        text = ref.text
        # A 3-character stop string from the middle, free of U+FFFD (a half-decoded byte could read otherwise
        # while the text is still growing).
        stop = next(text[i:i + 3] for i in range(len(text) // 2, len(text) - 3) if "\ufffd" not in text[i:i + 3])
        cut = finish(e.submit(p, [SamplingParams(max_tokens=30, temperature=0.0, stop=("zzz-never", stop))]))[0]
        assert cut.reason == "stop"
        assert cut.text == text[: text.index(stop)]
        streamed = e.submit(p, [SamplingParams(max_tokens=30, temperature=0.0, stop=(stop,))], stream_text=True)
        evs = list(streamed.events(timeout=60))
        assert "".join(ev.text for ev in evs if isinstance(ev, Delta)) == cut.text  # the stop string never leaks
    finally:
        e.stop()
    # Make the 4th greedy token the end of sequence: generation stops there with "stop", the token not in the text.
    eos = ref.token_ids[3]
    first = ref.token_ids.index(eos)
    loaded_eos = type(loaded)(**{**loaded.__dict__, "eos_ids": frozenset({eos})})
    e = Engine(loaded_eos, max_batch=4)
    e.start()
    try:
        f = finish(e.submit(p, [SamplingParams(max_tokens=30, temperature=0.0)]))[0]
    finally:
        e.stop()
    assert f.reason == "stop" and f.token_ids == ref.token_ids[:first] and f.completion_tokens == first + 1


def test_context_limit_ends_with_length(loaded):
    p = prompt(loaded, 2)
    small = type(loaded)(**{**loaded.__dict__, "max_model_len": len(p) + 6})
    e = Engine(small, max_batch=2)
    e.start()
    try:
        f = finish(e.submit(p, [SamplingParams(max_tokens=100, temperature=0.0)]))[0]
    finally:
        e.stop()
    assert f.reason == "length" and f.completion_tokens == 6


def test_cancelled_request_leaves_the_batch(loaded, engine):
    req = engine.submit(prompt(loaded, 2), [SamplingParams(max_tokens=400, temperature=0.0)], stream_text=True)
    first = next(iter(req.events(timeout=30)))
    assert isinstance(first, Delta)
    req.cancel()
    last = [ev for ev in req.events(timeout=30) if isinstance(ev, Finished)][0]
    assert last.reason == "abort" and last.completion_tokens < 400
    assert engine.running() == 0


def test_sampling_filters():
    logits = torch.tensor([0.0, 3.0, 1.0, 2.9])
    gen = torch.Generator().manual_seed(0)
    assert sample_next(logits, SamplingParams(max_tokens=1, temperature=0.0), None) == 1
    assert {sample_next(logits, SamplingParams(max_tokens=1, top_k=1), gen) for _ in range(20)} == {1}
    assert {sample_next(logits, SamplingParams(max_tokens=1, top_p=0.01), gen) for _ in range(20)} == {1}
    assert {sample_next(logits, SamplingParams(max_tokens=1, top_k=2), gen) for _ in range(200)} == {1, 3}


def test_a_model_that_will_not_fit_fails_before_loading():
    config = transformers.Qwen2Config(vocab_size=152064, hidden_size=16384, intermediate_size=53248,
                                      num_hidden_layers=126, num_attention_heads=128, num_key_value_heads=8)
    with pytest.raises(GenerateError, match=r"will not fit on cpu: .*B parameters in float32 need .* GiB"):
        check_memory(config, torch.device("cpu"), torch.float32, spec="acme/huge", kv_tokens=4096)


def test_load_errors_name_the_model(tmp_path):
    with pytest.raises(GenerateError, match="tiny"):
        load_generator("tiny", device="cpu")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GenerateError, match="no config.json"):
        load_generator(str(tmp_path / "empty"), device="cpu")
    no_template = build_tiny_chat_model(tmp_path / "plain", chat_template=None)
    with pytest.raises(GenerateError, match="no chat template"):
        load_generator(no_template, device="cpu")


def test_kv_budget_queues_what_does_not_fit_and_refuses_what_never_will(loaded):
    prompts = [prompt(loaded, i) for i in range(4)]
    greedy = SamplingParams(max_tokens=10, temperature=0.0)
    longest = max(len(p) for p in prompts) + 10
    e = Engine(loaded, max_batch=8, kv_budget_tokens=2 * longest)  # room for two rows at a time
    e.start()
    try:
        reqs = [e.submit(p, [greedy]) for p in prompts]
        got = [finish(r)[0].token_ids for r in reqs]
        too_big = e.submit(prompts[0], [SamplingParams(max_tokens=3 * longest, temperature=0.0)])
        (err,) = list(too_big.events(timeout=30))
    finally:
        e.stop()
    assert got == [hf_generate(loaded, p, 10)[: len(g)] for p, g in zip(prompts, got)]
    assert e.stats["steps_total"] >= 2 * 9  # at most two rows decoded together: at least two rounds of steps
    assert err.reason == "error" and "need more KV cache than the" in err.message


def test_out_of_memory_fails_the_batch_and_the_worker_goes_on(loaded):
    class OomOnce(torch.nn.Module):
        """The real model, except that its third forward pass runs out of memory."""

        def __init__(self, model) -> None:
            super().__init__()
            self.inner, self.calls, self.config = model, 0, model.config

        def forward(self, **kw):
            self.calls += 1
            if self.calls == 3:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return self.inner(**kw)

    e = Engine(type(loaded)(**{**loaded.__dict__, "model": OomOnce(loaded.model)}), max_batch=8)
    e.start()
    try:
        hit = e.submit(prompt(loaded, 1), [SamplingParams(max_tokens=10, temperature=0.0)])
        (err,) = [ev for ev in hit.events(timeout=30) if isinstance(ev, Finished)]
        after = finish(e.submit(prompt(loaded, 1), [SamplingParams(max_tokens=10, temperature=0.0)]))[0]
    finally:
        e.stop()
    assert err.reason == "error" and "out of memory" in err.message and e.max_batch == 4
    assert after.token_ids == hf_generate(loaded, prompt(loaded, 1), 10)[: len(after.token_ids)]


def test_n_choices_share_one_prefill(loaded, engine):
    p = prompt(loaded, 6)
    greedy = SamplingParams(max_tokens=12, temperature=0.0)
    alone = finish(engine.submit(p, [greedy]))[0].token_ids
    before = engine.stats["prompt_tokens_total"]
    choices = finish(engine.submit(p, [greedy] * 4))
    assert engine.stats["prompt_tokens_total"] - before == len(p)  # one prefill for the four choices
    assert [c.token_ids for c in choices] == [alone] * 4
    sampled = finish(engine.submit(p, [SamplingParams(max_tokens=12, temperature=1.0, seed=3)] * 4))
    assert len({tuple(c.token_ids) for c in sampled}) == 4


def test_a_lora_adapter_is_served_merged_into_its_base(loaded, tmp_path):
    peft = pytest.importorskip("peft")
    base = transformers.AutoModelForCausalLM.from_pretrained(loaded.folder)
    torch.manual_seed(1)
    lora = peft.get_peft_model(base, peft.LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj", "down_proj"],
                                                     init_lora_weights=False))
    lora.save_pretrained(str(tmp_path / "policy"))  # adapter_config.json names the base folder
    served = load_generator(str(tmp_path / "policy"), device="cpu")
    merged = lora.merge_and_unload()
    p = prompt(loaded, 2)
    e = Engine(served, max_batch=4)
    e.start()
    try:
        got = finish(e.submit(p, [SamplingParams(max_tokens=12, temperature=0.0)]))[0].token_ids
    finally:
        e.stop()
    want = merged.generate(torch.tensor([p]), max_new_tokens=12, do_sample=False, eos_token_id=sorted(loaded.eos_ids),
                           pad_token_id=loaded.tokenizer.pad_token_id)[0, len(p):].tolist()
    assert got == want[: len(got)] and len(got) > 0
    assert got != hf_generate(loaded, p, 12)[: len(got)]  # the adapter changed what the base says
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "adapter_config.json").write_text("{}")
    with pytest.raises(GenerateError, match="names no base_model_name_or_path"):
        load_generator(str(tmp_path / "broken"), device="cpu")


def _reference_probs(logits: torch.Tensor, p: SamplingParams) -> torch.Tensor:
    """The sampling distribution spelled out over the whole vocabulary: temperature, top-k, then the smallest
    ranked prefix whose mass reaches top_p (the first token always kept), renormalized."""
    vals, order = torch.sort(logits.float() / p.temperature, descending=True)
    vocab = logits.shape[-1]
    k = p.top_k if 0 < p.top_k < vocab else vocab
    vals[k:] = float("-inf")
    probs = torch.softmax(vals, dim=-1)
    probs = probs.masked_fill(torch.cumsum(probs, dim=-1) - probs > p.top_p, 0.0)
    out = torch.zeros(vocab)
    out[order] = probs / probs.sum()
    return out


@pytest.mark.parametrize(
    ("vocab", "scale", "params"),
    [
        (40, 1.0, SamplingParams(max_tokens=1, temperature=0.7, top_p=0.8)),
        (40, 1.0, SamplingParams(max_tokens=1, temperature=1.3, top_k=7, top_p=0.9)),
        (40, 1.0, SamplingParams(max_tokens=1, temperature=1.0)),
        # Wider than the ranked candidates: a peaked distribution (nucleus inside them) and a flat one (outside).
        (3000, 6.0, SamplingParams(max_tokens=1, temperature=0.8, top_p=0.95)),
        (3000, 0.05, SamplingParams(max_tokens=1, temperature=1.0, top_p=0.5)),
    ],
)
def test_batched_sampling_draws_from_the_exact_distribution(vocab, scale, params):
    torch.manual_seed(0)
    logits = torch.randn(vocab) * scale
    want = _reference_probs(logits, params)
    n = 4000
    got = torch.tensor(sample_rows(logits.expand(n, vocab), [params] * n, [None] * n))
    assert bool((want[got] > 0).all()), "a token outside the top-k / nucleus was drawn"
    freq = torch.bincount(got, minlength=vocab).float() / n
    tolerance = 5 * torch.sqrt(want * (1 - want) / n) + 2e-3
    assert bool(((freq - want).abs() <= tolerance).all())
    # The tokens ranked past the candidates the sampler ranks first get their share too (a wide nucleus).
    beyond = torch.argsort(logits, descending=True)[NUCLEUS_CANDIDATES:]
    mass, drawn = float(want[beyond].sum()), float(freq[beyond].sum())
    assert abs(drawn - mass) <= 5 * (mass * (1 - mass) / n) ** 0.5 + 2e-3


def test_a_row_draws_the_same_tokens_whatever_its_neighbours():
    logits = torch.randn(6, 2000) * 3
    params = [SamplingParams(max_tokens=1, temperature=0.9, top_p=0.9, top_k=[0, 5][i % 2]) for i in range(6)]
    together = sample_rows(logits, params, [torch.Generator().manual_seed(i) for i in range(6)])
    alone = [sample_rows(logits[i : i + 1], [params[i]], [torch.Generator().manual_seed(i)])[0] for i in range(6)]
    assert together == alone


def test_the_sampler_benchmark_times_two_versions_side_by_side():
    from arbiter_trainer import generate as current
    from arbiter_trainer.generate_bench import sampler

    rows = sampler(current.__file__, rows=2, vocab=64, device="cpu", repeats=1)
    assert [r["logits"] for r in rows] == ["peaked", "flat"]
    assert all(r["against_ms"] > 0 and r["current_ms"] > 0 and r["ratio"] > 0 for r in rows)
