#!/usr/bin/env python3
"""Scores fixtures/multiple_choice.input.jsonl with VLMEvalKit and writes
fixtures/multiple_choice.vlmevalkit.expected.json.

Variant:
  vlmevalkit  open-compass/VLMEvalKit e8e78f0 vlmeval/dataset/utils/multiple_choice.py
              mcq_vanilla_eval(None, data, meta, 1, result_file, "MMStar") — the non-circular
              evaluation of ImageMCQDataset.evaluate_heuristic (AI2D_TEST, MMStar, RealWorldQA)
              in exact-matching mode (no judge model) — then report_acc. Rows carry index, the
              question, the options as columns A, B, ... (NaN where an item has fewer), the
              prediction as evaluate_heuristic passes it (str(x); "" for a missing one), category
              and l2-category; meta carries index and answer. The environment variable VERBOSE is
              unset. Per item: extract_answer_from_item(None, row)["opt"] (can_infer, or 'Z' when
              the rule reads nothing: the judge-less fallback), recorded as "extracted" ("" for
              that fallback, "Z" for a refusal or Z token, which can_infer itself returns), and
              the hit mcq_vanilla_eval records, checked to equal opt == answer.

Accuracies in percent (report_acc's hit rates x 100); `score` is report_acc's Overall.
n_missing = items without a prediction; n_unparsed = the other items whose can_infer result is not
one of the item's option letters.
"""

import argparse
import importlib
import math
import os
import sys
import tempfile
import types

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REF = ("open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/multiple_choice.py "
       "mcq_vanilla_eval(model=None) + report_acc")


def import_vlmevalkit(root):
    os.environ.pop("VERBOSE", None)
    for name, sub in [("vlmeval", ""), ("vlmeval.dataset", "dataset"),
                      ("vlmeval.dataset.utils", os.path.join("dataset", "utils"))]:
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(root, "vlmeval", sub)]
        sys.modules[name] = module
    sys.path.insert(0, root)
    return importlib.import_module("vlmeval.dataset.utils.multiple_choice")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vlmevalkit", default=os.environ.get("VLMEVALKIT_REPO"), required="VLMEVALKIT_REPO" not in os.environ,
                        help="(env VLMEVALKIT_REPO) checkout of open-compass/VLMEvalKit @ e8e78f0")
    args = parser.parse_args()
    mc = import_vlmevalkit(args.vlmevalkit)
    records = common.read_records("multiple_choice.input.jsonl")

    rows = []
    for index, r in enumerate(records, start=1):
        prediction = r.get("prediction")
        row = {"index": index, "question": "Which one?", "prediction": str(prediction) if prediction is not None else "",
               "category": r["category"], "l2-category": r["l2_category"]}
        for letter in "ABCDEF":
            row[letter] = float("nan")
        for letter, text in zip("ABCDEF", r["options"]):
            row[letter] = text
        rows.append(row)
    data = pd.DataFrame(rows)
    meta = pd.DataFrame({"index": [row["index"] for row in rows], "answer": [r["answer"] for r in records]})

    per_sample, n_unparsed, n_missing = [], 0, 0
    for i, r in enumerate(records):
        row = data.iloc[i].copy()
        row["GT"] = r["answer"]
        read = mc.can_infer(row["prediction"], mc.build_choices(row))
        opt = mc.extract_answer_from_item(None, row)["opt"]
        assert opt == (read if read else "Z")
        letters = "ABCDEF"[:len(r["options"])]
        if r.get("prediction") is None:
            n_missing += 1
        elif not read or read not in letters:
            n_unparsed += 1
        per_sample.append({"id": r["id"], "score": float(opt == r["answer"]), "extracted": read or ""})

    with tempfile.TemporaryDirectory() as tmp:
        scored = mc.mcq_vanilla_eval(None, data.copy(), meta, 1, os.path.join(tmp, "result.pkl"), "MMStar")
        report = mc.report_acc(scored)
    hits = dict(zip(scored["index"], scored["hit"]))
    for index, s in enumerate(per_sample, start=1):
        assert hits[index] == s["score"], (index, hits[index], s)

    def column(name):
        value = float(report[name][0])
        assert not math.isnan(value)
        return 100.0 * value

    categories = sorted({r["category"] for r in records})
    l2 = sorted({r["l2_category"] for r in records})
    aggregate = {"n": len(records), "n_missing": n_missing, "n_unparsed": n_unparsed, "score": column("Overall"),
                 "breakdown": {"category": {c: {"accuracy": column(c)} for c in categories},
                               "l2_category": {c: {"accuracy": column(c)} for c in l2}}}
    notes = ("per-sample score = mcq_vanilla_eval's hit; extracted = can_infer's letter ('' when it "
             "returns False, which exact matching turns into 'Z'); a missing prediction is given as ''")
    common.write_expected("multiple_choice.vlmevalkit.expected.json", reference=REF,
                          input_name="multiple_choice.input.jsonl", per_sample=per_sample,
                          aggregate=aggregate, notes=notes)


if __name__ == "__main__":
    main()
