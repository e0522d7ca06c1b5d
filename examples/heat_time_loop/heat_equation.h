#pragma once

/*
 * The time loop of examples/heat_time_loop: deal.II's step-26 (the heat
 * equation with moving sources, adaptive mesh, Crank-Nicolson) on a
 * parallel::distributed::Triangulation with Trilinos linear algebra. The
 * program (heat_time_loop.cc) and the time-loop mode of
 * benchmark_solver_comparison both run it; they differ only in what solves
 * the system of each step.
 *
 *   du/dt - Laplace u = f(x, t)   on the L-shape (-1,1)^2 \ [0,1)x(-1,0],
 *   u = 0 on the boundary, u = 0 at t = 0,
 *
 * where f = 1 on (0.5,1)x(-0.5,1) in the first fifth of every period of
 * 0.2 time units, f = 1 on (-0.5,1)x(0.5,1) in the sixth and seventh
 * tenths, and 0 otherwise (the sources of step-26). The theta scheme with
 * time step k,
 *   (M + k theta A) u^n = (M - k (1 - theta) A) u^{n-1}
 *                         + k (theta F^n + (1 - theta) F^{n-1}),
 * is assembled with the constraints (hanging nodes, the boundary values)
 * eliminated: one SPD system per step, whose matrix changes only when the
 * mesh does. Every `Remesh every` steps the Kelly indicator refines 60% and
 * coarsens 40% of the error (fixed fraction, as step-26), between the
 * initial global level and `Adaptive levels` above it, and the solution is
 * carried over with parallel::distributed::SolutionTransfer.
 */

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>

#include <deal.II/distributed/grid_refinement.h>
#include <deal.II/distributed/solution_transfer.h>
#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <deal.II/numerics/error_estimator.h>
#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/solvers/solver_hook.h>

#include <cmath>
#include <functional>
#include <vector>

namespace heat_time_loop
{
  using namespace dealii;

  /** The parameters of the time loop (the program's own section). */
  struct HeatSettings
  {
    /** Global refinements of the L-shape (3 cells) before the loop. */
    unsigned int initial_refinement = 4;
    /** How many levels the adaptive mesh may refine above the initial. */
    unsigned int adaptive_levels = 2;
    double       time_step       = 1. / 500;
    double       theta           = 0.5;
    unsigned int n_steps         = 250;
    unsigned int remesh_every    = 5;

    static void
    declare_parameters(ParameterHandler &prm)
    {
      prm.enter_subsection("Heat equation");
      prm.declare_entry("Initial refinement",
                        "4",
                        Patterns::Integer(1, 12),
                        "Global refinements of the L-shape before the loop.");
      prm.declare_entry("Adaptive levels",
                        "2",
                        Patterns::Integer(0, 8),
                        "Levels the mesh may refine above the initial one.");
      prm.declare_entry("Time step", "0.002", Patterns::Double(1e-8, 1.));
      prm.declare_entry("Theta",
                        "0.5",
                        Patterns::Double(0.5, 1.),
                        "0.5: Crank-Nicolson, 1: implicit Euler.");
      prm.declare_entry("Number of steps", "250", Patterns::Integer(1));
      prm.declare_entry("Remesh every",
                        "5",
                        Patterns::Integer(0),
                        "Steps between remeshings (0: never).");
      prm.leave_subsection();
    }

    void
    parse_parameters(ParameterHandler &prm)
    {
      prm.enter_subsection("Heat equation");
      initial_refinement = prm.get_integer("Initial refinement");
      adaptive_levels    = prm.get_integer("Adaptive levels");
      time_step          = prm.get_double("Time step");
      theta              = prm.get_double("Theta");
      n_steps            = prm.get_integer("Number of steps");
      remesh_every       = prm.get_integer("Remesh every");
      prm.leave_subsection();
    }
  };


  /** What one step did. */
  struct StepResult
  {
    unsigned int                    step     = 0;
    double                          time     = 0.;
    types::global_dof_index         n_dofs   = 0;
    bool                            remeshed = false;
    dealii_learned::SolverReport    report;
    /** (1/|Omega|) int u, after the step. */
    double mean_temperature = 0.;
  };


  /** What solves the system of a step: A x = b, x holding the previous
   *  step's solution as the initial guess (a solver hook's solve()). */
  using SolveFunction = std::function<dealii_learned::SolverReport(
    const TrilinosWrappers::SparseMatrix &,
    TrilinosWrappers::MPI::Vector &,
    const TrilinosWrappers::MPI::Vector &)>;


  /** step-26's sources: on in the first fifth and in the sixth and seventh
   *  tenth of each period of 0.2. */
  template <int dim>
  double
  heat_source(const Point<dim> &p, const double t)
  {
    const double period = 0.2;
    const double phase  = t / period - std::floor(t / period);
    if (phase <= 0.2)
      return p[0] > 0.5 && p[1] > -0.5 ? 1. : 0.;
    if (phase >= 0.5 && phase <= 0.7)
      return p[0] > -0.5 && p[1] > 0.5 ? 1. : 0.;
    return 0.;
  }


  template <int dim>
  class HeatEquation
  {
  public:
    HeatEquation(const MPI_Comm comm, const HeatSettings &settings)
      : comm(comm)
      , settings(settings)
      , triangulation(comm,
                      typename Triangulation<dim>::MeshSmoothing(
                        Triangulation<dim>::smoothing_on_refinement |
                        Triangulation<dim>::smoothing_on_coarsening))
      , fe(1)
      , mapping(1)
      , dof_handler(triangulation)
    {
      GridGenerator::hyper_L(triangulation);
      triangulation.refine_global(settings.initial_refinement);
      setup_system();
      solution = 0.;
    }

    /** Whether every step has been done. */
    bool
    finished() const
    {
      return step_number >= settings.n_steps;
    }

    /**
     * One step: remesh if due (before the step, from the previous
     * solution), assemble (the matrix only after the mesh changed), solve
     * with @p solve from the previous solution, and distribute the
     * constraints. Throws what @p solve throws.
     */
    StepResult
    do_step(const SolveFunction &solve)
    {
      StepResult result;
      if (settings.remesh_every > 0 && step_number > 0 &&
          step_number % settings.remesh_every == 0)
        result.remeshed = remesh();
      ++step_number;
      time += settings.time_step;
      assemble(matrix_changed);
      matrix_changed = false;

      constraints.set_zero(solution);
      result.report = solve(system_matrix, solution, system_rhs);
      constraints.distribute(solution);
      ghosted = solution;

      result.step             = step_number;
      result.time             = time;
      result.n_dofs           = dof_handler.n_dofs();
      result.mean_temperature = mean_value();
      return result;
    }

    const DoFHandler<dim> &
    get_dof_handler() const
    {
      return dof_handler;
    }

    /** The solution with the ghost values of the locally relevant DoFs. */
    const TrilinosWrappers::MPI::Vector &
    ghosted_solution() const
    {
      return ghosted;
    }

  private:
    void
    setup_system()
    {
      dof_handler.distribute_dofs(fe);
      owned = dof_handler.locally_owned_dofs();
      DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
      constraints.clear();
      constraints.reinit(relevant);
      DoFTools::make_hanging_node_constraints(dof_handler, constraints);
      VectorTools::interpolate_boundary_values(
        mapping, dof_handler, 0, Functions::ZeroFunction<dim>(), constraints);
      constraints.close();

      DynamicSparsityPattern dsp(relevant);
      DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
      SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
      system_matrix.reinit(owned, owned, dsp, comm);
      system_rhs.reinit(owned, comm);
      solution.reinit(owned, comm);
      ghosted.reinit(owned, relevant, comm);
      matrix_changed = true;
    }

    /** Kelly on the previous solution, fixed fraction (0.6, 0.4) within
     *  the levels allowed, the solution carried over; false (and nothing
     *  done) while the solution is still zero. */
    bool
    remesh()
    {
      Vector<float> indicators(triangulation.n_active_cells());
      KellyErrorEstimator<dim>::estimate(mapping,
                                         dof_handler,
                                         QGauss<dim - 1>(fe.degree + 1),
                                         {},
                                         ghosted,
                                         indicators);
      const double largest =
        Utilities::MPI::max(static_cast<double>(indicators.linfty_norm()),
                            comm);
      if (largest == 0.)
        return false; // nothing to estimate yet (u = 0)
      // The indicators to 1e-5 of the largest: solutions that agree to
      // the solver's tolerance give the same mesh (on a symmetric mesh
      // many cells tie, and the last bits of a solution would decide
      // which of them are refined).
      for (float &eta : indicators)
        eta = static_cast<float>(std::round(eta / largest * 1e5) * 1e-5 *
                                 largest);
      parallel::distributed::GridRefinement::refine_and_coarsen_fixed_fraction(
        triangulation, indicators, 0.6, 0.4);
      const unsigned int min_level = settings.initial_refinement;
      const unsigned int max_level =
        settings.initial_refinement + settings.adaptive_levels;
      for (const auto &cell : triangulation.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            if (cell->level() >= static_cast<int>(max_level))
              cell->clear_refine_flag();
            if (cell->level() <= static_cast<int>(min_level))
              cell->clear_coarsen_flag();
          }
      parallel::distributed::SolutionTransfer<dim,
                                              TrilinosWrappers::MPI::Vector>
        transfer(dof_handler);
      triangulation.prepare_coarsening_and_refinement();
      transfer.prepare_for_coarsening_and_refinement(ghosted);
      triangulation.execute_coarsening_and_refinement();
      setup_system();
      transfer.interpolate(solution);
      constraints.distribute(solution);
      ghosted = solution;
      return true;
    }

    /** The right-hand side of the step (and the matrix if
     *  @p with_matrix), from the cell matrices of M and A. */
    void
    assemble(const bool with_matrix)
    {
      if (with_matrix)
        system_matrix = 0.;
      system_rhs = 0.;
      const QGauss<dim>  quadrature(fe.degree + 1);
      FEValues<dim>      fe_values(mapping,
                              fe,
                              quadrature,
                              update_values | update_gradients |
                                update_quadrature_points | update_JxW_values);
      const unsigned int n = fe.n_dofs_per_cell();
      FullMatrix<double> mass(n, n), stiffness(n, n), cell_matrix(n, n);
      Vector<double>     cell_rhs(n), old_values(n);
      std::vector<types::global_dof_index> indices(n);
      const double k = settings.time_step, theta = settings.theta;
      for (const auto &cell : dof_handler.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            fe_values.reinit(cell);
            cell->get_dof_values(ghosted, old_values);
            mass      = 0.;
            stiffness = 0.;
            cell_rhs  = 0.;
            for (const unsigned int q : fe_values.quadrature_point_indices())
              {
                const double f =
                  theta * heat_source(fe_values.quadrature_point(q), time) +
                  (1. - theta) * heat_source(fe_values.quadrature_point(q),
                                             time - k);
                for (const unsigned int i : fe_values.dof_indices())
                  {
                    for (const unsigned int j : fe_values.dof_indices())
                      {
                        mass(i, j) += fe_values.shape_value(i, q) *
                                      fe_values.shape_value(j, q) *
                                      fe_values.JxW(q);
                        stiffness(i, j) += fe_values.shape_grad(i, q) *
                                           fe_values.shape_grad(j, q) *
                                           fe_values.JxW(q);
                      }
                    cell_rhs(i) +=
                      k * f * fe_values.shape_value(i, q) * fe_values.JxW(q);
                  }
              }
            // (M - k (1 - theta) A) u^{n-1} on the cell.
            for (unsigned int i = 0; i < n; ++i)
              for (unsigned int j = 0; j < n; ++j)
                cell_rhs(i) += (mass(i, j) - k * (1. - theta) * stiffness(i, j)) *
                               old_values(j);
            cell->get_dof_indices(indices);
            if (with_matrix)
              {
                cell_matrix = mass;
                cell_matrix.add(k * theta, stiffness);
                constraints.distribute_local_to_global(
                  cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
              }
            else
              constraints.distribute_local_to_global(cell_rhs,
                                                     indices,
                                                     system_rhs);
          }
      if (with_matrix)
        system_matrix.compress(VectorOperation::add);
      system_rhs.compress(VectorOperation::add);
    }

    /** (1/|Omega|) int u by quadrature, summed over the ranks. */
    double
    mean_value() const
    {
      const QGauss<dim>   quadrature(fe.degree + 1);
      FEValues<dim>       fe_values(mapping,
                              fe,
                              quadrature,
                              update_values | update_JxW_values);
      std::vector<double> u(quadrature.size());
      double              integral = 0., area = 0.;
      for (const auto &cell : dof_handler.active_cell_iterators())
        if (cell->is_locally_owned())
          {
            fe_values.reinit(cell);
            fe_values.get_function_values(ghosted, u);
            for (const unsigned int q : fe_values.quadrature_point_indices())
              {
                integral += u[q] * fe_values.JxW(q);
                area += fe_values.JxW(q);
              }
          }
      return Utilities::MPI::sum(integral, comm) /
             Utilities::MPI::sum(area, comm);
    }

    const MPI_Comm                            comm;
    const HeatSettings                        settings;
    parallel::distributed::Triangulation<dim> triangulation;
    const FE_Q<dim>                           fe;
    const MappingQ<dim>                       mapping;
    DoFHandler<dim>                           dof_handler;
    IndexSet                                  owned, relevant;
    AffineConstraints<double>                 constraints;
    TrilinosWrappers::SparseMatrix            system_matrix;
    TrilinosWrappers::MPI::Vector             system_rhs, solution, ghosted;
    unsigned int                              step_number    = 0;
    double                                    time           = 0.;
    bool                                      matrix_changed = true;
  };
} // namespace heat_time_loop
