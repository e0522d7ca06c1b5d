#pragma once

#include <deal.II/base/point.h>

namespace dealii_learned
{
  /**
   * The coefficient of the `jump-coefficient` problem: @p contrast where
   * the product of the coordinates' signs is positive, 1 elsewhere (a
   * checkerboard of orthants meeting at the origin).
   */
  template <int dim>
  double
  jump_coefficient(const dealii::Point<dim> &p, const double contrast);

  /**
   * The coefficient of the `random-coefficient` problem on [-1, 1]^dim:
   * contrast^xi on each block of a uniform grid of @p blocks per
   * direction, xi in [0, 1) fixed by (@p seed, block) alone (a
   * counter-based hash), so the field does not depend on the mesh or the
   * partition; each seed is an independent sample.
   */
  template <int dim>
  double
  random_coefficient(const dealii::Point<dim> &p,
                     const unsigned int        blocks,
                     const unsigned int        seed,
                     const double              contrast);
} // namespace dealii_learned
