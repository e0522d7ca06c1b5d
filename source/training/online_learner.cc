#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/solvers/online_learning.h>
#include <dealii-learned/training/direction_trainer.h>

#include <algorithm>
#include <vector>

// The implementation of OnlineLearner (solvers/online_learning.h) with
// the direction network's LibTorch trainer.

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** The block of @p A's first @p max_rows locally owned rows and
     *  columns (all with 0; whole points of @p components unknowns) as a
     *  matrix of this rank alone: a principal submatrix, SPD when A is. */
    TrilinosWrappers::SparseMatrix
    local_block(const TrilinosWrappers::SparseMatrix &A,
                const unsigned int                    max_rows,
                const unsigned int                    components)
    {
      const IndexSet          owned = A.locally_owned_range_indices();
      types::global_dof_index n     = owned.n_elements();
      if (max_rows > 0 && n > max_rows)
        n = max_rows - max_rows % components;
      DynamicSparsityPattern pattern(n, n);
      std::vector<std::vector<std::pair<types::global_dof_index, double>>> rows(
        n);
      for (types::global_dof_index i = 0; i < n; ++i)
        for_each_entry_in_row(A,
                              owned.nth_index_in_set(i),
                              [&](const types::global_dof_index column,
                                  const double                  value) {
                                if (owned.is_element(column))
                                  {
                                    const auto j =
                                      owned.index_within_set(column);
                                    if (j < n)
                                      {
                                        pattern.add(i, j);
                                        rows[i].emplace_back(j, value);
                                      }
                                  }
                              });
      TrilinosWrappers::SparseMatrix B;
      B.reinit(complete_index_set(n),
               complete_index_set(n),
               pattern,
               MPI_COMM_SELF);
      for (types::global_dof_index i = 0; i < n; ++i)
        for (const auto &[j, value] : rows[i])
          B.set(i, j, value);
      B.compress(VectorOperation::insert);
      return B;
    }


    /** @p structure on the first @p n rows. */
    SystemStructure
    leading_part(const SystemStructure &structure, const std::size_t n)
    {
      SystemStructure part = structure;
      for (auto &v : part.near_null_space)
        if (v.size() > n)
          v.resize(n);
      return part;
    }


    TrainingSettings
    training_settings(const OnlineSettings &s, const MPI_Comm comm)
    {
      TrainingSettings t;
      t.batch_size         = s.batch_size;
      t.samples_per_matrix = s.samples_per_system;
      t.lanczos_steps      = s.lanczos_steps;
      t.learning_rate      = s.learning_rate;
      // Each rank's own draws (the same run gives the same draws).
      t.seed = 1 + Utilities::MPI::this_mpi_process(comm);
      return t;
    }
  } // namespace


  /** OnlineLearner with DirectionTrainer: the window of recent systems,
   *  Adam steps within the budget, the ranks' weights averaged. */
  class DirectionOnlineLearner final : public OnlineLearner
  {
  public:
    DirectionOnlineLearner(const OnlineSettings        &settings,
                           const DirectionNetworkModel &start,
                           const MPI_Comm               comm);

    double
    learned(const TrilinosWrappers::SparseMatrix &A,
            const SystemStructure                &structure,
            const double                          solve_seconds) override;
    bool
    check_due() const override;
    DirectionNetworkModel
    candidate() override;
    double
    loss(const DirectionNetworkModel &weights) override;
    void
    accepted(const DirectionNetworkModel &weights) override;
    void
    add_other_seconds(const double seconds) override;
    std::array<double, 3>
    profile() const override;
    unsigned int
    n_swaps() const override;
    unsigned int
    n_checks() const override;
    unsigned int
    n_steps() const override;

  private:
    OnlineSettings                    settings;
    MPI_Comm                          comm;
    std::unique_ptr<DirectionTrainer> trainer;
    unsigned int                      n_solves        = 0;
    unsigned int                      steps           = 0;
    unsigned int                      checks          = 0;
    unsigned int                      swaps           = 0;
    unsigned int                      steps_at_check  = 0;
    unsigned int                      steps_since_add = 0;
    double                            solve_total     = 0.;
    double                            spent           = 0.;
    double data_seconds = 0., training_seconds = 0., other_seconds = 0.;
  };


  DirectionOnlineLearner::DirectionOnlineLearner(
    const OnlineSettings        &settings,
    const DirectionNetworkModel &start,
    const MPI_Comm               comm)
    : settings(settings)
    , comm(comm)
    , trainer(
        std::make_unique<DirectionTrainer>(training_settings(settings, comm),
                                           start))
  {}


  double
  DirectionOnlineLearner::learned(const TrilinosWrappers::SparseMatrix &A,
                                  const SystemStructure &structure,
                                  const double           solve_seconds)
  {
    Timer timer;
    ++n_solves;
    solve_total += solve_seconds;
    const double before = spent;
    const auto   add    = [&]() {
      Timer                                data;
      const TrilinosWrappers::SparseMatrix B =
        local_block(A, settings.max_rows, std::max(1u, structure.n_components));
      if (B.m() > 1)
        {
          trainer->add_matrix(B, leading_part(structure, B.m()));
          if (trainer->n_matrices() > settings.window)
            trainer->remove_oldest_matrix();
        }
      steps_since_add = 0;
      data_seconds += data.wall_time();
    };
    const auto train = [&]() {
      Timer step;
      trainer->train_step();
      ++steps;
      ++steps_since_add;
      training_seconds += step.wall_time();
    };
    if (settings.deterministic)
      {
        // Every system joins the window, then a fixed number of steps.
        add();
        for (unsigned int k = 0;
             k < settings.steps_per_solve && trainer->n_matrices() > 0;
             ++k)
          train();
      }
    else
      {
        // Units of work while the time spent stays within the budget: a
        // system joins the window when the window is empty or the newest
        // one has had about one pass over its samples (so that the time
        // goes to training, not only to data), else an Adam step.
        const unsigned int steps_per_system =
          std::max(1u, settings.samples_per_system / settings.batch_size);
        bool added = false;
        while (before + timer.wall_time() < settings.budget * solve_total)
          {
            if (!added && (trainer->n_matrices() == 0 ||
                           steps_since_add >= steps_per_system))
              {
                add();
                added = true;
              }
            else if (trainer->n_matrices() > 0)
              train();
            else
              break;
          }
      }
    spent = before + timer.wall_time();
    return spent - before;
  }


  bool
  DirectionOnlineLearner::check_due() const
  {
    if (n_solves % settings.check_every != 0)
      return false;
    // If some rank has trained since the last check and none that has
    // data has not (a rank with too few rows for data does not hold the
    // others back).
    const bool trained = steps > steps_at_check;
    const bool ready   = trained || trainer->n_matrices() == 0;
    return Utilities::MPI::max(trained ? 1 : 0, comm) == 1 &&
           Utilities::MPI::min(ready ? 1 : 0, comm) == 1;
  }


  DirectionNetworkModel
  DirectionOnlineLearner::candidate()
  {
    ++checks;
    steps_at_check                  = steps;
    DirectionNetworkModel     mean  = trainer->model();
    const std::vector<double> local = mean.flatten();
    std::vector<double>       sum(local.size());
    Utilities::MPI::sum(local, comm, sum);
    const double n_ranks = Utilities::MPI::n_mpi_processes(comm);
    for (double &value : sum)
      value /= n_ranks;
    mean.unflatten(sum);
    // Online training leaves the prolongation smoothing as it is: no
    // rounding of the average may change it.
    mean.hierarchy.prolongation_smoothing =
      trainer->model().hierarchy.prolongation_smoothing;
    trainer->set_weights(mean);
    return mean;
  }


  double
  DirectionOnlineLearner::loss(const DirectionNetworkModel &weights)
  {
    const double local =
      trainer->n_matrices() > 0 ? trainer->evaluate(weights) : 0.;
    return Utilities::MPI::sum(local, comm);
  }


  void
  DirectionOnlineLearner::accepted(const DirectionNetworkModel &weights)
  {
    ++swaps;
    if (!settings.save_model.empty())
      // Written by rank 0; a failed write ends every rank's solve.
      decide_collectively(comm, [&]() {
        if (Utilities::MPI::this_mpi_process(comm) == 0)
          {
            DirectionNetworkModel model     = weights;
            model.metadata["trained"]       = "online";
            model.metadata["online_swaps"]  = std::to_string(swaps);
            model.metadata["online_solves"] = std::to_string(n_solves);
            // What trained it online (training_loss stays the offline one).
            model.metadata["online_loss"] = "spectral";
            model.save(settings.save_model);
          }
      });
  }


  void
  DirectionOnlineLearner::add_other_seconds(const double seconds)
  {
    spent += seconds;
    other_seconds += seconds;
  }


  std::array<double, 3>
  DirectionOnlineLearner::profile() const
  {
    return {{data_seconds, training_seconds, other_seconds}};
  }


  unsigned int
  DirectionOnlineLearner::n_swaps() const
  {
    return swaps;
  }


  unsigned int
  DirectionOnlineLearner::n_checks() const
  {
    return checks;
  }


  unsigned int
  DirectionOnlineLearner::n_steps() const
  {
    return steps;
  }

  namespace
  {
    /** Registered when the library is loaded: the learned hooks' online
     *  training (OnlineLearner::create()). */
    const bool direction_online_learner_registered = []() {
      OnlineLearner::set_factory([](const OnlineSettings        &settings,
                                    const DirectionNetworkModel &start,
                                    const MPI_Comm               comm) {
        return std::unique_ptr<OnlineLearner>(
          std::make_unique<DirectionOnlineLearner>(settings, start, comm));
      });
      return true;
    }();
  } // namespace
} // namespace dealii_learned
