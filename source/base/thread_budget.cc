// LibTorch's intra-op threads per MPI rank, chosen when the library is
// loaded so that the ranks of a node do not oversubscribe its cores.
//
// LibTorch starts as many OpenMP threads per process as the process may
// use cores. Under `mpirun -np 2` on two cores that makes four spinning
// threads on two cores: the 2-rank tests of the hard-constraint layer took
// 50 s instead of 1 s, and the ranks of a distributed solve slow each
// other down in every tensor operation. deal.II divides the cores among the
// ranks of a node for its own threads (MPI_InitFinalize); this does the
// same for LibTorch, before anything runs, from the launcher's environment
// (MPI is not initialized yet when shared libraries are loaded).

#include <ATen/Parallel.h>

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace
{
  /** Ranks on this node, from the launcher's environment (1 if none says). */
  int
  local_ranks()
  {
    // Open MPI, MPICH and Intel MPI (Hydra), MVAPICH2, Slurm's srun.
    for (const char *name : {"OMPI_COMM_WORLD_LOCAL_SIZE",
                             "MPI_LOCALNRANKS",
                             "MV2_COMM_WORLD_LOCAL_SIZE",
                             "SLURM_STEP_TASKS_PER_NODE"})
      if (const char *value = std::getenv(name))
        {
          const int n = std::atoi(value);
          if (n > 0)
            return n;
        }
    return 1;
  }


  /** Cores this process may run on. */
  int
  usable_cores()
  {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
      return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
  }


  struct ThreadBudget
  {
    ThreadBudget()
    {
      // The user's choice wins: OMP_NUM_THREADS (which LibTorch reads
      // itself) or DEALII_LEARNED_NUM_THREADS.
      if (const char *value = std::getenv("DEALII_LEARNED_NUM_THREADS"))
        {
          const int n = std::atoi(value);
          if (n > 0)
            {
              at::set_num_threads(n);
              return;
            }
        }
      if (std::getenv("OMP_NUM_THREADS") != nullptr)
        return;
      // A launcher that binds each rank to cores of its own leaves the
      // process fewer usable cores than the node has: the smaller share.
      const int ranks = local_ranks();
      if (ranks > 1)
        at::set_num_threads(std::max(
          1,
          std::min(usable_cores(),
                   static_cast<int>(std::thread::hardware_concurrency()) /
                     ranks)));
    }
  };

  const ThreadBudget budget;
} // namespace
