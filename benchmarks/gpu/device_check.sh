#!/usr/bin/env bash
# The one device check of issue 22 ("Measure"), in at most 8 minutes on a lent GPU machine:
# the on-device tests, the executor vs PyTorch on every LLaVA-1.5-7B GEMM shape at batch 1, 8
# and 32 in FP16 and BF16 (interleaved, both timed behind a spin kernel, medians), and
# `lmmbench gpu --gpu auto` stage timings with warm L2 and with cold decode stages, ending in
# the tables of benchmarks/gpu/run_gpu_checks.py and its JSON in $OUT.
#
#   benchmarks/gpu/device_check.sh prepare [DIR]  # here, without a GPU: build DIR (default
#                                                 # build/device) small enough to carry
#   benchmarks/gpu/device_check.sh check [DIR]    # here or there: is DIR ready? (exit 0 / 2)
#   benchmarks/gpu/device_check.sh run [DIR]      # on the GPU machine, DIR carried
#
# Why `prepare`: the GPU machine has CUDA 13, PyTorch, cmake and ninja but not lmmbench's build
# dependencies, and only 64 MiB travel with the working tree. So DIR is a Release build with
# the HTTP backends and the Parquet loader off (no curl, no Arrow), holding lmmbench, the CUDA
# module, test_gpu_cuda, the shared libraries they need that are not the C runtime's or CUDA's
# (lib/), the plan's JSON (plan.json, so the GEMM comparison needs no lmmbench at all) and the
# checkout's path (source_dir.txt: `run` links it to the copy where the paths differ).
# The CUDA libraries come from the machine: its toolkit, or the nvidia-* wheels beside torch.
set -euo pipefail

MODE=${1:-}
DIR=${2:-build/device}
MODEL=llava-1.5-7b
BATCHES=1,8,32
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DIR=$(realpath -m "$DIR")

prepare() {
  cmake -S . -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLMMBENCH_ENABLE_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="80;90" -DLMMBENCH_WITH_HTTP=OFF -DLMMBENCH_WITH_PARQUET=OFF \
    -DLMMBENCH_BUILD_BENCHMARKS=OFF
  cmake --build "$DIR" -j 2 --target lmmbench lmmbench_models_cuda test_gpu_cuda
  mkdir -p "$DIR/lib"
  # Every library the three binaries load, except the C runtime's and CUDA's.
  for binary in "$DIR/lmmbench" "$DIR/liblmmbench_cuda.so" "$DIR/tests/gpu/test_gpu_cuda"; do
    ldd "$binary" | awk '$3 ~ /^\// {print $3}'
  done | sort -u | grep -Ev '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so|lib(cudart|cublas|cublasLt)\.so' |
    while read -r lib; do cp -L "$lib" "$DIR/lib/"; done
  "$DIR/lmmbench" gpu --model "$MODEL" --gpu h100-sxm --batch "$BATCHES" --no-measure --json \
    > "$DIR/plan.json"
  # The binaries hold this checkout's path (test configs, the module's path in test_gpu_cuda).
  echo "$ROOT" > "$DIR/source_dir.txt"
  local rel
  rel=$(realpath --relative-to="$ROOT" "$DIR")
  du -shc "$DIR/lmmbench" "$DIR/liblmmbench_cuda.so" "$DIR/tests/gpu/test_gpu_cuda" "$DIR/lib" \
    "$DIR/plan.json"
  echo "carry (at most 8 paths, 64 MiB in all): $rel/lmmbench $rel/liblmmbench_cuda.so $rel/lib" \
    "$rel/plan.json $rel/source_dir.txt $rel/tests/gpu/test_gpu_cuda"
}

# The CUDA 13 libraries of the machine: the toolkit's, else those of the nvidia-* wheels.
cuda_library_path() {
  local paths=""
  for d in /usr/local/cuda/lib64 /usr/local/cuda/lib; do
    [[ -d $d ]] && paths="$paths:$d"
  done
  local wheels
  wheels=$(python3 - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
print(":".join(sorted({os.path.dirname(p) for r in roots
                       for p in glob.glob(os.path.join(r, "nvidia", "**", "lib*.so*"),
                                          recursive=True)})))
PY
)
  echo "${paths#:}${wheels:+:$wheels}"
}

environment() {
  local cuda
  cuda=$(cuda_library_path)
  export LD_LIBRARY_PATH="$DIR/lib:$cuda${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LMMBENCH_CUDA_MODULE="$DIR/liblmmbench_cuda.so"
}

check() {
  environment
  local plan=()
  [[ -f $DIR/plan.json ]] && plan=(--plan "$DIR/plan.json")
  python3 benchmarks/gpu/run_gpu_checks.py --preflight --build-dir "$DIR" --model "$MODEL" \
    --batches "$BATCHES" "${plan[@]}"
}

run_on_device() {
  environment
  # Where the copy sits elsewhere, the path the binaries were built in points at it.
  local built
  built=$(cat "$DIR/source_dir.txt" 2>/dev/null || echo "$ROOT")
  if [[ ! -e $built ]]; then
    mkdir -p "$(dirname "$built")" && ln -s "$ROOT" "$built"
  fi
  local out=${OUT:-$DIR}
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.limit \
    --format=csv || true
  local stages=()
  if ldd "$DIR/lmmbench" | grep -q "not found"; then
    echo "lmmbench cannot start here (missing: $(ldd "$DIR/lmmbench" | awk '/not found/ {print $1}' |
      tr '\n' ' ')); the stage timings are skipped"
    stages=(--skip-stages)
  fi
  # 7.5 minutes for everything, so the 8-minute budget holds with the start-up.
  local rc=0
  timeout 450 python3 benchmarks/gpu/run_gpu_checks.py --build-dir "$DIR" --plan "$DIR/plan.json" \
    --model "$MODEL" --batches "$BATCHES" --dtypes fp16,bf16 --runs 100 --stage-batches 1,32 \
    --max-runs 20 --timeout 180 --out "$out/gpu_checks.json" "${stages[@]}" || rc=$?
  # Stage timings that could not be taken are a failed check, not a pass.
  if ((rc == 0 && ${#stages[@]} > 0)); then
    echo "FAILED: the stage timings were not measured (lmmbench could not start)"
    rc=1
  fi
  return "$rc"
}

case "$MODE" in
  prepare) prepare ;;
  check) check ;;
  run) run_on_device ;;
  *)
    echo "usage: $0 prepare|check|run [DIR]" >&2
    exit 2
    ;;
esac
