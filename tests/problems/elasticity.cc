// The built-in `elasticity` problem (step-8's system: a cantilever of stiff
// and soft blocks, clamped at x = -1, under its own weight) and the
// rigid-body modes it gives the solvers, in 2-D Q1 and Q2 and 3-D Q1:
// - advance() hands them to the hook: after the solve the hook holds the
//   problem's structure (dim components; dim translations and
//   dim (dim - 1) / 2 rotations, one entry per locally owned DoF);
// - the assembled matrix annihilates them on every row whose cells touch no
//   constrained DoF (on the first, uniform mesh: all rows but those next to
//   the clamped face, the free boundary and the material interfaces
//   included), and does not annihilate a shear (u = (y, x, 0)), whose
//   stress is constant but meets the free boundary and jumps across the
//   interfaces, so that the check can fail;
// - the matrix is symmetric (u^T A v = v^T A u);
// - cg with amg converges, the cantilever sags (the vertical nodal
//   displacements sum to a negative number) and, on the 64 x 64 mesh, the
//   rigid-body modes take fewer iterations than the same solver without
//   them (as if scalar);
// - rigid_body_modes() refuses a scalar element, the problem degree 3.
// Serial and on two ranks.

#include <deal.II/base/parameter_handler.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/problems/problem.h>
#include <dealii-learned/problems/rigid_body_modes.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

namespace
{
  /** @p values (one per locally owned DoF, in their order) as a vector. */
  TrilinosWrappers::MPI::Vector
  to_vector(const std::vector<double> &values,
            const IndexSet            &owned,
            const MPI_Comm             comm)
  {
    TrilinosWrappers::MPI::Vector v(owned, comm);
    for (unsigned int k = 0; k < values.size(); ++k)
      v[owned.nth_index_in_set(k)] = values[k];
    v.compress(VectorOperation::insert);
    return v;
  }


  /** The DoFs of the cells (owned or ghost) that have a constrained DoF:
   *  the rows of A that the constraints changed. */
  template <int dim>
  std::set<types::global_dof_index>
  rows_near_constraints(const Problem<dim> &problem)
  {
    const auto                       &dof_handler = problem.get_dof_handler();
    const auto                       &constraints = problem.get_constraints();
    std::set<types::global_dof_index> rows;
    std::vector<types::global_dof_index> indices(
      dof_handler.get_fe().n_dofs_per_cell());
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (!cell->is_artificial())
        {
          cell->get_dof_indices(indices);
          if (std::any_of(indices.begin(),
                          indices.end(),
                          [&](const types::global_dof_index i) {
                            return constraints.is_constrained(i);
                          }))
            rows.insert(indices.begin(), indices.end());
        }
    return rows;
  }


  /** max |(A v)_i| / (||A||_inf ||v||_inf) over the owned rows not in
   *  @p near, on all ranks. */
  double
  largest_row(const TrilinosWrappers::SparseMatrix    &A,
              const TrilinosWrappers::MPI::Vector     &v,
              const std::set<types::global_dof_index> &near,
              const MPI_Comm                           comm)
  {
    TrilinosWrappers::MPI::Vector Av(v);
    A.vmult(Av, v);
    const double scale   = A.linfty_norm() * v.linfty_norm();
    double       largest = 0.;
    for (const auto i : Av.locally_owned_elements())
      if (near.count(i) == 0)
        {
          const double row = Av(i);
          largest          = std::max(largest, std::abs(row) / scale);
        }
    return Utilities::MPI::max(largest, comm);
  }


  ParameterHandler &
  parameters()
  {
    static ParameterHandler prm;
    static bool             declared = false;
    if (!declared)
      {
        ProblemParameters::declare_parameters(prm);
        LinearSolver::declare_parameters(prm);
        declared = true;
      }
    return prm;
  }


  template <int dim>
  void
  check(const unsigned int degree,
        const unsigned int refinement,
        const bool         compare_with_scalar)
  {
    const MPI_Comm  comm = MPI_COMM_WORLD;
    ProblemSettings settings;
    settings.name                      = "elasticity";
    settings.dimension                 = dim;
    settings.fe_degree                 = degree;
    settings.initial_global_refinement = refinement;
    auto problem = ProblemParameters::create<dim>(settings, parameters(), comm);

    SolverSettings solver_settings;
    solver_settings.method             = "cg";
    solver_settings.preconditioner     = "amg";
    solver_settings.relative_tolerance = 1e-10;
    auto solver = LinearSolver::create(solver_settings, parameters(), comm);
    problem->advance(0, *solver);
    const SolverReport with_modes = solver->last_report();

    // What the hook was given, against what the problem says.
    const IndexSet       &owned = problem->locally_owned_dofs();
    const SystemStructure given = solver->get_structure();
    const SystemStructure modes = problem->system_structure();
    bool                  same  = given.n_components == modes.n_components &&
                given.near_null_space == modes.near_null_space;
    bool one_per_owned_dof = true;
    for (const auto &mode : modes.near_null_space)
      one_per_owned_dof =
        one_per_owned_dof && mode.size() == owned.n_elements();
    same = Utilities::MPI::min(same ? 1 : 0, comm) == 1;
    one_per_owned_dof =
      Utilities::MPI::min(one_per_owned_dof ? 1 : 0, comm) == 1;
    deallog << dim << "-D Q" << degree << ": components " << given.n_components
            << ", modes " << given.near_null_space.size()
            << ", the problem's: " << same
            << ", one entry per owned DoF: " << one_per_owned_dof << std::endl;

    // A r = 0 away from the constraints, for every mode; not for a shear:
    // the first rotation (-y, x, 0) with its first component negated.
    const auto &A             = problem->system_matrix;
    const auto  near          = rows_near_constraints(*problem);
    double      rigid_largest = 0.;
    for (const auto &mode : modes.near_null_space)
      rigid_largest =
        std::max(rigid_largest,
                 largest_row(A, to_vector(mode, owned, comm), near, comm));
    std::vector<double> shear = modes.near_null_space[dim];
    for (unsigned int k = 0; k < shear.size(); ++k)
      if (modes.near_null_space[0][k] == 1.)
        shear[k] = -shear[k];
    const double shear_largest =
      largest_row(A, to_vector(shear, owned, comm), near, comm);
    unsigned int n_far = 0;
    for (const auto i : owned)
      n_far += near.count(i) == 0 ? 1 : 0;
    n_far = Utilities::MPI::sum(n_far, comm);
    deallog << "  A annihilates them away from the clamped face: "
            << (rigid_largest < 1e-10) << " (rows checked: " << (n_far > 0)
            << "), and not a shear: " << (shear_largest > 1e-6) << std::endl;

    // Symmetry, with two vectors that are neither.
    TrilinosWrappers::MPI::Vector v(owned, comm), w(owned, comm);
    for (const auto i : owned)
      {
        v[i] = std::sin(1. + i);
        w[i] = std::cos(3. * i);
      }
    v.compress(VectorOperation::insert);
    w.compress(VectorOperation::insert);
    const double vAw       = A.matrix_scalar_product(v, w);
    const double wAv       = A.matrix_scalar_product(w, v);
    const double bound     = A.frobenius_norm() * v.l2_norm() * w.l2_norm();
    const bool   symmetric = std::abs(vAw - wAv) <= 1e-12 * bound;

    // The vertical translation picks the vertical nodal displacements.
    const double vertical_sum =
      to_vector(modes.near_null_space[dim - 1], owned, comm) *
      problem->solution;
    deallog << "  symmetric: " << symmetric
            << ", converged: " << with_modes.converged
            << ", sags: " << (vertical_sum < 0.) << std::endl;

    if (compare_with_scalar)
      {
        auto scalar = LinearSolver::create(solver_settings, parameters(), comm);
        TrilinosWrappers::MPI::Vector x(owned, comm);
        const SolverReport as_scalar = scalar->solve(A, x, problem->system_rhs);
        // The exact counts on the terminal only (ML's aggregates depend on
        // the partition).
        std::cout << "iterations: rigid-body modes " << with_modes.iterations
                  << ", scalar " << as_scalar.iterations << std::endl;
        deallog << "  fewer iterations than without the modes: "
                << (with_modes.iterations < as_scalar.iterations) << std::endl;
      }
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  const MPI_Comm                   comm = MPI_COMM_WORLD;

  check<2>(1, 5, true);
  check<2>(2, 3, false);
  check<3>(1, 2, false);

  // A scalar element has no rigid-body modes.
  {
    parallel::distributed::Triangulation<2> triangulation(comm);
    GridGenerator::hyper_cube(triangulation);
    triangulation.refine_global(2);
    DoFHandler<2> dof_handler(triangulation);
    dof_handler.distribute_dofs(FE_Q<2>(1));
    try
      {
        rigid_body_modes<2>(MappingQ<2>(1), dof_handler);
        deallog << "rigid_body_modes of FE_Q: no error (wrong)" << std::endl;
      }
    catch (const std::exception &e)
      {
        deallog << "rigid_body_modes of FE_Q refused, naming the count: "
                << (error_message(e).find("has 1 vector components") !=
                    std::string::npos)
                << std::endl;
      }
  }

  // Degree 3 would number the components of a point apart.
  {
    ProblemSettings settings;
    settings.name                      = "elasticity";
    settings.fe_degree                 = 3;
    settings.initial_global_refinement = 1;
    try
      {
        ProblemParameters::create<2>(settings, parameters(), comm);
        deallog << "degree 3: no error (wrong)" << std::endl;
      }
    catch (const std::exception &e)
      {
        deallog << "degree 3 refused: "
                << (error_message(e).find("Q1 and Q2") != std::string::npos)
                << std::endl;
      }
  }
}
