#pragma once

#include <deal.II/base/point.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  template <int dim>
  class ResidualOperator;

  /**
   * A neural solver trained by `dealii-learned train` with
   * `Training/Model = hard-constraint`: a LibTorch archive holding the
   * network's weights and its description as `meta.*` strings (format
   * `dealii-learned-hard-constraint 2`, the residual it was trained for,
   * the method, the number of experts and basis fields, the interface
   * weight, the residual norm, the names of its parameter and feature
   * inputs, the encoder's sensors and field code size; the network is
   * HardConstraintNetwork::Network).
   *
   * Reading checks the format, that the description is complete, and that
   * the weights fit the architecture it describes; each failure is an
   * error that names the file and what is wrong.
   */
  class HardConstraintModel
  {
  public:
    /** The format line of the files this class reads. */
    static const char *const format;

    explicit HardConstraintModel(const std::string &filename);
    ~HardConstraintModel();

    /** Every `meta.*` entry, without the prefix. */
    const std::map<std::string, std::string> &
    metadata() const;

    /** The residual it was trained for (its registered name). */
    const std::string &
    residual_name() const;

    /** soft, hard or moe. */
    const std::string &
    method() const;

    /** Outputs per point: the basis fields N (hard, moe), or 1 (soft: the
     *  field itself). */
    unsigned int
    n_outputs() const;

    /** The experts it was trained with (1 unless moe). */
    unsigned int
    n_experts() const;

    /** The residual norm it was trained with: euclidean, diagonal or
     *  energy (HardConstraintSettings::residual_norm_from_name()). */
    const std::string &
    residual_norm() const;

    /** The interface weight it was trained with. */
    double
    interface_weight() const;

    /** The weights of the basis smoothing steps that follow the network
     *  (BasisSmoother; empty: none). */
    std::vector<double>
    smoothing_weights() const;

    /**
     * The network at @p points for @p residual's current parameters:
     * n_outputs() values per point, row-major. Throws if the residual's
     * parameters or point features are not those the model was trained
     * with (by name). The outputs are not checked: under MPI a caller
     * decides on every rank whether they are all finite.
     */
    std::vector<double>
    evaluate(const std::vector<dealii::Point<2>> &points,
             const ResidualOperator<2>           &residual) const;

  private:
    struct Implementation;
    std::unique_ptr<Implementation> impl;
  };
} // namespace dealii_learned
