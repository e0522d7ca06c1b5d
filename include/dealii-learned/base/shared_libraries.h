#pragma once

#include <deal.II/base/config.h>

#include <string>
#include <vector>

DEAL_II_NAMESPACE_OPEN
class ParameterHandler;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * Declares the top-level entry `Additional shared libraries`: a list of
   * shared libraries with user components, loaded before any other
   * parameter is declared.
   */
  void
  declare_shared_library_parameter(dealii::ParameterHandler &prm);

  /**
   * Reads only `Additional shared libraries` from @p parameter_file,
   * ignoring every other entry (they cannot be checked before the
   * libraries that declare some of them are loaded).
   */
  std::vector<std::string>
  read_shared_library_list(const std::string &parameter_file);

  /**
   * Loads each library with dlopen (RTLD_NOW | RTLD_GLOBAL). Static
   * registration objects in a library run as it loads, so its components
   * join the registries. A library that cannot be loaded is an error that
   * names it and gives the loader's reason. Loading the same library twice
   * is harmless.
   */
  void
  load_shared_libraries(const std::vector<std::string> &libraries);
} // namespace dealii_learned
