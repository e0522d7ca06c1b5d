#pragma once

#include <dealii-learned/conservation/prob_conserv.h>
#include <dealii-learned/models/ensemble_model.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>

#include <memory>
#include <string>

namespace dealii_learned
{
  /**
   * `prob-conserv`: makes a probabilistic prediction of the field conserve
   * exactly what the host's conservation law prescribes, by the
   * ProbConserv update (probconserv_update()).
   *
   * The prediction (`Prior`):
   * - `model`: a probabilistic base model (`Model file`: an ensemble made
   *   by `dealii-learned train` with `Training/Model = ensemble`, or a
   *   TorchScript module) evaluated at the support points of the DoFs, at
   *   the context's time, with the context's PDE parameters as its other
   *   inputs. The field the postprocessor is given is then the reference
   *   it is compared with (the finite element solution), and is left as
   *   it is, so that a host's time stepping goes on unaffected;
   * - `field`: the host's own prediction (FieldContext::prior); the field
   *   is replaced by the corrected mean, and FieldContext::reference, if
   *   given, is the reference.
   *
   * The constraints: the integral over the domain equals
   * FieldContext::conserved_integral, and, with `Subdomain integrals`,
   * the integral over each material id in FieldContext::subdomain_integrals
   * equals its target. `Method` = probconserv (the update), hardc (the
   * projection with identity covariance, the paper's HardC baseline) or
   * none (the base prediction alone, for comparisons). `Noise` is sigma_G
   * (0: exact). `Nonnegative` adds the non-negativity step.
   *
   * Statistics (each before and after the update): conservation_error
   * (relative, or absolute for a zero target), and with a reference
   * mse (mean over DoFs of (mean - reference)^2), log_likelihood (mean over
   * the free DoFs of the reference's log density under the pointwise
   * Gaussian marginals) and, when a parameter `threshold` is given (the
   * Stefan problem), front_position_error (|front of the mean - front of
   * the reference|, the front being the largest x where the field is at
   * least threshold / 2). Also update_seconds and model_seconds. The mean,
   * its standard deviation, the base mean and the reference go to
   * `<prefix>-<cycle>.vtu` (pvtu under MPI).
   */
  template <int dim>
  class ProbConservPostprocessor : public PostprocessorHook<dim>
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    Statistics
    execute(const FieldContext<dim>               &context,
            dealii::TrilinosWrappers::MPI::Vector &field) override;

  private:
    /** Throws unless the model's coordinate inputs are this dimension's. */
    void
    check_dimension() const;

    /** The base model's prediction on the context's DoFs. */
    GaussianField
    predict(const FieldContext<dim> &context) const;

    /** The prediction to update and the reference it is compared with. */
    struct BasePrediction
    {
      GaussianField base;
      /** The field given (`Prior` = model), FieldContext::reference
       *  (`Prior` = field), or nullptr: no reference. */
      const dealii::TrilinosWrappers::MPI::Vector *reference = nullptr;
    };

    /** The prediction by `Prior`: the base model's, or the host's (which
     *  must have the size of @p field). */
    BasePrediction
    predict_base(const FieldContext<dim>                     &context,
                 const dealii::TrilinosWrappers::MPI::Vector &field) const;

    /** The integral over the domain and, with `Subdomain integrals`, one
     *  row per material id the host gives a target for; throws if the
     *  host gives no targets. */
    ConservationConstraints
    make_constraints(const FieldContext<dim> &context) const;

    /** The update of @p base by `Method`, with the context's constraints
     *  distributed in the posterior mean. */
    ProbConservResult
    update(const FieldContext<dim>                     &context,
           const GaussianField                         &base,
           const ConservationConstraints               &constraints,
           const dealii::TrilinosWrappers::MPI::Vector &is_free) const;

    /** `<prefix>-<cycle>.vtu`: the corrected mean, its standard
     *  deviation, @p base_mean and the @p reference (if any). */
    void
    write_output(const FieldContext<dim>                     &context,
                 const ProbConservResult                     &result,
                 const dealii::TrilinosWrappers::MPI::Vector &base_mean,
                 const dealii::TrilinosWrappers::MPI::Vector *reference) const;

    std::string                         prior = "model";
    std::string                         model_file;
    std::shared_ptr<ProbabilisticModel> model;
    std::string                         method = "probconserv";
    ProbConservSettings                 settings;
    bool                                subdomains = false;
    std::string                         prefix     = "probconserv";
  };
} // namespace dealii_learned
