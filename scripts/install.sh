#!/usr/bin/env bash
# Builds both library variants, as deal.II ships its own (libdealii-learned.so
# against the Release deal.II, libdealii-learned.g.so against the Debug one),
# and installs dealii-learned into PREFIX (default /usr/local). A program
# then links the variant of its own build type:
#   find_package(dealii-learned REQUIRED)
#   target_link_libraries(my_program dealii-learned::dealii-learned)
#   scripts/install.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
BUILD_DIR=build-install scripts/build.sh -DCMAKE_BUILD_TYPE=DebugRelease \
  -DDEALII_LEARNED_BUILD_TESTS=OFF
cmake --install build-install --prefix "$prefix"
echo "dealii-learned installed in $prefix (Release and Debug variants)"
