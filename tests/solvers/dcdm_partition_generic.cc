// dcdm_partition.cc with the direction network's generic kernel forced
// (DEALII_LEARNED_GENERIC_KERNELS=1, set by tests/CMakeLists.txt for every
// test named *_generic), on one and two ranks: the path a processor without
// AVX2 takes meets the same bounds, and the test says which kernel ran.

#include <dealii-learned/models/direction_network.h>

#define DEALII_LEARNED_TEST_PRINTS_KERNEL
#include "dcdm_partition.cc"
