#!/usr/bin/env bash
# Builds the library, the programs and the tests with AddressSanitizer and
# UndefinedBehaviorSanitizer in build-sanitize/ (its own directory), and
# runs the verification suite with them. Slower than the normal suite
# (about 3x to build, several times to run), so it is not part of .ci/run.
#   scripts/sanitize.sh [ctest arguments, e.g. -R solvers]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build-sanitize scripts/build.sh -DDEALII_LEARNED_SANITIZE=ON

# Leak checking is off: the leaks it reports come from OpenMPI's components
# (allocated in plugins that MPI_Finalize unloads), not from this project.
# Any other finding stops the test that triggers it.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build-sanitize
ctest -j2 --output-on-failure "$@"
