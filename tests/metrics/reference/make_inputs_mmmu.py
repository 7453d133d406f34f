#!/usr/bin/env python3
"""Writes fixtures/mmmu.input.jsonl: the 900 real LLaVA-1.5-13B validation outputs that the MMMU
repository ships (mmmu/example_outputs/llava1.5_13b/<Subject>/output.json, with each item's
options and gold), hand-written cases aimed at every branch of parse_multi_choice_response,
parse_open_response, extract_numbers, normalize_str and eval_open, and seeded random ones.

  python3 tests/metrics/reference/make_inputs_mmmu.py --mmmu $REFS/MMMU-bb0b95a
"""

import argparse
import glob
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OPTIONS = ["cat", "dog", "a bird", "cat food"]

# (prediction, gold letter) for the options above; None = no prediction.
MC_CASES = [
    ("A", "A"), ("(B)", "B"), ("B.", "B"), ("The answer is C.", "C"), ("(A) and (B)", "B"),
    ("A or B", "B"), ("(C) or (A)", "A"), ("(A) (B) (A)", "A"), ("'A'", "A"), ("A,", "A"),
    ("?A!", "A"), (".A.", "A"), ("A.,", "A"), (",.A", "A"), ("a", "A"), ("", "A"), (None, "A"),
    ("E", "A"), ("Answer: (D)", "D"), ("Ａ", "A"), ("A\nB", "A"), ("A\tB", "B"),
    ("I think the answer is dog because it barks", "B"),
    ("dog", "B"), ("the dog", "B"), ("it is a dog for sure", "B"), ("it is a dog, sure", "B"),
    ("cat food is the best choice for sure", "D"), ("I would pick cat food over a dog any day", "B"),
    ("I would pick a dog over cat food any day", "D"), ("A B C D E F", "D"),
    ("The answer is (A) but also B is ok", "A"), ("the answer is B, not A", "A"),
    ("the answer is B not A", "A"), ("Option (b)", "B"), ("(A)(B)", "B"), ("A)", "A"),
    ("[C]", "C"), ("**C**", "C"), ("The correct option is: C", "C"), ("DOG is my final answer here", "B"),
    ("none of the options fit this question at all", "A"), ("  B  ", "B"), ("\u00a0B\u00a0", "B"),
    ("B\u3000", "B"), ("The answer is A. B is wrong. C is wrong.", "A"), ("'", "A"), (",", "A"),
    ("I choose the bird, a bird indeed", "C"), ("CAT CAT CAT CAT CAT CAT", "A"),
]

# Unicode and empty option texts, each (options, prediction, gold).
MC_SPECIAL = [
    (["İstanbul", "Ankara"], "the capital city of turkey is istanbul, right", "A"),
    (["İstanbul", "Ankara"], "the capital city of turkey is İstanbul, right", "A"),
    (["ΟΔΟΣ", "Β"], "the greek word written here is οδος i think", "A"),
    (["", "x"], "there is nothing more to say here", "A"),
    (["1", "2", "Not exist"], "the limit does not exist at zero", "C"),
    (["1", "2", "Not exist"], "the value is 2 as x goes to 1", "B"),
    (["$5", "$10"], "It costs $10 in total here", "B"),
    (["a", "b", "c", "d", "e", "f", "g", "h", "i"], "I", "I"),
    (["a", "b", "c", "d", "e", "f", "g", "h", "i"], "(I)", "I"),
]

# (prediction, gold) for open questions; a gold list is several answers.
OPEN_CASES = [
    ("1.06", "1.06"), ("The answer is 1.06 m", "1.06"), ("1.060", "1.06"), ("1.0600001", "1.06"),
    ("approximately 1.055", "1.06"), ("1.065", "1.06"), ("12000", "12,000"), ("12,000 dollars", "12,000"),
    ("the total is $12,000.", "12,000"), ("1.2e4", "12,000"), ("1.2E4", "12,000"), ("-5", "-5"),
    ("minus 5", "-5"), ("x = -5", "-5"), ("5", "-5"), ("c", "C"), ("The answer is C", "C"),
    ("abc", "C"), ("transformation", "Transformation"), ("It is a transformation process", "Transformation"),
    ("transform", "Transformation"), ("3.429", ["24/7", "3.429"]), ("24/7", ["24/7", "3.429"]),
    ("3.43", ["24/7", "3.429"]), ("MgS", ["$MgS$", "MgS"]), ("1/64", "1/64"), ("0.015625", "1/64"),
    ("The result is 60.\nSo the final answer = 60", "60"), ("4 moles", "4"), ("There are 4", "4"),
    ("14", "4"), ("", "4"), (None, "4"), ("   ", "4"), ("٤", "4"), ("the answer is ٤٢", "42"),
    ("1,5678", "5678"), ("1,234,5678", "1234"), ("123e5", "5"), ("1.5e3", "1500"), ("1.5e3", "1"),
    ("1.5,", "1.5"), ("1.5,", "1"), ("x-5", "-5"), ("abc123", "123"), ("3.14.15", "14.15"), (".5", "0.5"),
    ("-.5", "-0.5"), ("1_000", "1000"), ("nan", "nan"), ("inf", "inf"), ("Infinity", "inf"),
    ("it could be 3 or so 4", "4"), ("it could be 3 or so 4", "3"), ("The answer is .", "1"),
    ("answer is ", "1"), ("x = 5\ny = 7", "5"), ("x = 5\ny = 7", "7"), ("so 5\r\nso 6", "5"),
    ("Therefore, the result is 2.50.", "2.5"), ("the answer is 2.5%", "2.5"), ("€1,000,000", "1000000"),
    ("-1,000", "-1000"), ("1,000.5", "1000.5"), ("the value is 0.125", "0.12"), ("0.135", "0.14"),
    ("The answer is: :", "1"), ("So, ", "1"), ("is 7 is 8", "7"), ("8 so", "8"),
    ("The answer is B.", "B"), ("b", "B"), ("the ratio is 3:4", "3:4"), ("THE ANSWER IS X", "x"),
    ("final answer 12.", "12"), ("1e400", "inf"), ("result = 1e-3", "0.001"), ("२३", "23"),
    ("x_1 = 3", "3"), ("3x + 2 = 11", "11"), ("pH is 7.0", "7"), ("5 m/s", "5 m/s"),
    ("The distance is 5 m/s.", "5 m/s"), ("It is Σ", "σ"), ("ΣΑΣ", "σας"),
]

PREDICTION_POOL = [
    "A", "B", "C", "D", "(A)", "(B)", "C.", "The answer is D.", "dog", "the answer is 4", "4",
    "1,000", "-2.5", "3.14e2", "so 7", "x = 12", "I cannot tell from the image.", "", "A and B",
    "(C) (D)", "cat food", "it could be 3 or so 4", "12,000 dollars", "approximately 0.5",
    "The final answer is 42", "\n", "Answer: B", "b", "therefore 10", "none",
]
GOLD_POOL = ["4", "1,000", "-2.5", "314", "7", "12", "42", "0.5", "10", "cat", "3", "12000", "dog"]


def subject_cycle():
    subjects = ["Math", "Physics", "Art", "Accounting", "History", "Computer_Science"]
    while True:
        yield from subjects


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mmmu", default=os.environ.get("MMMU_REPO"), required="MMMU_REPO" not in os.environ,
                        help="(env MMMU_REPO) checkout of MMMU-Benchmark/MMMU @ bb0b95a")
    args = parser.parse_args()
    records = []
    outputs = sorted(glob.glob(os.path.join(args.mmmu, "mmmu", "example_outputs", "llava1.5_13b", "*", "output.json")))
    for path in outputs:
        with open(path, encoding="utf-8") as f:
            for o in json.load(f):
                r = {"id": o["id"], "prediction": o["response"], "question_type": o["question_type"]}
                if o["question_type"] == "multiple-choice":
                    r["options"] = [str(o["index2ans"][c]) for c in o["all_choices"]]
                    r["answers"] = [o["answer"]]
                else:
                    r["answers"] = o["answer"] if isinstance(o["answer"], list) else [o["answer"]]
                records.append(r)
    subjects = subject_cycle()
    n = 0

    def add(prediction, question_type, answers, options=None):
        nonlocal n
        n += 1
        r = {"id": f"crafted_{next(subjects)}_{n}", "prediction": prediction, "question_type": question_type}
        if options is not None:
            r["options"] = options
        r["answers"] = answers
        records.append(r)

    for prediction, gold in MC_CASES:
        add(prediction, "multiple-choice", [gold], OPTIONS)
    for options, prediction, gold in MC_SPECIAL:
        add(prediction, "multiple-choice", [gold], options)
    for prediction, gold in OPEN_CASES:
        add(prediction, "short-answer", gold if isinstance(gold, list) else [gold])
    # A gold list written as its Python repr, as lmms-lab/MMMU's answer column stores it.
    add("3.429", "short-answer", ["['24/7', '3.429']"])
    add("24/7", "short-answer", ["['24/7', \"3.429\"]"])
    rng = random.Random(20261206)
    for _ in range(300):
        if rng.random() < 0.6:
            k = rng.randint(2, 6)
            options = [rng.choice(GOLD_POOL + ["bird", "a cat", "the dog"]) for _ in range(k)]
            pred = rng.choice(PREDICTION_POOL)
            if rng.random() < 0.3:
                pred = pred + " " + rng.choice(PREDICTION_POOL) + " " + rng.choice(options)
            add(pred, "multiple-choice", [chr(ord("A") + rng.randrange(k))], options)
        else:
            pred = rng.choice(PREDICTION_POOL)
            if rng.random() < 0.4:
                pred = rng.choice(["The answer is ", "so ", "x = ", "", "I think "]) + rng.choice(GOLD_POOL)
            add(pred, "short-answer", [rng.choice(GOLD_POOL)])
    path = os.path.join(common.FIXTURES, "mmmu.input.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {os.path.relpath(path)}: {len(records)} items")


if __name__ == "__main__":
    main()
