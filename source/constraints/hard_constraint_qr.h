#pragma once

// The small dense linear algebra of the hard-constraint layer's experts
// (Householder QR of tall-skinny blocks, triangular solves, the
// Levenberg-Marquardt step), shared by its source files. Not installed.

#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/utilities.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace dealii_learned
{
  namespace internal
  {
    namespace hard_constraint_qr
    {
      using namespace dealii;

      /**
       * The upper triangular factor R (c x c; rows past m zero) of the QR
       * factorisation of the m x c row-major block @p A, by Householder
       * reflections: R^T R = A^T A, without forming A^T A (whose condition
       * number is the square of A's).
       */
      inline FullMatrix<double>
      triangular_factor(std::vector<double> A,
                        const unsigned int  m,
                        const unsigned int  c)
      {
        std::vector<double> v(m);
        for (unsigned int j = 0; j < c && j < m; ++j)
          {
            double norm = 0.;
            for (unsigned int i = j; i < m; ++i)
              norm += A[i * c + j] * A[i * c + j];
            norm = std::sqrt(norm);
            if (norm == 0.)
              continue;
            const double alpha = A[j * c + j] > 0. ? -norm : norm;
            double       vv    = 0.;
            for (unsigned int i = j; i < m; ++i)
              {
                v[i] = A[i * c + j] - (i == j ? alpha : 0.);
                vv += v[i] * v[i];
              }
            if (vv == 0.)
              continue;
            for (unsigned int l = j; l < c; ++l)
              {
                double dot = 0.;
                for (unsigned int i = j; i < m; ++i)
                  dot += v[i] * A[i * c + l];
                const double factor = 2. * dot / vv;
                for (unsigned int i = j; i < m; ++i)
                  A[i * c + l] -= factor * v[i];
              }
          }
        FullMatrix<double> R(c, c);
        for (unsigned int i = 0; i < std::min(m, c); ++i)
          for (unsigned int l = i; l < c; ++l)
            R(i, l) = A[i * c + l];
        return R;
      }


      /** The triangular factor of the rows (m x c, row-major) that all ranks
       *  hold together: each rank's factor, gathered and factored again
       *  (the same on every rank). Collective. */
      inline FullMatrix<double>
      triangular_factor_over_ranks(const std::vector<double> &rows,
                                   const unsigned int         c,
                                   const MPI_Comm             comm)
      {
        const FullMatrix<double> local =
          triangular_factor(rows, rows.size() / c, c);
        std::vector<double> flat(std::size_t(c) * c);
        for (unsigned int i = 0; i < c; ++i)
          for (unsigned int j = 0; j < c; ++j)
            flat[std::size_t(i) * c + j] = local(i, j);
        std::vector<double> stacked;
        for (const auto &part : Utilities::MPI::all_gather(comm, flat))
          stacked.insert(stacked.end(), part.begin(), part.end());
        return triangular_factor(stacked, stacked.size() / c, c);
      }


      /** Checks that the N x N upper triangular @p R is not (nearly)
       *  singular, else an error that names the expert. */
      inline void
      check_rank(const FullMatrix<double> &R,
                 const unsigned int        expert,
                 const unsigned long long  rows)
      {
        const unsigned int N        = R.m();
        double             largest  = 0.;
        double             smallest = std::numeric_limits<double>::max();
        for (unsigned int i = 0; i < N; ++i)
          {
            largest  = std::max(largest, std::abs(R(i, i)));
            smallest = std::min(smallest, std::abs(R(i, i)));
          }
        AssertThrow(largest > 0. && smallest > 1e-12 * largest,
                    ExcMessage(
                      "Hard constraints: the least-squares system of expert " +
                      std::to_string(expert) +
                      " is singular (the diagonal of its triangular factor "
                      "ranges from " +
                      format_number(smallest) + " to " +
                      format_number(largest) + "; " + std::to_string(rows) +
                      " residual rows for " + std::to_string(N) +
                      " basis fields). An expert needs at least as many "
                      "rows as basis fields, and basis fields that are "
                      "independent on its cells: use fewer experts or basis "
                      "fields, more rows per expert, or a finer mesh."));
      }


      /** x with R x = b (R upper triangular). */
      inline Vector<double>
      back_substitute(const FullMatrix<double> &R, const Vector<double> &b)
      {
        const unsigned int N = R.m();
        Vector<double>     x(N);
        for (int i = N - 1; i >= 0; --i)
          {
            double sum = b(i);
            for (unsigned int j = i + 1; j < N; ++j)
              sum -= R(i, j) * x(j);
            x(i) = sum / R(i, i);
          }
        return x;
      }


      /** x with R^T x = b (R upper triangular). */
      inline Vector<double>
      forward_substitute(const FullMatrix<double> &R, const Vector<double> &b)
      {
        const unsigned int N = R.m();
        Vector<double>     x(N);
        for (unsigned int i = 0; i < N; ++i)
          {
            double sum = b(i);
            for (unsigned int j = 0; j < i; ++j)
              sum -= R(j, i) * x(j);
            x(i) = sum / R(i, i);
          }
        return x;
      }


      /**
       * From the factor [[R, c], [0, rho]] of [M | r]: the step d that
       * minimises ||M d + r||^2 + damping sum_j |M e_j|^2 d_j^2
       * (Levenberg-Marquardt; Gauss-Newton for damping 0), and the N x N
       * factor R it used (for the backward pass).
       */
      inline Vector<double>
      least_squares_step(const FullMatrix<double> &augmented,
                         const double              damping,
                         const unsigned int        expert,
                         const unsigned long long  rows,
                         FullMatrix<double>       &R,
                         const bool                check = true)
      {
        const unsigned int N = augmented.m() - 1;
        R.reinit(N, N);
        Vector<double> c(N);
        for (unsigned int i = 0; i < N; ++i)
          {
            for (unsigned int j = i; j < N; ++j)
              R(i, j) = augmented(i, j);
            c(i) = augmented(i, N);
          }
        if (check)
          check_rank(R, expert, rows);
        if (damping > 0.)
          {
            // [R c; sqrt(damping) diag(|M e_j|) 0], triangularised again.
            std::vector<double> stacked(2 * N * (N + 1), 0.);
            for (unsigned int i = 0; i < N; ++i)
              {
                for (unsigned int j = i; j < N; ++j)
                  stacked[i * (N + 1) + j] = R(i, j);
                stacked[i * (N + 1) + N] = c(i);
                double column            = 0.;
                for (unsigned int l = 0; l <= i; ++l)
                  column += R(l, i) * R(l, i);
                stacked[(N + i) * (N + 1) + i] = std::sqrt(damping * column);
              }
            const FullMatrix<double> damped =
              triangular_factor(stacked, 2 * N, N + 1);
            FullMatrix<double> Rd(N, N);
            for (unsigned int i = 0; i < N; ++i)
              {
                for (unsigned int j = i; j < N; ++j)
                  Rd(i, j) = damped(i, j);
                c(i) = damped(i, N);
              }
            Vector<double> step = back_substitute(Rd, c);
            step *= -1.;
            return step;
          }
        Vector<double> step = back_substitute(R, c);
        step *= -1.;
        return step;
      }


      /** Levenberg-Marquardt with Nielsen's damping update: whether a step
       *  whose gain (actual over predicted decrease of ||R||^2) is @p gain
       *  is accepted, and the damping for the next one (lowered after a
       *  success, raised ever faster after failures, never below
       *  @p initial_damping then). */
      inline bool
      accept_step(const double gain,
                  const double initial_damping,
                  double      &damping,
                  double      &growth)
      {
        if (gain > 0.)
          {
            damping *= std::max(1. / 3., 1. - std::pow(2. * gain - 1., 3));
            growth = 2.;
            return true;
          }
        damping = std::max(damping * growth, initial_damping);
        growth *= 2.;
        return false;
      }


      /** Whether the last five accepted steps lowered the residual (the
       *  accepted values in @p history) by less than @p tolerance of it
       *  together: a least-squares minimum approached so slowly (in
       *  directions the basis barely determines) that going on changes
       *  nothing measurable. (The callers also ask that the damping be no
       *  larger than at the start, so that steps shortened by rejections do
       *  not pass for a minimum.) */
      inline bool
      stagnated(const std::vector<double> &history, const double tolerance)
      {
        const std::size_t n = history.size();
        return n > 5 &&
               history[n - 6] - history[n - 1] <= tolerance * history[n - 1];
      }
    } // namespace hard_constraint_qr
  }   // namespace internal
} // namespace dealii_learned
