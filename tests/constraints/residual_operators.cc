// The residual operators of the hard constraints, as a host uses them: each
// built-in (diffusion-reaction with a random coefficient, nonlinear
// diffusion, a diffusion-sorption step) on a 2-D mesh with hanging nodes,
// assembled with the host's AffineConstraints (boundary values and hanging
// nodes). Recorded: Newton's method with the assembled Jacobian solves
// R(u) = 0 (quadratically: a handful of steps), the Jacobian matches
// central differences of the residual, and a few values of the solution.
// Then the expert partitions (z-order, METIS, MPI subdomains): cells and
// rows per expert, and rows shared by experts; z-order is the same on one
// and two ranks. Bad input: parameters out of range, more experts than
// cells. Also on two ranks.

#include <deal.II/base/function_lib.h>
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
#include <dealii-learned/constraints/expert_partition.h>
#include <dealii-learned/constraints/residual_assembly.h>

#include <iomanip>

#include "../tests.h"

using namespace dealii;
using namespace dealii_learned;

template <int dim>
struct Mesh
{
  explicit Mesh(const unsigned int refinements)
    : tria(MPI_COMM_WORLD)
    , fe(1)
    , mapping(1)
    , quadrature(2)
    , dof_handler(tria)
  {
    GridGenerator::hyper_cube(tria, -1., 1.);
    tria.refine_global(refinements);
    // One more level in the quadrant x, y > 0: hanging nodes on its edges.
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->center()[0] > 0. &&
          cell->center()[1] > 0.)
        cell->set_refine_flag();
    tria.execute_coarsening_and_refinement();
    dof_handler.distribute_dofs(fe);
    owned = dof_handler.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
  }

  parallel::distributed::Triangulation<dim> tria;
  FE_Q<dim>                                 fe;
  MappingQ<dim>                             mapping;
  QGauss<dim>                               quadrature;
  DoFHandler<dim>                           dof_handler;
  IndexSet                                  owned, relevant;
  AffineConstraints<double>                 constraints;
};

template <int dim>
void
check_residual(const std::string &name, const std::vector<double> &p)
{
  ParameterHandler prm;
  prm.enter_subsection("Hard constraints");
  ResidualOperators::declare_parameters(prm);
  prm.set("Residual", name);
  prm.leave_subsection();
  auto residual = ResidualOperators::create<dim>(prm, "Hard constraints");
  residual->set_parameters(p);

  Mesh<dim> mesh(dim == 2 ? 3 : 1);
  make_residual_constraints(
    *residual, mesh.dof_handler, mesh.mapping, mesh.relevant, mesh.constraints);
  const FiniteElementSpace<dim> space{mesh.dof_handler,
                                      mesh.mapping,
                                      mesh.quadrature,
                                      mesh.constraints,
                                      mesh.owned,
                                      mesh.relevant,
                                      MPI_COMM_WORLD};
  TrilinosWrappers::MPI::Vector u(mesh.owned, MPI_COMM_WORLD);
  const auto report = solve_residual(*residual, space, u, 1e-12);

  // The Jacobian against central differences, at u plus a smooth bump
  // (away from the solution, where the nonlinear terms matter).
  TrilinosWrappers::MPI::Vector v(u), w(u);
  VectorTools::interpolate(mesh.mapping,
                           mesh.dof_handler,
                           Functions::CosineFunction<dim>(),
                           v);
  // (The boundary values are 0: distribute() makes v vanish there and
  // follow the hanging nodes' constraints, a direction in the space.)
  mesh.constraints.distribute(v);
  w.add(0.3, v);
  TrilinosWrappers::MPI::Vector  g(mesh.owned, mesh.relevant, MPI_COMM_WORLD);
  TrilinosWrappers::SparseMatrix J;
  reinit_jacobian(space, J);
  TrilinosWrappers::MPI::Vector r, r_plus, r_minus,
    Jv(mesh.owned, MPI_COMM_WORLD);
  g = w;
  assemble_residual(*residual, space, g, r, &J);
  J.vmult(Jv, v);
  const double                  h = 1e-6;
  TrilinosWrappers::MPI::Vector shifted(w);
  shifted.add(h, v);
  g = shifted;
  assemble_residual(*residual, space, g, r_plus, nullptr);
  shifted.add(-2. * h, v);
  g = shifted;
  assemble_residual(*residual, space, g, r_minus, nullptr);
  r_plus -= r_minus;
  r_plus /= 2. * h;
  // Constrained rows of J carry a diagonal entry that R does not have.
  for (const auto i : mesh.owned)
    if (mesh.constraints.is_constrained(i))
      Jv[i] = 0.;
  Jv.compress(VectorOperation::insert);
  r_plus -= Jv;
  const double difference = r_plus.l2_norm() / Jv.l2_norm();

  deallog << dim << "-D " << name << " ("
          << join(
               [&]() {
                 std::vector<std::string> s;
                 const auto               names = residual->parameter_names();
                 for (unsigned int k = 0; k < names.size(); ++k)
                   s.push_back(names[k] + " " + format_number(p[k], 3));
                 return s;
               }(),
               ", ")
          << "), " << mesh.dof_handler.n_dofs() << " DoFs, "
          << (residual->is_linear() ? "linear" : "nonlinear") << std::endl;
  deallog << "  Newton: " << report.iterations << " steps, ||R|| from "
          << format_number(report.initial_norm, 3) << " to below 1e-12 of it: "
          << (report.residual_norm <= 1e-12 * report.initial_norm) << std::endl;
  deallog << "  Jacobian against central differences below 1e-6: "
          << (difference < 1e-6) << std::endl;
  deallog << "  solution: max " << format_number(u.linfty_norm(), 4) << ", l2 "
          << format_number(u.l2_norm(), 4) << std::endl;
}

void
check_experts()
{
  Mesh<2>          mesh(3);
  ParameterHandler prm;
  prm.enter_subsection("Hard constraints");
  ResidualOperators::declare_parameters(prm);
  prm.leave_subsection();
  auto residual = ResidualOperators::create<2>(prm, "Hard constraints");
  make_residual_constraints(
    *residual, mesh.dof_handler, mesh.mapping, mesh.relevant, mesh.constraints);
  const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD);
  std::vector<std::pair<std::string, unsigned int>> cases = {{"z-order", 1},
                                                             {"z-order", 4},
                                                             {"z-order", 7}};
  if (n_ranks == 1)
    cases.emplace_back("metis", 4);
  cases.emplace_back("mpi-subdomains", 0);
  for (const auto &[method, K] : cases)
    {
      const ExpertPartition<2> experts(mesh.dof_handler,
                                       mesh.constraints,
                                       mesh.owned,
                                       mesh.relevant,
                                       K,
                                       method,
                                       MPI_COMM_WORLD);
      const auto               cells    = experts.n_cells_per_expert();
      const auto               rows     = experts.n_rows_per_expert();
      unsigned long long       all_rows = experts.n_interface_rows();
      for (const auto r : rows)
        all_rows += r;
      unsigned int free_rows = 0;
      for (const auto i : mesh.owned)
        free_rows += !mesh.constraints.is_constrained(i);
      deallog << method << ", " << experts.n_experts() << " experts: cells";
      for (const auto c : cells)
        deallog << ' ' << c;
      deallog << ", rows";
      for (const auto r : rows)
        deallog << ' ' << r;
      deallog << ", interface rows " << experts.n_interface_rows()
              << "; every free row counted once: "
              << (all_rows == Utilities::MPI::sum(free_rows, MPI_COMM_WORLD))
              << std::endl;
    }

  expect_exception("more experts than cells", [&]() {
    ExpertPartition<2>(mesh.dof_handler,
                       mesh.constraints,
                       mesh.owned,
                       mesh.relevant,
                       1000,
                       "z-order",
                       MPI_COMM_WORLD);
  });
  expect_exception("parameter out of range", [&]() {
    residual->set_parameters({500., 1., 1., 3.});
  });
  expect_exception("wrong number of parameters",
                   [&]() { residual->set_parameters({1.}); });
}

int
main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  MPILogInitAll                    log;
  check_residual<2>("diffusion-reaction", {50., 1., 1., 7.});
  check_residual<2>("nonlinear-diffusion", {10., 5.});
  check_residual<2>("diffusion-sorption", {5e-3, 0.8});
  check_residual<3>("nonlinear-diffusion", {10., 5.});
  check_experts();
}
