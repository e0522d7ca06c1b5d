#pragma once

#include <deal.II/base/timer.h>

#include <deal.II/lac/solver_control.h>

#include <dealii-learned/solvers/solver_hook.h>

namespace dealii_learned
{
  /**
   * The frame every solver hook's solve() shares, so that all methods are
   * checked and reported the same way: the sizes of A, x and b are
   * checked; b = 0 gives x = 0 at once; @p iterate(control, report) sets up
   * (recording report.setup_seconds, and report.preconditioner if the
   * method has one) and iterates with the SolverControl it
   * is given (tolerance relative_tolerance * |b|); the rest of its time is
   * solve time. Afterwards the true residual |b - A x| / |b| is recomputed,
   * a recurrence that claims convergence while the true residual is more
   * than ten times the tolerance is not believed, and a solve that did not
   * converge throws SolverControl::NoConvergence after the report is
   * complete (so last_report() describes the failure too).
   */
  template <typename MatrixType, typename VectorType, typename Iterate>
  void
  solve_and_report(const SolverSettings &settings,
                   const MatrixType &    A,
                   VectorType &          x,
                   const VectorType &    b,
                   const Iterate &       iterate,
                   SolverReport &        report)
  {
    using namespace dealii;
    AssertThrow(A.m() == b.size() && A.n() == x.size(),
                ExcMessage("Linear solver '" + settings.method +
                           "': the matrix is " + std::to_string(A.m()) +
                           " x " + std::to_string(A.n()) +
                           " but the vectors have sizes " +
                           std::to_string(x.size()) + " (x) and " +
                           std::to_string(b.size()) + " (b)."));
    report          = SolverReport();
    report.method   = settings.method;
    report.rhs_norm = b.l2_norm();
    if (report.rhs_norm == 0.)
      {
        x                       = 0.;
        report.converged        = true;
        report.residual_history = {0.};
        return;
      }

    SolverControl control(settings.max_iterations,
                          settings.relative_tolerance * report.rhs_norm,
                          /*log_history=*/false,
                          /*log_result=*/false);
    control.enable_history_data();
    Timer timer;
    try
      {
        iterate(control, report);
        report.converged = true;
      }
    catch (const SolverControl::NoConvergence &)
      {
        report.converged = false;
      }
    report.solve_seconds    = timer.wall_time() - report.setup_seconds;
    report.iterations       = control.last_step();
    report.residual_history = control.get_history_data();

    VectorType r;
    r.reinit(b, true);
    A.vmult(r, x);
    r.sadd(-1., 1., b);
    report.relative_residual = r.l2_norm() / report.rhs_norm;
    if (report.converged &&
        report.relative_residual > 10. * settings.relative_tolerance)
      report.converged = false;
    if (!report.converged)
      throw SolverControl::NoConvergence(report.iterations,
                                         report.relative_residual *
                                           report.rhs_norm);
  }
} // namespace dealii_learned
