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
 *                               [--problems LIST]
 *
 * --quick runs one small size per problem (a smoke test, used in CTest).
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
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

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
  };

  const std::vector<Method> all_methods = {{"cg", "none", "cg"},
                                           {"cg", "jacobi", "cg+jacobi"},
                                           {"cg", "ssor", "cg+ssor"},
                                           {"cg", "ic", "cg+ic"},
                                           {"cg", "amg", "cg+amg"},
                                           {"dcdm", "none", "dcdm"},
                                           {"fcg-neural",
                                            "none",
                                            "fcg+neural"}};

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
    for (const std::string m : {"dcdm", "fcg-neural"})
      {
        prm.enter_subsection("Linear solver");
        prm.enter_subsection(m);
        prm.set("Model file", model);
        prm.leave_subsection();
        prm.leave_subsection();
      }
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
    const auto n_dofs = problem->get_dof_handler().n_dofs();

    double                                       amg_total = 0.;
    std::vector<std::pair<Method, SolverReport>> reports;
    for (const auto &m : methods)
      {
        SolverSettings s;
        s.method             = m.method;
        s.preconditioner     = m.preconditioner;
        s.relative_tolerance = 1e-8;
        s.max_iterations     = 20000;
        auto hook            = LinearSolver::create(s, prm);
        problem->solution    = 0.;
        SolverReport r;
        try
          {
            r = hook->solve(problem->system_matrix,
                            problem->solution,
                            problem->system_rhs);
          }
        catch (const SolverControl::NoConvergence &)
          {
            r = hook->last_report();
          }
        if (m.label == "cg+amg")
          amg_total = r.setup_seconds + r.solve_seconds;
        reports.emplace_back(m, r);
      }

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



  struct SequenceMethod
  {
    std::string label, method, preconditioner, reuse;
  };


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
    const std::vector<SequenceMethod> methods = {
      {"cg+amg", "cg", "amg", "never"},
      {"cg+amg reinit", "cg", "amg", "structure"},
      {"dcdm", "dcdm", "none", "never"},
      {"dcdm structure", "dcdm", "none", "structure"},
      {"dcdm auto", "dcdm", "none", "auto"},
      {"fcg+neural auto", "fcg-neural", "none", "auto"}};

    ParameterHandler prm;
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

    std::vector<std::unique_ptr<SolverHook>> hooks;
    for (const auto &m : methods)
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

    ConditionalOStream out(std::cout,
                           Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) ==
                             0);
    const unsigned int n_ranks =
      Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD);
    out << "Sequence of " << n_systems << " systems, "
        << problem.get_dof_handler().n_dofs()
        << " DoFs, random coefficient with contrast 1e2 .. 1e4, " << n_ranks
        << " MPI rank(s)" << std::endl;
    ResultTable                   rows;
    std::vector<SolverReport>     totals(methods.size());
    std::vector<std::vector<int>> actions(methods.size(),
                                          std::vector<int>(3, 0));
    for (unsigned int t = 0; t < n_systems; ++t)
      {
        const double contrast =
          std::pow(10., 2. + 2. * t / std::max(1u, n_systems - 1));
        problem.set_coefficient_contrast(contrast);
        problem.assemble_system();
        for (unsigned int k = 0; k < methods.size(); ++k)
          {
            problem.solution = 0.;
            SolverReport r;
            try
              {
                r = hooks[k]->solve(problem.system_matrix,
                                    problem.solution,
                                    problem.system_rhs);
              }
            catch (const SolverControl::NoConvergence &)
              {
                r = hooks[k]->last_report();
              }
            double reuse = -1.; // what the hook did: see its details
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

    const double reference =
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
    out << "\nTotals over the sequence:\n";
    if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      summary.write_text(std::cout, summary.column_names());
    out << "Rows written to " << json << std::endl;
    for (unsigned int k = 0; k < methods.size(); ++k)
      AssertThrow(totals[k].converged,
                  ExcMessage("method '" + methods[k].label +
                             "' did not converge on every system of the "
                             "sequence"));
  }


  void
  write_plots(const std::string                                &dir,
              const ResultTable                                &table,
              const std::map<std::string, std::vector<double>> &histories)
  {
    // Residual histories of the largest size: one plot per problem, one
    // curve per method.
    std::map<std::string,
             std::vector<std::pair<std::string, const std::vector<double> *>>>
      by_problem;
    for (const auto &[name, h] : histories)
      {
        const auto space = name.find(' ');
        by_problem[name.substr(0, space)].emplace_back(name.substr(space + 1),
                                                       &h);
      }
    std::vector<std::string> scripts;
    for (const auto &[problem, curves] : by_problem)
      {
        const std::string base = dir + "/residuals-" + problem;
        std::ofstream     data(base + ".dat");
        std::ofstream     gp(base + ".gp");
        gp << "set terminal pngcairo size 900,600\nset output '" << base
           << ".png'\nset title '" << problem
           << " (largest size)'\nset logscale xy\nset xlabel 'iteration + 1'\n"
              "set ylabel '|r| / |b|'\nset key outside right\nplot ";
        // Iterations on a log axis: the learned and AMG curves end near 10,
        // the unpreconditioned ones near 10^4.
        for (unsigned int k = 0; k < curves.size(); ++k)
          {
            const auto &h = *curves[k].second;
            for (unsigned int i = 0; i < h.size(); ++i)
              data << i + 1 << ' ' << h[i] << '\n';
            data << "\n\n";
            gp << (k ? ", " : "") << "'" << base << ".dat' index " << k
               << " with lines lw 2 title '" << curves[k].first << "'";
          }
        gp << '\n';
        scripts.push_back(base + ".gp");
      }
    // Total time against DoFs: one panel per problem, one curve per method.
    {
      std::map<std::string,
               std::map<std::string, std::vector<std::pair<double, double>>>>
        series;
      for (std::size_t r = 0; r < table.n_rows(); ++r)
        series[std::get<std::string>(table.get(r, "problem"))]
              [std::get<std::string>(table.get(r, "method"))]
                .emplace_back(double(
                                std::get<long long>(table.get(r, "n_dofs"))),
                              std::get<double>(table.get(r, "total_seconds")));
      std::ofstream      data(dir + "/time_vs_dofs.dat");
      std::ofstream      gp(dir + "/time_vs_dofs.gp");
      const unsigned int columns = series.size() > 1 ? 2 : 1;
      const unsigned int rows    = (series.size() + columns - 1) / columns;
      gp
        << "set terminal pngcairo size " << 700 * columns << ',' << 500 * rows
        << "\nset output '" << dir
        << "/time_vs_dofs.png'\nset multiplot layout " << rows << ',' << columns
        << "\nset logscale xy\nset xlabel 'DoFs'\nset ylabel 'setup + solve [s]'\n"
           "set key top left\n";
      unsigned int block = 0;
      for (const auto &[problem, methods] : series)
        {
          gp << "set title '" << problem << "'\nplot ";
          bool first = true;
          for (const auto &[method, points] : methods)
            {
              for (const auto &p : points)
                data << p.first << ' ' << p.second << '\n';
              data << "\n\n";
              gp << (first ? "" : ", ") << "'" << dir
                 << "/time_vs_dofs.dat' index " << block
                 << " with linespoints lw 2 title '" << method << "'";
              first = false;
              ++block;
            }
          gp << '\n';
        }
      gp << "unset multiplot\n";
    }
    if (std::system("command -v gnuplot > /dev/null 2>&1") == 0)
      {
        scripts.push_back(dir + "/time_vs_dofs.gp");
        bool ok = true;
        for (const auto &script : scripts)
          ok &= std::system(("gnuplot " + script).c_str()) == 0;
        std::cout
          << (ok ? "Plots written to " + dir + "/residuals-<problem>.png and " +
                     dir + "/time_vs_dofs.png" :
                   std::string("gnuplot failed; the .gp scripts are in ") + dir)
          << std::endl;
      }
    else
      std::cout << "gnuplot not found: plot data and scripts are in " << dir
                << " (apt-get install gnuplot-nox)" << std::endl;
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  try
    {
      bool         quick = false;
      std::string  json, dir = "benchmark-output", model = "default";
      std::string  method_list, problem_list;
      bool         sequence   = false;
      unsigned int n_systems  = 10;
      unsigned int refinement = 9;
      for (int i = 1; i < argc; ++i)
        {
          const std::string a = argv[i];
          if (a == "--quick")
            quick = true;
          else if (a == "--json" && i + 1 < argc)
            json = argv[++i];
          else if (a == "--output" && i + 1 < argc)
            dir = argv[++i];
          else if (a == "--model" && i + 1 < argc)
            model = argv[++i];
          else if (a == "--methods" && i + 1 < argc)
            method_list = argv[++i];
          else if (a == "--problems" && i + 1 < argc)
            problem_list = argv[++i];
          else if (a == "--sequence")
            sequence = true;
          else if (a == "--systems" && i + 1 < argc)
            n_systems = std::stoi(argv[++i]);
          else if (a == "--refinement" && i + 1 < argc)
            refinement = std::stoi(argv[++i]);
          else
            {
              std::cerr
                << "usage: " << argv[0]
                << " [--quick] [--json FILE] [--output DIR] [--model FILE]"
                   " [--methods LIST] [--problems LIST]\n       "
                << argv[0]
                << " --sequence [--systems N] [--refinement R] [--quick]"
                   " [--json FILE] [--output DIR] [--model FILE]\n";
              return 2;
            }
        }
      ensure_writable_directory(dir, "--output");
      if (sequence)
        {
          AssertThrow(n_systems >= 2 && refinement >= 2 && refinement <= 12,
                      ExcMessage("--sequence needs --systems >= 2 and "
                                 "--refinement in [2, 12]."));
          if (quick)
            {
              n_systems  = 6;
              refinement = 5;
            }
          run_sequence(n_systems,
                       refinement,
                       model,
                       json.empty() ? dir + "/sequence.json" : json);
          return 0;
        }
      if (json.empty())
        json = dir + "/rows.json";

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
                                  0.15}};
      if (quick)
        for (auto &c : cases)
          c.sizes = {{c.dimension == 2 ? 4u : 2u}};

      // Selections: every name must be known; the order of the table stays.
      const auto select = [](const std::string &list,
                             auto               items,
                             const auto        &name_of,
                             const std::string &what) {
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
                                                      name_of(item)) ==
                                            names.end();
                                   }),
                    items.end());
        return items;
      };
      cases = select(
        problem_list, cases, [](const Case &c) { return c.name; }, "problems");
      // cg+amg always runs: it is the reference of ratio_to_amg.
      const std::vector<Method> methods = select(
        method_list.empty() ? method_list : method_list + ",cg+amg",
        all_methods,
        [](const Method &m) { return m.label; },
        "methods");

      // Under mpirun every rank runs the same solves on its part of the
      // mesh; rank 0 prints and writes.
      const bool rank0 = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
      std::ostream  nowhere(nullptr);
      std::ostream &out = rank0 ? std::cout : nowhere;
      ResultTable   table;
      std::map<std::string, std::vector<double>> histories;
      Timer                                      timer;
      for (const auto &c : cases)
        for (unsigned int k = 0; k < c.sizes.size(); ++k)
          {
            out << "[" << timer.wall_time() << " s] " << c.name
                << ", refinement " << c.sizes[k].global_refinements << " + "
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

      out << '\n';
      table.write_text(out,
                       {"problem",
                        "n_dofs",
                        "ranks",
                        "method",
                        "iterations",
                        "setup_seconds",
                        "solve_seconds",
                        "total_seconds",
                        "ratio_to_amg"});
      // Where the learned methods' time goes: building the network's
      // hierarchy (setup, and its phases: diagonal scaling with the spectrum
      // estimate, aggregation, prolongation, Galerkin products, copies),
      // applying the network, and the rest of the solve (matrix products,
      // orthogonalisation, vector updates).
      out << "\nProfile of the learned methods (seconds):\n";
      ResultTable profile;
      for (unsigned int r = 0; r < table.n_rows(); ++r)
        {
          const auto method = std::get<std::string>(table.get(r, "method"));
          if (method != "dcdm" && method != "fcg+neural")
            continue;
          const double setup = std::get<double>(table.get(r, "setup_seconds"));
          const double solve = std::get<double>(table.get(r, "solve_seconds"));
          const double network =
            std::get<double>(table.get(r, "network_seconds"));
          const long long its = std::get<long long>(table.get(r, "iterations"));
          profile.new_row();
          profile.set("problem",
                      std::get<std::string>(table.get(r, "problem")));
          profile.set("n_dofs", std::get<long long>(table.get(r, "n_dofs")));
          profile.set("method", method);
          profile.set("iterations", its);
          profile.set("hierarchy_setup", setup);
          // The hierarchy's phases, and the network's single-precision
          // copies of its matrices with the level vectors (the rest of
          // setup is the solve frame's own).
          for (const std::string phase :
               {"scaling", "aggregation", "prolongation", "galerkin", "copy"})
            profile.set("setup_" + phase,
                        std::get<double>(
                          table.get(r, "setup_" + phase + "_seconds")));
          profile.set("network_apply", network);
          profile.set("krylov_rest", solve - network);
          profile.set("network_per_iteration", its > 0 ? network / its : 0.);
        }
      profile.write_text(out, profile.column_names());

      std::ostringstream rows;
      table.write_json(rows);
      if (rank0)
        {
          write_file_atomically(json, rows.str() + "\n");
          std::cout << "Rows written to " << json << std::endl;
          write_plots(dir, table, histories);
        }

      // A method that did not converge makes the comparison meaningless:
      // the table is written, and the run fails with the cases named.
      std::vector<std::string> failed;
      for (unsigned int r = 0; r < table.n_rows(); ++r)
        if (!std::get<bool>(table.get(r, "converged")))
          failed.push_back(
            std::get<std::string>(table.get(r, "method")) + " on " +
            std::get<std::string>(table.get(r, "problem")) + " (" +
            std::to_string(std::get<long long>(table.get(r, "n_dofs"))) +
            " DoFs)");
      if (!failed.empty())
        {
          std::cerr << "benchmark: error: " << failed.size()
                    << " solve(s) did not converge: " << join(failed, ", ")
                    << std::endl;
          return 1;
        }
    }
  catch (const std::exception &e)
    {
      std::cerr << "benchmark: error: " << error_message(e) << std::endl;
      return 1;
    }
  return 0;
}
