#!/usr/bin/env python3
"""Writes OUT_DIR/OK-VQA/data/val2014-0000{0,1}-of-00002.parquet in the layout of the Hugging Face
dataset lmms-lab/OK-VQA (two shards; columns question_type, confidence, answers list<string>,
answer_type, question_id int64, question, image struct<bytes, path>), for the end-to-end test of
the shipped okvqa_val.json (tests/e2e/test_hf_parquet_run.cpp). Needs only pyarrow; the PNG and
parquet helpers are tests/datasets/make_hf_parquet.py's.

    python3 make_okvqa_parquet.py OUT_DIR
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "datasets"))
import pyarrow as pa  # noqa: E402

from make_hf_parquet import IMAGE, png, write  # noqa: E402

ROWS = [
    (1, "What sport can you use this for?", ["tennis"] * 8 + ["racket"] * 2),
    (2, "What is the dog holding?", ["dog's toy"] * 9 + ["toy"]),
    (3, "In which city is this tower?", ["paris"] * 10),
]


def main(out):
    data = Path(out) / "OK-VQA" / "data"
    data.mkdir(parents=True, exist_ok=True)
    image = {"bytes": png(3, 2, (10, 120, 200)), "path": "COCO_val2014_000000000001.jpg"}
    value = {"_type": "Value", "dtype": "string"}
    features = {"question_type": value, "confidence": {"_type": "Value", "dtype": "int32"},
                "answers": {"_type": "Sequence", "feature": value}, "answer_type": value,
                "question_id": {"_type": "Value", "dtype": "int64"}, "question": value,
                "image": {"_type": "Image"}}
    for shard, rows in enumerate([ROWS[:2], ROWS[2:]]):
        write(pa.table({
            "question_type": pa.array(["other"] * len(rows)),
            "confidence": pa.array([3] * len(rows), type=pa.int32()),
            "answers": pa.array([r[2] for r in rows], type=pa.list_(pa.string())),
            "answer_type": pa.array(["other"] * len(rows)),
            "question_id": pa.array([r[0] for r in rows], type=pa.int64()),
            "question": pa.array([r[1] for r in rows]),
            "image": pa.array([image] * len(rows), type=IMAGE),
        }), features, data / f"val2014-0000{shard}-of-00002.parquet")


if __name__ == "__main__":
    main(sys.argv[1])
