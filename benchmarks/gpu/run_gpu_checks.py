#!/usr/bin/env python3
"""GPU checks for lmmbench's CUDA executor: correctness, executor vs PyTorch per GEMM shape, and
stage timings against the roofline (docs/gpu.md, "On a GPU").

Run from the repository root on a machine with an NVIDIA GPU (sm_80 or sm_90) and a CUDA build
of lmmbench (benchmarks/gpu/device_check.sh runs it with a time budget). PyTorch with CUDA is
optional: without it the comparison is reported as not run. No network access is needed.

    python3 benchmarks/gpu/run_gpu_checks.py [--build-dir build/release] [--build]
        [--model llava-1.5-7b] [--batches 1,8,32] [--dtypes fp16,bf16] [--runs 100]
        [--stage-batches 1,32] [--reduced-precision-reduction] [--out FILE.json]

Steps, each recorded in the JSON written to --out (default: $OUT/gpu_checks.json when $OUT is
set, else <build-dir>/gpu_checks.json):

 1. build (--build): configure a Release tree with LMMBENCH_ENABLE_CUDA=ON for sm_80;sm_90 and
    build lmmbench, test_gpu, test_gpu_cuda and the CUDA module;
 2. correctness: test_gpu_cuda (every GEMM and attention call of a small model in FP16 and BF16
    checked against the host reference, the decode graph, both reduction policies) must pass
    and must not skip;
 3. gemm: every distinct GEMM shape of every stage of the model at each batch size, in each
    dtype, timed by the executor (the CUDA module through its C API, in this process) and by
    torch.matmul(x, w.t()), interleaved call by call. Both sides are timed alike: CUDA events
    behind a spin kernel (the executor's own; torch.cuda._sleep before start.record() for
    torch), so neither side times the CPU's launch latency; the statistic is the median of
    each side; the reduction policy is the same on both sides (torch's
    allow_{fp16,bf16}_reduced_precision_reduction set to the executor's). The goal is >= 0.95
    of torch's TFLOP/s per shape;
 4. stages: `lmmbench gpu --gpu auto` with warm L2 and with the default cold decode stages, each
    stage's measured time beside its roofline bound.

It ends by printing one table. Exit status: 0 every check passed and every shape met the goal;
3 every check passed but some shapes are under 0.95 of torch; 1 a check failed.

The timing logic takes its GPU sides as objects, so tests/gpu/test_run_gpu_checks.py drives it
with stub devices on any machine.
"""

import argparse
import ctypes
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL = 0.95
WARMUP = 10
RUNS = 100
SPIN_SECONDS = 50e-6  # the executor's spin kernel (models/cuda/cuda_executor.cu kSpinSeconds)
CUDA_MODULE_API_VERSION = 3  # models/gpu/cuda_module_api.h; the ctypes mirrors below match it


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


# ---------------------------------------------------------------------------------------------
# The timing logic (device-independent: tested with stubs)


def median(values):
    return statistics.median(values)


def interleaved_medians(executor_gemm, torch_gemm, warmup=WARMUP, runs=RUNS):
    """Times two prepared GEMMs call by call, alternating which goes first, so drift (clocks,
    temperature) falls on both sides alike. Each side's run() returns the GPU seconds of one call.
    Returns {"executor": median seconds, "torch": median seconds, "runs": runs}."""
    for _ in range(warmup):
        executor_gemm.run()
        torch_gemm.run()
    ours, theirs = [], []
    for i in range(runs):
        if i % 2 == 0:
            ours.append(executor_gemm.run())
            theirs.append(torch_gemm.run())
        else:
            theirs.append(torch_gemm.run())
            ours.append(executor_gemm.run())
    return {"executor": median(ours), "torch": median(theirs), "runs": runs}


class TorchGemm:
    """torch.matmul(x, w.t()) with x [m x k], w [n x k], timed like the executor: a spin kernel
    (torch.cuda._sleep) is enqueued before the start event, so the matmul is already queued when
    the GPU reaches the event and the events time the GPU work, not the CPU's launch."""

    def __init__(self, torch, m, n, k, dtype, spin_cycles):
        self.torch = torch
        self.spin_cycles = spin_cycles
        x = torch.rand(m, k, device="cuda", dtype=torch.float32) * 2 - 1
        w = (torch.rand(n, k, device="cuda", dtype=torch.float32) * 2 - 1) / k ** 0.5
        self.x = x.to(dtype)
        self.w = w.to(dtype)
        self.start = torch.cuda.Event(enable_timing=True)
        self.stop = torch.cuda.Event(enable_timing=True)

    def run(self):
        self.torch.cuda._sleep(self.spin_cycles)
        self.start.record()
        self.torch.matmul(self.x, self.w.t())
        self.stop.record()
        self.stop.synchronize()
        return self.start.elapsed_time(self.stop) * 1e-3


def set_torch_reduction(torch, reduced_precision_reduction):
    """The executor's policy on torch: False keeps split-K reductions in FP32 (torch's default is
    True for both, docs.pytorch.org notes/cuda.html "Reduced Precision Reduction in FP16/BF16
    GEMMs")."""
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = reduced_precision_reduction
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = reduced_precision_reduction


def compare_gemms(shapes, dtypes, make_executor_gemm, make_torch_gemm, warmup=WARMUP, runs=RUNS):
    """For each dtype and shape {"name", "m", "n", "k"}: both sides prepared, timed interleaved,
    compared. make_torch_gemm may be None (torch absent): the executor is timed alone. A side
    that fails to prepare gives the row an error. Returns the rows."""
    rows = []
    for dtype in dtypes:
        for s in shapes:
            flops = 2.0 * s["m"] * s["n"] * s["k"]
            row = {"name": s["name"], "m": s["m"], "n": s["n"], "k": s["k"], "dtype": dtype,
                   "lmmbench_us": None, "torch_us": None, "lmmbench_tflops": None,
                   "torch_tflops": None, "ratio": None, "goal_met": None, "error": None}
            try:
                ours = make_executor_gemm(s, dtype)
                if make_torch_gemm is not None:
                    theirs = make_torch_gemm(s, dtype)
                    t = interleaved_medians(ours, theirs, warmup, runs)
                    row["torch_us"] = t["torch"] * 1e6
                    row["torch_tflops"] = flops / t["torch"] / 1e12
                else:
                    for _ in range(warmup):
                        ours.run()
                    t = {"executor": median([ours.run() for _ in range(runs)])}
                row["lmmbench_us"] = t["executor"] * 1e6
                row["lmmbench_tflops"] = flops / t["executor"] / 1e12
                if row["torch_tflops"]:
                    row["ratio"] = row["lmmbench_tflops"] / row["torch_tflops"]
                    row["goal_met"] = row["ratio"] >= GOAL
            except Exception as e:  # noqa: BLE001 - one shape's failure is that row's result
                row["error"] = str(e)
            finally:
                # Free each side's operands before the next shape.
                ours = theirs = None  # noqa: F841
            rows.append(row)
    return rows


def gemm_shapes(section, batches):
    """The distinct GEMM shapes of every stage, per batch size, from `lmmbench gpu --json`'s
    section (the plan's own shapes, no second copy of the plan here). Batched GEMMs (x N) are
    left out: torch.matmul of one [m x k] by [k x n] is not their equivalent."""
    seen = set()
    shapes = []
    for model in section["models"]:
        for b in model["batches"]:
            if b["batch"] not in batches:
                continue
            for stage in b["stages"]:
                for op in stage["ops"]:
                    if op["kind"] != "gemm":
                        continue
                    m = re.fullmatch(r"M=(\d+) N=(\d+) K=(\d+)", op["shape"])
                    if not m:
                        continue
                    key = tuple(int(v) for v in m.groups())
                    if key in seen:
                        continue
                    seen.add(key)
                    shapes.append({"name": f"{model['model']}/b{b['batch']}/{stage['name']}/"
                                           f"{op['name']}", "m": key[0], "n": key[1], "k": key[2]})
    return shapes


def format_gemm_table(rows):
    lines = ["%-52s %5s %9s %9s %8s %8s %7s" % ("GEMM (M x N x K)", "dtype", "ours us", "torch us",
                                               "ours TF", "torch TF", "ratio")]
    for r in rows:
        label = "%s %dx%dx%d" % (r["name"], r["m"], r["n"], r["k"])
        if r["error"]:
            lines.append("%-52s %5s  error: %s" % (label[-52:], r["dtype"], r["error"]))
            continue

        def num(v, fmt):
            return fmt % v if v is not None else "-"
        lines.append("%-52s %5s %9s %9s %8s %8s %7s%s" % (
            label[-52:], r["dtype"], num(r["lmmbench_us"], "%.1f"), num(r["torch_us"], "%.1f"),
            num(r["lmmbench_tflops"], "%.1f"), num(r["torch_tflops"], "%.1f"),
            num(r["ratio"], "%.3f"), "  < goal" if r["goal_met"] is False else ""))
    return "\n".join(lines)


def stage_rows(sections):
    """{label: section} of `lmmbench gpu --json` runs (e.g. warm, cold) -> one row per model x
    batch x stage with each run's measured time beside the bound."""
    rows = {}
    for label, section in sections.items():
        if not section:
            continue
        for model in section["models"]:
            for b in model["batches"]:
                for s in b["stages"]:
                    key = (model["model"], b["batch"], s["name"])
                    row = rows.setdefault(key, {"model": model["model"], "batch": b["batch"],
                                                "stage": s["name"], "bound_ms": s["bound_ms"]})
                    row[label + "_ms"] = s["measured_ms"]
                    row[label + "_sequence_ms"] = s.get("sequence_ms")
                    row[label + "_error"] = s["error"] or None
                    telemetry = s.get("telemetry") or {}
                    row[label + "_sm_clock_min_mhz"] = telemetry.get("sm_clock_mhz_min")
                    row[label + "_throttle"] = telemetry.get("throttle_reasons")
    return list(rows.values())


def format_stage_table(rows, labels):
    head = "%-6s %-20s %10s" % ("batch", "stage", "bound ms")
    for label in labels:
        head += " %12s %12s %8s" % (label + " ms", label + " graph", "of bound")
    lines = [head]
    for r in rows:
        line = "%-6d %-20s %10.3f" % (r["batch"], r["stage"], r["bound_ms"])
        for label in labels:
            ms = r.get(label + "_ms")
            graph = r.get(label + "_sequence_ms")
            line += " %12s %12s %8s" % ("%.3f" % ms if ms else "-",
                                        "%.3f" % graph if graph else "-",
                                        "%.2f" % (r["bound_ms"] / ms) if ms else "-")
        lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The executor through the CUDA module's C API (models/gpu/cuda_module_api.h, version 3)


class _MeasureOptions(ctypes.Structure):
    _fields_ = [("warmup_runs", ctypes.c_int32), ("min_runs", ctypes.c_int32),
                ("max_runs", ctypes.c_int32), ("max_relative_spread", ctypes.c_double),
                ("max_seconds_per_op", ctypes.c_double), ("flush_l2", ctypes.c_int32),
                ("algorithms", ctypes.c_int32), ("workspace_bytes", ctypes.c_uint64),
                ("verify_rows", ctypes.c_int32),
                ("reduced_precision_reduction", ctypes.c_int32)]


class _DeviceInfo(ctypes.Structure):
    _fields_ = [("index", ctypes.c_int32), ("name", ctypes.c_char * 256),
                ("compute_capability_major", ctypes.c_int32),
                ("compute_capability_minor", ctypes.c_int32), ("sm_count", ctypes.c_int32),
                ("memory_bytes", ctypes.c_int64), ("l2_bytes", ctypes.c_int64),
                ("sm_clock_mhz", ctypes.c_int32), ("memory_clock_mhz", ctypes.c_int32),
                ("memory_bus_bits", ctypes.c_int32), ("driver_version", ctypes.c_char * 32),
                ("cuda_runtime_version", ctypes.c_char * 32),
                ("cublaslt_version", ctypes.c_char * 32)]


class _GemmShape(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("m", ctypes.c_int64), ("n", ctypes.c_int64),
                ("k", ctypes.c_int64), ("batch", ctypes.c_int64), ("count", ctypes.c_int64)]


class CudaModule:
    """liblmmbench_cuda.so opened with ctypes: one executor on device 0 (warm L2, as torch's
    repeated calls are), prepared GEMMs that each time one call behind the spin kernel."""

    DTYPES = {"fp16": 0, "bf16": 1}

    def __init__(self, path, reduced_precision_reduction):
        self.lib = ctypes.CDLL(str(path))
        self.lib.lmmbench_cuda_api_version.restype = ctypes.c_uint32
        version = self.lib.lmmbench_cuda_api_version()
        if version != CUDA_MODULE_API_VERSION:
            raise RuntimeError(f"{path} has CUDA module API version {version}; this script "
                               f"speaks version {CUDA_MODULE_API_VERSION}")
        # Every signature spelt out: a size_t passed as ctypes' default int would leave the
        # register's upper half undefined.
        p, sz = ctypes.c_void_p, ctypes.c_size_t
        self.lib.lmmbench_cuda_open.argtypes = [ctypes.c_int32, p, p, ctypes.c_char_p, sz]
        self.lib.lmmbench_cuda_close.argtypes = [p]
        self.lib.lmmbench_cuda_close.restype = None
        self.lib.lmmbench_cuda_device.argtypes = [p, p]
        self.lib.lmmbench_cuda_prepare_gemm.argtypes = [p, p, ctypes.c_int, p, ctypes.c_char_p,
                                                        sz]
        self.lib.lmmbench_cuda_run_gemm.argtypes = [p, p, ctypes.c_char_p, sz]
        self.lib.lmmbench_cuda_release_gemm.argtypes = [p]
        self.lib.lmmbench_cuda_release_gemm.restype = None
        self.error = ctypes.create_string_buffer(2048)
        options = _MeasureOptions(3, 10, 200, 0.02, 2.0, 0, 8, 32 << 20, 64,
                                  1 if reduced_precision_reduction else 0)
        self.handle = ctypes.c_void_p()
        status = self.lib.lmmbench_cuda_open(0, ctypes.byref(options), ctypes.byref(self.handle),
                                             self.error, len(self.error))
        if status != 0:
            raise RuntimeError("lmmbench_cuda_open: " + self.error.value.decode())
        info = _DeviceInfo()
        self.lib.lmmbench_cuda_device(self.handle, ctypes.byref(info))
        self.device = {"name": info.name.decode(), "sm_clock_mhz": info.sm_clock_mhz,
                       "memory_clock_mhz": info.memory_clock_mhz,
                       "compute_capability": f"{info.compute_capability_major}."
                                             f"{info.compute_capability_minor}",
                       "cublaslt_version": info.cublaslt_version.decode(),
                       "driver_version": info.driver_version.decode()}

    def gemm(self, shape, dtype):
        module = self

        class Prepared:
            def __init__(self):
                c_shape = _GemmShape(shape["name"].encode(), shape["m"], shape["n"], shape["k"],
                                     1, 1)
                self.handle = ctypes.c_void_p()
                status = module.lib.lmmbench_cuda_prepare_gemm(
                    module.handle, ctypes.byref(c_shape), module.DTYPES[dtype],
                    ctypes.byref(self.handle), module.error, len(module.error))
                if status != 0:
                    raise RuntimeError(module.error.value.decode())

            def run(self):
                seconds = ctypes.c_double()
                status = module.lib.lmmbench_cuda_run_gemm(self.handle, ctypes.byref(seconds),
                                                          module.error, len(module.error))
                if status != 0:
                    raise RuntimeError(module.error.value.decode())
                return seconds.value

            def __del__(self):
                if self.handle:
                    module.lib.lmmbench_cuda_release_gemm(self.handle)

        return Prepared()

    def close(self):
        if self.handle:
            self.lib.lmmbench_cuda_close(self.handle)
            self.handle = ctypes.c_void_p()


# ---------------------------------------------------------------------------------------------
# Steps


def build(build_dir, jobs):
    step = {"name": "build", "ok": False}
    code, out, err, secs = run(["cmake", "-S", ".", "-B", build_dir, "-G", "Ninja",
                                "-DCMAKE_BUILD_TYPE=Release", "-DLMMBENCH_ENABLE_CUDA=ON",
                                "-DCMAKE_CUDA_ARCHITECTURES=80;90"])
    step["configure_seconds"] = round(secs, 1)
    if code != 0:
        step["error"] = tail(out + err)
        return step
    code, out, err, secs = run(["cmake", "--build", build_dir, "-j", str(jobs), "--target",
                                "lmmbench", "test_gpu", "test_gpu_cuda", "lmmbench_models_cuda"])
    step["build_seconds"] = round(secs, 1)
    step["ok"] = code == 0
    if code != 0:
        step["error"] = tail(out + err)
    return step


def correctness(build_dir, timeout):
    step = {"name": "correctness", "ok": True, "suites": []}
    for binary in ["tests/gpu/test_gpu_cuda", "tests/gpu/test_gpu"]:
        if binary.endswith("test_gpu") and not (Path(build_dir) / binary).is_file():
            continue  # the CPU tests are optional here (device_check.sh carries only the GPU's)
        code, out, err, secs = run([Path(build_dir) / binary, "--gtest_brief=1"], timeout=timeout)
        suite = {"binary": binary, "exit_code": code, "seconds": round(secs, 1),
                 "skipped": "SKIPPED" in out, "output": tail(out + err, 20)}
        step["suites"].append(suite)
        log(tail(out + err, 8))
        if code != 0 or (binary.endswith("cuda") and suite["skipped"]):
            step["ok"] = False  # on a GPU machine nothing may skip
    return step


def lmmbench_gpu(build_dir, model, batches, gpu, extra, timeout):
    code, out, err, _ = run([Path(build_dir) / "lmmbench", "gpu", "--model", model, "--gpu", gpu,
                             "--batch", batches, "--json"] + extra, timeout=timeout)
    if code not in (0, 1) or not out.strip():
        return None, tail(out + err)
    return json.loads(out), (tail(err) if code != 0 else None)


def module_api_version(path):
    """The API version of the CUDA module at `path` (loading it needs its CUDA libraries, not a
    device)."""
    lib = ctypes.CDLL(str(path))
    lib.lmmbench_cuda_api_version.restype = ctypes.c_uint32
    return lib.lmmbench_cuda_api_version()


def load_plan(args):
    """The plan's section: --plan FILE (written beforehand by `lmmbench gpu --no-measure --json`,
    for a machine where lmmbench itself does not run), else lmmbench run now."""
    if args.plan:
        try:
            return json.loads(Path(args.plan).read_text()), None
        except (OSError, ValueError) as e:
            return None, f"{args.plan}: {e}"
    return lmmbench_gpu(args.build_dir, args.model, args.batches, "h100-sxm", ["--no-measure"],
                        args.timeout)


def preflight(args, batches):
    """Checks, without a device, what a device run needs: the binaries, the module's API version
    (the ctypes mirrors above match version CUDA_MODULE_API_VERSION) and the plan's GEMM shapes.
    Returns the problems (empty: ready)."""
    problems = []
    build_dir = Path(args.build_dir)
    for name in ["liblmmbench_cuda.so", "tests/gpu/test_gpu_cuda"] + (
            [] if args.skip_stages else ["lmmbench"]):
        if not (build_dir / name).is_file():
            problems.append(f"{build_dir / name} is missing")
    if not problems:
        try:
            version = module_api_version(build_dir / "liblmmbench_cuda.so")
            if version != CUDA_MODULE_API_VERSION:
                problems.append(f"the CUDA module has API version {version}, this script speaks "
                                f"{CUDA_MODULE_API_VERSION}")
        except OSError as e:
            problems.append(f"the CUDA module does not load: {e}")
    plan, error = load_plan(args)
    if plan is None:
        problems.append(f"no plan: {error}")
    else:
        shapes = gemm_shapes(plan, batches)
        log(f"{len(shapes)} GEMM shapes of {args.model} at batches {batches}, "
            f"{len(shapes) * len(args.dtypes.split(','))} comparisons")
        if not shapes:
            problems.append("the plan has no GEMM shape at these batch sizes")
    return problems


def torch_side(reduced_precision_reduction):
    try:
        import torch
    except ImportError as e:
        return None, f"torch is not installed: {e}"
    if not torch.cuda.is_available():
        return None, "torch has no CUDA device"
    set_torch_reduction(torch, reduced_precision_reduction)
    return torch, None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build/release")
    ap.add_argument("--build", action="store_true", help="configure and build --build-dir first")
    ap.add_argument("--model", default="llava-1.5-7b")
    ap.add_argument("--batches", default="1,8,32", help="batch sizes of the GEMM comparison")
    ap.add_argument("--stage-batches", default="1,32", help="batch sizes of the stage timings")
    ap.add_argument("--dtypes", default="fp16,bf16")
    ap.add_argument("--runs", type=int, default=RUNS, help="interleaved pairs per shape")
    ap.add_argument("--max-runs", type=int, default=30, help="lmmbench gpu --max-runs")
    ap.add_argument("--reduced-precision-reduction", action="store_true",
                    help="allow split-K reductions in FP16/BF16 on both sides")
    ap.add_argument("--skip-stages", action="store_true")
    ap.add_argument("--plan", help="the plan's JSON (`lmmbench gpu --no-measure --json`) "
                                   "instead of running lmmbench for it")
    ap.add_argument("--preflight", action="store_true",
                    help="check the binaries, the module's API version and the plan, without a "
                         "device; exit 0 ready, 2 not")
    ap.add_argument("--timeout", type=int, default=240, help="seconds per step")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    out_path = Path(args.out) if args.out else (
        Path(os.environ["OUT"]) / "gpu_checks.json" if os.environ.get("OUT")
        else Path(args.build_dir) / "gpu_checks.json")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    dtypes = [d for d in args.dtypes.split(",") if d]
    batches = [int(b) for b in args.batches.split(",") if b]
    if args.preflight:
        problems = preflight(args, batches)
        for p in problems:
            log("not ready: " + p)
        return 2 if problems else 0
    report = {"model": args.model, "batches": batches, "dtypes": dtypes, "goal": GOAL,
              "reduced_precision_reduction": args.reduced_precision_reduction, "steps": [],
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    code, out, _, _ = run(["nvidia-smi", "--query-gpu=name,driver_version,clocks.sm,clocks.max.sm,"
                           "clocks.mem,power.limit,memory.total", "--format=csv,noheader"])
    report["nvidia_smi"] = out.strip() if code == 0 else None
    failed = False
    tables = []  # printed together at the end

    def save():
        out_path.write_text(json.dumps(report, indent=2) + "\n")

    if args.build:
        step = build(args.build_dir, args.jobs)
        report["steps"].append(step)
        save()
        if not step["ok"]:
            log("BUILD FAILED\n" + step.get("error", ""))
            return 1

    step = correctness(args.build_dir, args.timeout)
    report["steps"].append(step)
    failed |= not step["ok"]
    save()

    # The GEMM shapes from the plan (bounds only: no device needed for this call).
    plan, error = load_plan(args)
    gemm_step = {"name": "gemm", "ok": False, "rows": []}
    goal_missed = False
    if plan is None:
        gemm_step["error"] = error
    else:
        module = None
        try:
            module = CudaModule(Path(args.build_dir) / "liblmmbench_cuda.so",
                                args.reduced_precision_reduction)
            gemm_step["device"] = module.device
            torch, torch_error = torch_side(args.reduced_precision_reduction)
            gemm_step["torch"] = ({"error": torch_error} if torch is None else
                                  {"version": torch.__version__, "cuda": torch.version.cuda})
            spin = int(SPIN_SECONDS * module.device["sm_clock_mhz"] * 1e6)
            torch_dtypes = None if torch is None else {"fp16": torch.float16,
                                                       "bf16": torch.bfloat16}
            rows = compare_gemms(
                gemm_shapes(plan, batches), dtypes, module.gemm,
                None if torch is None else
                (lambda s, d: TorchGemm(torch, s["m"], s["n"], s["k"], torch_dtypes[d], spin)),
                runs=args.runs)
            gemm_step["rows"] = rows
            gemm_step["ok"] = all(r["error"] is None for r in rows)
            goal_missed = any(r["goal_met"] is False for r in rows)
            tables.append(format_gemm_table(rows))
            log("\n" + tables[-1])
        except Exception as e:  # noqa: BLE001 - recorded, the run goes on
            gemm_step["error"] = str(e)
        finally:
            if module is not None:
                module.close()
    failed |= not gemm_step["ok"]
    report["steps"].append(gemm_step)
    save()

    if not args.skip_stages:
        sections = {}
        stage_step = {"name": "stages", "ok": True, "errors": {}}
        for label, extra in (("warm", ["--l2", "warm"]), ("cold", ["--l2", "cold-decode"])):
            section, error = lmmbench_gpu(args.build_dir, args.model, args.stage_batches, "auto",
                                          extra + ["--max-runs", str(args.max_runs)],
                                          args.timeout)
            sections[label] = section
            if error:
                stage_step["errors"][label] = error
            ok = section is not None and section.get("measured", False)
            stage_step["ok"] &= ok
            if section:
                stage_step[label] = {"device": section.get("device"),
                                     "timing": section.get("timing"),
                                     "telemetry_note": section.get("telemetry_note")}
        stage_step["rows"] = stage_row_list = stage_rows(sections)
        stage_step["ok"] &= all(not r.get(label + "_error") for r in stage_row_list
                                for label in sections)
        tables.append(format_stage_table(stage_row_list, list(sections)))
        log("\n" + tables[-1])
        failed |= not stage_step["ok"]
        report["steps"].append(stage_step)
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report["ok"] = not failed
    report["goal_met"] = not goal_missed
    save()
    log("\n== GPU checks: " + ("passed" if not failed else "FAILED") +
        (", some shapes under the goal" if goal_missed else "") + " ==")
    log("\n\n".join(tables))
    log(f"\nwrote {out_path}")
    if failed:
        return 1
    return 3 if goal_missed else 0


if __name__ == "__main__":
    sys.exit(main())
