#pragma once

#include <deal.II/base/timer.h>

#include <deal.II/lac/solver_control.h>

#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/solvers/stagnation.h>

#include <cmath>
#include <string>

namespace dealii_learned
{
  /**
   * The frame every solver hook's solve() shares, so that all methods
   * follow one convergence rule and report the same way (a user plugin's
   * hook can use it too).
   *
   * The sizes of A, x and b are checked, and b = 0 gives x = 0 at once.
   * Then `method(run, report)` sets the method up (a preconditioner, a
   * network; it records report.preconditioner if it has one) and calls
   * `run(pass)` once, where `pass(SolverControl &control)` runs its Krylov
   * iteration from the current x under @p control. Everything before run()
   * is setup time, the rest solve time.
   *
   * run() applies the rule of SolverSettings: each pass gets the
   * tolerance max(absolute, relative ||b||) and the iterations left; when a
   * pass stops, the true residual ||b - A x|| is recomputed. A method's
   * recurrence can drift below the tolerance while the true residual is
   * not (rounding, or a tolerance near the attainable accuracy); then the
   * method is restarted from the true residual, with the iterations left.
   * So a solve stops either with a true residual at or below the tolerance,
   * or at `max_iterations` in total, or when it stagnates, and then throws
   * SolverNoConvergence after the report is complete (so last_report()
   * describes the failure too).
   *
   * Stagnation: when the tolerance lies below the accuracy the method can
   * attain for this system (rounding in A x and in the preconditioner), the
   * recurrence keeps converging while the true residual stays put, and the
   * restarts would run to `max_iterations`. StagnationMonitor tells the
   * two apart: after StagnationMonitor::passes restarts in a row that do
   * not halve the true residual of the last restart that did, or a
   * restarted pass that cannot iterate at all, or a method that throws
   * SolverStagnated itself, the solve ends with report.stagnated set, and
   * the message gives the floor reached and the advice that fits.
   */
  template <typename MatrixType, typename VectorType, typename Method>
  void
  solve_and_report(const SolverSettings &settings,
                   const MatrixType     &A,
                   VectorType           &x,
                   const VectorType     &b,
                   const Method         &method,
                   SolverReport         &report)
  {
    using namespace dealii;
    AssertThrow(A.m() == b.size() && A.n() == x.size(),
                ExcMessage(
                  "Linear solver '" + settings.method + "': the matrix is " +
                  std::to_string(A.m()) + " x " + std::to_string(A.n()) +
                  " but the vectors have sizes " + std::to_string(x.size()) +
                  " (x) and " + std::to_string(b.size()) + " (b)."));
    report          = SolverReport();
    report.method   = settings.method;
    report.rhs_norm = b.l2_norm();
    AssertThrow(std::isfinite(report.rhs_norm),
                ExcMessage("Linear solver '" + settings.method +
                           "': the right-hand side is not finite (it holds "
                           "NaN or infinite entries); the assembly that made "
                           "it failed."));
    report.tolerance = settings.tolerance(report.rhs_norm);
    if (report.rhs_norm == 0.)
      {
        x                       = 0.;
        report.converged        = true;
        report.residual_history = {0.};
        return;
      }

    Timer      timer;
    bool       ran = false;
    VectorType r;
    r.reinit(b, true);
    const auto true_residual = [&]() {
      A.vmult(r, x);
      r.sadd(-1., 1., b);
      return r.l2_norm();
    };
    const auto run = [&](const auto &pass) {
      AssertThrow(!ran, ExcInternalError());
      ran                  = true;
      report.setup_seconds = timer.wall_time();
      StagnationMonitor stagnation(report.rhs_norm);
      while (true)
        {
          SolverControl control(settings.max_iterations - report.iterations,
                                report.tolerance,
                                /*log_history=*/false,
                                /*log_result=*/false);
          control.enable_history_data();
          bool stopped = false;
          try
            {
              pass(control);
            }
          catch (const SolverStagnated &)
            {
              stopped          = true;
              report.stagnated = true;
            }
          catch (const SolverControl::NoConvergence &)
            {
              stopped = true;
            }
          report.iterations += control.last_step();
          const auto &history = control.get_history_data();
          report.residual_history.insert(report.residual_history.end(),
                                         history.begin(),
                                         history.end());
          report.residual = true_residual();
          if (report.residual <= report.tolerance)
            {
              report.converged = true;
              report.stagnated = false;
              break;
            }
          // The method gave up (iteration limit or breakdown).
          if (stopped || report.iterations >= settings.max_iterations)
            break;
          // It claims a convergence the true residual denies: restart,
          // unless the true residual has stopped falling (or the method
          // cannot move at all).
          if (control.last_step() == 0)
            {
              // The method cannot iterate from here: after restarts, the
              // floor; at once, a method that broke down.
              report.stagnated = report.restarts > 0;
              break;
            }
          if (stagnation.check(report.residual))
            {
              report.stagnated = true;
              break;
            }
          ++report.restarts;
        }
    };

    method(run, report);
    AssertThrow(ran,
                ExcMessage("Linear solver '" + settings.method +
                           "' set up but never iterated."));
    report.solve_seconds     = timer.wall_time() - report.setup_seconds;
    report.relative_residual = report.residual / report.rhs_norm;
    if (!report.converged)
      AssertThrow(false, SolverNoConvergence(settings, report));
  }
} // namespace dealii_learned
