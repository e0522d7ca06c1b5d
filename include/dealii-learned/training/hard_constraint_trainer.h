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
   * The network (HardConstraintNetwork::Network) maps (x, y, the
   * residual's point features, its network parameters scaled to [-1, 1])
   * at every DoF's support point, optionally with a code of the fields at
   * `Sensors per direction`^2 sensors, to N basis fields, which then pass
   * through `Basis smoothing steps` learned damped Jacobi steps with the
   * problem's operator (BasisSmoother); `Method` says what becomes of them:
   *  - `soft`: one output, the field itself (boundary values and hanging
   *    nodes set by the constraints);
   *  - `hard`: the layer with one expert;
   *  - `moe`: the layer with `Experts` z-order experts.
   * The loss of a sample is ||R(u; p)||_W^2 / ||R(u_0; p)||_W^2 (u_0: the
   * boundary values alone) in the `Residual norm` the layer's experts use
   * too: W = I (euclidean), D^-1 (diagonal) or J(u_0)^-1 (energy: for a
   * linear symmetric positive definite residual the squared energy norm of
   * the error relative to u_0's; J(u_0) must be symmetric). Unsupervised,
   * for p drawn uniformly in the
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
