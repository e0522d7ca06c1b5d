// Failures under MPI: a check that fails on the last rank only is decided
// on all ranks together (every rank throws CollectiveError with the
// message of the failing rank and its number); a failure that all ranks
// share keeps its type through abort_on_lone_failure(), so a host can
// still catch NoConvergence; a check that fails nowhere throws nowhere.
// (A failure on one rank only inside abort_on_lone_failure() ends the job:
// see the plugins/lone_failure_* tests, which run the driver.)

#include <deal.II/base/mpi.h>

#include <deal.II/lac/solver_control.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/utilities.h>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  const MPI_Comm                   comm = MPI_COMM_WORLD;
  const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
  const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);

  // Fails on the last rank only.
  try
    {
      decide_collectively(comm, [&]() {
        AssertThrow(rank + 1 < n_ranks,
                    ExcMessage("the model file cannot be read here"));
      });
      deallog << "last rank: no exception (wrong)" << std::endl;
    }
  catch (const CollectiveError &e)
    {
      deallog << "last rank: origin " << e.origin_rank << ", failed "
              << e.n_failed_ranks << " of " << e.n_ranks << ": "
              << error_message(e) << std::endl;
    }
  catch (const std::exception &e)
    {
      // On one rank, the exception as thrown.
      deallog << "last rank (one rank): " << error_message(e) << std::endl;
    }

  // Fails everywhere: no rank number in the message.
  try
    {
      decide_collectively(comm, [&]() {
        AssertThrow(false, ExcMessage("no rank can write the output"));
      });
    }
  catch (const CollectiveError &e)
    {
      deallog << "all ranks: failed " << e.n_failed_ranks << " of " << e.n_ranks
              << ": " << error_message(e) << std::endl;
    }
  catch (const std::exception &e)
    {
      deallog << "all ranks (one rank): " << error_message(e) << std::endl;
    }

  // Fails nowhere.
  decide_collectively(comm, []() {});
  deallog << "no rank: no exception" << std::endl;

  // A failure all ranks share passes through with its type.
  try
    {
      abort_on_lone_failure(comm, "a solve", []() {
        throw SolverControl::NoConvergence(12, 0.5);
      });
    }
  catch (const SolverControl::NoConvergence &e)
    {
      deallog << "shared failure: NoConvergence in step " << e.last_step
              << std::endl;
    }
  abort_on_lone_failure(comm, "nothing", []() {});
  deallog << "no failure: returns" << std::endl;
}
