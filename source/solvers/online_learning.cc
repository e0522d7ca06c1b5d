#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/online_learning.h>
#include <dealii-learned/training/direction_trainer.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace dealii_learned
{
  using namespace dealii;

  void
  OnlineSettings::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry(
      "Online training",
      "false",
      Patterns::Bool(),
      "Keep training the direction network on the systems the program "
      "solves, while it runs, and swap the trained weights in when they "
      "need at most as many iterations on the system just solved. Nothing "
      "is written unless 'Save model' is set.");
    prm.declare_entry("Online budget",
                      "0.25",
                      Patterns::Double(1e-6),
                      "Time spent learning (the systems' training data, "
                      "Adam steps, checks), as a fraction of the time spent "
                      "solving so far.");
    prm.declare_entry("Online window",
                      "4",
                      Patterns::Integer(1, 100),
                      "The most recent systems the network trains on.");
    prm.declare_entry("Online check every",
                      "10",
                      Patterns::Integer(1),
                      "Solves between two checks of the trained weights "
                      "(on the system just solved).");
    prm.declare_entry("Online deterministic",
                      "false",
                      Patterns::Bool(),
                      "Instead of the time budget, 'Online steps per "
                      "solve' Adam steps after every solve (and every "
                      "solve's system joins the window): the same run "
                      "gives the same networks, for tests.");
    prm.declare_entry("Online steps per solve",
                      "2",
                      Patterns::Integer(1),
                      "Adam steps after each solve with 'Online "
                      "deterministic'.");
    prm.declare_entry("Online samples per system",
                      "8",
                      Patterns::Integer(1),
                      "Right-hand sides drawn from each system's Ritz "
                      "vectors.");
    prm.declare_entry("Online Lanczos steps",
                      "20",
                      Patterns::Integer(2),
                      "Lanczos steps per system (its Ritz vectors).");
    prm.declare_entry("Online batch size",
                      "4",
                      Patterns::Integer(1),
                      "Right-hand sides per Adam step.");
    prm.declare_entry("Online learning rate",
                      "0.002",
                      Patterns::Double(0.),
                      "Adam's learning rate.");
    prm.declare_entry("Save model",
                      "",
                      Patterns::Anything(),
                      "With 'Online training': the file every accepted "
                      "network is written to (through a temporary file and "
                      "a rename, by rank 0), a model for 'Model file'. "
                      "Empty: nothing is written.");
  }


  void
  OnlineSettings::parse_parameters(ParameterHandler &prm)
  {
    enabled            = prm.get_bool("Online training");
    budget             = prm.get_double("Online budget");
    window             = prm.get_integer("Online window");
    check_every        = prm.get_integer("Online check every");
    deterministic      = prm.get_bool("Online deterministic");
    steps_per_solve    = prm.get_integer("Online steps per solve");
    samples_per_system = prm.get_integer("Online samples per system");
    lanczos_steps      = prm.get_integer("Online Lanczos steps");
    batch_size         = prm.get_integer("Online batch size");
    learning_rate      = prm.get_double("Online learning rate");
    save_model         = prm.get("Save model");
    if (enabled && !save_model.empty())
      {
        const std::filesystem::path parent =
          std::filesystem::path(save_model).parent_path();
        ensure_writable_directory(parent.empty() ? "." : parent.string(),
                                  "Save model");
      }
  }


  namespace
  {
    /** The block of @p A's locally owned rows and columns as a matrix of
     *  this rank alone (the whole matrix on one rank): SPD when A is. */
    TrilinosWrappers::SparseMatrix
    local_block(const TrilinosWrappers::SparseMatrix &A)
    {
      const IndexSet owned = A.locally_owned_range_indices();
      const auto     n     = owned.n_elements();
      DynamicSparsityPattern pattern(n, n);
      std::vector<std::vector<std::pair<types::global_dof_index, double>>>
        rows(n);
      for (types::global_dof_index i = 0; i < n; ++i)
        for_each_entry_in_row(A,
                              owned.nth_index_in_set(i),
                              [&](const types::global_dof_index column,
                                  const double                  value) {
                                if (owned.is_element(column))
                                  {
                                    const auto j =
                                      owned.index_within_set(column);
                                    pattern.add(i, j);
                                    rows[i].emplace_back(j, value);
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


  OnlineLearner::OnlineLearner(const OnlineSettings        &settings,
                               const DirectionNetworkModel &start,
                               const MPI_Comm               comm)
    : settings(settings)
    , comm(comm)
    , trainer(std::make_unique<DirectionTrainer>(
        training_settings(settings, comm),
        start))
  {}


  OnlineLearner::~OnlineLearner() = default;


  double
  OnlineLearner::learned(const TrilinosWrappers::SparseMatrix &A,
                         const SystemStructure                &structure,
                         const double                          solve_seconds)
  {
    Timer timer;
    ++n_solves;
    solve_total += solve_seconds;
    const double before = spent;
    const auto   add    = [&]() {
      Timer                                data;
      const TrilinosWrappers::SparseMatrix B = local_block(A);
      if (B.m() > 1)
        {
          trainer->add_matrix(B, structure);
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
        const unsigned int steps_per_system = std::max(
          1u, settings.samples_per_system / settings.batch_size);
        bool added = false;
        while (before + timer.wall_time() <
               settings.budget * solve_total)
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
  OnlineLearner::check_due() const
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
  OnlineLearner::candidate()
  {
    ++checks;
    steps_at_check                   = steps;
    DirectionNetworkModel      mean  = trainer->model();
    const std::vector<double>  local = mean.flatten();
    std::vector<double>        sum(local.size());
    Utilities::MPI::sum(local, comm, sum);
    const double n_ranks = Utilities::MPI::n_mpi_processes(comm);
    for (double &value : sum)
      value /= n_ranks;
    mean.unflatten(sum);
    trainer->set_weights(mean);
    return mean;
  }


  double
  OnlineLearner::loss(const DirectionNetworkModel &weights)
  {
    const double local =
      trainer->n_matrices() > 0 ? trainer->evaluate(weights) : 0.;
    return Utilities::MPI::sum(local, comm);
  }


  void
  OnlineLearner::accepted(const DirectionNetworkModel &weights)
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
            model.save(settings.save_model);
          }
      });
  }


  double
  OnlineLearner::seconds() const
  {
    return spent;
  }


  void
  OnlineLearner::add_check_seconds(const double seconds)
  {
    spent += seconds;
    check_seconds += seconds;
  }


  std::array<double, 3>
  OnlineLearner::profile() const
  {
    return {{data_seconds, training_seconds, check_seconds}};
  }


  unsigned int
  OnlineLearner::n_swaps() const
  {
    return swaps;
  }


  unsigned int
  OnlineLearner::n_checks() const
  {
    return checks;
  }


  unsigned int
  OnlineLearner::n_steps() const
  {
    return steps;
  }
} // namespace dealii_learned
