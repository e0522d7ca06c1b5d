#pragma once

#include <deal.II/base/config.h>

#include <deal.II/base/mpi.h>

#include <deal.II/lac/solver_control.h>

#include <dealii-learned/base/registry.h>
#include <dealii-learned/base/system_structure.h>

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
   *
   * The convergence rule, the same for every hook: a solve has converged
   * when the *true* residual satisfies
   *   ||b - A x|| <= max(absolute_tolerance, relative_tolerance * ||b||),
   * recomputed after the method's own recurrence says it is done (see
   * solve_and_report()).
   */
  struct SolverSettings
  {
    /** Registered name of the method, e.g. "cg". */
    std::string method = "cg";

    /** Preconditioner for hooks that take one: none|jacobi|ssor|ic|amg. */
    std::string preconditioner = "amg";

    /** Relative part of the tolerance: relative_tolerance * ||b||. */
    double relative_tolerance = 1e-8;

    /** Absolute part of the tolerance (0: relative only). */
    double absolute_tolerance = 0.;

    /** Iterations after which a solve that has not converged stops. */
    unsigned int max_iterations = 10000;

    /** Unknowns per support point (`Components per point`): the system's
     *  component count when the host gives no SystemStructure of its own
     *  (see SolverHook::set_structure()). */
    unsigned int n_components = 1;

    /** `Record systems`: the directory LinearSolver::create() records the
     *  solved systems into (SystemRecorder); empty: none. */
    std::string record_directory;

    /** `Record every`: record the solves 1, k + 1, 2 k + 1, ... */
    unsigned int record_every = 1;

    /** The residual norm a solve must reach for a right-hand side of
     *  norm @p rhs_norm: max(absolute, relative * rhs_norm). */
    double
    tolerance(const double rhs_norm) const;

    /** `method(preconditioner)` as printed in tables and messages. */
    std::string
    label() const;
  };


  /**
   * What one solve did. Residuals are Euclidean norms; the history holds
   * the residual the method monitors at every iteration (iteration 0
   * first, and again after each restart), and `residual` and
   * `relative_residual` are the *true* residual ||b - A x|| (and divided by
   * ||b||), recomputed after the solve, not the method's own recurrence.
   */
  struct SolverReport
  {
    std::string  method;
    std::string  preconditioner;
    bool         converged         = false;
    unsigned int iterations        = 0;
    double       rhs_norm          = 0;
    double       residual          = 0;
    double       relative_residual = 0;
    /** The residual norm the solve had to reach (SolverSettings::tolerance). */
    double tolerance = 0;
    /** Times the method was restarted from the true residual because its
     *  recurrence had drifted below the tolerance while b - A x had not. */
    unsigned int        restarts = 0;
    /** The solve ended because the true residual stopped falling over its
     *  restarts (see solve_and_report()): `residual` is then the floor the
     *  method attains for this system, above the tolerance. */
    bool                stagnated = false;
    std::vector<double> residual_history;
    double              setup_seconds = 0;
    double              solve_seconds = 0;
    /** Method-specific counts and times (a learned solver's fallback
     *  steps, time in the network): additive, so reports of several solves
     *  add up; summary columns, shown on screen. */
    std::vector<std::pair<std::string, double>> statistics;
    /** Method-specific properties (the levels of a network's hierarchy):
     *  summary columns in summary.json only; of several solves, the last. */
    std::vector<std::pair<std::string, double>> details;
    /** Things the method did that a user should know about (a network
     *  output replaced, a hierarchy that could not coarsen as asked); the
     *  driver prints them. */
    std::vector<std::string> warnings;
    /** What a method decided and why (`auto`'s choice of a hook and the
     *  times it measured); the driver prints them under the solve. */
    std::vector<std::string> notes;
  };


  /**
   * The exception a solver hook throws when the true residual does not
   * reach the tolerance: a SolverControl::NoConvergence (so code that
   * catches deal.II's exception catches it too) whose `last_step` is the
   * iteration reached and `last_residual` the true residual ||b - A x||,
   * with the limit and the tolerance, and a message that says what
   * happened and what to change: at the iteration limit, a stronger method
   * or more iterations; when the solve stagnated (`stagnated`), the floor
   * reached and that only a looser tolerance or a better preconditioner
   * can help.
   */
  class SolverNoConvergence : public dealii::SolverControl::NoConvergence
  {
  public:
    SolverNoConvergence(const SolverSettings &settings,
                        const SolverReport   &report);

    void
    print_info(std::ostream &out) const override;

    /** `method(preconditioner)`. */
    const std::string  solver;
    const unsigned int max_iterations;
    const double       tolerance;
    const double       relative_tolerance;
    const double       absolute_tolerance;
    const double       rhs_norm;
    const bool         stagnated;
    const unsigned int restarts;
  };


  /**
   * The solver hook: the single call through which a host program solves
   * A x = b for the SPD systems it assembles, whatever the method behind
   * it (classical CG with a preconditioner, or a learned solver).
   *
   * An implementation solves serial deal.II systems and distributed
   * Trilinos systems; `x` holds the initial guess on entry. It applies the
   * convergence rule of SolverSettings to the true residual, stops at
   * `max_iterations` whatever happens, and throws SolverNoConvergence (a
   * SolverControl::NoConvergence) when the tolerance is not reached; the
   * shared frame solve_and_report() does all of this for a method that
   * supplies its setup and one pass of its iteration. After a solve, the
   * report describes it; it is also kept in last_report().
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

    /**
     * Gives the hook the host's knowledge of the system's structure: the
     * components per support point and a near-null space (see
     * SystemStructure), used by the solves after this call, for serial and
     * distributed matrices alike. Without it, the component count of
     * `Components per point` and the constant modes are used. Methods that
     * cannot use it ignore it. Each solve checks it against the matrix.
     */
    void
    set_structure(const SystemStructure &structure);

    /** The structure given by set_structure(), or the one the settings'
     *  component count implies. */
    SystemStructure
    get_structure() const;

    virtual SolverReport
    solve(const dealii::SparseMatrix<double> &A,
          dealii::Vector<double>             &x,
          const dealii::Vector<double>       &b) = 0;

    virtual SolverReport
    solve(const dealii::TrilinosWrappers::SparseMatrix &A,
          dealii::TrilinosWrappers::MPI::Vector        &x,
          const dealii::TrilinosWrappers::MPI::Vector  &b) = 0;

    const SolverReport &
    last_report() const;

  protected:
    SolverSettings settings;
    SolverReport   report;
    /** Given by set_structure(); has_structure says whether it was. */
    SystemStructure structure;
    bool            has_structure = false;
  };


  /**
   * The `Linear solver` parameter section: declaration, reading, and
   * creation of the selected hook. This is what a host program calls.
   */
  namespace LinearSolver
  {
    /**
     * Declares `subsection Linear solver` with `Method`, `Preconditioner`,
     * `Relative tolerance`, `Absolute tolerance`, `Maximum iterations`,
     * `Compare with`, and the
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
     * Reads a comma-separated list of method or method:preconditioner
     * (the syntax of `Compare with`) into settings that are @p base with the
     * method and, where one is given, the preconditioner replaced, and with
     * nothing recorded. An unknown method or preconditioner is an error
     * that names @p parameter, the item and the known names.
     */
    std::vector<SolverSettings>
    parse_method_list(const std::string    &list,
                      const SolverSettings &base,
                      const std::string    &parameter);

    /**
     * Creates the hook named in @p settings, lets it read its own
     * subsection of `Linear solver` in @p prm, and hands it the settings.
     *
     * Under MPI, call it on every rank of @p comm: whether the hook's
     * parameters could be read (a model file one rank cannot open, say) is
     * decided on all ranks together, so either every rank gets the hook or
     * every rank gets the error (decide_collectively()). The hook returned
     * runs each distributed solve under abort_on_lone_failure(): an
     * exception that only some ranks raise ends the job with the message
     * and the rank, instead of leaving the other ranks waiting; one that
     * all ranks raise (NoConvergence) reaches the caller as usual.
     *
     * With `record_directory` set, the hook records the systems it solves
     * there (SystemRecorder): the directory is checked here, on every rank,
     * before the first solve.
     */
    std::unique_ptr<SolverHook>
    create(const SolverSettings     &settings,
           dealii::ParameterHandler &prm,
           const MPI_Comm           &comm = MPI_COMM_WORLD);

    /** Same as create(parse_settings(prm), prm, comm). */
    std::unique_ptr<SolverHook>
    create(dealii::ParameterHandler &prm,
           const MPI_Comm           &comm = MPI_COMM_WORLD);

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
  DEALII_LEARNED_REGISTER(::dealii_learned::SolverHook,          \
                          Class,                                 \
                          name,                                  \
                          description)
