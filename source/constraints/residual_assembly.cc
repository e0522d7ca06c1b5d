#include <deal.II/base/function.h>
#include <deal.II/base/quadrature.h>

#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_gmres.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparsity_pattern.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/residual_assembly.h>

#include <cmath>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    template <int dim>
    class BoundaryValues : public Function<dim>
    {
    public:
      explicit BoundaryValues(const ResidualOperator<dim> &residual)
        : residual(residual)
      {}

      double
      value(const Point<dim> &p, const unsigned int = 0) const override
      {
        return residual.boundary_value(p);
      }

    private:
      const ResidualOperator<dim> &residual;
    };
  } // namespace


  template <int dim>
  void
  make_residual_constraints(const ResidualOperator<dim> &residual,
                            const DoFHandler<dim>       &dof_handler,
                            const Mapping<dim>          &mapping,
                            const IndexSet              &locally_relevant,
                            AffineConstraints<double>   &constraints)
  {
    constraints.clear();
    constraints.reinit(locally_relevant);
    DoFTools::make_hanging_node_constraints(dof_handler, constraints);
    const BoundaryValues<dim> values(residual);
    for (const auto id : dof_handler.get_triangulation().get_boundary_ids())
      VectorTools::interpolate_boundary_values(
        mapping, dof_handler, id, values, constraints);
    constraints.close();
  }


  template <int dim>
  void
  reinit_jacobian(const FiniteElementSpace<dim>  &space,
                  TrilinosWrappers::SparseMatrix &matrix)
  {
    TrilinosWrappers::SparsityPattern pattern(space.locally_owned,
                                              space.locally_owned,
                                              space.locally_relevant,
                                              space.mpi_communicator);
    DoFTools::make_sparsity_pattern(space.dof_handler,
                                    pattern,
                                    space.constraints,
                                    false,
                                    Utilities::MPI::this_mpi_process(
                                      space.mpi_communicator));
    pattern.compress();
    matrix.reinit(pattern);
  }


  template <int dim>
  ResidualCellScratch<dim>::ResidualCellScratch(
    const FiniteElementSpace<dim> &space)
    : values(space.dof_handler.get_fe().n_dofs_per_cell())
    , residual(values.size())
    , jacobian(values.size(), values.size())
    , fe_values(std::make_unique<FEValues<dim>>(space.mapping,
                                                space.dof_handler.get_fe(),
                                                space.quadrature,
                                                update_values |
                                                  update_gradients |
                                                  update_quadrature_points |
                                                  update_JxW_values))
  {}


  template <int dim>
  ResidualCellScratch<dim>::~ResidualCellScratch() = default;


  template <int dim>
  void
  ResidualCellScratch<dim>::evaluate(
    const ResidualOperator<dim>                          &operator_,
    const typename DoFHandler<dim>::active_cell_iterator &cell,
    const bool                                            with_jacobian)
  {
    fe_values->reinit(cell);
    operator_.cell_residual(*fe_values,
                            values,
                            residual,
                            with_jacobian ? &jacobian : nullptr);
  }


  template class ResidualCellScratch<2>;
  template class ResidualCellScratch<3>;


  template <int dim>
  void
  assemble_residual(const ResidualOperator<dim>         &residual,
                    const FiniteElementSpace<dim>       &space,
                    const TrilinosWrappers::MPI::Vector &u,
                    TrilinosWrappers::MPI::Vector       &result,
                    TrilinosWrappers::SparseMatrix      *jacobian,
                    const CellSelector<dim>             &cells)
  {
    AssertThrow(residual.get_parameters().size() ==
                  residual.parameter_names().size(),
                ExcMessage("The residual's parameters are not set "
                           "(ResidualOperator::set_parameters())."));
    ResidualCellScratch<dim>             scratch(space);
    const unsigned int                   n = scratch.values.size();
    std::vector<types::global_dof_index> dofs(n);

    result.reinit(space.locally_owned, space.mpi_communicator);
    if (jacobian != nullptr)
      *jacobian = 0.;
    for (const auto &cell : space.dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && (!cells || cells(cell)))
        {
          cell->get_dof_indices(dofs);
          for (unsigned int i = 0; i < n; ++i)
            scratch.values[i] = u(dofs[i]);
          scratch.evaluate(residual, cell, jacobian != nullptr);
          // Vector alone: the constraints act as homogeneous ones (u
          // already holds the boundary values), moving a constrained
          // DoF's row to its parents.
          space.constraints.distribute_local_to_global(scratch.residual,
                                                       dofs,
                                                       result);
          if (jacobian != nullptr)
            space.constraints.distribute_local_to_global(scratch.jacobian,
                                                         dofs,
                                                         *jacobian);
        }
    result.compress(VectorOperation::add);
    if (jacobian != nullptr)
      jacobian->compress(VectorOperation::add);
  }


  template <int dim>
  void
  residual_row_weights(const ResidualOperator<dim>   &residual,
                       const FiniteElementSpace<dim> &space,
                       TrilinosWrappers::MPI::Vector &weights)
  {
    AssertThrow(residual.get_parameters().size() ==
                  residual.parameter_names().size(),
                ExcMessage("The residual's parameters are not set "
                           "(ResidualOperator::set_parameters())."));
    TrilinosWrappers::MPI::Vector boundary(space.locally_owned,
                                           space.mpi_communicator);
    space.constraints.distribute(boundary);
    TrilinosWrappers::MPI::Vector u(space.locally_owned,
                                    space.locally_relevant,
                                    space.mpi_communicator);
    u = boundary;
    ResidualCellScratch<dim>             scratch(space);
    const unsigned int                   n = scratch.values.size();
    std::vector<types::global_dof_index> dofs(n);
    TrilinosWrappers::MPI::Vector        diagonal(space.locally_owned,
                                           space.mpi_communicator);
    Vector<double>                       entries(n);
    for (const auto &cell : space.dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(dofs);
          for (unsigned int i = 0; i < n; ++i)
            scratch.values[i] = u(dofs[i]);
          scratch.evaluate(residual, cell, true);
          for (unsigned int i = 0; i < n; ++i)
            entries(i) = space.constraints.is_constrained(dofs[i]) ?
                           0. :
                           scratch.jacobian(i, i);
          diagonal.add(dofs, entries);
        }
    diagonal.compress(VectorOperation::add);
    double largest = 0.;
    for (const auto i : space.locally_owned)
      largest = std::max(largest, std::abs(diagonal[i]));
    largest = Utilities::MPI::max(largest, space.mpi_communicator);
    AssertThrow(largest > 0. && std::isfinite(largest),
                ExcMessage("Residual norm: the residual's Jacobian has no "
                           "finite nonzero diagonal entry at the boundary "
                           "values; use `Residual norm = euclidean`."));
    weights.reinit(space.locally_owned, space.mpi_communicator);
    for (const auto i : space.locally_owned)
      if (!space.constraints.is_constrained(i))
        {
          const double d = std::abs(diagonal[i]);
          weights[i]     = 1. / (d > 1e-12 * largest ? d : largest);
        }
    weights.compress(VectorOperation::insert);
  }


  template <int dim>
  NewtonReport
  solve_residual(const ResidualOperator<dim>   &residual,
                 const FiniteElementSpace<dim> &space,
                 TrilinosWrappers::MPI::Vector &u,
                 const double                   tolerance,
                 const unsigned int             max_iterations)
  {
    TrilinosWrappers::SparseMatrix jacobian;
    reinit_jacobian(space, jacobian);
    TrilinosWrappers::MPI::Vector ghosted(space.locally_owned,
                                          space.locally_relevant,
                                          space.mpi_communicator);
    TrilinosWrappers::MPI::Vector r,
      step(space.locally_owned, space.mpi_communicator);
    space.constraints.distribute(u);
    NewtonReport report;
    for (;; ++report.iterations)
      {
        ghosted = u;
        assemble_residual(residual, space, ghosted, r, &jacobian);
        const double norm = r.l2_norm();
        if (report.iterations == 0)
          report.initial_norm = norm;
        report.residual_norm = norm;
        if (norm <= tolerance * std::max(1., report.initial_norm))
          break;
        AssertThrow(report.iterations < max_iterations,
                    ExcMessage("Newton's method for the finite element "
                               "reference did not converge: ||R|| = " +
                               format_number(norm) + " after " +
                               std::to_string(max_iterations) +
                               " iterations (started at " +
                               format_number(report.initial_norm) + ")."));
        TrilinosWrappers::PreconditionAMG amg;
        amg.initialize(jacobian);
        SolverControl control(1000, 1e-3 * norm, false, false);
        // (Right preconditioning: the stopping test sees the true
        // residual of the Newton system.)
        SolverGMRES<TrilinosWrappers::MPI::Vector> gmres(
          control,
          SolverGMRES<TrilinosWrappers::MPI::Vector>::AdditionalData(30, true));
        step = 0.;
        r *= -1.;
        gmres.solve(jacobian, step, r, amg);
        u += step;
        space.constraints.distribute(u);
      }
    return report;
  }


  template void
  make_residual_constraints(const ResidualOperator<2> &,
                            const DoFHandler<2> &,
                            const Mapping<2> &,
                            const IndexSet &,
                            AffineConstraints<double> &);
  template void
  make_residual_constraints(const ResidualOperator<3> &,
                            const DoFHandler<3> &,
                            const Mapping<3> &,
                            const IndexSet &,
                            AffineConstraints<double> &);
  template void
  reinit_jacobian(const FiniteElementSpace<2> &,
                  TrilinosWrappers::SparseMatrix &);
  template void
  reinit_jacobian(const FiniteElementSpace<3> &,
                  TrilinosWrappers::SparseMatrix &);
  template void
  assemble_residual(const ResidualOperator<2> &,
                    const FiniteElementSpace<2> &,
                    const TrilinosWrappers::MPI::Vector &,
                    TrilinosWrappers::MPI::Vector &,
                    TrilinosWrappers::SparseMatrix *,
                    const CellSelector<2> &);
  template void
  assemble_residual(const ResidualOperator<3> &,
                    const FiniteElementSpace<3> &,
                    const TrilinosWrappers::MPI::Vector &,
                    TrilinosWrappers::MPI::Vector &,
                    TrilinosWrappers::SparseMatrix *,
                    const CellSelector<3> &);
  template void
  residual_row_weights(const ResidualOperator<2> &,
                       const FiniteElementSpace<2> &,
                       TrilinosWrappers::MPI::Vector &);
  template void
  residual_row_weights(const ResidualOperator<3> &,
                       const FiniteElementSpace<3> &,
                       TrilinosWrappers::MPI::Vector &);
  template NewtonReport
  solve_residual(const ResidualOperator<2> &,
                 const FiniteElementSpace<2> &,
                 TrilinosWrappers::MPI::Vector &,
                 const double,
                 const unsigned int);
  template NewtonReport
  solve_residual(const ResidualOperator<3> &,
                 const FiniteElementSpace<3> &,
                 TrilinosWrappers::MPI::Vector &,
                 const double,
                 const unsigned int);
} // namespace dealii_learned
