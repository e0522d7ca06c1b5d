#include <deal.II/base/mpi.h>

#include <dealii-learned/base/trilinos_rows.h>

#include <algorithm>
#include <cmath>

namespace dealii_learned
{
  using namespace dealii;

  TrilinosWrappers::MPI::Vector
  inverse_sqrt_diagonal(const TrilinosWrappers::SparseMatrix &A)
  {
    const IndexSet               &owned = A.locally_owned_range_indices();
    TrilinosWrappers::MPI::Vector s(owned, A.get_mpi_communicator());
    types::global_dof_index       first_bad = A.m();
    for (const auto i : owned)
      {
        const double d = A.diag_element(i);
        if (!(d > 0. && std::isfinite(d)))
          {
            first_bad = std::min<types::global_dof_index>(first_bad, i);
            continue;
          }
        s[i] = 1. / std::sqrt(d);
      }
    first_bad = Utilities::MPI::min(first_bad, A.get_mpi_communicator());
    AssertThrow(first_bad == A.m(),
                ExcMessage("The matrix has a non-positive or non-finite "
                           "diagonal entry in row " +
                           std::to_string(first_bad) +
                           "; a neural direction network needs a symmetric "
                           "positive definite matrix."));
    s.compress(VectorOperation::insert);
    return s;
  }
} // namespace dealii_learned
