// Each classical solver hook on a serial deal.II system: -div(eps grad u) = 1
// on an adaptively refined L-shape (hanging nodes), Q1, eps jumping by 100.
// The iteration counts are part of the expected output; every solution must
// match a direct solve, and a size mismatch must be refused.

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>

#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/tria.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparse_direct.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/vector.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  Triangulation<2> tria;
  GridGenerator::hyper_L(tria, -1., 1.);
  tria.refine_global(5);
  for (unsigned int step = 0; step < 2; ++step)
    {
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->center().norm() < 0.2)
          cell->set_refine_flag();
      tria.execute_coarsening_and_refinement();
    }

  FE_Q<2>       fe(1);
  DoFHandler<2> dof_handler(tria);
  dof_handler.distribute_dofs(fe);

  AffineConstraints<double> constraints;
  DoFTools::make_hanging_node_constraints(dof_handler, constraints);
  VectorTools::interpolate_boundary_values(dof_handler,
                                           0,
                                           Functions::ZeroFunction<2>(),
                                           constraints);
  constraints.close();

  DynamicSparsityPattern dsp(dof_handler.n_dofs());
  DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
  SparsityPattern pattern;
  pattern.copy_from(dsp);
  SparseMatrix<double> A(pattern);
  Vector<double>       b(dof_handler.n_dofs());

  QGauss<2>                            quadrature(2);
  FEValues<2>                          fe_values(fe,
                        quadrature,
                        update_values | update_gradients | update_JxW_values);
  FullMatrix<double>                   cell_matrix(4, 4);
  Vector<double>                       cell_rhs(4);
  std::vector<types::global_dof_index> indices(4);
  for (const auto &cell : dof_handler.active_cell_iterators())
    {
      fe_values.reinit(cell);
      const double eps = cell->center()[0] * cell->center()[1] > 0 ? 100. : 1.;
      cell_matrix      = 0.;
      cell_rhs         = 0.;
      for (const unsigned int q : fe_values.quadrature_point_indices())
        for (unsigned int i = 0; i < 4; ++i)
          {
            for (unsigned int j = 0; j < 4; ++j)
              cell_matrix(i, j) += eps * fe_values.shape_grad(i, q) *
                                   fe_values.shape_grad(j, q) *
                                   fe_values.JxW(q);
            cell_rhs(i) += fe_values.shape_value(i, q) * fe_values.JxW(q);
          }
      cell->get_dof_indices(indices);
      constraints.distribute_local_to_global(
        cell_matrix, cell_rhs, indices, A, b);
    }
  deallog << "n_cells " << tria.n_active_cells() << ", n_dofs "
          << dof_handler.n_dofs() << ", hanging-node constraints "
          << (constraints.n_constraints() > 0) << std::endl;

  Vector<double> reference(b.size());
  {
    SparseDirectUMFPACK direct;
    direct.initialize(A);
    direct.vmult(reference, b);
  }

  for (const std::string preconditioner :
       {"none", "jacobi", "ssor", "ic", "amg"})
    {
      ParameterHandler prm;
      LinearSolver::declare_parameters(prm);
      prm.parse_input_from_string("subsection Linear solver\n"
                                  "  set Method = cg\n"
                                  "  set Preconditioner = " +
                                  preconditioner +
                                  "\n"
                                  "  set Relative tolerance = 1e-10\n"
                                  "end\n");
      auto               hook = LinearSolver::create(prm);
      Vector<double>     x(b.size());
      const SolverReport report = hook->solve(A, x, b);

      Vector<double> error = x;
      error -= reference;
      deallog << "cg(" << preconditioner << "): " << report.iterations
              << " iterations, converged " << report.converged
              << ", true residual below tolerance "
              << (report.relative_residual <= 1e-10) << ", history entries "
              << report.residual_history.size()
              << ", error vs direct below 1e-8 "
              << (error.l2_norm() <= 1e-8 * reference.l2_norm()) << std::endl;
    }

  // A wrong size is refused with the sizes in the message.
  expect_exception([&]() {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    auto           hook = LinearSolver::create(prm);
    Vector<double> x(b.size() + 1);
    hook->solve(A, x, b);
  });

  // Too few iterations: NoConvergence, and the report says so.
  {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    prm.parse_input_from_string("subsection Linear solver\n"
                                "  set Preconditioner = none\n"
                                "  set Maximum iterations = 5\n"
                                "end\n");
    auto           hook = LinearSolver::create(prm);
    Vector<double> x(b.size());
    try
      {
        hook->solve(A, x, b);
        deallog << "no error (wrong)" << std::endl;
      }
    catch (const SolverControl::NoConvergence &e)
      {
        deallog << "NoConvergence after " << e.last_step
                << " iterations; report converged "
                << hook->last_report().converged << std::endl;
      }
  }
}
