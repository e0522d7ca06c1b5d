#pragma once

#include <deal.II/lac/solver_control.h>

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
   * below `progress` times the one at the last check that made progress
   * (so a slow but steady decrease, by 0.7 per check say, is progress
   * every other check). After `passes` checks in a row without progress
   * the solve has stagnated: further restarts only repeat the same floor,
   * so it ends at once instead of running to its iteration limit.
   */
  class StagnationMonitor
  {
  public:
    /** Checks in a row without progress after which a solve stagnated. */
    static constexpr unsigned int passes = 3;

    /** The factor by which a check must lower the true residual of the
     *  last check that made progress to make progress itself. */
    static constexpr double progress = 0.5;

    /** @p initial_residual: the true residual the solve started from. */
    explicit StagnationMonitor(const double initial_residual)
      : reference(initial_residual)
    {}

    /** Records the true residual at a denied convergence; true when the
     *  solve has stagnated. */
    bool
    check(const double true_residual)
    {
      if (true_residual < progress * reference)
        {
          reference = true_residual;
          idle      = 0;
        }
      else
        ++idle;
      return idle >= passes;
    }

  private:
    /** The true residual at the last check that made progress (at first,
     *  the initial one). */
    double       reference;
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
