#!/usr/bin/env python3
"""Checks that VLMEvalKit's ANLS (open-compass/VLMEvalKit e8e78f0 vlmeval/dataset/utils/vqa_eval.py
process_line(method='anls') + hit_calculate(..., 'InfoVQA_VAL'), as ImageVQADataset scores
InfoVQA and DocVQA) gives, item for item, the scores of fixtures/anls.official.expected.json (the
RRC script's), so that the `anls/official` variant is VLMEvalKit's rule too. Each item is given as a
TSV row is: the answers as the string of a Python list (which process_line reads back with eval),
the prediction as given ("" when missing). Prints the number of items and of mismatches; exits 1
on a mismatch.

    VLMEVALKIT_REPO=CHECKOUT python3 tests/metrics/reference/check_anls_vlmevalkit.py
"""
import importlib
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    root = os.environ["VLMEVALKIT_REPO"]
    for name, sub in [("vlmeval", ""), ("vlmeval.dataset", "dataset"),
                      ("vlmeval.dataset.utils", os.path.join("dataset", "utils"))]:
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(root, "vlmeval", sub)]
        sys.modules[name] = module
    sys.path.insert(0, root)
    vqa_eval = importlib.import_module("vlmeval.dataset.utils.vqa_eval")
    import json
    with open(os.path.join(common.FIXTURES, "anls.official.expected.json"), encoding="utf-8") as f:
        expected = json.load(f)["per_sample"]
    records = common.read_records("anls.input.jsonl")
    mismatches = 0
    for r, e in zip(records, expected):
        assert r["id"] == e["id"]
        line = {"answer": str(list(r["answers"])), "prediction": r.get("prediction") or ""}
        hit = vqa_eval.hit_calculate([vqa_eval.process_line(line, method="anls")], "InfoVQA_VAL")[0]
        if hit != e["score"]:
            mismatches += 1
            print(f"{r['id']}: VLMEvalKit {hit}, official {e['score']}")
    print(f"{len(records)} items, {mismatches} mismatches")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
