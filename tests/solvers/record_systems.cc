// Recording the systems a hook solves (`Record systems`, `Record every`)
// and reading them back, as a program that wants to train on its own
// systems would:
// - a scalar problem (jump coefficient, 2-D Q1, distributed) solved four
//   times with right-hand sides b, 2b, 3b, 4b by cg+amg recording every
//   second solve: solves 1 and 3 are in the index; each loaded system
//   has the original's size, matrix norm and right-hand side, and its
//   recorded solution solves it;
// - 3-D elasticity with the rigid-body modes given to the hook: the six
//   modes come back equal (loaded on the host's partition), with the
//   component count;
// - a serial system (a deal.II SparseMatrix, 1-D Laplacian) recorded by
//   rank 0;
// - the faults: a second hook on the same directory, a later run on it
//   (while an index without systems, left by a run that ended before its
//   first solve, is taken over), a directory under a regular file, a disk too full for the next system (no file of it is
//   left), and reading a directory without records; each a named error.
// Serial and on two ranks (the partition of the recorded distributed
// systems differs, the files and what is printed do not).

#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/sparsity_pattern.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/solvers/system_recorder.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;
namespace fs = std::filesystem;


/** Relative residual of the loaded system's recorded solution, and the
 *  relative differences of A's Frobenius norm and b's norm from the
 *  originals. */
void
compare(const RecordedSystems                &records,
        const unsigned int                    i,
        const TrilinosWrappers::SparseMatrix &A,
        const TrilinosWrappers::MPI::Vector  &b,
        SystemStructure                      &structure)
{
  TrilinosWrappers::SparseMatrix A2;
  TrilinosWrappers::MPI::Vector  x2, b2;
  // On the host's partition, so that the structure's vectors (locally
  // owned parts) compare entry by entry.
  records.load(i, b.locally_owned_elements(), A2, x2, b2, structure);
  TrilinosWrappers::MPI::Vector r(b2);
  A2.vmult(r, x2);
  r -= b2;
  deallog << "  system " << records[i].number << " (solve "
          << records[i].solve << "): " << records[i].size << " rows, "
          << records[i].nonzeros << " entries, " << records[i].components
          << " component(s), " << records[i].null_space_vectors
          << " near-null-space vector(s), method " << records[i].method
          << "; loaded: A x = b to 1e-7: "
          << (r.l2_norm() <= 1e-7 * b2.l2_norm())
          << ", |A| and |b| as recorded (1e-14): "
          << (std::abs(A2.frobenius_norm() - A.frobenius_norm()) <=
              1e-14 * A.frobenius_norm())
          << ' '
          << (std::abs(b2.l2_norm() - (i + 1. + i) * b.l2_norm()) <=
              1e-14 * b2.l2_norm())
          << std::endl;
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  const MPI_Comm                   comm = MPI_COMM_WORLD;
  const bool root = Utilities::MPI::this_mpi_process(comm) == 0;
  // Records of an earlier run of this test would be refused.
  if (root)
    for (const std::string d :
         {"records-scalar", "records-elasticity", "records-serial"})
      fs::remove_all(d);
  MPI_Barrier(comm);

  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  LinearSolver::declare_parameters(prm);

  // 1. A scalar problem, every second solve recorded.
  {
    ProblemSettings settings;
    settings.name                      = "jump-coefficient";
    settings.dimension                 = 2;
    settings.initial_global_refinement = 3;
    auto problem = ProblemParameters::create<2>(settings, prm);
    problem->setup_system();
    problem->assemble_system();
    SolverSettings s;
    s.record_directory = "records-scalar";
    s.record_every     = 2;
    auto hook          = LinearSolver::create(s, prm);
    for (unsigned int k = 1; k <= 4; ++k)
      {
        TrilinosWrappers::MPI::Vector b(problem->system_rhs);
        b *= k;
        problem->solution = 0.;
        hook->solve(problem->system_matrix, problem->solution, b);
      }
    const RecordedSystems records("records-scalar");
    deallog << "scalar: " << records.size() << " of 4 solves recorded"
            << std::endl;
    for (unsigned int i = 0; i < records.size(); ++i)
      {
        SystemStructure structure;
        compare(records, i, problem->system_matrix, problem->system_rhs,
                structure);
      }

    // A second hook on the same directory is refused before any solve.
    expect_exception("second recorder on the directory",
                     [&]() { LinearSolver::create(s, prm); });
    // Once that hook is gone, its records still refuse a new run's.
    hook.reset();
    expect_exception("a later run on the directory",
                     [&]() { LinearSolver::create(s, prm); });
    // A run that ended before its first solve leaves an index without
    // systems, which the next run takes over.
    s.record_directory = "records-unused";
    if (root)
      fs::remove_all("records-unused");
    MPI_Barrier(comm);
    LinearSolver::create(s, prm);
    LinearSolver::create(s, prm);
    deallog << "an index without systems is taken over: 1" << std::endl;
    // So is a directory that cannot be created.
    if (root)
      std::ofstream("not-a-directory") << "x";
    MPI_Barrier(comm);
    s.record_directory = "not-a-directory/records";
    expect_exception("directory under a file",
                     [&]() { LinearSolver::create(s, prm); });
  }

  // 2. 3-D elasticity with the rigid-body modes; then a full disk.
  {
    ProblemSettings settings;
    settings.name                      = "elasticity";
    settings.dimension                 = 3;
    settings.initial_global_refinement = 1;
    auto problem = ProblemParameters::create<3>(settings, prm);
    problem->setup_system();
    problem->assemble_system();
    const SystemStructure structure = problem->system_structure();
    SolverSettings        s;
    s.record_directory = "records-elasticity";
    auto hook          = LinearSolver::create(s, prm);
    hook->set_structure(structure);
    hook->solve(problem->system_matrix, problem->solution, problem->system_rhs);
    const RecordedSystems records("records-elasticity");
    deallog << "elasticity: " << records.size() << " recorded" << std::endl;
    SystemStructure loaded;
    compare(records, 0, problem->system_matrix, problem->system_rhs, loaded);
    double difference = 0.;
    for (unsigned int k = 0; k < structure.near_null_space.size(); ++k)
      for (unsigned int i = 0; i < structure.near_null_space[k].size(); ++i)
        difference = std::max(difference,
                              std::abs(structure.near_null_space[k][i] -
                                       loaded.near_null_space[k][i]));
    deallog << "  loaded structure: " << loaded.n_components
            << " components, " << loaded.near_null_space.size()
            << " vectors equal to the given ones: "
            << (Utilities::MPI::max(difference, comm) == 0.) << std::endl;

    // The next system does not fit on the disk (100 kB free): a named
    // error, and nothing of system 2 is left.
    setenv("DEALII_LEARNED_RECORD_FREE_BYTES", "100000", 1);
    expect_exception("disk full", [&]() {
      hook->solve(problem->system_matrix,
                  problem->solution,
                  problem->system_rhs);
    });
    unsetenv("DEALII_LEARNED_RECORD_FREE_BYTES");
    unsigned int files = 0;
    for (const auto &f : fs::directory_iterator("records-elasticity"))
      files += f.path().filename().string().rfind("system-00002", 0) == 0;
    deallog << "  files of system 2 left: " << files
            << ", systems in the index: "
            << RecordedSystems("records-elasticity").size() << std::endl;
  }

  // 3. A serial system (each rank solves its own; rank 0 records it).
  {
    const unsigned int     n = 50;
    DynamicSparsityPattern dsp(n, n);
    for (unsigned int i = 0; i < n; ++i)
      for (unsigned int j = (i > 0 ? i - 1 : 0); j <= std::min(i + 1, n - 1);
           ++j)
        dsp.add(i, j);
    SparsityPattern pattern;
    pattern.copy_from(dsp);
    SparseMatrix<double> A(pattern);
    Vector<double>       x(n), b(n);
    for (unsigned int i = 0; i < n; ++i)
      {
        A.set(i, i, 2.);
        if (i > 0)
          A.set(i, i - 1, -1.);
        if (i + 1 < n)
          A.set(i, i + 1, -1.);
        b[i] = 1.;
      }
    SolverSettings s;
    s.preconditioner   = "ssor";
    s.record_directory = "records-serial";
    auto hook          = LinearSolver::create(s, prm);
    hook->solve(A, x, b);
    MPI_Barrier(comm);
    // Loaded on contiguous blocks of rows (load()'s default partition).
    const RecordedSystems records("records-serial");
    TrilinosWrappers::SparseMatrix A2;
    TrilinosWrappers::MPI::Vector  x2, b2;
    SystemStructure                structure;
    records.load(0, A2, x2, b2, structure);
    deallog << "serial: " << records.size() << " recorded, " << A2.m()
            << " rows, |A|_F^2 = " << A2.frobenius_norm() * A2.frobenius_norm()
            << ", |b|^2 = " << b2.norm_sqr() << ", |x| as solved (1e-12): "
            << (std::abs(x2.l2_norm() - x.l2_norm()) < 1e-12 * x.l2_norm())
            << std::endl;
  }

  expect_exception("reading a directory without records",
                   []() { RecordedSystems records("no-such-records"); });
}
