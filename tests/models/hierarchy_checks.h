#pragma once

// What the tests of the direction network's hierarchy measure on its levels.

#include <deal.II/base/index_set.h>

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <cmath>

/**
 * lambda_max of the level matrix @p M (rows @p owned) by 300 power steps
 * from a fixed smooth start: the hierarchy's Lanczos estimate
 * (enlarged by 5%) must put it near 2 on every level.
 */
inline double
power_lambda_max(const dealii::TrilinosWrappers::SparseMatrix &M,
                 const dealii::IndexSet                       &owned)
{
  dealii::TrilinosWrappers::MPI::Vector p(owned, M.get_mpi_communicator()),
    Mp(p);
  for (const auto i : p.locally_owned_elements())
    p[i] = 1. + 0.5 * std::sin(2.1 * i);
  p.compress(dealii::VectorOperation::insert);
  double lambda = 0.;
  for (unsigned int k = 0; k < 300; ++k)
    {
      p /= p.l2_norm();
      M.vmult(Mp, p);
      lambda = p * Mp;
      p.swap(Mp);
    }
  return lambda;
}
