"""Writes small parquet files in the column layouts lmms-lab publishes on the Hugging Face hub,
images embedded as the `datasets` library stores them (struct<bytes: binary, path: string>), for
the hf-parquet loader's tests. Needs only pyarrow (no numpy, no PIL: the PNGs are written here).

    python3 make_hf_parquet.py OUT_DIR

Files (each image's bytes also go to OUT_DIR/<name>.png, for the tests to compare):
  pope.parquet      lmms-lab/POPE: question_id, question, answer, image_source, image, category;
                    rows 0 and 2 share one image.
  scienceqa.parquet lmms-lab/ScienceQA: question, choices list<string>, answer int64, hint, image
                    (null in the text-only row), subject; row groups of 2 rows.
  mmbench.parquet   lmms-lab/MMBench: index int64, question, hint, A, B, C, D (null: 3 options),
                    answer, category, image.
  bad_types.parquet question is int64; image is a plain string column.
  fuzz_seed.parquet the columns the dataset_loaders fuzz target maps (id, q, A, B, a, image, m),
                    kept as tests/fuzz/corpus/dataset_loaders/hf.parquet.
  bad_images.parquet image cells: not an image, a PNG header claiming 10000 x 10000 pixels, bytes
                    missing (path only), a valid image.
"""
import json
import struct
import sys
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def png(width, height, rgb):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def png_header_only(width, height):
    """A PNG whose header claims width x height, with one byte of pixel data (a decompression bomb
    would have more; the loader must refuse it from the header alone)."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b""))


def hf_metadata(features):
    """The schema metadata `datasets` writes (its feature types), as in lmms-lab's files."""
    return {b"huggingface": json.dumps({"info": {"features": features}}).encode()}


def write(table, features, path, **kwargs):
    table = table.replace_schema_metadata(hf_metadata(features))
    pq.write_table(table, path, **kwargs)


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    images = {"red": png(4, 3, (255, 0, 0)), "green": png(2, 2, (0, 255, 0)),
              "blue": png(5, 1, (0, 0, 255))}
    for name, data in images.items():
        (out / f"{name}.png").write_bytes(data)

    def image(name):
        return {"bytes": images[name], "path": f"{name}.png"}

    value = {"_type": "Value", "dtype": "string"}
    write(pa.table({
        "question_id": pa.array(["q0", "q1", "q2"]),
        "question": pa.array(["Is there a dog in the image?", "Is there a cat in the image?",
                              "Is there a car in the image?"]),
        "answer": pa.array(["yes", "no", "no"]),
        "image_source": pa.array(["COCO_val2014_0", "COCO_val2014_1", "COCO_val2014_0"]),
        "image": pa.array([image("red"), image("green"), image("red")], type=IMAGE),
        "category": pa.array(["adversarial", "popular", "random"]),
    }), {"question_id": value, "question": value, "answer": value, "image_source": value,
         "image": {"_type": "Image"}, "category": value}, out / "pope.parquet", compression="snappy")

    write(pa.table({
        "question": pa.array(["Which color is shown?", "Which is a mammal?", "Pick the blue one."]),
        "choices": pa.array([["red", "green"], ["shark", "whale", "trout"], ["blue", "red"]],
                            type=pa.list_(pa.string())),
        "answer": pa.array([0, 1, 0], type=pa.int64()),
        "hint": pa.array(["Look at the picture.", "", None]),
        "image": pa.array([image("red"), None, image("blue")], type=IMAGE),
        "subject": pa.array(["natural science", "natural science", "language science"]),
    }), {"question": value, "image": {"_type": "Image"}}, out / "scienceqa.parquet",
        row_group_size=2, compression="zstd")

    write(pa.table({
        "index": pa.array([1, 1000001, 7], type=pa.int64()),
        "question": pa.array(["What color?", "What color?", "What shape?"]),
        "hint": pa.array([None, None, "A hint"]),
        "A": pa.array(["red", "green", "square"]),
        "B": pa.array(["green", "red", "circle"]),
        "C": pa.array(["blue", "blue", "line"]),
        "D": pa.array(["black", "black", None]),
        "answer": pa.array(["A", "B", "C"]),
        "category": pa.array(["color", "color", "shape"]),
        "image": pa.array([image("red"), image("red"), image("blue")], type=IMAGE),
    }), {"question": value, "image": {"_type": "Image"}}, out / "mmbench.parquet",
        compression="gzip")

    write(pa.table({
        "question_id": pa.array(["a", "b"]),
        "question": pa.array([1, 2], type=pa.int64()),
        "image": pa.array(["a.png", "b.png"]),
    }), {}, out / "bad_types.parquet")

    write(pa.table({
        "question_id": pa.array(["junk", "huge", "path_only", "fine"]),
        "question": pa.array(["q"] * 4),
        "image": pa.array([{"bytes": b"not an image at all", "path": "x.png"},
                           {"bytes": png_header_only(10000, 10000), "path": "huge.png"},
                           {"bytes": None, "path": "elsewhere/y.png"}, image("green")],
                          type=IMAGE),
    }), {}, out / "bad_images.parquet")

    write(pa.table({
        "id": pa.array(["x", "y"]),
        "q": pa.array(["Which?", "What?"]),
        "A": pa.array(["one", "two"]),
        "B": pa.array(["three", None]),
        "a": pa.array(["A", "A"]),
        "image": pa.array([image("green"), None], type=IMAGE),
        "m": pa.array([[1, 2], []], type=pa.list_(pa.int64())),
    }), {}, out / "fuzz_seed.parquet", compression="snappy")


if __name__ == "__main__":
    main(sys.argv[1])
