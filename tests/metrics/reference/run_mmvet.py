#!/usr/bin/env python3
"""Runs MM-Vet's official grader on the cases of fixtures/mmvet.judge.json with a scripted judge
and writes fixtures/mmvet.input.jsonl, fixtures/mmvet.questions.json and
fixtures/mmvet.expected.json.

Reference: yuweihao/MM-Vet acde843 mm-vet_evaluator.py (the .py form of mm-vet_evaluator.ipynb),
imported unmodified with stub `openai` and `tqdm` modules (no network). Both of its stages run:

  runs(args, grade_file, data, len_data)   the grading loop, with the module's `client` replaced by
      a scripted judge that answers each request with the next reply of fixtures/mmvet.judge.json
      for that item (the item is recognised by its question in the prompt). The loop's own parse
      rule, re-asks (the re-ask prompt, temperature + 0.5 per try) and 0.0 fallback decide every
      grade; every request is recorded (run, item, temperature, whether it is a re-ask).
  export_result(...)   the aggregation, with num_run = 5 and decimal_places = 1, on the grade file
      runs() wrote. Its module globals (counter, len_data, sub_set, cap_set_list, file names) are
      set from load_metadata(args) as its __main__ block sets them. The builtin `round` and
      `np.round` it calls are wrapped in its globals to record the unrounded values; the rounded
      data frames are recorded as returned.

mmvet.input.jsonl is the grade file as `lmmbench score` reads it: one line per item {"id",
"capability" (mm-vet.json's), "score" and "content" (the grade file's lists)}. The reference has no rule that leaves unparsed grades
out, so the `parsed-only` variant has no expected file here (test_judge_metrics.cpp checks it on
hand-computed cases). PYTHONHASHSEED fixes the order of the reference's integration names.

    PYTHONHASHSEED=0 MMVET_REPO=$REFS/MM-Vet-acde843 $REFS/venv/bin/python \
        tests/metrics/reference/run_mmvet.py
"""

import argparse
import builtins
import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

REFERENCE = "yuweihao/MM-Vet@acde843 mm-vet_evaluator.py runs (grade parsing) + export_result"
NUM_RUN = 5


def stub_modules():
    openai = types.ModuleType("openai")
    openai.OpenAI = lambda **kwargs: None
    exceptions = types.ModuleType("openai._exceptions")

    class RateLimitError(Exception):
        pass

    exceptions.RateLimitError = RateLimitError
    sys.modules["openai"] = openai
    sys.modules["openai._exceptions"] = exceptions
    tqdm = types.ModuleType("tqdm")
    tqdm.tqdm = lambda iterable, **kwargs: iterable
    sys.modules["tqdm"] = tqdm


class ScriptedJudge:
    """Stands in for the OpenAI client: replies from the case file, in request order per item."""

    def __init__(self, cases):
        self.by_question = {c["question"]: c for c in cases}
        self.queues = {c["id"]: [r for run in c["replies"] for r in run] for c in cases}
        self.requests = []
        self.chat = types.SimpleNamespace(completions=types.SimpleNamespace(create=self.create))

    def create(self, model, max_tokens, temperature, messages):
        text = messages[0]["content"]
        case = next(c for q, c in self.by_question.items() if " | ".join([q, ""]) in text)
        reply = self.queues[case["id"]].pop(0)
        self.requests.append({"id": case["id"], "temperature": temperature,
                              "reask": text.endswith("\nPredict the correctness of the answer (digit): "),
                              "max_tokens": max_tokens, "reply": reply})
        message = types.SimpleNamespace(content=reply)
        return types.SimpleNamespace(model=model, choices=[types.SimpleNamespace(message=message)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mmvet", default=os.environ.get("MMVET_REPO"))
    args_cli = parser.parse_args()
    if not args_cli.mmvet:
        sys.exit("give --mmvet or MMVET_REPO (a checkout of yuweihao/MM-Vet at acde843)")
    stub_modules()
    ev = common.load_module(os.path.join(args_cli.mmvet, "mm-vet_evaluator.py"), "mmvet_evaluator")

    # configs/judges/mmvet_grader_prompt.txt must be the official prompt, byte for byte.
    stored = os.path.join(common.HERE, "..", "..", "..", "configs", "judges", "mmvet_grader_prompt.txt")
    with open(stored, encoding="utf-8", newline="") as f:
        if f.read() != ev.prompt:
            sys.exit(f"{stored} differs from the official prompt")
    prompt_sha256 = hashlib.sha256(ev.prompt.encode("utf-8")).hexdigest()

    with open(os.path.join(common.FIXTURES, "mmvet.judge.json"), encoding="utf-8") as f:
        cases = json.load(f)
    data = {c["id"]: {"imagename": c["imagename"], "question": c["question"],
                      "answer": c["answer"], "capability": c["capability"]} for c in cases}
    with open(os.path.join(common.FIXTURES, "mmvet.questions.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")

    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "mm-vet.json"), "w", encoding="utf-8") as f:
            json.dump(data, f)
        result_file = os.path.join(tmp, "model.json")
        with open(result_file, "w", encoding="utf-8") as f:
            json.dump({c["id"]: c["prediction"] for c in cases}, f)
        args = types.SimpleNamespace(mmvet_path=tmp, result_file=result_file, result_path=tmp,
                                     gpt_model="gpt-4-0613", prompt=ev.prompt, use_sub_set=False,
                                     decimal_places=1, num_run=NUM_RUN)
        (sub_set, sub_set_name, data_read, counter, cap_set_list, cap_set_counter, len_data, df,
         df2, cap_set_names) = ev.load_metadata(args)
        grade_file, cap_score_file, cap_int_score_file = ev.get_file_names(args, "model", sub_set_name)
        judge = ScriptedJudge(cases)
        ev.client = judge
        with contextlib.redirect_stdout(io.StringIO()) as log:
            grade_results = ev.runs(args, grade_file, data_read, len_data, sub_set)
        left = {k: q for k, q in judge.queues.items() if q}
        if left:
            sys.exit(f"replies not consumed: {left}")

        rounds = []

        def recording_round(x, n=None):
            rounds.append(float(x))
            return builtins.round(x, n)

        np_rounds = []

        real_np = ev.np

        class NumpyProxy:
            def __getattr__(self, name):
                return getattr(real_np, name)

            def round(self, a, decimals=0):
                np_rounds.append([float(x) for x in a])
                return real_np.round(a, decimals)

        for name, value in dict(sub_set=sub_set, counter=counter, cap_set_list=cap_set_list,
                                len_data=len_data, cap_score_file=cap_score_file,
                                cap_int_score_file=cap_int_score_file, round=recording_round,
                                np=NumpyProxy()).items():
            setattr(ev, name, value)
        df, df2 = ev.export_result(args, "model", df, df2, grade_results, data_read,
                                   cap_set_counter, cap_set_names)

    # export_result's round() calls: the std first, then each column of df (capabilities by
    # frequency, then total), then each column of df2 (integrations, then total).
    columns = [c for c in df.columns if c not in ("std", "runs")]
    columns2 = [c for c in df2.columns if c not in ("std", "runs")]
    if len(rounds) != 1 + len(columns) + len(columns2):
        sys.exit(f"unexpected round() calls: {len(rounds)}")
    unrounded = {"std": rounds[0], "runs": np_rounds[0]}
    unrounded["capability"] = dict(zip(columns, rounds[1:1 + len(columns)]))
    unrounded["capability_integration"] = dict(zip(columns2, rounds[1 + len(columns):]))
    printed = {"capability": {c: float(df.loc["model", c]) for c in columns},
               "capability_integration": {c: float(df2.loc["model", c]) for c in columns2},
               "std": float(df.loc["model", "std"]), "runs": df.loc["model", "runs"]}

    with open(os.path.join(common.FIXTURES, "mmvet.input.jsonl"), "w", encoding="utf-8") as f:
        for c in cases:
            g = grade_results[c["id"]]
            f.write(json.dumps({"id": c["id"], "capability": c["capability"], "score": g["score"],
                                "content": g["content"]}, ensure_ascii=False) + "\n")

    # Per reply: the grade the official loop read from it, or None where it asked again. A run's
    # last reply is the one it kept, unless the run hit the fallback (then the sixth reply is never
    # read and is left out here).
    parses = []
    position = {c["id"]: 0 for c in cases}
    for c in cases:
        for run, replies in enumerate(c["replies"]):
            score = grade_results[c["id"]]["score"][run]
            for k, reply in enumerate(replies):
                if k < len(replies) - 1:
                    parses.append({"reply": reply, "grade": None})
                elif len(replies) <= 5:
                    parses.append({"reply": reply, "grade": score})
    per_sample = [{"id": c["id"], "score": grade_results[c["id"]]["score"],
                   "content": grade_results[c["id"]]["content"]} for c in cases]
    common.write_expected(
        "mmvet.expected.json", reference=REFERENCE, input_name="mmvet.input.jsonl",
        per_sample=per_sample,
        aggregate={"unrounded": unrounded, "printed": printed, "prompt_sha256": prompt_sha256,
                   "parses": parses,
                   "requests": judge.requests, "evaluator_log": log.getvalue()},
        notes=("unrounded: the values export_result passes to round() (percent); printed: its "
               "data frames (1 decimal); capability_integration names are the reference's, a "
               "'_'-join of a Python set (hash-seed dependent order); parses: each judge reply "
               "and the grade the official loop read from it (null: it asked again); requests: "
               "every request the loop made, in order"))


if __name__ == "__main__":
    main()
