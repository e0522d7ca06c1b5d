#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/solvers/classical_cg.h>
#include <dealii-learned/solvers/solve_and_report.h>

#include <type_traits>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    TrilinosWrappers::PreconditionAMG::AdditionalData
    amg_data(const ClassicalCG::AdditionalData &data)
    {
      TrilinosWrappers::PreconditionAMG::AdditionalData amg;
      amg.elliptic              = data.amg_elliptic;
      amg.higher_order_elements = data.amg_higher_order;
      amg.smoother_sweeps       = data.amg_smoother_sweeps;
      amg.aggregation_threshold = data.amg_aggregation_threshold;
      return amg;
    }


    /**
     * Builds the preconditioner named in @p settings (setup) and hands CG
     * with it to @p run, the convergence frame of solve_and_report(). Serial
     * deal.II matrices use deal.II's own Jacobi and SSOR; Trilinos matrices
     * use Ifpack's. IC always needs a Trilinos matrix, so the serial path
     * copies A once. IC and AMG use Trilinos, which needs MPI even in a
     * serial program.
     */
    template <typename MatrixType, typename VectorType, typename Run>
    void
    precondition_and_run(const MatrixType                  &A,
                         VectorType                        &x,
                         const VectorType                  &b,
                         const ClassicalCG::AdditionalData &data,
                         const SolverSettings              &settings,
                         const Run                         &run_frame)
    {
      constexpr bool serial =
        std::is_same<MatrixType, SparseMatrix<double>>::value;
      const std::string &name = settings.preconditioner;
      if (serial && (name == "ic" || name == "amg"))
        ensure_mpi_initialized();

      const auto run = [&](const auto &preconditioner) {
        run_frame([&](SolverControl &control) {
          SolverCG<VectorType> cg(control);
          cg.solve(A, x, b, preconditioner);
        });
      };

      if (name == "none")
        run(PreconditionIdentity());
      else if (name == "jacobi")
        {
          if constexpr (serial)
            {
              PreconditionJacobi<SparseMatrix<double>> p;
              p.initialize(A, data.jacobi_relaxation);
              run(p);
            }
          else
            {
              TrilinosWrappers::PreconditionJacobi p;
              p.initialize(A, {data.jacobi_relaxation});
              run(p);
            }
        }
      else if (name == "ssor")
        {
          if constexpr (serial)
            {
              PreconditionSSOR<SparseMatrix<double>> p;
              p.initialize(A, data.ssor_relaxation);
              run(p);
            }
          else
            {
              TrilinosWrappers::PreconditionSSOR p;
              p.initialize(A, {data.ssor_relaxation});
              run(p);
            }
        }
      else if (name == "ic")
        {
          TrilinosWrappers::PreconditionIC::AdditionalData ic_data;
          ic_data.ic_fill = data.ic_fill;
          TrilinosWrappers::PreconditionIC p;
          if constexpr (serial)
            {
              TrilinosWrappers::SparseMatrix copy;
              copy.reinit(A, 0.); // keep every entry (default drops < 1e-13)
              p.initialize(copy, ic_data);
              run(p);
            }
          else
            {
              p.initialize(A, ic_data);
              run(p);
            }
        }
      else if (name == "amg")
        {
          TrilinosWrappers::PreconditionAMG p;
          p.initialize(A, amg_data(data));
          run(p);
        }
      else
        AssertThrow(false,
                    ExcMessage("Linear solver 'cg': unknown preconditioner '" +
                               name +
                               "'; choose one of none|jacobi|ssor|ic|amg."));
    }
  } // namespace


  ClassicalCG::ClassicalCG()
    : ClassicalCG(AdditionalData())
  {}


  ClassicalCG::ClassicalCG(const AdditionalData &data)
    : data(data)
  {}


  void
  ClassicalCG::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Jacobi relaxation",
                      "1.0",
                      Patterns::Double(0.),
                      "Damping factor of the Jacobi preconditioner.");
    prm.declare_entry("SSOR relaxation",
                      "1.2",
                      Patterns::Double(0., 2.),
                      "Relaxation factor omega of the SSOR preconditioner, "
                      "in (0, 2).");
    prm.declare_entry("IC fill",
                      "0",
                      Patterns::Integer(0),
                      "Fill-in level of the incomplete Cholesky "
                      "factorisation (0 keeps the sparsity of A).");
    prm.declare_entry("AMG elliptic",
                      "true",
                      Patterns::Bool(),
                      "Use the settings of Trilinos ML for elliptic "
                      "problems (Chebyshev smoother, smoothed aggregation).");
    prm.declare_entry("AMG higher order elements",
                      "false",
                      Patterns::Bool(),
                      "Tell ML the matrix comes from elements of degree "
                      "greater than one.");
    prm.declare_entry("AMG smoother sweeps",
                      "2",
                      Patterns::Integer(1),
                      "Smoothing steps per level of the AMG V-cycle.");
    prm.declare_entry("AMG aggregation threshold",
                      "1e-4",
                      Patterns::Double(0.),
                      "Strength-of-connection threshold for ML's "
                      "aggregation.");
  }


  void
  ClassicalCG::parse_parameters(ParameterHandler &prm)
  {
    data.jacobi_relaxation   = prm.get_double("Jacobi relaxation");
    data.ssor_relaxation     = prm.get_double("SSOR relaxation");
    data.ic_fill             = prm.get_integer("IC fill");
    data.amg_elliptic        = prm.get_bool("AMG elliptic");
    data.amg_higher_order    = prm.get_bool("AMG higher order elements");
    data.amg_smoother_sweeps = prm.get_integer("AMG smoother sweeps");
    data.amg_aggregation_threshold =
      prm.get_double("AMG aggregation threshold");
  }


  SolverReport
  ClassicalCG::solve(const SparseMatrix<double> &A,
                     Vector<double>             &x,
                     const Vector<double>       &b)
  {
    solve_and_report(
      settings,
      A,
      x,
      b,
      [&](const auto &run, SolverReport &r) {
        r.preconditioner = settings.preconditioner;
        precondition_and_run(A, x, b, data, settings, run);
      },
      report);
    return report;
  }


  SolverReport
  ClassicalCG::solve(const TrilinosWrappers::SparseMatrix &A,
                     TrilinosWrappers::MPI::Vector        &x,
                     const TrilinosWrappers::MPI::Vector  &b)
  {
    solve_and_report(
      settings,
      A,
      x,
      b,
      [&](const auto &run, SolverReport &r) {
        r.preconditioner = settings.preconditioner;
        precondition_and_run(A, x, b, data, settings, run);
      },
      report);
    return report;
  }
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_SOLVER(
  dealii_learned::ClassicalCG,
  "cg",
  "Conjugate gradients (deal.II SolverCG) with the classical preconditioner "
  "chosen by 'Preconditioner': none, jacobi, ssor, ic (Trilinos Ifpack "
  "incomplete Cholesky) or amg (Trilinos ML smoothed aggregation). The "
  "baseline for every learned solver.")
