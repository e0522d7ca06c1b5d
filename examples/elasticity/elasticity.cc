/*
 * elasticity: a user's own deal.II program for a system of PDEs, which
 * tells the solver what it knows about the system beyond the matrix.
 *
 * It is step-8 on an adaptive distributed mesh: linear elasticity
 * -div(2 mu eps(u) + lambda div(u) I) = f with lambda = mu = 1 on
 * [-1,1]^2, a cantilever clamped at x = -1, traction-free elsewhere and
 * loaded by its own weight f = (0, -1); Q1 elements for both displacement
 * components (FESystem), adaptive refinement with the Kelly indicator on a
 * parallel::distributed::Triangulation, Trilinos linear algebra.
 *
 * Besides the call solver->solve(A, x, b), the program computes the
 * rigid-body modes (the translations in x and y and the rotation (-y, x),
 * which the elasticity operator without boundary conditions annihilates)
 * from its own support points and hands them to the hook with
 * set_structure(). CG with AMG gives them to ML as its near-null space, as
 * deal.II's elasticity programs do; without them ML coarsens as if the
 * system were scalar. `Near null space` in the parameter file chooses the
 * rigid-body modes, the constant mode of each component (deal.II's
 * DoFTools::extract_constant_modes()) or nothing, so the difference shows
 * in the iteration counts. The built-in problem `elasticity` of the
 * dealii-learned driver does the same with the library's
 * rigid_body_modes().
 *
 * Run:   ./elasticity elasticity.prm        (CG + AMG, rigid-body modes)
 *        ./elasticity elasticity-dcdm.prm   (DCDM, neural directions)
 *        mpirun -np 2 ./elasticity elasticity.prm
 */

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/grid_refinement.h>
#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/component_mask.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <deal.II/numerics/error_estimator.h>
#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/shared_libraries.h>
#include <dealii-learned/base/system_structure.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <iostream>
#include <map>
#include <vector>

using namespace dealii;

namespace
{
  constexpr int dim = 2;

  /**
   * The rigid-body modes at the locally owned DoFs, in their order: the
   * translations in x and y and the rotation (-y, x), evaluated at each
   * DoF's support point. map_dofs_to_support_points() knows the points of
   * the locally relevant DoFs; asked for one component at a time, it also
   * says which component a DoF belongs to.
   */
  dealii_learned::SystemStructure
  rigid_body_modes(const Mapping<dim>    &mapping,
                   const DoFHandler<dim> &dof_handler)
  {
    const IndexSet                 &owned = dof_handler.locally_owned_dofs();
    dealii_learned::SystemStructure structure;
    structure.n_components = dim;
    structure.near_null_space.assign(3,
                                     std::vector<double>(owned.n_elements(),
                                                         0.));
    for (unsigned int c = 0; c < dim; ++c)
      {
        std::map<types::global_dof_index, Point<dim>> support_points;
        DoFTools::map_dofs_to_support_points(
          mapping,
          dof_handler,
          support_points,
          dof_handler.get_fe().component_mask(FEValuesExtractors::Scalar(c)));
        for (const auto &[dof, x] : support_points)
          if (owned.is_element(dof))
            {
              const auto row                    = owned.index_within_set(dof);
              structure.near_null_space[c][row] = 1.;
              structure.near_null_space[2][row] = c == 0 ? -x[1] : x[0];
            }
      }
    return structure;
  }


  /** The mean vertical displacement (1/|Omega|) int u_y, by quadrature on
   *  the locally owned cells, summed over the ranks. */
  double
  mean_vertical_displacement(const Mapping<dim>                  &mapping,
                             const DoFHandler<dim>               &dof_handler,
                             const TrilinosWrappers::MPI::Vector &ghosted,
                             const MPI_Comm                       comm)
  {
    const QGauss<dim> quadrature(2);
    FEValues<dim>     fe_values(mapping,
                            dof_handler.get_fe(),
                            quadrature,
                            update_values | update_JxW_values);

    const FEValuesExtractors::Scalar vertical(1);
    std::vector<double>              u_y(quadrature.size());
    double                           integral = 0., area = 0.;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          fe_values[vertical].get_function_values(ghosted, u_y);
          for (const unsigned int q : fe_values.quadrature_point_indices())
            {
              integral += u_y[q] * fe_values.JxW(q);
              area += fe_values.JxW(q);
            }
        }
    return Utilities::MPI::sum(integral, comm) /
           Utilities::MPI::sum(area, comm);
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  const MPI_Comm                   comm = MPI_COMM_WORLD;
  ConditionalOStream               pcout(std::cout,
                           Utilities::MPI::this_mpi_process(comm) == 0);

  try
    {
      // 1. Parameters: the program's own and the `Linear solver` section.
      const std::string parameter_file = argc > 1 ? argv[1] : "";
      if (!parameter_file.empty())
        dealii_learned::load_shared_libraries(
          dealii_learned::read_shared_library_list(parameter_file));
      ParameterHandler prm;
      dealii_learned::declare_shared_library_parameter(prm);
      dealii_learned::LinearSolver::declare_parameters(prm);
      prm.declare_entry("Refinement cycles", "5", Patterns::Integer(1, 20));
      prm.declare_entry(
        "Near null space",
        "rigid body modes",
        Patterns::Selection("rigid body modes|constant modes|none"),
        "What the program tells the solver with set_structure(): the "
        "rigid-body modes from the support points, the constant mode of "
        "each component, or nothing (a scalar system).");
      if (!parameter_file.empty())
        prm.parse_input(parameter_file);
      const std::string near_null_space = prm.get("Near null space");
      std::unique_ptr<dealii_learned::SolverHook> solver =
        dealii_learned::LinearSolver::create(prm);

      // 2. Mesh and element: [-1,1]^2, boundary id 0 on x = -1 (colorize),
      //    Q1 in both components.
      parallel::distributed::Triangulation<dim> tria(comm);
      GridGenerator::hyper_cube(tria, -1., 1., /*colorize=*/true);
      tria.refine_global(4);
      const FESystem<dim> fe(FE_Q<dim>(1), dim);
      const MappingQ<dim> mapping(1);
      DoFHandler<dim>     dof_handler(tria);

      for (unsigned int cycle = 0; cycle < prm.get_integer("Refinement cycles");
           ++cycle)
        {
          // 3. Set up: DoFs, constraints (hanging nodes, the clamped face),
          //    sparsity. deal.II numbers the two components of a vertex
          //    one after the other, as the solvers' structure expects.
          dof_handler.distribute_dofs(fe);
          const IndexSet owned = dof_handler.locally_owned_dofs();
          IndexSet       relevant;
          DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
          AffineConstraints<double> constraints(relevant);
          DoFTools::make_hanging_node_constraints(dof_handler, constraints);
          const Functions::ZeroFunction<dim> clamped(dim);
          VectorTools::interpolate_boundary_values(
            mapping, dof_handler, 0, clamped, constraints);
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

          // 4. Assemble, as step-8 does: for phi_i in component a and
          //    phi_j in component b, lambda d_a phi_i d_b phi_j
          //    + mu d_b phi_i d_a phi_j + mu delta_ab grad phi_i . grad phi_j
          //    (lambda = mu = 1), and the weight -phi_i in component 1.
          const QGauss<dim> quadrature(2);
          FEValues<dim>     fe_values(mapping,
                                  fe,
                                  quadrature,
                                  update_values | update_gradients |
                                    update_JxW_values);

          const unsigned int                   n = fe.n_dofs_per_cell();
          FullMatrix<double>                   cell_matrix(n, n);
          Vector<double>                       cell_rhs(n);
          std::vector<types::global_dof_index> indices(n);
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
                      const unsigned int a =
                        fe.system_to_component_index(i).first;
                      const Tensor<1, dim> grad_i = fe_values.shape_grad(i, q);
                      for (const unsigned int j : fe_values.dof_indices())
                        {
                          const unsigned int b =
                            fe.system_to_component_index(j).first;
                          const Tensor<1, dim> grad_j =
                            fe_values.shape_grad(j, q);
                          cell_matrix(i, j) +=
                            (grad_i[a] * grad_j[b] + grad_i[b] * grad_j[a] +
                             (a == b ? grad_i * grad_j : 0.)) *
                            fe_values.JxW(q);
                        }
                      if (a == 1)
                        cell_rhs(i) -=
                          fe_values.shape_value(i, q) * fe_values.JxW(q);
                    }
                cell->get_dof_indices(indices);
                constraints.distribute_local_to_global(
                  cell_matrix, cell_rhs, indices, A, b);
              }
          A.compress(VectorOperation::add);
          b.compress(VectorOperation::add);

          // 5. Tell the hook what the program knows about the system, then
          //    solve with the method the parameter file selected.
          if (near_null_space == "rigid body modes")
            solver->set_structure(rigid_body_modes(mapping, dof_handler));
          else if (near_null_space == "constant modes")
            {
              std::vector<std::vector<bool>> modes;
              DoFTools::extract_constant_modes(dof_handler,
                                               ComponentMask(dim, true),
                                               modes);
              solver->set_structure(
                dealii_learned::SystemStructure::from_constant_modes(modes));
            }
          const dealii_learned::SolverReport report = solver->solve(A, x, b);
          constraints.distribute(x);
          TrilinosWrappers::MPI::Vector ghosted(owned, relevant, comm);
          ghosted = x;
          const double mean_u_y =
            mean_vertical_displacement(mapping, dof_handler, ghosted, comm);
          pcout << "cycle " << cycle << ": " << dof_handler.n_dofs()
                << " DoFs, " << report.method << "(" << report.preconditioner
                << ") " << report.iterations
                << " iterations, relative residual " << report.relative_residual
                << (report.converged ? ", converged" : ", NOT converged")
                << "\n  mean vertical displacement " << mean_u_y << "\n";

          // 6. Estimate and refine.
          Vector<float> indicators(tria.n_active_cells());
          KellyErrorEstimator<dim>::estimate(
            mapping, dof_handler, QGauss<dim - 1>(2), {}, ghosted, indicators);
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
      std::cerr << "elasticity: error: " << dealii_learned::error_message(e)
                << std::endl;
      return 1;
    }
  return 0;
}
