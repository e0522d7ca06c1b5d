#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/models/direction_network.h>
#include <dealii-learned/models/torchscript_network.h>
#include <dealii-learned/solvers/learned_solvers.h>
#include <dealii-learned/solvers/neural_preconditioner.h>
#include <dealii-learned/solvers/solve_and_report.h>
#include <dealii-learned/solvers/solver_dcdm.h>

#include <dlfcn.h>

#include <filesystem>
#include <type_traits>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** What a learned iteration reports besides the SolverControl data. */
    struct IterationStatistics
    {
      /** Steps in which the network's output was replaced. */
      unsigned int fallbacks = 0;
      /** Wall time inside the network during the solve. */
      double network_seconds = 0.;
      /** Restarts inside the method (SolverDCDM restarts itself). */
      unsigned int restarts = 0;
    };


    /** The network type that runs a model type. */
    template <typename Model>
    struct NetworkOf;
    template <>
    struct NetworkOf<DirectionNetworkModel>
    {
      using type = DirectionNetwork;
    };
    template <>
    struct NetworkOf<TorchScriptModel>
    {
      using type = TorchScriptDirectionNetwork;
    };


    /** Calls @p f with the TorchScript model if one was given, else with
     *  the library's own model. */
    template <typename Function>
    void
    with_model(const std::shared_ptr<TorchScriptModel> &torchscript,
               const DirectionNetworkModel             &model,
               const Function                          &f)
    {
      if (torchscript)
        f(*torchscript);
      else
        f(model);
    }


    /**
     * Sets up the network on A (setup) and runs @p iterate with it, one
     * call per pass of the convergence frame of solve_and_report();
     * @p iterate adds to the IterationStatistics, also when it throws.
     */
    template <typename Model,
              typename MatrixType,
              typename VectorType,
              typename Iterate>
    void
    run_learned(const SolverSettings &settings,
                const Model          &model,
                const MatrixType     &A,
                VectorType           &x,
                const VectorType     &b,
                const Iterate        &iterate,
                SolverReport         &report)
    {
      solve_and_report(
        settings,
        A,
        x,
        b,
        [&](const auto &run, SolverReport &r) {
          typename NetworkOf<Model>::type network;
          if constexpr (std::is_same<MatrixType, SparseMatrix<double>>::value)
            {
              // The network works on Trilinos matrices, which need MPI.
              ensure_mpi_initialized();
              TrilinosWrappers::SparseMatrix copy;
              copy.reinit(A, 0.); // keep every entry (default drops < 1e-13)
              network.initialize(copy, model);
            }
          else
            network.initialize(A, model);
          // Reported also when the solve fails.
          IterationStatistics statistics;
          const auto          report_statistics = [&]() {
            r.statistics = {{"fallback_steps", double(statistics.fallbacks)},
                            {"network_seconds", statistics.network_seconds}};
            r.restarts += statistics.restarts;
            if (statistics.fallbacks > 0)
              r.warnings.push_back(
                std::to_string(statistics.fallbacks) +
                " step(s) took the residual (steepest descent) instead of "
                         "the network's direction, which was not finite, zero, or "
                         "without curvature after orthogonalisation.");
            if constexpr (std::is_same<Model, DirectionNetworkModel>::value)
              {
                const auto &h     = network.get_hierarchy();
                const auto &times = h.setup_times();
                r.statistics.emplace_back("setup_scaling_seconds",
                                          times.scaling);
                r.statistics.emplace_back("setup_aggregation_seconds",
                                          times.aggregation);
                r.statistics.emplace_back("setup_prolongation_seconds",
                                          times.prolongation);
                r.statistics.emplace_back("setup_galerkin_seconds",
                                          times.galerkin);
                r.details = {
                  {"network_levels", double(h.n_levels())},
                  {"coarsest_level_size", double(h.level_sizes().back())},
                  {"largest_aggregate", double(h.largest_aggregate())}};
                for (const auto &w : h.warnings())
                  r.warnings.push_back("direction network hierarchy: " + w);
              }
            else
              r.details = {{"torchscript", 1.}};
          };
          try
            {
              run([&](SolverControl &control) {
                iterate(control, network, statistics);
              });
            }
          catch (...)
            {
              report_statistics();
              throw;
            }
          report_statistics();
        },
        report);
    }


    template <typename Model, typename MatrixType, typename VectorType>
    void
    dcdm(const SolverSettings &settings,
         const Model          &model,
         const unsigned int    kept,
         const MatrixType     &A,
         VectorType           &x,
         const VectorType     &b,
         SolverReport         &report)
    {
      run_learned(
        settings,
        model,
        A,
        x,
        b,
        [&](SolverControl       &control,
            const auto          &network,
            IterationStatistics &statistics) {
          SolverDCDM<VectorType> solver(control, {kept});
          const auto             collect = [&]() {
            statistics.fallbacks += solver.n_fallback_steps();
            statistics.network_seconds += solver.network_seconds();
            statistics.restarts += solver.n_restarts();
          };
          try
            {
              solver.solve(A, x, b, network);
            }
          catch (...)
            {
              collect();
              throw;
            }
          collect();
        },
        report);
    }


    template <typename Model, typename MatrixType, typename VectorType>
    void
    fcg(const SolverSettings &settings,
        const Model          &model,
        const MatrixType     &A,
        VectorType           &x,
        const VectorType     &b,
        SolverReport         &report)
    {
      run_learned(
        settings,
        model,
        A,
        x,
        b,
        [&](SolverControl       &control,
            const auto          &network,
            IterationStatistics &statistics) {
          NeuralPreconditioner<std::decay_t<decltype(network)>> preconditioner(
            network);
          SolverFlexibleCG<VectorType> solver(control);
          const auto                   collect = [&]() {
            statistics.fallbacks += preconditioner.n_fallbacks();
            statistics.network_seconds += preconditioner.network_seconds();
          };
          try
            {
              solver.solve(A, x, b, preconditioner);
            }
          catch (...)
            {
              collect();
              throw;
            }
          collect();
        },
        report);
    }
  } // namespace


  std::string
  default_model_file()
  {
    namespace fs           = std::filesystem;
    const std::string name = "dcdm-default.dlm";
    // The library's own location decides: installed, the model sits at
    // the install's data directory; in the build tree, in the sources.
    Dl_info info;
    AssertThrow(dladdr(reinterpret_cast<void *>(&default_model_file), &info) !=
                    0 &&
                  info.dli_fname != nullptr,
                ExcMessage("Cannot determine where the dealii-learned "
                           "library was loaded from, to find the default "
                           "model; set 'Model file' to a path."));
    const fs::path library_dir =
      fs::weakly_canonical(fs::path(info.dli_fname)).parent_path();
    const bool in_build_tree =
      library_dir == fs::weakly_canonical(DEALII_LEARNED_BUILD_LIBRARY_DIR);
    const fs::path place =
      in_build_tree ? fs::path(DEALII_LEARNED_SOURCE_MODEL_DIR) / name :
                      library_dir / DEALII_LEARNED_LIBRARY_TO_MODEL_DIR / name;
    AssertThrow(fs::exists(place),
                ExcMessage("The default direction network '" + name +
                           "' was not found at " + place.string() +
                           (in_build_tree ?
                              " (the models/ folder of the sources)" :
                              " (next to the installed library)") +
                           ". Set 'Model file' to a model, or to "
                           "'untrained'."));
    return fs::canonical(place).string();
  }


  LearnedSolverBase::LearnedSolverBase()
    : model(std::make_unique<DirectionNetworkModel>(
        DirectionNetworkModel::initial()))
  {}


  LearnedSolverBase::~LearnedSolverBase() = default;


  void
  LearnedSolverBase::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Model file",
                      "default",
                      Patterns::FileName(),
                      "Direction network model file, as written by "
                      "`dealii-learned train'. `default': the model shipped "
                      "with dealii-learned (models/dcdm-default.dlm, made by "
                      "`dealii-learned train prm/train-default.prm'). "
                      "`untrained': the network's starting weights "
                      "(damped-Jacobi layers in an aggregation V-cycle). A "
                      "TorchScript file (a network trained in PyTorch, "
                      "saved with torch.jit.script(net).save) is recognised "
                      "by its content; see TorchScriptModel for the "
                      "input/output contract.");
  }


  void
  LearnedSolverBase::parse_parameters(ParameterHandler &prm)
  {
    const std::string model_file = prm.get("Model file");
    torchscript.reset();
    if (model_file == "untrained")
      *model = DirectionNetworkModel::initial();
    else if (model_file != "default" && is_torchscript_file(model_file))
      torchscript = std::make_shared<TorchScriptModel>(model_file);
    else
      *model = DirectionNetworkModel::load(
        model_file == "default" ? default_model_file() : model_file);
  }


  void
  NeuralDCDM::declare_parameters(ParameterHandler &prm)
  {
    LearnedSolverBase::declare_parameters(prm);
    prm.declare_entry("Kept directions",
                      "2",
                      Patterns::Integer(0, 50),
                      "Number of previous search directions each new one "
                      "is made A-orthogonal to.");
  }


  void
  NeuralDCDM::parse_parameters(ParameterHandler &prm)
  {
    LearnedSolverBase::parse_parameters(prm);
    kept_directions = prm.get_integer("Kept directions");
  }


  SolverReport
  NeuralDCDM::solve(const SparseMatrix<double> &A,
                    Vector<double>             &x,
                    const Vector<double>       &b)
  {
    with_model(torchscript, *model, [&](const auto &m) {
      dcdm(settings, m, kept_directions, A, x, b, report);
    });
    return report;
  }


  SolverReport
  NeuralDCDM::solve(const TrilinosWrappers::SparseMatrix &A,
                    TrilinosWrappers::MPI::Vector        &x,
                    const TrilinosWrappers::MPI::Vector  &b)
  {
    with_model(torchscript, *model, [&](const auto &m) {
      dcdm(settings, m, kept_directions, A, x, b, report);
    });
    return report;
  }


  SolverReport
  NeuralFCG::solve(const SparseMatrix<double> &A,
                   Vector<double>             &x,
                   const Vector<double>       &b)
  {
    with_model(torchscript, *model, [&](const auto &m) {
      fcg(settings, m, A, x, b, report);
    });
    return report;
  }


  SolverReport
  NeuralFCG::solve(const TrilinosWrappers::SparseMatrix &A,
                   TrilinosWrappers::MPI::Vector        &x,
                   const TrilinosWrappers::MPI::Vector  &b)
  {
    with_model(torchscript, *model, [&](const auto &m) {
      fcg(settings, m, A, x, b, report);
    });
    return report;
  }
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_SOLVER(
  dealii_learned::NeuralDCDM,
  "dcdm",
  "Deep conjugate direction method: search directions from the multilevel "
  "message-passing network (set 'Model file'), A-orthogonalised against the "
  "last 'Kept directions', exact line search; non-finite network output "
  "falls back to the residual, and the true residual is checked.")
DEALII_LEARNED_REGISTER_SOLVER(
  dealii_learned::NeuralFCG,
  "fcg-neural",
  "Flexible CG (deal.II SolverFlexibleCG) preconditioned by the multilevel "
  "message-passing network (set 'Model file').")
