#!/usr/bin/env python3
"""One-shot GPU checks for lmmbench's CUDA executor (docs/gpu.md, "On a GPU").

Run from the repository root on a machine with an NVIDIA GPU (sm_80 or sm_90), the CUDA toolkit
and the build dependencies of scripts/install-deps.sh; PyTorch with CUDA is optional (without it
the torch comparison is reported as not run). No network access is needed.

    python3 benchmarks/gpu/run_gpu_checks.py [--build-dir build/gpu-check] [--skip-build]
        [--model llava-1.5-7b] [--batches 1,8,32] [--out FILE.json]

Steps, each recorded in the JSON written to --out (default: $OUT/gpu_checks.json when $OUT is
set, else <build-dir>/gpu_checks.json):

 1. build: configure a Release tree with LMMBENCH_ENABLE_CUDA=ON for sm_80;sm_90 and build
    lmmbench, test_gpu, test_gpu_cuda and bench_gpu_gemm;
 2. correctness: run test_gpu_cuda (every GEMM and attention call of a small model, FP16 and BF16,
    checked against the host reference; the LLaVA-1.5-7B decode step) and the CPU unit tests;
 3. gemm: bench_gpu_gemm times every distinct GEMM shape of every LLaVA-1.5-7B stage at each batch
    size through cuBLASLt (each verified against the host reference first); the same shapes and
    dtype are timed with torch.matmul(x, w.t()) in this process; the goal is >= 0.95 of torch's
    TFLOP/s per shape;
 4. stages: `lmmbench gpu --gpu auto` measures every stage and prints it next to its roofline
    bound; the table shows bound / measured (the fraction of the roofline reached).

Exit status: 0 every check passed and every shape met the goal; 3 every check passed but some
shapes are under 0.95 of torch; 1 a check failed (build, correctness, a run).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL = 0.95
TORCH_WARMUP = 10
TORCH_RUNS = 100


def log(message):
    print(message, flush=True)


def run(cmd, cwd=None, timeout=None):
    """Runs cmd; returns (exit code, stdout, stderr, seconds)."""
    log("$ " + " ".join(str(c) for c in cmd))
    start = time.time()
    try:
        p = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                           timeout=timeout)
        code, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        code, out, err = 124, e.stdout or "", (e.stderr or "") + "\ntimed out"
    except FileNotFoundError as e:
        code, out, err = 127, "", str(e)
    return code, out if isinstance(out, str) else out.decode(), \
        err if isinstance(err, str) else err.decode(), time.time() - start


def tail(text, lines=30):
    return "\n".join(text.splitlines()[-lines:])


def build(build_dir, jobs):
    step = {"name": "build", "ok": False}
    code, out, err, secs = run(["cmake", "-S", ".", "-B", build_dir, "-G", "Ninja",
                                "-DCMAKE_BUILD_TYPE=Release", "-DLMMBENCH_ENABLE_CUDA=ON",
                                "-DCMAKE_CUDA_ARCHITECTURES=80;90",
                                "-DLMMBENCH_BUILD_BENCHMARKS=ON"])
    step["configure_seconds"] = round(secs, 1)
    if code != 0:
        step["error"] = tail(out + err)
        return step
    code, out, err, secs = run(["cmake", "--build", build_dir, "-j", str(jobs), "--target",
                                "lmmbench", "test_gpu", "test_gpu_cuda", "bench_gpu_gemm"])
    step["build_seconds"] = round(secs, 1)
    step["ok"] = code == 0
    if code != 0:
        step["error"] = tail(out + err)
    return step


def correctness(build_dir):
    step = {"name": "correctness", "ok": True, "suites": []}
    for binary in ["tests/gpu/test_gpu_cuda", "tests/gpu/test_gpu"]:
        code, out, err, secs = run([Path(build_dir) / binary, "--gtest_brief=1"], timeout=300)
        suite = {"binary": binary, "exit_code": code, "seconds": round(secs, 1),
                 "skipped": "SKIPPED" in out, "output": tail(out + err, 20)}
        step["suites"].append(suite)
        log(tail(out + err, 8))
        if code != 0 or (binary.endswith("cuda") and suite["skipped"]):
            step["ok"] = False  # on a GPU machine nothing may skip
    return step


def bench_gemms(build_dir, model, batches):
    """bench_gpu_gemm's JSON: {(m, n, k): {name, tflops, gbps, us}}."""
    out_file = Path(build_dir) / "bench_gpu_gemm.json"
    code, out, err, secs = run([Path(build_dir) / "benchmarks/bench_gpu_gemm", f"--model={model}",
                                f"--batches={batches}", "--benchmark_format=console",
                                f"--benchmark_out={out_file}", "--benchmark_out_format=json"],
                               timeout=540)
    log(tail(out + err, 12))
    if code != 0 or not out_file.exists():
        return None, tail(out + err)
    shapes = {}
    for b in json.loads(out_file.read_text())["benchmarks"]:
        parts = dict(p.split("=") for p in b["name"].split("/") if "=" in p)
        key = (int(parts["M"]), int(parts["N"]), int(parts["K"]))
        shapes[key] = {"name": b["name"].split("/manual_time")[0],
                       "tflops": b["TFLOP/s"], "gbps": b["GB/s"], "us": b["real_time"]}
    return shapes, None


def torch_tflops(shapes, dtype_name):
    try:
        import torch
    except ImportError as e:
        return None, f"torch is not installed: {e}"
    if not torch.cuda.is_available():
        return None, "torch has no CUDA device"
    dtype = torch.float16 if dtype_name == "fp16" else torch.bfloat16
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    results = {}
    for (m, n, k) in shapes:
        x = (torch.rand(m, k, device="cuda", dtype=torch.float32) * 2 - 1).to(dtype)
        w = ((torch.rand(n, k, device="cuda", dtype=torch.float32) * 2 - 1) / k ** 0.5).to(dtype)
        for _ in range(TORCH_WARMUP):
            torch.matmul(x, w.t())
        torch.cuda.synchronize()
        times = []
        for _ in range(TORCH_RUNS):
            start = torch.cuda.Event(enable_timing=True)
            stop = torch.cuda.Event(enable_timing=True)
            start.record()
            torch.matmul(x, w.t())
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop) * 1e-3)
        seconds = statistics.median(times)
        results[(m, n, k)] = 2.0 * m * n * k / seconds / 1e12
        del x, w
    torch.cuda.empty_cache()
    return {"version": torch.__version__, "cuda": torch.version.cuda,
            "device": torch.cuda.get_device_name(0), "tflops": results}, None


def stages(build_dir, model, batches, out_dir):
    code, out, err, secs = run([Path(build_dir) / "lmmbench", "gpu", "--model", model, "--gpu",
                                "auto", "--batch", batches, "--json", "--out", out_dir],
                               timeout=540)
    if code not in (0, 1) or not out.strip():
        return None, tail(out + err)
    return json.loads(out), (tail(err) if code != 0 else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build/gpu-check")
    ap.add_argument("--skip-build", action="store_true", help="use an existing --build-dir")
    ap.add_argument("--model", default="llava-1.5-7b")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--dtype", default="fp16", choices=["fp16"],
                    help="bench_gpu_gemm and lmmbench gpu run FP16 by default")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out_path = Path(args.out) if args.out else (
        Path(os.environ["OUT"]) / "gpu_checks.json" if os.environ.get("OUT")
        else Path(args.build_dir) / "gpu_checks.json")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    report = {"model": args.model, "batches": args.batches, "dtype": args.dtype, "goal": GOAL,
              "steps": [], "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    code, out, _, _ = run(["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm,"
                           "memory.total", "--format=csv,noheader"])
    report["nvidia_smi"] = out.strip() if code == 0 else None
    failed = False

    def save():
        out_path.write_text(json.dumps(report, indent=2) + "\n")

    if not args.skip_build:
        step = build(args.build_dir, args.jobs)
        report["steps"].append(step)
        save()
        if not step["ok"]:
            log("BUILD FAILED\n" + step.get("error", ""))
            return 1

    step = correctness(args.build_dir)
    report["steps"].append(step)
    failed |= not step["ok"]
    save()

    shapes, error = bench_gemms(args.build_dir, args.model, args.batches)
    gemm_step = {"name": "gemm", "ok": shapes is not None, "shapes": []}
    if error:
        gemm_step["error"] = error
    goal_missed = False
    if shapes:
        torch_result, torch_error = torch_tflops(list(shapes), args.dtype)
        if torch_error:
            gemm_step["torch"] = {"error": torch_error}
        else:
            gemm_step["torch"] = {k: v for k, v in torch_result.items() if k != "tflops"}
        log("\n%-70s %10s %10s %7s" % ("GEMM (cuBLASLt, fastest heuristic algorithm)", "TFLOP/s",
                                       "torch", "ratio"))
        for key, s in shapes.items():
            torch_value = torch_result["tflops"].get(key) if torch_result else None
            ratio = s["tflops"] / torch_value if torch_value else None
            met = ratio is not None and ratio >= GOAL
            goal_missed |= ratio is not None and not met
            gemm_step["shapes"].append({"name": s["name"], "m": key[0], "n": key[1], "k": key[2],
                                        "lmmbench_tflops": s["tflops"], "lmmbench_us": s["us"],
                                        "torch_tflops": torch_value, "ratio": ratio,
                                        "goal_met": met if ratio is not None else None})
            log("%-70s %10.1f %10s %7s%s" % (
                s["name"][:70], s["tflops"], "%.1f" % torch_value if torch_value else "-",
                "%.3f" % ratio if ratio else "-", "" if ratio is None or met else "  < goal"))
    failed |= not gemm_step["ok"]
    report["steps"].append(gemm_step)
    save()

    section, error = stages(args.build_dir, args.model, args.batches,
                            str(out_path.parent / "lmmbench_gpu_run"))
    stage_step = {"name": "stages", "ok": section is not None and section.get("measured", False),
                  "rows": []}
    if error:
        stage_step["error"] = error
    if section:
        stage_step["device"] = section.get("device")
        stage_step["gpu"] = section.get("gpu")
        log("\n%-8s %-20s %12s %12s %10s %7s %7s" % ("batch", "stage", "bound ms", "measured ms",
                                                   "of bound", "MFU", "MBU"))
        for model in section["models"]:
            for b in model["batches"]:
                for s in b["stages"]:
                    measured = s["measured_ms"]
                    row = {"batch": b["batch"], "stage": s["name"], "bound_ms": s["bound_ms"],
                           "measured_ms": measured, "mfu": s["mfu"], "mbu": s["mbu"],
                           "fraction_of_bound": s["bound_ms"] / measured if measured else None,
                           "error": s["error"]}
                    stage_step["rows"].append(row)
                    stage_step["ok"] &= not s["error"]
                    log("%-8d %-20s %12.3f %12s %10s %7s %7s" % (
                        b["batch"], s["name"], s["bound_ms"],
                        "%.3f" % measured if measured else "-",
                        "%.2f" % row["fraction_of_bound"] if measured else "-",
                        "%.2f" % s["mfu"] if s["mfu"] is not None else "-",
                        "%.2f" % s["mbu"] if s["mbu"] is not None else "-"))
                log("%-8d %-20s bound %.1f tok/s, measured %s tok/s" % (
                    b["batch"], "output tokens/s", b["bound_tokens_per_s"],
                    "%.1f" % b["measured_tokens_per_s"] if b["measured_tokens_per_s"] else "-"))
    failed |= not stage_step["ok"]
    report["steps"].append(stage_step)
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report["ok"] = not failed
    report["goal_met"] = not goal_missed
    save()
    log(f"\nwrote {out_path}")
    if failed:
        return 1
    return 3 if goal_missed else 0


if __name__ == "__main__":
    sys.exit(main())
