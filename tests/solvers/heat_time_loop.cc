// The time loop of examples/heat_time_loop (step-26 on a distributed
// adaptive mesh), small: 15 Crank-Nicolson steps on the L-shape refined 3
// times with up to 2 adaptive levels, remeshed every 5 steps, as the
// example program runs it with three parameter files, solved to a
// relative residual of 1e-12 (so that every hook's solutions give the same
// meshes).
// 1. CG with SSOR (heat_time_loop.prm): per step the DoFs, whether the mesh
//    changed and the mean temperature, which grows while the source is on.
// 2. Method = auto with CG+SSOR and CG without a preconditioner: every step
//    converges and gives the same temperatures (which hook it keeps depends
//    on the machine's timings and is not printed).
// 3. CG with SSOR recording every 5th system (heat_time_loop-record.prm):
//    the records hold the systems of steps 1, 6 and 11, of the sizes the
//    loop had then, and their recorded solutions solve them.
// The serial and 2-rank outputs are the same.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/solvers/system_recorder.h>

#include <filesystem>

#include "../../examples/heat_time_loop/heat_equation.h"
#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

namespace
{
  heat_time_loop::HeatSettings
  small_loop()
  {
    heat_time_loop::HeatSettings s;
    s.initial_refinement = 3;
    s.adaptive_levels    = 2;
    s.n_steps            = 15;
    s.remesh_every       = 5;
    return s;
  }


  std::unique_ptr<SolverHook>
  hook(const std::string &linear_solver_section)
  {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    prm.parse_input_from_string("subsection Linear solver\n"
                                "  set Relative tolerance = 1e-12\n" +
                                linear_solver_section + "end\n");
    return LinearSolver::create(prm);
  }


  /** The loop with @p solver; the step results. */
  std::vector<heat_time_loop::StepResult>
  run_loop(SolverHook &solver)
  {
    heat_time_loop::HeatEquation<2>         heat(MPI_COMM_WORLD, small_loop());
    std::vector<heat_time_loop::StepResult> steps;
    while (!heat.finished())
      steps.push_back(heat.do_step(
        [&solver](const TrilinosWrappers::SparseMatrix &A,
                  TrilinosWrappers::MPI::Vector        &x,
                  const TrilinosWrappers::MPI::Vector  &b) {
          return solver.solve(A, x, b);
        }));
    return steps;
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  const bool rank0 = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;

  // 1. CG with SSOR.
  auto ssor = hook("  set Method = cg\n  set Preconditioner = ssor\n");
  const std::vector<heat_time_loop::StepResult> reference = run_loop(*ssor);
  bool all_converged = true;
  for (const auto &r : reference)
    {
      deallog << "cg(ssor) step " << r.step << ", t = " << r.time << ": "
              << r.n_dofs << " DoFs" << (r.remeshed ? " (remeshed)" : "")
              << ", mean temperature " << std::setprecision(6)
              << r.mean_temperature << std::endl;
      all_converged = all_converged && r.report.converged &&
                      r.report.iterations > 0 && r.report.iterations < 60;
    }
  deallog << "every step converged in 1 to 59 iterations: "
          << (all_converged ? "yes" : "no") << std::endl;

  // 2. Method = auto: the same temperatures, whichever hook it keeps.
  auto automatic = hook("  set Method = auto\n"
                        "  subsection auto\n"
                        "    set Candidates = cg:ssor, cg:none\n"
                        "  end\n");
  const std::vector<heat_time_loop::StepResult> chosen = run_loop(*automatic);
  double largest_difference = 0.;
  bool   auto_ok            = chosen.size() == reference.size();
  for (std::size_t i = 0; auto_ok && i < chosen.size(); ++i)
    {
      auto_ok = chosen[i].report.converged &&
                chosen[i].report.method == "auto" &&
                chosen[i].n_dofs == reference[i].n_dofs;
      largest_difference =
        std::max(largest_difference,
                 std::abs(chosen[i].mean_temperature -
                          reference[i].mean_temperature) /
                   reference[i].mean_temperature);
    }
  deallog << "auto: every step converged on the same mesh: "
          << (auto_ok ? "yes" : "no")
          << ", mean temperatures agree to 1e-6: "
          << (largest_difference < 1e-6 ? "yes" : "no") << std::endl;

  // 3. Recording every 5th system.
  const std::string records = "heat-records";
  if (rank0)
    std::filesystem::remove_all(records);
  MPI_Barrier(MPI_COMM_WORLD);
  {
    auto recording = hook("  set Method = cg\n  set Preconditioner = ssor\n"
                          "  set Record systems = " +
                          records + "\n  set Record every = 5\n");
    run_loop(*recording);
  }
  const RecordedSystems recorded(records);
  deallog << "recorded systems: " << recorded.size() << std::endl;
  for (std::size_t i = 0; i < recorded.size(); ++i)
    {
      TrilinosWrappers::SparseMatrix A;
      TrilinosWrappers::MPI::Vector  x, b;
      SystemStructure                structure;
      recorded.load(i, A, x, b, structure);
      TrilinosWrappers::MPI::Vector r(b);
      A.vmult(r, x);
      r.sadd(-1., b);
      const unsigned int step = recorded[i].solve;
      deallog << "record " << i + 1 << ": solve " << step << ", "
              << recorded[i].size << " unknowns (the loop had "
              << reference[step - 1].n_dofs
              << "), residual of the recorded solution below 1e-7 |b|: "
              << (r.l2_norm() < 1e-7 * b.l2_norm() ? "yes" : "no")
              << std::endl;
    }
  return 0;
}
