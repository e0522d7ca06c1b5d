// AggregationHierarchy: the smoothed prolongations, their truncation and
// the Galerkin products.

#include <deal.II/base/mpi.h>

#include <EpetraExt_MatrixMatrix.h>
#include <Epetra_CrsMatrix.h>
#include <Epetra_Import.h>
#include <Epetra_IntSerialDenseVector.h>
#include <Epetra_MultiVector.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <utility>

#include "aggregation_hierarchy_internal.h"

namespace dealii_learned
{
  using namespace dealii;

  double
  ProlongationSmoothing::factor(const double entry,
                                const bool   same_aggregate,
                                const bool   diagonal) const
  {
    if (hidden == 0)
      return 1.;
    const double f1 = same_aggregate ? 1. : 0., f2 = diagonal ? 1. : 0.;
    double       z = b;
    for (unsigned int h = 0; h < hidden; ++h)
      {
        const double *row = W.data() + 3 * h;
        const double pre = row[0] * entry + row[1] * f1 + row[2] * f2 + bias[h];
        if (pre > 0.)
          z += w[h] * pre;
      }
    return 1. + std::tanh(z);
  }


  std::size_t
  ProlongationSmoothing::n_parameters() const
  {
    return hidden == 0 ? 0 : 5 * std::size_t(hidden) + 1;
  }


  std::vector<double>
  ProlongationSmoothing::flatten() const
  {
    std::vector<double> values;
    if (hidden == 0)
      return values;
    values.insert(values.end(), W.begin(), W.end());
    values.insert(values.end(), bias.begin(), bias.end());
    values.insert(values.end(), w.begin(), w.end());
    values.push_back(b);
    return values;
  }


  void
  ProlongationSmoothing::unflatten(const std::vector<double> &values,
                                   std::size_t               &position)
  {
    if (hidden == 0)
      {
        W.clear();
        bias.clear();
        w.clear();
        b = 0.;
        return;
      }
    AssertThrow(position + n_parameters() <= values.size(),
                ExcMessage("Too few values for the prolongation smoothing's "
                           "weights."));
    const auto take = [&](std::vector<double> &v, const std::size_t n) {
      v.assign(values.begin() + position, values.begin() + position + n);
      position += n;
    };
    take(W, 3 * std::size_t(hidden));
    take(bias, hidden);
    take(w, hidden);
    b = values[position++];
  }


  namespace internal
  {
    namespace
    {
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
    } // namespace


    std::unique_ptr<Epetra_MultiVector>
    import_to_columns(const Epetra_CrsMatrix   &E,
                      const Epetra_MultiVector &owned_values)
    {
      auto result =
        std::make_unique<Epetra_MultiVector>(E.ColMap(),
                                             owned_values.NumVectors());
      if (E.Importer() != nullptr)
        {
          const int error = result->Import(owned_values, *E.Importer(), Insert);
          AssertThrow(error == 0, ExcTrilinosError(error));
        }
      else
        *result = owned_values;
      return result;
    }


    ProlongationRows
    prolongation_rows(const TrilinosWrappers::SparseMatrix &fine,
                      const TrilinosWrappers::MPI::Vector  &scaling,
                      const std::vector<Index>             &coarse_of,
                      const double                          omega,
                      const ProlongationSmoothing          &smoothing,
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
      const auto column_values             = import_to_columns(E, owned_values);
      const Epetra_MultiVector &at_columns = *column_values;
      std::vector<long long>    column_aggregate(n_columns);
      std::vector<double>       column_kernel(n_columns);
      for (int c = 0; c < n_columns; ++c)
        {
          column_aggregate[c] = std::llround(at_columns[0][c]);
          column_kernel[c]    = at_columns[1][c];
        }

      // The rows, with their (few) coarse columns in order of appearance.
      std::vector<std::size_t> start(n_rows + 1, 0);
      std::vector<Index>       coarse_columns;
      std::vector<double>      values;
      std::vector<double>      magnitudes, weights;
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
                  if (smoothing.empty())
                    for (int k = 0; k < n_entries; ++k)
                      {
                        if (column_aggregate[indices[k]] >= 0)
                          add(row_start,
                              column_aggregate[indices[k]],
                              -omega * entries[k] * column_kernel[indices[k]]);
                      }
                  else
                    {
                      // The learned weights (see ProlongationSmoothing):
                      // f_ij on the off-diagonal entries, what they leave
                      // of Â_ij k_j lumped into the diagonal, and the
                      // row's factor g_i on all.
                      const long long own =
                        static_cast<long long>(coarse_of[i]);
                      const long long row = E.GRID64(static_cast<int>(i));
                      double          row_factor = 1., lumped = 0.;
                      int             diagonal_entry = -1;
                      weights.resize(n_entries);
                      for (int k = 0; k < n_entries; ++k)
                        {
                          const bool diagonal =
                            columns.GID64(indices[k]) == row;
                          weights[k] = smoothing.factor(
                            entries[k],
                            diagonal || column_aggregate[indices[k]] == own,
                            diagonal);
                          if (diagonal)
                            {
                              row_factor     = weights[k];
                              diagonal_entry = k;
                            }
                          else if (column_aggregate[indices[k]] >= 0)
                            lumped += (1. - weights[k]) * entries[k] *
                                      column_kernel[indices[k]];
                        }
                      for (int k = 0; k < n_entries; ++k)
                        if (column_aggregate[indices[k]] >= 0)
                          {
                            const double term =
                              k == diagonal_entry ?
                                entries[k] * column_kernel[indices[k]] +
                                  lumped :
                                weights[k] * entries[k] *
                                  column_kernel[indices[k]];
                            add(row_start,
                                column_aggregate[indices[k]],
                                -omega * row_factor * term);
                          }
                    }
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
  } // namespace internal
} // namespace dealii_learned
