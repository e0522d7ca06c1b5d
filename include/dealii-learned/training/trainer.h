#pragma once

#include <deal.II/base/config.h>

#include <dealii-learned/base/registry.h>

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace dealii_learned
{
  /** Key-value facts written into a model file (one line each). */
  using ModelMetadata = std::map<std::string, std::string>;


  /** What the training loop hands a trainer when it starts. */
  struct TrainingContext
  {
    /** All parameters of the run (a trainer that produces its data by
     *  running a problem reads `subsection Problem` from here). */
    dealii::ParameterHandler &prm;
    /** `Training/Seed`: everything random comes from it. */
    unsigned int seed = 1;
    /** Where data generation reports its progress. */
    std::ostream &out;
    /** When resuming: the checkpoint prefix (`<Model file>.checkpoint`)
     *  and the epochs it completed; empty and 0 for a fresh start. */
    std::string  checkpoint;
    unsigned int epochs_completed = 0;
  };


  /**
   * The training hook: one learned component's training, selected by name
   * with `subsection Training / set Model = <name>` and run by
   * `dealii-learned train FILE.prm`.
   *
   * Why an interface: what all trainers share lives once, in the training
   * loop (Training::run()): the command, the epoch loop with progress and
   * an estimate of the time left, checkpoints after every epoch, resuming
   * a run that was stopped (the result equals an uninterrupted run's),
   * refusing a checkpoint made with other parameters, and writing every
   * file under a temporary name first. A trainer says only what is its own:
   * how it makes its data (online, from the problems the library solves),
   * one epoch, its loss, and how its weights and optimizer state are
   * stored.
   *
   * Trainers are registered with DEALII_LEARNED_REGISTER_TRAINER and
   * provide a static `declare_parameters(ParameterHandler &)` for their
   * subsection `Training/<name>`. Training runs on one MPI rank.
   */
  class Trainer
  {
  public:
    virtual ~Trainer() = default;

    /** Called once, inside `Training/<name>`. */
    virtual void
    parse_parameters(dealii::ParameterHandler &prm);

    /**
     * Sets up the model (initial weights from the seed, or, when
     * `context.checkpoint` is set, the weights and optimizer state of that
     * checkpoint, which must be from epoch `context.epochs_completed`) and
     * produces the training data.
     */
    virtual void
    initialize(const TrainingContext &context) = 0;

    /** A few words on the data, for the progress report ("12 matrices,
     *  384 right-hand sides"). */
    virtual std::string
    describe_data() const = 0;

    /** One pass over the data; returns the mean loss of the pass. The
     *  order of epoch k may depend only on the seed and k. */
    virtual double
    train_epoch() = 0;

    /** The mean loss of the current weights on all data (no update). */
    virtual double
    evaluate() const = 0;

    /**
     * Writes the weights and the optimizer state after epoch
     * @p epochs_completed to files whose names start with @p checkpoint,
     * each atomically, so that initialize() can resume from them.
     */
    virtual void
    write_checkpoint(const std::string   &checkpoint,
                     const unsigned int   epochs_completed,
                     const ModelMetadata &metadata) const = 0;

    /** The files write_checkpoint() writes (removed when training ends). */
    virtual std::vector<std::string>
    checkpoint_files(const std::string &checkpoint) const = 0;

    /** Writes the trained model, atomically, with @p metadata (to which
     *  the trainer may add its own). */
    virtual void
    write_model(const std::string   &filename,
                const ModelMetadata &metadata) const = 0;
  };


  /** What Training::run() did. */
  struct TrainingSummary
  {
    std::string  model_file;
    unsigned int epochs_completed = 0;
    /** False when `Epochs per run` stopped the run before the last epoch
     *  (the checkpoint is left for the next run). */
    bool   finished   = false;
    double final_loss = 0.;
  };


  namespace Training
  {
    /**
     * Declares `subsection Training`: `Model` (the trainer),
     * `Model file`, `Epochs`, `Seed`, `Resume`, `Epochs per run`, and the
     * subsections of all registered trainers.
     */
    void
    declare_parameters(dealii::ParameterHandler &prm);

    /**
     * Runs the training `subsection Training` of @p prm describes,
     * reporting progress on @p out: creates the trainer, checks that the
     * model file can be written, resumes from a checkpoint of the same
     * configuration if there is one (and `Resume` is set), trains epoch
     * after epoch with a checkpoint after each, and writes the model.
     * One MPI rank.
     */
    TrainingSummary
    run(dealii::ParameterHandler &prm, std::ostream &out);

    /**
     * A fingerprint (FNV-1a, hexadecimal) of everything that decides a
     * training run's data and updates: the entries of `subsection Problem`
     * and of the selected problem's subsection, the entries of `subsection
     * Training` except those that only say how long to run (`Epochs`,
     * `Epochs per run`, `Resume`), the selected trainer's subsection, and
     * `Linear solver/cg` (the solver that refines the data's meshes).
     * Other components' parameters (a plugin loaded or not) do not count.
     */
    std::string
    configuration(const dealii::ParameterHandler &prm);
  } // namespace Training

  template <>
  Registry<Trainer> &
  Registry<Trainer>::instance();
} // namespace dealii_learned

/** Registers a trainer class under a name, with a description. */
#define DEALII_LEARNED_REGISTER_TRAINER(Class, name, description) \
  DEALII_LEARNED_REGISTER(::dealii_learned::Trainer, Class, name, description)
