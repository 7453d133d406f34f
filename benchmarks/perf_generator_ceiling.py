#!/usr/bin/env python3
"""The ceiling of `lmmbench perf`'s load generator: how many requests/s and token events/s it can
send and time, against tests/servers/llm_server.py's instant streaming replies
(/perf/ttft=0;itl=0;tokens=N/: every token event is written at once, so the server never waits).

Two measurements, each run of the real binary as `lmmbench perf ... --json`:

  closed loop  --scenario concurrency, C in flight, replies of N token events: completed
               requests/s and token events/s, and the CPU time lmmbench and the server spent
               per request (getrusage of the child; /proc/PID/stat of the server). On a 2-core
               machine the Python server is usually the bottleneck, so the CPU per request also
               gives the rate lmmbench alone would reach on one core of its own: 1 / CPU seconds
               per request (its harness and transport threads together; a lower bound, as the
               two threads can run on two cores).
  open loop    --scenario rate --arrival constant at rising rates: achieved send rate, its
               relative error and the send delay (actual - scheduled send) p50/p99. The highest
               rate whose rate error stays within 2 % (the validity rule) is the rate the
               generator can time.

Text-only requests (--images 0, 8 prompt words): the figures are the generator's, not image
encoding's (docs/performance.md has the HTTP client's cost with images).

  benchmarks/perf_generator_ceiling.py --lmmbench build/release/lmmbench
"""

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile

from bench_support import ROOT, start_test_server

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def run_perf(args, model, extra):
    cmd = [args.lmmbench, "perf", model, "--images", "0", "--prompt-tokens", "8", "--warmup", "8",
           "--min-duration", "0", "--min-requests", "1", "--json"] + extra
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"lmmbench perf failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(proc.stdout), cpu


def write_model(tmp, port, tokens):
    path = os.path.join(tmp, f"instant-{tokens}.json")
    with open(path, "w") as f:
        json.dump({"name": "instant", "backend": "openai",
                   "options": {"base_url": f"http://127.0.0.1:{port}/perf/ttft=0;itl=0;"
                                           f"tokens={tokens}/v1",
                               "model": "m", "stream": True}}, f)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lmmbench", default=os.path.join(ROOT, "build", "release", "lmmbench"))
    ap.add_argument("--requests", type=int, default=3000, help="per closed-loop measurement")
    ap.add_argument("--tokens", default="1,16,128", help="token events per reply")
    ap.add_argument("--concurrency", default="1,16,64")
    ap.add_argument("--rates", default="1000,4000,8000,16000")
    ap.add_argument("--rate-seconds", type=float, default=3.0)
    ap.add_argument("--json", help="also write every figure here")
    args = ap.parse_args()
    tokens = [int(t) for t in args.tokens.split(",")]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    cores = len(os.sched_getaffinity(0))
    results = {"closed_loop": [], "open_loop": []}
    with tempfile.TemporaryDirectory(prefix="perf-ceiling-") as tmp:
        server, port = start_test_server(tmp)
        try:
            print(f"# lmmbench perf generator ceiling — {datetime.date.today()}, {platform.node()}, "
                  f"{cores} CPUs, load average {os.getloadavg()[0]:.1f}")
            print("\n## Closed loop (--scenario concurrency) against instant streaming replies\n")
            print("| tokens/reply | in flight | requests/s | token events/s | lmmbench CPU µs/request "
                  "| server CPU µs/request | lmmbench alone, 1 core, req/s | TTFT p50 ms |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|")
            for n in tokens:
                model = write_model(tmp, port, n)
                for c in concurrencies:
                    server_before = process_cpu_s(server.pid)
                    d, cpu = run_perf(args, model, ["--scenario", "concurrency", "--concurrency",
                                                    str(c), "--requests", str(args.requests),
                                                    "--output-tokens", str(n)])
                    server_cpu = process_cpu_s(server.pid) - server_before
                    sent = d["requests"] + 8  # warm-up requests cost CPU too
                    events = d["itl_ms"]["count"] + d["ttft_ms"]["count"]
                    row = {"tokens": n, "concurrency": c,
                           "request_throughput": d["request_throughput"],
                           "token_events_per_s": events / d["duration_s"],
                           "lmmbench_cpu_us_per_request": cpu / sent * 1e6,
                           "server_cpu_us_per_request": server_cpu / sent * 1e6,
                           "lmmbench_only_bound": 1 / (cpu / sent),
                           "ttft_p50_ms": d["ttft_ms"]["p50"], "failed": d["failed"]}
                    results["closed_loop"].append(row)
                    print(f"| {n} | {c} | {row['request_throughput']:,.0f} | "
                          f"{row['token_events_per_s']:,.0f} | "
                          f"{row['lmmbench_cpu_us_per_request']:,.0f} | "
                          f"{row['server_cpu_us_per_request']:,.0f} | "
                          f"{row['lmmbench_only_bound']:,.0f} | {row['ttft_p50_ms']:.2f} |"
                          + (f" {d['failed']} failed" if d["failed"] else ""))
            print("\n## Open loop (--scenario rate --arrival constant), 1 token event per reply\n")
            print("| target req/s | achieved req/s | rate error | send delay p50 ms | "
                  "send delay p99 ms | completed req/s | failed |")
            print("|---:|---:|---:|---:|---:|---:|---:|")
            model = write_model(tmp, port, 1)
            for r in rates:
                d, _ = run_perf(args, model, ["--scenario", "rate", "--arrival", "constant",
                                              "--request-rate", f"{r:g}", "--duration",
                                              f"{args.rate_seconds:g}", "--output-tokens", "1"])
                error = abs(d["achieved_rate"] - r) / r
                row = {"target": r, "achieved_rate": d["achieved_rate"], "rate_error": error,
                       "send_delay_p50_ms": d["send_delay_ms"]["p50"],
                       "send_delay_p99_ms": d["send_delay_ms"]["p99"],
                       "request_throughput": d["request_throughput"], "failed": d["failed"]}
                results["open_loop"].append(row)
                print(f"| {r:,.0f} | {d['achieved_rate']:,.1f} | {error * 100:.2f} % | "
                      f"{row['send_delay_p50_ms']:.3f} | {row['send_delay_p99_ms']:.3f} | "
                      f"{d['request_throughput']:,.1f} | {d['failed']} |")
            print(f"\nload average after: {os.getloadavg()[0]:.1f}")
        finally:
            server.terminate()
            server.wait()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
