// Helpers for the dealii-learned test suite, in the manner of deal.II's own
// tests/tests.h (which deal.II does not install): tests write what they
// check to deallog, which initlog() sends to a file named "output" that
// the test harness compares with <test>.output using numdiff.

#pragma once

#include <deal.II/base/logstream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>

#include <dealii-learned/base/utilities.h>

#include <exception>
#include <fstream>
#include <iomanip>
#include <string>
#include <utility>

inline std::ofstream deallogfile;

/** Sends deallog to the file "output" with a fixed number of digits. */
inline void
initlog()
{
  deallogfile.open("output");
  deallogfile << std::setprecision(6);
  dealii::deallog.attach(deallogfile);
  dealii::deallog.depth_console(0);
}

/**
 * Initializes MPI and sends deallog of rank 0 to "output"; other ranks
 * print nothing, so an mpirun=N test compares rank 0's view, which must
 * match the serial run's.
 */
struct MPILogInitAll
{
  MPILogInitAll()
  {
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      initlog();
    else
      dealii::deallog.depth_console(0);
  }

  ~MPILogInitAll()
  {
    if (dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
      dealii::deallog.detach();
  }
};

/**
 * Runs @p f, which is expected to throw. Writes "<title>: " and what
 * @p describe makes of the exception to deallog, or
 * "<title>: no error (wrong)" when @p f returns.
 */
template <typename F, typename Describe>
void
expect_exception(const std::string &title, F &&f, Describe &&describe)
{
  try
    {
      f();
      dealii::deallog << title << ": no error (wrong)" << std::endl;
    }
  catch (const std::exception &e)
    {
      dealii::deallog << title << ": " << describe(e) << std::endl;
    }
}

/**
 * As above with the exception's message as a user reads it
 * (dealii_learned::error_message()).
 */
template <typename F>
void
expect_exception(const std::string &title, F &&f)
{
  expect_exception(title, std::forward<F>(f), [](const std::exception &e) {
    return dealii_learned::error_message(e);
  });
}

/**
 * As above without a title: writes "error: <message>" to deallog, or
 * "no error (wrong)" when @p f returns.
 */
template <typename F>
void
expect_exception(F &&f)
{
  try
    {
      f();
      dealii::deallog << "no error (wrong)" << std::endl;
    }
  catch (const std::exception &e)
    {
      dealii::deallog << "error: " << dealii_learned::error_message(e)
                      << std::endl;
    }
}
