// A host that solves a sequence of systems on one mesh: the random
// high-contrast problem reassembled into the same matrix with a new
// contrast, as a time loop or a parameter sweep does. Checks
//  - AggregationHierarchy::reinit_values() on 3 A (same pattern, same
//    strengths, so the same aggregates) gives the level matrices of
//    initialize(3 A) to rounding, and refuses a matrix of another pattern;
//  - the dcdm hook with `Reuse network = structure` recomputes the values
//    (network_reuse 1) and converges like a freshly built network on a
//    scaled matrix (same iterations);
//  - `Reuse network = auto` keeps the whole network (network_reuse 2) for
//    the next contrast, its answer is as accurate as the fresh one (the
//    true residual decides), and a new mesh (another pattern) builds anew;
//  - `AMG reuse = true` calls PreconditionAMG::reinit() on the same matrix
//    (amg_reused 1) and takes the iterations of an AMG built anew, also
//    after the coefficients changed (ML's cached fine-level data cleared).
// The same output on one and two MPI ranks.

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/models/aggregation_hierarchy.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/problems/random_coefficient.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <cmath>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

class SweptContrastProblem : public RandomCoefficientProblem<2>
{
public:
  using RandomCoefficientProblem<2>::RandomCoefficientProblem;

  void
  set_contrast(const double contrast)
  {
    this->settings.coefficient_contrast = contrast;
  }
};


int
detail(const SolverReport &r, const std::string &name)
{
  for (const auto &[n, v] : r.details)
    if (n == name)
      return static_cast<int>(v);
  return -1;
}


std::unique_ptr<SolverHook>
make_hook(ParameterHandler  &prm,
          const std::string &method,
          const std::string &reuse)
{
  prm.enter_subsection("Linear solver");
  if (method == "cg")
    {
      prm.enter_subsection("cg");
      prm.set("AMG reuse", reuse == "true");
    }
  else
    {
      prm.enter_subsection(method);
      prm.set("Reuse network", reuse);
    }
  prm.leave_subsection();
  prm.leave_subsection();
  SolverSettings s;
  s.method             = method;
  s.preconditioner     = method == "cg" ? "amg" : "none";
  s.relative_tolerance = 1e-8;
  s.max_iterations     = 500;
  return LinearSolver::create(s, prm);
}


int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();

  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  LinearSolver::declare_parameters(prm);
  ProblemSettings settings;
  settings.name                      = "random-coefficient";
  settings.dimension                 = 2;
  settings.fe_degree                 = 1;
  settings.initial_global_refinement = 7;
  settings.coefficient_contrast      = 1e2;
  SweptContrastProblem problem(MPI_COMM_WORLD);
  prm.enter_subsection("Problem");
  prm.enter_subsection("random-coefficient");
  problem.parse_parameters(prm);
  prm.leave_subsection();
  prm.leave_subsection();
  problem.initialize(settings);
  problem.setup_system();
  problem.assemble_system();
  deallog << "DoFs " << problem.get_dof_handler().n_dofs() << std::endl;

  // The hierarchy on its own: reinit_values(3 A) against initialize(3 A).
  {
    AggregationHierarchy kept, fresh;
    kept.initialize(problem.system_matrix);
    TrilinosWrappers::SparseMatrix scaled;
    scaled.copy_from(problem.system_matrix);
    scaled *= 3.;
    kept.reinit_values(scaled);
    fresh.initialize(scaled);
    double largest = 0.;
    for (unsigned int l = 0; l < fresh.n_levels(); ++l)
      {
        TrilinosWrappers::SparseMatrix difference;
        difference.copy_from(kept.matrix(l));
        difference.add(-1., fresh.matrix(l));
        largest = std::max(largest,
                           difference.frobenius_norm() /
                             fresh.matrix(l).frobenius_norm());
      }
    deallog << "hierarchy: levels " << kept.n_levels() << " = "
            << fresh.n_levels()
            << ", level matrices of reinit_values(3A) = initialize(3A) to "
               "1e-12: "
            << (kept.n_levels() == fresh.n_levels() && largest < 1e-12)
            << ", aggregation time of reinit_values "
            << kept.setup_times().aggregation << " s" << std::endl;

    SweptContrastProblem coarser(MPI_COMM_WORLD);
    ProblemSettings      other      = settings;
    other.initial_global_refinement = 6;
    prm.enter_subsection("Problem");
    prm.enter_subsection("random-coefficient");
    coarser.parse_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();
    coarser.initialize(other);
    coarser.setup_system();
    coarser.assemble_system();
    try
      {
        kept.reinit_values(coarser.system_matrix);
        deallog << "hierarchy: another pattern accepted (wrong)" << std::endl;
      }
    catch (const std::exception &e)
      {
        const std::string what = e.what();
        deallog << "hierarchy: another pattern refused: "
                << (what.find("sparsity pattern") != std::string::npos)
                << std::endl;
      }
  }

  // The hooks over a sequence of contrasts.
  auto       structure = make_hook(prm, "dcdm", "structure");
  auto       automatic = make_hook(prm, "dcdm", "auto");
  auto       fresh     = make_hook(prm, "dcdm", "never");
  auto       amg_reuse = make_hook(prm, "cg", "true");
  auto       amg_anew  = make_hook(prm, "cg", "false");
  const auto solve     = [&](SolverHook &hook) {
    problem.solution = 0.;
    return hook.solve(problem.system_matrix,
                      problem.solution,
                      problem.system_rhs);
  };

  for (const double contrast : {1e2, 1e3, 1e4})
    {
      problem.set_contrast(contrast);
      problem.assemble_system();
      const SolverReport s = solve(*structure), a = solve(*automatic),
                         f = solve(*fresh), r = solve(*amg_reuse),
                         n = solve(*amg_anew);
      deallog << "contrast " << contrast << ": dcdm fresh " << f.iterations
              << " its (reuse " << detail(f, "network_reuse") << "), structure "
              << s.iterations << " its (reuse " << detail(s, "network_reuse")
              << "), auto " << a.iterations << " its (reuse "
              << detail(a, "network_reuse") << "), all within tolerance "
              << (f.converged && s.converged && a.converged &&
                  f.residual <= f.tolerance && s.residual <= s.tolerance &&
                  a.residual <= a.tolerance)
              << "; cg+amg anew " << n.iterations << " its, with reinit "
              << r.iterations << " its (reused " << detail(r, "amg_reused")
              << ")" << std::endl;
    }

  // The same matrix scaled: aggregates and strengths unchanged, so the
  // values recomputed on the kept structure are those of a fresh build.
  {
    auto               kept  = make_hook(prm, "dcdm", "structure");
    const SolverReport first = solve(*kept);
    problem.system_matrix *= 3.;
    problem.system_rhs *= 3.;
    const SolverReport s = solve(*kept), f = solve(*fresh);
    deallog << "scaled matrix: structure " << s.iterations << " its (reuse "
            << detail(s, "network_reuse") << ") = fresh " << f.iterations
            << " its: " << (s.iterations == f.iterations)
            << ", relative residuals equal to 1e-3: "
            << (std::abs(s.relative_residual - f.relative_residual) <=
                1e-3 * f.relative_residual)
            << " (unscaled: " << first.iterations << " its)" << std::endl;
  }

  // A new mesh: another pattern, so the kept network is built anew.
  {
    Vector<float> indicators(problem.get_triangulation().n_active_cells());
    for (unsigned int i = 0; i < indicators.size(); ++i)
      indicators[i] = (i % 7 == 0) ? 1. : 0.;
    problem.refine(indicators);
  }
  problem.assemble_system();
  {
    const SolverReport a = solve(*automatic), r = solve(*amg_reuse);
    deallog << "refined mesh (" << problem.get_dof_handler().n_dofs()
            << " DoFs): auto reuse " << detail(a, "network_reuse")
            << " (0: built), converged " << a.converged << "; cg+amg reused "
            << detail(r, "amg_reused") << std::endl;
  }
}
