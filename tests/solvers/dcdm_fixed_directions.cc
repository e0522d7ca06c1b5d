// SolverDCDM with fixed (not learned) direction operators, where the answer
// is known: with a linear SPD operator M as the "network", DCDM keeping one
// or more directions generates the preconditioned CG directions, so it must
// take the iterations CG with M takes (up to rounding). A network that
// sometimes returns NaN must not spoil the solution: those steps fall back
// to the residual and are counted. Serial deal.II vectors and distributed
// Trilinos vectors (also on two ranks: dcdm_fixed_directions.mpirun=2).

#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/sparsity_pattern.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_dcdm.h>

#include <limits>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

/** Applies a preconditioner, but returns NaN on every `period`-th call. */
template <typename Preconditioner>
struct Flaky
{
  const Preconditioner &inner;
  unsigned int          period;
  mutable unsigned int  calls = 0;

  template <typename VectorType>
  void
  vmult(VectorType &dst, const VectorType &src) const
  {
    inner.vmult(dst, src);
    if (++calls % period == 0)
      dst(dst.locally_owned_elements().nth_index_in_set(0)) =
        std::numeric_limits<double>::quiet_NaN();
    dst.compress(VectorOperation::insert);
  }
};

template <typename MatrixType, typename VectorType, typename Preconditioner>
void
compare(const std::string    &name,
        const MatrixType     &A,
        const VectorType     &b,
        const Preconditioner &M,
        const unsigned int    kept)
{
  const double tolerance = 1e-10 * b.l2_norm();
  VectorType   x_cg(b), x_dcdm(b);
  x_cg   = 0.;
  x_dcdm = 0.;

  SolverControl        cg_control(5000, tolerance, false, false);
  SolverCG<VectorType> cg(cg_control);
  cg.solve(A, x_cg, b, M);

  SolverControl          control(5000, tolerance, false, false);
  SolverDCDM<VectorType> dcdm(control, {kept});
  dcdm.solve(A, x_dcdm, b, M);

  VectorType r(b);
  A.vmult(r, x_dcdm);
  r.sadd(-1., 1., b);
  x_dcdm -= x_cg;
  const int difference = int(control.last_step()) - int(cg_control.last_step());
  deallog << name << ", " << kept << " kept: iterations within 1 of CG "
          << (std::abs(difference) <= 1) << ", true residual below tolerance "
          << (r.l2_norm() <= tolerance) << ", same solution as CG "
          << (x_dcdm.l2_norm() <= 1e-8 * x_cg.l2_norm()) << ", fallbacks "
          << dcdm.n_fallback_steps() << std::endl;
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;

  // Serial: the 1-D Laplacian, n = 200.
  {
    const unsigned int n = 200;
    SparsityPattern    pattern(n, n, 3);
    for (unsigned int i = 0; i < n; ++i)
      for (unsigned int j = (i > 0 ? i - 1 : 0); j <= std::min(i + 1, n - 1);
           ++j)
        pattern.add(i, j);
    pattern.compress();
    SparseMatrix<double> A(pattern);
    Vector<double>       b(n);
    for (unsigned int i = 0; i < n; ++i)
      {
        A.set(i, i, 2. + 0.01 * (i % 7)); // a little variation for Jacobi
        if (i > 0)
          A.set(i, i - 1, -1.);
        if (i + 1 < n)
          A.set(i, i + 1, -1.);
        b(i) = 1. + std::sin(0.1 * i);
      }
    PreconditionJacobi<SparseMatrix<double>> jacobi;
    jacobi.initialize(A);
    compare("serial, jacobi", A, b, jacobi, 2);
    compare("serial, jacobi", A, b, jacobi, 1);
  }

  // Distributed: the jump-coefficient system, contrast 100, Q1.
  {
    ParameterHandler prm;
    ProblemParameters::declare_parameters(prm);
    ProblemSettings settings;
    settings.initial_global_refinement = 5;
    auto problem = ProblemParameters::create<2>(settings, prm);
    problem->setup_system();
    problem->assemble_system();
    const auto &A = problem->system_matrix;
    const auto &b = problem->system_rhs;
    deallog << "n_dofs " << problem->get_dof_handler().n_dofs() << std::endl;

    TrilinosWrappers::PreconditionJacobi jacobi;
    jacobi.initialize(A);
    compare("trilinos, jacobi", A, b, jacobi, 2);

    TrilinosWrappers::PreconditionAMG amg;
    amg.initialize(A);
    compare("trilinos, amg", A, b, amg, 2);

    // Every third network output is NaN: those steps fall back to the
    // residual; the solution must still be right.
    Flaky<TrilinosWrappers::PreconditionAMG> flaky{amg, 3};
    TrilinosWrappers::MPI::Vector            x(b);
    x = 0.;
    SolverControl control(5000, 1e-10 * b.l2_norm(), false, false);
    SolverDCDM<TrilinosWrappers::MPI::Vector> dcdm(control);
    dcdm.solve(A, x, b, flaky);
    TrilinosWrappers::MPI::Vector r(b);
    A.vmult(r, x);
    r.sadd(-1., 1., b);
    deallog << "flaky amg: converged " << (r.l2_norm() <= 1e-10 * b.l2_norm())
            << ", fallbacks " << dcdm.n_fallback_steps() << " of "
            << control.last_step() << " steps, about a third "
            << (3 * dcdm.n_fallback_steps() + 3 >= control.last_step() &&
                3 * dcdm.n_fallback_steps() <= control.last_step() + 3)
            << std::endl;

    // Too few iterations: NoConvergence.
    try
      {
        SolverControl short_control(3, 1e-10 * b.l2_norm(), false, false);
        SolverDCDM<TrilinosWrappers::MPI::Vector> solver(short_control);
        x = 0.;
        solver.solve(A, x, b, jacobi);
        deallog << "no error (wrong)" << std::endl;
      }
    catch (const SolverControl::NoConvergence &e)
      {
        deallog << "NoConvergence after " << e.last_step << " steps"
                << std::endl;
      }
  }
}
