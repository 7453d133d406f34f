#!/usr/bin/env python3
"""Scores fixtures/mmbench.input.jsonl and writes fixtures/mmbench[.vlmevalkit].expected.json.

Items sharing a `group` are the circular copies of one question; the first item of a group (in
input order) is its main row, index g (groups numbered 1, 2, ... in order of first appearance), and
the n-th further item is index g + n * 1e6, as in the MMBench TSVs.

Variants:
  lmms-eval   EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/tasks/mmbench/mmbench_evals.py
              MMBench_Evaluator.eval_result(results, eval_method="static"), the aggregation of the
              mmbench_en_dev_static task. `results` are what en_utils.mmbench_process_results returns
              (key "gpt_eval_score") for a doc with the item's options as columns A, B, ... (absent
              ones become the "nan" placeholder there), hint "nan", split "dev", category and
              L2-category = the item's category, given the prediction as api/task.py passes it
              (res.strip() if res is not None else ""). Per copy: the letter eval_sub_data obtains
              (can_infer, then for an unresolved copy tasks/_task_utils/mcq_extract.py
              extract_mcq_answer with the sorted choice letters), "" when none; score 1 when it is
              the copy's gold letter. Per group: the value eval_sub_data returns (recorded by
              wrapping the evaluator's method), checked to be the minimum of its copies' scores.
  vlmevalkit  open-compass/VLMEvalKit e8e78f0 vlmeval/dataset/utils/multiple_choice.py
              mcq_circular_eval(model=None, ...) (exact-matching mode: prefetch_circular_group only;
              a group not settled by the rules scores 0), then report_acc. Rows carry the options as
              columns A, B, ... (NaN where a question has fewer), the prediction as given ("" when
              missing) and the category; the environment variable VERBOSE is unset. Per copy:
              prefetch_answer(row) (vlmeval/utils/matching_util.py can_infer), "" when it returns
              False.

Accuracies in percent (hit rates x 100); `score` is the overall circular accuracy.
"""

import argparse
import os
import sys
import tempfile
import types

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

LMMS_REF = ("EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/mmbench/mmbench_evals.py "
            "MMBench_Evaluator.eval_result(results, 'static')")
VLM_REF = ("open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/multiple_choice.py "
           "mcq_circular_eval(model=None) + report_acc")


def indices(records):
    """index of every record: group number + copy number * 1e6."""
    groups, out = {}, []
    for r in records:
        g = groups.setdefault(r["group"], [len(groups) + 1, 0])
        out.append(g[0] + g[1] * 1000000)
        g[1] += 1
    return out


def run_lmms_eval(root, records):
    pkg = common.lmms_eval_package(root)
    mmbench = types.ModuleType("lmms_eval.tasks.mmbench")
    mmbench.__path__ = [os.path.join(pkg, "tasks", "mmbench")]
    sys.modules["lmms_eval.tasks.mmbench"] = mmbench
    en_utils = common.load_module(os.path.join(pkg, "tasks", "mmbench", "en_utils.py"),
                                  "lmms_eval.tasks.mmbench.en_utils")
    mcq = common.load_module(os.path.join(pkg, "tasks", "_task_utils", "mcq_extract.py"),
                             "lmms_eval.tasks._task_utils.mcq_extract")
    evaluator = en_utils.mmbench_evaluator
    results = []
    for index, r in zip(indices(records), records):
        doc = {"index": index, "question": "Which one?", "answer": r["answer"], "hint": "nan", "source": "fixture",
               "split": "dev", "category": r.get("category", ""), "L2-category": r.get("category", "")}
        for letter, text in zip("ABCDE", r["options"]):
            doc[letter] = text
        pred = r.get("prediction")
        results.append(en_utils.mmbench_process_results(doc, [pred.strip() if pred is not None else ""])["gpt_eval_score"])

    per_sample = []
    for r, res in zip(records, results):
        choices = evaluator.build_choices(res)
        letter = evaluator.can_infer(res["prediction"], dict(choices))
        if not letter:
            letter = mcq.extract_mcq_answer(res["prediction"], choices=sorted(choices.keys()))
        per_sample.append({"id": r["id"], "score": float(bool(letter) and letter == res["answer"]),
                           "extracted": letter or ""})

    hits = {}
    eval_sub_data = evaluator.eval_sub_data

    def recording(sub_data, answer_map, static_only=False):
        ret = eval_sub_data(sub_data, answer_map, static_only=static_only)
        hits[int(sub_data.iloc[0]["index"]) % 1000000] = ret
        return ret

    evaluator.eval_sub_data = recording
    overall, category, _l2 = evaluator.eval_result(results, eval_method="static")
    by_group = {}
    for index, s in zip(indices(records), per_sample):
        by_group.setdefault(index % 1000000, []).append(s["score"])
    assert all(hits[g] == min(scores) for g, scores in by_group.items())
    aggregate = {"n": len(records), "score": 100.0 * overall, "metrics": {"groups": len(by_group)},
                 "breakdown": {"category": {c: {"accuracy": 100.0 * v} for c, v in category.items() if c}}}
    return per_sample, aggregate


def run_vlmevalkit(root, records):
    os.environ.pop("VERBOSE", None)
    for name, sub in [("vlmeval", ""), ("vlmeval.dataset", "dataset"), ("vlmeval.dataset.utils", os.path.join("dataset", "utils"))]:
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(root, "vlmeval", sub)]
        sys.modules[name] = module
    sys.path.insert(0, root)
    import importlib
    mc = importlib.import_module("vlmeval.dataset.utils.multiple_choice")

    rows = []
    for index, r in zip(indices(records), records):
        row = {"index": index, "prediction": r.get("prediction") or "", "category": r.get("category", "")}
        for letter, text in zip("ABCDEFGH", r["options"]):
            row[letter] = text
        rows.append(row)
    data = pd.DataFrame(rows)
    meta = pd.DataFrame({"index": [row["index"] for row in rows], "answer": [r["answer"] for r in records]})

    per_sample = []
    for i, r in enumerate(records):
        letter = mc.prefetch_answer(data.iloc[i])
        per_sample.append({"id": r["id"], "score": float(bool(letter) and letter == r["answer"]),
                           "extracted": letter or ""})

    with tempfile.TemporaryDirectory() as tmp:
        data_main = mc.mcq_circular_eval(None, data.copy(), meta, 1, os.path.join(tmp, "result.pkl"), "MMBench_DEV_EN")
        report = mc.report_acc(data_main)
    hits = dict(zip(data_main["index"], data_main["hit"]))
    by_group = {}
    for index, s in zip(indices(records), per_sample):
        by_group.setdefault(index % 1000000, []).append(s["score"])
    assert all(hits[g] == min(scores) for g, scores in by_group.items())
    categories = sorted({r.get("category", "") for r in records} - {""})
    aggregate = {"n": len(records), "score": 100.0 * float(report["Overall"][0]),
                 "metrics": {"groups": len(by_group)},
                 "breakdown": {"category": {c: {"accuracy": 100.0 * float(report[c][0])} for c in categories}}}
    return per_sample, aggregate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"), required="LMMS_EVAL_REPO" not in os.environ,
                        help="(env LMMS_EVAL_REPO) checkout of EvolvingLMMs-Lab/lmms-eval @ 75571cf")
    parser.add_argument("--vlmevalkit", default=os.environ.get("VLMEVALKIT_REPO"), required="VLMEVALKIT_REPO" not in os.environ,
                        help="(env VLMEVALKIT_REPO) checkout of open-compass/VLMEvalKit @ e8e78f0")
    args = parser.parse_args()
    records = common.read_records("mmbench.input.jsonl")
    notes = ("per-sample score 1 when the copy's extracted letter is its gold letter; score = circular "
             "accuracy over groups in percent")
    per_sample, aggregate = run_lmms_eval(args.lmms_eval, records)
    common.write_expected("mmbench.expected.json", reference=LMMS_REF, input_name="mmbench.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate, notes=notes)
    per_sample, aggregate = run_vlmevalkit(args.vlmevalkit, records)
    common.write_expected("mmbench.vlmevalkit.expected.json", reference=VLM_REF, input_name="mmbench.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate, notes=notes)


if __name__ == "__main__":
    main()
