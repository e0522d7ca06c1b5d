#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/shared_libraries.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/training/trainer.h>

namespace dealii_learned
{
  namespace Driver
  {
    using namespace dealii;

    namespace
    {
      void
      declare_output_parameters(ParameterHandler &prm)
      {
        prm.enter_subsection("Output");
        prm.declare_entry("Directory",
                          "output",
                          Patterns::DirectoryName(),
                          "Directory for summary.json, parameters.prm and "
                          "the VTU files; created if it does not exist.");
        prm.declare_entry("Print timings",
                          "true",
                          Patterns::Bool(),
                          "Show setup and solve times and the timer summary "
                          "on screen. They are always in summary.json; "
                          "switch them off for screen output that is the "
                          "same on every run (tests).");
        prm.leave_subsection();
      }
    } // namespace


    void
    declare_parameters(ParameterHandler &prm)
    {
      declare_shared_library_parameter(prm);
      ProblemParameters::declare_parameters(prm);
      LinearSolver::declare_parameters(prm);
      PostprocessorParameters::declare_parameters(prm);
      declare_output_parameters(prm);
      Training::declare_parameters(prm);
    }


    void
    read_parameters(const std::string &parameter_file, ParameterHandler &prm)
    {
      load_shared_libraries(read_shared_library_list(parameter_file));
      declare_parameters(prm);
      decide_collectively(MPI_COMM_WORLD, [&]() {
        try
          {
            prm.parse_input(parameter_file);
          }
        catch (const std::exception &e)
          {
            AssertThrow(false,
                        ExcMessage(error_message(e) +
                                   " (`dealii-learned --print-parameters' "
                                   "lists every entry, its subsection and "
                                   "its allowed values.)"));
          }
      });
    }


    OutputSettings
    parse_output_parameters(ParameterHandler &prm)
    {
      OutputSettings s;
      prm.enter_subsection("Output");
      s.directory     = prm.get("Directory");
      s.print_timings = prm.get_bool("Print timings");
      prm.leave_subsection();
      AssertThrow(!s.directory.empty(),
                  ExcMessage("Output/Directory must not be empty."));
      return s;
    }
  } // namespace Driver
} // namespace dealii_learned
