"""Caption metrics: writes the inputs and runs pycocoevalcap itself on them.

Writes, under tests/metrics/fixtures/:
  caption.input.jsonl          hand-written images (lmmbench score input: id, prediction, answers)
  caption_random.input.jsonl   seeded synthetic images (realistic caption vocabulary)
  caption.expected.json        pycocoevalcap's numbers for each input file
  caption/ptb_tokenizer.json   inputs and pycocoevalcap's PTBTokenizer output (Stanford's Java
                               PTBTokenizer + its punctuation filter) for each, one caption per case

Needs pycocoevalcap (PyPI) and Java (it runs the CoreNLP and METEOR jars):
  python3 -m venv $REFS/capvenv && $REFS/capvenv/bin/pip install pycocoevalcap==1.2
  $REFS/capvenv/bin/python tests/metrics/reference/run_caption.py
"""

import json
import os
import random
import subprocess
import sys

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.meteor.meteor import Meteor
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "benchmarks"))
from common import FIXTURES  # noqa: E402
from caption_data import random_caption  # noqa: E402

COMMAND = "python3 tests/metrics/reference/run_caption.py"


def version():
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    from importlib.metadata import version as package_version
    # PyPI's 1.2 is salaniz/pycocoevalcap at ad63453 (tag v1.2), file for file.
    return (f"pycocoevalcap {package_version('pycocoevalcap')} (PyPI; salaniz/pycocoevalcap@ad63453), "
            f"{java[0] if java else 'java ?'}")


# Every kind of text a caption or a model's answer holds; none has a line break (pycocoevalcap
# hands the Java tokenizer one caption per line, so a '\r', '\v', '\f', U+0085, U+2028 or U+2029
# inside a caption shifts every later caption onto the wrong image there).
TOKENIZER_CASES = [
    "A man riding a wave on top of a surfboard.",
    "A man (in a red shirt) is riding a horse.",
    "The dog's ball isn't here; it's \"big\" and won't move!",
    "A colour photo of a grey cat, theatre centre.",
    "Two 2.5-year-old kids, 3,000 people & 1/2 cup... at 5:30 p.m. U.S.A. e-mail",
    "She said 'hello' -- then left -- {yes} [no] <tag> $5 #1 @home 50% a+b a*b a/b",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u2014 \u201cquoted\u201d \u2018single\u2019 \u2026 S\u00e3o Paulo \u00c9COLE",
    "can't cannot gonna wanna y'all o'clock rock'n'roll 'tis '90s",
    "a  b   c\td",
    "!!!???...",
    "www.example.com john@x.com 10-20 1990s mr. dr. st. etc.",
    "don\u2019t it\u2019s the boys' toys James's car I'm we're they've she'd he'll",
    "A man. A woman.",
    "a sign that reads \"stop\".",
    "a man with a hat.The end",
    "end with abbreviation mr.",
    "a 3-d image, a t-shirt, well-known 1st 2nd 3rd 24/7 9/11 1:2",
    "ok... wait.... hmm .. yes?! no!? (a) [b] {c}",
    "'quoted' \"dq\" ''already'' ``latex``",
    "U.S. army in the U.S. a.m. vs. e.g. i.e.",
    "it costs $3.50 or \u00a34 or \u20ac5 or \u00a56 ~ ^ = | \\ _",
    "hello-- world --hello - x -- y --- z",
    "tom & jerry AT&T r&b 100km/h 5'10\" 6ft",
    "A Man Riding A Wave On Top Of A Surfboard",
    "a man's dog's bone",
    "isn't aren't wasn't weren't doesn't didn't couldn't shouldn't wouldn't hasn't haven't hadn't",
    "dogs' gotta lemme more'n",
    "x.y.z mt. st. jr. sr. co. inc. ltd. corp.",
    "a dog on a.",
    "he said no.",
    "I am ok.",
    "it is 5 p.m.",
    "about 3 in.",
    "so-so 5-6 x-ray 1990-2000",
    "what's that?",
    "\u201cHello,\u201d she said.",
    "he\u2019s",
    "foo/bar. 50/50",
    "words:like this",
    "a,b 1,2 a;b a:b a%b a-b -x x- a--b a\u2014b a\u2013b a_b a~b",
    "word.. .5 5. 5.0. ...word (word) word), \"word,\" 3.",
    "A giraffe standing next to a tree in a field.",
    "A kitchen with a stove, a sink, and a refrigerator.",
    "Several people are standing around a table full of food!",
    "The cat is sitting on the laptop's keyboard.",
    "A bus that is driving down the street.",
    "An old-fashioned clock tower; it's 10:30.",
    "Is this a \"stop\" sign?",
    "A plate with a sandwich and some fries (and a pickle).",
    "A close-up of a pizza with pepperoni, cheese and olives...",
    "Three zebras grazing in the grass - one is looking at the camera.",
    "A woman holding an umbrella in the rain: she looks happy.",
    "The image shows a red double-decker bus in London.",
    "A baseball player swinging a bat at a ball",
    "Two men playing frisbee in a park while a dog watches",
    "the the the dog dog",
    "\u00dcber Stra\u00dfe \u0130stanbul \u039f\u0394\u039f\u03a3 \u00c5ngstr\u00f6m",
    "\u4e00\u53ea\u732b\u5750\u5728\u6c99\u53d1\u4e0a\u3002",
    "emoji \U0001F600 cat \U0001F431 end",
    "",
    "   ",
    "a",
    ".",
]


# Words and the punctuation that clings to them, as in running text: the stress cases combine
# them at random (opening marks glued before a word, closing marks after it, words apart).
WORDS = [
    "dog", "Dog", "DOG", "a", "the", "man's", "isn't", "can't", "won't", "they're", "I'm", "we'll",
    "he'd", "you've", "cannot", "gonna", "dogs'", "'90s", "o'clock", "rock'n'roll", "it\u2019s",
    "don\u2019t", "3", "3.5", "3,000", "10:30", "1/2", "2-year-old", "t-shirt", "e-mail", "U.S.",
    "p.m.", "Mr.", "Dr.", "etc.", "e.g.", "St.", "a/b", "@home", "x@y.com", "www.x.com", "50%",
    "AT&T", "r&b", "caf\u00e9", "\u00c9COLE", "stra\u00dfe", "\u0130stanbul", "\u03a3\u039f\u03a3",
    "\u732b", "-", "--", "\u2014", "&", "+", "=", "...", "$", "5",
]
OPENING = ["(", "[", "{", "\"", "'", "`", "``", "\u201c", "\u2018", "$", "#", "\u00a3", "\u20ac"]
CLOSING = [".", ",", ";", ":", "!", "?", "?!", "...", "..", "\u2026", ")", "]", "}", "\"", "'",
           "''", "\u201d", "\u2019", "%", "\u3002", "-", "--"]


def stress_case(rng):
    words = []
    for _ in range(rng.randint(1, 10)):
        w = rng.choice(WORDS)
        if rng.random() < 0.25:
            w = rng.choice(OPENING) + w
        if rng.random() < 0.35:
            w = w + rng.choice(CLOSING)
        words.append(w)
    return rng.choice([" ", " ", "  ", " \u00a0", "\t"]).join(words)


def tokenizer_cases(rng):
    cases = list(TOKENIZER_CASES)
    for _ in range(300):
        cases.append(random_caption(rng, punctuate=True))
    for _ in range(1500):
        cases.append(stress_case(rng))
    return cases


def ptb(captions):
    """pycocoevalcap's tokenisation of each caption, one image per caption (the last caption
    must not be empty: the Java tool drops a final empty line)."""
    tokenized = PTBTokenizer().tokenize({i: [{"caption": c}] for i, c in enumerate(captions)})
    return [tokenized[i][0] for i in range(len(captions))]


HAND_IMAGES = [
    ("cap-000", "A man riding a wave on top of a surfboard.",
     ["A man riding a wave on top of a surfboard.", "A surfer rides a large wave in the ocean.",
      "a person on a surfboard riding a wave", "A man surfing on a big wave.",
      "Surfer in a wetsuit riding a breaking wave."]),
    ("cap-001", "Two dogs playing with a frisbee in the park.",
     ["Two dogs play with a frisbee.", "Dogs chasing a frisbee in a grassy park.",
      "two dogs are playing in the park"]),
    ("cap-002", "", ["A plate of food with broccoli.", "a dish of broccoli and rice"]),
    ("cap-003", "The dog's ball isn't here; it's \"big\" and won't move!",
     ["A dog's ball is on the grass.", "a ball that won't move", "The dog isn't playing."]),
    ("cap-004", "A kitchen with a stove, a sink, and a refrigerator.",
     ["A kitchen with a stove, sink and refrigerator.", "a small kitchen",
      "A kitchen that has a stove and a fridge in it.", "An old-fashioned kitchen with white "
      "cabinets, a sink, a stove and a refrigerator next to a window."]),
    ("cap-005", "the the the the the", ["the cat on the mat", "a cat is on the mat"]),
    ("cap-006", "A 2.5-year-old child holds 3,000 balloons at 5:30 p.m.",
     ["A child holding balloons.", "a 2-year-old kid with many balloons",
      "The child holds balloons at 5:30 p.m."]),
    ("cap-007", "Caf\u00e9 sign \u2014 \u201cOPEN\u201d \u2026 in S\u00e3o Paulo",
     ["A caf\u00e9 with an \u201copen\u201d sign.", "a sign in front of a cafe"]),
    ("cap-008", "A giraffe", ["A giraffe standing next to a tree in a field.",
                              "A tall giraffe eating leaves from a tree.",
                              "giraffe in the wild", "A giraffe.", "a giraffe stands in a grassy "
                              "field with trees in the background on a sunny day"]),
    ("cap-009", "(a bus) [driving] {down} the street",
     ["A bus driving down the street.", "a red bus on a city street"]),
    ("cap-010", "A close-up of a pizza with pepperoni, cheese and olives...",
     ["A pizza with pepperoni and olives.", "Close-up of a pepperoni pizza.",
      "a pizza topped with cheese, pepperoni and black olives"]),
    ("cap-011", "a man a man a man riding riding a horse horse",
     ["A man riding a horse.", "a man on a horse", "A man is riding a brown horse on the beach."]),
    ("cap-012", "Three zebras grazing - one looks at the camera.",
     ["Three zebras grazing in the grass.", "zebras eating grass",
      "Three zebras, one of which is looking at the camera."]),
    ("cap-013", "it's 10:30 and the clock tower's lit", ["A clock tower at night.",
                                                         "The clock tower shows 10:30."]),
    ("cap-014", "Une femme tient un parapluie.", ["A woman holding an umbrella in the rain.",
                                                "a woman with an umbrella"]),
    ("cap-015", "A woman holding an umbrella in the rain.",
     ["A woman holding an umbrella in the rain."]),
    ("cap-016", "cat", ["cat"]),
    ("cap-017", "A bowl of fruit on a table.", ["", "a bowl of fruit", "Fruit in a bowl."]),
    ("cap-018", "A baseball player swinging a bat at a ball",
     ["A baseball player swings a bat at a pitch.", "a batter swinging at a ball",
      "A baseball player in a white uniform is swinging a bat.", "baseball game",
      "The batter hits the ball during a baseball game."]),
    ("cap-019", "Several people are standing around a table full of food!",
     ["People standing around a table with food.", "A group of people at a buffet table.",
      "several people near a table full of food"]),
]


def evaluate(records, with_meteor):
    """pycocoevalcap's COCOEvalCap.evaluate on the records, without COCO objects: the same
    tokenisation of gts and res, then the same scorers."""
    gts = {r["id"]: [{"caption": a} for a in r["answers"]] for r in records}
    res = {r["id"]: [{"caption": r["prediction"] if r.get("prediction") is not None else ""}]
           for r in records}
    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize(gts)
    res = tokenizer.tokenize(res)
    out = {}
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    for k in range(4):
        out[f"bleu_{k + 1}"] = bleu[k]
    if with_meteor:
        out["meteor"], _ = Meteor().compute_score(gts, res)
    out["rouge_l"], rouge_per_image = Rouge().compute_score(gts, res)
    out["cider"], cider_per_image = Cider().compute_score(gts, res)
    per_sample = [{"id": r["id"], "score": float(rouge_per_image[i]), "extracted": res[r["id"]][0],
                   "cider": float(cider_per_image[i])}
                  for i, r in enumerate(records)]
    return {"aggregate": {k: float(v) for k, v in out.items()}, "per_sample": per_sample}


def evaluate_vlmevalkit(records):
    """VLMEvalKit's ImageCaptionDataset.evaluate (vlmeval/dataset/image_caption.py): no
    tokenisation; ref[str(i)] = [str(prediction)] where pandas reads an empty or missing
    prediction cell as NaN (so the caption "nan"), gt[str(i)] = the answer list as it is; then
    COCO_Caption_Scorer's Bleu(4), Rouge(), Cider() (it prints them x 100; recorded unscaled)."""
    ref, gt = {}, {}
    for i, r in enumerate(records):
        prediction = r.get("prediction")
        ref[str(i)] = [str(prediction) if prediction else "nan"]
        gt[str(i)] = list(r["answers"])
    out = {}
    bleu, _ = Bleu(4).compute_score(gt, ref, verbose=0)
    for k in range(4):
        out[f"bleu_{k + 1}"] = bleu[k]
    out["rouge_l"], rouge_per_image = Rouge().compute_score(gt, ref)
    out["cider"], _ = Cider().compute_score(gt, ref)
    per_sample = [{"id": r["id"], "score": float(rouge_per_image[i]), "extracted": ref[str(i)][0]}
                  for i, r in enumerate(records)]
    return {"aggregate": {k: float(v) for k, v in out.items()}, "per_sample": per_sample}


def write_jsonl(name, records):
    with open(os.path.join(FIXTURES, name), "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    rng = random.Random(2026)
    hand = [{"id": i, "prediction": p, "answers": a} for i, p, a in HAND_IMAGES]
    rand = []
    for i in range(300):
        refs = [random_caption(rng, punctuate=rng.random() < 0.5) for _ in range(rng.randint(1, 6))]
        prediction = random_caption(rng, punctuate=rng.random() < 0.5)
        if rng.random() < 0.3:  # a prediction that copies words from a reference
            words = rng.choice(refs).split()
            prediction = " ".join(words[: rng.randint(1, len(words))])
        rand.append({"id": f"rand-{i:03d}", "prediction": prediction, "answers": refs})
    write_jsonl("caption.input.jsonl", hand)
    write_jsonl("caption_random.input.jsonl", rand)

    expected = {
        "reference": version(),
        "command": COMMAND,
        "notes": "COCOEvalCap.evaluate's steps on each input file: PTBTokenizer on references and "
                 "predictions (a missing prediction is ''), Bleu(4) (closest), Meteor(), Rouge(), "
                 "Cider(); per_sample score = the image's ROUGE_L, extracted = the tokenised "
                 "prediction, cider = the image's CIDEr-D",
        "sets": {
            "caption.input.jsonl": evaluate(hand, with_meteor=True),
            "caption_random.input.jsonl": evaluate(rand, with_meteor=True),
        },
        "vlmevalkit": {
            "reference": "open-compass/VLMEvalKit@0507265 vlmeval/dataset/image_caption.py "
                         "ImageCaptionDataset.evaluate + COCO_Caption_Scorer (its steps, run here "
                         "on pycocoevalcap 1.2; VLMEvalKit itself is not imported)",
            "caption.input.jsonl": evaluate_vlmevalkit(hand),
            "caption_random.input.jsonl": evaluate_vlmevalkit(rand),
        },
    }
    with open(os.path.join(FIXTURES, "caption.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")

    cases = tokenizer_cases(random.Random(7))
    # The Java tool drops a final empty line: keep a non-empty caption last.
    cases.append("The last caption is not empty.")
    tokens = ptb(cases)
    os.makedirs(os.path.join(FIXTURES, "caption"), exist_ok=True)
    with open(os.path.join(FIXTURES, "caption", "ptb_tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump({"reference": version() + ", tokenizer/stanford-corenlp-3.4.1.jar "
                   "edu.stanford.nlp.process.PTBTokenizer -preserveLines -lowerCase, then "
                   "ptbtokenizer.py's PUNCTUATIONS filter",
                   "command": COMMAND,
                   "cases": [{"input": c, "expected": t} for c, t in zip(cases, tokens)]},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
