"""Writes the caption fixture's images (tests/metrics/fixtures/caption.input.jsonl: 20 images, 1-5
reference captions each) as parquet files in the three lmms-lab caption layouts, for
test_caption_run.cpp, plus the predictions as a replay file. Needs only pyarrow.

    python3 make_caption_parquet.py OUT_DIR

Files:
  coco.parquet     lmms-lab/COCO-Caption2017: question_id, image, question, answer list<string>, id
  nocaps.parquet   lmms-lab/NoCaps: image, image_id int64, image_file_name, annotations_ids
                   list<int64>, annotations_captions list<string>
  flickr.parquet   lmms-lab/flickr30k: image, caption list<string>, sentids list<string>, img_id
                   string, filename
  karpathy.parquet yerevann/coco-karpathy (lmms-eval's coco_karpathy_test): filepath, filename,
                   sentences list<string>, imgid, split, url, cocoid, no images; the images are
                   written as val2014/<filename> (PNG bytes under COCO's .jpg names)
  predictions.jsonl {"id", "prediction"} per image, the ids being each layout's id column value
"""
import json
import sys
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "datasets"))
from make_hf_parquet import IMAGE, png, write  # noqa: E402

FIXTURE = Path(__file__).resolve().parent.parent / "metrics" / "fixtures" / "caption.input.jsonl"


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    records = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    images = [{"bytes": png(2 + i % 5, 2 + i % 3, (i * 12 % 256, 80, 200)), "path": f"{i}.png"}
              for i in range(len(records))]
    references = [r["answers"] for r in records]
    value = {"_type": "Value", "dtype": "string"}
    strings = pa.list_(pa.string())

    write(pa.table({
        "question_id": pa.array([f"{i:012d}.jpg" for i in range(len(records))]),
        "image": pa.array(images, type=IMAGE),
        "question": pa.array(["Please carefully observe the image and come up with a caption for "
                              "the image"] * len(records)),
        "answer": pa.array(references, type=strings),
        "id": pa.array(list(range(len(records))), type=pa.int64()),
    }), {"question_id": value, "image": {"_type": "Image"}}, out / "coco.parquet")

    write(pa.table({
        "image": pa.array(images, type=IMAGE),
        "image_id": pa.array(list(range(len(records))), type=pa.int64()),
        "image_file_name": pa.array([f"{i}.jpg" for i in range(len(records))]),
        "annotations_ids": pa.array([list(range(len(r))) for r in references],
                                    type=pa.list_(pa.int64())),
        "annotations_captions": pa.array(references, type=strings),
    }), {"image": {"_type": "Image"}}, out / "nocaps.parquet", row_group_size=8)

    write(pa.table({
        "image": pa.array(images, type=IMAGE),
        "caption": pa.array(references, type=strings),
        "sentids": pa.array([[str(j) for j in range(len(r))] for r in references], type=strings),
        "img_id": pa.array([str(i) for i in range(len(records))]),
        "filename": pa.array([f"{i}.jpg" for i in range(len(records))]),
    }), {"image": {"_type": "Image"}}, out / "flickr.parquet", compression="zstd")

    names = [f"COCO_val2014_{i:012d}.jpg" for i in range(len(records))]
    (out / "val2014").mkdir(exist_ok=True)
    for name, image in zip(names, images):
        (out / "val2014" / name).write_bytes(image["bytes"])
    write(pa.table({
        "filepath": pa.array(["val2014"] * len(records)),
        "sentids": pa.array([list(range(len(r))) for r in references], type=pa.list_(pa.int64())),
        "filename": pa.array(names),
        "imgid": pa.array(list(range(len(records))), type=pa.int64()),
        "split": pa.array(["test"] * len(records)),
        "sentences": pa.array(references, type=strings),
        "cocoid": pa.array(list(range(len(records))), type=pa.int64()),
        "url": pa.array([f"http://images.cocodataset.org/val2014/{n}" for n in names]),
    }), {}, out / "karpathy.parquet")

    with open(out / "predictions.jsonl", "w", encoding="utf-8") as f:
        for i, r in enumerate(records):
            for sample_id in (str(i), f"{i:012d}.jpg", names[i]):
                f.write(json.dumps({"id": sample_id, "prediction": r["prediction"]},
                                   ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
