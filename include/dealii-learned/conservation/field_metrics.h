#pragma once

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/conservation/gaussian_field.h>
#include <dealii-learned/conservation/probabilistic_model.h>

#include <string>
#include <utility>
#include <vector>

DEAL_II_NAMESPACE_OPEN
template <int dim, int spacedim>
class DoFHandler;
template <int dim, int spacedim>
class Mapping;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * A probabilistic model's prediction of a finite element field: the
   * model is evaluated at the support points of the locally owned DoFs,
   * with its other inputs taken from @p time (input `t`) and
   * @p parameters (by name); its members give the mean and the covariance
   * (diagonal for one member, diagonal plus the members' spread for an
   * ensemble; see GaussianField::ensemble()). Throws naming an input the
   * model wants and the caller does not give. Collective.
   */
  template <int dim>
  GaussianField
  predict_field(const ProbabilisticModel           &model,
                const dealii::DoFHandler<dim, dim> &dof_handler,
                const dealii::Mapping<dim, dim>    &mapping,
                const dealii::IndexSet             &locally_owned,
                const MPI_Comm                      comm,
                const double                        time,
                const std::vector<std::pair<std::string, double>> &parameters,
                const std::string &model_name = "the base model");

  /** Mean over all DoFs of (a - b)^2. */
  double
  mean_square_difference(const dealii::TrilinosWrappers::MPI::Vector &a,
                         const dealii::TrilinosWrappers::MPI::Vector &b);

  /**
   * Mean over the DoFs where @p is_free is 1 of the log density of
   * @p reference under the pointwise Gaussian marginals N(mean, variance):
   * the log-likelihood the ProbConserv paper reports (NaN if no DoF is
   * free).
   */
  double
  log_likelihood(const dealii::TrilinosWrappers::MPI::Vector &reference,
                 const dealii::TrilinosWrappers::MPI::Vector &mean,
                 const dealii::TrilinosWrappers::MPI::Vector &variance,
                 const dealii::TrilinosWrappers::MPI::Vector &is_free);

  /**
   * The front of a field that falls from left to right: the largest x
   * where the field, linear along each edge of a cell between the values
   * at its vertices, is at least @p level (the Stefan problem's front, with
   * level u* / 2). Exact between mesh nodes for a piecewise linear field;
   * works on adaptive and distributed meshes (collective). NaN if the
   * field is below @p level everywhere.
   */
  template <int dim>
  double
  front_position(const dealii::TrilinosWrappers::MPI::Vector &u,
                 const dealii::DoFHandler<dim, dim>          &dof_handler,
                 const dealii::Mapping<dim, dim>             &mapping,
                 const double                                 level);
} // namespace dealii_learned
