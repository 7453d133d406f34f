#!/usr/bin/env python3
"""Scores fixtures/scienceqa.input.jsonl and writes fixtures/scienceqa.expected.json.

Variant llava: haotian-liu/LLaVA c121f04 llava/eval/eval_science_qa.py, run as a script (its
defaults: --split test, --options A B C D E) on a base directory written here:
  problems.json    {id: {"choices": options, "answer": index of the gold letter}} for every item;
  pid_splits.json  {"test": [ids in input order]};
  result file      one line {"question_id": id, "text": prediction, "prompt": "<image>\\n..." for
                   image questions, "..." otherwise} per item with a prediction; an item whose
                   prediction is missing gets no line, which the script scores as 'FAILED'.
Per-sample results from the script's --output-result ("results": predicted option index or -1) and
--output-file (the "correct" list); overall accuracy is the script's "acc"; img_accuracy is the
IMG-Accuracy the script prints (multimodal correct / multimodal total, from the `is_multimodal` flags
of --output-file, computed here at full precision; the script prints it to 2 decimals, which is
checked). Accuracies are in percent, as the script reports them.

For the items taken from /work/shared/fixtures/llava_sqa_results (ids v0/<pid>, lcs558k/<pid>) the
option index computed here is compared with the "results" entry of that file, which LLaVA's own run
of the same script produced; the count of agreements is printed and stored in the notes.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REF = "haotian-liu/LLaVA@c121f04 llava/eval/eval_science_qa.py"
SHARED_FILES = {"v0": "test_sqa_llava_13b_v0.json",
                "lcs558k": "test_sqa_llava_lcs_558k_sqa_12e_vicuna_v1_3_13b.json"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llava", default=os.environ.get("LLAVA_REPO"), required="LLAVA_REPO" not in os.environ,
                        help="(env LLAVA_REPO) checkout of haotian-liu/LLaVA @ c121f04")
    parser.add_argument("--shared", default=os.path.normpath(os.path.join(common.HERE, "..", "..", "..", "..", "shared")))
    args = parser.parse_args()
    records = common.read_records("scienceqa.input.jsonl")
    script = os.path.join(args.llava, "llava", "eval", "eval_science_qa.py")
    with tempfile.TemporaryDirectory() as tmp:
        problems = {r["id"]: {"choices": r["options"], "answer": ord(r["answer"]) - ord("A")} for r in records}
        with open(os.path.join(tmp, "problems.json"), "w", encoding="utf-8") as f:
            json.dump(problems, f, ensure_ascii=False)
        with open(os.path.join(tmp, "pid_splits.json"), "w", encoding="utf-8") as f:
            json.dump({"test": [r["id"] for r in records]}, f)
        result_file = os.path.join(tmp, "answers.jsonl")
        with open(result_file, "w", encoding="utf-8") as f:
            for r in records:
                if r.get("prediction") is None:
                    continue
                prompt = ("<image>\n" if r.get("image") else "") + "Question"
                f.write(json.dumps({"question_id": r["id"], "text": r["prediction"], "prompt": prompt},
                                   ensure_ascii=False) + "\n")
        output_file, output_result = os.path.join(tmp, "output.json"), os.path.join(tmp, "result.json")
        run = subprocess.run([sys.executable, script, "--base-dir", tmp, "--result-file", result_file,
                              "--output-file", output_file, "--output-result", output_result],
                             check=False, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(run.stderr)
        with open(output_file, encoding="utf-8") as f:
            analysis = json.load(f)
        with open(output_result, encoding="utf-8") as f:
            sqa = json.load(f)

    correct = {a["question_id"] for a in analysis["correct"]}
    per_sample = []
    for r in records:
        index = sqa["results"][r["id"]]
        per_sample.append({"id": r["id"], "score": float(r["id"] in correct),
                           "extracted": chr(ord("A") + index) if index >= 0 else ""})
    multimodal = [a for key in ("correct", "incorrect") for a in analysis[key] if a["is_multimodal"]]
    img_correct = sum(1 for a in analysis["correct"] if a["is_multimodal"])
    img_accuracy = img_correct / len(multimodal) * 100
    printed = re.search(r"IMG-Accuracy: ([0-9.]+)%", run.stdout).group(1)
    assert f"{img_accuracy:.2f}" == printed, (img_accuracy, printed)

    agreement = []
    for tag, name in SHARED_FILES.items():
        with open(os.path.join(args.shared, "fixtures", "llava_sqa_results", name), encoding="utf-8") as f:
            original = json.load(f)["results"]
        ids = [r["id"] for r in records if r["id"].startswith(tag + "/")]
        same = sum(1 for i in ids if original[i.split("/", 1)[1]] == sqa["results"][i])
        agreement.append(f"{tag}: {same}/{len(ids)}")
        print(f"{tag}: option index equal to LLaVA's own results for {same} of {len(ids)} real outputs")

    aggregate = {"n": len(records), "score": sqa["acc"], "metrics": {"img_accuracy": img_accuracy}}
    common.write_expected("scienceqa.expected.json", reference=REF, input_name="scienceqa.input.jsonl",
                          per_sample=per_sample, aggregate=aggregate,
                          notes="per-sample score 0 or 1; accuracies in percent; real outputs whose "
                                "option index equals LLaVA's shipped results: " + ", ".join(agreement))


if __name__ == "__main__":
    main()
