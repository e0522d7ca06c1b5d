// AggregationHierarchy: initialize() and reinit_values() run the phases
// (aggregation_hierarchy_spectrum.cc, _aggregates.cc, _prolongation.cc)
// level by level; the accessors.

#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <dealii-learned/models/aggregation_hierarchy.h>

#include <Epetra_CrsMatrix.h>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "aggregation_hierarchy_internal.h"

namespace dealii_learned
{
  using namespace dealii;

  /** The levels of a system's hierarchy, beyond what the scalar one keeps. */
  struct AggregationHierarchy::SystemLevels
  {
    /** Per level, the coarsest included. */
    std::vector<internal::LevelStructure> levels;
    /** Per level but the coarsest: the aggregate of every owned row (or
     *  numbers::invalid_dof_index), the owned aggregates (first, number),
     *  and the vectors each owned aggregate kept. */
    std::vector<std::vector<internal::Index>>                aggregate_of_row;
    std::vector<std::pair<internal::Index, internal::Index>> aggregates;
    std::vector<std::vector<std::uint32_t>>                  kept;
    std::vector<unsigned int>                                min_vectors;
    /** The node aggregation's settings (AdditionalData's system_*). */
    AggregationHierarchy::AdditionalData node_aggregation;
  };


  void
  AggregationHierarchy::initialize(const TrilinosWrappers::SparseMatrix &A,
                                   const AdditionalData                 &data)
  {
    initialize(A, data, SystemStructure());
  }


  void
  AggregationHierarchy::initialize(const TrilinosWrappers::SparseMatrix &A,
                                   const AdditionalData                 &data,
                                   const SystemStructure &structure)
  {
    AssertThrow(A.m() == A.n(),
                ExcMessage("AggregationHierarchy: the matrix is not square (" +
                           std::to_string(A.m()) + " x " +
                           std::to_string(A.n()) + ")."));
    AssertThrow(data.prolongation_truncation >= 0. &&
                  data.prolongation_truncation < 1.,
                ExcMessage("AggregationHierarchy: the prolongation "
                           "truncation must lie in [0, 1), not " +
                           std::to_string(data.prolongation_truncation) + "."));
    AssertThrow(data.max_aggregate_size >= 2,
                ExcMessage("AggregationHierarchy: aggregates need room for "
                           "at least two unknowns."));

    settings = data;
    matrices.clear();
    prolongations.clear();
    tentative.clear();
    coarse_of.clear();
    products.clear();
    owned.clear();
    scalings.clear();
    largest_aggregates.clear();
    unnormalized_levels.clear();
    unscaled_prolongation_rows = 0;
    stop_reason.clear();
    systems.reset();

    const auto normalize = [&](TrilinosWrappers::SparseMatrix &M,
                               TrilinosWrappers::MPI::Vector  &s) {
      if (!data.normalize_spectrum)
        return;
      const double lambda = internal::normalize_spectrum(M, s);
      if (!(lambda > 0.) || !std::isfinite(lambda))
        unnormalized_levels.emplace_back(matrices.size() - 1, lambda);
    };

    times = SetupTimes();
    Timer                               timer;
    const std::function<void(double &)> lap = [&timer](double &phase) {
      phase += timer.wall_time();
      timer.restart();
    };

    if (!structure.is_scalar())
      {
        systems = std::make_shared<SystemLevels>();
        // AdditionalData's rule for negative values (see there).
        const bool points_3d      = structure.n_components >= 3;
        systems->node_aggregation = data;
        systems->node_aggregation.strength_threshold =
          data.system_strength_threshold >= 0. ?
            data.system_strength_threshold :
          points_3d ? 0.1 :
                      data.strength_threshold;
        const int size = data.system_max_aggregate_size >= 0 ?
                           data.system_max_aggregate_size :
                         points_3d ? 0 :
                                     static_cast<int>(data.max_aggregate_size);
        systems->node_aggregation.max_aggregate_size =
          size == 0 ? std::numeric_limits<unsigned int>::max() :
                      static_cast<unsigned int>(size);
        systems->levels.push_back(internal::fine_level_structure(A, structure));
      }
    matrices.emplace_back();
    matrices.back().copy_from(A);
    scalings.push_back(internal::scale_to_unit_diagonal(matrices.back()));
    normalize(matrices.back(), scalings.back());
    owned.push_back(A.locally_owned_range_indices());
    lap(times.scaling);

    // A system's coarse operators are harder for the coarsest level's few
    // layers than a scalar one's at the same size (its near-null space has
    // several vectors per aggregate): its coarsest level gets
    // coarsest_size / n_vectors unknowns at most, about as many
    // aggregates as a scalar hierarchy's has unknowns per vector.
    const types::global_dof_index coarsest_size =
      systems ?
        std::max<types::global_dof_index>(systems->levels[0].n_vectors,
                                          data.coarsest_size /
                                            systems->levels[0].n_vectors) :
        data.coarsest_size;
    while (matrices.size() < data.max_levels &&
           matrices.back().m() > coarsest_size)
      {
        const IndexSet coarse_owned =
          systems ? coarsen_system(data, lap) : coarsen_scalar(data, lap);
        if (coarse_owned.size() == 0)
          break;
        const TrilinosWrappers::SparseMatrix &fine = matrices.back();
        const TrilinosWrappers::SparseMatrix &prolongation =
          prolongations.back();

        // The Galerkin product P^T (Â P), with the product's pattern kept
        // for reinit_values().
        products.push_back(std::make_shared<Epetra_CrsMatrix>(
          Copy, fine.trilinos_matrix().RowMap(), 0));
        internal::multiply_keeping_pattern(fine.trilinos_matrix(),
                                           false,
                                           prolongation.trilinos_matrix(),
                                           *products.back());
        TrilinosWrappers::SparseMatrix coarse;
        {
          Epetra_CrsMatrix galerkin(Copy,
                                    prolongation.trilinos_matrix().DomainMap(),
                                    0);
          internal::multiply_keeping_pattern(prolongation.trilinos_matrix(),
                                             true,
                                             *products.back(),
                                             galerkin);
          coarse.reinit(galerkin);
        }
        lap(times.galerkin);
        scalings.push_back(internal::scale_to_unit_diagonal(coarse));
        matrices.push_back(std::move(coarse));
        owned.push_back(coarse_owned);
        normalize(matrices.back(), scalings.back());
        lap(times.scaling);
      }
    if (stop_reason.empty() && matrices.back().m() > coarsest_size)
      stop_reason = "the limit of " + std::to_string(data.max_levels) +
                    " levels was reached";
    coarsest_size_asked = coarsest_size;
  }


  IndexSet
  AggregationHierarchy::coarsen_scalar(const AdditionalData &data,
                                       const std::function<void(double &)> &lap)
  {
    const TrilinosWrappers::SparseMatrix &fine = matrices.back();
    const internal::Aggregation   aggregation = internal::aggregate(fine, data);
    const types::global_dof_index n_coarse    = aggregation.n_global;
    lap(times.aggregation);
    // Coarsening that no longer pays (or leaves nothing): stop here.
    if (n_coarse * 10 > fine.m() * 9 || n_coarse == 0)
      {
        stop_reason = "aggregation reduced " + std::to_string(fine.m()) +
                      " unknowns only to " + std::to_string(n_coarse);
        return IndexSet();
      }
    largest_aggregates.push_back(aggregation.largest);

    IndexSet coarse_owned(n_coarse);
    coarse_owned.add_range(aggregation.offset,
                           aggregation.offset + aggregation.n_local);

    // Truncation mostly on the finest level: it holds most of the rows
    // and most of the Galerkin products' cost, while the coarse
    // levels' rows carry the coarse space (truncating them too cost
    // 5 of 12 iterations on an adaptive L-shape at 141k unknowns); the
    // coarse levels have their own cap, for long rows only.
    const bool                       finest = matrices.size() == 1;
    const internal::ProlongationRows rows =
      internal::prolongation_rows(fine,
                                  scalings.back(),
                                  aggregation.coarse_of,
                                  data.prolongation_damping,
                                  data.prolongation_smoothing,
                                  finest ? data.prolongation_truncation : 0.,
                                  finest ?
                                    data.prolongation_max_entries :
                                    data.prolongation_coarse_max_entries);
    prolongations.push_back(
      internal::build_prolongation(fine, rows, coarse_owned));
    if (data.keep_tentative_prolongations)
      tentative.push_back(internal::build_prolongation(
        fine,
        internal::prolongation_rows(fine,
                                    scalings.back(),
                                    aggregation.coarse_of,
                                    0.,
                                    ProlongationSmoothing(),
                                    0.,
                                    0u),
        coarse_owned));
    coarse_of.push_back(aggregation.coarse_of);
    lap(times.prolongation);
    return coarse_owned;
  }


  IndexSet
  AggregationHierarchy::coarsen_system(const AdditionalData &data,
                                       const std::function<void(double &)> &lap)
  {
    const TrilinosWrappers::SparseMatrix &fine  = matrices.back();
    const internal::LevelStructure       &level = systems->levels.back();
    // Nodes are aggregated; a row gets its node's aggregate unless it is
    // decoupled itself (a constrained component of a point).
    const internal::Aggregation aggregation =
      internal::aggregate(internal::node_matrix(fine, level),
                          systems->node_aggregation);
    const std::vector<bool>      decoupled = internal::decoupled_rows(fine);
    std::vector<internal::Index> aggregate_of_row(level.node_of.size(),
                                                  numbers::invalid_dof_index);
    for (std::size_t i = 0; i < aggregate_of_row.size(); ++i)
      if (!decoupled[i])
        aggregate_of_row[i] =
          aggregation.coarse_of[level.node_of[i] - level.first_node];
    lap(times.aggregation);

    internal::SystemBasis         basis    = internal::system_basis(fine,
                                                         scalings.back(),
                                                         level,
                                                         aggregate_of_row,
                                                         aggregation.offset,
                                                         aggregation.n_local,
                                                         nullptr);
    const types::global_dof_index n_coarse = basis.coarse_owned.size();
    if (n_coarse * 10 > fine.m() * 9 || n_coarse == 0)
      {
        stop_reason = "aggregation reduced " + std::to_string(fine.m()) +
                      " unknowns only to " + std::to_string(n_coarse);
        lap(times.prolongation);
        return IndexSet();
      }
    // Rows: nodes times the rows of a node (the components on level 0, at
    // most the vectors on coarser levels).
    const types::global_dof_index rows_per_node =
      level.n_nodes > 0 ?
        (level.node_of.size() + level.n_nodes - 1) / level.n_nodes :
        1;
    largest_aggregates.push_back(
      aggregation.largest *
      Utilities::MPI::max(rows_per_node, fine.get_mpi_communicator()));
    unsigned int fewest = level.n_vectors;
    for (const std::uint32_t mask : basis.kept)
      fewest = std::min<unsigned int>(fewest, std::bitset<32>(mask).count());
    systems->min_vectors.push_back(
      Utilities::MPI::min(fewest, fine.get_mpi_communicator()));

    prolongations.push_back(internal::build_prolongation(
      fine,
      internal::system_prolongation_rows(fine,
                                         basis,
                                         level.n_vectors,
                                         data.prolongation_damping,
                                         data.prolongation_smoothing),
      basis.coarse_owned));
    if (data.keep_tentative_prolongations)
      tentative.push_back(internal::build_prolongation(
        fine,
        internal::system_prolongation_rows(
          fine, basis, level.n_vectors, 0., ProlongationSmoothing()),
        basis.coarse_owned));
    coarse_of.emplace_back();
    systems->aggregate_of_row.push_back(std::move(aggregate_of_row));
    systems->aggregates.emplace_back(aggregation.offset, aggregation.n_local);
    systems->kept.push_back(std::move(basis.kept));
    systems->levels.push_back(std::move(basis.coarse));
    lap(times.prolongation);
    return basis.coarse_owned;
  }


  std::vector<TrilinosWrappers::MPI::Vector>
  AggregationHierarchy::near_null_space(const unsigned int level) const
  {
    AssertIndexRange(level, matrices.size());
    const TrilinosWrappers::MPI::Vector       &s = scalings[level];
    std::vector<TrilinosWrappers::MPI::Vector> result;
    if (!systems)
      {
        result.emplace_back(s);
        for (unsigned int i = 0; i < s.locally_owned_size(); ++i)
          result.back().begin()[i] = 1. / s.begin()[i];
        return result;
      }
    const internal::LevelStructure &structure = systems->levels[level];
    AssertThrow(structure.node_of.size() == s.locally_owned_size(),
                ExcInternalError());
    for (unsigned int c = 0; c < structure.n_vectors; ++c)
      {
        result.emplace_back(s);
        for (unsigned int i = 0; i < s.locally_owned_size(); ++i)
          result.back().begin()[i] =
            structure.modes[i * structure.n_vectors + c] / s.begin()[i];
      }
    return result;
  }


  std::vector<unsigned int>
  AggregationHierarchy::min_vectors_per_aggregate() const
  {
    if (systems)
      return systems->min_vectors;
    return std::vector<unsigned int>(prolongations.size(), 1u);
  }


  void
  AggregationHierarchy::reinit_values(const TrilinosWrappers::SparseMatrix &A)
  {
    AssertThrow(!matrices.empty(),
                ExcMessage("AggregationHierarchy::reinit_values() before "
                           "initialize()."));
    const std::string changed =
      "AggregationHierarchy::reinit_values(): the matrix does not have the "
      "sparsity pattern of the one the hierarchy was built for; call "
      "initialize() for a new pattern.";
    const Epetra_CrsMatrix &source = A.trilinos_matrix();
    auto                   &target =
      const_cast<Epetra_CrsMatrix &>(matrices[0].trilinos_matrix());
    // Decided on every rank: a mismatch on one rank only must not leave
    // the others waiting in the collective steps below.
    bool same = A.m() == matrices[0].m() &&
                source.NumMyRows() == target.NumMyRows() &&
                source.NumMyNonzeros() == target.NumMyNonzeros();
    for (int i = 0; same && i < source.NumMyRows(); ++i)
      same = source.NumMyEntries(i) == target.NumMyEntries(i);
    AssertThrow(Utilities::MPI::min(static_cast<int>(same),
                                    A.get_mpi_communicator()) == 1,
                ExcMessage(changed));

    unnormalized_levels.clear();
    unscaled_prolongation_rows = 0;
    const auto normalize       = [&](const unsigned int              level,
                               TrilinosWrappers::SparseMatrix &M,
                               TrilinosWrappers::MPI::Vector  &s) {
      if (!settings.normalize_spectrum)
        return;
      const double lambda = internal::normalize_spectrum(M, s);
      if (!(lambda > 0.) || !std::isfinite(lambda))
        unnormalized_levels.emplace_back(level, lambda);
    };
    times = SetupTimes();
    Timer      timer;
    const auto lap = [&timer](double &phase) {
      phase += timer.wall_time();
      timer.restart();
    };

    // Level 0: A's values, row by row (same rows, same lengths, and the
    // same columns in the same order by the caller's promise).
    for (int i = 0; i < source.NumMyRows(); ++i)
      {
        int     n_source = 0, n_target = 0;
        double *from = nullptr, *to = nullptr;
        int    *source_columns = nullptr, *target_columns = nullptr;
        source.ExtractMyRowView(i, n_source, from, source_columns);
        target.ExtractMyRowView(i, n_target, to, target_columns);
        std::copy(from, from + n_source, to);
      }
    scalings[0] = internal::scale_to_unit_diagonal(matrices[0]);
    normalize(0, matrices[0], scalings[0]);
    lap(times.scaling);

    for (unsigned int l = 0; l + 1 < matrices.size(); ++l)
      {
        if (systems)
          {
            internal::SystemBasis basis =
              internal::system_basis(matrices[l],
                                     scalings[l],
                                     systems->levels[l],
                                     systems->aggregate_of_row[l],
                                     systems->aggregates[l].first,
                                     systems->aggregates[l].second,
                                     &systems->kept[l]);
            AssertThrow(basis.coarse_owned == owned[l + 1], ExcInternalError());
            unscaled_prolongation_rows +=
              internal::update_prolongation(prolongations[l],
                                            internal::system_prolongation_rows(
                                              matrices[l],
                                              basis,
                                              systems->levels[l].n_vectors,
                                              settings.prolongation_damping,
                                              settings.prolongation_smoothing));
            systems->levels[l + 1] = std::move(basis.coarse);
          }
        else
          unscaled_prolongation_rows += internal::update_prolongation(
            prolongations[l],
            internal::prolongation_rows(matrices[l],
                                        scalings[l],
                                        coarse_of[l],
                                        settings.prolongation_damping,
                                        settings.prolongation_smoothing,
                                        0.,
                                        0));
        lap(times.prolongation);
        internal::multiply_keeping_pattern(matrices[l].trilinos_matrix(),
                                           false,
                                           prolongations[l].trilinos_matrix(),
                                           *products[l]);
        internal::multiply_keeping_pattern(
          prolongations[l].trilinos_matrix(),
          true,
          *products[l],
          const_cast<Epetra_CrsMatrix &>(matrices[l + 1].trilinos_matrix()));
        lap(times.galerkin);
        scalings[l + 1] = internal::scale_to_unit_diagonal(matrices[l + 1]);
        normalize(l + 1, matrices[l + 1], scalings[l + 1]);
        lap(times.scaling);
      }
  }


  std::vector<std::string>
  AggregationHierarchy::warnings() const
  {
    std::vector<std::string> result;
    if (unscaled_prolongation_rows > 0)
      result.push_back(
        std::to_string(unscaled_prolongation_rows) +
        " row(s) of the truncated prolongation could not keep their row "
        "sum with the new values (reinit_values()); the coarse space "
        "reproduces the near kernel less well there, and initialize() "
        "would choose a new pattern");
    for (const auto &[level, lambda] : unnormalized_levels)
      result.push_back("level " + std::to_string(level) +
                       " was not normalised to the spectrum (0, 2]: its "
                       "largest-eigenvalue estimate is " +
                       std::to_string(lambda) +
                       " (the matrix may not be symmetric positive "
                       "definite)");
    if (!stop_reason.empty())
      result.push_back(
        "coarsening stopped with " + std::to_string(matrices.back().m()) +
        " unknowns on the coarsest level (asked: at most " +
        std::to_string(coarsest_size_asked) + ") because " + stop_reason +
        "; the coarsest level's layers then act on a large "
        "level and the network is weaker");
    return result;
  }


  types::global_dof_index
  AggregationHierarchy::largest_aggregate() const
  {
    types::global_dof_index largest = 0;
    for (const auto n : largest_aggregates)
      largest = std::max(largest, n);
    return largest;
  }


  const AggregationHierarchy::SetupTimes &
  AggregationHierarchy::setup_times() const
  {
    return times;
  }


  unsigned int
  AggregationHierarchy::n_levels() const
  {
    return matrices.size();
  }


  const TrilinosWrappers::SparseMatrix &
  AggregationHierarchy::matrix(const unsigned int level) const
  {
    AssertIndexRange(level, matrices.size());
    return matrices[level];
  }


  const TrilinosWrappers::SparseMatrix &
  AggregationHierarchy::prolongation(const unsigned int level) const
  {
    AssertIndexRange(level, prolongations.size());
    return prolongations[level];
  }


  const TrilinosWrappers::SparseMatrix &
  AggregationHierarchy::tentative_prolongation(const unsigned int level) const
  {
    AssertThrow(settings.keep_tentative_prolongations,
                ExcMessage("AggregationHierarchy: the tentative "
                           "prolongations were not kept; set "
                           "AdditionalData::keep_tentative_prolongations."));
    AssertIndexRange(level, tentative.size());
    return tentative[level];
  }


  const TrilinosWrappers::MPI::Vector &
  AggregationHierarchy::inverse_sqrt_diagonal(const unsigned int level) const
  {
    AssertIndexRange(level, scalings.size());
    return scalings[level];
  }


  const IndexSet &
  AggregationHierarchy::locally_owned(const unsigned int level) const
  {
    AssertIndexRange(level, owned.size());
    return owned[level];
  }


  std::vector<types::global_dof_index>
  AggregationHierarchy::level_sizes() const
  {
    std::vector<types::global_dof_index> sizes;
    for (const auto &m : matrices)
      sizes.push_back(m.m());
    return sizes;
  }


  double
  AggregationHierarchy::operator_complexity() const
  {
    double total = 0.;
    for (const auto &m : matrices)
      total += m.n_nonzero_elements();
    return matrices.empty() ? 0. : total / matrices[0].n_nonzero_elements();
  }
} // namespace dealii_learned
