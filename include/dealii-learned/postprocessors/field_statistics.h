#pragma once

#include <dealii-learned/postprocessors/postprocessor_hook.h>

namespace dealii_learned
{
  /**
   * Integral quantities of a field: the integral of u over the
   * domain (the "mass" a conservation law is about), its L2 norm, and the
   * largest nodal value in magnitude. Reported as `<field>_integral`,
   * `<field>_l2_norm` and `<field>_max_abs`. A vector-valued field (the
   * displacement of `elasticity`) has one integral per component,
   * `<field>_integral_0`, `_1`, ..., and the L2 norm of its magnitude.
   * Integrals use the host's quadrature and mapping, summed over MPI ranks.
   */
  template <int dim>
  class FieldStatistics : public PostprocessorHook<dim>
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    Statistics
    execute(const FieldContext<dim>               &context,
            dealii::TrilinosWrappers::MPI::Vector &field) override;
  };
} // namespace dealii_learned
