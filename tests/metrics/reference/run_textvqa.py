#!/usr/bin/env python3
"""Scores fixtures/textvqa.input.jsonl with haotian-liu/LLaVA c121f04
llava/eval/m4c_evaluator.py TextVQAAccuracyEvaluator.eval_pred_list and writes
fixtures/textvqa.expected.json.

eval_textvqa.py (which pairs result lines with annotations through the prompt text) is not used:
pred_list is built here directly as it builds it, {"pred_answer": text, "gt_answers": answers}.
eval_textvqa.py only scores the questions that have a result line; lmmbench scores every input
line and gives a missing prediction the empty answer "" (see README).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

os.environ.setdefault("TQDM_DISABLE", "1")  # one progress bar per scored entry otherwise


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llava", default=os.environ.get("LLAVA_REPO"), help="checkout of haotian-liu/LLaVA")
    args = parser.parse_args()
    if not args.llava:
        parser.error("--llava (or LLAVA_REPO) is required")
    m4c = common.load_module(os.path.join(args.llava, "llava", "eval", "m4c_evaluator.py"), "m4c_evaluator")
    evaluator = m4c.TextVQAAccuracyEvaluator()
    records = common.read_records("textvqa.input.jsonl")
    pred_list = [{"pred_answer": r.get("prediction") or "", "gt_answers": r["answers"]} for r in records]
    per_sample = []
    for r, entry in zip(records, pred_list):
        # eval_pred_list over one entry is that entry's score (sum of one / 1).
        per_sample.append({"id": r["id"], "score": evaluator.eval_pred_list([entry]),
                           "extracted": evaluator.answer_processor(entry["pred_answer"])})
    aggregate = {"accuracy": evaluator.eval_pred_list(pred_list)}
    categories = sorted({r.get("category", "") for r in records} - {""})
    aggregate["category"] = {
        c: evaluator.eval_pred_list([e for r, e in zip(records, pred_list) if r.get("category") == c])
        for c in categories}
    common.write_expected(
        "textvqa.expected.json",
        reference="haotian-liu/LLaVA@c121f04 llava/eval/m4c_evaluator.py TextVQAAccuracyEvaluator.eval_pred_list",
        input_name="textvqa.input.jsonl", per_sample=per_sample, aggregate=aggregate,
        notes="per-sample score in 0..1; aggregate accuracy in 0..1 (eval_textvqa.py prints it x100); "
              "category = eval_pred_list over that category's entries; a missing prediction is scored as ''")


if __name__ == "__main__":
    main()
