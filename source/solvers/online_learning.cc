#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>


#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/online_learning.h>

#include <filesystem>

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
                      "Adam steps, checks and, under MPI, waiting for the "
                      "ranks that learned longer), as a fraction of the time "
                      "spent solving so far (the slowest rank's).");
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
    prm.declare_entry("Online rows",
                      "20000",
                      Patterns::Integer(0),
                      "The network trains on the leading rows and columns "
                      "of each system (of each rank's block under MPI; a "
                      "principal submatrix, SPD) up to this many, so that "
                      "a unit of work does not grow with the system. 0: "
                      "all rows.");
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
    max_rows           = prm.get_integer("Online rows");
    AssertThrow(max_rows == 0 || max_rows >= 100,
                ExcMessage("'Online rows' must be 0 (all rows) or at least "
                           "100, not " +
                           std::to_string(max_rows) + "."));
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
    OnlineLearner::Factory &
    online_learner_factory()
    {
      static OnlineLearner::Factory factory;
      return factory;
    }
  } // namespace


  std::unique_ptr<OnlineLearner>
  OnlineLearner::create(const OnlineSettings        &settings,
                        const DirectionNetworkModel &start,
                        const MPI_Comm               comm)
  {
    AssertThrow(online_learner_factory(),
                ExcMessage("Online training is not available: the training "
                           "layer of the library registered no online "
                           "learner."));
    return online_learner_factory()(settings, start, comm);
  }


  void
  OnlineLearner::set_factory(Factory factory)
  {
    online_learner_factory() = std::move(factory);
  }


  OnlineLearner::~OnlineLearner() = default;
} // namespace dealii_learned
