// The direction network's weights and its model file (`.dlm`): a
// KeyValueFileReader header of "key value" lines, the parameters in
// hexadecimal floating point (exact to the last bit), then "end".

#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/key_value_file.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/models/direction_network.h>

#include <cmath>
#include <random>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;

  // ---------------------------------------------------------------- weights

  std::size_t
  SmootherWeights::n_parameters() const
  {
    return 4 * hidden + 2;
  }


  std::vector<double>
  SmootherWeights::flatten() const
  {
    std::vector<double> values(W);
    values.insert(values.end(), bias.begin(), bias.end());
    values.insert(values.end(), w.begin(), w.end());
    values.push_back(a);
    values.push_back(b);
    return values;
  }


  void
  SmootherWeights::unflatten(const std::vector<double> &values,
                             std::size_t               &position)
  {
    AssertThrow(position + n_parameters() <= values.size(),
                ExcMessage("Too few parameters for a smoother layer."));
    const auto take = [&](std::vector<double> &target, const std::size_t n) {
      target.assign(values.begin() + position, values.begin() + position + n);
      position += n;
    };
    take(W, 2 * hidden);
    take(bias, hidden);
    take(w, hidden);
    a = values[position++];
    b = values[position++];
  }


  DirectionNetworkModel
  DirectionNetworkModel::initial(const unsigned int hidden,
                                 const unsigned int seed)
  {
    DirectionNetworkModel model;
    // mt19937's output sequence is fixed by the standard, unlike the
    // standard distributions, so the start is the same on every machine.
    std::mt19937 generator(seed);
    const auto   uniform = [&]() {
      return (double(generator()) / 4294967296.0 - 0.5) * 2.;
    };
    for (SmootherWeights *s : {&model.pre, &model.post, &model.coarse})
      {
        s->hidden = hidden;
        s->W.resize(2 * hidden);
        for (auto &x : s->W)
          x = 0.5 * uniform();
        s->bias.resize(hidden);
        for (auto &x : s->bias)
          x = 0.1 * uniform();
        s->w.assign(hidden, 0.);
        s->a = 0.6;
        s->b = 0.;
      }
    model.metadata["trained"] = "no";
    return model;
  }


  std::vector<double>
  DirectionNetworkModel::flatten() const
  {
    std::vector<double> values;
    for (const SmootherWeights *s : {&pre, &post, &coarse})
      {
        const auto part = s->flatten();
        values.insert(values.end(), part.begin(), part.end());
      }
    values.push_back(coarse_correction_scale);
    const auto smoothing = hierarchy.prolongation_smoothing.flatten();
    values.insert(values.end(), smoothing.begin(), smoothing.end());
    return values;
  }


  void
  DirectionNetworkModel::unflatten(const std::vector<double> &values)
  {
    std::size_t position = 0;
    for (SmootherWeights *s : {&pre, &post, &coarse})
      s->unflatten(values, position);
    const std::size_t expected =
      position + 1 + hierarchy.prolongation_smoothing.n_parameters();
    AssertThrow(expected == values.size(),
                ExcMessage("The number of parameters (" +
                           std::to_string(values.size()) +
                           ") does not match the architecture (" +
                           std::to_string(expected) + ")."));
    coarse_correction_scale = values[position++];
    hierarchy.prolongation_smoothing.unflatten(values, position);
  }


  void
  DirectionNetworkModel::save(const std::string &filename) const
  {
    std::ostringstream out;
    out << "dealii-learned-model " << format_version << '\n'
        << "architecture " << architecture << '\n'
        << "hidden " << pre.hidden << '\n'
        << "strength_threshold " << std::hexfloat
        << hierarchy.strength_threshold << std::defaultfloat << '\n'
        << "max_aggregate_size " << hierarchy.max_aggregate_size << '\n'
        << "coarsest_size " << hierarchy.coarsest_size << '\n'
        << "max_levels " << hierarchy.max_levels << '\n'
        << "prolongation_damping " << std::hexfloat
        << hierarchy.prolongation_damping << std::defaultfloat << '\n'
        << "normalize_spectrum " << (hierarchy.normalize_spectrum ? 1 : 0)
        << '\n'
        << "prolongation_truncation " << std::hexfloat
        << hierarchy.prolongation_truncation << std::defaultfloat << '\n'
        << "prolongation_max_entries " << hierarchy.prolongation_max_entries
        << '\n'
        << (hierarchy.prolongation_coarse_max_entries == 0 ?
              std::string() :
              "prolongation_coarse_max_entries " +
                std::to_string(hierarchy.prolongation_coarse_max_entries) +
                '\n')
        << (hierarchy.prolongation_smoothing.empty() ?
              std::string() :
              "prolongation_hidden " +
                std::to_string(hierarchy.prolongation_smoothing.hidden) + '\n')
        << "pre_layers " << pre_layers << '\n'
        << "post_layers " << post_layers << '\n'
        << "coarse_layers " << coarse_layers << '\n'
        << "cycle_index " << cycle_index << '\n'
        << "krylov_cycle " << (krylov_cycle ? 1 : 0) << '\n';
    for (const auto &m : metadata)
      {
        AssertThrow(m.first.find_first_of(" \n") == std::string::npos &&
                      m.second.find('\n') == std::string::npos,
                    ExcMessage("Model metadata keys must be single words and "
                               "values single lines."));
        out << "meta " << m.first << ' ' << m.second << '\n';
      }
    const auto values = flatten();
    out << "parameters " << values.size() << '\n' << std::hexfloat;
    for (const double v : values)
      out << v << '\n';
    out << "end\n";
    write_file_atomically(filename, out.str());
  }


  DirectionNetworkModel
  DirectionNetworkModel::load(const std::string &filename)
  {
    KeyValueFileReader file(filename,
                            "model",
                            "dealii-learned-model",
                            format_version);

    DirectionNetworkModel model;
    auto                 &h        = model.hierarchy;
    unsigned int          hidden   = 0;
    unsigned int          n_values = 0;
    std::string           arch;
    bool                  parameters_found = false;
    while (file.next_entry())
      {
        const std::string &key = file.key();
        if (key == "architecture")
          arch = file.value();
        else if (key == "hidden")
          hidden = file.count();
        else if (key == "strength_threshold")
          h.strength_threshold = file.number();
        else if (key == "max_aggregate_size")
          h.max_aggregate_size = file.count();
        else if (key == "coarsest_size")
          h.coarsest_size = file.count();
        else if (key == "max_levels")
          h.max_levels = file.count();
        else if (key == "prolongation_damping")
          h.prolongation_damping = file.number();
        else if (key == "normalize_spectrum")
          h.normalize_spectrum = file.flag();
        else if (key == "prolongation_truncation")
          h.prolongation_truncation = file.number();
        else if (key == "prolongation_max_entries")
          h.prolongation_max_entries = file.count();
        else if (key == "prolongation_coarse_max_entries")
          h.prolongation_coarse_max_entries = file.count();
        else if (key == "prolongation_hidden")
          h.prolongation_smoothing.hidden = file.count();
        else if (key == "pre_layers")
          model.pre_layers = file.count();
        else if (key == "post_layers")
          model.post_layers = file.count();
        else if (key == "coarse_layers")
          model.coarse_layers = file.count();
        else if (key == "cycle_index")
          model.cycle_index = file.count();
        else if (key == "krylov_cycle")
          model.krylov_cycle = file.flag();
        else if (key == "meta")
          {
            const std::string &value = file.value();
            const auto         space = value.find_first_of(" \t");
            model.metadata[value.substr(0, space)] =
              space == std::string::npos ?
                "" :
                value.substr(value.find_first_not_of(" \t", space));
          }
        else if (key == "parameters")
          {
            n_values         = file.count();
            parameters_found = true;
            break;
          }
        else
          file.fail_here("unknown entry '" + key + "'.");
      }
    if (!parameters_found)
      file.fail("is truncated: it has no 'parameters' line.");
    if (arch != architecture)
      file.fail("holds architecture '" + arch + "', not '" + architecture +
                "'.");
    if (hidden == 0 || hidden > 1024)
      file.fail("has an invalid hidden width " + std::to_string(hidden) + ".");
    if (!(h.strength_threshold >= 0. && h.strength_threshold <= 1.))
      file.fail("has a strength_threshold outside [0, 1].");
    if (h.max_aggregate_size < 2 || h.max_aggregate_size > 1000)
      file.fail("has a max_aggregate_size outside [2, 1000].");
    if (h.max_levels < 1 || h.max_levels > 100)
      file.fail("has max_levels outside [1, 100].");
    if (!(std::abs(h.prolongation_damping) < 2.))
      file.fail("has a prolongation_damping outside (-2, 2).");
    if (!(h.prolongation_truncation >= 0. && h.prolongation_truncation < 1.))
      file.fail("has a prolongation_truncation outside [0, 1).");
    if (h.prolongation_max_entries > 1000 ||
        h.prolongation_coarse_max_entries > 1000)
      file.fail("has a prolongation_max_entries or "
                "prolongation_coarse_max_entries above 1000.");
    if (model.cycle_index < 1 || model.cycle_index > 3)
      file.fail("has a cycle_index outside [1, 3] (1: V-cycle, 2: W-cycle).");
    if (model.krylov_cycle && model.cycle_index != 2)
      file.fail("asks for a K-cycle (krylov_cycle 1) with cycle_index " +
                std::to_string(model.cycle_index) + "; the K-cycle needs 2.");
    if (model.pre_layers > 100 || model.post_layers > 100 ||
        model.coarse_layers > 1000)
      file.fail("has more layers than this network allows (pre/post at most "
                "100, coarse at most 1000).");

    // The number of weights follows from the architecture; check it
    // before reading (or allocating) what the file announces.
    for (SmootherWeights *s : {&model.pre, &model.post, &model.coarse})
      s->hidden = hidden;
    if (h.prolongation_smoothing.hidden > 1024)
      file.fail("has an invalid prolongation_hidden width " +
                std::to_string(h.prolongation_smoothing.hidden) + ".");
    const std::size_t expected = 3 * model.pre.n_parameters() + 1 +
                                 h.prolongation_smoothing.n_parameters();
    if (n_values != expected)
      file.fail("announces " + std::to_string(n_values) +
                " parameters, but its architecture (hidden width " +
                std::to_string(hidden) + ") has " + std::to_string(expected) +
                ".");
    std::vector<double> values;
    file.read_values(values, n_values, "the parameters");
    file.expect_end("the " + std::to_string(n_values) + " parameters");

    try
      {
        model.unflatten(values);
      }
    catch (const std::exception &e)
      {
        file.fail("does not fit its architecture: " + error_message(e));
      }
    return model;
  }
} // namespace dealii_learned
