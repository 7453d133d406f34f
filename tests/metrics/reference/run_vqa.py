#!/usr/bin/env python3
"""Scores fixtures/vqa.input.jsonl with the reference VQA accuracy code and writes
fixtures/vqa[.<variant>].expected.json.

Variants:
  official       GT-Vision-Lab/VQA a013f00 PythonEvaluationTools/vqaEvaluation/vqaEval.py
                 VQAEval.evaluate (--vqa-repo: a checkout of that commit)
  official-2017  the same file at a4f1afd (--vqa-repo: a checkout of that commit)
  lmms-eval      EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/tasks/vqav2/utils.py
                 vqav2_process_results (--lmms-eval: a checkout of that commit)
  lmms-eval-okvqa  the same checkout's lmms_eval/tasks/ok_vqa/utils.py ok_vqa_process_results
                 (the ok_vqa_val2014 task): answers as a list of strings, as the OK-VQA parquet
                 holds them

The official code is Python 2. It is run under Python 3 with two mechanical adaptations made in
memory here, never in the checkout: the two `print` statements are converted by lib2to3's
fix_print, and the instance regexes periodStrip and commaStrip are recompiled with re.ASCII so
that `\\d` matches [0-9] only, as it does under Python 2 (no re.UNICODE flag). Everything else
(str.lower/strip/split) runs with Python 3 str semantics.

vqa.py (the annotation/result loader) is not used: VQAEval only reads `vqa.qa`, `vqaRes.qa` and
`vqa.getQuesIds()`, which are built here from the input exactly as loadRes would (each answer
dict carries a distinct answer_id, as in the real annotations). loadRes asserts that every
question has a result; a missing prediction is therefore given the empty answer "", which is what
haotian-liu/LLaVA scripts/convert_vqav2_for_submission.py writes for an unanswered question.
"""

import argparse
import contextlib
import io
import os
import re
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def load_official(repo):
    from lib2to3 import refactor  # deprecated but present up to Python 3.12

    path = os.path.join(repo, "PythonEvaluationTools", "vqaEvaluation", "vqaEval.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    tool = refactor.RefactoringTool(["lib2to3.fixes.fix_print"])
    converted = str(tool.refactor_string(source, path))
    module = {"__name__": "vqaEval", "__file__": path}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "\d" in non-raw strings
        exec(compile(converted, path, "exec"), module)
    return module["VQAEval"]


class Annotations:
    """What VQAEval reads of vqa.VQA: `qa` (question id -> annotation) and getQuesIds()."""

    def __init__(self, qa):
        self.qa = qa

    def getQuesIds(self):
        return list(self.qa)


def run_official(args, records, variant):
    VQAEval = load_official(args.vqa_repo)
    gts, res = {}, {}
    for qid, r in enumerate(records):
        gts[qid] = {"question_id": qid, "image_id": 0,
                    "question_type": r.get("question_type", ""), "answer_type": r.get("answer_type", ""),
                    "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": i + 1}
                                for i, a in enumerate(r["answers"])]}
        res[qid] = {"question_id": qid, "answer": r.get("prediction") or ""}
    evaluator = VQAEval(Annotations(gts), Annotations(res), n=2)
    # Python 2 semantics of \d: the official runtime compiles these without re.UNICODE.
    evaluator.periodStrip = re.compile(evaluator.periodStrip.pattern, re.ASCII)
    evaluator.commaStrip = re.compile(evaluator.commaStrip.pattern, re.ASCII)

    # The normalised prediction, recomputed with the reference's own methods on a pristine copy
    # (evaluate() mutates the annotations), following the branch structure of evaluate().
    extracted = []
    for qid, r in enumerate(records):
        pred = res[qid]["answer"].replace("\n", " ").replace("\t", " ").strip()
        if variant == "official":
            answers = [a.replace("\n", " ").replace("\t", " ").strip() for a in r["answers"]]
            if len(set(answers)) > 1:
                pred = evaluator.processDigitArticle(evaluator.processPunctuation(pred))
        else:
            pred = evaluator.processDigitArticle(evaluator.processPunctuation(pred))
        extracted.append(pred)

    captured = {}
    set_accuracy = evaluator.setAccuracy

    def capture(accQA, accQuesType, accAnsType):
        captured.update(accQA=list(accQA), accQuesType=dict(accQuesType), accAnsType=dict(accAnsType))
        set_accuracy(accQA, accQuesType, accAnsType)

    evaluator.setAccuracy = capture
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()

    acc_qa = captured["accQA"]
    per_sample = [{"id": r["id"], "score": acc_qa[qid], "extracted": extracted[qid]}
                  for qid, r in enumerate(records)]

    def unrounded(values):  # setAccuracy's expression without round(., n)
        return 100 * float(sum(values)) / len(values)

    aggregate = {
        "accuracy": evaluator.accuracy,  # as the reference reports it: round(., 2)
        "unrounded": {
            "overall": unrounded(acc_qa),
            "perQuestionType": {k: unrounded(v) for k, v in captured["accQuesType"].items()},
            "perAnswerType": {k: unrounded(v) for k, v in captured["accAnsType"].items()},
        },
        "evalQA_rounded_per_sample": [evaluator.evalQA[qid] for qid in range(len(records))],
    }
    commit = {"official": "a013f00", "official-2017": "a4f1afd"}[variant]
    return per_sample, aggregate, (
        f"GT-Vision-Lab/VQA@{commit} PythonEvaluationTools/vqaEvaluation/vqaEval.py VQAEval.evaluate "
        "(Python 3 with print converted and \\d recompiled ASCII-only, as under Python 2)")


def run_lmms_eval(args, records):
    pkg = common.lmms_eval_package(args.lmms_eval)
    utils = common.load_module(os.path.join(pkg, "tasks", "vqav2", "utils.py"), "lmms_eval.tasks.vqav2.utils")
    metrics = common.load_module(os.path.join(pkg, "api", "metrics.py"), "lmms_eval.api.metrics")
    per_sample = []
    for qid, r in enumerate(records):
        doc = {"question_id": qid,
               "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": i + 1}
                           for i, a in enumerate(r["answers"])]}
        # lmms_eval/api/task.py ConfigurableTask.process_results: res.strip() if res is not None else ""
        pred = r.get("prediction")
        result = [pred.strip() if pred is not None else ""]
        out = utils.vqav2_process_results(doc, result)
        per_sample.append({"id": r["id"], "score": out["exact_match"], "extracted": out["submission"]["answer"]})
    aggregate = {"exact_match": metrics.mean([s["score"] for s in per_sample])}
    return per_sample, aggregate, (
        "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/vqav2/utils.py vqav2_process_results "
        "(prediction stripped, None -> '', as api/task.py process_results does), aggregated by "
        "api/metrics.py mean")


def run_lmms_eval_okvqa(args, records):
    pkg = common.lmms_eval_package(args.lmms_eval)
    utils = common.load_module(os.path.join(pkg, "tasks", "ok_vqa", "utils.py"), "lmms_eval.tasks.ok_vqa.utils")
    metrics = common.load_module(os.path.join(pkg, "api", "metrics.py"), "lmms_eval.api.metrics")
    per_sample = []
    for qid, r in enumerate(records):
        doc = {"question_id": qid, "answers": list(r["answers"])}
        pred = r.get("prediction")
        out = utils.ok_vqa_process_results(doc, [pred.strip() if pred is not None else ""])
        per_sample.append({"id": r["id"], "score": out["exact_match"], "extracted": out["submission"]["answer"]})
    aggregate = {"exact_match": metrics.mean([s["score"] for s in per_sample])}
    return per_sample, aggregate, (
        "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/ok_vqa/utils.py ok_vqa_process_results "
        "(prediction stripped, None -> '', as api/task.py process_results does), aggregated by "
        "api/metrics.py mean")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["official", "official-2017", "lmms-eval", "lmms-eval-okvqa"], default="official")
    parser.add_argument("--vqa-repo", default=os.environ.get("VQA_REPO"),
                        help="checkout of GT-Vision-Lab/VQA at the variant's commit")
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"),
                        help="checkout of EvolvingLMMs-Lab/lmms-eval")
    args = parser.parse_args()
    records = common.read_records("vqa.input.jsonl")
    if args.variant in ("lmms-eval", "lmms-eval-okvqa"):
        if not args.lmms_eval:
            parser.error("--lmms-eval (or LMMS_EVAL_REPO) is required")
        run = run_lmms_eval if args.variant == "lmms-eval" else run_lmms_eval_okvqa
        per_sample, aggregate, reference = run(args, records)
    else:
        if not args.vqa_repo:
            parser.error("--vqa-repo (or VQA_REPO) is required")
        per_sample, aggregate, reference = run_official(args, records, args.variant)
    suffix = "" if args.variant == "official" else f".{args.variant}"
    common.write_expected(f"vqa{suffix}.expected.json", reference=reference, input_name="vqa.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate,
                          notes="per-sample score in 0..1; a missing prediction is scored as ''")


if __name__ == "__main__":
    main()
