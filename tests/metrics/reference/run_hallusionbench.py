#!/usr/bin/env python3
"""Scores fixtures/hallusionbench.input.jsonl and writes fixtures/hallusionbench[.vlmevalkit].expected.json.

The answer of every item is read by open-compass/VLMEvalKit e8e78f0 vlmeval/dataset/utils/yorn.py
YOrN_Extraction (imported from the checkout; its `from vlmeval.smp import ...` is served by a stub
module holding vlmeval/smp/misc.py's own process_punctuation, compiled from that file with `ast`:
misc.py's other imports — huggingface_hub, sty — are not needed). A missing prediction is read as
"" and, for the official variant, given the code 0 (lmmbench's rule; the official data has none).

Variants:
  official    tianyi-lab/HallusionBench 744007c utils.py (imported; its openai, tqdm and
              prettytable imports are stubbed). The correctness code the official evaluation gets
              from GPT-4 is given by the rule: YOrN_Extraction equal to the gold -> "1", the other
              answer -> "0", Unknown -> "2". Then, as evaluation.py: assign_correctness, and over
              all questions and over VD and VS alone get_eval_all (aAcc), get_eval_fig (fAcc),
              get_eval_pair_all (qAcc), get_eval_pair_easy / get_eval_pair_hard. The "same" flag of
              check_same_by_chatgpt (only used by the LH/VI analysis, not reported) is "1" when the
              read answer equals that of the figure-0 version of the question.
  vlmevalkit  Hallusion_rating on a frame with `score` = (answer == YOrN_Extraction(prediction)),
              `index` "<category>_<subcategory>_x_<set>_<figure>_<question>" (Hallusion_rating takes
              fields 3, 4, 5), `category`, `l2-category` = subcategory; its `load` is given the
              frame.

  python3 tests/metrics/reference/run_hallusionbench.py --hb $REFS/HallusionBench-744007c --vlmevalkit $REFS/VLMEvalKit-e8e78f0
"""

import argparse
import ast
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OFFICIAL_REF = ("tianyi-lab/HallusionBench@744007c utils.py assign_correctness + get_eval_all + "
                "get_eval_pair_all + get_eval_fig + get_eval_pair_easy/hard; answers read by "
                "open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/yorn.py YOrN_Extraction")
VLM_REF = ("open-compass/VLMEvalKit@e8e78f0 vlmeval/dataset/utils/yorn.py YOrN_Extraction + "
           "Hallusion_rating")
ENTRY = "gpt4v_output_gpt_check"


def load_yorn(root, frame_holder):
    with open(os.path.join(root, "vlmeval", "smp", "misc.py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "process_punctuation")
    smp = types.ModuleType("vlmeval.smp")
    exec(compile(ast.Module(body=[fn], type_ignores=[]), os.path.join(root, "vlmeval", "smp", "misc.py"), "exec"),
         smp.__dict__)
    smp.load = lambda path: frame_holder[0]
    smp.d2df = None
    vlmeval = types.ModuleType("vlmeval")
    vlmeval.__path__ = []
    sys.modules["vlmeval"] = vlmeval
    sys.modules["vlmeval.smp"] = smp
    return common.load_module(os.path.join(root, "vlmeval", "dataset", "utils", "yorn.py"), "vlmeval_yorn")


def load_official(root):
    for name in ("openai", "tqdm", "prettytable"):
        stub = types.ModuleType(name)
        stub.tqdm = lambda x, **k: x
        stub.PrettyTable = object
        sys.modules.setdefault(name, stub)
    return common.load_module(os.path.join(root, "utils.py"), "hallusionbench_utils")


def run_official(utils, yorn, records):
    data = []
    n_unparsed = n_missing = 0
    for r in records:
        pred = r.get("prediction")
        extracted = yorn.YOrN_Extraction(pred if pred is not None else "")
        gold = "Yes" if r["answers"][0] == "1" else "No"
        code = "2" if extracted == "Unknown" else ("1" if extracted == gold else "0")
        if pred is None:
            code = "0"
            n_missing += 1
        elif extracted == "Unknown":
            n_unparsed += 1
        d = dict(r["fields"], category=r["category"], gt_answer=r["answers"][0], model_prediction=pred or "")
        d[ENTRY] = code
        d["_extracted"] = extracted
        data.append(d)
    orig = {(d["category"], d["subcategory"], d["set_id"], d["question_id"]): d["_extracted"]
            for d in data if str(d["figure_id"]) == "0"}
    for d in data:
        d["same"] = "1" if orig.get((d["category"], d["subcategory"], d["set_id"], d["question_id"])) == d["_extracted"] else "0"
    data_vd = utils.assign_correctness([d for d in data if d["category"] == "VD"], correctness_entry=ENTRY)
    data_vs = utils.assign_correctness([d for d in data if d["category"] == "VS"], correctness_entry=ENTRY)
    per_sample = [{"id": r["id"], "score": float(d["correct"]), "extracted": d["_extracted"]} for r, d in zip(records, data)]

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
    aggregate = {"n": len(records), "n_missing": n_missing, "n_unparsed": n_unparsed, "score": a,
                 "metrics": {"aAcc": a, "fAcc": f, "qAcc": q, "average": (a + f + q) / 3,
                             "easy_qacc": 100 * easy["correct"] / easy["total"],
                             "hard_qacc": 100 * hard["correct"] / hard["total"]},
                 "breakdown": {"category": breakdown}}
    return per_sample, aggregate


def run_vlmevalkit(yorn, frame_holder, records):
    import pandas as pd
    rows, per_sample = [], []
    for r in records:
        pred = r.get("prediction")
        extracted = yorn.YOrN_Extraction(pred if pred is not None else "")
        answer = "Yes" if r["answers"][0] == "1" else "No"
        score = answer == extracted
        fl = r["fields"]
        rows.append({"index": f"{r['category']}_{fl['subcategory']}_x_{fl['set_id']}_{fl['figure_id']}_{fl['question_id']}",
                     "score": score, "category": r["category"], "l2-category": fl["subcategory"]})
        per_sample.append({"id": r["id"], "score": float(score), "extracted": extracted})
    frame_holder[0] = pd.DataFrame(rows)
    table = yorn.Hallusion_rating("unused")
    result = {row["split"]: row for _, row in table.iterrows()}
    overall = result.pop("Overall")
    categories = {"VD", "VS"}
    breakdown = {"category": {}, "subcategory": {}}
    counts = {}
    for r in rows:
        counts[r["category"]] = counts.get(r["category"], 0) + 1
        counts[r["l2-category"]] = counts.get(r["l2-category"], 0) + 1
    for split, row in sorted(result.items()):  # Hallusion_rating's order is a set's
        cell = {"n": counts[split], "aAcc": float(row["aAcc"]), "fAcc": float(row["fAcc"]), "qAcc": float(row["qAcc"])}
        breakdown["category" if split in categories else "subcategory"][split] = cell
    a, f, q = float(overall["aAcc"]), float(overall["fAcc"]), float(overall["qAcc"])
    aggregate = {"n": len(records), "score": a, "metrics": {"aAcc": a, "fAcc": f, "qAcc": q, "average": (a + f + q) / 3},
                 "breakdown": breakdown}
    return per_sample, aggregate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hb", default=os.environ.get("HALLUSIONBENCH_REPO"), required="HALLUSIONBENCH_REPO" not in os.environ,
                        help="(env HALLUSIONBENCH_REPO) checkout of tianyi-lab/HallusionBench @ 744007c")
    parser.add_argument("--vlmevalkit", default=os.environ.get("VLMEVALKIT_REPO"), required="VLMEVALKIT_REPO" not in os.environ,
                        help="(env VLMEVALKIT_REPO) checkout of open-compass/VLMEvalKit @ e8e78f0")
    args = parser.parse_args()
    records = common.read_records("hallusionbench.input.jsonl")
    frame_holder = [None]
    yorn = load_yorn(args.vlmevalkit, frame_holder)
    utils = load_official(args.hb)
    for name, ref, (per_sample, aggregate) in [
            ("hallusionbench.expected.json", OFFICIAL_REF, run_official(utils, yorn, records)),
            ("hallusionbench.vlmevalkit.expected.json", VLM_REF, run_vlmevalkit(yorn, frame_holder, records))]:
        common.write_expected(name, reference=ref, input_name="hallusionbench.input.jsonl", per_sample=per_sample,
                              aggregate=aggregate, notes="per-sample score 0 or 1; accuracies in percent")


if __name__ == "__main__":
    main()
