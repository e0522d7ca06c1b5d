#pragma once

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <memory>
#include <string>

namespace dealii_learned
{
  /**
   * A direction network trained elsewhere (PyTorch) and saved as
   * TorchScript (`torch.jit.script(net).save("net.pt")`), loaded with
   * torch::jit::load. The module's `forward` must have this contract:
   *
   *   forward(rows:     Tensor,  # int64   [nnz]  row of each entry
   *           cols:     Tensor,  # int64   [nnz]  column of each entry
   *           values:   Tensor,  # float64 [nnz]  entries of Â
   *           diagonal: Tensor,  # float64 [n]    diag(A)
   *           residual: Tensor)  # float64 [n]    r̂ = D^{-1/2} r
   *     -> Tensor                # float64 [n]    y ~ Â^{-1} r̂
   *
   * where Â = D^{-1/2} A D^{-1/2} is the symmetrically scaled matrix (unit
   * diagonal; its entries in coordinate form, 0-based local indices) and
   * D = diag(A). The direction handed to the solver is q = D^{-1/2} y; its
   * scale does not matter (DCDM and flexible CG normalise). The tensors
   * are on the CPU; the module runs without autograd. The matrix tensors
   * are built once per matrix and passed again on every call, so the
   * module must not change its inputs in place.
   *
   * Under MPI each rank calls the module on its locally owned block of Â
   * (rows and columns it owns; couplings to other ranks are left out), so
   * a TorchScript network acts as a block-Jacobi preconditioner across
   * ranks and its iteration counts depend on the partition, unlike the
   * built-in multilevel network.
   *
   * The module is checked when loaded, on a 2x2 system: a file that is not
   * TorchScript, a `forward` with another signature, or an output of the
   * wrong type or length gives an error naming the file and this contract;
   * the output's type and length are checked again on every call, and a
   * module that raises is reported the same way.
   * An output with non-finite values is passed on: SolverDCDM and
   * NeuralPreconditioner replace such directions and count them.
   */
  class TorchScriptModel
  {
  public:
    /** Loads and checks @p filename. */
    explicit TorchScriptModel(const std::string &filename);
    ~TorchScriptModel();

    const std::string &
    file() const;

    struct Module;
    /** The loaded module (opaque outside the library's torch code). */
    Module &
    module() const;

  private:
    std::string             filename;
    std::unique_ptr<Module> loaded;
  };


  /** True if @p filename is a TorchScript archive (a zip file). */
  bool
  is_torchscript_file(const std::string &filename);


  /**
   * The direction generator of a TorchScriptModel on one matrix, with the
   * interface of DirectionNetwork (initialize once, vmult per iteration):
   * initialize() builds the coordinate tensors of the locally owned block
   * of Â, vmult() computes q = D^{-1/2} forward(..., D^{-1/2} r). The
   * network shares the loaded module, so it may outlive the model.
   */
  class TorchScriptDirectionNetwork
  {
  public:
    TorchScriptDirectionNetwork();
    ~TorchScriptDirectionNetwork();

    void
    initialize(const dealii::TrilinosWrappers::SparseMatrix &A,
               const TorchScriptModel                       &model);

    void
    vmult(dealii::TrilinosWrappers::MPI::Vector       &q,
          const dealii::TrilinosWrappers::MPI::Vector &r) const;

    void
    vmult(dealii::Vector<double> &q, const dealii::Vector<double> &r) const;

  private:
    struct Data;
    std::unique_ptr<Data> data;
  };
} // namespace dealii_learned
