#pragma once

// The hard-constraint layer and the weak residual as LibTorch autograd
// functions, for programs that train networks through them. This header and
// <dealii-learned/models/hard_constraint_network.h> are the library's only
// headers that need LibTorch: include <torch/torch.h> before them (and
// before any deal.II header, whose Assert macro clashes with LibTorch's).

#include <torch/torch.h>

#include <deal.II/base/mpi.h>

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/constraints/basis_smoother.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>
#include <dealii-learned/constraints/residual_assembly.h>

#include <cstdint>

namespace dealii_learned
{
  /**
   * A symmetric positive (semi)definite metric W on residual vectors: y =
   * W r (both locally owned), so that ||R||_W^2 = R^T W R. For example
   * the row weights of residual_row_weights(), or the inverse of the
   * residual's Jacobian (the energy norm of the error, for a linear
   * symmetric positive definite residual).
   */
  using ResidualMetric =
    std::function<void(const dealii::TrilinosWrappers::MPI::Vector &r,
                       dealii::TrilinosWrappers::MPI::Vector       &y)>;


  /** Copies a float64 tensor of the locally owned entries into @p v. */
  inline void
  tensor_to_vector(const torch::Tensor                   &t,
                   dealii::TrilinosWrappers::MPI::Vector &v)
  {
    AssertThrow(t.numel() == static_cast<int64_t>(v.locally_owned_size()),
                dealii::ExcMessage(
                  "A tensor of " + std::to_string(t.numel()) +
                  " entries for a field with " +
                  std::to_string(v.locally_owned_size()) +
                  " locally owned DoFs: one entry per locally owned DoF."));
    const auto    c = t.to(torch::kFloat64).contiguous();
    const double *x = c.data_ptr<double>();
    double       *y = v.begin();
    for (std::size_t i = 0; i < v.locally_owned_size(); ++i)
      y[i] = x[i];
  }

  /** The locally owned entries of @p v as a float64 tensor. */
  inline torch::Tensor
  vector_to_tensor(const dealii::TrilinosWrappers::MPI::Vector &v)
  {
    auto    t = torch::empty({static_cast<int64_t>(v.locally_owned_size())},
                          torch::kFloat64);
    double *x = t.data_ptr<double>();
    for (std::size_t i = 0; i < v.locally_owned_size(); ++i)
      x[i] = v.begin()[i];
    return t;
  }


  namespace internal
  {
    template <int dim>
    class HardConstraintFunction
      : public torch::autograd::Function<HardConstraintFunction<dim>>
    {
    public:
      static torch::Tensor
      forward(torch::autograd::AutogradContext *ctx,
              const torch::Tensor              &B,
              const std::int64_t                layer_address)
      {
        auto *layer =
          reinterpret_cast<HardConstraintLayer<dim> *>(layer_address);
        const auto basis = B.contiguous();
        // (Decided on every rank: one rank's network output can be the
        // one that does not fit.)
        const bool fits =
          basis.scalar_type() == torch::kFloat64 && basis.dim() == 2 &&
          basis.size(0) == static_cast<int64_t>(layer->n_rows()) &&
          basis.size(1) > 0;
        const MPI_Comm comm  = layer->get_space().mpi_communicator;
        const int64_t  width = basis.dim() == 2 ? basis.size(1) : 0;
        AssertThrow(dealii::Utilities::MPI::min(fits ? 1 : 0, comm) > 0 &&
                      dealii::Utilities::MPI::min(width, comm) ==
                        dealii::Utilities::MPI::max(width, comm),
                    dealii::ExcMessage(
                      "Hard constraints: the basis must be a float64 tensor "
                      "with one row per locally relevant DoF (" +
                      std::to_string(layer->n_rows()) +
                      " on this rank) and as many columns on every rank, not " +
                      (basis.scalar_type() == torch::kFloat64 ?
                         std::string() :
                         std::string("of another type and ")) +
                      "of shape [" + std::to_string(basis.size(0)) + ", " +
                      std::to_string(basis.dim() > 1 ? basis.size(1) : 0) +
                      "]."));
        dealii::TrilinosWrappers::MPI::Vector u;
        layer->forward(basis.data_ptr<double>(), basis.size(1), u);
        ctx->saved_data["layer"] = layer_address;
        ctx->saved_data["width"] = basis.size(1);
        return vector_to_tensor(u);
      }

      static torch::autograd::variable_list
      backward(torch::autograd::AutogradContext *ctx,
               torch::autograd::variable_list    grad)
      {
        auto *layer = reinterpret_cast<HardConstraintLayer<dim> *>(
          ctx->saved_data["layer"].toInt());
        const int64_t width = ctx->saved_data["width"].toInt();
        dealii::TrilinosWrappers::MPI::Vector dl_du;
        dl_du.reinit(layer->get_space().locally_owned,
                     layer->get_space().mpi_communicator);
        tensor_to_vector(grad[0].to(torch::kFloat64), dl_du);
        auto dl_dB =
          torch::empty({static_cast<int64_t>(layer->n_rows()), width},
                       torch::kFloat64);
        layer->backward(dl_du, dl_dB.data_ptr<double>());
        return {dl_dB, torch::Tensor()};
      }
    };


    template <int dim>
    class BasisSmoothingFunction
      : public torch::autograd::Function<BasisSmoothingFunction<dim>>
    {
    public:
      static torch::Tensor
      forward(torch::autograd::AutogradContext *ctx,
              const torch::Tensor              &B,
              const torch::Tensor              &omega,
              const std::int64_t                smoother_address)
      {
        auto *smoother =
          reinterpret_cast<BasisSmoother<dim> *>(smoother_address);
        const auto basis = B.contiguous();
        // (Decided on every rank, like the layer's check.)
        const bool fits =
          basis.scalar_type() == torch::kFloat64 && basis.dim() == 2 &&
          basis.size(0) == static_cast<int64_t>(smoother->n_rows()) &&
          omega.scalar_type() == torch::kFloat64 && omega.dim() == 1;
        AssertThrow(dealii::Utilities::MPI::min(
                      fits ? 1 : 0, smoother->get_space().mpi_communicator) > 0,
                    dealii::ExcMessage(
                      "Basis smoothing: the basis must be a float64 tensor "
                      "with one row per locally relevant DoF (" +
                      std::to_string(smoother->n_rows()) +
                      ") and the step weights a float64 vector."));
        const auto w      = omega.contiguous();
        auto       result = torch::empty_like(basis);
        smoother->forward(basis.data_ptr<double>(),
                          basis.size(1),
                          std::vector<double>(w.data_ptr<double>(),
                                              w.data_ptr<double>() + w.numel()),
                          result.data_ptr<double>(),
                          true);
        ctx->saved_data["smoother"] = smoother_address;
        return result;
      }

      static torch::autograd::variable_list
      backward(torch::autograd::AutogradContext *ctx,
               torch::autograd::variable_list    grad)
      {
        auto *smoother = reinterpret_cast<BasisSmoother<dim> *>(
          ctx->saved_data["smoother"].toInt());
        const auto          g     = grad[0].to(torch::kFloat64).contiguous();
        auto                dl_dB = torch::empty_like(g);
        std::vector<double> dl_domega;
        smoother->backward(g.data_ptr<double>(),
                           dl_dB.data_ptr<double>(),
                           dl_domega);
        return {dl_dB,
                torch::tensor(dl_domega, torch::kFloat64),
                torch::Tensor()};
      }
    };


    template <int dim>
    class ResidualLossFunction
      : public torch::autograd::Function<ResidualLossFunction<dim>>
    {
    public:
      static torch::Tensor
      forward(torch::autograd::AutogradContext *ctx,
              const torch::Tensor              &u,
              const std::int64_t                residual_address,
              const std::int64_t                space_address,
              const std::int64_t                metric_address)
      {
        const auto &residual =
          *reinterpret_cast<const ResidualOperator<dim> *>(residual_address);
        const auto &space =
          *reinterpret_cast<const FiniteElementSpace<dim> *>(space_address);
        dealii::TrilinosWrappers::MPI::Vector field(space.locally_owned,
                                                    space.mpi_communicator);
        tensor_to_vector(u.to(torch::kFloat64), field);
        space.constraints.distribute(field);
        dealii::TrilinosWrappers::MPI::Vector ghosted(space.locally_owned,
                                                      space.locally_relevant,
                                                      space.mpi_communicator);
        ghosted = field;
        dealii::TrilinosWrappers::MPI::Vector  R;
        dealii::TrilinosWrappers::SparseMatrix J;
        reinit_jacobian(space, J);
        assemble_residual(residual, space, ghosted, R, &J);
        // d ||R||^2 / du = 2 J^T R on the free entries (the constrained
        // ones are set by the constraints, not by u); with a metric W,
        // ||R||_W^2 = R^T W R and 2 J^T W R (W fixed).
        dealii::TrilinosWrappers::MPI::Vector weighted(R);
        if (metric_address != 0)
          (*reinterpret_cast<const ResidualMetric *>(metric_address))(R,
                                                                      weighted);
        const double                          value = R * weighted;
        dealii::TrilinosWrappers::MPI::Vector gradient(R);
        J.Tvmult(gradient, weighted);
        gradient *= 2.;
        for (const auto i : space.locally_owned)
          if (space.constraints.is_constrained(i))
            gradient[i] = 0.;
        gradient.compress(dealii::VectorOperation::insert);
        ctx->saved_data["gradient"] = vector_to_tensor(gradient);
        return torch::full({}, value, torch::kFloat64);
      }

      static torch::autograd::variable_list
      backward(torch::autograd::AutogradContext *ctx,
               torch::autograd::variable_list    grad)
      {
        const auto gradient = ctx->saved_data["gradient"].toTensor();
        return {gradient * grad[0],
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor()};
      }
    };
  } // namespace internal


  /**
   * u = the hard-constraint layer applied to the basis @p B (float64,
   * [layer.n_rows(), N], one row per locally relevant DoF), as a
   * differentiable LibTorch operation: u holds the locally owned DoFs, and
   * the gradient reaching B comes from HardConstraintLayer::backward()
   * (the implicit function theorem). @p layer must outlive the graph.
   */
  template <int dim>
  torch::Tensor
  apply_hard_constraints(HardConstraintLayer<dim> &layer,
                         const torch::Tensor      &B)
  {
    return internal::HardConstraintFunction<dim>::apply(
      B, reinterpret_cast<std::int64_t>(&layer));
  }


  /**
   * The basis @p B (float64, [smoother.n_rows(), N]) after damped Jacobi
   * steps with the weights @p omega (float64, one per step), as a
   * differentiable LibTorch operation (BasisSmoother; each rank's dL/domega
   * is its share, to be summed over the ranks like the network's other
   * parameters). @p smoother must outlive the graph.
   */
  template <int dim>
  torch::Tensor
  smooth_basis(BasisSmoother<dim>  &smoother,
               const torch::Tensor &B,
               const torch::Tensor &omega)
  {
    return internal::BasisSmoothingFunction<dim>::apply(
      B, omega, reinterpret_cast<std::int64_t>(&smoother));
  }


  /**
   * ||R(u)||^2, the squared weak residual of the field whose locally owned
   * DoFs are @p u (the constraints set the others), summed over all MPI
   * ranks, as a differentiable LibTorch scalar: the loss of the `soft`
   * method and the unsupervised loss of training. With @p metric, R^T W R
   * instead (W held fixed in the gradient 2 J^T W R). @p residual, @p space
   * and @p metric must outlive the graph.
   */
  template <int dim>
  torch::Tensor
  weak_residual_loss(const ResidualOperator<dim>   &residual,
                     const FiniteElementSpace<dim> &space,
                     const torch::Tensor           &u,
                     const ResidualMetric          *metric = nullptr)
  {
    return internal::ResidualLossFunction<dim>::apply(
      u,
      reinterpret_cast<std::int64_t>(&residual),
      reinterpret_cast<std::int64_t>(&space),
      reinterpret_cast<std::int64_t>(metric));
  }
} // namespace dealii_learned
