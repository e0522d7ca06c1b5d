#include <deal.II/base/mpi.h>

#include <dealii-learned/base/trilinos_rows.h>

#include <Epetra_Vector.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace dealii_learned
{
  using namespace dealii;

  TrilinosWrappers::MPI::Vector
  inverse_sqrt_diagonal(const TrilinosWrappers::SparseMatrix &A)
  {
    const IndexSet               &owned = A.locally_owned_range_indices();
    TrilinosWrappers::MPI::Vector s(owned, A.get_mpi_communicator());
    types::global_dof_index       first_bad = A.m();
    // Epetra's diagonal in one pass over the rows (deal.II's diag_element()
    // searches each row on its own).
    Epetra_Vector &diagonal =
      const_cast<Epetra_Vector &>(*s.trilinos_vector()(0));
    const int error = A.trilinos_matrix().ExtractDiagonalCopy(diagonal);
    AssertThrow(Utilities::MPI::max(std::abs(error),
                                    A.get_mpi_communicator()) == 0,
                ExcMessage("Epetra could not extract the matrix's diagonal "
                           "(error " +
                           std::to_string(error) +
                           " on this rank): are its rows distributed like "
                           "its locally owned range?"));
    double *values = s.begin();
    for (std::size_t k = 0; k < s.locally_owned_size(); ++k)
      {
        const double d = values[k];
        if (!(d > 0. && std::isfinite(d)))
          {
            first_bad =
              std::min<types::global_dof_index>(first_bad,
                                                owned.nth_index_in_set(k));
            values[k] = 0.;
            continue;
          }
        values[k] = 1. / std::sqrt(d);
      }
    first_bad = Utilities::MPI::min(first_bad, A.get_mpi_communicator());
    AssertThrow(first_bad == A.m(),
                ExcMessage("The matrix has a non-positive or non-finite "
                           "diagonal entry in row " +
                           std::to_string(first_bad) +
                           "; a neural direction network needs a symmetric "
                           "positive definite matrix."));
    return s;
  }


  std::array<std::uint64_t, 3>
  sparsity_signature(const TrilinosWrappers::SparseMatrix &A)
  {
    const Epetra_CrsMatrix &E    = A.trilinos_matrix();
    std::uint64_t           hash = 1469598103934665603ull; // FNV-1a
    const auto              mix  = [&hash](const std::uint64_t v) {
      hash = (hash ^ v) * 1099511628211ull;
    };
    // The column map once, then each row's global index, length and local
    // column indices: equal hashes mean the same global columns in the
    // same order in every row. (Two matrices with the same pattern but
    // differently ordered column maps hash differently, which only costs a
    // rebuild where a reuse was possible.)
    const Epetra_Map &columns = E.ColMap();
    for (int c = 0; c < columns.NumMyElements(); ++c)
      mix(static_cast<std::uint64_t>(columns.GID64(c)));
    for (int i = 0; i < E.NumMyRows(); ++i)
      {
        int     n       = 0;
        double *values  = nullptr;
        int    *indices = nullptr;
        E.ExtractMyRowView(i, n, values, indices);
        mix(static_cast<std::uint64_t>(E.GRID64(i)));
        mix(static_cast<std::uint64_t>(n));
        for (int k = 0; k < n; ++k)
          mix(static_cast<std::uint64_t>(indices[k]));
      }
    return {{static_cast<std::uint64_t>(A.m()),
             static_cast<std::uint64_t>(A.n_nonzero_elements()),
             hash}};
  }
} // namespace dealii_learned
