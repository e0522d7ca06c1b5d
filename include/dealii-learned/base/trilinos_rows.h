#pragma once

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <Epetra_CrsMatrix.h>

#include <array>
#include <cstdint>

namespace dealii_learned
{
  /**
   * Calls f(global column, value) for every stored entry of the locally
   * owned row @p row of @p M, reading Epetra's row storage directly.
   *
   * deal.II's row iterators for Trilinos matrices copy the row on every
   * construction, and end(row) costs time proportional to the matrix size,
   * which made whole-matrix loops quadratic; this is linear.
   */
  template <typename Function>
  void
  for_each_entry_in_row(const dealii::TrilinosWrappers::SparseMatrix &M,
                        const dealii::types::global_dof_index         row,
                        const Function                               &f)
  {
    const Epetra_CrsMatrix &E     = M.trilinos_matrix();
    const int               local = E.LRID(static_cast<long long>(row));
    AssertThrow(local >= 0,
                dealii::ExcMessage("Row " + std::to_string(row) +
                                   " is not stored on this MPI rank."));
    int     n       = 0;
    double *values  = nullptr;
    int    *indices = nullptr;
    E.ExtractMyRowView(local, n, values, indices);
    for (int k = 0; k < n; ++k)
      f(static_cast<dealii::types::global_dof_index>(E.GCID64(indices[k])),
        values[k]);
  }


  /**
   * D^{-1/2} of the symmetric matrix @p A (D = diag A), distributed like
   * its rows. The check is collective: if any rank holds a non-positive or
   * non-finite diagonal entry, every rank throws, naming the first such
   * row, so no rank is left waiting in a later collective call.
   */
  dealii::TrilinosWrappers::MPI::Vector
  inverse_sqrt_diagonal(const dealii::TrilinosWrappers::SparseMatrix &A);


  /**
   * A fingerprint of the sparsity pattern of @p A as this rank stores it:
   * the global size, the global number of entries, and a hash of the
   * column map and of every owned row's global index, length and local
   * column indices in storage order (the same global columns behind a
   * differently ordered column map hash differently: a false "changed",
   * never a false "same"). Local (no communication): to decide whether two
   * matrices have the same pattern on every rank, compare on each rank and take
   * the minimum over the ranks. Reading the pattern costs about one
   * matrix-vector product.
   */
  std::array<std::uint64_t, 3>
  sparsity_signature(const dealii::TrilinosWrappers::SparseMatrix &A);
} // namespace dealii_learned
