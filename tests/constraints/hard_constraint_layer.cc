// The hard-constraint layer on a 2-D mesh with hanging nodes and the
// host's boundary constraints, with fixed basis fields (products of
// cosines) in place of a network:
//  - one expert with all rows is the global least-squares fit of the
//    residual (weights against a fit computed here from assembled residual
//    columns);
//  - four experts (z-order), each with as many rows as basis fields: every
//    expert's residual vanishes to the tolerance, for the linear
//    diffusion-reaction and the nonlinear diffusion residual;
//  - with all rows (more rows than basis fields) the minimum is not 0: it
//    equals the whole residual of the expert's own field on the rows the
//    partition gives it;
//  - the implicit-function gradient dL/dB of L = h . u matches central
//    differences of forward() (relative 1e-5): square and overdetermined
//    experts, linear and nonlinear, a non-zero boundary value;
//  - bad input: an expert with fewer rows than basis fields (singular), an
//    iteration limit too small, a basis with NaN: errors that name them.
// Also on two ranks, with the same numbers; the experts run on two threads.

#include <deal.II/base/function_lib.h>
#include <deal.II/base/multithread_info.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>

#include <cmath>
#include <map>

#include "../tests.h"

#include "hard_constraint_setup.h"

using namespace dealii;
using namespace dealii_learned;

void
check_global_least_squares()
{
  Setup                         s("diffusion-reaction", {20., 1., 1., 3.});
  const auto                    space = s.space();
  const unsigned int            N     = 8;
  const auto                    B     = s.basis(N);
  ExpertPartition<2>            one(s.dof_handler,
                         s.constraints,
                         s.owned,
                         s.relevant,
                         1,
                         "z-order",
                         MPI_COMM_WORLD);
  HardConstraintSettings        settings;
  HardConstraintLayer<2>        layer(*s.residual, space, one, settings);
  TrilinosWrappers::MPI::Vector u;
  layer.forward(B.data(), N, u);

  // The same fit from assembled residuals: R is affine, so column b of M
  // is R(C B e_b + z) - R(z).
  TrilinosWrappers::MPI::Vector field(s.owned, MPI_COMM_WORLD),
    ghosted(s.owned, s.relevant, MPI_COMM_WORLD), r0, rb;
  field = 0.;
  s.constraints.distribute(field);
  ghosted = field;
  assemble_residual(*s.residual, space, ghosted, r0, nullptr);
  std::vector<TrilinosWrappers::MPI::Vector> columns;
  for (unsigned int b = 0; b < N; ++b)
    {
      for (const auto i : s.owned)
        field[i] = B[s.relevant.index_within_set(i) * N + b];
      field.compress(VectorOperation::insert);
      s.constraints.distribute(field);
      ghosted = field;
      assemble_residual(*s.residual, space, ghosted, rb, nullptr);
      rb -= r0;
      columns.push_back(rb);
    }
  FullMatrix<double> A(N, N);
  Vector<double>     g(N), w(N);
  for (unsigned int a = 0; a < N; ++a)
    {
      g(a) = -(columns[a] * r0);
      for (unsigned int b = 0; b < N; ++b)
        A(a, b) = columns[a] * columns[b];
    }
  A.gauss_jordan();
  A.vmult(w, g);
  Vector<double> difference(w);
  difference -= layer.weights()[0];
  deallog << "one expert, all " << layer.reports()[0].rows
          << " rows: the global least-squares weights to 1e-8: "
          << (difference.linfty_norm() <= 1e-8 * w.linfty_norm())
          << ", iterations " << layer.reports()[0].iterations
          << ", relative residual "
          << format_number(layer.max_expert_residual(), 2) << std::endl;
}

void
check_experts(const std::string         &name,
              const std::vector<double> &p,
              const unsigned int         N,
              const unsigned int         rows,
              const double               boundary = 0.)
{
  Setup                  s(name, p, boundary);
  const auto             space = s.space();
  const auto             B     = s.basis(N);
  ExpertPartition<2>     experts(s.dof_handler,
                             s.constraints,
                             s.owned,
                             s.relevant,
                             4,
                             "z-order",
                             MPI_COMM_WORLD);
  HardConstraintSettings settings;
  settings.tolerance       = 1e-12;
  settings.rows_per_expert = rows;
  HardConstraintLayer<2>        layer(*s.residual, space, experts, settings);
  TrilinosWrappers::MPI::Vector u, h;
  layer.forward(B.data(), N, u);
  deallog << name
          << (boundary != 0. ?
                " (u = " + format_number(boundary) + " on the boundary)" :
                std::string())
          << ", 4 experts, " << N << " basis fields, "
          << (rows == 0 ? std::string("all rows") :
                          std::to_string(rows) + " rows each")
          << ":" << std::endl;
  for (unsigned int k = 0; k < 4; ++k)
    {
      const auto &r = layer.reports()[k];
      deallog << "  expert " << k << ": " << r.rows << " rows, " << r.iterations
              << " iterations, residual from "
              << format_number(r.initial_residual, 3) << ", converged "
              << r.converged;
      if (rows != 0)
        deallog << ", to below 1e-10 of it: "
                << (r.residual <= 1e-10 * r.initial_residual);
      else
        {
          // The least-squares minimum is not 0. Its value, against the
          // residual of the expert's own field assembled over the whole
          // mesh on the rows ExpertPartition gives it: the same rows, the
          // same condensation.
          TrilinosWrappers::MPI::Vector u_k,
            ghosted(s.owned, s.relevant, MPI_COMM_WORLD), full;
          layer.expert_field(k, u_k);
          ghosted = u_k;
          assemble_residual(*s.residual, space, ghosted, full, nullptr);
          double sum = 0.;
          for (const auto i : experts.rows(k))
            sum += full[i] * full[i];
          sum = std::sqrt(Utilities::MPI::sum(sum, MPI_COMM_WORLD));
          deallog << ", to " << format_number(r.residual, 3)
                  << ", the same on its rows of the whole residual: "
                  << (std::abs(sum - r.residual) <= 1e-10 * r.residual);
        }
      deallog << std::endl;
    }
  deallog << "  interface jump " << format_number(layer.interface_jump(), 3)
          << ", L = h.u " << format_number(loss(u, h), 6) << std::endl;

  // dL/dB against central differences at a few entries.
  std::vector<double> gradient(layer.n_rows() * N);
  layer.backward(h, gradient.data());
  const bool agree =
    layer_gradient_agrees(s,
                          experts,
                          settings,
                          B,
                          N,
                          gradient,
                          h,
                          {{3, 0}, {40, 2}, {77, N - 1}, {101, 5}});
  deallog << "  dL/dB against central differences, 4 entries, to 1e-5: "
          << agree << std::endl;
}

// Interface coupling: four experts with all their rows, the penalty
// weight beta from 0 (independent experts) up: the interface jump falls,
// the stitched field's error against the finite element solution of the
// same residual is printed, the joint solve's gradient matches central
// differences (linear residual: the Gauss-Newton matrix is exact).
void
check_coupling(const std::string &name, const std::vector<double> &p)
{
  Setup                         s(name, p);
  const auto                    space = s.space();
  const unsigned int            N     = 8;
  const auto                    B     = s.basis(N);
  ExpertPartition<2>            experts(s.dof_handler,
                             s.constraints,
                             s.owned,
                             s.relevant,
                             4,
                             "z-order",
                             MPI_COMM_WORLD);
  TrilinosWrappers::MPI::Vector reference(s.owned, MPI_COMM_WORLD);
  reference = 0.;
  s.constraints.distribute(reference);
  solve_residual(*s.residual, space, reference);
  deallog << name << ", 4 experts, " << N
          << " basis fields, all rows, interface coupling:" << std::endl;
  for (const double beta : {0., 1., 100.})
    {
      HardConstraintSettings settings;
      // A nonlinear least-squares minimum is approached linearly by
      // Gauss-Newton when its residual is not 0: a looser tolerance.
      settings.tolerance        = s.residual->is_linear() ? 1e-12 : 1e-6;
      settings.interface_weight = beta;
      settings.max_iterations   = 200;
      HardConstraintLayer<2> layer(*s.residual, space, experts, settings);
      TrilinosWrappers::MPI::Vector u, h;
      layer.forward(B.data(), N, u);
      TrilinosWrappers::MPI::Vector difference(u);
      difference -= reference;
      unsigned int iterations = 0;
      bool         converged  = true;
      for (const auto &r : layer.reports())
        {
          iterations = std::max(iterations, r.iterations);
          converged  = converged && r.converged;
        }
      deallog << "  weight " << beta << ": interface jump "
              << format_number(layer.interface_jump(), 3)
              << ", relative error against the finite element solution "
              << format_number(difference.l2_norm() / reference.l2_norm(), 3)
              << ", largest relative expert residual "
              << format_number(layer.max_expert_residual(), 3)
              << ", iterations " << iterations << ", converged " << converged;
      if (beta > 0. && s.residual->is_linear())
        {
          const double        value = loss(u, h);
          std::vector<double> gradient(layer.n_rows() * N);
          layer.backward(h, gradient.data());
          const bool agree = layer_gradient_agrees(
            s,
            experts,
            settings,
            B,
            N,
            gradient,
            h,
            {{3, 0}, {40, 2}, {77, N - 1}, {101, 5}, {60, 3}});
          deallog << ", L = h.u " << format_number(value, 6)
                  << ", dL/dB against central differences to 1e-5: " << agree;
        }
      deallog << std::endl;
    }
}

void
check_bad_input()
{
  Setup              s("nonlinear-diffusion", {10., 5.});
  const auto         space = s.space();
  ExpertPartition<2> experts(s.dof_handler,
                             s.constraints,
                             s.owned,
                             s.relevant,
                             7,
                             "z-order",
                             MPI_COMM_WORLD);
  expect_exception("fewer rows than basis fields", [&]() {
    HardConstraintLayer<2>        layer(*s.residual, space, experts, {});
    const auto                    B = s.basis(12);
    TrilinosWrappers::MPI::Vector u;
    layer.forward(B.data(), 12, u);
  });
  expect_exception("iteration limit", [&]() {
    HardConstraintSettings settings;
    settings.max_iterations  = 1;
    settings.rows_per_expert = 4;
    HardConstraintLayer<2>        layer(*s.residual, space, experts, settings);
    const auto                    B = s.basis(4);
    TrilinosWrappers::MPI::Vector u;
    layer.forward(B.data(), 4, u);
  });
  expect_exception("basis with NaN", [&]() {
    HardConstraintLayer<2> layer(*s.residual, space, experts, {});
    auto                   B = s.basis(4);
    B[0]                     = std::nan("");
    TrilinosWrappers::MPI::Vector u;
    layer.forward(B.data(), 4, u);
  });
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  // The experts run as concurrent tasks: with two threads the numbers
  // must not change (each expert's rows are summed in one order).
  MultithreadInfo::set_thread_limit(2);
  check_global_least_squares();
  check_experts("diffusion-reaction", {20., 1., 1., 3.}, 8, 8);
  check_experts("diffusion-reaction", {20., 1., 1., 3.}, 8, 0);
  check_experts("nonlinear-diffusion", {2., 1.}, 8, 8);
  check_experts("nonlinear-diffusion", {2., 1.}, 8, 8, 0.5);
  check_coupling("diffusion-reaction", {20., 1., 1., 3.});
  check_coupling("nonlinear-diffusion", {2., 1.});
  check_bad_input();
}
