#include <deal.II/base/exceptions.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/shared_libraries.h>

#include <dlfcn.h>

#include <fstream>

namespace dealii_learned
{
  using namespace dealii;

  void
  declare_shared_library_parameter(ParameterHandler &prm)
  {
    prm.declare_entry(
      "Additional shared libraries",
      "",
      Patterns::List(Patterns::FileName()),
      "Shared libraries with user components (solver hooks, "
      "postprocessors, problems) to load before the parameters are read, so "
      "that their components can be selected by name like the built-in "
      "ones. A comma-separated list of paths; a relative path is relative "
      "to the working directory.");
  }


  std::vector<std::string>
  read_shared_library_list(const std::string &parameter_file,
                           const MPI_Comm    &comm)
  {
    std::vector<std::string> libraries;
    decide_collectively(comm, [&]() {
      {
        std::ifstream in(parameter_file);
        AssertThrow(in,
                    ExcMessage("Cannot open the parameter file '" +
                               parameter_file + "'."));
      }
      ParameterHandler prm;
      declare_shared_library_parameter(prm);
      prm.parse_input(parameter_file, "", /*skip_undefined=*/true);
      libraries =
        Utilities::split_string_list(prm.get("Additional shared libraries"));
    });
    return libraries;
  }


  void
  load_shared_libraries(const std::vector<std::string> &libraries,
                        const MPI_Comm                 &comm)
  {
    decide_collectively(comm, [&]() { load_shared_libraries_here(libraries); });
  }


  void
  load_shared_libraries_here(const std::vector<std::string> &libraries)
  {
    for (const auto &library : libraries)
      {
        if (library.empty())
          continue;
        // dlopen searches the system paths for a bare name; a name with a
        // directory part is taken as a path, which is what users mean.
        const std::string path =
          library.find('/') == std::string::npos ? "./" + library : library;
        void       *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
        const char *reason = handle == nullptr ? dlerror() : nullptr;
        AssertThrow(handle != nullptr,
                    ExcMessage("Cannot load the shared library '" + library +
                               "' listed in 'Additional shared libraries': " +
                               (reason ? reason : "unknown reason") +
                               ". Check the path and that the library was "
                               "built against this dealii-learned."));
      }
  }
} // namespace dealii_learned
