#!/usr/bin/env python3
"""Writes fixtures/mathvista.input.jsonl from lupantech/MathVista's testmini problems (data/
testmini.json: choices, answer, question/answer type, precision, metadata): the 1,000 real
responses of LLaVA-LLaMA-2-13B (results/llava/output_llava_llama_2_13b.json, ids llava/<pid>),
the 1,000 GPT-4 extractions recorded in that file (ids extraction/<pid>: what the normaliser
sees in the official protocol), and hand-written answers aimed at every branch of
normalize_extracted_answer (ids crafted/<n>): letters, "(x)", exact and near choice texts,
integers written as floats, Unicode digits, underscores, inf/nan, rounding ties at the float
precision, lists, empty and missing answers.

  python3 tests/metrics/reference/make_inputs_mathvista.py --mathvista $REFS/MathVista-53d5258
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MC = ["A", "(b)", "B.", " (C) the third ", "(z)", "Z", "", None, "a", "(A)(B)", "((D))", "E", "the answer is (c)"]
INTEGER = ["12", "12.0", " 12 ", "1_000", "1e3", "-3", "12.7", "-0.5", "inf", "nan", "\u0661\u0662", "twelve",
           "123456789012345678901", "1e400", "", None, "+7", "0x10", "٣.٥"]
FLOAT = ["1.25", "1.35", "0.125", "2", "1e-5", "-0.001", "1e20", "3.14159", "1.2", "1.20", " 1.2\n", "1,2", "",
         None, "0.005", "0.015", "2.675", "1e16", "1e15", "123456789.123", "-1e-7"]
LIST = ["[1, 2, 3]", "[1,2,3]", "", None, " [1, 2, 3] "]


def record(rid, prediction, p):
    r = {"id": rid, "prediction": prediction, "question_type": p["question_type"], "answer_type": p["answer_type"]}
    if p["choices"]:
        r["options"] = list(p["choices"])
    r["answers"] = [p["answer"]]
    m = p["metadata"]
    r["category"] = m["category"]
    fields = {k: m[k] for k in ("language", "source", "task", "context", "grade")}
    fields["skills"] = ",".join(m["skills"])
    if p["precision"] is not None:
        fields["precision"] = int(p["precision"])
    r["fields"] = fields
    return r


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mathvista", default=os.environ.get("MATHVISTA_REPO"), required="MATHVISTA_REPO" not in os.environ,
                        help="(env MATHVISTA_REPO) checkout of lupantech/MathVista @ 53d5258")
    args = parser.parse_args()
    with open(os.path.join(args.mathvista, "data", "testmini.json"), encoding="utf-8") as f:
        problems = json.load(f)
    with open(os.path.join(args.mathvista, "results", "llava", "output_llava_llama_2_13b.json"), encoding="utf-8") as f:
        llava = json.load(f)
    records = []
    for pid, p in problems.items():
        records.append(record(f"llava/{pid}", llava[pid]["response"], p))
    for pid, p in problems.items():
        records.append(record(f"extraction/{pid}", llava[pid]["extraction"], p))
    by_kind = {}
    for pid, p in problems.items():
        kind = p["question_type"] if p["question_type"] == "multi_choice" else p["answer_type"]
        if kind == "float":
            kind = f"float{p['precision']}"
        by_kind.setdefault(kind, []).append(p)
    n = 0
    for kind, answers in (("multi_choice", MC), ("integer", INTEGER), ("float1", FLOAT), ("float2", FLOAT), ("list", LIST)):
        for k, prediction in enumerate(answers):
            p = by_kind[kind][k % len(by_kind[kind])]
            n += 1
            records.append(record(f"crafted/{n}", prediction, p))
        if kind == "multi_choice":
            for p in by_kind[kind][:6]:  # exact choice texts, changed case, a near miss
                for prediction in (p["choices"][-1], p["choices"][0].upper(), p["choices"][0][:-1]):
                    n += 1
                    records.append(record(f"crafted/{n}", prediction, p))
    path = os.path.join(common.FIXTURES, "mathvista.input.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {os.path.relpath(path)}: {len(records)} items")


if __name__ == "__main__":
    main()
