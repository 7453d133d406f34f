#!/usr/bin/env python3
"""Scores fixtures/mme.input.jsonl and writes fixtures/mme[.lmms-eval].expected.json.

Variants:
  official   calculation.py of tools/eval_tool.zip, branch Evaluation of
             BradyFU/Awesome-Multimodal-Large-Language-Models (zip added in 1c1d69e), class
             calculate_metrics, method process_result(results_dir), run on a results directory
             written here: one <subtask>.txt per MME subtask holding, in input order, the line
             `image \t question \t gold \t prediction \n` of every item of that subtask. As the tool's
             readme.txt requires one line per response, line breaks (\n, \r) and tabs are deleted
             from the prediction; a missing prediction is written as "". The per-sample reading is
             recorded by wrapping the instance's parse_pred_ans (called by process_result on every
             line's lower-cased prediction field, trailing newline included); acc and acc_plus per
             subtask from the dict compute_metric returns (process_result adds acc_plus to it);
             subtask scores and the Perception / Cognition totals from the printed lines.
  lmms-eval  EvolvingLMMs-Lab/lmms-eval 75571cf lmms_eval/tasks/mme/utils.py mme_process_results on
             the prediction as api/task.py passes it (res.strip() if res is not None else ""), with
             doc question_id = image and category = subtask; mme_aggregate_results over the
             perception items, over the cognition items, and over each subtask's items alone (its
             per-subtask score).

aggregate.subsets["lavin/"] is the official aggregate of the items whose id starts with "lavin/"
(the unchanged LaVIN example results shipped in the zip).

Units are the reference's: scores in points (0..200 per subtask); acc and acc_plus x 100 (percent).
"""

import argparse
import contextlib
import io
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PERCEPTION = ["existence", "count", "position", "color", "posters", "celebrity", "scene", "landmark",
              "artwork", "OCR"]
COGNITION = ["commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning"]

OFFICIAL_REF = ("BradyFU/Awesome-Multimodal-Large-Language-Models@Evaluation(dd29509) tools/eval_tool.zip "
                "calculation.py calculate_metrics.process_result")
LMMS_REF = ("EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/mme/utils.py mme_process_results + "
            "mme_aggregate_results")


def one_line(text):
    return "".join(c for c in text if c not in "\n\r\t")


def run_official(tool_dir, records):
    module = common.load_module(os.path.join(tool_dir, "calculation.py"), "mme_calculation")
    cal = module.calculate_metrics()
    seen = []
    parse = cal.parse_pred_ans

    def recording_parse(pred_ans):
        label = parse(pred_ans)
        seen.append(label)
        return label

    dicts = []
    compute = cal.compute_metric

    def recording_compute(gts, preds):
        d = compute(gts, preds)
        dicts.append(d)
        return d

    cal.parse_pred_ans = recording_parse
    cal.compute_metric = recording_compute
    order = []
    with tempfile.TemporaryDirectory() as tmp:
        for subtask in PERCEPTION + COGNITION:
            with open(os.path.join(tmp, subtask + ".txt"), "w", encoding="utf-8", newline="") as f:
                for i, r in enumerate(records):
                    if r["subtask"] != subtask:
                        continue
                    prediction = one_line(r.get("prediction") or "")
                    f.write(f"{r['image']}\t{r['id']}\t{r['label']}\t{prediction}\n")
                    order.append(i)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cal.process_result(tmp)
    assert len(seen) == len(records) == len(order)
    labels = [None] * len(records)
    for i, label in zip(order, seen):
        labels[i] = label
    per_sample = [{"id": r["id"], "score": float(label == r["label"].lower()), "extracted": label}
                  for r, label in zip(records, labels)]

    totals, subtask_scores = [], {}
    for line in out.getvalue().splitlines():
        if line.startswith("total score:"):
            totals.append(float(line.split(":", 1)[1]))
        elif " score:" in line:
            name, value = line.strip().split(" score:")
            subtask_scores[name.strip()] = float(value)
    breakdown = {}
    for subtask, d in zip(PERCEPTION + COGNITION, dicts):
        breakdown[subtask] = {"acc": 100.0 * float(d["acc"]), "acc_plus": 100.0 * float(d["acc_plus"]),
                              "score": subtask_scores[subtask]}
    aggregate = {"n": len(records), "score": totals[0],
                 "metrics": {"perception": totals[0], "cognition": totals[1]},
                 "breakdown": {"subtask": breakdown}}
    return per_sample, aggregate


def run_lmms_eval(root, records):
    pkg = common.lmms_eval_package(root)
    utils = common.load_module(os.path.join(pkg, "tasks", "mme", "utils.py"), "lmms_eval.tasks.mme.utils")
    results = []
    for r in records:
        pred = r.get("prediction")
        result = [pred.strip() if pred is not None else ""]
        doc = {"question_id": r["image"], "answer": r["label"], "category": r["subtask"]}
        results.append(utils.mme_process_results(doc, result))
    per_sample = []
    for r, res in zip(records, results):
        (value,) = res.values()
        per_sample.append({"id": r["id"], "score": value["score"],
                           "extracted": utils.parse_pred_ans(r["prediction"].strip() if r.get("prediction") is not None else "")})

    def total(key, subtasks=None):
        chosen = [res[key] for res in results
                  if key in res and (subtasks is None or res[key]["category"] in subtasks)]
        return utils.mme_aggregate_results(chosen)

    breakdown = {}
    for subtask in PERCEPTION + COGNITION:
        key = "mme_perception_score" if subtask in PERCEPTION else "mme_cognition_score"
        breakdown[subtask] = {"score": total(key, {subtask})}
    perception = total("mme_perception_score")
    aggregate = {"n": len(records), "score": perception,
                 "metrics": {"perception": perception, "cognition": total("mme_cognition_score")},
                 "breakdown": {"subtask": breakdown}}
    return per_sample, aggregate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval-tool", default=os.environ.get("MME_EVAL_TOOL"), required="MME_EVAL_TOOL" not in os.environ,
                        help="(env MME_EVAL_TOOL) the eval_tool directory unzipped from tools/eval_tool.zip (holds calculation.py)")
    parser.add_argument("--lmms-eval", default=os.environ.get("LMMS_EVAL_REPO"), required="LMMS_EVAL_REPO" not in os.environ,
                        help="(env LMMS_EVAL_REPO) checkout of EvolvingLMMs-Lab/lmms-eval @ 75571cf")
    args = parser.parse_args()
    records = common.read_records("mme.input.jsonl")
    notes = ("per-sample score 1 when the read answer (yes/no/other) equals the lower-cased label; "
             "scores in points, acc and acc_plus in percent")
    per_sample, aggregate = run_official(args.eval_tool, records)
    # The LaVIN results alone: the numbers `python3 calculation.py` prints in the unzipped tool.
    lavin = [r for r in records if r["id"].startswith("lavin/")]
    aggregate["subsets"] = {"lavin/": run_official(args.eval_tool, lavin)[1]}
    common.write_expected("mme.expected.json", reference=OFFICIAL_REF, input_name="mme.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate, notes=notes)
    per_sample, aggregate = run_lmms_eval(args.lmms_eval, records)
    common.write_expected("mme.lmms-eval.expected.json", reference=LMMS_REF, input_name="mme.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate, notes=notes)


if __name__ == "__main__":
    main()
