// The hard-constraint postprocessor as a host program uses it: a small
// `hard` model (one expert, the energy norm, learned smoothing steps with
// the problem's operator; the diffusion-reaction residual with the
// checkerboard coefficient) is trained through `dealii-learned train`
// (in-process), then a host with its own distributed mesh (hanging nodes,
// boundary values in its AffineConstraints) lists `hard-constraint` in its
// Postprocessors section and hands its finite element solution to it.
// Recorded: a bound on the error against the host's solution that a
// trained model meets and a broken one does not; that the field was
// replaced, and that `Replace field = false`
// leaves it; the same model with four coupled experts set by the hook.
// Then bad input, each an error that names the problem: no model file, a
// file that is not a model, a model for another residual, a host that does
// not give a parameter, more experts than cells, and a 3-D host.

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/residual_assembly.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/postprocessors/postprocessor_hook.h>
#include <dealii-learned/training/trainer.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

/** Trains a `hard` model (one expert, the energy norm, eight learned
 *  smoothing steps) for the checkerboard coefficient for @p epochs epochs
 *  into @p file. (On the training mesh its validation loss, the squared
 *  relative energy norm of the error, falls from 0.34 to 0.054.) */
void
train(const std::string &file, const unsigned int epochs)
{
  std::ofstream("train.prm") << "subsection Training\n"
                                "  set Model = hard-constraint\n"
                                "  set Model file = "
                             << file << "\n  set Epochs = " << epochs
                             << "\n  set Resume = false\n"
                                "  subsection hard-constraint\n"
                                "    set Method = hard\n"
                                "    set Residual norm = energy\n"
                                "    set Basis smoothing steps = 8\n"
                                "    set Basis fields = 8\n"
                                "    set Hidden width = 16\n"
                                "    set Hidden layers = 1\n"
                                "    set Learning rate = 0.003\n"
                                "    set Samples per epoch = 4\n"
                                "    set Validation samples = 1\n"
                                "    set Global refinement = 4\n"
                                "    set Residual = diffusion-reaction\n"
                                "    subsection diffusion-reaction\n"
                                "      set Coefficient = jump\n"
                                "    end\n"
                                "  end\n"
                                "end\n";
  ParameterHandler prm;
  Driver::read_parameters("train.prm", prm);
  std::ostringstream out;
  Training::run(prm, out);
}

/** The host: its mesh, constraints, solution; runs the postprocessors
 *  its parameter text lists. */
template <int dim>
std::map<std::string, double>
host(const std::string                                 &postprocessor_prm,
     const std::vector<std::pair<std::string, double>> &parameters)
{
  parallel::distributed::Triangulation<dim> tria(MPI_COMM_WORLD);
  GridGenerator::hyper_cube(tria, -1., 1.);
  tria.refine_global(dim == 2 ? 4 : 2);
  for (const auto &cell : tria.active_cell_iterators())
    if (cell->is_locally_owned() && cell->center()[0] < 0. &&
        cell->center()[1] < 0.)
      cell->set_refine_flag();
  tria.execute_coarsening_and_refinement();
  const FE_Q<dim>     fe(1);
  const MappingQ<dim> mapping(1);
  const QGauss<dim>   quadrature(2);
  DoFHandler<dim>     dof_handler(tria);
  dof_handler.distribute_dofs(fe);
  const IndexSet owned = dof_handler.locally_owned_dofs();
  IndexSet       relevant;
  DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
  AffineConstraints<double> constraints(relevant);
  DoFTools::make_hanging_node_constraints(dof_handler, constraints);
  VectorTools::interpolate_boundary_values(
    mapping, dof_handler, 0, Functions::ZeroFunction<dim>(), constraints);
  constraints.close();

  ParameterHandler prm;
  PostprocessorParameters::declare_parameters(prm);
  prm.parse_input_from_string(postprocessor_prm);
  auto postprocessors = PostprocessorParameters::create<dim>(prm);

  // The host's solution of the same problem (the library's Newton solve
  // of the residual stands in for the host's own solver).
  ParameterHandler residual_prm;
  ResidualOperators::declare_parameters(residual_prm);
  residual_prm.enter_subsection("diffusion-reaction");
  residual_prm.set("Coefficient", "jump");
  residual_prm.leave_subsection();
  auto residual = ResidualOperators::create<dim>(residual_prm, "");
  std::vector<double> p;
  for (const auto &[name, value] : parameters)
    p.push_back(value);
  if (p.size() == residual->parameter_names().size())
    residual->set_parameters(p);
  const FiniteElementSpace<dim> space{dof_handler,
                                      mapping,
                                      quadrature,
                                      constraints,
                                      owned,
                                      relevant,
                                      MPI_COMM_WORLD};
  TrilinosWrappers::MPI::Vector solution(owned, MPI_COMM_WORLD);
  solution = 0.;
  solve_residual(*residual, space, solution);

  FieldContext<dim> context{MPI_COMM_WORLD,
                            dof_handler,
                            mapping,
                            constraints,
                            quadrature,
                            owned,
                            relevant};
  context.parameters = parameters;
  TrilinosWrappers::MPI::Vector field(solution);
  std::map<std::string, double> statistics;
  for (auto &[name, postprocessor] : postprocessors)
    for (const auto &[key, value] : postprocessor->execute(context, field))
      statistics[key] = value;
  field -= solution;
  statistics["field replaced"] = field.l2_norm() > 0.;
  return statistics;
}

std::string
section(const std::string &extra,
        const std::string &model    = "hook.dlh",
        const std::string &residual = "diffusion-reaction")
{
  return "subsection Postprocessors\n"
         "  set List of postprocessors = hard-constraint\n"
         "  subsection hard-constraint\n"
         "    set Model file = " +
         model + "\n    set Residual = " + residual +
         "\n"
         "    subsection diffusion-reaction\n"
         "      set Coefficient = jump\n"
         "    end\n" +
         extra +
         "  end\n"
         "end\n";
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  initlog();
  train("hook.dlh", 30);
  const std::vector<std::pair<std::string, double>> parameters = {
    {"contrast", 10.}, {"reaction", 1.}, {"source", 1.}, {"seed", 0.}};

  // On the host's mesh (adaptive, hanging nodes; the model never saw it)
  // the trained model is within 15% of the host's solution (measured:
  // 10.5%; one epoch of training gives 9.4% too: Galerkin on smoothed
  // fields is good before training, which training/hard_constraint_train
  // checks). The bound catches a broken hook, layer, smoother or model
  // file (the least-squares fit of the previous design gave 93% here).
  const auto trained = host<2>(section(""), parameters);
  deallog << "hard model on the host's mesh: error below 15% "
          << (trained.at("relative_l2_error") < 0.15) << ", experts "
          << trained.at("experts") << ", field replaced "
          << trained.at("field replaced") << std::endl;
  const auto kept =
    host<2>(section("    set Replace field = false\n"), parameters);
  deallog << "Replace field = false: field replaced "
          << kept.at("field replaced") << std::endl;

  // The same model with four coupled experts, the least-squares fit (the
  // hook's settings override the model's): the coupling keeps the
  // experts' fields together (jump measured 9e-5), and the field stays
  // close (31% measured: a basis trained for the energy norm, fitted in
  // the euclidean one).
  const auto coupled =
    host<2>(section("    set Experts = 4\n    set Interface weight = 10\n"
                    "    set Residual norm = euclidean\n"),
            parameters);
  deallog << "four coupled experts: interface jump below 1e-3 "
          << (coupled.at("interface_jump") < 1e-3) << ", experts "
          << coupled.at("experts") << ", error below 40% "
          << (coupled.at("relative_l2_error") < 0.4) << std::endl;

  expect_exception("no model file",
                   [&]() { host<2>(section("", "missing.dlh"), parameters); });
  std::ofstream("garbage.dlh") << "not a model\n";
  expect_exception("not a model",
                   [&]() { host<2>(section("", "garbage.dlh"), parameters); });
  expect_exception("another residual", [&]() {
    host<2>(section("", "hook.dlh", "nonlinear-diffusion"), parameters);
  });
  expect_exception("a parameter missing", [&]() {
    host<2>(section(""), {{"contrast", 10.}, {"reaction", 1.}, {"seed", 0.}});
  });
  expect_exception("more experts than cells", [&]() {
    host<2>(section("    set Experts = 100000\n"), parameters);
  });
  expect_exception("3-D host", [&]() { host<3>(section(""), parameters); });
}
