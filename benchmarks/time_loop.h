#pragma once

// The time-loop mode of benchmark_solver_comparison (time_loop.cc).

#include <string>

namespace benchmark_solver_comparison
{
  struct TimeLoopOptions
  {
    unsigned int n_steps         = 250;
    unsigned int refinement      = 7;
    unsigned int adaptive_levels = 2;
    unsigned int remesh_every    = 5;
    /** Comma-separated labels (empty: all). */
    std::string method_list;
    /** The direction network's model file ("default": the shipped one). */
    std::string model = "default";
    /** `Online budget` of `dcdm online`. */
    double online_budget = 0.25;
    /** Where time_loop.json, the plot data and the plot go. */
    std::string dir;
  };

  /**
   * Runs examples/heat_time_loop's time loop (step-26 on a distributed
   * adaptive mesh) once; every method's hook, kept for the whole loop,
   * solves every step's system from the previous solution. Prints a line
   * per step and the totals, writes <dir>/time_loop.json after every step
   * and the plot of seconds per step at the end. Throws if a method did
   * not converge on some step (after the totals are printed).
   */
  void
  run_time_loop(const TimeLoopOptions &options);
} // namespace benchmark_solver_comparison
