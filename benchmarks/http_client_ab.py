#!/usr/bin/env python3
"""Two or more builds of lmmbench's HTTP client, alternately: context switches and CPU per request.

For a change to the client (transport, backend, load generator), the figures that other load on a
shared machine changes least: context switches per request (voluntary + involuntary, getrusage of
the child) and user and system CPU µs per request, of `bench_http_client` and of the whole
`lmmbench perf --scenario concurrency` process, each build's run right after the other's
(A, B, A, B, ...), medians of --repeats. The server is one bench_http_server (the first build's)
pinned to CPU 0, every client pinned to CPU 1, as in benchmarks/http_client_vs_wrk.py; requests
are what the server counted.

  benchmarks/http_client_ab.py /tmp/old-build build/release --concurrency 16,256

Each BUILD is a build tree (or a folder) holding lmmbench and bench_http_client /
bench_http_server, directly or under benchmarks/. The req/s column is the whole process's
(start included) and depends on how much of CPU 1 other processes take; compare builds by the
other columns.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
import urllib.request

from bench_support import ROOT, pinned

IMAGE = os.path.join(ROOT, "tests", "fixtures", "tiny_vqa", "images", "red.png")


def binary(build, name):
    for path in (os.path.join(build, name), os.path.join(build, "benchmarks", name)):
        if os.access(path, os.X_OK):
            return path
    raise SystemExit(f"{build} has no {name}")


def children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime, r.ru_stime, r.ru_nvcsw + r.ru_nivcsw, r.ru_nivcsw


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("builds", nargs="+")
    ap.add_argument("--concurrency", default="16,256")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--duration", type=float, default=2, help="bench_http_client's min time, s")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        server = subprocess.Popen([binary(args.builds[0], "bench_http_server"), "--port-file",
                                   port_file], stdout=subprocess.DEVNULL, preexec_fn=pinned({0}))
        try:
            for _ in range(500):
                if os.path.exists(port_file) and open(port_file).read().strip():
                    break
                time.sleep(0.01)
            port = int(open(port_file).read())
            url = f"http://127.0.0.1:{port}/v1"
            model = os.path.join(tmp, "model.json")
            with open(model, "w") as f:
                json.dump({"name": "bench", "backend": "openai",
                           "options": {"base_url": url, "model": "bench", "max_images": 1}}, f)

            def served():
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as r:
                    return json.loads(r.read())["requests"]

            def measure(cmd, env=None):
                before, (u0, s0, c0, i0), t0 = served(), children(), time.monotonic()
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                      preexec_fn=pinned({1}))
                if proc.returncode not in (0, 1):
                    raise SystemExit(f"{cmd[0]} failed:\n{proc.stderr[-2000:]}")
                wall = time.monotonic() - t0
                u1, s1, c1, i1 = children()
                n = served() - before
                return {"csw": (c1 - c0) / n, "involuntary": (i1 - i0) / n,
                        "cpu_us": (u1 - u0 + s1 - s0) / n * 1e6, "user_us": (u1 - u0) / n * 1e6, "system_us": (s1 - s0) / n * 1e6,
                        "rps": n / wall}

            runs = {}
            env = dict(os.environ, LMMBENCH_BENCH_URL=url, LMMBENCH_BENCH_IMAGE=IMAGE)
            for _ in range(args.repeats):
                for c in (int(x) for x in args.concurrency.split(",")):
                    for build in args.builds:
                        runs.setdefault(("bench_http_client", c, build), []).append(measure(
                            [binary(build, "bench_http_client"),
                             f"--benchmark_filter=BM_openai_client/{c}/",
                             f"--benchmark_min_time={args.duration}"], env))
                        runs.setdefault(("lmmbench perf", c, build), []).append(measure(
                            [binary(build, "lmmbench"), "perf", model, "--scenario",
                             "concurrency", "--concurrency", str(c), "--requests",
                             str(max(4000, 40 * c)), "--warmup", str(c), "--images", "0",
                             "--prompt-tokens", "16", "--output-tokens", "16", "--min-duration",
                             "0", "--min-requests", "1", "--json"]))
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"Medians of {args.repeats} alternate runs; client on CPU 1, server on CPU 0.")
    print("| client | in flight | build | context switches/req | involuntary/req | "
          "CPU µs/req | user µs/req | system µs/req | req/s (whole process) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for (name, c, build), rs in sorted(runs.items(), key=lambda kv: kv[0][:2]):
        m = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        print(f"| {name} | {c} | {build} | {m['csw']:.2f} | {m['involuntary']:.2f} | "
              f"{m['cpu_us']:.1f} | {m['user_us']:.1f} | {m['system_us']:.1f} | "
              f"{m['rps']:,.0f} |")


if __name__ == "__main__":
    main()
