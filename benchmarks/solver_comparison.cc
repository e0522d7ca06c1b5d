/*
 * solver_comparison: every solver hook on the same systems, side by side.
 *
 * For each problem and size it assembles the system once (built-in
 * problems, Trilinos matrices) and solves it from zero to a relative
 * residual of 1e-8 with CG (no preconditioner, Jacobi, SSOR, IC, AMG), DCDM
 * with the direction network, and flexible CG preconditioned by the
 * network. It prints one table row per (problem, size, method) as it goes,
 * writes
 *   <dir>/rows.json (or --json FILE)  the rows, after every size (a run
 *                                     stopped halfway keeps its rows);
 * and at the end
 *   <dir>/residuals-<problem>.png     residual against iteration at the
 *                                     largest size;
 *   <dir>/time_vs_dofs.png            total time against DoFs;
 * the plots through gnuplot when it is installed (the data files and the
 * gnuplot scripts are written either way).
 *
 *   benchmark_solver_comparison [--quick] [--json FILE] [--output DIR]
 *                               [--model FILE] [--methods LIST]
 *                               [--problems LIST] [--models LIST]
 *
 * --quick runs one small size per problem (a smoke test, used in CTest).
 * --models LABEL=FILE,... adds a `dcdm LABEL` row per model file (after
 * the methods of --methods, which default to all): models trained with
 * other losses, data or architectures, side by side on the same systems
 * (an ablation in one run).
 *
 * Under MPI (mpirun -np 2 benchmark_solver_comparison --json FILE ...)
 * every problem is distributed over the ranks (p4est, Trilinos vectors)
 * and the rows carry the number of ranks in `ranks`: a run on 1 rank and
 * one on 2 give the rows of the scaling comparison.
 *
 *   benchmark_solver_comparison --sequence [--systems N] [--refinement R]
 *                               [--quick] [--json FILE] [--output DIR]
 *
 * --sequence solves a sequence of N systems (default 10) on one fixed mesh
 * with changing coefficients, as a time loop, a nonlinear iteration or a
 * parameter sweep does: the random high-contrast problem (2-D, Q1, R global
 * refinements, default 9: 263,169 DoFs) with its contrast swept from 1e2
 * to 1e4 (log-uniformly), reassembled into the same matrix. Each method is
 * one hook object that sees the whole sequence: CG+AMG building ML anew
 * and with `AMG reuse` (PreconditionAMG::reinit()), DCDM and flexible CG
 * with `Reuse network` never, structure and auto. It prints one row per
 * system and the totals, and writes <dir>/sequence.json after every
 * system.
 *   benchmark_solver_comparison --time-loop [--steps N] [--refinement R]
 *                               [--adaptive-levels L] [--remesh-every S]
 *                               [--online-budget F] [--quick]
 *                               [--methods LIST] [--output DIR]
 *                               [--model FILE]
 *
 * --time-loop runs a user's time loop: step-26's heat equation
 * (examples/heat_time_loop/heat_equation.h; Crank-Nicolson, moving
 * sources) for N steps (default 250) on the L-shape refined R times
 * (default 7) with up to L adaptive levels above (default 2; about 150k
 * to 190k DoFs), remeshed every S steps (default 5). Every method's hook
 * (cg+ssor, cg+amg with `AMG reuse`, dcdm with `Reuse network = auto`,
 * the same with `Online training` and `Online budget` F (default 0.25),
 * auto) solves every step's system from the previous solution; a line per
 * step, <dir>/time_loop.json after every step, the totals (with the
 * iterations of the first and last 50 solves, and the ratio to the best
 * fixed hook) and <dir>/time_loop.png at the end.
 * --methods and --problems take comma-separated labels (as in the table)
 * and run only those, for reruns; cg+amg always runs, as the reference of
 * ratio_to_amg.
 * Build in Release: timings from a Debug build mean nothing.
 */

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/result_table.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/problems/random_coefficient.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "solver_comparison_report.h"
#include "time_loop.h"

using namespace dealii;
using namespace dealii_learned;

namespace
{
  /** One size of a case: global refinements, then adaptive cycles. */
  struct Size
  {
    unsigned int global_refinements;
    unsigned int adaptive_cycles = 0;
  };

  struct Case
  {
    std::string       name;
    std::string       problem;
    unsigned int      dimension;
    unsigned int      degree;
    double            contrast;
    std::vector<Size> sizes;
    /** Fraction of cells refined per adaptive cycle. */
    double refinement_fraction = 0.3;
  };

  struct Method
  {
    std::string method, preconditioner, label;
    /** Whether the hook gets the problem's structure (components per
     *  point, near-null space) of a vector-valued problem; a method
     *  without it runs on those problems only, as the baseline a user who
     *  does not pass the structure gets. */
    bool structure = true;
    /** The model file of a learned method; empty: the one of --model. */
    std::string model = "";
  };

  const std::vector<Method> all_methods = {
    {"cg", "none", "cg"},
    {"cg", "jacobi", "cg+jacobi"},
    {"cg", "ssor", "cg+ssor"},
    {"cg", "ic", "cg+ic"},
    {"cg", "amg", "cg+amg scalar", false},
    {"cg", "amg", "cg+amg"},
    {"dcdm", "none", "dcdm"},
    {"fcg-neural", "none", "fcg+neural"}};


  /** Solves @p problem's system from zero; the report also when the
   *  solver gives up. */
  template <typename ProblemType>
  SolverReport
  solve_from_zero(SolverHook &hook, ProblemType &problem)
  {
    problem.solution = 0.;
    try
      {
        return hook.solve(problem.system_matrix,
                          problem.solution,
                          problem.system_rhs);
      }
    catch (const SolverControl::NoConvergence &)
      {
        return hook.last_report();
      }
  }


  /** The case's problem at @p size, assembled: the adaptive cycles solve
   *  with CG+AMG, estimate (Kelly) and refine. */
  template <int dim>
  std::unique_ptr<Problem<dim>>
  make_problem(const Case &c, const Size &size, ParameterHandler &prm)
  {
    ProblemSettings settings;
    settings.name                      = c.problem;
    settings.dimension                 = dim;
    settings.fe_degree                 = c.degree;
    settings.coefficient_contrast      = c.contrast;
    settings.initial_global_refinement = size.global_refinements;
    settings.refinement_fraction       = c.refinement_fraction;
    settings.coarsening_fraction       = 0.;
    auto problem = ProblemParameters::create<dim>(settings, prm);
    problem->setup_system();
    problem->assemble_system();
    // Adaptive cycles: solve (CG+AMG), Kelly indicators, refine.
    for (unsigned int cycle = 0; cycle < size.adaptive_cycles; ++cycle)
      {
        SolverSettings s;
        s.preconditioner = "amg";
        auto hook        = LinearSolver::create(s, prm);
        problem->solve_estimate_refine(*hook);
      }
    return problem;
  }


  /** A table row, a line on @p out and the residual history (relative to
   *  the right-hand side) per method's report. */
  void
  add_rows(const Case                                         &c,
           const types::global_dof_index                       n_dofs,
           const std::vector<std::pair<Method, SolverReport>> &reports,
           const double                                        amg_total,
           ResultTable                                        &table,
           std::map<std::string, std::vector<double>>         &histories,
           std::ostream                                       &out)
  {
    for (const auto &[m, r] : reports)
      {
        const double total = r.setup_seconds + r.solve_seconds;
        table.new_row();
        table.set("problem", c.name);
        table.set("n_dofs", n_dofs);
        table.set("ranks", Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD));
        table.set("method", m.label);
        table.set("iterations", r.iterations);
        table.set("converged", r.converged);
        table.set("setup_seconds", r.setup_seconds);
        table.set("solve_seconds", r.solve_seconds);
        table.set("total_seconds", total);
        table.set("ratio_to_amg", total / amg_total);
        for (const auto &[name, value] : r.statistics)
          if (name.find("seconds") != std::string::npos)
            table.set(name, value);
        out << "  " << c.name << ", " << n_dofs << " DoFs, " << m.label << ": "
            << r.iterations << " iterations"
            << (r.converged ? "" : " (NOT converged)") << ", setup "
            << r.setup_seconds << " s, solve " << r.solve_seconds
            << " s, total/amg " << total / amg_total << std::endl;
        std::vector<double> h = r.residual_history;
        for (auto &v : h)
          v /= std::max(r.rhs_norm, 1e-300);
        histories[c.name + " " + m.label] = h;
      }
  }


  template <int dim>
  void
  run_case(const Case                                 &c,
           const Size                                 &size,
           const std::vector<Method>                  &methods,
           const std::string                          &model,
           ResultTable                                &table,
           std::map<std::string, std::vector<double>> &histories,
           std::ostream                               &out)
  {
    ParameterHandler prm;
    ProblemParameters::declare_parameters(prm);
    LinearSolver::declare_parameters(prm);
    const auto set_model = [&prm](const std::string &file) {
      for (const std::string m : {"dcdm", "fcg-neural"})
        {
          prm.enter_subsection("Linear solver");
          prm.enter_subsection(m);
          prm.set("Model file", file);
          prm.leave_subsection();
          prm.leave_subsection();
        }
    };
    auto       problem = make_problem<dim>(c, size, prm);
    const auto n_dofs  = problem->get_dof_handler().n_dofs();

    double                                       amg_total = 0.;
    std::vector<std::pair<Method, SolverReport>> reports;
    const SystemStructure structure = problem->system_structure();
    for (const auto &m : methods)
      {
        if (!m.structure && structure.is_scalar())
          continue;
        SolverSettings s;
        s.method             = m.method;
        s.preconditioner     = m.preconditioner;
        s.relative_tolerance = 1e-8;
        s.max_iterations     = 20000;
        set_model(m.model.empty() ? model : m.model);
        auto hook = LinearSolver::create(s, prm);
        if (m.structure && !structure.is_scalar())
          hook->set_structure(structure);
        const SolverReport r = solve_from_zero(*hook, *problem);
        if (m.label == "cg+amg")
          amg_total = r.setup_seconds + r.solve_seconds;
        reports.emplace_back(m, r);
      }
    add_rows(c, n_dofs, reports, amg_total, table, histories, out);
  }


  struct SequenceMethod
  {
    std::string label, method, preconditioner, reuse;
  };


  const std::vector<SequenceMethod> sequence_methods = {
    {"cg+amg", "cg", "amg", "never"},
    {"cg+amg reinit", "cg", "amg", "structure"},
    {"dcdm", "dcdm", "none", "never"},
    {"dcdm structure", "dcdm", "none", "structure"},
    {"dcdm auto", "dcdm", "none", "auto"},
    {"fcg+neural auto", "fcg-neural", "none", "auto"}};


  /** One hook per method, each with its reuse setting, kept for the whole
   *  sequence. */
  std::vector<std::unique_ptr<SolverHook>>
  make_sequence_hooks(const std::string &model, ParameterHandler &prm)
  {
    std::vector<std::unique_ptr<SolverHook>> hooks;
    for (const auto &m : sequence_methods)
      {
        prm.enter_subsection("Linear solver");
        if (m.method == "cg")
          {
            prm.enter_subsection("cg");
            prm.set("AMG reuse", m.reuse == "structure");
          }
        else
          {
            prm.enter_subsection(m.method);
            prm.set("Model file", model);
            prm.set("Reuse network", m.reuse);
          }
        prm.leave_subsection();
        prm.leave_subsection();
        SolverSettings s;
        s.method             = m.method;
        s.preconditioner     = m.preconditioner;
        s.relative_tolerance = 1e-8;
        s.max_iterations     = 20000;
        hooks.push_back(LinearSolver::create(s, prm));
      }
    return hooks;
  }


  /** Sums over the sequence per method (iterations, times, whether every
   *  solve converged), and for the learned methods how often they built
   *  the network, recomputed its values or kept it (actions[k][0, 1, 2]). */
  struct SequenceTotals
  {
    std::vector<SolverReport>     totals;
    std::vector<std::vector<int>> actions;
  };


  /** Every hook solves the systems of the sequence in turn; a row and a
   *  line per system and method, the rows in @p json after every system. */
  SequenceTotals
  solve_sequence(RandomCoefficientProblem<2>              &problem,
                 std::vector<std::unique_ptr<SolverHook>> &hooks,
                 const unsigned int                        n_systems,
                 const std::string                        &json,
                 ConditionalOStream                       &out)
  {
    const std::vector<SequenceMethod> &methods = sequence_methods;
    const unsigned int                 n_ranks =
      Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD);
    ResultTable    rows;
    SequenceTotals sums;
    sums.totals.resize(methods.size());
    sums.actions.assign(methods.size(), std::vector<int>(3, 0));
    std::vector<SolverReport>     &totals  = sums.totals;
    std::vector<std::vector<int>> &actions = sums.actions;
    for (unsigned int t = 0; t < n_systems; ++t)
      {
        const double contrast =
          std::pow(10., 2. + 2. * t / std::max(1u, n_systems - 1));
        problem.set_coefficient_contrast(contrast);
        problem.assemble_system();
        for (unsigned int k = 0; k < methods.size(); ++k)
          {
            const SolverReport r = solve_from_zero(*hooks[k], problem);
            double reuse         = -1.; // what the hook did: see its details
            for (const auto &[name, value] : r.details)
              if (name == "network_reuse" || name == "amg_reused")
                reuse = value;
            if (methods[k].method != "cg" && reuse >= 0.)
              ++actions[k][static_cast<int>(reuse)];
            rows.new_row();
            rows.set("system", t);
            rows.set("contrast", contrast);
            rows.set("n_dofs", problem.get_dof_handler().n_dofs());
            rows.set("ranks", n_ranks);
            rows.set("method", methods[k].label);
            rows.set("iterations", r.iterations);
            rows.set("converged", r.converged);
            rows.set("setup_seconds", r.setup_seconds);
            rows.set("solve_seconds", r.solve_seconds);
            rows.set("total_seconds", r.setup_seconds + r.solve_seconds);
            rows.set("reuse", reuse);
            totals[k].iterations += r.iterations;
            totals[k].setup_seconds += r.setup_seconds;
            totals[k].solve_seconds += r.solve_seconds;
            totals[k].converged =
              (t == 0 ? true : totals[k].converged) && r.converged;
            out << "  system " << t << " (contrast " << contrast << "), "
                << methods[k].label << ": " << r.iterations << " iterations"
                << (r.converged ? "" : " (NOT converged)") << ", setup "
                << r.setup_seconds << " s, solve " << r.solve_seconds << " s"
                << std::endl;
          }
        std::ostringstream so_far;
        rows.write_json(so_far);
        if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
          write_file_atomically(json, so_far.str() + "\n");
      }
    return sums;
  }


  /** The totals per method, with the ratio to CG+AMG with reinit(). */
  ResultTable
  sequence_summary(const SequenceTotals &sums)
  {
    const std::vector<SequenceMethod>   &methods = sequence_methods;
    const std::vector<SolverReport>     &totals  = sums.totals;
    const std::vector<std::vector<int>> &actions = sums.actions;
    const double                         reference =
      totals[1].setup_seconds + totals[1].solve_seconds; // cg+amg reinit
    ResultTable summary;
    for (unsigned int k = 0; k < methods.size(); ++k)
      {
        const double total = totals[k].setup_seconds + totals[k].solve_seconds;
        summary.new_row();
        summary.set("method", methods[k].label);
        summary.set("iterations", totals[k].iterations);
        summary.set("setup_seconds", totals[k].setup_seconds);
        summary.set("solve_seconds", totals[k].solve_seconds);
        summary.set("total_seconds", total);
        summary.set("ratio_to_amg_reinit", total / reference);
        summary.set("converged", totals[k].converged);
        if (methods[k].method != "cg")
          summary.set("built/values/kept",
                      std::to_string(actions[k][0]) + "/" +
                        std::to_string(actions[k][1]) + "/" +
                        std::to_string(actions[k][2]));
        else
          summary.set("built/values/kept",
                      std::string(methods[k].reuse == "never" ? "every solve" :
                                                                "reinit()"));
      }
    return summary;
  }


  /**
   * The repeated-solve mode: every method's hook solves the same sequence
   * of systems; rows per system and per method's totals.
   */
  void
  run_sequence(const unsigned int n_systems,
               const unsigned int refinement,
               const std::string &model,
               const std::string &json)
  {
    const std::vector<SequenceMethod> &methods = sequence_methods;
    ParameterHandler                   prm;
    ProblemParameters::declare_parameters(prm);
    LinearSolver::declare_parameters(prm);
    ProblemSettings settings;
    settings.name                      = "random-coefficient";
    settings.dimension                 = 2;
    settings.fe_degree                 = 1;
    settings.initial_global_refinement = refinement;
    settings.coefficient_contrast      = 1e2;
    RandomCoefficientProblem<2> problem(MPI_COMM_WORLD);
    prm.enter_subsection("Problem");
    prm.enter_subsection("random-coefficient");
    problem.parse_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();
    problem.initialize(settings);
    problem.setup_system();

    std::vector<std::unique_ptr<SolverHook>> hooks =
      make_sequence_hooks(model, prm);

    ConditionalOStream out(std::cout,
                           Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) ==
                             0);
    const unsigned int n_ranks =
      Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD);
    out << "Sequence of " << n_systems << " systems, "
        << problem.get_dof_handler().n_dofs()
        << " DoFs, random coefficient with contrast 1e2 .. 1e4, " << n_ranks
        << " MPI rank(s)" << std::endl;
    const SequenceTotals sums =
      solve_sequence(problem, hooks, n_systems, json, out);
    const ResultTable summary = sequence_summary(sums);
    out << "\nTotals over the sequence:\n";
    if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      summary.write_text(std::cout, summary.column_names());
    out << "Rows written to " << json << std::endl;
    for (unsigned int k = 0; k < methods.size(); ++k)
      AssertThrow(sums.totals[k].converged,
                  ExcMessage("method '" + methods[k].label +
                             "' did not converge on every system of the "
                             "sequence"));
  }


  /** The command line. */
  struct Options
  {
    bool         quick = false;
    std::string  json, dir = "benchmark-output", model = "default";
    std::string  method_list, problem_list, model_list;
    bool         sequence   = false;
    unsigned int n_systems  = 10;
    /** 0: the mode's default (9 for --sequence, 7 for --time-loop). */
    unsigned int refinement = 0;
    bool         time_loop  = false;
    benchmark_solver_comparison::TimeLoopOptions loop;
  };


  /** The options, or none (after the usage) for an unknown argument. */
  std::optional<Options>
  parse_arguments(int argc, char **argv)
  {
    Options o;
    for (int i = 1; i < argc; ++i)
      {
        const std::string a = argv[i];
        if (a == "--quick")
          o.quick = true;
        else if (a == "--json" && i + 1 < argc)
          o.json = argv[++i];
        else if (a == "--output" && i + 1 < argc)
          o.dir = argv[++i];
        else if (a == "--model" && i + 1 < argc)
          o.model = argv[++i];
        else if (a == "--methods" && i + 1 < argc)
          o.method_list = argv[++i];
        else if (a == "--problems" && i + 1 < argc)
          o.problem_list = argv[++i];
        else if (a == "--models" && i + 1 < argc)
          o.model_list = argv[++i];
        else if (a == "--sequence")
          o.sequence = true;
        else if (a == "--systems" && i + 1 < argc)
          o.n_systems = std::stoi(argv[++i]);
        else if (a == "--refinement" && i + 1 < argc)
          o.refinement = std::stoi(argv[++i]);
        else if (a == "--time-loop")
          o.time_loop = true;
        else if (a == "--steps" && i + 1 < argc)
          o.loop.n_steps = std::stoi(argv[++i]);
        else if (a == "--adaptive-levels" && i + 1 < argc)
          o.loop.adaptive_levels = std::stoi(argv[++i]);
        else if (a == "--remesh-every" && i + 1 < argc)
          o.loop.remesh_every = std::stoi(argv[++i]);
        else if (a == "--online-budget" && i + 1 < argc)
          o.loop.online_budget = std::stod(argv[++i]);
        else
          {
            std::cerr
              << "usage: " << argv[0]
              << " [--quick] [--json FILE] [--output DIR] [--model FILE]"
                 " [--methods LIST] [--problems LIST]"
                 " [--models LABEL=FILE,...]\n       "
              << argv[0]
              << " --sequence [--systems N] [--refinement R] [--quick]"
                 " [--json FILE] [--output DIR] [--model FILE]\n       "
              << argv[0]
              << " --time-loop [--steps N] [--refinement R]"
                 " [--adaptive-levels L] [--remesh-every S] [--quick]"
                 " [--online-budget F]"
                 " [--methods LIST] [--output DIR] [--model FILE]\n";
            return std::nullopt;
          }
      }
    return o;
  }


  /** The --sequence mode with the options' sizes (small with --quick). */
  void
  run_sequence_mode(Options o)
  {
    if (o.refinement == 0)
      o.refinement = 9;
    AssertThrow(o.n_systems >= 2 && o.refinement >= 2 && o.refinement <= 12,
                ExcMessage("--sequence needs --systems >= 2 and "
                           "--refinement in [2, 12]."));
    if (o.quick)
      {
        o.n_systems  = 6;
        o.refinement = 5;
      }
    run_sequence(o.n_systems,
                 o.refinement,
                 o.model,
                 o.json.empty() ? o.dir + "/sequence.json" : o.json);
  }


  /** The --time-loop mode with the options' sizes (small with --quick:
   *  12 steps on the L-shape refined 3 times + 2 levels, remeshed every
   *  3 steps). */
  void
  run_time_loop_mode(const Options &o)
  {
    benchmark_solver_comparison::TimeLoopOptions loop = o.loop;
    loop.refinement  = o.refinement == 0 ? 7 : o.refinement;
    loop.method_list = o.method_list;
    loop.model       = o.model;
    loop.dir         = o.dir;
    if (o.quick)
      {
        loop.n_steps         = 12;
        loop.refinement      = 3;
        loop.adaptive_levels = 2;
        loop.remesh_every    = 3;
      }
    AssertThrow(loop.n_steps >= 1 && loop.refinement >= 1 &&
                  loop.refinement + loop.adaptive_levels <= 12,
                ExcMessage("--time-loop needs --steps >= 1 and "
                           "--refinement + --adaptive-levels in [1, 12]."));
    benchmark_solver_comparison::run_time_loop(loop);
  }


  /** The problems and their sizes; one small size each with @p quick. */
  std::vector<Case>
  benchmark_cases(const bool quick)
  {
    // Sizes: from the training size (the default model is trained on
    // the L-shape at 833 to about 12,000 DoFs) to >= 1M DoFs in 2-D and
    // >= 250k in 3-D. The largest size is a uniform mesh plus one
    // adaptive cycle (Kelly), which gives the size without the next
    // uniform refinement's 4x (8x in 3-D) and includes hanging nodes.
    std::vector<Case> cases = {{"lshape-q1-contrast100",
                                "jump-coefficient",
                                2,
                                1,
                                100.,
                                {{4}, {7}, {9, 1}},
                                0.15},
                               {"fichera-q1-contrast100",
                                "jump-coefficient",
                                3,
                                1,
                                100.,
                                {{2}, {4}, {5, 1}},
                                0.02},
                               {"random-q1-contrast1e4",
                                "random-coefficient",
                                2,
                                1,
                                1e4,
                                {{4}, {7}, {10}}},
                               {"lshape-q2-contrast100",
                                "jump-coefficient",
                                2,
                                2,
                                100.,
                                {{3}, {6}, {8, 1}},
                                0.15},
                               // Linear elasticity, Q1^dim, Lame parameters
                               // jumping by 100; the hooks get the
                               // rigid-body modes.
                               {"elasticity-2d-q1-contrast100",
                                "elasticity",
                                2,
                                1,
                                100.,
                                {{4}, {6}, {8, 1}},
                                0.15},
                               {"elasticity-3d-q1-contrast100",
                                "elasticity",
                                3,
                                1,
                                100.,
                                {{2}, {3}, {4, 1}},
                                0.1}};
    if (quick)
      for (auto &c : cases)
        c.sizes = {{c.dimension == 2 ? 4u : 2u}};
    return cases;
  }


  /** The items whose names (by @p name_of) @p list holds, in the order of
   *  @p items; all for an empty list. Every name must be known. */
  template <typename Item, typename NameOf>
  std::vector<Item>
  select_by_name(const std::string &list,
                 std::vector<Item>  items,
                 const NameOf      &name_of,
                 const std::string &what)
  {
    if (list.empty())
      return items;
    std::vector<std::string> known;
    for (const auto &item : items)
      known.push_back(name_of(item));
    const auto names = Utilities::split_string_list(list);
    for (const auto &n : names)
      AssertThrow(std::find(known.begin(), known.end(), n) != known.end(),
                  ExcMessage("--" + what + ": unknown name '" + n +
                             "'; known are: " + join(known, ", ") + "."));
    items.erase(std::remove_if(items.begin(),
                               items.end(),
                               [&](const auto &item) {
                                 return std::find(names.begin(),
                                                  names.end(),
                                                  name_of(item)) == names.end();
                               }),
                items.end());
    return items;
  }


  /** Every size of every case, with every method; the rows in @p json
   *  after each size; the residual histories of each case's largest size
   *  in @p histories. */
  void
  run_cases(const std::vector<Case>                    &cases,
            const std::vector<Method>                  &methods,
            const std::string                          &model,
            const std::string                          &json,
            ResultTable                                &table,
            std::map<std::string, std::vector<double>> &histories)
  {
    // Under mpirun every rank runs the same solves on its part of the
    // mesh; rank 0 prints and writes.
    const bool    rank0 = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    std::ostream  nowhere(nullptr);
    std::ostream &out = rank0 ? std::cout : nowhere;
    Timer         timer;
    for (const auto &c : cases)
      for (unsigned int k = 0; k < c.sizes.size(); ++k)
        {
          out << "[" << timer.wall_time() << " s] " << c.name << ", refinement "
              << c.sizes[k].global_refinements << " + "
              << c.sizes[k].adaptive_cycles << " adaptive cycle(s)"
              << std::endl;
          std::map<std::string, std::vector<double>> h;
          if (c.dimension == 2)
            run_case<2>(c, c.sizes[k], methods, model, table, h, out);
          else
            run_case<3>(c, c.sizes[k], methods, model, table, h, out);
          // The rows so far, after every size: a long run stopped
          // halfway keeps what it measured.
          std::ostringstream so_far;
          table.write_json(so_far);
          if (rank0)
            write_file_atomically(json, so_far.str() + "\n");
          if (k + 1 == c.sizes.size())
            histories.insert(h.begin(), h.end());
        }
  }


  /** 1 and the failed solves on std::cerr if a method did not converge
   *  (which makes the comparison meaningless), else 0. */
  int
  report_failures(const ResultTable &table)
  {
    std::vector<std::string> failed;
    for (unsigned int r = 0; r < table.n_rows(); ++r)
      if (!std::get<bool>(table.get(r, "converged")))
        failed.push_back(
          std::get<std::string>(table.get(r, "method")) + " on " +
          std::get<std::string>(table.get(r, "problem")) + " (" +
          std::to_string(std::get<long long>(table.get(r, "n_dofs"))) +
          " DoFs)");
    if (failed.empty())
      return 0;
    std::cerr << "benchmark: error: " << failed.size()
              << " solve(s) did not converge: " << join(failed, ", ")
              << std::endl;
    return 1;
  }


  /** The comparison: every case with the selected methods, the tables,
   *  the rows and the plots; 1 if a solve did not converge. */
  int
  run_comparison(const Options &o)
  {
    const std::string json = o.json.empty() ? o.dir + "/rows.json" : o.json;
    const std::vector<Case> cases = select_by_name(
      o.problem_list,
      benchmark_cases(o.quick),
      [](const Case &c) { return c.name; },
      "problems");
    // cg+amg always runs: it is the reference of ratio_to_amg.
    std::vector<Method> methods = select_by_name(
      o.method_list.empty() ? o.method_list : o.method_list + ",cg+amg",
      all_methods,
      [](const Method &m) { return m.label; },
      "methods");
    for (const auto &entry : Utilities::split_string_list(o.model_list))
      {
        const auto equals = entry.find('=');
        AssertThrow(equals != std::string::npos && equals > 0 &&
                      equals + 1 < entry.size(),
                    ExcMessage("--models: '" + entry +
                               "' is not LABEL=FILE (for example "
                               "solver=models/dcdm-default.dlm)."));
        const std::string label = "dcdm " + entry.substr(0, equals);
        for (const auto &m : methods)
          AssertThrow(m.label != label,
                      ExcMessage("--models: the label '" + label +
                                 "' is given twice."));
        methods.push_back(
          {"dcdm", "none", label, true, entry.substr(equals + 1)});
      }

    ResultTable                                table;
    std::map<std::string, std::vector<double>> histories;
    run_cases(cases, methods, o.model, json, table, histories);

    const bool   rank0 = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    std::ostream nowhere(nullptr);
    benchmark_solver_comparison::write_tables(rank0 ? std::cout : nowhere,
                                              table);
    std::ostringstream rows;
    table.write_json(rows);
    if (rank0)
      {
        write_file_atomically(json, rows.str() + "\n");
        std::cout << "Rows written to " << json << std::endl;
        benchmark_solver_comparison::write_plots(o.dir, table, histories);
      }
    // A method that did not converge makes the comparison meaningless:
    // the table is written, and the run fails with the cases named.
    return report_failures(table);
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  try
    {
      const std::optional<Options> options = parse_arguments(argc, argv);
      if (!options)
        return 2;
      ensure_writable_directory(options->dir, "--output");
      if (options->time_loop)
        {
          run_time_loop_mode(*options);
          return 0;
        }
      if (options->sequence)
        {
          run_sequence_mode(*options);
          return 0;
        }
      return run_comparison(*options);
    }
  catch (const std::exception &e)
    {
      std::cerr << "benchmark: error: " << error_message(e) << std::endl;
      return 1;
    }
}
