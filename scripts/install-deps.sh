#!/usr/bin/env bash
# Installs the Debian 12 packages that lmmbench builds, runs and tests with (docs/dependencies.md
# says why each is there). With --test it adds what only the test suite needs (headless chromium
# for the HTML report test, python3-jsonschema for the run-record schema check, python3-yaml for the
# Kubernetes manifest check, slurm-wlm and munge for the real single-node Slurm of tests/slurm).
# Skips apt entirely when everything is already installed. Run as root or with sudo available.
# --test also installs clang 14 and its runtime libraries (libFuzzer, sanitizers) for the `fuzz`
# preset (docs/testing.md), and llama-cpp-python's OpenAI-compatible server with gguf from PyPI into
# a virtual environment for test_llama_cpp_e2e: $LMMBENCH_LLAMA_CPP_VENV, default
# /opt/lmmbench/llama-cpp-venv (the CMake cache variable LMMBENCH_LLAMA_CPP_PYTHON names its
# python). pip compiles llama.cpp for the CPU there, about 10 CPU-minutes (docs/testing.md); the venv
# is kept, and skipped when it already has the pinned versions.
# --test also installs torch, torchvision (Qwen2-VL's image processor needs it), transformers and
# pillow from PyPI into a second virtual environment
# for the transformers worker's test (test_transformers_worker_e2e): $LMMBENCH_TRANSFORMERS_VENV,
# default /opt/lmmbench/transformers-venv (CMake cache variable LMMBENCH_TRANSFORMERS_PYTHON).
# PyPI's torch wheel is the CUDA build, which also runs on CPU: about 2.9 GB downloaded, 5.7 GB
# installed, about 2 minutes (docs/dependencies.md); kept, and skipped when it has the pinned
# versions.
# Debian 12 has no Apache Arrow/Parquet C++ package, so the hf-parquet loader links the libraries
# and headers that the pinned pyarrow wheel bundles: the wheel is unpacked (never pip-installed)
# into $LMMBENCH_ARROW_PREFIX (default /opt/lmmbench/pyarrow-$ARROW_VERSION), where CMake's
# FindLmmbenchArrow.cmake looks, and where the tests' parquet generator imports pyarrow from.
set -euo pipefail

llama_cpp_python_version=0.3.36
gguf_version=0.19.0
llama_venv=${LMMBENCH_LLAMA_CPP_VENV:-/opt/lmmbench/llama-cpp-venv}
torch_version=2.15.0
transformers_version=5.25.0
pillow_version=13.0.0
torchvision_version=0.29.2
transformers_venv=${LMMBENCH_TRANSFORMERS_VENV:-/opt/lmmbench/transformers-venv}

packages=(
  build-essential cmake ninja-build git pkg-config python3
  nlohmann-json3-dev libfmt-dev libcli11-dev libstb-dev libwebp-dev libssl-dev libicu-dev
  python3-pip unzip
  libgtest-dev libbenchmark-dev libcurl4-openssl-dev libsqlite3-dev
)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium fonts-dejavu-core python3-jsonschema python3-yaml clang-14 libclang-rt-14-dev
    python3-venv slurm-wlm munge default-jre-headless)
elif [ $# -gt 0 ]; then
  echo "usage: scripts/install-deps.sh [--test]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--test" ]; then
  check="import llama_cpp, gguf, uvicorn
assert llama_cpp.__version__ == '$llama_cpp_python_version', llama_cpp.__version__"
  if ! "$llama_venv/bin/python" -c "$check" 2>/dev/null; then
    sudo=""
    if [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$llama_venv")" ]; then sudo="sudo"; fi
    echo "installing llama-cpp-python $llama_cpp_python_version into $llama_venv" \
      "(compiles llama.cpp)" >&2
    $sudo mkdir -p "$(dirname "$llama_venv")"
    $sudo /usr/bin/python3 -m venv "$llama_venv"
    # Portable CPU code (no -march=native): the venv outlives the machine it was built on.
    $sudo env CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      "$llama_venv/bin/pip" install -q --no-cache-dir \
      "llama-cpp-python[server]==$llama_cpp_python_version" "gguf==$gguf_version"
  fi

  check="import torch, torchvision, transformers, PIL
assert torch.__version__.split('+')[0] == '$torch_version', torch.__version__
assert torchvision.__version__.split('+')[0] == '$torchvision_version', torchvision.__version__
assert transformers.__version__ == '$transformers_version', transformers.__version__
assert PIL.__version__ == '$pillow_version', PIL.__version__"
  if ! "$transformers_venv/bin/python" -c "$check" 2>/dev/null; then
    sudo=""
    if [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$transformers_venv")" ]; then sudo="sudo"; fi
    echo "installing torch $torch_version, torchvision $torchvision_version, transformers" \
      "$transformers_version and pillow $pillow_version into $transformers_venv" \
      "(about 2.9 GB from PyPI)" >&2
    $sudo mkdir -p "$(dirname "$transformers_venv")"
    $sudo /usr/bin/python3 -m venv "$transformers_venv"
    $sudo "$transformers_venv/bin/pip" install -q --no-cache-dir "torch==$torch_version" \
      "torchvision==$torchvision_version" "transformers==$transformers_version" \
      "pillow==$pillow_version"
  fi
fi

# The pyarrow wheel's Arrow/Parquet C++ (see above). The version is pinned, in one place: the
# libraries' soname (libarrow.so.2600) changes with every major release, and CMake looks for it.
ARROW_VERSION="$(sed -n 's/^set(LMMBENCH_ARROW_VERSION \([0-9.]*\) .*/\1/p' \
  "$(dirname "$0")/../cmake/FindLmmbenchArrow.cmake")"
if [ -z "$ARROW_VERSION" ]; then
  echo "install-deps.sh: no LMMBENCH_ARROW_VERSION in cmake/FindLmmbenchArrow.cmake" >&2
  exit 1
fi
arrow_prefix="${LMMBENCH_ARROW_PREFIX:-/opt/lmmbench/pyarrow-$ARROW_VERSION}"
if [ ! -f "$arrow_prefix/pyarrow/include/parquet/arrow/reader.h" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$arrow_prefix")" ]; then sudo="sudo"; fi
  download="$(mktemp -d)"
  trap 'rm -rf "$download"' EXIT
  echo "fetching the pyarrow $ARROW_VERSION wheel for its Arrow/Parquet C++ into $arrow_prefix" >&2
  python3 -m pip download -q --no-deps --only-binary=:all: "pyarrow==$ARROW_VERSION" -d "$download"
  $sudo mkdir -p "$arrow_prefix"
  $sudo unzip -q -o "$download"/pyarrow-"$ARROW_VERSION"-*.whl -d "$arrow_prefix"
fi

# METEOR 1.5 for the caption metric's Java step (docs/metrics.md): the jar and its paraphrase
# tables from the pycocoevalcap wheel, unpacked (never pip-installed) into $LMMBENCH_COCOEVAL_PREFIX
# (default /opt/lmmbench/pycocoevalcap-1.2), where test_metrics_caption looks for them.
if [ "${1:-}" = "--test" ]; then
  cocoeval_prefix="${LMMBENCH_COCOEVAL_PREFIX:-/opt/lmmbench/pycocoevalcap-1.2}"
  if [ ! -f "$cocoeval_prefix/pycocoevalcap/meteor/meteor-1.5.jar" ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ] && [ ! -w "$(dirname "$cocoeval_prefix")" ]; then sudo="sudo"; fi
    cocoeval_download="$(mktemp -d)"
    echo "fetching the pycocoevalcap 1.2 wheel for METEOR 1.5 into $cocoeval_prefix" >&2
    python3 -m pip download -q --no-deps --only-binary=:all: "pycocoevalcap==1.2" -d "$cocoeval_download"
    $sudo mkdir -p "$cocoeval_prefix"
    $sudo unzip -q -o "$cocoeval_download"/pycocoevalcap-1.2-*.whl 'pycocoevalcap/meteor/*' \
      -d "$cocoeval_prefix"
    rm -rf "$cocoeval_download"
  fi
fi
