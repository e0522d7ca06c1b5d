#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/solver_control.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/result_table.h>
#include <dealii-learned/base/shared_libraries.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/training/direction_trainer.h>

#include <filesystem>

#include <algorithm>
#include <exception>
#include <functional>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace dealii_learned
{
  namespace Driver
  {
    using namespace dealii;

    namespace
    {
      struct OutputSettings
      {
        std::string directory     = "output";
        bool        print_timings = true;
      };


      void
      declare_output_parameters(ParameterHandler &prm)
      {
        prm.enter_subsection("Output");
        prm.declare_entry("Directory",
                          "output",
                          Patterns::DirectoryName(),
                          "Directory for summary.json, parameters.prm and "
                          "the VTU files; created if it does not exist.");
        prm.declare_entry("Print timings",
                          "true",
                          Patterns::Bool(),
                          "Show setup and solve times and the timer summary "
                          "on screen. They are always in summary.json; "
                          "switch them off for screen output that is the "
                          "same on every run (tests).");
        prm.leave_subsection();
      }


      void
      declare_training_parameters(ParameterHandler &prm)
      {
        prm.enter_subsection("Training");
        prm.declare_entry("Model file",
                          "dcdm-model.dlm",
                          Patterns::FileName(),
                          "Where `dealii-learned train' writes the trained "
                          "direction network (atomically). A checkpoint "
                          "<Model file>.checkpoint is written after every "
                          "epoch.");
        prm.declare_entry("Coefficient contrasts",
                          "100, 10000",
                          Patterns::List(Patterns::Double(1e-12), 1),
                          "Coefficient samples: for each, the problem runs "
                          "its refinement cycles and every cycle's matrix "
                          "becomes training data (produced online, nothing "
                          "is read from disk).");
        prm.declare_entry("Epochs", "20", Patterns::Integer(1), "Passes over the data.");
        prm.declare_entry("Batch size", "16", Patterns::Integer(1),
                          "Right-hand sides per Adam step.");
        prm.declare_entry("Samples per matrix", "64", Patterns::Integer(1),
                          "Right-hand sides drawn from each matrix's Ritz "
                          "vectors.");
        prm.declare_entry("Lanczos steps", "60", Patterns::Integer(2),
                          "Ritz vectors per matrix.");
        prm.declare_entry("Low spectrum weight", "9", Patterns::Double(0.),
                          "Factor on the coefficients of the lower half of "
                          "the Ritz spectrum.");
        prm.declare_entry("Learning rate", "0.01", Patterns::Double(0.),
                          "Adam's step size.");
        prm.declare_entry("Hidden width", "8", Patterns::Integer(1, 256),
                          "Hidden units of each smoother layer's perceptron.");
        prm.declare_entry("Smoothing layers", "1", Patterns::Integer(1, 8),
                          "Learned layers before and after the coarse "
                          "correction on every level but the coarsest.");
        prm.declare_entry("Cycle", "V", Patterns::Selection("V|W|K"),
                          "Visits of each coarser level per visit of the "
                          "finer one: V (one), W (two; fewer iterations, "
                          "more work per iteration) or K (two, combined by "
                          "two steps of flexible CG: Notay's K-cycle).");
        prm.declare_entry("Seed", "1", Patterns::Integer(0),
                          "Seed of everything random (initial weights, "
                          "Lanczos start, right-hand sides, batches).");
        prm.declare_entry("Resume", "true", Patterns::Bool(),
                          "Continue from <Model file>.checkpoint (weights) "
                          "and <Model file>.checkpoint.optimizer (Adam's "
                          "state) if they exist, after the last completed "
                          "epoch; the result is the same as an "
                          "uninterrupted run's. The checkpoint must come "
                          "from the same Problem and Training parameters "
                          "(except Epochs and Epochs per run).");
        prm.declare_entry("Epochs per run", "0", Patterns::Integer(0),
                          "Train at most this many epochs in one invocation "
                          "and leave the checkpoint for the next (for batch "
                          "systems with a wall-time limit); 0: no limit.");
        prm.leave_subsection();
      }


      OutputSettings
      parse_output_parameters(ParameterHandler &prm)
      {
        OutputSettings s;
        prm.enter_subsection("Output");
        s.directory     = prm.get("Directory");
        s.print_timings = prm.get_bool("Print timings");
        prm.leave_subsection();
        AssertThrow(!s.directory.empty(),
                    ExcMessage("Output/Directory must not be empty."));
        return s;
      }


      std::string
      format_number(const double x)
      {
        std::ostringstream out;
        out << std::setprecision(3) << x;
        return out.str();
      }


      /**
       * Solves with @p hook from a zero initial guess. A hook that does not
       * converge is reported, not fatal, when it is only a comparison; the
       * primary solver's failure ends the run with the hook's message
       * (which gives the iterations, the true residual and the tolerance).
       */
      SolverReport
      solve_with(SolverHook &                         hook,
                 const TrilinosWrappers::SparseMatrix &A,
                 TrilinosWrappers::MPI::Vector &       x,
                 const TrilinosWrappers::MPI::Vector & b,
                 const bool                            primary)
      {
        x = 0.;
        try
          {
            return hook.solve(A, x, b);
          }
        catch (const SolverControl::NoConvergence &)
          {
            if (primary)
              throw;
            return hook.last_report();
          }
      }


      /**
       * TimerOutput::Scope, except that it leaves its section only on a
       * normal exit. TimerOutput::Scope's destructor synchronises the
       * section's timer over all ranks (an MPI_Allreduce), which hangs a
       * rank that unwinds an exception while the others do not.
       */
      class TimerSection
      {
      public:
        TimerSection(TimerOutput &timer, const std::string &name)
          : timer(timer)
          , exceptions(std::uncaught_exceptions())
        {
          timer.enter_subsection(name);
        }

        ~TimerSection()
        {
          if (std::uncaught_exceptions() == exceptions)
            try
              {
                timer.leave_subsection();
              }
            catch (...)
              {}
        }

      private:
        TimerOutput &timer;
        const int    exceptions;
      };


      void
      add_solver_columns(ResultTable &table, const SolverReport &r)
      {
        table.set("method", r.method);
        table.set("preconditioner", r.preconditioner);
        table.set("iterations", r.iterations);
        table.set("converged", r.converged);
        table.set("relative_residual", r.relative_residual);
        table.set("restarts", r.restarts);
        table.set("setup_seconds", r.setup_seconds);
        table.set("solve_seconds", r.solve_seconds);
        for (const auto &s : r.statistics)
          table.set(s.first, s.second);
      }


      void
      write_summary(const std::string &    directory,
                    const ProblemSettings &problem,
                    const unsigned int     n_ranks,
                    const ResultTable &    table)
      {
        std::ostringstream json;
        json << "{\n"
             << "  \"problem\": " << json_string(problem.name) << ",\n"
             << "  \"dimension\": " << problem.dimension << ",\n"
             << "  \"fe_degree\": " << problem.fe_degree << ",\n"
             << "  \"coefficient_contrast\": " << problem.coefficient_contrast
             << ",\n"
             << "  \"mpi_ranks\": " << n_ranks << ",\n"
             << "  \"records\": ";
        table.write_json(json, 4);
        json << "\n}\n";
        write_file_atomically(directory + "/summary.json", json.str());
      }


      template <int dim>
      ResultTable
      run_problem(ParameterHandler &prm, std::ostream &out)
      {
        const MPI_Comm     comm    = MPI_COMM_WORLD;
        const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
        const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
        ConditionalOStream pcout(out, rank == 0);

        // Everything a user can get wrong is read and checked here, before
        // the output directory is touched. The creators decide on all
        // ranks together whether a component could be set up (a model file
        // one rank cannot read fails the run on every rank).
        ProblemSettings                          problem_settings;
        OutputSettings                           output;
        SolverSettings                           solver_settings;
        std::vector<SolverSettings>              comparison_settings;
        decide_collectively(comm, [&]() {
          problem_settings    = ProblemParameters::parse(prm);
          output              = parse_output_parameters(prm);
          solver_settings     = LinearSolver::parse_settings(prm);
          comparison_settings = LinearSolver::parse_comparisons(prm);
        });
        std::unique_ptr<SolverHook> solver =
          LinearSolver::create(solver_settings, prm, comm);
        std::vector<std::unique_ptr<SolverHook>> comparisons;
        for (const auto &s : comparison_settings)
          comparisons.push_back(LinearSolver::create(s, prm, comm));
        auto postprocessors = PostprocessorParameters::create<dim>(prm, comm);
        std::unique_ptr<Problem<dim>> problem;
        decide_collectively(comm, [&]() {
          problem = ProblemParameters::create<dim>(problem_settings, prm, comm);
        });

        // Every rank writes (VTU pieces), so every rank must be able to.
        decide_collectively(comm, [&]() {
          ensure_writable_directory(output.directory, "Output/Directory");
          if (rank == 0)
            {
              std::ostringstream used;
              prm.print_parameters(used, ParameterHandler::ShortPRM);
              write_file_atomically(output.directory + "/parameters.prm",
                                    used.str());
            }
        });

        TimerOutput timer(comm,
                          pcout,
                          output.print_timings ? TimerOutput::summary :
                                                 TimerOutput::never,
                          TimerOutput::wall_times);

        pcout << "Problem " << problem_settings.name << ", " << dim
              << "-D, Q" << problem_settings.fe_degree << ", "
              << n_ranks << " MPI rank(s); linear solver "
              << solver_settings.method << '\n';

        // A problem's phases run on all ranks together; an exception on
        // some of them only ends the job instead of hanging it.
        const auto problem_phase = [&](const std::string &     phase,
                                       const std::function<void()> &work) {
          TimerSection section(timer, phase);
          abort_on_lone_failure(comm,
                                "Problem '" + problem_settings.name + "' (" +
                                  phase + ")",
                                work);
        };

        ResultTable   table;
        Vector<float> indicators;
        for (unsigned int cycle = 0; cycle < problem_settings.refinement_cycles;
             ++cycle)
          {
            problem_phase("setup", [&]() {
              if (cycle == 0)
                problem->setup_system();
              else
                problem->refine(indicators);
            });
            problem_phase("assemble", [&]() { problem->assemble_system(); });

            const auto n_cells = problem->get_triangulation().n_global_active_cells();
            const auto n_dofs  = problem->get_dof_handler().n_dofs();
            const auto add_row = [&](const SolverReport &r) {
              table.new_row();
              table.set("cycle", cycle);
              table.set("n_cells", n_cells);
              table.set("n_dofs", n_dofs);
              add_solver_columns(table, r);
            };
            const auto print = [&](const SolverReport &r) {
              pcout << "  " << std::left << std::setw(12)
                    << (r.preconditioner.empty() ?
                          r.method :
                          r.method + "(" + r.preconditioner + ")")
                    << std::right
                    << std::setw(6) << r.iterations << " iterations"
                    << (r.converged ? "" : " (not converged)")
                    << ", relative residual " << std::setprecision(3)
                    << std::scientific << r.relative_residual
                    << std::defaultfloat << std::setprecision(6) << '\n';
              for (const auto &w : r.warnings)
                pcout << "    warning: " << w << '\n';
            };

            pcout << "Cycle " << cycle << ": " << n_cells << " cells, "
                  << n_dofs << " DoFs\n";

            SolverReport primary;
            {
              TimerSection section(timer, "solve");
              primary = solve_with(*solver,
                                   problem->system_matrix,
                                   problem->solution,
                                   problem->system_rhs,
                                   true);
            }
            print(primary);

            std::vector<SolverReport> compared;
            {
              TimerSection section(timer, "solve (comparisons)");
              TrilinosWrappers::MPI::Vector x(problem->solution);
              for (auto &c : comparisons)
                {
                  compared.push_back(solve_with(*c,
                                                problem->system_matrix,
                                                x,
                                                problem->system_rhs,
                                                false));
                  print(compared.back());
                }
            }

            problem_phase("estimate", [&]() {
              problem->distribute_solution(problem->solution);
              problem->estimate(indicators);
            });

            add_row(primary);
            {
              TimerSection section(timer, "postprocess");
              const auto cell_data = problem->cell_data();
              FieldContext<dim> context{comm,
                                        problem->get_dof_handler(),
                                        problem->get_mapping(),
                                        problem->get_constraints(),
                                        problem->get_quadrature(),
                                        problem->locally_owned_dofs(),
                                        problem->locally_relevant_dofs(),
                                        cycle,
                                        0.,
                                        output.directory,
                                        "solution",
                                        {}};
              for (const auto &d : cell_data)
                context.cell_data.emplace_back(d.first, &d.second);
              context.cell_data.emplace_back("error_indicator", &indicators);

              for (auto &p : postprocessors)
                for (const auto &stat : p.second->execute(context, problem->solution))
                  table.set(stat.first, stat.second);
              problem->distribute_solution(problem->solution);
            }
            for (const auto &r : compared)
              add_row(r);

            decide_collectively(comm, [&]() {
              if (rank == 0)
                write_summary(output.directory, problem_settings, n_ranks, table);
            });
          }

        std::vector<std::string> columns = table.column_names();
        if (!output.print_timings)
          columns.erase(std::remove_if(columns.begin(),
                                       columns.end(),
                                       [](const std::string &c) {
                                         return c.find("seconds") !=
                                                std::string::npos;
                                       }),
                        columns.end());
        pcout << '\n';
        if (rank == 0)
          table.write_text(out, columns);
        pcout << "\nSummary written to " << output.directory
              << "/summary.json\n";
        return table;
      }


      void
      print_usage(std::ostream &out)
      {
        out << "Usage:\n"
               "  dealii-learned run FILE.prm              run the problem a "
               "parameter file describes\n"
               "  dealii-learned FILE.prm                  the same\n"
               "  dealii-learned train FILE.prm            train the direction "
               "network on the problem's matrices\n"
               "  dealii-learned --print-parameters [FILE] print every "
               "parameter with its documentation\n"
               "                                           (FILE: load its "
               "'Additional shared libraries' first)\n"
               "  dealii-learned --help                    this text\n"
               "Under MPI: mpirun -np N dealii-learned run FILE.prm\n";
      }
    } // namespace


    void
    declare_parameters(ParameterHandler &prm)
    {
      declare_shared_library_parameter(prm);
      ProblemParameters::declare_parameters(prm);
      LinearSolver::declare_parameters(prm);
      PostprocessorParameters::declare_parameters(prm);
      declare_output_parameters(prm);
      declare_training_parameters(prm);
    }


    void
    read_parameters(const std::string &parameter_file, ParameterHandler &prm)
    {
      load_shared_libraries(read_shared_library_list(parameter_file));
      declare_parameters(prm);
      decide_collectively(MPI_COMM_WORLD, [&]() {
        try
          {
            prm.parse_input(parameter_file);
          }
        catch (const std::exception &e)
          {
            AssertThrow(false,
                        ExcMessage(error_message(e) +
                                   " (`dealii-learned --print-parameters' "
                                   "lists every entry, its subsection and "
                                   "its allowed values.)"));
          }
      });
    }


    ResultTable
    run(ParameterHandler &prm, std::ostream &out)
    {
      prm.enter_subsection("Problem");
      const unsigned int dim = prm.get_integer("Dimension");
      prm.leave_subsection();
      return dim == 2 ? run_problem<2>(prm, out) : run_problem<3>(prm, out);
    }


    /**
     * A fingerprint (FNV-1a, hexadecimal) of everything that decides a
     * training run's data and updates: the Problem and Training
     * subsections, except the entries that only say how long to run.
     */
    std::string
    training_configuration(const ParameterHandler &prm)
    {
      std::ostringstream all;
      prm.print_parameters(all, ParameterHandler::ShortPRM);
      std::istringstream        lines(all.str());
      std::string               line, kept;
      std::vector<std::string>  path;
      while (std::getline(lines, line))
        {
          const auto first = line.find_first_not_of(' ');
          if (first == std::string::npos)
            continue;
          line = line.substr(first);
          if (line.rfind("subsection ", 0) == 0)
            path.push_back(line.substr(11));
          else if (line == "end" && !path.empty())
            path.pop_back();
          else if (!path.empty() &&
                   (path.front() == "Problem" || path.front() == "Training") &&
                   line.rfind("set Epochs", 0) != 0 &&
                   line.rfind("set Resume", 0) != 0)
            kept += join(path, "/") + ": " + line + '\n';
        }
      std::uint64_t hash = 1469598103934665603ull;
      for (const unsigned char c : kept)
        hash = (hash ^ c) * 1099511628211ull;
      std::ostringstream text;
      text << std::hex << std::setw(16) << std::setfill('0') << hash;
      return text.str();
    }


    DirectionNetworkModel
    train(ParameterHandler &prm, std::ostream &out)
    {
      const MPI_Comm comm = MPI_COMM_WORLD;
      AssertThrow(Utilities::MPI::n_mpi_processes(comm) == 1,
                  ExcMessage("`dealii-learned train' runs on one MPI rank; "
                             "the trained model then runs on any number."));
      ProblemSettings problem = ProblemParameters::parse(prm);
      AssertThrow(problem.dimension == 2 || problem.dimension == 3,
                  ExcMessage("Problem/Dimension must be 2 or 3."));

      prm.enter_subsection("Training");
      const std::string model_file = prm.get("Model file");
      TrainingSettings  settings;
      settings.epochs              = prm.get_integer("Epochs");
      settings.batch_size          = prm.get_integer("Batch size");
      settings.samples_per_matrix  = prm.get_integer("Samples per matrix");
      settings.lanczos_steps       = prm.get_integer("Lanczos steps");
      settings.low_spectrum_weight = prm.get_double("Low spectrum weight");
      settings.learning_rate       = prm.get_double("Learning rate");
      settings.seed                = prm.get_integer("Seed");
      const unsigned int hidden    = prm.get_integer("Hidden width");
      const unsigned int layers    = prm.get_integer("Smoothing layers");
      const unsigned int cycle_index  = prm.get("Cycle") == "V" ? 1 : 2;
      const bool         krylov_cycle = prm.get("Cycle") == "K";
      const bool         resume    = prm.get_bool("Resume");
      const unsigned int epochs_per_run = prm.get_integer("Epochs per run");
      std::vector<double> contrasts;
      for (const auto &c : Utilities::split_string_list(prm.get("Coefficient contrasts")))
        contrasts.push_back(Utilities::string_to_double(c));
      prm.leave_subsection();
      AssertThrow(!model_file.empty(),
                  ExcMessage("Training/Model file must not be empty."));

      // Check the destination before spending time on training.
      const std::string directory =
        std::filesystem::path(model_file).parent_path().string();
      ensure_writable_directory(directory.empty() ? "." : directory,
                                "Training/Model file");

      const std::string checkpoint = model_file + ".checkpoint";
      const std::string optimizer_state = checkpoint + ".optimizer";
      const std::string configuration   = training_configuration(prm);
      DirectionNetworkModel start = DirectionNetworkModel::initial(hidden, settings.seed);
      start.pre_layers = start.post_layers = layers;
      start.cycle_index                    = cycle_index;
      start.krylov_cycle                   = krylov_cycle;
      unsigned int          done  = 0;
      if (resume && std::filesystem::exists(checkpoint))
        {
          start = DirectionNetworkModel::load(checkpoint);
          done  = std::stoul(start.metadata.at("epochs_completed"));
          AssertThrow(start.metadata["configuration"] == configuration &&
                        start.pre.hidden == hidden &&
                        start.pre_layers == layers &&
                        start.cycle_index == cycle_index &&
                          start.krylov_cycle == krylov_cycle,
                      ExcMessage("The checkpoint '" + checkpoint +
                                 "' was made with other Problem or Training "
                                 "parameters (configuration " +
                                 start.metadata["configuration"] +
                                 ", these are " + configuration +
                                 "); delete it or set Resume = false."));
          AssertThrow(std::filesystem::exists(optimizer_state),
                      ExcMessage("The checkpoint '" + checkpoint +
                                 "' has no optimizer state '" +
                                 optimizer_state +
                                 "'; delete it or set Resume = false."));
          out << "Resuming from " << checkpoint << " after epoch " << done << '\n';
        }

      // Training data, produced online: every refinement cycle of every
      // coefficient sample adds its matrix. The solve (CG+AMG) only serves
      // to refine the mesh for the next cycle.
      DirectionTrainer trainer(settings, start);
      Timer            timer;
      if (done > 0)
        trainer.load_optimizer_state(optimizer_state, done);
      for (const double contrast : contrasts)
        {
          problem.coefficient_contrast = contrast;
          const auto add = [&](auto dimension_tag) {
            constexpr int dim = decltype(dimension_tag)::value;
            auto          p   = ProblemParameters::create<dim>(problem, prm);
            SolverSettings cg;
            cg.preconditioner = "amg";
            auto solver = LinearSolver::create(cg, prm);
            p->setup_system();
            p->assemble_system();
            for (unsigned int cycle = 0; cycle < problem.refinement_cycles; ++cycle)
              {
                trainer.add_matrix(p->system_matrix);
                out << "  data: contrast " << contrast << ", cycle " << cycle
                    << ", " << p->system_matrix.m() << " unknowns\n";
                if (cycle + 1 < problem.refinement_cycles)
                  p->solve_estimate_refine(*solver);
              }
          };
          if (problem.dimension == 2)
            add(std::integral_constant<int, 2>());
          else
            add(std::integral_constant<int, 3>());
        }
      out << "Training data: " << trainer.n_matrices() << " matrices, "
          << trainer.n_matrices() * settings.samples_per_matrix
          << " right-hand sides, " << format_number(timer.wall_time())
          << " s\n";

      timer.restart();
      out << "epoch " << done << ": loss " << format_number(trainer.evaluate())
          << '\n';
      DirectionNetworkModel model = trainer.model();
      const unsigned int last =
        epochs_per_run == 0 ? settings.epochs :
                              std::min(settings.epochs, done + epochs_per_run);
      for (unsigned int epoch = done + 1; epoch <= last; ++epoch)
        {
          const double loss    = trainer.train_epoch();
          const double elapsed = timer.wall_time();
          const double remaining =
            elapsed / (epoch - done) * (last - epoch);
          out << "epoch " << epoch << "/" << settings.epochs << ": loss "
              << format_number(loss) << ", elapsed " << format_number(elapsed)
              << " s, remaining " << format_number(remaining) << " s"
              << std::endl;

          model = trainer.model();
          model.metadata["epochs_completed"] = std::to_string(epoch);
          model.metadata["seed"]             = std::to_string(settings.seed);
          model.metadata["configuration"]    = configuration;
          model.metadata["last_epoch_loss"]  = format_number(loss);
          // Optimizer state first: a checkpoint whose optimizer state is
          // from another epoch is refused on resume, never used.
          trainer.save_optimizer_state(optimizer_state);
          model.save(checkpoint);
        }
      if (last < settings.epochs)
        {
          out << "Stopped after epoch " << last << " of " << settings.epochs
              << " (Epochs per run); run the same command again to resume "
                 "from "
              << checkpoint << '\n';
          return model;
        }

      model.metadata["problem"] = problem.name;
      model.metadata["dimension"] = std::to_string(problem.dimension);
      model.metadata["fe_degree"] = std::to_string(problem.fe_degree);
      model.metadata["training_matrices"] = std::to_string(trainer.n_matrices());
      model.metadata["final_loss"] = format_number(trainer.evaluate());
      model.save(model_file);
      std::filesystem::remove(checkpoint);
      std::filesystem::remove(optimizer_state);
      out << "Model written to " << model_file << " (final loss "
          << model.metadata["final_loss"] << ")\n";
      return model;
    }


    int
    main(int argc, char **argv)
    {
      const bool root =
        Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
      const std::vector<std::string> args(argv + 1, argv + argc);
      int                            code = 0;
      const auto                     dispatch = [&]() {
        if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h"))
          {
            if (root)
              print_usage(std::cout);
            return 0;
          }
        if (!args.empty() && args[0] == "--print-parameters" &&
            args.size() <= 2)
          {
            ParameterHandler prm;
            if (args.size() == 2)
              load_shared_libraries(read_shared_library_list(args[1]));
            declare_parameters(prm);
            if (root)
              prm.print_parameters(std::cout,
                                   ParameterHandler::OutputStyle(
                                     ParameterHandler::PRM |
                                     ParameterHandler::KeepDeclarationOrder));
            return 0;
          }
        const bool bare_file =
          args.size() == 1 && args[0].size() > 4 &&
          args[0].compare(args[0].size() - 4, 4, ".prm") == 0;
        if (args.size() == 2 && args[0] == "train")
          {
            ParameterHandler prm;
            read_parameters(args[1], prm);
            train(prm, std::cout);
            return 0;
          }
        if ((args.size() == 2 && args[0] == "run") || bare_file)
          {
            ParameterHandler prm;
            read_parameters(args.back(), prm);
            run(prm, std::cout);
            return 0;
          }
        if (root)
          {
            std::cerr << "dealii-learned: unknown command line";
            for (const auto &a : args)
              std::cerr << " '" << a << "'";
            std::cerr << "\n";
            print_usage(std::cerr);
          }
        return 2;
      };
      try
        {
          // An exception that reaches this point on all ranks is printed
          // once; one raised on some ranks only (which every component
          // guards against deeper down already) ends the job from here.
          abort_on_lone_failure(MPI_COMM_WORLD, "dealii-learned", [&]() {
            code = dispatch();
          });
          return code;
        }
      catch (const std::exception &e)
        {
          if (root)
            std::cerr << "dealii-learned: error: " << error_message(e)
                      << std::endl;
          return 1;
        }
    }
  } // namespace Driver
} // namespace dealii_learned
