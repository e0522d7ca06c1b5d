#pragma once

#include <deal.II/base/index_set.h>

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/base/system_structure.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dealii_learned
{
  /**
   * A coarse-to-fine structure built from the matrix alone: the graph on
   * which the neural direction network passes messages, level by level, so
   * that one application costs about what a multigrid V-cycle costs instead
   * of dozens of fine-grid passes.
   *
   * Level 0 is the symmetrically scaled matrix Â = S A S, S = D^{-1/2}
   * (unit diagonal, so edge weights are comparable across meshes, element
   * degrees and coefficient contrasts), multiplied by 2 / lambda_max(Â)
   * when `normalize_spectrum` is set. Each coarser level groups strongly
   * connected unknowns into aggregates (|Â_ij| >= threshold max_k |Â_ik|,
   * greedy, as in aggregation AMG): the passes that seed aggregates take at
   * most `max_aggregate_size` unknowns each, and the pass in between
   * attaches every row still free to the aggregate of its strongest
   * aggregated neighbour, which can make an aggregate larger than that;
   * largest_aggregate() reports the size reached.
   * The tentative prolongation P_0 holds the level's near-kernel vector on
   * each aggregate: S^{-1} 1, the image of A's constant under the scaling,
   * not the constant itself (which in the scaled unknowns would vary with
   * the coefficient and the mesh size). It is smoothed once with the level
   * matrix (P = (I - omega Â) P_0, smoothed aggregation), and the coarse
   * level is the Galerkin product P^T Â P, scaled in the same way. Rows
   * with no off-diagonal entry (constrained DoFs) are decoupled and get no
   * coarse unknown. Nothing here depends on the mesh, the dimension or the
   * element: only on A, so the same network runs on adaptive meshes with
   * hanging nodes, Q1 or Q2, 2-D or 3-D.
   *
   * Under MPI the aggregation is the sequential one, run rank after rank
   * (aggregates may cross ranks), and strengths are compared on a grid of
   * 2^-20 of each row's largest entry, so that rounding differences of a
   * parallel assembly do not change decisions. With a DoF numbering that
   * does not depend on the partition (DoFRenumbering::hierarchical, as the
   * built-in problems use), the hierarchy, and so the network's output, is
   * the same on any number of ranks up to rounding. The price is 2 p rounds
   * of neighbour communication per sequential pass on p ranks.
   *
   * <h3>Systems</h3>
   * Given a SystemStructure that is not scalar (elasticity: the components
   * per support point and the rigid-body modes), the hierarchy is smoothed
   * aggregation for systems, as ML builds it with "PDE equations" and a
   * null space:
   * - it aggregates nodes, all components of a support point together: the
   *   greedy passes run on the node graph whose entries are the Frobenius
   *   norms of Â's blocks;
   * - the tentative prolongation holds, on each aggregate, the scaled
   *   near-null space S^{-1} B orthonormalised (B_J = Q_J R_J); each
   *   aggregate has as many coarse unknowns as vectors (fewer where it has
   *   too few unknowns, e.g. 3 rigid-body modes on one 2-D point), and the
   *   coarse level's near-null space is R;
   * - coarser levels are systems again, their nodes the aggregates.
   * Truncation of the prolongation applies to scalar hierarchies only.
   * The partition independence and reinit_values() hold as for scalar
   * problems (the aggregates' Gram matrices are summed by their owner, so
   * the sums, not the decisions, may differ in rounding).
   */
  /**
   * Learned per-edge weights of the prolongation smoothing. Smoothed
   * aggregation with one damping omega per level, P = (I - omega Â) P_0,
   * becomes, with a factor f in (0, 2) from a small perceptron of the edge
   * features (Â_ij, [i and j in the same aggregate], [i = j]),
   *
   *   P = P_0 - omega G Â_f P_0,
   *
   * where G = diag(g_i), g_i = f(Â_ii, 1, 1) is a factor per row, and Â_f
   * is Â with its off-diagonal entries multiplied by f_ij = f(Â_ij,
   * [same aggregate], 0) and what they leave, sum_j (1 - f_ij) Â_ij k_j / k_i,
   * lumped into the diagonal (k the level's near-kernel vector S^{-1} 1,
   * the sum over the columns that have an aggregate). The lumping keeps
   * Â_f k = Â k, so P reproduces the near kernel as smoothed aggregation
   * does (P 1 = k - omega G Â k): free per-edge weights, tried first,
   * learned factors near 1.8 off the diagonal and 0.5 on it, which
   * reproduced k scaled by 1.9 inside the domain and less at its boundary,
   * and took 60 iterations instead of 15 on 2-D elasticity at 766k DoFs.
   * A system's hierarchy (several near-null vectors, which one lumped
   * diagonal cannot all keep) uses the row factors g_i only. P keeps its
   * sparsity, so a cycle costs what it costs with one omega. This is the
   * learned prolongation of Luz et al. (ICML 2020) and Greenfeld et al.
   * (ICML 2019) carried into smoothed aggregation; the weights are
   * trained through the solver with the direction network
   * (Training/direction-network/Learn prolongation) and saved in its model
   * file. The features are the matrix entry and flags of the edge only,
   * so the hierarchy stays independent of the partition. Empty (hidden 0,
   * the default): f = 1, one omega.
   */
  struct ProlongationSmoothing
  {
    unsigned int        hidden = 0;
    std::vector<double> W;    // hidden x 3, row-major
    std::vector<double> bias; // hidden
    std::vector<double> w;    // hidden
    double              b = 0.;

    bool
    empty() const
    {
      return hidden == 0;
    }

    /** 1 + tanh(...): the factor on omega of the edge with matrix entry
     *  @p entry. */
    double
    factor(const double entry,
           const bool   same_aggregate,
           const bool   diagonal) const;

    /** 5 hidden + 1, or 0 when empty. */
    std::size_t
    n_parameters() const;

    /** Parameters in a fixed order (W, bias, w, b). */
    std::vector<double>
    flatten() const;

    /** Reads n_parameters() values from @p position on (hidden set). */
    void
    unflatten(const std::vector<double> &values, std::size_t &position);
  };


  class AggregationHierarchy
  {
  public:
    /** Aggregate number of a decoupled row, which has no coarse unknown. */
    static constexpr unsigned int no_aggregate = static_cast<unsigned int>(-1);

    struct AdditionalData
    {
      AdditionalData(const double       strength_threshold       = 0.25,
                     const unsigned int max_aggregate_size       = 4,
                     const unsigned int coarsest_size            = 64,
                     const unsigned int max_levels               = 25,
                     const double       prolongation_damping     = 2. / 3.,
                     const bool         normalize_spectrum       = true,
                     const double       prolongation_truncation  = 0.,
                     const unsigned int prolongation_max_entries = 0)
        : strength_threshold(strength_threshold)
        , max_aggregate_size(max_aggregate_size)
        , coarsest_size(coarsest_size)
        , max_levels(max_levels)
        , prolongation_damping(prolongation_damping)
        , normalize_spectrum(normalize_spectrum)
        , prolongation_truncation(prolongation_truncation)
        , prolongation_max_entries(prolongation_max_entries)
      {}

      double       strength_threshold;
      unsigned int max_aggregate_size;
      /** Stop coarsening when the global size is at most this. */
      unsigned int coarsest_size;
      unsigned int max_levels;
      /**
       * omega in the smoothed prolongation P = (I - omega Â) P_aggregates
       * (smoothed aggregation); 0 keeps piecewise-constant P. With a unit
       * diagonal, 2/3 is the usual 4/(3 lambda_max) for lambda_max ~ 2.
       */
      double prolongation_damping;
      /**
       * Scale every level matrix, after making its diagonal one, by
       * 2 / lambda_max (estimated by 6 Lanczos steps, enlarged by 5%) and
       * its scaling vector by the square root, so that all levels have the
       * spectrum in (0, about 2] (the test problems' largest eigenvalues
       * end up in [1.90, 2.06]): one set of learned smoothing weights then
       * suits every level, Q1 and Q2, 2-D and 3-D, and the prolongation damping
       * is the smoothed-aggregation rule 4 / (3 lambda_max) at 2/3. Galerkin
       * coarse operators of high-contrast problems can have lambda_max
       * several times that of the fine level, where a fixed damping
       * diverges.
       */
      bool normalize_spectrum;
      /**
       * @name Truncation of the finest level's smoothed prolongation
       * Each row of P_0 (from level 1 to level 0; the coarser ones stay
       * whole) drops its entries below `prolongation_truncation`
       * (in [0, 1)) times the row's largest magnitude, and those beyond its
       * `prolongation_max_entries` largest (0: no limit; a soft cap:
       * entries tied to a relative 1e-8 stay together, so that the
       * hierarchy does not depend on the partition, and the entry of the
       * row's own aggregate always stays), and scales the rest so that the
       * row sum stays (P times the coarse near-kernel vector is
       * unchanged). Fewer entries in P make the Galerkin products and the
       * transfers cheaper, most of all in 3-D, where a smoothed row
       * reaches many aggregates (8 on average and up to 17 on the finest
       * level of the 3-D Fichera benchmark at 31,841 unknowns, against 3 in
       * 2-D), several with small weights. The defaults keep every entry.
       * reinit_values() keeps the pattern chosen by initialize() and
       * rescales the same way (see there).
       * @{
       */
      double       prolongation_truncation;
      unsigned int prolongation_max_entries;
      /** @} */

      /**
       * The same cap as `prolongation_max_entries` for the coarser levels'
       * prolongations (from level 2 to 1 and below; 0: no cap, the
       * default). A cap above the rows' usual length acts only where rows
       * are long: in 3-D, whose coarse rows reach several times as many
       * aggregates as in 2-D, and whose Galerkin products are most of the
       * setup. Scalar hierarchies only.
       */
      unsigned int prolongation_coarse_max_entries = 0;

      /**
       * @name Node aggregation of a system (initialize() with a
       * SystemStructure)
       * The greedy passes on the node graph use these instead of
       * `strength_threshold` and `max_aggregate_size`. A negative value
       * (the default) chooses by the components per point: the scalar
       * settings for one or two, and for three or more (3-D elasticity)
       * a threshold of 0.1 with seeds that take all their strong
       * neighbours, as ML's uncoupled aggregation does. With the scalar
       * settings, a 3-D point's aggregate grows around a seed and three
       * neighbours into about 20 ragged points whose smoothed prolongation
       * rows reach many aggregates, 6 coarse unknowns each: on 3-D Q1
       * elasticity at 198,333 DoFs the first coarse operator then had
       * 441 entries per row and the Galerkin products took 8.9 of 10.9 s
       * of setup, where ML's whole setup took 2.6 s. In 2-D the scalar
       * settings are the better ones (14 iterations at 765,784 DoFs
       * against 25 with ML's rule). `system_max_aggregate_size` 0 means
       * no limit.
       * @{
       */
      double system_strength_threshold = -1.;
      int    system_max_aggregate_size = -1;
      /** @} */

      /** Learned per-edge prolongation smoothing (empty: one omega). */
      ProlongationSmoothing prolongation_smoothing;

      /**
       * Keep the tentative prolongations P_0 (before smoothing) for
       * tentative_prolongation(): the trainer of the learned smoothing
       * rebuilds P from them. Off by default (a copy of each P's
       * aggregate structure).
       */
      bool keep_tentative_prolongations = false;
    };

    /**
     * Builds the hierarchy of @p A, which must be symmetric with a positive
     * diagonal; throws naming the first row with a non-positive one.
     */
    void
    initialize(const dealii::TrilinosWrappers::SparseMatrix &A,
               const AdditionalData &data = AdditionalData());

    /**
     * The same for a system of @p structure (checked by the caller with
     * check_system_structure()): a scalar structure builds the scalar
     * hierarchy; otherwise the one described under "Systems" above. Every
     * rank must own whole support points (a named error otherwise).
     */
    void
    initialize(const dealii::TrilinosWrappers::SparseMatrix &A,
               const AdditionalData                         &data,
               const SystemStructure                        &structure);

    /**
     * Recomputes every value of the hierarchy for @p A, a matrix with the
     * sparsity pattern of the one given to initialize() (the same rows,
     * and the same columns in the same order in every row) and new values:
     * a new time step, Picard or Newton iteration, or parameter of the
     * same discretisation. The aggregates and the patterns of the
     * prolongations and level matrices are kept; the scaling, the
     * spectrum estimates, the prolongations' values and the Galerkin
     * products are computed anew, as initialize() would with the same
     * aggregates; a truncated prolongation keeps its pattern, its full
     * rows projected on it and scaled to their sums (rows that cannot be
     * are counted in warnings()). This skips the aggregation and every symbolic
     * phase (the greedy passes, building patterns, the symbolic matrix
     * products), which is what Trilinos ML's ReComputePreconditioner()
     * (PreconditionAMG::reinit()) keeps too. Throws if the pattern
     * differs in the row count or a row's length; the caller must check
     * the columns (LearnedSolverBase does, with a hash of the pattern).
     */
    void
    reinit_values(const dealii::TrilinosWrappers::SparseMatrix &A);

    unsigned int
    n_levels() const;

    /** Â on level @p level (unit diagonal). */
    const dealii::TrilinosWrappers::SparseMatrix &
    matrix(const unsigned int level) const;

    /** P from level @p level + 1 to level @p level. */
    const dealii::TrilinosWrappers::SparseMatrix &
    prolongation(const unsigned int level) const;

    /**
     * The tentative prolongation P_0 from level @p level + 1 to level
     * @p level, before smoothing and truncation (the scaled near-null
     * space on each aggregate); only if AdditionalData::
     * keep_tentative_prolongations was set (throws otherwise), as the
     * last initialize() built it (reinit_values() does not update it).
     */
    const dealii::TrilinosWrappers::SparseMatrix &
    tentative_prolongation(const unsigned int level) const;

    /**
     * The scaling that made level @p level unit-diagonal: D^{-1/2} of A on
     * level 0, and of P^T Â P on coarser levels, so that
     * matrix(l+1) = S (P^T matrix(l) P) S with S = diag(this vector).
     */
    const dealii::TrilinosWrappers::MPI::Vector &
    inverse_sqrt_diagonal(const unsigned int level = 0) const;

    const dealii::IndexSet &
    locally_owned(const unsigned int level) const;

    /** Global number of unknowns on each level, finest first. */
    std::vector<dealii::types::global_dof_index>
    level_sizes() const;

    /**
     * Sum over levels of the nonzeros, divided by the nonzeros of level 0:
     * the cost of touching every level once relative to one fine matvec.
     */
    double
    operator_complexity() const;

    /**
     * Rows of the largest aggregate on any level: up to
     * `max_aggregate_size` from the seeding passes, more where rows left
     * free by the first seeding pass joined a neighbouring aggregate (16 on
     * a 2-D Q1 mesh and 52 on a 3-D one with the default size of 4; see
     * tests/models/aggregation_hierarchy).
     */
    dealii::types::global_dof_index
    largest_aggregate() const;

    /**
     * What the last initialize() could not do as asked, in words: a level
     * whose spectrum could not be normalised (its largest-eigenvalue
     * estimate was not positive and finite, so it was left unscaled), or
     * coarsening that stopped above `coarsest_size` (aggregation no longer
     * reduced the size by 10%, or `max_levels` was reached). Empty when
     * all went as asked. The learned solvers pass these on as warnings of
     * their SolverReport, which the driver prints.
     */
    std::vector<std::string>
    warnings() const;

    /** Wall time of the phases of the last initialize() or
     *  reinit_values(), in seconds. */
    struct SetupTimes
    {
      /** Copying A, diagonal scaling and spectrum estimates. */
      double scaling = 0.;
      /** Strength of connection and the greedy aggregation. */
      double aggregation = 0.;
      /** Tentative prolongation and its smoothing (one product). */
      double prolongation = 0.;
      /** The Galerkin products P^T (A P). */
      double galerkin = 0.;
    };

    const SetupTimes &
    setup_times() const;

    /**
     * Near-null-space vectors per aggregate on each level but the
     * coarsest: 1 for a scalar hierarchy; for a system, the smallest
     * number of vectors any aggregate kept (fewer than given where
     * aggregates have fewer unknowns than vectors).
     */
    std::vector<unsigned int>
    min_vectors_per_aggregate() const;

    /**
     * The near-null space of level @p level in its scaled unknowns (those
     * of matrix(level)): S^{-1} B on level 0 with B the structure's
     * vectors (S^{-1} 1 for a scalar hierarchy), and on a coarser level
     * S^{-1} R with R the factors of the aggregates' orthonormalisation,
     * so that prolongation(l) (S_{l+1} .* b_{l+1}) = (I - omega matrix(l)) b_l
     * on every row that has an aggregate.
     */
    std::vector<dealii::TrilinosWrappers::MPI::Vector>
    near_null_space(const unsigned int level) const;

    /** The levels of a system's hierarchy; defined in the source. */
    struct SystemLevels;

  private:
    /** The scalar aggregation and prolongation of the finest level in
     *  matrices, for initialize(). Returns the coarse owned set, or an
     *  empty set (size 0) when coarsening stops. */
    dealii::IndexSet
    coarsen_scalar(const AdditionalData                &data,
                   const std::function<void(double &)> &lap);
    /** The same for a system. */
    dealii::IndexSet
    coarsen_system(const AdditionalData                &data,
                   const std::function<void(double &)> &lap);

    AdditionalData settings;
    /** Null for a scalar hierarchy. */
    std::shared_ptr<SystemLevels>                       systems;
    SetupTimes                                          times;
    std::vector<dealii::TrilinosWrappers::SparseMatrix> matrices;
    std::vector<dealii::TrilinosWrappers::SparseMatrix> prolongations;
    /** P_0 per level, if kept (keep_tentative_prolongations). */
    std::vector<dealii::TrilinosWrappers::SparseMatrix> tentative;
    std::vector<dealii::IndexSet>                       owned;
    std::vector<dealii::TrilinosWrappers::MPI::Vector>  scalings;
    /** Per level but the coarsest: the aggregate (coarse index) of each
     *  owned row, or numbers::invalid_dof_index for a decoupled row. */
    std::vector<std::vector<dealii::types::global_dof_index>> coarse_of;
    /** Per level but the coarsest: Â P, kept for its pattern. */
    std::vector<std::shared_ptr<Epetra_CrsMatrix>> products;
    std::vector<dealii::types::global_dof_index>   largest_aggregates;
    /** Levels left unnormalised, with their eigenvalue estimate. */
    std::vector<std::pair<unsigned int, double>> unnormalized_levels;
    /** Rows of a truncated prolongation that reinit_values() could not
     *  scale to their row sum. */
    unsigned int unscaled_prolongation_rows = 0;
    /** Why coarsening stopped above the coarsest size asked, if it did. */
    std::string  stop_reason;
    unsigned int coarsest_size_asked = 0;
  };
} // namespace dealii_learned
