// `dealii-learned train` in-process, with the direction-network trainer
// (the default of `Training/Model`): data produced online from the
// problem's refinement cycles, progress per epoch, a model file with its
// training metadata; the same parameters give the same file bit for bit; a
// run resumed from a checkpoint continues after the last completed epoch;
// an unwritable destination is refused before any training.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/models/direction_network.h>
#include <dealii-learned/training/trainer.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

DirectionNetworkModel
train(const std::string &model_file,
      const unsigned int epochs,
      std::string       &screen,
      const unsigned int epochs_per_run = 0)
{
  std::ofstream("train.prm") << "subsection Problem\n"
                                "  set Initial global refinement = 2\n"
                                "  set Refinement cycles = 2\n"
                                "end\n"
                                "subsection Training\n"
                                "  set Model file = "
                             << model_file << "\n  set Epochs = " << epochs
                             << "\n  set Epochs per run = " << epochs_per_run
                             << "\n  subsection direction-network\n"
                                "    set Samples per matrix = 16\n"
                                "    set Lanczos steps = 20\n"
                                "    set Coefficient contrasts = 100\n"
                                "  end\n"
                                "end\n";
  ParameterHandler prm;
  Driver::read_parameters("train.prm", prm);
  std::ostringstream    out;
  const TrainingSummary summary = Training::run(prm, out);
  screen                        = out.str();
  // A stopped run has written no model yet: its checkpoint's weights.
  return DirectionNetworkModel::load(
    summary.finished ? model_file : model_file + ".checkpoint.model");
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();
  // Nothing left over from an earlier run of this test may be resumed.
  for (const auto &entry : std::filesystem::directory_iterator("."))
    if (entry.path().filename().string().find(".dlm") != std::string::npos)
      std::filesystem::remove(entry.path());

  std::string        screen;
  const auto         first = train("first.dlm", 3, screen);
  std::istringstream lines(screen);
  std::string        line;
  while (std::getline(lines, line))
    if (line.rfind("  data:", 0) == 0 || line.rfind("Training data", 0) == 0 ||
        line.rfind("Model written", 0) == 0)
      // Timings are not compared.
      deallog << line.substr(0,
                             std::min(line.find(" right-hand sides"),
                                      line.find(" (final loss")))
              << std::endl;
    else if (line.rfind("epoch ", 0) == 0)
      deallog << line.substr(0, line.find(':')) << std::endl;

  deallog << "model file: trained " << first.metadata.at("trained")
          << ", epochs_completed " << first.metadata.at("epochs_completed")
          << ", problem " << first.metadata.at("problem")
          << ", training_matrices " << first.metadata.at("training_matrices")
          << ", seed " << first.metadata.at("seed") << ", no checkpoint left "
          << !(std::filesystem::exists("first.dlm.checkpoint") ||
               std::filesystem::exists("first.dlm.checkpoint.model") ||
               std::filesystem::exists("first.dlm.checkpoint.optimizer"))
          << std::endl;

  const auto again = train("again.dlm", 3, screen);
  deallog << "same parameters, same weights "
          << (again.flatten() == first.flatten()) << std::endl;

  // Resume: a 5-epoch run stopped after epoch 3 (Epochs per run) leaves
  // its checkpoint and no model; the next invocation resumes after epoch 3
  // and ends with the same weights as an uninterrupted 5-epoch run.
  const auto full = train("full.dlm", 5, screen);
  train("resumed.dlm", 5, screen, 3);
  deallog << "stopped after epoch 3 "
          << (screen.find("Stopped after epoch 3 of 5") != std::string::npos)
          << ", checkpoint kept "
          << (std::filesystem::exists("resumed.dlm.checkpoint") &&
              std::filesystem::exists("resumed.dlm.checkpoint.model") &&
              std::filesystem::exists("resumed.dlm.checkpoint.optimizer"))
          << ", no model yet " << !std::filesystem::exists("resumed.dlm")
          << std::endl;
  const auto resumed = train("resumed.dlm", 5, screen);
  deallog << "resumed after epoch 3 "
          << (screen.find(
                "Resuming from resumed.dlm.checkpoint after epoch 3") !=
              std::string::npos)
          << ", ran epochs 4 and 5 only "
          << (screen.find("epoch 4/5") != std::string::npos &&
              screen.find("epoch 5/5") != std::string::npos &&
              screen.find("epoch 3/5") == std::string::npos)
          << ", epochs_completed " << resumed.metadata.at("epochs_completed")
          << ", same weights as the uninterrupted run "
          << (resumed.flatten() == full.flatten()) << std::endl;

  // A checkpoint made with other parameters is refused.
  train("other.dlm", 5, screen, 1);
  std::ofstream("train.prm", std::ios::app)
    << "subsection Training\n"
       "  subsection direction-network\n"
       "    set Learning rate = 0.02\n"
       "  end\n"
       "end\n";
  try
    {
      ParameterHandler prm;
      Driver::read_parameters("train.prm", prm);
      std::ostringstream out;
      Training::run(prm, out);
      deallog << "no error (wrong)" << std::endl;
    }
  catch (const std::exception &e)
    {
      const std::string message = error_message(e);
      deallog << "error: " << message.substr(0, message.find(" (trainer"))
              << std::endl;
    }

  // An unwritable destination is refused before training starts.
  expect_exception([&]() {
    std::ofstream("blocker") << "a file\n";
    train("blocker/model.dlm", 1, screen);
  });
}
