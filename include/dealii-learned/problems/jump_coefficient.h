#pragma once

#include <dealii-learned/problems/problem.h>

namespace dealii_learned
{
  /**
   * -div(eps grad u) = 1 with u = 0 on the boundary, on the L-shape
   * [-1,1]^2 minus [0,1]^2 (2-D) or the Fichera corner [-1,1]^3 minus
   * [0,1]^3 (3-D).
   *
   * eps equals `Coefficient contrast` on the quadrants (octants) whose
   * coordinate signs multiply to a positive number and 1 elsewhere, so the
   * coefficient jumps across the coordinate planes, which meet at the
   * re-entrant corner. The jump lines are aligned with the coarse mesh, so
   * eps is constant on every cell (evaluated at the cell centre) and the
   * solution's kinks along the interfaces and the corner singularity are
   * what the Kelly indicator refines towards. Large contrasts make the
   * matrix badly conditioned in a way that Jacobi and IC do not fix, which
   * is why it is the first benchmark problem.
   */
  template <int dim>
  class JumpCoefficientProblem : public Problem<dim>
  {
  public:
    using Problem<dim>::Problem;

    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    assemble_system() override;

    std::vector<std::pair<std::string, dealii::Vector<float>>>
    cell_data() const override;

    /** eps at a point strictly inside a cell. */
    virtual double
    coefficient(const dealii::Point<dim> &p) const;

  protected:
    void
    make_coarse_grid(ProblemTriangulation<dim> &tria) override;
  };
} // namespace dealii_learned
