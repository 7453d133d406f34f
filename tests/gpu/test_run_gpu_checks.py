#!/usr/bin/env python3
"""The timing logic of benchmarks/gpu/run_gpu_checks.py with stub devices (no GPU, no torch):
torch's spin kernel comes before its start event, the two sides are interleaved call by call with
the first side alternating, both sides report medians, the reduction policy reaches torch, and the
tables and shapes come out right. Run by CTest (gpu.run_gpu_checks_logic)."""

import importlib.util
import os
import sys
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu" / "run_gpu_checks.py"
spec = importlib.util.spec_from_file_location("run_gpu_checks", SCRIPT)
checks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checks)


class Tensor:
    """Enough of a tensor for TorchGemm's set-up: arithmetic, .to(dtype) and .t()."""

    def __init__(self, shape, dtype="float32"):
        self.shape = shape
        self.dtype = dtype

    def __mul__(self, other):
        return self

    def __sub__(self, other):
        return self

    def __truediv__(self, other):
        return self

    def to(self, dtype):
        return Tensor(self.shape, dtype)

    def t(self):
        return Tensor(tuple(reversed(self.shape)), self.dtype)


class FakeTorch:
    """A torch-like module whose CUDA calls append to `log`; event i of a pair reports
    elapsed times from `times` in turn."""

    float32, float16, bfloat16 = "float32", "float16", "bfloat16"

    def __init__(self, times):
        self.log = []
        self.times = list(times)
        torch = self

        class Event:
            count = 0

            def __init__(self, enable_timing=False):
                assert enable_timing
                Event.count += 1
                self.name = "start" if Event.count % 2 == 1 else "stop"

            def record(self):
                torch.log.append(self.name + ".record")

            def synchronize(self):
                torch.log.append(self.name + ".synchronize")

            def elapsed_time(self, end):
                torch.log.append("elapsed_time")
                return torch.times.pop(0)  # milliseconds, as torch reports

        class Cuda:
            def _sleep(self, cycles):
                torch.log.append(f"sleep({cycles})")

        self.cuda = Cuda()
        self.cuda.Event = Event

        class Matmul:
            allow_fp16_reduced_precision_reduction = True
            allow_bf16_reduced_precision_reduction = True

        class CudaBackend:
            matmul = Matmul()

        class Backends:
            cuda = CudaBackend()

        self.backends = Backends()

    def rand(self, *shape, device=None, dtype=None):
        assert device == "cuda"
        return Tensor(shape, dtype)

    def matmul(self, x, w):
        self.log.append(f"matmul({x.shape[0]}x{x.shape[1]} @ {w.shape[0]}x{w.shape[1]}, "
                        f"{x.dtype})")
        return Tensor((x.shape[0], w.shape[1]), x.dtype)


class StubGemm:
    """One side of the comparison: run() logs `name` and returns the next of `seconds`."""

    def __init__(self, name, seconds, log):
        self.name = name
        self.seconds = list(seconds)
        self.log = log

    def run(self):
        self.log.append(self.name)
        return self.seconds.pop(0)


class TorchTiming(unittest.TestCase):
    def test_the_spin_kernel_is_enqueued_before_the_start_event(self):
        torch = FakeTorch([0.25, 0.5])
        gemm = checks.TorchGemm(torch, 8, 4096, 11008, torch.float16, spin_cycles=98_000)
        self.assertEqual(gemm.run(), 0.25e-3)
        self.assertEqual(torch.log, [
            "sleep(98000)", "start.record", "matmul(8x11008 @ 11008x4096, float16)",
            "stop.record", "stop.synchronize", "elapsed_time"])
        self.assertAlmostEqual(gemm.run(), 0.5e-3)
        # Every call: the sleep first, then the start event, the matmul, the stop event.
        second = torch.log[6:]
        self.assertEqual(second.index("sleep(98000)"), 0)
        self.assertLess(second.index("start.record"), second.index("matmul(8x11008 @ 11008x4096, "
                                                                   "float16)"))
        self.assertLess(second.index("matmul(8x11008 @ 11008x4096, float16)"),
                        second.index("stop.record"))

    def test_the_reduction_policy_reaches_both_torch_flags(self):
        torch = FakeTorch([])
        checks.set_torch_reduction(torch, False)
        self.assertFalse(torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction)
        self.assertFalse(torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction)
        checks.set_torch_reduction(torch, True)
        self.assertTrue(torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction)
        self.assertTrue(torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction)


class Interleaving(unittest.TestCase):
    def test_sides_alternate_call_by_call_and_take_turns_going_first(self):
        log = []
        ours = StubGemm("E", [1.0] * 2 + [10.0] * 6, log)
        theirs = StubGemm("T", [1.0] * 2 + [20.0] * 6, log)
        checks.interleaved_medians(ours, theirs, warmup=2, runs=6)
        self.assertEqual(log[:4], ["E", "T", "E", "T"])  # warm-up
        self.assertEqual(log[4:], ["E", "T", "T", "E", "E", "T", "T", "E", "E", "T", "T", "E"])

    def test_each_side_reports_its_median_not_its_mean(self):
        log = []
        # Outliers (a clock dip, a preempted call) move the mean, not the median.
        ours = StubGemm("E", [5e-6, 5e-6, 5e-6, 90e-6, 6e-6], log)
        theirs = StubGemm("T", [7e-6, 300e-6, 8e-6, 7e-6, 9e-6], log)
        t = checks.interleaved_medians(ours, theirs, warmup=0, runs=5)
        self.assertEqual(t["executor"], 5e-6)
        self.assertEqual(t["torch"], 8e-6)
        self.assertEqual(t["runs"], 5)
        t = checks.interleaved_medians(StubGemm("E", [1, 2, 3, 4], log),
                                       StubGemm("T", [4, 3, 2, 1], log), warmup=0, runs=4)
        self.assertEqual((t["executor"], t["torch"]), (2.5, 2.5))


class Comparison(unittest.TestCase):
    shapes = [{"name": "llava/b1/lm.decode/o_proj", "m": 1, "n": 4096, "k": 4096},
              {"name": "llava/b32/lm.prefill/down", "m": 20480, "n": 4096, "k": 11008}]

    def test_rows_hold_both_sides_the_ratio_and_the_goal(self):
        log = []
        times = {("fp16", 1): (10e-6, 9e-6), ("fp16", 20480): (2.0e-3, 2.2e-3),
                 ("bf16", 1): (10e-6, 10e-6), ("bf16", 20480): (2.0e-3, 2.0e-3)}

        def ours(s, d):
            return StubGemm(f"E {d}", [times[(d, s["m"])][0]] * 4, log)

        def theirs(s, d):
            return StubGemm(f"T {d}", [times[(d, s["m"])][1]] * 4, log)

        rows = checks.compare_gemms(self.shapes, ["fp16", "bf16"], ours, theirs, warmup=1, runs=3)
        self.assertEqual([(r["dtype"], r["m"]) for r in rows],
                         [("fp16", 1), ("fp16", 20480), ("bf16", 1), ("bf16", 20480)])
        decode = rows[0]
        self.assertAlmostEqual(decode["lmmbench_us"], 10.0)
        self.assertAlmostEqual(decode["torch_us"], 9.0)
        self.assertAlmostEqual(decode["lmmbench_tflops"], 2 * 4096 * 4096 / 10e-6 / 1e12)
        self.assertAlmostEqual(decode["ratio"], 0.9)
        self.assertFalse(decode["goal_met"])  # 0.90 < 0.95
        self.assertTrue(rows[1]["goal_met"])  # 1.1
        self.assertTrue(rows[2]["goal_met"])  # exactly 1.0
        table = checks.format_gemm_table(rows)
        self.assertEqual(table.splitlines()[1].split(),
                         ["llava/b1/lm.decode/o_proj", "1x4096x4096", "fp16", "10.0", "9.0",
                          "3.4", "3.7", "0.900", "<", "goal"])
        self.assertEqual(table.count("< goal"), 1)
        self.assertIn("0.900  < goal", table)
        self.assertIn("1.100", table)

    def test_without_torch_the_executor_is_timed_alone_and_nothing_is_judged(self):
        log = []
        rows = checks.compare_gemms(self.shapes[:1], ["fp16"],
                                    lambda s, d: StubGemm("E", [3e-6, 1e-6, 2e-6, 9e-6], log),
                                    None, warmup=1, runs=3)
        self.assertEqual(log, ["E"] * 4)
        self.assertAlmostEqual(rows[0]["lmmbench_us"], 2.0)  # median of 1, 2, 9
        self.assertIsNone(rows[0]["torch_us"])
        self.assertIsNone(rows[0]["goal_met"])
        self.assertIn("-", checks.format_gemm_table(rows).splitlines()[1])

    def test_a_side_that_fails_is_that_rows_error_and_the_rest_go_on(self):
        def ours(s, d):
            if s["m"] == 1:
                raise RuntimeError("cuBLASLt's heuristic returned no usable algorithm")
            return StubGemm("E", [1e-3] * 3, [])

        rows = checks.compare_gemms(self.shapes, ["fp16"], ours,
                                    lambda s, d: StubGemm("T", [1e-3] * 3, []), warmup=0, runs=3)
        self.assertEqual(rows[0]["error"], "cuBLASLt's heuristic returned no usable algorithm")
        self.assertIsNone(rows[1]["error"])
        self.assertIn("error: cuBLASLt's heuristic", checks.format_gemm_table(rows))


def section(batches):
    def op(name, kind, shape):
        return {"name": name, "kind": kind, "shape": shape}

    return {"models": [{"model": "llava-1.5-7b", "batches": [
        {"batch": b, "stages": [
            {"name": "lm.prefill", "bound_ms": 10.0 * b, "measured_ms": 12.0 * b,
             "sequence_ms": None, "error": "",
             "telemetry": {"sm_clock_mhz_min": 1755, "throttle_reasons": ["sw_power_cap"]},
             "ops": [op("qkv", "gemm", f"M={640 * b} N=12288 K=4096"),
                     op("attention", "attention", "1 seq x 32 heads")]},
            {"name": "lm.decode", "bound_ms": 6.5, "measured_ms": None, "sequence_ms": 7.0,
             "error": "out of memory",
             "ops": [op("qkv", "gemm", f"M={b} N=12288 K=4096"),
                     op("scores", "gemm", "M=1 N=704 K=128 x32")]},
            {"name": "lm_head", "bound_ms": 0.13, "measured_ms": 0.15, "error": "",
             "ops": [op("lm_head", "gemm", f"M={b} N=32064 K=4096")]}]}
        for b in batches]}]}


class Plans(unittest.TestCase):
    def test_gemm_shapes_are_the_plans_distinct_unbatched_gemms_of_the_chosen_batches(self):
        shapes = checks.gemm_shapes(section([1, 8, 32]), [1, 32])
        self.assertEqual([(s["m"], s["n"], s["k"]) for s in shapes],
                         [(640, 12288, 4096), (1, 12288, 4096), (1, 32064, 4096),
                          (20480, 12288, 4096), (32, 12288, 4096), (32, 32064, 4096)])
        self.assertEqual(shapes[0]["name"], "llava-1.5-7b/b1/lm.prefill/qkv")

    def test_stage_rows_put_each_runs_time_beside_the_bound(self):
        rows = checks.stage_rows({"warm": section([1]), "cold": section([1]), "absent": None})
        self.assertEqual(len(rows), 3)
        prefill = rows[0]
        self.assertEqual((prefill["stage"], prefill["bound_ms"], prefill["warm_ms"],
                          prefill["cold_ms"]), ("lm.prefill", 10.0, 12.0, 12.0))
        self.assertEqual(prefill["cold_sm_clock_min_mhz"], 1755)
        self.assertEqual(prefill["warm_throttle"], ["sw_power_cap"])
        self.assertEqual(rows[1]["warm_error"], "out of memory")
        self.assertEqual(rows[1]["cold_sequence_ms"], 7.0)
        table = checks.format_stage_table(rows, ["warm", "cold"])
        lines = table.splitlines()
        self.assertIn("warm ms", lines[0])
        self.assertIn("cold graph", lines[0])
        self.assertEqual(lines[1].split(), ["1", "lm.prefill", "10.000", "12.000", "-", "0.83",
                                            "12.000", "-", "0.83"])
        self.assertEqual(lines[2].split(), ["1", "lm.decode", "6.500", "-", "7.000", "-", "-",
                                            "7.000", "-"])


FAKE_MODULE = os.environ.get("FAKE_CUDA_MODULE")
FAKE_MODULE_V1 = os.environ.get("FAKE_CUDA_MODULE_V1")


@unittest.skipUnless(FAKE_MODULE and FAKE_MODULE_V1, "the stand-in CUDA modules are not given")
class ModuleThroughCtypes(unittest.TestCase):
    """The script's ctypes mirrors of the C API against tests/gpu/fake_cuda_module.cpp, built from
    the same header: its device is "Fake GPU 80GB" and a GEMM call takes m microseconds."""

    def test_opens_describes_prepares_and_runs_through_the_c_api(self):
        module = checks.CudaModule(FAKE_MODULE, reduced_precision_reduction=False)
        try:
            self.assertEqual(module.device["name"], "Fake GPU 80GB")
            self.assertEqual(module.device["compute_capability"], "9.0")
            self.assertEqual(module.device["cublaslt_version"], "13.0.0")
            gemm = module.gemm({"name": "o_proj", "m": 256, "n": 4096, "k": 4096}, "bf16")
            self.assertAlmostEqual(gemm.run(), 256e-6)
            with self.assertRaisesRegex(RuntimeError, "fake module: out of memory"):
                module.gemm({"name": "empty", "m": 0, "n": 1, "k": 1}, "fp16")
            del gemm
        finally:
            module.close()

    def test_a_module_of_another_api_version_is_refused(self):
        with self.assertRaisesRegex(RuntimeError, "has CUDA module API version 1; this script "
                                                  "speaks version 3"):
            checks.CudaModule(FAKE_MODULE_V1, reduced_precision_reduction=False)
        self.assertEqual(checks.module_api_version(FAKE_MODULE), checks.CUDA_MODULE_API_VERSION)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
