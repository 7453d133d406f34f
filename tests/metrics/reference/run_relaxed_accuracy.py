#!/usr/bin/env python3
"""Scores fixtures/relaxed_accuracy.input.jsonl with EvolvingLMMs-Lab/lmms-eval 75571cf
lmms_eval/tasks/chartqa/utils.py chartqa_process_results (which calls relaxed_correctness) and
writes fixtures/relaxed_accuracy[.lmms-eval-stripped].expected.json.

Variants:
  lmms-eval           the prediction is passed to chartqa_process_results unchanged (a missing
                      one as "").
  lmms-eval-stripped  the prediction is first stripped, as lmms_eval/api/task.py
                      ConfigurableTask.process_results does at 75571cf (and since v0.2.0) before
                      calling a task's process_results: res.strip() if res is not None else "".

The input's `category` plays the role of the doc's `type` (human_test / augmented_test).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["lmms-eval", "lmms-eval-stripped"], default="lmms-eval")
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"))
    args = parser.parse_args()
    if not args.lmms_eval:
        parser.error("--lmms-eval (or LMMS_EVAL_REPO) is required")
    pkg = common.lmms_eval_package(args.lmms_eval)
    utils = common.load_module(os.path.join(pkg, "tasks", "chartqa", "utils.py"), "lmms_eval.tasks.chartqa.utils")
    metrics = common.load_module(os.path.join(pkg, "api", "metrics.py"), "lmms_eval.api.metrics")
    records = common.read_records("relaxed_accuracy.input.jsonl")
    per_sample, splits = [], {}
    for r in records:
        pred = r.get("prediction")
        if args.variant == "lmms-eval-stripped":
            pred = pred.strip() if pred is not None else ""
        elif pred is None:
            pred = ""
        out = utils.chartqa_process_results({"type": r.get("category", ""), "answer": r["answer"]}, [pred])
        per_sample.append({"id": r["id"], "score": out["relaxed_overall"]})
        for key in ("relaxed_human_split", "relaxed_augmented_split"):
            if key in out:
                splits.setdefault(key, []).append(out[key])
    aggregate = {"relaxed_overall": metrics.mean([s["score"] for s in per_sample])}
    aggregate.update({k: metrics.mean(v) for k, v in splits.items()})
    suffix = "" if args.variant == "lmms-eval" else f".{args.variant}"
    stripped = " (prediction stripped as api/task.py process_results)" if suffix else " (prediction unstripped)"
    common.write_expected(
        f"relaxed_accuracy{suffix}.expected.json",
        reference="EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/chartqa/utils.py "
                  "chartqa_process_results -> relaxed_correctness" + stripped,
        input_name="relaxed_accuracy.input.jsonl", per_sample=per_sample, aggregate=aggregate,
        notes="per-sample score 0 or 1, aggregates in 0..1 (mean); relaxed_human_split = category "
              "human_test, relaxed_augmented_split = every other category")


if __name__ == "__main__":
    main()
