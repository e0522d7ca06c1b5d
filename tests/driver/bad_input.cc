// Bad input stops a run before anything is written, with a message that
// names the offending entry: an unknown entry, a value outside its
// pattern, an unknown method or preconditioner, a missing model file, a
// missing plugin library,
// an unwritable output directory, a missing parameter file. A solver that
// does not converge ends the run with a message saying what to change.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

namespace
{
  const std::string valid = "subsection Problem\n"
                            "  set Refinement cycles = 1\n"
                            "  set Initial global refinement = 2\n"
                            "end\n"
                            "subsection Postprocessors\n"
                            "  set List of postprocessors = field-statistics\n"
                            "end\n";

  void
  check(const std::string &title,
        const std::string &body,
        const std::string &dir)
  {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    const std::string file = "case.prm";
    {
      std::ofstream out(file);
      out << valid << body << "subsection Output\n  set Directory = " << dir
          << "\n  set Print timings = false\nend\n";
    }
    deallog << title << ": ";
    try
      {
        ParameterHandler   prm;
        std::ostringstream screen;
        Driver::read_parameters(file, prm);
        Driver::run(prm, screen);
        deallog << "no error" << std::endl;
      }
    catch (const std::exception &e)
      {
        deallog << error_message(e) << std::endl;
      }
    deallog << "  summary.json written: "
            << std::filesystem::exists(dir + "/summary.json") << std::endl;
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  check("valid input", "", "ok");
  deallog << "  parameters.prm written: "
          << std::filesystem::exists("ok/parameters.prm") << std::endl;

  check("unknown entry",
        "subsection Linear solver\n  set Mehtod = cg\nend\n",
        "bad1");
  check("value outside pattern",
        "subsection Problem\n  set Dimension = 4\nend\n",
        "bad2");
  check("unknown method",
        "subsection Linear solver\n  set Method = gmres\nend\n",
        "bad3");
  check("unknown comparison",
        "subsection Linear solver\n  set Compare with = cg:ilu\nend\n",
        "bad4");
  check(
    "missing model file",
    "subsection Linear solver\n  set Method = dcdm\n"
    "  subsection dcdm\n    set Model file = no-such-model.dlm\n  end\nend\n",
    "bad7");
  check("missing shared library",
        "set Additional shared libraries = ./no-such-plugin.so\n",
        "bad5");

  {
    std::ofstream blocker("not-a-directory");
    blocker << "a file\n";
  }
  check("unwritable output directory", "", "not-a-directory/results");

  check("no convergence",
        "subsection Linear solver\n  set Preconditioner = none\n"
        "  set Maximum iterations = 3\nend\n",
        "bad6");

  deallog << "missing parameter file: ";
  try
    {
      ParameterHandler prm;
      Driver::read_parameters("no-such-file.prm", prm);
      deallog << "no error (wrong)" << std::endl;
    }
  catch (const std::exception &e)
    {
      deallog << error_message(e) << std::endl;
    }
}
