#!/usr/bin/env python3
"""llama-cpp-python's OpenAI-compatible server, started for lmmbench's tests on an ephemeral port.

The same server as `python -m llama_cpp.server` (its `create_app` with the same settings), with
three things the tests need and its command line lacks:
  - it listens on a socket bound to 127.0.0.1 port 0 and writes the port to --port-file once
    listening, so parallel tests never race for a port;
  - every request is appended to --log as one JSON line (method, path, body parsed as JSON, and
    the reply's status), so a test counts what reached the server and reads what it was sent;
  - it exits by itself after --lifetime seconds or when its parent process is gone.

Run it with an interpreter that has `llama-cpp-python[server]` (scripts/install-deps.sh --test
installs one; docs/testing.md). Models: --model GGUF [--clip-model MMPROJ.gguf] [--chat-format F]
[--alias NAME] [--n-ctx N], e.g. the tiny random models of benchmarks/make_tiny_gguf.py.
Requests are served one at a time, in arrival order (--interrupt_requests False: by default a new
request would abort the one being generated).
"""

import argparse
import asyncio
import json
import os
import socket
import sys

import uvicorn
from llama_cpp.server.app import create_app
from llama_cpp.server.settings import ModelSettings, ServerSettings


class RequestLog:
    """ASGI middleware: one JSON line per HTTP request, written when its reply starts."""

    def __init__(self, app, path):
        self.app = app
        self.file = open(path, "a", encoding="utf-8")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks = []

        async def logged_receive():
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def logged_send(message):
            if message["type"] == "http.response.start":
                raw = b"".join(chunks)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                self.file.write(json.dumps({"method": scope["method"], "path": scope["path"],
                                            "body": body, "status": message["status"]}) + "\n")
                self.file.flush()
            await send(message)

        await self.app(scope, logged_receive, logged_send)


async def serve(args):
    model = ModelSettings(model=args.model, model_alias=args.alias, n_ctx=args.n_ctx,
                          n_threads=args.threads, n_threads_batch=args.threads,
                          clip_model_path=args.clip_model, chat_format=args.chat_format,
                          seed=args.seed, verbose=args.verbose)
    app = create_app(server_settings=ServerSettings(interrupt_requests=False),
                     model_settings=[model])
    if args.log:
        app = RequestLog(app, args.log)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_keep_alive=60))
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises the start failure
            return 1
        await asyncio.sleep(0.02)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(sock.getsockname()[1]))
        os.replace(tmp, args.port_file)
    parent = os.getppid()
    deadline = asyncio.get_running_loop().time() + args.lifetime
    while not task.done():
        if os.getppid() != parent or asyncio.get_running_loop().time() > deadline:
            server.should_exit = True
        await asyncio.sleep(0.2)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="the text model GGUF")
    ap.add_argument("--clip-model", help="a multimodal projector GGUF (mmproj)")
    ap.add_argument("--chat-format", help="llama-cpp-python chat format, e.g. llava-1-5")
    ap.add_argument("--alias", default="tiny", help="the model id the server answers to")
    ap.add_argument("--n-ctx", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--port-file")
    ap.add_argument("--log", help="append every request here (JSON lines)")
    ap.add_argument("--lifetime", type=float, default=900, help="exit after this many seconds")
    ap.add_argument("--verbose", action="store_true", help="llama.cpp's load and timing logs")
    return asyncio.run(serve(ap.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
