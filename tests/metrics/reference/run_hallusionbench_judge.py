#!/usr/bin/env python3
"""Runs tianyi-lab/HallusionBench's official GPT-4 evaluation on fixtures/hallusionbench.input.jsonl
with a scripted judge and writes fixtures/hallusionbench.judge.expected.json (variant judge).

tianyi-lab/HallusionBench 744007c utils.py is imported from the checkout (run_hallusionbench.py's
stubs for openai, tqdm and prettytable). Each item gets its question and gt_answer_details from the
checkout's HallusionBench.json (same category, subcategory, set, figure and question ids). As
evaluation.py does, utils.evaluate_by_chatgpt runs on the VD items and on the VS items (its
openai.ChatCompletion.create replaced by a scripted judge that records the request and replies
the next of REPLIES, in item order, aimed at its reading rule: 'incorrect' in the lower-cased
reply -> "0", else 'correct' -> "1", else "2"); then assign_correctness, get_eval_all,
get_eval_fig, get_eval_pair_all, get_eval_pair_easy/hard over all items and over VD and VS. An
item without a prediction is never sent (the official code would fail on None) and gets code "0",
lmmbench's rule for a missing answer. check_same_by_chatgpt's "same" flag (only used in the LH/VI
analysis, which is not reported) is "0".

  HALLUSIONBENCH_REPO=$REFS/HallusionBench-744007c python3 tests/metrics/reference/run_hallusionbench_judge.py
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import run_hallusionbench  # noqa: E402

REFERENCE = ("tianyi-lab/HallusionBench@744007c utils.py evaluate_by_chatgpt (the judge's correctness code) + "
             "assign_correctness + get_eval_all + get_eval_pair_all + get_eval_fig + get_eval_pair_easy/hard")
ENTRY = "gpt4v_output_gpt_check"
REPLIES = ["correct", "incorrect", "Correct.", "The prediction is incorrect.", "unclear", "INCORRECT",
           "I cannot tell.", "correct", "\u0130NCORRECT",  # 'İ'.lower() is 'i̇': no "incorrect", but "correct"
           "", "incorrectly correct", "correct", "Unclear; partly correct", "incorrect", "CORRECT"]
REQUEST_IDS = 12


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hb", default=os.environ.get("HALLUSIONBENCH_REPO"), required="HALLUSIONBENCH_REPO" not in os.environ,
                        help="(env HALLUSIONBENCH_REPO) checkout of tianyi-lab/HallusionBench @ 744007c")
    args = parser.parse_args()
    utils = run_hallusionbench.load_official(args.hb)
    questions = {}
    for q in common.read_json_file(os.path.join(args.hb, "HallusionBench.json")):
        key = tuple(str(q[k]) for k in ("category", "subcategory", "set_id", "figure_id", "question_id"))
        questions[key] = q

    records = common.read_records("hallusionbench.input.jsonl")
    data, replies = [], {}
    for i, r in enumerate(records):
        f = r["fields"]
        q = questions[(r["category"], f["subcategory"], f["set_id"], f["figure_id"], f["question_id"])]
        d = dict(f, category=r["category"], question=q["question"], gt_answer_details=q["gt_answer_details"],
                 gt_answer=r["answers"][0], model_prediction=r.get("prediction"), same="0", _id=r["id"])
        if d["model_prediction"] is not None:
            replies[r["id"]] = REPLIES[i % len(REPLIES)]
        data.append(d)

    requests, pending = [], []

    def create(model, messages, api_key, request_timeout):
        d = pending.pop(0)
        requests.append((d["_id"], messages[0]["content"], model))
        return {"choices": [{"message": {"content": replies[d["_id"]]}}]}

    utils.openai.ChatCompletion = types.SimpleNamespace(create=create)
    judged = {}
    with tempfile.TemporaryDirectory() as tmp:
        for category in ("VD", "VS"):
            asked = [d for d in data if d["category"] == category and d["model_prediction"] is not None]
            pending.extend(asked)
            out = utils.evaluate_by_chatgpt(asked, "model_prediction", ENTRY, load_json=False,
                                            save_json_path=os.path.join(tmp, f"{category}.json"))
            judged.update({d["_id"]: d[ENTRY] for d in out})
    assert not pending and len(requests) == len(replies)
    for d in data:
        d[ENTRY] = judged.get(d["_id"], "0")  # a missing prediction: code 0, never sent
    data_vd = utils.assign_correctness([d for d in data if d["category"] == "VD"], correctness_entry=ENTRY)
    data_vs = utils.assign_correctness([d for d in data if d["category"] == "VS"], correctness_entry=ENTRY)
    words = {"0": "incorrect", "1": "correct", "2": "unclear"}
    by_id = {d["_id"]: d for d in data}
    per_sample = [{"id": r["id"], "score": float(by_id[r["id"]]["correct"]), "extracted": words[by_id[r["id"]][ENTRY]],
                   "reply": replies.get(r["id"])} for r in records]

    def accuracies(subset):
        a = utils.get_eval_all(subset, ENTRY)
        f = utils.get_eval_fig(subset)
        q = utils.get_eval_pair_all(subset, ENTRY)
        return (100 * a["correct"] / a["total"], 100 * f["correct"] / f["total"], 100 * q["correct"] / q["total"])

    all_data = data_vd + data_vs
    a, f, q = accuracies(all_data)
    easy = utils.get_eval_pair_easy(all_data)
    hard = utils.get_eval_pair_hard(all_data)
    breakdown = {}
    for name, subset in (("VD", data_vd), ("VS", data_vs)):
        sa, sf, sq = accuracies(subset)
        breakdown[name] = {"n": len(subset), "aAcc": sa, "fAcc": sf, "qAcc": sq}
    n_missing = sum(d["model_prediction"] is None for d in data)
    n_unparsed = sum(d["model_prediction"] is not None and d[ENTRY] == "2" for d in data)
    aggregate = {"n": len(records), "n_missing": n_missing, "n_unparsed": n_unparsed, "score": a,
                 "metrics": {"aAcc": a, "fAcc": f, "qAcc": q, "average": (a + f + q) / 3,
                             "easy_qacc": 100 * easy["correct"] / easy["total"],
                             "hard_qacc": 100 * hard["correct"] / hard["total"]},
                 "breakdown": {"category": breakdown}, "judge_requests": len(requests)}

    step = max(1, len(requests) // REQUEST_IDS)
    recorded = []
    for rid, text, model in requests[::step][:REQUEST_IDS]:
        d = by_id[rid]
        recorded.append({"id": rid, "question": d["question"], "gt_answer_details": d["gt_answer_details"],
                         "prediction": d["model_prediction"], "request": text, "model": model})
    first = requests[0][1]  # the fixed prompt ends with its "\n\n Question:"
    prompt = first[:first.index("\n\n Question:") + len("\n\n Question:")]
    doc = {"reference": REFERENCE, "command": common.command_line(), "input": "hallusionbench.input.jsonl",
           "notes": "variant judge: scripted judge replies (per_sample.reply); per-sample score 0 or 1; accuracies in percent",
           "prompt_sha256": hashlib.sha256(prompt.encode("utf-8")).hexdigest(),
           "requests": recorded, "per_sample": per_sample, "aggregate": aggregate}
    path = os.path.join(common.FIXTURES, "hallusionbench.judge.expected.json")
    with open(path, "w", encoding="utf-8") as f_out:
        json.dump(doc, f_out, ensure_ascii=False, indent=1)
        f_out.write("\n")
    print(f"wrote {os.path.relpath(path)}: {len(per_sample)} samples, {len(requests)} judge requests, aAcc {a:.2f}")


if __name__ == "__main__":
    main()
