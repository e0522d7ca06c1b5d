#pragma once

// The hard-constraint network, shared by its trainer, its model file reader
// and programs that train or inspect it. It needs LibTorch, like
// <dealii-learned/constraints/hard_constraint_torch.h>: include
// <torch/torch.h> before it (and before any deal.II header, whose Assert
// macro clashes with LibTorch's).

#include <torch/torch.h>

#include <deal.II/base/point.h>

#include <dealii-learned/constraints/residual_operator.h>

#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * The hard-constraint network: N basis fields at the DoFs' support points
   * from what the problem is there and everywhere.
   *
   * - The trunk, a tanh MLP of `layers` layers of `width` units in double
   *   precision, maps a point's inputs (x, y, the residual's point features
   *   there, its network parameters scaled to [-1, 1]) and, with an
   *   encoder, the field code z to `outputs` values.
   * - The encoder (`sensors` > 0) sees the residual's point features (a
   *   coefficient, a source, the previous time step's field) on a grid of
   *   sensors x sensors points of the training domain [-1, 1]^2, the
   *   cell centres of a uniform grid, through two 3x3 convolutions (8 and
   *   16 channels, each followed by tanh and 2x2 average pooling), then a
   *   linear layer and tanh to `latent` numbers z, the same for every
   *   point. The solution at a point depends on the coefficient
   *   everywhere; the pointwise trunk alone cannot see where the blocks
   *   of a new random field lie.
   *
   * The sensors sample the fields by the residual's point_features(), not
   * the mesh, so the network gives the same values on any mesh, refined
   * adaptively or distributed over any number of ranks.
   *
   * - The smoothing steps (`smoothing_steps` > 0): the basis fields then
   *   pass through damped Jacobi steps with the problem's own operator
   *   (BasisSmoother, message passing on the DoF graph weighted by the
   *   coefficient), whose weights are parameters of the network. A program
   *   that evaluates the network applies them with BasisSmoother on its
   *   own mesh.
   *
   * In a model file the parameters are named trunk.<i>.weight/bias,
   * encoder.<i>.weight/bias (torch::nn::Sequential indices) and smoothing;
   * the description is in the `meta.*` entries (HardConstraintModel).
   */
  namespace HardConstraintNetwork
  {
    /** The network's shape. */
    struct Architecture
    {
      unsigned int n_features   = 0; // point features F
      unsigned int n_parameters = 0; // network parameters P
      unsigned int width        = 32;
      unsigned int layers       = 2;
      unsigned int outputs      = 1;
      /** Sensors per direction (a multiple of 4); 0: no encoder. */
      unsigned int sensors = 0;
      unsigned int latent  = 16;
      /** Damped Jacobi steps with the problem's operator after the trunk
       *  (BasisSmoother); their weights are parameters. */
      unsigned int smoothing_steps = 0;

      /** A point's inputs to the trunk, z excluded. */
      unsigned int
      n_point_inputs() const
      {
        return 2 + n_features + n_parameters;
      }
    };


    /** The trunk and the encoder. */
    class NetworkImpl : public torch::nn::Module
    {
    public:
      explicit NetworkImpl(const Architecture &architecture)
        : architecture(architecture)
      {
        torch::nn::Sequential t;
        unsigned int          in = architecture.n_point_inputs() +
                          (architecture.sensors > 0 ? architecture.latent : 0);
        for (unsigned int l = 0; l < architecture.layers; ++l)
          {
            t->push_back(torch::nn::Linear(in, architecture.width));
            t->push_back(torch::nn::Tanh());
            in = architecture.width;
          }
        t->push_back(torch::nn::Linear(in, architecture.outputs));
        trunk = register_module("trunk", t);
        if (architecture.sensors > 0)
          {
            const int64_t         cells = architecture.sensors / 4;
            torch::nn::Sequential e;
            e->push_back(torch::nn::Conv2d(
              torch::nn::Conv2dOptions(architecture.n_features, 8, 3)
                .padding(1)));
            e->push_back(torch::nn::Tanh());
            e->push_back(torch::nn::AvgPool2d(2));
            e->push_back(
              torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 3).padding(1)));
            e->push_back(torch::nn::Tanh());
            e->push_back(torch::nn::AvgPool2d(2));
            e->push_back(torch::nn::Flatten());
            e->push_back(
              torch::nn::Linear(16 * cells * cells, architecture.latent));
            e->push_back(torch::nn::Tanh());
            encoder = register_module("encoder", e);
          }
        smoothing = register_parameter(
          "smoothing",
          torch::full({static_cast<int64_t>(architecture.smoothing_steps)},
                      2. / 3.));
        to(torch::kFloat64);
      }

      /** The basis [n, outputs] from the points' inputs [n,
       *  n_point_inputs()] and the sensors' features [1, F, sensors,
       *  sensors] (ignored without an encoder). */
      torch::Tensor
      forward(const torch::Tensor &points, const torch::Tensor &field)
      {
        if (!encoder)
          return trunk->forward(points);
        const torch::Tensor z = encoder->forward(field);
        return trunk->forward(
          torch::cat({points, z.expand({points.size(0), z.size(1)})}, 1));
      }

      Architecture          architecture;
      torch::nn::Sequential trunk{nullptr}, encoder{nullptr};
      /** The weights omega_k of the smoothing steps (BasisSmoother),
       *  2/3 at the start. */
      torch::Tensor smoothing;
    };
    TORCH_MODULE(Network);


    /** The input rows at @p points for the residual's current p: (x, y,
     *  point features, network parameters scaled to [-1, 1] in the
     *  residual's ranges). */
    inline torch::Tensor
    inputs(const std::vector<dealii::Point<2>> &points,
           const ResidualOperator<2>           &residual)
    {
      const auto                names  = residual.parameter_names();
      const auto                ranges = residual.parameter_ranges();
      const auto               &p      = residual.get_parameters();
      std::vector<unsigned int> visible;
      for (const auto &name : residual.network_parameter_names())
        for (unsigned int k = 0; k < names.size(); ++k)
          if (names[k] == name)
            visible.push_back(k);
      const int64_t n = points.size();
      const int64_t width =
        2 + residual.feature_names().size() + visible.size();
      auto    x    = torch::empty({n, width}, torch::kFloat64);
      double *data = x.data_ptr<double>();
      for (int64_t r = 0; r < n; ++r)
        {
          double *row    = data + r * width;
          row[0]         = points[r][0];
          row[1]         = points[r][1];
          unsigned int c = 2;
          for (const double f : residual.point_features(points[r]))
            row[c++] = f;
          for (const unsigned int k : visible)
            row[c++] = ranges[k].second > ranges[k].first ?
                         2. * (p[k] - ranges[k].first) /
                             (ranges[k].second - ranges[k].first) -
                           1. :
                         0.;
        }
      return x;
    }


    /** The residual's point features at the @p sensors x @p sensors cell
     *  centres of [-1, 1]^2: [1, F, sensors (y), sensors (x)]. */
    inline torch::Tensor
    sensor_inputs(const ResidualOperator<2> &residual,
                  const unsigned int         sensors)
    {
      const int64_t F = residual.feature_names().size();
      const int64_t S = sensors;
      auto          x = torch::zeros({1, F, S, S}, torch::kFloat64);
      if (S == 0)
        return x;
      double *data = x.data_ptr<double>();
      for (int64_t j = 0; j < S; ++j)
        for (int64_t i = 0; i < S; ++i)
          {
            const dealii::Point<2> p(-1. + (2. * i + 1.) / S,
                                     -1. + (2. * j + 1.) / S);
            const auto             f = residual.point_features(p);
            for (int64_t c = 0; c < F; ++c)
              data[(c * S + j) * S + i] = f[c];
          }
      return x;
    }
  } // namespace HardConstraintNetwork
} // namespace dealii_learned
