#pragma once

#include <dealii-learned/problems/jump_coefficient.h>

namespace dealii_learned
{
  /**
   * -div(eps grad u) = 1 with u = 0 on the boundary of [-1,1]^d, with a
   * random, piecewise-constant, high-contrast coefficient:
   *
   *   eps(x) = contrast^xi(k(x)),  xi ~ U[0,1) independently per block,
   *
   * where k(x) is the block of a uniform `Blocks per direction`^d grid that
   * contains x and `contrast` is Problem/Coefficient contrast. So eps
   * ranges over [1, contrast) with all scales in between, in blocks whose
   * edges follow the mesh (the blocks coincide with cells once the mesh is
   * that fine, so eps is constant on every cell). xi of block k is drawn
   * from a generator seeded with `Seed` and k alone, so the field does not
   * depend on the mesh, the refinement or the partition into MPI ranks.
   * Different seeds give independent coefficient samples (training data).
   */
  template <int dim>
  class RandomCoefficientProblem : public JumpCoefficientProblem<dim>
  {
  public:
    using JumpCoefficientProblem<dim>::JumpCoefficientProblem;

    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    double
    coefficient(const dealii::Point<dim> &p) const override;

  protected:
    void
    make_coarse_grid(ProblemTriangulation<dim> &tria) override;

  private:
    unsigned int blocks = 16;
    unsigned int seed   = 1;
  };
} // namespace dealii_learned
