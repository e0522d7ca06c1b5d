#pragma once

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/models/aggregation_hierarchy.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * The weights of one learned smoothing layer: a per-node two-layer
   * perceptron on two features, the node's residual rho_i and the message
   * g_i = (Â rho)_i gathered from its neighbours, plus linear skip terms:
   *
   *   f0 = rho_i / sigma,  f1 = g_i / sigma,
   *   dy_i = sigma (a f0 + b f1 + sum_c w_c relu(W_c0 f0 + W_c1 f1 + c_c))
   *
   * sigma is the root-mean-square of the level's right-hand side, which
   * makes the layer, and the whole network, positively homogeneous:
   * N(t r) = t N(r) for t > 0. With w = 0 the layer is a damped Jacobi step
   * (a) plus a first-order polynomial correction (b).
   */
  struct SmootherWeights
  {
    unsigned int        hidden = 8;
    std::vector<double> W;    // hidden x 2, row-major
    std::vector<double> bias; // hidden
    std::vector<double> w;    // hidden
    double              a = 0.6;
    double              b = 0.;

    /** Parameters in a fixed order (W, bias, w, a, b). */
    std::vector<double>
    flatten() const;
    void
    unflatten(const std::vector<double> &values, std::size_t &position);
    std::size_t
    n_parameters() const;
  };


  /**
   * All weights and settings of the multilevel message-passing direction
   * network, and its model file. Everything needed to rebuild the network
   * on another matrix: the hierarchy settings, the number of layers per
   * level, and the learned weights (shared by all levels, which is what
   * lets one network serve matrices of any size).
   */
  struct DirectionNetworkModel
  {
    static constexpr unsigned int format_version = 2;
    static constexpr const char  *architecture   = "multilevel-message-passing";

    AggregationHierarchy::AdditionalData hierarchy;
    unsigned int                         pre_layers    = 1;
    unsigned int                         post_layers   = 1;
    unsigned int                         coarse_layers = 4;
    /** Cycles on each coarser level per visit: 1 is a V-cycle, 2 a
     *  W-cycle (the coarse problem is solved better, at about twice the
     *  cost of the coarse levels). */
    unsigned int cycle_index = 1;
    /**
     * With cycle_index 2: accelerate the two coarse cycles of each visit
     * by Krylov (Notay's K-cycle): the coarse correction is the one of
     * least energy error in the span of the two cycle outputs, instead of
     * their sum. Costs two more coarse matrix-vector products and five
     * inner products per visit; makes the coarse correction much less
     * sensitive to a poor coarse space.
     */
    bool            krylov_cycle = false;
    SmootherWeights pre, post, coarse;
    /** Scales the coarse-level correction (over-correction helps
     *  piecewise-constant prolongation). */
    double coarse_correction_scale = 1.;
    /** Free-form description of the training (problem, sizes, seed,
     *  epochs, loss), kept in the file for provenance. */
    std::map<std::string, std::string> metadata;

    /** Weights set to their untrained start: Jacobi-like smoothing, MLP
     *  hidden weights small and deterministic from @p seed, output zero. */
    static DirectionNetworkModel
    initial(const unsigned int hidden = 8, const unsigned int seed = 1);

    std::vector<double>
    flatten() const;
    void
    unflatten(const std::vector<double> &values);

    /**
     * Writes the model (text, exact to the last bit) through a temporary
     * file and a rename.
     */
    void
    save(const std::string &filename) const;

    /**
     * Reads a model file; throws naming the file and the problem if it is
     * missing, from another format version or architecture, truncated, or
     * holds non-finite weights.
     */
    static DirectionNetworkModel
    load(const std::string &filename);
  };


  /**
   * The neural direction network N(r) ~ A^{-1} r used by SolverDCDM and the
   * neural preconditioner. Set up once per matrix (the hierarchy is built
   * from A), applied once per iteration:
   *
   *   v_0 = D^{-1/2} r,  y_0 = V(0, v_0),  N(r) = D^{-1/2} y_0,
   *   V(l, v): y = 0; y = pre-smooth(l, v, y);
   *            y += gamma P_l S_{l+1} V(l+1, S_{l+1} P_l^T (v - Â_l y));
   *            y = post-smooth(l, v, y)
   *
   * with the learned layers of DirectionNetworkModel on every level and
   * `coarse_layers` layers alone on the coarsest. Each layer costs two
   * sparse matrix-vector products with Â_l and O(hidden) flops per unknown,
   * (one fewer in the first layer of each visit, which starts from y = 0), so
   * one application is of the order of an AMG V-cycle with a degree-2
   * polynomial smoother.
   *
   * The network's products use its own copies of the level matrices and
   * prolongations with single-precision values (the vectors stay double):
   * the products are bound by memory traffic, and 4-byte values cut it by
   * a third. The perceptron runs inside the product that computes the
   * message, and the residual inside the product that needs it, so a layer
   * reads its vectors once. The network is only a direction operator: the
   * Krylov method around it works with A in double precision and checks
   * the true residual, and DCDM and flexible CG tolerate the inexactness.
   * Under MPI each product imports its ghost entries through the matrix's
   * Epetra importer (one exchange per product, as in Trilinos); the
   * per-node perceptron is local.
   */
  class DirectionNetwork
  {
  public:
    /**
     * Sets the network up on @p A. With a @p structure that is not scalar
     * (components per point and a near-null space, e.g. elasticity's
     * rigid-body modes), the hierarchy is smoothed aggregation for systems
     * (see AggregationHierarchy); the learned layers are the same.
     */
    void
    initialize(const dealii::TrilinosWrappers::SparseMatrix &A,
               const DirectionNetworkModel                  &model,
               const SystemStructure &structure = SystemStructure());

    /**
     * The network on a new matrix with the sparsity pattern of the last
     * one (the same rows, and the same columns in the same order in every
     * row): the hierarchy's values are recomputed on its kept aggregates
     * and patterns (AggregationHierarchy::reinit_values()), and the
     * network's single-precision copies follow. The weights stay.
     */
    void
    reinit_values(const dealii::TrilinosWrappers::SparseMatrix &A);

    /**
     * Replaces the learned weights by @p model's and keeps the hierarchy
     * (which depends on the matrix and the hierarchy settings only): for
     * a network updated while the host runs (online training). @p model
     * must have the same hierarchy settings, layers and cycle as the
     * network's model.
     */
    void
    set_weights(const DirectionNetworkModel &model);

    /** The model whose weights the network applies. */
    const DirectionNetworkModel &
    get_model() const;

    /** q = N(r). r and q must not be the same vector. */
    void
    vmult(dealii::TrilinosWrappers::MPI::Vector       &q,
          const dealii::TrilinosWrappers::MPI::Vector &r) const;

    /** The same for serial vectors (one MPI rank). */
    void
    vmult(dealii::Vector<double> &q, const dealii::Vector<double> &r) const;

    const AggregationHierarchy &
    get_hierarchy() const;

    /** Wall time, in seconds, of the last initialize() or reinit_values()
     *  spent outside the hierarchy's own setup: the single-precision copies
     *  of its matrices and the level vectors. */
    double
    copy_seconds() const;

    /**
     * The kernel that evaluates width-8 smoother layers in this process:
     * "avx2" where the processor has AVX2, "generic" otherwise, or when
     * the environment variable DEALII_LEARNED_GENERIC_KERNELS is set (to
     * anything but empty or 0, read at the first use) or the library was
     * configured with -DDEALII_LEARNED_GENERIC_KERNELS=ON. With the
     * project's flags (no FMA, the same order of operations) the two give
     * the same results on x86-64, measured by the *_generic tests; other
     * compilers or flags (FMA contraction under -march=native, another
     * architecture) round the single-precision layer differently and may
     * move an iteration count by one or two.
     */
    static std::string
    kernel();

    /**
     * A matrix of the hierarchy (level matrix or prolongation) as the
     * network applies it: the locally owned rows in compressed row storage
     * with single-precision values, and the ghost exchange of its columns.
     * Defined in the source file.
     */
    class LevelMatrix;

  private:
    /** @p solution_is_zero: solution[level] is known to be 0, which saves
     *  the first residual's matrix-vector product. */
    void
    smooth(const SmootherWeights &weights,
           const unsigned int     level,
           const unsigned int     n_layers,
           const bool             solution_is_zero) const;

    void
    cycle(const unsigned int level) const;

    void
    krylov_correction(const unsigned int level) const;

    DirectionNetworkModel model;
    AggregationHierarchy  hierarchy;
    double                copy_time = 0.;
    /** Per level: the level matrix and the prolongation to it from the
     *  next coarser level (none on the coarsest), in single precision. */
    std::vector<std::shared_ptr<LevelMatrix>> level_matrices,
      level_prolongations;

    /** The vectors of one level. */
    using Vectors = std::vector<dealii::TrilinosWrappers::MPI::Vector>;
    // Per level: the right-hand side of the level's visit, its solution
    // (the network's output on that level) and the residual
    // rhs - M solution.
    mutable Vectors rhs, solution, residual;
    // Per level, for more than one coarse visit: the right-hand side the
    // visits share; the W-cycle's sum of the visits' solutions; the
    // K-cycle's first direction, its image under M, and the image of the
    // second direction.
    mutable Vectors saved_rhs, accumulated, first_direction, first_image,
      second_image;
    mutable dealii::TrilinosWrappers::MPI::Vector serial_in, serial_out;
    /** Per level: sigma of the current visit (set by its first
     *  smoothing, which starts from a zero solution). */
    mutable std::vector<double> level_sigma;
  };
} // namespace dealii_learned
