#!/usr/bin/env python3
"""A worker for lmmbench's `worker` backend tests (Python standard library only).

Speaks the worker protocol (docs/backends.md, "Worker processes") on stdin/stdout, and produces
each fault a test asks for with a flag.

Answers: "[[answer:TEXT]]" in the prompt, else the most frequent gold answer of the dataset item
(--answers FILE.jsonl, lmmbench-jsonl) whose first image and question match the request, else
"unknown". Usage: prompt_tokens = words of text + --image-tokens per image, completion_tokens =
words of the answer. Requests are read on a thread and answered in batches: everything that has
arrived is answered together after --delay seconds.

Directives in the prompt text, per request:
  [[error:KIND]]   an error of that kind (bad_request, model_error, overloaded, refused)
  [[hang]]         never answered (a cancel is ignored too)
  [[length]]       done with finish_reason "length"

Faults for the whole process (flags):
  --protocol N              the hello names protocol version N
  --exit-before-hello CODE  writes a reason to stderr and exits with CODE before the hello
  --crash-after N           after answering N requests exits with status 3 at the next one,
                            leaving what it was sent unanswered; with --crash-marker FILE it
                            crashes only while FILE does not exist, and creates it first (so a
                            restarted or resumed worker with the same arguments goes on)
  --hang-on TEXT            at a request whose text contains TEXT the worker freezes (as a stuck
                            generate() would): it answers nothing more and ignores shutdown
  --garbage-after N         after N answers, writes a line that is not JSON
  --huge-line-after N       after N answers, writes a line of --huge-bytes bytes
  --error-without-id-after N  after N answers, an error message with no id
  --stderr-bytes N          writes N bytes to stderr before the hello (a chatty model load)
  --log FILE                appends every line it reads to FILE
"""
import argparse
import base64
import collections
import hashlib
import json
import os
import queue
import re
import sys
import threading
import time

ANSWER_RE = re.compile(r"\[\[answer:([^\]]*)\]\]")
ERROR_RE = re.compile(r"\[\[error:([a-z_]+)\]\]")


def most_frequent(answers):
    counts = collections.Counter(answers)
    best, best_count = "", 0
    for a in answers:  # first occurrence wins ties, as lmmbench's oracle does
        if counts[a] > best_count:
            best, best_count = a, counts[a]
    return best


class Answers:
    """The gold answers of lmmbench-jsonl datasets, by first image's SHA-256; loaded when first
    needed, so a test may start the worker before the data exists."""

    def __init__(self, paths):
        self.paths = paths
        self.by_image = None

    def find(self, image_sha, text):
        if self.by_image is None:
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
                        image = images[0] if os.path.isabs(images[0]) else os.path.join(base, images[0])
                        with open(image, "rb") as img:
                            digest = hashlib.sha256(img.read()).hexdigest()
                        self.by_image[digest].append((item["question"], most_frequent(item["answers"])))
        best = None
        for question, answer in self.by_image.get(image_sha, []):
            if question in text and (best is None or len(question) > len(best[0])):
                best = (question, answer)
        return best[1] if best else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--answers", action="append", default=[])
    p.add_argument("--protocol", type=int, default=1)
    p.add_argument("--model", default="fake-worker")
    p.add_argument("--max-in-flight", type=int, default=4)
    p.add_argument("--images", default="bytes,path")
    p.add_argument("--max-images", type=int, default=8)
    p.add_argument("--image-tokens", type=int, default=576)
    p.add_argument("--streaming", action="store_true")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--exit-before-hello", type=int)
    p.add_argument("--crash-after", type=int)
    p.add_argument("--crash-marker")
    p.add_argument("--hang-on")
    p.add_argument("--garbage-after", type=int)
    p.add_argument("--huge-line-after", type=int)
    p.add_argument("--huge-bytes", type=int, default=1 << 20)
    p.add_argument("--error-without-id-after", type=int)
    p.add_argument("--stderr-bytes", type=int, default=0)
    p.add_argument("--log")
    args = p.parse_args()

    out = sys.stdout
    answers = Answers(args.answers)

    def write(message):
        out.write(json.dumps(message) + "\n")
        out.flush()

    if args.stderr_bytes:
        sys.stderr.write("loading " + "." * args.stderr_bytes + "\n")
        sys.stderr.flush()
    if args.exit_before_hello is not None:
        sys.stderr.write("fake_worker: cannot load the model (--exit-before-hello)\n")
        sys.stderr.flush()
        sys.exit(args.exit_before_hello)
    write({"type": "hello", "protocol": args.protocol, "model": args.model,
           "fingerprint": "fake-worker v1", "time": time.monotonic(),
           "capabilities": {"max_in_flight": args.max_in_flight, "batching": True,
                            "images": [i for i in args.images.split(",") if i],
                            "max_images": args.max_images, "streaming": args.streaming}})

    inbox = queue.Queue()
    cancelled = set()
    lock = threading.Lock()

    def reader():
        log = open(args.log, "a", encoding="utf-8") if args.log else None
        for line in sys.stdin:
            if log:
                log.write(line)
                log.flush()
            message = json.loads(line)
            if message["type"] == "cancel":
                with lock:
                    cancelled.add(message["id"])
            elif message["type"] == "shutdown":
                inbox.put(None)
                return
            else:
                inbox.put(message)
        inbox.put(None)  # stdin closed: lmmbench is gone

    threading.Thread(target=reader, daemon=True).start()

    answered = 0
    if args.crash_marker and os.path.exists(args.crash_marker):
        args.crash_after = None

    def after(n):
        return n is not None and answered >= n

    while True:
        batch = [inbox.get()]
        while not inbox.empty():
            batch.append(inbox.get_nowait())
        if args.delay:
            time.sleep(args.delay)
        for request in batch:
            if request is None:
                return
            if after(args.crash_after):
                if args.crash_marker:
                    open(args.crash_marker, "w").close()
                sys.stderr.write("fake_worker: crashing (--crash-after)\n")
                sys.stderr.flush()
                os._exit(3)
            if after(args.garbage_after):
                out.write("Traceback (most recent call last): this is not JSON\n")
                out.flush()
                args.garbage_after = None
            if after(args.huge_line_after):
                out.write("x" * args.huge_bytes + "\n")
                out.flush()
                args.huge_line_after = None
            if after(args.error_without_id_after):
                write({"type": "error", "kind": "model_error", "message": "CUDA out of memory"})
                args.error_without_id_after = None
            rid = request["id"]
            with lock:
                if rid in cancelled:
                    write({"type": "error", "id": rid, "kind": "cancelled", "message": "cancelled"})
                    continue
            texts = [part["text"] for part in request["content"] if part["type"] == "text"]
            text = (request.get("system") or "") + "".join(texts)
            images = [part for part in request["content"] if part["type"] == "image"]
            if args.hang_on and args.hang_on in text:
                while True:
                    time.sleep(3600)
            if "[[hang]]" in text:
                continue
            error = ERROR_RE.search(text)
            if error:
                write({"type": "error", "id": rid, "kind": error.group(1), "message": "as asked"})
                continue
            digests = []
            for image in images:
                if "data" in image:
                    data = base64.b64decode(image["data"])
                else:
                    with open(image["path"], "rb") as f:
                        data = f.read()
                digests.append(hashlib.sha256(data).hexdigest())
            m = ANSWER_RE.search(text)
            answer = m.group(1) if m else None
            if answer is None and digests:
                answer = answers.find(digests[0], text)
            if answer is None:
                answer = "unknown"
            words = answer.split() or [answer]
            if args.streaming:
                for i, word in enumerate(words):
                    write({"type": "token", "id": rid, "text": (" " if i else "") + word,
                           "time": time.monotonic()})
            write({"type": "done", "id": rid, "text": answer,
                   "finish_reason": "length" if "[[length]]" in text else "stop",
                   "usage": {"prompt_tokens": len(text.split()) + args.image_tokens * len(images),
                             "completion_tokens": len(words)},
                   "time": time.monotonic()})
            answered += 1


if __name__ == "__main__":
    main()
