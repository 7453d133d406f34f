#!/usr/bin/env python3
"""Times `lmmbench score --metric caption` against pycocoevalcap on one generated file.

What it does, in one invocation:

 1. generates a deterministic (seeded) `lmmbench score` input of --images images, --references
    reference captions each and one prediction (benchmarks/caption_data.py: COCO-style captions
    of 8-16 words, with punctuation, contractions, numbers and quotes; predictions are new
    captions, a reference reworded or cut short);
 2. runs, each as a separate process, the reference and lmmbench on that file, for the metric set
    without METEOR (BLEU-1..4, ROUGE-L, CIDEr-D) and, unless --skip-meteor, with it (METEOR 1.5 is
    the Java jar in both): the reference --reference-repeats times, lmmbench --repeats times;
 3. checks that both report the same numbers (1e-9 relative; METEOR comes from the same jar);
 4. prints median wall times, CPU times (user + system, the reference's Java children
    included), peak RSS and the ratios for each metric set, and optionally writes them as JSON.
    The runs of the two sides alternate, so that a change in the machine's load hits both alike.

The reference process does what lmms-eval's coco_cap/nocaps/flickr30k aggregation does with
pycocoevalcap (PyPI, 1.2): it reads the file, builds the gts/res dicts, runs PTBTokenizer (the
Stanford CoreNLP 3.4.1 jar) on both, then Bleu(4), Rouge(), Cider() and, with METEOR, Meteor().
It runs under --reference-python, an interpreter with pycocoevalcap installed (Java on PATH).

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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from caption_data import random_caption  # noqa: E402
from score_vqa_vs_reference import run_measured_with_cpu  # noqa: E402

# Bump when the generated records change, so that cached files are never reused across versions.
GENERATOR_VERSION = 1
COMPARED = ["bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider"]


def generate(path, images, references, seed):
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(images):
            refs = [random_caption(rng, punctuate=rng.random() < 0.7) for _ in range(references)]
            r = rng.random()
            if r < 0.4:
                prediction = random_caption(rng, punctuate=rng.random() < 0.5)
            elif r < 0.8:  # a reference reworded: words dropped or swapped for new ones
                words = rng.choice(refs).split()
                prediction = " ".join(w if rng.random() < 0.8 else rng.choice(["a", "the", "big"])
                                      for w in words if rng.random() < 0.9)
            else:  # cut short
                words = rng.choice(refs).split()
                prediction = " ".join(words[: rng.randint(1, len(words))])
            f.write(json.dumps({"id": i, "prediction": prediction, "answers": refs}) + "\n")


def reference_worker(path, meteor):
    """The reference process: pycocoevalcap on the file, as COCOEvalCap.evaluate runs it."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    gts, res = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            gts[r["id"]] = [{"caption": a} for a in r["answers"]]
            res[r["id"]] = [{"caption": r["prediction"] if r.get("prediction") is not None else ""}]
    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize(gts)
    res = tokenizer.tokenize(res)
    out = {}
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    for k in range(4):
        out[f"bleu_{k + 1}"] = bleu[k]
    if meteor:
        from pycocoevalcap.meteor.meteor import Meteor
        out["meteor"], _ = Meteor().compute_score(gts, res)
    out["rouge_l"], _ = Rouge().compute_score(gts, res)
    out["cider"], _ = Cider().compute_score(gts, res)
    print(json.dumps({k: float(v) for k, v in out.items()}))


def run_once(command, label, runs, env=None):
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        seconds, rss, stdout, cpu = run_measured_with_cpu(command)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    print(f"  {label} run {len(runs) + 1}: {seconds:.2f} s wall, {cpu:.2f} s CPU, peak RSS "
          f"{rss / 2**20:.1f} MiB", flush=True)
    runs.append({"seconds": seconds, "cpu_seconds": cpu, "max_rss_bytes": rss})
    return stdout


def summary(runs):
    return {"runs": runs, "median_seconds": statistics.median(r["seconds"] for r in runs),
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
            "max_rss_bytes": max(r["max_rss_bytes"] for r in runs)}


def compare(ours, theirs, names):
    problems = []
    for name in names:
        mine = ours["metrics"][name]
        ref = theirs[name]
        if abs(mine - ref) > 1e-9 * max(1.0, abs(ref)):
            problems.append(f"{name}: lmmbench {mine!r}, pycocoevalcap {ref!r}")
    return problems


def meteor_jar(python):
    code = ("import os, pycocoevalcap.meteor.meteor as m; "
            "print(os.path.join(os.path.dirname(m.__file__), 'meteor-1.5.jar'))")
    return subprocess.run([python, "-c", code], check=True, capture_output=True,
                          text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(os.path.dirname(HERE), "build", "release",
                                                         "lmmbench"))
    parser.add_argument("--reference-python", default=sys.executable,
                        help="a Python with pycocoevalcap installed (default: this one)")
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--references", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeats", type=int, default=3, help="lmmbench runs per metric set")
    parser.add_argument("--reference-repeats", type=int, default=2)
    parser.add_argument("--skip-meteor", action="store_true",
                        help="only the metric set without METEOR")
    parser.add_argument("--skip-reference", action="store_true", help="time lmmbench only")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--reference-worker", help=argparse.SUPPRESS)
    parser.add_argument("--meteor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference_worker:
        reference_worker(args.reference_worker, args.meteor)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"captions-v{GENERATOR_VERSION}.jsonl")
        generate(path, args.images, args.references, args.seed)
        print(f"input: {args.images} images x {args.references} references + 1 prediction "
              f"({os.path.getsize(path) / 2**20:.1f} MiB), seed {args.seed}", flush=True)
        sets = [("without METEOR", False)] + ([] if args.skip_meteor else [("with METEOR", True)])
        results = []
        failed = False
        for label, with_meteor in sets:
            print(f"{label}:", flush=True)
            command = [args.binary, "score", "--metric", "caption", "--input", path]
            env = None
            if with_meteor:
                command[4:4] = ["--variant", "pycocoevalcap-meteor"]
                env = {"LMMBENCH_METEOR_JAR": meteor_jar(args.reference_python)}
            ref_command = [args.reference_python, os.path.abspath(__file__),
                           "--reference-worker", path] + (["--meteor"] if with_meteor else [])
            # Interleaved, so that a change in the machine's load hits both sides alike.
            our_runs, their_runs = [], []
            ours_out = theirs_out = None
            reference_repeats = 0 if args.skip_reference else args.reference_repeats
            for i in range(max(args.repeats, reference_repeats)):
                if i < args.repeats:
                    ours_out = run_once(command, "lmmbench", our_runs, env)
                if i < reference_repeats:
                    theirs_out = run_once(ref_command, "pycocoevalcap", their_runs)
            entry = {"set": label, "lmmbench": summary(our_runs)}
            if their_runs:
                entry["pycocoevalcap"] = summary(their_runs)
                names = COMPARED + (["meteor"] if with_meteor else [])
                problems = compare(json.loads(ours_out), json.loads(theirs_out), names)
                entry["agreement"] = "ok" if not problems else problems
                if problems:
                    failed = True
                    print("DISAGREEMENT:\n  " + "\n  ".join(problems), flush=True)
                entry["ratio"] = (entry["pycocoevalcap"]["median_seconds"]
                                  / entry["lmmbench"]["median_seconds"])
                entry["cpu_ratio"] = (entry["pycocoevalcap"]["median_cpu_seconds"]
                                      / entry["lmmbench"]["median_cpu_seconds"])
            results.append(entry)

        print()
        print(f"{'metric set':<16} {'lmmbench s':>11} {'CPU s':>6} {'RSS MiB':>8} "
              f"{'pycocoevalcap s':>16} {'CPU s':>6} {'RSS MiB':>8} {'ratio':>7} {'CPU ratio':>9}")
        for e in results:
            ours = e["lmmbench"]
            line = (f"{e['set']:<16} {ours['median_seconds']:>11.3f} "
                    f"{ours['median_cpu_seconds']:>6.2f} {ours['max_rss_bytes'] / 2**20:>8.1f}")
            if "pycocoevalcap" in e:
                theirs = e["pycocoevalcap"]
                line += (f" {theirs['median_seconds']:>16.2f} {theirs['median_cpu_seconds']:>6.2f} "
                         f"{theirs['max_rss_bytes'] / 2**20:>8.1f} {e['ratio']:>6.1f}x "
                         f"{e['cpu_ratio']:>8.1f}x")
            print(line)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump({"images": args.images, "references": args.references, "seed": args.seed,
                           "results": results}, f, indent=1)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
