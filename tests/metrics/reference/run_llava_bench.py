#!/usr/bin/env python3
"""Runs LLaVA's review summary on the review fixtures and writes fixtures/llava_bench.expected.json.

Reference: haotian-liu/LLaVA c121f04
  llava/eval/summarize_gpt_review.py   run as a script (`-f FILE`), unmodified, through runpy; the
                                       builtin `round` it calls is wrapped (in its globals only) to
                                       record the unrounded means numpy gives it before it rounds
                                       them (stats = [round(x, 3) for x in np.asarray(v).mean(0)]);
                                       the printed lines are recorded as printed.
  llava/eval/eval_gpt_review_bench.py  parse_score, imported (with a stub `openai` module: the
                                       script only needs it to call the API), turns each crafted
                                       review's "content" into the "tuple" the script would write.

Files summarised:
  - the four real GPT-4 review files of ../shared/fixtures/llava_gpt4_reviews/ (no category: the
    script reads "score");
  - fixtures/llava_bench.input.jsonl: fixtures/llava_bench.reviews.jsonl (make_inputs_judge.py)
    with "tuple" = parse_score(content), written here; categorised, so the script reads "tuple";
  - the same without the reviews parse_score could not read ([-1, -1]): the expected values of the
    `parsed-only` variant.

    python3 tests/metrics/reference/run_llava_bench.py --llava $REFS/LLaVA-c121f04 \
        --shared ../shared
"""

import argparse
import builtins
import contextlib
import io
import json
import os
import runpy
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REFERENCE = ("haotian-liu/LLaVA@c121f04 llava/eval/summarize_gpt_review.py (reviews: "
             "llava/eval/eval_gpt_review_bench.py parse_score)")
SHIPPED = ["review_alpaca-13b_vicuna-13b.jsonl", "review_bard_vicuna-13b.jsonl",
           "review_gpt35_vicuna-13b.jsonl", "review_llama-13b_vicuna-13b.jsonl"]


def summarize(llava, path):
    """The script's printed summary of one review file and the unrounded means behind it."""
    calls = []

    def recording_round(x, n=None):
        calls.append(float(x))
        return builtins.round(x, n)

    argv = sys.argv
    sys.argv = ["summarize_gpt_review.py", "-f", path]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(os.path.join(llava, "llava/eval/summarize_gpt_review.py"),
                           init_globals={"round": recording_round}, run_name="__main__")
    finally:
        sys.argv = argv
    lines = out.getvalue().splitlines()
    # Line 1: the config name; then one line per category (sorted); then '=====...'.
    summary = {}
    for k, line in enumerate(lines[1:-1]):
        name, rel, a1, a2 = line.split(" ")
        m1, m2 = calls[5 * k], calls[5 * k + 1]  # round(x, 3) of both means come first
        summary[name] = {"printed": [float(rel), float(a1), float(a2)], "means": [m1, m2]}
    return {"stdout": out.getvalue(), "summary": summary}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--llava", default=os.environ.get("LLAVA_REPO"), required=False)
    parser.add_argument("--shared", default=os.path.join(common.HERE, "..", "..", "..", "..",
                                                         "shared"))
    args = parser.parse_args()
    if not args.llava:
        sys.exit("give --llava or LLAVA_REPO (a checkout of haotian-liu/LLaVA at c121f04)")

    sys.modules.setdefault("openai", types.ModuleType("openai"))
    review_bench = common.load_module(os.path.join(args.llava, "llava/eval/eval_gpt_review_bench.py"),
                                      "eval_gpt_review_bench")
    records = common.read_records("llava_bench.reviews.jsonl")
    per_sample = []
    with contextlib.redirect_stdout(io.StringIO()):  # parse_score prints its failures
        for r in records:
            r["tuple"] = review_bench.parse_score(r["content"])
    for r in records:
        per_sample.append({"id": str(r["id"]), "extracted": r["tuple"]})
    with open(os.path.join(common.FIXTURES, "llava_bench.input.jsonl"), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    files = {}
    shared = os.path.join(args.shared, "fixtures", "llava_gpt4_reviews")
    for name in SHIPPED:
        files[name] = summarize(args.llava, os.path.join(shared, name))
    files["llava_bench.input.jsonl"] = summarize(
        args.llava, os.path.join(common.FIXTURES, "llava_bench.input.jsonl"))
    with tempfile.TemporaryDirectory() as tmp:
        parsed = os.path.join(tmp, "llava_bench.parsed-only.jsonl")
        with open(parsed, "w", encoding="utf-8") as f:
            for r in records:
                if r["tuple"] != [-1, -1]:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
        files["llava_bench.input.jsonl (parsed-only)"] = summarize(args.llava, parsed)

    common.write_expected(
        "llava_bench.expected.json", reference=REFERENCE, input_name="llava_bench.input.jsonl",
        per_sample=per_sample, aggregate=files,
        notes=("aggregate[file].summary[category] = {printed: [relative, answer1 x 10, answer2 x 10] "
               "as the script prints them, means: [mean1, mean2] unrounded (numpy's, as passed to "
               "round)}; per_sample: parse_score of each crafted review's content ([-1, -1] = "
               "unreadable)"))


if __name__ == "__main__":
    main()
