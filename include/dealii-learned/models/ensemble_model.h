#pragma once

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/conservation/probabilistic_model.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * A deep ensemble of Gaussian multilayer perceptrons: member k maps an
   * input row z (scaled to [-1, 1] column by column with the ranges seen in
   * training) through `layers` tanh layers of `hidden` units to two outputs
   * (a, s), and predicts the mean offset + scale a and the variance
   * scale^2 (softplus(s) + floor), with offset and scale those of the
   * training targets. Members differ in their initial weights and batches;
   * their spread is the model's uncertainty about its own fit.
   *
   * The text file (`dealii-learned-ensemble 1`) holds the architecture,
   * the scalings, metadata and the weights in hexadecimal floating point,
   * exact to the last bit; it is written through a temporary name. Reading
   * checks every header line and the number of weights.
   */
  class EnsembleModel : public ProbabilisticModel
  {
  public:
    static constexpr unsigned int format_version = 1;

    /** One member's weights, layer by layer: W (out x in, row-major) and
     *  b; the last layer has two outputs. */
    struct Member
    {
      std::vector<std::vector<double>> weights, biases;
    };

    /** A new ensemble with weights drawn from @p seed (Glorot). */
    static EnsembleModel
    initial(const std::vector<std::string> &input_names,
            const unsigned int              members,
            const unsigned int              hidden,
            const unsigned int              layers,
            const unsigned int              seed);

    unsigned int
    n_inputs() const override;

    std::vector<std::string>
    input_names() const override;

    unsigned int
    n_members() const override;

    void
    predict(const dealii::FullMatrix<double>    &inputs,
            std::vector<dealii::Vector<double>> &means,
            std::vector<dealii::Vector<double>> &variances) const override;

    /** Writes the model atomically. */
    void
    save(const std::string &filename) const;

    static EnsembleModel
    load(const std::string &filename);

    /** Sizes of the layers: n_inputs, hidden, ..., hidden, 2. */
    std::vector<unsigned int>
    layer_sizes() const;

    std::vector<std::string> names;
    unsigned int             hidden = 32;
    unsigned int             layers = 2;
    /** Input column j is scaled as (z_j - input_offset[j]) / input_scale[j]. */
    std::vector<double> input_offset, input_scale;
    double              output_offset = 0., output_scale = 1.;
    /** Smallest variance a member gives (in scaled units). */
    double                             variance_floor = 1e-6;
    std::vector<Member>                members;
    std::map<std::string, std::string> metadata;
  };


  /**
   * Reads a probabilistic model: an EnsembleModel file, or a TorchScript
   * module (recognised by its content) whose
   *   forward(inputs: float64[n, k]) -> Tuple[float64[M, n], float64[M, n]]
   * returns the members' means and variances, with the input names given
   * by @p torchscript_inputs (k of them). Throws naming the file if it is
   * neither, or breaks its contract on a probe input.
   */
  std::shared_ptr<ProbabilisticModel>
  load_probabilistic_model(const std::string              &filename,
                           const std::vector<std::string> &torchscript_inputs);
} // namespace dealii_learned
