"""Writes small parquet files in the column layouts of lmms-lab's copies of MMMU, OCRBench,
HallusionBench and MathVista, images embedded as `datasets` stores them, for the end-to-end tests
of the shipped task configs (tests/e2e/test_benchmark_parquet_run.cpp). Needs only pyarrow; the
helpers (PNG writer, `datasets` schema metadata) are make_hf_parquet.py's.

    python3 make_benchmark_parquet.py OUT_DIR

Files:
  mmmu/validation-00000-of-00001.parquet  lmms-lab/MMMU: id, question, options (a string holding a
      Python list, "[]" for open questions), explanation, image_1 ... image_7 (null when unused),
      img_type, answer (a letter, an open answer, or a Python list repr), topic_difficulty,
      question_type, subfield.
  ocrbench/test-00000-of-00001.parquet  echo840/OCRBench: dataset, question, question_type,
      answer (list<string>), image.
  hallusionbench/image-00000-of-00001.parquet  lmms-lab/HallusionBench (image split): category,
      subcategory, visual_input, set_id, figure_id, sample_note, question_id, question,
      gt_answer_details, gt_answer ("1"/"0"), filename, image.
  mathvista/testmini.parquet  AI4Math/MathVista: pid, question, image (a path), decoded_image,
      choices (list<string>, null for free-form), unit, precision (float64, null), answer,
      question_type, answer_type, metadata (struct), query.
"""
import sys
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_hf_parquet import IMAGE, png, write  # noqa: E402


def mmmu(out, images):
    rows = [
        # id, question, options, answer, question_type, images used
        ("validation_Art_1", "<image 1> Which colour is shown?", "['red', 'green', 'blue']", "A",
         "multiple-choice", ["red"]),
        ("validation_Art_2", "<image 1> <image 2> Which animal is on the left?", "['cat', \"dog's\"]", "B",
         "multiple-choice", ["green", "blue"]),
        ("validation_Math_1", "What is 24/7 as a decimal? <image 1>", "[]", "['24/7', '3.429']",
         "open", ["blue"]),
        ("validation_Math_2", "How many dots are there? <image 1>", "[]", "12", "open", ["red"]),
        ("validation_Physics_1", "<image 1> Which law applies?", "['Hooke', 'Ohm', 'Newton']", "C",
         "multiple-choice", ["green"]),
    ]
    columns = {"id": [], "question": [], "options": [], "explanation": [], "img_type": [], "answer": [],
               "topic_difficulty": [], "question_type": [], "subfield": []}
    image_columns = {f"image_{k}": [] for k in range(1, 8)}
    for id_, question, options, answer, question_type, used in rows:
        columns["id"].append(id_)
        columns["question"].append(question)
        columns["options"].append(options)
        columns["explanation"].append("")
        columns["img_type"].append("['Photographs']")
        columns["answer"].append(answer)
        columns["topic_difficulty"].append("Easy")
        columns["question_type"].append(question_type)
        columns["subfield"].append("Test")
        for k in range(1, 8):
            name = used[k - 1] if k <= len(used) else None
            image_columns[f"image_{k}"].append({"bytes": images[name], "path": f"{name}.png"} if name else None)
    table = {name: pa.array(values) for name, values in columns.items()}
    table.update({name: pa.array(values, type=IMAGE) for name, values in image_columns.items()})
    value = {"_type": "Value", "dtype": "string"}
    features = {name: value for name in columns}
    features.update({name: {"_type": "Image"} for name in image_columns})
    (out / "mmmu").mkdir(parents=True, exist_ok=True)
    write(pa.table(table), features, out / "mmmu" / "validation-00000-of-00001.parquet", compression="snappy")


def ocrbench(out, images):
    rows = [  # dataset, question_type, answers
        ("IIIT5K", "Regular Text Recognition", ["CENTRE"]),
        ("HME100k", "Handwritten Mathematical Expression Recognition", ["x _ { 1 } = 2\n", "x_1 = 2\n"]),
        ("docVQA", "Doc-oriented VQA", ["1999"]),
    ]
    value = {"_type": "Value", "dtype": "string"}
    (out / "ocrbench").mkdir(parents=True, exist_ok=True)
    write(pa.table({
        "dataset": pa.array([r[0] for r in rows]),
        "question": pa.array(["what is written in the image?", "Please write out the expression of the formula "
                              "in the image using LaTeX format.", "In which year?"]),
        "question_type": pa.array([r[1] for r in rows]),
        "answer": pa.array([r[2] for r in rows], type=pa.list_(pa.string())),
        "image": pa.array([{"bytes": images[n], "path": f"{n}.png"} for n in ("red", "green", "blue")], type=IMAGE),
    }), {"dataset": value, "question": value, "question_type": value,
         "answer": {"feature": value, "_type": "Sequence"}, "image": {"_type": "Image"}},
        out / "ocrbench" / "test-00000-of-00001.parquet", compression="snappy")


def hallusionbench(out, images):
    # category, subcategory, visual_input, set_id, figure_id, question_id, gt_answer
    rows = [
        ("VD", "illusion", "1", "0", "0", "0", "1"),
        ("VD", "illusion", "2", "0", "1", "0", "0"),
        ("VS", "chart", "1", "1", "1", "0", "1"),
        ("VS", "chart", "2", "1", "2", "0", "0"),
    ]
    names = ["category", "subcategory", "visual_input", "set_id", "figure_id", "question_id", "gt_answer"]
    table = {name: pa.array([r[k] for r in rows]) for k, name in enumerate(names)}
    table["sample_note"] = pa.array(["note"] * len(rows))
    table["question"] = pa.array(["Is the left circle larger?", "Is the left circle larger?",
                                  "Is the 2018 value the highest?", "Is the 2018 value the highest?"])
    table["gt_answer_details"] = pa.array(["details"] * len(rows))
    table["filename"] = pa.array([f"./{r[0]}/{r[1]}/{r[3]}_{r[4]}.png" for r in rows])
    table["image"] = pa.array([{"bytes": images[n], "path": f"{n}.png"} for n in ("red", "green", "blue", "red")],
                              type=IMAGE)
    value = {"_type": "Value", "dtype": "string"}
    features = {name: value for name in table}
    features["image"] = {"_type": "Image"}
    (out / "hallusionbench").mkdir(parents=True, exist_ok=True)
    write(pa.table(table), features, out / "hallusionbench" / "image-00000-of-00001.parquet", compression="snappy")


def mathvista(out, images):
    # pid, question, choices, unit, precision, answer, question_type, answer_type
    rows = [
        ("1", "Which colour is the bar?", ["red", "green"], None, None, "green", "multi_choice", "text"),
        ("2", "How many bars?", None, None, None, "3", "free_form", "integer"),
        ("3", "How long is the bar?", None, "cm", 2.0, "1.25", "free_form", "float"),
        ("4", "List the bar heights.", None, None, None, "[1, 2]", "free_form", "list"),
    ]
    metadata = pa.struct([("split", pa.string()), ("language", pa.string()), ("img_width", pa.int64()),
                          ("img_height", pa.int64()), ("source", pa.string()), ("category", pa.string()),
                          ("task", pa.string()), ("context", pa.string()), ("grade", pa.string()),
                          ("skills", pa.list_(pa.string()))])
    (out / "mathvista").mkdir(parents=True, exist_ok=True)
    write(pa.table({
        "pid": pa.array([r[0] for r in rows]),
        "question": pa.array([r[1] for r in rows]),
        "image": pa.array([f"images/{r[0]}.jpg" for r in rows]),
        "decoded_image": pa.array([{"bytes": images[n], "path": None} for n in ("red", "green", "blue", "red")],
                                  type=IMAGE),
        "choices": pa.array([r[2] for r in rows], type=pa.list_(pa.string())),
        "unit": pa.array([r[3] for r in rows]),
        "precision": pa.array([r[4] for r in rows], type=pa.float64()),
        "answer": pa.array([r[5] for r in rows]),
        "question_type": pa.array([r[6] for r in rows]),
        "answer_type": pa.array([r[7] for r in rows]),
        "metadata": pa.array([{"split": "testmini", "language": "english", "img_width": 4, "img_height": 3,
                               "source": "FigureQA", "category": "math-targeted-vqa" if k else "general-vqa",
                               "task": "figure question answering", "context": "bar chart",
                               "grade": "elementary school",
                               "skills": ["arithmetic reasoning", "statistical reasoning"][:1 + k % 2]}
                              for k in range(len(rows))], type=metadata),
        "query": pa.array(["query"] * len(rows)),
    }), {"decoded_image": {"_type": "Image"}}, out / "mathvista" / "testmini.parquet", compression="snappy")


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    images = {"red": png(4, 3, (255, 0, 0)), "green": png(2, 2, (0, 255, 0)), "blue": png(5, 1, (0, 0, 255))}
    mmmu(out, images)
    ocrbench(out, images)
    hallusionbench(out, images)
    mathvista(out, images)


if __name__ == "__main__":
    main(sys.argv[1])
