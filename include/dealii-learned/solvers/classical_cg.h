#pragma once

#include <dealii-learned/solvers/solver_hook.h>

#include <memory>

namespace dealii_learned
{
  /**
   * Conjugate gradients with a classical preconditioner: the baselines that
   * every learned solver is measured against.
   *
   * `Preconditioner` selects `none`, `jacobi`, `ssor`, `ic` (incomplete
   * Cholesky, Trilinos Ifpack) or `amg` (smoothed aggregation, Trilinos
   * ML). On serial deal.II matrices, `jacobi` and `ssor` are deal.II's own
   * PreconditionJacobi/PreconditionSSOR; `ic` copies the matrix into a
   * Trilinos matrix once (counted as setup time); `amg` is built from the
   * deal.II matrix directly. On distributed Trilinos matrices all five are
   * the Trilinos preconditioners, so `ssor` and `ic` act within each rank
   * (block Jacobi across ranks), as in any Trilinos program.
   *
   * Setup time is the time to build the preconditioner; solve time is the
   * CG iteration alone.
   *
   * With `AMG reuse = true`, a solve with the same Trilinos matrix object
   * as the last one and the same sparsity pattern (new values: a time
   * step, a nonlinear iteration) keeps ML's aggregates and calls
   * PreconditionAMG::reinit(), ML's ReComputePreconditioner(), instead of
   * building the hierarchy anew. Serial deal.II matrices are copied by
   * ML at every initialize, so they are always rebuilt.
   */
  class ClassicalCG : public SolverHook
  {
  public:
    struct AdditionalData
    {
      double       jacobi_relaxation         = 1.0;
      double       ssor_relaxation           = 1.2;
      unsigned int ic_fill                   = 0;
      bool         amg_elliptic              = true;
      bool         amg_higher_order          = false;
      unsigned int amg_smoother_sweeps       = 2;
      double       amg_aggregation_threshold = 1e-4;
      /** Keep ML's hierarchy for the next solve of the same Trilinos
       *  matrix object with the same sparsity pattern, and recompute its
       *  values there with PreconditionAMG::reinit(). */
      bool amg_reuse = false;
    };

    ClassicalCG();

    explicit ClassicalCG(const AdditionalData &data);

    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    SolverReport
    solve(const dealii::SparseMatrix<double> &A,
          dealii::Vector<double>             &x,
          const dealii::Vector<double>       &b) override;

    SolverReport
    solve(const dealii::TrilinosWrappers::SparseMatrix &A,
          dealii::TrilinosWrappers::MPI::Vector        &x,
          const dealii::TrilinosWrappers::MPI::Vector  &b) override;

    /** ML's hierarchy kept between solves (`AMG reuse`); defined in the
     *  source file. */
    struct AmgCache;

  private:
    AdditionalData            data;
    std::shared_ptr<AmgCache> amg_cache;
  };
} // namespace dealii_learned
