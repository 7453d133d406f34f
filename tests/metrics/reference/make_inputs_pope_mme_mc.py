#!/usr/bin/env python3
"""Writes the `lmmbench score` input fixtures of pope, mme, scienceqa, seedbench and mmbench.

Each file holds hand-written cases aimed at one quirk of the reference code (see
/work/shared/research/metric-references.md, quirks 5, 6, 9, 10, 11), a seeded batch of random
tricky predictions, and, where the project has them, real files:

  pope       the first 1000 questions of each /work/shared/fixtures/pope_coco/coco_pope_<split>.json
             (real labels) with predictions written here (seeded);
  mme        /work/shared/fixtures/mme_example/LaVIN/<subtask>.txt as they are (real predictions);
  scienceqa  the real LLaVA outputs of /work/shared/fixtures/llava_sqa_results/*.json for the test
             questions whose choices and gold answer are in the problems file given by --problems
             (see README.md; the available copy is truncated, so only a prefix of the
             test set is reconstructed).

Every variant of a metric reads the same `<metric>.input.jsonl`. The output is deterministic:
rerunning this script rewrites byte-identical files.

    python3 tests/metrics/reference/make_inputs_pope_mme_mc.py \
        --shared /work/shared --problems /work/refs/scienceqa_problems.json
"""

import argparse
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))

# Whitespace of every class Python's str.isspace() knows, plus two that it does not (ZWSP, MVS).
WHITESPACE = [" ", "  ", "\n", "\t", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0",
              "\u2009", "\u3000", "\u2028", "\u200b", "\u180e"]
# Letters whose lower-casing changes the length (İ) or depends on context (Σ), full-width forms,
# letters that look like Latin ones.
ODD_LETTERS = ["İ", "ı", "ß", "Σ", "ς", "é", "É", "ǅ", "Ａ", "Ｂ", "ｙ", "Ｙ", "Ｎ", "Κ", "Κ", "ſ", "中", "答"]


def write_jsonl(name, records):
    path = os.path.join(FIXTURES, name)
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {os.path.relpath(path)}: {len(records)} records")


def item(id_, prediction, **fields):
    """A record; prediction None is written as JSON null, the string "<absent>" leaves it out."""
    r = {"id": id_}
    if prediction != "<absent>":
        r["prediction"] = prediction
    r.update(fields)
    return r


def decorate(rng, text):
    """Surrounding whitespace or punctuation, sometimes."""
    x = rng.random()
    if x < 0.55:
        return text
    if x < 0.70:
        return rng.choice(WHITESPACE) + text
    if x < 0.85:
        return text + rng.choice(WHITESPACE + [".", "!", ",", ".\n", "\n\n"])
    return rng.choice(WHITESPACE) + text + rng.choice(WHITESPACE)


# ---------------------------------------------------------------------------------------------
# POPE

POPE_TRICKY = [
    "Yes", "No", "yes", "no", "YES", "NO", "Nope", "nope", "not", "Not", "NOT", "", " ", "No.",
    "Yes.", "No,", "no,", "No, there is no {o} in the image.", "Yes, there is a {o} in the image.",
    "Yes, there is no {o}.", "There is no {o}.", "There is not a {o}.", "There isn't a {o}.",
    "I do not see a {o}", "No\nThere is a {o}.", "Yes\nNo", "No\n", "no\tthere", "  No", "Yes. No.",
    ". No", "no.yes", "Yes,no", "yes, no", "Yes!", "No!", "no!", "Yes, no {o}.", "Noo", "N0",
    "İno", "\u00a0no", "no\u00a0", "\u3000yes", "ＹＥＳ", "ｎｏ", "y", "n", "Maybe.",
    "Yes, a {o}, not a cat.", "Nothing.", "none", "No {o}", "The answer is no", "Answer: No",
    "not sure", "It is not clear.", "yes\r\nno", "No\u2028there", "No,\nno", "Yes,\u00a0no",
]


def pope_object(question):
    m = re.match(r"Is there an? (.*) in the image\?", question)
    return m.group(1) if m else "object"


def pope_inputs(shared, rng):
    records = []
    # Real POPE questions and labels, predictions written here.
    for split in ["adversarial", "popular", "random"]:
        path = os.path.join(shared, "fixtures", "pope_coco", f"coco_pope_{split}.json")
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f][:1000]
        for q in rows:
            obj = pope_object(q["text"])
            truth = q["label"]
            said = truth if rng.random() < 0.86 else ("no" if truth == "yes" else "yes")
            style = rng.random()
            if style < 0.35:
                text = said.capitalize()
            elif style < 0.55:
                text = said.capitalize() + "."
            elif style < 0.80:
                text = (f"Yes, there is a {obj} in the image." if said == "yes"
                        else f"No, there is no {obj} in the image.")
            elif style < 0.90:
                text = decorate(rng, said)
            else:
                text = rng.choice(POPE_TRICKY).format(o=obj)
            records.append(item(f"{split}/{q['question_id']}", text, label=truth, category=split))

    # Hand-written cases, one per quirk, in their own split.
    crafted = [
        ("No", "no"), ("no", "no"), ("not", "no"), ("NO", "no"), ("Nope", "no"), ("", "no"),
        ("No\nThere is a dog.", "no"), ("No.", "no"), ("No, there is no dog.", "no"),
        ("Yes, there is no dog.", "no"), ("There is not a dog", "no"), ("There isn't a dog", "no"),
        ("Yes. No.", "no"), (". No", "no"), ("no.yes", "yes"), ("Yes,no", "no"), ("yes, no", "yes"),
        ("No\tthere", "no"), ("  No", "no"), ("Not", "no"), ("NOT", "no"), ("Yes", "yes"),
        ("yes", "yes"), ("YES", "yes"), ("Yes!", "yes"), (" yes ", "yes"), ("\u00a0yes", "yes"),
        ("yes\u3000", "yes"), ("ＹＥＳ", "yes"), ("İno", "no"), ("No", "yes"), ("Yes", "no"),
        (None, "yes"), (None, "no"), ("<absent>", "yes"), ("y", "yes"), ("n", "no"),
        ("\n\nNo", "no"), ("No\n", "no"), ("no\n", "yes"), ("Yes.", "yes"), ("no.", "no"),
        ("Answer: no", "no"), ("nO", "no"),
    ]
    for i, (text, label) in enumerate(crafted):
        records.append(item(f"crafted/{i:03d}", text, label=label, category="crafted"))
    # Items without a split count only in `all`.
    for i, (text, label) in enumerate([("No", "no"), ("Yes", "no"), ("yes", "yes"), ("NO", "yes")]):
        records.append(item(f"nosplit/{i}", text, label=label))

    # Seeded random tricky predictions spread over the real splits.
    for i in range(300):
        parts = [rng.choice(POPE_TRICKY).format(o=rng.choice(["dog", "car", "person"]))
                 for _ in range(rng.randint(1, 3))]
        text = decorate(rng, rng.choice([" ", ". ", ", ", "\n", "", ",", "."]).join(parts))
        if rng.random() < 0.03:
            text = None
        records.append(item(f"random/{i:03d}", text, label=rng.choice(["yes", "no"]),
                            category=rng.choice(["adversarial", "popular", "random"])))
    return records


# ---------------------------------------------------------------------------------------------
# MME

MME_SUBTASKS = ["existence", "count", "position", "color", "posters", "celebrity", "scene",
                "landmark", "artwork", "OCR", "commonsense_reasoning", "numerical_calculation",
                "text_translation", "code_reasoning"]

MME_TRICKY = [
    "Yes", "No", "yes", "no", "YES", "NO", "y", "n", "Y", "N", "  yes", " no", "none", "None",
    "yesterday", "Nope", "not", "No.", "Yes.", "y.", ".n.", "", " ", "I think yes", "yes\tno",
    "\tyes", "\nyes", "yes\n", "Yes\r\nNo", "ye s", "YES!!", "nO", "n o", "İyes", "éyes", "İno",
    "ｙｅｓ", "no, it is not", "yes, it is", "The answer is yes", "yno", "ayes", "a no",
    "\u00a0yes", "yes\u00a0", "\u3000no", "noyes", "nyes", "yesno", "Yes, no", "No, yes", "n.o",
    "y.e.s", "...yes", ". no", "Ｙes", "nothing", "know", "snow", "ſes",
]


def mme_inputs(shared, rng):
    records = []
    lavin = os.path.join(shared, "fixtures", "mme_example", "LaVIN")
    for subtask in MME_SUBTASKS:
        with open(os.path.join(lavin, subtask + ".txt"), encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        assert lines[-1] == "", "every LaVIN file ends with a newline"
        for n, line in enumerate(lines[:-1]):
            image, _question, gold, prediction = line.split("\t")
            records.append(item(f"lavin/{subtask}/{n:03d}", prediction, label=gold,
                                subtask=subtask, image=image))

    # Hand-written pairs: (prediction for the "Yes" question, prediction for the "No" question).
    crafted = [
        ("y", "n"), ("  yes", "  no"), ("yesterday", "none"), ("Yes", "No"), ("YES", "NO"),
        ("Yes.", "No."), ("", ""), ("yes\tno", "no\tyes"), ("y.", ".n."), ("Nope", "Nope"),
        ("I think yes", "not"), ("İyes", "İno"), ("éyes", "éno"), (" yes", " no"), ("\nyes", "\nno"),
        ("yes\n", "no\n"), ("Yes\r\nNo", "No\r\nYes"), (None, "no"), ("yes", None), ("<absent>", "no"),
        ("Y", "N"), ("ye s", "n o"), ("YES!!", "nO"), ("ｙｅｓ", "ｎｏ"), ("\u00a0yes", "\u3000no"),
        ("noyes", "yesno"), ("nyes", "yno"), ("ayes", "a no"), ("ſes", "know"), ("yes", "yes"),
        ("no", "no"), ("Yes, it is", "No, it is not"),
    ]
    for i, (p_yes, p_no) in enumerate(crafted):
        subtask = MME_SUBTASKS[i % len(MME_SUBTASKS)]
        image = f"crafted_{i:03d}.jpg"
        records.append(item(f"crafted/{i:03d}/yes", p_yes, label="Yes", subtask=subtask, image=image))
        records.append(item(f"crafted/{i:03d}/no", p_no, label="No", subtask=subtask, image=image))

    # Seeded random pairs; the gold of the first question is "Yes" as in MME.
    for i in range(160):
        subtask = rng.choice(MME_SUBTASKS)
        image = f"random_{i:03d}.png"
        for gold in ["Yes", "No"]:
            parts = [rng.choice(MME_TRICKY) for _ in range(rng.randint(1, 2))]
            text = decorate(rng, rng.choice([" ", ", ", "", "."]).join(parts))
            if rng.random() < 0.02:
                text = None
            records.append(item(f"random/{i:03d}/{gold.lower()}", text, label=gold, subtask=subtask,
                                image=image))
    # The dataset order groups questions by subtask, as the official tool reads one file per subtask.
    order = {s: k for k, s in enumerate(MME_SUBTASKS)}
    records.sort(key=lambda r: order[r["subtask"]])
    return records


# ---------------------------------------------------------------------------------------------
# ScienceQA

def read_truncated_problems(path):
    """The problems of a ScienceQA problems.json, also when the file is cut off: every complete
    `"pid": {...}` member up to the cut."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    decoder = json.JSONDecoder()
    problems = {}
    for m in re.finditer(r'\n    "(\d+)": ', text):
        try:
            value, _ = decoder.raw_decode(text, m.end())
        except json.JSONDecodeError:
            break
        problems[m.group(1)] = value
    return problems


SQA_TRICKY = [
    "A", "B", "C", "D", "E", "F", "a", "b", " A", "A ", "A.", "B. ", "A. {t}", "A.{t}", "(A)", "(B)",
    "The answer is A.", "The answer is B.", "The answer is C", "The answer is D\n",
    "The answer is AB", "The answer is b.", "The answer is A. The answer is B.",
    "The answer is A. the answer is B.", "The answer is E.", "The answer is F.", "The answer is (B).",
    "Answer: B", "{t}", "The answer is AThe answer is B.", "The answer is A\nThe answer is B.",
    "LECTURE: ... The answer is C.", "The answer is Z.", "The answer is A!", "The answer is B\u00a0",
    "The answer is ＡB", "The answer is  A.", "the answer is A.", "", "\n", "A\n", "Ａ",
]


def sqa_inputs(shared, problems_path, rng):
    records = []
    if problems_path:
        problems = read_truncated_problems(problems_path)
        for tag, name in [("v0", "test_sqa_llava_13b_v0.json"),
                          ("lcs558k", "test_sqa_llava_lcs_558k_sqa_12e_vicuna_v1_3_13b.json")]:
            with open(os.path.join(shared, "fixtures", "llava_sqa_results", name), encoding="utf-8") as f:
                result = json.load(f)
            for pid, output in result["outputs"].items():
                p = problems.get(pid)
                if p is None or p.get("split") != "test":
                    continue
                letters = [chr(ord("A") + k) for k in range(len(p["choices"]))]
                records.append(item(f"{tag}/{pid}", output, options=p["choices"],
                                    answer=letters[p["answer"]], image=p["image"] is not None))

    crafted = [
        # (prediction, number of options, gold letter, image question)
        ("A", 4, "A", True), ("B", 2, "A", True), ("E", 5, "E", True), ("E", 4, "A", True),
        ("F", 5, "E", True), ("C", 2, "C", False), ("A. a cat", 3, "A", True), ("A.a cat", 3, "A", True),
        ("a", 3, "A", True), (" A", 3, "A", True), ("A ", 3, "A", True), ("B. ", 3, "B", True),
        ("B.", 3, "B", True), ("(B)", 3, "B", True), ("The answer is B.", 3, "B", True),
        ("The answer is B", 3, "B", True), ("The answer is B\n", 3, "B", True),
        ("The answer is BC", 3, "B", True), ("The answer is b.", 3, "B", True),
        ("The answer is A. The answer is B.", 3, "B", True),
        ("The answer is A. the answer is B.", 3, "A", True), ("The answer is E.", 3, "C", True),
        ("The answer is F.", 5, "E", True), ("The answer is (B).", 3, "B", True),
        ("Answer: B", 3, "B", True), ("The answer is AThe answer is B.", 3, "A", True),
        ("The answer is A\nThe answer is B.", 3, "B", True), ("The answer is A😀", 3, "A", True),
        ("The answer is A\u00a0", 3, "A", False), (None, 3, "A", True), ("<absent>", 3, "A", True),
        (None, 2, "B", False), ("", 2, "A", True), ("Ａ", 2, "A", True), ("A\n", 2, "A", True),
        ("A", 1, "A", True), ("LECTURE: x\nSOLUTION: y\nThe answer is D.", 4, "D", False),
    ]
    texts = ["a cat", "a dog", "a bird", "a fish", "a frog", "a newt"]
    for i, (pred, k, gold, image) in enumerate(crafted):
        records.append(item(f"crafted/{i:03d}", pred, options=texts[:k], answer=gold, image=image))

    for i in range(250):
        k = rng.randint(2, 5)
        options = rng.sample(["salt", "sugar", "iron", "wood", "glass", "water", "air", "gold"], k)
        parts = [rng.choice(SQA_TRICKY).format(t=rng.choice(options)) for _ in range(rng.randint(1, 2))]
        text = rng.choice([" ", "\n", "", ". "]).join(parts)
        if rng.random() < 0.3:
            text = decorate(rng, text)
        if rng.random() < 0.03:
            text = None
        fields = {"options": options, "answer": chr(ord("A") + rng.randrange(k))}
        if rng.random() < 0.9:
            fields["image"] = rng.random() < 0.6
        records.append(item(f"random/{i:03d}", text, **fields))
    return records


# ---------------------------------------------------------------------------------------------
# SEED-Bench

SEED_TRICKY = [
    "A", "B", "C", "D", "E", "a", "b", " A", "A ", "A.", "B.", "A. {t}", "(A)", "(C)",
    "The answer is A", "The answer is B.", "Answer: C", "{t}", "", " ", "\n", "Ａ", "Ｂ", "ａ",
    "B\n", "\u00a0C", "C\u3000", "\x1cD", "\u200bD", "İ", "d)", "D:", "Option B", "BA", "AB", "c.",
]


def seed_inputs(rng):
    records = []
    crafted = [
        ("A", "A"), ("a", "A"), (" A", "A"), ("A.", "A"), ("A. a cat", "A"), ("The answer is A", "A"),
        ("The answer is T", "B"), ("(A)", "A"), ("", "A"), (None, "A"), ("<absent>", "B"),
        ("Ａ", "A"), ("B\n", "B"), ("\u00a0C", "C"), ("D", "D"), ("E", "D"), ("İ", "A"),
        ("\u200bD", "D"), ("\x1cD", "D"), ("c.", "C"), ("BA", "B"), ("AB", "B"), ("b", "B"),
    ]
    types = ["Scene Understanding", "Instance Identity", "Instance Location", "Visual Reasoning",
             "Action Recognition"]
    for i, (pred, gold) in enumerate(crafted):
        records.append(item(f"seed-crafted-{i:03d}", pred, options=["a cat", "a dog", "a bird", "a fish"],
                            answer=gold, question_type=types[i % len(types)]))
    for i in range(280):
        options = rng.sample(["red", "blue", "green", "two", "three", "left", "right", "a man"], 4)
        gold = rng.choice("ABCD")
        x = rng.random()
        if x < 0.45:
            pred = gold
        elif x < 0.6:
            pred = rng.choice("ABCD")
        else:
            pred = rng.choice(SEED_TRICKY).format(t=rng.choice(options))
        if rng.random() < 0.3:
            pred = decorate(rng, pred)
        if rng.random() < 0.03:
            pred = None
        records.append(item(f"seed-random-{i:03d}", pred, options=options,
                            answer=gold, question_type=rng.choice(types)))
    return records


# ---------------------------------------------------------------------------------------------
# MMBench (circular)

MMB_CATEGORIES = ["image_scene", "image_emotion", "attribute_recognition", "ocr",
                  "physical_relation", "future_prediction"]


def rotations(options, gold_index):
    """The circular copies of a question: copy j shows the options rotated left by j."""
    k = len(options)
    for j in range(k):
        rotated = [options[(i + j) % k] for i in range(k)]
        yield j, rotated, (gold_index - j) % k


def render(rng, letter, text, options):
    """One way a model may write that it picks `letter` (whose option text is `text`)."""
    styles = [
        lambda: letter, lambda: letter + ".", lambda: f"({letter})", lambda: f"{letter})",
        lambda: f"{letter}:", lambda: f":{letter}", lambda: f"{letter}).", lambda: f"({letter}).",
        lambda: f":{letter},", lambda: f":{letter}.", lambda: f":{letter})", lambda: f":{letter}).",
        lambda: f"{letter}. {text}", lambda: f"{letter}, {text}", lambda: f"The answer is {letter}.",
        lambda: f"The answer is {letter}", lambda: f"Answer: {letter}", lambda: text,
        lambda: text.upper(), lambda: f"I think it is {text}.", lambda: letter.lower(),
        lambda: f"The correct answer is **{letter}**", lambda: f"**{letter}**",
        lambda: f"答案是{letter}", lambda: f"选 {letter}",
        lambda: f"{letter} is the answer because it shows {text} clearly in the picture",
        lambda: f"Between {rng.choice('ABCD')} and {letter}, I choose {letter}",
        lambda: f"{letter} or {rng.choice('ABCD')}", lambda: f"{letter}\n\nExplanation: {text}.",
        lambda: "Sorry, I can't help with images of people yet.", lambda: "Failed to obtain answer via API.",
        lambda: "", lambda: "I don't know", lambda: "banana", lambda: f"It is {text}, not {rng.choice(options)}",
        lambda: f"{letter}{letter}", lambda: f"Option {letter}", lambda: f"{letter}\u00a0",
        lambda: f"\u3000{letter}", lambda: "Cannot determine the answer", lambda: f"A {text}",
    ]
    return rng.choice(styles)()


def mmbench_inputs(rng):
    records = []

    def add_group(gid, options, gold_index, category, predictions):
        for (j, rotated, g), pred in zip(rotations(options, gold_index), predictions):
            records.append(item(f"{gid}/{j}", pred, options=rotated, answer=chr(ord("A") + g),
                                group=gid, category=category))

    # Hand-written groups: predictions per copy (copy j shows the options rotated by j).
    add_group("crafted-article", ["A glass", "A cup", "A bowl", "A plate"], 0, "image_scene",
              ["A. A glass", "D. A glass", "C. A glass", "B. A glass"])
    add_group("crafted-article2", ["a glass", "a cup", "a bowl", "a plate"], 0, "image_scene",
              ["A", "D", "C", "B. A glass"])
    add_group("crafted-nan3", ["yes", "no", "maybe"], 1, "ocr", ["banana", "banana", "banana"])
    add_group("crafted-nan2", ["red", "blue"], 0, "ocr", ["banana red", "nan"])
    add_group("crafted-decor", ["cat", "dog", "bird", "fish"], 2, "image_emotion",
              ["(C)", "B)", ":A", "D)."])
    add_group("crafted-decor2", ["cat", "dog", "bird", "fish"], 2, "image_emotion",
              [":C,", "(B).", "A:", ":D)."])
    add_group("crafted-phrase", ["cat", "dog", "bird", "fish"], 1, "attribute_recognition",
              ["The answer is B", "The answer is A.", "答案是D", "I choose C"])
    add_group("crafted-text", ["teddy bear", "rabbit", "cat", "dog"], 0, "attribute_recognition",
              ["a cute teddy bear", "It is a TEDDY BEAR", "teddy bear", "teddy bear, not a cat"])
    add_group("crafted-multi", ["cat", "dog", "bird", "fish"], 0, "ocr",
              ["A or B", "D and A", "C, maybe B", "B"])
    add_group("crafted-quantifier", ["cat", "dog", "bird", "fish"], 0, "future_prediction",
              ["I think the answer is A because", "A dog is D", "A bird? C", "A fish is B"])
    add_group("crafted-last-tokens", ["cat", "dog", "bird", "fish"], 3, "future_prediction",
              ["D is the answer because it shows a fish clearly in the picture", "C",
               "The answer is B", "A"])
    add_group("crafted-refusal", ["cat", "dog"], 0, "physical_relation",
              ["Sorry, I can't help with images of people yet.", "B"])
    add_group("crafted-api", ["cat", "dog"], 0, "physical_relation",
              ["Failed to obtain answer via API. A", "B"])
    add_group("crafted-missing", ["cat", "dog", "bird"], 0, "physical_relation", ["A", None, "B"])
    add_group("crafted-absent", ["cat", "dog"], 1, "physical_relation", ["B", "<absent>"])
    add_group("crafted-lower", ["cat", "dog"], 1, "image_scene", ["b", "a"])
    add_group("crafted-bold", ["cat", "dog", "bird", "fish"], 2, "image_scene",
              ["The correct answer is **c**", "**B**", "answer is\n**A**", "ANSWER IS D"])
    add_group("crafted-unicode", ["İstanbul", "ΟΔΟΣ", "Straße", "Ελλάς"], 1, "ocr",
              ["İSTANBUL is wrong; ΟΔΟΣ", "the road: οδος", "ΟΔΟΣ", "Ｂ"])
    add_group("crafted-five", ["cat", "dog", "bird", "fish", "newt"], 4, "image_scene",
              ["E", "D", "C. bird", "B", "newt"])
    add_group("crafted-fallback", ["cat", "dog", "bird", "fish"], 3, "image_emotion",
              ["Dog", "Cats are not fish", "Birds", "Apple"])
    add_group("crafted-start-end", ["cat", "dog", "bird", "fish"], 2, "image_emotion",
              ["C-ish", "Basically B", "maybe A", "Definitely D"])
    add_group("crafted-strip", ["cat", "dog", "bird", "fish"], 0, "ocr",
              ['"A".', "'D'", "D,", "...B!?"])
    add_group("crafted-words", ["cat", "dog", "bird", "fish"], 0, "ocr",
              ["Option A", "DD", "(D) or (C)", "B\n\nExplanation: cat."])

    # extract_mcq_answer finds the phrase in the lower-cased text but searches the letters in the
    # text itself: each 'İ' before the phrase (two characters once lower-cased) shifts the search.
    add_group("crafted-shift", ["cat", "dog", "bird", "fish"], 1, "ocr",
              ["İİ the answer is B and not C but Bob", "A", "D", "C"])
    # VLMEvalKit's length guard counts the lower-cased prediction: 'İ' counts twice.
    add_group("crafted-length", ["ab", "cd"], 0, "ocr", ["İİİ ab", "ab"])

    # Seeded random groups.
    pool = ["red", "blue", "a man", "a woman", "two", "three", "left", "right", "sunny", "rainy",
            "A car", "a tree", "nan", "yes", "no", "the dog", "happy", "sad", "Ａpple", "İzmir"]
    for i in range(150):
        k = rng.choice([2, 3, 4, 4, 4])
        options = rng.sample(pool, k)
        gold = rng.randrange(k)
        category = rng.choice(MMB_CATEGORIES)
        skill = rng.random()
        predictions = []
        for j, rotated, g in rotations(options, gold):
            # A model that mostly picks one option text across the rotations.
            pick_text = options[gold] if rng.random() < skill else rng.choice(options)
            letter = chr(ord("A") + rotated.index(pick_text))
            pred = render(rng, letter, pick_text, rotated)
            if rng.random() < 0.2:
                pred = decorate(rng, pred)
            if rng.random() < 0.02:
                pred = None
            predictions.append(pred)
        add_group(f"random-{i:03d}", options, gold, category, predictions)
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default=os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared")),
                        help="the shared directory holding fixtures/pope_coco, mme_example, llava_sqa_results")
    parser.add_argument("--problems", default="",
                        help="ScienceQA problems.json (choices and gold answers of the real outputs)")
    args = parser.parse_args()

    write_jsonl("pope.input.jsonl", pope_inputs(args.shared, random.Random(5001)))
    write_jsonl("mme.input.jsonl", mme_inputs(args.shared, random.Random(5002)))
    write_jsonl("scienceqa.input.jsonl", sqa_inputs(args.shared, args.problems, random.Random(5003)))
    write_jsonl("seedbench.input.jsonl", seed_inputs(random.Random(5004)))
    write_jsonl("mmbench.input.jsonl", mmbench_inputs(random.Random(5005)))


if __name__ == "__main__":
    main()
