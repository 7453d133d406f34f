#!/usr/bin/env python3
"""Runs lupantech/MathVista's official answer extraction and scoring on fixtures/mathvista.input.jsonl
with a scripted judge, and writes fixtures/mathvista.judge.expected.json (variant judge).

lupantech/MathVista 53d5258 evaluation/extract_answer.py (with its real evaluation/prompts/ext_ans.py
`demo_prompt`) and evaluation/calculate_score.py are imported from the checkout (run_mathvista.py's
stubs for openai, datasets, rich, tqdm and the repository's utilities/models modules). Per item:
  extraction = extract_answer(model, response, problem) with quick_extract False (the default of
               the script), `problem` the item's entry of results/llava/output_llava_llama_2_13b.json
               (its query) for llava/<pid>; the scripted `model` stands for GPT-4: for llava/<pid>
               it replies the extraction GPT-4 gave in the official run (recorded in that file), for
               crafted/<n> the response itself; like models/gpt.py get_response it returns the
               reply strip()ped; every call is counted (the item is "asked");
  prediction = normalize_extracted_answer(extraction, choices, question_type, answer_type,
               precision) (the official get_most_similar fallback);
  true_false = safe_equal(prediction, answer).
Checks: every llava/<pid> verdict equals the official run's true_false (26.1 %), and every
recorded extraction is what extract_answer returns (asserted). Also records the sha256 of
demo_prompt (configs/judges/mathvista_extraction_prompt.txt must hold these bytes) and, for ten
items, the exact request create_test_prompt(demo_prompt, query, response) builds.

  MATHVISTA_REPO=$REFS/MathVista-53d5258 python3 tests/metrics/reference/run_mathvista_judge.py
"""

import argparse
import hashlib
import json
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import run_mathvista  # noqa: E402

REFERENCE = ("lupantech/MathVista@53d5258 evaluation/extract_answer.py extract_answer (the judge's extraction) + "
             "evaluation/calculate_score.py normalize_extracted_answer + safe_equal")
# Requests recorded byte for byte: LLaVA items of every question and answer type, and two made-up
# ones (whitespace around the response, an empty query).
PROMPT_PIDS = ["1", "2", "5", "6", "11", "33", "108", "199", "225", "506"]
SYNTHETIC = [("synthetic/1", "Question: How many?", "  \tAbout 7 \n"), ("synthetic/2", "", "ẞ (B) ½")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mathvista", default=os.environ.get("MATHVISTA_REPO"), required="MATHVISTA_REPO" not in os.environ,
                        help="(env MATHVISTA_REPO) checkout of lupantech/MathVista @ 53d5258")
    args = parser.parse_args()
    calc, extract = run_mathvista.load(args.mathvista)
    prompts = common.load_module(os.path.join(args.mathvista, "evaluation", "prompts", "ext_ans.py"), "mathvista_ext_ans")
    extract.demo_prompt = prompts.demo_prompt
    results = common.read_json_file(os.path.join(args.mathvista, "results", "llava", "output_llava_llama_2_13b.json"))

    records = [r for r in common.read_records("mathvista.input.jsonl") if not r["id"].startswith("extraction/")]
    per_sample, asked_ids = [], []
    n_missing = n_unparsed = 0
    for r in records:
        response = r.get("prediction")
        if response is None:
            n_missing += 1
            response = ""
        if r["id"].startswith("llava/"):
            problem = results[r["id"].split("/", 1)[1]]
            reply = problem["extraction"]
        else:
            problem = {"question_type": r["question_type"], "answer_type": r["answer_type"],
                       "choices": r.get("options"), "query": "", "pid": r["id"]}
            reply = response

        def get_response(user_prompt, reply=reply, rid=r["id"]):
            asked_ids.append(rid)
            return reply.strip()

        model = types.SimpleNamespace(get_response=get_response)
        extraction = extract.extract_answer(model, response, problem, quick_extract=False)
        if r["id"].startswith("llava/"):
            assert extraction == problem["extraction"], r["id"]
        prediction = calc.normalize_extracted_answer(extraction, r.get("options"), r["question_type"],
                                                     r["answer_type"], r["fields"].get("precision"))
        if prediction is None and r.get("prediction") is not None:
            n_unparsed += 1
        true_false = calc.safe_equal(prediction, r["answers"][0])
        if r["id"].startswith("llava/"):
            assert true_false == (str(problem["true_false"]) == "True"), r["id"]
        per_sample.append({"id": r["id"], "score": float(true_false),
                           "extracted": prediction if prediction is not None else "",
                           "asked": bool(asked_ids) and asked_ids[-1] == r["id"]})

    subsets = {}
    for prefix in ("llava/", "crafted/"):
        items = [x for x in per_sample if x["id"].startswith(prefix)]
        subsets[prefix] = {"n": len(items), "score": 100.0 * sum(x["score"] for x in items) / len(items),
                           "judge_requests": sum(x["asked"] for x in items)}
    aggregate = {"n": len(per_sample), "n_missing": n_missing, "n_unparsed": n_unparsed,
                 "score": 100.0 * sum(x["score"] for x in per_sample) / len(per_sample),
                 "judge_requests": len(asked_ids), "subsets": subsets}

    requests = []
    for pid in PROMPT_PIDS:
        p = results[pid]
        requests.append({"id": f"llava/{pid}", "query": p["query"], "response": p["response"],
                         "request": extract.create_test_prompt(prompts.demo_prompt, p["query"], p["response"])})
    for rid, query, response in SYNTHETIC:
        requests.append({"id": rid, "query": query, "response": response,
                         "request": extract.create_test_prompt(prompts.demo_prompt, query, response)})

    doc = {"reference": REFERENCE, "command": common.command_line(), "input": "mathvista.input.jsonl",
           "notes": ("variant judge: llava/<pid> extracted by the recorded GPT-4 replies, crafted/<n> by a judge "
                     "replying the response; `asked`: extract_answer called the model"),
           "demo_prompt_sha256": hashlib.sha256(prompts.demo_prompt.encode("utf-8")).hexdigest(),
           "requests": requests, "per_sample": per_sample, "aggregate": aggregate}
    path = os.path.join(common.FIXTURES, "mathvista.judge.expected.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}: {len(per_sample)} samples, {len(asked_ids)} judge requests, "
          f"llava {subsets['llava/']['score']:.1f} %")


if __name__ == "__main__":
    main()
