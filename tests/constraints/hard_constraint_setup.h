// The setup the hard-constraint tests share: a 2-D mesh with hanging
// nodes on [-1, 1]^2, Q1, a residual by name with its constraints, and
// fixed basis fields (products of cosines).
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/grid/grid_generator.h>

#include <deal.II/lac/affine_constraints.h>

#include <dealii-learned/constraints/residual_assembly.h>

#include <cmath>
#include <map>
#include <memory>

using namespace dealii;
using namespace dealii_learned;

struct Setup
{
  Setup(const std::string         &name,
        const std::vector<double> &p,
        const double               boundary = 0.)
    : tria(MPI_COMM_WORLD)
    , fe(1)
    , mapping(1)
    , quadrature(2)
    , dof_handler(tria)
  {
    GridGenerator::hyper_cube(tria, -1., 1.);
    tria.refine_global(3);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->center()[0] > 0. &&
          cell->center()[1] > 0.)
        cell->set_refine_flag();
    tria.execute_coarsening_and_refinement();
    dof_handler.distribute_dofs(fe);
    owned = dof_handler.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);

    ParameterHandler prm;
    prm.enter_subsection("Hard constraints");
    ResidualOperators::declare_parameters(prm);
    prm.set("Residual", name);
    prm.enter_subsection("nonlinear-diffusion");
    prm.set("Boundary value", boundary);
    prm.leave_subsection();
    prm.leave_subsection();
    residual = ResidualOperators::create<2>(prm, "Hard constraints");
    residual->set_parameters(p);
    make_residual_constraints(
      *residual, dof_handler, mapping, relevant, constraints);
    DoFTools::map_dofs_to_support_points(mapping, dof_handler, points);
  }

  /** N basis fields on the relevant DoFs, row-major. */
  std::vector<double>
  basis(const unsigned int N) const
  {
    std::vector<double> B(relevant.n_elements() * N);
    for (unsigned int r = 0; r < relevant.n_elements(); ++r)
      {
        const Point<2> x = points.at(relevant.nth_index_in_set(r));
        for (unsigned int b = 0; b < N; ++b)
          B[r * N + b] = std::cos(2.1 * (b % 4 + 1) * x[0] + 0.4 * b) *
                         std::cos(2.9 * (b / 4 + 1) * x[1] + 0.7 * b);
      }
    return B;
  }

  FiniteElementSpace<2>
  space() const
  {
    return {dof_handler,
            mapping,
            quadrature,
            constraints,
            owned,
            relevant,
            MPI_COMM_WORLD};
  }

  parallel::distributed::Triangulation<2>     tria;
  FE_Q<2>                                     fe;
  MappingQ<2>                                 mapping;
  QGauss<2>                                   quadrature;
  DoFHandler<2>                               dof_handler;
  IndexSet                                    owned, relevant;
  AffineConstraints<double>                   constraints;
  std::unique_ptr<ResidualOperator<2>>        residual;
  std::map<types::global_dof_index, Point<2>> points;
};
