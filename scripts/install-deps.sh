#!/usr/bin/env bash
# Installs the Debian 12 packages that lmmbench builds, runs and tests with (docs/dependencies.md
# says why each is there). With --test it adds what only the test suite needs (headless chromium
# for the HTML report test, python3-jsonschema for the run-record schema check, python3-yaml for the
# Kubernetes manifest check, slurm-wlm and munge for the real single-node Slurm of tests/slurm).
# Skips apt entirely when everything is already installed. Run as root or with sudo available.
# --test also installs clang 14 and its runtime libraries (libFuzzer, sanitizers) for the `fuzz`
# preset (docs/testing.md).
set -euo pipefail

packages=(
  build-essential cmake ninja-build git pkg-config python3
  nlohmann-json3-dev libfmt-dev libcli11-dev libstb-dev libwebp-dev libssl-dev libicu-dev
  libgtest-dev libbenchmark-dev libcurl4-openssl-dev libsqlite3-dev
)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium fonts-dejavu-core python3-jsonschema python3-yaml clang-14 libclang-rt-14-dev
    slurm-wlm munge)
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
