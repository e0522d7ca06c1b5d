#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace dealii_learned
{
  /** Joins @p items with @p separator. */
  std::string
  join(const std::vector<std::string> &items, const std::string &separator);

  /** @p text as a finite double, all of it (hexadecimal floats too), or
   *  false: for file formats where garbage must not become 0. */
  bool
  parse_double(const std::string &text, double &value);

  /** @p text as an unsigned int, all of it (digits only), or false. */
  bool
  parse_unsigned(const std::string &text, unsigned int &value);

  /** @p x with @p digits significant digits, for progress and messages. */
  std::string
  format_number(double x, int digits = 3);

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
  write_file_atomically(const std::string &filename,
                        const std::string &content);

  /**
   * Creates @p directory (and its parents) if needed and checks that files
   * can be created in it. Throws naming @p parameter_name (the parameter
   * entry the directory came from) when it cannot.
   */
  void
  ensure_writable_directory(const std::string &directory,
                            const std::string &parameter_name);

  /**
   * The 64-bit FNV-1a hash of @p text as 16 hexadecimal digits: a
   * fingerprint that is the same on every platform and run (unlike
   * std::hash), for configurations and data sets.
   */
  std::string
  fingerprint(const std::string &text);

  /**
   * A number in [0, 1) determined by @p key alone (splitmix64, a
   * counter-based hash): reproducible random values that do not depend on
   * the order of evaluation, the mesh or the MPI partition.
   */
  inline double
  hash_to_unit_interval(std::uint64_t key)
  {
    std::uint64_t z = key + 0x9e3779b97f4a7c15ull;
    z               = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z               = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z               = z ^ (z >> 31);
    return double(z >> 11) / 9007199254740992.;
  }
} // namespace dealii_learned
