#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/timer.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/mapping.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/basis_smoother.h>
#include <dealii-learned/constraints/expert_partition.h>
#include <dealii-learned/constraints/residual_assembly.h>
#include <dealii-learned/constraints/residual_operator.h>
#include <dealii-learned/models/hard_constraint_model.h>
#include <dealii-learned/postprocessors/hard_constraint.h>

#include <cmath>
#include <map>

namespace dealii_learned
{
  using namespace dealii;


  template <int dim>
  HardConstraintPostprocessor<dim>::HardConstraintPostprocessor() = default;


  template <int dim>
  HardConstraintPostprocessor<dim>::~HardConstraintPostprocessor() = default;


  template <int dim>
  void
  HardConstraintPostprocessor<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Model file",
                      "",
                      Patterns::FileName(),
                      "A hard-constraint model (made by `dealii-learned "
                      "train` with Training/Model = hard-constraint).");
    prm.declare_entry("Experts",
                      "0",
                      Patterns::Integer(0),
                      "Experts of the layer on the host's mesh; 0: as many "
                      "as the model was trained with (1 for hard).");
    prm.declare_entry("Partition",
                      "z-order",
                      Patterns::Selection("z-order|metis|mpi-subdomains"),
                      "How cells are grouped into experts (ExpertPartition).");
    prm.declare_entry("Interface weight",
                      "-1",
                      Patterns::Double(-1.),
                      "Interface coupling of the experts "
                      "(HardConstraintSettings::interface_weight); -1: the "
                      "model's.");
    HardConstraintSettings::declare_parameters(prm, true);
    prm.declare_entry("Replace field",
                      "true",
                      Patterns::Bool(),
                      "Replace the host's field by the prediction; false: "
                      "only report.");
    ResidualOperators::declare_parameters(prm);
  }


  template <int dim>
  void
  HardConstraintPostprocessor<dim>::parse_parameters(ParameterHandler &prm)
  {
    AssertThrow(dim == 2,
                ExcMessage("Postprocessors/hard-constraint: the models "
                           "`dealii-learned train` makes take 2-D "
                           "coordinates; this host's mesh is " +
                           std::to_string(dim) + "-D."));
    model_file = prm.get("Model file");
    AssertThrow(!model_file.empty(),
                ExcMessage("Postprocessors/hard-constraint needs a 'Model "
                           "file' (made by `dealii-learned train` with "
                           "Training/Model = hard-constraint)."));
    model     = std::make_shared<HardConstraintModel>(model_file);
    n_experts = prm.get_integer("Experts");
    if (n_experts == 0)
      n_experts = model->n_experts();
    partition           = prm.get("Partition");
    const double weight = prm.get_double("Interface weight");
    settings.interface_weight =
      weight < 0. ? model->interface_weight() : weight;
    settings.residual_norm =
      HardConstraintSettings::residual_norm_from_name(model->residual_norm());
    settings.parse_parameters(prm);
    replace = prm.get_bool("Replace field");
    AssertThrow(prm.get("Residual") == model->residual_name(),
                ExcMessage("Postprocessors/hard-constraint: the model '" +
                           model_file + "' was trained for the residual '" +
                           model->residual_name() + "', not '" +
                           prm.get("Residual") +
                           "'. Set Postprocessors/hard-constraint/Residual = " +
                           model->residual_name() + "."));
    residual = ResidualOperators::create<dim>(prm, "");
  }


  template <int dim>
  Statistics
  HardConstraintPostprocessor<dim>::execute(
    const FieldContext<dim>       &context,
    TrilinosWrappers::MPI::Vector &field)
  {
    const MPI_Comm comm = context.mpi_communicator;
    AssertThrow(dim == 2,
                ExcMessage("Postprocessors/hard-constraint: the model '" +
                           model_file +
                           "' takes 2-D coordinates; this host's mesh is " +
                           std::to_string(dim) + "-D."));

    // The host's parameters, by the residual's names.
    std::map<std::string, double> given(context.parameters.begin(),
                                        context.parameters.end());
    std::vector<double>           p;
    std::vector<std::string>      missing, offered;
    for (const auto &name : residual->parameter_names())
      if (given.count(name))
        p.push_back(given.at(name));
      else
        missing.push_back(name);
    for (const auto &[name, value] : context.parameters)
      offered.push_back(name);
    AssertThrow(missing.empty(),
                ExcMessage("Postprocessors/hard-constraint: the host does not "
                           "give the parameter(s) " +
                           join(missing, ", ") +
                           " that the model takes (FieldContext::parameters "
                           "holds: " +
                           (offered.empty() ? std::string("nothing") :
                                              join(offered, ", ")) +
                           ")."));
    residual->set_parameters(p);

    const FiniteElementSpace<dim> space{context.dof_handler,
                                        context.mapping,
                                        context.quadrature,
                                        context.constraints,
                                        context.locally_owned_dofs,
                                        context.locally_relevant_dofs,
                                        comm};
    const IndexSet               &relevant = context.locally_relevant_dofs;

    // The network at the support points of the relevant DoFs.
    Timer               timer;
    std::vector<double> B;
    {
      std::map<types::global_dof_index, Point<dim>> points;
      DoFTools::map_dofs_to_support_points(context.mapping,
                                           context.dof_handler,
                                           points);
      std::vector<Point<2>> rows;
      bool                  found = true;
      for (const auto i : relevant)
        {
          const auto it = points.find(i);
          found         = found && it != points.end();
          Point<2> x;
          if (it != points.end())
            for (int d = 0; d < std::min(dim, 2); ++d)
              x[d] = it->second[d];
          rows.push_back(x);
        }
      AssertThrow(Utilities::MPI::min(found ? 1 : 0, comm) > 0,
                  ExcMessage("Postprocessors/hard-constraint: a locally "
                             "relevant DoF has no support point; the element "
                             "must have support points (FE_Q)."));
      if constexpr (dim == 2)
        B = model->evaluate(rows, *residual);
      if (const auto omega = model->smoothing_weights(); !omega.empty())
        {
          // The network's fields pass through the smoothing steps with
          // the host's operator, as in training.
          BasisSmoother<dim>  smoother(*residual, space);
          std::vector<double> smoothed(B.size());
          smoother.forward(B.data(),
                           model->n_outputs(),
                           omega,
                           smoothed.data());
          B.swap(smoothed);
        }
      bool finite = true;
      for (const double value : B)
        finite = finite && std::isfinite(value);
      AssertThrow(Utilities::MPI::min(finite ? 1 : 0, comm) > 0,
                  ExcMessage("Postprocessors/hard-constraint: the model '" +
                             model_file +
                             "' gives values that are not finite (NaN or "
                             "infinite) for the host's parameters; check "
                             "them against the ranges it was trained on."));
    }
    const double model_seconds = timer.wall_time();

    // The reference: the host's, else the field handed in.
    const TrilinosWrappers::MPI::Vector reference =
      context.reference != nullptr ? *context.reference : field;

    timer.restart();
    TrilinosWrappers::MPI::Vector u(context.locally_owned_dofs, comm);
    double                        max_expert_residual = 0., jump = 0.;
    unsigned int                  experts_used = 1;
    if (model->method() == "soft")
      {
        for (const auto i : context.locally_owned_dofs)
          u[i] = B[relevant.index_within_set(i)];
        u.compress(VectorOperation::insert);
        context.constraints.distribute(u);
      }
    else
      {
        const ExpertPartition<dim> experts(context.dof_handler,
                                           context.constraints,
                                           context.locally_owned_dofs,
                                           relevant,
                                           n_experts,
                                           partition,
                                           comm);
        experts_used = experts.n_experts();
        HardConstraintLayer<dim> layer(*residual, space, experts, settings);
        layer.forward(B.data(), model->n_outputs(), u);
        max_expert_residual = layer.max_expert_residual();
        jump                = layer.interface_jump();
      }
    const double layer_seconds = timer.wall_time();

    // ||R(u)|| / ||R(u_0)||.
    double relative_residual = 0.;
    {
      TrilinosWrappers::MPI::Vector ghosted(context.locally_owned_dofs,
                                            relevant,
                                            comm),
        zero(context.locally_owned_dofs, comm), r;
      ghosted = u;
      assemble_residual(*residual, space, ghosted, r, nullptr);
      const double norm = r.l2_norm();
      zero              = 0.;
      context.constraints.distribute(zero);
      ghosted = zero;
      assemble_residual(*residual, space, ghosted, r, nullptr);
      relative_residual = norm / std::max(r.l2_norm(), 1e-300);
    }

    TrilinosWrappers::MPI::Vector difference(u);
    difference -= reference;
    const double reference_norm = reference.l2_norm();
    Statistics   statistics     = {{"relative_l2_error",
                              reference_norm > 0. ?
                                      difference.l2_norm() / reference_norm :
                                      difference.l2_norm()},
                                   {"relative_residual", relative_residual},
                                   {"max_expert_residual", max_expert_residual},
                                   {"interface_jump", jump},
                                   {"experts", experts_used},
                                   {"model_seconds", model_seconds},
                                   {"layer_seconds", layer_seconds}};
    if (replace)
      field = u;
    return statistics;
  }


  template class HardConstraintPostprocessor<2>;
  template class HardConstraintPostprocessor<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_POSTPROCESSOR(
  dealii_learned::HardConstraintPostprocessor,
  "hard-constraint",
  "Replaces the field by a hard-constraint neural solver's prediction "
  "(Model file) made to satisfy the host's weak form on each expert's "
  "cells; reports relative_l2_error, max_expert_residual and "
  "interface_jump.");
