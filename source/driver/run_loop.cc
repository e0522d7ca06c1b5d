#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/timer_section.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/driver/summary.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_with_comparisons.h>

#include <algorithm>
#include <exception>
#include <sstream>

namespace dealii_learned
{
  namespace Driver
  {
    using namespace dealii;

    namespace
    {
      /** What a run is made of, created from the parameters. */
      template <int dim>
      struct Run
      {
        ProblemSettings                          problem_settings;
        OutputSettings                           output;
        SolverSettings                           solver_settings;
        std::unique_ptr<SolverHook>              solver;
        std::vector<std::unique_ptr<SolverHook>> comparisons;
        std::vector<
          std::pair<std::string, std::unique_ptr<PostprocessorHook<dim>>>>
                                      postprocessors;
        std::unique_ptr<Problem<dim>> problem;
      };


      /**
       * Reads every parameter and creates every component, so that
       * everything a user can get wrong is found before the output
       * directory is touched. The creators decide on all ranks together
       * whether a component could be set up (a model file one rank cannot
       * read fails the run on every rank).
       */
      template <int dim>
      Run<dim>
      create_run(ParameterHandler &prm, const MPI_Comm comm)
      {
        Run<dim>                    run;
        std::vector<SolverSettings> comparison_settings;
        decide_collectively(comm, [&]() {
          run.problem_settings = ProblemParameters::parse(prm);
          run.output           = parse_output_parameters(prm);
          run.solver_settings  = LinearSolver::parse_settings(prm);
          comparison_settings  = LinearSolver::parse_comparisons(prm);
        });
        run.solver = LinearSolver::create(run.solver_settings, prm, comm);
        for (const auto &s : comparison_settings)
          run.comparisons.push_back(LinearSolver::create(s, prm, comm));
        run.postprocessors = PostprocessorParameters::create<dim>(prm, comm);
        run.problem =
          ProblemParameters::create<dim>(run.problem_settings, prm, comm);
        return run;
      }


      /** The output directory, writable by every rank (VTU pieces), and the
       *  parameters as used. */
      void
      prepare_output(const OutputSettings   &output,
                     const ParameterHandler &prm,
                     const MPI_Comm          comm)
      {
        decide_collectively(comm, [&]() {
          ensure_writable_directory(output.directory, "Output/Directory");
          if (Utilities::MPI::this_mpi_process(comm) == 0)
            {
              std::ostringstream used;
              prm.print_parameters(used, ParameterHandler::ShortPRM);
              write_file_atomically(output.directory + "/parameters.prm",
                                    used.str());
            }
        });
      }


      /** Runs the postprocessors after step @p step; returns their
       *  statistics. */
      template <int dim>
      Statistics
      postprocess(Run<dim> &run, const unsigned int step, const MPI_Comm comm)
      {
        Problem<dim>     &problem   = *run.problem;
        const auto        cell_data = problem.cell_data();
        FieldContext<dim> context{comm,
                                  problem.get_dof_handler(),
                                  problem.get_mapping(),
                                  problem.get_constraints(),
                                  problem.get_quadrature(),
                                  problem.locally_owned_dofs(),
                                  problem.locally_relevant_dofs(),
                                  step,
                                  problem.time(),
                                  run.output.directory,
                                  "solution",
                                  {}};
        for (const auto &d : cell_data)
          context.cell_data.emplace_back(d.first, &d.second);
        context.cell_data.emplace_back("error_indicator",
                                       &problem.error_indicators());
        // What the problem knows of its exact solution.
        context.conserved_integral = problem.conserved_integral();
        context.parameters         = problem.pde_parameters();
        TrilinosWrappers::MPI::Vector exact(problem.solution);
        if (problem.interpolate_exact_solution(exact))
          {
            problem.get_constraints().distribute(exact);
            context.reference = &exact;
          }
        Statistics statistics;
        for (auto &p : run.postprocessors)
          for (const auto &s : p.second->execute(context, problem.solution))
            statistics.push_back(s);
        problem.distribute_solution(problem.solution);
        return statistics;
      }


      /**
       * One step: the problem advances (solving with the primary hook and
       * the comparisons), the step and its solves are printed, the
       * postprocessors run, and the rows join the summary, which is
       * written again so that a run stopped later leaves what it did.
       */
      template <int dim>
      void
      run_step(Run<dim>              &run,
               SolverWithComparisons &solver,
               const unsigned int     step,
               TimerOutput           &timer,
               ResultTable           &table,
               std::ostream          &out,
               const MPI_Comm         comm)
      {
        Problem<dim>      &problem = *run.problem;
        const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
        // The problem's work runs on all ranks together; an exception on
        // some of them only ends the job instead of hanging it. (It times
        // its own phases; the solver its solves.)
        abort_on_lone_failure(comm,
                              "Problem '" + run.problem_settings.name +
                                "' (step " + std::to_string(step) + ")",
                              [&]() { problem.advance(step, solver); });
        const unsigned int        n_solves = solver.n_solves();
        std::vector<SolverReport> reports  = solver.take_reports();
        if (rank == 0)
          {
            out << problem.describe_step(step) << '\n';
            for (const auto &r : reports)
              print_solver_line(out, r);
          }

        Statistics statistics;
        if (problem.is_output_step(step))
          {
            TimerSection section(&timer, "postprocess");
            statistics = postprocess(run, step, comm);
          }

        const auto n_cells =
          problem.get_triangulation().n_global_active_cells();
        const auto n_dofs = problem.get_dof_handler().n_dofs();
        for (unsigned int k = 0; k < reports.size(); ++k)
          {
            table.new_row();
            table.set("cycle", step);
            table.set("n_cells", n_cells);
            table.set("n_dofs", n_dofs);
            for (const auto &c : problem.step_columns(step))
              table.set(c.first, c.second);
            if (n_solves > 1)
              table.set("linear_solves", n_solves);
            add_solver_columns(table, reports[k]);
            if (k == 0)
              for (const auto &s : statistics)
                table.set(s.first, s.second);
          }

        decide_collectively(comm, [&]() {
          if (rank == 0)
            write_summary(run.output.directory,
                          run.problem_settings,
                          Utilities::MPI::n_mpi_processes(comm),
                          table);
        });
      }


      template <int dim>
      ResultTable
      run_problem(ParameterHandler &prm, std::ostream &out)
      {
        const MPI_Comm     comm    = MPI_COMM_WORLD;
        const unsigned int rank    = Utilities::MPI::this_mpi_process(comm);
        const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
        ConditionalOStream pcout(out, rank == 0);

        Run<dim> run = create_run<dim>(prm, comm);
        prepare_output(run.output, prm, comm);
        pcout << "Problem " << run.problem_settings.name << ", " << dim
              << "-D, Q" << run.problem_settings.fe_degree << ", " << n_ranks
              << " MPI rank(s); linear solver " << run.solver_settings.method
              << '\n';

        ResultTable        table;
        std::exception_ptr failure;
        {
          TimerOutput           timer(comm,
                            pcout,
                            run.output.print_timings ? TimerOutput::summary :
                                                                 TimerOutput::never,
                            TimerOutput::wall_times);
          SolverWithComparisons solver(std::move(run.solver),
                                       std::move(run.comparisons),
                                       &timer);
          run.problem->set_timer(&timer);
          try
            {
              for (unsigned int step = 0; step < run.problem->n_steps(); ++step)
                run_step(run, solver, step, timer, table, out, comm);
            }
          catch (...)
            {
              // Only failures all ranks share get here (the others end the
              // job where they happen). The timer is closed normally, but
              // prints nothing for a run that failed.
              failure = std::current_exception();
              timer.disable_output();
            }
          run.problem->set_timer(nullptr);
        }
        if (failure)
          std::rethrow_exception(failure);

        pcout << '\n';
        if (rank == 0)
          print_summary(out, table, run.output.print_timings);
        pcout << "\nSummary written to " << run.output.directory
              << "/summary.json\n";
        return table;
      }
    } // namespace


    ResultTable
    run(ParameterHandler &prm, std::ostream &out)
    {
      prm.enter_subsection("Problem");
      const unsigned int dim = prm.get_integer("Dimension");
      prm.leave_subsection();
      switch (dim)
        {
          case 1:
            return run_problem<1>(prm, out);
          case 2:
            return run_problem<2>(prm, out);
          default:
            return run_problem<3>(prm, out);
        }
    }
  } // namespace Driver
} // namespace dealii_learned
