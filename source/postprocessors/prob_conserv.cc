#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/mapping.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_vector.h>

#include <deal.II/numerics/data_out.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/conservation_constraints.h>
#include <dealii-learned/conservation/field_metrics.h>
#include <dealii-learned/postprocessors/prob_conserv.h>
#include <dealii-learned/postprocessors/vtu_output.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;



  template <int dim>
  void
  ProbConservPostprocessor<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Prior",
                      "model",
                      Patterns::Selection("model|field"),
                      "model: the base model in 'Model file' predicts the "
                      "field (and the field given is the reference); field: "
                      "the host's own prediction (FieldContext::prior), "
                      "replaced by the corrected mean.");
    prm.declare_entry("Model file",
                      "",
                      Patterns::FileName(),
                      "With Prior = model: an ensemble model file (made by "
                      "`dealii-learned train' with Training/Model = "
                      "ensemble) or a TorchScript module with forward(inputs: "
                      "float64[n, k]) -> (means float64[M, n], variances "
                      "float64[M, n]).");
    prm.declare_entry("TorchScript inputs",
                      "x, t",
                      Patterns::List(Patterns::Anything()),
                      "The input columns of a TorchScript model, in order: "
                      "x, y, z (coordinates), t, or the name of a PDE "
                      "parameter. (An ensemble file names its own.)");
    prm.declare_entry("Method",
                      "probconserv",
                      Patterns::Selection("probconserv|hardc|none"),
                      "probconserv: the Bayesian update; hardc: the "
                      "orthogonal projection of the mean (identity "
                      "covariance), the HardC baseline; none: the base "
                      "prediction unchanged, for comparisons.");
    prm.declare_entry("Noise",
                      "0",
                      Patterns::Double(0.),
                      "sigma_G, the standard deviation of the constraints' "
                      "noise; 0 enforces them exactly.");
    prm.declare_entry("Nonnegative",
                      "false",
                      Patterns::Bool(),
                      "After the update, set negative mean entries to 0 "
                      "and update again with the covariance of the positive "
                      "entries (up to 10 times): the targets are met exactly "
                      "after every pass, and the zeros have variance 0; "
                      "whether the passes end without negative entries is "
                      "reported (nonnegative).");
    prm.declare_entry(
      "Subdomain integrals",
      "false",
      Patterns::Bool(),
      "Also one constraint per material id that the host "
      "gives a target for (FieldContext::subdomain_integrals; an error if "
      "it gives none). When those material ids cover every cell, their "
      "rows replace the integral over the domain (which is their sum).");
    prm.declare_entry("File name prefix",
                      "probconserv",
                      Patterns::FileName(),
                      "VTU files <prefix>-<cycle>.vtu with the corrected "
                      "mean, its standard deviation, the base mean and the "
                      "reference; empty: no files.");
  }


  template <int dim>
  void
  ProbConservPostprocessor<dim>::parse_parameters(ParameterHandler &prm)
  {
    prior                    = prm.get("Prior");
    model_file               = prm.get("Model file");
    method                   = prm.get("Method");
    settings.noise           = prm.get_double("Noise");
    settings.hard_constraint = method == "hardc";
    settings.nonnegative     = prm.get_bool("Nonnegative");
    subdomains               = prm.get_bool("Subdomain integrals");
    prefix                   = prm.get("File name prefix");
    if (prior == "model")
      {
        AssertThrow(!model_file.empty(),
                    ExcMessage("Postprocessors/prob-conserv: Prior = model "
                               "needs a 'Model file'."));
        std::vector<std::string> names;
        for (const auto &n :
             Utilities::split_string_list(prm.get("TorchScript inputs")))
          names.push_back(Utilities::trim(n));
        model = load_probabilistic_model(model_file, names);
        check_dimension();
      }
  }


  template <int dim>
  void
  ProbConservPostprocessor<dim>::check_dimension() const
  {
    // A model's coordinates must be this mesh's: one trained in 1-D has no
    // y, one trained in 2-D has a y that a 1-D mesh lacks. Checked when the
    // parameters are read, before a run writes anything.
    static const std::vector<std::string> coordinates = {"x", "y", "z"};
    const auto                            names       = model->input_names();
    for (unsigned int d = 0; d < 3; ++d)
      {
        const bool has =
          std::find(names.begin(), names.end(), coordinates[d]) != names.end();
        AssertThrow(has == (d < dim),
                    ExcMessage("Postprocessors/prob-conserv: the base model '" +
                               model_file + "' takes the inputs " +
                               join(names, ", ") + ": it was trained for " +
                               (has ? "more" : "fewer") +
                               " dimensions than this " + std::to_string(dim) +
                               "-D problem. Train one for " +
                               std::to_string(dim) + "-D."));
      }
  }


  template <int dim>
  GaussianField
  ProbConservPostprocessor<dim>::predict(const FieldContext<dim> &context) const
  {
    return predict_field<dim>(*model,
                              context.dof_handler,
                              context.mapping,
                              context.locally_owned_dofs,
                              context.mpi_communicator,
                              context.time,
                              context.parameters,
                              "the base model '" + model_file + "'");
  }


  namespace
  {
    /**
     * Whether the host's subdomain targets cover every cell (on all ranks),
     * so that the integral over the domain, the sum of their rows, is left
     * out. False without @p subdomains.
     */
    template <int dim>
    bool
    subdomains_cover_domain(const FieldContext<dim> &context,
                            const bool               subdomains)
    {
      bool covered = subdomains;
      if (subdomains)
        for (const auto &cell : context.dof_handler.active_cell_iterators())
          if (cell->is_locally_owned() &&
              std::none_of(context.subdomain_integrals.begin(),
                           context.subdomain_integrals.end(),
                           [&](const auto &entry) {
                             return entry.first == cell->material_id();
                           }))
            {
              covered = false;
              break;
            }
      return Utilities::MPI::min(covered ? 1 : 0, context.mpi_communicator) > 0;
    }


    /** 1 on the context's unconstrained DoFs, 0 on the constrained ones. */
    template <int dim>
    TrilinosWrappers::MPI::Vector
    free_dofs(const FieldContext<dim> &context)
    {
      TrilinosWrappers::MPI::Vector is_free(context.locally_owned_dofs,
                                            context.mpi_communicator);
      for (const auto i : context.locally_owned_dofs)
        is_free[i] = context.constraints.is_constrained(i) ? 0. : 1.;
      is_free.compress(VectorOperation::insert);
      return is_free;
    }


    /**
     * front_position_error_before and _after for every parameter named
     * `threshold` (the Stefan problem): the distance between the fronts,
     * at half the threshold, of @p base_mean and @p posterior_mean and
     * that of @p reference; left out where a field has no front.
     */
    template <int dim>
    void
    add_front_position_errors(
      const FieldContext<dim>             &context,
      const TrilinosWrappers::MPI::Vector &reference,
      const TrilinosWrappers::MPI::Vector &base_mean,
      const TrilinosWrappers::MPI::Vector &posterior_mean,
      Statistics                          &statistics)
    {
      for (const auto &[name, value] : context.parameters)
        if (name == "threshold")
          {
            const double level = 0.5 * value;
            const auto   front = [&](const TrilinosWrappers::MPI::Vector &u) {
              return front_position<dim>(u,
                                         context.dof_handler,
                                         context.mapping,
                                         level);
            };
            // (A field below the level everywhere has no front: the
            // statistic is left out then.)
            const double reference_front = front(reference);
            const double before = std::abs(front(base_mean) - reference_front);
            const double after =
              std::abs(front(posterior_mean) - reference_front);
            if (std::isfinite(before) && std::isfinite(after))
              {
                statistics.emplace_back("front_position_error_before", before);
                statistics.emplace_back("front_position_error_after", after);
              }
          }
    }


    /**
     * The statistics against @p reference, before (@p base, with
     * @p base_mean its distributed mean) and after the update: mse,
     * log_likelihood and front_position_error.
     */
    template <int dim>
    void
    add_reference_statistics(const FieldContext<dim>             &context,
                             const GaussianField                 &base,
                             const TrilinosWrappers::MPI::Vector &base_mean,
                             const ProbConservResult             &result,
                             const TrilinosWrappers::MPI::Vector &is_free,
                             const TrilinosWrappers::MPI::Vector &reference,
                             Statistics                          &statistics)
    {
      AssertThrow(reference.size() == base.size(),
                  ExcMessage("Postprocessors/prob-conserv: the reference has "
                             "another size than the prediction."));
      const TrilinosWrappers::MPI::Vector prior_variance = base.variance();
      const TrilinosWrappers::MPI::Vector posterior_variance =
        result.posterior.variance();
      statistics.emplace_back("mse_before",
                              mean_square_difference(base_mean, reference));
      statistics.emplace_back("mse_after",
                              mean_square_difference(result.posterior.mean,
                                                     reference));
      statistics.emplace_back(
        "log_likelihood_before",
        log_likelihood(reference, base_mean, prior_variance, is_free));
      statistics.emplace_back("log_likelihood_after",
                              log_likelihood(reference,
                                             result.posterior.mean,
                                             posterior_variance,
                                             result.uncertain));
      add_front_position_errors<dim>(
        context, reference, base_mean, result.posterior.mean, statistics);
    }
  } // namespace


  template <int dim>
  typename ProbConservPostprocessor<dim>::BasePrediction
  ProbConservPostprocessor<dim>::predict_base(
    const FieldContext<dim>             &context,
    const TrilinosWrappers::MPI::Vector &field) const
  {
    BasePrediction prediction;
    if (prior == "model")
      {
        prediction.base      = predict(context);
        prediction.reference = &field;
      }
    else
      {
        AssertThrow(context.prior != nullptr,
                    ExcMessage("Postprocessors/prob-conserv: Prior = field, "
                               "but the host gives no prediction "
                               "(FieldContext::prior)."));
        prediction.base      = *context.prior;
        prediction.reference = context.reference;
        AssertThrow(prediction.base.size() == field.size(),
                    ExcMessage("Postprocessors/prob-conserv: the host's "
                               "prediction has " +
                               std::to_string(prediction.base.size()) +
                               " entries, the field " +
                               std::to_string(field.size()) + "."));
      }
    return prediction;
  }


  template <int dim>
  ConservationConstraints
  ProbConservPostprocessor<dim>::make_constraints(
    const FieldContext<dim> &context) const
  {
    AssertThrow(context.conserved_integral.has_value(),
                ExcMessage("Postprocessors/prob-conserv: the host gives no "
                           "conserved integral (FieldContext::"
                           "conserved_integral), so there is nothing to "
                           "conserve. Problems with a known integral give it; "
                           "a host program sets it."));
    AssertThrow(!subdomains || !context.subdomain_integrals.empty(),
                ExcMessage("Postprocessors/prob-conserv: 'Subdomain "
                           "integrals = true', but the host gives no "
                           "subdomain targets (FieldContext::"
                           "subdomain_integrals). Set them in the host "
                           "program, or set the entry to false."));
    // When the host's subdomains cover the whole domain, the integral over
    // the domain is the sum of their rows: adding it too would make the
    // system singular for noise 0, so the subdomain rows alone are used.
    const bool covered = subdomains_cover_domain(context, subdomains);

    ConservationConstraints constraints;
    if (!covered)
      constraints.add_integral<dim>(context.dof_handler,
                                    context.mapping,
                                    context.quadrature,
                                    context.constraints,
                                    context.locally_owned_dofs,
                                    context.locally_relevant_dofs,
                                    context.mpi_communicator,
                                    *context.conserved_integral,
                                    "integral");
    if (subdomains)
      for (const auto &[id, target] : context.subdomain_integrals)
        constraints.add_integral<dim>(
          context.dof_handler,
          context.mapping,
          context.quadrature,
          context.constraints,
          context.locally_owned_dofs,
          context.locally_relevant_dofs,
          context.mpi_communicator,
          target,
          "material " + std::to_string(id),
          [id = id](
            const typename DoFHandler<dim, dim>::active_cell_iterator &cell) {
            return cell->material_id() == id;
          });
    return constraints;
  }


  template <int dim>
  ProbConservResult
  ProbConservPostprocessor<dim>::update(
    const FieldContext<dim>             &context,
    const GaussianField                 &base,
    const ConservationConstraints       &constraints,
    const TrilinosWrappers::MPI::Vector &is_free) const
  {
    ProbConservResult result;
    if (method == "none")
      {
        result.posterior = base;
        result.uncertain = is_free;
        result.conservation_error_before =
          constraints.conservation_error(base.mean);
        result.conservation_error_after = result.conservation_error_before;
      }
    else
      result = probconserv_update(
        base, constraints, is_free, settings, "the prediction");
    context.constraints.distribute(result.posterior.mean);
    return result;
  }


  template <int dim>
  void
  ProbConservPostprocessor<dim>::write_output(
    const FieldContext<dim>             &context,
    const ProbConservResult             &result,
    const TrilinosWrappers::MPI::Vector &base_mean,
    const TrilinosWrappers::MPI::Vector *reference) const
  {
    const auto ghosted = [&](const TrilinosWrappers::MPI::Vector &v) {
      return ghosted_copy(context, v);
    };
    // Constrained entries get the variance of their constraint's
    // combination (0 at boundary values), not distribute()'s values.
    TrilinosWrappers::MPI::Vector deviation =
      result.posterior.variance(context.constraints,
                                context.locally_relevant_dofs);
    for (const auto i : deviation.locally_owned_elements())
      deviation[i] = std::sqrt(std::max(static_cast<double>(deviation[i]), 0.));
    deviation.compress(VectorOperation::insert);
    const auto                    mean_g = ghosted(result.posterior.mean);
    const auto                    std_g  = ghosted(deviation);
    const auto                    base_g = ghosted(base_mean);
    TrilinosWrappers::MPI::Vector reference_g;
    DataOut<dim>                  data_out;
    data_out.attach_dof_handler(context.dof_handler);
    data_out.add_data_vector(mean_g, "mean", DataOut<dim>::type_dof_data);
    data_out.add_data_vector(std_g,
                             "standard_deviation",
                             DataOut<dim>::type_dof_data);
    data_out.add_data_vector(base_g, "base_mean", DataOut<dim>::type_dof_data);
    if (reference != nullptr)
      {
        reference_g = ghosted(*reference);
        data_out.add_data_vector(reference_g,
                                 "reference",
                                 DataOut<dim>::type_dof_data);
      }
    data_out.build_patches(context.mapping);
    write_vtu(data_out, context, prefix);
  }


  template <int dim>
  Statistics
  ProbConservPostprocessor<dim>::execute(const FieldContext<dim>       &context,
                                         TrilinosWrappers::MPI::Vector &field)
  {
    Timer                timer;
    const BasePrediction prediction    = predict_base(context, field);
    const GaussianField &base          = prediction.base;
    const double         model_seconds = timer.wall_time();

    const ConservationConstraints       constraints = make_constraints(context);
    const TrilinosWrappers::MPI::Vector is_free     = free_dofs(context);

    timer.restart();
    const ProbConservResult result =
      update(context, base, constraints, is_free);
    const double update_seconds = timer.wall_time();

    Statistics statistics = {
      {"conservation_error_before", result.conservation_error_before},
      {"conservation_error_after", result.conservation_error_after},
      {"update_seconds", update_seconds},
      {"model_seconds", model_seconds}};
    if (settings.nonnegative)
      {
        statistics.emplace_back("nonnegative", result.nonnegative ? 1. : 0.);
        statistics.emplace_back("clipped_entries", result.clipped_entries);
      }

    // The base mean as the host would use it (boundary values, hanging
    // nodes and periodic copies imposed), so that "before" and "after"
    // differ by the update alone.
    TrilinosWrappers::MPI::Vector base_mean(base.mean);
    context.constraints.distribute(base_mean);
    if (prediction.reference != nullptr)
      add_reference_statistics(context,
                               base,
                               base_mean,
                               result,
                               is_free,
                               *prediction.reference,
                               statistics);

    if (!prefix.empty())
      write_output(context, result, base_mean, prediction.reference);

    if (prior == "field")
      field = result.posterior.mean;
    return statistics;
  }


  template class ProbConservPostprocessor<1>;
  template class ProbConservPostprocessor<2>;
  template class ProbConservPostprocessor<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_POSTPROCESSOR_1D_2D_3D(
  dealii_learned::ProbConservPostprocessor,
  "prob-conserv",
  "ProbConserv: makes a probabilistic prediction of the field (a base model "
  "or the host's own) satisfy the conservation law's integral exactly by a "
  "Bayesian update, and reports conservation error, MSE, log-likelihood and "
  "front position before and after.")
