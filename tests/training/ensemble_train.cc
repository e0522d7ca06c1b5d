// The ensemble trainer through `dealii-learned train` (in-process): data
// made online by the GPME solver, a few epochs, the model file; a run
// stopped after one epoch and resumed gives the same file as an
// uninterrupted one. Then bad input: rows of another width (a model used
// on a mesh of another dimension), a truncated and a missing model file;
// each is an error that names the problem. (A prior with NaN or a
// negative variance: tests/conservation/probconserv_update.)

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/gaussian_field.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/models/ensemble_model.h>
#include <dealii-learned/training/trainer.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

std::string
train(const std::string &model_file, const unsigned int epochs_per_run)
{
  std::ofstream("ensemble.prm")
    << "subsection Problem\n"
       "  set Name = gpme\n"
       "  set Dimension = 1\n"
       "  set Initial global refinement = 3\n"
       "  subsection gpme\n"
       "    set Equation = pme\n"
       "    set Final time = 0.1\n"
       "    set Time step = 0.01\n"
       "  end\n"
       "end\n"
       "subsection Training\n"
       "  set Model = ensemble\n"
       "  set Model file = "
    << model_file
    << "\n  set Epochs = 4\n  set Epochs per run = " << epochs_per_run
    << "\n  subsection ensemble\n"
       "    set Members = 2\n"
       "    set Hidden width = 4\n"
       "    set Hidden layers = 1\n"
       "    set Batch size = 16\n"
       "    set Mean warm-up epochs = 2\n"
       "    set Sampled parameter = Exponent\n"
       "    set Parameter values = 2, 3\n"
       "    set Snapshots per run = 2\n"
       "  end\n"
       "end\n";
  ParameterHandler prm;
  Driver::read_parameters("ensemble.prm", prm);
  std::ostringstream out;
  Training::run(prm, out);
  return out.str();
}

std::string
content(const std::string &file)
{
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();
  for (const auto &entry : std::filesystem::directory_iterator("."))
    if (entry.path().filename().string().find(".dle") != std::string::npos)
      std::filesystem::remove(entry.path());

  std::istringstream screen(train("full.dle", 0));
  for (std::string line; std::getline(screen, line);)
    if (line.rfind("  data:", 0) == 0 || line.rfind("Training data", 0) == 0)
      deallog << line.substr(0, line.find(", 2 runs")) << std::endl;
    else if (line.rfind("epoch ", 0) == 0)
      deallog << line.substr(0, line.find(':')) << std::endl;

  const EnsembleModel model = EnsembleModel::load("full.dle");
  deallog << "model: inputs " << join(model.input_names(), " ") << ", members "
          << model.n_members() << ", samples " << model.metadata.at("samples")
          << ", epochs " << model.metadata.at("epochs_completed") << std::endl;
  FullMatrix<double> inputs(2, 3);
  inputs(0, 0) = 0.;
  inputs(0, 1) = 0.05;
  inputs(0, 2) = 2.;
  inputs(1, 0) = 0.5;
  inputs(1, 1) = 0.05;
  inputs(1, 2) = 3.;
  std::vector<Vector<double>> means, variances;
  model.predict(inputs, means, variances);
  deallog << "predictions finite and variances positive "
          << (std::isfinite(means[0][0] + means[1][1]) &&
              variances[0][0] > 0. && variances[1][1] > 0.)
          << std::endl;

  train("split.dle", 1);
  deallog << "stopped after epoch 1: checkpoint "
          << std::filesystem::exists("split.dle.checkpoint.model")
          << ", no model " << !std::filesystem::exists("split.dle")
          << std::endl;
  const std::string resumed = train("split.dle", 0);
  std::string       a = content("full.dle"), b = content("split.dle");
  // The configuration line names the model file, which differs.
  const auto strip = [](std::string s) {
    const auto p = s.find("meta configuration");
    return s.erase(p, s.find('\n', p) - p);
  };
  deallog << "resumed after epoch 1 "
          << (resumed.find(
                "Resuming from split.dle.checkpoint after epoch 1") !=
              std::string::npos)
          << ", same weights as the uninterrupted run "
          << (strip(a) == strip(b)) << std::endl;

  // Bad input.
  expect_exception("rows of another width", [&]() {
    FullMatrix<double> wide(1, 4);
    model.predict(wide, means, variances);
  });
  expect_exception("truncated model file", [&]() {
    const std::string text = content("full.dle");
    // Whole lines cut off, so that the message does not quote a weight.
    std::ofstream("truncated.dle")
      << text.substr(0, text.rfind('\n', text.size() - 40) + 1);
    EnsembleModel::load("truncated.dle");
  });
  expect_exception("missing model file",
                   [&]() { EnsembleModel::load("absent.dle"); });
}
