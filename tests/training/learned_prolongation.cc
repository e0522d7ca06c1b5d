// The learned prolongation smoothing (Training/direction-network/Learn
// prolongation): per-edge weights Omega_ij = omega (1 + tanh(...)) replace
// smoothed aggregation's one omega, and are trained through the solver
// loss together with the smoothers.
//
// Checked, on the jump-coefficient problem (scalar, with the finest
// prolongation truncated to about 5 entries per row as the default model
// does) and on 2-D elasticity (a system with rigid-body modes):
// - LibTorch's rebuild of the prolongations and Galerkin products (with
//   truncated rows on the finest and the coarser levels) from the
//   edge weights is the hierarchy AggregationHierarchy builds with them, so
//   the trainer's forward pass equals DirectionNetwork's, with the factor
//   at 1 and with weights that move it away from 1;
// - whatever the weights, the prolongation reproduces the near kernel as
//   smoothed aggregation does;
// - the gradient reaches the edge weights: training moves them, lowers the
//   loss, and is reproducible;
// - the weights go into the model file and come back;
// - the model's hierarchy is the same after reinit_values() as after
//   initialize() on the same matrix.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/models/direction_network.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/training/direction_trainer.h>

#include <cstdio>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

std::unique_ptr<Problem<2>>
make_problem(const std::string &name,
             const double       contrast,
             const unsigned int refinement)
{
  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  ProblemSettings settings;
  settings.name                      = name;
  settings.coefficient_contrast      = contrast;
  settings.initial_global_refinement = refinement;
  auto problem = ProblemParameters::create<2>(settings, prm);
  problem->setup_system();
  problem->assemble_system();
  return problem;
}

// Relative difference of the trainer's torch forward pass on matrix
// @p index and DirectionNetwork's (single-precision level matrices: about
// 1e-7; a wrong prolongation differs at order one).
double
forward_mismatch(const DirectionTrainer &trainer,
                 const unsigned int      index,
                 const Problem<2>       &problem)
{
  const auto      &A = problem.system_matrix;
  DirectionNetwork network;
  network.initialize(A, trainer.model(), problem.system_structure());
  TrilinosWrappers::MPI::Vector r(A.locally_owned_range_indices(),
                                  MPI_COMM_WORLD),
    q(r);
  std::vector<double> values(r.size());
  for (unsigned int i = 0; i < values.size(); ++i)
    values[i] = r[i] = std::sin(0.3 * i) + 0.1 * std::cos(2.1 * i);
  network.vmult(q, r);
  const auto torch_q    = trainer.apply(index, values);
  double     difference = 0., norm = 0.;
  for (unsigned int i = 0; i < values.size(); ++i)
    {
      difference += std::pow(torch_q[i] - q[i], 2);
      norm += q[i] * q[i];
    }
  return std::sqrt(difference / norm);
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  TrainingSettings settings;
  settings.samples_per_matrix  = 16;
  settings.lanczos_steps       = 30;
  settings.learning_rate       = 1e-2;
  settings.seed                = 5;
  settings.loss                = "solver";
  settings.unrolled_steps      = 4;
  settings.learn_prolongation  = true;
  settings.prolongation_hidden = 4;

  auto start = DirectionNetworkModel::initial(8, 5);
  start.hierarchy.prolongation_max_entries = 5;
  // A cap short enough to cut the coarse rows of these small 2-D problems,
  // so that the rescaled coarse rows are rebuilt in LibTorch too.
  start.hierarchy.prolongation_coarse_max_entries = 3;
  std::vector<std::unique_ptr<Problem<2>>> problems;
  problems.push_back(make_problem("jump-coefficient", 1e4, 4));
  problems.push_back(make_problem("elasticity", 100., 3));

  DirectionTrainer trainer(settings, start);
  for (const auto &p : problems)
    trainer.add_matrix(p->system_matrix, p->system_structure());
  const auto initial_model = trainer.model();
  deallog << "the trainer starts the edge weights at smoothed aggregation's "
             "omega (output weights 0) "
          << (initial_model.hierarchy.prolongation_smoothing.hidden == 4 &&
              initial_model.hierarchy.prolongation_smoothing.factor(
                -0.3, true, false) == 1.)
          << std::endl;
  for (unsigned int k = 0; k < problems.size(); ++k)
    deallog << problems[k]->system_matrix.m()
            << " unknowns: torch forward = network before training "
            << (forward_mismatch(trainer, k, *problems[k]) < 1e-5) << std::endl;

  // Weights whose factors range over about (0.8, 1.8): LibTorch's prolongations
  // and Galerkin products must follow them exactly.
  DirectionNetworkModel moved     = initial_model;
  auto                 &smoothing = moved.hierarchy.prolongation_smoothing;
  for (unsigned int h = 0; h < smoothing.hidden; ++h)
    smoothing.w[h] = (h % 2 == 0 ? 0.8 : -0.6) / (1. + h);
  smoothing.b   = 0.1;
  double lowest = 2., highest = 0.;
  for (const double a : {-0.5, -0.2, -0.05, 0.5, 1.})
    for (const bool same : {false, true})
      for (const bool diagonal : {false, true})
        {
          lowest  = std::min(lowest, smoothing.factor(a, same, diagonal));
          highest = std::max(highest, smoothing.factor(a, same, diagonal));
        }
  std::cout << "moved factors in [" << lowest << ", " << highest << "]"
            << std::endl;
  DirectionTrainer moved_trainer(settings, moved);
  for (const auto &p : problems)
    moved_trainer.add_matrix(p->system_matrix, p->system_structure());
  for (unsigned int k = 0; k < problems.size(); ++k)
    {
      const double mismatch = forward_mismatch(moved_trainer, k, *problems[k]);
      std::cout << "moved weights, matrix " << k << ": mismatch " << mismatch
                << std::endl;
      deallog << problems[k]->system_matrix.m()
              << " unknowns: torch forward = network with per-edge weights "
                 "away from omega "
              << (mismatch < 1e-5 && highest - lowest > 0.2) << std::endl;
    }

  // The learned prolongation reproduces the near kernel k = S^{-1} 1 as
  // smoothed aggregation does: P 1 = k - omega G Â k, so P 1 = k on the
  // rows where A 1 = 0 (all but those next to the Dirichlet boundary), up
  // to rounding, whatever the weights (the lumped diagonal keeps Â_f k =
  // Â k; the finest level's truncated rows keep their sums).
  {
    const auto          &A = problems[0]->system_matrix;
    AggregationHierarchy hierarchy;
    hierarchy.initialize(A, moved.hierarchy);
    const auto                   &P = hierarchy.prolongation(0);
    const auto                    k = hierarchy.near_null_space(0)[0];
    TrilinosWrappers::MPI::Vector ones(P.locally_owned_domain_indices(),
                                       MPI_COMM_WORLD),
      Pk(k), row_sums(k), all(k);
    ones = 1.;
    all  = 1.;
    P.vmult(Pk, ones);
    A.vmult(row_sums, all);
    double       worst    = 0.;
    unsigned int interior = 0;
    for (unsigned int i = 0; i < k.size(); ++i)
      if (std::abs(row_sums[i]) < 1e-12 * A.diag_element(i))
        {
          worst = std::max(worst, std::abs(Pk[i] - k[i]) / k[i]);
          ++interior;
        }
    std::cout << "P 1 = k on " << interior << " interior rows to " << worst
              << std::endl;
    deallog << "the learned prolongation reproduces the near kernel where "
               "A 1 = 0 "
            << (worst < 1e-12 && interior > k.size() / 2) << std::endl;
  }

  // Training moves the edge weights and lowers the loss.
  const double        initial = trainer.evaluate();
  std::vector<double> losses;
  for (unsigned int e = 0; e < 3; ++e)
    losses.push_back(trainer.train_epoch());
  const double final_loss = trainer.evaluate();
  const auto   trained    = trainer.model();
  double       moved_by   = 0.;
  for (unsigned int h = 0; h < 4; ++h)
    moved_by += std::abs(trained.hierarchy.prolongation_smoothing.w[h]);
  std::cout << "loss " << initial << " -> " << final_loss
            << ", |output weights| " << moved_by << std::endl;
  deallog << "training moves the edge weights and lowers the loss "
          << (moved_by > 1e-3 && final_loss < initial) << std::endl;
  for (unsigned int k = 0; k < problems.size(); ++k)
    deallog << problems[k]->system_matrix.m()
            << " unknowns: torch forward = network after training "
            << (forward_mismatch(trainer, k, *problems[k]) < 1e-5) << std::endl;
  DirectionTrainer again(settings, start);
  for (const auto &p : problems)
    again.add_matrix(p->system_matrix, p->system_structure());
  deallog << "same seed, same losses " << (again.train_epoch() == losses[0])
          << std::endl;

  // The model file keeps the edge weights.
  const std::string file = "learned_prolongation.dlm";
  trained.save(file);
  const auto loaded = DirectionNetworkModel::load(file);
  std::remove(file.c_str());
  deallog << "model file round trip keeps the edge weights "
          << (loaded.flatten() == trained.flatten() &&
              loaded.hierarchy.prolongation_smoothing.hidden == 4)
          << std::endl;

  // reinit_values() applies the same per-edge weights as initialize().
  for (const auto &p : problems)
    {
      AggregationHierarchy fresh, reused;
      fresh.initialize(p->system_matrix,
                       trained.hierarchy,
                       p->system_structure());
      reused.initialize(p->system_matrix,
                        trained.hierarchy,
                        p->system_structure());
      reused.reinit_values(p->system_matrix);
      double difference = 0.;
      for (unsigned int l = 0; l + 1 < fresh.n_levels(); ++l)
        {
          TrilinosWrappers::SparseMatrix D;
          D.copy_from(fresh.prolongation(l));
          D.add(-1., reused.prolongation(l));
          difference = std::max(difference,
                                D.frobenius_norm() /
                                  fresh.prolongation(l).frobenius_norm());
        }
      deallog << p->system_matrix.m()
              << " unknowns: reinit_values() = initialize() with the learned "
                 "weights "
              << (difference < 1e-12) << std::endl;
    }
}
