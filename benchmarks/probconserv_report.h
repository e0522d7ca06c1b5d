#pragma once

// The plots of benchmark_probconserv (probconserv.cc).

#include <array>
#include <map>
#include <string>
#include <vector>

namespace benchmark_probconserv
{
  /** One profile for the plots: x, exact, means and deviations. */
  struct Profile
  {
    std::vector<std::array<double, 6>> rows; // x exact base sd pc sd
  };


  /**
   * Writes, in @p dir, `profile-<case>.dat/.gp` (mean +- 2 sigma of the base
   * model and of ProbConserv against the exact solution at the final time,
   * from @p profiles), `conservation-<case>-<method>.dat` and
   * `conservation_error.gp` (the conservation error over time, from
   * @p errors: time and error in turn), and runs gnuplot on the scripts
   * when it is installed (throwing if it fails).
   */
  void
  write_plots(const std::string                                &dir,
              const std::map<std::string, std::vector<double>> &errors,
              const std::map<std::string, Profile>             &profiles);
} // namespace benchmark_probconserv
