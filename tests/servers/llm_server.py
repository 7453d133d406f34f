#!/usr/bin/env python3
"""A local model server for lmmbench's HTTP tests and benchmark (Python standard library only).

Speaks three dialects on 127.0.0.1, streaming and not:
  OpenAI Chat Completions   POST .../chat/completions (also Azure's /openai/deployments/D/...)
  Gemini generateContent    POST .../models/M:generateContent, :streamGenerateContent?alt=sse
  Anthropic Messages        POST .../messages

Answers: "[[answer:TEXT]]" in the prompt, else the most frequent gold answer of the dataset item
(--answers FILE.jsonl, lmmbench-jsonl) whose first image and question match the request, else
"unknown".

Faults are chosen per request by a directive in the prompt text, "[[fault:SPEC]]", or for every
request of a base URL by a path prefix "/fault/SPEC/...". SPEC is "kind" or "kind;key=value;...":
  status=429|500|503|400|401|404   an error reply in the dialect's format; retry_after=S adds a
                                   Retry-After header, retry_info=S a Gemini RetryInfo detail,
                                   reason=R a Gemini ErrorInfo detail (API_KEY_INVALID)
  reset          headers and part of the body, then a TCP reset
  reset_reused   on a connection that already served a request: a TCP reset before any reply
                 byte (the request is logged first); a connection's first request is answered
  slow           wait delay=S seconds before the first byte, then answer
  stall          streaming: two events, then silence (non-streaming: half a body, then silence)
  truncate       streaming: some events, then the end of the body without the end marker;
                 non-streaming: a Content-Length longer than the body, then close
  empty_done     OpenAI streaming: a role-only chunk, then [DONE] (no content, no finish_reason:
                 llama.cpp's server ends an interrupted generation so)
  no_done        OpenAI streaming: every event (finish_reason and usage included) but [DONE]
  malformed      invalid JSON (streaming: an event whose data is not JSON)
  wrong_type     200 with Content-Type text/html
  huge           200 application/json body of size=BYTES (default 8 MiB)
  refusal        the dialect's refusal / content-filter finish
  length         the dialect's max-tokens finish
Timed streaming for `lmmbench perf` (OpenAI dialect, streaming requests): a path prefix
"/perf/SPEC/..." or "[[perf:SPEC]]" in the prompt, SPEC "key=value;...":
  ttft=S        the first token event is written S seconds after the request was read
  itl=S         token event i (0-based) is written at ttft + i * itl after the request was read
                (absolute deadlines on the monotonic clock, so lateness never accumulates)
  tokens=N      token events (default: the request's max_tokens); usage reports N completion tokens
  pause_at=T;pause_for=D   T on the server's time.monotonic() clock (CLOCK_MONOTONIC, the same as
                the client's steady_clock): every event due in [T, T + D) is held until T + D, as a
                server that stalls
Each token event carries one 1-token piece of text; the finish reason rides on the last one, so
the stream has exactly N token events. Perf requests are not logged.

--judge makes it a judge for the judge stage of `lmmbench run` (harness/judge.hpp): its replies are
derived from the request alone, so a test knows every grade.
  LLaVA-Bench review (a request with "[End of Assistant 2]"): the model's answer (Assistant 2) with
    "scores=A B" in it gets the reply "A B" plus a line quoting the answer; with "review=junk", a reply
    without scores; else two grades 1..10 from the answer's SHA-256.
  MM-Vet grader (otherwise): the prediction, the row's third cell, with "grade=X" gets "X"; with
    "grade=junk", "n/a" (never readable); with "grade=reask", "n/a" unless the request ends with
    MM-Vet's re-ask suffix, then "0.8"; else a grade 0.0..1.0 from its SHA-256.

GET /metrics answers a vLLM-like Prometheus text exposition (format 0.0.4) of what the server
has answered since it started: counters vllm:request_success_total (by finished_reason, each
series created on first use), vllm:prompt_tokens_total and vllm:generation_tokens_total (the
usage it reported), histograms vllm:time_to_first_token_seconds and
vllm:e2e_request_latency_seconds (first / last token event written - request read), gauges
(requests running, one NaN, one with a timestamp), prometheus_client's _created gauges, and a
label value with every escape. "/fault/status=500/metrics" answers 500, "/fault/malformed/metrics"
text that is not the format.

"times=N" limits a fault to the first N attempts of the same prompt to the same dialect and model
(then the reply is normal),
so retried requests can be checked to succeed with the same answer.

Every request (except /bench/) is appended to --log as one JSON line: method, path, query,
headers (lower-cased names), body (parsed JSON), fault, attempt. /bench/... answers an instant
fixed chat completion without logging (the client benchmark and wrk use it).

The port is written to --port-file once listening. The server exits by itself after --lifetime
seconds or when its parent process is gone.
"""

import argparse
import asyncio
import base64
import collections
import hashlib
import heapq
import itertools
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time

MMVET_REASK = "\nPredict the correctness of the answer (digit): "


def judge_reply(text):
    """The deterministic verdict of --judge (see the module docstring)."""
    if "[End of Assistant 2]" in text:
        answer = text.split("[Assistant 2]\n", 1)[1].split("\n\n[End of Assistant 2]", 1)[0]
        m = re.search(r"scores=(\d+) (\d+)", answer)
        if m:
            return f"{m.group(1)} {m.group(2)}\nAssistant 2 said: {answer}"
        if "review=junk" in answer:
            return "Both answers are fine, I cannot score them."
        h = hashlib.sha256(answer.encode()).digest()
        return f"{1 + h[0] % 10} {1 + h[1] % 10}\nGrades from the answer's hash."
    reask = text.endswith(MMVET_REASK)
    row = text[:-len(MMVET_REASK)] if reask else text
    prediction = row.rsplit(" | ", 2)[-2] if row.count(" | ") >= 3 else row
    m = re.search(r"grade=(\S+)", prediction)
    if m and m.group(1) == "junk":
        return "n/a"
    if m and m.group(1) == "reask":
        return "0.8" if reask else "n/a"
    if m:
        return m.group(1)
    return f"{hashlib.sha256(prediction.encode()).digest()[0] % 11 / 10:.1f}"


FAULT_RE = re.compile(r"\[\[fault:([^\]]*)\]\]")
ANSWER_RE = re.compile(r"\[\[answer:([^\]]*)\]\]")
PERF_RE = re.compile(r"\[\[perf:([^\]]*)\]\]")

BENCH_BODY = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "yes"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 600, "completion_tokens": 1, "total_tokens": 601},
}).encode()
BENCH_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                  + str(len(BENCH_BODY)).encode() + b"\r\n\r\n" + BENCH_BODY)


def most_frequent(answers):
    counts = collections.Counter(answers)
    best, best_count = "", 0
    for a in answers:  # first occurrence wins ties, as lmmbench's oracle does
        if counts[a] > best_count:
            best, best_count = a, counts[a]
    return best


class Answers:
    """Loaded at the first lookup, so a test may start the server before the data exists."""

    def __init__(self, paths):
        self.paths = paths
        self.by_image = None

    def load(self):
        self.by_image = collections.defaultdict(list)
        for path in self.paths:
            base = os.path.dirname(os.path.abspath(path))
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    item = json.loads(line)
                    images = item.get("images") or []
                    if not images:
                        continue
                    image = images[0]
                    image_path = image if os.path.isabs(image) else os.path.join(base, image)
                    with open(image_path, "rb") as img:
                        digest = hashlib.sha256(img.read()).hexdigest()
                    self.by_image[digest].append((item["question"], most_frequent(item["answers"])))

    def find(self, image_sha, text):
        if self.by_image is None:
            self.load()
        best = None
        for question, answer in self.by_image.get(image_sha, []):
            if question in text and (best is None or len(question) > len(best[0])):
                best = (question, answer)
        return best[1] if best else None


def parse_perf(spec):
    fields = dict(f.partition("=")[::2] for f in spec.split(";") if f)
    return {k: float(v) for k, v in fields.items()}


def parse_fault(spec):
    if not spec:
        return None
    fields = spec.split(";")
    fault = {"kind": fields[0]}
    for f in fields[1:]:
        k, _, v = f.partition("=")
        fault[k] = v
    if fault["kind"].startswith("status="):
        fault["status"] = int(fault["kind"][7:])
        fault["kind"] = "status"
    return fault


class Prompt:
    """What a request asks, whatever its dialect."""

    def __init__(self):
        self.texts = []
        self.image_shas = []
        self.stream = False
        self.model = ""
        self.include_usage = False


def read_prompt(dialect, body, path, query):
    p = Prompt()
    if dialect == "openai":
        p.model = body.get("model", "")
        p.stream = bool(body.get("stream"))
        p.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        for m in body.get("messages", []):
            content = m.get("content")
            if isinstance(content, str):
                p.texts.append(content)
                continue
            for part in content or []:
                if part.get("type") == "text":
                    p.texts.append(part["text"])
                elif part.get("type") == "image_url":
                    url = part["image_url"]["url"]
                    if url.startswith("data:"):
                        data = url.split(",", 1)[1]
                        p.image_shas.append(hashlib.sha256(base64.b64decode(data)).hexdigest())
    elif dialect == "gemini":
        p.model = path.rsplit("/models/", 1)[-1].split(":")[0]
        p.stream = ":streamGenerateContent" in path
        for c in body.get("contents", []):
            for part in c.get("parts", []):
                if "text" in part:
                    p.texts.append(part["text"])
                elif "inline_data" in part:
                    data = part["inline_data"]["data"]
                    p.image_shas.append(hashlib.sha256(base64.b64decode(data)).hexdigest())
        for part in (body.get("system_instruction") or {}).get("parts", []):
            p.texts.append(part.get("text", ""))
    else:
        p.model = body.get("model", "")
        p.stream = bool(body.get("stream"))
        if isinstance(body.get("system"), str):
            p.texts.append(body["system"])
        for m in body.get("messages", []):
            for part in m.get("content", []):
                if part.get("type") == "text":
                    p.texts.append(part["text"])
                elif part.get("type") == "image":
                    data = part["source"]["data"]
                    p.image_shas.append(hashlib.sha256(base64.b64decode(data)).hexdigest())
    return p


def received_key(dialect, headers):
    if dialect == "openai":
        auth = headers.get("authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else headers.get("api-key", "")
    if dialect == "gemini":
        return headers.get("x-goog-api-key", "")
    return headers.get("x-api-key", "")


def error_body(dialect, status, message, fault):
    if dialect == "gemini":
        names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        err = {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}
        if fault and "retry_info" in fault:
            err["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                               "retryDelay": fault["retry_info"] + "s"}]
        if fault and "reason" in fault:
            err.setdefault("details", []).append(
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": fault["reason"],
                 "domain": "googleapis.com"})
        return {"error": err}
    if dialect == "anthropic":
        types = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                 429: "rate_limit_error", 500: "api_error", 503: "overloaded_error"}
        return {"type": "error", "error": {"type": types.get(status, "api_error"),
                                           "message": message}}
    return {"error": {"message": message, "type": "invalid_request_error", "param": None,
                      "code": None}}


def pieces(text, size=3):
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def openai_events(p, answer, finish):
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": p.model}
    out = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                "finish_reason": None}])]
    for piece in pieces(answer):
        out.append(dict(base, choices=[{"index": 0, "delta": {"content": piece},
                                        "finish_reason": None}]))
    out.append(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": finish}]))
    if p.include_usage:
        out.append(dict(base, choices=[], usage=p.usage))
    return [(None, json.dumps(e)) for e in out] + [(None, "[DONE]")]


def gemini_events(p, answer, finish):
    out = []
    chunks = pieces(answer)
    for i, piece in enumerate(chunks):
        cand = {"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}
        e = {"candidates": [cand], "modelVersion": p.model}
        if i == len(chunks) - 1:
            cand["finishReason"] = finish
            e["usageMetadata"] = {"promptTokenCount": p.usage["prompt_tokens"],
                                  "candidatesTokenCount": p.usage["completion_tokens"],
                                  "totalTokenCount": p.usage["total_tokens"]}
        out.append((None, json.dumps(e)))
    return out


def anthropic_events(p, answer, finish):
    msg = {"id": "msg_1", "type": "message", "role": "assistant", "model": p.model, "content": [],
           "stop_reason": None, "stop_sequence": None,
           "usage": {"input_tokens": p.usage["prompt_tokens"], "output_tokens": 1}}
    out = [("message_start", {"type": "message_start", "message": msg}),
           ("content_block_start", {"type": "content_block_start", "index": 0,
                                    "content_block": {"type": "text", "text": ""}}),
           ("ping", {"type": "ping"})]
    for piece in pieces(answer):
        out.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": piece}}))
    out += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta",
                               "delta": {"stop_reason": finish, "stop_sequence": None},
                               "usage": {"output_tokens": p.usage["completion_tokens"]}}),
            ("message_stop", {"type": "message_stop"})]
    return [(name, json.dumps(data)) for name, data in out]


def full_reply(dialect, p, answer, finish):
    u = p.usage
    if dialect == "gemini":
        return {"candidates": [{"content": {"parts": [{"text": answer}], "role": "model"},
                                "finishReason": finish, "index": 0}],
                "usageMetadata": {"promptTokenCount": u["prompt_tokens"],
                                  "candidatesTokenCount": u["completion_tokens"],
                                  "totalTokenCount": u["total_tokens"]},
                "modelVersion": p.model}
    if dialect == "anthropic":
        return {"id": "msg_1", "type": "message", "role": "assistant", "model": p.model,
                "content": [{"type": "text", "text": answer}], "stop_reason": finish,
                "stop_sequence": None,
                "usage": {"input_tokens": u["prompt_tokens"], "output_tokens": u["completion_tokens"]}}
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": p.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                         "finish_reason": finish}],
            "usage": u}


FINISH = {
    "openai": {"stop": "stop", "length": "length", "refusal": "content_filter"},
    "gemini": {"stop": "STOP", "length": "MAX_TOKENS", "refusal": "SAFETY"},
    "anthropic": {"stop": "end_turn", "length": "max_tokens", "refusal": "refusal"},
}


class PreciseTimer:
    """Wakes coroutines at absolute time.monotonic() deadlines to within ~0.1 ms. asyncio's own
    timers wake up to 1 ms late (epoll timeouts are whole milliseconds, rounded up), which would
    be the server's error in the perf accuracy tests, not the client's."""

    def __init__(self, loop):
        self.loop = loop
        self.heap = []
        self.order = itertools.count()
        self.cv = threading.Condition()
        threading.Thread(target=self.run, daemon=True).start()

    def wait_until(self, due):
        future = self.loop.create_future()
        with self.cv:
            heapq.heappush(self.heap, (due, next(self.order), future))
            self.cv.notify()
        return future

    def run(self):
        while True:
            with self.cv:
                while not self.heap or self.heap[0][0] > time.monotonic():
                    self.cv.wait(self.heap[0][0] - time.monotonic() if self.heap else None)
                _, _, future = heapq.heappop(self.heap)
            self.loop.call_soon_threadsafe(lambda f=future: f.done() or f.set_result(None))


def prom_escape(value):
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


class Metrics:
    """What /metrics reports (see the module docstring)."""

    BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
               7.5, 10.0]

    def __init__(self):
        self.started = time.time()
        self.success = collections.Counter()  # (model, finished_reason) -> requests
        self.prompt_tokens = collections.Counter()  # model -> tokens
        self.generation_tokens = collections.Counter()
        self.histograms = {"time_to_first_token_seconds": {}, "e2e_request_latency_seconds": {}}
        self.running = collections.Counter()

    def observe(self, name, model, value):
        h = self.histograms[name].setdefault(model, [[0] * len(self.BUCKETS), 0.0, 0])
        for i, bound in enumerate(self.BUCKETS):
            if value <= bound:
                h[0][i] += 1
        h[1] += value
        h[2] += 1

    def record(self, model, finished_reason, prompt_tokens, completion_tokens, ttft, e2e):
        self.success[(model, finished_reason)] += 1
        self.prompt_tokens[model] += prompt_tokens
        self.generation_tokens[model] += completion_tokens
        self.observe("time_to_first_token_seconds", model, ttft)
        self.observe("e2e_request_latency_seconds", model, e2e)

    def exposition(self):
        out = ["# A comment line: neither HELP nor TYPE.",
               "# HELP vllm:num_requests_running Number of requests in model execution batches.",
               "# TYPE vllm:num_requests_running gauge"]
        models = sorted(set(self.running) | set(self.prompt_tokens)) or ["m"]
        for m in models:
            out.append(f'vllm:num_requests_running{{engine="0",model_name="{prom_escape(m)}"}} '
                       f'{float(self.running[m])}')
        out += ["# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
                "# TYPE vllm:num_requests_waiting gauge"]
        for m in models:
            out.append(f'vllm:num_requests_waiting{{engine="0",model_name="{prom_escape(m)}"}} 0.0 '
                       f"{int(time.time() * 1000)}")
        out += ["# HELP vllm:spec_decode_efficiency Not measured here.",
                "# TYPE vllm:spec_decode_efficiency gauge",
                "vllm:spec_decode_efficiency NaN",
                "lmmbench_test_untyped_total 7",
                "# HELP lmmbench_test_info Label values with escapes: \\\\ and \\n.",
                "# TYPE lmmbench_test_info gauge",
                'lmmbench_test_info{path="C:\\\\models\\\\m",quote="say \\"hi\\"",'
                'lines="a\\nb",} 1']
        counters = [("request_success", "Count of successfully processed requests.",
                     [({"engine": "0", "finished_reason": r, "model_name": m}, v)
                      for (m, r), v in sorted(self.success.items())]),
                    ("prompt_tokens", "Number of prefill tokens processed.",
                     [({"engine": "0", "model_name": m}, v)
                      for m, v in sorted(self.prompt_tokens.items())]),
                    ("generation_tokens", "Number of generation tokens processed.",
                     [({"engine": "0", "model_name": m}, v)
                      for m, v in sorted(self.generation_tokens.items())])]
        for name, doc, series in counters:
            out += [f"# HELP vllm:{name}_total {doc}", f"# TYPE vllm:{name}_total counter"]
            out += [f"vllm:{name}_total{self.labels(labels)} {float(v)}" for labels, v in series]
            out += [f"# HELP vllm:{name}_created {doc}", f"# TYPE vllm:{name}_created gauge"]
            out += [f"vllm:{name}_created{self.labels(labels)} {self.started}"
                    for labels, _ in series]
        for name, doc in [("time_to_first_token_seconds", "Histogram of time to first token."),
                          ("e2e_request_latency_seconds", "Histogram of end to end latency.")]:
            out += [f"# HELP vllm:{name} {doc}", f"# TYPE vllm:{name} histogram"]
            for m, (buckets, total, count) in sorted(self.histograms[name].items()):
                labels = {"engine": "0", "model_name": m}
                for bound, n in zip(self.BUCKETS, buckets):
                    out.append(f"vllm:{name}_bucket{self.labels(dict(labels, le=str(bound)))} "
                               f"{float(n)}")
                out.append(f"vllm:{name}_bucket{self.labels(dict(labels, le='+Inf'))} "
                           f"{float(count)}")
                out.append(f"vllm:{name}_count{self.labels(labels)} {float(count)}")
                out.append(f"vllm:{name}_sum{self.labels(labels)} {total!r}")
                out.append(f"vllm:{name}_created{self.labels(labels)} {self.started}")
        return ("\n".join(out) + "\n").encode()

    @staticmethod
    def labels(labels):
        return "{" + ",".join(f'{k}="{prom_escape(v)}"' for k, v in labels.items()) + "}"


class Server:
    def __init__(self, args):
        self.args = args
        self.answers = Answers(args.answers)
        self.judge = args.judge
        self.attempts = collections.Counter()
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.timer = None  # PreciseTimer, made on first use inside the event loop
        self.metrics = Metrics()

    def write_log(self, record):
        if self.log:
            self.log.write(json.dumps(record) + "\n")
            self.log.flush()


class Connection(asyncio.Protocol):
    def __init__(self, server):
        self.server = server
        self.buffer = bytearray()
        self.transport = None
        self.busy = False
        self.closed = False
        self.served = 0  # requests answered on this connection

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc):
        self.closed = True

    def data_received(self, data):
        self.buffer += data
        if not self.busy:
            self.process()

    def process(self):
        while not self.busy and not self.closed:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4:end + 4 + length])
            del self.buffer[:end + 4 + length]
            method, target, _ = head[0].split(" ", 2)
            if target.startswith("/bench/"):
                self.transport.write(BENCH_RESPONSE)
                continue
            self.busy = True
            received = time.monotonic()
            asyncio.ensure_future(self.handle(method, target, headers, body, received))

    def send(self, status, content_type, body, extra=""):
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                  429: "Too Many Requests", 500: "Internal Server Error",
                  503: "Service Unavailable"}.get(status, "Status")
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n{extra}\r\n")
        self.transport.write(head.encode() + body)

    def reset(self):
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    async def handle(self, method, target, headers, raw, received):
        try:
            keep = await self.respond(method, target, headers, raw, received)
        except Exception as e:  # a bug here must not hang the client
            print(f"llm_server: {e!r}", file=sys.stderr)
            self.send(500, "application/json", json.dumps({"error": {"message": repr(e)}}).encode())
            keep = True
        self.busy = False
        self.served += 1
        if keep and not self.closed:
            self.process()
        elif not self.closed:
            self.transport.close()

    async def stream(self, dialect, events, fault):
        crlf = dialect == "gemini"  # Google's SSE uses CRLF line ends
        nl = "\r\n" if crlf else "\n"
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")

        def chunk(text):
            data = text.encode()
            self.transport.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        chunk(": keep-alive comment" + nl + nl)
        frames = []
        for name, data in events:
            frames.append((f"event: {name}{nl}" if name else "") + f"data: {data}{nl}{nl}")
        kind = fault["kind"] if fault else None
        if kind == "stall":
            for f in frames[:2]:
                chunk(f)
            await asyncio.sleep(self.server.args.lifetime)
            return False
        if kind == "truncate":
            for f in frames[:max(1, len(frames) // 2)]:
                chunk(f)
            self.transport.write(b"0\r\n\r\n")
            return True
        if kind == "malformed":
            chunk(frames[0])
            chunk("data: {this is not json" + nl + nl)
            self.transport.write(b"0\r\n\r\n")
            return True
        if kind == "reset":
            chunk(frames[0])
            await asyncio.sleep(0.01)
            self.reset()
            return False
        if kind == "empty_done":
            chunk(frames[0] + f"data: [DONE]{nl}{nl}")
            self.transport.write(b"0\r\n\r\n")
            return True
        if kind == "no_done":
            frames = frames[:-1]
        # One event split across two writes, several events in one write, the rest one by one.
        first = frames[0]
        chunk(first[:len(first) // 2])
        await asyncio.sleep(0.002)
        chunk(first[len(first) // 2:])
        if len(frames) > 3:
            chunk(frames[1] + frames[2])
            rest = frames[3:]
        else:
            rest = frames[1:]
        for f in rest:
            chunk(f)
            await asyncio.sleep(0)
        self.transport.write(b"0\r\n\r\n")
        return True

    async def perf_stream(self, p, spec, received):
        """Token events at injected times (see the module docstring)."""
        ttft, itl = spec.get("ttft", 0.0), spec.get("itl", 0.0)
        n = int(spec.get("tokens", p.max_tokens or 16))
        pause_at, pause_for = spec.get("pause_at", -1.0), spec.get("pause_for", 0.0)
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")

        def chunk(data):
            data = data.encode()
            self.transport.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        base = {"id": "chatcmpl-perf", "object": "chat.completion.chunk", "created": 0,
                "model": p.model}
        metrics = self.server.metrics
        metrics.running[p.model] += 1
        first = last = received
        for i in range(n):
            due = received + ttft + i * itl
            if pause_at <= due < pause_at + pause_for:
                due = pause_at + pause_for
            if due > time.monotonic():
                if self.server.timer is None:
                    self.server.timer = PreciseTimer(asyncio.get_running_loop())
                await self.server.timer.wait_until(due)
            if self.closed:
                metrics.running[p.model] -= 1
                return False
            delta = {"role": "assistant", "content": "tok"} if i == 0 else {"content": " tok"}
            event = dict(base, choices=[{"index": 0, "delta": delta,
                                         "finish_reason": "length" if i == n - 1 else None}])
            chunk(f"data: {json.dumps(event)}\n\n")
            last = time.monotonic()
            if i == 0:
                first = last
        # Counted before the reply ends, so a scrape after the client's completion sees it.
        metrics.running[p.model] -= 1
        metrics.record(p.model, "length", p.prompt_tokens, n, first - received, last - received)
        if p.include_usage:
            usage = {"prompt_tokens": p.prompt_tokens, "completion_tokens": n,
                     "total_tokens": p.prompt_tokens + n}
            chunk(f"data: {json.dumps(dict(base, choices=[], usage=usage))}\n\n")
        chunk("data: [DONE]\n\n")
        self.transport.write(b"0\r\n\r\n")
        return True

    async def respond(self, method, target, headers, raw, received):
        path, _, query = target.partition("?")
        m = re.match(r"^/perf/([^/]+)(/.*)$", path)
        perf_spec = None
        if m:
            perf_spec, path = m.group(1), m.group(2)
        url_fault = None
        m = re.match(r"^/fault/([^/]+)(/.*)$", path)
        if m:
            url_fault, path = m.group(1), m.group(2)
        if path == "/metrics":
            fault = parse_fault(url_fault)
            if fault and fault["kind"] == "status":
                self.send(fault["status"], "text/plain", b"injected error\n")
            elif fault and fault["kind"] == "malformed":
                self.send(200, "text/plain; version=0.0.4", b'vllm:x{model_name="m} 1\n')
            else:
                self.send(200, "text/plain; version=0.0.4; charset=utf-8",
                          self.server.metrics.exposition())
            return True
        if path.endswith("/chat/completions"):
            dialect = "openai"
        elif ":generateContent" in path or ":streamGenerateContent" in path:
            dialect = "gemini"
        elif path.endswith("/messages"):
            dialect = "anthropic"
        else:
            self.send(404, "application/json", b'{"error": {"message": "no such endpoint"}}')
            return True
        try:
            body = json.loads(raw)
        except ValueError:
            self.send(400, "application/json", b'{"error": {"message": "body is not JSON"}}')
            return True
        p = read_prompt(dialect, body, path, query)
        text = "\n".join(p.texts)
        m = PERF_RE.search(text)
        if m:
            perf_spec = m.group(1)
        if perf_spec is not None and dialect == "openai" and p.stream:
            p.max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
            p.prompt_tokens = len(text.split()) + 576 * len(p.image_shas)
            return await self.perf_stream(p, parse_perf(perf_spec), received)
        m = FAULT_RE.search(text)
        spec = m.group(1) if m else url_fault
        fault = parse_fault(spec)
        attempt_key = (dialect, p.model, spec or "", text, tuple(p.image_shas))
        self.server.attempts[attempt_key] += 1
        attempt = self.server.attempts[attempt_key]
        if fault and "times" in fault and attempt > int(fault["times"]):
            fault = None
        self.server.write_log({"method": method, "path": path, "query": query,
                               "headers": headers, "body": body, "dialect": dialect,
                               "fault": fault, "attempt": attempt, "time": time.time()})

        key = received_key(dialect, headers)
        expected = self.server.args.expect_key
        if expected is not None and key != expected:
            fault = {"kind": "status", "status": 401}
        kind = fault["kind"] if fault else None
        if kind == "reset_reused":
            if self.served > 0:
                self.reset()
                return False
            kind = None
        if kind == "status":
            status = fault["status"]
            message = (f"Incorrect API key provided: {key}" if status == 401
                       else f"injected HTTP {status}")
            extra = f"Retry-After: {fault['retry_after']}\r\n" if "retry_after" in fault else ""
            self.send(status, "application/json",
                      json.dumps(error_body(dialect, status, message, fault)).encode(), extra)
            return True
        if kind == "slow":
            await asyncio.sleep(float(fault.get("delay", "0.5")))
        if kind == "wrong_type":
            self.send(200, "text/html", b"<html><body>502 Bad Gateway (proxy)</body></html>")
            return True
        if kind == "huge":
            size = int(fault.get("size", str(8 << 20)))
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {size}\r\n\r\n")
            self.transport.write(head.encode())
            block = b" " * 65536
            sent = 0
            while sent < size and not self.closed:
                n = min(len(block), size - sent)
                self.transport.write(block[:n])
                sent += n
                await asyncio.sleep(0)
            return not self.closed

        m = ANSWER_RE.search(text)
        answer = m.group(1) if m else None
        if self.server.judge:
            answer = judge_reply(p.texts[-1] if p.texts else "")  # the user message
        if answer is None and p.image_shas:
            answer = self.server.answers.find(p.image_shas[0], text)
        if answer is None:
            answer = "unknown"
        finish = FINISH[dialect]["refusal" if kind == "refusal" else
                                 "length" if kind == "length" else "stop"]
        if kind == "refusal" and dialect == "anthropic":
            answer = ""
        prompt_tokens = len(text.split()) + 576 * len(p.image_shas)
        completion_tokens = max(1, len(answer.split()))
        p.usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                   "total_tokens": prompt_tokens + completion_tokens}

        self.server.metrics.record(p.model, "length" if kind == "length" else "stop",
                                   prompt_tokens, completion_tokens,
                                   time.monotonic() - received, time.monotonic() - received)
        if p.stream:
            events = {"openai": openai_events, "gemini": gemini_events,
                      "anthropic": anthropic_events}[dialect](p, answer, finish)
            return await self.stream(dialect, events, fault)

        reply = json.dumps(full_reply(dialect, p, answer, finish)).encode()
        if kind == "malformed":
            self.send(200, "application/json", reply[:len(reply) // 2])
            return True
        if kind == "truncate":
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(reply) + 100}\r\n\r\n")
            self.transport.write(head.encode() + reply)
            return False
        if kind == "reset":
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(reply)}\r\n\r\n")
            self.transport.write(head.encode() + reply[:len(reply) // 3])
            await asyncio.sleep(0.01)
            self.reset()
            return False
        if kind == "stall":
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(reply)}\r\n\r\n")
            self.transport.write(head.encode() + reply[:len(reply) // 2])
            await asyncio.sleep(self.server.args.lifetime)
            return False
        self.send(200, "application/json", reply)
        return True


async def main_async(args):
    server = Server(args)
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(lambda: Connection(server), "127.0.0.1", args.port,
                                        backlog=1024, reuse_address=True)
    port = listener.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    parent = os.getppid()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    deadline = time.monotonic() + args.lifetime
    while not stop.done() and time.monotonic() < deadline and os.getppid() == parent:
        await asyncio.wait([stop], timeout=0.5)
    listener.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--log", help="append every request here (JSON lines)")
    parser.add_argument("--answers", action="append", default=[],
                        help="lmmbench-jsonl dataset whose gold answers the server gives")
    parser.add_argument("--judge", action="store_true",
                        help="answer as a judge: verdicts derived from the request")
    parser.add_argument("--expect-key", help="reject other API keys with 401")
    parser.add_argument("--lifetime", type=float, default=900, help="exit after this many seconds")
    args = parser.parse_args()
    sys.setswitchinterval(0.0002)  # the perf timer thread gets the GIL within 0.2 ms
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
