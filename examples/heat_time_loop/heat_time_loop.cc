/*
 * heat_time_loop: a user's own time loop (deal.II's step-26, the heat
 * equation with moving sources on an adaptive mesh; see heat_equation.h)
 * whose solve of each step is the solver hook of its parameter file.
 *
 * A time loop solves hundreds of related systems, which is where a solver
 * can learn from the program's own systems:
 *   heat_time_loop.prm          CG with SSOR, the method step-26 uses;
 *   heat_time_loop-record.prm   the same, recording every 10th system into
 *                               heat-records/ for `dealii-learned train`;
 *   heat_time_loop-train.prm    (for `dealii-learned train`) trains a
 *                               direction network on those records;
 *   heat_time_loop-dcdm.prm     DCDM with the network trained on them;
 *   heat_time_loop-online.prm   DCDM that keeps training its network on
 *                               the systems it solves (Online training),
 *                               within a quarter of the solve time;
 *   heat_time_loop-auto.prm     Method = auto: times CG+SSOR, CG+AMG and
 *                               DCDM on the first systems, keeps the
 *                               fastest.
 * It prints a line per step (DoFs, iterations, the mean temperature) and
 * the totals; with `Output every = n`, the temperature every n steps as VTU
 * (DataOut) in the working directory.
 *
 * Run:   ./heat_time_loop heat_time_loop.prm
 *        mpirun -np 2 ./heat_time_loop heat_time_loop-auto.prm
 */

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <deal.II/numerics/data_out.h>

#include <dealii-learned/base/shared_libraries.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <iomanip>
#include <iostream>
#include <set>

#include "heat_equation.h"

using namespace dealii;

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  const MPI_Comm                   comm = MPI_COMM_WORLD;
  ConditionalOStream               pcout(std::cout,
                           Utilities::MPI::this_mpi_process(comm) == 0);
  try
    {
      // 1. Parameters: the loop's own, `Output every` and the `Linear
      //    solver` section that selects the hook.
      const std::string parameter_file = argc > 1 ? argv[1] : "";
      if (!parameter_file.empty())
        dealii_learned::load_shared_libraries(
          dealii_learned::read_shared_library_list(parameter_file));
      ParameterHandler prm;
      dealii_learned::declare_shared_library_parameter(prm);
      dealii_learned::LinearSolver::declare_parameters(prm);
      heat_time_loop::HeatSettings::declare_parameters(prm);
      prm.declare_entry("Output every",
                        "0",
                        Patterns::Integer(0),
                        "Write the temperature as VTU every n steps "
                        "(0: never).");
      if (!parameter_file.empty())
        prm.parse_input(parameter_file);
      heat_time_loop::HeatSettings settings;
      settings.parse_parameters(prm);
      const unsigned int output_every = prm.get_integer("Output every");
      std::unique_ptr<dealii_learned::SolverHook> solver =
        dealii_learned::LinearSolver::create(prm);

      // 2. The loop: each step's system solved by the hook, from the
      //    previous step's solution.
      heat_time_loop::HeatEquation<2> heat(comm, settings);
      const heat_time_loop::SolveFunction solve =
        [&solver](const TrilinosWrappers::SparseMatrix &A,
                  TrilinosWrappers::MPI::Vector        &x,
                  const TrilinosWrappers::MPI::Vector  &b) {
          return solver->solve(A, x, b);
        };
      unsigned int          total_iterations = 0, n_remeshed = 0;
      double                total_seconds = 0.;
      std::set<std::string> hooks_used;
      while (!heat.finished())
        {
          const heat_time_loop::StepResult r = heat.do_step(solve);
          total_iterations += r.report.iterations;
          total_seconds += r.report.setup_seconds + r.report.solve_seconds;
          n_remeshed += r.remeshed;
          hooks_used.insert(r.report.method + "(" + r.report.preconditioner +
                            ")");
          pcout << "step " << r.step << " (t = " << r.time
                << "): " << r.n_dofs << " DoFs"
                << (r.remeshed ? " (remeshed)" : "") << ", "
                << r.report.method << "(" << r.report.preconditioner << ") "
                << r.report.iterations << " iterations"
                << (r.report.converged ? "" : " NOT converged")
                << ", mean temperature " << std::setprecision(6)
                << r.mean_temperature << "\n";
          for (const std::string &note : r.report.notes)
            pcout << "  note: " << note << "\n";

          // 3. The temperature as VTU, every `Output every` steps.
          if (output_every > 0 && r.step % output_every == 0)
            {
              DataOut<2> data_out;
              data_out.attach_dof_handler(heat.get_dof_handler());
              data_out.add_data_vector(heat.ghosted_solution(), "T");
              data_out.build_patches();
              data_out.write_vtu_with_pvtu_record(
                "./", "temperature", r.step, comm, 4);
            }
        }
      pcout << "totals: " << settings.n_steps << " solves, "
            << total_iterations << " iterations, " << total_seconds
            << " s in the solver (setup and solve), " << n_remeshed
            << " remeshings; hooks:";
      for (const std::string &h : hooks_used)
        pcout << " " << h;
      pcout << std::endl;
    }
  catch (const std::exception &e)
    {
      std::cerr << "heat_time_loop: error: " << dealii_learned::error_message(e)
                << std::endl;
      return 1;
    }
  return 0;
}
