// TorchScript base models for prob-conserv: a module is built here, in C++,
// from fixed formulas (torch::jit::Module::define, written against the
// contract forward(inputs: float64[n, k]) -> (means[M, n], variances[M, n])),
// saved, and
//  (a) loaded back with load_probabilistic_model(): its means and
//      variances must equal the formulas at probe points;
//  (b) selected by a user in the driver's parameters (Prior = model, Model
//      file = the module, TorchScript inputs = x, t) for the 1-D heat
//      equation of gpme: the module's prediction (sin x e^-t, 5% too large,
//      plus an offset that breaks conservation; a variance that is
//      periodic like the domain, so that the result does not depend on
//      which of the two periodic end points the partition leaves free)
//      must come out of prob-conserv with its integral exact, a smaller
//      error against the finite element solution (the reference when a
//      model predicts) and a higher log-likelihood;
//  (c) modules that break the contract (one tensor, means one entry too
//      long, float32, a negative variance, a forward that needs a third
//      input column the parameters do not give) must be refused when loaded,
//      with a message naming the file and the contract.

#include <torch/script.h>

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/models/ensemble_model.h>

#include <cmath>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

const std::string good_forward = R"(
def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
    x = inputs[:, 0]
    t = inputs[:, 1]
    u = self.scale * torch.sin(x) * torch.exp(-t)
    means = torch.stack([u + 0.02, u + 0.01])
    variances = torch.stack([0.0015 - 0.0005 * torch.cos(x), 0.002 + 0.0 * x])
    return means, variances
)";


/** Rank 0 writes a module with @p forward; all ranks wait. */
void
save_module(const std::string &file, const std::string &forward)
{
  if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
    {
      torch::jit::Module m("Surrogate");
      m.register_parameter("scale",
                           torch::tensor({1.05}, torch::kFloat64),
                           false);
      m.define(forward);
      m.save(file);
    }
  MPI_Barrier(MPI_COMM_WORLD);
}


/** (a) The module's output against its formulas. */
void
check_formulas()
{
  const auto model = load_probabilistic_model("surrogate.pt", {"x", "t"});
  FullMatrix<double> inputs(5, 2);
  for (unsigned int i = 0; i < 5; ++i)
    {
      inputs(i, 0) = 0.7 * i;
      inputs(i, 1) = 0.05 * i;
    }
  std::vector<Vector<double>> means, variances;
  model->predict(inputs, means, variances);
  double error = 0.;
  for (unsigned int i = 0; i < 5; ++i)
    {
      const double x = inputs(i, 0), t = inputs(i, 1);
      const double u = 1.05 * std::sin(x) * std::exp(-t);
      error =
        std::max({error,
                  std::abs(means[0][i] - (u + 0.02)),
                  std::abs(means[1][i] - (u + 0.01)),
                  std::abs(variances[0][i] - (0.0015 - 0.0005 * std::cos(x))),
                  std::abs(variances[1][i] - 0.002)});
    }
  deallog << "members " << model->n_members() << ", inputs "
          << join(model->input_names(), " ")
          << ", largest difference from the formulas below 1e-14 "
          << (error < 1e-14) << std::endl;
}


/** (b) The module as a user selects it, through the driver. */
void
check_driver_run()
{
  ParameterHandler prm;
  Driver::declare_parameters(prm);
  prm.parse_input_from_string(R"(
subsection Problem
  set Name                      = gpme
  set Dimension                 = 1
  set Initial global refinement = 3
  subsection gpme
    set Equation     = heat
    set Diffusivity  = 1
    set Final time   = 0.05
    set Time step    = 0.01
    set Output times = 0.02
  end
end
subsection Linear solver
  set Method             = cg
  set Preconditioner     = amg
  set Relative tolerance = 1e-10
end
subsection Postprocessors
  set List of postprocessors = prob-conserv
  subsection prob-conserv
    set Prior              = model
    set Model file         = surrogate.pt
    set TorchScript inputs = x, t
    set File name prefix   =
  end
end
subsection Output
  set Directory     = torchscript-run
  set Print timings = false
end
)");
  std::ostringstream screen;
  const ResultTable  rows = Driver::run(prm, screen);
  const auto value = [&](const std::size_t row, const std::string &column) {
    return std::get<double>(rows.get(row, column));
  };
  for (std::size_t row = 0; row < rows.n_rows(); ++row)
    {
      try
        {
          value(row, "conservation_error_before");
        }
      catch (...)
        {
          continue;
        }
      deallog << "t = " << value(row, "time")
              << ": conservation error (absolute, "
              << "the integral is 0) "
              << value(row, "conservation_error_before") << " -> below 1e-12 "
              << (value(row, "conservation_error_after") < 1e-12) << "; mse "
              << value(row, "mse_before") << " -> " << value(row, "mse_after")
              << "; log-likelihood " << value(row, "log_likelihood_before")
              << " -> " << value(row, "log_likelihood_after") << std::endl;
    }
}


/** (c) Modules that break the contract. */
void
check_contract()
{
  const std::vector<std::pair<std::string, std::string>> broken = {
    {"one tensor", R"(
def forward(self, inputs: Tensor) -> Tensor:
    return inputs[:, 0]
)"},
    {"means one entry too long", R"(
def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
    n = inputs.size(0)
    m = inputs.new_zeros([1, n + 1])
    return m, m + 1.0
)"},
    {"float32", R"(
def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
    u = inputs[:, 0].float().unsqueeze(0)
    return u, u * 0.0 + 1.0
)"},
    {"negative variance", R"(
def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
    u = inputs[:, 0].unsqueeze(0)
    return u, u * 0.0 - 1.0
)"},
    {"three input columns", R"(
def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
    u = (inputs[:, 0] + inputs[:, 2]).unsqueeze(0)
    return u, u * 0.0 + 1.0
)"}};
  for (const auto &[title, forward] : broken)
    {
      save_module("broken.pt", forward);
      expect_exception(
        title,
        []() {
          load_probabilistic_model("broken.pt", {"x", "t"});
        },
        [](const std::exception &e) {
          const std::string m = error_message(e);
          // LibTorch's own explanation (inside parentheses) varies with its
          // version: keep the first sentence and whether the contract follows.
          return m.substr(0, m.find(" (")) +
                 (m.find("Its forward must take float64[n, 2]") !=
                      std::string::npos ?
                    " ... [states the contract]" :
                    "");
        });
    }
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  save_module("surrogate.pt", good_forward);
  check_formulas();
  check_driver_run();
  check_contract();
}
