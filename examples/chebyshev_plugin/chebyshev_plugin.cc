/*
 * chebyshev_plugin: a user's own solver hook in a shared library of its
 * own, selectable by name in any program that reads a `Linear solver`
 * section, without rebuilding dealii-learned or the program.
 *
 * The hook `cg-chebyshev` is conjugate gradients preconditioned by a
 * Chebyshev polynomial in the Jacobi-scaled matrix (deal.II's
 * PreconditionChebyshev): a fixed SPD polynomial, so plain CG is the right
 * host; it needs only matrix-vector products, so it runs unchanged on
 * serial and distributed systems. The convergence frame of the library
 * (solve_and_report) gives it the same convergence rule, iteration limit,
 * restarts and report as the built-in hooks.
 *
 * Use:   set Additional shared libraries = ./libchebyshev_plugin.so
 *        subsection Linear solver
 *          set Method = cg-chebyshev
 *          subsection cg-chebyshev
 *            set Polynomial degree = 4
 *          end
 *        end
 */

#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/solvers/solve_and_report.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <type_traits>

namespace
{
  using namespace dealii;

  class ChebyshevCG : public dealii_learned::SolverHook
  {
  public:
    static void
    declare_parameters(ParameterHandler &prm)
    {
      prm.declare_entry("Polynomial degree",
                        "4",
                        Patterns::Integer(1, 100),
                        "Degree of the Chebyshev polynomial (matrix-vector "
                        "products per preconditioner application).");
    }

    void
    parse_parameters(ParameterHandler &prm) override
    {
      degree = prm.get_integer("Polynomial degree");
    }

    dealii_learned::SolverReport
    solve(const SparseMatrix<double> &A,
          Vector<double>             &x,
          const Vector<double>       &b) override
    {
      return run(A, x, b);
    }

    dealii_learned::SolverReport
    solve(const TrilinosWrappers::SparseMatrix &A,
          TrilinosWrappers::MPI::Vector        &x,
          const TrilinosWrappers::MPI::Vector  &b) override
    {
      return run(A, x, b);
    }

  private:
    template <typename MatrixType, typename VectorType>
    dealii_learned::SolverReport
    run(const MatrixType &A, VectorType &x, const VectorType &b)
    {
      dealii_learned::solve_and_report(
        settings,
        A,
        x,
        b,
        [&](const auto &iterate, dealii_learned::SolverReport &report) {
          // Setup: Jacobi, and the polynomial in the Jacobi-scaled matrix
          // (its eigenvalue estimate runs a few CG steps).
          using Jacobi = std::conditional_t<
            std::is_same<MatrixType, SparseMatrix<double>>::value,
            PreconditionJacobi<SparseMatrix<double>>,
            TrilinosWrappers::PreconditionJacobi>;
          using Chebyshev =
            PreconditionChebyshev<MatrixType, VectorType, Jacobi>;
          typename Chebyshev::AdditionalData data;
          data.degree          = degree;
          data.smoothing_range = 1e3;
          data.preconditioner  = std::make_shared<Jacobi>();
          data.preconditioner->initialize(A);
          Chebyshev chebyshev;
          chebyshev.initialize(A, data);
          report.preconditioner = "chebyshev";

          iterate([&](SolverControl &control) {
            SolverCG<VectorType> cg(control);
            cg.solve(A, x, b, chebyshev);
          });
        },
        report);
      return report;
    }

    unsigned int degree = 4;
  };
} // namespace

DEALII_LEARNED_REGISTER_SOLVER(
  ChebyshevCG,
  "cg-chebyshev",
  "Conjugate gradients preconditioned by a Chebyshev polynomial in the "
  "Jacobi-scaled matrix (a user plugin, examples/chebyshev_plugin).")
