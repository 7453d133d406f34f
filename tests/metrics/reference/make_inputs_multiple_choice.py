#!/usr/bin/env python3
"""Writes fixtures/multiple_choice.input.jsonl: hand-written cases aimed at every branch of
VLMEvalKit's can_infer (vlmeval/utils/matching_util.py) as mcq_vanilla_eval uses it, then seeded
random compositions. Categories and l2-categories follow MMStar's naming (core capability and
detailed axis). Deterministic: rerunning writes the same file."""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "fixtures", "multiple_choice.input.jsonl"))

ANIMALS = ["teddy bear", "rabbit", "cat", "dog"]
CN = ["猫", "狗", "兔子", "熊"]
YN = ["Yes", "No"]
SIX = ["red", "green", "blue", "yellow", "white", "black"]

CATS = [("coarse perception", "image scene and topic"),
        ("fine-grained perception", "attribute & celebrity recognition"),
        ("instance reasoning", "single-instance reasoning"),
        ("logical reasoning", "diagram reasoning"),
        ("math", "numeric commonsense and calculation"),
        ("science & technology", "natural science")]

# (name, prediction, options, gold); prediction None = missing, "<absent>" = no key at all.
CRAFTED = [
    ("bare-letter", "B", ANIMALS, "B"),
    ("bare-letter-wrong", "C", ANIMALS, "B"),
    ("paren", "(C)", ANIMALS, "C"),
    ("period", "C.", ANIMALS, "C"),
    ("bold", "**B**", ANIMALS, "B"),
    ("brackets", "[D]", ANIMALS, "D"),
    ("braces", "{A}", ANIMALS, "A"),
    ("colon", "B:", ANIMALS, "B"),
    ("semicolon-bang-hash", "#C;!", ANIMALS, "C"),
    ("letter-dot-text", "B. rabbit", ANIMALS, "B"),
    ("paren-text", "(D) dog", ANIMALS, "D"),
    ("answer-is-sentence", "The answer is B.", ANIMALS, "B"),
    ("answer-colon-newline", "The image shows a cat.\nAnswer: C", ANIMALS, "C"),
    ("last-four-tokens", "I think it is B because", ANIMALS, "B"),
    ("letter-too-early", "B because the image clearly shows two long ears", ANIMALS, "B"),
    ("letter-too-early-text", "D is right, the animal is a dog", ANIMALS, "D"),
    ("several-letters", "A or B", ANIMALS, "A"),
    ("several-letters-answer-is", "Between A and C, the answer is C", ANIMALS, "C"),
    ("answer-is-bold-lower", "After looking closely, the correct answer is **c** here, it has whiskers and a long tail", ANIMALS, "C"),
    ("answer-is-spaces", "Answer   is\td", ANIMALS, "D"),
    ("answer-is-colon", "answer is: B", ANIMALS, "B"),
    ("answer-is-beyond", "The answer is E", ANIMALS, "A"),
    ("long-s", "anſwer iſ d, I believe, because of the shape", ANIMALS, "D"),
    ("letter-beyond-options", "E", ANIMALS, "A"),
    ("lower-case-letter", "b", ANIMALS, "B"),
    ("full-width-letter", "Ｂ", ANIMALS, "B"),
    ("z-token", "Z", ANIMALS, "A"),
    ("z-in-sentence", "None of them, so Z.", ANIMALS, "A"),
    ("z-with-letter", "Z or A", ANIMALS, "A"),
    ("refusal-people", "Sorry, I can't help with images of people yet.", ANIMALS, "A"),
    ("refusal-file", "I can't process this file.", ANIMALS, "B"),
    ("refusal-no-image", "I'm sorry, but without the image provided I cannot say. B", ANIMALS, "B"),
    ("refusal-cannot", "Cannot determine the answer", ANIMALS, "C"),
    ("api-failure", "Failed to obtain answer via API", ANIMALS, "A"),
    ("api-failure-text", "Failed to obtain answer via API: cat", ANIMALS, "C"),
    ("option-text", "a cute teddy bear", ANIMALS, "A"),
    ("option-text-upper", "DOG", ANIMALS, "D"),
    ("option-text-two", "cat and dog", ANIMALS, "C"),
    ("option-text-too-long", "The animal in the picture is most likely a small domestic cat sitting on a sofa", ANIMALS, "C"),
    ("article-a", "A dog", ANIMALS, "D"),
    ("article-a-long", "A small brown dog is sitting on the grass", ANIMALS, "D"),
    ("chinese-text", "答案是狗", CN, "B"),
    ("chinese-letter-colon", "答案: B", CN, "B"),
    ("chinese-fullwidth-colon", "答案：B", CN, "B"),
    ("chinese-xuan", "选C", CN, "C"),
    ("chinese-two-texts", "不是猫，是兔子", CN, "C"),
    ("chinese-letter-period", "C。", CN, "C"),
    ("ideographic-space", "B\u3000", ANIMALS, "B"),
    ("nbsp", "\u00a0C\u00a0", ANIMALS, "C"),
    ("yes-no-text", "No", YN, "B"),
    ("yes-no-not-sure", "Not sure", YN, "A"),
    ("yes-no-letter", "A", YN, "A"),
    ("six-options", "F", SIX, "F"),
    ("six-options-text", "blue", SIX, "C"),
    ("six-options-green-yellow", "greenish yellow", SIX, "B"),
    ("empty", "", ANIMALS, "A"),
    ("whitespace", "  \n ", ANIMALS, "A"),
    ("missing", None, ANIMALS, "A"),
    ("absent", "<absent>", ANIMALS, "B"),
    ("digits", "2", ANIMALS, "B"),
]

STYLES = [
    lambda l, o: l, lambda l, o: f"({l})", lambda l, o: f"{l}.", lambda l, o: f"{l}. {o}",
    lambda l, o: f"The answer is {l}.", lambda l, o: f"Answer: {l}", lambda l, o: o,
    lambda l, o: o.upper(), lambda l, o: f"It is {o}.", lambda l, o: f"**{l}**",
    lambda l, o: f"{l} because it looks like {o} in the picture", lambda l, o: l.lower(),
    lambda l, o: f"I would say {l}", lambda l, o: "I don't know", lambda l, o: "Z",
    lambda l, o: f"{l}: {o}", lambda l, o: f"答案是{l}", lambda l, o: f"the correct answer is **{l.lower()}**",
]
WORDS = ["apple", "tree", "car", "house", "river", "cloud", "chair", "lamp", "phone", "book", "bird", "fish"]


def main():
    rng = random.Random(20261206)
    records = []
    for k, (name, prediction, options, gold) in enumerate(CRAFTED):
        cat, l2 = CATS[k % len(CATS)]
        r = {"id": f"crafted/{name}"}
        if prediction != "<absent>":
            r["prediction"] = prediction
        r.update({"options": options, "answer": gold, "category": cat, "l2_category": l2})
        records.append(r)
    for k in range(150):
        n = rng.choice([2, 3, 4, 4, 4, 5])
        options = rng.sample(WORDS, n)
        gold = rng.randrange(n)
        pick = gold if rng.random() < 0.6 else rng.randrange(n)
        letter = "ABCDE"[pick]
        prediction = rng.choice(STYLES)(letter, options[pick])
        cat, l2 = rng.choice(CATS)
        records.append({"id": f"seeded/{k}", "prediction": prediction, "options": options,
                        "answer": "ABCDE"[gold], "category": cat, "l2_category": l2})
    with open(OUT, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {os.path.relpath(OUT)}: {len(records)} records")


if __name__ == "__main__":
    main()
