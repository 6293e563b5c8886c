"""`python -m arbiter_trainer openai-serve` in a subprocess, driven by the official `openai` Python client: plain and
streaming completions, usage, finish_reason, seeds, n, stop, errors, 8 concurrent requests, a client that hangs up.
Skipped where transformers or openai is not installed (Debian's python3)."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("transformers")
openai = pytest.importorskip("openai")

from conftest import PYTHON, TRAINER_DIR  # noqa: E402
from tiny_hf import build_tiny_chat_model  # noqa: E402

MODEL = "acme/tiny-chat"
WORDS = "alpha beta gamma delta river stone cloud paper lamp tiger maple ocean".split()


def start_server(*args: str, timeout: float = 120) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([PYTHON, "-m", "arbiter_trainer", "openai-serve", *args], cwd=TRAINER_DIR,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            return proc, json.loads(line)
    proc.kill()
    raise AssertionError(f"no ready line: {proc.stderr.read()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = build_tiny_chat_model(tmp_path_factory.mktemp("srv") / "qwen2", arch="qwen2", hidden_size=64)
    proc, ready = start_server("--model", folder, "--port", "0", "--device", "cpu", "--max-batch", "8",
                               "--served-model-name", MODEL)
    assert ready["type"] == "ready" and ready["model"] == MODEL and ready["port"] > 0
    yield {"proc": proc, "port": ready["port"], "folder": folder}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    proc.stdout.close()
    proc.stderr.close()


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{server['port']}/v1", api_key="unused", max_retries=0, timeout=60)


def user(i: int) -> list[dict]:
    return [{"role": "user", "content": " ".join(WORDS[j % len(WORDS)] for j in range(i, i + 2 + 2 * i))}]


def metrics(server) -> dict[str, float]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{server['port']}/metrics", timeout=10) as r:
        return {k: float(v) for k, v in (line.split() for line in r.read().decode().splitlines())}


def test_models_lists_the_served_model(client):
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL]
    assert models.data[0].object == "model"


def test_plain_completion_with_usage_and_length(client):
    r = client.chat.completions.create(model=MODEL, messages=user(1), max_tokens=12, temperature=0)
    assert r.object == "chat.completion" and r.model == MODEL and r.id.startswith("chatcmpl-")
    choice = r.choices[0]
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str)
    assert choice.finish_reason == "length"
    assert r.usage.completion_tokens == 12 and r.usage.prompt_tokens > 5
    assert r.usage.total_tokens == r.usage.prompt_tokens + 12


def test_system_prompt_reaches_the_template(client):
    plain = client.chat.completions.create(model=MODEL, messages=user(2), max_tokens=4, temperature=0)
    with_system = client.chat.completions.create(
        model=MODEL, messages=[{"role": "system", "content": "you are a tiger"}, *user(2)], max_tokens=4, temperature=0)
    assert with_system.usage.prompt_tokens > plain.usage.prompt_tokens


def test_streaming_matches_plain_and_reports_usage(client):
    plain = client.chat.completions.create(model=MODEL, messages=user(3), max_tokens=16, temperature=0)
    chunks = list(client.chat.completions.create(model=MODEL, messages=user(3), max_tokens=16, temperature=0,
                                                 stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["length"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 16
    assert all(c.usage is None for c in chunks[:-1])
    # Without include_usage no chunk carries usage.
    bare = list(client.chat.completions.create(model=MODEL, messages=user(3), max_tokens=4, stream=True))
    assert all(getattr(c, "usage", None) is None for c in bare) and bare[-1].choices[0].finish_reason == "length"


def test_seed_reproducible_n_samples_and_top_k(client):
    kw = {"model": MODEL, "messages": user(4), "max_tokens": 16, "temperature": 1.0, "top_p": 0.9,
          "extra_body": {"top_k": 40}}
    a = client.chat.completions.create(seed=7, n=3, **kw)
    b = client.chat.completions.create(seed=7, n=3, **kw)
    assert [c.index for c in a.choices] == [0, 1, 2]
    texts = [c.message.content for c in a.choices]
    assert texts == [c.message.content for c in b.choices]
    assert len(set(texts)) == 3
    # 16 tokens per choice, fewer for a choice that drew the end-of-sequence token.
    assert (a.usage.completion_tokens == 48) == all(c.finish_reason == "length" for c in a.choices)
    assert a.usage.completion_tokens <= 48 and a.usage == b.usage
    c = client.chat.completions.create(seed=8, **kw)
    assert c.choices[0].message.content != texts[0]
    streamed = client.chat.completions.create(seed=7, n=3, stream=True, **kw)
    parts = ["", "", ""]
    for chunk in streamed:
        for ch in chunk.choices:
            parts[ch.index] += ch.delta.content or ""
    assert parts == texts


def test_stop_strings(client):
    ref = client.chat.completions.create(model=MODEL, messages=user(5), max_tokens=30, temperature=0)
    text = ref.choices[0].message.content
    # A 3-character stop string from the middle, free of U+FFFD (a half-decoded byte could read otherwise
    # while the text is still growing).
    stop = next(text[i:i + 3] for i in range(10, len(text) - 3) if "\ufffd" not in text[i:i + 3])
    r = client.chat.completions.create(model=MODEL, messages=user(5), max_tokens=30, temperature=0, stop=[stop, "@@@"])
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content == text[: text.index(stop)]
    chunks = list(client.chat.completions.create(model=MODEL, messages=user(5), max_tokens=30, temperature=0,
                                                 stop=stop, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text[: text.index(stop)]
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_errors_are_openai_errors(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="someone/else", messages=user(1), max_tokens=2)
    assert e.value.code == "model_not_found" and "someone/else" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "river " * 600}], max_tokens=2)
    assert e.value.code == "context_length_exceeded" and "maximum context length is 512" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=user(1), max_tokens=500)
    assert e.value.code == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=user(1), temperature=3)
    assert e.value.param == "temperature" and "temperature must be <= 2" in e.value.message
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=[], max_tokens=2)
    assert e.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=[{"role": "robot", "content": "hi"}], max_tokens=2)
    assert "messages[0].role" in e.value.message
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=user(1), max_tokens=0)
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=MODEL, messages=user(1), max_tokens=2, frequency_penalty=0.5)
    assert e.value.param == "frequency_penalty"
    client.chat.completions.create(model=MODEL, messages=user(1), max_tokens=2, frequency_penalty=0)  # neutral: fine
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model=MODEL, prompt="hi", max_tokens=2)
    # Still serving after all of that.
    assert client.chat.completions.create(model=MODEL, messages=user(1), max_tokens=2).usage.completion_tokens == 2


def test_eight_concurrent_requests_are_batched_and_unchanged(client, server):
    alone = [client.chat.completions.create(model=MODEL, messages=user(i), max_tokens=20, temperature=0)
             .choices[0].message.content for i in range(8)]
    before = metrics(server)["arbiter:steps_total"]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(
            lambda i: client.chat.completions.create(model=MODEL, messages=user(i), max_tokens=20, temperature=0)
            .choices[0].message.content, range(8)))
    assert together == alone
    assert metrics(server)["arbiter:steps_total"] - before < 8 * 19  # fewer decode steps than one at a time


def test_client_disconnect_mid_stream_stops_generation(server):
    body = json.dumps({"model": MODEL, "messages": user(2), "max_tokens": 480, "temperature": 0, "stream": True,
                       "stream_options": {"include_usage": True}}).encode()
    before = metrics(server)["arbiter:generation_tokens_total"]
    sock = socket.create_connection(("127.0.0.1", server["port"]))
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    got = b""
    while got.count(b"data: ") < 4:
        got += sock.recv(4096)
    assert b"200 OK" in got
    sock.close()
    deadline = time.time() + 30
    while time.time() < deadline and metrics(server)["arbiter:num_requests_running"] > 0:
        time.sleep(0.05)
    m = metrics(server)
    assert m["arbiter:num_requests_running"] == 0
    assert m["arbiter:generation_tokens_total"] - before < 480  # it stopped well before max_tokens
    time.sleep(0.5)
    assert metrics(server)["arbiter:generation_tokens_total"] == m["arbiter:generation_tokens_total"]


def test_bad_model_fails_with_one_error_line(tmp_path):
    proc = subprocess.run([PYTHON, "-m", "arbiter_trainer", "openai-serve", "--model", str(tmp_path / "nothing"),
                           "--port", "0"], cwd=TRAINER_DIR, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 1
    (line,) = proc.stdout.splitlines()
    err = json.loads(line)
    assert err["type"] == "error" and "nothing" in err["message"]


def test_hub_id_from_the_hf_cache(tmp_path, server):
    from tiny_hf import hub_cache_layout

    hub_cache_layout(tmp_path / "hf", MODEL, server["folder"])
    proc = subprocess.Popen([PYTHON, "-m", "arbiter_trainer", "openai-serve", "--model", MODEL, "--port", "0",
                             "--device", "cpu"], cwd=TRAINER_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env={**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"})
    try:
        ready = json.loads(proc.stdout.readline())
        assert ready["type"] == "ready" and ready["model"] == MODEL
        c = openai.OpenAI(base_url=f"http://127.0.0.1:{ready['port']}/v1", api_key="x", max_retries=0)
        r = c.chat.completions.create(model=MODEL, messages=user(1), max_tokens=3, temperature=0)
        assert r.usage.completion_tokens == 3
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        proc.stdout.close()


def test_client_timeout_on_a_plain_request_stops_generation(client, server):
    quick = client.with_options(timeout=0.3, max_retries=0)
    before = metrics(server)["arbiter:generation_tokens_total"]
    with pytest.raises(openai.APITimeoutError):
        quick.chat.completions.create(model=MODEL, messages=user(3), max_tokens=480, n=16, temperature=0)
    deadline = time.time() + 30
    while time.time() < deadline and metrics(server)["arbiter:num_requests_running"] > 0:
        time.sleep(0.05)
    m = metrics(server)
    assert m["arbiter:num_requests_running"] == 0
    assert m["arbiter:generation_tokens_total"] - before < 16 * 480  # cancelled, not run to max_tokens
    time.sleep(0.5)
    assert metrics(server)["arbiter:generation_tokens_total"] == m["arbiter:generation_tokens_total"]


def test_a_port_in_use_is_a_clear_error(server):
    proc = subprocess.run([PYTHON, "-m", "arbiter_trainer", "openai-serve", "--model", server["folder"], "--port",
                           str(server["port"]), "--device", "cpu"], cwd=TRAINER_DIR, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    (line,) = proc.stdout.splitlines()
    assert json.loads(line)["message"].startswith(f"cannot listen on 127.0.0.1:{server['port']}: ")
