// The loop a program follows to teach the learned solver its own systems:
// 1. record: a 2-D elasticity program (the built-in problem, three adaptive
//    cycles) solves with cg+amg and `Record systems`, handing the hook its
//    rigid-body modes;
// 2. train: `dealii-learned train` in-process on those records alone
//    (`Built-in problems = false`), with a checkpoint after every epoch;
// 3. use: `dcdm` with the new model file on a larger system of the same
//    program that training never saw.
// Checked: the data lines name the recorded systems with their sizes and
// components, the model's metadata counts them, the same command gives the
// same weights, the new model solves the unseen system (converged, to the
// tolerance), a resumed training whose records changed is refused, and so
// is training with no data at all.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/models/direction_network.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/training/trainer.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;
namespace fs = std::filesystem;


std::unique_ptr<Problem<2>>
elasticity(ParameterHandler &prm, const unsigned int refinement)
{
  ProblemSettings settings;
  settings.name                      = "elasticity";
  settings.dimension                 = 2;
  settings.initial_global_refinement = refinement;
  auto problem = ProblemParameters::create<2>(settings, prm);
  problem->setup_system();
  problem->assemble_system();
  return problem;
}


std::string
train(const std::string &model_file,
      const std::string &builtin,
      const unsigned int epochs_per_run = 0)
{
  std::ofstream("train.prm")
    << "subsection Training\n"
       "  set Model file = "
    << model_file
    << "\n  set Epochs = 3\n  set Epochs per run = " << epochs_per_run
    << "\n  subsection direction-network\n"
       "    set Built-in problems = "
    << builtin
    << "\n    set Recorded systems = " << (builtin == "true" ? "" : "records")
    << "\n    set Samples per matrix = 8\n"
       "    set Lanczos steps = 20\n"
       "  end\n"
       "end\n";
  ParameterHandler prm;
  Driver::read_parameters("train.prm", prm);
  std::ostringstream out;
  Training::run(prm, out);
  return out.str();
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();
  fs::remove_all("records");
  for (const auto &entry : fs::directory_iterator("."))
    if (entry.path().filename().string().find(".dlm") != std::string::npos)
      fs::remove(entry.path());

  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  LinearSolver::declare_parameters(prm);

  // 1. Record.
  {
    auto           problem = elasticity(prm, 2);
    SolverSettings s;
    s.record_directory = "records";
    auto hook          = LinearSolver::create(s, prm);
    for (unsigned int cycle = 0; cycle < 3; ++cycle)
      problem->solve_estimate_refine(*hook);
  }

  // 2. Train on the records alone.
  const std::string  screen = train("own.dlm", "false");
  std::istringstream lines(screen);
  std::string        line;
  while (std::getline(lines, line))
    if (line.rfind("  data:", 0) == 0 || line.rfind("epoch ", 0) == 0)
      deallog << line.substr(0, line.find(": loss")) << std::endl;
  const DirectionNetworkModel own = DirectionNetworkModel::load("own.dlm");
  deallog << "model: training_matrices " << own.metadata.at("training_matrices")
          << ", training_problems " << own.metadata.at("training_problems")
          << std::endl;
  train("again.dlm", "false");
  deallog << "same records, same weights: "
          << (DirectionNetworkModel::load("again.dlm").flatten() ==
              own.flatten())
          << std::endl;

  // 3. Use it on a larger system of the same program.
  {
    auto problem = elasticity(prm, 4);
    prm.enter_subsection("Linear solver");
    prm.enter_subsection("dcdm");
    prm.set("Model file", "own.dlm");
    prm.leave_subsection();
    prm.leave_subsection();
    SolverSettings s;
    s.method  = "dcdm";
    auto hook = LinearSolver::create(s, prm);
    hook->set_structure(problem->system_structure());
    const SolverReport r = hook->solve(problem->system_matrix,
                                       problem->solution,
                                       problem->system_rhs);
    deallog << "unseen system of " << problem->system_matrix.m()
            << " DoFs with the new model: converged " << r.converged
            << ", relative residual below 1e-8 "
            << (r.relative_residual <= 1e-8) << std::endl;
  }

  // A checkpoint of other records is refused: a run stopped after epoch 1,
  // then one system fewer in the index.
  train("resumed.dlm", "false", 1);
  {
    std::ifstream            in("records/index.txt");
    std::vector<std::string> kept;
    while (std::getline(in, line))
      kept.push_back(line);
    std::ofstream out("records/index.txt");
    for (std::size_t i = 0; i + 1 < kept.size(); ++i)
      out << kept[i] << '\n';
  }
  expect_exception("resume with changed records",
                   [&]() { train("resumed.dlm", "false"); });
  // Nothing to train on.
  expect_exception("no data", [&]() {
    std::ofstream("train.prm")
      << "subsection Training\n  subsection direction-network\n"
         "    set Built-in problems = false\n  end\nend\n";
    ParameterHandler p;
    Driver::read_parameters("train.prm", p);
    std::ostringstream out;
    Training::run(p, out);
  });
}
