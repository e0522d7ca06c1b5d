#include <deal.II/base/timer.h>

#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/timer_section.h>
#include <dealii-learned/solvers/solver_with_comparisons.h>

#include <algorithm>

namespace dealii_learned
{
  using namespace dealii;

  void
  merge_reports(SolverReport &total, const SolverReport &next)
  {
    if (total.method.empty())
      {
        total = next;
        return;
      }
    // A solve of b = 0 returns before its method names a preconditioner.
    if (total.preconditioner.empty())
      total.preconditioner = next.preconditioner;
    total.converged = total.converged && next.converged;
    total.stagnated = total.stagnated || next.stagnated;
    total.iterations += next.iterations;
    total.restarts += next.restarts;
    total.setup_seconds += next.setup_seconds;
    total.solve_seconds += next.solve_seconds;
    total.residual = std::max(total.residual, next.residual);
    total.relative_residual =
      std::max(total.relative_residual, next.relative_residual);
    total.residual_history.insert(total.residual_history.end(),
                                  next.residual_history.begin(),
                                  next.residual_history.end());
    for (const auto &[name, value] : next.statistics)
      {
        const auto it =
          std::find_if(total.statistics.begin(),
                       total.statistics.end(),
                       [&](const auto &s) { return s.first == name; });
        if (it == total.statistics.end())
          total.statistics.emplace_back(name, value);
        else
          it->second += value;
      }
    total.details = next.details;
    for (const auto &w : next.warnings)
      if (std::find(total.warnings.begin(), total.warnings.end(), w) ==
          total.warnings.end())
        total.warnings.push_back(w);
    for (const auto &n : next.notes)
      if (std::find(total.notes.begin(), total.notes.end(), n) ==
          total.notes.end())
        total.notes.push_back(n);
  }


  SolverWithComparisons::SolverWithComparisons(
    std::unique_ptr<SolverHook>              primary,
    std::vector<std::unique_ptr<SolverHook>> comparisons,
    TimerOutput                             *timer)
    : primary(std::move(primary))
    , comparisons(std::move(comparisons))
    , timer(timer)
    , merged(1 + this->comparisons.size())
  {
    settings = this->primary->get_settings();
  }


  template <typename MatrixType, typename VectorType>
  SolverReport
  SolverWithComparisons::solve_all(const MatrixType &A,
                                   VectorType       &x,
                                   const VectorType &b)
  {
    ++solves;
    if (has_structure)
      {
        primary->set_structure(structure);
        for (auto &comparison : comparisons)
          comparison->set_structure(structure);
      }
    {
      TimerSection section(timer, "solve");
      try
        {
          report = primary->solve(A, x, b);
        }
      catch (...)
        {
          // The hook is guarded: a failure that reaches this point is
          // shared by all ranks, which may leave the section together.
          merge_reports(merged[0], primary->last_report());
          section.stop();
          throw;
        }
      merge_reports(merged[0], report);
    }
    if (!comparisons.empty())
      {
        TimerSection section(timer, "solve (comparisons)");
        VectorType   scratch;
        scratch.reinit(x, true);
        for (unsigned int c = 0; c < comparisons.size(); ++c)
          {
            scratch = 0.;
            try
              {
                comparisons[c]->solve(A, scratch, b);
              }
            catch (const SolverControl::NoConvergence &)
              {}
            merge_reports(merged[c + 1], comparisons[c]->last_report());
          }
      }
    return report;
  }


  SolverReport
  SolverWithComparisons::solve(const SparseMatrix<double> &A,
                               Vector<double>             &x,
                               const Vector<double>       &b)
  {
    return solve_all(A, x, b);
  }


  SolverReport
  SolverWithComparisons::solve(const TrilinosWrappers::SparseMatrix &A,
                               TrilinosWrappers::MPI::Vector        &x,
                               const TrilinosWrappers::MPI::Vector  &b)
  {
    return solve_all(A, x, b);
  }


  std::vector<SolverReport>
  SolverWithComparisons::take_reports()
  {
    std::vector<SolverReport> result;
    if (solves > 0)
      result.swap(merged);
    merged.assign(1 + comparisons.size(), SolverReport());
    solves = 0;
    return result;
  }


  unsigned int
  SolverWithComparisons::n_solves() const
  {
    return solves;
  }
} // namespace dealii_learned
