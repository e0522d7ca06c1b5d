/*
 * probconserv_heat: a user's own deal.II time loop that makes a surrogate's
 * prediction conserve mass with the `prob-conserv` postprocessor.
 *
 * The program solves the heat equation u_t = Laplace u on the unit square
 * with no flux through the boundary and u0 = 1 + cos(pi x) cos(pi y), so
 * the integral of u stays 1 for all time. Each time step it
 *   1. solves the implicit Euler step with the finite element method (its
 *      own reference), and
 *   2. takes a cheap surrogate prediction of the same field: the last
 *      solution damped by the decay of the slowest mode, with a bias of 2%,
 *      which does not conserve mass, and a variance per DoF;
 *   3. hands the prediction to prob-conserv (Prior = field in its .prm),
 *      which replaces it by the posterior mean, whose integral is 1 to
 *      round-off, and reports the conservation error and the error against
 *      the reference before and after.
 * The only dealii-learned parts are the `Postprocessors` section, the
 * FieldContext (what the host knows: its mesh, the conserved integral, the
 * prediction, the reference) and the execute() call.
 *
 * Run:   ./probconserv_heat probconserv_heat.prm
 *        mpirun -np 2 ./probconserv_heat probconserv_heat.prm
 */

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/gaussian_field.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>

#include <cmath>
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
      // 1. Parameters: the program's own and the postprocessors.
      ParameterHandler prm;
      prm.declare_entry("Time steps", "10", Patterns::Integer(1));
      prm.declare_entry("Time step", "0.005", Patterns::Double(0.));
      dealii_learned::PostprocessorParameters::declare_parameters(prm);
      if (argc > 1)
        prm.parse_input(argv[1]);
      auto postprocessors =
        dealii_learned::PostprocessorParameters::create<2>(prm);

      // 2. Mesh, element, the heat equation's matrices.
      parallel::distributed::Triangulation<2> tria(comm);
      GridGenerator::hyper_cube(tria);
      tria.refine_global(5);
      const FE_Q<2>     fe(1);
      const MappingQ<2> mapping(1);
      const QGauss<2>   quadrature(2);
      DoFHandler<2>     dof_handler(tria);
      dof_handler.distribute_dofs(fe);
      const IndexSet owned = dof_handler.locally_owned_dofs();
      IndexSet       relevant;
      DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
      AffineConstraints<double> constraints(relevant);
      constraints.close(); // no flux: no boundary constraints
      DynamicSparsityPattern dsp(relevant);
      DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
      SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);

      const double                   dt = prm.get_double("Time step");
      TrilinosWrappers::SparseMatrix system, mass;
      system.reinit(owned, owned, dsp, comm);
      mass.reinit(owned, owned, dsp, comm);
      {
        FEValues<2>                          fe_values(mapping,
                              fe,
                              quadrature,
                              update_values | update_gradients |
                                update_JxW_values);
        FullMatrix<double>                   cell_system(4, 4), cell_mass(4, 4);
        std::vector<types::global_dof_index> indices(4);
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              fe_values.reinit(cell);
              cell_system = 0.;
              cell_mass   = 0.;
              for (const unsigned int q : fe_values.quadrature_point_indices())
                for (const unsigned int i : fe_values.dof_indices())
                  for (const unsigned int j : fe_values.dof_indices())
                    {
                      const double m = fe_values.shape_value(i, q) *
                                       fe_values.shape_value(j, q) *
                                       fe_values.JxW(q);
                      cell_mass(i, j) += m;
                      cell_system(i, j) += m + dt * fe_values.shape_grad(i, q) *
                                                 fe_values.shape_grad(j, q) *
                                                 fe_values.JxW(q);
                    }
              cell->get_dof_indices(indices);
              constraints.distribute_local_to_global(cell_system,
                                                     indices,
                                                     system);
              constraints.distribute_local_to_global(cell_mass, indices, mass);
            }
        system.compress(VectorOperation::add);
        mass.compress(VectorOperation::add);
      }
      TrilinosWrappers::PreconditionAMG amg;
      amg.initialize(system);

      TrilinosWrappers::MPI::Vector solution(owned, comm), rhs(owned, comm);
      VectorTools::interpolate(mapping,
                               dof_handler,
                               ScalarFunctionFromFunctionObject<2>(
                                 [](const Point<2> &p) {
                                   return 1. + std::cos(M_PI * p[0]) *
                                                 std::cos(M_PI * p[1]);
                                 }),
                               solution);

      const unsigned int n_steps = prm.get_integer("Time steps");
      for (unsigned int step = 1; step <= n_steps; ++step)
        {
          // 3. The program's own time step: (M + dt K) u = M u_old.
          TrilinosWrappers::MPI::Vector previous(solution);
          mass.vmult(rhs, previous);
          SolverControl control(1000, 1e-12 * rhs.l2_norm());
          SolverCG<TrilinosWrappers::MPI::Vector>(control).solve(system,
                                                                 solution,
                                                                 rhs,
                                                                 amg);

          // 4. A surrogate's prediction of the same field: the old field
          //    scaled by 1.02 exp(-2 pi^2 dt) (the decay of the slowest
          //    mode, 2% too weak, applied to the mean too, which does not
          //    decay: the prediction holds 7.6% too little of the
          //    integral), with a variance that grows with the field.
          TrilinosWrappers::MPI::Vector prediction(previous),
            variance(previous);
          prediction *= 1.02 * std::exp(-2. * M_PI * M_PI * dt);
          for (const auto i : owned)
            variance[i] = 1e-4 * (1. + std::abs(prediction[i]));
          variance.compress(VectorOperation::insert);
          const auto prior =
            dealii_learned::GaussianField::diagonal(prediction, variance);

          // 5. What prob-conserv needs of the host, and the call.
          dealii_learned::FieldContext<2> context{comm,
                                                  dof_handler,
                                                  mapping,
                                                  constraints,
                                                  quadrature,
                                                  owned,
                                                  relevant,
                                                  step,
                                                  step * dt,
                                                  ".",
                                                  "u",
                                                  {}};
          context.conserved_integral = 1.;
          context.prior              = &prior;
          context.reference          = &solution;
          TrilinosWrappers::MPI::Vector corrected(prediction);
          for (auto &p : postprocessors)
            for (const auto &[name, value] :
                 p.second->execute(context, corrected))
              if (name.find("conservation_error") == 0 || name.find("mse") == 0)
                pcout << "step " << step << ": " << name << " "
                      << dealii_learned::format_number(value) << '\n';
        }
    }
  catch (const std::exception &e)
    {
      std::cerr << "probconserv_heat: error: "
                << dealii_learned::error_message(e) << std::endl;
      return 1;
    }
  return 0;
}
