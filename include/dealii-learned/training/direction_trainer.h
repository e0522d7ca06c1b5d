#pragma once

#include <deal.II/base/config.h>

#include <dealii-learned/models/direction_network.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace dealii_learned
{
  /** Settings of the unsupervised training of the direction network. */
  struct TrainingSettings
  {
    unsigned int batch_size = 16;
    /** Right-hand sides drawn from each training matrix. */
    unsigned int samples_per_matrix = 64;
    double       learning_rate      = 1e-2;
    unsigned int seed               = 1;
    /** Lanczos steps per matrix: the number of Ritz vectors. */
    unsigned int lanczos_steps = 60;
    /** Factor on the coefficients of the lower half of the Ritz spectrum
     *  (the paper's 9): the data lean to the smooth modes CG is slow on. */
    double low_spectrum_weight = 9.;
    /**
     * What the training minimises:
     * - "spectral": the residual left after the best step along q = N(b)
     *   (DCDM's loss; the network as a standalone approximate inverse);
     * - "solver": the mean error reduction per step of `unrolled_steps`
     *   DCDM steps from x = 0, (|x* - x_m|_A / |x*|_A)^(1/m), for exact
     *   solutions x* drawn from the Ritz vectors and b = A x*; the
     *   gradient flows through the unrolled iterations, so the network is
     *   trained for what it does inside the solver.
     */
    std::string loss = "spectral";
    /** DCDM steps the "solver" loss unrolls. */
    unsigned int unrolled_steps = 6;
    /** Directions each unrolled step is A-orthogonal to (the dcdm solver's
     *  default 'Kept directions'). */
    unsigned int kept_directions = 2;
    /**
     * Learn the prolongation smoothing's per-edge weights
     * (ProlongationSmoothing) jointly with the smoothers: the hierarchy's
     * prolongations and Galerkin products are rebuilt in LibTorch from the
     * weights in every batch, so the gradient of the loss reaches them.
     * The aggregates, the patterns, the tentative prolongations and the
     * coarse levels' scalings are taken from the hierarchy that
     * AggregationHierarchy builds with the current weights, rebuilt before
     * each matrix's batches of an epoch (and before train_step() on it),
     * and before evaluate(), apply() and loss() if the weights changed.
     */
    bool learn_prolongation = false;
    /** Hidden units of the per-edge perceptron, if the start model has no
     *  prolongation smoothing yet. */
    unsigned int prolongation_hidden = 8;
  };


  /**
   * Trains the multilevel message-passing direction network with LibTorch,
   * without labels. With the spectral loss, for a right-hand side b and
   * q = N(b) the loss is
   *
   *   L = | b - (q.b / q.Aq) A q |^2,
   *
   * the residual left after the best step along q, which vanishes exactly
   * when q is a multiple of A^{-1} b, whatever the multiple (so the network
   * need not learn the scale of A^{-1}). With the solver loss it is the
   * mean energy-norm error reduction per step of m unrolled DCDM steps,
   *
   *   L = ( |x* - x_m|_A / |x*|_A )^(1/m),
   *
   * with b = A x* and x_m the DCDM iterate from x_0 = 0 (each direction
   * A-orthogonal to the last `kept_directions`, as in SolverDCDM), the
   * gradient taken through all m steps.
   *
   * Training data come from the matrices themselves, as they are produced
   * (refinement cycles, coefficient samples): add_matrix() builds the
   * network's hierarchy of that matrix as torch sparse tensors, runs
   * Lanczos for Ritz vectors and draws right-hand sides from them with the
   * lower half of the spectrum emphasised. The torch forward pass is the
   * same computation as DirectionNetwork's (apply() exposes it, so the two
   * can be compared), with the weights as leaves of the autograd graph.
   *
   * Matrices are serial (one rank); training runs on rank 0 of a job.
   * Everything random comes from `seed`, so a run is reproducible.
   */
  class DirectionTrainer
  {
  public:
    DirectionTrainer(const TrainingSettings      &settings,
                     const DirectionNetworkModel &start);
    ~DirectionTrainer();

    /** Adds the training data of @p A (a matrix on one MPI rank), whose
     *  hierarchy is built for @p structure (a system's components and
     *  near-null space, as the solvers get it from the host). */
    void
    add_matrix(const dealii::TrilinosWrappers::SparseMatrix &A,
               const SystemStructure &structure = SystemStructure());

    unsigned int
    n_matrices() const;

    /** Drops the matrix added first and its samples (a window of recent
     *  systems, as online training keeps). */
    void
    remove_oldest_matrix();

    /**
     * One step of Adam on a batch (up to `batch_size` samples drawn at
     * random) of one matrix, the matrices taken in turn; returns the
     * batch's loss. The smallest unit of work, for training within a time
     * budget (online training).
     */
    double
    train_step();

    /** Sets the weights (not the optimizer's state) to @p model's, which
     *  must have the trainer's layer widths. */
    void
    set_weights(const DirectionNetworkModel &model);

    /** Mean loss of @p weights on all samples; the trainer's own weights
     *  are unchanged. */
    double
    evaluate(const DirectionNetworkModel &weights);

    /**
     * One pass over all samples in shuffled batches with Adam; returns the
     * mean loss over the pass. The order of epoch k depends only on the
     * seed and k, so a run resumed after epoch k (load_optimizer_state())
     * continues exactly as the uninterrupted run would have.
     */
    double
    train_epoch();

    /** Epochs trained so far (including those before a resume). */
    unsigned int
    epochs_completed() const;

    /**
     * Writes Adam's state (moments and step counts) and the epoch count to
     * @p filename, through a temporary file and a rename. The weights
     * themselves go into the model checkpoint (model()).
     */
    void
    save_optimizer_state(const std::string &filename) const;

    /**
     * Restores what save_optimizer_state() wrote, for a trainer constructed
     * from the checkpoint's weights; throws if the file is missing, broken,
     * or from another epoch than @p epochs_completed.
     */
    void
    load_optimizer_state(const std::string &filename,
                         const unsigned int epochs_completed);

    /** Mean loss of the current weights on all samples (no update). */
    double
    evaluate() const;

    /** The current weights as a model. */
    DirectionNetworkModel
    model() const;

    /** The torch forward pass N(r) on training matrix @p matrix. */
    std::vector<double>
    apply(const unsigned int matrix, const std::vector<double> &r) const;

    /** The loss of the settings (what training minimises) for one
     *  right-hand side @p b on training matrix @p matrix, with its exact
     *  solution @p x for the solver loss; to check the unrolled iteration
     *  against SolverDCDM. */
    double
    loss(const unsigned int         matrix,
         const std::vector<double> &b,
         const std::vector<double> &x = {}) const;

  private:
    struct Implementation;
    std::unique_ptr<Implementation> impl;
  };
} // namespace dealii_learned
