#!/usr/bin/env python3
"""Writes fixtures/answer_processing.expected.json: the reference normalisation functions applied
to every prediction and answer of fixtures/vqa.input.jsonl and textvqa.input.jsonl, to every key
of the contractions table (also capitalised) and to the number words and articles.

  official_punctuation  GT-Vision-Lab/VQA@a013f00 vqaEval.py VQAEval.processPunctuation, with the
                        regexes recompiled ASCII-only (Python 2 `\\d`), see run_vqa.py
  digit_article         VQAEval.processDigitArticle
  evalai_punctuation    haotian-liu/LLaVA@c121f04 llava/eval/m4c_evaluator.py
                        EvalAIAnswerProcessor.process_punctuation (Python 3)
  evalai                EvalAIAnswerProcessor.__call__

    VQA_REPO=... LLAVA_REPO=... python3 tests/metrics/reference/run_answer_processing.py
"""

import argparse
import contextlib
import io
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import run_vqa  # noqa: E402


class NoQuestions:
    def getQuesIds(self):
        return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vqa-repo", default=os.environ.get("VQA_REPO"), help="GT-Vision-Lab/VQA at a013f00")
    parser.add_argument("--llava", default=os.environ.get("LLAVA_REPO"), help="haotian-liu/LLaVA at c121f04")
    args = parser.parse_args()
    if not args.vqa_repo or not args.llava:
        parser.error("--vqa-repo and --llava (or VQA_REPO, LLAVA_REPO) are required")
    official = run_vqa.load_official(args.vqa_repo)(NoQuestions(), NoQuestions())
    official.periodStrip = re.compile(official.periodStrip.pattern, re.ASCII)
    official.commaStrip = re.compile(official.commaStrip.pattern, re.ASCII)
    evalai = common.load_module(os.path.join(args.llava, "llava", "eval", "m4c_evaluator.py"),
                                "m4c_evaluator").EvalAIAnswerProcessor()

    strings = set(official.contractions) | {k.capitalize() for k in official.contractions}
    strings |= set(official.manualMap) | set(official.articles) | {"  The  two dogs  ", "a an the"}
    for name in ["vqa.input.jsonl", "textvqa.input.jsonl"]:
        for r in common.read_records(name):
            strings.update(a for a in [r.get("prediction")] + r["answers"] if a is not None)
    cases = []
    with contextlib.redirect_stdout(io.StringIO()):
        for s in sorted(strings):
            cases.append({"input": s,
                          "official_punctuation": official.processPunctuation(s),
                          "digit_article": official.processDigitArticle(s),
                          "evalai_punctuation": evalai.process_punctuation(s),
                          "evalai": evalai(s)})
    common.write_expected(
        "answer_processing.expected.json",
        reference="GT-Vision-Lab/VQA@a013f00 vqaEval.py processPunctuation/processDigitArticle (ASCII \\d); "
                  "haotian-liu/LLaVA@c121f04 llava/eval/m4c_evaluator.py EvalAIAnswerProcessor",
        input_name="vqa.input.jsonl + textvqa.input.jsonl + the contractions table",
        per_sample=cases, aggregate={})


if __name__ == "__main__":
    main()
