#include <deal.II/base/exceptions.h>
#include <deal.II/base/quadrature.h>

#include <deal.II/fe/fe.h>
#include <deal.II/fe/fe_values.h>

#include <dealii-learned/problems/rigid_body_modes.h>

#include <string>
#include <vector>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  SystemStructure
  rigid_body_modes(const Mapping<dim>    &mapping,
                   const DoFHandler<dim> &dof_handler)
  {
    const FiniteElement<dim> &fe = dof_handler.get_fe();
    AssertThrow(fe.n_components() == dim,
                ExcMessage("rigid_body_modes(): the element " + fe.get_name() +
                           " has " + std::to_string(fe.n_components()) +
                           " vector components; the rigid-body modes need "
                           "exactly dim = " +
                           std::to_string(dim) +
                           " (a displacement, e.g. FESystem(FE_Q, dim))."));
    AssertThrow(fe.has_support_points(),
                ExcMessage("rigid_body_modes(): the element " + fe.get_name() +
                           " has no support points, at which the modes are "
                           "evaluated (use Lagrange elements such as "
                           "FE_Q)."));

    const IndexSet    &owned       = dof_handler.locally_owned_dofs();
    const unsigned int n_rotations = dim * (dim - 1) / 2;

    SystemStructure structure;
    structure.n_components = dim;
    structure.near_null_space.assign(dim + n_rotations,
                                     std::vector<double>(owned.n_elements(),
                                                         0.));

    // A quadrature whose points are the unit support points: FEValues then
    // maps them to the cell's support points, in the order of the cell's
    // DoFs.
    const Quadrature<dim> support_points(fe.get_unit_support_points());
    FEValues<dim>         fe_values(mapping,
                            fe,
                            support_points,
                            update_quadrature_points);

    std::vector<types::global_dof_index> dof_indices(fe.n_dofs_per_cell());

    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          cell->get_dof_indices(dof_indices);
          for (unsigned int i = 0; i < dof_indices.size(); ++i)
            if (owned.is_element(dof_indices[i]))
              {
                const unsigned int component =
                  fe.system_to_component_index(i).first;
                const Point<dim> &x   = fe_values.quadrature_point(i);
                const auto        row = owned.index_within_set(dof_indices[i]);

                structure.near_null_space[component][row] = 1.;
                // The rotation in the plane (a, b): u_a = -x_b, u_b = x_a.
                unsigned int mode = dim;
                for (unsigned int a = 0; a < dim; ++a)
                  for (unsigned int b = a + 1; b < dim; ++b, ++mode)
                    if (component == a)
                      structure.near_null_space[mode][row] = -x[b];
                    else if (component == b)
                      structure.near_null_space[mode][row] = x[a];
              }
        }
    return structure;
  }


  template SystemStructure
  rigid_body_modes(const Mapping<2> &, const DoFHandler<2> &);
  template SystemStructure
  rigid_body_modes(const Mapping<3> &, const DoFHandler<3> &);
} // namespace dealii_learned
