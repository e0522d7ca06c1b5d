// TorchScript direction networks: a fixture module is built here, in C++,
// with fixed weights (torch::jit::Module::define: three damped Jacobi
// steps on Â y = r̂ with omega = 0.6, written against the documented
// contract), saved, and loaded back
//  (a) through TorchScriptDirectionNetwork, whose output must equal the same
//      damped Jacobi polynomial computed directly with the Trilinos matrix;
//  (b) as the direction generator of SolverDCDM on a jump-coefficient
//      system, which must converge with the true residual checked;
//  (c) through the `dcdm' and `fcg-neural' hooks with `Model file' set to
//      the fixture, as a user would select it;
//  (d) modules that break the contract, and files that are not TorchScript,
//      must be refused with a message naming the file and the problem.

#include <torch/script.h>

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/models/torchscript_network.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_dcdm.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <fstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

void
save_module(const std::string &file, const std::string &forward)
{
  torch::jit::Module m("Fixture");
  m.register_parameter("omega", torch::tensor({0.6}, torch::kFloat64), false);
  m.register_attribute("steps", c10::IntType::get(), int64_t(3));
  m.define(forward);
  m.save(file);
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  save_module("jacobi.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    y = self.omega * residual
    for k in range(self.steps - 1):
        Ay = torch.zeros_like(residual).index_add_(0, rows, values * y[cols])
        y = y + self.omega * (residual - Ay)
    return y
)");
  deallog << "TorchScript file recognised " << is_torchscript_file("jacobi.pt")
          << std::endl;

  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  LinearSolver::declare_parameters(prm);
  ProblemSettings settings;
  settings.initial_global_refinement = 5;
  auto problem = ProblemParameters::create<2>(settings, prm);
  problem->setup_system();
  problem->assemble_system();
  const auto &A = problem->system_matrix;
  const auto &b = problem->system_rhs;

  // (a) The module's direction against damped Jacobi in C++: with
  // q = D^{-1/2} y the three steps are q_0 = w D^{-1} r,
  // q_{k+1} = q_k + w D^{-1} (r - A q_k).
  const TorchScriptModel      model("jacobi.pt");
  TorchScriptDirectionNetwork network;
  network.initialize(A, model);
  TrilinosWrappers::MPI::Vector q(b), reference(b), Aq(b), inverse_diagonal(b);
  for (const auto i : problem->locally_owned_dofs())
    inverse_diagonal[i] = 1. / A.diag_element(i);
  network.vmult(q, b);
  reference = b;
  reference.scale(inverse_diagonal);
  reference *= 0.6;
  for (unsigned int k = 1; k < 3; ++k)
    {
      A.vmult(Aq, reference);
      Aq.sadd(-1., 1., b);
      Aq.scale(inverse_diagonal);
      reference.add(0.6, Aq);
    }
  reference -= q;
  deallog << "n_dofs " << A.m() << ", module output equals damped Jacobi "
          << (reference.l2_norm() <= 1e-12 * q.l2_norm()) << std::endl;

  // (b) SolverDCDM with the module's directions.
  TrilinosWrappers::MPI::Vector x(b);
  x = 0.;
  SolverControl control(5000, 1e-8 * b.l2_norm(), false, false);
  SolverDCDM<TrilinosWrappers::MPI::Vector> dcdm(control);
  dcdm.solve(A, x, b, network);
  TrilinosWrappers::MPI::Vector r(b);
  A.vmult(r, x);
  r.sadd(-1., 1., b);
  deallog << "SolverDCDM: iterations " << control.last_step()
          << ", true residual below tolerance "
          << (r.l2_norm() <= 1e-8 * b.l2_norm()) << ", fallbacks "
          << dcdm.n_fallback_steps() << std::endl;

  // (c) Through the hooks, selected by parameter.
  for (const std::string method : {"dcdm", "fcg-neural"})
    {
      prm.enter_subsection("Linear solver");
      prm.enter_subsection(method);
      prm.set("Model file", "jacobi.pt");
      prm.leave_subsection();
      prm.leave_subsection();
      SolverSettings s;
      s.method = method;
      auto hook = LinearSolver::create(s, prm);
      problem->solution = 0.;
      const SolverReport report =
        hook->solve(A, problem->solution, problem->system_rhs);
      deallog << method << " hook with the TorchScript model: converged "
              << report.converged << ", iterations " << report.iterations
              << std::endl;
    }

  // (d) Broken modules and files.
  const auto try_load = [](const std::string &title, const std::string &file) {
    try
      {
        TorchScriptModel broken(file);
        deallog << title << ": no error (wrong)" << std::endl;
      }
    catch (const std::exception &e)
      {
        const std::string m = error_message(e);
        deallog << title << ": " << m.substr(0, m.find(" (")) << " ... "
                << (m.find("forward(rows") != std::string::npos ?
                      "[states the contract]" :
                      "")
                << std::endl;
      }
  };
  save_module("signature.pt", R"(
def forward(self, residual: Tensor) -> Tensor:
    return residual
)");
  try_load("wrong signature", "signature.pt");
  save_module("length.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    return residual[1:]
)");
  try_load("wrong length", "length.pt");
  save_module("type.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    return residual.float()
)");
  try_load("wrong type", "type.pt");
  std::ofstream("garbage.pt") << "PK this is not a zip archive\n";
  try_load("not TorchScript", "garbage.pt");
  try_load("missing", "missing.pt");
}
