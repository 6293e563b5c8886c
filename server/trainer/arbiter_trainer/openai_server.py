"""The built-in generation worker as an OpenAI-compatible HTTP server (vLLM's server is the reference).

    python -m arbiter_trainer openai-serve --model Qwen/Qwen2.5-0.5B-Instruct --port 8000 [--host 127.0.0.1]
        [--device auto|cpu|cuda] [--max-batch 32] [--served-model-name NAME] [--max-model-len N]

stdout: one line `{"type":"ready","port":P,"model":ID,"device":D,"max_model_len":N}` once the socket
listens (`--port 0` picks a free port and reports it), or one `{"type":"error","message"}` line and exit
status 1 (a model that will not fit, a bad spec). Everything else goes to stderr. SIGTERM/SIGINT stop it.

Routes:
  GET  /v1/models             {"object":"list","data":[{"id":ID,"object":"model",…,"max_model_len"}]}
  POST /v1/chat/completions   plain, or SSE with "stream": true (`data: {chunk}` lines, `data: [DONE]`);
                              usage on plain responses and, with stream_options.include_usage, as a
                              last chunk with empty choices; finish_reason stop | length.
  GET  /health                200 while the engine runs
  GET  /metrics               Prometheus text: arbiter:num_requests_running, arbiter:generation_tokens_total, …
Request fields: messages (system/user/assistant; content a string or text parts), model, max_tokens /
max_completion_tokens, temperature, top_p, top_k (an extra body field, as in vLLM; -1 or 0 = off), seed,
stop (a string or up to 16), n, stream, stream_options; penalties, logit_bias, min_p and JSON response formats
are refused (400) rather than ignored. Errors: {"error":{"message","type","param","code"}}
with 400 (bad parameters, a prompt longer than the context), 404 (unknown model or route, as vLLM and
OpenAI answer), 500 (the engine failed). A streaming client that disconnects cancels its request: its
rows leave the batch at the next decode step; so does a plain request's client that closes its connection
while it waits (a client-side timeout).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import protocol
from .generate import Delta, Engine, Finished, GenerateError, SamplingParams, dumps, load_generator, model_card, render_chat

MAX_N = 64
MAX_BODY = 32 << 20


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error") -> None:  # noqa: A002 - OpenAI's field name
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def _bad(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def _number(body: dict, key: str, default, *, lo=None, hi=None, integer=False, lo_open=False):
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise _bad(f"{key} must be {'an integer' if integer else 'a number'}, got {value!r}", key)
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise _bad(f"{key} must be {'>' if lo_open else '>='} {lo}, got {value}", key)
    if hi is not None and value > hi:
        raise _bad(f"{key} must be <= {hi}, got {value}", key)
    return value


def _messages(body: dict) -> list[dict[str, str]]:
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise _bad("messages must be a non-empty array of {role, content}", "messages")
    out = []
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            raise _bad(f"messages[{i}] must be an object", f"messages[{i}]")
        role = m.get("role")
        if role == "developer":
            role = "system"
        if role not in ("system", "user", "assistant"):
            raise _bad(f"messages[{i}].role must be system, user or assistant, got {role!r}", f"messages[{i}].role")
        content = m.get("content")
        if isinstance(content, list):  # [{"type":"text","text":…}, …]
            parts = []
            for j, p in enumerate(content):
                if not (isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)):
                    raise _bad(f"messages[{i}].content[{j}] must be a text part (this model reads text only)",
                               f"messages[{i}].content")
                parts.append(p["text"])
            content = "".join(parts)
        if not isinstance(content, str):
            raise _bad(f"messages[{i}].content must be a string or text parts", f"messages[{i}].content")
        out.append({"role": role, "content": content})
    return out


def parse_chat_request(body: Any, served_name: str) -> tuple[list[dict[str, str]], SamplingParams | None, dict]:
    """Validate a chat-completions body -> (messages, params without max_tokens resolved, options)."""
    if not isinstance(body, dict):
        raise _bad("the request body must be a JSON object")
    model = body.get("model")
    if model is not None and model != served_name:
        raise ApiError(404, f"The model `{model}` does not exist.", param="model", code="model_not_found",
                       type="NotFoundError")
    for key in ("tools", "functions"):
        if body.get(key):
            raise _bad(f"{key} are not supported by the built-in worker", key)
    if body.get("logprobs"):
        raise _bad("logprobs are not supported by the built-in worker", "logprobs")
    # Sampling controls we do not implement are refused, not silently ignored (the samples would be wrong).
    for key, neutral in (("presence_penalty", 0), ("frequency_penalty", 0), ("repetition_penalty", 1), ("min_p", 0)):
        if body.get(key) not in (None, neutral):
            raise _bad(f"{key} is not supported by the built-in worker (serve the model with vLLM for it)", key)
    if body.get("logit_bias"):
        raise _bad("logit_bias is not supported by the built-in worker", "logit_bias")
    fmt = body.get("response_format")
    if fmt not in (None, {"type": "text"}):
        raise _bad("response_format other than text is not supported by the built-in worker", "response_format")
    messages = _messages(body)
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise _bad(f"max_tokens must be an integer >= 1, got {max_tokens!r}", "max_tokens")
    temperature = float(_number(body, "temperature", 1.0, lo=0, hi=2))
    top_p = float(_number(body, "top_p", 1.0, lo=0, hi=1, lo_open=True))
    top_k = int(_number(body, "top_k", 0, lo=-1, integer=True))
    seed = _number(body, "seed", None, integer=True)
    n = int(_number(body, "n", 1, lo=1, hi=MAX_N, integer=True))
    stop = body.get("stop")
    if stop is None:
        stops: tuple[str, ...] = ()
    elif isinstance(stop, str):
        stops = (stop,) if stop else ()
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop) and len(stop) <= 16:
        stops = tuple(s for s in stop if s)
    else:
        raise _bad("stop must be a string or an array of at most 16 strings", "stop")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream must be a boolean", "stream")
    so = body.get("stream_options") or {}
    if not isinstance(so, dict):
        raise _bad("stream_options must be an object", "stream_options")
    params = SamplingParams(max_tokens=max_tokens or 0, temperature=temperature, top_p=top_p,
                            top_k=max(0, top_k), seed=seed, stop=stops)
    return messages, params, {"n": n, "stream": stream, "include_usage": bool(so.get("include_usage")),
                              "max_tokens_given": max_tokens is not None}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # listen backlog: the default 5 resets bursts of concurrent clients

    def __init__(self, address, engine: Engine, served_name: str) -> None:
        super().__init__(address, Handler)
        self.engine = engine
        self.served_name = served_name


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        protocol.log(f"openai-serve: {self.address_string()} {format % args}")

    # -- plumbing --

    def _send_json(self, status: int, obj: dict) -> None:
        data = dumps(obj)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, e: ApiError) -> None:
        if e.status in (411, 413):  # the body was not read: the connection cannot carry another request
            self.close_connection = True
        self._send_json(e.status, e.body())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _read_body(self) -> Any:
        import json

        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise ApiError(411, "a Content-Length header is required", code="length_required")
        if int(length) > MAX_BODY:
            raise ApiError(413, f"the request body is larger than {MAX_BODY} bytes")
        raw = self.rfile.read(int(length))
        try:
            return json.loads(raw)
        except ValueError as e:
            raise _bad(f"the request body is not valid JSON ({e})") from e

    # -- routes --

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        engine = self.server.engine
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [model_card(engine.m, self.server.served_name)]})
        elif path == "/health":
            if engine.fatal:
                self._send_json(500, ApiError(500, engine.fatal, type="server_error").body())
            else:
                self._send_json(200, {"status": "ok"})
        elif path == "/metrics":
            with engine.lock:
                stats = dict(engine.stats)
            lines = [f"arbiter:num_requests_running {engine.running()}",
                     f"arbiter:num_requests_waiting {engine.waiting.qsize()}"]
            lines += [f"arbiter:{k} {v}" for k, v in stats.items()]
            data = ("\n".join(lines) + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self._error(ApiError(404, f"no route GET {path}", type="NotFoundError", code="not_found"))

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        try:
            if path != "/v1/chat/completions":
                self._read_body()
                raise ApiError(404, f"no route POST {path}", type="NotFoundError", code="not_found")
            self._chat(self._read_body())
        except ApiError as e:
            if e.status == 499:  # nobody left to answer
                protocol.log(f"openai-serve: {self.address_string()} closed the connection; request cancelled")
            else:
                self._error(e)
        except GenerateError as e:
            self._error(ApiError(500, str(e), type="server_error"))

    def _chat(self, body: Any) -> None:
        engine = self.server.engine
        name = self.server.served_name
        messages, params, opts = parse_chat_request(body, name)
        try:
            prompt = render_chat(engine.m.tokenizer, messages)
        except Exception as e:  # the template itself may refuse (e.g. roles out of order)
            raise _bad(f"the chat template cannot render these messages: {e}", "messages") from e
        ctx = engine.m.max_model_len
        if len(prompt) >= ctx:
            raise _bad(f"This model's maximum context length is {ctx} tokens. However, your messages resulted in "
                       f"{len(prompt)} tokens. Please reduce the length of the messages.", "messages",
                       "context_length_exceeded")
        if not opts["max_tokens_given"]:
            params.max_tokens = ctx - len(prompt)
        elif len(prompt) + params.max_tokens > ctx:
            raise _bad(f"This model's maximum context length is {ctx} tokens. However, you requested "
                       f"{len(prompt) + params.max_tokens} tokens ({len(prompt)} in the messages, "
                       f"{params.max_tokens} in the completion). Please reduce the length of the messages or "
                       "completion.", "max_tokens", "context_length_exceeded")
        if len(prompt) + params.max_tokens > engine.kv_budget:
            raise _bad(f"{len(prompt)} prompt + {params.max_tokens} completion tokens need more KV cache than the "
                       f"{engine.kv_budget} tokens that fit in this worker's memory; ask for fewer max_tokens",
                       "max_tokens", "context_length_exceeded")
        n = opts["n"]
        req = engine.submit(prompt, [params] * n, stream_text=opts["stream"])
        rid = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if opts["stream"]:
            self._stream(req, rid, created, name, len(prompt), n, opts["include_usage"])
            return
        texts = [""] * n
        reasons = ["length"] * n
        tokens = 0
        for ev in self._events_while_connected(req):
            if isinstance(ev, Finished):
                if ev.reason == "error":
                    raise ApiError(500, f"generation failed: {ev.message}", type="server_error")
                texts[ev.index], reasons[ev.index] = ev.text, ev.reason
                tokens += ev.completion_tokens
        self._send_json(200, {
            "id": rid, "object": "chat.completion", "created": created, "model": name,
            "choices": [{"index": i, "message": {"role": "assistant", "content": texts[i]}, "logprobs": None,
                         "finish_reason": reasons[i], "stop_reason": None} for i in range(n)],
            "usage": {"prompt_tokens": len(prompt), "completion_tokens": tokens, "total_tokens": len(prompt) + tokens},
            "system_fingerprint": None,
        })

    def _events_while_connected(self, req):
        """The request's events; a client that hangs up while it waits cancels the request (its rows leave
        the batch), as a streaming client's broken pipe does."""
        import queue
        import select
        import socket

        left = len(req.choices)
        while left:
            try:
                ev = req.queue.get(timeout=0.25)
            except queue.Empty:
                readable, _, _ = select.select([self.connection], [], [], 0)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    req.cancel()
                    self.close_connection = True
                    raise ApiError(499, "the client closed the connection", type="client_closed") from None
                continue
            if isinstance(ev, Finished):
                left -= 1
            yield ev

    def _stream(self, req, rid: str, created: int, name: str, prompt_tokens: int, n: int, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(choices: list[dict], usage: dict | None = None, with_usage_key: bool = include_usage) -> None:
            obj: dict[str, Any] = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": name,
                                   "choices": choices}
            if with_usage_key:
                obj["usage"] = usage
            self._chunk(b"data: " + dumps(obj) + b"\n\n")

        tokens = 0
        try:
            for i in range(n):
                chunk([{"index": i, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                        "finish_reason": None}])
            for ev in req.events():
                if isinstance(ev, Delta):
                    chunk([{"index": ev.index, "delta": {"content": ev.text}, "logprobs": None, "finish_reason": None}])
                elif ev.reason == "error":
                    # Headers are gone: an error event in the stream, as vLLM sends one.
                    err = ApiError(500, f"generation failed: {ev.message}", type="server_error").body()
                    self._chunk(b"data: " + dumps(err) + b"\n\n")
                    req.cancel()
                    break
                else:
                    tokens += ev.completion_tokens
                    chunk([{"index": ev.index, "delta": {}, "logprobs": None, "finish_reason": ev.reason,
                            "stop_reason": None}])
            else:
                if include_usage:
                    chunk([], {"prompt_tokens": prompt_tokens, "completion_tokens": tokens,
                               "total_tokens": prompt_tokens + tokens})
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            req.cancel()
            self.close_connection = True
            protocol.log(f"openai-serve: client went away; request {rid} cancelled")


def openai_serve(spec: str, *, host: str = "127.0.0.1", port: int = 8000, device: str = "auto",
                 max_batch: int = 32, served_name: str | None = None, max_model_len: int | None = None) -> int:
    """Load the model, listen, print the ready line, serve until SIGTERM/SIGINT. Returns the exit status."""
    from .train import set_threads

    set_threads(False)  # ARBITER_TORCH_THREADS, else all cores: the engine is the one busy thread
    loaded = load_generator(spec, device=device, max_model_len=max_model_len)
    engine = Engine(loaded, max_batch=max_batch)
    name = served_name or spec
    try:
        server = Server((host, port), engine, name)
    except OSError as e:
        raise GenerateError(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    engine.start()
    stopping = threading.Event()

    def on_signal(signum, _frame) -> None:
        protocol.log(f"openai-serve: signal {signum}, shutting down")
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bound = server.server_address[1]
    protocol.emit({"type": "ready", "port": bound, "model": name, "device": str(loaded.device),
                   "max_model_len": loaded.max_model_len})
    protocol.log(f"openai-serve: http://{host}:{bound}/v1 serving {name}")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        engine.stop()
    return 0

