#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/models/direction_network.h>
#include <dealii-learned/models/torchscript_network.h>
#include <dealii-learned/solvers/learned_solvers.h>
#include <dealii-learned/solvers/neural_preconditioner.h>
#include <dealii-learned/solvers/online_learning.h>
#include <dealii-learned/solvers/solve_and_report.h>
#include <dealii-learned/solvers/solver_dcdm.h>

#include <Epetra_CrsMatrix.h>
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
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


    /** What a solve did with the kept network. */
    enum class NetworkAction
    {
      built,  // a new network on a new pattern (or no reuse)
      values, // the kept network's values recomputed (same pattern)
      kept    // the kept network as it was
    };


  } // namespace


  /**
   * The direction network a learned hook keeps from one solve to the next
   * (`Reuse network`), with the pattern it was built for and the iteration
   * counts that decide when its values are recomputed.
   */
  struct LearnedSolverBase::NetworkCache
  {
    DirectionNetwork             network;
    std::array<std::uint64_t, 3> signature{};
    /** The structure the network was built for. */
    SystemStructure structure;
    bool            built = false;
    /** Iterations of the first solve after the last build or values
     *  update, and of the last solve. */
    unsigned int baseline = 0, last = 0;
    /** The next solve builds anew (the kept network failed), or keeps
     *  the network whatever the counts say (a pass cut short by the
     *  budget goes on with the same network). */
    bool          force_build = false, force_keep = false;
    NetworkAction last_action = NetworkAction::built;

    /** Makes the network ready for @p A under @p mode; collective. */
    NetworkAction
    prepare(const TrilinosWrappers::SparseMatrix &A,
            const DirectionNetworkModel          &model,
            const SystemStructure                &new_structure,
            const std::string                    &mode,
            const double                          growth)
    {
      if (force_keep)
        {
          force_keep  = false;
          last_action = NetworkAction::kept;
          return last_action;
        }
      // The pattern's hash costs a pass over the indices: only where a
      // network may be kept.
      const bool reusable = mode != "never";
      const auto new_signature =
        reusable ? sparsity_signature(A) : std::array<std::uint64_t, 3>{};
      const bool same =
        built && reusable &&
        Utilities::MPI::min(static_cast<int>(new_signature == signature &&
                                             new_structure.n_components ==
                                               structure.n_components &&
                                             new_structure.near_null_space ==
                                               structure.near_null_space),
                            A.get_mpi_communicator()) == 1;
      // `auto': a kept network whose iteration count grew past the bound,
      // or that failed, is built anew. The aggregates follow the strong
      // connections of the coefficients it was built for (measured:
      // recomputing values on them after large changes costs more
      // iterations than a fresh build).
      if (!same || force_build ||
          (mode == "auto" && double(last) > growth * double(baseline)))
        {
          built = false; // until the network is complete
          network.initialize(A, model, new_structure);
          signature   = new_signature;
          structure   = new_structure;
          built       = true;
          last_action = NetworkAction::built;
        }
      else if (mode == "structure")
        {
          built = false;
          network.reinit_values(A);
          built       = true;
          last_action = NetworkAction::values;
        }
      else
        last_action = NetworkAction::kept;
      force_build = false;
      return last_action;
    }

    /** Records the iterations of the solve that followed prepare(). */
    void
    record(const unsigned int iterations)
    {
      last = iterations;
      if (last_action != NetworkAction::kept)
        baseline = iterations;
    }

    /**
     * The iterations a kept network may take before the solve gives up on
     * it and builds anew: well beyond the bound that decides the next
     * solve (a kept network still converging is not interrupted), yet far
     * below an iteration limit meant for hopeless cases.
     */
    unsigned int
    kept_budget(const double growth) const
    {
      return static_cast<unsigned int>(std::ceil(2. * growth * baseline)) + 10;
    }
  };


  namespace
  {
    /** How a solve may use the hook's kept network. */
    struct ReuseSettings
    {
      LearnedSolverBase::NetworkCache *cache  = nullptr;
      std::string                      mode   = "never";
      double                           growth = 1.3;
      /** The host's structure (SolverHook::get_structure()). */
      SystemStructure structure;
    };


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
                SolverReport         &report,
                const ReuseSettings  &reuse)
    {
      solve_and_report(
        settings,
        A,
        x,
        b,
        [&](const auto &run, SolverReport &r) {
          typename NetworkOf<Model>::type  local_network;
          typename NetworkOf<Model>::type *used   = &local_network;
          NetworkAction                    action = NetworkAction::built;
          const auto set_up = [&](const TrilinosWrappers::SparseMatrix &M) {
            if constexpr (std::is_same<Model, DirectionNetworkModel>::value)
              if (reuse.cache != nullptr)
                {
                  action = reuse.cache->prepare(
                    M, model, reuse.structure, reuse.mode, reuse.growth);
                  used = &reuse.cache->network;
                  return;
                }
            if constexpr (std::is_same<Model, DirectionNetworkModel>::value)
              local_network.initialize(M, model, reuse.structure);
            else
              local_network.initialize(M, model);
          };
          if constexpr (std::is_same<MatrixType, SparseMatrix<double>>::value)
            {
              // The network works on Trilinos matrices, which need MPI.
              ensure_mpi_initialized();
              TrilinosWrappers::SparseMatrix copy;
              copy.reinit(A, 0.); // keep every entry (default drops < 1e-13)
              set_up(copy);
            }
          else
            set_up(A);
          auto &network = *used;
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
                const auto &h = network.get_hierarchy();
                // A kept network cost no setup in this solve.
                const AggregationHierarchy::SetupTimes times =
                  action == NetworkAction::kept ?
                             AggregationHierarchy::SetupTimes() :
                             h.setup_times();
                r.statistics.emplace_back("setup_scaling_seconds",
                                          times.scaling);
                r.statistics.emplace_back("setup_aggregation_seconds",
                                          times.aggregation);
                r.statistics.emplace_back("setup_prolongation_seconds",
                                          times.prolongation);
                r.statistics.emplace_back("setup_galerkin_seconds",
                                          times.galerkin);
                r.statistics.emplace_back("setup_copy_seconds",
                                          action == NetworkAction::kept ?
                                                     0. :
                                                     network.copy_seconds());
                r.details = {
                  {"network_levels", double(h.n_levels())},
                  {"coarsest_level_size", double(h.level_sizes().back())},
                  {"largest_aggregate", double(h.largest_aggregate())},
                  // 0: built, 1: values recomputed, 2: kept as it was.
                  {"network_reuse", double(static_cast<int>(action))}};
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
         SolverReport         &report,
         const ReuseSettings  &reuse)
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
        report,
        reuse);
    }


    template <typename Model, typename MatrixType, typename VectorType>
    void
    fcg(const SolverSettings &settings,
        const Model          &model,
        const MatrixType     &A,
        VectorType           &x,
        const VectorType     &b,
        SolverReport         &report,
        const ReuseSettings  &reuse)
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
        report,
        reuse);
    }


    /**
     * For an online check: DCDM's iterations on A x = b from x's value
     * with @p network, to the hook's tolerance, or max_iterations + 1 if
     * it does not converge within max_iterations.
     */
    template <typename MatrixType, typename VectorType>
    auto
    dcdm_count(const SolverSettings &settings,
               const unsigned int    kept,
               const MatrixType     &A,
               const VectorType     &b)
    {
      return [&settings, kept, &A, &b](const DirectionNetwork &network,
                                       VectorType             &x,
                                       const unsigned int      max) {
        SolverControl control(max, settings.tolerance(b.l2_norm()));
        control.log_history(false);
        control.log_result(false);
        SolverDCDM<VectorType> solver(control, {kept});
        try
          {
            solver.solve(A, x, b, network);
          }
        catch (const SolverControl::NoConvergence &)
          {
            return max + 1;
          }
        return control.last_step();
      };
    }


    /** The same for flexible CG with the network as its preconditioner. */
    template <typename MatrixType, typename VectorType>
    auto
    fcg_count(const SolverSettings &settings,
              const MatrixType     &A,
              const VectorType     &b)
    {
      return [&settings, &A, &b](const DirectionNetwork &network,
                                 VectorType             &x,
                                 const unsigned int      max) {
        SolverControl control(max, settings.tolerance(b.l2_norm()));
        control.log_history(false);
        control.log_result(false);
        NeuralPreconditioner<DirectionNetwork> preconditioner(network);
        SolverFlexibleCG<VectorType>           solver(control);
        try
          {
            solver.solve(A, x, b, preconditioner);
          }
        catch (const SolverControl::NoConvergence &)
          {
            return max + 1;
          }
        return control.last_step();
      };
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
    , online_settings(std::make_unique<OnlineSettings>())
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
    prm.declare_entry(
      "Reuse network",
      "auto",
      Patterns::Selection("auto|structure|never"),
      "What a solve keeps of the network of the previous solve when the "
      "matrix has the same sparsity pattern (time steps, Picard or Newton "
      "iterations, parameter sweeps on one mesh). `never': every solve "
      "builds the network's hierarchy anew. `structure': the aggregates and "
      "the patterns of the prolongations and level matrices are kept, all "
      "values (scaling, spectrum, prolongation, Galerkin products) are "
      "recomputed for the new matrix, like PreconditionAMG::reinit(). "
      "`auto': the whole network is kept while its iteration count stays "
      "within 'Reuse iteration growth' times the count of the first solve "
      "after it was built; beyond that, the next solve builds it anew (the "
      "aggregates follow the coefficients' strong connections, so after a "
      "large change new aggregates pay more than new values on the old "
      "ones). A kept network that has not converged after "
      "2 x growth x its first count + 10 iterations is built anew and the "
      "solve goes on from where it stopped. The "
      "Krylov method always works with the new matrix and checks its true "
      "residual, so reuse changes only the cost, never the answer's "
      "accuracy. A new pattern always builds anew.");
    OnlineSettings::declare_parameters(prm);
    prm.declare_entry("Reuse iteration growth",
                      "1.3",
                      Patterns::Double(1.),
                      "With 'Reuse network = auto': the factor by which the "
                      "iteration count may grow over that of the last "
                      "freshly built network before the next solve builds "
                      "it anew.");
  }


  void
  LearnedSolverBase::parse_parameters(ParameterHandler &prm)
  {
    const std::string model_file = prm.get("Model file");
    reuse_mode                   = prm.get("Reuse network");
    reuse_growth                 = prm.get_double("Reuse iteration growth");
    // A kept network belongs to the model it was built with.
    cache.reset();
    torchscript.reset();
    if (model_file == "untrained")
      *model = DirectionNetworkModel::initial();
    else if (model_file != "default" && is_torchscript_file(model_file))
      torchscript = std::make_shared<TorchScriptModel>(model_file);
    else
      *model = DirectionNetworkModel::load(
        model_file == "default" ? default_model_file() : model_file);
    online_settings->parse_parameters(prm);
    online.reset();
    AssertThrow(!online_settings->enabled || !torchscript,
                ExcMessage("'Online training' trains the project's direction "
                           "network, not a TorchScript model ('" +
                           model_file +
                           "'): set 'Model file' to a .dlm model, `default' "
                           "or `untrained', or 'Online training' to false."));
  }


  template <typename MatrixType,
            typename VectorType,
            typename Solve,
            typename Count>
  SolverReport
  LearnedSolverBase::solve_and_learn(const MatrixType &A,
                                     VectorType       &x,
                                     const VectorType &b,
                                     const Solve      &solve,
                                     const Count      &count)
  {
    if (!online_settings->enabled)
      return solve();
    const VectorType x0 = x;
    solve();
    // Learning from this system (the solve converged: it did not throw).
    Timer timer;
    const TrilinosWrappers::SparseMatrix *matrix = nullptr;
    TrilinosWrappers::SparseMatrix        copy;
    MPI_Comm                              comm = MPI_COMM_SELF;
    if constexpr (std::is_same<MatrixType, SparseMatrix<double>>::value)
      {
        copy.reinit(A, 0.);
        matrix = &copy;
      }
    else
      {
        matrix = &A;
        comm   = A.get_mpi_communicator();
      }
    if (!online)
      online = OnlineLearner::create(*online_settings, *model, comm);
    // Learning is local to each rank and may fail on one (a non-finite
    // loss on its block): the ranks agree before going on.
    // One budget on every rank: the slowest rank's solve time.
    const double solve_seconds =
      Utilities::MPI::max(report.setup_seconds + report.solve_seconds, comm);
    Timer        learning;
    double       own_seconds = 0.;
    decide_collectively(comm, [&]() {
      own_seconds =
        online->learned(*matrix, get_structure(), solve_seconds);
    });
    // The wait for ranks that learned longer counts against the budget.
    online->add_other_seconds(std::max(0., learning.wall_time() - own_seconds));
    // A check compares with the network this solve used, prepared for this
    // matrix in one pass (not a zero right-hand side, which needs no
    // network, nor a solve that restarted, whose count covers two passes).
    // All three are the same on every rank.
    const bool comparable = cache && cache->built && report.rhs_norm > 0 &&
                            report.iterations > 0 && report.restarts == 0;
    if (comparable && online->check_due())
      {
        Timer                       check;
        const DirectionNetworkModel candidate = online->candidate();
        DirectionNetwork           &network   = cache->network;
        const DirectionNetworkModel current   = network.get_model();
        network.set_weights(candidate);
        unsigned int its  = 0;
        bool         swap = false;
        try
          {
            VectorType y = x0;
            its          = count(network, y, report.iterations);
            // Iteration counts are the same on every rank (the Krylov
            // method is collective), the losses are sums over the ranks:
            // one decision.
            if (its < report.iterations)
              swap = true;
            else if (its == report.iterations)
              {
                const double candidate_loss = online->loss(candidate);
                const double current_loss   = online->loss(current);
                swap = candidate_loss <= current_loss;
              }
          }
        catch (...)
          {
            network.set_weights(current);
            throw;
          }
        if (swap)
          {
            *model = candidate;
            online->accepted(candidate);
          }
        else
          network.set_weights(current);
        online->add_other_seconds(check.wall_time());
        report.notes.push_back(
          "online training (check " + std::to_string(online->n_checks()) +
          ", " + std::to_string(online->n_steps()) +
          " Adam steps so far): the trained network took " +
          (its > report.iterations ? "more than " +
                                       std::to_string(report.iterations) :
                                     std::to_string(its)) +
          " iterations on this system, the network in use " +
          std::to_string(report.iterations) + "; " +
          (swap ? "swapped in" : "not swapped in") + " (" +
          std::to_string(online->n_swaps()) + " swap(s) so far).");
      }
    const double seconds = timer.wall_time();
    report.setup_seconds += seconds;
    report.statistics.emplace_back("online_seconds", seconds);
    report.details.emplace_back("online_swaps", online->n_swaps());
    report.details.emplace_back("online_checks", online->n_checks());
    report.details.emplace_back("online_steps", online->n_steps());
    const std::array<double, 3> profile = online->profile();
    report.details.emplace_back("online_data_seconds", profile[0]);
    report.details.emplace_back("online_training_seconds", profile[1]);
    report.details.emplace_back("online_other_seconds", profile[2]);
    return report;
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


  template <typename Solve>
  SolverReport
  LearnedSolverBase::solve_with_reuse(const Solve &solve_once)
  {
    ReuseSettings reuse;
    reuse.structure = get_structure();
    if (!torchscript)
      {
        // The network's Trilinos objects need MPI, which a serial host
        // may not have started.
        ensure_mpi_initialized();
        if (!cache)
          cache = std::make_unique<NetworkCache>();
        reuse.cache  = cache.get();
        reuse.mode   = reuse_mode;
        reuse.growth = reuse_growth;
      }
    const SolverSettings all = settings;
    // A network kept from an earlier matrix gets a budget of iterations
    // (NetworkCache::kept_budget); if it does not converge within it, the
    // network is built anew for this matrix and the solve goes on from
    // where it stopped with the iterations left. The first pass learns
    // whether the network is kept only in prepare(), so the budget is
    // applied to every pass that may keep it.
    SolverSettings first_pass = all;
    const bool     may_keep   = cache && !torchscript && reuse_mode == "auto";
    if (may_keep && cache->built)
      first_pass.max_iterations =
        std::min(all.max_iterations, cache->kept_budget(reuse_growth));
    try
      {
        solve_once(first_pass, reuse);
      }
    catch (const SolverNoConvergence &)
      {
        const bool budget_hit =
          first_pass.max_iterations < all.max_iterations &&
          report.iterations >= first_pass.max_iterations;
        // A stagnation is the system's floor, not the network's fault: a
        // network built anew would stop at the same floor.
        if (!cache || report.stagnated ||
            report.iterations >= all.max_iterations ||
            (!budget_hit && cache->last_action != NetworkAction::kept))
          {
            if (cache)
              cache->record(report.iterations);
            throw;
          }
        // A kept network that failed is built anew; a network just built
        // or updated that only ran out of the budget goes on as it is.
        const NetworkAction first_action = cache->last_action;
        const bool          was_kept     = first_action == NetworkAction::kept;
        if (was_kept)
          cache->force_build = true;
        else
          cache->force_keep = true;
        const SolverReport first = report;
        SolverSettings     rest  = all;
        rest.max_iterations      = all.max_iterations - first.iterations;
        const auto finish        = [&]() {
          report.iterations += first.iterations;
          report.restarts += first.restarts + 1;
          report.setup_seconds += first.setup_seconds;
          report.solve_seconds += first.solve_seconds;
          report.residual_history.insert(report.residual_history.begin(),
                                         first.residual_history.begin(),
                                         first.residual_history.end());
          if (was_kept)
            report.warnings.insert(
              report.warnings.begin(),
              "the direction network kept from the previous solve did not "
                     "converge in " +
                std::to_string(first.iterations) +
                " iterations; it was built anew for this matrix and the "
                       "solve went on from where it stopped");
          else
            cache->last_action = first_action;
          if (was_kept)
            // The coefficients changed too much for keeping to pay: the
            // network built mid-solve fits this matrix, not the next, so
            // the next solve builds its own (and sets the baseline).
            cache->force_build = true;
          else
            cache->record(report.iterations);
        };
        try
          {
            solve_once(rest, reuse);
          }
        catch (const SolverNoConvergence &)
          {
            finish();
            throw SolverNoConvergence(all, report);
          }
        finish();
        return report;
      }
    if (cache && !torchscript)
      cache->record(report.iterations);
    return report;
  }


  SolverReport
  NeuralDCDM::solve(const SparseMatrix<double> &A,
                    Vector<double>             &x,
                    const Vector<double>       &b)
  {
    return solve_and_learn(
      A,
      x,
      b,
      [&]() {
        return solve_with_reuse(
          [&](const SolverSettings &s, const ReuseSettings &reuse) {
            with_model(torchscript, *model, [&](const auto &m) {
              dcdm(s, m, kept_directions, A, x, b, report, reuse);
            });
          });
      },
      dcdm_count(settings, kept_directions, A, b));
  }


  SolverReport
  NeuralDCDM::solve(const TrilinosWrappers::SparseMatrix &A,
                    TrilinosWrappers::MPI::Vector        &x,
                    const TrilinosWrappers::MPI::Vector  &b)
  {
    return solve_and_learn(
      A,
      x,
      b,
      [&]() {
        return solve_with_reuse(
          [&](const SolverSettings &s, const ReuseSettings &reuse) {
            with_model(torchscript, *model, [&](const auto &m) {
              dcdm(s, m, kept_directions, A, x, b, report, reuse);
            });
          });
      },
      dcdm_count(settings, kept_directions, A, b));
  }


  SolverReport
  NeuralFCG::solve(const SparseMatrix<double> &A,
                   Vector<double>             &x,
                   const Vector<double>       &b)
  {
    return solve_and_learn(
      A,
      x,
      b,
      [&]() {
        return solve_with_reuse(
          [&](const SolverSettings &s, const ReuseSettings &reuse) {
            with_model(torchscript, *model, [&](const auto &m) {
              fcg(s, m, A, x, b, report, reuse);
            });
          });
      },
      fcg_count(settings, A, b));
  }


  SolverReport
  NeuralFCG::solve(const TrilinosWrappers::SparseMatrix &A,
                   TrilinosWrappers::MPI::Vector        &x,
                   const TrilinosWrappers::MPI::Vector  &b)
  {
    return solve_and_learn(
      A,
      x,
      b,
      [&]() {
        return solve_with_reuse(
          [&](const SolverSettings &s, const ReuseSettings &reuse) {
            with_model(torchscript, *model, [&](const auto &m) {
              fcg(s, m, A, x, b, report, reuse);
            });
          });
      },
      fcg_count(settings, A, b));
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
