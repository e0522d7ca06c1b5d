#include <torch/torch.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <deal.II/dofs/dof_tools.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>
#include <dealii-learned/training/ensemble_trainer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "torch_archives.h"

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

    /** One member's weights as autograd leaves. */
    struct MemberParameters
    {
      std::vector<torch::Tensor> weights, biases;

      std::vector<torch::Tensor>
      list() const
      {
        std::vector<torch::Tensor> all;
        for (unsigned int l = 0; l < weights.size(); ++l)
          {
            all.push_back(weights[l]);
            all.push_back(biases[l]);
          }
        return all;
      }
    };
  } // namespace


  struct EnsembleTrainer::Implementation
  {
    EnsembleModel                                    start;
    std::vector<MemberParameters>                    parameters;
    std::vector<std::unique_ptr<torch::optim::Adam>> optimizers;
    torch::Tensor X, Y; // scaled inputs (N x k) and targets (N)
    unsigned int  epochs = 0;

    /** Mean and variance (scaled units) of member k on rows @p Z. */
    std::pair<torch::Tensor, torch::Tensor>
    forward(const unsigned int k, const torch::Tensor &Z) const
    {
      const auto &p = parameters[k];
      auto        a = Z;
      for (unsigned int l = 0; l < p.weights.size(); ++l)
        {
          a = torch::matmul(a, p.weights[l].t()) + p.biases[l];
          if (l + 1 < p.weights.size())
            a = torch::tanh(a);
        }
      const auto mean = a.select(1, 0);
      const auto variance =
        torch::nn::functional::softplus(a.select(1, 1)) + start.variance_floor;
      return {mean, variance};
    }

    torch::Tensor
    nll(const unsigned int   k,
        const torch::Tensor &Z,
        const torch::Tensor &y) const
    {
      const auto [mean, variance] = forward(k, Z);
      return (0.5 * torch::log(variance) + 0.5 * (y - mean).pow(2) / variance)
        .mean();
    }

    /** The warm-up loss: the mean's squared error alone. */
    torch::Tensor
    mse(const unsigned int   k,
        const torch::Tensor &Z,
        const torch::Tensor &y) const
    {
      return (y - forward(k, Z).first).pow(2).mean();
    }
  };


  EnsembleTrainer::EnsembleTrainer()  = default;
  EnsembleTrainer::~EnsembleTrainer() = default;


  void
  EnsembleTrainer::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Members",
                      "5",
                      Patterns::Integer(1, 100),
                      "Ensemble members M.");
    prm.declare_entry("Hidden width",
                      "32",
                      Patterns::Integer(1, 1024),
                      "Units per hidden layer.");
    prm.declare_entry("Hidden layers",
                      "2",
                      Patterns::Integer(1, 16),
                      "Hidden tanh layers.");
    prm.declare_entry("Learning rate",
                      "0.001",
                      Patterns::Double(0.),
                      "Adam's step size.");
    prm.declare_entry("Batch size",
                      "512",
                      Patterns::Integer(1),
                      "Samples per Adam step.");
    prm.declare_entry("Sampled parameter",
                      "Threshold",
                      Patterns::Anything(),
                      "The entry of the problem's subsection (Problem/<Name>) "
                      "that the samples vary, e.g. Threshold, Exponent or "
                      "Diffusivity for gpme; its value is an input of the "
                      "model.");
    prm.declare_entry("Parameter values",
                      "0.55, 0.6, 0.65, 0.7",
                      Patterns::List(Patterns::Double(), 1),
                      "The values of the sampled parameter: one run of the "
                      "problem each.");
    prm.declare_entry("Snapshots per run",
                      "10",
                      Patterns::Integer(1),
                      "Steps of each run (evenly spaced, the last one "
                      "included) whose DoF values become samples.");
    prm.declare_entry("Samples per snapshot",
                      "0",
                      Patterns::Integer(0),
                      "0: every DoF of a snapshot becomes a sample; n: n "
                      "DoFs drawn at random (from the seed) without "
                      "replacement, so that the cost of an epoch does not "
                      "grow with the mesh.");
    prm.declare_entry("Mean warm-up epochs",
                      "100",
                      Patterns::Integer(0),
                      "The first epochs fit the means alone (squared error), "
                      "then the likelihood takes over: without it a member "
                      "can lower its loss by a tiny variance where the field "
                      "is flat while its mean still misses the profile.");
    prm.declare_entry("Variance floor",
                      "1e-6",
                      Patterns::Double(0.),
                      "Smallest variance a member gives, in units of the "
                      "targets' spread.");
  }


  void
  EnsembleTrainer::parse_parameters(ParameterHandler &prm)
  {
    members              = prm.get_integer("Members");
    hidden               = prm.get_integer("Hidden width");
    layers               = prm.get_integer("Hidden layers");
    learning_rate        = prm.get_double("Learning rate");
    batch_size           = prm.get_integer("Batch size");
    sampled_entry        = Utilities::trim(prm.get("Sampled parameter"));
    snapshots            = prm.get_integer("Snapshots per run");
    samples_per_snapshot = prm.get_integer("Samples per snapshot");
    variance_floor       = prm.get_double("Variance floor");
    warmup_epochs        = prm.get_integer("Mean warm-up epochs");
    parameter_values.clear();
    for (const auto &v :
         Utilities::split_string_list(prm.get("Parameter values")))
      parameter_values.push_back(Utilities::string_to_double(v));
    AssertThrow(variance_floor > 0.,
                ExcMessage("Training/ensemble: 'Variance floor' must be "
                           "positive."));
  }


  template <int dim>
  void
  EnsembleTrainer::produce_data_in(const TrainingContext &context,
                                   const std::string     &problem_name)
  {
    for (unsigned int run = 0; run < parameter_values.size(); ++run)
      {
        const double value = parameter_values[run];
        context.prm.enter_subsection("Problem");
        context.prm.enter_subsection(problem_name);
        try
          {
            context.prm.set(sampled_entry, value);
          }
        catch (const std::exception &)
          {
            context.prm.leave_subsection();
            context.prm.leave_subsection();
            AssertThrow(
              false,
              ExcMessage(
                "Training/ensemble: 'Sampled parameter' = '" + sampled_entry +
                "' is not an entry of subsection Problem/" + problem_name +
                ", or " + format_number(value) + " is not a value it allows."));
          }
        context.prm.leave_subsection();
        context.prm.leave_subsection();

        const ProblemSettings settings = ProblemParameters::parse(context.prm);
        auto problem = ProblemParameters::create<dim>(settings, context.prm);
        SolverSettings amg;
        amg.relative_tolerance = 1e-10;
        auto solver            = LinearSolver::create(amg, context.prm);

        const unsigned int     n_steps = problem->n_steps();
        std::set<unsigned int> chosen;
        for (unsigned int s = 1; s <= snapshots; ++s)
          chosen.insert(static_cast<unsigned int>(
            std::lround(double(s) * (n_steps - 1) / snapshots)));
        for (unsigned int step = 0; step < n_steps; ++step)
          {
            problem->advance(step, *solver);
            if (chosen.count(step) == 0)
              continue;
            std::map<types::global_dof_index, Point<dim>> points;
            DoFTools::map_dofs_to_support_points(problem->get_mapping(),
                                                 problem->get_dof_handler(),
                                                 points);
            const auto                          &u = problem->solution;
            std::vector<types::global_dof_index> dofs;
            for (const auto i : problem->locally_owned_dofs())
              dofs.push_back(i);
            if (samples_per_snapshot > 0 && samples_per_snapshot < dofs.size())
              {
                // The draw depends on the seed, the run and the step only.
                std::mt19937_64 random(std::uint64_t(seed) * 2654435761u +
                                       104729u * run + step);
                std::shuffle(dofs.begin(), dofs.end(), random);
                dofs.resize(samples_per_snapshot);
                std::sort(dofs.begin(), dofs.end());
              }
            for (const auto i : dofs)
              {
                std::vector<double> row;
                for (unsigned int d = 0; d < dim; ++d)
                  row.push_back(points.at(i)[d]);
                row.push_back(problem->time());
                row.push_back(value);
                inputs.push_back(row);
                values.push_back(u[i]);
              }
          }
        context.out << "  data: " << sampled_entry << " = " << value << ", "
                    << chosen.size() << " snapshots of "
                    << problem->get_dof_handler().n_dofs() << " DoFs"
                    << (samples_per_snapshot > 0 ?
                          " (" + std::to_string(samples_per_snapshot) +
                            " samples each)" :
                          std::string())
                    << "\n";
      }
  }


  void
  EnsembleTrainer::produce_data(const TrainingContext &context)
  {
    const ProblemSettings settings = ProblemParameters::parse(context.prm);
    const std::vector<std::string> coordinates = {"x", "y", "z"};
    input_names.assign(coordinates.begin(),
                       coordinates.begin() + settings.dimension);
    input_names.push_back("t");
    std::string parameter = sampled_entry;
    std::transform(parameter.begin(),
                   parameter.end(),
                   parameter.begin(),
                   [](char c) {
                     return c == ' ' ? '_' : static_cast<char>(std::tolower(c));
                   });
    input_names.push_back(parameter);
    switch (settings.dimension)
      {
        case 1:
          produce_data_in<1>(context, settings.name);
          break;
        case 2:
          produce_data_in<2>(context, settings.name);
          break;
        default:
          produce_data_in<3>(context, settings.name);
      }
    data_origin = {{"problem", settings.name},
                   {"dimension", std::to_string(settings.dimension)},
                   {"samples", std::to_string(values.size())}};
  }


  void
  EnsembleTrainer::initialize(const TrainingContext &context)
  {
    seed = context.seed;
    AssertThrow(Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) == 1,
                ExcMessage("Training runs on one MPI rank."));
    produce_data(context);
    AssertThrow(!values.empty(),
                ExcMessage("Training/ensemble: the runs produced no samples."));

    impl                 = std::make_unique<Implementation>();
    const unsigned int k = input_names.size();
    // Scalings from the data: inputs to [-1, 1], targets to mean 0, std 1.
    EnsembleModel start =
      EnsembleModel::initial(input_names, members, hidden, layers, seed);
    start.variance_floor = variance_floor;
    for (unsigned int j = 0; j < k; ++j)
      {
        double low = inputs[0][j], high = inputs[0][j];
        for (const auto &row : inputs)
          {
            low  = std::min(low, row[j]);
            high = std::max(high, row[j]);
          }
        start.input_offset[j] = 0.5 * (low + high);
        start.input_scale[j]  = high > low ? 0.5 * (high - low) : 1.;
      }
    double sum = 0., square = 0.;
    for (const double v : values)
      {
        sum += v;
        square += v * v;
      }
    const double mean     = sum / values.size();
    const double variance = std::max(square / values.size() - mean * mean, 0.);
    start.output_offset   = mean;
    start.output_scale    = variance > 0. ? std::sqrt(variance) : 1.;

    if (!context.checkpoint.empty())
      {
        const std::string   file  = context.checkpoint + ".model";
        const EnsembleModel saved = EnsembleModel::load(file);
        AssertThrow(saved.metadata.count("epochs_completed") &&
                      saved.metadata.at("epochs_completed") ==
                        std::to_string(context.epochs_completed) &&
                      saved.layer_sizes() == start.layer_sizes() &&
                      saved.n_members() == start.n_members(),
                    ExcMessage("The checkpoint weights '" + file +
                               "' do not belong to epoch " +
                               std::to_string(context.epochs_completed) +
                               " of this training. Delete the checkpoint "
                               "files or set Resume = false."));
        start = saved;
      }
    impl->start = start;

    // The samples as tensors, scaled.
    const int64_t N = values.size();
    impl->X         = torch::empty({N, int64_t(k)}, f64);
    impl->Y         = torch::empty({N}, f64);
    auto X          = impl->X.accessor<double, 2>();
    auto Y          = impl->Y.accessor<double, 1>();
    for (int64_t i = 0; i < N; ++i)
      {
        for (unsigned int j = 0; j < k; ++j)
          X[i][j] =
            (inputs[i][j] - start.input_offset[j]) / start.input_scale[j];
        Y[i] = (values[i] - start.output_offset) / start.output_scale;
      }

    for (const auto &member : start.members)
      {
        MemberParameters p;
        const auto       sizes = start.layer_sizes();
        for (unsigned int l = 0; l < member.weights.size(); ++l)
          {
            p.weights.push_back(
              torch::tensor(member.weights[l], f64)
                .reshape({int64_t(sizes[l + 1]), int64_t(sizes[l])})
                .set_requires_grad(true));
            p.biases.push_back(
              torch::tensor(member.biases[l], f64).set_requires_grad(true));
          }
        impl->optimizers.push_back(std::make_unique<torch::optim::Adam>(
          p.list(), torch::optim::AdamOptions(learning_rate)));
        impl->parameters.push_back(p);
      }

    if (!context.checkpoint.empty())
      {
        const std::string              file = context.checkpoint + ".optimizer";
        torch::serialize::InputArchive archive;
        torch::Tensor                  epochs;
        try
          {
            archive.load_from(file);
            for (unsigned int m = 0; m < members; ++m)
              {
                torch::serialize::InputArchive member_archive;
                archive.read("member" + std::to_string(m), member_archive);
                impl->optimizers[m]->load(member_archive);
              }
            archive.read("epochs_completed", epochs);
          }
        catch (const c10::Error &e)
          {
            AssertThrow(false,
                        ExcMessage("Cannot read the optimizer state '" + file +
                                   "' (" + e.what_without_backtrace() +
                                   "). Delete the checkpoint files or set "
                                   "Resume = false."));
          }
        AssertThrow(epochs.numel() == 1 && epochs.item<int64_t>() ==
                                             int64_t(context.epochs_completed),
                    ExcMessage("The optimizer state '" + file +
                               "' belongs to another epoch than its "
                               "checkpoint. Delete the checkpoint files or "
                               "set Resume = false."));
        impl->epochs = context.epochs_completed;
      }
  }


  std::string
  EnsembleTrainer::describe_data() const
  {
    return std::to_string(values.size()) + " samples of (" +
           join(input_names, ", ") + ") -> u, " +
           std::to_string(parameter_values.size()) + " runs";
  }


  double
  EnsembleTrainer::train_epoch()
  {
    ++impl->epochs;
    const int64_t N     = impl->Y.size(0);
    double        total = 0.;
    for (unsigned int m = 0; m < members; ++m)
      {
        // The order of epoch e of member m depends only on the seed, m and
        // e, so a resumed run takes the same batches.
        auto shuffle = at::detail::createCPUGenerator(
          std::uint64_t(seed) * 1000003u + 7919u * m + impl->epochs);
        const auto order =
          torch::randperm(N,
                          shuffle,
                          torch::TensorOptions().dtype(torch::kInt64));
        double sum = 0.;
        for (int64_t start = 0; start < N; start += batch_size)
          {
            const auto index =
              order.slice(0, start, std::min<int64_t>(start + batch_size, N));
            auto &optimizer = *impl->optimizers[m];
            optimizer.zero_grad();
            const auto Z = impl->X.index_select(0, index);
            const auto y = impl->Y.index_select(0, index);
            // The mean first: the likelihood alone lets a member buy a low
            // loss with a tiny variance where the field is flat (ahead of a
            // front) while its mean still misses the profile.
            const auto loss = impl->epochs <= warmup_epochs ?
                                impl->mse(m, Z, y) :
                                impl->nll(m, Z, y);
            loss.backward();
            optimizer.step();
            const double value = loss.item<double>();
            AssertThrow(std::isfinite(value),
                        ExcMessage("Training/ensemble: a non-finite loss; "
                                   "lower the learning rate."));
            sum += value * index.size(0);
          }
        total += sum / N;
      }
    return total / members;
  }


  double
  EnsembleTrainer::evaluate() const
  {
    torch::NoGradGuard no_grad;
    double             total = 0.;
    for (unsigned int m = 0; m < members; ++m)
      total += impl->nll(m, impl->X, impl->Y).item<double>();
    return total / members;
  }


  EnsembleModel
  EnsembleTrainer::model() const
  {
    EnsembleModel result = impl->start;
    for (unsigned int m = 0; m < members; ++m)
      for (unsigned int l = 0; l < result.members[m].weights.size(); ++l)
        {
          const auto W = impl->parameters[m].weights[l].detach().contiguous();
          const auto b = impl->parameters[m].biases[l].detach().contiguous();
          result.members[m].weights[l].assign(W.data_ptr<double>(),
                                              W.data_ptr<double>() + W.numel());
          result.members[m].biases[l].assign(b.data_ptr<double>(),
                                             b.data_ptr<double>() + b.numel());
        }
    return result;
  }


  void
  EnsembleTrainer::write_checkpoint(const std::string   &checkpoint,
                                    const unsigned int   epochs_completed,
                                    const ModelMetadata &metadata) const
  {
    AssertThrow(impl->epochs == epochs_completed, ExcInternalError());
    torch::serialize::OutputArchive archive;
    for (unsigned int m = 0; m < members; ++m)
      {
        torch::serialize::OutputArchive member_archive;
        impl->optimizers[m]->save(member_archive);
        archive.write("member" + std::to_string(m), member_archive);
      }
    archive.write("epochs_completed",
                  torch::tensor({int64_t(epochs_completed)}, torch::kInt64));
    save_archive_atomically(archive, checkpoint + ".optimizer");
    EnsembleModel current = model();
    for (const auto &entry : metadata)
      current.metadata[entry.first] = entry.second;
    current.save(checkpoint + ".model");
  }


  std::vector<std::string>
  EnsembleTrainer::checkpoint_files(const std::string &checkpoint) const
  {
    return {checkpoint + ".model", checkpoint + ".optimizer"};
  }


  void
  EnsembleTrainer::write_model(const std::string   &filename,
                               const ModelMetadata &metadata) const
  {
    EnsembleModel current = model();
    for (const auto &entry : metadata)
      current.metadata[entry.first] = entry.second;
    for (const auto &entry : data_origin)
      current.metadata[entry.first] = entry.second;
    current.save(filename);
  }
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_TRAINER(
  dealii_learned::EnsembleTrainer,
  "ensemble",
  "The probabilistic base model of ProbConserv: a deep ensemble of "
  "Gaussian perceptrons (x, t, parameter) -> (mean, variance), trained with "
  "the Gaussian negative log-likelihood on the values the problem's finite "
  "element solver produces for sampled parameter values.")
