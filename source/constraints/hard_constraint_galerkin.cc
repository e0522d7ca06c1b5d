// The hard-constraint layer's experts in the energy norm
// (HardConstraintSettings::ResidualNorm::energy): B_k^T R_k(u_k) = 0.

#include <deal.II/base/mpi.h>

#include <deal.II/lac/lapack_full_matrix.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>

#include <cmath>

#include "hard_constraint_qr.h"

namespace dealii_learned
{
  using namespace dealii;
  using namespace internal::hard_constraint_qr;


  template <int dim>
  void
  HardConstraintLayer<dim>::solve_galerkin(const bool linear)
  {
    const MPI_Comm      comm  = space.mpi_communicator;
    const std::size_t   width = std::size_t(N) * N + N;
    std::vector<double> squared, initial(K, 0.), previous(K, 0.), alpha(K, 1.);
    std::vector<bool>   done(K, false), stalled(K, false);
    std::vector<Vector<double>> previous_w(K, Vector<double>(N)),
      step(K, Vector<double>(N));
    std::vector<std::vector<double>> history(K);
    galerkin_matrix.assign(K, FullMatrix<double>(N, N));
    for (unsigned int iteration = 0;; ++iteration)
      {
        for (unsigned int k = 0; k < K; ++k)
          active[k] = !done[k];
        // (A linear residual is assembled once: R(w) = R(0) + M w, the
        // rows updated by update_linear() after every step.)
        if (iteration == 0 || !linear)
          assemble(true, squared, nullptr);
        else
          squared = squared_residuals();
        // Per expert H = B^T M and g = B^T R over its rows, the rows of
        // all ranks summed in one reduction.
        std::vector<double> sums(K * width, 0.);
        for (unsigned int k = 0; k < K; ++k)
          if (active[k])
            {
              double *H = &sums[k * width];
              double *g = H + std::size_t(N) * N;
              for (const unsigned int r : owned_rows_of[k])
                {
                  const double *b = &basis[std::size_t(r) * N];
                  const double *m = &M[std::size_t(r) * N];
                  for (unsigned int i = 0; i < N; ++i)
                    {
                      g[i] += b[i] * R[r];
                      for (unsigned int j = 0; j < N; ++j)
                        H[i * N + j] += b[i] * m[j];
                    }
                }
            }
        Utilities::MPI::sum(sums, comm, sums);

        bool all_done = true;
        for (unsigned int k = 0; k < K; ++k)
          {
            if (done[k])
              continue;
            auto              &report = expert_reports[k];
            const double      *H      = &sums[k * width];
            Vector<double>     g(H + std::size_t(N) * N, H + width);
            const double       norm = g.l2_norm();
            FullMatrix<double> matrix(N, N);
            for (unsigned int i = 0; i < N; ++i)
              for (unsigned int j = 0; j < N; ++j)
                matrix(i, j) = H[i * N + j];
            if (iteration == 0)
              {
                initial[k]              = norm;
                report.initial_residual = std::sqrt(squared[k]);
              }
            else if (!linear && norm > previous[k])
              {
                // Newton's step made the Galerkin residual larger: half
                // of it, from the same weights.
                alpha[k] /= 2.;
                if (alpha[k] < 1e-6)
                  {
                    done[k]    = true;
                    stalled[k] = true;
                    continue;
                  }
                w[k] = previous_w[k];
                w[k].add(alpha[k], step[k]);
                all_done = false;
                continue;
              }
            previous[k] = norm;
            history[k].push_back(norm);
            report.residual   = std::sqrt(squared[k]);
            report.iterations = iteration;
            // The pseudo-inverse of H (singular values below 1e-12 of the
            // largest dropped). With one expert on all rows of a symmetric
            // positive definite R, H = B^T J B and basis fields that are
            // (nearly) dependent leave the field u = B w unique, only w is
            // not: the step takes the smallest w. Otherwise (several
            // experts, sampled rows: Petrov-Galerkin) a singular H leaves
            // the field undetermined, an error as for least squares.
            AssertThrow(report.rows > 0 && matrix.frobenius_norm() > 0. &&
                          std::isfinite(matrix.frobenius_norm()),
                        ExcMessage("Hard constraints: the Galerkin matrix "
                                   "of expert " +
                                   std::to_string(k) +
                                   " is zero or not finite (" +
                                   std::to_string(report.rows) +
                                   " rows): it has no rows, or its basis "
                                   "fields vanish on them."));
            // H = U S V^T, H^+ = V S^+ U^T.
            LAPACKFullMatrix<double> svd(N, N);
            svd = matrix;
            svd.compute_svd();
            const auto  &U       = svd.get_svd_u();
            const auto  &Vt      = svd.get_svd_vt();
            const double largest = svd.singular_value(0);
            galerkin_matrix[k].reinit(N, N);
            unsigned int rank = 0;
            for (unsigned int l = 0; l < N; ++l)
              rank += svd.singular_value(l) > 1e-12 * largest ? 1 : 0;
            AssertThrow(
              rank == N || (K == 1 && settings.rows_per_expert == 0),
              ExcMessage(
                "Hard constraints: the Galerkin matrix of expert " +
                std::to_string(k) + " has rank " + std::to_string(rank) +
                " of " + std::to_string(N) + " (" +
                std::to_string(report.rows) +
                " rows): an expert needs at least as many rows as basis "
                "fields, and basis fields that are independent on its "
                "cells. Use fewer experts or basis fields, more rows per "
                "expert, or a finer mesh."));
            for (unsigned int l = 0; l < N; ++l)
              if (const double sigma = svd.singular_value(l);
                  sigma > 1e-12 * largest)
                for (unsigned int i = 0; i < N; ++i)
                  for (unsigned int j = 0; j < N; ++j)
                    galerkin_matrix[k](i, j) += Vt(l, i) * U(j, l) / sigma;
            // (Stagnation counts only at full Newton steps.)
            if (norm <= settings.tolerance * initial[k] ||
                (stagnated(history[k], settings.tolerance) && alpha[k] >= 1.) ||
                (linear && iteration >= 2))
              {
                report.converged = true;
                done[k]          = true;
                continue;
              }
            if (iteration >= settings.max_iterations)
              {
                done[k] = true;
                continue;
              }
            galerkin_matrix[k].vmult(step[k], g);
            step[k] *= -1.;
            alpha[k]      = linear ? 1. : std::min(1., 2. * alpha[k]);
            previous_w[k] = w[k];
            if (linear)
              update_linear(k, step[k]);
            else
              w[k].add(alpha[k], step[k]);
            all_done = false;
          }
        if (all_done)
          break;
      }
    std::vector<std::string> failed;
    for (unsigned int k = 0; k < K; ++k)
      if (!expert_reports[k].converged)
        failed.push_back(
          "expert " + std::to_string(k) +
          (stalled[k] ? " (no shortened Newton step lowers "
                        "||B^T R|| any more" :
                        " (not within the iteration limit") +
          ", ||R|| " + format_number(expert_reports[k].residual) + " from " +
          format_number(expert_reports[k].initial_residual) + ")");
    AssertThrow(failed.empty(),
                ExcMessage("Hard constraints: the Galerkin equations "
                           "B^T R = 0 of " +
                           join(failed, ", ") +
                           " did not converge to the tolerance " +
                           format_number(settings.tolerance) + " in " +
                           std::to_string(settings.max_iterations) +
                           " iterations. Raise 'Maximum iterations' or the "
                           "tolerance, or use `Residual norm = euclidean`."));
  }


  template void
  HardConstraintLayer<2>::solve_galerkin(const bool);
  template void
  HardConstraintLayer<3>::solve_galerkin(const bool);
} // namespace dealii_learned
