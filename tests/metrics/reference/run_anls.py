#!/usr/bin/env python3
"""Scores fixtures/anls.input.jsonl with the reference ANLS code and writes
fixtures/anls[.official].expected.json.

Variants:
  lmms-eval  EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/api/metrics.py anls (--lmms-eval), fed
             the prediction as api/task.py ConfigurableTask.process_results feeds it:
             res.strip() if res is not None else "".
  official   the RRC/DocVQA evaluation script, copy in QwenLM/Qwen-VL eval_mm/infographicsvqa_eval.py
             (--qwen-vl): validate_data + evaluate_method on a ground-truth file and a submission
             file written here; the prediction is passed unchanged (a missing one as "", since
             validate_data rejects a submission without it).
"""

import argparse
import json
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def run_lmms_eval(root, records):
    pkg = common.lmms_eval_package(root)
    metrics = common.load_module(os.path.join(pkg, "api", "metrics.py"), "lmms_eval.api.metrics")
    per_sample = []
    for r in records:
        pred = r.get("prediction")
        pred = pred.strip() if pred is not None else ""
        score = metrics.anls(references=r["answers"], predictions=[pred])["anls"]
        per_sample.append({"id": r["id"], "score": score,
                           # the prediction as anls() normalises it (metrics.py line: det_answer)
                           "extracted": " ".join(pred.strip().lower().split())})
    aggregate = {"anls": metrics.mean([s["score"] for s in per_sample])}
    return per_sample, aggregate, (
        "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/api/metrics.py anls (stripped prediction, "
        "as api/task.py process_results), aggregated by api/metrics.py mean")


def run_official(root, records):
    script = common.load_module(os.path.join(root, "eval_mm", "infographicsvqa_eval.py"), "infographicsvqa_eval")
    gt = {"dataset_name": "lmmbench-fixture",
          "data": [{"questionId": i, "question": "", "answers": r["answers"]} for i, r in enumerate(records)]}
    subm = [{"questionId": i, "answer": r.get("prediction") if r.get("prediction") is not None else ""}
            for i, r in enumerate(records)]
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, subm_path = os.path.join(tmp, "gt.json"), os.path.join(tmp, "subm.json")
        with open(gt_path, "w", encoding="utf-8") as f:
            json.dump(gt, f, ensure_ascii=False)
        with open(subm_path, "w", encoding="utf-8") as f:
            json.dump(subm, f, ensure_ascii=False)
        script.validate_data(gt_path, subm_path)
        params = types.SimpleNamespace(anls_threshold=0.5, answer_types=False)
        result = script.evaluate_method(gt_path, subm_path, params)
    per_sample = []
    for i, r in enumerate(records):
        det = subm[i]["answer"]
        per_sample.append({"id": r["id"], "score": result["per_sample_result"][str(i)]["score"],
                           "extracted": " ".join(det.strip().lower().split())})
    aggregate = {"score": result["result"]["score"]}
    return per_sample, aggregate, (
        "QwenLM/Qwen-VL@aa00ed0 eval_mm/infographicsvqa_eval.py evaluate_method (RRC/DocVQA script; "
        "unstripped prediction)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["lmms-eval", "official"], default="lmms-eval")
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"))
    parser.add_argument("--qwen-vl", default=os.environ.get("QWEN_VL_REPO"))
    args = parser.parse_args()
    records = common.read_records("anls.input.jsonl")
    if args.variant == "lmms-eval":
        if not args.lmms_eval:
            parser.error("--lmms-eval (or LMMS_EVAL_REPO) is required")
        per_sample, aggregate, reference = run_lmms_eval(args.lmms_eval, records)
    else:
        if not args.qwen_vl:
            parser.error("--qwen-vl (or QWEN_VL_REPO) is required")
        per_sample, aggregate, reference = run_official(args.qwen_vl, records)
    suffix = "" if args.variant == "lmms-eval" else f".{args.variant}"
    common.write_expected(f"anls{suffix}.expected.json", reference=reference, input_name="anls.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate,
                          notes="per-sample ANLS in 0..1, aggregate in 0..1; extracted = the prediction "
                                "after the reference's ' '.join(s.strip().lower().split())")


if __name__ == "__main__":
    main()
