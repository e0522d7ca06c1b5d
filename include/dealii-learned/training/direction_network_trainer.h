#pragma once

#include <dealii-learned/training/direction_trainer.h>
#include <dealii-learned/training/trainer.h>

#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * `Training/Model = direction-network`: trains the direction network of
   * the `dcdm` and `fcg-neural` solvers (DirectionTrainer does the
   * learning).
   *
   * The data are produced online, as the solver would meet them: for every
   * `Coefficient contrasts` entry, the problem of `subsection Problem` runs
   * its refinement cycles (solving each with CG+AMG only to refine the
   * mesh), and every cycle's matrix becomes training data. Nothing is read
   * from disk.
   *
   * A checkpoint is two files next to the loop's record:
   * `<checkpoint>.model` (the weights, as a model file that records its
   * epoch) and `<checkpoint>.optimizer` (Adam's state, which records its
   * epoch too), so a resumed run takes exactly the steps the uninterrupted
   * one would have.
   */
  class DirectionNetworkTrainer : public Trainer
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    void
    initialize(const TrainingContext &context) override;

    std::string
    describe_data() const override;

    double
    train_epoch() override;

    double
    evaluate() const override;

    void
    write_checkpoint(const std::string   &checkpoint,
                     const unsigned int   epochs_completed,
                     const ModelMetadata &metadata) const override;

    std::vector<std::string>
    checkpoint_files(const std::string &checkpoint) const override;

    void
    write_model(const std::string   &filename,
                const ModelMetadata &metadata) const override;

  private:
    /** Adds every refinement cycle's matrix of every coefficient sample. */
    void
    produce_data(const TrainingContext &context);

    TrainingSettings    settings;
    std::vector<double> contrasts;
    /** `Additional problems`: more training data. */
    struct AdditionalProblem
    {
      std::string  name;
      unsigned int dimension = 2, degree = 1, refinement = 0, cycles = 1;
    };
    std::vector<AdditionalProblem> additional_problems;
    /** `Recorded systems` and `Built-in problems`. */
    std::vector<std::string> recorded_systems;
    bool                     builtin_problems = true;
    /** Hash of the record indexes (empty without records). */
    std::string                       records_fingerprint;
    unsigned int                      hidden_width                    = 8;
    unsigned int                      smoothing_layers                = 1;
    std::string                       cycle                           = "V";
    double                            prolongation_truncation         = 0.;
    unsigned int                      prolongation_max_entries        = 0;
    unsigned int                      prolongation_coarse_max_entries = 0;
    std::unique_ptr<DirectionTrainer> trainer;
    /** Where the data came from, for the model's metadata. */
    ModelMetadata data_origin;
  };
} // namespace dealii_learned
