// The ProbConserv update on cases worked out by hand, then on a finite
// element field on an adaptive 2-D mesh with hanging nodes and boundary
// values (serial and on two ranks), and bad input.
//
// By hand: mu = (1, 2), Sigma = diag(1, 3), one constraint u_1 + u_2 = 4.
//   sigma_G = 0: S = 4, r = -1, W = (1, 3): mu~ = (1.25, 2.75),
//     Sigma~ = Sigma - W W^T / 4: variances (0.75, 0.75), covariance -0.75;
//   sigma_G = 1: S = 5: mu~ = (1.2, 2.6); the residual left is
//     r sigma_G^2 / S = -0.2;
//   HardC: mu~ = mu + (1, 1) / 2 = (1.5, 2.5), the variances unchanged.
//   An ensemble of two members with means (0, 1) and (2, 3), variances
//   0.5: mu = (1, 2), Sigma = 0.5 I + (1, 1)(1, 1)^T: S = 5, W = (2.5, 2.5)
//     mu~ = (1.5, 2.5), variances 1.5 - 6.25/5 = 0.25.

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>

#include <deal.II/fe/fe_values.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/prob_conserv.h>
#include <dealii-learned/problems/problem.h>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

TrilinosWrappers::MPI::Vector
vector_of(const std::vector<double> &values)
{
  IndexSet all(values.size());
  all.add_range(0, values.size());
  TrilinosWrappers::MPI::Vector v(all, MPI_COMM_SELF);
  for (unsigned int i = 0; i < values.size(); ++i)
    v[i] = values[i];
  v.compress(VectorOperation::insert);
  return v;
}

void
print(const std::string &title, const ProbConservResult &r)
{
  const auto                    variance = r.posterior.variance();
  TrilinosWrappers::MPI::Vector e0(variance), e1(variance), s_e1(variance);
  e0    = 0.;
  e1    = 0.;
  e0[0] = 1.;
  e1[1] = 1.;
  r.posterior.apply_covariance(e1, s_e1);
  deallog << title << ": mean " << r.posterior.mean[0] << ' '
          << r.posterior.mean[1] << ", variances " << variance[0] << ' '
          << variance[1] << ", covariance " << e0 * s_e1
          << ", conservation error " << r.conservation_error_before << " -> "
          << r.conservation_error_after << std::endl;
}

void
check_by_hand()
{
  const auto              mean     = vector_of({1., 2.});
  const auto              variance = vector_of({1., 3.});
  const auto              free     = vector_of({1., 1.});
  ConservationConstraints G;
  G.add_row(vector_of({1., 1.}), 0., 4., "sum");
  const GaussianField prior = GaussianField::diagonal(mean, variance);

  ProbConservSettings exact;
  print("sigma_G = 0", probconserv_update(prior, G, free, exact));
  ProbConservSettings noisy;
  noisy.noise = 1.;
  print("sigma_G = 1", probconserv_update(prior, G, free, noisy));
  ProbConservSettings hard;
  hard.hard_constraint = true;
  print("HardC", probconserv_update(prior, G, free, hard));
  const GaussianField ensemble =
    GaussianField::ensemble({vector_of({0., 1.}), vector_of({2., 3.})},
                            {vector_of({0.5, 0.5}), vector_of({0.5, 0.5})});
  print("ensemble", probconserv_update(ensemble, G, free, exact));

  // Non-negativity: mu = (3, -1), variances (1, 3), target 1: the update
  // gives (2.75, -1.75); the step clips the second entry and puts the mass
  // on the first: (1, 0), both now certain (variances 0).
  ProbConservSettings positive;
  positive.nonnegative = true;
  ConservationConstraints one;
  one.add_row(vector_of({1., 1.}), 0., 1., "sum");
  print("non-negative",
        probconserv_update(GaussianField::diagonal(vector_of({3., -1.}),
                                                   variance),
                           one,
                           free,
                           positive));
}

void
check_bad_input()
{
  const auto mean     = vector_of({1., 2.});
  const auto variance = vector_of({1., 3.});
  const auto free     = vector_of({1., 1.});
  expect_exception("two identical rows", [&]() {
    ConservationConstraints G;
    G.add_row(vector_of({1., 1.}), 0., 4., "a");
    G.add_row(vector_of({1., 1.}), 0., 4., "b");
    probconserv_update(GaussianField::diagonal(mean, variance), G, free, {});
  });
  expect_exception("negative variance", [&]() {
    GaussianField::diagonal(mean, vector_of({1., -3.}));
  });
  expect_exception("NaN in the mean", [&]() {
    GaussianField::diagonal(vector_of({1., std::nan("")}), variance);
  });
  expect_exception("size mismatch", [&]() {
    ConservationConstraints G;
    G.add_row(vector_of({1., 1., 1.}), 0., 4., "sum");
    probconserv_update(GaussianField::diagonal(mean, variance), G, free, {});
  });
  expect_exception("dense covariance too large", [&]() {
    GaussianField::dense(vector_of(std::vector<double>(3000, 1.)),
                         FullMatrix<double>(3000, 3000));
  });
}

// A field on an adaptive mesh with hanging nodes and boundary values: after
// the update the integral, measured with FEValues on the field with its
// constraints distributed, meets the target to round-off.
void
check_on_mesh()
{
  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  ProblemSettings settings;
  settings.initial_global_refinement = 3;
  auto problem = ProblemParameters::create<2>(settings, prm);
  problem->setup_system();
  problem->solution = 1.;
  problem->distribute_solution(problem->solution);
  Vector<float> indicators;
  problem->estimate(indicators);
  problem->refine(indicators);

  const auto  &dof_handler = problem->get_dof_handler();
  const auto  &constraints = problem->get_constraints();
  unsigned int hanging     = 0;
  for (const auto i : problem->locally_owned_dofs())
    if (constraints.is_constrained(i) &&
        !constraints.is_inhomogeneously_constrained(i) &&
        constraints.get_constraint_entries(i) != nullptr &&
        !constraints.get_constraint_entries(i)->empty())
      ++hanging;
  hanging = Utilities::MPI::sum(hanging, MPI_COMM_WORLD);

  // Prediction: sin-shaped field; variance larger in the middle.
  TrilinosWrappers::MPI::Vector mean(problem->solution), variance(mean),
    free(mean);
  VectorTools::interpolate(problem->get_mapping(),
                           dof_handler,
                           ScalarFunctionFromFunctionObject<2>(
                             [](const Point<2> &p) {
                               return std::sin(2. * p[0]) * std::cos(p[1]) +
                                      0.5;
                             }),
                           mean);
  constraints.distribute(mean);
  for (const auto i : mean.locally_owned_elements())
    {
      variance[i] = 0.01 + 0.1 * std::abs(mean[i]);
      free[i]     = constraints.is_constrained(i) ? 0. : 1.;
    }
  variance.compress(VectorOperation::insert);
  free.compress(VectorOperation::insert);

  const auto integral = [&](const TrilinosWrappers::MPI::Vector &u) {
    TrilinosWrappers::MPI::Vector ghosted(problem->locally_owned_dofs(),
                                          problem->locally_relevant_dofs(),
                                          MPI_COMM_WORLD);
    ghosted = u;
    FEValues<2>         fe_values(problem->get_mapping(),
                          dof_handler.get_fe(),
                          problem->get_quadrature(),
                          update_values | update_JxW_values);
    std::vector<double> values(problem->get_quadrature().size());
    double              sum = 0.;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          fe_values.get_function_values(ghosted, values);
          for (const unsigned int q : fe_values.quadrature_point_indices())
            sum += values[q] * fe_values.JxW(q);
        }
    return Utilities::MPI::sum(sum, MPI_COMM_WORLD);
  };

  const double            before = integral(mean);
  const double            target = before + 0.1;
  ConservationConstraints G;
  G.add_integral<2>(dof_handler,
                    problem->get_mapping(),
                    problem->get_quadrature(),
                    constraints,
                    problem->locally_owned_dofs(),
                    problem->locally_relevant_dofs(),
                    MPI_COMM_WORLD,
                    target,
                    "mass");
  auto result = probconserv_update(GaussianField::diagonal(mean, variance),
                                   G,
                                   free,
                                   ProbConservSettings());
  constraints.distribute(result.posterior.mean);
  const double after = integral(result.posterior.mean);
  deallog << "adaptive mesh: " << dof_handler.n_dofs() << " DoFs, "
          << (hanging > 0 ? "with" : "without") << " hanging nodes; integral "
          << before << ", target " << target << "; after the update, relative "
          << "error of the integral below 1e-12 "
          << (std::abs(after - target) <= 1e-12 * std::abs(target))
          << ", the update's own measure below 1e-12 "
          << (result.conservation_error_after <= 1e-12) << std::endl;
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      check_by_hand();
      check_bad_input();
    }
  check_on_mesh();
}
