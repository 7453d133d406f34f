#!/usr/bin/env python3
"""`lmmbench perf` against NVIDIA AIPerf (PyPI `aiperf`) on the same local streaming server and load.

Starts tests/servers/llm_server.py, whose /perf/ttft=S;itl=S;tokens=N/ prefix makes every streamed
reply's token events leave at fixed injected times (first after ttft, then one every itl, N in all,
usage = N completion tokens), then for each load runs AIPerf and `lmmbench perf` one after the
other against it with the same workload — OpenAI chat, streaming, one random-noise JPEG of the
same size per request, the same prompt length, N output tokens (ignore_eos), the same warm-up —
and prints TTFT, TPOT, ITL and E2E p50/p90/p99 and request/output throughput side by side with
the ratio lmmbench / AIPerf. docs/perf.md has the results and the definition differences.

Loads: closed loop (AIPerf --concurrency C, lmmbench --scenario concurrency --concurrency C) and
open loop at a constant rate (AIPerf --request-rate R --arrival-pattern constant, lmmbench
--scenario rate --arrival constant); constant, not Poisson, so that the throughput of a short run
is the rate and not one random draw of it.

AIPerf needs a tokenizer to synthesise prompts. Its `builtin` one downloads tiktoken's BPE file
on first use; offline, this script builds a word-level Hugging Face tokenizer from the corpus
AIPerf ships (aiperf/dataset/generator/assets/shakespeare.txt) in a temporary directory, with
the `tokenizers`/`transformers` packages AIPerf itself depends on. Token counts come from the
server's usage either way (--use-server-token-count), so the tokenizer only shapes the prompt.

  python3 -m venv /tmp/aiperf-venv && /tmp/aiperf-venv/bin/pip install aiperf
  benchmarks/perf_vs_aiperf.py --lmmbench build/release/lmmbench --aiperf /tmp/aiperf-venv/bin/aiperf
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

from bench_support import ROOT, start_test_server

MAKE_TOKENIZER = r"""
import collections, os, re, sys
import aiperf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast
corpus = os.path.join(os.path.dirname(aiperf.__file__), "dataset", "generator", "assets",
                      "shakespeare.txt")
words = collections.Counter(re.findall(r"\w+|[^\w\s]", open(corpus, encoding="utf-8").read()))
vocab = {"[UNK]": 0}
for word, _ in words.most_common():
    vocab[word] = len(vocab)
tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.Whitespace()
tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(sys.argv[1])
"""


def aiperf_python(aiperf):
    """The interpreter of the aiperf entry point (its shebang), which has its dependencies."""
    with open(shutil.which(aiperf) or aiperf) as f:
        line = f.readline()
    return line[2:].strip() if line.startswith("#!") else sys.executable


def run_aiperf(args, url, load, tmp, tokenizer, tag):
    out_dir = os.path.join(tmp, "aiperf-" + tag)
    cmd = [args.aiperf, "profile", "-m", "m", "--url", url, "--endpoint-type", "chat",
           "--streaming", "--use-server-token-count", "--tokenizer", tokenizer,
           "--request-count", str(args.requests), "--warmup-request-count", str(args.warmup),
           "--isl", str(args.prompt_tokens), "--osl", str(args.tokens),
           "--image-batch-size", str(args.images), "--image-width-mean", str(args.image_size),
           "--image-height-mean", str(args.image_size), "--image-format", "jpeg",
           "--random-seed", str(args.seed), "--extra-inputs", "ignore_eos:true",
           "--ui", "none", "--no-gpu-telemetry", "--no-server-metrics", "--artifact-dir", out_dir]
    if load[0] == "concurrency":
        cmd += ["--concurrency", str(load[1])]
    else:
        cmd += ["--request-rate", str(load[1]), "--arrival-pattern", "constant"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    export = os.path.join(out_dir, "profile_export_aiperf.json")
    if proc.returncode != 0 or not os.path.exists(export):
        raise SystemExit(f"aiperf failed ({proc.returncode}):\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    with open(export) as f:
        d = json.load(f)
    # The send rate AIPerf achieved, from its per-request records (request_start_ns).
    starts = []
    with open(os.path.join(out_dir, "profile_export.jsonl")) as f:
        for line in f:
            meta = json.loads(line)["metadata"]
            if meta.get("benchmark_phase") == "profiling":
                starts.append(meta["request_start_ns"])
    starts.sort()
    achieved = (len(starts) - 1) / ((starts[-1] - starts[0]) / 1e9) if len(starts) > 1 else None
    stats = lambda key: {p: d[key][p] for p in ("avg", "p50", "p90", "p99")}
    failed = d.get("error_summary") or []
    return {
        "command": cmd,
        "ttft_ms": stats("time_to_first_token"),
        # AIPerf's inter_token_latency is per request (request_latency - TTFT) / (OSL - 1):
        # lmmbench's TPOT. inter_chunk_latency is every gap between chunks, pooled: lmmbench's ITL.
        "tpot_ms": stats("inter_token_latency"),
        "itl_ms": stats("inter_chunk_latency"),
        "e2e_ms": stats("request_latency"),
        "request_throughput": d["request_throughput"]["avg"],
        "output_throughput": d["output_token_throughput"]["avg"],
        "achieved_rate": achieved,
        "duration_s": d["benchmark_duration"]["avg"],
        # AIPerf's own client-side delays: credit issued -> request start, and writing the body.
        "credit_to_start_ms": stats("credit_to_start_latency"),
        "http_req_sending_ms": stats("http_req_sending"),
        "requests": d["request_count"]["avg"],
        "failed": sum(e.get("count", 0) for e in failed) if isinstance(failed, list) else failed,
    }


def run_lmmbench(args, url, load, tmp, tag):
    model = os.path.join(tmp, "model.json")
    with open(model, "w") as f:
        json.dump({"name": "aiperf-compare", "backend": "openai",
                   "options": {"base_url": url + "/v1", "model": "m", "stream": True}}, f)
    out_dir = os.path.join(tmp, "lmmbench-" + tag)
    cmd = [args.lmmbench, "perf", model, "--requests", str(args.requests),
           "--warmup", str(args.warmup), "--images", str(args.images),
           "--image-size", str(args.image_size), "--image-format", "jpeg",
           "--prompt-tokens", str(args.prompt_tokens), "--output-tokens", str(args.tokens),
           "--ignore-eos", "--seed", str(args.seed), "--min-duration", "0", "--min-requests", "1",
           "--json", "--out", out_dir]
    if load[0] == "concurrency":
        cmd += ["--scenario", "concurrency", "--concurrency", str(load[1])]
    else:
        cmd += ["--scenario", "rate", "--request-rate", str(load[1]), "--arrival", "constant"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):  # 1: a validity rule failed; the figures still stand
        raise SystemExit(f"lmmbench perf failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    d = json.loads(proc.stdout)
    stats = lambda key: {"avg": d[key]["mean"], **{p: d[key][p] for p in ("p50", "p90", "p99")}}
    return {
        "command": cmd,
        "ttft_ms": stats("ttft_ms"),
        "tpot_ms": stats("tpot_ms"),
        "itl_ms": stats("itl_ms"),
        "e2e_ms": stats("e2e_ms"),
        "request_throughput": d["request_throughput"],
        "output_throughput": d["output_throughput"],
        "achieved_rate": d["achieved_rate"] if load[0] == "rate" else None,
        "duration_s": d["duration_s"],
        "requests": d["requests"],
        "failed": d["failed"],
        "valid": d["valid"],
        "invalid_reasons": d["invalid_reasons"],
    }


def table(load, a, b, tolerance):
    name = f"concurrency {load[1]}" if load[0] == "concurrency" else f"constant rate {load[1]}/s"
    rows = [f"\n### {name}: {a['requests']:.0f} requests each, AIPerf failed {a['failed']}, "
            f"lmmbench failed {b['failed']}\n",
            "| figure | AIPerf | lmmbench | lmmbench / AIPerf |", "|---|---:|---:|---:|"]
    worst = 0.0
    for key, label in (("ttft_ms", "TTFT"), ("tpot_ms", "TPOT"), ("itl_ms", "ITL (pooled)"),
                       ("e2e_ms", "E2E")):
        for p in ("p50", "p90", "p99"):
            x, y = a[key][p], b[key][p]
            ratio = y / x if x else float("nan")
            if key != "itl_ms" or p == "p50":
                worst = max(worst, abs(ratio - 1))
            rows.append(f"| {label} {p} (ms) | {x:.2f} | {y:.2f} | {ratio:.3f} |")
    for key, label in (("request_throughput", "requests/s"), ("output_throughput", "output tokens/s")):
        x, y = a[key], b[key]
        worst = max(worst, abs(y / x - 1))
        rows.append(f"| {label} | {x:.2f} | {y:.2f} | {y / x:.3f} |")
    rows.append(f"| duration (s) | {a['duration_s']:.3f} | {b['duration_s']:.3f} | "
                f"{b['duration_s'] / a['duration_s']:.3f} |")
    if load[0] == "rate":
        x, y = a["achieved_rate"], b["achieved_rate"]
        rows.append(f"| achieved send rate (1/s) | {x:.3f} | {y:.3f} | {y / x:.3f} |")
    print("\n".join(rows))
    print(f"\nAIPerf's own client-side delays (ms, p50/p99): credit to request start "
          f"{a['credit_to_start_ms']['p50']:.2f}/{a['credit_to_start_ms']['p99']:.2f}, writing "
          f"the request {a['http_req_sending_ms']['p50']:.2f}/{a['http_req_sending_ms']['p99']:.2f}")
    verdict = "within" if worst <= tolerance else "OUTSIDE"
    print(f"\nlargest relative difference (ITL p90/p99 excluded, see docs/perf.md): "
          f"{worst * 100:.1f} % — {verdict} {tolerance * 100:.0f} %")
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lmmbench", default=os.path.join(ROOT, "build", "release", "lmmbench"))
    ap.add_argument("--aiperf", default=shutil.which("aiperf") or "/tmp/aiperf-venv/bin/aiperf")
    ap.add_argument("--tokenizer", help="local Hugging Face tokenizer directory for AIPerf "
                    "(default: a word-level one built from AIPerf's own corpus)")
    ap.add_argument("--ttft-ms", type=float, default=50.0)
    ap.add_argument("--itl-ms", type=float, default=10.0)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--images", type=int, default=1)
    ap.add_argument("--image-size", type=int, default=336)
    ap.add_argument("--prompt-tokens", type=int, default=64)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrency", type=int, action="append",
                    help="closed-loop load (repeatable; default 4)")
    ap.add_argument("--rate", type=float, action="append",
                    help="constant-rate open-loop load, requests/s (repeatable; default 8)")
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--json", help="also write every figure and command here")
    args = ap.parse_args()
    loads = [("concurrency", c) for c in (args.concurrency or [4])]
    loads += [("rate", r) for r in (args.rate or [8.0])]
    if not (shutil.which(args.aiperf) or os.path.exists(args.aiperf)):
        raise SystemExit(f"aiperf not found at {args.aiperf}: pip install aiperf (in a venv), "
                         "then pass --aiperf PATH")

    with tempfile.TemporaryDirectory(prefix="perf-vs-aiperf-") as tmp:
        tokenizer = args.tokenizer
        if not tokenizer:
            tokenizer = os.path.join(tmp, "tokenizer")
            subprocess.run([aiperf_python(args.aiperf), "-c", MAKE_TOKENIZER, tokenizer],
                           check=True, capture_output=True)
        server, port = start_test_server(tmp)
        try:
            spec = f"ttft={args.ttft_ms / 1000:g};itl={args.itl_ms / 1000:g};tokens={args.tokens}"
            url = f"http://127.0.0.1:{port}/perf/{spec}"
            print(f"# lmmbench perf vs AIPerf — {datetime.date.today()}, {platform.node()}, "
                  f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
            print(f"server: injected TTFT {args.ttft_ms:g} ms, ITL {args.itl_ms:g} ms, "
                  f"{args.tokens} tokens (E2E {args.ttft_ms + (args.tokens - 1) * args.itl_ms:g} ms); "
                  f"{args.images} x {args.image_size}x{args.image_size} JPEG noise, "
                  f"{args.prompt_tokens} prompt tokens, warm-up {args.warmup}")
            results = []
            worst = 0.0
            for load in loads:
                tag = f"{load[0]}-{load[1]}"
                a = run_aiperf(args, url, load, tmp, tokenizer, tag)
                b = run_lmmbench(args, url, load, tmp, tag)
                worst = max(worst, table(load, a, b, args.tolerance))
                results.append({"load": load, "aiperf": a, "lmmbench": b})
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(results, f, indent=2)
        finally:
            server.terminate()
            server.wait()
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
