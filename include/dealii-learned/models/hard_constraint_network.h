#pragma once

// The hard-constraint network, shared by its trainer, its model file reader
// and programs that train or inspect it. It needs LibTorch, like
// <dealii-learned/constraints/hard_constraint_torch.h>: include
// <torch/torch.h> before it (and before any deal.II header, whose Assert
// macro clashes with LibTorch's).

#include <torch/torch.h>

#include <deal.II/base/point.h>

#include <dealii-learned/constraints/residual_operator.h>

#include <vector>

namespace dealii_learned
{
  namespace HardConstraintNetwork
  {
    /** The multilayer perceptron: @p layers tanh layers of @p width units,
     *  then a linear layer with @p outputs outputs, in double precision. */
    inline torch::nn::Sequential
    make(const unsigned int inputs,
         const unsigned int width,
         const unsigned int layers,
         const unsigned int outputs)
    {
      torch::nn::Sequential network;
      unsigned int          in = inputs;
      for (unsigned int l = 0; l < layers; ++l)
        {
          network->push_back(torch::nn::Linear(in, width));
          network->push_back(torch::nn::Tanh());
          in = width;
        }
      network->push_back(torch::nn::Linear(in, outputs));
      network->to(torch::kFloat64);
      return network;
    }


    /** Width of an input row: x, y, the residual's point features, its
     *  parameters. */
    inline unsigned int
    n_inputs(const ResidualOperator<2> &residual)
    {
      return 2 + residual.feature_names().size() +
             residual.parameter_names().size();
    }


    /** The input rows at @p points for the residual's current p: (x, y,
     *  point features, p scaled to [-1, 1] in the residual's ranges). */
    inline torch::Tensor
    inputs(const std::vector<dealii::Point<2>> &points,
           const ResidualOperator<2>           &residual)
    {
      const auto    ranges = residual.parameter_ranges();
      const auto   &p      = residual.get_parameters();
      const int64_t n      = points.size();
      const int64_t width  = n_inputs(residual);
      auto          x      = torch::empty({n, width}, torch::kFloat64);
      double       *data   = x.data_ptr<double>();
      for (int64_t r = 0; r < n; ++r)
        {
          double *row    = data + r * width;
          row[0]         = points[r][0];
          row[1]         = points[r][1];
          unsigned int c = 2;
          for (const double f : residual.point_features(points[r]))
            row[c++] = f;
          for (unsigned int k = 0; k < ranges.size(); ++k)
            row[c++] = ranges[k].second > ranges[k].first ?
                         2. * (p[k] - ranges[k].first) /
                             (ranges[k].second - ranges[k].first) -
                           1. :
                         0.;
        }
      return x;
    }
  } // namespace HardConstraintNetwork
} // namespace dealii_learned
