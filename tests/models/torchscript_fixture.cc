// TorchScript direction networks: a fixture module is built here, in C++,
// with fixed weights (torch::jit::Module::define: three damped Jacobi
// steps on Â y = r̂ with omega = 0.6, written against the documented
// contract), saved, and loaded back
//  (a) through TorchScriptDirectionNetwork, whose output must equal the same
//      damped Jacobi polynomial computed in C++ from the Trilinos matrix's
//      locally owned diagonal block; on two ranks the couplings between
//      ranks are left out (block Jacobi), so the output must then differ
//      from damped Jacobi with the whole matrix;
//  (b) as the direction generator of SolverDCDM on the jump-coefficient
//      system, which must converge with the true residual checked (the
//      iteration count depends on the number of ranks: block Jacobi);
//  (c) through the `dcdm' and `fcg-neural' hooks with `Model file' set to
//      the fixture, as a user would select it; a broken file must stop
//      LinearSolver::create, i.e. before any solve;
//  (d) modules that break the contract, and files that are not TorchScript,
//      must be refused with a message naming the file and the problem; a
//      module with non-finite output is not refused, and SolverDCDM must
//      replace (and count) its directions.

#include <torch/script.h>

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/models/torchscript_network.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_dcdm.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <cmath>
#include <fstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;


/** DCDM's iterations with the fixture's module, measured when the test was
 *  written: 63 on one rank, 85 on two. */
int
expected_iterations()
{
  return dealii::Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD) == 1 ? 63 :
                                                                         85;
}

constexpr double       omega = 0.6;
constexpr unsigned int steps = 3;

const std::string damped_jacobi_forward = R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    y = self.omega * residual
    for k in range(self.steps - 1):
        Ay = torch.zeros_like(residual).index_add_(0, rows, values * y[cols])
        y = y + self.omega * (residual - Ay)
    return y
)";


bool
is_root()
{
  return Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
}


/** Rank 0 writes a module with the fixture's weights; all ranks wait. */
void
save_module(const std::string &file, const std::string &forward)
{
  if (is_root())
    {
      torch::jit::Module m("DampedJacobi");
      m.register_parameter("omega",
                           torch::tensor({omega}, torch::kFloat64),
                           false);
      m.register_attribute("steps", c10::IntType::get(), int64_t(steps));
      m.define(forward);
      m.save(file);
    }
  MPI_Barrier(MPI_COMM_WORLD);
}


/**
 * The module's direction in C++: with q = D^{-1/2} y its steps are
 * q_0 = w D^{-1} r, q_{k+1} = q_k + w D^{-1} (r - B q_k), where B is A
 * (@p whole_matrix) or its locally owned diagonal block, read through
 * deal.II's row iterators. @p left_out counts the block's dropped entries.
 */
TrilinosWrappers::MPI::Vector
damped_jacobi(const TrilinosWrappers::SparseMatrix &A,
              const TrilinosWrappers::MPI::Vector  &r,
              const bool                            whole_matrix,
              unsigned long long                   &left_out)
{
  const IndexSet               &owned = r.locally_owned_elements();
  TrilinosWrappers::MPI::Vector q(r), Bq(r);
  for (const auto i : owned)
    q[i] = omega * r[i] / A.diag_element(i);
  left_out = 0;
  for (unsigned int k = 1; k < steps; ++k)
    {
      if (whole_matrix)
        A.vmult(Bq, q);
      else
        for (const auto i : owned)
          {
            double sum = 0.;
            for (auto entry = A.begin(i); entry != A.end(i); ++entry)
              if (owned.is_element(entry->column()))
                sum += entry->value() * q[entry->column()];
              else if (k == 1)
                ++left_out;
            Bq[i] = sum;
          }
      for (const auto i : owned)
        q[i] += omega * (r[i] - Bq[i]) / A.diag_element(i);
    }
  left_out = Utilities::MPI::sum(left_out, MPI_COMM_WORLD);
  return q;
}


/** The first line of an error, without LibTorch's own explanation. */
std::string
summary(const std::exception &e)
{
  const std::string m = error_message(e);
  return m.substr(0, std::min(m.find('\n'), m.find(" ("))) +
         (m.find("forward(rows") != std::string::npos ?
            " ... [states the contract]" :
            "");
}


void
check_network(Problem<2> &problem)
{
  const auto &A = problem.system_matrix;
  const auto &b = problem.system_rhs;

  // (a) Against damped Jacobi in C++.
  const TorchScriptModel      model("jacobi.pt");
  TorchScriptDirectionNetwork network;
  network.initialize(A, model);
  TrilinosWrappers::MPI::Vector q(b);
  network.vmult(q, b);
  unsigned long long left_out = 0, none = 0;
  auto               block = damped_jacobi(A, b, false, left_out);
  auto               whole = damped_jacobi(A, b, true, none);
  block -= q;
  whole -= q;
  deallog << "n_dofs " << A.m() << ", entries coupling ranks " << left_out
          << ", module output equals damped Jacobi on the owned block "
          << (block.l2_norm() <= 1e-12 * q.l2_norm())
          << ", equals damped Jacobi with the whole matrix "
          << (whole.l2_norm() <= 1e-12 * q.l2_norm()) << std::endl;

  // (b) SolverDCDM with the module's directions.
  TrilinosWrappers::MPI::Vector x(b), r(b);
  x = 0.;
  SolverControl control(5000, 1e-8 * b.l2_norm(), false, false);
  SolverDCDM<TrilinosWrappers::MPI::Vector> dcdm(control);
  dcdm.solve(A, x, b, network);
  A.vmult(r, x);
  r.sadd(-1., 1., b);
  // Counts within 3 of those measured when the test was written (63 on one
  // rank, 85 on two, where the module's Jacobi sees each rank's rows): the
  // module runs on LibTorch's kernels, whose rounding differs between
  // builds and processors.
  deallog << "SolverDCDM: iterations " << expected_iterations() << " +- 3 "
          << (std::abs(int(control.last_step()) - expected_iterations()) <= 3)
          << ", true residual below tolerance "
          << (r.l2_norm() <= 1e-8 * b.l2_norm()) << ", fallbacks "
          << dcdm.n_fallback_steps() << std::endl;
}


/** Serial vectors on one rank give the same direction as Trilinos ones. */
void
check_serial_vectors()
{
  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  ProblemSettings settings;
  settings.initial_global_refinement = 3;
  auto problem = ProblemParameters::create<2>(settings, prm, MPI_COMM_SELF);
  problem->setup_system();
  problem->assemble_system();
  const auto &b = problem->system_rhs;

  TorchScriptDirectionNetwork network;
  network.initialize(problem->system_matrix, TorchScriptModel("jacobi.pt"));
  TrilinosWrappers::MPI::Vector q(b);
  network.vmult(q, b);
  Vector<double> serial_b(b.size()), serial_q(b.size());
  std::copy(b.begin(), b.end(), serial_b.begin());
  network.vmult(serial_q, serial_b);
  deallog << "serial vectors give the same direction "
          << std::equal(q.begin(), q.end(), serial_q.begin()) << std::endl;
}


void
check_hooks(Problem<2> &problem, ParameterHandler &prm)
{
  const auto select = [&](const std::string &method, const std::string &file) {
    prm.enter_subsection("Linear solver");
    prm.enter_subsection(method);
    prm.set("Model file", file);
    prm.leave_subsection();
    prm.leave_subsection();
    SolverSettings s;
    s.method = method;
    return LinearSolver::create(s, prm);
  };

  for (const std::string method : {"dcdm", "fcg-neural"})
    {
      auto                          hook = select(method, "jacobi.pt");
      TrilinosWrappers::MPI::Vector x(problem.system_rhs);
      x = 0.;
      const SolverReport report =
        hook->solve(problem.system_matrix, x, problem.system_rhs);
      deallog << method << " hook with the TorchScript model: converged "
              << report.converged << ", iterations "
              << expected_iterations() << " +- 3 "
              << (std::abs(int(report.iterations) - expected_iterations()) <=
                  3)
              << ", relative residual below 1e-8 "
              << (report.relative_residual <= 1e-8) << ", statistics";
      for (const auto &s : report.statistics)
        if (s.first != "network_seconds")
          deallog << ' ' << s.first << ' ' << s.second;
      for (const auto &d : report.details)
        deallog << ' ' << d.first << ' ' << d.second;
      deallog << std::endl;
    }

  // A broken model stops the hook when the parameters are read.
  for (const std::string file : {"type.pt", "text.pt"})
    expect_exception(
      "hook with " + file, [&]() { select("dcdm", file); }, summary);
}


void
check_broken_modules(Problem<2> &problem)
{
  const auto try_load = [](const std::string &title, const std::string &file) {
    expect_exception(
      title, [&]() { TorchScriptModel broken(file); }, summary);
  };
  try_load("wrong signature", "signature.pt");
  try_load("wrong length", "length.pt");
  try_load("wrong type", "type.pt");
  try_load("raises", "raises.pt");
  try_load("zip, not TorchScript", "garbage.pt");
  try_load("missing", "missing.pt");

  // Right on the 2x2 probe, wrong on the real system: the check on every
  // call catches it.
  const auto                   &b = problem.system_rhs;
  TrilinosWrappers::MPI::Vector q(b);
  expect_exception(
    "length wrong beyond the probe",
    [&]() {
      TorchScriptDirectionNetwork network;
      network.initialize(problem.system_matrix, TorchScriptModel("first2.pt"));
      network.vmult(q, b);
    },
    summary);

  // Non-finite output is the solver's business, not an error.
  TorchScriptDirectionNetwork network;
  network.initialize(problem.system_matrix, TorchScriptModel("nan.pt"));
  network.vmult(q, b);
  unsigned int n_finite = 0;
  for (const double v : q)
    n_finite += std::isfinite(v);
  TrilinosWrappers::MPI::Vector x(b);
  x = 0.;
  SolverControl control(5, 1e-8 * b.l2_norm(), false, false);
  SolverDCDM<TrilinosWrappers::MPI::Vector> dcdm(control);
  try
    {
      dcdm.solve(problem.system_matrix, x, b, network);
    }
  catch (const SolverControl::NoConvergence &)
    {}
  deallog << "non-finite output: loaded, finite entries "
          << Utilities::MPI::sum(n_finite, MPI_COMM_WORLD) << ", DCDM steps "
          << control.last_step() << ", fallbacks " << dcdm.n_fallback_steps()
          << std::endl;
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;

  save_module("jacobi.pt", damped_jacobi_forward);
  save_module("signature.pt", R"(
def forward(self, residual: Tensor) -> Tensor:
    return residual
)");
  save_module("length.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    return residual[1:]
)");
  save_module("first2.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    return residual[:2]
)");
  save_module("type.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    return residual.float()
)");
  save_module("raises.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    assert bool(residual.sum() <= 0.0), "positive residual"
    return residual
)");
  save_module("nan.pt", R"(
def forward(self, rows: Tensor, cols: Tensor, values: Tensor,
            diagonal: Tensor, residual: Tensor) -> Tensor:
    return residual * float("nan")
)");
  if (is_root())
    {
      std::ofstream("garbage.pt") << "PK this is not a zip archive\n";
      std::ofstream("text.pt") << "not a model of any kind\n";
    }
  MPI_Barrier(MPI_COMM_WORLD);
  deallog << "TorchScript file recognised " << is_torchscript_file("jacobi.pt")
          << ", text file " << is_torchscript_file("text.pt") << std::endl;

  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  LinearSolver::declare_parameters(prm);
  ProblemSettings settings;
  settings.initial_global_refinement = 5;
  auto problem = ProblemParameters::create<2>(settings, prm);
  problem->setup_system();
  problem->assemble_system();

  check_network(*problem);
  check_serial_vectors();
  check_hooks(*problem, prm);
  check_broken_modules(*problem);
}
