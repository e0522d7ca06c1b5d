// Components are found by name: the registries list the built-in ones, a
// component defined in this program joins them through the same macro a
// plugin uses, the parameter file selects it and reaches its own
// subsection, and wrong names give messages that list the valid ones.

#include <deal.II/base/parameter_handler.h>

#include <deal.II/lac/sparse_matrix.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

/** A hook that scales b by a factor read from its own subsection. */
class ScaledCopy : public SolverHook
{
public:
  static void
  declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Factor", "1", Patterns::Double(), "x = Factor * b");
  }

  void
  parse_parameters(ParameterHandler &prm) override
  {
    factor = prm.get_double("Factor");
  }

  SolverReport
  solve(const SparseMatrix<double> &,
        Vector<double>       &x,
        const Vector<double> &b) override
  {
    x = b;
    x *= factor;
    report.method = settings.method;
    return report;
  }

  SolverReport
  solve(const TrilinosWrappers::SparseMatrix &,
        TrilinosWrappers::MPI::Vector       &x,
        const TrilinosWrappers::MPI::Vector &b) override
  {
    x = b;
    x *= factor;
    return report;
  }

  double factor = 1.;
};

DEALII_LEARNED_REGISTER_SOLVER(ScaledCopy,
                               "scaled-copy",
                               "Test hook: x = Factor * b.")


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  deallog << "solvers: " << join(Registry<SolverHook>::instance().names(), " ")
          << std::endl;
  deallog << "problems: " << join(Registry<Problem<2>>::instance().names(), " ")
          << std::endl;
  deallog << "postprocessors: "
          << join(Registry<PostprocessorHook<3>>::instance().names(), " ")
          << std::endl;

  // Selection by name, with the hook's own subsection.
  {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    prm.parse_input_from_string("subsection Linear solver\n"
                                "  set Method = scaled-copy\n"
                                "  set Relative tolerance = 1e-6\n"
                                "  subsection scaled-copy\n"
                                "    set Factor = 2.5\n"
                                "  end\n"
                                "end\n");
    auto hook = LinearSolver::create(prm);
    deallog << "created " << hook->get_settings().method << " with tolerance "
            << hook->get_settings().relative_tolerance << std::endl;
    SparseMatrix<double> A;
    Vector<double>       x(3), b(3);
    b(0) = 1.;
    b(2) = -2.;
    hook->solve(A, x, b);
    deallog << "x = " << x(0) << ' ' << x(1) << ' ' << x(2) << std::endl;
  }

  // The built-in cg with a preconditioner chosen by name.
  {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    prm.parse_input_from_string("subsection Linear solver\n"
                                "  set Method = cg\n"
                                "  set Preconditioner = ssor\n"
                                "  set Compare with = cg:none, scaled-copy\n"
                                "end\n");
    auto hook = LinearSolver::create(prm);
    deallog << "created " << hook->get_settings().method << '('
            << hook->get_settings().preconditioner << ')' << std::endl;
    for (const auto &s : LinearSolver::parse_comparisons(prm))
      deallog << "compare with " << s.method << '(' << s.preconditioner << ')'
              << std::endl;
  }

  // Wrong names.
  expect_exception([]() {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    prm.parse_input_from_string(
      "subsection Linear solver\n  set Method = gmres\nend\n");
  });
  expect_exception([]() {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    prm.parse_input_from_string(
      "subsection Linear solver\n  set Compare with = cg:multigrid\nend\n");
    LinearSolver::parse_comparisons(prm);
  });
  expect_exception([]() { Registry<SolverHook>::instance().get("bicgstab"); });
  expect_exception(
    []() { RegistrationHelper<SolverHook, ScaledCopy>("cg", "a second cg"); });

  // The registration description is the parameter documentation.
  {
    ParameterHandler prm;
    LinearSolver::declare_parameters(prm);
    std::ostringstream out;
    prm.print_parameters(out, ParameterHandler::PRM);
    const std::string text = out.str();
    deallog << "documentation mentions scaled-copy: "
            << (text.find("`scaled-copy': Test hook: x = Factor * b.") !=
                std::string::npos)
            << std::endl;
  }
}
