#pragma once

#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <functional>
#include <string>

namespace dealii_learned
{
  /**
   * Makes sure MPI is running, for host programs that never create
   * `Utilities::MPI::MPI_InitFinalize`.
   *
   * Why: Trilinos' Epetra objects (incomplete Cholesky, ML's AMG, every
   * copy of a deal.II matrix into Trilinos, the direction network's
   * hierarchy) call MPI even in a serial program, and with OpenMPI a call
   * before MPI_Init kills the process instead of raising an error the host
   * could see. So the hooks that need MPI call this first: if MPI is not
   * initialized, it is initialized here (MPI_THREAD_SERIALIZED, as deal.II
   * does) and finalized at exit (std::atexit), unless the host finalizes it
   * first. A host that already runs MPI is left alone. After MPI_Finalize,
   * MPI cannot be started again: that throws with what to change.
   */
  void
  ensure_mpi_initialized();


  /**
   * An error that every rank of a communicator raises together: the ranks
   * agreed on it (decide_collectively()), so they can all unwind, print
   * and end cleanly without anyone waiting in a collective call.
   * `origin_rank` is the lowest rank on which the cause was raised.
   */
  class CollectiveError : public dealii::ExceptionBase
  {
  public:
    CollectiveError(const std::string &message,
                    unsigned int       origin_rank,
                    unsigned int       n_failed_ranks,
                    unsigned int       n_ranks);

    void
    print_info(std::ostream &out) const override;

    const std::string  message;
    const unsigned int origin_rank;
    const unsigned int n_failed_ranks;
    const unsigned int n_ranks;
  };


  /**
   * Runs @p check on every rank of @p comm and decides together whether it
   * failed: if it threw on any rank, every rank throws a CollectiveError
   * carrying the message of the lowest failing rank (naming that rank when
   * not all ranks failed). For checks whose outcome may differ between
   * ranks (a file one rank cannot read, a plugin library one node lacks, a
   * directory one rank cannot write) so that no rank goes on alone into a
   * collective call. Collective: every rank of @p comm must call it, and
   * @p check itself must not contain collective calls (a rank that fails
   * before one would leave the others waiting in it; use
   * abort_on_lone_failure() for collective work). Without MPI running, or
   * on one rank, it runs @p check and lets its exception through
   * unchanged.
   */
  void
  decide_collectively(const MPI_Comm &comm, const std::function<void()> &check);


  /**
   * How long a failing rank waits for the others to fail too before it
   * aborts the job (seconds); the environment variable
   * DEALII_LEARNED_FAILURE_TIMEOUT overrides it (ranks whose shared failures
   * can be far apart in time, e.g. on a slow parallel file system).
   */
  constexpr double lone_failure_timeout = 5.;


  /**
   * Runs @p work, which all ranks of @p comm execute together (a solve, a
   * postprocessor, an assembly). If it throws on this rank:
   *
   * - with one rank, or without MPI running, the exception propagates;
   * - otherwise this rank tells the others and waits up to
   *   lone_failure_timeout seconds to hear that they failed in the same
   *   call. A failure every rank shares (a solver that does not converge
   *   raises NoConvergence on all ranks, since the residual norm is global)
   *   propagates on every rank, so callers can catch it as usual;
   * - a failure on some ranks only cannot be recovered: the other ranks
   *   wait inside a collective call that this rank will never reach (and
   *   even unwinding may hang, e.g. in a TimerOutput::Scope, whose
   *   destructor synchronises the timers). This rank then prints
   *   "<what> failed on rank r of n: <message>" to stderr and calls
   *   MPI_Abort(comm, 1) a second later (so that the launcher has the
   *   message before it kills the processes), so the job ends within
   *   seconds with the message
   *   and a non-zero exit code instead of hanging.
   *
   * CollectiveError (already agreed by all ranks) propagates at once.
   * The agreement uses point-to-point messages on a tag of its own, so it
   * never matches the collective calls the other ranks may be waiting in;
   * each message carries the number of the guarded call (counted per
   * communicator, the same on all ranks), so that failures in different
   * calls are not taken for a shared one. Collective: all ranks of @p comm
   * must run the same guarded calls in the same order.
   */
  void
  abort_on_lone_failure(const MPI_Comm              &comm,
                        const std::string           &what,
                        const std::function<void()> &work);


  /**
   * Whether MPI is running (initialized and not finalized): only then may a
   * communicator be used.
   */
  bool
  mpi_is_running();
} // namespace dealii_learned
