#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/solvers/system_recorder.h>
#include <dealii-learned/training/direction_network_trainer.h>

#include <fstream>
#include <sstream>
#include <type_traits>

namespace dealii_learned
{
  using namespace dealii;

  void
  DirectionNetworkTrainer::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Coefficient contrasts",
                      "100, 10000",
                      Patterns::List(Patterns::Double(1e-12), 1),
                      "Coefficient samples: for each, the problem runs its "
                      "refinement cycles and every cycle's matrix becomes "
                      "training data (produced online, nothing is read from "
                      "disk).");
    prm.declare_entry(
      "Additional problems",
      "",
      Patterns::Anything(),
      "More training data besides `subsection Problem': a comma-separated "
      "list of name:dimension:degree:refinement:cycles (for example "
      "random-coefficient:2:1:4:4, jump-coefficient:3:1:2:3), each run with "
      "every contrast of 'Coefficient contrasts' and its own adaptive "
      "refinement cycles, with the problem parameters of `subsection "
      "Problem' otherwise. A mix of the meshes, coefficients, degrees and "
      "dimensions the network will meet trains one model for all of them.");
    prm.declare_entry(
      "Recorded systems",
      "",
      Patterns::Anything(),
      "Systems a program recorded with `Linear solver/Record systems`: a "
      "comma-separated list of record directories, every system of which "
      "(matrix and near-null space) becomes training data, after the "
      "built-in problems' unless `Built-in problems` is false. This is how a "
      "network learns an application's own systems: record them at small "
      "sizes, train, and ship the model with the application.");
    prm.declare_entry("Built-in problems",
                      "true",
                      Patterns::Bool(),
                      "Whether `subsection Problem' and `Additional "
                      "problems' produce training data; false trains on "
                      "`Recorded systems` alone.");
    prm.declare_entry("Batch size",
                      "16",
                      Patterns::Integer(1),
                      "Right-hand sides per Adam step.");
    prm.declare_entry("Samples per matrix",
                      "64",
                      Patterns::Integer(1),
                      "Right-hand sides drawn from each matrix's Ritz "
                      "vectors.");
    prm.declare_entry("Lanczos steps",
                      "60",
                      Patterns::Integer(2),
                      "Ritz vectors per matrix.");
    prm.declare_entry("Low spectrum weight",
                      "9",
                      Patterns::Double(0.),
                      "Factor on the coefficients of the lower half of the "
                      "Ritz spectrum.");
    prm.declare_entry(
      "Loss",
      "spectral",
      Patterns::Selection("spectral|solver"),
      "What training minimises. spectral: DCDM's loss, the residual left "
      "after the best step along the network's direction for a right-hand "
      "side b (the network as a standalone approximate inverse). solver: "
      "the mean energy-norm error reduction per step of `Unrolled steps` "
      "DCDM steps from zero, (|x* - x_m|_A / |x*|_A)^(1/m) with m the "
      "unrolled steps, for exact "
      "solutions x* drawn from the Ritz vectors and b = A x*; the gradient "
      "flows through the unrolled iterations, so the network learns what it "
      "must do inside the solver. About `Unrolled steps` times the cost of "
      "an epoch of the spectral loss.");
    prm.declare_entry("Unrolled steps",
                      "6",
                      Patterns::Integer(1, 32),
                      "DCDM steps that the solver loss unrolls (each "
                      "direction A-orthogonal to the last two, as the dcdm "
                      "solver's default `Kept directions`).");
    prm.declare_entry("Learning rate",
                      "0.01",
                      Patterns::Double(0.),
                      "Adam's step size.");
    prm.declare_entry("Hidden width",
                      "8",
                      Patterns::Integer(1, 256),
                      "Hidden units of each smoother layer's perceptron.");
    prm.declare_entry("Smoothing layers",
                      "1",
                      Patterns::Integer(1, 8),
                      "Learned layers before and after the coarse correction "
                      "on every level but the coarsest.");
    prm.declare_entry("Prolongation truncation",
                      "0",
                      Patterns::Double(0., 0.99),
                      "Each row of the finest level's smoothed prolongation "
                      "drops its entries below this fraction of the row's "
                      "largest and keeps its sum (0: keep all). Stored in "
                      "the model: cheaper setup and transfers, most of all "
                      "in 3-D.");
    prm.declare_entry("Prolongation max entries",
                      "0",
                      Patterns::Integer(0, 1000),
                      "Each row of the finest level's smoothed prolongation "
                      "keeps about this many entries, the largest (more where "
                      "entries tie; the own aggregate's always), and its sum "
                      "(0: no limit). Stored in the model.");
    prm.declare_entry("Prolongation coarse max entries",
                      "0",
                      Patterns::Integer(0, 1000),
                      "The same cap as `Prolongation max entries` for the "
                      "coarser levels' prolongations (0: no cap). Above the "
                      "usual row length it acts where rows are long, in 3-D "
                      "(6: 15-20% off the Galerkin products of the 3-D "
                      "Fichera problem, the same iterations). Stored in the "
                      "model.");
    prm.declare_entry(
      "Learn prolongation",
      "false",
      Patterns::Bool(),
      "Learn per-edge weights of the prolongation smoothing, "
      "P = P_0 - (Omega .* A) P_0 with Omega_ij = omega (1 + tanh(...)) from "
      "a small perceptron of the edge's matrix entry and two flags (same "
      "aggregate, diagonal), jointly with the smoothers: the gradient of the "
      "loss reaches them through the prolongations and Galerkin products, "
      "which LibTorch rebuilds in every batch. Saved in the model; costs one "
      "small perceptron per matrix entry in setup.");
    prm.declare_entry("Prolongation hidden width",
                      "8",
                      Patterns::Integer(1, 64),
                      "Hidden units of the learned prolongation's per-edge "
                      "perceptron.");
    prm.declare_entry("Cycle",
                      "V",
                      Patterns::Selection("V|W|K"),
                      "Visits of each coarser level per visit of the finer "
                      "one: V (one), W (two; fewer iterations, more work per "
                      "iteration) or K (two, combined by two steps of "
                      "flexible CG: Notay's K-cycle).");
  }


  void
  DirectionNetworkTrainer::parse_parameters(ParameterHandler &prm)
  {
    settings.batch_size          = prm.get_integer("Batch size");
    settings.samples_per_matrix  = prm.get_integer("Samples per matrix");
    settings.lanczos_steps       = prm.get_integer("Lanczos steps");
    settings.low_spectrum_weight = prm.get_double("Low spectrum weight");
    settings.learning_rate       = prm.get_double("Learning rate");
    settings.loss                = prm.get("Loss");
    settings.unrolled_steps      = prm.get_integer("Unrolled steps");
    settings.learn_prolongation  = prm.get_bool("Learn prolongation");
    settings.prolongation_hidden = prm.get_integer("Prolongation hidden width");
    hidden_width                 = prm.get_integer("Hidden width");
    smoothing_layers             = prm.get_integer("Smoothing layers");
    cycle                        = prm.get("Cycle");
    prolongation_truncation      = prm.get_double("Prolongation truncation");
    prolongation_max_entries     = prm.get_integer("Prolongation max entries");
    prolongation_coarse_max_entries =
      prm.get_integer("Prolongation coarse max entries");
    contrasts.clear();
    for (const auto &c :
         Utilities::split_string_list(prm.get("Coefficient contrasts")))
      contrasts.push_back(Utilities::string_to_double(c));
    recorded_systems =
      Utilities::split_string_list(prm.get("Recorded systems"));
    builtin_problems = prm.get_bool("Built-in problems");
    AssertThrow(builtin_problems || !recorded_systems.empty(),
                ExcMessage("Training/direction-network: `Built-in problems` "
                           "is false and `Recorded systems` is empty, so "
                           "there is nothing to train on; name a record "
                           "directory or set `Built-in problems` to true."));
    additional_problems.clear();
    for (const auto &entry :
         Utilities::split_string_list(prm.get("Additional problems")))
      {
        const auto fields = Utilities::split_string_list(entry, ':');
        AssertThrow(fields.size() == 5,
                    ExcMessage("Additional problems: '" + entry +
                               "' is not name:dimension:degree:refinement:"
                               "cycles (for example "
                               "random-coefficient:2:1:4:4)."));
        AdditionalProblem p;
        p.name = fields[0];
        std::vector<int> numbers;
        try
          {
            for (unsigned int f = 1; f < 5; ++f)
              numbers.push_back(Utilities::string_to_int(fields[f]));
          }
        catch (...)
          {
            AssertThrow(false,
                        ExcMessage("Additional problems: '" + entry +
                                   "' has a field that is not a whole "
                                   "number."));
          }
        AssertThrow((numbers[0] == 2 || numbers[0] == 3) && numbers[1] >= 1 &&
                      numbers[1] <= 4 && numbers[2] >= 0 && numbers[2] <= 12 &&
                      numbers[3] >= 1 && numbers[3] <= 20,
                    ExcMessage("Additional problems: '" + entry +
                               "' needs dimension 2 or 3, degree 1 to 4, "
                               "0 to 12 refinements and 1 to 20 cycles."));
        p.dimension  = numbers[0];
        p.degree     = numbers[1];
        p.refinement = numbers[2];
        p.cycles     = numbers[3];
        additional_problems.push_back(p);
      }
  }


  void
  DirectionNetworkTrainer::initialize(const TrainingContext &context)
  {
    settings.seed = context.seed;
    DirectionNetworkModel start =
      DirectionNetworkModel::initial(hidden_width, settings.seed);
    start.pre_layers = start.post_layers     = smoothing_layers;
    start.cycle_index                        = cycle == "V" ? 1 : 2;
    start.krylov_cycle                       = cycle == "K";
    start.hierarchy.prolongation_truncation  = prolongation_truncation;
    start.hierarchy.prolongation_max_entries = prolongation_max_entries;
    start.hierarchy.prolongation_coarse_max_entries =
      prolongation_coarse_max_entries;
    if (!context.checkpoint.empty())
      {
        const std::string file = context.checkpoint + ".model";
        start                  = DirectionNetworkModel::load(file);
        AssertThrow(start.metadata["epochs_completed"] ==
                        std::to_string(context.epochs_completed) &&
                      start.pre.hidden == hidden_width &&
                      start.pre_layers == smoothing_layers &&
                      start.cycle_index == (cycle == "V" ? 1u : 2u) &&
                      start.krylov_cycle == (cycle == "K") &&
                      start.hierarchy.prolongation_truncation ==
                        prolongation_truncation &&
                      start.hierarchy.prolongation_max_entries ==
                        prolongation_max_entries &&
                      start.hierarchy.prolongation_coarse_max_entries ==
                        prolongation_coarse_max_entries &&
                      start.hierarchy.prolongation_smoothing.hidden ==
                        (settings.learn_prolongation ?
                           settings.prolongation_hidden :
                           0u),
                    ExcMessage("The checkpoint weights '" + file +
                               "' do not belong to epoch " +
                               std::to_string(context.epochs_completed) +
                               " of this training (an interrupted write, or "
                               "another Hidden width, Smoothing layers, Cycle "
                               "or Prolongation setting?). "
                               "Delete the checkpoint files or set Resume = "
                               "false."));
      }
    trainer = std::make_unique<DirectionTrainer>(settings, start);
    if (!context.checkpoint.empty())
      trainer->load_optimizer_state(context.checkpoint + ".optimizer",
                                    context.epochs_completed);
    // The record directories are named in the configuration, their
    // contents are not: the checkpoint keeps the indexes' fingerprint,
    // checked before any data is produced.
    std::string indexes;
    for (const auto &directory : recorded_systems)
      {
        std::ifstream     index(directory + "/index.txt");
        std::stringstream text;
        text << index.rdbuf();
        indexes += directory + '\n' + text.str();
      }
    records_fingerprint = recorded_systems.empty() ? "" : fingerprint(indexes);
    if (!context.checkpoint.empty())
      AssertThrow(start.metadata["recorded_systems_fingerprint"] ==
                    records_fingerprint,
                  ExcMessage("The recorded systems in `Recorded systems` "
                             "changed since the checkpoint '" +
                             context.checkpoint +
                             ".model' was written (their index.txt differ), "
                             "so the resumed training would continue on "
                             "other data. Delete the checkpoint files or set "
                             "Resume = false."));
    produce_data(context);
  }


  void
  DirectionNetworkTrainer::produce_data(const TrainingContext &context)
  {
    const ProblemSettings base = ProblemParameters::parse(context.prm);
    AssertThrow(base.dimension == 2 || base.dimension == 3,
                ExcMessage("Problem/Dimension must be 2 or 3."));
    std::vector<ProblemSettings> problems;
    if (builtin_problems)
      problems.push_back(base);
    for (const auto &a : builtin_problems ? additional_problems :
                                            decltype(additional_problems)())
      {
        ProblemSettings p           = base;
        p.name                      = a.name;
        p.dimension                 = a.dimension;
        p.fe_degree                 = a.degree;
        p.initial_global_refinement = a.refinement;
        p.refinement_cycles         = a.cycles;
        problems.push_back(p);
      }
    std::string problem_names;
    for (ProblemSettings problem : problems)
      for (const double contrast : contrasts)
        {
          problem.coefficient_contrast = contrast;
          const auto add               = [&](auto dimension_tag) {
            constexpr int dim = decltype(dimension_tag)::value;
            auto p = ProblemParameters::create<dim>(problem, context.prm);
            SolverSettings cg;
            cg.preconditioner = "amg";
            auto solver       = LinearSolver::create(cg, context.prm);
            p->setup_system();
            p->assemble_system();
            for (unsigned int c = 0; c < problem.refinement_cycles; ++c)
              {
                trainer->add_matrix(p->system_matrix, p->system_structure());
                context.out << "  data: " << problem.name << ", "
                            << problem.dimension << "-D Q" << problem.fe_degree
                            << ", contrast " << contrast << ", cycle " << c
                            << ", " << p->system_matrix.m() << " unknowns\n";
                if (c + 1 < problem.refinement_cycles)
                  p->solve_estimate_refine(*solver);
              }
          };
          if (problem.dimension == 2)
            add(std::integral_constant<int, 2>());
          else
            add(std::integral_constant<int, 3>());
        }
    for (const auto &problem : problems)
      problem_names += (problem_names.empty() ? "" : ",") + problem.name + ":" +
                       std::to_string(problem.dimension) + "d:q" +
                       std::to_string(problem.fe_degree);

    // Recorded systems, as serial matrices (training runs on one rank).
    for (const auto &directory : recorded_systems)
      {
        const RecordedSystems records(directory);
        AssertThrow(records.size() > 0,
                    ExcMessage("Training/direction-network: the record "
                               "directory '" +
                               directory +
                               "' in `Recorded systems` holds no system."));
        for (std::size_t i = 0; i < records.size(); ++i)
          {
            TrilinosWrappers::SparseMatrix A;
            TrilinosWrappers::MPI::Vector  x, b;
            SystemStructure                structure;
            records.load(i, A, x, b, structure, MPI_COMM_SELF);
            trainer->add_matrix(A, structure);
            context.out << "  data: " << directory << '/' << records[i].stem
                        << ", " << A.m() << " unknowns, "
                        << structure.n_components << " component(s)\n";
          }
        problem_names += (problem_names.empty() ? "" : ",") +
                         std::string("records:") + directory;
      }

    data_origin = {{"problem", builtin_problems ? base.name : "records"},
                   {"dimension", std::to_string(base.dimension)},
                   {"fe_degree", std::to_string(base.fe_degree)},
                   {"training_problems", problem_names},
                   {"training_matrices", std::to_string(trainer->n_matrices())},
                   {"training_loss",
                    settings.loss == "solver" ?
                      "solver:" + std::to_string(settings.unrolled_steps) :
                      settings.loss}};
    if (settings.learn_prolongation)
      data_origin["learned_prolongation"] =
        "hidden:" + std::to_string(settings.prolongation_hidden);
  }


  std::string
  DirectionNetworkTrainer::describe_data() const
  {
    return std::to_string(trainer->n_matrices()) + " matrices, " +
           std::to_string(trainer->n_matrices() * settings.samples_per_matrix) +
           " right-hand sides";
  }


  double
  DirectionNetworkTrainer::train_epoch()
  {
    return trainer->train_epoch();
  }


  double
  DirectionNetworkTrainer::evaluate() const
  {
    return trainer->evaluate();
  }


  void
  DirectionNetworkTrainer::write_checkpoint(const std::string &checkpoint,
                                            const unsigned int epochs_completed,
                                            const ModelMetadata &metadata) const
  {
    AssertThrow(trainer->epochs_completed() == epochs_completed,
                ExcInternalError());
    DirectionNetworkModel model = trainer->model();
    for (const auto &entry : metadata)
      model.metadata[entry.first] = entry.second;
    model.metadata["recorded_systems_fingerprint"] = records_fingerprint;
    trainer->save_optimizer_state(checkpoint + ".optimizer");
    model.save(checkpoint + ".model");
  }


  std::vector<std::string>
  DirectionNetworkTrainer::checkpoint_files(const std::string &checkpoint) const
  {
    return {checkpoint + ".model", checkpoint + ".optimizer"};
  }


  void
  DirectionNetworkTrainer::write_model(const std::string   &filename,
                                       const ModelMetadata &metadata) const
  {
    DirectionNetworkModel model = trainer->model();
    for (const auto &entry : metadata)
      model.metadata[entry.first] = entry.second;
    for (const auto &entry : data_origin)
      model.metadata[entry.first] = entry.second;
    model.save(filename);
  }
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_TRAINER(
  dealii_learned::DirectionNetworkTrainer,
  "direction-network",
  "The direction network of the dcdm and fcg-neural solvers: multilevel "
  "message passing on the matrix graph, trained without labels (the "
  "spectral DCDM loss, or the error reduction of unrolled DCDM steps) on "
  "right-hand sides drawn from the Ritz vectors of the matrices that the "
  "problem's refinement cycles produce.")
