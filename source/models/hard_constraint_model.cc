#include <torch/torch.h>

#include <deal.II/base/exceptions.h>
#include <deal.II/base/utilities.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>
#include <dealii-learned/constraints/residual_operator.h>
#include <dealii-learned/models/hard_constraint_model.h>
#include <dealii-learned/models/hard_constraint_network.h>

#include <cmath>
#include <fstream>

namespace dealii_learned
{
  using namespace dealii;

  const char *const HardConstraintModel::format =
    "dealii-learned-hard-constraint 2";


  struct HardConstraintModel::Implementation
  {
    std::string                            filename;
    std::map<std::string, std::string>     metadata;
    std::string                            residual, method;
    unsigned int                           outputs = 0, experts = 1;
    double                                 interface_weight = 0.;
    std::string                            residual_norm;
    std::vector<std::string>               parameters, features;
    mutable HardConstraintNetwork::Network network{nullptr};

    [[noreturn]] void
    fail(const std::string &what) const
    {
      AssertThrow(false,
                  ExcMessage("Hard-constraint model '" + filename +
                             "': " + what));
      std::abort();
    }

    const std::string &
    get(const std::string &key) const
    {
      const auto it = metadata.find(key);
      if (it == metadata.end())
        fail("the entry meta." + key +
             " is missing; the file was not written by `dealii-learned "
             "train` with Training/Model = hard-constraint, or by an "
             "older version. Train it again.");
      return it->second;
    }

    unsigned int
    get_count(const std::string &key) const
    {
      const std::string &value = get(key);
      try
        {
          const int n = std::stoi(value);
          if (n >= 1)
            return n;
        }
      catch (const std::exception &)
        {}
      fail("meta." + key + " = '" + value + "' is not a positive count.");
    }
  };


  HardConstraintModel::HardConstraintModel(const std::string &filename)
    : impl(std::make_unique<Implementation>())
  {
    auto &s    = *impl;
    s.filename = filename;
    AssertThrow(std::ifstream(filename).good(),
                ExcMessage("Hard-constraint model '" + filename +
                           "' cannot be opened: check 'Model file' (made by "
                           "`dealii-learned train` with Training/Model = "
                           "hard-constraint)."));
    torch::serialize::InputArchive archive;
    try
      {
        archive.load_from(filename);
        for (const auto &key : archive.keys())
          if (key.rfind("meta.", 0) == 0)
            {
              c10::IValue value;
              archive.read(key, value);
              if (value.isString())
                s.metadata[key.substr(5)] = value.toStringRef();
            }
      }
    catch (const c10::Error &e)
      {
        s.fail(std::string("not a LibTorch archive (") +
               e.what_without_backtrace() + ").");
      }
    if (s.get("format") != format)
      s.fail("its format is '" + s.get("format") + "', this library reads '" +
             format +
             "' (format 1 gave a random field's seed to the "
             "network as a number). Train it again.");
    s.residual = s.get("residual");
    s.method   = s.get("method");
    if (s.method != "soft" && s.method != "hard" && s.method != "moe")
      s.fail("unknown method '" + s.method + "'.");
    s.outputs = s.method == "soft" ? 1 : s.get_count("basis_fields");
    s.experts = s.get_count("experts");
    if (s.metadata.count("interface_weight") &&
        !parse_double(s.metadata.at("interface_weight"), s.interface_weight))
      s.fail("meta.interface_weight = '" + s.metadata.at("interface_weight") +
             "' is not a number.");
    s.parameters    = Utilities::split_string_list(s.get("parameters"), ',');
    s.features      = Utilities::split_string_list(s.metadata["features"], ',');
    s.residual_norm = s.get("residual_norm");
    try
      {
        HardConstraintSettings::residual_norm_from_name(s.residual_norm);
      }
    catch (const std::exception &)
      {
        s.fail("meta.residual_norm = '" + s.residual_norm +
               "' is not euclidean, diagonal or energy.");
      }
    HardConstraintNetwork::Architecture architecture;
    architecture.n_features    = s.features.size();
    architecture.n_parameters  = s.parameters.size();
    architecture.width         = s.get_count("hidden_width");
    architecture.layers        = s.get_count("hidden_layers");
    architecture.outputs       = s.outputs;
    const std::string &sensors = s.get("sensors");
    if (sensors != "0")
      {
        architecture.sensors = s.get_count("sensors");
        architecture.latent  = s.get_count("field_code_size");
        if (architecture.sensors % 4 != 0 || s.features.empty())
          s.fail("meta.sensors = " + sensors +
                 " needs point features and a multiple of 4.");
      }
    const std::string &steps = s.get("smoothing_steps");
    if (steps != "0")
      architecture.smoothing_steps = s.get_count("smoothing_steps");
    s.network = HardConstraintNetwork::Network(architecture);
    try
      {
        s.network->load(archive);
      }
    catch (const c10::Error &e)
      {
        s.fail(std::string("its weights do not fit the network its "
                           "metadata describes (") +
               e.what_without_backtrace() + ").");
      }
    s.network->eval();
  }


  HardConstraintModel::~HardConstraintModel() = default;


  const std::map<std::string, std::string> &
  HardConstraintModel::metadata() const
  {
    return impl->metadata;
  }


  const std::string &
  HardConstraintModel::residual_name() const
  {
    return impl->residual;
  }


  const std::string &
  HardConstraintModel::method() const
  {
    return impl->method;
  }


  unsigned int
  HardConstraintModel::n_outputs() const
  {
    return impl->outputs;
  }


  unsigned int
  HardConstraintModel::n_experts() const
  {
    return impl->experts;
  }


  double
  HardConstraintModel::interface_weight() const
  {
    return impl->interface_weight;
  }


  const std::string &
  HardConstraintModel::residual_norm() const
  {
    return impl->residual_norm;
  }


  std::vector<double>
  HardConstraintModel::smoothing_weights() const
  {
    const torch::Tensor w = impl->network->smoothing.contiguous();
    return std::vector<double>(w.data_ptr<double>(),
                               w.data_ptr<double>() + w.numel());
  }


  std::vector<double>
  HardConstraintModel::evaluate(const std::vector<Point<2>> &points,
                                const ResidualOperator<2>   &residual) const
  {
    const auto &s = *impl;
    if (residual.network_parameter_names() != s.parameters ||
        residual.feature_names() != s.features)
      s.fail("it takes the parameters (" + join(s.parameters, ", ") +
             ") and point features (" + join(s.features, ", ") +
             "), the residual gives (" +
             join(residual.network_parameter_names(), ", ") + ") and (" +
             join(residual.feature_names(), ", ") + ").");
    torch::NoGradGuard  no_grad;
    const torch::Tensor out =
      s.network
        ->forward(HardConstraintNetwork::inputs(points, residual),
                  HardConstraintNetwork::sensor_inputs(
                    residual, s.network->architecture.sensors))
        .contiguous();
    return std::vector<double>(out.data_ptr<double>(),
                               out.data_ptr<double>() + out.numel());
  }
} // namespace dealii_learned
