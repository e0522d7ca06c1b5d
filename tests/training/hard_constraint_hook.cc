// The hard-constraint postprocessor as a host program uses it: a small
// moe model (four coupled experts, the diffusion-reaction residual with the
// checkerboard coefficient) is trained through `dealii-learned train`
// (in-process), then a host with its own distributed mesh (hanging nodes,
// boundary values in its AffineConstraints) lists `hard-constraint` in its
// Postprocessors section and hands its finite element solution to it.
// Recorded: the statistics (error against the host's solution, residual,
// largest expert residual, interface jump, experts), that the field was
// replaced, and that `Replace field = false` leaves it. Then bad input,
// each an error that names the problem: no model file, a file that is not
// a model, a model for another residual, a host that does not give a
// parameter, more experts than cells, and a 3-D host.

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

void
train()
{
  std::ofstream("train.prm") << "subsection Training\n"
                                "  set Model = hard-constraint\n"
                                "  set Model file = hook.dlh\n"
                                "  set Epochs = 30\n"
                                "  set Resume = false\n"
                                "  subsection hard-constraint\n"
                                "    set Method = moe\n"
                                "    set Experts = 4\n"
                                "    set Interface weight = 10\n"
                                "    set Basis fields = 8\n"
                                "    set Hidden width = 16\n"
                                "    set Hidden layers = 1\n"
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
void
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
  // The statistics against the values measured when the test was written,
  // within bounds that hold for other LibTorch kernels (the training's
  // rounding moves the trained weights slightly) but not for a broken
  // layer or hook: the errors to 5% of their value, the interface jump
  // (from the coupling, near 6e-5) below 1e-3, the experts exactly.
  const std::map<std::string, std::pair<double, double>> expected = {
    {"relative_l2_error", {0.927, 0.05}},
    {"relative_residual", {0.899, 0.05}},
    {"max_expert_residual", {1.01, 0.05}},
    {"experts", {4., 0.}}};
  for (auto &[name, postprocessor] : postprocessors)
    for (const auto &[key, value] : postprocessor->execute(context, field))
      if (key == "interface_jump")
        deallog << "  " << key << " below 1e-3 " << (value < 1e-3)
                << std::endl;
      else if (expected.count(key) != 0)
        {
          const auto &[recorded, tolerance] = expected.at(key);
          deallog << "  " << key << " " << recorded << " within "
                  << 100. * tolerance << "% "
                  << (std::abs(value - recorded) <= tolerance * recorded)
                  << std::endl;
        }
      else if (key.find("seconds") == std::string::npos)
        deallog << "  " << key << " (not checked) " << format_number(value, 3)
                << std::endl;
  field -= solution;
  deallog << "  field replaced: " << (field.l2_norm() > 0.) << std::endl;
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
  train();
  const std::vector<std::pair<std::string, double>> parameters = {
    {"contrast", 10.}, {"reaction", 1.}, {"source", 1.}, {"seed", 0.}};

  deallog << "moe model on the host's mesh, four coupled experts:" << std::endl;
  host<2>(section(""), parameters);
  deallog << "Replace field = false:" << std::endl;
  host<2>(section("    set Replace field = false\n"), parameters);

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
