// LibTorch first: deal.II's Assert macro clashes with LibTorch's struct
// Assert if deal.II comes first.
#include <torch/script.h>

#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/trilinos_rows.h>
#include <dealii-learned/models/torchscript_network.h>

#include <cmath>
#include <fstream>
#include <vector>

namespace dealii_learned
{
  using namespace dealii;

  struct TorchScriptModel::Module
  {
    torch::jit::Module module;
  };


  namespace
  {
    const char *contract =
      "forward(rows: int64 [nnz], cols: int64 [nnz], values: float64 [nnz], "
      "diagonal: float64 [n], residual: float64 [n]) -> float64 [n]";

    /** Runs the module; throws naming @p file if the contract is broken. */
    torch::Tensor
    run(torch::jit::Module  &module,
        const std::string   &file,
        const torch::Tensor &rows,
        const torch::Tensor &cols,
        const torch::Tensor &values,
        const torch::Tensor &diagonal,
        const torch::Tensor &residual)
    {
      torch::NoGradGuard no_grad;
      torch::jit::IValue output;
      try
        {
          output = module.forward({rows, cols, values, diagonal, residual});
        }
      catch (const std::exception &e)
        {
          // c10::Error for a signature or shape mismatch; an exception
          // raised inside the script is a torch::jit::JITException, a
          // std::runtime_error.
          const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
          AssertThrow(false,
                      ExcMessage("The TorchScript model '" + file +
                                 "' failed on its input (" +
                                 (c10_error != nullptr ?
                                    c10_error->what_without_backtrace() :
                                    e.what()) +
                                 "). Its forward must follow the contract " +
                                 contract + "."));
        }
      const auto n = residual.size(0);
      AssertThrow(
        output.isTensor() &&
          output.toTensor().scalar_type() == torch::kFloat64 &&
          output.toTensor().numel() == n,
        ExcMessage(
          "The TorchScript model '" + file + "' returned " +
          (output.isTensor() ?
             "a tensor of " + std::to_string(output.toTensor().numel()) + " " +
               std::string(c10::toString(output.toTensor().scalar_type())) +
               " values" :
             std::string("something that is not a tensor")) +
          " for a residual of " + std::to_string(n) +
          " values; the contract is " + contract + "."));
      return output.toTensor().reshape({n}).contiguous();
    }
  } // namespace


  bool
  is_torchscript_file(const std::string &filename)
  {
    std::ifstream in(filename, std::ios::binary);
    char          magic[2] = {0, 0};
    in.read(magic, 2);
    return in && magic[0] == 'P' && magic[1] == 'K';
  }


  TorchScriptModel::TorchScriptModel(const std::string &filename)
    : filename(filename)
    , loaded(std::make_unique<Module>())
  {
    AssertThrow(std::ifstream(filename).good(),
                ExcMessage("Cannot open the TorchScript model '" + filename +
                           "'. Check the path given in 'Model file'."));
    try
      {
        loaded->module = torch::jit::load(filename);
      }
    catch (const std::exception &e)
      {
        const auto *c10_error = dynamic_cast<const c10::Error *>(&e);
        AssertThrow(false,
                    ExcMessage("'" + filename +
                               "' is not a TorchScript model that LibTorch "
                               "can load (" +
                               (c10_error != nullptr ?
                                  c10_error->what_without_backtrace() :
                                  e.what()) +
                               "). Save the network with "
                               "torch.jit.script(net).save(file); its "
                               "forward must be " +
                               contract + "."));
      }
    loaded->module.eval();

    // Probe: the 2x2 unit-diagonal system [[1, -0.5], [-0.5, 1]].
    const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    run(loaded->module,
        filename,
        torch::tensor({0, 0, 1, 1}, i64),
        torch::tensor({0, 1, 0, 1}, i64),
        torch::tensor({1., -0.5, -0.5, 1.}, f64),
        torch::tensor({2., 2.}, f64),
        torch::tensor({1., 0.5}, f64));
  }


  TorchScriptModel::~TorchScriptModel() = default;


  const std::string &
  TorchScriptModel::file() const
  {
    return filename;
  }


  TorchScriptModel::Module &
  TorchScriptModel::module() const
  {
    return *loaded;
  }


  struct TorchScriptDirectionNetwork::Data
  {
    // A torch::jit::Module is a handle to the loaded object: this copy
    // shares it, so the network does not depend on the TorchScriptModel
    // staying alive. Mutable: running a module is not const in LibTorch.
    mutable torch::jit::Module      module;
    std::string                     file;
    torch::Tensor                   rows, cols, values, diagonal;
    std::vector<double>             inverse_sqrt_diagonal;
    mutable std::vector<double>     scaled;
    dealii::types::global_dof_index first = 0;
    std::size_t                     n = 0, global_n = 0;

    /** q = D^{-1/2} N(D^{-1/2} r) on the locally owned entries. */
    void
    apply(const double *r, double *q) const
    {
      for (std::size_t i = 0; i < n; ++i)
        scaled[i] = r[i] * inverse_sqrt_diagonal[i];
      const auto residual =
        torch::from_blob(scaled.data(),
                         {int64_t(n)},
                         torch::TensorOptions().dtype(torch::kFloat64));
      const auto y = run(module, file, rows, cols, values, diagonal, residual);
      const double *out = y.data_ptr<double>();
      for (std::size_t i = 0; i < n; ++i)
        q[i] = out[i] * inverse_sqrt_diagonal[i];
    }
  };


  TorchScriptDirectionNetwork::TorchScriptDirectionNetwork()  = default;
  TorchScriptDirectionNetwork::~TorchScriptDirectionNetwork() = default;


  void
  TorchScriptDirectionNetwork::initialize(
    const TrilinosWrappers::SparseMatrix &A,
    const TorchScriptModel               &model)
  {
    data                  = std::make_unique<Data>();
    data->module          = model.module().module;
    data->file            = model.file();
    const IndexSet &owned = A.locally_owned_range_indices();
    AssertThrow(owned.is_contiguous(),
                ExcMessage("A TorchScript direction network needs each MPI "
                           "rank to own a contiguous range of rows."));
    data->n        = owned.n_elements();
    data->global_n = A.m();
    data->first    = data->n > 0 ? owned.nth_index_in_set(0) : 0;

    // Collective check of the diagonal (throws on every rank).
    const TrilinosWrappers::MPI::Vector s =
      dealii_learned::inverse_sqrt_diagonal(A);
    std::vector<double> d(data->n);
    data->inverse_sqrt_diagonal.resize(data->n);
    for (std::size_t i = 0; i < data->n; ++i)
      {
        data->inverse_sqrt_diagonal[i] = s[data->first + i];
        d[i]                           = A.diag_element(data->first + i);
      }
    std::vector<int64_t> rows, cols;
    std::vector<double>  values;
    for (std::size_t i = 0; i < data->n; ++i)
      for_each_entry_in_row(
        A, data->first + i, [&](const auto column, const double value) {
          if (column < data->first || column >= data->first + data->n)
            return; // coupling to another rank: left out (block Jacobi)
          const std::size_t j = column - data->first;
          rows.push_back(i);
          cols.push_back(j);
          values.push_back(value * data->inverse_sqrt_diagonal[i] *
                           data->inverse_sqrt_diagonal[j]);
        });
    const auto i64 = torch::TensorOptions().dtype(torch::kInt64);
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    data->rows     = torch::tensor(rows, i64);
    data->cols     = torch::tensor(cols, i64);
    data->values   = torch::tensor(values, f64);
    data->diagonal = torch::tensor(d, f64);
    data->scaled.resize(data->n);
  }


  void
  TorchScriptDirectionNetwork::vmult(
    TrilinosWrappers::MPI::Vector       &q,
    const TrilinosWrappers::MPI::Vector &r) const
  {
    AssertThrow(data != nullptr,
                ExcMessage("TorchScriptDirectionNetwork::vmult() before "
                           "initialize()."));
    AssertThrow(r.size() == data->global_n && q.size() == data->global_n &&
                  r.locally_owned_size() == data->n &&
                  q.locally_owned_size() == data->n,
                ExcMessage("TorchScriptDirectionNetwork: vectors of size " +
                           std::to_string(r.size()) + " and " +
                           std::to_string(q.size()) +
                           " for a network set up "
                           "on a matrix of size " +
                           std::to_string(data->global_n) + "."));
    data->apply(r.begin(), q.begin());
  }


  void
  TorchScriptDirectionNetwork::vmult(Vector<double>       &q,
                                     const Vector<double> &r) const
  {
    AssertThrow(data != nullptr,
                ExcMessage("TorchScriptDirectionNetwork::vmult() before "
                           "initialize()."));
    AssertThrow(data->n == data->global_n,
                ExcMessage("TorchScriptDirectionNetwork: serial vectors need "
                           "a network set up on one MPI rank; use Trilinos "
                           "MPI vectors in parallel."));
    AssertThrow(r.size() == data->n && q.size() == data->n,
                ExcMessage("TorchScriptDirectionNetwork: vectors of size " +
                           std::to_string(r.size()) + " and " +
                           std::to_string(q.size()) +
                           " for a network set up "
                           "on a matrix of size " +
                           std::to_string(data->n) + "."));
    data->apply(r.begin(), q.begin());
  }
} // namespace dealii_learned
