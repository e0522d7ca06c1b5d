#pragma once

#include <deal.II/base/mpi.h>

#include <dealii-learned/base/system_structure.h>
#include <dealii-learned/models/direction_network.h>

#include <array>
#include <functional>
#include <memory>
#include <string>

namespace dealii
{
  class ParameterHandler;
}

namespace dealii_learned
{
  /**
   * `Online training` of a learned solver hook (`dcdm`, `fcg-neural`): the
   * parameters, read from the hook's own subsection.
   */
  struct OnlineSettings
  {
    bool enabled = false;
    /** Time spent learning, as a fraction of the time spent solving. */
    double budget = 0.25;
    /** Recent systems the network trains on. */
    unsigned int window = 4;
    /** Solves between two checks of the trained weights. */
    unsigned int check_every = 10;
    /** A fixed amount of work per solve instead of the time budget. */
    bool         deterministic = false;
    unsigned int steps_per_solve = 2;
    /** Where an accepted network is written (empty: nowhere). */
    std::string  save_model;
    /** Rows of each system (of each rank's block) the network trains on
     *  (0: all). */
    unsigned int max_rows           = 20000;
    unsigned int samples_per_system = 8;
    unsigned int lanczos_steps      = 20;
    unsigned int batch_size         = 4;
    double       learning_rate      = 2e-3;

    static void
    declare_parameters(dealii::ParameterHandler &prm);
    void
    parse_parameters(dealii::ParameterHandler &prm);
  };


  /**
   * Trains a direction network on the systems a host solves, while it
   * solves them, and proposes the trained weights for a swap.
   *
   * After every converged solve the hook calls learned(), which works in
   * small units as long as the time spent learning stays within `Online
   * budget` times the time spent solving: the system just solved joins a
   * window of the `Online window` most recent ones (its training data:
   * right-hand sides from its Ritz vectors, as `dealii-learned train`
   * draws them) when the newest one has had about one pass over its
   * samples, otherwise an Adam step on a batch of one system of the window.
   * No solve waits for more than one unit beyond the budget. With `Online
   * deterministic` every system joins, followed by a fixed number of
   * steps.
   *
   * Every `Online check every` solves check_due() is true and the hook
   * compares the trained weights (candidate()) with the network in use on
   * the system it has just solved: it swaps them in only if they need at
   * most as many iterations (and, on a tie, have at most the training
   * loss of the network in use; accepted()); otherwise it keeps its
   * network, and the training goes on from the candidate.
   *
   * A system's training data are the leading `Online rows` rows and
   * columns of the rank's block (a principal submatrix: SPD, and a
   * connected patch of the mesh in deal.II's numbering), so that the cost of
   * a unit does not grow with the system. Under MPI every rank trains on
   * the diagonal block of its own rows, and candidate() averages
   * the ranks' weights, so every rank checks, and swaps, the same weights
   * at the same solve. Training is serial per rank and does not
   * communicate; the solve counts decide the schedule, not the clock.
   *
   * This is the interface the learned hooks (this layer) use; the training
   * layer implements it with DirectionTrainer (LibTorch) and registers its
   * factory when the library is loaded (source/training/online_learner.cc),
   * so that the solvers do not include the training layer.
   */
  class OnlineLearner
  {
  public:
    /** What create() calls: the training layer's implementation. */
    using Factory = std::function<std::unique_ptr<OnlineLearner>(
      const OnlineSettings &,
      const DirectionNetworkModel &,
      const MPI_Comm)>;

    /** A learner that starts from @p start's weights; @p comm is the
     *  communicator of the systems (MPI_COMM_SELF for serial ones). Throws
     *  if no implementation is registered. */
    static std::unique_ptr<OnlineLearner>
    create(const OnlineSettings        &settings,
           const DirectionNetworkModel &start,
           const MPI_Comm               comm);

    /** Registers the implementation create() returns. */
    static void
    set_factory(Factory factory);

    virtual ~OnlineLearner();

    /**
     * After a converged solve of @p A (distributed over the learner's
     * communicator, or serial on each rank) that took @p solve_seconds:
     * adds the system to the window and trains within the budget. Local
     * work only (it may throw on one rank: call it under
     * decide_collectively()). Returns the seconds spent.
     */
    virtual double
    learned(const dealii::TrilinosWrappers::SparseMatrix &A,
            const SystemStructure                        &structure,
            const double                                  solve_seconds) = 0;

    /** Whether the hook should check a candidate on this solve (the same
     *  on every rank): every `Online check every` solves, if a rank has
     *  trained since the last check and every rank with data has.
     *  Collective then. */
    virtual bool
    check_due() const = 0;

    /** The trained weights, averaged over the ranks. Collective. */
    virtual DirectionNetworkModel
    candidate() = 0;

    /** The training loss on the window of @p weights, summed over the
     *  ranks. Collective. */
    virtual double
    loss(const DirectionNetworkModel &weights) = 0;

    /** The candidate was swapped in: it is the network in use, and is
     *  written to `Save model` if set (by rank 0; collective). */
    virtual void
    accepted(const DirectionNetworkModel &weights) = 0;

    /** Adds @p seconds spent on learning outside learned() (a check;
     *  under MPI, waiting for the ranks that learned longer) to the time
     *  the budget counts. */
    virtual void
    add_other_seconds(const double seconds) = 0;

    /** Seconds spent so far on the systems' training data (diagonal
     *  block, hierarchy, Lanczos, samples), on Adam steps, and on the
     *  rest (checks, waiting for other ranks). */
    virtual std::array<double, 3>
    profile() const = 0;

    virtual unsigned int
    n_swaps() const = 0;

    virtual unsigned int
    n_checks() const = 0;

    virtual unsigned int
    n_steps() const = 0;
  };
} // namespace dealii_learned
