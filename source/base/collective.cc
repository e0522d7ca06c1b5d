#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>

#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector_memory.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/utilities.h>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** The tag of the messages by which failing ranks find each other;
     *  above the tags deal.II uses for its own point-to-point messages. */
    constexpr int failure_tag = 32123;


    /** Ends MPI at exit if ensure_mpi_initialized() started it. */
    void
    finalize_mpi_at_exit()
    {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (finalized)
        return;
      // Pooled Trilinos vectors hold MPI objects; deal.II's MPI_InitFinalize
      // releases them before MPI_Finalize for the same reason. (The pool
      // was created before this function was registered, so it still
      // exists here.)
      GrowingVectorMemory<
        TrilinosWrappers::MPI::Vector>::release_unused_memory();
      MPI_Finalize();
    }


    std::string
    message_of(const std::exception_ptr &error)
    {
      try
        {
          std::rethrow_exception(error);
        }
      catch (const std::exception &e)
        {
          return error_message(e);
        }
      catch (...)
        {
          return "an exception that is not a std::exception";
        }
    }


    bool
    is_parallel(const MPI_Comm &comm)
    {
      return mpi_is_running() && Utilities::MPI::n_mpi_processes(comm) > 1;
    }


    /**
     * Guarded calls entered so far, per communicator. Collective work runs
     * the same guarded calls in the same order on every rank, so the count
     * names a call the same way everywhere: failures that ranks report
     * from different calls do not agree.
     */
    std::uint64_t
    enter_guarded_call(const MPI_Comm &comm)
    {
      static std::map<MPI_Comm, std::uint64_t> calls;
      return ++calls[comm];
    }


    /** lone_failure_timeout, or DEALII_LEARNED_FAILURE_TIMEOUT (seconds). */
    double
    failure_timeout()
    {
      if (const char *text = std::getenv("DEALII_LEARNED_FAILURE_TIMEOUT"))
        {
          char        *end   = nullptr;
          const double value = std::strtod(text, &end);
          if (end != text && *end == '\0' && value > 0.)
            return value;
        }
      return lone_failure_timeout;
    }


    /**
     * Tells every other rank of @p comm that this rank failed in guarded
     * call @p call, and waits up to failure_timeout() to hear the same from
     * each of them. Messages are received per source, so the non-overtaking
     * order of MPI keeps consecutive agreements apart; a rank that reports
     * another call failed elsewhere, which is no agreement.
     */
    bool
    all_ranks_failed(const MPI_Comm &comm, const std::uint64_t call)
    {
      const unsigned int   rank    = Utilities::MPI::this_mpi_process(comm);
      const unsigned int   n_ranks = Utilities::MPI::n_mpi_processes(comm);
      static std::uint64_t payload;
      payload = call;
      std::vector<MPI_Request> sends;
      for (unsigned int r = 0; r < n_ranks; ++r)
        if (r != rank)
          {
            sends.emplace_back();
            MPI_Isend(
              &payload, 1, MPI_UINT64_T, r, failure_tag, comm, &sends.back());
          }

      std::vector<bool> heard(n_ranks, false);
      heard[rank]           = true;
      unsigned int n_heard  = 1;
      const auto   deadline = std::chrono::steady_clock::now() +
                            std::chrono::duration<double>(failure_timeout());
      while (n_heard < n_ranks && std::chrono::steady_clock::now() < deadline)
        {
          for (unsigned int r = 0; r < n_ranks; ++r)
            if (!heard[r])
              {
                int arrived = 0;
                MPI_Iprobe(r, failure_tag, comm, &arrived, MPI_STATUS_IGNORE);
                if (arrived)
                  {
                    std::uint64_t their_call = 0;
                    MPI_Recv(&their_call,
                             1,
                             MPI_UINT64_T,
                             r,
                             failure_tag,
                             comm,
                             MPI_STATUS_IGNORE);
                    if (their_call != call)
                      return false;
                    heard[r] = true;
                    ++n_heard;
                  }
              }
          if (n_heard < n_ranks)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      if (n_heard < n_ranks)
        return false;
      MPI_Waitall(sends.size(), sends.data(), MPI_STATUSES_IGNORE);
      return true;
    }
  } // namespace


  bool
  mpi_is_running()
  {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
  }


  void
  ensure_mpi_initialized()
  {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized)
      {
        int finalized = 0;
        MPI_Finalized(&finalized);
        AssertThrow(!finalized,
                    ExcMessage("MPI has already been finalized, and this "
                               "solver needs it (Trilinos objects use MPI "
                               "even in a serial program). Solve before "
                               "MPI_Finalize, i.e. while the program's "
                               "Utilities::MPI::MPI_InitFinalize object "
                               "exists."));
        return;
      }
    int       provided = 0;
    const int error =
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    AssertThrow(error == MPI_SUCCESS,
                ExcMessage(
                  "This solver needs MPI (Trilinos objects use it even in a "
                  "serial program), and starting it failed with MPI error "
                  "code " +
                  std::to_string(error) +
                  ". Create `dealii::Utilities::MPI::MPI_InitFinalize "
                  "mpi(argc, argv, 1);' at the top of main()."));
    // Static objects are destroyed in the reverse order of their creation
    // and of the registration of exit handlers: the vector pool that the
    // handler empties must exist before the handler is registered.
    GrowingVectorMemory<TrilinosWrappers::MPI::Vector>::release_unused_memory();
    std::atexit(finalize_mpi_at_exit);
  }


  CollectiveError::CollectiveError(const std::string &message,
                                   const unsigned int origin_rank,
                                   const unsigned int n_failed_ranks,
                                   const unsigned int n_ranks)
    : message(message)
    , origin_rank(origin_rank)
    , n_failed_ranks(n_failed_ranks)
    , n_ranks(n_ranks)
  {}


  void
  CollectiveError::print_info(std::ostream &out) const
  {
    if (n_failed_ranks < n_ranks)
      out << "on rank " << origin_rank << " of " << n_ranks
          << (n_failed_ranks > 1 ?
                " (and " + std::to_string(n_failed_ranks - 1) + " more)" :
                std::string())
          << ": ";
    out << message << '\n';
  }


  void
  decide_collectively(const MPI_Comm &comm, const std::function<void()> &check)
  {
    if (!is_parallel(comm))
      {
        check();
        return;
      }

    std::exception_ptr error;
    try
      {
        check();
      }
    catch (...)
      {
        error = std::current_exception();
      }
    const unsigned int     rank    = Utilities::MPI::this_mpi_process(comm);
    const unsigned int     n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const std::vector<int> failed =
      Utilities::MPI::all_gather(comm, error ? 1 : 0);
    unsigned int origin = n_ranks, n_failed = 0;
    for (unsigned int r = 0; r < n_ranks; ++r)
      if (failed[r])
        {
          origin = std::min(origin, r);
          ++n_failed;
        }
    if (n_failed == 0)
      return;
    const std::string message = Utilities::MPI::broadcast(
      comm, rank == origin ? message_of(error) : std::string(), origin);
    AssertThrow(false, CollectiveError(message, origin, n_failed, n_ranks));
  }


  void
  abort_on_lone_failure(const MPI_Comm              &comm,
                        const std::string           &what,
                        const std::function<void()> &work)
  {
    if (!is_parallel(comm))
      {
        work();
        return;
      }
    const std::uint64_t call = enter_guarded_call(comm);
    try
      {
        work();
      }
    catch (const CollectiveError &)
      {
        throw;
      }
    catch (...)
      {
        const std::exception_ptr error = std::current_exception();
        if (all_ranks_failed(comm, call))
          std::rethrow_exception(error);
        const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
        const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
        std::cerr << "dealii-learned: error: " << what << " failed on rank "
                  << rank << " of " << n_ranks << ": " << message_of(error)
                  << "\n(The other ranks did not fail in the same call and "
                     "wait in a collective operation; ending the job with "
                     "MPI_Abort.)"
                  << std::endl;
        // The launcher forwards this rank's stderr through a pipe; MPI_Abort
        // kills every process and may end the launcher before it has read
        // the message (OpenMPI: "you may or may not see output from other
        // processes"). A second's pause lets it arrive; the job ends anyway.
        std::fflush(stderr);
        std::this_thread::sleep_for(std::chrono::seconds(1));
        MPI_Abort(comm, 1);
        std::abort(); // MPI_Abort does not return.
      }
  }
} // namespace dealii_learned
