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

#include <dealii-learned/constraints/hard_constraint_layer.h>
#include <dealii-learned/constraints/residual_assembly.h>

#include <cmath>
#include <map>
#include <memory>
#include <utility>
#include <vector>

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


/** L = sum_i h_i u_i with fixed weights h by global DoF index. */
inline double
loss(const TrilinosWrappers::MPI::Vector &u, TrilinosWrappers::MPI::Vector &h)
{
  h.reinit(u);
  for (const auto i : u.locally_owned_elements())
    h[i] = std::sin(0.37 * i + 0.1);
  h.compress(VectorOperation::insert);
  return h * u;
}


/** Whether the layer's dL/dB (@p gradient, this rank's copy; summed over
 *  the ranks here) for L = h . u matches central differences of forward()
 *  (step 1e-6) at the entries (DoF, column) @p entries, to @p tolerance
 *  relative. */
inline bool
layer_gradient_agrees(
  const Setup                                                         &s,
  const ExpertPartition<2>                                            &experts,
  const HardConstraintSettings                                        &settings,
  const std::vector<double>                                           &B,
  const unsigned int                                                   N,
  const std::vector<double>                                           &gradient,
  const TrilinosWrappers::MPI::Vector                                 &h,
  const std::vector<std::pair<types::global_dof_index, unsigned int>> &entries,
  const double tolerance = 1e-5)
{
  const auto   space = s.space();
  const double eps   = 1e-6;
  bool         agree = true;
  for (const auto &[dof, b] : entries)
    {
      const auto   global = s.dof_handler.n_dofs() > dof ? dof : 0;
      const bool   here   = s.relevant.is_element(global);
      const auto   r      = here ? s.relevant.index_within_set(global) : 0;
      const double analytic =
        Utilities::MPI::sum(here ? gradient[r * N + b] : 0., MPI_COMM_WORLD);
      double value[2];
      for (const int sign : {0, 1})
        {
          auto perturbed = B;
          if (here)
            perturbed[r * N + b] += (sign == 0 ? eps : -eps);
          TrilinosWrappers::MPI::Vector v;
          HardConstraintLayer<2> again(*s.residual, space, experts, settings);
          again.forward(perturbed.data(), N, v);
          value[sign] = h * v;
        }
      const double numeric = (value[0] - value[1]) / (2. * eps);
      agree                = agree && std::abs(numeric - analytic) <
                         tolerance * std::max(std::abs(numeric), 1e-8);
    }
  return agree;
}
