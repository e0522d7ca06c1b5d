#pragma once

#include <dealii-learned/solvers/solver_hook.h>

#include <memory>
#include <vector>

DEAL_II_NAMESPACE_OPEN
class TimerOutput;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * A hook and the hooks it is compared with (`Linear solver/Compare
   * with`), behind the hook interface, so that a host (the driver, a
   * problem's time step) solves once and gets every method's figures on
   * exactly the same systems.
   *
   * solve() solves with the primary hook (whose solution the host keeps;
   * its failure propagates), then solves the same system with every
   * comparison hook from a zero start into a scratch vector (solutions
   * discarded; a comparison that does not converge is reported, not
   * fatal). take_reports() returns one report per hook merged over all
   * solves since the last call, so that a step that solves several
   * systems (the Picard iterations of a time step) gives one row per
   * method: iterations, restarts, times and fallback steps summed, the
   * largest residual, converged only if every solve converged.
   */
  class SolverWithComparisons : public SolverHook
  {
  public:
    /** @p timer (may be null) gets the sections "solve" and "solve
     *  (comparisons)". */
    SolverWithComparisons(std::unique_ptr<SolverHook>              primary,
                          std::vector<std::unique_ptr<SolverHook>> comparisons,
                          dealii::TimerOutput *timer = nullptr);

    SolverReport
    solve(const dealii::SparseMatrix<double> &A,
          dealii::Vector<double>             &x,
          const dealii::Vector<double>       &b) override;

    SolverReport
    solve(const dealii::TrilinosWrappers::SparseMatrix &A,
          dealii::TrilinosWrappers::MPI::Vector        &x,
          const dealii::TrilinosWrappers::MPI::Vector  &b) override;

    /** The primary hook's report first, then one per comparison, each
     *  merged over the solves since the last call; empty if none. */
    std::vector<SolverReport>
    take_reports();

    /** Solves since the last take_reports(). */
    unsigned int
    n_solves() const;

  private:
    template <typename MatrixType, typename VectorType>
    SolverReport
    solve_all(const MatrixType &A, VectorType &x, const VectorType &b);

    std::unique_ptr<SolverHook>              primary;
    std::vector<std::unique_ptr<SolverHook>> comparisons;
    dealii::TimerOutput                     *timer;
    std::vector<SolverReport>                merged;
    unsigned int                             solves = 0;
  };


  /**
   * Adds @p next to @p total (see SolverWithComparisons): counts, times and
   * statistics summed, the largest residual, converged only if both are,
   * the latest details.
   */
  void
  merge_reports(SolverReport &total, const SolverReport &next);
} // namespace dealii_learned
