#!/usr/bin/env python3
"""lmmbench's HTTP client against wrk on the same local endpoint, at the same concurrency.

Starts tests/servers/llm_server.py (its /bench/ endpoint answers an instant, fixed chat
completion), then for each concurrency runs
  - wrk (Debian package `wrk`) POSTing the same multimodal Chat Completions body lmmbench sends
    (a base64 PNG data URL plus text), one wrk thread, -c N connections;
  - bench_http_client (Google Benchmark): the openai backend with N requests in flight, building
    every body and parsing every reply;
and prints requests/s of both, their ratio, and lmmbench's CPU time per request. Both clients
share the machine with the server, so the ratio, not the absolute rate, is the figure to read.

  benchmarks/http_client_vs_wrk.py --bench build/release/benchmarks/bench_http_client
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from bench_support import ROOT, pinned, start_test_server

IMAGE = os.path.join(ROOT, "tests", "fixtures", "tiny_vqa", "images", "red.png")


def wrk_script(tmp, image):
    with open(image, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    body = json.dumps({
        "model": "bench", "max_tokens": 16, "temperature": 0.0,
        "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + data}},
            {"type": "text",
             "text": "What color is the square? Answer the question using a single word or phrase."},
        ]}],
    })
    path = os.path.join(tmp, "post.lua")
    with open(path, "w") as f:
        f.write('wrk.method = "POST"\n')
        f.write('wrk.headers["Content-Type"] = "application/json"\n')
        f.write("wrk.body = " + json.dumps(body) + "\n")
    return path, len(body)


def run_wrk(url, connections, duration, script, cpus):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "-s", script, url],
                         check=True, capture_output=True, text=True,
                         preexec_fn=pinned(cpus)).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise SystemExit("cannot read wrk's output:\n" + out)
    if "Non-2xx" in out or "Socket errors" in out:
        print("wrk reported errors:\n" + out, file=sys.stderr)
    return float(m.group(1))


def run_bench(binary, url, concurrency, duration, image, cpus):
    env = dict(os.environ, LMMBENCH_BENCH_URL=url, LMMBENCH_BENCH_IMAGE=image)
    filt = "BM_openai_client/(" + "|".join(str(c) for c in concurrency) + ")/"
    out = subprocess.run([binary, f"--benchmark_filter={filt}", "--benchmark_format=json",
                          f"--benchmark_min_time={duration}"],
                         check=True, capture_output=True, text=True, env=env,
                         preexec_fn=pinned(cpus)).stdout
    results = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("error_occurred"):
            raise SystemExit(f"{b['name']}: {b.get('error_message')}")
        c = int(b["name"].split("/")[1])
        results[c] = (b["requests_per_s"], b["cpu_us_per_request"], b["body_bytes"])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True, help="bench_http_client binary")
    parser.add_argument("--concurrency", default="1,16,256")
    parser.add_argument("--duration", type=float, default=5, help="seconds per measurement")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--image", default=IMAGE, help="PNG sent with every request")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs each")
    parser.add_argument("--min-ratio", type=float, default=0.5,
                        help="exit 1 when lmmbench reaches less than this fraction of wrk's rate")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin the server to CPU 0 and the clients to CPU 1")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    concurrency = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        # With two or more CPUs the server gets CPU 0 and each client CPU 1, as if on separate
        # machines: a client's CPU cost then limits only its own rate.
        pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
        server_cpus, client_cpus = ({0}, {1}) if pin else (None, None)
        server, port = start_test_server(tmp, server_cpus, lifetime=1800)
        try:
            base = f"http://127.0.0.1:{port}/bench/v1"
            script, body_bytes = wrk_script(tmp, args.image)
            # Interleaved and repeated: on a shared machine the load changes over time, so each
            # client is measured right after the other, and the best of the repeats is kept.
            wrk, ours = {}, {}
            for c in concurrency:
                for _ in range(args.repeats):
                    rate = run_wrk(base + "/chat/completions", c, args.duration, script,
                                   client_cpus)
                    wrk[c] = max(wrk.get(c, 0.0), rate)
                    result = run_bench(args.bench, base, [c], args.duration, args.image,
                                       client_cpus)[c]
                    if c not in ours or result[0] > ours[c][0]:
                        ours[c] = result
        finally:
            server.terminate()
            server.wait(timeout=10)
    rows = []
    print(f"pinned: {pin}; body {body_bytes} bytes; best of {args.repeats} x {args.duration} s")
    print("| in flight | wrk req/s | lmmbench req/s | ratio | lmmbench CPU µs/request |")
    print("|---:|---:|---:|---:|---:|")
    for c in concurrency:
        rate, cpu_us, lmm_body = ours[c]
        ratio = rate / wrk[c]
        rows.append({"in_flight": c, "wrk_rps": wrk[c], "lmmbench_rps": rate, "ratio": ratio,
                     "lmmbench_cpu_us_per_request": cpu_us, "body_bytes_wrk": body_bytes,
                     "body_bytes_lmmbench": lmm_body})
        print(f"| {c} | {wrk[c]:,.0f} | {rate:,.0f} | {ratio:.2f} | {cpu_us:.0f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    if any(r["ratio"] < args.min_ratio for r in rows):
        print(f"lmmbench reached less than {args.min_ratio:.2f} of wrk's rate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
