#!/usr/bin/env python3
"""Times `lmmbench score --metric vqa` against the official VQA evaluation code on one generated file.

What it does, in one invocation:

 1. generates a deterministic (seeded) `lmmbench score` input of --records VQA records, 10 human
    answers each (yes/no, numbers, words and phrases with case, punctuation, articles, number words
    and contractions; about half of the answer sets disagree), with question_type and answer_type;
 2. runs `lmmbench score --metric vqa --input FILE` --repeats times, and the reference
    --reference-repeats times, each as a separate process, recording wall time and peak RSS
    (that process's own VmHWM, polled from /proc);
 3. checks that both report the same accuracy, overall, per answer type and per question type:
    the unrounded values agree to 1e-9, and the reference's own report (rounded to 2 decimals) is
    within 0.005 + 1e-9 of lmmbench's value;
 4. runs lmmbench on a second file of --growth-records records and on a tiny file, to show that
    memory grows only by the per-sample score storage (8 bytes per record, in a vector whose
    capacity doubles);
 5. prints a table (median seconds, records/s, peak RSS, ratio) and optionally writes it as JSON.

The reference is GT-Vision-Lab/VQA@a013f00 PythonEvaluationTools/vqaEvaluation/vqaEval.py
VQAEval.evaluate, the code the default `vqa` variant reproduces, run under Python 3 exactly as the
golden-fixture runner tests/metrics/reference/run_vqa.py runs it (print statements converted by
lib2to3, `\\d` recompiled ASCII-only as under Python 2). The reference process does what a user of
that code does with this file: reads it (json.loads per line), builds the annotation and result
dicts that vqa.VQA/loadRes would hold, and calls evaluate(). It needs only the standard library
(Python <= 3.12 for lib2to3) and a checkout of that commit (--reference-dir).

Not part of the default test run; see docs/performance.md for how to run it.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
REFERENCE_RUNNERS = os.path.join(SOURCE_DIR, "tests", "metrics", "reference")

# Bump when the generated records change, so that cached files are never reused across versions.
GENERATOR_VERSION = 1

# ---------------------------------------------------------------------------------------------
# Input generation
# ---------------------------------------------------------------------------------------------

QUESTION_TYPES = {
    "yes/no": ["is the", "are the", "is this", "does the", "is there a", "are there", "is this a",
               "is it", "do you", "can you", "does this", "was the", "is that a", "has the"],
    "number": ["how many", "how many people are", "how many people are in", "what number is"],
    "other": ["what color is the", "what is the", "what", "what is", "what kind of", "what type of",
              "where is the", "what is the man", "what is on the", "what sport is", "who is",
              "what room is", "which", "why", "what brand", "what is the person", "what are the",
              "what color are the", "what is in the", "what time"],
}
ANSWER_TYPE_WEIGHTS = [("yes/no", 38), ("number", 12), ("other", 50)]

NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
OTHER_ANSWERS = [
    "red", "blue", "white", "black", "green", "yellow", "brown", "gray", "orange", "pink",
    "black and white", "red and white", "dog", "cat", "man", "woman", "kite", "frisbee", "pizza",
    "umbrella", "giraffe", "zebra", "elephant", "horse", "bus", "train", "skateboard", "surfboard",
    "tennis", "baseball", "soccer", "skiing", "surfing", "skateboarding", "kitchen", "bathroom",
    "living room", "bedroom", "table", "grass", "water", "snow", "sky", "street", "beach",
    "tennis racket", "baseball bat", "fire hydrant", "stop sign", "teddy bear", "hot dog",
    "cell phone", "t-shirt", "t shirt", "left", "right", "nothing", "sitting", "standing",
    "eating", "playing", "wood", "metal", "plastic", "glass", "nike", "apple", "dell", "samsung",
    "man's", "woman's", "dont know", "can't tell", "on table", "in sky", "on plate", "sunny",
    "cloudy", "night", "day", "winter", "summer", "10:30", "12:00", "1,000", "2.5", "mr. smith",
    "st. louis", "u.s.", "i don't know", "chocolate", "vanilla", "coffee", "wine", "beer",
]


def surface_variant(rng, answer):
    """The same answer as a person or a model might type it: case, trailing period, article,
    number word, hyphen or extra punctuation. The official normalisation maps most of these back."""
    r = rng.random()
    if r < 0.25:
        return answer.capitalize()
    if r < 0.40:
        return answer + "."
    if r < 0.50 and answer.isdigit() and int(answer) <= 10:
        return NUMBER_WORDS[int(answer)]
    if r < 0.60 and not answer.isdigit():
        return rng.choice(["a ", "the ", "The "]) + answer
    if r < 0.68:
        return answer.replace(" ", "-") if " " in answer else answer + "!"
    if r < 0.74:
        return answer.upper()
    if r < 0.80:
        return " " + answer + " "
    return answer


def base_answer(rng, answer_type):
    if answer_type == "yes/no":
        return "yes" if rng.random() < 0.55 else "no"
    if answer_type == "number":
        return str(min(int(rng.expovariate(0.35)), 40))
    return rng.choice(OTHER_ANSWERS)


def make_record(rng, index):
    answer_type = rng.choices([t for t, _ in ANSWER_TYPE_WEIGHTS],
                              weights=[w for _, w in ANSWER_TYPE_WEIGHTS])[0]
    question_type = rng.choice(QUESTION_TYPES[answer_type])
    base = base_answer(rng, answer_type)
    mode = rng.random()
    if mode < 0.45:  # all ten annotators typed the same string
        answers = [base] * 10
    elif mode < 0.80:  # a majority, some typed differently or disagreed
        agree = rng.randint(6, 9)
        answers = [base] * agree + [
            surface_variant(rng, base) if rng.random() < 0.5 else base_answer(rng, answer_type)
            for _ in range(10 - agree)]
    else:  # a real split
        choices = [base] + [base_answer(rng, answer_type) for _ in range(rng.randint(1, 3))]
        answers = [surface_variant(rng, rng.choice(choices)) if rng.random() < 0.3
                   else rng.choice(choices) for _ in range(10)]
    rng.shuffle(answers)

    r = rng.random()
    if r < 0.003:
        prediction = None  # no answer (a failed request)
    elif r < 0.55:
        prediction = base
    elif r < 0.75:
        prediction = surface_variant(rng, base)
    elif r < 0.80:
        prediction = f"{base.capitalize()}, I think. The answer is {base}."
    elif r < 0.88:
        prediction = rng.choice(answers)
    else:
        prediction = base_answer(rng, answer_type)
    question_id = (index // 3 + 9) * 1000 + index % 3  # VQA ids: image id * 1000 + k
    return {"id": question_id, "prediction": prediction, "answers": answers,
            "question_type": question_type, "answer_type": answer_type}


def generate(path, records, seed):
    """Writes `records` records to `path` (deterministic for a seed; a shorter file with the same
    seed is a prefix of a longer one). Written to a temporary name first, so an interrupted run
    never leaves a truncated file behind for the cache to reuse."""
    rng = random.Random(seed)
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        for i in range(records):
            f.write(json.dumps(make_record(rng, i)))
            f.write("\n")
    os.replace(partial, path)


# ---------------------------------------------------------------------------------------------
# The reference process (this file re-run with --run-reference under the reference's Python)
# ---------------------------------------------------------------------------------------------

def run_reference(path, repo):
    """Scores `path` with the official VQAEval.evaluate and prints its report as one JSON line.
    The code is loaded the way the golden-fixture runner loads it (tests/metrics/reference/run_vqa.py)."""
    import contextlib
    import io
    import re

    sys.path.insert(0, REFERENCE_RUNNERS)
    import run_vqa  # noqa: E402  (load_official: lib2to3 print fix; Annotations: what VQAEval reads)

    VQAEval = run_vqa.load_official(repo)
    gts, res = {}, {}
    with open(path, encoding="utf-8") as f:
        for qid, line in enumerate(f):
            if not line.strip():
                continue
            r = json.loads(line)
            gts[qid] = {"question_id": qid, "image_id": 0,
                        "question_type": r.get("question_type", ""),
                        "answer_type": r.get("answer_type", ""),
                        "answers": [{"answer": a["answer"] if isinstance(a, dict) else a,
                                     "answer_confidence": "yes", "answer_id": i + 1}
                                    for i, a in enumerate(r["answers"])]}
            # A missing prediction is submitted as "" (as lmmbench scores it; loadRes needs one).
            res[qid] = {"question_id": qid, "answer": r.get("prediction") or ""}
    evaluator = VQAEval(run_vqa.Annotations(gts), run_vqa.Annotations(res), n=2)
    # Python 2 semantics of \d, as run_vqa.py does: the official runtime had no re.UNICODE.
    evaluator.periodStrip = re.compile(evaluator.periodStrip.pattern, re.ASCII)
    evaluator.commaStrip = re.compile(evaluator.commaStrip.pattern, re.ASCII)

    unrounded = {}
    set_accuracy = evaluator.setAccuracy

    def capture(accQA, accQuesType, accAnsType):
        def mean(values):  # setAccuracy's expression without round(., n)
            return 100 * float(sum(values)) / len(values)
        unrounded.update(overall=mean(accQA),
                         perQuestionType={k: mean(v) for k, v in accQuesType.items()},
                         perAnswerType={k: mean(v) for k, v in accAnsType.items()})
        set_accuracy(accQA, accQuesType, accAnsType)

    evaluator.setAccuracy = capture
    with contextlib.redirect_stdout(io.StringIO()):  # its progress bar
        evaluator.evaluate()
    print(json.dumps({"n": len(gts), "accuracy": evaluator.accuracy, "unrounded": unrounded,
                      "python": sys.version.split()[0]}))


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

def vm_hwm_bytes(pid):
    """The peak RSS (VmHWM) so far of a running process, from /proc; None when unreadable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def run_measured(command):
    """Runs `command` to completion; returns (wall seconds, peak RSS in bytes, stdout text)
    (run_measured_with_cpu without the CPU time)."""
    seconds, rss, stdout, _ = run_measured_with_cpu(command)
    return seconds, rss, stdout


def run_measured_with_cpu(command):
    """Runs `command` to completion; returns (wall seconds, peak RSS in bytes, stdout text, CPU
    seconds: user + system of the process and the children it waited for).

    The peak RSS is the child's own VmHWM, polled from /proc every few milliseconds until it exits
    (growth in its last poll interval is missed). Not ru_maxrss: Linux folds the high-water mark
    of the forking process (this Python, ~15 MiB) into the child's at exec, which would put a
    floor under every figure. ru_maxrss is used only where /proc cannot be read."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out, \
            tempfile.TemporaryFile(mode="w+", encoding="utf-8") as err:
        start = time.perf_counter()
        # Popen returns once the child has exec'd, so every sample is of the new image.
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        peak = None
        while True:
            hwm = vm_hwm_bytes(process.pid)
            if hwm is not None:
                peak = max(peak or 0, hwm)
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                break
            # 2 ms at first; at most 50 ms for long runs, so polling costs little CPU.
            time.sleep(min(0.05, 0.002 + (time.perf_counter() - start) / 100))
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            sys.exit(f"failed ({process.returncode}): {' '.join(command)}\n{err.read()}")
        out.seek(0)
        return (seconds, peak if peak is not None else usage.ru_maxrss * 1024, out.read(),
                usage.ru_utime + usage.ru_stime)


def measure(command, repeats, label):
    runs = []
    for i in range(repeats):
        seconds, rss, stdout = run_measured(command)
        print(f"  {label} run {i + 1}/{repeats}: {seconds:.2f} s, peak RSS {rss / 2**20:.1f} MiB",
              flush=True)
        runs.append({"seconds": seconds, "max_rss_bytes": rss})
    return {"runs": runs,
            "median_seconds": statistics.median(r["seconds"] for r in runs),
            "max_rss_bytes": max(r["max_rss_bytes"] for r in runs),
            "output": stdout}


def lmmbench_command(binary, path):
    return [binary, "score", "--metric", "vqa", "--variant", "official", "--input", path]


def score_storage_bytes(n):
    """What lmmbench must keep per sample: one double per score (the aggregator's vector, whose
    doubling capacity can make the resident figure up to twice this)."""
    return 8 * n


def compare_scores(ours, theirs):
    """Checks lmmbench's result against the reference report. Returns a list of problems."""
    problems = []
    pairs = [("overall", ours["score"], theirs["unrounded"]["overall"], theirs["accuracy"]["overall"])]
    for key, ref_key in [("answer_type", "perAnswerType"), ("question_type", "perQuestionType")]:
        cells = ours["breakdown"].get(key, {})
        if set(cells) != set(theirs["unrounded"][ref_key]):
            problems.append(f"{key}: lmmbench has {sorted(cells)}, the reference "
                            f"{sorted(theirs['unrounded'][ref_key])}")
            continue
        for value, cell in cells.items():
            pairs.append((f"{key}={value}", cell["accuracy"], theirs["unrounded"][ref_key][value],
                          theirs["accuracy"][ref_key][value]))
    if ours["n"] != theirs["n"]:
        problems.append(f"n: lmmbench {ours['n']}, reference {theirs['n']}")
    for name, mine, unrounded, rounded in pairs:
        # The official report rounds to 2 decimals: the unrounded values agree to 1e-9, and the
        # reported value is lmmbench's within half a unit in the last place (plus 1e-9).
        if abs(mine - unrounded) > 1e-9:
            problems.append(f"{name}: lmmbench {mine!r}, reference (unrounded) {unrounded!r}")
        if abs(mine - rounded) > 0.005 + 1e-9:
            problems.append(f"{name}: lmmbench {mine!r}, reference report {rounded!r}")
    return problems, len(pairs)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0]}


def build_type(binary):
    """CMAKE_BUILD_TYPE from the CMakeCache.txt of the build tree holding `binary`, if any."""
    directory = os.path.dirname(os.path.abspath(binary))
    while True:
        cache = os.path.join(directory, "CMakeCache.txt")
        if os.path.exists(cache):
            with open(cache, encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("CMAKE_BUILD_TYPE:"):
                        return line.split("=", 1)[1].strip() or "unspecified"
            return "unspecified"
        parent = os.path.dirname(directory)
        if parent == directory:
            return "unknown"
        directory = parent


def input_file(work_dir, records, seed):
    path = os.path.join(work_dir, f"vqa-{records}-seed{seed}-v{GENERATOR_VERSION}.jsonl")
    if not os.path.exists(path):
        start = time.perf_counter()
        generate(path, records, seed)
        print(f"generated {path} ({os.path.getsize(path) / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the timed file")
    parser.add_argument("--growth-records", type=int, default=None,
                        help="records in the second file for the memory-growth run (default 2x)")
    parser.add_argument("--binary", default=os.path.join(SOURCE_DIR, "build", "release", "lmmbench"),
                        help="the lmmbench binary (a Release build)")
    parser.add_argument("--reference-dir", default=os.environ.get("VQA_REPO"),
                        help="checkout of GT-Vision-Lab/VQA at a013f00 (default: $VQA_REPO)")
    parser.add_argument("--reference-python", default=sys.executable,
                        help="Python (3.11 or 3.12: lib2to3) for the reference (default: this one)")
    parser.add_argument("--repeats", type=int, default=3, help="lmmbench runs (median reported)")
    parser.add_argument("--reference-repeats", type=int, default=1,
                        help="reference runs (each takes minutes per million records)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--work-dir", default=None,
                        help="keep the generated files here and reuse them (default: a temporary "
                             "directory, removed afterwards)")
    parser.add_argument("--skip-reference", action="store_true",
                        help="time lmmbench and its memory growth only")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--run-reference", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run_reference:
        run_reference(args.run_reference, args.reference_dir)
        return 0
    if not os.path.exists(args.binary):
        parser.error(f"no lmmbench binary at {args.binary} (build it, or pass --binary)")
    if not args.skip_reference and not args.reference_dir:
        parser.error("--reference-dir (or VQA_REPO) is required unless --skip-reference")
    growth_records = args.growth_records or 2 * args.records
    build = build_type(args.binary)
    if build != "Release":
        print(f"WARNING: {args.binary} is a {build} build; timings mean little outside Release",
              file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="lmmbench-bench-") as scratch:
        work_dir = args.work_dir or scratch
        os.makedirs(work_dir, exist_ok=True)
        path = input_file(work_dir, args.records, args.seed)
        version = subprocess.run([args.binary, "--version"], capture_output=True, text=True,
                                 check=True).stdout.strip()
        report = {"schema_version": 1,
                  "benchmark": "lmmbench score --metric vqa vs the official VQA evaluation",
                  "machine": machine(), "binary": os.path.abspath(args.binary),
                  "lmmbench_version": version, "build_type": build,
                  "records": args.records, "seed": args.seed,
                  "generator_version": GENERATOR_VERSION, "input_bytes": os.path.getsize(path)}

        print(f"lmmbench on {args.records} records:", flush=True)
        ours = measure(lmmbench_command(args.binary, path), args.repeats, "lmmbench")
        ours_result = json.loads(ours.pop("output"))
        report["lmmbench"] = ours

        failed = False
        if not args.skip_reference:
            print(f"reference (VQAEval.evaluate) on {args.records} records:", flush=True)
            command = [args.reference_python, os.path.abspath(__file__), "--run-reference", path,
                       "--reference-dir", args.reference_dir]
            theirs = measure(command, args.reference_repeats, "reference")
            theirs_result = json.loads(theirs.pop("output").strip().splitlines()[-1])
            report["reference"] = theirs
            report["reference"]["code"] = ("GT-Vision-Lab/VQA@a013f00 PythonEvaluationTools/"
                                           "vqaEvaluation/vqaEval.py VQAEval.evaluate")
            report["reference"]["python"] = theirs_result["python"]
            problems, compared = compare_scores(ours_result, theirs_result)
            report["agreement"] = {"values_compared": compared, "problems": problems,
                                   "lmmbench_score": ours_result["score"],
                                   "reference_accuracy": theirs_result["accuracy"]["overall"]}
            report["ratio"] = theirs["median_seconds"] / ours["median_seconds"]
            failed = bool(problems)

        print(f"memory growth: lmmbench on 1000, {args.records} and {growth_records} records:",
              flush=True)
        growth = []
        for n in sorted({1000, args.records, growth_records}):
            p = input_file(work_dir, n, args.seed)
            seconds, rss, _ = run_measured(lmmbench_command(args.binary, p))
            growth.append({"records": n, "seconds": seconds, "max_rss_bytes": rss,
                           "score_storage_bytes": score_storage_bytes(n)})
            if p != path and not args.work_dir:
                os.remove(p)
        small, large = growth[-2], growth[-1]
        grew = large["max_rss_bytes"] - small["max_rss_bytes"]
        expected = large["score_storage_bytes"] - small["score_storage_bytes"]
        allowed = 2 * expected + 8 * 2**20  # vector capacity doubling, allocator slack
        report["memory"] = {"runs": growth, "rss_growth_bytes": grew,
                            "expected_growth_bytes": expected, "allowed_growth_bytes": allowed,
                            "ok": grew <= allowed}
        failed = failed or grew > allowed

    print_table(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
    return 1 if failed else 0


def print_table(report):
    n = report["records"]
    m = report["machine"]
    print(f"\n{n} VQA records x 10 answers ({report['input_bytes'] / 2**20:.0f} MiB), "
          f"{m['cpu']}, {m['cores']} cores, lmmbench {report['lmmbench_version']}, "
          f"{report['build_type']} build")
    print("| process | runs | median s | records/s | peak RSS MiB |")
    print("|---|---|---|---|---|")
    reference_python = report.get("reference", {}).get("python", "?")
    for key, name in [("lmmbench", "lmmbench score --metric vqa"),
                      ("reference", f"official VQAEval.evaluate (Python {reference_python})")]:
        if key in report:
            r = report[key]
            print(f"| {name} | {len(r['runs'])} | {r['median_seconds']:.2f} | "
                  f"{n / r['median_seconds']:,.0f} | {r['max_rss_bytes'] / 2**20:.0f} |")
    if "ratio" in report:
        a = report["agreement"]
        print(f"\nratio (reference / lmmbench, medians): {report['ratio']:.1f}x "
              f"(goal >= 20x: {'met' if report['ratio'] >= 20 else 'NOT met'})")
        print(f"scores: lmmbench {a['lmmbench_score']:.6f}, reference {a['reference_accuracy']} "
              f"(2 decimals); {a['values_compared']} values compared: "
              + ("all agree" if not a["problems"] else "DISAGREE"))
        for p in a["problems"]:
            print(f"  {p}")
    mem = report["memory"]
    print("\n| records | lmmbench s | peak RSS MiB | per-sample scores MiB |")
    print("|---|---|---|---|")
    for g in mem["runs"]:
        print(f"| {g['records']} | {g['seconds']:.2f} | {g['max_rss_bytes'] / 2**20:.1f} | "
              f"{g['score_storage_bytes'] / 2**20:.1f} |")
    small, large = mem["runs"][-2], mem["runs"][-1]
    per_record = mem["rss_growth_bytes"] / max(1, large["records"] - small["records"])
    print(f"peak RSS growth from {small['records']} to {large['records']} records: "
          f"{mem['rss_growth_bytes'] / 2**20:.1f} MiB ({per_record:.1f} bytes per added record; "
          f"the per-sample scores are 8): "
          + ("ok" if mem["ok"] else "GROWS MORE THAN THE PER-SAMPLE SCORES"))


if __name__ == "__main__":
    sys.exit(main())
