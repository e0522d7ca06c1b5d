/*
 * hard_constraint_diffusion: a user's own deal.II program that replaces its
 * solve by a neural solver with the `hard-constraint` postprocessor.
 *
 * The program solves -div(eps grad u) + kappa u = f on [-1, 1]^2, u = 0 on
 * the boundary, with a checkerboard coefficient (eps = contrast where
 * x y > 0, 1 elsewhere) and a constant source, on a distributed mesh
 * refined once more around the centre (so there are hanging nodes), with
 * CG and AMG: its own reference. It then hands the field to the
 * postprocessors its parameter file lists; `hard-constraint` evaluates a
 * trained model (made by `dealii-learned train train-hard-constraint.prm`)
 * for the program's (contrast, reaction, source), makes the prediction
 * satisfy the weak form on each expert's cells of this mesh with these
 * constraints, replaces the field, and reports the error against the
 * program's solution, the residual, the largest expert residual and the
 * jump between experts.
 *
 * The only dealii-learned parts are the `Postprocessors` section, the
 * FieldContext (the host's mesh, its constraints, its parameters by name)
 * and the execute() call.
 *
 * Run:   dealii-learned train train-hard-constraint.prm
 *        ./hard_constraint_diffusion hard_constraint_diffusion.prm
 *        mpirun -np 2 ./hard_constraint_diffusion hard_constraint_diffusion.prm
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
      prm.declare_entry("Contrast", "10", Patterns::Double(1.));
      prm.declare_entry("Reaction", "1", Patterns::Double(0.));
      prm.declare_entry("Source", "1", Patterns::Double());
      prm.declare_entry("Global refinement", "5", Patterns::Integer(1, 10));
      dealii_learned::PostprocessorParameters::declare_parameters(prm);
      if (argc > 1)
        prm.parse_input(argv[1]);
      auto postprocessors =
        dealii_learned::PostprocessorParameters::create<2>(prm);
      const double contrast = prm.get_double("Contrast");
      const double reaction = prm.get_double("Reaction");
      const double source   = prm.get_double("Source");

      // 2. The mesh: refined once more where |x|, |y| < 0.5.
      parallel::distributed::Triangulation<2> tria(comm);
      GridGenerator::hyper_cube(tria, -1., 1.);
      tria.refine_global(prm.get_integer("Global refinement"));
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && std::abs(cell->center()[0]) < 0.5 &&
            std::abs(cell->center()[1]) < 0.5)
          cell->set_refine_flag();
      tria.execute_coarsening_and_refinement();
      const FE_Q<2>     fe(1);
      const MappingQ<2> mapping(1);
      const QGauss<2>   quadrature(2);
      DoFHandler<2>     dof_handler(tria);
      dof_handler.distribute_dofs(fe);
      const IndexSet owned = dof_handler.locally_owned_dofs();
      IndexSet       relevant;
      DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
      AffineConstraints<double> constraints(relevant);
      DoFTools::make_hanging_node_constraints(dof_handler, constraints);
      VectorTools::interpolate_boundary_values(
        mapping, dof_handler, 0, Functions::ZeroFunction<2>(), constraints);
      constraints.close();
      DynamicSparsityPattern dsp(relevant);
      DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
      SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
      pcout << "mesh: " << tria.n_global_active_cells() << " cells, "
            << dof_handler.n_dofs() << " DoFs" << std::endl;

      // 3. The program's own solution, with CG and AMG.
      TrilinosWrappers::MPI::Vector  solution(owned, comm), rhs(owned, comm);
      TrilinosWrappers::SparseMatrix matrix;
      matrix.reinit(owned, owned, dsp, comm);
      {
        FEValues<2>                          fe_values(mapping,
                              fe,
                              quadrature,
                              update_values | update_gradients |
                                update_quadrature_points | update_JxW_values);
        FullMatrix<double>                   cell_matrix(4, 4);
        Vector<double>                       cell_rhs(4);
        std::vector<types::global_dof_index> indices(4);
        rhs = 0.;
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              fe_values.reinit(cell);
              cell_matrix = 0.;
              cell_rhs    = 0.;
              for (const unsigned int q : fe_values.quadrature_point_indices())
                {
                  const Point<2> &x   = fe_values.quadrature_point(q);
                  const double    eps = x[0] * x[1] > 0. ? contrast : 1.;
                  for (const unsigned int i : fe_values.dof_indices())
                    {
                      for (const unsigned int j : fe_values.dof_indices())
                        cell_matrix(i, j) +=
                          (eps * fe_values.shape_grad(i, q) *
                             fe_values.shape_grad(j, q) +
                           reaction * fe_values.shape_value(i, q) *
                             fe_values.shape_value(j, q)) *
                          fe_values.JxW(q);
                      cell_rhs(i) +=
                        source * fe_values.shape_value(i, q) * fe_values.JxW(q);
                    }
                }
              cell->get_dof_indices(indices);
              constraints.distribute_local_to_global(
                cell_matrix, cell_rhs, indices, matrix, rhs);
            }
        matrix.compress(VectorOperation::add);
        rhs.compress(VectorOperation::add);
        TrilinosWrappers::PreconditionAMG amg;
        amg.initialize(matrix);
        SolverControl control(1000, 1e-12 * rhs.l2_norm());
        SolverCG<TrilinosWrappers::MPI::Vector>(control).solve(matrix,
                                                               solution,
                                                               rhs,
                                                               amg);
        constraints.distribute(solution);
        pcout << "finite element solution: " << control.last_step()
              << " CG iterations" << std::endl;
      }

      // 4. What the postprocessors need of the host, and the call. The
      //    field handed in is the program's solution: hard-constraint
      //    compares the neural solver's field with it, then replaces it.
      dealii_learned::FieldContext<2> context{
        comm, dof_handler, mapping, constraints, quadrature, owned, relevant};
      context.field_name = "u";
      context.parameters = {{"contrast", contrast},
                            {"reaction", reaction},
                            {"source", source},
                            {"seed", 0.}};
      TrilinosWrappers::MPI::Vector field(solution);
      for (auto &p : postprocessors)
        for (const auto &[name, value] : p.second->execute(context, field))
          if (name.find("seconds") == std::string::npos)
            pcout << p.first << ": " << name << " "
                  << dealii_learned::format_number(value) << std::endl;
      field -= solution;
      pcout << "the field now differs from the program's solution by "
            << dealii_learned::format_number(field.l2_norm() /
                                             solution.l2_norm())
            << " (relative)" << std::endl;
    }
  catch (const std::exception &e)
    {
      std::cerr << "hard_constraint_diffusion: error: "
                << dealii_learned::error_message(e) << std::endl;
      return 1;
    }
  return 0;
}
