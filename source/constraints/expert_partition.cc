#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <deal.II/grid/grid_tools.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>

#include <dealii-learned/constraints/expert_partition.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** Morton code of @p p in the box [lo, hi]: the coordinates' bits
     *  interleaved, 63 bits in all. */
    template <int dim>
    std::uint64_t
    morton_code(const Point<dim> &p, const Point<dim> &lo, const Point<dim> &hi)
    {
      constexpr unsigned int bits = 63 / dim;
      std::uint64_t          q[dim];
      for (unsigned int d = 0; d < dim; ++d)
        {
          const double t =
            hi[d] > lo[d] ? (p[d] - lo[d]) / (hi[d] - lo[d]) : 0.;
          const double scaled =
            std::clamp(t, 0., 1.) * double((std::uint64_t(1) << bits) - 1);
          q[d] = static_cast<std::uint64_t>(scaled);
        }
      std::uint64_t code = 0;
      for (int b = bits - 1; b >= 0; --b)
        for (unsigned int d = 0; d < dim; ++d)
          code = (code << 1) | ((q[d] >> b) & 1u);
      return code;
    }
  } // namespace


  template <int dim>
  ExpertPartition<dim>::ExpertPartition(
    const DoFHandler<dim>           &dof_handler,
    const AffineConstraints<double> &constraints,
    const IndexSet                  &locally_owned,
    const IndexSet                  &locally_relevant,
    const unsigned int               n_experts,
    const std::string               &method,
    const MPI_Comm                   comm)
    : comm(comm)
    , K(n_experts)
  {
    const auto        &tria    = dof_handler.get_triangulation();
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const auto         n_cells = tria.n_global_active_cells();
    if (method == "mpi-subdomains")
      {
        AssertThrow(K == 0 || K == n_ranks,
                    ExcMessage("Experts = mpi-subdomains gives one expert per "
                               "MPI rank (" +
                               std::to_string(n_ranks) + "), not " +
                               std::to_string(K) +
                               ": set the number of experts to 0 or " +
                               std::to_string(n_ranks) + "."));
        K = n_ranks;
      }
    AssertThrow(K >= 1 && K <= n_cells,
                ExcMessage("The mesh has " + std::to_string(n_cells) +
                           " cells, so it can hold between 1 and " +
                           std::to_string(n_cells) + " experts, not " +
                           std::to_string(K) +
                           ". Use fewer experts or a finer mesh."));
    AssertThrow(method == "z-order" || method == "metis" ||
                  method == "mpi-subdomains",
                ExcMessage("Unknown expert partition '" + method +
                           "': use z-order, metis or mpi-subdomains."));

    expert.assign(tria.n_active_cells(), numbers::invalid_unsigned_int);
    if (method == "mpi-subdomains")
      {
        const unsigned int rank = Utilities::MPI::this_mpi_process(comm);
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            expert[cell->active_cell_index()] = rank;
      }
    else if (method == "metis")
      {
        AssertThrow(n_ranks == 1,
                    ExcMessage("Experts = metis partitions a mesh held by "
                               "one MPI rank; on " +
                               std::to_string(n_ranks) +
                               " ranks use z-order or mpi-subdomains."));
        std::vector<unsigned int> parts(tria.n_active_cells(), 0);
        if (K > 1)
          {
            DynamicSparsityPattern connectivity;
            GridTools::get_face_connectivity_of_cells(tria, connectivity);
            SparsityPattern graph;
            graph.copy_from(connectivity);
            SparsityTools::partition(graph, K, parts);
          }
        for (const auto &cell : dof_handler.active_cell_iterators())
          expert[cell->active_cell_index()] = parts[cell->active_cell_index()];
      }
    else
      {
        // The bounding box of the mesh, then every cell's Morton code,
        // gathered and sorted on every rank: K - 1 cut points.
        Point<dim> lo, hi;
        for (unsigned int d = 0; d < dim; ++d)
          {
            lo[d] = std::numeric_limits<double>::max();
            hi[d] = -std::numeric_limits<double>::max();
          }
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            for (const auto v : cell->vertex_indices())
              for (unsigned int d = 0; d < dim; ++d)
                {
                  lo[d] = std::min(lo[d], cell->vertex(v)[d]);
                  hi[d] = std::max(hi[d], cell->vertex(v)[d]);
                }
        for (unsigned int d = 0; d < dim; ++d)
          {
            lo[d] = Utilities::MPI::min(lo[d], comm);
            hi[d] = Utilities::MPI::max(hi[d], comm);
          }
        std::vector<std::uint64_t> local;
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            local.push_back(morton_code(cell->center(), lo, hi));
        std::vector<std::uint64_t> all;
        for (const auto &part : Utilities::MPI::all_gather(comm, local))
          all.insert(all.end(), part.begin(), part.end());
        std::sort(all.begin(), all.end());
        std::vector<std::uint64_t> cuts;
        for (unsigned int k = 1; k < K; ++k)
          cuts.push_back(all[(static_cast<std::size_t>(k) * all.size()) / K]);
        for (const auto &cell : dof_handler.active_cell_iterators())
          if (cell->is_locally_owned())
            expert[cell->active_cell_index()] = static_cast<unsigned int>(
              std::upper_bound(cuts.begin(),
                               cuts.end(),
                               morton_code(cell->center(), lo, hi)) -
              cuts.begin());
      }

    expert_cells.assign(K, {});
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        expert_cells[expert[cell->active_cell_index()]].push_back(cell);

    // The experts each row reaches: the smallest and the largest, over
    // all ranks (a row is an expert's when they are equal).
    LinearAlgebra::distributed::Vector<double> lowest(locally_owned,
                                                      locally_relevant,
                                                      comm),
      highest(locally_owned, locally_relevant, comm);
    for (const auto i : locally_relevant)
      {
        lowest[i]  = K;
        highest[i] = -1.;
      }
    const unsigned int n = dof_handler.get_fe().n_dofs_per_cell();
    std::vector<types::global_dof_index> dofs(n);
    const auto mark = [&](const types::global_dof_index i, const double e) {
      lowest[i]  = std::min(static_cast<double>(lowest[i]), e);
      highest[i] = std::max(static_cast<double>(highest[i]), e);
    };
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const double e = expert[cell->active_cell_index()];
          cell->get_dof_indices(dofs);
          for (const auto i : dofs)
            if (const auto *entries = constraints.get_constraint_entries(i))
              for (const auto &entry : *entries)
                mark(entry.first, e);
            else if (!constraints.is_constrained(i))
              mark(i, e);
        }
    lowest.compress(VectorOperation::min);
    highest.compress(VectorOperation::max);
    expert_rows.assign(K, {});
    owned = locally_owned;
    row_experts.assign(locally_owned.n_elements(),
                       {numbers::invalid_unsigned_int,
                        numbers::invalid_unsigned_int});
    for (const auto i : locally_owned)
      if (!constraints.is_constrained(i) && highest[i] >= 0.)
        {
          row_experts[locally_owned.index_within_set(i)] = {
            static_cast<unsigned int>(lowest[i]),
            static_cast<unsigned int>(highest[i])};
          if (lowest[i] == highest[i])
            expert_rows[static_cast<unsigned int>(lowest[i])].push_back(i);
          else
            shared_rows.push_back(i);
        }
  }


  template <int dim>
  unsigned int
  ExpertPartition<dim>::n_experts() const
  {
    return K;
  }


  template <int dim>
  unsigned int
  ExpertPartition<dim>::expert_of(const cell_iterator &cell) const
  {
    Assert(cell->is_locally_owned(), ExcInternalError());
    return expert[cell->active_cell_index()];
  }


  template <int dim>
  const std::vector<typename ExpertPartition<dim>::cell_iterator> &
  ExpertPartition<dim>::cells(const unsigned int k) const
  {
    AssertIndexRange(k, K);
    return expert_cells[k];
  }


  template <int dim>
  const std::vector<types::global_dof_index> &
  ExpertPartition<dim>::rows(const unsigned int k) const
  {
    AssertIndexRange(k, K);
    return expert_rows[k];
  }


  template <int dim>
  const std::vector<types::global_dof_index> &
  ExpertPartition<dim>::interface_rows() const
  {
    return shared_rows;
  }


  template <int dim>
  std::pair<unsigned int, unsigned int>
  ExpertPartition<dim>::experts_of_row(const types::global_dof_index i) const
  {
    Assert(owned.is_element(i), ExcInternalError());
    return row_experts[owned.index_within_set(i)];
  }


  template <int dim>
  std::vector<unsigned long long>
  ExpertPartition<dim>::n_cells_per_expert() const
  {
    std::vector<unsigned long long> counts(K);
    for (unsigned int k = 0; k < K; ++k)
      counts[k] = expert_cells[k].size();
    Utilities::MPI::sum(counts, comm, counts);
    return counts;
  }


  template <int dim>
  std::vector<unsigned long long>
  ExpertPartition<dim>::n_rows_per_expert() const
  {
    std::vector<unsigned long long> counts(K);
    for (unsigned int k = 0; k < K; ++k)
      counts[k] = expert_rows[k].size();
    Utilities::MPI::sum(counts, comm, counts);
    return counts;
  }


  template <int dim>
  unsigned long long
  ExpertPartition<dim>::n_interface_rows() const
  {
    return Utilities::MPI::sum(
      static_cast<unsigned long long>(shared_rows.size()), comm);
  }


  template class ExpertPartition<2>;
  template class ExpertPartition<3>;
} // namespace dealii_learned
