#!/usr/bin/env python3
"""Writes fixtures/hallusionbench.input.jsonl: the 1,129 questions of HallusionBench.json
(tianyi-lab/HallusionBench: category, subcategory, set/figure/question ids, visual_input, gt_answer)
answered by the 254 real model predictions of HallusionBench_result_sample.json where it has one,
by hand-written predictions aimed at the yes/no reading (punctuation next to spaces, commas
between digits, periods after digits, "yes"/"no" both or neither, case, Unicode space) on the
first questions, and by seeded model-like answers elsewhere; a few missing.

  python3 tests/metrics/reference/make_inputs_hallusionbench.py --hb $REFS/HallusionBench-744007c
"""

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

CRAFTED = [
    "Yes", "No", "yes.", "No.", "YES!", "no,", "Yes, it is.", "No, it is not.", "Yes and no.",
    "I cannot tell.", "", "yes-no", "yes - no", "(yes)", "yes(", "Yes;", "The answer is yes; 1,000 items.",
    "No.5 is it", "5.no", "5. no", "yes...", "Yes.No", "Yes.\nNo", "yes\u00a0", "\u00a0no", "nope",
    "Yes\u3000No", "yES", "no/yes", "no / yes", "It's a yes", "yes's", "[no]", "{yes}", "no\"", "yes_",
    "no>", "<yes", "no@", "`yes`", "no?", "yes!no", "no!", "NO", "y e s", "1,2 yes", "1, 2 yes",
    "yes. " * 40, "no." + "." * 40, "Yes, the right circle is larger.", None, None,
]
STYLES = [
    "Yes", "No", "Yes.", "No.", "Yes, {n}", "No, {n}", "{n}", "I'm sorry, I cannot determine that.",
    "Based on the image, yes.", "Based on the image, no.", "Yes; however, {n}", "No - {n}",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hb", default=os.environ.get("HALLUSIONBENCH_REPO"), required="HALLUSIONBENCH_REPO" not in os.environ,
                        help="(env HALLUSIONBENCH_REPO) checkout of tianyi-lab/HallusionBench @ 744007c")
    args = parser.parse_args()
    with open(os.path.join(args.hb, "HallusionBench.json"), encoding="utf-8") as f:
        questions = json.load(f)
    with open(os.path.join(args.hb, "HallusionBench_result_sample.json"), encoding="utf-8") as f:
        sample = json.load(f)

    def key(q):
        return "_".join(str(q[k]) for k in ("category", "subcategory", "set_id", "figure_id", "question_id"))

    real = {key(s): s["model_prediction"] for s in sample}
    rng = random.Random(20261206)
    records = []
    crafted = iter(CRAFTED)
    n_real = 0
    for k, q in enumerate(questions):
        if key(q) in real:
            prediction = real[key(q)]
            n_real += 1
        else:
            prediction = next(crafted, "__seeded__")
            if prediction == "__seeded__":
                u = rng.random()
                if u < 0.03:
                    prediction = None
                else:
                    prediction = rng.choice(STYLES).format(n=q["gt_answer_details"])
        records.append({
            "id": key(q), "prediction": prediction, "category": q["category"], "answers": [q["gt_answer"]],
            "fields": {n: q[n] for n in ("subcategory", "set_id", "figure_id", "question_id", "visual_input")},
        })
    assert n_real == len(real), (n_real, len(real))
    path = os.path.join(common.FIXTURES, "hallusionbench.input.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {os.path.relpath(path)}: {len(records)} items ({n_real} real predictions)")


if __name__ == "__main__":
    main()
