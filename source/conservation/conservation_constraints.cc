#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/conservation/conservation_constraints.h>
#include <dealii-learned/conservation/gaussian_field.h>

#include <cmath>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  void
  ConservationConstraints::add_integral(
    const DoFHandler<dim, dim>      &dof_handler,
    const Mapping<dim, dim>         &mapping,
    const Quadrature<dim>           &quadrature,
    const AffineConstraints<double> &constraints,
    const IndexSet                  &locally_owned,
    const IndexSet                  &locally_relevant,
    const MPI_Comm                   comm,
    const double                     target,
    const std::string               &name,
    const std::function<bool(
      const typename DoFHandler<dim, dim>::active_cell_iterator &)> &selected)
  {
    AssertThrow(locally_owned.size() == dof_handler.n_dofs(),
                ExcMessage("Conservation constraints: the index set has " +
                           std::to_string(locally_owned.size()) +
                           " entries but the DoFHandler " +
                           std::to_string(dof_handler.n_dofs()) + " DoFs."));
    // The condensed row C^T g, and the plain row g for the offset g^T z.
    TrilinosWrappers::MPI::Vector condensed(locally_owned, comm);
    TrilinosWrappers::MPI::Vector plain;
    plain.reinit(locally_owned,
                 locally_relevant,
                 comm,
                 /*vector_writable=*/true);

    FEValues<dim>      fe_values(mapping,
                            dof_handler.get_fe(),
                            quadrature,
                            update_values | update_JxW_values);
    const unsigned int dofs_per_cell = dof_handler.get_fe().n_dofs_per_cell();
    Vector<double>     cell_integrals(dofs_per_cell);
    std::vector<types::global_dof_index> indices(dofs_per_cell);
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned() && (!selected || selected(cell)))
        {
          fe_values.reinit(cell);
          cell_integrals = 0.;
          for (const unsigned int q : fe_values.quadrature_point_indices())
            for (unsigned int i = 0; i < dofs_per_cell; ++i)
              cell_integrals(i) +=
                fe_values.shape_value(i, q) * fe_values.JxW(q);
          cell->get_dof_indices(indices);
          constraints.distribute_local_to_global(cell_integrals,
                                                 indices,
                                                 condensed);
          for (unsigned int i = 0; i < dofs_per_cell; ++i)
            plain(indices[i]) += cell_integrals(i);
        }
    condensed.compress(VectorOperation::add);
    plain.compress(VectorOperation::add);

    // z: the constrained entries of the zero field (boundary values).
    TrilinosWrappers::MPI::Vector z(locally_owned, comm);
    constraints.distribute(z);
    TrilinosWrappers::MPI::Vector owned_plain(locally_owned, comm);
    owned_plain = plain;

    rows.push_back(condensed);
    l1_norms.push_back(condensed.l1_norm());
    offsets.push_back(owned_plain * z);
    targets.push_back(target);
    names.push_back(name);
  }


  void
  ConservationConstraints::add_row(const TrilinosWrappers::MPI::Vector &weights,
                                   const double                         offset,
                                   const double                         target,
                                   const std::string                   &name)
  {
    AssertThrow(rows.empty() || rows[0].size() == weights.size(),
                ExcMessage("Conservation constraints: a row of " +
                           std::to_string(weights.size()) +
                           " entries next to rows of " +
                           std::to_string(rows[0].size()) + "."));
    AssertThrow(std::isfinite(offset) && std::isfinite(target),
                ExcMessage("Conservation constraints: the target of '" + name +
                           "' is not finite."));
    rows.push_back(weights);
    l1_norms.push_back(weights.l1_norm());
    offsets.push_back(offset);
    targets.push_back(target);
    names.push_back(name);
  }


  unsigned int
  ConservationConstraints::n_rows() const
  {
    return rows.size();
  }


  const TrilinosWrappers::MPI::Vector &
  ConservationConstraints::row(const unsigned int k) const
  {
    AssertIndexRange(k, rows.size());
    return rows[k];
  }


  double
  ConservationConstraints::row_l1_norm(const unsigned int k) const
  {
    AssertIndexRange(k, rows.size());
    return l1_norms[k];
  }


  double
  ConservationConstraints::free_target(const unsigned int k) const
  {
    AssertIndexRange(k, rows.size());
    return targets[k] - offsets[k];
  }


  double
  ConservationConstraints::target(const unsigned int k) const
  {
    AssertIndexRange(k, rows.size());
    return targets[k];
  }


  const std::string &
  ConservationConstraints::name(const unsigned int k) const
  {
    AssertIndexRange(k, rows.size());
    return names[k];
  }


  double
  ConservationConstraints::integral(
    const unsigned int                   k,
    const TrilinosWrappers::MPI::Vector &u) const
  {
    AssertIndexRange(k, rows.size());
    AssertThrow(u.size() == rows[k].size(),
                ExcMessage("Conservation constraints: a field of " +
                           std::to_string(u.size()) +
                           " entries for constraints on " +
                           std::to_string(rows[k].size()) + " DoFs."));
    return rows[k] * u + offsets[k];
  }


  std::vector<double>
  ConservationConstraints::residuals(const TrilinosWrappers::MPI::Vector &u,
                                     std::vector<double> *magnitudes) const
  {
    const unsigned int m = rows.size();
    if (m == 0)
      return {};
    AssertThrow(u.size() == rows[0].size(),
                ExcMessage("Conservation constraints: a field of " +
                           std::to_string(u.size()) +
                           " entries for constraints on " +
                           std::to_string(rows[0].size()) + " DoFs."));
    // (The partitions are compared on every rank together.)
    const bool same_partition = same_layout(u, rows[0]);
    AssertThrow(same_partition,
                ExcMessage("Conservation constraints: the field is "
                           "distributed over the MPI ranks differently from "
                           "the constraints' DoFs; use the DoFHandler's "
                           "locally owned DoFs for both."));
    std::vector<const double *> g(m);
    for (unsigned int k = 0; k < m; ++k)
      g[k] = rows[k].begin();
    const unsigned int  width = magnitudes != nullptr ? 2 : 1;
    std::vector<double> local(width * m, 0.), global(width * m);
    const double       *x = u.begin();
    const std::size_t   n = u.locally_owned_size();
    for (unsigned int k = 0; k < m; ++k)
      {
        double sum = 0., size = 0.;
        if (magnitudes != nullptr)
          for (std::size_t i = 0; i < n; ++i)
            {
              const double term = g[k][i] * x[i];
              sum += term;
              size += std::abs(term);
            }
        else
          for (std::size_t i = 0; i < n; ++i)
            sum += g[k][i] * x[i];
        local[k] = sum;
        if (magnitudes != nullptr)
          local[m + k] = size;
      }
    Utilities::MPI::sum(local, u.get_mpi_communicator(), global);
    if (magnitudes != nullptr)
      magnitudes->assign(global.begin() + m, global.end());
    global.resize(m);
    for (unsigned int k = 0; k < m; ++k)
      global[k] += offsets[k] - targets[k];
    return global;
  }


  double
  ConservationConstraints::conservation_error(
    const TrilinosWrappers::MPI::Vector &u) const
  {
    return conservation_error(residuals(u));
  }


  double
  ConservationConstraints::conservation_error(
    const std::vector<double> &residual) const
  {
    double largest = 0.;
    for (unsigned int k = 0; k < rows.size(); ++k)
      {
        const double difference = std::abs(residual[k]);
        largest =
          std::max(largest,
                   targets[k] != 0. ? difference / std::abs(targets[k]) :
                                      difference);
      }
    return largest;
  }


#define DEALII_LEARNED_INSTANTIATE(dim)                     \
  template void ConservationConstraints::add_integral<dim>( \
    const DoFHandler<dim, dim> &,                           \
    const Mapping<dim, dim> &,                              \
    const Quadrature<dim> &,                                \
    const AffineConstraints<double> &,                      \
    const IndexSet &,                                       \
    const IndexSet &,                                       \
    const MPI_Comm,                                         \
    const double,                                           \
    const std::string &,                                    \
    const std::function<bool(                               \
      const typename DoFHandler<dim, dim>::active_cell_iterator &)> &);
  DEALII_LEARNED_INSTANTIATE(1)
  DEALII_LEARNED_INSTANTIATE(2)
  DEALII_LEARNED_INSTANTIATE(3)
#undef DEALII_LEARNED_INSTANTIATE
} // namespace dealii_learned
