#!/usr/bin/env python3
"""Writes a large lmmbench-jsonl dataset, plus a run config over it, for memory measurements.

The dataset is `--samples` VQA-style records in the `lmmbench-jsonl` format (datasets/
lmmbench_jsonl.hpp), each naming one of `--images` small PNG files (64x64, written here with zlib),
so every sample goes through image path resolution, header probing and, per request, decoding,
exactly as a real benchmark's would. The records are seeded and deterministic: the first N lines
of a larger set equal a smaller set of the same seed. Each record holds a ~50-character question,
ten human answers (VQA's layout), a category and a question_type, about 300 bytes per line.

Usage (docs/performance.md, "Dataset streaming: memory per sample"):

    python3 benchmarks/datasets/make_large_jsonl.py --samples 100000 --out /tmp/large/100k
    /usr/bin/time -v build/release/lmmbench run /tmp/large/100k/run.json \
        --out /tmp/large/100k/run --quiet

Only the Python standard library is used.
"""

import argparse
import json
import os
import random
import struct
import zlib

COLOURS = ["red", "green", "blue", "yellow", "white", "black", "orange", "purple"]
SHAPES = ["circle", "square", "triangle", "star", "cross", "ring"]
QUESTION_TYPES = ["what color is the", "how many", "is there a", "what shape is the"]


def png_bytes(width, height, rgb):
    """A solid-colour RGB PNG with a diagonal stripe, encoded without third-party libraries."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend((255 - rgb[0], 255 - rgb[1], 255 - rgb[2]) if abs(x - y) < 4 else rgb)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
            chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


def record(index, rng, images):
    kind = rng.randrange(4)
    colour = rng.choice(COLOURS)
    shape = rng.choice(SHAPES)
    if kind == 0:
        question, gold = f"What color is the {shape} in the middle of the picture?", colour
    elif kind == 1:
        question, gold = f"How many {colour} {shape} shapes are there in this image?", str(rng.randint(0, 9))
    elif kind == 2:
        question, gold = f"Is there a {colour} {shape} anywhere in the image?", rng.choice(["yes", "no"])
    else:
        question, gold = f"What shape is the {colour} object on the left side?", shape
    # Ten human answers, mostly agreeing, as VQA's annotations are.
    answers = [gold if rng.random() < 0.8 else rng.choice(COLOURS + SHAPES) for _ in range(10)]
    return {
        "id": f"q{index:07d}",
        "images": [f"images/{images[index % len(images)]}"],
        "question": question,
        "answers": answers,
        "category": ["colour", "counting", "existence", "shape"][kind],
        "meta": {"question_type": QUESTION_TYPES[kind]},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, required=True, help="number of records")
    parser.add_argument("--images", type=int, default=8, help="distinct PNG files (default 8)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", required=True, help="directory to write (created)")
    parser.add_argument("--model", default="oracle",
                        help="baseline backend of the run config (default oracle)")
    args = parser.parse_args()

    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    names = []
    for i in range(args.images):
        name = f"img{i}.png"
        rgb = tuple((37 * i + 80 * c) % 256 for c in range(3))
        with open(os.path.join(args.out, "images", name), "wb") as f:
            f.write(png_bytes(64, 64, rgb))
        names.append(name)

    rng = random.Random(args.seed)
    path = os.path.join(args.out, "questions.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(args.samples):
            f.write(json.dumps(record(i, rng, names), separators=(", ", ": ")) + "\n")

    run = {
        "name": "large",
        "output_dir": "runs",
        "concurrency": 8,
        "models": [{"name": args.model, "backend": args.model}],
        "tasks": [{
            "name": "large",
            "dataset": {"format": "lmmbench-jsonl", "path": "questions.jsonl"},
            "prompt": {"template": "{question}\nAnswer the question using a single word or phrase."},
            "generation": {"max_tokens": 16, "temperature": 0},
            "metrics": [{"name": "vqa", "variant": "official"}],
        }],
    }
    with open(os.path.join(args.out, "run.json"), "w", encoding="utf-8") as f:
        json.dump(run, f, indent=2)
        f.write("\n")
    print(f"{path}: {args.samples} samples, {os.path.getsize(path)} bytes; "
          f"{args.images} images; run config {os.path.join(args.out, 'run.json')}")


if __name__ == "__main__":
    main()
