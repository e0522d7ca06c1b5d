#pragma once

#include <dealii-learned/base/result_table.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <ostream>
#include <string>

namespace dealii_learned
{
  namespace Driver
  {
    /**
     * The columns of one solver report in the run summary: method,
     * preconditioner, iterations, converged, relative_residual, restarts,
     * setup_seconds, solve_seconds, the method's statistics and (as detail
     * columns) its details.
     */
    void
    add_solver_columns(ResultTable &table, const SolverReport &report);

    /** One line per solve on screen, with the report's warnings under it. */
    void
    print_solver_line(std::ostream &out, const SolverReport &report);

    /**
     * Writes `summary.json` in @p directory (atomically): the problem, the
     * number of MPI ranks and the rows.
     */
    void
    write_summary(const std::string     &directory,
                  const ProblemSettings &problem,
                  const unsigned int     n_ranks,
                  const ResultTable     &table);

    /**
     * The table on screen: every column but the detail columns (summary.json
     * has them), and without the time columns unless @p print_timings.
     */
    void
    print_summary(std::ostream      &out,
                  const ResultTable &table,
                  const bool         print_timings);
  } // namespace Driver
} // namespace dealii_learned
