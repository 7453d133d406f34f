#!/usr/bin/env python3
"""Writes fixtures/python_str.expected.json: what Python 3's own str methods and float() give, for
lmmbench's C++ re-implementation of them (metrics/answer_processing_unicode.hpp) to be checked
against. No reference repository is needed; the Python version and its Unicode database version
are recorded in the file.

  - every code point (surrogates excepted) whose str.lower() or str.upper() is not itself;
  - every decimal digit (str.isdecimal(): the `\\d` of a Python 3 str regex) with its value;
  - every whitespace character (str.isspace(): what strip() and split() remove);
  - the unassigned code points of this Unicode version, as ranges (a newer ICU may know them);
  - per string of the metric input fixtures (and a few extra): lower(), len(upper()), strip(),
    split() and float() (null where float() raises ValueError).
"""

import json
import math
import os
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

EXTRA = ["ΑΣ", "ΑΣ.Β", "ΑΣ Β", "Σ", "ΑΣΑ", "A\u0301Σ", "ὈΔΥΣΣΕΎΣ", "İstanbul", "ß", "ﬃ", "ŉ", "ǰ", "ᾳ",
         "1_000", "1__000", "_1", "1_", "1_.5", "1.5_5", "1e1_0", "１２", "١٢٣", " 12 ", "\u200912\u3000",
         "nan", "-NaN", "+inf", "Infinity", "infinit", "1e3", ".5", "5.", "1.e5", ".e5", "e5", "+-1",
         "0x10", "1 000", "1,000", "1e400", "-1e400", "1e-400", "-0", "²", "\x1c1\x1f", "1\x00", "nan(1)",
         "in_f", "１.５", "1ｅ3", "+.5", "-.e1", "1.5E+3", "1.5e+-3", "\xa012", "1e", "1e+", "", " ",
         "\x7f1", "0.1", "1e-320", "4.9e-324", "2.4e-324", "1.7976931348623157e308", "1.8e308",
         "123456789012345678901234567890", "0.30000000000000004", "\u0661\u066b\u0665"]


def float_repr(s):
    try:
        v = float(s)
    except ValueError:
        return None
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def main():
    code_points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    lower = [[c, chr(c).lower()] for c in code_points if chr(c).lower() != chr(c)]
    upper = [[c, chr(c).upper()] for c in code_points if chr(c).upper() != chr(c)]
    decimal = [[c, unicodedata.decimal(chr(c))] for c in code_points if chr(c).isdecimal()]
    space = [c for c in code_points if chr(c).isspace()]
    unassigned, start = [], None
    for c in range(0x110001):
        is_cn = c < 0x110000 and unicodedata.category(chr(c)) == "Cn"
        if is_cn and start is None:
            start = c
        elif not is_cn and start is not None:
            unassigned.append([start, c - 1])
            start = None
    strings = set(EXTRA)
    for name in ["vqa", "textvqa", "anls", "gqa", "relaxed_accuracy"]:
        for r in common.read_records(f"{name}.input.jsonl"):
            for s in [r.get("prediction")] + r.get("answers", []) + [r.get("answer")]:
                if s is not None:
                    strings.add(s)
    per_string = [{"s": s, "lower": s.lower(), "upper_len": len(s.upper()), "strip": s.strip(),
                   "split": s.split(), "float": float_repr(s)} for s in sorted(strings)]
    doc = {"python": sys.version.split()[0], "unicode": unicodedata.unidata_version,
           "command": common.command_line(), "lower": lower, "upper": upper, "decimal": decimal,
           "space": space, "unassigned": unassigned, "strings": per_string}
    path = os.path.join(common.FIXTURES, "python_str.expected.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}: {len(lower)} lower, {len(upper)} upper, {len(decimal)} decimal, "
          f"{len(space)} space, {len(per_string)} strings")


if __name__ == "__main__":
    main()
