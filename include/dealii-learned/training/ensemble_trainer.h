#pragma once

#include <dealii-learned/models/ensemble_model.h>
#include <dealii-learned/training/trainer.h>

#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * `Training/Model = ensemble`: the probabilistic base model of
   * ProbConserv, a deep ensemble (EnsembleModel) of M Gaussian perceptrons
   * that map (x[, y, z], t, parameter) to the mean and variance of the
   * field, each trained on its own with the Gaussian negative
   * log-likelihood, 1/2 log var + (u - mean)^2 / (2 var), and Adam.
   *
   * The data are produced online by the finite element solver: for every
   * value in `Parameter values` the entry `Sampled parameter` of the
   * problem's subsection is set (e.g. gpme's Threshold), the problem of
   * `subsection Problem` runs all its steps with CG+AMG, and `Snapshots per
   * run` steps, evenly spaced, contribute every DoF (its support point, the
   * time, the parameter, the value) as a sample. Nothing is read from disk.
   *
   * The first `Mean warm-up epochs` fit the means alone (squared error):
   * with the likelihood from the start, a member lowers its loss fastest
   * by a tiny variance where the field is flat (ahead of a front) and
   * leaves the profile unfit; on the Stefan problem that left a base model
   * whose integral was 50% off, against 0.2% with 200 warm-up epochs of
   * 400.
   *
   * A checkpoint is `<checkpoint>.model` (the ensemble file, which records
   * its epoch) and `<checkpoint>.optimizer` (the members' Adam states and
   * the epoch).
   */
  class EnsembleTrainer : public Trainer
  {
  public:
    EnsembleTrainer();
    ~EnsembleTrainer() override;

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

    /** The current weights as a model. */
    EnsembleModel
    model() const;

  private:
    /** Runs the problem for every parameter value and keeps the samples. */
    void
    produce_data(const TrainingContext &context);

    template <int dim>
    void
    produce_data_in(const TrainingContext &context, const std::string &problem);

    unsigned int        members              = 5;
    unsigned int        hidden               = 32;
    unsigned int        layers               = 2;
    double              learning_rate        = 1e-3;
    unsigned int        batch_size           = 512;
    std::string         sampled_entry        = "Threshold";
    std::vector<double> parameter_values     = {0.6};
    unsigned int        snapshots            = 10;
    unsigned int        samples_per_snapshot = 0;
    double              variance_floor       = 1e-6;
    unsigned int        warmup_epochs        = 100;
    unsigned int        seed                 = 1;

    /** The samples: input rows and values. */
    std::vector<std::vector<double>> inputs;
    std::vector<double>              values;
    std::vector<std::string>         input_names;
    ModelMetadata                    data_origin;

    struct Implementation;
    std::unique_ptr<Implementation> impl;
  };
} // namespace dealii_learned
