#include <dealii-learned/base/utilities.h>
#include <dealii-learned/base/coefficients.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  double
  jump_coefficient(const Point<dim> &p, const double contrast)
  {
    double sign = 1.;
    for (unsigned int d = 0; d < dim; ++d)
      sign *= (p[d] < 0. ? -1. : 1.);
    return sign > 0. ? contrast : 1.;
  }


  template <int dim>
  double
  random_coefficient(const Point<dim>  &p,
                     const unsigned int blocks,
                     const unsigned int seed,
                     const double       contrast)
  {
    // Block index, then a counter-based hash (splitmix64) of (seed, block):
    // fixed by the block alone, not by the order in which cells are met.
    std::uint64_t block = 0;
    for (unsigned int d = 0; d < dim; ++d)
      {
        const double t = (p[d] + 1.) / 2. * blocks;
        const auto   k = static_cast<std::uint64_t>(
          std::clamp(std::floor(t), 0., double(blocks - 1)));
        block = block * blocks + k;
      }
    const double xi =
      hash_to_unit_interval((std::uint64_t(seed) << 32) + block);
    return std::pow(contrast, xi);
  }


  template double
  jump_coefficient(const Point<1> &, const double);
  template double
  jump_coefficient(const Point<2> &, const double);
  template double
  jump_coefficient(const Point<3> &, const double);
  template double
  random_coefficient(const Point<1> &,
                     const unsigned int,
                     const unsigned int,
                     const double);
  template double
  random_coefficient(const Point<2> &,
                     const unsigned int,
                     const unsigned int,
                     const double);
  template double
  random_coefficient(const Point<3> &,
                     const unsigned int,
                     const unsigned int,
                     const double);
} // namespace dealii_learned
