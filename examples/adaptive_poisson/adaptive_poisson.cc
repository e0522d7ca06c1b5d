/*
 * adaptive_poisson: a user's own deal.II program that solves with whatever
 * solver a parameter file names.
 *
 * It is step-40 in miniature (-Laplace u = 1 on the unit square, u = 0 on
 * the boundary, adaptive refinement with the Kelly indicator on a
 * parallel::distributed::Triangulation, Trilinos linear algebra). The only
 * dealii-learned parts are the `Linear solver` parameter section and the
 * call solver->solve(A, x, b): switching from CG with AMG to another
 * registered method is a change in the parameter file, not in this file.
 *
 * Run:   ./adaptive_poisson adaptive_poisson.prm        (CG + AMG)
 *        ./adaptive_poisson adaptive_poisson-dcdm.prm   (DCDM, neural
 * directions) mpirun -np 2 ./adaptive_poisson adaptive_poisson.prm
 */

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/grid_refinement.h>
#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <deal.II/numerics/error_estimator.h>
#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/shared_libraries.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <iostream>

using namespace dealii;

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  const MPI_Comm                   comm = MPI_COMM_WORLD;
  ConditionalOStream               pcout(std::cout,
                           Utilities::MPI::this_mpi_process(comm) == 0);

  try
    {
      // 1. Parameters. Plugin libraries are loaded first, so that their
      //    solvers are among the choices when `Linear solver` is declared.
      const std::string parameter_file = argc > 1 ? argv[1] : "";
      if (!parameter_file.empty())
        dealii_learned::load_shared_libraries(
          dealii_learned::read_shared_library_list(parameter_file));
      ParameterHandler prm;
      dealii_learned::declare_shared_library_parameter(prm);
      dealii_learned::LinearSolver::declare_parameters(prm);
      prm.declare_entry("Refinement cycles", "5", Patterns::Integer(1, 20));
      if (!parameter_file.empty())
        prm.parse_input(parameter_file);
      std::unique_ptr<dealii_learned::SolverHook> solver =
        dealii_learned::LinearSolver::create(prm);

      // 2. Mesh and element.
      parallel::distributed::Triangulation<2> tria(comm);
      GridGenerator::hyper_cube(tria);
      tria.refine_global(5);
      const FE_Q<2> fe(1);
      DoFHandler<2> dof_handler(tria);

      for (unsigned int cycle = 0; cycle < prm.get_integer("Refinement cycles");
           ++cycle)
        {
          // 3. Set up: DoFs, constraints, sparsity.
          dof_handler.distribute_dofs(fe);
          const IndexSet owned = dof_handler.locally_owned_dofs();
          IndexSet       relevant;
          DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
          AffineConstraints<double> constraints(relevant);
          DoFTools::make_hanging_node_constraints(dof_handler, constraints);
          VectorTools::interpolate_boundary_values(dof_handler,
                                                   0,
                                                   Functions::ZeroFunction<2>(),
                                                   constraints);
          constraints.close();
          DynamicSparsityPattern dsp(relevant);
          DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
          SparsityTools::distribute_sparsity_pattern(dsp,
                                                     owned,
                                                     comm,
                                                     relevant);
          TrilinosWrappers::SparseMatrix A;
          A.reinit(owned, owned, dsp, comm);
          TrilinosWrappers::MPI::Vector b(owned, comm), x(owned, comm);

          // 4. Assemble.
          const QGauss<2>                      quadrature(2);
          FEValues<2>                          fe_values(fe,
                                quadrature,
                                update_values | update_gradients |
                                  update_JxW_values);
          FullMatrix<double>                   cell_matrix(fe.n_dofs_per_cell(),
                                         fe.n_dofs_per_cell());
          Vector<double>                       cell_rhs(fe.n_dofs_per_cell());
          std::vector<types::global_dof_index> indices(fe.n_dofs_per_cell());
          for (const auto &cell : dof_handler.active_cell_iterators())
            if (cell->is_locally_owned())
              {
                fe_values.reinit(cell);
                cell_matrix = 0.;
                cell_rhs    = 0.;
                for (const unsigned int q :
                     fe_values.quadrature_point_indices())
                  for (const unsigned int i : fe_values.dof_indices())
                    {
                      for (const unsigned int j : fe_values.dof_indices())
                        cell_matrix(i, j) += fe_values.shape_grad(i, q) *
                                             fe_values.shape_grad(j, q) *
                                             fe_values.JxW(q);
                      cell_rhs(i) +=
                        fe_values.shape_value(i, q) * fe_values.JxW(q);
                    }
                cell->get_dof_indices(indices);
                constraints.distribute_local_to_global(
                  cell_matrix, cell_rhs, indices, A, b);
              }
          A.compress(VectorOperation::add);
          b.compress(VectorOperation::add);

          // 5. Solve with the hook the parameter file selected.
          const dealii_learned::SolverReport report = solver->solve(A, x, b);
          constraints.distribute(x);
          pcout << "cycle " << cycle << ": " << dof_handler.n_dofs()
                << " DoFs, " << report.method << "(" << report.preconditioner
                << ") " << report.iterations
                << " iterations, relative residual " << report.relative_residual
                << (report.converged ? ", converged" : ", NOT converged")
                << "\n";

          // 6. Estimate and refine.
          TrilinosWrappers::MPI::Vector ghosted(owned, relevant, comm);
          ghosted = x;
          Vector<float> indicators(tria.n_active_cells());
          KellyErrorEstimator<2>::estimate(
            dof_handler, QGauss<1>(2), {}, ghosted, indicators);
          if (cycle + 1 < prm.get_integer("Refinement cycles"))
            {
              parallel::distributed::GridRefinement::
                refine_and_coarsen_fixed_number(tria, indicators, 0.3, 0.03);
              tria.execute_coarsening_and_refinement();
            }
        }
    }
  catch (const std::exception &e)
    {
      std::cerr << "adaptive_poisson: error: "
                << dealii_learned::error_message(e) << std::endl;
      return 1;
    }
  return 0;
}
