#pragma once

#include <dealii-learned/solvers/solver_hook.h>

#include <memory>
#include <string>

namespace dealii_learned
{
  struct DirectionNetworkModel;
  class TorchScriptModel;
  struct OnlineSettings;
  class OnlineLearner;

  /** Path of the shipped default direction network, found next to the
   *  installed library or in the source tree; throws if absent. */
  std::string
  default_model_file();

  /**
   * What the learned solver hooks share: the `Model file` parameter, the
   * model read from it (when the parameters are read, so a missing or
   * broken file stops a run before it starts), and the setup of the
   * direction network on each new matrix, counted as setup time.
   *
   * A hook keeps its network from one solve to the next: with the same
   * sparsity pattern (time steps, nonlinear iterations, parameter sweeps
   * on one mesh) it recomputes only the values on the kept aggregates, or
   * keeps the whole network while the iteration count allows
   * (`Reuse network`, default `auto`).
   *
   * `Model file = default` is the model shipped with the library;
   * `untrained` the network's starting weights (damped-Jacobi layers in an
   * aggregation V-cycle), a working but unlearned direction generator.
   *
   * With `Online training = true` the hook keeps training its network on
   * the systems it solves, within a time budget, and swaps the trained
   * weights in only when they do at least as well on the system just
   * solved (OnlineLearner); the time it spends learning is part of the
   * reported setup time, and `online_*` statistics and details and a note
   * at every check say what it did.
   */
  class LearnedSolverBase : public SolverHook
  {
  public:
    LearnedSolverBase();
    ~LearnedSolverBase() override;

    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    /** The network kept between solves (`Reuse network`); defined in
     *  the source file. */
    struct NetworkCache;

  protected:
    /**
     * Runs @p solve_once(settings, reuse), which solves with the kept
     * network as `Reuse network` allows, and records its iteration count;
     * a kept network that does not converge gets one more pass with its
     * values recomputed (the report covers both).
     */
    template <typename Solve>
    SolverReport
    solve_with_reuse(const Solve &solve_once);

    /**
     * With `Online training`: solves with @p solve (solve_with_reuse()),
     * then lets the OnlineLearner learn from A and, when a check is due,
     * runs @p count(network, y, max_iterations) (the method's iterations
     * with @p network from @p x's initial value, or more than
     * max_iterations) to decide on a swap. Without it, only @p solve.
     */
    template <typename MatrixType, typename VectorType, typename Solve,
              typename Count>
    SolverReport
    solve_and_learn(const MatrixType &A,
                    VectorType       &x,
                    const VectorType &b,
                    const Solve      &solve,
                    const Count      &count);

    std::unique_ptr<DirectionNetworkModel> model;
    /** Set instead when 'Model file' is a TorchScript file. */
    std::shared_ptr<TorchScriptModel> torchscript;
    /** `Reuse network` and `Reuse iteration growth`. */
    std::string                   reuse_mode   = "auto";
    double                        reuse_growth = 1.3;
    std::unique_ptr<NetworkCache> cache;
    std::unique_ptr<OnlineSettings> online_settings;
    std::unique_ptr<OnlineLearner>  online;
  };


  /**
   * `dcdm`: the deep conjugate direction method (SolverDCDM) with the
   * multilevel message-passing direction network.
   */
  class NeuralDCDM : public LearnedSolverBase
  {
  public:
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

  private:
    unsigned int kept_directions = 2;
  };


  /**
   * `fcg-neural`: deal.II's SolverFlexibleCG with the direction network as
   * a (nonlinear) preconditioner, NeuralPreconditioner.
   */
  class NeuralFCG : public LearnedSolverBase
  {
  public:
    SolverReport
    solve(const dealii::SparseMatrix<double> &A,
          dealii::Vector<double>             &x,
          const dealii::Vector<double>       &b) override;

    SolverReport
    solve(const dealii::TrilinosWrappers::SparseMatrix &A,
          dealii::TrilinosWrappers::MPI::Vector        &x,
          const dealii::TrilinosWrappers::MPI::Vector  &b) override;
  };
} // namespace dealii_learned
