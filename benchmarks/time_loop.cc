/*
 * The time-loop mode of benchmark_solver_comparison: step-26's heat
 * equation (examples/heat_time_loop/heat_equation.h) at benchmark size,
 * with every method's hook solving every step's system.
 */

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/result_table.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <algorithm>
#include <iomanip>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

#include "heat_equation.h" // examples/heat_time_loop (an include directory)
#include "time_loop.h"

namespace benchmark_solver_comparison
{
  namespace
  {
    using namespace dealii;
    using namespace dealii_learned;

    /** A method of the loop: a label and the `Linear solver` section that
     *  selects its hook. */
    struct LoopMethod
    {
      std::string label, parameters;
      /** Not a fixed hook (`auto`): left out of the best fixed hook. */
      bool chooses = false;
    };


    /** The methods: step-26's CG with SSOR, CG with AMG reusing ML's
     *  hierarchy while the matrix keeps its pattern, DCDM keeping its
     *  network's hierarchy while the mesh does not change, the same with
     *  online training (default budget), and auto. */
    std::vector<LoopMethod>
    loop_methods(const std::string &model, const double online_budget)
    {
      const std::string dcdm = "  subsection dcdm\n"
                               "    set Model file    = " +
                               model +
                               "\n"
                               "    set Reuse network = auto\n"
                               "  end\n";
      return {{"cg+ssor",
               "set Method = cg\nset Preconditioner = ssor\n",
               false},
              {"cg+amg",
               "set Method = cg\nset Preconditioner = amg\n"
               "subsection cg\n  set AMG reuse = true\nend\n",
               false},
              {"dcdm", "set Method = dcdm\n" + dcdm, false},
              {"dcdm online",
               "set Method = dcdm\n" + dcdm +
                 "subsection dcdm\n  set Online training = true\n"
                 "  set Online budget = " +
                 std::to_string(online_budget) + "\nend\n",
               false},
              {"auto",
               "set Method = auto\n"
               "subsection cg\n  set AMG reuse = true\nend\n" +
                 dcdm,
               true}};
    }


    std::unique_ptr<SolverHook>
    make_hook(const LoopMethod &m)
    {
      ParameterHandler prm;
      LinearSolver::declare_parameters(prm);
      prm.parse_input_from_string("subsection Linear solver\n"
                                  "set Relative tolerance = 1e-8\n"
                                  "set Maximum iterations = 20000\n" +
                                  m.parameters + "end\n");
      return LinearSolver::create(prm);
    }


    /** Per method: sums over the loop and the iterations per solve. */
    struct LoopTotals
    {
      double                    seconds = 0., setup = 0., solve = 0.;
      unsigned long long        iterations = 0;
      std::vector<unsigned int> per_solve;
      std::vector<double>       seconds_per_solve;
      bool                      converged = true;
      std::set<std::string>     hooks;
    };


    /** The sum of @p v's first (or last) @p n entries. */
    unsigned long long
    sum_of(const std::vector<unsigned int> &v,
           const std::size_t                n,
           const bool                       last)
    {
      const std::size_t m     = std::min(n, v.size());
      const auto        begin = last ? v.end() - m : v.begin();
      return std::accumulate(begin, begin + m, 0ull);
    }


    void
    write_plot(const std::string             &dir,
               const std::vector<LoopMethod> &methods,
               const std::vector<LoopTotals> &totals)
    {
      {
        std::ostringstream dat;
        dat << "# step";
        for (const auto &m : methods)
          dat << " \"" << m.label << "\"";
        dat << '\n';
        for (std::size_t s = 0; s < totals[0].seconds_per_solve.size(); ++s)
          {
            dat << s + 1;
            for (const auto &t : totals)
              dat << ' ' << t.seconds_per_solve[s];
            dat << '\n';
          }
        write_file_atomically(dir + "/time_loop.dat", dat.str());
      }
      std::ostringstream gp;
      gp << "set terminal pngcairo size 900,600\n"
         << "set output \"" << dir << "/time_loop.png\"\n"
         << "set title 'Time loop (step-26): wall seconds per step'\n"
         << "set xlabel 'step'\nset ylabel 'seconds'\nset logscale y\n"
         << "set key outside\nplot ";
      for (std::size_t k = 0; k < methods.size(); ++k)
        gp << (k ? ", " : "") << "\"" << dir << "/time_loop.dat\" using 1:"
           << k + 2 << " with lines lw 2 title '" << methods[k].label << "'";
      gp << '\n';
      write_file_atomically(dir + "/time_loop.gp", gp.str());
      if (std::system("command -v gnuplot > /dev/null 2>&1") == 0 &&
          std::system(("gnuplot '" + dir + "/time_loop.gp'").c_str()) == 0)
        std::cout << "Plot written to " << dir << "/time_loop.png"
                  << std::endl;
      else
        std::cout << "Plot data and script in " << dir
                  << "/time_loop.{dat,gp} (gnuplot not run)" << std::endl;
    }
  } // namespace


  void
  run_time_loop(const TimeLoopOptions &o)
  {
    const MPI_Comm     comm  = MPI_COMM_WORLD;
    const bool         rank0 = Utilities::MPI::this_mpi_process(comm) == 0;
    ConditionalOStream out(std::cout, rank0);

    std::vector<LoopMethod> methods = loop_methods(o.model, o.online_budget);
    if (!o.method_list.empty())
      {
        const auto               names = Utilities::split_string_list(o.method_list);
        std::vector<LoopMethod>  selected;
        std::vector<std::string> known;
        for (const auto &m : methods)
          known.push_back(m.label);
        for (const auto &n : names)
          {
            const auto it =
              std::find_if(methods.begin(), methods.end(), [&](const auto &m) {
                return m.label == n;
              });
            AssertThrow(it != methods.end(),
                        ExcMessage("--methods: unknown name '" + n +
                                   "' for --time-loop; known are: " +
                                   join(known, ", ") + "."));
            selected.push_back(*it);
          }
        methods = selected;
      }

    heat_time_loop::HeatSettings settings;
    settings.initial_refinement = o.refinement;
    settings.adaptive_levels    = o.adaptive_levels;
    settings.n_steps            = o.n_steps;
    settings.remesh_every       = o.remesh_every;
    heat_time_loop::HeatEquation<2> heat(comm, settings);

    std::vector<std::unique_ptr<SolverHook>> hooks;
    for (const auto &m : methods)
      hooks.push_back(make_hook(m));
    std::vector<LoopTotals> totals(methods.size());

    out << "Time loop (step-26's heat equation, Crank-Nicolson, k = "
        << settings.time_step << "): " << o.n_steps
        << " steps on the L-shape refined " << o.refinement << " times + "
        << o.adaptive_levels << " adaptive level(s), remeshed every "
        << o.remesh_every << " steps, "
        << Utilities::MPI::n_mpi_processes(comm)
        << " MPI rank(s); every method solves every step's system from the "
           "previous solution to a relative residual of 1e-8"
        << std::endl;

    const std::string json = o.dir + "/time_loop.json";
    ResultTable       rows;
    Timer             clock;
    // What the hooks said about their choices (auto, online training).
    std::vector<std::string> step_notes;
    // Each method solves the step's system from the previous solution;
    // the loop goes on with the first method's solution.
    const heat_time_loop::SolveFunction solve_all =
      [&](const TrilinosWrappers::SparseMatrix &A,
          TrilinosWrappers::MPI::Vector        &x,
          const TrilinosWrappers::MPI::Vector  &b) {
        const TrilinosWrappers::MPI::Vector x0 = x;
        SolverReport                        first;
        for (std::size_t k = 0; k < methods.size(); ++k)
          {
            TrilinosWrappers::MPI::Vector y = x0;
            Timer                         wall;
            SolverReport                  r;
            try
              {
                r = hooks[k]->solve(A, y, b);
              }
            catch (const SolverControl::NoConvergence &)
              {
                r = hooks[k]->last_report();
              }
            wall.stop();
            const double seconds = Utilities::MPI::max(wall.wall_time(), comm);
            LoopTotals  &t       = totals[k];
            t.seconds += seconds;
            t.setup += r.setup_seconds;
            t.solve += r.solve_seconds;
            t.iterations += r.iterations;
            t.per_solve.push_back(r.iterations);
            t.seconds_per_solve.push_back(seconds);
            t.converged = t.converged && r.converged;
            const std::string hook =
              r.preconditioner.empty() ?
                r.method :
                r.method + "(" + r.preconditioner + ")";
            t.hooks.insert(hook);
            rows.new_row();
            rows.set("step", static_cast<double>(t.per_solve.size()));
            rows.set("n_dofs", static_cast<double>(A.m()));
            rows.set("method", methods[k].label);
            rows.set("hook", hook);
            rows.set("iterations", static_cast<double>(r.iterations));
            rows.set("converged", r.converged);
            rows.set("setup_seconds", r.setup_seconds);
            rows.set("solve_seconds", r.solve_seconds);
            rows.set("wall_seconds", seconds);
            // Online training: where its time went so far.
            for (const auto &[name, value] : r.details)
              if (name.rfind("online_", 0) == 0)
                rows.set(name, value);
            for (const std::string &note : r.notes)
              step_notes.push_back(methods[k].label + ": " + note);
            if (k == 0)
              {
                x     = y;
                first = r;
              }
          }
        return first;
      };

    while (!heat.finished())
      {
        const heat_time_loop::StepResult s = heat.do_step(solve_all);
        out << "[" << std::fixed << std::setprecision(1) << clock.wall_time()
            << " s] step " << s.step << ", " << s.n_dofs << " DoFs"
            << (s.remeshed ? " (remeshed)" : "") << ":" << std::defaultfloat
            << std::setprecision(3);
        for (std::size_t k = 0; k < methods.size(); ++k)
          out << " " << methods[k].label << " "
              << totals[k].per_solve.back() << " it "
              << totals[k].seconds_per_solve.back() << " s;";
        out << " mean T " << std::setprecision(6) << s.mean_temperature
            << std::endl;
        for (const std::string &note : step_notes)
          out << "  note: " << note << std::endl;
        step_notes.clear();
        std::ostringstream so_far;
        rows.write_json(so_far);
        // Written by rank 0; a failed write ends every rank.
        decide_collectively(comm, [&]() {
          if (rank0)
            write_file_atomically(json, so_far.str() + "\n");
        });
      }

    // Totals: the best fixed hook is the reference of `ratio_to_best`.
    double best = std::numeric_limits<double>::max();
    for (std::size_t k = 0; k < methods.size(); ++k)
      if (!methods[k].chooses)
        best = std::min(best, totals[k].seconds);
    if (best == std::numeric_limits<double>::max()) // only auto: itself
      best = totals[0].seconds;
    ResultTable summary;
    const std::size_t n =
      std::max<std::size_t>(1, std::min<std::size_t>(50, o.n_steps / 2));
    for (std::size_t k = 0; k < methods.size(); ++k)
      {
        const LoopTotals &t = totals[k];
        summary.new_row();
        summary.set("method", methods[k].label);
        summary.set("iterations", static_cast<double>(t.iterations));
        summary.set("first_" + std::to_string(n) + "_its",
                    static_cast<double>(sum_of(t.per_solve, n, false)));
        summary.set("last_" + std::to_string(n) + "_its",
                    static_cast<double>(sum_of(t.per_solve, n, true)));
        summary.set("setup_seconds", t.setup);
        summary.set("solve_seconds", t.solve);
        summary.set("wall_seconds", t.seconds);
        summary.set("ratio_to_best_fixed", t.seconds / best);
        summary.set("converged", t.converged);
        std::vector<std::string> hooks_used(t.hooks.begin(), t.hooks.end());
        summary.set("hooks", join(hooks_used, " "));
      }
    out << "\nTotals over the loop (" << o.n_steps << " solves per method):\n";
    decide_collectively(comm, [&]() {
      if (rank0)
        {
          summary.write_text(std::cout, summary.column_names());
          std::cout << "Rows written to " << json << std::endl;
          write_plot(o.dir, methods, totals);
        }
    });
    for (std::size_t k = 0; k < methods.size(); ++k)
      AssertThrow(totals[k].converged,
                  ExcMessage("method '" + methods[k].label +
                             "' did not converge on every step of the time "
                             "loop"));
  }
} // namespace benchmark_solver_comparison
