#pragma once

#include <deal.II/base/config.h>

#include <dealii-learned/base/result_table.h>
#include <dealii-learned/models/direction_network.h>

#include <ostream>
#include <string>

DEAL_II_NAMESPACE_OPEN
class ParameterHandler;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * The `dealii-learned` program: runs a built-in problem through its
   * refinement cycles with the solver hook and postprocessors named in a
   * parameter file, and writes VTU files and a summary. The functions are
   * in the library so that tests and user programs can drive a run
   * in-process.
   */
  namespace Driver
  {
    /**
     * Declares every parameter: `Additional shared libraries`, `Problem`,
     * `Linear solver`, `Postprocessors`, `Output`, with the subsections of
     * all registered components.
     */
    void
    declare_parameters(dealii::ParameterHandler &prm);

    /**
     * Loads the shared libraries the file lists, declares all parameters,
     * and parses the file. Any unknown entry or value outside its pattern
     * throws with a message naming the line and the entry.
     */
    void
    read_parameters(const std::string &parameter_file,
                    dealii::ParameterHandler &prm);

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
     * Trains the direction network on the matrices of the problem in @p prm
     * (every refinement cycle of every `Training/Coefficient contrasts`
     * sample), reporting progress on @p out, checkpointing after every
     * epoch, and writes `Training/Model file`. One MPI rank.
     */
    DirectionNetworkModel
    train(dealii::ParameterHandler &prm, std::ostream &out);

    /**
     * The command line: `run FILE.prm`, `--print-parameters [FILE.prm]`,
     * `--help`. Returns the process exit code (0 on success, 1 on a bad
     * input or failed run, 2 on a usage error). Call between MPI
     * initialization and finalization.
     */
    int
    main(int argc, char **argv);
  } // namespace Driver
} // namespace dealii_learned
