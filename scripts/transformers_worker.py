#!/usr/bin/env python3
"""A Hugging Face `transformers` model behind lmmbench's `worker` backend.

Loads an image-text-to-text model with AutoModelForImageTextToText and its AutoProcessor (LLaVA-1.5,
LLaVA-NeXT, Qwen2-VL and any other model whose processor has a chat template), then speaks the
worker protocol, version 1 (docs/backends.md, "Worker processes"), on stdin/stdout:

  -> {"type": "hello", "protocol": 1, "model": ..., "fingerprint": ..., "capabilities": {...}}
  <- {"type": "request", "id": N, "system": ..., "content": [{"type": "text" | "image", ...}],
      "generation": {"max_tokens", "temperature", "top_p", "stop", "seed"}}
  -> {"type": "token", "id": N, "text": ..., "time": ...}       (with --stream)
  -> {"type": "done", "id": N, "text": ..., "finish_reason": "stop" | "length",
      "usage": {"prompt_tokens": ..., "completion_tokens": ...}}
  -> {"type": "error", "id": N, "kind": "bad_request" | "model_error" | "cancelled", "message": ...}
  <- {"type": "cancel", "id": N}, {"type": "shutdown"}; the end of stdin is a shutdown too.

A request's content becomes one user message in the model's chat template (images and text in
their order, after an optional system message); decoding is greedy when temperature is 0 (the
default), else sampling with temperature and top_p, seeded by `seed` (torch.manual_seed before the
batch). Stop strings cut the decoded answer. prompt_tokens count the prompt as the model sees it:
the image tokens the processor expands each image into are included.

Batching: requests that arrive together (up to --max-batch, with the same generation options and
either all with or all without images) are generated as one left-padded batch. Greedy answers of
a batch can differ from one-at-a-time answers in the last float bits; --max-batch 1 answers each
request alone.

Everything the libraries print goes to stderr: stdout carries the protocol only.
"""
import argparse
import base64
import io
import json
import os
import queue
import sys
import threading
import time

PROTOCOL = 1


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="hub id or local directory")
    p.add_argument("--revision", default=None, help="hub revision (branch, tag or commit)")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:N, mps or auto (cuda when available)")
    p.add_argument("--dtype", default="auto",
                   choices=["auto", "float32", "float16", "bfloat16"],
                   help="weights' dtype; auto: the checkpoint's (float32 on cpu when it is half)")
    p.add_argument("--max-batch", type=int, default=8, help="requests generated together")
    p.add_argument("--max-images", type=int, default=8, help="images per request")
    p.add_argument("--attn-implementation", default=None, help="eager, sdpa, flash_attention_2")
    p.add_argument("--trust-remote-code", action="store_true")
    p.add_argument("--chat-template", default=None,
                   help="a Jinja chat template file, for a processor that has none")
    p.add_argument("--stream", action="store_true", help="send a token event per generated token")
    return p.parse_args()


class Cancelled(Exception):
    pass


class Worker:
    def __init__(self, args, out):
        import torch
        import transformers
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.torch = torch
        self.args = args
        self.out = out
        self.out_lock = threading.Lock()
        device = args.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        kwargs = {"revision": args.revision, "trust_remote_code": args.trust_remote_code}
        self.processor = AutoProcessor.from_pretrained(args.model, **kwargs)
        if args.chat_template:
            with open(args.chat_template, encoding="utf-8") as f:
                self.processor.chat_template = f.read()
        if not getattr(self.processor, "chat_template", None):
            raise SystemExit(f"{args.model}: the processor has no chat template (--chat-template FILE)")
        dtype = {"float32": torch.float32, "float16": torch.float16,
                 "bfloat16": torch.bfloat16}.get(args.dtype, "auto")
        model_kwargs = dict(kwargs)
        model_kwargs["dtype"] = dtype
        if args.attn_implementation:
            model_kwargs["attn_implementation"] = args.attn_implementation
        self.model = AutoModelForImageTextToText.from_pretrained(args.model, **model_kwargs)
        if device == "cpu" and self.model.dtype in (torch.float16,) and args.dtype == "auto":
            self.model = self.model.float()  # half matmuls on CPU are slow or missing
        self.model.to(device).eval()
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.tokenizer.padding_side = "left"  # batched generation continues every row at its end
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.eos_ids = self._eos_ids()
        config = self.model.config
        self.identity = {
            "model_type": config.model_type,
            "revision": args.revision or getattr(config, "_commit_hash", None),
            "dtype": str(self.model.dtype).replace("torch.", ""),
            "device": device.split(":")[0],
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "chat_template": args.chat_template,
        }
        self.cancelled = set()
        self.cancel_lock = threading.Lock()

    def _eos_ids(self):
        ids = self.model.generation_config.eos_token_id
        if ids is None:
            ids = self.tokenizer.eos_token_id
        if ids is None:
            return set()
        return set(ids) if isinstance(ids, (list, tuple)) else {ids}

    def write(self, message):
        line = json.dumps(message, ensure_ascii=False) + "\n"
        with self.out_lock:
            self.out.write(line)
            self.out.flush()

    def hello(self):
        self.write({"type": "hello", "protocol": PROTOCOL, "model": self.args.model,
                    "fingerprint": json.dumps(self.identity, sort_keys=True),
                    "time": time.monotonic(),
                    "capabilities": {"max_in_flight": max(1, 2 * self.args.max_batch),
                                     "batching": self.args.max_batch > 1,
                                     "images": ["bytes", "path"],
                                     "max_images": self.args.max_images,
                                     "streaming": self.args.stream}})

    # Requests ---------------------------------------------------------------------------------

    def prepare(self, request):
        """The request's chat messages and PIL images; raises ValueError for a bad request."""
        from PIL import Image

        content, images = [], []
        for part in request.get("content", []):
            kind = part.get("type")
            if kind == "text":
                content.append({"type": "text", "text": part["text"]})
            elif kind == "image":
                if "path" in part:
                    with open(part["path"], "rb") as f:
                        data = f.read()
                else:
                    data = base64.b64decode(part["data"], validate=True)
                try:
                    image = Image.open(io.BytesIO(data))
                    image.load()
                except Exception as e:  # PIL raises many kinds
                    raise ValueError(f"image {len(images) + 1} cannot be decoded: {e}") from e
                images.append(image.convert("RGB"))
                content.append({"type": "image"})
            else:
                raise ValueError(f"unknown content part type {kind!r}")
        if len(images) > self.args.max_images:
            raise ValueError(f"{len(images)} images; this worker takes at most {self.args.max_images}")
        messages = []
        if request.get("system"):
            messages.append({"role": "system", "content": [{"type": "text", "text": request["system"]}]})
        messages.append({"role": "user", "content": content})
        return messages, images

    def generate(self, batch):
        """Answers `batch` (prepared requests with equal generation options) in one generate()."""
        torch = self.torch
        options = batch[0]["request"].get("generation", {})
        prompts = [self.processor.apply_chat_template(b["messages"], add_generation_prompt=True,
                                                      tokenize=False) for b in batch]
        images = [image for b in batch for image in b["images"]]
        inputs = self.processor(images=images or None, text=prompts, padding=True, return_tensors="pt")
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs and inputs["pixel_values"].is_floating_point():
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        max_new = int(options.get("max_tokens", 128))
        kwargs = {"max_new_tokens": max_new, "pad_token_id": self.tokenizer.pad_token_id}
        temperature = float(options.get("temperature", 0.0))
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=float(options.get("top_p", 1.0)))
            if options.get("seed") is not None:
                torch.manual_seed(int(options["seed"]))
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if self.args.stream:
            kwargs["streamer"] = TokenEvents(self, [b["id"] for b in batch])
        with torch.inference_mode():
            output = self.model.generate(**inputs, **kwargs)
        prompt_length = inputs["input_ids"].shape[1]
        prompt_tokens = inputs["attention_mask"].sum(dim=1).tolist()
        for row, b in enumerate(batch):
            generated = output[row, prompt_length:].tolist()
            count = len(generated)
            for i, token in enumerate(generated):
                if token in self.eos_ids:
                    count = i + 1
                    break
            ended = count < len(generated) or (generated and generated[count - 1] in self.eos_ids)
            text = self.tokenizer.decode(generated[:count], skip_special_tokens=True).strip()
            finish = "stop" if ended else ("length" if count >= max_new else "stop")
            for stop in options.get("stop") or []:
                at = text.find(stop) if stop else -1
                if at >= 0:
                    text, finish = text[:at], "stop"
            with self.cancel_lock:
                if b["id"] in self.cancelled:
                    self.cancelled.discard(b["id"])
                    self.write({"type": "error", "id": b["id"], "kind": "cancelled", "message": "cancelled"})
                    continue
            self.write({"type": "done", "id": b["id"], "text": text, "finish_reason": finish,
                        "usage": {"prompt_tokens": int(prompt_tokens[row]), "completion_tokens": count},
                        "time": time.monotonic()})

    def serve(self, inbox):
        while True:
            first = inbox.get()
            if first is None:
                return
            pending = [first]
            while len(pending) < self.args.max_batch:
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    inbox.put(None)
                    break
                pending.append(item)
            groups = {}
            for request in pending:
                rid = request.get("id")
                with self.cancel_lock:
                    if rid in self.cancelled:
                        self.cancelled.discard(rid)
                        self.write({"type": "error", "id": rid, "kind": "cancelled", "message": "cancelled"})
                        continue
                try:
                    messages, images = self.prepare(request)
                except (ValueError, KeyError, OSError, TypeError) as e:
                    self.write({"type": "error", "id": rid, "kind": "bad_request", "message": str(e)})
                    continue
                key = (json.dumps(request.get("generation", {}), sort_keys=True), bool(images))
                groups.setdefault(key, []).append(
                    {"id": rid, "request": request, "messages": messages, "images": images})
            for batch in groups.values():
                try:
                    self.generate(batch)
                except Exception as e:  # the model failed: each request of the batch fails
                    import traceback
                    traceback.print_exc(file=sys.stderr)
                    for b in batch:
                        self.write({"type": "error", "id": b["id"], "kind": "model_error",
                                    "message": f"{type(e).__name__}: {e}"})


class TokenEvents:
    """A generate() streamer that sends a token event for each new token of each row until it ends
    (transformers' BaseStreamer interface: put() gets the prompt first, then each step's tokens)."""

    def __init__(self, worker, ids):
        self.worker = worker
        self.ids = ids
        self.prompt_seen = False
        self.ended = [False] * len(ids)

    def put(self, value):
        if not self.prompt_seen:
            self.prompt_seen = True
            return
        now = time.monotonic()
        tokens = value.reshape(len(self.ids), -1)[:, -1].tolist()
        for row, token in enumerate(tokens):
            if self.ended[row]:
                continue
            if token in self.worker.eos_ids:
                self.ended[row] = True
                continue
            self.worker.write({"type": "token", "id": self.ids[row], "time": now,
                               "text": self.worker.tokenizer.decode([token], skip_special_tokens=True)})

    def end(self):
        pass


def main():
    args = parse_args()
    # The protocol keeps the real stdout; anything else written to fd 1 (library prints, progress
    # bars) goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", errors="replace")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = Worker(args, out)
    inbox = queue.Queue()

    def reader():
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                worker.write({"type": "error", "kind": "bad_request", "message": f"not JSON: {line[:80]!r}"})
                continue
            kind = message.get("type")
            if kind == "request":
                inbox.put(message)
            elif kind == "cancel":
                with worker.cancel_lock:
                    worker.cancelled.add(message.get("id"))
            elif kind == "shutdown":
                break
        inbox.put(None)

    threading.Thread(target=reader, daemon=True).start()
    worker.hello()
    worker.serve(inbox)


if __name__ == "__main__":
    main()
