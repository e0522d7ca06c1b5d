#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/partitioner.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/constraints/expert_partition.h>
#include <dealii-learned/constraints/residual_assembly.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  /** How the experts solve. */
  struct HardConstraintSettings
  {
    /** An expert has converged when its residual ||R|| has fallen by this
     *  factor, or when the part of it a step can still remove (the
     *  projection on the range of M) is below this fraction of ||R||: a
     *  least-squares minimum whose residual need not vanish (more rows
     *  than basis fields, or a nonlinear R), or when its last five
     *  accepted steps together lowered ||R|| by less than this fraction
     *  (a minimum approached too slowly to change anything measurable). A
     *  linear R takes two Gauss-Newton steps (a solve and a refinement). With
     *  interface coupling, the criterion on what a step can still remove
     *  does not go below 3e-6 (the joint objective's round-off). */
    double tolerance = 1e-10;
    /** Levenberg-Marquardt's initial damping (relative to diag(M^T M));
     *  not used for linear residuals (Gauss-Newton). */
    double damping = 1e-3;
    /** Gauss-Newton / Levenberg-Marquardt steps before an expert that has
     *  not converged is reported. */
    unsigned int max_iterations = 50;
    /** Residual rows each expert makes vanish (a deterministic sample of
     *  its rows); 0: all of them. */
    unsigned int rows_per_expert = 0;
    /** Seed of the row sample. */
    unsigned int seed = 1;
    /**
     * Interface coupling (0: off, the experts are independent). With a
     * weight beta > 0 the experts solve one joint least-squares problem:
     * their rows plus, at every free DoF reached by several experts, a
     * penalty row sqrt(beta) |J_ii| (u_low(i) - u_high(i)) on the
     * difference of the lowest- and highest-numbered experts' values
     * there. J_ii, the diagonal of the residual's Jacobian at the
     * boundary values (w = 0), gives the penalty the scale of a residual
     * row, so beta = 1 weighs a unit jump like a unit residual in the
     * DoF's own row. The joint Gauss-Newton matrix is K N x K N with
     * blocks only between neighbouring experts.
     */
    double interface_weight = 0.;
    /** What an expert's fit makes small (`Residual norm`). */
    enum class ResidualNorm
    {
      /** ||R||^2 over the expert's rows (least squares). */
      euclidean,
      /**
       * ||D^{-1/2} R||^2 (residual_row_weights(): D the Jacobian's diagonal
       * at the boundary values). Without it, rows where a coefficient is
       * 100 times larger weigh 100 times more in every fit, while the
       * field's error is mostly where the coefficient is small. Interface
       * penalty rows are scaled alike.
       */
      diagonal,
      /**
       * The energy norm: B_k^T R_k(u_k) = 0, the residual tested with the
       * expert's own basis fields (N equations for N weights, Newton's
       * method when R is nonlinear). For one expert on all rows and a
       * symmetric positive definite linear R this is Ritz-Galerkin on the
       * basis: it minimises ||R||_{J^-1} = ||u - u_h||_J, the energy norm
       * of the error, over the basis, where a least-squares fit of R
       * weighs the error's smooth part by the square of J's small
       * eigenvalues and so leaves most of it. With several experts or
       * sampled rows the trial field reaches rows the test functions do
       * not (Petrov-Galerkin), and an expert's system must be regular.
       * Not with interface coupling.
       */
      energy
    };
    /** (The parameter `Residual norm` defaults to energy, what training
     *  is measured to need; this struct to least squares.) */
    ResidualNorm residual_norm = ResidualNorm::euclidean;

    /** The name of @p norm in parameter files and model files. */
    static std::string
    residual_norm_name(const ResidualNorm norm);

    /** The norm called @p name (euclidean, diagonal or energy); an error
     *  that names @p name otherwise. */
    static ResidualNorm
    residual_norm_from_name(const std::string &name);

    /** Declares `Tolerance`, `Maximum iterations`, `Damping`,
     *  `Constraint rows per expert` and `Residual norm` (the experts'
     *  solves, as a trainer or a hook exposes them). With
     *  @p norm_from_model (a hook that loads a trained model),
     *  `Residual norm` also takes `model`, its default: the norm the model
     *  was trained with, which the caller sets before parse_parameters().
     */
    static void
    declare_parameters(dealii::ParameterHandler &prm,
                       const bool                norm_from_model = false);

    /** Reads what declare_parameters() declared. */
    void
    parse_parameters(const dealii::ParameterHandler &prm);
  };


  /**
   * The hard-constraint layer: N basis fields B (n x N, one row per DoF)
   * become a finite element field u whose weak residual vanishes, in the
   * least-squares sense, on each expert's rows.
   *
   * Expert k's field is u_k = C B w_k + z on the DoFs of its cells (C and
   * z: the host's constraints, so hanging nodes and boundary values hold),
   * and its weights minimise ||R_{S_k}(u_k)||^2 over its rows S_k
   * (ExpertPartition::rows(), sampled to `rows_per_expert`), by
   * Gauss-Newton with Levenberg-Marquardt damping (one step for a linear
   * residual); or, with HardConstraintSettings::ResidualNorm::energy, its
   * weights solve B_k^T R_{S_k}(u_k) = 0 (Newton's method). A row of S_k
   * depends on u_k alone, so the experts are independent; all of them advance
   * in one assembly pass over the cells per iteration, as concurrent tasks
   * within a rank (deal.II's MultithreadInfo sets how many threads), and their
   * least-squares systems are reduced over the MPI ranks.
   *
   * Stitching: a free DoF takes the value of the lowest-numbered expert
   * whose cells reach it (its own value elsewhere), constrained DoFs
   * follow their constraints. Each expert's rows are exact for its own
   * field; where experts meet, their fields can differ (interface_jump()),
   * unless HardConstraintSettings::interface_weight couples them (one
   * joint solve whose penalty rows pull neighbouring experts together at
   * their shared DoFs; backward() then uses the joint matrix).
   *
   * backward() gives dL/dB from dL/du by the implicit function theorem at
   * the converged weights (one N x N solve per expert, no unrolled
   * iterations): with M_k = dR/du C B the Jacobian of expert k's rows,
   *
   *   dL/dw_k = (C B)^T dL/du_k,  lambda_k = (M_k^T M_k)^-1 dL/dw_k,
   *   dL/dB  += dL/du_k w_k^T - (J^T R) lambda_k^T - (J^T M_k lambda_k) w_k^T,
   *
   * exact for linear residuals and at a zero residual (Gauss-Newton
   * otherwise). With the energy norm (Galerkin equations B_k^T R_k = 0,
   * H_k = B_k^T M_k) it is exact for any residual:
   *
   *   lambda_k = H_k^-T dL/dw_k (H's pseudo-inverse when the basis is
   *              (nearly) dependent on the expert's rows),
   *   dL/dB  += dL/du_k w_k^T - R lambda_k^T - (J^T B_k lambda_k) w_k^T.
   *
   * A diagonal residual norm scales R, M and J's rows alike.
   *
   * B holds one row per locally relevant DoF, in the order of the space's
   * locally relevant IndexSet (index_within_set()), row-major; each rank
   * evaluates its own rows, ghosts included, and backward() gives the
   * derivative with respect to this rank's copy (summing over ranks gives
   * the total, as for network parameters under data parallelism).
   */
  template <int dim>
  class HardConstraintLayer
  {
  public:
    /** What one expert's solve did (the same on every rank). */
    struct ExpertReport
    {
      unsigned long long rows             = 0;
      unsigned int       iterations       = 0;
      double             initial_residual = 0.;
      double             residual         = 0.;
      bool               converged        = false;
    };

    HardConstraintLayer(const ResidualOperator<dim>   &residual,
                        const FiniteElementSpace<dim> &space,
                        const ExpertPartition<dim>    &experts,
                        const HardConstraintSettings  &settings);

    /** The space the layer works on. */
    const FiniteElementSpace<dim> &
    get_space() const
    {
      return space;
    }

    /** Rows of B: the locally relevant DoFs. */
    unsigned int
    n_rows() const;

    /**
     * The field @p u (locally owned, constraints distributed) of the
     * basis @p B (n_rows() x @p n_basis, row-major). Throws, naming the
     * expert, if an expert's system is singular or an expert does not
     * converge. Collective.
     */
    void
    forward(const double                          *B,
            const unsigned int                     n_basis,
            dealii::TrilinosWrappers::MPI::Vector &u);

    /** dL/dB (n_rows() x n_basis, row-major, this rank's copy) from
     *  @p dl_du (locally owned) at the last forward(). Collective. */
    void
    backward(const dealii::TrilinosWrappers::MPI::Vector &dl_du,
             double                                      *dl_dB) const;

    const std::vector<ExpertReport> &
    reports() const;

    /** The largest relative residual ||R_k|| / ||R_k(w = 0)|| over the
     *  experts after the last forward(). */
    double
    max_expert_residual() const;

    /** Expert @p k's own field C B w_k + z on every locally owned DoF
     *  (constraints distributed), from the last forward(). */
    void
    expert_field(const unsigned int                     k,
                 dealii::TrilinosWrappers::MPI::Vector &u_k) const;

    /** Each expert's weights w_k. */
    const std::vector<dealii::Vector<double>> &
    weights() const;

    /** The root mean square, over the free DoFs reached by several
     *  experts, of the difference between the fields of the lowest- and
     *  the highest-numbered of them there. */
    double
    interface_jump() const;

  private:
    /** One pass over the cells: R on the selected rows at the current
     *  weights and, if @p with_jacobian, M = dR/dw, summed over ranks (the
     *  locally owned rows hold the sums); then per expert ||R||^2 and, with
     *  the Jacobian, the (N+1) x (N+1) triangular factor of [M | R] over
     *  all ranks (tall-skinny QR), from which the least-squares steps are
     *  solved without squaring M's condition number. */
    void
    assemble(const bool                               with_jacobian,
             std::vector<double>                     &squared,
             std::vector<dealii::FullMatrix<double>> *factors);

    /** With @p sum, adds the contributions to rows owned by other ranks
     *  into their owners; then sends the owners' values to the ranks that
     *  hold the rows as ghosts (a vector of relevant rows with @p width
     *  values per row; one exchange for all columns). */
    void
    exchange_rows(std::vector<double> &rows,
                  const unsigned int   width,
                  const bool           sum) const;

    /** forward() with interface coupling: Gauss-Newton / Levenberg-
     *  Marquardt on all experts' weights at once. */
    void
    solve_coupled(const bool linear);

    /** forward() for a linear residual without coupling (least squares,
     *  scaled or not): one assembly pass gives R(0), M and the factor of
     *  [M | R(0)]; as R(w) = R(0) + M w, the solve and one refinement step
     *  follow without assembling again. */
    void
    solve_linear();

    /** Adds M @p d to expert @p k's rows of R (owned and ghost) and @p d
     *  to its weights: R(w + d) = R(w) + M d for a linear residual. */
    void
    update_linear(const unsigned int k, const dealii::Vector<double> &d);

    /** Per expert, ||R||^2 over its locally owned rows, summed over the
     *  ranks. */
    std::vector<double>
    squared_residuals() const;

    /** forward() with ResidualNorm::energy: Newton's method on every
     *  expert's B_k^T R_k(u_k) = 0 at once (one assembly pass per
     *  iteration); keeps each expert's matrix B_k^T M_k at the solution
     *  for backward(). */
    void
    solve_galerkin(const bool linear);

    /** The penalty rows' weights beta J_ii^2 at the shared free DoFs
     *  (shared_rows) and their triangular factor R_P (K N x K N, the same
     *  on every rank). */
    void
    setup_interface_penalty();

    /** With coupling, after the experts' pass: the interface rows' parts
     *  summed over the ranks, their residual, ||R_I||^2 and, with the
     *  Jacobian, the factor of [M_I | R_I] over all ranks. */
    void
    assemble_interface(const bool with_jacobian);

    /** The exchange buffer for @p width values per row. */
    dealii::LinearAlgebra::distributed::Vector<double> &
    buffer(const unsigned int width) const;

    /** What every pass needs of a locally owned cell, computed once: its
     *  expert, and for each of its DoFs the relevant rows (and factors)
     *  it stands for: itself if free, its constraint's parents if not. A
     *  DoF's row contributions go to those rows (condensation), and its
     *  basis row is that combination (B~ = C B). */
    struct CellData
    {
      typename dealii::DoFHandler<dim>::active_cell_iterator    cell;
      unsigned int                                              expert;
      std::vector<unsigned int>                                 rows;
      std::vector<std::vector<std::pair<unsigned int, double>>> links;
      /** Whether a row its expert selects is among the links. */
      bool reaches_selected = false;
    };

    const ResidualOperator<dim>  &residual;
    const FiniteElementSpace<dim> space;
    const ExpertPartition<dim>   &experts;
    const HardConstraintSettings  settings;
    const unsigned int            K;
    /** Interface coupling on (interface_weight > 0, K > 1). */
    const bool coupled;

    /** The expert that selects each locally relevant row (-1: none). */
    std::vector<int>      row_expert;
    std::vector<CellData> cell_data;
    /** Per expert, its cells (in cell_data) that reach a selected row. */
    std::vector<std::vector<unsigned int>> cells_of;
    /** Per expert, the relevant rows it selects, owned and ghost. */
    std::vector<std::vector<unsigned int>> owned_rows_of, ghost_rows_of;
    /** Experts still iterating in forward() (all, outside it). */
    std::vector<bool> active;
    /** Relevant row -> local index in the exchange vectors. */
    std::shared_ptr<const dealii::Utilities::MPI::Partitioner> partitioner;
    std::vector<unsigned int>                                  local_index;
    mutable std::map<unsigned int,
                     dealii::LinearAlgebra::distributed::Vector<double>>
      buffers;

    unsigned int                        N = 0;
    std::vector<double>                 basis;  // B~, relevant rows
    std::vector<double>                 offset; // z, relevant rows
    std::vector<dealii::Vector<double>> w;
    /** Per relevant row, the factor its residual row is scaled by (1, or
     *  |J_ii|^{-1/2} with ResidualNorm::diagonal). */
    std::vector<double>                     row_scale;
    std::vector<double>                     R;          // relevant rows
    std::vector<double>                     M;          // relevant rows x N
    std::vector<dealii::FullMatrix<double>> triangular; // R, R^T R = M^T M
    /** With ResidualNorm::energy: the pseudo-inverse of H_k = B_k^T M_k
     *  at the solution. */
    std::vector<dealii::FullMatrix<double>> galerkin_matrix;
    std::vector<ExpertReport>               expert_reports;
    /** A locally owned free DoF reached by two experts, with interface
     *  coupling: its relevant row, the experts, beta J_ii^2. */
    struct SharedRow
    {
      unsigned int row, low, high;
      double       weight;
    };
    std::vector<SharedRow> shared_rows;
    /** With coupling: the triangular factor R_P of the penalty rows
     *  (P^T P = R_P^T R_P, K N x K N, row-major), and the factor R_J of
     *  the joint Gauss-Newton matrix at the solution (for backward()). */
    std::vector<double> penalty_matrix;
    /** With coupling, the interface rows (no expert's alone; row_expert
     *  -2): relevant row -> index (-1: none), the relevant rows, the
     *  locally owned ones' indices; per row and expert the residual part,
     *  per row the Jacobian (K N wide) and the residual; ||R_I||^2 and the
     *  factor of [M_I | R_I]. */
    std::vector<int>          interface_index;
    std::vector<unsigned int> interface_rows, owned_interface;
    std::vector<double>       interface_residuals, interface_jacobian,
      interface_residual;
    double                     interface_squared = 0.;
    dealii::FullMatrix<double> interface_factor;
    dealii::FullMatrix<double> coupled_factor;
    double                     jump  = 0.;
    bool                       valid = false;
  };
} // namespace dealii_learned
