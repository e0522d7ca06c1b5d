// Online training in a host's time loop: examples/heat_time_loop's loop
// (step-26, small: 20 steps on the L-shape refined 3 times with up to 2
// adaptive levels, remeshed every 5 steps) solved by `dcdm` with `Online
// training = true` in the deterministic mode (every system joins a window
// of 3, then 3 Adam steps; a check every 4 solves) and `Save model`.
// Checked:
//  - every step converges and gives the temperatures of CG+SSOR (both
//    solved to 1e-12), whatever the network does;
//  - the checks happen at solves 4, 8, ..., 20 and their notes give the
//    trained and the in-use network's iterations on that system; a swap
//    happens only when the trained one needs at most as many;
//  - the same run again gives the same iterations, checks and saved model
//    (the deterministic mode);
//  - the saved model loads, says it was trained online and differs from
//    the shipped one;
//  - training with a learning rate of 0.5: its weights are refused at
//    the checks where they need more iterations, every step converges;
//  - `fcg-neural` learns the same way (its checks count flexible CG's
//    iterations);
//  - with the time budget instead, every step converges; a budget of 1e-6
//    buys the first system's data only, one of 50 trains and checks;
//  - without `Save model` nothing is written; a `Save model` in a
//    directory that cannot be written, or online training with a budget
//    given as text, is a named error when the hook is made.
// The 2-rank run trains on each rank's block and checks the averaged
// weights; its own output.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/models/direction_network.h>
#include <dealii-learned/solvers/learned_solvers.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../../examples/heat_time_loop/heat_equation.h"
#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

namespace
{
  std::unique_ptr<SolverHook>
  hook(const std::string &section)
  {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    prm.parse_input_from_string("subsection Linear solver\n"
                                "  set Relative tolerance = 1e-12\n" +
                                section + "end\n");
    return LinearSolver::create(prm);
  }


  std::string
  online_section(const std::string &save,
                 const std::string &learning_rate = "0.002")
  {
    return "  set Method = dcdm\n"
           "  subsection dcdm\n"
           "    set Reuse network          = auto\n"
           "    set Online training        = true\n"
           "    set Online deterministic   = true\n"
           "    set Online steps per solve = 3\n"
           "    set Online window          = 3\n"
           "    set Online check every     = 4\n"
           "    set Online Lanczos steps   = 10\n"
           "    set Online learning rate   = " +
           learning_rate +
           "\n"
           "    set Save model             = " +
           save +
           "\n"
           "  end\n";
  }


  struct Run
  {
    std::vector<heat_time_loop::StepResult> steps;
    std::vector<std::string>                notes;
  };


  Run
  run_loop(SolverHook &solver)
  {
    heat_time_loop::HeatSettings s;
    s.initial_refinement = 3;
    s.adaptive_levels    = 2;
    s.n_steps            = 20;
    s.remesh_every       = 5;
    heat_time_loop::HeatEquation<2> heat(MPI_COMM_WORLD, s);
    Run                             run;
    while (!heat.finished())
      {
        run.steps.push_back(heat.do_step(
          [&solver](const TrilinosWrappers::SparseMatrix &A,
                    TrilinosWrappers::MPI::Vector        &x,
                    const TrilinosWrappers::MPI::Vector  &b) {
            return solver.solve(A, x, b);
          }));
        for (const auto &n : run.steps.back().report.notes)
          run.notes.push_back("step " +
                              std::to_string(run.steps.back().step) + ": " +
                              n);
      }
    return run;
  }


  double
  detail(const SolverReport &r, const std::string &name)
  {
    for (const auto &[key, value] : r.details)
      if (key == name)
        return value;
    return -1.;
  }


  std::string
  file_content(const std::string &name)
  {
    std::ifstream     in(name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
} // namespace


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  const bool rank0 = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;

  auto      ssor      = hook("  set Method = cg\n  set Preconditioner = ssor\n");
  const Run reference = run_loop(*ssor);

  if (rank0)
    std::filesystem::remove("online.dlm");
  MPI_Barrier(MPI_COMM_WORLD);
  auto      online = hook(online_section("online.dlm"));
  const Run first  = run_loop(*online);
  bool      same_temperatures = first.steps.size() == reference.steps.size();
  for (std::size_t i = 0; same_temperatures && i < first.steps.size(); ++i)
    same_temperatures =
      first.steps[i].report.converged &&
      first.steps[i].n_dofs == reference.steps[i].n_dofs &&
      std::abs(first.steps[i].mean_temperature -
               reference.steps[i].mean_temperature) <
        1e-6 * reference.steps[i].mean_temperature;
  deallog << "every step converged, temperatures of cg(ssor): "
          << (same_temperatures ? "yes" : "no") << std::endl;
  for (const auto &r : first.steps)
    deallog << "step " << r.step << ": " << r.report.iterations
            << " iterations, checks " << detail(r.report, "online_checks")
            << ", swaps " << detail(r.report, "online_swaps") << std::endl;
  for (const auto &n : first.notes)
    deallog << n << std::endl;
  const std::string saved = file_content("online.dlm");

  // The deterministic mode: the same run again.
  if (rank0)
    std::filesystem::remove("online.dlm");
  MPI_Barrier(MPI_COMM_WORLD);
  auto      again  = hook(online_section("online.dlm"));
  const Run second = run_loop(*again);
  bool      same   = second.notes == first.notes;
  for (std::size_t i = 0; same && i < first.steps.size(); ++i)
    same = first.steps[i].report.iterations ==
           second.steps[i].report.iterations;
  deallog << "the same run again: same iterations and checks: "
          << (same ? "yes" : "no")
          << ", same saved model: " << (file_content("online.dlm") == saved ?
                                          "yes" :
                                          "no")
          << std::endl;

  // The saved model.
  const unsigned int swaps =
    static_cast<unsigned int>(detail(first.steps.back().report,
                                     "online_swaps"));
  if (swaps > 0)
    {
      const DirectionNetworkModel model = DirectionNetworkModel::load(
        "online.dlm");
      const DirectionNetworkModel shipped =
        DirectionNetworkModel::load(default_model_file());
      deallog << "saved model: trained " << model.metadata.at("trained")
              << ", swaps " << model.metadata.at("online_swaps")
              << ", differs from the shipped one: "
              << (model.flatten() != shipped.flatten() ? "yes" : "no")
              << std::endl;
    }
  else
    deallog << "no swap: saved model written: "
            << (std::filesystem::exists("online.dlm") ? "yes" : "no")
            << std::endl;

  // Training with far too large a step: its weights are tried and
  // refused, and every solve still converges with the network in use.
  {
    auto      wild  = hook(online_section("", "0.5"));
    const Run wrong = run_loop(*wild);
    bool      converged = true;
    for (const auto &r : wrong.steps)
      converged = converged && r.report.converged;
    deallog << "learning rate 0.5: every step converged: "
            << (converged ? "yes" : "no") << ", swaps "
            << detail(wrong.steps.back().report, "online_swaps") << " of "
            << detail(wrong.steps.back().report, "online_checks")
            << " checks" << std::endl;
    for (const auto &n : wrong.notes)
      deallog << n << std::endl;
  }

  // fcg-neural learns the same way; its checks count flexible CG's
  // iterations with the network as preconditioner.
  {
    std::string section = online_section("");
    section.replace(section.find("set Method = dcdm"),
                    std::string("set Method = dcdm").size(),
                    "set Method = fcg-neural");
    section.replace(section.find("subsection dcdm"),
                    std::string("subsection dcdm").size(),
                    "subsection fcg-neural");
    auto      fcg     = hook(section);
    const Run flexible = run_loop(*fcg);
    bool      fcg_ok   = true;
    for (std::size_t i = 0; i < flexible.steps.size(); ++i)
      fcg_ok = fcg_ok && flexible.steps[i].report.converged &&
               std::abs(flexible.steps[i].mean_temperature -
                        reference.steps[i].mean_temperature) <
                 1e-6 * reference.steps[i].mean_temperature;
    deallog << "fcg-neural online: every step converged with cg(ssor)'s "
               "temperatures: "
            << (fcg_ok ? "yes" : "no") << ", checks "
            << detail(flexible.steps.back().report, "online_checks")
            << std::endl;
    for (const auto &n : flexible.notes)
      deallog << n << std::endl;
  }

  // The time budget (not deterministic), at its extremes, where the
  // outcome does not depend on the machine's speed: a budget of 1e-6 of
  // the solve time pays for the first system's data and nothing more (no
  // Adam step, no check); one of 50 times the solve time trains after
  // every solve and checks at solve 4.
  for (const std::string budget : {"0.000001", "50"})
    {
      std::string section = online_section("");
      section.replace(section.find("set Online deterministic   = true"),
                      std::string("set Online deterministic   = true").size(),
                      "set Online deterministic   = false\n"
                      "    set Online budget          = " +
                        budget);
      auto      budgeted  = hook(section);
      const Run timed     = run_loop(*budgeted);
      bool      converged = true;
      for (const auto &r : timed.steps)
        converged = converged && r.report.converged;
      const SolverReport &last = timed.steps.back().report;
      deallog << "time budget " << budget << ": every step converged: "
              << (converged ? "yes" : "no") << ", Adam steps "
              << (detail(last, "online_steps") > 0 ? "some" : "none")
              << ", checks "
              << (detail(last, "online_checks") > 0 ? "some" : "none")
              << std::endl;
    }

  // Nothing on disk without `Save model`.
  const std::filesystem::path here = std::filesystem::current_path();
  if (rank0)
    {
      std::filesystem::remove_all("quiet");
      std::filesystem::create_directory("quiet");
    }
  MPI_Barrier(MPI_COMM_WORLD);
  std::filesystem::current_path("quiet");
  {
    auto quiet = hook(online_section(""));
    run_loop(*quiet);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  deallog << "without Save model, files written: "
          << std::distance(std::filesystem::directory_iterator("."),
                           std::filesystem::directory_iterator())
          << std::endl;
  std::filesystem::current_path(here);

  // Bad input.
  for (const std::string &section :
       {online_section("/proc/no-such-dir/model.dlm"),
        std::string("  set Method = dcdm\n  subsection dcdm\n"
                    "    set Online training = true\n"
                    "    set Online budget = a quarter\n  end\n")})
    try
      {
        hook(section);
        deallog << "no error" << std::endl;
      }
    catch (const std::exception &e)
      {
        const std::string what = e.what();
        deallog << "error names "
                << (what.find("Save model") != std::string::npos ?
                      "Save model" :
                    what.find("Online budget") != std::string::npos ?
                      "Online budget" :
                      "something else: " + what)
                << std::endl;
      }
  return 0;
}
