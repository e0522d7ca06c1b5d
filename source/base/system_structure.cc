#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <dealii-learned/base/system_structure.h>

#include <algorithm>
#include <cmath>

namespace dealii_learned
{
  using namespace dealii;

  bool
  SystemStructure::is_scalar() const
  {
    return n_components == 1 && near_null_space.empty();
  }


  SystemStructure
  SystemStructure::from_constant_modes(
    const std::vector<std::vector<bool>> &modes)
  {
    SystemStructure structure;
    structure.n_components = std::max<unsigned int>(1, modes.size());
    for (const auto &mask : modes)
      structure.near_null_space.emplace_back(mask.begin(), mask.end());
    return structure;
  }


  void
  check_system_structure(const SystemStructure              &structure,
                         const types::global_dof_index       n_rows,
                         const types::global_dof_index       n_local_rows,
                         const MPI_Comm                     &comm,
                         const std::string                  &what)
  {
    const auto fail = [&](const std::string &problem) {
      AssertThrow(false,
                  ExcMessage(what + ": the system's structure " + problem));
    };
    const unsigned int n = structure.n_components;
    if (n == 0)
      fail("has 0 components per support point; a scalar system has 1.");
    if (n_rows % n != 0)
      fail("has " + std::to_string(n) + " components per support point, "
           "which does not divide the " + std::to_string(n_rows) +
           " rows of the matrix. Give the number of vector components of "
           "the element ('Components per point').");
    const auto &vectors = structure.near_null_space;
    if (vectors.empty())
      return;

    // The same verdict on every rank: lengths and finiteness are local, so
    // they are agreed on before anything global is computed.
    const bool parallel = Utilities::MPI::job_supports_mpi() &&
                          Utilities::MPI::n_mpi_processes(comm) > 1;
    const auto any = [&](const bool local) {
      return parallel ? Utilities::MPI::max(local ? 1u : 0u, comm) == 1u :
                        local;
    };
    // The lowest rank with a vector of the wrong length tells the others
    // which vector and what lengths (a sum in which only it contributes).
    unsigned int wrong = vectors.size();
    for (unsigned int k = 0; k < vectors.size() && wrong == vectors.size();
         ++k)
      if (vectors[k].size() != n_local_rows)
        wrong = k;
    const unsigned int rank =
      parallel ? Utilities::MPI::this_mpi_process(comm) : 0;
    const unsigned int n_ranks =
      parallel ? Utilities::MPI::n_mpi_processes(comm) : 1;
    const unsigned int culprit =
      parallel ? Utilities::MPI::min(wrong < vectors.size() ? rank : n_ranks,
                                     comm) :
                 (wrong < vectors.size() ? 0 : 1);
    if (culprit < n_ranks)
      {
        std::vector<double> what_is_wrong(3, 0.);
        if (rank == culprit)
          what_is_wrong = {double(wrong),
                           double(vectors[wrong].size()),
                           double(n_local_rows)};
        if (parallel)
          {
            const std::vector<double> local = what_is_wrong;
            Utilities::MPI::sum(local, comm, what_is_wrong);
          }
        fail("has a near-null-space vector (number " +
             std::to_string(static_cast<unsigned long>(what_is_wrong[0])) +
             ") with " +
             std::to_string(static_cast<unsigned long>(what_is_wrong[1])) +
             " entries" +
             (parallel ? " on rank " + std::to_string(culprit) : "") +
             ", where the matrix has " +
             std::to_string(static_cast<unsigned long>(what_is_wrong[2])) +
             " locally owned rows. Each vector holds one entry per locally "
             "owned row, in their order.");
      }
    bool not_finite = false;
    for (const auto &v : vectors)
      for (const double x : v)
        not_finite = not_finite || !std::isfinite(x);
    if (any(not_finite))
      fail("has a near-null-space vector with entries that are not finite.");

    // Linear independence: the Gram matrix V^T V, summed over the ranks,
    // must be positive definite with a margin (Cholesky with a relative
    // pivot threshold).
    const unsigned int m = vectors.size();
    std::vector<double> gram(m * m, 0.);
    for (unsigned int i = 0; i < m; ++i)
      for (unsigned int j = 0; j <= i; ++j)
        {
          double sum = 0.;
          for (types::global_dof_index r = 0; r < n_local_rows; ++r)
            sum += vectors[i][r] * vectors[j][r];
          gram[i * m + j] = gram[j * m + i] = sum;
        }
    if (parallel)
      {
        std::vector<double> local = gram;
        Utilities::MPI::sum(local, comm, gram);
      }
    for (unsigned int k = 0; k < m; ++k)
      if (!(gram[k * m + k] > 0.))
        fail("has a near-null-space vector (number " + std::to_string(k) +
             ") that is zero.");
    std::vector<double> L(m * m, 0.);
    for (unsigned int j = 0; j < m; ++j)
      {
        double d = gram[j * m + j];
        for (unsigned int k = 0; k < j; ++k)
          d -= L[j * m + k] * L[j * m + k];
        if (!(d > 1e-10 * gram[j * m + j]))
          fail("has near-null-space vectors that are linearly dependent: "
               "number " +
               std::to_string(j) +
               " is (nearly) a combination of those before it. Give "
               "independent vectors (for elasticity: the translations and "
               "rotations, each once).");
        L[j * m + j] = std::sqrt(d);
        for (unsigned int i = j + 1; i < m; ++i)
          {
            double s = gram[i * m + j];
            for (unsigned int k = 0; k < j; ++k)
              s -= L[i * m + k] * L[j * m + k];
            L[i * m + j] = s / L[j * m + j];
          }
      }
  }


  std::vector<std::vector<double>>
  near_null_space_vectors(const SystemStructure        &structure,
                          const types::global_dof_index first_row,
                          const types::global_dof_index n_local_rows)
  {
    if (!structure.near_null_space.empty())
      return structure.near_null_space;
    const unsigned int               n = std::max(1u, structure.n_components);
    std::vector<std::vector<double>> modes(n,
                                           std::vector<double>(n_local_rows));
    for (types::global_dof_index r = 0; r < n_local_rows; ++r)
      modes[(first_row + r) % n][r] = 1.;
    return modes;
  }
} // namespace dealii_learned
