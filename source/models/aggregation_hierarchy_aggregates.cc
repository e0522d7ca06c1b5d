// AggregationHierarchy: the greedy aggregation of a level's unknowns,
// the same on any number of MPI ranks.

#include <deal.II/base/mpi.h>

#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <Epetra_CrsMatrix.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aggregation_hierarchy_internal.h"

namespace dealii_learned
{
  using namespace dealii;

  namespace internal
  {
    namespace
    {
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
        in_turn([this](std::vector<unsigned int> &claimed) {
          leftover_pass(claimed);
        });
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
        AssertThrow(row < ranges[r].first + ranges[r].second,
                    ExcInternalError());
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
      GreedyAggregation::leftover_pass(
        std::vector<unsigned int> &claimed_ghosts)
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
              const Index seed = state[i];
              result.coarse_of[i] =
                (seed >= first && seed < first + n) ?
                  result.offset + local_number[seed - first] :
                  remote_coarse.at(seed);
            }
        return result;
      }
    } // namespace


    Aggregation
    aggregate(const TrilinosWrappers::SparseMatrix       &M,
              const AggregationHierarchy::AdditionalData &data)
    {
      return GreedyAggregation(M, data).run();
    }
  } // namespace internal
} // namespace dealii_learned
