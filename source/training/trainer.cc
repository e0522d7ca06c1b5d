#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/training/trainer.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;

  template <>
  Registry<Trainer> &
  Registry<Trainer>::instance()
  {
    static Registry<Trainer> registry;
    return registry;
  }


  void
  Trainer::parse_parameters(ParameterHandler &)
  {}


  namespace Training
  {
    namespace
    {
      /** The entries of `subsection Training` that every trainer shares. */
      struct LoopSettings
      {
        std::string  trainer;
        std::string  model_file;
        unsigned int epochs         = 20;
        unsigned int seed           = 1;
        bool         resume         = true;
        unsigned int epochs_per_run = 0;
      };


      LoopSettings
      parse_loop_settings(ParameterHandler &prm)
      {
        LoopSettings s;
        prm.enter_subsection("Training");
        s.trainer        = prm.get("Model");
        s.model_file     = prm.get("Model file");
        s.epochs         = prm.get_integer("Epochs");
        s.seed           = prm.get_integer("Seed");
        s.resume         = prm.get_bool("Resume");
        s.epochs_per_run = prm.get_integer("Epochs per run");
        prm.leave_subsection();
        AssertThrow(!s.model_file.empty(),
                    ExcMessage("Training/Model file must not be empty."));
        return s;
      }


      /**
       * The loop's own record of a checkpoint, `<Model file>.checkpoint`:
       * which trainer, which configuration, how many epochs. Written after
       * the trainer's files, so that it only ever names a complete
       * checkpoint.
       */
      struct CheckpointState
      {
        std::string  trainer;
        std::string  configuration;
        unsigned int epochs_completed = 0;
        std::string  last_epoch_loss;
      };


      void
      write_state(const std::string &filename, const CheckpointState &state)
      {
        std::ostringstream out;
        out << "dealii-learned-checkpoint 1\n"
            << "trainer " << state.trainer << '\n'
            << "configuration " << state.configuration << '\n'
            << "epochs_completed " << state.epochs_completed << '\n'
            << "last_epoch_loss " << state.last_epoch_loss << '\n';
        write_file_atomically(filename, out.str());
      }


      CheckpointState
      read_state(const std::string &filename)
      {
        std::ifstream   in(filename);
        std::string     word, version;
        CheckpointState state;
        in >> word >> version;
        AssertThrow(in && word == "dealii-learned-checkpoint" && version == "1",
                    ExcMessage("'" + filename +
                               "' is not a training checkpoint of this "
                               "dealii-learned. Delete it or set Resume = "
                               "false."));
        std::map<std::string, std::string> entries;
        std::string                        key, value;
        while (in >> key >> value)
          entries[key] = value;
        for (const char *required : {"trainer",
                                     "configuration",
                                     "epochs_completed",
                                     "last_epoch_loss"})
          AssertThrow(entries.count(required),
                      ExcMessage("The checkpoint '" + filename + "' has no '" +
                                 required +
                                 "' (an interrupted write?). Delete it or "
                                 "set Resume = false."));
        state.trainer          = entries["trainer"];
        state.configuration    = entries["configuration"];
        state.epochs_completed = std::stoul(entries["epochs_completed"]);
        state.last_epoch_loss  = entries["last_epoch_loss"];
        return state;
      }
    } // namespace


    void
    declare_parameters(ParameterHandler &prm)
    {
      const auto &registry = Registry<Trainer>::instance();
      prm.enter_subsection("Training");
      prm.declare_entry("Model",
                        "direction-network",
                        Patterns::Selection(registry.selection_pattern()),
                        "What `dealii-learned train' trains. Its own "
                        "parameters are in the subsection of the same name "
                        "below. Registered trainers:" +
                          registry.documentation());
      prm.declare_entry("Model file",
                        "dcdm-model.dlm",
                        Patterns::FileName(),
                        "Where the trained model is written (atomically). "
                        "After every epoch a checkpoint goes to <Model "
                        "file>.checkpoint and the files next to it; they "
                        "are removed when training ends.");
      prm.declare_entry("Epochs",
                        "20",
                        Patterns::Integer(1),
                        "Passes over the data.");
      prm.declare_entry("Seed",
                        "1",
                        Patterns::Integer(0),
                        "Seed of everything random (initial weights, data, "
                        "batches): the same parameters give the same "
                        "model file.");
      prm.declare_entry("Resume",
                        "true",
                        Patterns::Bool(),
                        "Continue from <Model file>.checkpoint if it exists, "
                        "after its last completed epoch; the result is the "
                        "same as an uninterrupted run's. The checkpoint must "
                        "come from the same Problem and Training parameters "
                        "(except Epochs, Epochs per run and Resume).");
      prm.declare_entry("Epochs per run",
                        "0",
                        Patterns::Integer(0),
                        "Train at most this many epochs in one invocation "
                        "and leave the checkpoint for the next (for batch "
                        "systems with a wall-time limit); 0: no limit.");
      registry.declare_parameters(prm);
      prm.leave_subsection();
    }


    std::string
    configuration(const ParameterHandler &prm)
    {
      const std::string trainer =
        prm.get(std::vector<std::string>{"Training"}, "Model");
      const std::string problem =
        prm.get(std::vector<std::string>{"Problem"}, "Name");
      // What decides the data and the updates: the Problem entries and the
      // selected problem's subsection, the Training entries but those that
      // only say how long to run, the selected trainer's subsection, and
      // the solver that refines the data's meshes (Linear solver/cg).
      const auto kept = [&](const std::vector<std::string> &path,
                            const std::string              &entry) {
        if (path.empty())
          return false;
        if (path[0] == "Problem")
          return path.size() == 1 || path[1] == problem;
        if (path[0] == "Training")
          return path.size() == 1 ?
                   entry != "Epochs" && entry != "Epochs per run" &&
                     entry != "Resume" :
                   path[1] == trainer;
        return path[0] == "Linear solver" && path.size() > 1 && path[1] == "cg";
      };
      std::ostringstream all;
      prm.print_parameters(all, ParameterHandler::ShortPRM);
      std::istringstream       lines(all.str());
      std::string              line, text;
      std::vector<std::string> path;
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
          else if (line.rfind("set ", 0) == 0)
            {
              const std::string entry =
                Utilities::trim(line.substr(4, line.find('=') - 4));
              if (kept(path, entry))
                text += join(path, "/") + ": " + line + '\n';
            }
        }
      return fingerprint(text);
    }


    TrainingSummary
    run(ParameterHandler &prm, std::ostream &out)
    {
      AssertThrow(Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) == 1,
                  ExcMessage("`dealii-learned train' runs on one MPI rank; "
                             "the trained model then runs on any number."));
      const LoopSettings       settings = parse_loop_settings(prm);
      std::unique_ptr<Trainer> trainer =
        Registry<Trainer>::instance().create_configured(settings.trainer,
                                                        prm,
                                                        "Training");

      // Check the destination before spending time on training.
      const std::string directory =
        std::filesystem::path(settings.model_file).parent_path().string();
      ensure_writable_directory(directory.empty() ? "." : directory,
                                "Training/Model file");

      const std::string checkpoint = settings.model_file + ".checkpoint";
      CheckpointState   state{settings.trainer, configuration(prm), 0, ""};
      if (settings.resume && std::filesystem::exists(checkpoint))
        {
          const CheckpointState saved = read_state(checkpoint);
          AssertThrow(saved.trainer == state.trainer &&
                        saved.configuration == state.configuration,
                      ExcMessage("The checkpoint '" + checkpoint +
                                 "' was made with other Problem or Training "
                                 "parameters (trainer " +
                                 saved.trainer + ", configuration " +
                                 saved.configuration + "; these are " +
                                 state.trainer + ", " + state.configuration +
                                 "); delete it or set Resume = false."));
          state = saved;
          out << "Resuming from " << checkpoint << " after epoch "
              << state.epochs_completed << '\n';
        }

      // Data, produced online by the trainer.
      Timer timer;
      trainer->initialize({prm,
                           settings.seed,
                           out,
                           state.epochs_completed > 0 ? checkpoint : "",
                           state.epochs_completed});
      out << "Training data: " << trainer->describe_data() << ", "
          << format_number(timer.wall_time()) << " s\n";

      timer.restart();
      const unsigned int done = state.epochs_completed;
      out << "epoch " << done << ": loss " << format_number(trainer->evaluate())
          << '\n';
      const unsigned int last =
        settings.epochs_per_run == 0 ?
          settings.epochs :
          std::min(settings.epochs, done + settings.epochs_per_run);
      const auto metadata = [&]() {
        return ModelMetadata{{"epochs_completed",
                              std::to_string(state.epochs_completed)},
                             {"seed", std::to_string(settings.seed)},
                             {"configuration", state.configuration},
                             {"last_epoch_loss", state.last_epoch_loss}};
      };
      for (unsigned int epoch = done + 1; epoch <= last; ++epoch)
        {
          const double loss      = trainer->train_epoch();
          const double elapsed   = timer.wall_time();
          const double remaining = elapsed / (epoch - done) * (last - epoch);
          out << "epoch " << epoch << "/" << settings.epochs << ": loss "
              << format_number(loss) << ", elapsed " << format_number(elapsed)
              << " s, remaining " << format_number(remaining) << " s"
              << std::endl;
          state.epochs_completed = epoch;
          state.last_epoch_loss  = format_number(loss);
          // The trainer's files first: the state names a checkpoint only
          // once it is complete.
          trainer->write_checkpoint(checkpoint, epoch, metadata());
          write_state(checkpoint, state);
        }

      TrainingSummary summary{settings.model_file,
                              state.epochs_completed,
                              false,
                              0.};
      if (last < settings.epochs)
        {
          out << "Stopped after epoch " << last << " of " << settings.epochs
              << " (Epochs per run); run the same command again to resume "
                 "from "
              << checkpoint << '\n';
          return summary;
        }

      summary.final_loss           = trainer->evaluate();
      ModelMetadata final_metadata = metadata();
      final_metadata["final_loss"] = format_number(summary.final_loss);
      trainer->write_model(settings.model_file, final_metadata);
      for (const auto &file : trainer->checkpoint_files(checkpoint))
        std::filesystem::remove(file);
      std::filesystem::remove(checkpoint);
      out << "Model written to " << settings.model_file << " (final loss "
          << final_metadata["final_loss"] << ")\n";
      summary.finished = true;
      return summary;
    }
  } // namespace Training
} // namespace dealii_learned
