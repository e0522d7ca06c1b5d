#pragma once

#include <dealii-learned/training/trainer.h>

#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * `Training/Model = hard-constraint`: a neural solver trained through the
   * hard-constraint layer (or with the residual as a soft loss).
   *
   * A tanh MLP maps (x, y, the residual's point features, the PDE
   * parameters p scaled to [-1, 1]) at every DoF's support point to N
   * basis fields; `Method` says what becomes of them:
   *  - `soft`: one output, the field itself (boundary values and hanging
   *    nodes set by the constraints), the loss ||R(u)||^2;
   *  - `hard`: the layer with one expert;
   *  - `moe`: the layer with `Experts` z-order experts.
   * The loss of a sample is ||R(u; p)||^2 / ||R(u_0; p)||^2 (u_0: the
   * boundary values alone), unsupervised, for p drawn uniformly in the
   * residual's ranges (`Samples per epoch` draws per epoch, from the seed
   * and the epoch alone). Fixed validation draws, with their finite element
   * solutions computed when training starts, give evaluate() and the
   * relative L2 error written into the model file.
   *
   * The mesh is [-1, 1]^2 refined `Global refinement` times (one MPI rank,
   * as all training). Weights and Adam's state go to checkpoints after every
   * epoch; the model file is a LibTorch archive with the network, the
   * method, the residual and its parameters' names (written under a
   * temporary name, then renamed).
   */
  class HardConstraintTrainer : public Trainer
  {
  public:
    HardConstraintTrainer();
    ~HardConstraintTrainer() override;

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

    /** The relative L2 error against the finite element solutions of the
     *  validation draws, at the last evaluate(). */
    double
    validation_error() const;

  private:
    struct Implementation;
    std::unique_ptr<Implementation> impl;
  };
} // namespace dealii_learned
