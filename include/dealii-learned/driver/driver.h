#pragma once

#include <deal.II/base/config.h>

#include <dealii-learned/base/result_table.h>

#include <ostream>
#include <string>

DEAL_II_NAMESPACE_OPEN
class ParameterHandler;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * The `dealii-learned` program: runs a built-in problem step after step
   * (refinement cycles, or time steps) with the solver hook and
   * postprocessors named in a parameter file, writes VTU files and a
   * summary, and trains models. The functions are in the library so that
   * tests and user programs can drive a run in-process. One file per
   * concern: parameters.cc (declaring and reading), run_loop.cc (the
   * steps), summary.cc (summary.json and the table), command_line.cc.
   */
  namespace Driver
  {
    /** `subsection Output`. */
    struct OutputSettings
    {
      std::string directory     = "output";
      bool        print_timings = true;
    };

    /**
     * Declares every parameter: `Additional shared libraries`, `Problem`,
     * `Linear solver`, `Postprocessors`, `Output`, `Training`, with the
     * subsections of all registered components.
     */
    void
    declare_parameters(dealii::ParameterHandler &prm);

    /**
     * Loads the shared libraries the file lists, declares all parameters,
     * and parses the file. Any unknown entry or value outside its pattern
     * throws with a message naming the line and the entry. Collective.
     */
    void
    read_parameters(const std::string        &parameter_file,
                    dealii::ParameterHandler &prm);

    /** Reads `subsection Output`. */
    OutputSettings
    parse_output_parameters(dealii::ParameterHandler &prm);

    /**
     * Runs the problem described by @p prm (already parsed). Progress and
     * the final table go to @p out on rank 0; `summary.json`,
     * `parameters.prm` and VTU files go to the output directory. Every
     * parameter is checked, and the output directory tested, before
     * anything is written. Returns the summary rows.
     */
    ResultTable
    run(dealii::ParameterHandler &prm, std::ostream &out);

    /**
     * The command line: `run FILE.prm`, `train FILE.prm`,
     * `--print-parameters [FILE.prm]`, `--help`. Returns the process exit
     * code (0 on success, 1 on a bad input or failed run, 2 on a usage
     * error). Call between MPI initialization and finalization.
     */
    int
    main(int argc, char **argv);
  } // namespace Driver
} // namespace dealii_learned
