#!/usr/bin/env python3
"""Scores fixtures/mmmu.input.jsonl with the MMMU repository's own code and writes
fixtures/mmmu.expected.json and fixtures/mmmu.random-fallback.expected.json.

MMMU-Benchmark/MMMU bb0b95a mmmu/utils/eval_utils.py is imported from the checkout and called as
mmmu/main_parse_and_eval.py calls it: a multiple-choice response through
parse_multi_choice_response(response, all_choices, index2ans) (all_choices and index2ans as
data_utils.get_multi_choice_info builds them from the options), an open one through
parse_open_response(response); then evaluate() per subject (the official "_".join(id.split("_")
[1:-1])), and calculate_ins_level_acc over each discipline of data_utils.DOMAIN_CAT2SUB_CAT and over
all subjects, as mmmu/main_eval_only.py aggregates. A missing prediction is given as "".

The module's `random` (seeded 42 at import, one stream for the whole run) is replaced in its
globals, per item, by:
  official         an object whose choice() returns None: no letter, so eval_multi_choice is False
                   (lmmbench counts the item unparsed);
  random-fallback  random.Random(42 * 2**64 + fnv1a64(id)) — the per-item seed lmmbench documents.
`extracted` is the letter read ("" for None); for open questions the parsed list, numbers first
(ascending, repr) then strings, joined with " | " (the official list(set(...)) has no fixed order).
Accuracies are in percent.
"""

import argparse
import math
import os
import random
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REFERENCE = ("MMMU-Benchmark/MMMU@bb0b95a mmmu/utils/eval_utils.py parse_multi_choice_response + "
             "parse_open_response + eval_multi_choice + eval_open")


def fnv1a64(text):
    h = 14695981039346656037
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 1099511628211) % 2**64
    return h


class NoChoice:
    def choice(self, seq):
        return None


def extracted_open(parsed):
    numbers = sorted(x for x in parsed if not isinstance(x, str))
    strings = sorted(x for x in parsed if isinstance(x, str))
    return " | ".join([repr(x) for x in numbers] + strings)


def evaluation_result_of(eval_utils, samples):
    _, metric_dict = eval_utils.evaluate(samples)
    metric_dict.update({"num_example": len(samples)})
    return metric_dict


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mmmu", default=os.environ.get("MMMU_REPO"), required="MMMU_REPO" not in os.environ,
                        help="(env MMMU_REPO) checkout of MMMU-Benchmark/MMMU @ bb0b95a")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.mmmu, "mmmu"))
    if "yaml" not in sys.modules:
        try:
            import yaml  # noqa: F401  (data_utils imports it for configs only)
        except ImportError:
            sys.modules["yaml"] = types.ModuleType("yaml")
    eval_utils = common.load_module(os.path.join(args.mmmu, "mmmu", "utils", "eval_utils.py"), "mmmu_eval_utils")
    data_utils = common.load_module(os.path.join(args.mmmu, "mmmu", "utils", "data_utils.py"), "mmmu_data_utils")
    records = common.read_records("mmmu.input.jsonl")

    for variant, name in [("official", "mmmu.expected.json"), ("random-fallback", "mmmu.random-fallback.expected.json")]:
        per_sample = []
        samples_by_subject = {}
        n_unparsed = n_missing = 0
        for r in records:
            response = r.get("prediction")
            if response is None:
                n_missing += 1
            response = response if response is not None else ""
            eval_utils.random = NoChoice() if variant == "official" else random.Random(42 * 2**64 + fnv1a64(r["id"]))
            gold = r["answers"]
            if r["question_type"] == "multiple-choice":
                index2ans, all_choices = data_utils.get_multi_choice_info(r["options"])
                parsed = eval_utils.parse_multi_choice_response(response, all_choices, index2ans)
                chosen = eval_utils.random
                eval_utils.random = NoChoice()  # the same call without the fallback: no candidate?
                unparsed = eval_utils.parse_multi_choice_response(response, all_choices, index2ans) is None
                eval_utils.random = chosen
                gold_i = gold if len(gold) > 1 else gold[0]
                extracted = parsed if parsed is not None else ""
            else:
                gold_i = gold if len(gold) > 1 else gold[0]
                if len(gold) == 1 and gold[0].startswith("["):
                    import ast  # lmms-lab's repr of a gold list, read as ast.literal_eval reads it
                    gold_i = ast.literal_eval(gold[0])
                parsed = eval_utils.parse_open_response(response)
                unparsed = response.strip() == ""
                extracted = extracted_open(parsed)
            sample = {"id": r["id"], "question_type": r["question_type"], "answer": gold_i, "parsed_pred": parsed}
            _, one = eval_utils.evaluate([sample])
            per_sample.append({"id": r["id"], "score": float(one["acc"]), "extracted": extracted})
            if unparsed and r.get("prediction") is not None:
                n_unparsed += 1
            subject = "_".join(r["id"].split("_")[1:-1])
            samples_by_subject.setdefault(subject, []).append(sample)

        # main_eval_only.py: evaluate() per subject, calculate_ins_level_acc per discipline and overall.
        evaluation_result = {}
        for subject, samples in samples_by_subject.items():
            _, metric_dict = eval_utils.evaluate(samples)
            metric_dict.update({"num_example": len(samples)})
            evaluation_result[subject] = metric_dict
        breakdown = {"subject": {}, "discipline": {}}
        for domain, subjects in data_utils.DOMAIN_CAT2SUB_CAT.items():
            in_domain = {s: evaluation_result[s] for s in subjects if s in evaluation_result}
            if in_domain:
                breakdown["discipline"][domain] = {
                    "n": sum(v["num_example"] for v in in_domain.values()),
                    "accuracy": 100.0 * eval_utils.calculate_ins_level_acc(in_domain)}
        for subject, v in evaluation_result.items():
            breakdown["subject"][subject] = {"n": v["num_example"], "accuracy": 100.0 * v["acc"]}
        overall = eval_utils.calculate_ins_level_acc(evaluation_result)
        aggregate = {"n": len(records), "n_missing": n_missing, "n_unparsed": n_unparsed, "score": 100.0 * overall,
                     "breakdown": breakdown}
        real = [x for x in sum(samples_by_subject.values(), []) if x["id"].startswith("validation_")]
        # The 900 real LLaVA-1.5-13B outputs alone: what main_eval_only.py prints as Overall.
        real_by_subject = {}
        for x in real:
            real_by_subject.setdefault("_".join(x["id"].split("_")[1:-1]), []).append(x)
        aggregate["subsets"] = {"validation_": {"n": len(real), "score": 100.0 * eval_utils.calculate_ins_level_acc(
            {s: evaluation_result_of(eval_utils, v) for s, v in real_by_subject.items()})}}
        assert not math.isnan(overall)
        common.write_expected(name, reference=REFERENCE, input_name="mmmu.input.jsonl", per_sample=per_sample,
                              aggregate=aggregate,
                              notes=f"variant {variant}; per-sample score 0 or 1; accuracies in percent; "
                                    "n_unparsed: multiple-choice answers without a candidate, open answers "
                                    "empty after strip (lmmbench's count; the official code has none)")


if __name__ == "__main__":
    main()
