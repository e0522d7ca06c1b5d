// `dealii-learned train` in-process: data produced online from the
// problem's refinement cycles, progress per epoch, a model file with its
// training metadata; the same parameters give the same file bit for bit; a
// run resumed from a checkpoint continues after the last completed epoch;
// an unwritable destination is refused before any training.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

DirectionNetworkModel
train(const std::string &model_file, const unsigned int epochs, std::string &screen)
{
  std::ofstream("train.prm") << "subsection Problem\n"
                                "  set Initial global refinement = 2\n"
                                "  set Refinement cycles = 2\n"
                                "end\n"
                                "subsection Training\n"
                                "  set Model file = "
                             << model_file << "\n  set Epochs = " << epochs
                             << "\n  set Samples per matrix = 16\n"
                                "  set Lanczos steps = 20\n"
                                "  set Coefficient contrasts = 100\n"
                                "end\n";
  ParameterHandler prm;
  Driver::read_parameters("train.prm", prm);
  std::ostringstream out;
  const auto         model = Driver::train(prm, out);
  screen                   = out.str();
  return model;
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  std::string screen;
  const auto  first = train("first.dlm", 3, screen);
  std::istringstream lines(screen);
  std::string        line;
  while (std::getline(lines, line))
    if (line.rfind("  data:", 0) == 0 || line.rfind("Training data", 0) == 0 ||
        line.rfind("Model written", 0) == 0)
      // Timings are not compared.
      deallog << line.substr(0, line.find(" right-hand sides")) << std::endl;
    else if (line.rfind("epoch ", 0) == 0)
      deallog << line.substr(0, line.find(':')) << std::endl;

  const auto loaded = DirectionNetworkModel::load("first.dlm");
  deallog << "file holds the returned model " << (loaded.flatten() == first.flatten())
          << ", epochs_completed " << loaded.metadata.at("epochs_completed")
          << ", problem " << loaded.metadata.at("problem")
          << ", no checkpoint left " << !std::filesystem::exists("first.dlm.checkpoint")
          << std::endl;

  const auto again = train("again.dlm", 3, screen);
  deallog << "same parameters, same weights " << (again.flatten() == first.flatten())
          << std::endl;

  // Resume: a checkpoint after epoch 3 of a 5-epoch run.
  std::filesystem::copy_file("first.dlm", "resumed.dlm.checkpoint",
                             std::filesystem::copy_options::overwrite_existing);
  const auto resumed = train("resumed.dlm", 5, screen);
  deallog << "resumed after epoch 3 "
          << (screen.find("Resuming from resumed.dlm.checkpoint after epoch 3") !=
              std::string::npos)
          << ", ran epochs 4 and 5 only "
          << (screen.find("epoch 4/5") != std::string::npos &&
              screen.find("epoch 5/5") != std::string::npos &&
              screen.find("epoch 3/5") == std::string::npos)
          << ", epochs_completed " << resumed.metadata.at("epochs_completed")
          << std::endl;

  // An unwritable destination is refused before training starts.
  try
    {
      std::ofstream("blocker") << "a file\n";
      train("blocker/model.dlm", 1, screen);
      deallog << "no error (wrong)" << std::endl;
    }
  catch (const std::exception &e)
    {
      deallog << "error: " << error_message(e) << std::endl;
    }
}
