// The host's structure reaches the solvers: a 2-D linear elasticity system
// (Q1^2 on a distributed mesh with hanging nodes, clamped on the left,
// loaded by gravity), assembled as deal.II's step-8 does, solved by the
// `cg` hook with `amg`
// - as if scalar (ML aggregates single unknowns around one constant);
// - with `Components per point = 2` (ML gets the two constant modes);
// - with the rigid-body modes the program computes from its support points
//   and gives through SolverHook::set_structure(), as deal.II's elasticity
//   programs give ML its near-null space;
// and checks that the near-null space pays (fewer iterations than scalar;
// the rigid-body modes at least as few as the constant ones) and that all
// three solutions agree. Then bad structure, each a named error on every
// rank: a vector of the wrong length on the last rank only, dependent
// modes, a component count that does not divide the size. Serial and on
// two ranks.

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

constexpr int dim = 2;

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  const MPI_Comm                   comm = MPI_COMM_WORLD;

  // The mesh: [0, 1]^2, 64 x 64 cells, the lower left quarter refined once
  // (hanging nodes).
  parallel::distributed::Triangulation<dim> triangulation(comm);
  GridGenerator::hyper_cube(triangulation, 0., 1., /*colorize=*/true);
  triangulation.refine_global(6);
  for (const auto &cell : triangulation.active_cell_iterators())
    if (cell->is_locally_owned() && cell->center()[0] < 0.5 &&
        cell->center()[1] < 0.5)
      cell->set_refine_flag();
  triangulation.execute_coarsening_and_refinement();

  const FESystem<dim> fe(FE_Q<dim>(1), dim);
  DoFHandler<dim>     dof_handler(triangulation);
  dof_handler.distribute_dofs(fe);
  const IndexSet owned = dof_handler.locally_owned_dofs();
  IndexSet       relevant;
  DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);

  AffineConstraints<double> constraints(relevant);
  DoFTools::make_hanging_node_constraints(dof_handler, constraints);
  VectorTools::interpolate_boundary_values(dof_handler,
                                           0, // x = 0
                                           Functions::ZeroFunction<dim>(dim),
                                           constraints);
  constraints.close();

  DynamicSparsityPattern dsp(relevant);
  DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
  SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
  TrilinosWrappers::SparseMatrix A;
  A.reinit(owned, owned, dsp, comm);
  TrilinosWrappers::MPI::Vector b(owned, comm), x(owned, comm);

  // Isotropic elasticity, lambda = mu = 1, gravity (0, -1).
  const QGauss<dim>  quadrature(2);
  FEValues<dim>      fe_values(fe,
                          quadrature,
                          update_values | update_gradients |
                            update_JxW_values);
  const unsigned int n = fe.n_dofs_per_cell();
  FullMatrix<double> cell_matrix(n, n);
  Vector<double>     cell_rhs(n);
  std::vector<types::global_dof_index> indices(n);
  for (const auto &cell : dof_handler.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        fe_values.reinit(cell);
        cell_matrix = 0.;
        cell_rhs    = 0.;
        for (unsigned int q = 0; q < quadrature.size(); ++q)
          for (unsigned int i = 0; i < n; ++i)
            {
              const unsigned int ci = fe.system_to_component_index(i).first;
              for (unsigned int j = 0; j < n; ++j)
                {
                  const unsigned int cj =
                    fe.system_to_component_index(j).first;
                  cell_matrix(i, j) +=
                    (fe_values.shape_grad(i, q)[ci] *
                       fe_values.shape_grad(j, q)[cj] +
                     fe_values.shape_grad(i, q)[cj] *
                       fe_values.shape_grad(j, q)[ci] +
                     (ci == cj ? fe_values.shape_grad(i, q) *
                                   fe_values.shape_grad(j, q) :
                                 0.)) *
                    fe_values.JxW(q);
                }
              if (ci == 1)
                cell_rhs(i) -= fe_values.shape_value(i, q) * fe_values.JxW(q);
            }
        cell->get_dof_indices(indices);
        constraints.distribute_local_to_global(
          cell_matrix, cell_rhs, indices, A, b);
      }
  A.compress(VectorOperation::add);
  b.compress(VectorOperation::add);
  deallog << "n_dofs " << dof_handler.n_dofs() << std::endl;

  // The rigid-body modes at the locally owned DoFs, from the support points
  // (the vertices, for Q1): translations in x and y, the rotation (-y, x).
  std::vector<std::vector<double>> rigid(3,
                                         std::vector<double>(owned.n_elements()));
  for (const auto &cell : dof_handler.active_cell_iterators())
    if (cell->is_locally_owned())
      {
        cell->get_dof_indices(indices);
        for (unsigned int i = 0; i < n; ++i)
          if (owned.is_element(indices[i]))
            {
              const auto [component, vertex] = fe.system_to_component_index(i);
              const Point<dim> p = cell->vertex(vertex);
              const auto       r = owned.index_within_set(indices[i]);
              rigid[component][r] = 1.;
              rigid[2][r]         = component == 0 ? -p[1] : p[0];
            }
      }

  ParameterHandler prm;
  LinearSolver::declare_parameters(prm);
  std::vector<TrilinosWrappers::MPI::Vector> solutions;
  std::vector<unsigned int>                  iterations;
  for (const std::string variant : {"scalar", "components", "rigid"})
    {
      SolverSettings s;
      s.preconditioner     = "amg";
      s.relative_tolerance = 1e-10;
      s.n_components       = variant == "scalar" ? 1 : 2;
      auto hook            = LinearSolver::create(s, prm);
      if (variant == "rigid")
        {
          SystemStructure structure;
          structure.n_components    = dim;
          structure.near_null_space = rigid;
          hook->set_structure(structure);
        }
      x                    = 0.;
      const SolverReport r = hook->solve(A, x, b);
      constraints.distribute(x);
      solutions.push_back(x);
      iterations.push_back(r.iterations);
      // The exact count, on the terminal only (ML's aggregates depend on
      // the partition).
      std::cout << variant << ' ' << r.iterations << std::endl;
      deallog << variant << ": converged " << r.converged;
      for (const auto &[name, value] : r.details)
        if (name.rfind("amg_", 0) == 0 && name != "amg_reused")
          deallog << ", " << name << ' ' << value;
      deallog << std::endl;
    }
  TrilinosWrappers::MPI::Vector difference(solutions[0]);
  double                        largest = 0.;
  for (unsigned int k = 1; k < solutions.size(); ++k)
    {
      difference = solutions[k];
      difference -= solutions[0];
      largest = std::max(largest, difference.l2_norm() / solutions[0].l2_norm());
    }
  deallog << "the constant modes take fewer iterations than scalar: "
          << (iterations[1] < iterations[0])
          << ", the rigid-body modes fewer than scalar: "
          << (iterations[2] < iterations[0])
          << ", and at most as many as the constant modes: "
          << (iterations[2] <= iterations[1])
          << ", the same solution (to 1e-7): " << (largest < 1e-7)
          << std::endl;

  // Bad structure.
  const bool last_rank =
    Utilities::MPI::this_mpi_process(comm) + 1 ==
    Utilities::MPI::n_mpi_processes(comm);
  const auto try_structure = [&](const std::string     &title,
                                 const SystemStructure &structure) {
    expect_exception(title, [&]() {
      SolverSettings s;
      s.preconditioner = "amg";
      auto hook        = LinearSolver::create(s, prm);
      hook->set_structure(structure);
      x = 0.;
      hook->solve(A, x, b);
    });
  };
  {
    SystemStructure structure;
    structure.n_components    = dim;
    structure.near_null_space = rigid;
    if (last_rank)
      structure.near_null_space[1].push_back(0.);
    try_structure("wrong length on the last rank", structure);
  }
  {
    SystemStructure structure;
    structure.n_components    = dim;
    structure.near_null_space = {rigid[0], rigid[1], rigid[0]};
    try_structure("dependent modes", structure);
  }
  {
    SystemStructure structure;
    structure.n_components = 3;
    try_structure("3 components", structure);
  }
}
