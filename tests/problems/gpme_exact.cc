// The GPME problem against its exact solutions, in time, with the solver
// hook (CG+AMG) inside Newton's method: heat (periodic), porous medium and
// Stefan in 1-D and 2-D (plane waves) on two mesh sizes each. Recorded:
// the L2 error at the final time, which must fall as the mesh is refined,
// and the discrete integral against the exact one (the inflow through the
// boundary). Also on two ranks (1-D on a shared mesh, 2-D on p4est).

#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/problems/gpme.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <iomanip>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

template <int dim>
std::pair<double, double>
run(const std::string &equation,
    const unsigned int refinement,
    const double       final_time,
    const double       time_step)
{
  ParameterHandler prm;
  ProblemParameters::declare_parameters(prm);
  LinearSolver::declare_parameters(prm);
  prm.enter_subsection("Problem");
  prm.enter_subsection("gpme");
  prm.set("Equation", equation);
  prm.set("Final time", final_time);
  prm.set("Time step", time_step);
  prm.set("Nonlinear tolerance", 1e-8);
  prm.leave_subsection();
  prm.leave_subsection();
  ProblemSettings settings;
  settings.name                      = "gpme";
  settings.dimension                 = dim;
  settings.initial_global_refinement = refinement;
  auto problem = ProblemParameters::create<dim>(settings, prm);

  SolverSettings amg;
  amg.relative_tolerance = 1e-12;
  auto solver            = LinearSolver::create(amg, prm);
  for (unsigned int step = 0; step < problem->n_steps(); ++step)
    problem->advance(step, *solver);

  double error = 0., integral = 0., exact = 0., iterations = 0.;
  for (const auto &[name, value] :
       problem->step_columns(problem->n_steps() - 1))
    if (name == "l2_error")
      error = value;
    else if (name == "integral")
      integral = value;
    else if (name == "exact_integral")
      exact = value;
    else if (name == "nonlinear_iterations")
      iterations = value;
  deallog << dim << "-D " << equation << ", "
          << problem->get_dof_handler().n_dofs()
          << " DoFs, t = " << problem->time() << ": L2 error "
          << std::setprecision(3) << error << ", integral "
          << (std::abs(integral) < 1e-12 ? 0. : integral) << " (exact " << exact
          << "), Newton iterations in the last step "
          << static_cast<unsigned int>(iterations) << std::setprecision(6)
          << std::endl;
  return {error, std::abs(integral - exact)};
}

template <int dim>
void
check(const std::string &equation,
      const unsigned int coarse,
      const double       final_time,
      const double       time_step,
      const unsigned int refinements = 1)
{
  const auto c = run<dim>(equation, coarse, final_time, time_step);
  const auto f =
    run<dim>(equation, coarse + refinements, final_time, time_step);
  deallog << dim << "-D " << equation << ": error falls under refinement "
          << (f.first < c.first) << std::endl;
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  check<1>("heat", 4, 0.2, 0.002);
  check<1>("pme", 5, 0.25, 0.0025);
  // The Stefan front locks to the nodes, so the error falls unevenly:
  // compare meshes four times apart.
  check<1>("stefan", 5, 0.05, 0.0002, 2);
  check<2>("heat", 2, 0.2, 0.004);
  check<2>("pme", 3, 0.25, 0.005);
  check<2>("stefan", 3, 0.05, 0.001);
}
