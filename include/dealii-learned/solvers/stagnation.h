#pragma once

#include <deal.II/lac/solver_control.h>

#include <algorithm>

namespace dealii_learned
{
  /**
   * The rule by which every solver hook tells a true residual that has
   * stopped falling (the attainable accuracy, when the tolerance lies below
   * it) from one that is still converging.
   *
   * A method whose recurrence claims convergence while the true residual
   * ||b - A x|| denies it restarts from the true residual. Each such check
   * is a call of check(): it makes progress when the true residual falls
   * below `progress` times the lowest one before it. After `passes` checks
   * in a row without progress the solve has stagnated: further restarts
   * only repeat the same floor, so it ends at once instead of running to
   * its iteration limit.
   */
  class StagnationMonitor
  {
  public:
    /** Checks in a row without progress after which a solve stagnated. */
    static constexpr unsigned int passes = 3;

    /** The factor by which a check must lower the lowest true residual
     *  before it to count as progress. */
    static constexpr double progress = 0.5;

    /** @p initial_residual: the true residual the solve started from. */
    explicit StagnationMonitor(const double initial_residual)
      : lowest(initial_residual)
    {}

    /** Records the true residual at a denied convergence; true when the
     *  solve has stagnated. */
    bool
    check(const double true_residual)
    {
      if (true_residual < progress * lowest)
        idle = 0;
      else
        ++idle;
      lowest = std::min(lowest, true_residual);
      return idle >= passes;
    }

  private:
    double       lowest;
    unsigned int idle = 0;
  };


  /**
   * What a Krylov method inside a solver hook throws (SolverDCDM, which
   * restarts itself) when its StagnationMonitor says it has stagnated: a
   * SolverControl::NoConvergence, so that it ends any deal.II loop, which
   * solve_and_report() recognises and turns into SolverNoConvergence with
   * `stagnated` set.
   */
  class SolverStagnated : public dealii::SolverControl::NoConvergence
  {
  public:
    SolverStagnated(const unsigned int last_step, const double last_residual)
      : dealii::SolverControl::NoConvergence(last_step, last_residual)
    {}

    void
    print_info(std::ostream &out) const override
    {
      out << "Iterative method stagnated at the true residual "
          << last_residual << " after " << last_step
          << " steps: its restarts from the true residual no longer lower "
             "it (the attainable accuracy lies above the tolerance)."
          << std::endl;
    }
  };
} // namespace dealii_learned
