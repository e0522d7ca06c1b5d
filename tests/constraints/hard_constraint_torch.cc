// The hard-constraint layer and the weak residual inside LibTorch's
// autograd, as a training program uses them:
//  - the gradient that reaches the basis tensor through
//    apply_hard_constraints() is HardConstraintLayer::backward()'s;
//  - weak_residual_loss() (||R(u)||^2, the soft constraint) has the
//    gradient of central differences;
//  - a small network from (x, y, log eps(x)) to 8 basis fields, trained
//    through four experts on the unsupervised loss ||R(u)||^2 for 40 Adam
//    steps: the loss and the error against the finite element solution
//    fall. Gradients of the network's parameters are summed over the MPI
//    ranks (each rank evaluates the network at its own DoFs), so two
//    ranks train the same network as one.

#include <torch/torch.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_torch.h>

#include "../tests.h"

#include "hard_constraint_setup.h"

/** Sums every parameter's gradient over the MPI ranks. */
void
sum_gradients(torch::nn::Module &module)
{
  for (auto &p : module.parameters())
    if (p.grad().defined())
      {
        auto g = p.grad().contiguous();
        Utilities::MPI::sum(ArrayView<const double>(g.data_ptr<double>(),
                                                    g.numel()),
                            MPI_COMM_WORLD,
                            ArrayView<double>(g.data_ptr<double>(), g.numel()));
        p.mutable_grad().copy_(g);
      }
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  torch::manual_seed(1);

  Setup                  s("diffusion-reaction", {20., 1., 1., 3.});
  const auto             space = s.space();
  const unsigned int     N     = 8;
  ExpertPartition<2>     experts(s.dof_handler,
                             s.constraints,
                             s.owned,
                             s.relevant,
                             4,
                             "z-order",
                             MPI_COMM_WORLD);
  HardConstraintSettings settings;
  settings.rows_per_expert = N;
  HardConstraintLayer<2> layer(*s.residual, space, experts, settings);

  // 1. The layer in autograd.
  {
    const auto    values = s.basis(N);
    torch::Tensor B      = torch::from_blob(const_cast<double *>(values.data()),
                                       {static_cast<int64_t>(layer.n_rows()),
                                             static_cast<int64_t>(N)},
                                       torch::kFloat64)
                        .clone()
                        .requires_grad_(true);
    const torch::Tensor           u = apply_hard_constraints(layer, B);
    TrilinosWrappers::MPI::Vector h(s.owned, MPI_COMM_WORLD);
    for (const auto i : s.owned)
      h[i] = std::sin(0.37 * i + 0.1);
    h.compress(VectorOperation::insert);
    (vector_to_tensor(h) * u).sum().backward();
    std::vector<double> direct(layer.n_rows() * N);
    layer.backward(h, direct.data());
    const double *through    = B.grad().data_ptr<double>();
    double        difference = 0.;
    for (std::size_t k = 0; k < direct.size(); ++k)
      difference = std::max(difference, std::abs(direct[k] - through[k]));
    deallog << "basis gradient through autograd = backward(): "
            << (Utilities::MPI::max(difference, MPI_COMM_WORLD) == 0.)
            << std::endl;
  }

  // 2. The soft constraint's gradient against central differences.
  {
    TrilinosWrappers::MPI::Vector start(s.owned, MPI_COMM_WORLD);
    for (const auto i : s.owned)
      start[i] = 0.1 * std::cos(0.3 * i);
    start.compress(VectorOperation::insert);
    torch::Tensor u = vector_to_tensor(start).requires_grad_(true);
    weak_residual_loss(*s.residual, space, u).backward();
    const torch::Tensor gradient = u.grad().clone();
    bool                agree    = true;
    for (const types::global_dof_index dof : {20u, 60u, 100u})
      {
        const bool here =
          s.owned.is_element(dof) && !s.constraints.is_constrained(dof);
        const auto local = here ? s.owned.index_within_set(dof) : 0;
        double     value[2];
        for (const int sign : {0, 1})
          {
            torch::Tensor v = vector_to_tensor(start);
            if (here)
              v[local] += sign == 0 ? 1e-6 : -1e-6;
            value[sign] =
              weak_residual_loss(*s.residual, space, v).item<double>();
          }
        const double numeric = (value[0] - value[1]) / 2e-6;
        const double analytic =
          Utilities::MPI::sum(here ? gradient[local].item<double>() : 0.,
                              MPI_COMM_WORLD);
        agree = agree && std::abs(numeric - analytic) <=
                           1e-5 * std::max(std::abs(numeric), 1e-8);
      }
    deallog << "weak residual loss gradient against central differences "
               "to 1e-5: "
            << agree << std::endl;
  }

  // 3. Training a network through the experts.
  {
    // The inputs at every locally relevant DoF: x, y, log eps(x).
    torch::Tensor inputs =
      torch::empty({static_cast<int64_t>(layer.n_rows()), 3}, torch::kFloat64);
    for (unsigned int r = 0; r < layer.n_rows(); ++r)
      {
        const Point<2> x = s.points.at(s.relevant.nth_index_in_set(r));
        inputs[r][0]     = x[0];
        inputs[r][1]     = x[1];
        inputs[r][2]     = s.residual->point_features(x)[0];
      }
    torch::nn::Sequential network(torch::nn::Linear(3, 16),
                                  torch::nn::Tanh(),
                                  torch::nn::Linear(16, 16),
                                  torch::nn::Tanh(),
                                  torch::nn::Linear(16, N));
    network->to(torch::kFloat64);
    torch::optim::Adam optimizer(network->parameters(),
                                 torch::optim::AdamOptions(1e-2));

    TrilinosWrappers::MPI::Vector reference(s.owned, MPI_COMM_WORLD);
    solve_residual(*s.residual, space, reference);
    const auto error = [&](const torch::Tensor &u) {
      TrilinosWrappers::MPI::Vector v(s.owned, MPI_COMM_WORLD);
      tensor_to_vector(u.detach(), v);
      v -= reference;
      return v.l2_norm() / reference.l2_norm();
    };
    double first_loss = 0., last_loss = 0., first_error = 0., last_error = 0.;
    for (unsigned int step = 0; step <= 40; ++step)
      {
        optimizer.zero_grad();
        const torch::Tensor u =
          apply_hard_constraints(layer, network->forward(inputs));
        const torch::Tensor loss = weak_residual_loss(*s.residual, space, u);
        if (step == 0)
          {
            first_loss  = loss.item<double>();
            first_error = error(u);
          }
        last_loss  = loss.item<double>();
        last_error = error(u);
        if (step == 40)
          break;
        loss.backward();
        sum_gradients(*network);
        optimizer.step();
      }
    deallog << "training through 4 experts, 40 steps: loss falls by more "
               "than half: "
            << (last_loss < 0.5 * first_loss)
            << ", error against the finite element solution falls: "
            << (last_error < first_error) << std::endl;
  }

  // 4. Network outputs that do not fit the layer: an error on every rank
  //    (on two ranks only rank 0's output has a row too many).
  {
    const auto attempt = [&](const std::string &title, torch::Tensor B) {
      expect_exception(title, [&]() { apply_hard_constraints(layer, B); });
    };
    const int64_t rows  = layer.n_rows();
    const bool    first = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    attempt("one row too many on rank 0",
            torch::zeros({rows + (first ? 1 : 0), int64_t(N)},
                         torch::kFloat64));
    attempt("float32", torch::zeros({rows, int64_t(N)}, torch::kFloat32));
    attempt("no basis fields", torch::zeros({rows, 0}, torch::kFloat64));
  }
}
