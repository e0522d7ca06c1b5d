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

#include <dealii-learned/solvers/classical_cg.h>

#include <type_traits>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /**
     * Runs preconditioned CG from the initial guess in @p x and fills the
     * iteration part of @p report. The stopping test is on the residual the
     * CG recurrence carries; the true residual is recomputed afterwards.
     */
    template <typename MatrixType,
              typename VectorType,
              typename PreconditionerType>
    void
    run_cg(const MatrixType &        A,
           VectorType &              x,
           const VectorType &        b,
           const PreconditionerType &preconditioner,
           const SolverSettings &    settings,
           SolverReport &            report)
    {
      SolverControl control(settings.max_iterations,
                            settings.relative_tolerance * report.rhs_norm,
                            /*log_history=*/false,
                            /*log_result=*/false);
      control.enable_history_data();
      SolverCG<VectorType> cg(control);

      Timer timer;
      try
        {
          cg.solve(A, x, b, preconditioner);
          report.converged = true;
        }
      catch (const SolverControl::NoConvergence &)
        {
          report.converged = false;
        }
      report.solve_seconds    = timer.wall_time();
      report.iterations       = control.last_step();
      report.residual_history = control.get_history_data();
    }


    template <typename MatrixType, typename VectorType>
    double
    true_residual(const MatrixType &A, const VectorType &x, const VectorType &b)
    {
      VectorType r;
      r.reinit(b, /*omit_zeroing_entries=*/true);
      A.vmult(r, x);
      r.sadd(-1., 1., b);
      return r.l2_norm();
    }


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
     * The part both solve() overloads share: start the report, handle a
     * zero right-hand side, and recompute the true residual at the end.
     * @p build_and_run builds the preconditioner (timed as setup) and runs
     * CG.
     */
    template <typename MatrixType, typename VectorType, typename Function>
    void
    solve_common(const SolverSettings &settings,
                 const MatrixType &    A,
                 VectorType &          x,
                 const VectorType &    b,
                 const Function &      build_and_run,
                 SolverReport &        report)
    {
      AssertThrow(A.m() == b.size() && A.n() == x.size(),
                  ExcMessage("Linear solver 'cg': the matrix is " +
                             std::to_string(A.m()) + " x " +
                             std::to_string(A.n()) +
                             " but the vectors have sizes " +
                             std::to_string(x.size()) + " (x) and " +
                             std::to_string(b.size()) + " (b)."));
      report                = SolverReport();
      report.method         = settings.method;
      report.preconditioner = settings.preconditioner;
      report.rhs_norm       = b.l2_norm();
      if (report.rhs_norm == 0.)
        {
          x                        = 0.;
          report.converged         = true;
          report.residual_history  = {0.};
          report.relative_residual = 0.;
          return;
        }

      build_and_run(report);

      report.relative_residual = true_residual(A, x, b) / report.rhs_norm;
      // The report is complete before this throws, so callers can still
      // read last_report() of a failed solve.
      if (!report.converged)
        throw SolverControl::NoConvergence(report.iterations,
                                           report.relative_residual *
                                             report.rhs_norm);
    }


    /**
     * Builds the preconditioner named in @p settings (timed as setup) and
     * runs CG with it. Serial deal.II matrices use deal.II's own Jacobi and
     * SSOR; Trilinos matrices use Ifpack's. IC always needs a Trilinos
     * matrix, so the serial path copies A once.
     */
    template <typename MatrixType, typename VectorType>
    void
    precondition_and_run(const MatrixType &                 A,
                         VectorType &                       x,
                         const VectorType &                 b,
                         const ClassicalCG::AdditionalData &data,
                         const SolverSettings &             settings,
                         SolverReport &                     report)
    {
      constexpr bool serial =
        std::is_same<MatrixType, SparseMatrix<double>>::value;
      const std::string &name = settings.preconditioner;

      Timer      setup;
      const auto run = [&](const auto &preconditioner) {
        report.setup_seconds = setup.wall_time();
        run_cg(A, x, b, preconditioner, settings, report);
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
              copy.reinit(A);
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
                               name + "'; choose one of none|jacobi|ssor|ic|amg."));
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
    data.jacobi_relaxation         = prm.get_double("Jacobi relaxation");
    data.ssor_relaxation           = prm.get_double("SSOR relaxation");
    data.ic_fill                   = prm.get_integer("IC fill");
    data.amg_elliptic              = prm.get_bool("AMG elliptic");
    data.amg_higher_order          = prm.get_bool("AMG higher order elements");
    data.amg_smoother_sweeps       = prm.get_integer("AMG smoother sweeps");
    data.amg_aggregation_threshold = prm.get_double("AMG aggregation threshold");
  }


  SolverReport
  ClassicalCG::solve(const SparseMatrix<double> &A,
                     Vector<double> &            x,
                     const Vector<double> &      b)
  {
    solve_common(
      settings,
      A,
      x,
      b,
      [&](SolverReport &r) { precondition_and_run(A, x, b, data, settings, r); },
      report);
    return report;
  }


  SolverReport
  ClassicalCG::solve(const TrilinosWrappers::SparseMatrix &A,
                     TrilinosWrappers::MPI::Vector &       x,
                     const TrilinosWrappers::MPI::Vector & b)
  {
    solve_common(
      settings,
      A,
      x,
      b,
      [&](SolverReport &r) { precondition_and_run(A, x, b, data, settings, r); },
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
