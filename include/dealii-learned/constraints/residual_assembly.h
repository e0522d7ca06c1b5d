#pragma once

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/constraints/residual_operator.h>

#include <functional>
#include <memory>
#include <vector>

DEAL_II_NAMESPACE_OPEN
template <int dim, int spacedim>
class Mapping;
template <int dim>
class Quadrature;
template <typename number>
class AffineConstraints;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /** What assembling a weak residual needs of the host's discretisation
   *  (references; the host owns them). */
  template <int dim>
  struct FiniteElementSpace
  {
    const dealii::DoFHandler<dim>           &dof_handler;
    const dealii::Mapping<dim, dim>         &mapping;
    const dealii::Quadrature<dim>           &quadrature;
    const dealii::AffineConstraints<double> &constraints;
    const dealii::IndexSet                  &locally_owned;
    const dealii::IndexSet                  &locally_relevant;
    MPI_Comm                                 mpi_communicator;
  };

  /**
   * What evaluating a residual on one cell needs, set up once (per thread):
   * the FEValues of the space (values, gradients, quadrature points, JxW),
   * the cell's DoF values and the cell residual and Jacobian.
   */
  template <int dim>
  class ResidualCellScratch
  {
  public:
    explicit ResidualCellScratch(const FiniteElementSpace<dim> &space);
    ~ResidualCellScratch();

    /** The cell residual (and, with @p with_jacobian, its Jacobian) of
     *  @p residual on @p cell at the DoF values in `values`. */
    void
    evaluate(const ResidualOperator<dim> &residual,
             const typename dealii::DoFHandler<dim>::active_cell_iterator &cell,
             const bool with_jacobian);

    /** The cell's DoF values (set before evaluate()). */
    std::vector<double>        values;
    dealii::Vector<double>     residual;
    dealii::FullMatrix<double> jacobian;

  private:
    std::unique_ptr<dealii::FEValues<dim, dim>> fe_values;
  };

  /** Selects cells (for an expert's part of the residual); empty: all
   *  locally owned cells. */
  template <int dim>
  using CellSelector = std::function<bool(
    const typename dealii::DoFHandler<dim>::active_cell_iterator &)>;

  /**
   * The constraints of @p residual on @p dof_handler: hanging nodes and
   * its boundary_value() on every boundary id, closed, for the locally
   * relevant DoFs @p locally_relevant.
   */
  template <int dim>
  void
  make_residual_constraints(const ResidualOperator<dim>       &residual,
                            const dealii::DoFHandler<dim>     &dof_handler,
                            const dealii::Mapping<dim, dim>   &mapping,
                            const dealii::IndexSet            &locally_relevant,
                            dealii::AffineConstraints<double> &constraints);

  /** Sets up @p matrix with the sparsity of the space's couplings
   *  (constraints condensed), for assemble_residual()'s Jacobian. */
  template <int dim>
  void
  reinit_jacobian(const FiniteElementSpace<dim>          &space,
                  dealii::TrilinosWrappers::SparseMatrix &matrix);

  /**
   * The weak residual R(u) condensed by the space's constraints: one entry
   * per free DoF, the test function of the constrained space (hanging
   * nodes' contributions moved to their parents; 0 on constrained DoFs),
   * from the cells @p cells selects; and, if @p jacobian is not null, its
   * Jacobian with respect to the free DoFs (C^T J C, with a diagonal entry
   * on constrained rows). @p u is ghosted (locally relevant) and satisfies
   * the constraints (AffineConstraints::distribute()). Collective.
   */
  template <int dim>
  void
  assemble_residual(const ResidualOperator<dim>                 &residual,
                    const FiniteElementSpace<dim>               &space,
                    const dealii::TrilinosWrappers::MPI::Vector &u,
                    dealii::TrilinosWrappers::MPI::Vector       &result,
                    dealii::TrilinosWrappers::SparseMatrix      *jacobian,
                    const CellSelector<dim>                     &cells = {});

  /**
   * The weights of the diagonally scaled residual ||D^{-1/2} R||^2: 1 /
   * |J_ii| per free DoF, J_ii the free DoF's own diagonal entry of the
   * residual's Jacobian at the boundary values (u = 0 on the free DoFs, the
   * constraints distributed), summed over all cells; 0 on constrained DoFs.
   * A diagonal below 1e-12 of the largest one takes the largest one (a row
   * the Jacobian does not reach keeps the scale of the others). Such rows
   * all weigh a unit change of their own DoF alike, so a coefficient 100
   * times larger in part of the domain no longer makes those rows 100 times
   * heavier. @p weights is locally owned; collective.
   */
  template <int dim>
  void
  residual_row_weights(const ResidualOperator<dim>           &residual,
                       const FiniteElementSpace<dim>         &space,
                       dealii::TrilinosWrappers::MPI::Vector &weights);

  /** What solve_residual() did. */
  struct NewtonReport
  {
    unsigned int iterations    = 0;
    double       residual_norm = 0.;
    double       initial_norm  = 0.;
  };

  /**
   * The finite element solution of R(u) = 0 by Newton's method (GMRES with
   * AMG for each step), starting from @p u (locally owned; its constrained
   * entries are set): the reference a neural solver is compared with.
   * Stops when ||R|| <= @p tolerance max(1, ||R(u_0)||); an error that says
   * so after @p max_iterations.
   */
  template <int dim>
  NewtonReport
  solve_residual(const ResidualOperator<dim>           &residual,
                 const FiniteElementSpace<dim>         &space,
                 dealii::TrilinosWrappers::MPI::Vector &u,
                 const double                           tolerance      = 1e-10,
                 const unsigned int                     max_iterations = 50);
} // namespace dealii_learned
