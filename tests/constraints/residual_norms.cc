// The hard-constraint layer's residual norms and the basis smoother, on the
// shared 2-D mesh with hanging nodes and fixed basis fields:
//  - energy norm, one expert, all rows, linear residual: the weights are
//    the Galerkin weights computed here from assembled residual columns
//    (B^T M w = -B^T R(z)), and the field's energy-norm error against the
//    finite element solution is no larger than the least-squares fit's
//    (Galerkin is the best in that norm);
//  - energy norm, four experts, linear and nonlinear: every expert
//    converges and dL/dB matches central differences;
//  - diagonal norm, one expert: the weights are the least-squares weights
//    of the rows scaled by residual_row_weights(), computed here; four
//    experts: dL/dB matches central differences (all rows for the linear
//    residual, as many rows as basis fields for the nonlinear one);
//  - the basis smoother: B_k from explicit damped Jacobi steps with the
//    assembled Jacobian, the same numbers on one and two ranks, and
//    dL/dB_0 and dL/domega against central differences;
//  - energy norm with interface coupling: an error that says so.
// Also on two ranks, with the same output.

#include <deal.II/base/function_lib.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/basis_smoother.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>

#include <cmath>

#include "../tests.h"

#include "hard_constraint_setup.h"

using Norm = HardConstraintSettings::ResidualNorm;

/** Column b of M = R(C B e_b + z) - R(z) for every basis field (R
 *  affine), R(z) in @p r0, and each basis field's free part. */
void
residual_columns(const Setup                                &s,
                 const std::vector<double>                  &B,
                 const unsigned int                          N,
                 TrilinosWrappers::MPI::Vector              &r0,
                 std::vector<TrilinosWrappers::MPI::Vector> &columns,
                 std::vector<TrilinosWrappers::MPI::Vector> &fields)
{
  const auto                    space = s.space();
  TrilinosWrappers::MPI::Vector field(s.owned, MPI_COMM_WORLD),
    ghosted(s.owned, s.relevant, MPI_COMM_WORLD), rb;
  field = 0.;
  s.constraints.distribute(field);
  ghosted = field;
  assemble_residual(*s.residual, space, ghosted, r0, nullptr);
  columns.clear();
  fields.clear();
  for (unsigned int b = 0; b < N; ++b)
    {
      TrilinosWrappers::MPI::Vector free(s.owned, MPI_COMM_WORLD);
      for (const auto i : s.owned)
        {
          field[i] = B[s.relevant.index_within_set(i) * N + b];
          if (!s.constraints.is_constrained(i))
            free[i] = field[i];
        }
      field.compress(VectorOperation::insert);
      free.compress(VectorOperation::insert);
      s.constraints.distribute(field);
      ghosted = field;
      assemble_residual(*s.residual, space, ghosted, rb, nullptr);
      rb -= r0;
      columns.push_back(rb);
      fields.push_back(free);
    }
}


/** ||v||_J^2 = v^T J v with the residual's (constant) Jacobian. */
double
energy(const Setup &s, const TrilinosWrappers::MPI::Vector &v)
{
  const auto                     space = s.space();
  TrilinosWrappers::SparseMatrix J;
  reinit_jacobian(space, J);
  TrilinosWrappers::MPI::Vector ghosted(s.owned, s.relevant, MPI_COMM_WORLD), r;
  ghosted = v;
  assemble_residual(*s.residual, space, ghosted, r, &J);
  TrilinosWrappers::MPI::Vector free(v), Jv(v);
  for (const auto i : s.owned)
    if (s.constraints.is_constrained(i))
      free[i] = 0.;
  free.compress(VectorOperation::insert);
  J.vmult(Jv, free);
  return free * Jv;
}


void
check_galerkin()
{
  Setup                  s("diffusion-reaction", {20., 1., 1., 3.});
  const auto             space = s.space();
  const unsigned int     N     = 8;
  const auto             B     = s.basis(N);
  ExpertPartition<2>     one(s.dof_handler,
                         s.constraints,
                         s.owned,
                         s.relevant,
                         1,
                         "z-order",
                         MPI_COMM_WORLD);
  HardConstraintSettings settings;
  settings.residual_norm = Norm::energy;
  HardConstraintLayer<2>        layer(*s.residual, space, one, settings);
  TrilinosWrappers::MPI::Vector u;
  layer.forward(B.data(), N, u);

  TrilinosWrappers::MPI::Vector              r0;
  std::vector<TrilinosWrappers::MPI::Vector> columns, fields;
  residual_columns(s, B, N, r0, columns, fields);
  FullMatrix<double> H(N, N);
  Vector<double>     g(N), w(N);
  for (unsigned int a = 0; a < N; ++a)
    {
      g(a) = -(fields[a] * r0);
      for (unsigned int b = 0; b < N; ++b)
        H(a, b) = fields[a] * columns[b];
    }
  H.gauss_jordan();
  H.vmult(w, g);
  Vector<double> difference(w);
  difference -= layer.weights()[0];

  // Against the least-squares fit, in the energy norm of the error.
  HardConstraintSettings least_squares;
  least_squares.residual_norm = Norm::euclidean;
  HardConstraintLayer<2>        other(*s.residual, space, one, least_squares);
  TrilinosWrappers::MPI::Vector v, reference(s.owned, MPI_COMM_WORLD);
  other.forward(B.data(), N, v);
  reference = 0.;
  s.constraints.distribute(reference);
  solve_residual(*s.residual, space, reference);
  u -= reference;
  v -= reference;
  const double e_galerkin = std::sqrt(energy(s, u)),
               e_squares  = std::sqrt(energy(s, v));
  deallog << "energy norm, one expert, all " << layer.reports()[0].rows
          << " rows: the Galerkin weights to 1e-8: "
          << (difference.linfty_norm() <= 1e-8 * w.linfty_norm())
          << ", iterations " << layer.reports()[0].iterations << ", converged "
          << layer.reports()[0].converged << std::endl;
  deallog << "  energy norm of the error: Galerkin "
          << format_number(e_galerkin, 4) << ", least squares "
          << format_number(e_squares, 4) << ", Galerkin no larger: "
          << (e_galerkin <= e_squares * (1. + 1e-12))
          << "; relative L2 error: Galerkin "
          << format_number(u.l2_norm() / reference.l2_norm(), 4)
          << ", least squares "
          << format_number(v.l2_norm() / reference.l2_norm(), 4) << std::endl;
}


void
check_experts(const Norm                 norm,
              const std::string         &name,
              const std::vector<double> &p,
              const unsigned int         rows = 0)
{
  Setup                  s(name, p);
  const auto             space = s.space();
  const unsigned int     N     = 8;
  const auto             B     = s.basis(N);
  ExpertPartition<2>     experts(s.dof_handler,
                             s.constraints,
                             s.owned,
                             s.relevant,
                             4,
                             "z-order",
                             MPI_COMM_WORLD);
  HardConstraintSettings settings;
  settings.residual_norm   = norm;
  settings.tolerance       = 1e-12;
  settings.max_iterations  = 200;
  settings.rows_per_expert = rows;
  HardConstraintLayer<2>        layer(*s.residual, space, experts, settings);
  TrilinosWrappers::MPI::Vector u, h;
  layer.forward(B.data(), N, u);
  unsigned int iterations = 0;
  bool         converged  = true;
  for (const auto &r : layer.reports())
    {
      iterations = std::max(iterations, r.iterations);
      converged  = converged && r.converged;
    }
  const double        value = loss(u, h);
  std::vector<double> gradient(layer.n_rows() * N);
  layer.backward(h, gradient.data());
  deallog << HardConstraintSettings::residual_norm_name(norm) << " norm, "
          << name << ", 4 experts, "
          << (rows == 0 ? std::string("all rows") :
                          std::to_string(rows) + " rows each")
          << ": converged " << converged << ", iterations at most "
          << iterations << ", L = h.u " << format_number(value, 6)
          << ", dL/dB against central differences to 1e-5: "
          << layer_gradient_agrees(s,
                                   experts,
                                   settings,
                                   B,
                                   N,
                                   gradient,
                                   h,
                                   {{3, 0}, {40, 2}, {77, N - 1}, {101, 5}})
          << std::endl;
}


void
check_diagonal_weights()
{
  Setup                  s("diffusion-reaction", {50., 1., 1., 7.});
  const auto             space = s.space();
  const unsigned int     N     = 8;
  const auto             B     = s.basis(N);
  ExpertPartition<2>     one(s.dof_handler,
                         s.constraints,
                         s.owned,
                         s.relevant,
                         1,
                         "z-order",
                         MPI_COMM_WORLD);
  HardConstraintSettings settings;
  settings.residual_norm = Norm::diagonal;
  HardConstraintLayer<2>        layer(*s.residual, space, one, settings);
  TrilinosWrappers::MPI::Vector u;
  layer.forward(B.data(), N, u);

  TrilinosWrappers::MPI::Vector              r0, weights;
  std::vector<TrilinosWrappers::MPI::Vector> columns, fields;
  residual_columns(s, B, N, r0, columns, fields);
  residual_row_weights(*s.residual, space, weights);
  FullMatrix<double> A(N, N);
  Vector<double>     g(N), w(N);
  for (unsigned int a = 0; a < N; ++a)
    {
      TrilinosWrappers::MPI::Vector weighted(columns[a]);
      weighted.scale(weights);
      g(a) = -(weighted * r0);
      for (unsigned int b = 0; b < N; ++b)
        A(a, b) = weighted * columns[b];
    }
  A.gauss_jordan();
  A.vmult(w, g);
  Vector<double> difference(w);
  difference -= layer.weights()[0];
  double smallest = 1e300, largest = 0.;
  for (const auto i : s.owned)
    if (!s.constraints.is_constrained(i))
      {
        smallest = std::min(smallest, double(weights[i]));
        largest  = std::max(largest, double(weights[i]));
      }
  smallest = Utilities::MPI::min(smallest, MPI_COMM_WORLD);
  largest  = Utilities::MPI::max(largest, MPI_COMM_WORLD);
  deallog << "diagonal norm, one expert (contrast 50): row weights from "
          << format_number(smallest, 3) << " to " << format_number(largest, 3)
          << ", the weighted least-squares weights to 1e-8: "
          << (difference.linfty_norm() <= 1e-8 * w.linfty_norm()) << std::endl;
}


void
check_smoother()
{
  Setup                     s("diffusion-reaction", {20., 1., 1., 3.});
  const auto                space = s.space();
  const unsigned int        N     = 3;
  const auto                B     = s.basis(N);
  const std::vector<double> omega = {0.6, 0.7, 0.5};
  BasisSmoother<2>          smoother(*s.residual, space);
  std::vector<double>       result(B.size());
  smoother.forward(B.data(), N, omega, result.data(), true);

  // Explicit damped Jacobi on each column.
  TrilinosWrappers::SparseMatrix J;
  reinit_jacobian(space, J);
  TrilinosWrappers::MPI::Vector field(s.owned, MPI_COMM_WORLD),
    ghosted(s.owned, s.relevant, MPI_COMM_WORLD), r;
  field = 0.;
  s.constraints.distribute(field);
  ghosted = field;
  assemble_residual(*s.residual, space, ghosted, r, &J);
  double difference = 0., size = 0., checksum = 0.;
  for (unsigned int b = 0; b < N; ++b)
    {
      TrilinosWrappers::MPI::Vector x(s.owned, MPI_COMM_WORLD), y(x);
      for (const auto i : s.owned)
        x[i] = B[s.relevant.index_within_set(i) * N + b];
      x.compress(VectorOperation::insert);
      for (const double o : omega)
        {
          J.vmult(y, x);
          for (const auto i : s.owned)
            y[i] /= J.diag_element(i);
          y.compress(VectorOperation::insert);
          x.add(-o, y);
        }
      ghosted = x;
      for (const auto i : s.relevant)
        {
          const double value = result[s.relevant.index_within_set(i) * N + b];
          difference = std::max(difference, std::abs(value - ghosted[i]));
          size       = std::max(size, std::abs(ghosted[i]));
          if (s.owned.is_element(i))
            checksum += value * value * std::sin(0.1 * i + b);
        }
    }
  difference = Utilities::MPI::max(difference, MPI_COMM_WORLD);
  size       = Utilities::MPI::max(size, MPI_COMM_WORLD);
  checksum   = Utilities::MPI::sum(checksum, MPI_COMM_WORLD);

  // L = sum over every rank's relevant rows of H . B_k (ghost copies
  // count on every rank that holds them).
  const auto L = [&](const std::vector<double> &basis,
                     const std::vector<double> &weights) {
    BasisSmoother<2>    other(*s.residual, space);
    std::vector<double> out(basis.size());
    other.forward(basis.data(), N, weights, out.data());
    double sum = 0.;
    for (std::size_t k = 0; k < out.size(); ++k)
      sum +=
        std::cos(0.3 * s.relevant.nth_index_in_set(k / N) + k % N) * out[k];
    return Utilities::MPI::sum(sum, MPI_COMM_WORLD);
  };
  std::vector<double> dl_dB(B.size()), dl_dB0(B.size()), dl_domega;
  for (std::size_t k = 0; k < dl_dB.size(); ++k)
    dl_dB[k] = std::cos(0.3 * s.relevant.nth_index_in_set(k / N) + k % N);
  smoother.backward(dl_dB.data(), dl_dB0.data(), dl_domega);
  const double eps   = 1e-6;
  bool         agree = true;
  for (const auto [dof, b] :
       std::vector<std::pair<types::global_dof_index, unsigned int>>{
         {3, 0}, {40, 2}, {77, 1}, {101, 2}})
    {
      const bool   here = s.relevant.is_element(dof);
      const auto   row  = here ? s.relevant.index_within_set(dof) : 0;
      const double analytic =
        Utilities::MPI::sum(here ? dl_dB0[row * N + b] : 0., MPI_COMM_WORLD);
      auto plus = B, minus = B;
      if (here)
        {
          plus[row * N + b] += eps;
          minus[row * N + b] -= eps;
        }
      const double numeric = (L(plus, omega) - L(minus, omega)) / (2. * eps);
      agree                = agree && std::abs(numeric - analytic) <
                         1e-6 * std::max(std::abs(numeric), 1e-8);
    }
  for (unsigned int k = 0; k < omega.size(); ++k)
    {
      auto plus = omega, minus = omega;
      plus[k] += eps;
      minus[k] -= eps;
      const double numeric = (L(B, plus) - L(B, minus)) / (2. * eps);
      // (Each rank's dL/domega is its share.)
      const double analytic = Utilities::MPI::sum(dl_domega[k], MPI_COMM_WORLD);
      agree                 = agree && std::abs(numeric - analytic) <
                         1e-6 * std::max(std::abs(numeric), 1e-8);
    }
  deallog << "basis smoother, 3 steps: explicit damped Jacobi to 1e-12: "
          << (difference <= 1e-12 * size) << ", checksum "
          << format_number(checksum, 8)
          << ", dL/dB_0 and dL/domega against central differences to 1e-6: "
          << agree << std::endl;
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  check_galerkin();
  check_experts(Norm::energy, "diffusion-reaction", {20., 1., 1., 3.});
  check_experts(Norm::energy, "nonlinear-diffusion", {2., 1.});
  check_diagonal_weights();
  check_experts(Norm::diagonal, "diffusion-reaction", {50., 1., 1., 7.});
  // (A nonlinear least-squares fit's gradient is exact at a zero
  // residual: as many rows as basis fields.)
  check_experts(Norm::diagonal, "nonlinear-diffusion", {2., 1.}, 8);
  check_smoother();
  expect_exception("energy norm with coupling", []() {
    Setup                  s("diffusion-reaction", {20., 1., 1., 3.});
    const auto             space = s.space();
    ExpertPartition<2>     experts(s.dof_handler,
                               s.constraints,
                               s.owned,
                               s.relevant,
                               4,
                               "z-order",
                               MPI_COMM_WORLD);
    HardConstraintSettings settings;
    settings.residual_norm    = Norm::energy;
    settings.interface_weight = 1.;
    HardConstraintLayer<2> layer(*s.residual, space, experts, settings);
  });
}
