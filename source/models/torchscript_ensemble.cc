#include <torch/script.h>

#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/models/ensemble_model.h>
#include <dealii-learned/models/torchscript_network.h>

#include <cmath>
#include <fstream>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /**
     * A TorchScript module as a ProbabilisticModel:
     *   forward(inputs: float64[n, k]) -> (float64[M, n], float64[M, n]),
     * the members' means and variances.
     */
    class TorchScriptEnsemble : public ProbabilisticModel
    {
    public:
      TorchScriptEnsemble(const std::string              &filename,
                          const std::vector<std::string> &names)
        : filename(filename)
        , names(names)
      {
        try
          {
            module = torch::jit::load(filename);
          }
        catch (const c10::Error &e)
          {
            AssertThrow(false,
                        ExcMessage("'" + filename +
                                   "' is not a TorchScript module LibTorch "
                                   "can load: " +
                                   e.what_without_backtrace()));
          }
        module.eval();
        // The contract, on a probe of two rows.
        FullMatrix<double> probe(2, names.size());
        for (unsigned int j = 0; j < names.size(); ++j)
          {
            probe(0, j) = 0.25;
            probe(1, j) = 0.5;
          }
        std::vector<Vector<double>> means, variances;
        predict(probe, means, variances);
        members = means.size();
      }

      unsigned int
      n_inputs() const override
      {
        return names.size();
      }

      std::vector<std::string>
      input_names() const override
      {
        return names;
      }

      unsigned int
      n_members() const override
      {
        return members;
      }

      void
      predict(const FullMatrix<double>    &inputs,
              std::vector<Vector<double>> &means,
              std::vector<Vector<double>> &variances) const override
      {
        const auto contract = [&](const std::string &what) {
          AssertThrow(false,
                      ExcMessage("The TorchScript model '" + filename + "' " +
                                 what + " Its forward must take float64[n, " +
                                 std::to_string(names.size()) + "] (columns " +
                                 join(names, ", ") +
                                 ") and return a tuple (means, variances) of "
                                 "float64[M, n] (M members), variances > 0."));
        };
        AssertThrow(inputs.n() == names.size(),
                    ExcMessage("The TorchScript model '" + filename +
                               "' takes " + std::to_string(names.size()) +
                               " inputs but was given rows of " +
                               std::to_string(inputs.n()) + "."));
        const int64_t n = inputs.m(), k = inputs.n();
        auto          x  = torch::empty({n, k}, torch::kFloat64);
        double       *px = x.data_ptr<double>();
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < k; ++j)
            px[i * k + j] = inputs(i, j);
        c10::IValue output;
        try
          {
            torch::NoGradGuard no_grad;
            output = const_cast<torch::jit::Module &>(module).forward({x});
          }
        catch (const std::exception &e)
          {
            // c10::Error for a signature or shape mismatch; an error raised
            // inside the script is a torch::jit::JITException.
            const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
            contract(std::string("failed in forward (") +
                     (c10_error != nullptr ?
                        c10_error->what_without_backtrace() :
                        e.what()) +
                     ").");
          }
        if (!output.isTuple() || output.toTuple()->elements().size() != 2)
          contract("did not return a tuple of two tensors.");
        const auto elements = output.toTuple()->elements();
        if (!elements[0].isTensor() || !elements[1].isTensor())
          contract("did not return a tuple of two tensors.");
        const auto mu  = elements[0].toTensor().contiguous();
        const auto var = elements[1].toTensor().contiguous();
        if (mu.scalar_type() != torch::kFloat64 ||
            var.scalar_type() != torch::kFloat64 || mu.dim() != 2 ||
            var.dim() != 2 || mu.size(1) != n || var.sizes() != mu.sizes())
          contract("returned tensors of the wrong type or shape.");
        const int64_t m = mu.size(0);
        means.assign(m, Vector<double>(n));
        variances.assign(m, Vector<double>(n));
        const double *pm = mu.data_ptr<double>(), *pv = var.data_ptr<double>();
        for (int64_t member = 0; member < m; ++member)
          for (int64_t i = 0; i < n; ++i)
            {
              const double a = pm[member * n + i], v = pv[member * n + i];
              AssertThrow(std::isfinite(a) && std::isfinite(v) && v > 0.,
                          ExcMessage("The TorchScript model '" + filename +
                                     "' gave a non-finite mean or a variance "
                                     "that is not positive (member " +
                                     std::to_string(member) + ", row " +
                                     std::to_string(i) + ")."));
              means[member][i]     = a;
              variances[member][i] = v;
            }
      }

    private:
      const std::string        filename;
      std::vector<std::string> names;
      torch::jit::Module       module;
      unsigned int             members = 0;
    };
  } // namespace


  std::shared_ptr<ProbabilisticModel>
  load_probabilistic_model(const std::string              &filename,
                           const std::vector<std::string> &torchscript_inputs)
  {
    AssertThrow(std::ifstream(filename).good(),
                ExcMessage("Cannot open the model file '" + filename +
                           "'. Check the path given in 'Model file'."));
    if (is_torchscript_file(filename))
      return std::make_shared<TorchScriptEnsemble>(filename,
                                                   torchscript_inputs);
    return std::make_shared<EnsembleModel>(EnsembleModel::load(filename));
  }
} // namespace dealii_learned
