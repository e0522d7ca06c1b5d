#pragma once

#include <deal.II/base/config.h>

#include <dealii-learned/base/registry.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

DEAL_II_NAMESPACE_OPEN
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
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * Settings every solver hook receives, read from `subsection Linear
   * solver`. A hook reads its own, method-specific parameters from the
   * subsection named after it (see SolverHook::parse_parameters()).
   */
  struct SolverSettings
  {
    /** Registered name of the method, e.g. "cg". */
    std::string method = "cg";

    /** Preconditioner for hooks that take one: none|jacobi|ssor|ic|amg. */
    std::string preconditioner = "amg";

    /** Stop when ||b - A x|| <= relative_tolerance * ||b||. */
    double relative_tolerance = 1e-8;

    unsigned int max_iterations = 10000;
  };


  /**
   * What one solve did. Residuals are Euclidean norms; the history holds
   * the residual the method monitors at every iteration (iteration 0
   * first), and `relative_residual` is the *true* residual
   * ||b - A x|| / ||b|| recomputed after the solve, not the method's own
   * recurrence.
   */
  struct SolverReport
  {
    std::string         method;
    std::string         preconditioner;
    bool                converged         = false;
    unsigned int        iterations        = 0;
    double              rhs_norm          = 0;
    double              relative_residual = 0;
    std::vector<double> residual_history;
    double              setup_seconds = 0;
    double              solve_seconds = 0;
    /** Method-specific figures (e.g. a learned solver's fallback steps);
     *  they become extra summary columns. */
    std::vector<std::pair<std::string, double>> statistics;
  };


  /**
   * The solver hook: the single call through which a host program solves
   * A x = b for the SPD systems it assembles, whatever the method behind
   * it (classical CG with a preconditioner, or a learned solver).
   *
   * An implementation solves serial deal.II systems and distributed
   * Trilinos systems; `x` holds the initial guess on entry. A hook that
   * does not reach the tolerance throws SolverControl::NoConvergence. After
   * a solve, the report describes it; it is also kept in last_report().
   *
   * Implementations are registered by name with
   * DEALII_LEARNED_REGISTER_SOLVER and must provide a static
   * `declare_parameters(ParameterHandler &)` for their own subsection.
   */
  class SolverHook
  {
  public:
    virtual ~SolverHook() = default;

    /**
     * Called once after construction, with @p prm inside the hook's own
     * subsection (`Linear solver/<method name>`).
     */
    virtual void
    parse_parameters(dealii::ParameterHandler &prm);

    void
    set_settings(const SolverSettings &settings);

    const SolverSettings &
    get_settings() const;

    virtual SolverReport
    solve(const dealii::SparseMatrix<double> &A,
          dealii::Vector<double> &            x,
          const dealii::Vector<double> &      b) = 0;

    virtual SolverReport
    solve(const dealii::TrilinosWrappers::SparseMatrix &A,
          dealii::TrilinosWrappers::MPI::Vector &       x,
          const dealii::TrilinosWrappers::MPI::Vector & b) = 0;

    const SolverReport &
    last_report() const;

  protected:
    SolverSettings settings;
    SolverReport   report;
  };


  /**
   * The `Linear solver` parameter section: declaration, reading, and
   * creation of the selected hook. This is what a host program calls.
   */
  namespace LinearSolver
  {
    /**
     * Declares `subsection Linear solver` with `Method`, `Preconditioner`,
     * `Relative tolerance`, `Maximum iterations`, `Compare with`, and the
     * subsections of all registered hooks. Call after
     * load_shared_libraries() so that plugin hooks are included.
     */
    void
    declare_parameters(dealii::ParameterHandler &prm);

    /** Reads the settings of `subsection Linear solver`. */
    SolverSettings
    parse_settings(dealii::ParameterHandler &prm);

    /**
     * Reads `Compare with`: further method[:preconditioner] pairs to run on
     * the same systems, for side-by-side comparisons.
     */
    std::vector<SolverSettings>
    parse_comparisons(dealii::ParameterHandler &prm);

    /**
     * Creates the hook named in @p settings, lets it read its own
     * subsection of `Linear solver` in @p prm, and hands it the settings.
     */
    std::unique_ptr<SolverHook>
    create(const SolverSettings &settings, dealii::ParameterHandler &prm);

    /** Same as create(parse_settings(prm), prm). */
    std::unique_ptr<SolverHook>
    create(dealii::ParameterHandler &prm);

    /** The preconditioner names the classical hooks understand. */
    const std::vector<std::string> &
    preconditioner_names();
  } // namespace LinearSolver
} // namespace dealii_learned

namespace dealii_learned
{
  template <>
  Registry<SolverHook> &
  Registry<SolverHook>::instance();
}

/** Registers a solver hook class under a name, with a description. */
#define DEALII_LEARNED_REGISTER_SOLVER(Class, name, description) \
  DEALII_LEARNED_REGISTER(::dealii_learned::SolverHook, Class, name, description)
