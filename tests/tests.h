// Helpers for the dealii-learned test suite, in the manner of deal.II's own
// tests/tests.h (which deal.II does not install): tests write what they
// check to deallog, which initlog() sends to a file named "output" that
// the test harness compares with <test>.output using numdiff.

#pragma once

#include <deal.II/base/logstream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>

#include <fstream>
#include <iomanip>

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
