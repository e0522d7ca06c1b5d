#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/key_value_file.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/models/ensemble_model.h>

#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    double
    softplus(const double s)
    {
      return s > 30. ? s : std::log1p(std::exp(s));
    }
  } // namespace


  EnsembleModel
  EnsembleModel::initial(const std::vector<std::string> &input_names,
                         const unsigned int              n_members,
                         const unsigned int              hidden_units,
                         const unsigned int              hidden_layers,
                         const unsigned int              seed)
  {
    AssertThrow(!input_names.empty() && n_members > 0 && hidden_units > 0 &&
                  hidden_layers > 0,
                ExcMessage("An ensemble needs inputs, members, hidden units "
                           "and hidden layers."));
    EnsembleModel model;
    model.names        = input_names;
    model.hidden       = hidden_units;
    model.layers       = hidden_layers;
    model.input_offset = std::vector<double>(input_names.size(), 0.);
    model.input_scale  = std::vector<double>(input_names.size(), 1.);
    // mt19937's sequence is fixed by the standard (the distributions are
    // not), so the weights are the same on every machine.
    std::mt19937 generator(seed);
    const auto   uniform = [&]() {
      return 2. * (double(generator()) / 4294967296.0) - 1.;
    };
    const auto sizes = model.layer_sizes();
    for (unsigned int k = 0; k < n_members; ++k)
      {
        Member member;
        for (unsigned int l = 0; l + 1 < sizes.size(); ++l)
          {
            const double bound = std::sqrt(6. / (sizes[l] + sizes[l + 1]));
            std::vector<double> W(sizes[l + 1] * sizes[l]), b(sizes[l + 1], 0.);
            for (auto &w : W)
              w = bound * uniform();
            member.weights.push_back(W);
            member.biases.push_back(b);
          }
        model.members.push_back(member);
      }
    return model;
  }


  unsigned int
  EnsembleModel::n_inputs() const
  {
    return names.size();
  }


  std::vector<std::string>
  EnsembleModel::input_names() const
  {
    return names;
  }


  unsigned int
  EnsembleModel::n_members() const
  {
    return members.size();
  }


  std::vector<unsigned int>
  EnsembleModel::layer_sizes() const
  {
    std::vector<unsigned int> sizes{n_inputs()};
    for (unsigned int l = 0; l < layers; ++l)
      sizes.push_back(hidden);
    sizes.push_back(2);
    return sizes;
  }


  void
  EnsembleModel::predict(const FullMatrix<double>    &inputs,
                         std::vector<Vector<double>> &means,
                         std::vector<Vector<double>> &variances) const
  {
    AssertThrow(inputs.n() == n_inputs(),
                ExcMessage("The ensemble model takes " +
                           std::to_string(n_inputs()) + " inputs (" +
                           join(names, ", ") + ") but was given rows of " +
                           std::to_string(inputs.n()) +
                           ". Use a model trained for this dimension and "
                           "these parameters."));
    const auto         sizes = layer_sizes();
    const unsigned int n     = inputs.m();
    means.assign(members.size(), Vector<double>(n));
    variances.assign(members.size(), Vector<double>(n));
    std::vector<double> a, b;
    for (unsigned int k = 0; k < members.size(); ++k)
      for (unsigned int row = 0; row < n; ++row)
        {
          a.resize(n_inputs());
          for (unsigned int j = 0; j < n_inputs(); ++j)
            a[j] = (inputs(row, j) - input_offset[j]) / input_scale[j];
          for (unsigned int l = 0; l + 1 < sizes.size(); ++l)
            {
              const auto &W = members[k].weights[l];
              b             = members[k].biases[l];
              for (unsigned int i = 0; i < sizes[l + 1]; ++i)
                {
                  double sum = b[i];
                  for (unsigned int j = 0; j < sizes[l]; ++j)
                    sum += W[i * sizes[l] + j] * a[j];
                  b[i] = (l + 2 < sizes.size()) ? std::tanh(sum) : sum;
                }
              a.swap(b);
            }
          const double mean = output_offset + output_scale * a[0];
          const double variance =
            output_scale * output_scale * (softplus(a[1]) + variance_floor);
          AssertThrow(std::isfinite(mean) && std::isfinite(variance),
                      ExcMessage("The ensemble model gave a non-finite "
                                 "output (member " +
                                 std::to_string(k) + ", input row " +
                                 std::to_string(row) + ")."));
          means[k][row]     = mean;
          variances[k][row] = variance;
        }
  }


  void
  EnsembleModel::save(const std::string &filename) const
  {
    std::ostringstream out;
    out << "dealii-learned-ensemble " << format_version << '\n'
        << "inputs " << join(names, " ") << '\n'
        << "hidden " << hidden << '\n'
        << "layers " << layers << '\n'
        << "members " << members.size() << '\n'
        << std::hexfloat << "input_offset";
    for (const double v : input_offset)
      out << ' ' << v;
    out << "\ninput_scale";
    for (const double v : input_scale)
      out << ' ' << v;
    out << "\noutput_offset " << output_offset << "\noutput_scale "
        << output_scale << "\nvariance_floor " << variance_floor << '\n'
        << std::defaultfloat;
    for (const auto &m : metadata)
      {
        AssertThrow(m.first.find_first_of(" \n") == std::string::npos &&
                      m.second.find('\n') == std::string::npos,
                    ExcMessage("Model metadata keys must be single words and "
                               "values single lines."));
        out << "meta " << m.first << ' ' << m.second << '\n';
      }
    out << "weights\n" << std::hexfloat;
    for (const auto &member : members)
      for (unsigned int l = 0; l < member.weights.size(); ++l)
        {
          for (const double w : member.weights[l])
            out << w << '\n';
          for (const double b : member.biases[l])
            out << b << '\n';
        }
    out << "end\n";
    write_file_atomically(filename, out.str());
  }


  EnsembleModel
  EnsembleModel::load(const std::string &filename)
  {
    KeyValueFileReader file(filename,
                            "ensemble model",
                            "dealii-learned-ensemble",
                            format_version);

    EnsembleModel model;
    unsigned int  n_members = 0;
    bool          weights_found = false;
    while (file.next_entry())
      {
        const std::string &key = file.key();
        if (key == "weights" && file.value().empty())
          {
            weights_found = true;
            break;
          }
        if (key == "inputs")
          model.names = file.words();
        else if (key == "hidden")
          model.hidden = file.count();
        else if (key == "layers")
          model.layers = file.count();
        else if (key == "members")
          n_members = file.count();
        else if (key == "input_offset")
          model.input_offset = file.numbers();
        else if (key == "input_scale")
          model.input_scale = file.numbers();
        else if (key == "output_offset")
          model.output_offset = file.number();
        else if (key == "output_scale")
          model.output_scale = file.number();
        else if (key == "variance_floor")
          model.variance_floor = file.number();
        else if (key == "meta" && !file.value().empty())
          {
            const std::string &value = file.value();
            const auto         space = value.find_first_of(" \t");
            model.metadata[value.substr(0, space)] =
              space == std::string::npos ?
                "" :
                value.substr(value.find_first_not_of(" \t", space));
          }
        else
          file.fail_here("unknown or malformed entry '" + key + "'.");
      }
    if (!weights_found)
      file.fail("is truncated: it has no 'weights' line.");
    if (model.names.empty() || model.hidden == 0 || model.hidden > 4096 ||
        model.layers == 0 || model.layers > 64 || n_members == 0 ||
        n_members > 1000)
      file.fail("has a header that is incomplete or out of range (inputs, "
                "hidden 1-4096, layers 1-64, members 1-1000).");
    if (model.input_offset.size() != model.names.size() ||
        model.input_scale.size() != model.names.size())
      file.fail("must have one input_offset and one input_scale per input (" +
                std::to_string(model.names.size()) + ").");
    for (const double s : model.input_scale)
      if (!(s > 0.))
        file.fail("has an input scale that is not positive.");
    if (!(model.output_scale > 0.) || !(model.variance_floor > 0.))
      file.fail("has an output_scale or a variance_floor that is not "
                "positive.");

    const auto sizes = model.layer_sizes();
    for (unsigned int k = 0; k < n_members; ++k)
      {
        Member member;
        for (unsigned int l = 0; l + 1 < sizes.size(); ++l)
          {
            const std::string where = " of member " + std::to_string(k) +
                                      ", layer " + std::to_string(l);
            std::vector<double> W, b;
            file.read_values(W, sizes[l + 1] * sizes[l], "the weights" + where);
            file.read_values(b, sizes[l + 1], "the biases" + where);
            member.weights.push_back(W);
            member.biases.push_back(b);
          }
        model.members.push_back(member);
      }
    file.expect_end("the weights");
    return model;
  }
} // namespace dealii_learned
