// AggregationHierarchy for systems: the node graph, the tentative
// prolongation from the near-null space orthonormalised per aggregate, and
// the smoothed prolongation's rows.

#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <dealii-learned/base/system_structure.h>

#include <Epetra_CrsMatrix.h>
#include <Epetra_Import.h>
#include <Epetra_MultiVector.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "aggregation_hierarchy_internal.h"

namespace dealii_learned
{
  using namespace dealii;

  namespace internal
  {
    namespace
    {
      /**
       * Gram-Schmidt of the columns of the aggregate's near-null-space
       * block B in the inner product of its Gram matrix G = B^T B (k x k):
       * T (k x r, column after column) with (B T)^T (B T) = I. A column
       * whose part orthogonal to the kept ones is below 1e-10 of its own
       * norm (squared), or zero, is dropped (an aggregate with fewer
       * unknowns than vectors, or a mode that vanishes on it). With
       * @p mask_given, exactly the columns in @p mask are used (the
       * decisions of initialize(), for reinit_values()). Returns r; sets
       * @p mask to the columns kept.
       */
      unsigned int
      orthonormal_basis(const double        *G,
                        const unsigned int   k,
                        const bool           mask_given,
                        std::uint32_t       &mask,
                        std::vector<double> &T,
                        bool                &vanished)
      {
        T.assign(k * k, 0.);
        std::vector<double> u(k), Gu(k);
        unsigned int        r        = 0;
        std::uint32_t       new_mask = 0;
        const auto          apply_G  = [&](const std::vector<double> &x,
                                 std::vector<double>       &y) {
          for (unsigned int a = 0; a < k; ++a)
            {
              double sum = 0.;
              for (unsigned int b = 0; b < k; ++b)
                sum += G[a * k + b] * x[b];
              y[a] = sum;
            }
        };
        for (unsigned int c = 0; c < k; ++c)
          {
            if (mask_given && !(mask & (std::uint32_t(1) << c)))
              continue;
            std::fill(u.begin(), u.end(), 0.);
            u[c] = 1.;
            // Twice, as classical Gram-Schmidt needs to be accurate.
            for (unsigned int pass = 0; pass < 2; ++pass)
              {
                apply_G(u, Gu);
                for (unsigned int m = 0; m < r; ++m)
                  {
                    double coefficient = 0.;
                    for (unsigned int a = 0; a < k; ++a)
                      coefficient += T[m * k + a] * Gu[a];
                    for (unsigned int a = 0; a < k; ++a)
                      u[a] -= coefficient * T[m * k + a];
                  }
              }
            apply_G(u, Gu);
            double norm2 = 0.;
            for (unsigned int a = 0; a < k; ++a)
              norm2 += u[a] * Gu[a];
            const bool keep =
              mask_given ? norm2 > 0. :
                           norm2 > 1e-10 * G[c * k + c] && G[c * k + c] > 0.;
            if (!keep)
              {
                // A vector initialize() kept that vanishes now: reported by
                // the caller on every rank.
                vanished = vanished || mask_given;
                continue;
              }
            const double scale = 1. / std::sqrt(norm2);
            for (unsigned int a = 0; a < k; ++a)
              T[r * k + a] = u[a] * scale;
            ++r;
            new_mask |= std::uint32_t(1) << c;
          }
        mask = new_mask;
        return r;
      }
    } // namespace


    LevelStructure
    fine_level_structure(const TrilinosWrappers::SparseMatrix &A,
                         const SystemStructure                &structure)
    {
      const MPI_Comm     comm  = A.get_mpi_communicator();
      const IndexSet    &owned = A.locally_owned_range_indices();
      const Index        n     = owned.n_elements();
      const Index        first = n > 0 ? owned.nth_index_in_set(0) : 0;
      const unsigned int b     = std::max(1u, structure.n_components);
      // Decided on every rank: what follows is collective.
      const bool aligned =
        owned.is_contiguous() && first % b == 0 && n % b == 0 && A.m() % b == 0;
      AssertThrow(
        Utilities::MPI::min(static_cast<int>(aligned), comm) == 1,
        ExcMessage(
          "AggregationHierarchy: with " + std::to_string(b) +
          " components per point, every MPI rank must own whole points: a "
          "contiguous range of rows that starts and ends at a multiple of " +
          std::to_string(b) +
          " (deal.II's numbering of an FESystem on a DoFHandler does, unless "
          "the DoFs were renumbered by component)."));
      LevelStructure level;
      level.first_node = first / b;
      level.n_nodes    = n / b;
      level.node_of.resize(n);
      for (Index i = 0; i < n; ++i)
        level.node_of[i] = (first + i) / b;
      const auto vectors = near_null_space_vectors(structure, first, n);
      bool       lengths = true;
      for (const auto &v : vectors)
        lengths = lengths && v.size() == n;
      const bool count_ok = vectors.size() >= 1 && vectors.size() <= 32;
      // The same verdict on every rank.
      AssertThrow(Utilities::MPI::min(static_cast<int>(count_ok), comm) == 1,
                  ExcMessage("AggregationHierarchy: between 1 and 32 "
                             "near-null-space vectors are supported, not " +
                             std::to_string(vectors.size()) + "."));
      AssertThrow(Utilities::MPI::min(static_cast<int>(lengths), comm) == 1,
                  ExcMessage("AggregationHierarchy: a near-null-space "
                             "vector does not have one entry per locally "
                             "owned row on every rank (check it with "
                             "check_system_structure())."));
      level.n_vectors = vectors.size();
      level.modes.resize(n * level.n_vectors);
      for (unsigned int c = 0; c < level.n_vectors; ++c)
        {
          for (Index i = 0; i < n; ++i)
            level.modes[i * level.n_vectors + c] = vectors[c][i];
        }
      return level;
    }


    std::vector<bool>
    decoupled_rows(const TrilinosWrappers::SparseMatrix &M)
    {
      const Epetra_CrsMatrix &E = M.trilinos_matrix();
      std::vector<bool>       result(E.NumMyRows(), false);
      for (int i = 0; i < E.NumMyRows(); ++i)
        {
          int     length  = 0;
          double *values  = nullptr;
          int    *indices = nullptr;
          E.ExtractMyRowView(i, length, values, indices);
          const long long row      = E.GRID64(i);
          bool            coupling = false;
          for (int k = 0; k < length && !coupling; ++k)
            coupling = values[k] != 0. && E.GCID64(indices[k]) != row;
          result[i] = !coupling;
        }
      return result;
    }


    TrilinosWrappers::SparseMatrix
    node_matrix(const TrilinosWrappers::SparseMatrix &M,
                const LevelStructure                 &level)
    {
      const Epetra_CrsMatrix &E = M.trilinos_matrix();
      const Index             n = level.node_of.size();
      AssertThrow(static_cast<Index>(E.NumMyRows()) == n, ExcInternalError());
      Epetra_MultiVector owned_nodes(E.DomainMap(), 1);
      for (Index i = 0; i < n; ++i)
        owned_nodes[0][i] = static_cast<double>(level.node_of[i]);
      const auto column_nodes = import_to_columns(E, owned_nodes);

      const MPI_Comm comm     = M.get_mpi_communicator();
      const Index    n_global = Utilities::MPI::sum(level.n_nodes, comm);
      IndexSet       nodes(n_global);
      nodes.add_range(level.first_node, level.first_node + level.n_nodes);
      const Epetra_Map node_map = nodes.make_trilinos_map(comm, false);

      using GlobalIndex = TrilinosWrappers::types::int_type;
      // The node of every local column as a local number among the
      // distinct column nodes, so that a node row's entries are found by
      // an array lookup (a search through the row would cost its length
      // per entry: 125 nodes per row for 3-D Q2).
      const int          n_columns = E.ColMap().NumMyElements();
      std::vector<Index> column_node(n_columns);
      for (int c = 0; c < n_columns; ++c)
        column_node[c] = std::llround((*column_nodes)[0][c]);
      std::vector<Index> distinct(column_node);
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()),
                     distinct.end());
      std::vector<unsigned int> column_slot(n_columns);
      for (int c = 0; c < n_columns; ++c)
        column_slot[c] =
          std::lower_bound(distinct.begin(), distinct.end(), column_node[c]) -
          distinct.begin();
      // The entries of each node row; the rows of a node need not be
      // consecutive, so every node keeps its own list.
      constexpr int             no_position = -1;
      std::vector<int>          position(distinct.size(), no_position);
      std::vector<unsigned int> touched;
      std::vector<std::vector<std::pair<GlobalIndex, double>>> rows(
        level.n_nodes);
      Index current = numbers::invalid_dof_index;
      for (Index i = 0; i < n; ++i)
        {
          const Index I = level.node_of[i] - level.first_node;
          AssertThrow(I < level.n_nodes, ExcInternalError());
          auto &row = rows[I];
          if (I != current)
            {
              // A new node: the scratch positions are cleared where the
              // last node set them and point into this node's list (which
              // has entries already only if its rows are not consecutive).
              for (const unsigned int slot : touched)
                position[slot] = no_position;
              touched.clear();
              for (unsigned int e = 0; e < row.size(); ++e)
                {
                  const unsigned int slot =
                    std::lower_bound(distinct.begin(),
                                     distinct.end(),
                                     Index(row[e].first)) -
                    distinct.begin();
                  position[slot] = e;
                  touched.push_back(slot);
                }
              current = I;
            }
          int     length  = 0;
          double *values  = nullptr;
          int    *indices = nullptr;
          E.ExtractMyRowView(static_cast<int>(i), length, values, indices);
          for (int k = 0; k < length; ++k)
            {
              const unsigned int slot   = column_slot[indices[k]];
              const double       square = values[k] * values[k];
              if (position[slot] == no_position)
                {
                  position[slot] = row.size();
                  touched.push_back(slot);
                  row.emplace_back(static_cast<GlobalIndex>(distinct[slot]),
                                   square);
                }
              else
                row[position[slot]].second += square;
            }
        }
      std::vector<int> lengths(level.n_nodes);
      for (Index I = 0; I < level.n_nodes; ++I)
        lengths[I] = rows[I].size() + 1; // room for a missing diagonal
      Epetra_CrsMatrix         epetra(Copy, node_map, lengths.data(), true);
      std::vector<GlobalIndex> columns;
      std::vector<double>      values;
      for (Index I = 0; I < level.n_nodes; ++I)
        {
          columns.clear();
          values.clear();
          const GlobalIndex row =
            static_cast<GlobalIndex>(level.first_node + I);
          bool has_diagonal = false;
          for (const auto &[J, square] : rows[I])
            {
              columns.push_back(J);
              values.push_back(std::sqrt(square));
              has_diagonal = has_diagonal || J == row;
            }
          // A node without rows (a coarse aggregate that kept no vector)
          // still needs its diagonal for a well-formed matrix.
          if (!has_diagonal)
            {
              columns.push_back(row);
              values.push_back(0.);
            }
          const int error = epetra.InsertGlobalValues(row,
                                                      columns.size(),
                                                      values.data(),
                                                      columns.data());
          AssertThrow(error >= 0, ExcTrilinosError(error));
        }
      const int error = epetra.FillComplete(node_map, node_map);
      AssertThrow(error == 0, ExcTrilinosError(error));
      TrilinosWrappers::SparseMatrix result;
      result.reinit(epetra);
      return result;
    }


    SystemBasis
    system_basis(const TrilinosWrappers::SparseMatrix &M,
                 const TrilinosWrappers::MPI::Vector  &scaling,
                 const LevelStructure                 &level,
                 const std::vector<Index>             &aggregate_of_row,
                 const Index                           first_aggregate,
                 const Index                           n_owned_aggregates,
                 const std::vector<std::uint32_t>     *kept_given)
    {
      const MPI_Comm     comm = M.get_mpi_communicator();
      const unsigned int k    = level.n_vectors;
      const Index        n    = aggregate_of_row.size();
      const unsigned int kk   = k * k;
      AssertThrow(level.modes.size() == n * k, ExcInternalError());
      AssertThrow(kept_given == nullptr ||
                    kept_given->size() == n_owned_aggregates,
                  ExcInternalError());

      // The near-null space of Â = S A S is S^{-1} B.
      std::vector<double> scaled(n * k);
      for (Index i = 0; i < n; ++i)
        for (unsigned int c = 0; c < k; ++c)
          scaled[i * k + c] = level.modes[i * k + c] / scaling.begin()[i];

      // Which rank owns which aggregates (contiguous ranges by rank).
      const auto ranges = Utilities::MPI::all_gather(
        comm, std::make_pair(first_aggregate, n_owned_aggregates));
      const auto owner_of = [&](const Index J) {
        for (unsigned int r = 0; r < ranges.size(); ++r)
          if (J >= ranges[r].first && J < ranges[r].first + ranges[r].second)
            return r;
        AssertThrow(false, ExcInternalError());
        return 0u;
      };
      const auto owned = [&](const Index J) {
        return J >= first_aggregate && J < first_aggregate + n_owned_aggregates;
      };

      // Gram matrices: owned aggregates here, the rest's partial sums sent
      // to their owners.
      std::vector<double>                  gram(n_owned_aggregates * kk, 0.);
      std::map<Index, std::vector<double>> partial;
      for (Index i = 0; i < n; ++i)
        {
          const Index J = aggregate_of_row[i];
          if (J == numbers::invalid_dof_index)
            continue;
          double *G = nullptr;
          if (owned(J))
            G = gram.data() + (J - first_aggregate) * kk;
          else
            {
              auto &p = partial[J];
              p.resize(kk, 0.);
              G = p.data();
            }
          const double *b = scaled.data() + i * k;
          for (unsigned int a = 0; a < k; ++a)
            for (unsigned int c = 0; c < k; ++c)
              G[a * k + c] += b[a] * b[c];
        }
      std::map<unsigned int, std::vector<double>> to_owners;
      for (const auto &[J, G] : partial)
        {
          auto &message = to_owners[owner_of(J)];
          message.push_back(static_cast<double>(J));
          message.insert(message.end(), G.begin(), G.end());
        }
      const auto from_contributors =
        Utilities::MPI::some_to_some(comm, to_owners);
      for (const auto &[r, message] : from_contributors)
        {
          (void)r;
          AssertThrow(message.size() % (kk + 1) == 0, ExcInternalError());
          for (std::size_t p = 0; p < message.size(); p += kk + 1)
            {
              const Index J = std::llround(message[p]);
              AssertThrow(owned(J), ExcInternalError());
              double *G = gram.data() + (J - first_aggregate) * kk;
              for (unsigned int e = 0; e < kk; ++e)
                G[e] += message[p + 1 + e];
            }
        }

      // The basis of every owned aggregate, and the coarse numbering.
      SystemBasis               result;
      std::vector<double>       T_owned(n_owned_aggregates * kk);
      std::vector<unsigned int> r_owned(n_owned_aggregates);
      result.kept.resize(n_owned_aggregates);
      Index n_local_coarse = 0;
      {
        std::vector<double> T;
        bool                vanished = false;
        for (Index a = 0; a < n_owned_aggregates; ++a)
          {
            std::uint32_t mask = kept_given ? (*kept_given)[a] : 0;
            r_owned[a]         = orthonormal_basis(
              gram.data() + a * kk, k, kept_given, mask, T, vanished);
            result.kept[a] = mask;
            std::copy(T.begin(), T.end(), T_owned.begin() + a * kk);
            n_local_coarse += r_owned[a];
          }
        // Decided on every rank before the collective steps below.
        AssertThrow(Utilities::MPI::max(static_cast<int>(vanished), comm) == 0,
                    ExcMessage("AggregationHierarchy::reinit_values(): a "
                               "near-null-space vector kept by initialize() "
                               "vanishes on an aggregate with the new values; "
                               "call initialize() to build the hierarchy "
                               "anew."));
      }
      const auto counts = Utilities::MPI::all_gather(comm, n_local_coarse);
      Index      coarse_offset = 0, n_global_coarse = 0;
      const auto this_rank = Utilities::MPI::this_mpi_process(comm);
      for (unsigned int r = 0; r < counts.size(); ++r)
        {
          if (r < this_rank)
            coarse_offset += counts[r];
          n_global_coarse += counts[r];
        }
      std::vector<Index> first_coarse_owned(n_owned_aggregates);
      {
        Index next = coarse_offset;
        for (Index a = 0; a < n_owned_aggregates; ++a)
          {
            first_coarse_owned[a] = next;
            next += r_owned[a];
          }
      }
      result.coarse_owned = IndexSet(n_global_coarse);
      result.coarse_owned.add_range(coarse_offset,
                                    coarse_offset + n_local_coarse);

      // The coarse level: one node per aggregate, its modes R = T^T G.
      result.coarse.n_vectors  = k;
      result.coarse.first_node = first_aggregate;
      result.coarse.n_nodes    = n_owned_aggregates;
      result.coarse.node_of.reserve(n_local_coarse);
      result.coarse.modes.reserve(n_local_coarse * k);
      for (Index a = 0; a < n_owned_aggregates; ++a)
        for (unsigned int m = 0; m < r_owned[a]; ++m)
          {
            result.coarse.node_of.push_back(first_aggregate + a);
            const double *t = T_owned.data() + a * kk + m * k;
            const double *G = gram.data() + a * kk;
            for (unsigned int c = 0; c < k; ++c)
              {
                double sum = 0.;
                for (unsigned int e = 0; e < k; ++e)
                  sum += t[e] * G[e * k + c];
                result.coarse.modes.push_back(sum);
              }
          }

      // Contributors get back the first coarse unknown, r and T of the
      // aggregates they sent partial sums for.
      std::map<unsigned int, std::vector<double>> answers;
      for (const auto &[r, message] : from_contributors)
        for (std::size_t p = 0; p < message.size(); p += kk + 1)
          {
            const Index J      = std::llround(message[p]);
            const Index a      = J - first_aggregate;
            auto       &answer = answers[r];
            answer.push_back(static_cast<double>(first_coarse_owned[a]));
            answer.push_back(r_owned[a]);
            answer.insert(answer.end(),
                          T_owned.begin() + a * kk,
                          T_owned.begin() + (a + 1) * kk);
          }
      struct Basis
      {
        Index         first;
        unsigned int  r;
        const double *T;
      };
      std::map<Index, std::vector<double>> remote_T;
      std::map<Index, Basis>               remote;
      for (const auto &[r, answer] :
           Utilities::MPI::some_to_some(comm, answers))
        {
          const auto &asked = to_owners.at(r);
          AssertThrow(answer.size() / (kk + 2) == asked.size() / (kk + 1),
                      ExcInternalError());
          for (std::size_t p = 0, q = 0; p < answer.size();
               p += kk + 2, q += kk + 1)
            {
              const Index J = std::llround(asked[q]);
              auto       &T = remote_T[J];
              T.assign(answer.begin() + p + 2, answer.begin() + p + 2 + kk);
              remote[J] = {static_cast<Index>(std::llround(answer[p])),
                           static_cast<unsigned int>(answer[p + 1]),
                           T.data()};
            }
        }

      // Every owned row: its aggregate's coarse unknowns and Q = B T.
      result.first_coarse.assign(n, numbers::invalid_dof_index);
      result.in_aggregate.assign(n, false);
      result.n_coarse.assign(n, 0);
      result.q.assign(n * k, 0.);
      for (Index i = 0; i < n; ++i)
        {
          const Index J = aggregate_of_row[i];
          if (J == numbers::invalid_dof_index)
            continue;
          result.in_aggregate[i] = true;
          Basis basis;
          if (owned(J))
            basis = {first_coarse_owned[J - first_aggregate],
                     r_owned[J - first_aggregate],
                     T_owned.data() + (J - first_aggregate) * kk};
          else
            basis = remote.at(J);
          if (basis.r == 0)
            continue;
          result.first_coarse[i] = basis.first;
          result.n_coarse[i]     = basis.r;
          const double *b        = scaled.data() + i * k;
          for (unsigned int m = 0; m < basis.r; ++m)
            {
              double sum = 0.;
              for (unsigned int c = 0; c < k; ++c)
                sum += basis.T[m * k + c] * b[c];
              result.q[i * k + m] = sum;
            }
        }
      return result;
    }


    ProlongationRows
    system_prolongation_rows(const TrilinosWrappers::SparseMatrix &fine,
                             const SystemBasis                    &basis,
                             const unsigned int                    k,
                             const double                          omega,
                             const ProlongationSmoothing          &smoothing)
    {
      const Epetra_CrsMatrix &E = fine.trilinos_matrix();
      const Index             n = basis.first_coarse.size();
      AssertThrow(E.DomainMap().NumMyElements() == static_cast<int>(n),
                  ExcInternalError());
      // First coarse unknown (-1: none), their number r, and Q of every
      // column this rank's rows reach.
      Epetra_MultiVector owned_values(E.DomainMap(), 2 + k);
      for (Index i = 0; i < n; ++i)
        {
          owned_values[0][i] =
            basis.first_coarse[i] == numbers::invalid_dof_index ?
              -1. :
              static_cast<double>(basis.first_coarse[i]);
          owned_values[1][i] = basis.n_coarse[i];
          for (unsigned int m = 0; m < k; ++m)
            owned_values[2 + m][i] = basis.q[i * k + m];
        }
      const auto at_columns = import_to_columns(E, owned_values);

      ProlongationRows rows;
      rows.start.assign(n + 1, 0);
      rows.columns.reserve(3 * k * n);
      rows.values.reserve(3 * k * n);
      // The aggregates a row reaches (their first coarse unknown) and where
      // their r entries start in the row.
      std::vector<std::pair<long long, std::size_t>> reached;
      for (Index i = 0; i < n; ++i)
        {
          reached.clear();
          const auto add = [&](const long long    first,
                               const unsigned int r,
                               const double       factor,
                               const auto        &q_of) {
            std::size_t position = rows.columns.size();
            const auto  found =
              std::find_if(reached.begin(), reached.end(), [&](const auto &e) {
                return e.first == first;
              });
            if (found == reached.end())
              {
                reached.emplace_back(first, position);
                for (unsigned int m = 0; m < r; ++m)
                  {
                    rows.columns.push_back(first + m);
                    rows.values.push_back(0.);
                  }
              }
            else
              position = found->second;
            for (unsigned int m = 0; m < r; ++m)
              rows.values[position + m] += factor * q_of(m);
          };
          // The row's own aggregate's Q entry, then the smoothing terms,
          // also for a row whose aggregate kept no vector (its P row is
          // -omega sum_j Â_ij Q_j, not zero). A decoupled row (no
          // aggregate) has none, as in the scalar hierarchy.
          if (basis.first_coarse[i] != numbers::invalid_dof_index)
            add(basis.first_coarse[i],
                basis.n_coarse[i],
                1.,
                [&](const unsigned int m) { return basis.q[i * k + m]; });
          if (omega != 0. && basis.in_aggregate[i])
            {
              int     length  = 0;
              double *entries = nullptr;
              int    *indices = nullptr;
              E.ExtractMyRowView(static_cast<int>(i), length, entries, indices);
              // Learned smoothing: the row's factor g_i (of its diagonal
              // entry) only, which keeps the whole near-null space
              // (ProlongationSmoothing).
              double weight = omega;
              if (!smoothing.empty())
                {
                  const long long row = E.GRID64(static_cast<int>(i));
                  for (int e = 0; e < length; ++e)
                    if (E.GCID64(indices[e]) == row)
                      weight = omega * smoothing.factor(entries[e], true, true);
                }
              for (int e = 0; e < length; ++e)
                {
                  const int       c     = indices[e];
                  const long long first = std::llround((*at_columns)[0][c]);
                  if (first < 0)
                    continue;
                  add(first,
                      static_cast<unsigned int>(
                        std::llround((*at_columns)[1][c])),
                      -weight * entries[e],
                      [&](const unsigned int m) {
                        return (*at_columns)[2 + m][c];
                      });
                }
            }
          rows.start[i + 1] = rows.columns.size();
        }
      return rows;
    }
  } // namespace internal
} // namespace dealii_learned
