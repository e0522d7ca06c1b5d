// The hard-constraint trainer through `dealii-learned train` (in-process):
// a small network for the diffusion-reaction residual, trained without
// data on the energy norm of R(u) (the trainer's default) for parameters
// drawn online, with four learned smoothing steps, with each method (soft:
// the residual as the loss; hard: the layer with one expert; moe: four
// experts). Recorded: bounds on the validation loss of the untrained and
// the trained network (soft, hard), the model file is written, and a moe run
// stopped after one epoch and resumed writes the same model file as an
// uninterrupted one.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/training/trainer.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

std::string
train(const std::string &method,
      const std::string &model_file,
      const unsigned int epochs_per_run)
{
  std::ofstream("hard.prm")
    << "subsection Training\n"
       "  set Model = hard-constraint\n"
       "  set Model file = "
    << model_file
    << "\n  set Epochs = 4\n  set Epochs per run = " << epochs_per_run
    << "\n  subsection hard-constraint\n"
       "    set Method = "
    << method
    << "\n"
       "    set Experts = 4\n"
       "    set Basis fields = 4\n"
       "    set Hidden width = 8\n"
       "    set Hidden layers = 1\n"
       "    set Learning rate = 0.01\n"
       "    set Samples per epoch = 3\n"
       "    set Validation samples = 2\n"
       "    set Global refinement = 3\n"
       "    set Basis smoothing steps = 4\n"
       "    set Residual = diffusion-reaction\n"
       "  end\n"
       "end\n";
  ParameterHandler prm;
  Driver::read_parameters("hard.prm", prm);
  std::ostringstream out;
  Training::run(prm, out);
  return out.str();
}

/** The loss of "epoch 0: loss X" and of "(final loss Y)". */
std::pair<double, double>
losses(const std::string &screen)
{
  const auto first = screen.find("epoch 0: loss ");
  const auto last  = screen.find("(final loss ");
  AssertThrow(first != std::string::npos && last != std::string::npos,
              ExcMessage("no losses in:\n" + screen));
  return {std::stod(screen.substr(first + 14)),
          std::stod(screen.substr(last + 12))};
}

std::string
content(const std::string &file)
{
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();
  for (const auto &entry : std::filesystem::directory_iterator("."))
    if (entry.path().filename().string().find(".dlh") != std::string::npos)
      std::filesystem::remove(entry.path());

  for (const std::string method : {"soft", "hard", "moe"})
    {
      const std::string screen   = train(method, method + ".dlh", 0);
      const auto [before, after] = losses(screen);
      std::istringstream lines(screen);
      for (std::string line; std::getline(lines, line);)
        if (line.rfind("Training data", 0) == 0)
          deallog << line.substr(0, line.rfind(',')) << std::endl;
      // (moe: the stitched field's residual on the rows between experts,
      // which no expert controls, dominates, and 12 steps do not lower it;
      // recorded is only that it trains to a finite loss.)
      if (method == "moe")
        deallog << method << ": validation loss finite: "
                << (std::isfinite(after) && std::isfinite(before));
      else if (method == "soft")
        // (The energy norm of the error relative to u_0's, squared:
        // measured 77.5 -> 8.0; an untrained network is far worse than
        // u_0, a trained one must at least fall by five.)
        deallog << method << ": validation loss falls by a factor 5: "
                << (after < before / 5.);
      else
        // (Measured 0.056 -> 0.051: the Galerkin fit on the smoothed
        // fields is good before training on 81 DoFs; a broken layer or
        // smoother gives a loss near 1 or above.)
        deallog << method << ": validation loss falls and is below 0.1: "
                << (after < before && after < 0.1);
      deallog << ", model file written: "
              << (std::filesystem::file_size(method + ".dlh") > 0) << std::endl;
    }

  // (The same model file name: it is part of the configuration the file
  // records.)
  const std::string uninterrupted = content("moe.dlh");
  std::filesystem::remove("moe.dlh");
  train("moe", "moe.dlh", 1);
  deallog << "moe stopped after epoch 1: no model "
          << !std::filesystem::exists("moe.dlh") << std::endl;
  train("moe", "moe.dlh", 0);
  deallog << "resumed: the same model file as the uninterrupted run "
          << (content("moe.dlh") == uninterrupted) << std::endl;
}
