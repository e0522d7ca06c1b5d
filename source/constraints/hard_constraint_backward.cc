// The hard-constraint layer's backward pass: dL/dB by the implicit
// function theorem, for independent, coupled and Galerkin experts.

#include <deal.II/base/mpi.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/la_parallel_vector.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>

#include <algorithm>
#include <cmath>

#include "hard_constraint_qr.h"

namespace dealii_learned
{
  using namespace dealii;
  using namespace internal::hard_constraint_qr;


  template <int dim>
  void
  HardConstraintLayer<dim>::backward(const TrilinosWrappers::MPI::Vector &dl_du,
                                     double *dl_dB) const
  {
    const auto        &relevant    = space.locally_relevant;
    const auto        &constraints = space.constraints;
    const MPI_Comm     comm        = space.mpi_communicator;
    const unsigned int n           = n_rows();
    AssertThrow(valid,
                ExcMessage("Hard constraints: backward() needs a forward() "
                           "that succeeded."));
    std::fill(dl_dB, dl_dB + std::size_t(n) * N, 0.);

    // dL/du on the free DoFs: the constrained entries' share moved to
    // their parents (C^T dL/du).
    LinearAlgebra::distributed::Vector<double> free_gradient(
      space.locally_owned, relevant, comm);
    for (const auto i : space.locally_owned)
      if (const auto *entries = constraints.get_constraint_entries(i))
        for (const auto &[parent, factor] : *entries)
          free_gradient[parent] += factor * dl_du[i];
      else if (!constraints.is_constrained(i))
        free_gradient[i] += dl_du[i];
    free_gradient.compress(VectorOperation::add);

    // The direct term and dL/dw_k.
    std::vector<double> dl_dw(K * N, 0.);
    for (const auto i : space.locally_owned)
      if (!constraints.is_constrained(i))
        {
          const unsigned int e = experts.experts_of_row(i).first;
          const unsigned int r = relevant.index_within_set(i);
          const double       g = free_gradient[i];
          for (unsigned int b = 0; b < N; ++b)
            {
              dl_dw[e * N + b] += g * basis[r * N + b];
              dl_dB[r * N + b] += g * w[e][b];
            }
        }
    Utilities::MPI::sum(dl_dw, comm, dl_dw);

    // lambda_k = (M_k^T M_k)^-1 dL/dw_k; then per row R and M lambda.
    std::vector<Vector<double>> lambda(K, Vector<double>(N));
    if (coupled_factor.m() > 0)
      {
        // The joint matrix: lambda = H^-1 dL/dW = R_J^-1 R_J^-T dL/dW.
        Vector<double> g(K * N);
        for (unsigned int a = 0; a < K * N; ++a)
          g(a) = dl_dw[a];
        const Vector<double> joint =
          back_substitute(coupled_factor,
                          forward_substitute(coupled_factor, g));
        for (unsigned int k = 0; k < K; ++k)
          for (unsigned int b = 0; b < N; ++b)
            lambda[k](b) = joint(k * N + b);
        // The penalty rows' share of -lambda^T dG/dB at a shared DoF i,
        // with delta = w_low - w_high and mu = lambda_low - lambda_high:
        // -beta_i ((b_i . mu) delta + (b_i . delta) mu).
        for (const auto &shared : shared_rows)
          {
            const double *b    = &basis[std::size_t(shared.row) * N];
            double        b_mu = 0., b_delta = 0.;
            for (unsigned int x = 0; x < N; ++x)
              {
                b_mu += b[x] * (lambda[shared.low](x) - lambda[shared.high](x));
                b_delta += b[x] * (w[shared.low](x) - w[shared.high](x));
              }
            for (unsigned int x = 0; x < N; ++x)
              dl_dB[std::size_t(shared.row) * N + x] -=
                shared.weight *
                (b_mu * (w[shared.low](x) - w[shared.high](x)) +
                 b_delta * (lambda[shared.low](x) - lambda[shared.high](x)));
          }
      }
    else if (!galerkin_matrix.empty())
      for (unsigned int k = 0; k < K; ++k)
        {
          // The Galerkin equations F_k = B_k^T R_k(u_k) = 0:
          // lambda = H^-T dL/dw with H = dF/dw = B^T M.
          // (galerkin_matrix holds H's pseudo-inverse.)
          Vector<double> g(N);
          for (unsigned int b = 0; b < N; ++b)
            g(b) = dl_dw[k * N + b];
          galerkin_matrix[k].Tvmult(lambda[k], g);
        }
    else
      for (unsigned int k = 0; k < K; ++k)
        {
          Vector<double> g(N);
          for (unsigned int b = 0; b < N; ++b)
            g(b) = dl_dw[k * N + b];
          // (M^T M)^-1 g = R^-1 R^-T g.
          lambda[k] = back_substitute(triangular[k],
                                      forward_substitute(triangular[k], g));
        }
    std::vector<double> rows(2 * std::size_t(n), 0.);
    for (const auto i : space.locally_owned)
      {
        const unsigned int r = relevant.index_within_set(i);
        if (row_expert[r] == -2)
          {
            // An interface row: its residual, and M_I lambda over the
            // experts' blocks.
            const std::size_t x = interface_index[r];
            rows[2 * r]         = interface_residual[x];
            double product      = 0.;
            for (unsigned int e = 0; e < K; ++e)
              for (unsigned int b = 0; b < N; ++b)
                product +=
                  interface_jacobian[x * K * N + e * N + b] * lambda[e](b);
            rows[2 * r + 1] = product;
            continue;
          }
        if (row_expert[r] < 0)
          continue;
        const auto &l = lambda[row_expert[r]];
        if (!galerkin_matrix.empty())
          {
            // -lambda^T dF/dB: the test functions' own share, -R_r lambda
            // at the row (a selected row is a free DoF, B~_r = B_r), and
            // below -(J^T B lambda) w^T through the cells.
            double product = 0.;
            for (unsigned int b = 0; b < N; ++b)
              {
                dl_dB[std::size_t(r) * N + b] -= R[r] * l(b);
                product += basis[std::size_t(r) * N + b] * l(b);
              }
            rows[2 * r + 1] = product;
            continue;
          }
        rows[2 * r]    = R[r];
        double product = 0.;
        for (unsigned int b = 0; b < N; ++b)
          product += M[r * N + b] * l(b);
        rows[2 * r + 1] = product;
      }
    // Owned values to the ranks that hold them as ghosts.
    exchange_rows(rows, 2, false);

    // The implicit term, cell by cell with each cell's expert:
    // -(J^T R) lambda^T - (J^T M lambda) w^T.
    ResidualCellScratch<dim>  scratch(space);
    const unsigned int        q = scratch.values.size();
    std::vector<double>      &u = scratch.values;
    std::vector<double>       y1(q), y2(q);
    const FullMatrix<double> &cell_jacobian = scratch.jacobian;
    std::vector<double>       contribution(N);
    for (const auto &data : cell_data)
      if (data.reaches_selected)
        {
          const unsigned int e = data.expert;
          // The rows' values seen from the cell's DoFs (the transpose of
          // the condensation in assemble()).
          for (unsigned int i = 0; i < q; ++i)
            {
              y1[i] = y2[i] = 0.;
              // (Scaled rows: R~ = S R, M~ = S M, so J^T S R~ and
              // J^T S M~ lambda.)
              for (const auto &[r, link] : data.links[i])
                if (row_expert[r] == static_cast<int>(e) || row_expert[r] == -2)
                  {
                    const double factor = link * row_scale[r];
                    y1[i] += factor * rows[2 * r];
                    y2[i] += factor * rows[2 * r + 1];
                  }
            }
          for (unsigned int j = 0; j < q; ++j)
            {
              const unsigned int r     = data.rows[j];
              double             value = offset[r];
              for (unsigned int b = 0; b < N; ++b)
                value += basis[r * N + b] * w[e][b];
              u[j] = value;
            }
          scratch.evaluate(residual, data.cell, true);
          for (unsigned int j = 0; j < q; ++j)
            {
              double a = 0., c = 0.;
              for (unsigned int i = 0; i < q; ++i)
                {
                  a += cell_jacobian(i, j) * y1[i];
                  c += cell_jacobian(i, j) * y2[i];
                }
              if (a == 0. && c == 0.)
                continue;
              for (unsigned int b = 0; b < N; ++b)
                contribution[b] = -a * lambda[e](b) - c * w[e](b);
              // B~_j = B_j for a free DoF; the parents' combination for a
              // constrained one.
              for (const auto &[p, factor] : data.links[j])
                for (unsigned int b = 0; b < N; ++b)
                  dl_dB[p * N + b] += factor * contribution[b];
            }
        }
  }



  template void
  HardConstraintLayer<2>::backward(const TrilinosWrappers::MPI::Vector &,
                                   double *) const;
  template void
  HardConstraintLayer<3>::backward(const TrilinosWrappers::MPI::Vector &,
                                   double *) const;
} // namespace dealii_learned
