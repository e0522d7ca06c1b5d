// Training the direction network in C++ with LibTorch, on matrices of the
// jump-coefficient problem produced as the run goes (two refinement cycles,
// two coefficient contrasts): the torch forward pass is the same function
// as DirectionNetwork's (before and after training, so the learned
// nonlinear part is compared too), the loss goes down, the same seed gives
// the same losses bit for bit, and the trained network, on a larger mesh it
// never saw, needs fewer DCDM iterations than the untrained one. The same
// for the solver loss (the error reduction of six unrolled DCDM steps),
// whose unrolled iteration is checked against SolverDCDM's first six steps
// (with the network's directions, and with a zero network whose every step
// falls back to the residual).

#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/precondition.h>
#include <deal.II/lac/solver_cg.h>

#include <dealii-learned/models/direction_network.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_dcdm.h>
#include <dealii-learned/training/direction_trainer.h>

#include <algorithm>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

std::unique_ptr<Problem<2>>
make_problem(const double contrast, const unsigned int refinement)
{
  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  ProblemSettings settings;
  settings.coefficient_contrast      = contrast;
  settings.initial_global_refinement = refinement;
  auto problem = ProblemParameters::create<2>(settings, prm);
  problem->setup_system();
  problem->assemble_system();
  return problem;
}

// The network applies its level matrices in single precision, the torch
// forward pass in double: they agree to about 1e-7 relative (a wrong layer,
// level or weight differs at order one).
double
forward_mismatch(const DirectionTrainer               &trainer,
                 const TrilinosWrappers::SparseMatrix &A)
{
  DirectionNetwork network;
  network.initialize(A, trainer.model());
  TrilinosWrappers::MPI::Vector r(A.locally_owned_range_indices(),
                                  MPI_COMM_WORLD),
    q(r);
  std::vector<double> values(r.size());
  for (unsigned int i = 0; i < values.size(); ++i)
    values[i] = r[i] = std::sin(0.3 * i) + 0.1 * std::cos(2.1 * i);
  network.vmult(q, r);
  const auto torch_q    = trainer.apply(0, values);
  double     difference = 0., norm = 0.;
  for (unsigned int i = 0; i < values.size(); ++i)
    {
      difference += std::pow(torch_q[i] - q[i], 2);
      norm += q[i] * q[i];
    }
  return std::sqrt(difference / norm);
}

unsigned int
dcdm_iterations(const Problem<2> &problem, const DirectionNetworkModel &model)
{
  DirectionNetwork network;
  network.initialize(problem.system_matrix, model);
  TrilinosWrappers::MPI::Vector x(problem.system_rhs);
  x = 0.;
  SolverControl                             control(1000,
                        1e-8 * problem.system_rhs.l2_norm(),
                        false,
                        false);
  SolverDCDM<TrilinosWrappers::MPI::Vector> dcdm(control);
  dcdm.solve(problem.system_matrix, x, problem.system_rhs, network);
  return control.last_step();
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  TrainingSettings settings;
  settings.samples_per_matrix = 32;
  settings.lanczos_steps      = 40;
  settings.learning_rate      = 1e-2;
  settings.seed               = 3;

  const auto start = DirectionNetworkModel::initial(8, 3);
  std::vector<std::unique_ptr<Problem<2>>> problems;
  for (const double contrast : {100., 1e4})
    for (const unsigned int refinement : {3u, 4u})
      problems.push_back(make_problem(contrast, refinement));

  DirectionTrainer trainer(settings, start);
  for (const auto &p : problems)
    trainer.add_matrix(p->system_matrix);
  deallog << "training matrices " << trainer.n_matrices() << std::endl;
  deallog << "torch forward = network before training "
          << (forward_mismatch(trainer, problems[0]->system_matrix) < 1e-5)
          << std::endl;

  const double        initial = trainer.evaluate();
  std::vector<double> losses;
  const unsigned int  epochs = 8;
  for (unsigned int e = 0; e < epochs; ++e)
    losses.push_back(trainer.train_epoch());
  const double final_loss = trainer.evaluate();
  std::cout << "loss " << initial << " -> " << final_loss << std::endl;
  deallog << "loss decreased by at least 20% " << (final_loss < 0.8 * initial)
          << std::endl;
  deallog << "torch forward = network after training "
          << (forward_mismatch(trainer, problems[0]->system_matrix) < 1e-5)
          << std::endl;

  DirectionTrainer again(settings, start);
  for (const auto &p : problems)
    again.add_matrix(p->system_matrix);
  const double first = again.train_epoch(), second = again.train_epoch();
  deallog << "same seed, same losses "
          << (first == losses[0] && second == losses[1]) << std::endl;

  // W- and K-cycles: the torch forward pass is the C++ one there too, on a
  // matrix with three levels (so the K-cycle's Krylov step is used).
  for (const bool krylov : {false, true})
    {
      DirectionNetworkModel cycle_start = start;
      cycle_start.cycle_index           = 2;
      cycle_start.krylov_cycle          = krylov;
      DirectionTrainer cycle_trainer(settings, cycle_start);
      cycle_trainer.add_matrix(problems[1]->system_matrix);
      cycle_trainer.train_epoch();
      DirectionNetwork levels;
      levels.initialize(problems[1]->system_matrix, cycle_start);
      deallog << (krylov ? "K" : "W") << "-cycle on "
              << levels.get_hierarchy().n_levels()
              << " levels: torch forward = network after an epoch "
              << (forward_mismatch(cycle_trainer, problems[1]->system_matrix) <
                  1e-5)
              << std::endl;
    }

  const auto         unseen    = make_problem(1e3, 6);
  const unsigned int untrained = dcdm_iterations(*unseen, start);
  const unsigned int trained   = dcdm_iterations(*unseen, trainer.model());
  std::cout << "unseen n_dofs " << unseen->system_matrix.m()
            << ": dcdm untrained " << untrained << ", trained " << trained
            << std::endl;
  deallog << "trained network needs fewer iterations on an unseen mesh "
          << (trained < untrained) << std::endl;

  // The solver loss: the same problems, six unrolled DCDM steps.
  TrainingSettings solver_settings = settings;
  solver_settings.loss             = "solver";
  solver_settings.unrolled_steps   = 6;
  DirectionTrainer solver_trainer(solver_settings, start);
  for (const auto &p : problems)
    solver_trainer.add_matrix(p->system_matrix);

  // What the loss unrolls is what SolverDCDM does: its first six steps from
  // zero reduce the energy-norm error by the loss's factor (to the single
  // precision of the network's level matrices). With a network whose output
  // is zero every step is SolverDCDM's fallback to the residual.
  DirectionNetworkModel zero = start;
  for (auto *layer : {&zero.pre, &zero.post, &zero.coarse})
    {
      std::fill(layer->W.begin(), layer->W.end(), 0.);
      std::fill(layer->bias.begin(), layer->bias.end(), 0.);
      std::fill(layer->w.begin(), layer->w.end(), 0.);
      layer->a = layer->b = 0.;
    }
  const std::vector<const DirectionNetworkModel *> models{&start, &zero};
  for (const auto *model : models)
    {
      const auto                   &A = problems[0]->system_matrix;
      TrilinosWrappers::MPI::Vector exact(problems[0]->system_rhs), x(exact);
      exact = 0.;
      SolverControl                           tight(1000, 1e-14, false, false);
      SolverCG<TrilinosWrappers::MPI::Vector> cg(tight);
      cg.solve(A, exact, problems[0]->system_rhs, PreconditionIdentity());
      DirectionNetwork network;
      network.initialize(A, *model);
      x = 0.;
      SolverControl                             six(6, 0., false, false);
      SolverDCDM<TrilinosWrappers::MPI::Vector> dcdm(six);
      try
        {
          dcdm.solve(A, x, problems[0]->system_rhs, network);
        }
      catch (const SolverControl::NoConvergence &)
        {}
      TrilinosWrappers::MPI::Vector e(exact), Ae(exact);
      e -= x;
      A.vmult(Ae, e);
      const double        initial = A.matrix_norm_square(exact);
      const double        factor  = std::pow((e * Ae) / initial, 1. / 12.);
      std::vector<double> b(exact.size()), xs(exact.size());
      for (unsigned int i = 0; i < b.size(); ++i)
        {
          b[i]  = problems[0]->system_rhs[i];
          xs[i] = exact[i];
        }
      DirectionTrainer unroll(solver_settings, *model);
      unroll.add_matrix(A);
      const double unrolled = unroll.loss(0, b, xs);
      const bool   fallback = model == &zero;
      std::cout << "six DCDM steps" << (fallback ? " (zero network)" : "")
                << ": error factor per step " << factor << ", unrolled loss "
                << unrolled << ", fallback steps " << dcdm.n_fallback_steps()
                << std::endl;
      deallog << "unrolled loss = SolverDCDM's error reduction"
              << (fallback ? ", every step a fallback to the residual " : " ")
              << (std::abs(unrolled - factor) < 1e-4 * factor && factor < 1. &&
                  factor > 0. &&
                  dcdm.n_fallback_steps() == (fallback ? 6u : 0u))
              << std::endl;
    }

  const double        solver_initial = solver_trainer.evaluate();
  std::vector<double> solver_losses;
  for (unsigned int e = 0; e < 4; ++e)
    solver_losses.push_back(solver_trainer.train_epoch());
  const double solver_final = solver_trainer.evaluate();
  std::cout << "solver loss " << solver_initial << " -> " << solver_final
            << std::endl;
  deallog << "solver loss: error factor per step decreased by at least 20% "
          << (solver_final < 0.8 * solver_initial && solver_final > 0.)
          << std::endl;
  DirectionTrainer solver_again(solver_settings, start);
  for (const auto &p : problems)
    solver_again.add_matrix(p->system_matrix);
  deallog << "solver loss: same seed, same losses "
          << (solver_again.train_epoch() == solver_losses[0]) << std::endl;
  const unsigned int solver_trained =
    dcdm_iterations(*unseen, solver_trainer.model());
  std::cout << "unseen: dcdm trained on the solver loss " << solver_trained
            << std::endl;
  deallog << "solver loss: fewer iterations on an unseen mesh "
          << (solver_trained < untrained) << std::endl;
  bool refused = false;
  try
    {
      TrainingSettings bad = settings;
      bad.loss             = "energy";
      DirectionTrainer unknown(bad, start);
    }
  catch (const ExceptionBase &e)
    {
      refused = std::string(e.what()).find("'energy'") != std::string::npos;
    }
  deallog << "unknown loss refused by name " << refused << std::endl;
}
