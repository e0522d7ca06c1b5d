// The hard-constraint layer with interface coupling: the interface rows,
// the penalty rows and the joint Gauss-Newton / Levenberg-Marquardt solve.

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
  HardConstraintLayer<dim>::assemble_interface(const bool with_jacobian)
  {
    const unsigned int n  = n_rows();
    const unsigned int KN = K * N;
    const std::size_t  nI = interface_rows.size();
    // The ranks' parts summed in the owners (width K for the residuals,
    // N per expert block for the Jacobian: the buffers the experts' rows
    // use already).
    if (Utilities::MPI::n_mpi_processes(space.mpi_communicator) > 1)
      {
        const auto sum_over_ranks = [&](std::vector<double> &values,
                                        const unsigned int   stride,
                                        const unsigned int   first,
                                        const unsigned int   width) {
          std::vector<double> rows(std::size_t(n) * width, 0.);
          for (std::size_t x = 0; x < nI; ++x)
            for (unsigned int c = 0; c < width; ++c)
              rows[std::size_t(interface_rows[x]) * width + c] =
                values[x * stride + first + c];
          exchange_rows(rows, width, true);
          for (std::size_t x = 0; x < nI; ++x)
            for (unsigned int c = 0; c < width; ++c)
              values[x * stride + first + c] =
                rows[std::size_t(interface_rows[x]) * width + c];
        };
        sum_over_ranks(interface_residuals, K, 0, K);
        if (with_jacobian)
          for (unsigned int e = 0; e < K; ++e)
            sum_over_ranks(interface_jacobian, KN, e * N, N);
      }
    // Each row's residual: the experts' parts summed.
    interface_residual.assign(nI, 0.);
    for (std::size_t x = 0; x < nI; ++x)
      for (unsigned int e = 0; e < K; ++e)
        interface_residual[x] += interface_residuals[x * K + e];
    double squared = 0.;
    for (const unsigned int x : owned_interface)
      squared += interface_residual[x] * interface_residual[x];
    interface_squared = Utilities::MPI::sum(squared, space.mpi_communicator);
    if (!with_jacobian)
      return;
    // The factor of [M_I | R_I] over the owned rows of all ranks.
    const unsigned int  c = KN + 1;
    std::vector<double> rows;
    rows.reserve(owned_interface.size() * c);
    for (const unsigned int x : owned_interface)
      {
        rows.insert(rows.end(),
                    interface_jacobian.begin() + std::size_t(x) * KN,
                    interface_jacobian.begin() + std::size_t(x + 1) * KN);
        rows.push_back(interface_residual[x]);
      }
    interface_factor =
      triangular_factor_over_ranks(rows, c, space.mpi_communicator);
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::setup_interface_penalty()
  {
    const unsigned int n  = n_rows();
    const unsigned int KN = K * N;
    // J_ii at w = 0 (the boundary values), summed over all cells.
    std::vector<double> diagonal(n, 0.);
    {
      ResidualCellScratch<dim> scratch(space);
      const unsigned int       q = scratch.values.size();
      for (const auto &data : cell_data)
        {
          for (unsigned int j = 0; j < q; ++j)
            scratch.values[j] = offset[data.rows[j]];
          scratch.evaluate(residual, data.cell, true);
          for (unsigned int j = 0; j < q; ++j)
            if (data.links[j].size() == 1 &&
                data.links[j][0].first == data.rows[j])
              diagonal[data.rows[j]] += scratch.jacobian(j, j);
        }
    }
    exchange_rows(diagonal, 1, true);

    // The penalty rows P (one per locally owned shared free DoF, K N wide:
    // sqrt(weight) b_i at the lower expert's block, -sqrt(weight) b_i at
    // the higher's), reduced to their triangular factor over all ranks
    // (P^T P = R_P^T R_P).
    std::vector<double> P;
    for (const auto i : space.locally_owned)
      if (!space.constraints.is_constrained(i))
        {
          const auto [low, high] = experts.experts_of_row(i);
          if (low == high)
            continue;
          const unsigned int r = space.locally_relevant.index_within_set(i);
          const double       weight = settings.interface_weight * diagonal[r] *
                                diagonal[r] * row_scale[r] * row_scale[r];
          shared_rows.push_back({r, low, high, weight});
          const std::size_t start = P.size();
          P.resize(start + KN, 0.);
          for (unsigned int b = 0; b < N; ++b)
            {
              P[start + low * N + b]  = std::sqrt(weight) * basis[r * N + b];
              P[start + high * N + b] = -std::sqrt(weight) * basis[r * N + b];
            }
        }
    const FullMatrix<double> factor =
      triangular_factor_over_ranks(P, KN, space.mpi_communicator);
    penalty_matrix.assign(std::size_t(KN) * KN, 0.);
    for (unsigned int i = 0; i < KN; ++i)
      for (unsigned int j = i; j < KN; ++j)
        penalty_matrix[std::size_t(i) * KN + j] = factor(i, j);
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::solve_coupled(const bool linear)
  {
    const unsigned int KN = K * N;
    const unsigned int c  = KN + 1;
    // The joint factor [[R_J, c_J], [0, rho]] of the stacked rows
    // [blockdiag(M_k) | R_k] and [P | P W], from the experts' factors and
    // the penalty's (a QR of (K N + K N) x (K N + 1) numbers).
    const auto joint = [&](const std::vector<FullMatrix<double>> &factors) {
      std::vector<double> A(std::size_t(3 * KN + 1) * c, 0.);
      for (unsigned int k = 0; k < K; ++k)
        for (unsigned int i = 0; i < N; ++i)
          {
            for (unsigned int j = i; j < N; ++j)
              A[std::size_t(k * N + i) * c + k * N + j] = factors[k](i, j);
            A[std::size_t(k * N + i) * c + KN] = factors[k](i, N);
          }
      for (unsigned int i = 0; i < KN; ++i)
        {
          double pw = 0.;
          for (unsigned int j = i; j < KN; ++j)
            {
              const double v = penalty_matrix[std::size_t(i) * KN + j];
              A[std::size_t(KN + i) * c + j] = v;
              pw += v * w[j / N][j % N];
            }
          A[std::size_t(KN + i) * c + KN] = pw;
        }
      // The interface rows' factor [[R_I, c_I], [0, rho_I]].
      for (unsigned int i = 0; i < c; ++i)
        for (unsigned int j = i; j < c; ++j)
          A[std::size_t(2 * KN + i) * c + j] = interface_factor(i, j);
      return triangular_factor(A, 3 * KN + 1, c);
    };

    std::vector<FullMatrix<double>> factors(K);
    std::vector<double>             squared;
    std::vector<Vector<double>>     previous_w = w;
    FullMatrix<double>              accepted, R_J;
    std::vector<double>             history;
    double                          initial = 0., previous = 0., predicted = 0.,
           damping = linear ? 0. : settings.damping, growth = 2.;
    bool converged = false;
    for (unsigned int iteration = 0;; ++iteration)
      {
        assemble(true, squared, &factors);
        const FullMatrix<double> factor = joint(factors);
        // ||R||^2 + ||P W||^2 from the rows themselves (the factor's
        // ||c_J||^2 + rho^2 equals it, less accurately when [M | R] has
        // columns of very different sizes), and ||c_J||^2, the decrease a
        // Gauss-Newton step could still make.
        double objective = interface_squared, reducible = 0.;
        for (const double value : squared)
          objective += value;
        for (unsigned int i = 0; i < KN; ++i)
          {
            double pw = 0.;
            for (unsigned int j = i; j < KN; ++j)
              pw += penalty_matrix[std::size_t(i) * KN + j] * w[j / N][j % N];
            objective += pw * pw;
            reducible += factor(i, KN) * factor(i, KN);
          }
        bool retry = false;
        if (iteration == 0)
          {
            initial = objective;
            for (unsigned int k = 0; k < K; ++k)
              expert_reports[k].initial_residual = std::sqrt(squared[k]);
          }
        else if (!linear)
          {
            const double gain =
              predicted > 0. ? (previous - objective) / predicted : -1.;
            if (!accept_step(gain, settings.damping, damping, growth))
              {
                w     = previous_w;
                retry = true;
              }
          }
        if (!retry)
          {
            accepted = factor;
            previous = objective;
            history.push_back(std::sqrt(objective));
            for (unsigned int k = 0; k < K; ++k)
              {
                expert_reports[k].residual   = std::sqrt(squared[k]);
                expert_reports[k].iterations = iteration;
              }
            // Each expert's rows must determine its weights, as without
            // coupling (the same error, naming the expert).
            for (unsigned int k = 0; k < K; ++k)
              {
                FullMatrix<double> Rk(N, N);
                for (unsigned int i = 0; i < N; ++i)
                  for (unsigned int j = i; j < N; ++j)
                    Rk(i, j) = factors[k](i, j);
                check_rank(Rk, k, expert_reports[k].rows);
              }
            // (The joint objective sums many rows; below a relative 1e-11
            // its round-off decides whether a step is accepted, so the
            // criterion on what a step can still remove stops there.)
            const double tolerance = settings.tolerance * settings.tolerance;
            if (objective <= tolerance * initial ||
                reducible <= std::max(tolerance, 1e-11) * objective ||
                (stagnated(history, settings.tolerance) &&
                 damping <= settings.damping) ||
                (linear && iteration >= 2))
              {
                least_squares_step(accepted, 0., 0, 0, R_J, false);
                converged = true;
                break;
              }
          }
        if (iteration >= settings.max_iterations)
          break;
        FullMatrix<double>   unused;
        const Vector<double> step =
          least_squares_step(accepted, damping, 0, 0, unused, false);
        {
          double before = 0., after = 0.;
          for (unsigned int i = 0; i < KN; ++i)
            {
              double value = accepted(i, KN);
              before += value * value;
              for (unsigned int j = i; j < KN; ++j)
                value += accepted(i, j) * step(j);
              after += value * value;
            }
          predicted = before - after;
        }
        previous_w = w;
        for (unsigned int k = 0; k < K; ++k)
          for (unsigned int b = 0; b < N; ++b)
            w[k][b] += step(k * N + b);
      }
    for (auto &report : expert_reports)
      report.converged = converged;
    double largest = 0.;
    for (const auto &report : expert_reports)
      largest = std::max(largest, report.residual);
    AssertThrow(converged,
                ExcMessage(
                  "Hard constraints: the coupled experts did not converge "
                  "to the tolerance " +
                  format_number(settings.tolerance) + " in " +
                  std::to_string(settings.max_iterations) +
                  " iterations (largest expert residual " +
                  format_number(largest) +
                  "). Raise 'Maximum iterations' or the tolerance, or "
                  "lower the 'Interface weight'."));
    coupled_factor = R_J;
  }



  template void
  HardConstraintLayer<2>::assemble_interface(const bool);
  template void
  HardConstraintLayer<3>::assemble_interface(const bool);
  template void
  HardConstraintLayer<2>::setup_interface_penalty();
  template void
  HardConstraintLayer<3>::setup_interface_penalty();
  template void
  HardConstraintLayer<2>::solve_coupled(const bool);
  template void
  HardConstraintLayer<3>::solve_coupled(const bool);
} // namespace dealii_learned
