#include <deal.II/base/mpi.h>

#include <deal.II/lac/trilinos_sparsity_pattern.h>

#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/models/aggregation_hierarchy.h>

#include <Epetra_CrsMatrix.h>
#include <Epetra_FEVector.h>

#include <algorithm>
#include <cmath>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /**
     * Replaces @p M by D^{-1/2} M D^{-1/2} and returns D^{-1/2}. Epetra
     * scales rows and columns in place (the column scaling imports the
     * ghost entries it needs), which is far faster than setting entries one
     * by one.
     */
    TrilinosWrappers::MPI::Vector
    scale_to_unit_diagonal(TrilinosWrappers::SparseMatrix &M)
    {
      const IndexSet &owned = M.locally_owned_range_indices();
      TrilinosWrappers::MPI::Vector s(owned, M.get_mpi_communicator());
      // The check is collective, so that every rank stops, not just the
      // one owning the offending row.
      types::global_dof_index first_bad = M.m();
      for (const auto i : owned)
        {
          const double d = M.diag_element(i);
          if (!(d > 0. && std::isfinite(d)))
            {
              first_bad = std::min<types::global_dof_index>(first_bad, i);
              continue;
            }
          s[i] = 1. / std::sqrt(d);
        }
      first_bad = Utilities::MPI::min(first_bad, M.get_mpi_communicator());
      AssertThrow(first_bad == M.m(),
                  ExcMessage("The matrix has a non-positive or non-finite "
                             "diagonal entry in row " +
                             std::to_string(first_bad) +
                             "; a neural direction network needs a "
                             "symmetric positive definite matrix."));
      s.compress(VectorOperation::insert);

      // deal.II exposes the Epetra matrix only as const; scaling changes
      // values, not structure, so the wrapper stays consistent.
      auto &epetra = const_cast<Epetra_CrsMatrix &>(M.trilinos_matrix());
      const Epetra_Vector &v = *s.trilinos_vector()(0);
      epetra.LeftScale(v);
      epetra.RightScale(v);
      return s;
    }


    /**
     * Greedy aggregation of the locally owned rows of the unit-diagonal
     * matrix @p M: returns, for each owned row (in order), its local
     * aggregate number, and the number of aggregates.
     */
    std::pair<std::vector<unsigned int>, unsigned int>
    aggregate(const TrilinosWrappers::SparseMatrix &M,
              const AggregationHierarchy::AdditionalData &data)
    {
      const IndexSet &owned = M.locally_owned_range_indices();
      const unsigned int n  = owned.n_elements();
      constexpr unsigned int none = AggregationHierarchy::no_aggregate - 1;
      constexpr unsigned int dropped = AggregationHierarchy::no_aggregate;

      // Strong neighbours (local numbering), strongest first.
      std::vector<std::vector<std::pair<double, unsigned int>>> strong(n);
      std::vector<bool> decoupled(n);
      for (unsigned int i = 0; i < n; ++i)
        {
          const auto row = owned.nth_index_in_set(i);
          double     largest = 0.;
          for_each_entry_in_row(M, row, [&](const auto column, const double value) {
            if (column != row)
              largest = std::max(largest, std::abs(value));
          });
          decoupled[i] = (largest == 0.);
          if (decoupled[i])
            continue;
          for_each_entry_in_row(M, row, [&](const auto column, const double value) {
            if (column != row && owned.is_element(column) &&
                std::abs(value) >= data.strength_threshold * largest)
              strong[i].emplace_back(std::abs(value),
                                     owned.index_within_set(column));
          });
          std::sort(strong[i].begin(), strong[i].end(), std::greater<>());
        }

      std::vector<unsigned int> aggregate_of(n, none);
      unsigned int              n_aggregates = 0;

      // Rows without any off-diagonal entry (constrained DoFs, whose rows
      // deal.II keeps as a bare diagonal) are decoupled: a unit-diagonal
      // smoother solves them exactly, so they get no coarse unknown.
      for (unsigned int i = 0; i < n; ++i)
        if (decoupled[i])
          aggregate_of[i] = dropped;

      // Pass 1: seeds whose strong neighbours are all free take up to
      // max_aggregate_size - 1 of the strongest.
      for (unsigned int i = 0; i < n; ++i)
        {
          if (aggregate_of[i] != none)
            continue;
          const bool free = std::all_of(strong[i].begin(),
                                        strong[i].end(),
                                        [&](const auto &e) {
                                          return aggregate_of[e.second] == none;
                                        });
          if (!free || strong[i].empty())
            continue;
          aggregate_of[i] = n_aggregates;
          unsigned int size = 1;
          for (const auto &e : strong[i])
            if (size < data.max_aggregate_size)
              {
                aggregate_of[e.second] = n_aggregates;
                ++size;
              }
          ++n_aggregates;
        }

      // Pass 2: join the aggregate of the strongest aggregated neighbour.
      std::vector<unsigned int> joined(n, none);
      for (unsigned int i = 0; i < n; ++i)
        if (aggregate_of[i] == none)
          for (const auto &e : strong[i])
            if (aggregate_of[e.second] != none)
              {
                joined[i] = aggregate_of[e.second];
                break;
              }
      for (unsigned int i = 0; i < n; ++i)
        if (joined[i] != none)
          aggregate_of[i] = joined[i];

      // Pass 3: what is left forms aggregates with its free strong
      // neighbours, or stays alone.
      for (unsigned int i = 0; i < n; ++i)
        if (aggregate_of[i] == none)
          {
            aggregate_of[i] = n_aggregates;
            unsigned int size = 1;
            for (const auto &e : strong[i])
              if (aggregate_of[e.second] == none &&
                  size < data.max_aggregate_size)
                {
                  aggregate_of[e.second] = n_aggregates;
                  ++size;
                }
            ++n_aggregates;
          }
      return {aggregate_of, n_aggregates};
    }
  } // namespace


  void
  AggregationHierarchy::initialize(const TrilinosWrappers::SparseMatrix &A,
                                   const AdditionalData &                data)
  {
    AssertThrow(A.m() == A.n(),
                ExcMessage("AggregationHierarchy: the matrix is not square (" +
                           std::to_string(A.m()) + " x " +
                           std::to_string(A.n()) + ")."));
    AssertThrow(data.max_aggregate_size >= 2,
                ExcMessage("AggregationHierarchy: aggregates need room for "
                           "at least two unknowns."));
    const MPI_Comm comm = A.get_mpi_communicator();

    matrices.clear();
    prolongations.clear();
    owned.clear();
    scalings.clear();

    matrices.emplace_back();
    matrices.back().copy_from(A);
    scalings.push_back(scale_to_unit_diagonal(matrices.back()));
    owned.push_back(A.locally_owned_range_indices());

    while (matrices.size() < data.max_levels &&
           matrices.back().m() > data.coarsest_size)
      {
        const TrilinosWrappers::SparseMatrix &fine = matrices.back();
        const IndexSet &fine_owned                 = owned.back();
        const auto [aggregate_of, n_local] = aggregate(fine, data);

        const auto counts = Utilities::MPI::all_gather(comm, n_local);
        const unsigned int rank = Utilities::MPI::this_mpi_process(comm);
        types::global_dof_index offset = 0, n_coarse = 0;
        for (unsigned int r = 0; r < counts.size(); ++r)
          {
            if (r < rank)
              offset += counts[r];
            n_coarse += counts[r];
          }
        // Coarsening that no longer pays: stop here.
        if (n_coarse * 10 > fine.m() * 9)
          break;

        IndexSet coarse_owned(n_coarse);
        coarse_owned.add_range(offset, offset + n_local);

        TrilinosWrappers::SparsityPattern pattern(fine_owned, coarse_owned, comm);
        for (unsigned int i = 0; i < aggregate_of.size(); ++i)
          if (aggregate_of[i] != no_aggregate)
            pattern.add(fine_owned.nth_index_in_set(i), offset + aggregate_of[i]);
        pattern.compress();
        TrilinosWrappers::SparseMatrix P;
        P.reinit(pattern);
        for (unsigned int i = 0; i < aggregate_of.size(); ++i)
          if (aggregate_of[i] != no_aggregate)
            P.set(fine_owned.nth_index_in_set(i), offset + aggregate_of[i], 1.);
        P.compress(VectorOperation::insert);

        if (data.prolongation_damping != 0.)
          {
            // P = P_0 - omega Â P_0; the pattern of P_0 is contained in
            // that of Â P_0, since Â has a full diagonal.
            TrilinosWrappers::SparseMatrix smoothed;
            fine.mmult(smoothed, P);
            smoothed *= -data.prolongation_damping;
            smoothed.add(1., P);
            prolongations.push_back(std::move(smoothed));
          }
        else
          prolongations.push_back(std::move(P));
        const TrilinosWrappers::SparseMatrix &prolongation = prolongations.back();

        TrilinosWrappers::SparseMatrix AP, coarse;
        fine.mmult(AP, prolongation);
        prolongation.Tmmult(coarse, AP);
        scalings.push_back(scale_to_unit_diagonal(coarse));

        matrices.push_back(std::move(coarse));
        owned.push_back(coarse_owned);
      }
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
