#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>

#include <deal.II/lac/tridiagonal_matrix.h>
#include <deal.II/lac/trilinos_sparsity_pattern.h>

#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/models/aggregation_hierarchy.h>

#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <EpetraExt_MatrixMatrix.h>
#include <Epetra_CrsMatrix.h>
#include <Epetra_FEVector.h>
#include <Epetra_Import.h>
#include <Epetra_IntSerialDenseVector.h>
#include <Epetra_MultiVector.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

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
      const TrilinosWrappers::MPI::Vector s = inverse_sqrt_diagonal(M);

      // deal.II exposes the Epetra matrix only as const; scaling changes
      // values, not structure, so the wrapper stays consistent.
      auto &epetra = const_cast<Epetra_CrsMatrix &>(M.trilinos_matrix());
      const Epetra_Vector &v = *s.trilinos_vector()(0);
      epetra.LeftScale(v);
      epetra.RightScale(v);
      return s;
    }


    /**
     * An estimate of the largest eigenvalue of the symmetric matrix @p M:
     * the largest Ritz value of 6 Lanczos steps (the way
     * PreconditionChebyshev estimates it with SolverCG), started from a
     * vector that depends only on the global indices (so the estimate is
     * the same on any number of ranks up to rounding), enlarged by 5%
     * because Ritz values approach it from below. Six steps put the
     * normalised levels' largest eigenvalue in [1.90, 2.06] on the test
     * problems (tests/models/aggregation_hierarchy), as close as the 24
     * power steps this replaced, at a quarter of their cost; on the
     * finest level of a 1M-DoF problem, ten steps took 0.21 s of a 1.3 s
     * setup.
     */
    double
    estimate_largest_eigenvalue(const TrilinosWrappers::SparseMatrix &M)
    {
      constexpr unsigned int        max_steps = 6;
      TrilinosWrappers::MPI::Vector v(M.locally_owned_range_indices(),
                                      M.get_mpi_communicator());
      TrilinosWrappers::MPI::Vector w(v), v_old(v);
      for (const auto i : M.locally_owned_range_indices())
        v[i] = 0.5 + hash_to_unit_interval(i);
      v.compress(VectorOperation::insert);
      std::vector<double> alpha, beta;
      double              norm = v.l2_norm();
      if (!(norm > 0.) || !std::isfinite(norm))
        return 0.;
      v /= norm;
      double previous_beta = 0.;
      for (unsigned int k = 0; k < max_steps; ++k)
        {
          M.vmult(w, v);
          // w = M v - beta_{k-1} v_{k-1}, then alpha_k = v . w (fused)
          const double a =
            k == 0 ? w * v : w.add_and_dot(-previous_beta, v_old, v);
          alpha.push_back(a);
          w.add(-a, v);
          const double b = w.l2_norm();
          if (!std::isfinite(a) || !std::isfinite(b))
            return std::numeric_limits<double>::quiet_NaN();
          // An invariant subspace: the Ritz values are exact.
          if (!(b > 1e-12 * std::abs(a)) || k + 1 == max_steps)
            break;
          beta.push_back(b);
          previous_beta = b;
          v_old.swap(v);
          v.equ(1. / b, w);
        }
      TridiagonalMatrix<double> T(alpha.size(), true);
      for (unsigned int i = 0; i < alpha.size(); ++i)
        {
          T(i, i) = alpha[i];
          if (i + 1 < alpha.size())
            T(i, i + 1) = beta[i];
        }
      T.compute_eigenvalues();
      double lambda = T.eigenvalue(0);
      for (unsigned int i = 1; i < alpha.size(); ++i)
        lambda = std::max(lambda, T.eigenvalue(i));
      return 1.05 * lambda;
    }


    /**
     * Multiplies the unit-diagonal level matrix @p M by 2 / lambda_max and
     * @p s by its square root, so that M stays s A s for the level's
     * Galerkin operator A and its spectrum lies in (0, about 2] on every
     * level.
     * Returns the estimate; when it is not positive and finite (a level
     * matrix that is not SPD), nothing is scaled.
     */
    double
    normalize_spectrum(TrilinosWrappers::SparseMatrix &M,
                       TrilinosWrappers::MPI::Vector  &s)
    {
      const double lambda = estimate_largest_eigenvalue(M);
      if (!(lambda > 0.) || !std::isfinite(lambda))
        return lambda;
      M *= 2. / lambda;
      s *= std::sqrt(2. / lambda);
      return lambda;
    }


    using Index = types::global_dof_index;

    /** Result of aggregation on one rank. */
    struct Aggregation
    {
      /** Global coarse index of each owned row (in order), or
       *  numbers::invalid_dof_index for a dropped (decoupled) row. */
      std::vector<Index> coarse_of;
      /** Coarse unknowns owned by this rank: [offset, offset + n_local). */
      Index offset = 0, n_local = 0, n_global = 0;
      /** Rows in the largest aggregate (global). */
      Index largest = 0;
    };


    /**
     * Greedy aggregation of the unit-diagonal matrix @p M that gives the
     * same aggregates on any number of MPI ranks, namely those of the
     * sequential algorithm below run over all rows in global index order:
     *
     *  0. rows without off-diagonal entries (constrained DoFs, which
     *     deal.II keeps as a bare diagonal) are dropped: a unit-diagonal
     *     smoother solves them exactly, so they get no coarse unknown;
     *  1. a row whose strong neighbours (|Â_ij| >= threshold max_k |Â_ik|)
     *     are all free seeds an aggregate and takes up to
     *     max_aggregate_size - 1 of them, strongest first;
     *  2. every row still free joins the aggregate of its strongest
     *     aggregated neighbour (from the state after pass 1);
     *  3. what is left seeds aggregates with its free strong neighbours.
     *
     * Coarse unknowns are numbered in the order of their seeds. Aggregates
     * may cross ranks. The sequential passes 1 and 3 run rank after rank
     * (ranks own contiguous, ascending index ranges), each handing its
     * decisions on rows of other ranks to their owners before the next
     * rank goes: 2 p rounds of neighbour communication per pass on p
     * ranks. With a DoF numbering that does not depend on the partition
     * (DoFRenumbering::hierarchical), the whole hierarchy does not either.
     */
    class GreedyAggregation
    {
    public:
      GreedyAggregation(const TrilinosWrappers::SparseMatrix       &M,
                        const AggregationHierarchy::AdditionalData &data);

      /** The passes in order, then the numbering. */
      Aggregation
      run();

    private:
      /** A row's state: the global index of its aggregate's seed, or: */
      static constexpr long long free = -1, dropped = -2;

      /** Which rank owns which rows (contiguous, ascending ranges). */
      void
      find_owners();

      /** Strong neighbours of every owned row, strongest first (CSR), and
       *  the slots of the ghost rows among them; decoupled rows dropped. */
      void
      find_strong_neighbours();

      /** Tells each owner which of its rows this rank reads. */
      void
      subscribe_to_ghosts();

      /** Pass 1: a row whose strong neighbours are all free seeds an
       *  aggregate with up to max_aggregate_size - 1 of them. */
      void
      seed_pass(std::vector<unsigned int> &claimed_ghosts);

      /** Pass 2: every row still free joins the aggregate of its strongest
       *  aggregated neighbour (reading the state after pass 1 only). */
      void
      join_pass();

      /** Pass 3: what is left seeds aggregates with its free strong
       *  neighbours. */
      void
      leftover_pass(std::vector<unsigned int> &claimed_ghosts);

      /** Runs a sequential pass rank after rank in index order. */
      template <typename Pass>
      void
      in_turn(const Pass &pass);

      /** Owners send the current state of the rows others read. */
      void
      refresh_ghosts();

      /** The rank whose turn it was hands its decisions on other ranks'
       *  rows to their owners. */
      void
      push_claims(const std::vector<unsigned int> &claimed_ghosts);

      /** Coarse unknowns numbered in the order of their seeds; the coarse
       *  index of every row; the size of the largest aggregate. */
      Aggregation
      number_aggregates() const;

      unsigned int
      owner_of(const Index row) const;

      unsigned int
      slot_of(const Index row);

      /** The strong neighbours (slots) of owned row @p i. */
      std::pair<const unsigned int *, const unsigned int *>
      strong(const Index i) const
      {
        return {strong_slots.data() + strong_start[i],
                strong_slots.data() + strong_start[i + 1]};
      }

      const TrilinosWrappers::SparseMatrix       &M;
      const AggregationHierarchy::AdditionalData &data;
      const MPI_Comm                              comm;
      const unsigned int                          n_ranks, rank;
      /** Owned rows: [first, first + n). */
      Index first = 0, n = 0;
      /** (first row, number of rows) of every rank. */
      std::vector<std::pair<Index, Index>> ranges;
      /** Starts of the non-empty ranges (ascending) and their ranks. */
      std::vector<Index>        starts;
      std::vector<unsigned int> start_rank;
      /** Slots: owned rows 0..n-1, then ghost rows (strong neighbours of
       *  owned rows on other ranks). */
      std::unordered_map<Index, unsigned int> ghost_slot;
      std::vector<Index>                      ghost_index;
      /** Strong neighbours, row after row (CSR): a million small vectors
       *  would cost more than the aggregation itself. */
      std::vector<std::size_t>  strong_start;
      std::vector<unsigned int> strong_slots;
      std::vector<bool>         decoupled;
      /** The state of every slot (see free, dropped). */
      std::vector<long long> state;
      /** Who reads which of my rows; where the answers about my ghosts go. */
      std::map<unsigned int, std::vector<Index>>        subscribers;
      std::map<unsigned int, std::vector<unsigned int>> request_slots;
    };


    GreedyAggregation::GreedyAggregation(
      const TrilinosWrappers::SparseMatrix       &M,
      const AggregationHierarchy::AdditionalData &data)
      : M(M)
      , data(data)
      , comm(M.get_mpi_communicator())
      , n_ranks(Utilities::MPI::n_mpi_processes(comm))
      , rank(Utilities::MPI::this_mpi_process(comm))
    {}


    Aggregation
    GreedyAggregation::run()
    {
      find_owners();
      find_strong_neighbours();
      subscribe_to_ghosts();
      refresh_ghosts();
      in_turn(
        [this](std::vector<unsigned int> &claimed) { seed_pass(claimed); });
      join_pass();
      in_turn(
        [this](std::vector<unsigned int> &claimed) { leftover_pass(claimed); });
      return number_aggregates();
    }


    void
    GreedyAggregation::find_owners()
    {
      const IndexSet &owned = M.locally_owned_range_indices();
      AssertThrow(owned.is_contiguous(),
                  ExcMessage("AggregationHierarchy needs each MPI rank to "
                             "own a contiguous range of rows."));
      n      = owned.n_elements();
      first  = n > 0 ? owned.nth_index_in_set(0) : 0;
      ranges = Utilities::MPI::all_gather(comm, std::make_pair(first, n));
      for (unsigned int r = 1; r < n_ranks; ++r)
        AssertThrow(ranges[r].second == 0 || ranges[r - 1].second == 0 ||
                      ranges[r].first >=
                        ranges[r - 1].first + ranges[r - 1].second,
                    ExcMessage("AggregationHierarchy needs row ranges that "
                               "ascend with the MPI rank."));
      for (unsigned int r = 0; r < n_ranks; ++r)
        if (ranges[r].second > 0)
          {
            starts.push_back(ranges[r].first);
            start_rank.push_back(r);
          }
    }


    unsigned int
    GreedyAggregation::owner_of(const Index row) const
    {
      const auto it = std::upper_bound(starts.begin(), starts.end(), row);
      AssertThrow(it != starts.begin(), ExcInternalError());
      const unsigned int r = start_rank[it - starts.begin() - 1];
      AssertThrow(row < ranges[r].first + ranges[r].second, ExcInternalError());
      return r;
    }


    unsigned int
    GreedyAggregation::slot_of(const Index row)
    {
      if (row >= first && row < first + n)
        return row - first;
      const auto it = ghost_slot.find(row);
      if (it != ghost_slot.end())
        return it->second;
      const unsigned int s = n + ghost_index.size();
      ghost_slot[row]      = s;
      ghost_index.push_back(row);
      return s;
    }


    void
    GreedyAggregation::find_strong_neighbours()
    {
      strong_start.assign(n + 1, 0);
      strong_slots.reserve(4 * n);
      decoupled.assign(n, false);
      // Epetra's row storage with local column indices; each column's
      // global index is looked up once, its slot when first needed.
      const Epetra_CrsMatrix &E       = M.trilinos_matrix();
      const Epetra_Map       &columns = E.ColMap();
      std::vector<Index>      column_index(columns.NumMyElements());
      for (unsigned int c = 0; c < column_index.size(); ++c)
        column_index[c] = columns.GID64(c);
      constexpr unsigned int    no_slot = numbers::invalid_unsigned_int;
      std::vector<unsigned int> column_slot(column_index.size(), no_slot);
      // (strength key, global column, local column)
      std::vector<std::tuple<long long, Index, int>> list;
      for (Index i = 0; i < n; ++i)
        {
          const Index row     = first + i;
          int         length  = 0;
          double     *values  = nullptr;
          int        *indices = nullptr;
          AssertThrow(static_cast<Index>(E.GRID64(i)) == row,
                      ExcInternalError());
          E.ExtractMyRowView(i, length, values, indices);
          double largest = 0.;
          for (int k = 0; k < length; ++k)
            if (column_index[indices[k]] != row)
              largest = std::max(largest, std::abs(values[k]));
          decoupled[i] = (largest == 0.);
          if (!decoupled[i])
            {
              // Strength is compared on a grid of 2^-20 of the row's
              // largest entry: values equal in exact arithmetic (1/3 and
              // 1/3 in a Q1 stencil) may differ in their last bits when
              // assembled on different partitions, and must not sort
              // differently. Ties go to the larger index.
              list.clear();
              for (int k = 0; k < length; ++k)
                {
                  const Index     column = column_index[indices[k]];
                  const long long key =
                    std::llround(std::abs(values[k]) / largest * 1048576.);
                  if (column != row &&
                      key >= data.strength_threshold * 1048576.)
                    list.emplace_back(key, column, indices[k]);
                }
              std::sort(list.begin(), list.end(), std::greater<>());
              for (const auto &[key, column, local] : list)
                {
                  (void)key;
                  if (column_slot[local] == no_slot)
                    column_slot[local] = slot_of(column);
                  strong_slots.push_back(column_slot[local]);
                }
            }
          strong_start[i + 1] = strong_slots.size();
        }
      state.assign(n + ghost_index.size(), free);
      for (Index i = 0; i < n; ++i)
        if (decoupled[i])
          state[i] = dropped;
    }


    void
    GreedyAggregation::subscribe_to_ghosts()
    {
      std::map<unsigned int, std::vector<Index>> requests;
      for (unsigned int g = 0; g < ghost_index.size(); ++g)
        {
          const unsigned int r = owner_of(ghost_index[g]);
          requests[r].push_back(ghost_index[g]);
          request_slots[r].push_back(n + g);
        }
      subscribers = Utilities::MPI::some_to_some(comm, requests);
    }


    void
    GreedyAggregation::refresh_ghosts()
    {
      std::map<unsigned int, std::vector<long long>> answers;
      for (const auto &[r, rows] : subscribers)
        for (const Index j : rows)
          answers[r].push_back(state[j - first]);
      for (const auto &[r, values] :
           Utilities::MPI::some_to_some(comm, answers))
        {
          const auto &slots = request_slots.at(r);
          AssertThrow(values.size() == slots.size(), ExcInternalError());
          for (unsigned int k = 0; k < slots.size(); ++k)
            state[slots[k]] = values[k];
        }
    }


    void
    GreedyAggregation::push_claims(
      const std::vector<unsigned int> &claimed_ghosts)
    {
      std::map<unsigned int, std::vector<std::pair<Index, long long>>> claims;
      for (const unsigned int s : claimed_ghosts)
        claims[owner_of(ghost_index[s - n])].emplace_back(ghost_index[s - n],
                                                          state[s]);
      for (const auto &[r, list] : Utilities::MPI::some_to_some(comm, claims))
        for (const auto &[j, value] : list)
          {
            AssertThrow(state[j - first] == free, ExcInternalError());
            state[j - first] = value;
          }
    }


    template <typename Pass>
    void
    GreedyAggregation::in_turn(const Pass &pass)
    {
      for (unsigned int turn = 0; turn < n_ranks; ++turn)
        {
          std::vector<unsigned int> claimed_ghosts;
          if (turn == rank)
            pass(claimed_ghosts);
          push_claims(claimed_ghosts);
          refresh_ghosts();
        }
    }


    void
    GreedyAggregation::seed_pass(std::vector<unsigned int> &claimed_ghosts)
    {
      for (Index i = 0; i < n; ++i)
        {
          const auto [begin, end] = strong(i);
          if (state[i] != free || begin == end ||
              !std::all_of(begin, end, [&](const unsigned int s) {
                return state[s] == free;
              }))
            continue;
          const long long seed = first + i;
          state[i]             = seed;
          unsigned int size    = 1;
          for (auto s = begin; s != end && size < data.max_aggregate_size;
               ++s, ++size)
            {
              state[*s] = seed;
              if (*s >= n)
                claimed_ghosts.push_back(*s);
            }
        }
    }


    void
    GreedyAggregation::join_pass()
    {
      std::vector<long long> joined(n, free);
      for (Index i = 0; i < n; ++i)
        if (state[i] == free)
          {
            const auto [begin, end] = strong(i);
            for (auto s = begin; s != end; ++s)
              if (state[*s] >= 0)
                {
                  joined[i] = state[*s];
                  break;
                }
          }
      for (Index i = 0; i < n; ++i)
        if (joined[i] != free)
          state[i] = joined[i];
      refresh_ghosts();
    }


    void
    GreedyAggregation::leftover_pass(std::vector<unsigned int> &claimed_ghosts)
    {
      for (Index i = 0; i < n; ++i)
        if (state[i] == free)
          {
            const long long seed    = first + i;
            state[i]                = seed;
            unsigned int size       = 1;
            const auto [begin, end] = strong(i);
            for (auto s = begin; s != end; ++s)
              if (state[*s] == free && size < data.max_aggregate_size)
                {
                  state[*s] = seed;
                  if (*s >= n)
                    claimed_ghosts.push_back(*s);
                  ++size;
                }
          }
    }


    Aggregation
    GreedyAggregation::number_aggregates() const
    {
      Aggregation        result;
      std::vector<Index> local_number(n, numbers::invalid_dof_index);
      for (Index i = 0; i < n; ++i)
        if (state[i] == static_cast<long long>(first + i))
          local_number[i] = result.n_local++;
      const auto counts = Utilities::MPI::all_gather(comm, result.n_local);
      for (unsigned int r = 0; r < n_ranks; ++r)
        {
          if (r < rank)
            result.offset += counts[r];
          result.n_global += counts[r];
        }

      // Coarse index of every row's seed; seeds on other ranks are asked
      // from their owners.
      std::map<unsigned int, std::vector<Index>> seed_requests;
      for (Index i = 0; i < n; ++i)
        if (state[i] >= 0 &&
            (Index(state[i]) < first || Index(state[i]) >= first + n))
          seed_requests[owner_of(state[i])].push_back(state[i]);
      for (auto &[r, list] : seed_requests)
        {
          std::sort(list.begin(), list.end());
          list.erase(std::unique(list.begin(), list.end()), list.end());
        }
      std::map<unsigned int, std::vector<Index>> seed_answers;
      for (const auto &[r, list] :
           Utilities::MPI::some_to_some(comm, seed_requests))
        for (const Index seed : list)
          {
            AssertThrow(local_number[seed - first] !=
                          numbers::invalid_dof_index,
                        ExcInternalError());
            seed_answers[r].push_back(result.offset +
                                      local_number[seed - first]);
          }
      std::unordered_map<Index, Index> remote_coarse;
      for (const auto &[r, list] :
           Utilities::MPI::some_to_some(comm, seed_answers))
        {
          const auto &asked = seed_requests.at(r);
          AssertThrow(list.size() == asked.size(), ExcInternalError());
          for (unsigned int k = 0; k < list.size(); ++k)
            remote_coarse[asked[k]] = list[k];
        }

      // Aggregate sizes: every rank counts its rows per seed and sends the
      // counts to the seeds' owners.
      {
        std::map<unsigned int, std::vector<std::pair<Index, Index>>>
                               counts_to_send;
        std::map<Index, Index> rows_per_seed;
        for (Index i = 0; i < n; ++i)
          if (state[i] >= 0)
            ++rows_per_seed[state[i]];
        for (const auto &[seed, count] : rows_per_seed)
          counts_to_send[owner_of(seed)].emplace_back(seed, count);
        std::map<Index, Index> size_of_seed;
        for (const auto &[r, list] :
             Utilities::MPI::some_to_some(comm, counts_to_send))
          for (const auto &[seed, count] : list)
            size_of_seed[seed] += count;
        Index largest = 0;
        for (const auto &entry : size_of_seed)
          largest = std::max(largest, entry.second);
        result.largest = Utilities::MPI::max(largest, comm);
      }

      result.coarse_of.assign(n, numbers::invalid_dof_index);
      for (Index i = 0; i < n; ++i)
        if (state[i] >= 0)
          {
            const Index seed    = state[i];
            result.coarse_of[i] = (seed >= first && seed < first + n) ?
                                    result.offset + local_number[seed - first] :
                                    remote_coarse.at(seed);
          }
      return result;
    }


    Aggregation
    aggregate(const TrilinosWrappers::SparseMatrix       &M,
              const AggregationHierarchy::AdditionalData &data)
    {
      return GreedyAggregation(M, data).run();
    }


    /**
     * The factor that scales a truncated row's kept entries (summing to
     * @p kept_sum) to the full row's sum @p sum, or 0 where they cannot
     * carry it: another sign, or a factor outside [1/2, 2] (kept entries
     * that nearly cancel). initialize() then keeps the row whole;
     * reinit_values(), bound to the pattern, leaves it unscaled and counts
     * it.
     */
    double
    row_sum_factor(const double sum, const double kept_sum)
    {
      if (!(kept_sum * sum > 0.))
        return 0.;
      const double factor = sum / kept_sum;
      return factor >= 0.5 && factor <= 2. ? factor : 0.;
    }


    /**
     * Drops the entries of the row in columns/values from @p row_start on
     * whose magnitude is below @p truncation times the row's largest, or
     * below its @p max_entries-th largest (0: no limit; entries tied with
     * it to a relative 1e-8 all stay), and scales the rest to the row's
     * sum. The first entry, the row's own aggregate, always stays: every
     * aggregate then keeps the columns of its rows, and no coarse unknown
     * loses all its entries (an empty column of P leaves a singular coarse
     * matrix). A row whose kept entries cannot carry its sum
     * (row_sum_factor() is 0) stays as it is.
     */
    void
    truncate_row(std::vector<Index>  &columns,
                 std::vector<double> &values,
                 const std::size_t    row_start,
                 const double         truncation,
                 const std::size_t    max_entries,
                 std::vector<double> &magnitudes)
    {
      const std::size_t end = values.size();
      if (end - row_start < 2)
        return;
      double largest = 0., sum = 0.;
      for (std::size_t k = row_start; k < end; ++k)
        {
          largest = std::max(largest, std::abs(values[k]));
          sum += values[k];
        }
      double threshold = truncation * largest;
      if (max_entries > 0 && end - row_start > max_entries)
        {
          // The max_entries-th largest magnitude: entries below it go.
          magnitudes.clear();
          for (std::size_t k = row_start; k < end; ++k)
            magnitudes.push_back(std::abs(values[k]));
          std::nth_element(magnitudes.begin(),
                           magnitudes.begin() + (max_entries - 1),
                           magnitudes.end(),
                           std::greater<double>());
          threshold = std::max(threshold, magnitudes[max_entries - 1]);
        }
      // Entries equal in exact arithmetic (symmetric meshes have many)
      // differ by rounding, in a way that depends on the order of the
      // columns and so on the partition: a relative margin keeps them
      // together, and the hierarchy the same on any number of ranks.
      const double margin = threshold * (1. - 1e-8);
      const auto   kept   = [&](const std::size_t k) {
        return k == row_start || std::abs(values[k]) >= margin;
      };
      double kept_sum = 0.;
      for (std::size_t k = row_start; k < end; ++k)
        if (kept(k))
          kept_sum += values[k];
      const double factor = row_sum_factor(sum, kept_sum);
      if (factor == 0.)
        return;
      std::size_t next = row_start;
      for (std::size_t k = row_start; k < end; ++k)
        if (kept(k))
          {
            columns[next]  = columns[k];
            values[next++] = values[k] * factor;
          }
      columns.resize(next);
      values.resize(next);
    }


    /** The rows of a prolongation: for owned row i, the coarse columns
     *  columns[start[i]..start[i+1]) and their values. */
    struct ProlongationRows
    {
      std::vector<std::size_t> start;
      std::vector<Index>       columns;
      std::vector<double>      values;
    };


    /**
     * The smoothed prolongation P = (I - omega Â) P_0, row by row from the
     * rows of Â, without forming P_0 as a matrix and multiplying.
     *
     * P_0 holds the level's near-kernel vector k = S^{-1} 1 on each
     * aggregate (the image of A's constant under the scaling; with P_0 = 1
     * instead, the coarse space would hold S 1 per aggregate, which varies
     * as the coefficient and the mesh size do, and fails on high-contrast
     * and graded meshes). So
     *
     *   P_iJ = k_i [agg(i) = J] - omega sum_j Â_ij k_j [agg(j) = J].
     *
     * The aggregate and k of the columns owned by other ranks come from a
     * ghosted vector. Decoupled rows (no aggregate) have no entries. With
     * omega = 0 this is P_0.
     */
    ProlongationRows
    prolongation_rows(const TrilinosWrappers::SparseMatrix &fine,
                      const TrilinosWrappers::MPI::Vector  &scaling,
                      const std::vector<Index>             &coarse_of,
                      const double                          omega,
                      const double                          truncation,
                      const unsigned int                    max_entries)
    {
      const Epetra_CrsMatrix &E         = fine.trilinos_matrix();
      const Epetra_Map       &columns   = E.ColMap();
      const int               n_columns = columns.NumMyElements();

      // Aggregate (as a double, exact below 2^53; -1 for none) and k of
      // every column this rank's rows reach, in the matrix's column order:
      // one import through the matrix's own importer (which exists on all
      // ranks or none), no global-index lookups. The domain map holds the
      // owned rows in order.
      const Index n_rows = coarse_of.size();
      AssertThrow(E.DomainMap().NumMyElements() == static_cast<int>(n_rows),
                  ExcInternalError());
      Epetra_MultiVector owned_values(E.DomainMap(), 2);
      for (Index i = 0; i < n_rows; ++i)
        {
          owned_values[0][i] = coarse_of[i] == numbers::invalid_dof_index ?
                                 -1. :
                                 static_cast<double>(coarse_of[i]);
          owned_values[1][i] = 1. / scaling.begin()[i];
        }
      std::unique_ptr<Epetra_MultiVector> column_values;
      if (E.Importer() != nullptr)
        {
          column_values = std::make_unique<Epetra_MultiVector>(columns, 2);
          const int error =
            column_values->Import(owned_values, *E.Importer(), Insert);
          AssertThrow(error == 0, ExcTrilinosError(error));
        }
      const Epetra_MultiVector &at_columns =
        column_values ? *column_values : owned_values;
      std::vector<long long> column_aggregate(n_columns);
      std::vector<double>    column_kernel(n_columns);
      for (int c = 0; c < n_columns; ++c)
        {
          column_aggregate[c] = std::llround(at_columns[0][c]);
          column_kernel[c]    = at_columns[1][c];
        }

      // The rows, with their (few) coarse columns in order of appearance.
      std::vector<std::size_t> start(n_rows + 1, 0);
      std::vector<Index>       coarse_columns;
      std::vector<double>      values;
      std::vector<double>      magnitudes;
      coarse_columns.reserve(6 * n_rows);
      values.reserve(6 * n_rows);
      const auto add =
        [&](const std::size_t row_start, const Index J, const double value) {
          for (std::size_t k = row_start; k < coarse_columns.size(); ++k)
            if (coarse_columns[k] == J)
              {
                values[k] += value;
                return;
              }
          coarse_columns.push_back(J);
          values.push_back(value);
        };
      for (Index i = 0; i < n_rows; ++i)
        {
          const std::size_t row_start = coarse_columns.size();
          if (coarse_of[i] != numbers::invalid_dof_index)
            {
              add(row_start, coarse_of[i], 1. / scaling.begin()[i]);
              if (omega != 0.)
                {
                  int     n_entries = 0;
                  double *entries   = nullptr;
                  int    *indices   = nullptr;
                  E.ExtractMyRowView(i, n_entries, entries, indices);
                  for (int k = 0; k < n_entries; ++k)
                    if (column_aggregate[indices[k]] >= 0)
                      add(row_start,
                          column_aggregate[indices[k]],
                          -omega * entries[k] * column_kernel[indices[k]]);
                }
              if (truncation > 0. || max_entries > 0)
                truncate_row(coarse_columns,
                             values,
                             row_start,
                             truncation,
                             max_entries,
                             magnitudes);
            }
          start[i + 1] = coarse_columns.size();
        }

      return {std::move(start), std::move(coarse_columns), std::move(values)};
    }


    /** The prolongation with the pattern and values of @p rows. */
    TrilinosWrappers::SparseMatrix
    build_prolongation(const TrilinosWrappers::SparseMatrix &fine,
                       const ProlongationRows               &rows,
                       const IndexSet                       &coarse_owned)
    {
      const MPI_Comm          comm           = fine.get_mpi_communicator();
      const Epetra_CrsMatrix &E              = fine.trilinos_matrix();
      const Index             n_rows         = rows.start.size() - 1;
      const auto             &start          = rows.start;
      const auto             &coarse_columns = rows.columns;
      const auto             &values         = rows.values;
      // Straight into Epetra with the exact row lengths and local column
      // indices in a column map made here (deal.II's sparsity pattern and
      // set() calls, or Epetra's global-index insertion with its lookups,
      // cost several times the arithmetic): the owned coarse unknowns
      // first, in order, then the others this rank's rows reach, sorted.
      using GlobalIndex = TrilinosWrappers::types::int_type;
      // Decided on every rank before the collective map constructors.
      const std::size_t n_entries = start[n_rows];
      AssertThrow(Utilities::MPI::max(static_cast<int>(
                                        n_entries >=
                                        static_cast<std::size_t>(
                                          std::numeric_limits<int>::max())),
                                      comm) == 0,
                  ExcMessage("AggregationHierarchy: the prolongation has "
                             "more entries on one rank than Epetra's int "
                             "offsets hold; use more MPI ranks."));
      const Index first_coarse =
        coarse_owned.n_elements() > 0 ? coarse_owned.nth_index_in_set(0) : 0;
      const Index        n_owned_coarse = coarse_owned.n_elements();
      std::vector<Index> others;
      for (const Index J : coarse_columns)
        if (J < first_coarse || J >= first_coarse + n_owned_coarse)
          others.push_back(J);
      std::sort(others.begin(), others.end());
      others.erase(std::unique(others.begin(), others.end()), others.end());
      std::vector<GlobalIndex> column_ids(n_owned_coarse + others.size());
      for (Index k = 0; k < n_owned_coarse; ++k)
        column_ids[k] = static_cast<GlobalIndex>(first_coarse + k);
      for (std::size_t k = 0; k < others.size(); ++k)
        column_ids[n_owned_coarse + k] = static_cast<GlobalIndex>(others[k]);
      const Epetra_Map column_map(static_cast<GlobalIndex>(-1),
                                  static_cast<int>(column_ids.size()),
                                  column_ids.data(),
                                  0,
                                  E.Comm());
      const Epetra_Map coarse_map = coarse_owned.make_trilinos_map(comm, false);
      // Epetra's compressed rows are written directly, as EpetraExt's
      // products do, and completed with ExpertStaticFillComplete(): with
      // row-by-row insertion and FillComplete() this matrix took 0.19 s at
      // 1M rows, several times the cost of computing its values. The
      // matrix starts with no entries (no per-row storage to release).
      Epetra_CrsMatrix epetra(Copy, E.RowMap(), column_map, 0, false);
      epetra.ExpertMakeUniqueCrsGraphData();
      Epetra_IntSerialDenseVector &offsets = epetra.ExpertExtractIndexOffset();
      Epetra_IntSerialDenseVector &indices = epetra.ExpertExtractIndices();
      double                     *&entries = epetra.ExpertExtractValues();
      offsets.Resize(static_cast<int>(n_rows + 1));
      indices.Resize(static_cast<int>(n_entries));
      delete[] entries;
      entries = new double[std::max<std::size_t>(n_entries, 1)];
      for (Index i = 0; i < n_rows; ++i)
        {
          offsets[i]                = static_cast<int>(start[i]);
          int *const    row_columns = indices.Values() + start[i];
          double *const row_values  = entries + start[i];
          const int     length      = static_cast<int>(start[i + 1] - start[i]);
          for (int k = 0; k < length; ++k)
            {
              const Index J = coarse_columns[start[i] + k];
              row_columns[k] =
                J >= first_coarse && J < first_coarse + n_owned_coarse ?
                  static_cast<int>(J - first_coarse) :
                  static_cast<int>(
                    n_owned_coarse +
                    (std::lower_bound(others.begin(), others.end(), J) -
                     others.begin()));
              row_values[k] = values[start[i] + k];
            }
          // Ascending local columns within each row, as FillComplete()
          // leaves them (rows are short: insertion sort).
          for (int k = 1; k < length; ++k)
            for (int m = k; m > 0 && row_columns[m - 1] > row_columns[m]; --m)
              {
                std::swap(row_columns[m - 1], row_columns[m]);
                std::swap(row_values[m - 1], row_values[m]);
              }
        }
      offsets[n_rows] = static_cast<int>(n_entries);
      // The importer from the coarse map to the column map is made by
      // Epetra (none given), no exporter (rows are owned), and no
      // diagonal counted in a rectangular matrix.
      const int error = epetra.ExpertStaticFillComplete(
        coarse_map, E.RangeMap(), nullptr, nullptr, 0);
      AssertThrow(error == 0, ExcTrilinosError(error));
      TrilinosWrappers::SparseMatrix P;
      P.reinit(epetra);
      return P;
    }


    /**
     * Writes the values of @p rows (untruncated) into @p P, whose pattern
     * was chosen by build_prolongation(): every column of P's rows must be
     * among those of @p rows. Entries outside P's pattern (dropped by the
     * truncation) are left out and the row is scaled to the full row's
     * sum, as the truncation does; returns the number of rows (on all
     * ranks) whose kept entries could not carry the sum (row_sum_factor()
     * is 0), which keep their values unscaled.
     */
    unsigned int
    update_prolongation(TrilinosWrappers::SparseMatrix &P,
                        const ProlongationRows         &rows)
    {
      unsigned int      unscaled = 0;
      auto             &E = const_cast<Epetra_CrsMatrix &>(P.trilinos_matrix());
      const Epetra_Map &columns = E.ColMap();
      const Index       n_rows  = rows.start.size() - 1;
      AssertThrow(static_cast<Index>(E.NumMyRows()) == n_rows,
                  ExcInternalError());
      bool pattern_found = true;
      for (Index i = 0; i < n_rows && pattern_found; ++i)
        {
          int     n       = 0;
          double *entries = nullptr;
          int    *indices = nullptr;
          E.ExtractMyRowView(i, n, entries, indices);
          const std::size_t row_length = rows.start[i + 1] - rows.start[i];
          if (static_cast<std::size_t>(n) > row_length)
            {
              pattern_found = false;
              break;
            }
          double kept_sum = 0.;
          for (int k = 0; k < n; ++k)
            {
              const Index J     = columns.GID64(indices[k]);
              bool        found = false;
              for (std::size_t m = rows.start[i]; m < rows.start[i + 1]; ++m)
                if (rows.columns[m] == J)
                  {
                    entries[k] = rows.values[m];
                    kept_sum += rows.values[m];
                    found = true;
                    break;
                  }
              pattern_found = pattern_found && found;
            }
          if (static_cast<std::size_t>(n) < row_length)
            {
              // The kept entries carry the row sum, as truncate_row()
              // scales them; where they cannot, the row keeps its values
              // as they are and is counted.
              double sum = 0.;
              for (std::size_t m = rows.start[i]; m < rows.start[i + 1]; ++m)
                sum += rows.values[m];
              const double factor = row_sum_factor(sum, kept_sum);
              if (factor != 0.)
                for (int k = 0; k < n; ++k)
                  entries[k] *= factor;
              else
                ++unscaled;
            }
        }
      // Decided on every rank: the Galerkin products after this are
      // collective.
      AssertThrow(Utilities::MPI::min(static_cast<int>(pattern_found),
                                      P.get_mpi_communicator()) == 1,
                  ExcMessage("AggregationHierarchy: the prolongation's "
                             "pattern changed with the values; build the "
                             "hierarchy anew (initialize())."));
      return Utilities::MPI::sum(unscaled, P.get_mpi_communicator());
    }


    /**
     * C = op(A) B in Epetra, with every structurally nonzero product
     * stored (hard zeros too), so that a later call with new values of A
     * and B and the same patterns can reuse C's pattern.
     */
    void
    multiply_keeping_pattern(const Epetra_CrsMatrix &A,
                             const bool              transpose_A,
                             const Epetra_CrsMatrix &B,
                             Epetra_CrsMatrix       &C)
    {
      const int error = EpetraExt::MatrixMatrix::Multiply(
        A, transpose_A, B, false, C, true, true);
      AssertThrow(error == 0, ExcTrilinosError(error));
    }
  } // namespace


  void
  AggregationHierarchy::initialize(const TrilinosWrappers::SparseMatrix &A,
                                   const AdditionalData                 &data)
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
    coarse_of.clear();
    products.clear();
    owned.clear();
    scalings.clear();
    largest_aggregates.clear();
    unnormalized_levels.clear();
    unscaled_prolongation_rows = 0;
    stop_reason.clear();

    const auto normalize = [&](TrilinosWrappers::SparseMatrix &M,
                               TrilinosWrappers::MPI::Vector  &s) {
      if (!data.normalize_spectrum)
        return;
      const double lambda = normalize_spectrum(M, s);
      if (!(lambda > 0.) || !std::isfinite(lambda))
        unnormalized_levels.emplace_back(matrices.size() - 1, lambda);
    };

    times = SetupTimes();
    Timer      timer;
    const auto lap = [&timer](double &phase) {
      phase += timer.wall_time();
      timer.restart();
    };

    matrices.emplace_back();
    matrices.back().copy_from(A);
    scalings.push_back(scale_to_unit_diagonal(matrices.back()));
    normalize(matrices.back(), scalings.back());
    owned.push_back(A.locally_owned_range_indices());
    lap(times.scaling);

    while (matrices.size() < data.max_levels &&
           matrices.back().m() > data.coarsest_size)
      {
        const TrilinosWrappers::SparseMatrix &fine = matrices.back();
        const Aggregation aggregation              = aggregate(fine, data);
        const Index       n_coarse                 = aggregation.n_global;
        lap(times.aggregation);
        // Coarsening that no longer pays: stop here.
        if (n_coarse * 10 > fine.m() * 9)
          {
            stop_reason = "aggregation reduced " + std::to_string(fine.m()) +
                          " unknowns only to " + std::to_string(n_coarse);
            break;
          }
        largest_aggregates.push_back(aggregation.largest);

        IndexSet coarse_owned(n_coarse);
        coarse_owned.add_range(aggregation.offset,
                               aggregation.offset + aggregation.n_local);

        // Truncation on the finest level only: it holds most of the rows
        // and most of the Galerkin products' cost, while the coarse
        // levels' rows carry the coarse space (truncating them too cost
        // 5 of 12 iterations on an adaptive L-shape at 141k unknowns).
        const bool             finest = matrices.size() == 1;
        const ProlongationRows rows =
          prolongation_rows(fine,
                            scalings.back(),
                            aggregation.coarse_of,
                            data.prolongation_damping,
                            finest ? data.prolongation_truncation : 0.,
                            finest ? data.prolongation_max_entries : 0u);
        prolongations.push_back(build_prolongation(fine, rows, coarse_owned));
        coarse_of.push_back(aggregation.coarse_of);
        const TrilinosWrappers::SparseMatrix &prolongation =
          prolongations.back();
        lap(times.prolongation);

        // The Galerkin product P^T (Â P), with the product's pattern kept
        // for reinit_values().
        products.push_back(std::make_shared<Epetra_CrsMatrix>(
          Copy, fine.trilinos_matrix().RowMap(), 0));
        multiply_keeping_pattern(fine.trilinos_matrix(),
                                 false,
                                 prolongation.trilinos_matrix(),
                                 *products.back());
        TrilinosWrappers::SparseMatrix coarse;
        {
          Epetra_CrsMatrix galerkin(Copy,
                                    prolongation.trilinos_matrix().DomainMap(),
                                    0);
          multiply_keeping_pattern(prolongation.trilinos_matrix(),
                                   true,
                                   *products.back(),
                                   galerkin);
          coarse.reinit(galerkin);
        }
        lap(times.galerkin);
        scalings.push_back(scale_to_unit_diagonal(coarse));
        matrices.push_back(std::move(coarse));
        owned.push_back(coarse_owned);
        normalize(matrices.back(), scalings.back());
        lap(times.scaling);
      }
    if (stop_reason.empty() && matrices.back().m() > data.coarsest_size)
      stop_reason = "the limit of " + std::to_string(data.max_levels) +
                    " levels was reached";
    coarsest_size_asked = data.coarsest_size;
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
      const double lambda = normalize_spectrum(M, s);
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
    scalings[0] = scale_to_unit_diagonal(matrices[0]);
    normalize(0, matrices[0], scalings[0]);
    lap(times.scaling);

    for (unsigned int l = 0; l + 1 < matrices.size(); ++l)
      {
        unscaled_prolongation_rows +=
          update_prolongation(prolongations[l],
                              prolongation_rows(matrices[l],
                                                scalings[l],
                                                coarse_of[l],
                                                settings.prolongation_damping,
                                                0.,
                                                0));
        lap(times.prolongation);
        multiply_keeping_pattern(matrices[l].trilinos_matrix(),
                                 false,
                                 prolongations[l].trilinos_matrix(),
                                 *products[l]);
        multiply_keeping_pattern(prolongations[l].trilinos_matrix(),
                                 true,
                                 *products[l],
                                 const_cast<Epetra_CrsMatrix &>(
                                   matrices[l + 1].trilinos_matrix()));
        lap(times.galerkin);
        scalings[l + 1] = scale_to_unit_diagonal(matrices[l + 1]);
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
