#!/usr/bin/env python3
"""Writes the hand-made inputs of the judge-scored metrics (llava_bench, mmvet).

  llava_bench.reviews.jsonl     60 reviews in the format LLaVA's eval_gpt_review_bench.py writes
                                ({"id", "question_id", "answer1_id", "answer2_id", "category":
                                "llava_bench_<c>", "content"}; the "tuple" is added by
                                run_llava_bench.py with the reference's own parse_score), 20 per
                                LLaVA-Bench category, seeded grades (integers, halves, tenths) and
                                hand-written replies aimed at parse_score (commas, extra spaces,
                                a second line, unreadable first lines).
  llava_bench.questions.jsonl   the matching question file (LLaVA-Bench's questions.jsonl format:
                                question_id, image, text, category without the prefix).
  mmvet.judge.json              the MM-Vet cases: mm-vet.json-format items (question, answer,
                                capability: every capability set of the real benchmark and a few
                                more), the model's prediction, and for each of 5 judge runs the
                                judge's replies in the order the official code would ask for them
                                (a reply it cannot parse makes it ask again).

The output is deterministic (seeded): rerunning rewrites byte-identical files.

    python3 tests/metrics/reference/make_inputs_judge.py
"""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))


def write_jsonl(name, records):
    with open(os.path.join(FIXTURES, name), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def fmt(x):
    return str(int(x)) if x == int(x) else str(x)


def llava_bench(rng):
    # Replies aimed at parse_score: review.split('\n')[0], ',' -> ' ', split(' '), two floats.
    crafted = [
        "8,9\nAssistant 2 is better.",  # comma separator
        "7.5 8.5",
        "9 6\n\nBoth assistants ...",
        "10, 4\nAssistant 2 missed the sign.",  # ', ' -> two spaces -> three parts: unreadable
        "Assistant 1: 8\nAssistant 2: 7",  # first line has three parts: unreadable
        "6 7.25",
        "3\t5",  # one part: unreadable
        " 8 9",  # leading space: three parts: unreadable
        "8 9\r\nThe second answer ...",  # '\r' is whitespace to float()
        "1e1 5e0",  # floats in exponent form
    ]
    categories = ["conv", "detail", "complex"]
    reviews, questions = [], []
    for q in range(60):
        category = categories[q // 20]
        qid = q
        questions.append({"question_id": qid, "image": f"{q // 3 + 1:03d}.jpg",
                          "text": f"Question {qid} about the image.", "category": category})
        if q % 6 == 5 and q // 6 < len(crafted):
            content = crafted[q // 6]
        else:
            a1 = rng.choice([6, 7, 8, 8, 9, 9, 10, 7.5, 8.5])
            a2 = rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 6.5, 7.5, 4.5, 7.3])
            content = f"{fmt(a1)} {fmt(a2)}\nAssistant 1 gave a more detailed answer."
        reviews.append({"id": q + 1, "question_id": qid, "answer1_id": f"gpt4-{qid}",
                        "answer2_id": f"model-{qid}", "category": "llava_bench_" + category,
                        "content": content})
    write_jsonl("llava_bench.reviews.jsonl", reviews)
    write_jsonl("llava_bench.questions.jsonl", questions)


# The capability sets of MM-Vet v1 (mm-vet.json), plus two that do not occur there.
CAPABILITY_SETS = [
    ["rec", "know", "gen"], ["rec"], ["ocr", "spat"], ["ocr", "spat", "math"], ["rec", "spat"],
    ["ocr"], ["ocr", "math"], ["rec", "know"], ["ocr", "rec", "know", "gen"],
    ["ocr", "rec", "spat", "gen"], ["ocr", "rec", "spat"], ["ocr", "rec"], ["ocr", "spat", "know"],
    ["rec", "spat", "know"], ["ocr", "spat", "gen"], ["ocr", "rec", "spat", "math"],
    ["know", "math"], ["gen", "know", "rec", "ocr", "spat", "math"],
]

# Replies aimed at the official parse: content.split(" ")[0].strip(), float(), 0.0 <= x <= 1.0.
GOOD = ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0", "1", "0"]
ODD_GOOD = ["0.5 because", "0.4\n", "-0.0", "1e-1", "\u00a00.3", "0.25", ".7", "１",
            "0.9 (close)"]
BAD = [" 0.5", "1.0.", "0.6\tok", "1.5", "Correctness: 0.4", "0,5", "", "The", "0.5.", "-0.1", "1_0", "inf", "0.3|"]


def mmvet(rng):
    items = []
    for i in range(40):
        caps = CAPABILITY_SETS[i % len(CAPABILITY_SETS)]
        runs = []
        for run in range(5):
            replies = []
            attempts = 0
            if i == 7 and run == 2 or i == 23 and run == 0:  # five unreadable: the fallback 0.0
                replies = [rng.choice(BAD) for _ in range(6)]
            else:
                while rng.random() < 0.12 and attempts < 3:  # re-asked after unreadable replies
                    replies.append(rng.choice(BAD))
                    attempts += 1
                replies.append(rng.choice(ODD_GOOD) if rng.random() < 0.2 else rng.choice(GOOD))
            runs.append(replies)
        items.append({
            "id": f"v1_{i}",
            "imagename": f"v1_{i}.png",
            "question": f"Question {i}: what does the image show?",
            "answer": "a <AND> b" if i % 5 == 0 else ("x <OR> y" if i % 5 == 1 else f"answer {i}"),
            "capability": caps,
            "prediction": f"prediction {i}",
            "replies": runs,
        })
    with open(os.path.join(FIXTURES, "mmvet.judge.json"), "w", encoding="utf-8") as f:
        json.dump(items, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    llava_bench(random.Random(17))
    mmvet(random.Random(1717))


if __name__ == "__main__":
    main()
