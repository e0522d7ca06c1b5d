#include <deal.II/base/parameter_handler.h>

#include <deal.II/grid/grid_generator.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/base/coefficients.h>
#include <dealii-learned/problems/random_coefficient.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  void
  RandomCoefficientProblem<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Blocks per direction",
                      "16",
                      Patterns::Integer(1, 1024),
                      "The coefficient is constant on the blocks of a "
                      "uniform grid with this many blocks per direction "
                      "(a power of two keeps block edges on cell faces).");
    prm.declare_entry("Seed",
                      "1",
                      Patterns::Integer(0),
                      "Seed of the coefficient field; each seed is an "
                      "independent sample.");
  }


  template <int dim>
  void
  RandomCoefficientProblem<dim>::parse_parameters(ParameterHandler &prm)
  {
    blocks = prm.get_integer("Blocks per direction");
    seed   = prm.get_integer("Seed");
  }


  template <int dim>
  double
  RandomCoefficientProblem<dim>::coefficient(const Point<dim> &p) const
  {
    return random_coefficient(p,
                              blocks,
                              seed,
                              this->settings.coefficient_contrast);
  }


  template <int dim>
  void
  RandomCoefficientProblem<dim>::make_coarse_grid(
    ProblemTriangulation<dim> &tria)
  {
    GridGenerator::hyper_cube(tria, -1., 1.);
  }

  template class RandomCoefficientProblem<2>;
  template class RandomCoefficientProblem<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_PROBLEM(
  dealii_learned::RandomCoefficientProblem,
  "random-coefficient",
  "-div(eps grad u) = 1, u = 0 on the boundary of [-1,1]^d; eps = "
  "contrast^xi with xi uniform in [0,1), independent on each block of a "
  "'Blocks per direction' grid ('Coefficient contrast' >= 1e4 makes it a "
  "high-contrast problem). The field depends only on 'Seed', not on the "
  "mesh or the MPI partition.")
