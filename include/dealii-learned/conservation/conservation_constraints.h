#pragma once

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <deal.II/lac/trilinos_vector.h>

#include <functional>
#include <string>
#include <vector>

DEAL_II_NAMESPACE_OPEN
template <int dim, int spacedim>
class DoFHandler;
template <int dim, int spacedim>
class Mapping;
template <int dim>
class Quadrature;
template <typename number>
class AffineConstraints;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * Conservation laws as linear constraints G u = b on a finite element
   * field: each row says that the integral of u_h over the domain (or a part
   * of it) equals a target,
   *
   *   int u_h = sum_i u_i int phi_i = target.
   *
   * The rows are assembled by quadrature on the host's mesh, mapping and
   * element, and written in the DoFs that are free: with hanging nodes,
   * periodicity or boundary values, u = C u_free + z (AffineConstraints), so
   * int u_h = (C^T g)^T u_free + g^T z. A row holds C^T g (what
   * AffineConstraints::distribute_local_to_global makes of the cell
   * integrals; zero on constrained DoFs) and its offset g^T z. An update
   * that changes only free DoFs and then distributes the constraints
   * therefore meets the target exactly, hanging nodes and boundary values
   * included. Under MPI the rows are distributed vectors like the field;
   * products with them are collective.
   */
  class ConservationConstraints
  {
  public:
    /** The rows of the integral of u over the cells @p selected picks
     *  (all locally owned cells if empty), with target @p target. */
    template <int dim>
    void
    add_integral(
      const dealii::DoFHandler<dim, dim>      &dof_handler,
      const dealii::Mapping<dim, dim>         &mapping,
      const dealii::Quadrature<dim>           &quadrature,
      const dealii::AffineConstraints<double> &constraints,
      const dealii::IndexSet                  &locally_owned,
      const dealii::IndexSet                  &locally_relevant,
      const MPI_Comm                           comm,
      const double                             target,
      const std::string                       &name,
      const std::function<bool(
        const typename dealii::DoFHandler<dim, dim>::active_cell_iterator &)>
        &selected = {});

    /**
     * A row given by its weights on the free DoFs (zero on constrained
     * ones) and the offset the constrained DoFs add: the constraint
     * row . u + offset = target, for constraints a host assembles itself.
     */
    void
    add_row(const dealii::TrilinosWrappers::MPI::Vector &weights,
            const double                                 offset,
            const double                                 target,
            const std::string                           &name);

    unsigned int
    n_rows() const;

    /** Row k: the weights C^T g of the free DoFs. */
    const dealii::TrilinosWrappers::MPI::Vector &
    row(const unsigned int k) const;

    /** ||row k||_1 (sum of |g_i|), recorded when the row was added. */
    double
    row_l1_norm(const unsigned int k) const;

    /** What row k requires of the free DoFs: target - offset. */
    double
    free_target(const unsigned int k) const;

    /** The target of row k: the integral it asks for. */
    double
    target(const unsigned int k) const;

    const std::string &
    name(const unsigned int k) const;

    /** The integral row k measures for a field @p u that satisfies the
     *  constraints: row . u + offset. */
    double
    integral(const unsigned int                           k,
             const dealii::TrilinosWrappers::MPI::Vector &u) const;

    /** integral(k, u) - target(k) for every row k, in one pass over @p u
     *  and one reduction over ranks; with @p magnitudes, also the size of
     *  the terms each row sums, sum_i |g_i u_i|, in the same pass. */
    std::vector<double>
    residuals(const dealii::TrilinosWrappers::MPI::Vector &u,
              std::vector<double> *magnitudes = nullptr) const;

    /** conservation_error() from the residuals() of a field. */
    double
    conservation_error(const std::vector<double> &residuals) const;

    /**
     * How far @p u is from the targets: |integral - target| / |target|,
     * or the absolute difference where the target is 0 (the heat
     * equation's integral), the largest over the rows.
     */
    double
    conservation_error(const dealii::TrilinosWrappers::MPI::Vector &u) const;

  private:
    std::vector<dealii::TrilinosWrappers::MPI::Vector> rows;
    std::vector<double>                                offsets;
    std::vector<double>                                l1_norms;
    std::vector<double>                                targets;
    std::vector<std::string>                           names;
  };
} // namespace dealii_learned
