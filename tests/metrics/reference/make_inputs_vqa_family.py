#!/usr/bin/env python3
"""Writes the `lmmbench score` input fixtures of the VQA-family metrics.

Each file holds hand-written cases aimed at one quirk of the reference code (see
/work/shared/research/metric-references.md) followed by a seeded batch of random tricky strings.
The output is deterministic: rerunning this script rewrites byte-identical files.

    python3 tests/metrics/reference/make_inputs_vqa_family.py [--out tests/metrics/fixtures]
"""

import argparse
import json
import os
import random

# Characters that stress Unicode handling: casing with length changes (ß, İ, ﬃ, ŉ), Greek sigma
# (final-sigma rule), digits of other scripts (full-width, Arabic-Indic, Devanagari), and
# whitespace of every class Python's str.isspace() knows (incl. \x1c-\x1f, NBSP, ideographic).
UNICODE_LETTERS = ["ß", "İ", "ı", "ﬃ", "ŉ", "ǅ", "Σ", "ς", "σ", "Ω", "é", "É", "ñ", "Ä", "ǰ", "ᾳ",
                   "ΐ", "Ⅻ", "ⓐ", "Ⓐ", "𝐀", "🙂", "中", "\u0301", "\u0345", "K", "Å", "ǈ"]
UNICODE_DIGITS = ["０", "１", "２", "３", "５", "９", "٠", "١", "٢", "٣", "٥", "۳", "३", "৫", "²", "½", "Ⅳ"]
WHITESPACE = [" ", "  ", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2009",
              "\u3000", "\u2028", "\u200b", "\u180e"]
PUNCT = list(";/[]\"{}()=+\\_->.<@`,?!") + ["'", "%", ":", "*", "#", "$", "&", "^", "~", "|", "'s"]
WORDS = ["a", "an", "the", "none", "zero", "one", "two", "three", "four", "five", "six", "seven",
         "eight", "nine", "ten", "eleven", "yes", "no", "red", "dog", "hot", "man", "dont", "isnt",
         "cant", "Im", "Ive", "its", "hes", "whats", "thats", "yall", "oclock", "somebody'd",
         "let's", "won't", "twas", "youre", "Two", "YES", "No", "The", "A"]


def tricky_string(rng, max_tokens=5):
    """A short string built from words, numbers, punctuation, Unicode letters and whitespace."""
    parts = []
    for _ in range(rng.randint(0, max_tokens)):
        kind = rng.random()
        if kind < 0.35:
            w = rng.choice(WORDS)
            parts.append(w.upper() if rng.random() < 0.1 else w)
        elif kind < 0.55:
            n = str(rng.choice([0, 1, 2, 3, 10, 12, 100, 1000, 3.5, 0.25, 1e3, 12345]))
            if rng.random() < 0.3:
                n = n[:1] + rng.choice([",", ",,", ".", "_"]) + n[1:]
            parts.append(n)
        elif kind < 0.70:
            parts.append(rng.choice(PUNCT))
        elif kind < 0.82:
            parts.append(rng.choice(UNICODE_LETTERS + UNICODE_DIGITS))
        else:
            parts.append(rng.choice(WHITESPACE))
        if rng.random() < 0.6:
            parts.append(" ")
    return "".join(parts)


def perturb(rng, base):
    """A variant of `base` that the VQA normalisation may or may not map back to it."""
    choice = rng.random()
    if choice < 0.30:
        return base
    if choice < 0.40:
        return base.capitalize()
    if choice < 0.50:
        return base + rng.choice([".", "!", "?", " .", "..", ","])
    if choice < 0.58:
        return rng.choice(["the ", "a ", "an ", "The "]) + base
    if choice < 0.66:
        return rng.choice(WHITESPACE) + base + rng.choice(WHITESPACE)
    if choice < 0.74:
        mapping = {"2": "two", "two": "2", "0": "none", "10": "ten", "1": "one", "3": "three"}
        return mapping.get(base, base.upper())
    if choice < 0.82:
        return base.replace(" ", rng.choice(["-", " - ", "/", "_", "\t"]))
    if choice < 0.90:
        return base + rng.choice(["'s", "s", " 's"])
    return tricky_string(rng, 3)


VQA_BASES = ["2", "two", "yes", "no", "red", "hot dog", "1,000", "3.5", "man's hat", "dont know",
             "t-shirt", "10", "0", "none", "a.m.", "black and white", "straße", "İstanbul", "ΟΔΟΣ",
             "２", "٣", "1", "3", "new york", "can't tell"]
QTYPES = [("how many", "number"), ("is the", "yes/no"), ("what color is the", "other"),
          ("what is the", "other"), ("are there", "yes/no")]


def ten_answers(rng):
    if rng.random() < 0.3:
        return [rng.choice(VQA_BASES)] * 10
    bases = rng.sample(VQA_BASES, rng.randint(1, 3))
    return [perturb(rng, rng.choice(bases)) for _ in range(10)]


def vqa_prediction(rng, answers):
    r = rng.random()
    if r < 0.05:
        return None
    if r < 0.55:
        return perturb(rng, rng.choice(answers).strip() or "x")
    if r < 0.85:
        return perturb(rng, rng.choice(VQA_BASES))
    return tricky_string(rng)


def rec(id_, prediction, **fields):
    r = {"id": id_}
    if prediction is not None:
        r["prediction"] = prediction
    r.update(fields)
    return r


def k_matches(k, hit="2", miss="3"):
    return [hit] * k + [miss] * (10 - k)


def vqa_cases(rng):
    cases = []

    def add(pred, answers, qt="how many", at="number", annotation_form=False):
        ans = [{"answer": a} for a in answers] if annotation_form else answers
        cases.append(rec(f"vqa-{len(cases):03d}", pred, answers=ans, question_type=qt, answer_type=at))

    add("2", ["2"] * 10)
    add("Two", ["2"] * 10)  # identical answers: raw comparison in official master -> 0
    add("two", ["2"] * 10)
    add("yes.", ["yes"] * 10, "is the", "yes/no")
    add(" 2\n", ["2"] * 10)
    add("2", ["2 "] * 10)
    add("2", ["2", " 2", "2\t"] + ["2"] * 7)  # identical after strip
    add("Yes", ["yes", "yes ", " yes"] + ["yes"] * 7, "is the", "yes/no")
    add("two", ["2"] * 9 + ["3"])
    add("Two", ["2"] * 9 + ["two"])
    for k in range(11):
        add("2", k_matches(k), annotation_form=(k % 2 == 0))
    for k in range(11):
        add("two", k_matches(k))
    add("a dog", ["dog"] * 5 + ["the dog"] * 3 + ["dogs"] * 2, "what is the", "other")
    add("The dog", ["dog"] * 5 + ["cat"] * 5, "what is the", "other")
    add("dont", ["don't"] * 6 + ["no"] * 4, "is the", "yes/no")
    add("isnt", ["isn't", "isnt", "is not", "no", "no", "isnt", "isn't", "isn't", "no", "no"], "is the", "yes/no")
    add("Im", ["I'm"] * 5 + ["im"] * 5, "what is the", "other")
    add("somebody'd", ["somebodyd"] * 4 + ["somebody'd"] * 6, "what is the", "other")
    add("yes!", ["yes"] * 8 + ["no"] * 2, "is the", "yes/no")
    add("yes !", ["yes"] * 8 + ["no"] * 2, "is the", "yes/no")
    add("hot-dog", ["hot dog"] * 7 + ["hotdog"] * 3, "what is the", "other")
    add("hot - dog", ["hot dog"] * 7 + ["hotdog"] * 3, "what is the", "other")
    add("hot-dog", ["hotdog"] * 7 + ["hot dog"] * 3, "what is the", "other")
    add("1,000", ["1000"] * 6 + ["1,000"] * 4)
    add("1,000-2", ["1000 2"] * 5 + ["10002"] * 5)
    add("1,,000", ["1000"] * 5 + ["1 000"] * 5)
    add("1, 000", ["1000"] * 5 + ["1 000"] * 5)
    add("3.5", ["3.5"] * 6 + ["35"] * 4)
    add("3.", ["3"] * 6 + ["3."] * 4)
    add("a.m.", ["am"] * 6 + ["a.m."] * 4, "what is the", "other")
    add("yes" + "." * 40, ["yes"] * 5 + ["yes" + "." * 8] * 5, "is the", "yes/no")
    add("." * 33 + "5", ["5"] * 5 + ["." + "5"] * 5)
    add("x" + ". " * 40, ["x"] * 5 + ["x" + " ." * 8] * 5, "what is the", "other")
    add("２,０", ["２０"] * 5 + ["２ ０"] * 5)
    add("1,２", ["1２"] * 5 + ["1 ２"] * 5)
    add("x.３", ["x３"] * 5 + ["x.３"] * 5, "what is the", "other")
    add("٣.٥", ["٣.٥"] * 5 + ["٣٥"] * 5)
    add("٣", ["3"] * 6 + ["٣"] * 4)
    add("man's hat", ["man's hat"] * 5 + ["man 's hat"] * 5, "what is the", "other")
    add("Straße", ["straße"] * 6 + ["strasse"] * 4, "what is the", "other")
    add("STRASSE", ["straße"] * 6 + ["strasse"] * 4, "what is the", "other")
    add("İstanbul", ["i̇stanbul"] * 5 + ["istanbul"] * 5, "what is the", "other")
    add("ΟΔΟΣ", ["οδος"] * 5 + ["οδοσ"] * 5, "what is the", "other")
    add("ΟΔΟΣ.Α", ["οδοσα"] * 5 + ["οδοςα"] * 5, "what is the", "other")
    add("", ["yes"] * 10, "is the", "yes/no")
    add("", ["a"] * 4 + ["yes"] * 6, "is the", "yes/no")
    add("the", ["a", "an", "the", "yes", "yes", "yes", "yes", "yes", "yes", "a"], "is the", "yes/no")
    add(None, ["yes"] * 10, "is the", "yes/no")
    add(None, ["a", "the", "an", "x", "y", "z", "w", "v", "u", "t"], "what is the", "other")
    add("\u3000yes\xa0", ["yes"] * 10, "is the", "yes/no")
    add("\u3000yes\xa0", ["yes"] * 9 + ["no"], "is the", "yes/no")
    add("yes\x1c", ["yes"] * 9 + ["no"], "is the", "yes/no")
    add("yes\u180e", ["yes"] * 9 + ["no"], "is the", "yes/no")
    add("hot\tdog", ["hot dog"] * 8 + ["dog"] * 2, "what is the", "other")
    add("hot\u2009dog", ["hot dog"] * 8 + ["dog"] * 2, "what is the", "other")
    add("none", ["0"] * 6 + ["none"] * 4)
    add("zero", ["0"] * 6 + ["zero"] * 4)
    add("ten", ["10"] * 6 + ["ten"] * 4)
    add("eleven", ["11"] * 6 + ["eleven"] * 4)
    add("(yes)", ["yes"] * 6 + ["(yes)"] * 4, "is the", "yes/no")
    add("[a] {b} <c> @d `e` ;f\\g=h+i_j", ["b c d e f g h i j"] * 6 + ["x"] * 4, "what is the", "other")
    add("\"quoted\"", ["quoted"] * 6 + ["\"quoted\""] * 4, "what is the", "other")
    add("what?", ["what"] * 6 + ["what?"] * 4, "what is the", "other")
    add("50%", ["50%"] * 6 + ["50"] * 4)
    add("it's", ["its"] * 5 + ["it's"] * 5, "what is the", "other")
    add("Yes", ["yes"] * 10, "is the", "yes/no", annotation_form=True)
    add("yes", ["Yes"] * 10, "is the", "yes/no")
    add("ǅ", ["ǆ"] * 5 + ["Ǆ"] * 5, "what is the", "other")
    for i in range(360):
        answers = ten_answers(rng)
        qt, at = rng.choice(QTYPES)
        add(vqa_prediction(rng, answers), answers, qt, at, annotation_form=(i % 7 == 0))
    return cases


def textvqa_cases(rng):
    cases = []

    def add(pred, answers, category=""):
        r = rec(f"textvqa-{len(cases):03d}", pred, answers=answers)
        if category:
            r["category"] = category
        cases.append(r)

    add("Coca-Cola", ["coca cola"] * 6 + ["coca-cola"] * 4, "brand")
    add("coca - cola", ["coca cola"] * 6 + ["cocacola"] * 4, "brand")
    add("man's", ["man 's"] * 6 + ["mans"] * 4)
    add("MAN'S", ["man's"] * 6 + ["mans"] * 4)
    add("'s's", [" 's 's"] * 5 + ["'s's"] * 5)
    add("1,000", ["1000"] * 6 + ["1,000"] * 4, "number")
    add("1,000-2", ["10002"] * 6 + ["1000 2"] * 4, "number")
    add("what?", ["what"] * 10)
    add("yes" + "." * 40, ["yes"] * 5 + ["yes" + "." * 8] * 5)
    add("a" + ". " * 40, ["a"] * 5 + ["a" + " ." * 8] * 5)
    add("3.5", ["3.5"] * 6 + ["35"] * 4, "number")
    add("x.３", ["x.３"] * 5 + ["x３"] * 5)
    add("٣.", ["٣"] * 10, "number")
    add("Two", ["2"] * 10, "number")
    add("two", ["2"] * 9 + ["3"], "number")
    add("the Dog", ["dog"] * 7 + ["a dog"] * 3)
    add("dont", ["don't"] * 6 + ["dont"] * 4)
    add("Im", ["i'm"] * 6 + ["im"] * 4)
    add("", ["a"] * 3 + ["b"] * 7)
    add("", ["the"] * 5 + ["x"] * 5)
    add(None, ["yes"] * 10)
    add(None, ["an"] * 4 + ["yes"] * 6)
    add("\u3000stop\xa0", ["stop"] * 10, "sign")
    add("STOP\n", ["stop"] * 10, "sign")
    add("stop\x1c", ["stop"] * 10, "sign")
    add("Straße", ["straße"] * 6 + ["strasse"] * 4)
    add("İ", ["i̇"] * 6 + ["i"] * 4)
    add("ΟΔΟΣ", ["οδος"] * 5 + ["οδοσ"] * 5)
    add("hello world!", ["hello world"] * 3 + ["hello world!"] * 7)
    add("hello world !", ["hello world"] * 3 + ["hello world!"] * 7)
    add("a/b", ["a b"] * 4 + ["ab"] * 6)
    add("a / b", ["a b"] * 4 + ["ab"] * 6)
    for k in range(11):
        add("x", ["x"] * k + ["y"] * (10 - k))
    for _ in range(300):
        answers = ten_answers(rng)
        add(vqa_prediction(rng, answers), answers, rng.choice(["", "", "brand", "number"]))
    return cases


def edit(rng, s, n):
    chars = list(s)
    for _ in range(n):
        op = rng.random()
        pos = rng.randint(0, len(chars))
        c = rng.choice("abcxyzABC0123 ßİΣ.-")
        if op < 0.4 and chars:
            chars[min(pos, len(chars) - 1)] = c
        elif op < 0.7:
            chars.insert(pos, c)
        elif chars:
            del chars[min(pos, len(chars) - 1)]
    return "".join(chars)


ANLS_GOLDS = ["abcd", "hello world", "Straße", "STRASSE", "$1,234.56", "March 3, 2021", "ΟΔΟΣ",
              "İstanbul", "ﬃce", "12", "New York City", "a", "", "  padded  ", "tab\tsep", "N/A"]


def anls_cases(rng):
    cases = []

    def add(pred, answers, category=""):
        r = rec(f"anls-{len(cases):03d}", pred, answers=answers)
        if category:
            r["category"] = category
        cases.append(r)

    add("abcd", ["abcd"])
    add("ABCD", ["abcd"])
    add("abxy", ["abcd"])  # distance 2 / length 4 = 0.5 exactly -> keeps 0.5
    add("abxyz", ["abcde"])  # 0.6 -> 0.4 -> 0
    add("abcxy", ["abcde"])  # 0.4 -> 0.6
    add("ssss", ["ßßßß"])  # distance 4, length max(len('SSSSSSSS'), 4) = 8 -> 0.5
    add("strasse", ["straße"])
    add("STRASSE", ["Straße", "strasse"])
    add("  hello   world  ", ["hello world"])
    add(" abxy ", ["abcd"])  # stripped: 0.5; official: length 6
    add("abxy \n", ["abcd"])
    add("hello\u3000world", ["hello world"])
    add("", [""])
    add("", ["a"])
    add("a", [""])
    add("   ", [""])
    add(None, ["a"])
    add(None, [""])
    add("İ", ["i̇"])
    add("i̇", ["İ"])
    add("ﬃ", ["ffi"])
    add("ΟΔΟΣ", ["οδος", "οδοσ"])
    add("wrong", ["right", "wring", "wrong answer"])
    add("1,234", ["1234", "1,234.00"])
    add("x" * 20, ["x" * 10])
    add("x" * 10, ["x" * 20])
    add("x" * 11, ["x" * 22])  # 11/22 = 0.5 -> keeps 0.5
    add("\t\n", ["abc"])
    add("ǰ", ["J̌"])
    for _ in range(300):
        gold_count = rng.randint(1, 3)
        golds = [rng.choice(ANLS_GOLDS) if rng.random() < 0.6 else tricky_string(rng, 3)
                 for _ in range(gold_count)]
        r = rng.random()
        if r < 0.04:
            pred = None
        elif r < 0.75:
            pred = edit(rng, rng.choice(golds), rng.randint(0, 4))
            if rng.random() < 0.3:
                pred = rng.choice(WHITESPACE) + pred + rng.choice(WHITESPACE)
            if rng.random() < 0.2:
                pred = pred.upper()
        else:
            pred = tricky_string(rng, 4)
        add(pred, golds, rng.choice(["", "", "form", "table"]))
    return cases


def gqa_cases(rng):
    cases = []

    def add(pred, answer, category=""):
        r = rec(f"gqa-{len(cases):03d}", pred, answer=answer)
        if category:
            r["category"] = category
        cases.append(r)

    add("yes", "yes")
    add("Yes.", "yes")
    add("yes..", "yes")
    add("yes. ", "yes")
    add(" yes", "yes")
    add("yes\n", "yes")
    add("yes!", "yes")
    add("YES", "yes")
    add("Yes", "Yes")
    add("left side", "left")
    add("t-shirt", "tshirt")
    add("tshirt", "t-shirt")
    add("İ", "i̇")
    add("İx", "i̇x")
    add("a\x00", "a")
    add("\x00a", "a")
    add("a.\x00", "a")
    add("ΟΔΟΣ.", "οδος")
    add("Straße", "straße")
    add("STRASSE", "straße")
    add("", "")
    add("", "yes")
    add(None, "yes")
    add(None, "")
    add("\u3000no\xa0", "no")
    add("No, it is not.", "no")
    add("it's", "its")
    add("50%", "50")
    add("ǅ", "ǆ")
    add(".", "")
    add("...", "")
    for _ in range(300):
        answer = rng.choice(["yes", "no", "left", "right", "man", "t-shirt", "black", "wood",
                             "straße", "i̇", "ǆ", "table", "", tricky_string(rng, 2)])
        r = rng.random()
        if r < 0.04:
            pred = None
        elif r < 0.7:
            pred = perturb(rng, answer)
            if rng.random() < 0.2:
                pred = pred + rng.choice([".", "..", ". ", "\n", " .", "!"])
        else:
            pred = tricky_string(rng, 3)
        add(pred, answer, rng.choice(["", "", "binary", "open"]))
    return cases


def relaxed_cases(rng):
    cases = []

    def add(pred, answer, category="human_test"):
        cases.append(rec(f"chartqa-{len(cases):03d}", pred, answer=answer, category=category))

    add("0.315", "0.3")  # 0.05000000000000004 > 0.05 -> wrong
    add("0.285", "0.3")
    add("0.31", "0.3")
    add("105", "100")  # exactly 0.05 -> right
    add("95", "100")
    add("105.0001", "100")
    add("2.1", "2")
    add("1.9", "2")
    add("1_000", "1000")
    add("1000", "1_000")
    add("1__000", "1000")
    add("１２", "12")
    add("١٢", "12")
    add("１.５", "1.5")
    add("nan", "nan")
    add("NaN", "12")
    add("inf", "inf")
    add("-Infinity", "-inf")
    add("1e3", "1000")
    add("1E3", "1000")
    add(" 12 ", "12")
    add("\u300012\xa0", "12")
    add("12\x1c", "12")
    add("12% ", "0.12")
    add("12%", "0.12")
    add("12", "12%")
    add("0.12", "12%")
    add("50%%", "0.5")
    add("%", "%")
    add("Yes ", "yes")
    add("Yes", "yes")
    add("0", "0")
    add("0.0", "0")
    add("0", "0.0")
    add("-0", "-0")
    add("0.0", "-0")
    add("abc", "ABC")
    add("straße", "STRASSE")
    add("STRASSE", "strasse")
    add("İ", "i̇")
    add("", "")
    add("", "0")
    add(None, "12")
    add(None, "")
    add("1,000", "1000")
    add("1,000", "1,000")
    add("1e400", "1e400")
    add("1e-400", "0")
    add("1e-400", "1e-400")
    add("+.5", "0.5")
    add("5.", "5")
    add(".e5", ".e5")
    add("1 000", "1000")
    add("1.5e+-3", "1.5e+-3")
    add("12\n", "12")
    add("²", "2")
    add("0x10", "16")
    add("True", "1")
    for _ in range(300):
        target_value = rng.choice([0, 1, 2, 3, 0.3, 12.5, 100, 1234, 0.05, -7, 45.6, 1e6])
        target = rng.choice([str(target_value), f"{target_value}%", rng.choice(["Yes", "no", "Africa", "ﬃ"])])
        r = rng.random()
        if r < 0.04:
            pred = None
        elif r < 0.6:
            factor = rng.choice([1, 1.01, 0.99, 1.049, 1.05, 1.051, 0.95, 0.951, 0.949, 1.2, 0.5])
            value = target_value * factor
            pred = rng.choice([str(value), f"{value:.2f}", f"{value:g}", f"{value * 100}%",
                               f" {value} ", f"{value:_}" if isinstance(value, int) else str(value)])
        elif r < 0.8:
            pred = target.upper() if rng.random() < 0.5 else target + rng.choice(["", " ", "\n", "%"])
        else:
            pred = tricky_string(rng, 2)
        add(pred, target, rng.choice(["human_test", "augmented_test"]))
    return cases


def write(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "fixtures"))
    args = parser.parse_args()
    generators = {"vqa": (vqa_cases, 20240501), "textvqa": (textvqa_cases, 20240502),
                  "anls": (anls_cases, 20240503), "gqa": (gqa_cases, 20240504),
                  "relaxed_accuracy": (relaxed_cases, 20240505)}
    for name, (generate, seed) in generators.items():
        records = generate(random.Random(seed))
        write(os.path.join(args.out, f"{name}.input.jsonl"), records)
        print(f"{name}: {len(records)} records")


if __name__ == "__main__":
    main()
