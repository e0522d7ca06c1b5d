#pragma once

#include <dealii-learned/problems/problem.h>

namespace dealii_learned
{
  /**
   * Linear isotropic elasticity, the system of PDEs of deal.II's step-8:
   *
   *   -div(2 mu eps(u) + lambda (div u) I) = f,
   *   eps(u) = (grad u + grad u^T) / 2,
   *
   * for the displacement u on [-1,1]^dim (2-D and 3-D), a cantilever:
   * clamped (u = 0) on the face x = -1, traction-free elsewhere, loaded by
   * its own weight f = (0, -1) (2-D) or (0, 0, -1) (3-D). The element is
   * FESystem(FE_Q(p), dim) with p = `Finite element degree` (1 or 2), and
   * the mesh is refined by the base class's Kelly indicator, which sums the
   * gradient jumps of all components: towards the corners where the
   * clamped face meets the free ones (the stresses are singular there) and
   * along the material interfaces.
   *
   * The Lame parameters are `Lame lambda` and `Lame mu` (subsection
   * `Problem/elasticity`), both multiplied by the jump coefficient of the
   * `jump-coefficient` problem, evaluated at the cell centre: by
   * `Coefficient contrast` on the orthants whose coordinate signs multiply
   * to a positive number, by 1 elsewhere. The default contrast of 100 makes
   * a body of stiff and soft blocks meeting at the origin, which bends
   * unsymmetrically. The coarse mesh has 2^dim cells, so the material
   * interfaces lie on cell faces at every refinement.
   *
   * What makes this a different test for a solver than the scalar
   * problems: the matrix couples dim unknowns per support point, and its
   * near-null space is the rigid-body motions, which an aggregation AMG
   * must be told (system_structure() returns them, computed with
   * rigid_body_modes(); Problem::solve_and_estimate() hands them to the
   * solver hook). The DoFs keep the base class's hierarchical numbering,
   * which for Q1 and Q2 numbers the components of a support point
   * consecutively, as SystemStructure expects; for degree 3 and more it
   * would not (FESystem numbers several DoFs of one component on a line
   * together), so those degrees are refused.
   */
  template <int dim>
  class ElasticityProblem : public Problem<dim>
  {
  public:
    using Problem<dim>::Problem;

    /** `Lame lambda` and `Lame mu`. */
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    void
    assemble_system() override;

    /** n_components = dim and the rigid-body modes of the current DoFs. */
    SystemStructure
    system_structure() const override;

    /** `lame_mu`: mu on each locally owned cell. */
    std::vector<std::pair<std::string, dealii::Vector<float>>>
    cell_data() const override;

    /** lambda at a point strictly inside a cell. */
    double
    lame_lambda(const dealii::Point<dim> &p) const;

    /** mu at a point strictly inside a cell. */
    double
    lame_mu(const dealii::Point<dim> &p) const;

  protected:
    /** FESystem(FE_Q(degree), dim); degree 1 or 2. */
    std::unique_ptr<dealii::FiniteElement<dim>>
    make_finite_element() const override;

    /** [-1,1]^dim in 2^dim cells, the face x = -1 with boundary id
     *  clamped_boundary. */
    void
    make_coarse_grid(ProblemTriangulation<dim> &tria) override;

    /** u = 0 in all components on the face x = -1. */
    void
    make_boundary_constraints(
      dealii::AffineConstraints<double> &constraints) const override;

  private:
    /** The boundary id GridGenerator's colorize gives the face x = -1. */
    static constexpr dealii::types::boundary_id clamped_boundary = 0;

    double lambda = 1.;
    double mu     = 1.;
  };
} // namespace dealii_learned
