#!/usr/bin/env python3
"""lmmbench's HTTP client against wrk: requests/s and client CPU per request on one loopback server.

The server is bench_http_server (benchmarks/bench_http_server.cpp): one C++ thread on epoll that
answers every POST at once with a fixed Chat Completions reply (JSON, or an SSE stream when the
body asks for one), a few µs of CPU per request, so that the client, not the server, limits the
rate. (A Python server's own CPU would bound what is measured.)

Clients, at 1, 16 and 256 requests in flight:
  wrk                one thread (Debian package `wrk`), -c N keep-alive connections, POSTing the
                     very body the lmmbench client sent (captured by the server);
  bench_http_client  the openai backend alone (Google Benchmark): builds every multimodal body
                     (a PNG as a base64 data URL), sends it through the curl multi loop, reads
                     every reply;
  lmmbench perf      the whole `lmmbench perf --scenario concurrency` process (streamed replies,
                     as perf always asks for them; text-only synthetic prompts), its rate the
                     level's request throughput.
Each is compared with wrk sending that client's own body. Pinned: the server on CPU 0, every
client on CPU 1, as if on separate machines; unpinned: all share every CPU (then the client's
CPU is taken from the server). The measurements are interleaved (wrk, bench, perf, wrk, ...)
and repeated; the table shows medians. CPU per request is the client process's user + system
time (getrusage of the child) over the requests the server counted; the server's CPU share is
its own /proc time over the wall time (a share near 1.0 of its core means the server, not the
client, bounded that rate: a warning says so). Finally the same is measured with a 336x336
JPEG per request (random noise at quality 90, from `lmmbench perf`'s synthetic workload: what
an LMM benchmark sends) for bench_http_client and wrk.

  benchmarks/http_client_vs_wrk.py --build build/release

  benchmarks/http_client_vs_wrk.py --instructions   # instructions per request (callgrind)
  benchmarks/http_client_vs_wrk.py --aiperf /tmp/aiperf-venv/bin/aiperf   # AIPerf's CPU too

Exit status 1 when lmmbench (bench_http_client or perf) reaches less than --min-ratio of wrk's
rate at some concurrency, pinned.
"""

import argparse
import base64
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from bench_support import ROOT, pinned

TICKS = os.sysconf("SC_CLK_TCK")
IMAGE = os.path.join(ROOT, "tests", "fixtures", "tiny_vqa", "images", "red.png")


class Server:
    """bench_http_server on a free port, optionally pinned."""

    def __init__(self, binary, tmp, cpus, capture=False):
        port_file = os.path.join(tmp, f"port-{time.monotonic_ns()}")
        cmd = [binary, "--port-file", port_file] + (["--capture"] if capture else [])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, preexec_fn=pinned(cpus))
        for _ in range(500):
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read())
                return
            time.sleep(0.01)
        self.proc.kill()
        raise SystemExit("bench_http_server did not start")

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return r.read()

    def requests(self):
        return json.loads(self.get("/stats"))["requests"]

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd, cpus, env=None, ok=(0,)):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=pinned(cpus))
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout


def measured(server, client):
    """Runs client() -> req/s; returns the figures of that run."""
    served, cpu, server_cpu, start = (server.requests(), children_cpu_s(), server.cpu_s(),
                                      time.monotonic())
    rate = client()
    wall = time.monotonic() - start
    requests = server.requests() - served
    if requests <= 0:
        raise SystemExit("the server counted no requests")
    server_cpu = server.cpu_s() - server_cpu
    return {"rps": rate, "requests": requests,
            "cpu_us": (children_cpu_s() - cpu) / requests * 1e6,
            "server_share": server_cpu / wall, "server_cpu_us": server_cpu / requests * 1e6}


def wrk_client(url, body, connections, duration, tmp, cpus):
    script = os.path.join(tmp, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        f.write("wrk.body = " + json.dumps(body) + "\n")

    def client():
        out = run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "-s", script,
                   url], cpus)
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        if not m:
            raise SystemExit("cannot read wrk's output:\n" + out)
        if "Non-2xx" in out or "Socket errors" in out:
            print("wrk reported errors:\n" + out, file=sys.stderr)
        return float(m.group(1))
    return client


def bench_client(binary, url, in_flight, duration, image, cpus):
    env = dict(os.environ, LMMBENCH_BENCH_URL=url, LMMBENCH_BENCH_IMAGE=image)

    def client():
        out = run([binary, f"--benchmark_filter=BM_openai_client/{in_flight}/",
                   "--benchmark_format=json", f"--benchmark_min_time={duration}"], cpus, env)
        b = json.loads(out)["benchmarks"][0]
        if b.get("error_occurred"):
            raise SystemExit(f"{b['name']}: {b.get('error_message')}")
        return b["requests_per_s"]
    return client


def perf_client(binary, model, in_flight, requests, cpus, images=("--images", "0")):
    def client():
        out = run([binary, "perf", model, "--scenario", "concurrency", "--concurrency",
                   str(in_flight), "--requests", str(requests), "--warmup", str(in_flight),
                   *images, "--prompt-tokens", "16", "--output-tokens", "16",
                   "--min-duration", "0", "--min-requests", "1", "--json"], cpus, ok=(0, 1))
        level = json.loads(out)
        if level["failed"] > 0:
            raise SystemExit(f"lmmbench perf: {level['failed']} request(s) failed")
        return level["request_throughput"]
    return client


def write_model(tmp, port):
    path = os.path.join(tmp, f"model-{port}.json")
    with open(path, "w") as f:
        json.dump({"name": "bench", "backend": "openai",
                   "options": {"base_url": f"http://127.0.0.1:{port}/v1", "model": "bench",
                               "max_images": 1}}, f)
    return path


def capture_bodies(args, tmp):
    """The bodies lmmbench sends (for wrk) and a 336x336 JPEG as perf's synthetic workload makes
    it, from short runs against a capturing server."""
    server = Server(args.server, tmp, None, capture=True)
    try:
        url = f"http://127.0.0.1:{server.port}/v1"
        bench_client(args.bench, url, 1, 0.01, args.image, None)()
        bench_body = server.get("/last_body").decode()
        model = write_model(tmp, server.port)
        perf_client(args.lmmbench, model, 1, 4, None)()
        perf_body = server.get("/last_body").decode()
        perf_client(args.lmmbench, model, 1, 1, None,
                    ("--images", "1", "--image-size", "336x336", "--image-format", "jpeg"))()
        jpeg_request = json.loads(server.get("/last_body"))
        url_part = jpeg_request["messages"][0]["content"][0]["image_url"]["url"]
        jpeg = os.path.join(tmp, "noise336.jpg")
        with open(jpeg, "wb") as f:
            f.write(base64.b64decode(url_part.split(",", 1)[1]))
        bench_client(args.bench, url, 1, 0.01, jpeg, None)()
        jpeg_body = server.get("/last_body").decode()
    finally:
        server.stop()
    return bench_body, perf_body, jpeg, jpeg_body


def instructions_per_request(server, cmd, env=None):
    """User-space instructions per request of `cmd` (callgrind's total over the requests the
    server counted): a count that other processes on the machine do not change."""
    served = server.requests()
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
                          capture_output=True, text=True, env=env)
    m = re.search(r"Collected : (\d+)", proc.stderr)
    if not m:
        raise SystemExit(f"callgrind failed on {cmd[0]}:\n{proc.stderr[-2000:]}")
    return int(m.group(1)) / (server.requests() - served)


def count_instructions(args, tmp, bodies, jpeg, concurrency):
    """One run of each client under callgrind per concurrency (unpinned, short)."""
    bench_body, perf_body, jpeg_body = bodies
    server = Server(args.server, tmp, None)
    rows = []
    try:
        url = f"http://127.0.0.1:{server.port}/v1"
        model = write_model(tmp, server.port)
        script = os.path.join(tmp, "count.lua")
        for c in concurrency:
            row = {"in_flight": c}
            env = dict(os.environ, LMMBENCH_BENCH_URL=url, LMMBENCH_BENCH_IMAGE=args.image)
            # One iteration of max(2000, 40 x c) requests (and Google Benchmark's own start).
            row["bench_http_client"] = instructions_per_request(
                server, [args.bench, f"--benchmark_filter=BM_openai_client/{c}/",
                         "--benchmark_min_time=0.01"], env)
            row["lmmbench perf"] = instructions_per_request(
                server, [args.lmmbench, "perf", model, "--scenario", "concurrency",
                         "--concurrency", str(c), "--requests", str(max(2000, 20 * c)),
                         "--warmup", str(c), "--images", "0", "--prompt-tokens", "16",
                         "--output-tokens", "16", "--min-duration", "0", "--min-requests", "1",
                         "--json"])
            for name, body in (("wrk (bench body)", bench_body), ("wrk (perf body)", perf_body)):
                with open(script, "w") as f:
                    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = '
                            '"application/json"\nwrk.body = ' + json.dumps(body) + "\n")
                row[name] = instructions_per_request(
                    server, ["wrk", "-t1", f"-c{c}", "-d2s", "-s", script, url + "/chat/completions"])
            rows.append(row)
        if jpeg is not None:
            env = dict(os.environ, LMMBENCH_BENCH_URL=url, LMMBENCH_BENCH_IMAGE=jpeg)
            rows.append({"in_flight": 16, "bench_http_client, 336x336 JPEG": instructions_per_request(
                server, [args.bench, "--benchmark_filter=BM_openai_client/16/",
                         "--benchmark_min_time=0.01"], env)})
    finally:
        server.stop()
    return rows


def aiperf_cpu(args, tmp, cpus, server_cpus):
    """AIPerf's client CPU per request at 16 in flight, streaming text-only requests as lmmbench
    perf sends them: the whole multi-process run (its start included) and the marginal cost per
    request from two runs of --aiperf-requests and 3x as many."""
    from perf_vs_aiperf import MAKE_TOKENIZER, aiperf_python
    tokenizer = os.path.join(tmp, "tokenizer")
    subprocess.run([aiperf_python(args.aiperf), "-c", MAKE_TOKENIZER, tokenizer], check=True,
                   capture_output=True)
    server = Server(args.server, tmp, server_cpus)
    runs = []
    try:
        for n in (args.aiperf_requests, 3 * args.aiperf_requests):
            out_dir = os.path.join(tmp, f"aiperf-{n}")

            def client():
                run([args.aiperf, "profile", "-m", "bench", "--url",
                     f"http://127.0.0.1:{server.port}/v1", "--endpoint-type", "chat",
                     "--streaming", "--use-server-token-count", "--tokenizer", tokenizer,
                     "--request-count", str(n), "--warmup-request-count", "16", "--isl", "16",
                     "--osl", "16", "--concurrency", "16", "--random-seed", "1", "--ui", "none",
                     "--no-gpu-telemetry", "--no-server-metrics", "--artifact-dir", out_dir], cpus)
                with open(os.path.join(out_dir, "profile_export_aiperf.json")) as f:
                    return json.load(f)["request_throughput"]["avg"]
            runs.append(measured(server, client))
    finally:
        server.stop()
    small, large = runs
    marginal = ((large["cpu_us"] * large["requests"] - small["cpu_us"] * small["requests"]) /
                (large["requests"] - small["requests"]))
    return {"rps": large["rps"], "cpu_us": large["cpu_us"], "marginal_cpu_us": marginal,
            "requests": large["requests"]}


def median_row(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"),
                    help="build tree with lmmbench and benchmarks/bench_http_{client,server}")
    ap.add_argument("--bench", help="bench_http_client (default: in --build)")
    ap.add_argument("--server", help="bench_http_server (default: in --build)")
    ap.add_argument("--lmmbench", help="lmmbench (default: in --build)")
    ap.add_argument("--concurrency", default="1,16,256")
    ap.add_argument("--duration", type=float, default=3, help="seconds per measurement")
    ap.add_argument("--repeats", type=int, default=5, help="interleaved runs per client; medians")
    ap.add_argument("--modes", default="pinned,unpinned")
    ap.add_argument("--no-jpeg", action="store_true", help="skip the 336x336 JPEG measurement")
    ap.add_argument("--image", default=IMAGE, help="image of bench_http_client's requests")
    ap.add_argument("--min-ratio", type=float, default=0.5,
                    help="exit 1 when lmmbench reaches less than this fraction of wrk's rate "
                         "(pinned)")
    ap.add_argument("--json", help="also write every run here")
    ap.add_argument("--aiperf", help="also measure AIPerf (its `aiperf` entry point, e.g. "
                    "/tmp/aiperf-venv/bin/aiperf from `pip install aiperf`) at 16 in flight")
    ap.add_argument("--aiperf-requests", type=int, default=2000)
    ap.add_argument("--instructions", action="store_true",
                    help="only count user-space instructions per request of each client "
                         "(valgrind --tool=callgrind, one short unpinned run each): robust to "
                         "other load on the machine")
    args = ap.parse_args()
    args.bench = args.bench or os.path.join(args.build, "benchmarks", "bench_http_client")
    args.server = args.server or os.path.join(args.build, "benchmarks", "bench_http_server")
    args.lmmbench = args.lmmbench or os.path.join(args.build, "lmmbench")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    for path in (args.bench, args.server, args.lmmbench):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"{path} is not built (cmake --build --preset release --target "
                             "lmmbench bench_http_client bench_http_server)")
    concurrency = [int(c) for c in args.concurrency.split(",")]
    modes = [m for m in args.modes.split(",") if m]
    if "pinned" in modes and len(os.sched_getaffinity(0)) < 2:
        print("fewer than 2 CPUs: pinned runs are skipped", file=sys.stderr)
        modes.remove("pinned")
    results = []
    warnings = []
    with tempfile.TemporaryDirectory() as tmp:
        bench_body, perf_body, jpeg, jpeg_body = capture_bodies(args, tmp)
        if args.instructions:
            if shutil.which("valgrind") is None:
                raise SystemExit("valgrind is not installed: apt-get install valgrind")
            rows = count_instructions(args, tmp, (bench_body, perf_body, jpeg_body),
                                      None if args.no_jpeg else jpeg, concurrency)
            print("User-space instructions per request (callgrind; process start included):")
            for row in rows:
                c = row.pop("in_flight")
                print(f"  {c:4} in flight: " +
                      ", ".join(f"{k} {v:,.0f}" for k, v in row.items()))
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(rows, f, indent=2)
            return 0
        cases = [("bench_http_client", bench_body, args.image), ("lmmbench perf", perf_body, None)]
        for mode in modes:
            server_cpus, client_cpus = ({0}, {1}) if mode == "pinned" else (None, None)
            server = Server(args.server, tmp, server_cpus)
            try:
                url = f"http://127.0.0.1:{server.port}/v1"
                model = write_model(tmp, server.port)
                jobs = [(c, case) for c in concurrency for case in cases]
                if not args.no_jpeg:
                    jobs += [(16, ("bench_http_client, 336x336 JPEG", jpeg_body, jpeg))]
                for c, (name, body, image) in jobs:
                    runs = {"wrk": [], name: []}
                    for _ in range(args.repeats):
                        wrk = measured(server, wrk_client(url + "/chat/completions", body, c,
                                                          args.duration, tmp, client_cpus))
                        runs["wrk"].append(wrk)
                        if image is not None:
                            client = bench_client(args.bench, url, c, args.duration, image,
                                                  client_cpus)
                        else:
                            # About --duration seconds at half wrk's rate.
                            n = max(500, int(wrk["rps"] * 0.5 * args.duration))
                            client = perf_client(args.lmmbench, model, c, n, client_cpus)
                        runs[name].append(measured(server, client))
                    w, ours = median_row(runs["wrk"]), median_row(runs[name])
                    results.append({"mode": mode, "in_flight": c, "client": name,
                                    "body_bytes": len(body.encode()), "wrk": w, "lmmbench": ours,
                                    "ratio": ours["rps"] / w["rps"], "runs": runs})
                    line = (f"{mode:8} {c:4} {name:32} wrk {w['rps']:9,.0f}/s "
                            f"{w['cpu_us']:6.1f} µs | lmmbench {ours['rps']:9,.0f}/s "
                            f"{ours['cpu_us']:6.1f} µs | ratio {ours['rps'] / w['rps']:.2f}")
                    print(line, file=sys.stderr, flush=True)
                    if mode == "pinned":
                        for who, row in (("wrk", w), (name, ours)):
                            if row["server_share"] > 0.9:
                                warnings.append(
                                    f"{mode}, {c} in flight, {who}: the server used "
                                    f"{row['server_share']:.0%} of its CPU: the server, not the "
                                    "client, bounded this rate")
            finally:
                server.stop()
        aiperf = None
        if args.aiperf:
            pin = "pinned" in modes
            aiperf = aiperf_cpu(args, tmp, {1} if pin else None, {0} if pin else None)

    print(f"\nMedians of {args.repeats} interleaved runs of ~{args.duration:g} s; CPU µs/request = "
          "the client process's user + system time per request the server counted.")
    print("| mode | in flight | client | body bytes | wrk req/s | client req/s | ratio | "
          "wrk CPU µs/req | client CPU µs/req | server CPU share (wrk / client) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        w, o = r["wrk"], r["lmmbench"]
        print(f"| {r['mode']} | {r['in_flight']} | {r['client']} | {r['body_bytes']:,} | "
              f"{w['rps']:,.0f} | {o['rps']:,.0f} | {r['ratio']:.2f} | {w['cpu_us']:.1f} | "
              f"{o['cpu_us']:.1f} | {w['server_share']:.0%} / {o['server_share']:.0%} |")
    if aiperf:
        print(f"\nAIPerf, 16 in flight, streamed text-only requests ({aiperf['requests']} "
              f"requests, {'pinned' if 'pinned' in modes else 'unpinned'}): {aiperf['rps']:,.0f} "
              f"req/s, client CPU {aiperf['cpu_us']:,.0f} µs/request for the whole run, "
              f"{aiperf['marginal_cpu_us']:,.0f} µs per additional request")
    for w in warnings:
        print("warning: " + w)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "aiperf": aiperf}, f, indent=2)
    short = [r for r in results if r["mode"] == "pinned" and "JPEG" not in r["client"] and
             r["ratio"] < args.min_ratio]
    for r in short:
        print(f"{r['client']} at {r['in_flight']} in flight reached {r['ratio']:.2f} of wrk's rate "
              f"(pinned; goal {args.min_ratio:.2f})", file=sys.stderr)
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
