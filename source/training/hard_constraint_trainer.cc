#include <torch/torch.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_torch.h>
#include <dealii-learned/models/hard_constraint_network.h>
#include <dealii-learned/training/hard_constraint_trainer.h>

#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "torch_archives.h"

namespace dealii_learned
{
  using namespace dealii;



  struct HardConstraintTrainer::Implementation
  {
    // Settings.
    std::string                          method        = "moe";
    unsigned int                         n_experts     = 4;
    unsigned int                         n_basis       = 16;
    unsigned int                         width         = 32;
    unsigned int                         layers        = 2;
    unsigned int                         sensors       = 0;
    unsigned int                         latent        = 16;
    unsigned int                         smoothing     = 0;
    double                               learning_rate = 1e-3;
    unsigned int                         samples       = 8;
    unsigned int                         validation    = 4;
    unsigned int                         refinement    = 4;
    HardConstraintSettings               layer_settings;
    double                               interface_weight = 0.;
    double                               data_weight      = 0.;
    std::string                          residual_name;
    std::unique_ptr<ResidualOperator<2>> residual;

    // The mesh and the layer (one MPI rank).
    const MPI_Comm comm = MPI_COMM_SELF;
    std::unique_ptr<parallel::distributed::Triangulation<2>> tria;
    FE_Q<2>                                                  fe{1};
    MappingQ<2>                                              mapping{1};
    QGauss<2>                                                quadrature{2};
    std::unique_ptr<DoFHandler<2>>                           dof_handler;
    IndexSet                                                 owned, relevant;
    AffineConstraints<double>                                constraints;
    std::unique_ptr<FiniteElementSpace<2>>                   space;
    std::unique_ptr<ExpertPartition<2>>                      experts;
    std::unique_ptr<HardConstraintLayer<2>>                  layer;
    std::vector<Point<2>>                                    points;

    // The network and its training.
    mutable HardConstraintNetwork::Network network{nullptr};
    /** The current draw's metric of the loss (`Residual norm`): the row
     *  weights (diagonal), or the Jacobian at the boundary values and its
     *  AMG (energy). */
    mutable TrilinosWrappers::MPI::Vector      row_weights;
    mutable TrilinosWrappers::SparseMatrix     jacobian;
    mutable TrilinosWrappers::PreconditionAMG  amg;
    mutable ResidualMetric                     metric;
    mutable std::unique_ptr<BasisSmoother<2>>  smoother;
    std::unique_ptr<torch::optim::Adam>        optimizer;
    unsigned int                               seed   = 1;
    unsigned int                               epochs = 0;
    std::vector<std::vector<double>>           validation_draws;
    std::vector<TrilinosWrappers::MPI::Vector> references;
    mutable double                             error = 0.;
    /** At the last evaluate(), over the validation draws: the relative L2
     *  error of the best field the basis holds (each expert's free DoFs
     *  fitted to the finite element solution by least squares; -1 for
     *  soft), and of u = u_old (-1 unless the residual is a time step). */
    mutable double projection_error = -1., previous_error = -1.;

    /** The relative L2 error of the L2 projection of @p reference onto the
     *  basis @p B: each expert's free DoFs (those it gives the stitched
     *  field) fitted by least squares, the constrained ones from the
     *  constraints. */
    double
    projection(const torch::Tensor                 &B,
               const TrilinosWrappers::MPI::Vector &reference) const
    {
      TrilinosWrappers::MPI::Vector     projected(reference);
      const unsigned int                K = experts->n_experts();
      std::vector<std::vector<int64_t>> rows(K);
      for (const auto i : owned)
        if (!constraints.is_constrained(i))
          rows[experts->experts_of_row(i).first].push_back(
            relevant.index_within_set(i));
      const torch::Tensor target = vector_to_tensor(reference);
      for (unsigned int k = 0; k < K; ++k)
        if (!rows[k].empty())
          {
            const auto index = torch::tensor(rows[k]);
            const auto A     = B.index_select(0, index);
            const auto b     = target.index_select(0, index).unsqueeze(1);
            const auto x     = std::get<0>(torch::linalg_lstsq(A, b));
            const auto p     = torch::mm(A, x).squeeze(1).contiguous();
            for (std::size_t r = 0; r < rows[k].size(); ++r)
              projected[relevant.nth_index_in_set(rows[k][r])] =
                p.data_ptr<double>()[r];
          }
      projected.compress(VectorOperation::insert);
      constraints.distribute(projected);
      projected -= reference;
      return projected.l2_norm() / reference.l2_norm();
    }
    std::ostream *out = nullptr;

    /** p drawn uniformly in the residual's ranges, from (seed, epoch,
     *  sample) alone. */
    std::vector<double>
    draw(const unsigned int stream, const unsigned int sample) const
    {
      std::seed_seq       seq{seed, stream, sample};
      std::mt19937        generator(seq);
      std::vector<double> p;
      for (const auto &[low, high] : residual->parameter_ranges())
        p.push_back(
          std::uniform_real_distribution<double>(low, high)(generator));
      return p;
    }

    /** The network's output at every relevant DoF for the current p. */
    torch::Tensor
    basis() const
    {
      torch::Tensor B =
        network->forward(HardConstraintNetwork::inputs(points, *residual),
                         HardConstraintNetwork::sensor_inputs(*residual,
                                                              sensors));
      if (smoothing == 0)
        return B;
      // The operator of the current p.
      smoother = std::make_unique<BasisSmoother<2>>(*residual, *space);
      return smooth_basis(*smoother, B, network->smoothing);
    }

    /** The field the network predicts for the current p (locally owned
     *  DoFs, which on one rank are all of them). */
    torch::Tensor
    field() const
    {
      return field(basis());
    }

    /** The field of the basis (or, for soft, the network's output) @p B. */
    torch::Tensor
    field(const torch::Tensor &B) const
    {
      if (method == "soft")
        return B.squeeze(1);
      return apply_hard_constraints(*layer, B);
    }

    /** The metric W of the loss R^T W R for the current p: nullptr
     *  (euclidean), D^-1 (diagonal) or J(u_0)^-1 (energy: for a linear
     *  symmetric positive definite residual the loss is the energy norm
     *  of the error, ||u - u_h||_J^2). */
    const ResidualMetric *
    loss_metric() const
    {
      using Norm = HardConstraintSettings::ResidualNorm;
      if (layer_settings.residual_norm == Norm::diagonal)
        {
          residual_row_weights(*residual, *space, row_weights);
          metric = [this](const TrilinosWrappers::MPI::Vector &r,
                          TrilinosWrappers::MPI::Vector       &y) {
            y = r;
            y.scale(row_weights);
          };
          return &metric;
        }
      if (layer_settings.residual_norm == Norm::energy)
        {
          TrilinosWrappers::MPI::Vector boundary(owned, comm), R0;
          constraints.distribute(boundary);
          TrilinosWrappers::MPI::Vector u0(owned, relevant, comm);
          u0 = boundary;
          amg.clear();
          reinit_jacobian(*space, jacobian);
          assemble_residual(*residual, *space, u0, R0, &jacobian);
          // W = J^-1 is a metric only if J is symmetric (a random vector's
          // J v against J^T v).
          {
            TrilinosWrappers::MPI::Vector v(owned, comm), Jv(v), JTv(v);
            for (const auto i : owned)
              v[i] = std::sin(1.7 * i + 0.3);
            v.compress(VectorOperation::insert);
            jacobian.vmult(Jv, v);
            jacobian.Tvmult(JTv, v);
            const double size = Jv.l2_norm();
            Jv -= JTv;
            AssertThrow(Jv.l2_norm() <= 1e-10 * size,
                        ExcMessage("Training/hard-constraint: `Residual norm = "
                                   "energy` needs a symmetric Jacobian of the "
                                   "residual at the boundary values, and this "
                                   "one is not (relative asymmetry " +
                                   format_number(Jv.l2_norm() / size) +
                                   "). Use the euclidean or diagonal norm."));
          }
          amg.initialize(jacobian);
          metric = [this](const TrilinosWrappers::MPI::Vector &r,
                          TrilinosWrappers::MPI::Vector       &y) {
            y = 0.;
            SolverControl control(1000, 1e-10 * r.l2_norm(), false, false);
            SolverCG<TrilinosWrappers::MPI::Vector> cg(control);
            try
              {
                cg.solve(jacobian, y, r, amg);
              }
            catch (const SolverControl::NoConvergence &e)
              {
                AssertThrow(false,
                            ExcMessage(
                              "Training/hard-constraint: `Residual norm = "
                              "energy` solves with the residual's Jacobian "
                              "at the boundary values, and CG did not "
                              "converge (residual " +
                              format_number(e.last_residual) + " after " +
                              std::to_string(e.last_step) +
                              " steps): is the residual symmetric positive "
                              "definite? Use the euclidean or diagonal "
                              "norm."));
              }
          };
          return &metric;
        }
      return nullptr;
    }

    /** ||R(u)||_W^2 / ||R(u_0)||_W^2 for the current p (W: loss_metric()).
     */
    torch::Tensor
    relative_loss(const torch::Tensor &u) const
    {
      const ResidualMetric *weights   = loss_metric();
      double                reference = 0.;
      {
        torch::NoGradGuard no_grad;
        reference =
          weak_residual_loss(*residual,
                             *space,
                             torch::zeros({u.size(0)}, torch::kFloat64),
                             weights)
            .item<double>();
      }
      return weak_residual_loss(*residual, *space, u, weights) /
             std::max(reference, 1e-300);
    }
  };


  HardConstraintTrainer::HardConstraintTrainer()
    : impl(std::make_unique<Implementation>())
  {}


  HardConstraintTrainer::~HardConstraintTrainer() = default;


  void
  HardConstraintTrainer::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Method",
                      "moe",
                      Patterns::Selection("soft|hard|moe"),
                      "soft: the network gives the field and the weak "
                      "residual is its loss; hard: the network gives basis "
                      "fields and the hard-constraint layer with one expert "
                      "makes the field; moe: the layer with `Experts` "
                      "experts.");
    prm.declare_entry("Experts",
                      "4",
                      Patterns::Integer(1),
                      "Experts of the moe method (z-order groups of cells).");
    prm.declare_entry("Basis fields",
                      "16",
                      Patterns::Integer(1, 1024),
                      "N, the network's outputs for hard and moe.");
    prm.declare_entry("Hidden width", "32", Patterns::Integer(1, 4096), "");
    prm.declare_entry("Hidden layers", "2", Patterns::Integer(1, 64), "");
    prm.declare_entry("Sensors per direction",
                      "0",
                      Patterns::Integer(0, 256),
                      "The encoder's view of the problem's fields: the "
                      "residual's point features on a grid of this many "
                      "points per direction of [-1, 1]^2 (a multiple of 4), "
                      "encoded into `Field code size` numbers every point's "
                      "network input includes; 0: no encoder, the network "
                      "sees the fields only at the point.");
    prm.declare_entry("Basis smoothing steps",
                      "0",
                      Patterns::Integer(0, 1000),
                      "Message passing with the problem's own operator: "
                      "damped Jacobi steps with the residual's Jacobian at "
                      "the boundary values applied to the network's basis "
                      "fields before the layer, with learned weights "
                      "(2/3 at the start; BasisSmoother). Needs a positive "
                      "diagonal.");
    prm.declare_entry("Field code size",
                      "16",
                      Patterns::Integer(1, 1024),
                      "The encoder's output z (with sensors).");
    prm.declare_entry("Learning rate", "1e-3", Patterns::Double(0.), "Adam's.");
    prm.declare_entry("Samples per epoch",
                      "8",
                      Patterns::Integer(1),
                      "Draws of the PDE parameters per epoch (one Adam step "
                      "each).");
    prm.declare_entry("Validation samples",
                      "4",
                      Patterns::Integer(1),
                      "Fixed draws whose finite element solutions give the "
                      "error figures.");
    prm.declare_entry("Global refinement",
                      "4",
                      Patterns::Integer(1, 12),
                      "The training mesh: [-1, 1]^2 refined this often.");
    HardConstraintSettings::declare_parameters(prm);
    prm.declare_entry("Interface weight",
                      "0",
                      Patterns::Double(0.),
                      "moe: couples neighbouring experts at their shared "
                      "DoFs (HardConstraintSettings::interface_weight; 0: "
                      "independent experts, stitched with nothing at "
                      "their interfaces).");
    prm.declare_entry("Data weight",
                      "0",
                      Patterns::Double(0.),
                      "Adds this times ||u - u_h||^2 / ||u_h||^2 to the "
                      "loss, u_h the finite element solution for the "
                      "draw, computed on the fly (0: no data, the weak "
                      "residual alone).");
    ResidualOperators::declare_parameters(prm);
  }


  void
  HardConstraintTrainer::parse_parameters(ParameterHandler &prm)
  {
    auto &s         = *impl;
    s.method        = prm.get("Method");
    s.n_experts     = prm.get_integer("Experts");
    s.n_basis       = prm.get_integer("Basis fields");
    s.width         = prm.get_integer("Hidden width");
    s.layers        = prm.get_integer("Hidden layers");
    s.sensors       = prm.get_integer("Sensors per direction");
    s.latent        = prm.get_integer("Field code size");
    s.smoothing     = prm.get_integer("Basis smoothing steps");
    s.learning_rate = prm.get_double("Learning rate");
    s.samples       = prm.get_integer("Samples per epoch");
    s.validation    = prm.get_integer("Validation samples");
    s.refinement    = prm.get_integer("Global refinement");
    s.layer_settings.parse_parameters(prm);
    s.interface_weight = prm.get_double("Interface weight");
    s.data_weight      = prm.get_double("Data weight");
    s.residual         = ResidualOperators::create<2>(prm, "");
    s.residual_name    = prm.get("Residual");
    AssertThrow(s.sensors % 4 == 0,
                ExcMessage("Training/hard-constraint: `Sensors per "
                           "direction` must be a multiple of 4 (the encoder "
                           "pools twice by 2), not " +
                           std::to_string(s.sensors) + "."));
    AssertThrow(s.sensors == 0 || !s.residual->feature_names().empty(),
                ExcMessage("Training/hard-constraint: the residual '" +
                           s.residual_name +
                           "' has no point features for the encoder's "
                           "sensors to see; set `Sensors per direction = "
                           "0`."));
  }


  void
  HardConstraintTrainer::initialize(const TrainingContext &context)
  {
    auto &s = *impl;
    s.seed  = context.seed;
    s.out   = &context.out;
    torch::manual_seed(context.seed);

    // The mesh, the constraints, the experts and the layer.
    s.tria = std::make_unique<parallel::distributed::Triangulation<2>>(s.comm);
    GridGenerator::hyper_cube(*s.tria, -1., 1.);
    s.tria->refine_global(s.refinement);
    s.dof_handler = std::make_unique<DoFHandler<2>>(*s.tria);
    s.dof_handler->distribute_dofs(s.fe);
    s.owned = s.dof_handler->locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(*s.dof_handler, s.relevant);
    make_residual_constraints(
      *s.residual, *s.dof_handler, s.mapping, s.relevant, s.constraints);
    s.space = std::make_unique<FiniteElementSpace<2>>(
      FiniteElementSpace<2>{*s.dof_handler,
                            s.mapping,
                            s.quadrature,
                            s.constraints,
                            s.owned,
                            s.relevant,
                            s.comm});
    std::map<types::global_dof_index, Point<2>> points;
    DoFTools::map_dofs_to_support_points(s.mapping, *s.dof_handler, points);
    s.points.clear();
    for (const auto i : s.relevant)
      s.points.push_back(points.at(i));
    if (s.method != "soft")
      {
        s.experts =
          std::make_unique<ExpertPartition<2>>(*s.dof_handler,
                                               s.constraints,
                                               s.owned,
                                               s.relevant,
                                               s.method == "hard" ? 1 :
                                                                    s.n_experts,
                                               "z-order",
                                               s.comm);
        HardConstraintSettings settings = s.layer_settings;
        settings.seed                   = s.seed;
        settings.interface_weight       = s.interface_weight;
        s.layer = std::make_unique<HardConstraintLayer<2>>(*s.residual,
                                                           *s.space,
                                                           *s.experts,
                                                           settings);
      }

    // The network.
    HardConstraintNetwork::Architecture architecture;
    architecture.n_features      = s.residual->feature_names().size();
    architecture.n_parameters    = s.residual->network_parameter_names().size();
    architecture.width           = s.width;
    architecture.layers          = s.layers;
    architecture.outputs         = s.method == "soft" ? 1 : s.n_basis;
    architecture.sensors         = s.sensors;
    architecture.latent          = s.latent;
    architecture.smoothing_steps = s.smoothing;
    s.network                    = HardConstraintNetwork::Network(architecture);
    s.optimizer                  = std::make_unique<torch::optim::Adam>(
      s.network->parameters(), torch::optim::AdamOptions(s.learning_rate));
    s.epochs = 0;
    if (!context.checkpoint.empty())
      {
        torch::serialize::InputArchive model, optimizer;
        model.load_from(context.checkpoint + ".model");
        s.network->load(model);
        optimizer.load_from(context.checkpoint + ".optimizer");
        s.optimizer->load(optimizer);
        s.epochs = context.epochs_completed;
      }

    // Validation draws and their finite element solutions.
    s.validation_draws.clear();
    s.references.clear();
    for (unsigned int v = 0; v < s.validation; ++v)
      {
        s.validation_draws.push_back(
          s.draw(std::numeric_limits<unsigned int>::max(), v));
        s.residual->set_parameters(s.validation_draws.back());
        TrilinosWrappers::MPI::Vector u(s.owned, s.comm);
        const auto report = solve_residual(*s.residual, *s.space, u);
        context.out << "  validation draw " << v << ": finite element "
                    << "solution in " << report.iterations << " Newton steps"
                    << std::endl;
        s.references.push_back(u);
      }
  }


  std::string
  HardConstraintTrainer::describe_data() const
  {
    const auto &s = *impl;
    return std::to_string(s.samples) + " draws of (" +
           join(s.residual->parameter_names(), ", ") + ") per epoch on " +
           std::to_string(s.dof_handler->n_dofs()) + " DoFs, method " +
           s.method +
           (s.method == "moe" ?
              " with " + std::to_string(s.n_experts) + " experts" :
              std::string()) +
           ", " + std::to_string(s.validation) + " validation draws";
  }


  double
  HardConstraintTrainer::train_epoch()
  {
    auto  &s   = *impl;
    double sum = 0.;
    for (unsigned int k = 0; k < s.samples; ++k)
      {
        s.residual->set_parameters(s.draw(s.epochs, k));
        s.optimizer->zero_grad();
        const torch::Tensor u    = s.field();
        torch::Tensor       loss = s.relative_loss(u);
        if (s.data_weight > 0.)
          {
            TrilinosWrappers::MPI::Vector reference(s.owned, s.comm);
            reference = 0.;
            s.constraints.distribute(reference);
            solve_residual(*s.residual, *s.space, reference);
            const torch::Tensor target = vector_to_tensor(reference);
            loss = loss + s.data_weight * (u - target).pow(2).sum() /
                            std::max(reference.norm_sqr(), 1e-300);
          }
        loss.backward();
        s.optimizer->step();
        sum += loss.item<double>();
      }
    ++s.epochs;
    return sum / s.samples;
  }


  double
  HardConstraintTrainer::evaluate() const
  {
    const auto  &s    = *impl;
    double       loss = 0., error = 0., projection = 0., previous = 0.;
    const double n = s.validation_draws.size();
    for (unsigned int v = 0; v < s.validation_draws.size(); ++v)
      {
        s.residual->set_parameters(s.validation_draws[v]);
        torch::NoGradGuard            no_grad;
        const torch::Tensor           B = s.basis();
        const torch::Tensor           u = s.field(B);
        TrilinosWrappers::MPI::Vector field(s.owned, s.comm);
        tensor_to_vector(u, field);
        s.constraints.distribute(field);
        loss += s.relative_loss(vector_to_tensor(field)).item<double>();
        field -= s.references[v];
        error += field.l2_norm() / s.references[v].l2_norm();
        if (s.method != "soft")
          projection += s.projection(B, s.references[v]);
        if (s.residual->has_previous_state())
          {
            TrilinosWrappers::MPI::Vector old(s.owned, s.comm);
            for (const auto i : s.owned)
              if (!s.constraints.is_constrained(i))
                old[i] = s.residual->previous_state(
                  s.points[s.relevant.index_within_set(i)]);
            old.compress(VectorOperation::insert);
            s.constraints.distribute(old);
            old -= s.references[v];
            previous += old.l2_norm() / s.references[v].l2_norm();
          }
      }
    s.error            = error / n;
    s.projection_error = s.method == "soft" ? -1. : projection / n;
    s.previous_error   = s.residual->has_previous_state() ? previous / n : -1.;
    return loss / n;
  }


  double
  HardConstraintTrainer::validation_error() const
  {
    return impl->error;
  }


  void
  HardConstraintTrainer::write_checkpoint(const std::string &checkpoint,
                                          const unsigned int epochs_completed,
                                          const ModelMetadata &) const
  {
    AssertThrow(impl->epochs == epochs_completed, ExcInternalError());
    torch::serialize::OutputArchive model, optimizer;
    impl->network->save(model);
    impl->optimizer->save(optimizer);
    save_archive_atomically(model, checkpoint + ".model");
    save_archive_atomically(optimizer, checkpoint + ".optimizer");
  }


  std::vector<std::string>
  HardConstraintTrainer::checkpoint_files(const std::string &checkpoint) const
  {
    return {checkpoint + ".model", checkpoint + ".optimizer"};
  }


  void
  HardConstraintTrainer::write_model(const std::string   &filename,
                                     const ModelMetadata &metadata) const
  {
    const auto                     &s = *impl;
    torch::serialize::OutputArchive archive;
    s.network->save(archive);
    ModelMetadata all   = metadata;
    all["format"]       = "dealii-learned-hard-constraint 2";
    all["method"]       = s.method;
    all["experts"]      = std::to_string(s.method == "moe" ? s.n_experts : 1);
    all["basis_fields"] = std::to_string(s.n_basis);
    all["interface_weight"] = format_number(s.interface_weight, 17);
    all["residual"]         = s.residual_name;
    all["hidden_width"]     = std::to_string(s.width);
    all["hidden_layers"]    = std::to_string(s.layers);
    all["parameters"]       = join(s.residual->network_parameter_names(), ",");
    all["sensors"]          = std::to_string(s.sensors);
    all["field_code_size"]  = std::to_string(s.latent);
    all["smoothing_steps"]  = std::to_string(s.smoothing);
    all["residual_norm"]    = HardConstraintSettings::residual_norm_name(
      s.layer_settings.residual_norm);
    all["features"] = join(s.residual->feature_names(), ",");
    all["validation_relative_l2_error"] = format_number(s.error, 6);
    for (const auto &[key, value] : all)
      archive.write("meta." + key, c10::IValue(value));
    save_archive_atomically(archive, filename);
    if (s.out != nullptr)
      {
        *s.out << "Relative L2 error against the finite element solutions of "
               << s.validation_draws.size()
               << " validation draws: " << format_number(s.error) << std::endl;
        if (s.projection_error >= 0.)
          *s.out << "The best field the basis holds (L2 projection of the "
                    "finite element solutions): "
                 << format_number(s.projection_error) << std::endl;
        if (s.previous_error >= 0.)
          *s.out << "The previous state as the prediction (u = u_old): "
                 << format_number(s.previous_error) << std::endl;
      }
  }
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_TRAINER(
  dealii_learned::HardConstraintTrainer,
  "hard-constraint",
  "A neural solver for a weak residual (Residual), trained without data on "
  "the residual in the layer's norm (energy by default) through the "
  "hard-constraint layer (hard: one expert; moe: several) or with the "
  "residual as a soft loss, for PDE parameters drawn online; the finite "
  "element solutions of fixed draws give its error.")
