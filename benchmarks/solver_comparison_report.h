#pragma once

// The tables and plots of benchmark_solver_comparison
// (solver_comparison.cc).

#include <dealii-learned/base/result_table.h>

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace benchmark_solver_comparison
{
  /**
   * Writes on @p out the table of every row of @p table (a row per
   * problem, size and method), then the profile of the learned methods:
   * where their time goes (the hierarchy's setup phases, the network, the
   * rest of the solve).
   */
  void
  write_tables(std::ostream &out, const dealii_learned::ResultTable &table);

  /**
   * Writes, in @p dir, `residuals-<problem>.dat/.gp` (residual against
   * iteration at the largest size, from @p histories, keyed
   * "<problem> <method>") and `time_vs_dofs.dat/.gp` (total time against
   * DoFs per problem and method, from @p table), and runs gnuplot on them
   * when it is installed; says on std::cout where the plots or the
   * scripts are.
   */
  void
  write_plots(const std::string                                &dir,
              const dealii_learned::ResultTable                &table,
              const std::map<std::string, std::vector<double>> &histories);
} // namespace benchmark_solver_comparison
