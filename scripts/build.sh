#!/usr/bin/env bash
# Installs the Debian packages dealii-learned needs (only those missing),
# then configures and builds it in Release under build/ (or $BUILD_DIR).
#   scripts/build.sh            # then: build/bin/dealii-learned run prm/default.prm
#   BUILD_DIR=dir scripts/build.sh -DOPTION=VALUE ...   # extra CMake options
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libdeal.ii-dev libtorch-dev numdiff cmake g++ make openmpi-bin perl gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build_dir" -j"$jobs"
