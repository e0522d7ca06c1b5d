#pragma once

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * A probabilistic model of a field: for inputs (the coordinates of a
   * point, the time, PDE parameters) each of its M members gives a mean and
   * a variance. The interface lives with the
   * conservation layer that consumes it; the models layer implements it: a
   * deep ensemble (EnsembleModel) and a TorchScript module with the same
   * contract (load_probabilistic_model(), both in
   * <dealii-learned/models/ensemble_model.h>).
   */
  class ProbabilisticModel
  {
  public:
    virtual ~ProbabilisticModel() = default;

    /** Width of an input row. */
    virtual unsigned int
    n_inputs() const = 0;

    /** Names of the input columns (x, y, t, threshold, ...). */
    virtual std::vector<std::string>
    input_names() const = 0;

    virtual unsigned int
    n_members() const = 0;

    /**
     * Member k's mean and variance (> 0) at every row of @p inputs
     * (n x n_inputs()): means[k] and variances[k] get n entries. Throws if
     * an output is not finite, naming the member and the row.
     */
    virtual void
    predict(const dealii::FullMatrix<double>    &inputs,
            std::vector<dealii::Vector<double>> &means,
            std::vector<dealii::Vector<double>> &variances) const = 0;
  };
} // namespace dealii_learned
