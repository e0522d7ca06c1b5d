#pragma once

#include <deal.II/base/config.h>

#include <deal.II/base/mpi.h>

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
   * libraries that declare some of them are loaded). Collective over
   * @p comm when MPI runs: a file that one rank cannot read fails on all.
   */
  std::vector<std::string>
  read_shared_library_list(const std::string &parameter_file,
                           const MPI_Comm    &comm = MPI_COMM_WORLD);

  /**
   * Loads each library with dlopen (RTLD_NOW | RTLD_GLOBAL). Static
   * registration objects in a library run as it loads, so its components
   * join the registries. A library that cannot be loaded is an error that
   * names it and gives the loader's reason. Loading the same library twice
   * is harmless. Collective over @p comm when MPI runs: a library missing
   * on one rank (one node) fails the call on every rank, naming the rank,
   * so no rank goes on with components the others lack.
   */
  void
  load_shared_libraries(const std::vector<std::string> &libraries,
                        const MPI_Comm                 &comm = MPI_COMM_WORLD);

  /** load_shared_libraries() on this process alone, for programs that
   *  load libraries on some ranks only. */
  void
  load_shared_libraries_here(const std::vector<std::string> &libraries);
} // namespace dealii_learned
