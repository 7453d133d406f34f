#!/usr/bin/env python3
"""Scores fixtures/seedbench.input.jsonl and writes fixtures/seedbench[.lmms-eval].expected.json.

Variants:
  llava      haotian-liu/LLaVA c121f04 scripts/convert_seed_for_submission.py eval_single(result_file),
             with the module globals its __main__ sets (`data`, `ques_type_id_to_name`) given here:
             data["questions"] holds one question per item ({"question_id": id, "answer": gold,
             "data_type": "image", "question_type_id": k}) and the result file one line
             {"question_id": id, "text": prediction} per item with a prediction (a missing one gets no
             line, which eval_single counts as wrong). For the per-sample results each item is its own
             question type k, next to an always-right companion question of that type, so the
             accuracy eval_single prints for type k is 100.00 % or 50.00 %; the overall accuracy is
             total_correct / total_count * 100 over the items, as eval_single computes it, checked
             against what eval_single prints (2 decimals) for all items as one question type.
  lmms-eval  EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/tasks/seedbench/utils.py seed_process_result
             on the prediction as api/task.py passes it (res.strip() if res is not None else ""),
             then seed_aggregation_result over each item alone (per sample) and over all items.

Accuracies are in percent.
"""

import argparse
import contextlib
import io
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

LLAVA_REF = "haotian-liu/LLaVA@c121f04 scripts/convert_seed_for_submission.py eval_single"
LMMS_REF = ("EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/seedbench/utils.py seed_process_result + "
            "seed_aggregation_result")


def run_llava(root, records):
    module = common.load_module(os.path.join(root, "scripts", "convert_seed_for_submission.py"),
                                "llava_convert_seed")

    def eval_single(questions, rows):
        module.data = {"questions": questions}
        module.ques_type_id_to_name = {q["question_type_id"]: f"type{q['question_type_id']}" for q in questions}
        with tempfile.TemporaryDirectory() as tmp:
            result_file = os.path.join(tmp, "merge.jsonl")
            with open(result_file, "w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                module.eval_single(result_file)
        return dict(re.findall(r"^(type\d+|Total accuracy): ([0-9.]+)%$", out.getvalue(), re.M))

    rows = [{"question_id": r["id"], "text": r["prediction"]} for r in records if r.get("prediction") is not None]
    # Per sample: item k is question type k, next to an always-right companion question (eval_single
    # raises KeyError for a type with no right and no missing answer), so type k prints 100.00 % or
    # 50.00 %.
    questions = []
    for k, r in enumerate(records):
        questions.append({"question_id": r["id"], "answer": r["answer"], "data_type": "image", "question_type_id": k})
        questions.append({"question_id": f"companion{k}", "answer": "A", "data_type": "image", "question_type_id": k})
    printed = eval_single(questions, rows + [{"question_id": f"companion{k}", "text": "A"} for k in range(len(records))])
    per_sample = []
    for k, r in enumerate(records):
        value = printed[f"type{k}"]
        assert value in ("100.00", "50.00")
        per_sample.append({"id": r["id"], "score": 1.0 if value == "100.00" else 0.0})
    total = sum(s["score"] for s in per_sample) / len(per_sample) * 100
    # The whole set as one question type: the overall accuracy eval_single prints (2 decimals).
    printed = eval_single([{"question_id": r["id"], "answer": r["answer"], "data_type": "image",
                            "question_type_id": 0} for r in records], rows)
    assert f"{total:.2f}" == printed["Total accuracy"] == printed["type0"]
    return per_sample, {"n": len(records), "score": total}


def run_lmms_eval(root, records):
    pkg = common.lmms_eval_package(root)
    utils = common.load_module(os.path.join(pkg, "tasks", "seedbench", "utils.py"),
                               "lmms_eval.tasks.seedbench.utils")
    results = []
    for r in records:
        pred = r.get("prediction")
        result = [pred.strip() if pred is not None else ""]
        doc = {"question_id": r["id"], "answer": r["answer"], "data_type": "image"}
        results.append(utils.seed_process_result(doc, result)["seed_all"])
    per_sample = [{"id": r["id"], "score": float(utils.seed_aggregation_result([res])), "extracted": res["pred"]}
                  for r, res in zip(records, results)]
    return per_sample, {"n": len(records), "score": 100.0 * utils.seed_aggregation_result(results)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llava", default=os.environ.get("LLAVA_REPO"), required="LLAVA_REPO" not in os.environ,
                        help="(env LLAVA_REPO) checkout of haotian-liu/LLaVA @ c121f04")
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"), required="LMMS_EVAL_REPO" not in os.environ,
                        help="(env LMMS_EVAL_REPO) checkout of EvolvingLMMs-Lab/lmms-eval @ 75571cf")
    args = parser.parse_args()
    records = common.read_records("seedbench.input.jsonl")
    for name, run, root, ref in [("seedbench.expected.json", run_llava, args.llava, LLAVA_REF),
                                 ("seedbench.lmms-eval.expected.json", run_lmms_eval, args.lmms_eval, LMMS_REF)]:
        per_sample, aggregate = run(root, records)
        common.write_expected(name, reference=ref, input_name="seedbench.input.jsonl", per_sample=per_sample,
                              aggregate=aggregate, notes="per-sample score 0 or 1; accuracy in percent")


if __name__ == "__main__":
    main()
