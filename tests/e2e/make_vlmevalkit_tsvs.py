#!/usr/bin/env python3
"""Writes small TSVs in the layouts of VLMEvalKit's benchmark files (open-compass/VLMEvalKit
vlmeval/dataset/image_mcq.py, image_vqa.py DATASET_URL), for the end-to-end test of the shipped
task configs (tests/e2e/test_openvlm_tasks.cpp). Standard library only: tab-separated, quoted as
pandas' to_csv(sep='\\t') quotes (csv.QUOTE_MINIMAL), images as base64 PNGs, later rows of a file
sharing the first row's image by its index (VLMEvalKit's de-duplication).

    python3 make_vlmevalkit_tsvs.py OUT_DIR    # writes OUT_DIR/<NAME>.tsv

Sample indices are unique over all files, so one replay file answers every task.
"""
import base64
import csv
import struct
import sys
import zlib
from pathlib import Path


def png(width, height, rgb):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


IMAGE = base64.b64encode(png(8, 8, (200, 30, 30))).decode()


def write(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(columns)
        first = None
        for row in rows:
            row = dict(row)
            row["image"] = IMAGE if first is None else str(first)
            first = row["index"] if first is None else first
            w.writerow([row.get(c, "") for c in columns])


MCQ = ["index", "question", "hint", "A", "B", "C", "D", "answer", "category", "l2-category", "image"]


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write(out / "MMStar.tsv", MCQ, [
        dict(index=1, question="What is the main scene?", A="a beach", B="a forest", C="a city", D="a desert",
             answer="A", category="coarse perception", **{"l2-category": "image scene and topic"}),
        dict(index=2, question="How is the image quality?", A="blurry", B="sharp", C="noisy", D="dark",
             answer="B", category="coarse perception", **{"l2-category": "image style & quality"}),
        dict(index=3, question="What is the perimeter?", hint="Each side is 3 cm.", A="9", B="10", C="12", D="16",
             answer="C", category="math", **{"l2-category": "geometry"}),
        dict(index=4, question="What is the area?", A="4", B="6", C="8", D="9",
             answer="D", category="math", **{"l2-category": "geometry"}),
        dict(index=5, question="How many legs do two cats have?", A="8", B="4", C="6", D="2",
             answer="A", category="math", **{"l2-category": "numeric commonsense and calculation"}),
        dict(index=6, question="Which process makes the plant's food?", A="respiration", B="photosynthesis",
             C="digestion", D="evaporation", answer="B", category="science & technology",
             **{"l2-category": "natural science"}),
    ])
    write(out / "AI2D_TEST.tsv", ["index", "question", "A", "B", "C", "D", "answer", "image"], [
        dict(index=101, question="Which label shows the sun?", A="a", B="b", C="c", D="d", answer="B"),
        dict(index=102, question="What eats the grass?", A="rabbit", B="hawk", C="snake", D="fox", answer="A"),
        dict(index=103, question="Which stage comes first?", A="adult", B="pupa", C="egg", D="larva", answer="C"),
    ])
    write(out / "RealWorldQA.tsv", ["index", "question", "A", "B", "C", "answer", "image"], [
        dict(index=201, question="Is the light green?", A="Yes", B="No", C="Cannot tell", answer="A"),
        dict(index=202, question="Where should the car go?", A="Turn right", B="Go straight", C="Turn left",
             answer="C"),
    ])
    # MMBench: question g with its circular copies g + k * 1e6, options rotated.
    write(out / "MMBench_DEV_EN_V11.tsv", MCQ, [
        dict(index=301, question="What is shown?", A="cat", B="dog", C="bird", D="fish", answer="A",
             category="image_scene", **{"l2-category": "coarse_perception"}),
        dict(index=1000301, question="What is shown?", A="dog", B="bird", C="fish", D="cat", answer="D",
             category="image_scene", **{"l2-category": "coarse_perception"}),
        dict(index=2000301, question="What is shown?", A="bird", B="fish", C="cat", D="dog", answer="C",
             category="image_scene", **{"l2-category": "coarse_perception"}),
        dict(index=3000301, question="What is shown?", A="fish", B="cat", C="dog", D="bird", answer="B",
             category="image_scene", **{"l2-category": "coarse_perception"}),
        dict(index=302, question="What does the sign say?", A="STOP", B="GO", answer="A",
             category="ocr", **{"l2-category": "finegrained_perception (instance-level)"}),
        dict(index=1000302, question="What does the sign say?", A="GO", B="STOP", answer="B",
             category="ocr", **{"l2-category": "finegrained_perception (instance-level)"}),
    ])
    write(out / "MMBench_DEV_CN_V11.tsv", MCQ, [
        dict(index=401, question="图中是什么动物？", A="猫", B="狗", answer="B", category="image_scene",
             **{"l2-category": "coarse_perception"}),
        dict(index=1000401, question="图中是什么动物？", A="狗", B="猫", answer="A", category="image_scene",
             **{"l2-category": "coarse_perception"}),
    ])
    write(out / "InfoVQA_VAL.tsv", ["index", "question", "answer", "image"], [
        dict(index=501, question="How many people live there?", answer="['120', '120 million']"),
        dict(index=502, question="Which city is shown?", answer="['tokyo']"),
    ])


if __name__ == "__main__":
    main(sys.argv[1])
