#pragma once

#include <exception>
#include <string>
#include <vector>

namespace dealii_learned
{
  /** Joins @p items with @p separator. */
  std::string
  join(const std::vector<std::string> &items, const std::string &separator);

  /**
   * The message of an exception as a user should read it: for deal.II
   * exceptions only their explanatory text (no source location or stack
   * trace), for others what().
   */
  std::string
  error_message(const std::exception &exception);

  /**
   * Writes @p content to @p filename through a temporary file in the same
   * directory and an atomic rename, so a reader never sees a half-written
   * file and a failure leaves any previous file untouched. Throws with the
   * file name and the system's reason on failure.
   */
  void
  write_file_atomically(const std::string &filename, const std::string &content);

  /**
   * Creates @p directory (and its parents) if needed and checks that files
   * can be created in it. Throws naming @p parameter_name (the parameter
   * entry the directory came from) when it cannot.
   */
  void
  ensure_writable_directory(const std::string &directory,
                            const std::string &parameter_name);
} // namespace dealii_learned
