#!/usr/bin/env python3
"""`lmmbench perf` against a real OpenAI-compatible server: llama-cpp-python's.

No model weights can be downloaded here, so the server serves a tiny random-weights llama model
that benchmarks/make_tiny_gguf.py writes (gibberish text, but a real tokenizer, chat template,
sampler and SSE stream; it never emits an end token, so every reply has exactly max_tokens
tokens, one chunk each). The script starts `python -m llama_cpp.server` on it and then:

1. runs every `lmmbench perf` scenario against it (offline, rate, concurrency, sweep with a TTFT
   SLO), with `--json` and `--out`, and checks what must hold for any server: no failures, the
   requested number of requests, exactly max_tokens tokens per reply counted from the stream
   (this server reports no usage when streaming), positive and ordered latencies, the achieved
   arrival rate within 2 % of the target, a best sweep level;
2. with --aiperf, runs NVIDIA AIPerf and `lmmbench perf` one after the other with the same load
   (closed loop and constant-rate open loop, the same prompt length and max_tokens) and prints
   TTFT, ITL (pooled chunk gaps), E2E and request throughput side by side. TPOT and output
   tokens/s are not compared: without usage in the stream, AIPerf counts output tokens by
   re-tokenising the text with its own tokenizer, lmmbench counts the chunks.

The server generates on the CPU, so it runs pinned to the first CPU (one llama.cpp thread) and
the clients to the others (--no-pin turns this off): otherwise the server's speed would depend on
how much CPU the client spends, and two clients would be measuring two different servers.

llama-cpp-python's server must run with --interrupt_requests False: by default a new request
aborts the one being generated, which still ends with 200 and [DONE], without its tokens.

  python3 -m venv /tmp/llama-venv
  CMAKE_ARGS="-DGGML_NATIVE=OFF" /tmp/llama-venv/bin/pip install 'llama-cpp-python[server]' gguf
  benchmarks/perf_llama_cpp.py --python /tmp/llama-venv/bin/python \\
      --lmmbench build/release/lmmbench [--aiperf /tmp/aiperf-venv/bin/aiperf]
"""

import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_support import ROOT, pinned
from perf_vs_aiperf import MAKE_TOKENIZER, aiperf_python


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, tmp):
    model = os.path.join(tmp, "tiny.gguf")
    subprocess.run([args.python, os.path.join(ROOT, "benchmarks", "make_tiny_gguf.py"), model,
                    "--seed", "1"], check=True)
    port = free_port()
    log = open(os.path.join(tmp, "server.log"), "w")
    cmd = [args.python, "-m", "llama_cpp.server", "--model", model, "--model_alias", "tiny",
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
           "--interrupt_requests", "False"]
    if args.server_cpus:
        cmd += ["--n_threads", str(len(args.server_cpus))]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=pinned(args.server_cpus))
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"llama_cpp.server did not start; see {log.name}")


def write_model(tmp, url):
    path = os.path.join(tmp, "llama-cpp.json")
    with open(path, "w") as f:
        json.dump({"name": "llama-cpp-tiny", "backend": "openai",
                   "options": {"base_url": url + "/v1", "model": "tiny", "stream": True}}, f)
    return path


def lmmbench(args, model, out_dir, extra):
    cmd = [args.lmmbench, "perf", model, "--images", "0", "--prompt-tokens",
           str(args.prompt_tokens), "--output-tokens", str(args.tokens), "--seed", "1",
           "--json", "--out", out_dir] + extra
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=pinned(args.client_cpus))
    if proc.returncode not in (0, 1):  # 1: a validity rule or an SLO failed; figures still stand
        raise SystemExit(f"lmmbench perf failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return cmd, json.loads(proc.stdout)


def check_level(name, L, requests, tokens, rate=None):
    """What must hold for any server; returns a list of failures."""
    bad = []
    if L["failed"]:
        bad.append(f"{L['failed']} failed")
    if L["requests"] != requests:
        bad.append(f"{L['requests']} requests, expected {requests}")
    if L.get("token_source") != "token_events":
        bad.append(f"token_source {L.get('token_source')} (this server streams no usage)")
    if L.get("output_tokens") != requests * tokens:
        bad.append(f"{L.get('output_tokens')} output tokens, expected {requests * tokens}")
    for key in ("ttft_ms", "e2e_ms"):
        s = L[key]
        if not (0 < s["p50"] <= s["p90"] <= s["p99"]):
            bad.append(f"{key} percentiles not positive and ordered: {s}")
    if not L["e2e_ms"]["p50"] > L["ttft_ms"]["p50"]:
        bad.append("E2E p50 not above TTFT p50")
    if rate is not None and abs(L["achieved_rate"] / rate - 1) > 0.02:
        bad.append(f"achieved rate {L['achieved_rate']:.3f}/s vs {rate}/s")
    return [f"{name}: {b}" for b in bad]


def scenarios(args, model, tmp):
    n, failures, rows = args.requests, [], []
    runs = [
        ("offline", ["--scenario", "offline", "--requests", str(n), "--min-duration", "0",
                     "--min-requests", "1"], None),
        ("concurrency 2", ["--scenario", "concurrency", "--concurrency", "2", "--requests", str(n),
                           "--min-duration", "0", "--min-requests", "1"], None),
        (f"rate {args.rate:g}/s Poisson", ["--scenario", "rate", "--request-rate", f"{args.rate:g}",
                                           "--duration", f"{args.duration:g}"], args.rate),
    ]
    for name, extra, rate in runs:
        cmd, d = lmmbench(args, model, os.path.join(tmp, name.split()[0]), extra)
        requests = int(rate * args.duration) + 1 if rate else n
        failures += check_level(name, d, requests, args.tokens, rate)
        rows.append((name, d))
    sweep_rates = [float(r) for r in args.sweep.split(",")]
    cmd, d = lmmbench(args, model, os.path.join(tmp, "sweep"),
                      ["--scenario", "sweep", "--rates", args.sweep, "--requests", str(n),
                       "--slo-ttft-ms", f"{args.slo_ttft_ms:g}", "--min-duration", "0",
                       "--min-requests", "1", "--windows", "1"])
    levels = d
    if len(levels) != len(sweep_rates):
        failures.append(f"sweep: {len(levels)} levels, expected {len(sweep_rates)}")
    for r, L in zip(sweep_rates, levels):
        failures += check_level(f"sweep {r:g}/s", L, n, args.tokens)
        rows.append((f"sweep {r:g}/s" + (" (best)" if L.get("best") else ""), L))
    if not any(L.get("best") for L in levels):
        failures.append(f"sweep: no level met TTFT p90 <= {args.slo_ttft_ms:g} ms")
    print("\n| level | requests | failed | req/s | output tok/s | TTFT p50 / p99 ms | "
          "TPOT p50 ms | ITL p50 / p99 ms | E2E p50 / p99 ms | valid |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, L in rows:
        print(f"| {name} | {L['requests']} | {L['failed']} | {L['request_throughput']:.2f} | "
              f"{L['output_throughput']:.0f} | {L['ttft_ms']['p50']:.1f} / "
              f"{L['ttft_ms']['p99']:.1f} | {L['tpot_ms']['p50']:.2f} | "
              f"{L['itl_ms']['p50']:.2f} / {L['itl_ms']['p99']:.2f} | "
              f"{L['e2e_ms']['p50']:.1f} / {L['e2e_ms']['p99']:.1f} | "
              f"{'VALID' if L['valid'] else 'INVALID'} |")
    return failures


PROMPT = ("Describe the picture in one short paragraph, naming every object you can see, "
          "its colour and where it is.")


def same_prompt_files(args, tmp):
    """The one prompt every request of both tools sends: AIPerf's single_turn JSONL, and an
    lmmbench task over an lmmbench-jsonl dataset whose prompt template is the question alone."""
    aiperf_file = os.path.join(tmp, "aiperf-prompts.jsonl")
    with open(aiperf_file, "w") as f:
        f.write(json.dumps({"text": PROMPT, "output_length": args.tokens}) + "\n")
    data = os.path.join(tmp, "prompts.jsonl")
    with open(data, "w") as f:
        f.write(json.dumps({"id": "p1", "question": PROMPT}) + "\n")
    task = os.path.join(tmp, "prompt-task.json")
    with open(task, "w") as f:
        json.dump({"name": "one-prompt", "dataset": {"format": "lmmbench-jsonl", "path": data},
                   "prompt": {"template": "{question}"},
                   "generation": {"max_tokens": args.tokens, "temperature": 0},
                   "metrics": [{"name": "exact_match"}]}, f)
    return aiperf_file, task


def aiperf_run(args, url, load, tmp, tokenizer, prompts):
    out_dir = os.path.join(tmp, f"aiperf-{load[0]}-{load[1]}")
    cmd = [args.aiperf, "profile", "-m", "tiny", "--url", url, "--endpoint-type", "chat",
           "--streaming", "--tokenizer", tokenizer, "--request-count", str(args.compare_requests),
           # llama-cpp-python ignores max_completion_tokens (AIPerf's default field) and would
           # generate to the end of the context.
           "--use-legacy-max-tokens", "--input-file", prompts, "--custom-dataset-type",
           "single_turn", "--dataset-sampling-strategy", "sequential",
           # lmmbench's task decodes greedily; AIPerf would leave the server's sampler default.
           "--extra-inputs", "temperature:0",
           "--warmup-request-count", "2", "--random-seed", "1", "--ui", "none",
           "--no-gpu-telemetry", "--no-server-metrics", "--artifact-dir", out_dir]
    cmd += (["--concurrency", str(load[1])] if load[0] == "concurrency" else
            ["--request-rate", f"{load[1]:g}", "--arrival-pattern", "constant"])
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=pinned(args.client_cpus))
    export = os.path.join(out_dir, "profile_export_aiperf.json")
    if proc.returncode != 0 or not os.path.exists(export):
        raise SystemExit(f"aiperf failed ({proc.returncode}):\n{proc.stdout[-3000:]}"
                         f"{proc.stderr[-3000:]}")
    with open(export) as f:
        d = json.load(f)
    pick = lambda key: {p: d[key][p] for p in ("p50", "p90", "p99")}
    return {"ttft_ms": pick("time_to_first_token"), "itl_ms": pick("inter_chunk_latency"),
            "e2e_ms": pick("request_latency"),
            "request_throughput": d["request_throughput"]["avg"],
            "credit_to_start_ms": pick("credit_to_start_latency")}


def compare(args, url, model, tmp):
    tokenizer = os.path.join(tmp, "tokenizer")
    subprocess.run([aiperf_python(args.aiperf), "-c", MAKE_TOKENIZER, tokenizer], check=True,
                   capture_output=True)
    prompts, task = same_prompt_files(args, tmp)
    print(f"\nBoth tools send one prompt in every request: \"{PROMPT}\", max_tokens {args.tokens}.")
    for load in (("concurrency", 1), ("concurrency", 4), ("rate", args.rate)):
        a = aiperf_run(args, url, load, tmp, tokenizer, prompts)
        cmd = [args.lmmbench, "perf", model, "--task", task, "--requests",
               str(args.compare_requests), "--warmup", "2", "--min-duration", "0",
               "--min-requests", "1", "--json"]
        cmd += (["--scenario", "concurrency", "--concurrency", str(load[1])]
                if load[0] == "concurrency" else
                ["--scenario", "rate", "--request-rate", f"{load[1]:g}", "--arrival", "constant"])
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              preexec_fn=pinned(args.client_cpus))
        if proc.returncode not in (0, 1):
            raise SystemExit(f"lmmbench perf failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        b = json.loads(proc.stdout)
        name = f"{load[0]} {load[1]:g}" + ("/s constant" if load[0] == "rate" else " in flight")
        print(f"\n### {name}, {args.compare_requests} requests each\n")
        print("| figure | AIPerf | lmmbench | lmmbench / AIPerf |\n|---|---:|---:|---:|")
        for key, label in (("ttft_ms", "TTFT"), ("itl_ms", "ITL (pooled)"), ("e2e_ms", "E2E")):
            for p in ("p50", "p90", "p99"):
                x, y = a[key][p], b[key][p]
                print(f"| {label} {p} (ms) | {x:.2f} | {y:.2f} | {y / x:.3f} |")
        x, y = a["request_throughput"], b["request_throughput"]
        print(f"| requests/s | {x:.2f} | {y:.2f} | {y / x:.3f} |")
        c = a["credit_to_start_ms"]
        print(f"\nAIPerf's credit → request start (its own client delay), p50/p99: "
              f"{c['p50']:.2f}/{c['p99']:.2f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--python", default="/tmp/llama-venv/bin/python",
                    help="an interpreter with llama-cpp-python[server] and gguf installed")
    ap.add_argument("--lmmbench", default=os.path.join(ROOT, "build", "release", "lmmbench"))
    ap.add_argument("--aiperf", help="also compare with AIPerf (path of its entry point)")
    ap.add_argument("--tokens", type=int, default=32, help="max_tokens of every request")
    ap.add_argument("--prompt-tokens", type=int, default=16)
    ap.add_argument("--requests", type=int, default=60, help="per closed-loop level")
    ap.add_argument("--rate", type=float, default=8.0, help="open-loop rate, requests/s")
    ap.add_argument("--duration", type=float, default=15.0, help="open-loop seconds")
    ap.add_argument("--sweep", default="4,16,64", help="sweep rates, requests/s")
    ap.add_argument("--slo-ttft-ms", type=float, default=100.0)
    ap.add_argument("--compare-requests", type=int, default=200, help="per load, with --aiperf")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not put the server on CPU 0 and the clients on the others")
    args = ap.parse_args()
    # The server generates on the CPU: sharing cores with the client would make its speed depend
    # on how much CPU the client uses, and two clients would measure two different servers.
    cpus = sorted(os.sched_getaffinity(0))
    split = not args.no_pin and len(cpus) >= 2
    args.server_cpus = {cpus[0]} if split else None
    args.client_cpus = set(cpus[1:]) if split else None
    with tempfile.TemporaryDirectory(prefix="perf-llama-cpp-") as tmp:
        server, url = start_server(args, tmp)
        version = subprocess.run([args.python, "-c", "import llama_cpp; print(llama_cpp.__version__)"],
                                 capture_output=True, text=True).stdout.strip()
        try:
            model = write_model(tmp, url)
            print(f"# lmmbench perf against llama-cpp-python {version} — {datetime.date.today()}, "
                  f"{platform.node()}, {os.cpu_count()} CPUs, load average "
                  f"{os.getloadavg()[0]:.1f}; text-only requests, {args.prompt_tokens} prompt "
                  f"words, {args.tokens} output tokens; server on CPUs {args.server_cpus or 'all'}, "
                  f"clients on {args.client_cpus or 'all'}")
            failures = scenarios(args, model, tmp)
            if args.aiperf:
                compare(args, url, model, tmp)
        finally:
            server.terminate()
            server.wait()
    for f in failures:
        print("FAIL:", f)
    print("\nall scenario checks passed" if not failures else f"\n{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
