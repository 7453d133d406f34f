#!/usr/bin/env python3
"""Scores fixtures/gqa.input.jsonl and writes fixtures/gqa[.lmms-eval].expected.json.

Variants:
  llava      haotian-liu/LLaVA c121f04 scripts/convert_gqa_for_eval.py, run as a script on an
             answers JSONL written here (--llava); its output predictions are then scored with the
             rule of the official GQA eval.py (`toScore(predicted == gold)`, averaged), which is
             distributed with the dataset and not in any of the checkouts. A missing prediction is
             written as text "" (eval.py raises on a question without a prediction).
  lmms-eval  EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/api/metrics.py exact_match_hf_evaluate
             with the options of lmms_eval/tasks/gqa/gqa.yaml (ignore_case, ignore_punctuation),
             fed the prediction as api/task.py does (res.strip() if res is not None else "").
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def run_llava(root, records):
    script = os.path.join(root, "scripts", "convert_gqa_for_eval.py")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "answers.jsonl"), os.path.join(tmp, "testdev_balanced_predictions.json")
        with open(src, "w", encoding="utf-8") as f:
            for i, r in enumerate(records):
                text = r.get("prediction") if r.get("prediction") is not None else ""
                f.write(json.dumps({"question_id": str(i), "text": text}, ensure_ascii=False) + "\n")
        subprocess.run([sys.executable, script, "--src", src, "--dst", dst], check=True)
        with open(dst, encoding="utf-8") as f:
            predictions = {p["questionId"]: p["prediction"] for p in json.load(f)}
    per_sample = []
    for i, r in enumerate(records):
        predicted = predictions[str(i)]
        per_sample.append({"id": r["id"], "score": float(1 if predicted == r["answer"] else 0),
                           "extracted": predicted})
    scores = [s["score"] for s in per_sample]
    aggregate = {"accuracy": float(sum(scores)) / len(scores)}  # eval.py avg()
    return per_sample, aggregate, (
        "haotian-liu/LLaVA@c121f04 scripts/convert_gqa_for_eval.py, then GQA eval.py "
        "toScore(predicted == gold)")


def run_lmms_eval(root, records):
    pkg = common.lmms_eval_package(root)
    metrics = common.load_module(os.path.join(pkg, "api", "metrics.py"), "lmms_eval.api.metrics")
    per_sample = []
    for r in records:
        pred = r.get("prediction")
        result = [pred.strip() if pred is not None else ""]
        score = metrics.exact_match_hf_evaluate(predictions=result, references=[r["answer"]],
                                                ignore_case=True, ignore_punctuation=True)["exact_match"]
        per_sample.append({"id": r["id"], "score": float(score)})
    aggregate = {"exact_match": metrics.mean([s["score"] for s in per_sample])}
    return per_sample, aggregate, (
        "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/api/metrics.py exact_match_hf_evaluate "
        "(ignore_case, ignore_punctuation; prediction stripped as api/task.py does)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["llava", "lmms-eval"], default="llava")
    parser.add_argument("--llava", default=os.environ.get("LLAVA_REPO"))
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"))
    args = parser.parse_args()
    records = common.read_records("gqa.input.jsonl")
    if args.variant == "llava":
        if not args.llava:
            parser.error("--llava (or LLAVA_REPO) is required")
        per_sample, aggregate, reference = run_llava(args.llava, records)
    else:
        if not args.lmms_eval:
            parser.error("--lmms-eval (or LMMS_EVAL_REPO) is required")
        per_sample, aggregate, reference = run_lmms_eval(args.lmms_eval, records)
    suffix = "" if args.variant == "llava" else f".{args.variant}"
    common.write_expected(f"gqa{suffix}.expected.json", reference=reference, input_name="gqa.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate,
                          notes="per-sample score 0 or 1, aggregate in 0..1; a missing prediction is scored as ''")


if __name__ == "__main__":
    main()
