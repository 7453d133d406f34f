#!/usr/bin/env python3
"""Scores fixtures/ocrbench.input.jsonl and writes fixtures/ocrbench[.lmms-eval].expected.json.

Variants:
  official   Yuliang-Liu/MultimodalOCR 794c36d OCRBench/example.py. The scoring is inline in the
             script's __main__ (after the model has answered); the runner parses the file with `ast`
             and executes those statements unchanged — from the loop that sets data[i]['result']
             to the end — on `data` built here: one dict per item with the original OCRBench.json
             keys (dataset_name, type, answers: a string when the item has one gold, else the
             list) and 'predict' only when there is a prediction (the script skips items without
             one). `save_json` and `args` are stubbed (nothing is written). With exactly 1,000 items
             the script prints its totals, which are parsed into the aggregate; the per-sample
             score is data[i]['result'] (absent = 0).
  lmms-eval  EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/tasks/ocrbench/utils.py:
             ocrbench_process_results(doc, [pred]) with pred = res.strip() if res is not None else ""
             (api/task.py), then ocrbench_aggregate_accuracy (its report file goes to a temporary
             directory), whose Final_score / 1000 is the value it returns.

  python3 tests/metrics/reference/run_ocrbench.py --ocr $REFS/MultimodalOCR-794c36d --lmms-eval $REFS/lmms-eval-75571cf
"""

import argparse
import ast
import contextlib
import io
import os
import re
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OFFICIAL_REF = "Yuliang-Liu/MultimodalOCR@794c36d OCRBench/example.py (scoring block of __main__)"
LMMS_REF = ("EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/ocrbench/utils.py "
            "ocrbench_process_results + ocrbench_aggregate_accuracy")

TYPES = ["Regular Text Recognition", "Irregular Text Recognition", "Artistic Text Recognition",
         "Handwriting Recognition", "Digit String Recognition", "Non-Semantic Text Recognition",
         "Scene Text-centric VQA", "Doc-oriented VQA", "Key Information Extraction",
         "Handwritten Mathematical Expression Recognition"]


def official_scoring_block(path):
    """The module-level score dicts and the statements of __main__ from the scoring loop on."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    prelude = [n for n in tree.body if isinstance(n, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id in ("OCRBench_score", "AllDataset_score", "num_all")
                       for t in n.targets)]
    main = next(n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test))
    start = next(k for k, n in enumerate(main.body)
                 if isinstance(n, ast.For) and "dataset_name" in ast.unparse(n))
    module = ast.Module(body=prelude + main.body[start:], type_ignores=[])
    return compile(module, path, "exec")


def aggregate_of(per_sample, records, totals):
    by_type, by_dataset = {}, {}
    for s, r in zip(per_sample, records):
        for key, table in ((r["category"], by_type), (r["subtask"], by_dataset)):
            n, p = table.get(key, (0, 0))
            table[key] = (n + 1, p + s["score"])
    return {"n": len(records), "score": totals["final"],
            "metrics": {"text_recognition": totals["recognition"]},
            "breakdown": {"category": {k: {"n": n, "points": p} for k, (n, p) in by_type.items()},
                          "subtask": {k: {"n": n, "points": p} for k, (n, p) in by_dataset.items()}}}


def run_official(root, records):
    code = official_scoring_block(os.path.join(root, "OCRBench", "example.py"))
    data = []
    for r in records:
        d = {"dataset_name": r["subtask"], "type": r["category"],
             "answers": r["answers"][0] if len(r["answers"]) == 1 else list(r["answers"])}
        if r.get("prediction") is not None:
            d["predict"] = r["prediction"]
        data.append(d)
    scope = {"data": data, "os": os, "save_json": lambda *a, **k: None,
             "args": types.SimpleNamespace(output_folder="", save_name="x")}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, scope)
    printed = out.getvalue()
    per_type = {t: int(v) for t, v in re.findall(r"^(.+?)\(Total \d+\): ?(\d+)$", printed, re.M)}
    per_sample = [{"id": r["id"], "score": float(d.get("result", 0))} for r, d in zip(records, data)]
    totals = {"final": float(per_type.pop("Final Score")), "recognition": float(per_type.pop("Text Recognition"))}
    aggregate = aggregate_of(per_sample, records, totals)
    for t, v in per_type.items():  # every type the script prints agrees with the per-sample results
        assert aggregate["breakdown"]["category"][t]["points"] == v, t
    aggregate["printed"] = printed
    return per_sample, aggregate


def run_lmms_eval(root, records):
    pkg = common.lmms_eval_package(root)
    file_utils = types.ModuleType("lmms_eval.tasks._task_utils.file_utils")
    tmp = tempfile.mkdtemp()
    file_utils.generate_submission_file = lambda name, args, subpath=None: os.path.join(tmp, name)
    sys.modules["lmms_eval.tasks._task_utils.file_utils"] = file_utils
    utils = common.load_module(os.path.join(pkg, "tasks", "ocrbench", "utils.py"), "lmms_eval.tasks.ocrbench.utils")
    results, per_sample = [], []
    for r in records:
        pred = r.get("prediction")
        pred = pred.strip() if pred is not None else ""
        doc = {"dataset": r["subtask"], "question_type": r["category"],
               "answer": r["answers"][0] if len(r["answers"]) == 1 else list(r["answers"])}
        res = utils.ocrbench_process_results(doc, [pred])["ocrbench_accuracy"]
        results.append(res)
        per_sample.append({"id": r["id"], "score": float(res["score"])})
    accuracy = utils.ocrbench_aggregate_accuracy(results, None)
    with open(os.path.join(tmp, "ocrbench_results.txt"), encoding="utf-8") as f:
        printed = f.read()
    recognition = float(re.search(r"^Text Recognition\(Total 300\): (\d+)$", printed, re.M).group(1))
    aggregate = aggregate_of(per_sample, records, {"final": accuracy * 1000, "recognition": recognition})
    aggregate["printed"] = printed
    return per_sample, aggregate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ocr", default=os.environ.get("OCRBENCH_REPO"), required="OCRBENCH_REPO" not in os.environ,
                        help="(env OCRBENCH_REPO) checkout of Yuliang-Liu/MultimodalOCR @ 794c36d")
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"), required="LMMS_EVAL_REPO" not in os.environ,
                        help="(env LMMS_EVAL_REPO) checkout of EvolvingLMMs-Lab/lmms-eval @ 75571cf")
    args = parser.parse_args()
    records = common.read_records("ocrbench.input.jsonl")
    for name, run, root, ref in [("ocrbench.expected.json", run_official, args.ocr, OFFICIAL_REF),
                                 ("ocrbench.lmms-eval.expected.json", run_lmms_eval, args.lmms_eval, LMMS_REF)]:
        per_sample, aggregate = run(root, records)
        printed = aggregate.pop("printed")
        common.write_expected(name, reference=ref, input_name="ocrbench.input.jsonl", per_sample=per_sample,
                              aggregate=aggregate, notes="per-sample score 0 or 1; score = points out of 1,000. "
                              "The reference's own report:\n" + printed)


if __name__ == "__main__":
    main()
