#!/usr/bin/env python3
"""Scores fixtures/pope.input.jsonl and writes fixtures/pope[.lmms-eval].expected.json.

Variants:
  llava      haotian-liu/LLaVA c121f04 llava/eval/eval_pope.py eval_pope(answers, label_file), called
             once per split (items whose `category` is that split, in input order, with a label file
             holding their labels in the same order, as eval_pope pairs answers and labels by
             position) and once over all items (`all`). Per-sample results are the answers' 'text',
             which eval_pope overwrites with 'yes'/'no'; the aggregates are the values it prints
             (str(float) round-trips exactly). A missing prediction is passed as text "" (LLaVA's
             answer files always hold a text); a ZeroDivisionError of eval_pope is recorded as null.
  lmms-eval  EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/tasks/pope/utils.py pope_process_results
             on the prediction as api/task.py passes it (res.strip() if res is not None else ""),
             then pope_aggregate_{accuracy,precision,recall,f1_score,yes_ratio} per split (the
             pope_adv / pope_pop / pope_random tasks) and over all items (the merged `pope` task).

The aggregate is written in lmmbench's units: every ratio x 100 (percent); `score` is the mean F1 of
the splits present (sorted by name), the number the LLaVA-1.5 paper reports.
"""

import argparse
import contextlib
import io
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

LLAVA_REF = "haotian-liu/LLaVA@c121f04 llava/eval/eval_pope.py eval_pope"
LMMS_REF = ("EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/pope/utils.py pope_process_results + "
            "pope_aggregate_{accuracy,precision,recall,f1_score,yes_ratio}")


def splits_of(records):
    names = sorted({r["category"] for r in records if r.get("category")})
    return {name: [i for i, r in enumerate(records) if r.get("category") == name] for name in names}


def run_llava(root, records):
    module = common.load_module(os.path.join(root, "llava", "eval", "eval_pope.py"), "llava_eval_pope")

    def evaluate(indices, tmp):
        label_file = os.path.join(tmp, "labels.json")
        with open(label_file, "w", encoding="utf-8") as f:
            for i in indices:
                f.write(json.dumps({"question_id": i, "label": records[i]["label"]}) + "\n")
        answers = [{"question_id": i, "text": records[i].get("prediction") or ""} for i in indices]
        out = io.StringIO()
        values = {}
        try:
            with contextlib.redirect_stdout(out):
                module.eval_pope(answers, label_file)
        except ZeroDivisionError:
            pass
        printed = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
        for key, name in [("Accuracy", "accuracy"), ("Precision", "precision"), ("Recall", "recall"),
                          ("F1 score", "f1"), ("Yes ratio", "yes_ratio")]:
            values[name] = 100.0 * float(printed[key]) if key in printed else None
        return [a["text"] for a in answers], values

    per_sample = [None] * len(records)
    metrics = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, indices in splits_of(records).items():
            texts, metrics[name] = evaluate(indices, tmp)
            for i, text in zip(indices, texts):
                per_sample[i] = text
        texts, metrics["all"] = evaluate(list(range(len(records))), tmp)
        for i, text in enumerate(texts):
            assert per_sample[i] in (None, text)
            per_sample[i] = text
    return [{"id": r["id"], "score": float(t == r["label"]), "extracted": t}
            for r, t in zip(records, per_sample)], metrics


def run_lmms_eval(root, records):
    pkg = common.lmms_eval_package(root)
    utils = common.load_module(os.path.join(pkg, "tasks", "pope", "utils.py"), "lmms_eval.tasks.pope.utils")
    results = []
    for i, r in enumerate(records):
        pred = r.get("prediction")
        result = [pred.strip() if pred is not None else ""]
        results.append(utils.pope_process_results({"question_id": i, "answer": r["label"]}, result))

    def aggregate(indices):
        out = {}
        for fn, name in [("accuracy", "accuracy"), ("precision", "precision"), ("recall", "recall"),
                         ("f1_score", "f1"), ("yes_ratio", "yes_ratio")]:
            per_item = [results[i][f"pope_{fn}"] for i in indices]
            out[name] = 100.0 * getattr(utils, f"pope_aggregate_{fn}")(per_item)
        return out

    metrics = {name: aggregate(indices) for name, indices in splits_of(records).items()}
    metrics["all"] = aggregate(range(len(records)))
    per_sample = [{"id": r["id"], "score": float(res["pope_accuracy"]["score"]),
                   "extracted": res["pope_accuracy"]["prediction"]} for r, res in zip(records, results)]
    return per_sample, metrics


def score_of(metrics):
    f1 = [metrics[name]["f1"] for name in sorted(metrics) if name != "all"]
    if not f1:
        return metrics["all"]["f1"]
    if any(v is None for v in f1):
        return None
    return sum(f1) / len(f1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llava", default=os.environ.get("LLAVA_REPO"), required="LLAVA_REPO" not in os.environ,
                        help="(env LLAVA_REPO) checkout of haotian-liu/LLaVA @ c121f04")
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"), required="LMMS_EVAL_REPO" not in os.environ,
                        help="(env LMMS_EVAL_REPO) checkout of EvolvingLMMs-Lab/lmms-eval @ 75571cf")
    args = parser.parse_args()
    records = common.read_records("pope.input.jsonl")
    for name, run, root, ref in [("pope.expected.json", run_llava, args.llava, LLAVA_REF),
                                 ("pope.lmms-eval.expected.json", run_lmms_eval, args.lmms_eval, LMMS_REF)]:
        per_sample, metrics = run(root, records)
        aggregate = {"n": len(records), "score": score_of(metrics), "metrics": metrics}
        assert all(v is None or math.isfinite(v) for m in metrics.values() for v in m.values())
        common.write_expected(name, reference=ref, input_name="pope.input.jsonl", per_sample=per_sample,
                              aggregate=aggregate,
                              notes="per-sample score 1 when the read answer equals the label; "
                                    "aggregate in percent (reference ratio x 100)")


if __name__ == "__main__":
    main()
