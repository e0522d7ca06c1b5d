#pragma once

#include <deal.II/base/mpi.h>
#include <deal.II/base/types.h>

#include <dealii-learned/base/system_structure.h>

#include <cstddef>
#include <string>
#include <vector>

namespace dealii
{
  class IndexSet;
  template <typename number>
  class SparseMatrix;
  template <typename number>
  class Vector;
  namespace TrilinosWrappers
  {
    class SparseMatrix;
    namespace MPI
    {
      class Vector;
    }
  } // namespace TrilinosWrappers
} // namespace dealii

namespace dealii_learned
{
  struct SolverReport;

  /**
   * One system of a record directory (a line of its index).
   */
  struct RecordedSystem
  {
    /** 1, 2, ... in the order of recording. */
    unsigned int number = 0;
    /** Which of the hook's converged solves this was (1, 2, ...; with
     *  `Record every` = k, 1, k + 1, 2 k + 1, ...). */
    unsigned int solve = 0;
    dealii::types::global_dof_index size = 0;
    std::size_t                     nonzeros = 0;
    unsigned int                    components = 1;
    /** Near-null-space vectors stored (0: none was given). */
    unsigned int null_space_vectors = 0;
    /** The solve that produced the solution. */
    std::string  method;
    unsigned int iterations = 0;
    double       relative_residual = 0;
    /** File name stem in the directory: <stem>-matrix.mtx, -rhs.mtx,
     *  -solution.mtx and, with a near-null space, -near-null-space.mtx. */
    std::string stem;
  };


  /**
   * Records the linear systems a solver hook solves, for training on them
   * later (`Linear solver/Record systems = DIR`, every `Record every`-th
   * solve; LinearSolver::create() attaches it to every hook, including
   * plugins). Each recorded system is the matrix, the right-hand side,
   * the solution the hook computed and, where the host gave one with
   * SolverHook::set_structure(), the near-null space, as Matrix Market
   * files written by Trilinos' EpetraExt (so that SciPy, PETSc, MATLAB and
   * Trilinos read them too), and a line in `index.txt`.
   *
   * - The directory is created if missing. One that cannot be written,
   *   that already holds system files or an index that lists systems
   *   (another run's records), or that another recorder of this program
   *   writes into, is an error when the recorder is made, before the first
   *   solve, on every rank. (An index with no system, as a run leaves that
   *   failed before its first solve, is taken over.)
   * - Every file is written under a temporary name and renamed when
   *   complete; the index is rewritten the same way after each system, so
   *   that it lists only complete systems. Before writing, the free space is
   *   checked against the system's estimated size (three times over): too
   *   little is an error that names the directory and the space, on every
   *   rank, and no file of the system remains. A write that fails removes
   *   the system's files and raises an error.
   * - Only converged solves are recorded (a solve that throws
   *   SolverNoConvergence is not).
   * - Distributed systems are written collectively (one file per system,
   *   rows in global order); the matrix must live on the recorder's
   *   communicator. Serial systems are written by rank 0 of the
   *   recorder's communicator only (in a program whose ranks all solve the
   *   same serial system, its one copy; the other ranks' serial systems are
   *   not recorded), and their errors are raised on rank 0 only, as any
   *   error of a serial solve is raised on the rank that solves.
   */
  class SystemRecorder
  {
  public:
    /** Collective on @p comm. Throws (on every rank) if @p directory cannot
     *  be used. */
    SystemRecorder(const std::string &directory,
                   unsigned int       every,
                   const MPI_Comm    &comm = MPI_COMM_WORLD);

    /** Releases the directory for another recorder of this process. */
    ~SystemRecorder();

    SystemRecorder(const SystemRecorder &) = delete;
    SystemRecorder &
    operator=(const SystemRecorder &) = delete;

    /** Called after every converged solve; records the solves 1, k + 1,
     *  2 k + 1, ... Collective on the matrix's communicator. @p structure
     *  is the hook's (SolverHook::get_structure()): its near-null space is
     *  recorded when it has one. */
    void
    solved(const dealii::TrilinosWrappers::SparseMatrix &A,
           const dealii::TrilinosWrappers::MPI::Vector  &x,
           const dealii::TrilinosWrappers::MPI::Vector  &b,
           const SystemStructure                        &structure,
           const SolverReport                           &report);

    void
    solved(const dealii::SparseMatrix<double> &A,
           const dealii::Vector<double>       &x,
           const dealii::Vector<double>       &b,
           const SystemStructure              &structure,
           const SolverReport                 &report);

    const std::string &
    directory() const;

    /** The systems recorded so far (on rank 0; other ranks keep the same
     *  list for distributed systems). */
    const std::vector<RecordedSystem> &
    systems() const;

    /** The index's first line. */
    static const std::string index_header;

  private:
    bool
    due();

    std::string                 dir;
    unsigned int                every;
    MPI_Comm                    comm;
    unsigned int                n_solves = 0;
    std::vector<RecordedSystem> recorded;

  };


  /**
   * The systems of a record directory (SystemRecorder), for training or for
   * a program of one's own: reads the index on construction (a missing or
   * malformed index is an error naming the directory and the line) and
   * loads one system at a time.
   */
  class RecordedSystems
  {
  public:
    explicit RecordedSystems(const std::string &directory);

    std::size_t
    size() const;

    const RecordedSystem &
    operator[](std::size_t i) const;

    const std::string &
    directory() const;

    /**
     * Loads system @p i, distributed over @p comm in contiguous row blocks
     * that hold whole points (a multiple of its component count per rank):
     * A, b, the recorded solution x, and the structure (component count and
     * near-null space, each vector the locally owned part). Collective.
     */
    void
    load(std::size_t                            i,
         dealii::TrilinosWrappers::SparseMatrix &A,
         dealii::TrilinosWrappers::MPI::Vector  &x,
         dealii::TrilinosWrappers::MPI::Vector  &b,
         SystemStructure                        &structure,
         const MPI_Comm                         &comm = MPI_COMM_WORLD) const;

    /**
     * The same on the partition @p owned (the locally owned rows of each
     * rank: contiguous blocks in rank order that cover the system once, as
     * deal.II's DoF partitions are), e.g. the host's partition when it
     * recorded the system.
     */
    void
    load(std::size_t                            i,
         const dealii::IndexSet                 &owned,
         dealii::TrilinosWrappers::SparseMatrix &A,
         dealii::TrilinosWrappers::MPI::Vector  &x,
         dealii::TrilinosWrappers::MPI::Vector  &b,
         SystemStructure                        &structure,
         const MPI_Comm                         &comm = MPI_COMM_WORLD) const;

  private:
    std::string                 dir;
    std::vector<RecordedSystem> entries;
  };
} // namespace dealii_learned
