#pragma once

#include <dealii-learned/constraints/hard_constraint_layer.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>

#include <memory>
#include <string>

namespace dealii_learned
{
  class HardConstraintModel;
  template <int dim>
  class ResidualOperator;

  /**
   * `hard-constraint`: replaces the host's field by a neural solver's
   * prediction that satisfies the host's weak form on each expert's cells.
   *
   * The model (`Model file`, made by `dealii-learned train` with
   * Training/Model = hard-constraint) is evaluated at the support points of
   * the host's DoFs for the host's PDE parameters (FieldContext::parameters,
   * by the names of the residual's parameters); its basis fields go
   * through the hard-constraint layer on the host's mesh, DoFHandler,
   * quadrature and AffineConstraints (so the host's boundary values and
   * hanging nodes hold), with `Experts` experts (0: as many as the model
   * was trained with) made by `Partition`, and the field is replaced by
   * the result (unless `Replace field = false`). A soft model's output is
   * the field itself.
   *
   * The residual (`Residual` and its subsection) must be the one the
   * model was trained for. The reference the error is measured against is
   * FieldContext::reference if the host gives one, else the field the
   * postprocessor is handed (the host's finite element solution).
   *
   * Statistics: relative_l2_error, relative_residual (||R(u)|| /
   * ||R(u_0)||, u_0 the boundary values alone), max_expert_residual
   * (HardConstraintLayer::max_expert_residual()), interface_jump,
   * experts, model_seconds (the network) and layer_seconds. Collective;
   * an expert that does not converge ends the call with an error that
   * names it. The network takes 2-D coordinates, so a 3-D host gets an
   * error.
   */
  template <int dim>
  class HardConstraintPostprocessor : public PostprocessorHook<dim>
  {
  public:
    HardConstraintPostprocessor();
    ~HardConstraintPostprocessor() override;

    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    Statistics
    execute(const FieldContext<dim>               &context,
            dealii::TrilinosWrappers::MPI::Vector &field) override;

  private:
    std::string                            model_file;
    std::shared_ptr<HardConstraintModel>   model;
    std::unique_ptr<ResidualOperator<dim>> residual;
    unsigned int                           n_experts = 0;
    std::string                            partition = "z-order";
    HardConstraintSettings                 settings;
    bool                                   replace = true;
  };
} // namespace dealii_learned
