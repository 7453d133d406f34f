#!/usr/bin/env python3
"""Prints what VLMEvalKit itself reports for the TSVs make_vlmevalkit_tsvs.py writes and the
answers of tests/e2e/test_openvlm_tasks.cpp: the numbers that test expects from lmmbench.

    python3 make_vlmevalkit_tsvs.py DIR
    VLMEVALKIT_REPO=CHECKOUT python3 vlmevalkit_scores_of_tsvs.py DIR   # open-compass/VLMEvalKit @ e8e78f0

Each TSV is read with pandas (as VLMEvalKit loads it), the answers are added as its `prediction`
column, and open-compass/VLMEvalKit e8e78f0 vlmeval/dataset/utils/multiple_choice.py
mcq_vanilla_eval (MMStar, AI2D_TEST, RealWorldQA) or mcq_circular_eval (MMBench v1.1) runs without
a judge model, then report_acc. Output at e8e78f0 (fractions):
  MMStar Overall 0.5, coarse perception 0.5, math 0.333.., science & technology 1.0, geometry 0.5,
         image scene and topic 1.0, image style & quality 0.0, natural science 1.0,
         numeric commonsense and calculation 0.0
  AI2D_TEST 0.666..; RealWorldQA 0.5; MMBench_DEV_EN_V11 0.5 (image_scene 1.0, ocr 0.0);
  MMBench_DEV_CN_V11 1.0
"""
import importlib
import os
import sys
import tempfile
import types

import pandas as pd

ANSWERS = {1: "A", 2: "The answer is C", 3: "(C) 12", 4: "Cannot determine the answer",
           5: "I am not sure.", 6: "Photosynthesis makes it.", 101: "B", 102: "A rabbit", 103: "E",
           201: "A.", 202: "C because the road curves to the left", 301: "A", 1000301: "D",
           2000301: "C", 3000301: "B", 302: "A", 1000302: "GO", 401: "答案是狗", 1000401: "狗"}


def main(directory):
    root = os.environ["VLMEVALKIT_REPO"]
    os.environ.pop("VERBOSE", None)
    for name, sub in [("vlmeval", ""), ("vlmeval.dataset", "dataset"),
                      ("vlmeval.dataset.utils", os.path.join("dataset", "utils"))]:
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(root, "vlmeval", sub)]
        sys.modules[name] = module
    sys.path.insert(0, root)
    mc = importlib.import_module("vlmeval.dataset.utils.multiple_choice")
    for name, circular in [("MMStar", False), ("AI2D_TEST", False), ("RealWorldQA", False),
                           ("MMBench_DEV_EN_V11", True), ("MMBench_DEV_CN_V11", True)]:
        meta = pd.read_csv(os.path.join(directory, f"{name}.tsv"), sep="\t")
        data = meta.drop(columns=["image"])
        data["prediction"] = [str(ANSWERS[i]) for i in data["index"]]
        evaluate = mc.mcq_circular_eval if circular else mc.mcq_vanilla_eval
        with tempfile.TemporaryDirectory() as tmp:
            scored = evaluate(None, data, meta, 1, os.path.join(tmp, "result.pkl"), name)
        print(name, mc.report_acc(scored).to_dict("records")[0])


if __name__ == "__main__":
    main(sys.argv[1])
